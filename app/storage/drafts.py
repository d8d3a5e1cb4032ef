"""Drafts of session forms, saved as the user types so a dead laptop loses nothing."""

from __future__ import annotations

import json
from typing import Any

from app.domain.model import TypeKey
from app.domain.rows import Draft
from app.storage.db import Database, utc_now


def save_draft(
    db: Database,
    draft_id: str,
    type_: TypeKey,
    data: dict[str, Any],
    *,
    session_id: str | None = None,
    worker_id: str | None = None,
) -> None:
    db.execute(
        "INSERT INTO drafts (id, session_id, worker_id, type, data, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data, "
        "session_id = excluded.session_id, updated_at = excluded.updated_at",
        [draft_id, session_id, worker_id, type_, json.dumps(data), utc_now()],
    )


def _from_row(r: tuple[Any, ...]) -> Draft:
    return Draft(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5])


_COLS = "id, session_id, worker_id, type, data, updated_at"


def draft_for_session(db: Database, session_id: str) -> Draft | None:
    row = db.execute(
        f"SELECT {_COLS} FROM drafts WHERE session_id = ? ORDER BY updated_at DESC LIMIT 1",
        [session_id],
    ).fetchone()
    return None if row is None else _from_row(row)


def draft_for_new(db: Database, worker_id: str | None, type_: TypeKey) -> Draft | None:
    """An unsaved draft of a new session of this type for this worker, if one survives."""
    row = db.execute(
        f"SELECT {_COLS} FROM drafts WHERE session_id IS NULL AND worker_id IS ? AND type = ? "
        "ORDER BY updated_at DESC LIMIT 1",
        [worker_id, type_],
    ).fetchone()
    return None if row is None else _from_row(row)


def list_drafts(db: Database) -> list[Draft]:
    rows = db.execute(f"SELECT {_COLS} FROM drafts ORDER BY updated_at DESC").fetchall()
    return [_from_row(r) for r in rows]


def delete_draft(db: Database, draft_id: str) -> None:
    db.execute("DELETE FROM drafts WHERE id = ?", [draft_id])
