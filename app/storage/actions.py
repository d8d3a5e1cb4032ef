"""Actions across the team: the actions view and closing an action outside a session."""

from __future__ import annotations

from datetime import date

from app.domain.records import ActionOwner, ActionStatus
from app.domain.rows import ActionRow
from app.storage.db import Database, utc_now
from app.storage.rows import to_date


def list_actions(
    db: Database,
    *,
    status: ActionStatus | None = ActionStatus.OPEN,
    worker_id: str | None = None,
) -> list[ActionRow]:
    """Actions (open by default), earliest due first; undated ones last."""
    clauses, params = [], []
    if status is not None:
        clauses.append("a.status = ?")
        params.append(status.value)
    if worker_id is not None:
        clauses.append("a.worker_id = ?")
        params.append(worker_id)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = db.execute(
        "SELECT a.id, a.description, a.worker_id, w.name, a.owner, a.owner_name, a.due_date, "
        "a.evidence, a.status, a.completion_note, a.session_id, s.session_date, s.type "
        "FROM actions a JOIN workers w ON w.id = a.worker_id "
        f"JOIN sessions s ON s.id = a.session_id {where} "
        "ORDER BY a.due_date IS NULL, a.due_date, w.name COLLATE NOCASE",
        params,
    ).fetchall()
    return [
        ActionRow(
            r[0], r[1], r[2], r[3], ActionOwner(r[4]) if r[4] else None, r[5], to_date(r[6]),
            r[7], ActionStatus(r[8]), r[9], r[10], date.fromisoformat(r[11]),
            r[12],
        )
        for r in rows
    ]  # fmt: skip


def close_action(db: Database, action_id: str, status: ActionStatus, note: str, on: date) -> None:
    """Mark an action done or dropped with a note (a dropped action needs a reason)."""
    if status is ActionStatus.OPEN:
        raise ValueError("closing an action needs done or dropped")
    if status is ActionStatus.DROPPED and not note.strip():
        raise ValueError("say why the action is dropped")
    db.execute(
        "UPDATE actions SET status = ?, completion_note = ?, closed_on = ?, updated_at = ? "
        "WHERE id = ?",
        [status.value, note.strip(), on.isoformat(), utc_now(), action_id],
    )


def descriptions(db: Database, action_ids: list[str]) -> dict[str, str]:
    """Action descriptions by id (for printing reviews of carried-forward actions)."""
    if not action_ids:
        return {}
    marks = ",".join("?" for _ in action_ids)
    rows = db.execute(
        f"SELECT id, description FROM actions WHERE id IN ({marks})", action_ids
    ).fetchall()
    return {str(r[0]): str(r[1]) for r in rows}
