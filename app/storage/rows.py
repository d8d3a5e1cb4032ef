"""Small helpers for turning rows into values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from app.domain.catalogue import KEY_PATTERN

if TYPE_CHECKING:
    from app.storage.db import Database


def to_date(value: object) -> date | None:
    if value is None or value == "":
        return None
    return date.fromisoformat(str(value))


def iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


# Every supervision type there is. Naming them changes no result, but lets SQLite use the
# (type, status, session_date) index for a status and a date range, instead of scanning every
# session (1.1 M on the stress database).
EVERY_TYPE = "type IN (SELECT key FROM supervision_types)"


@dataclass(frozen=True, slots=True)
class TypeKinds:
    """The registered supervision types (``supervision_types``): every key, in key order, and
    the keys of the group types, with each as an SQL list of literals for ``IN (...)``."""

    keys: tuple[str, ...]
    groups: tuple[str, ...]

    @property
    def every_list(self) -> str:
        return _literals(self.keys)

    @property
    def group_list(self) -> str:
        return _literals(self.groups)

    def is_group(self, key: str) -> bool:
        return key in self.groups


def _literals(keys: tuple[str, ...]) -> str:
    for key in keys:
        if not KEY_PATTERN.fullmatch(key):  # the table's CHECK allows no other
            raise ValueError(f"not a type key: {key!r}")
    return ", ".join(f"'{k}'" for k in keys) or "NULL"


def type_kinds(db: Database) -> TypeKinds:
    rows = db.execute("SELECT key, kind FROM supervision_types ORDER BY key").fetchall()
    return TypeKinds(tuple(k for k, _ in rows), tuple(k for k, kind in rows if kind == "group"))
