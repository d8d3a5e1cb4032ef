"""The controlled list of themes (seeded, extendable, retire rather than delete)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlite_utils

from app.storage.db import new_id, utc_now
from app.storage.rows import to_date


@dataclass(frozen=True, slots=True)
class Theme:
    id: str
    name: str
    seeded: bool
    retired_on: date | None

    @property
    def active(self) -> bool:
        return self.retired_on is None


def list_themes(db: sqlite_utils.Database, *, include_retired: bool = False) -> list[Theme]:
    where = "" if include_retired else "WHERE retired_on IS NULL"
    rows = db.execute(
        f"SELECT id, name, seeded, retired_on FROM themes {where} ORDER BY name COLLATE NOCASE"
    ).fetchall()
    return [Theme(r[0], r[1], bool(r[2]), to_date(r[3])) for r in rows]


def add_theme(db: sqlite_utils.Database, name: str) -> Theme:
    clean = " ".join(name.split())
    if not clean:
        raise ValueError("a theme needs a name")
    theme = Theme(new_id(), clean, False, None)
    db.execute(
        "INSERT INTO themes (id, name, seeded, created_at) VALUES (?, ?, 0, ?)",
        [theme.id, clean, utc_now()],
    )
    return theme


def theme_by_name(db: sqlite_utils.Database, name: str) -> Theme | None:
    row = db.execute(
        "SELECT id, name, seeded, retired_on FROM themes WHERE name = ? COLLATE NOCASE", [name]
    ).fetchone()
    return None if row is None else Theme(row[0], row[1], bool(row[2]), to_date(row[3]))
