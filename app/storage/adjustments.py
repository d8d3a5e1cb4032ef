"""Leave periods, per-worker overrides and trigger events: what moves a worker's due dates.

Each is evidence (``app.storage.evidence_kinds``): every add and delete here writes its audit
entry, with a hash of the row, in the caller's transaction.

The friendly checks live in ``app.services.workers``; the table CHECK constraints are the
backstop, so nothing here checks twice.
"""

from __future__ import annotations

from datetime import date

from app.domain.adjustment_rows import StoredLeave, StoredOverride, StoredTrigger
from app.domain.model import LeaveKind, TriggerKind, TypeKey
from app.storage.db import Database, new_id, utc_now
from app.storage.rows import iso, to_date


def _audited(db: Database, kind: str, row_id: str, detail: dict[str, str]) -> None:
    """The audit entry (evidence) of a row just added."""
    from app.storage.evidence_registry import record  # not needed to show the schedule

    record(db, "create", kind, row_id, detail=detail)


def _audited_delete(db: Database, kind: str, table: str, row_id: str) -> None:
    """Delete a row, with the audit entry that says so (written first: it names the row)."""
    from app.storage.evidence_registry import record_delete

    record_delete(db, kind, row_id)
    db.execute(f"DELETE FROM {table} WHERE id = ?", [row_id])


def add_leave(
    db: Database,
    worker_id: str,
    start: date,
    end: date | None,
    kind: LeaveKind = LeaveKind.OTHER,
    note: str = "",
) -> StoredLeave:
    leave = StoredLeave(new_id(), worker_id, kind, start, end, note.strip())
    db.execute(
        "INSERT INTO leave_periods (id, worker_id, kind, start_date, end_date, note, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [leave.id, worker_id, kind.value, start.isoformat(), iso(end), leave.note, utc_now()],
    )
    _audited(db, "leave", leave.id, {"worker": worker_id})
    return leave


def leave_for(db: Database, worker_id: str) -> list[StoredLeave]:
    rows = db.execute(
        "SELECT id, worker_id, kind, start_date, end_date, note FROM leave_periods "
        "WHERE worker_id = ? ORDER BY start_date DESC",
        [worker_id],
    ).fetchall()
    return [
        StoredLeave(r[0], r[1], LeaveKind(r[2]), date.fromisoformat(r[3]), to_date(r[4]), r[5])
        for r in rows
    ]


def delete_leave(db: Database, leave_id: str) -> None:
    _audited_delete(db, "leave", "leave_periods", leave_id)


def add_override(
    db: Database,
    worker_id: str,
    type_: TypeKey,
    interval_days: int,
    reason: str,
    expires_on: date,
    starts_on: date | None = None,
) -> StoredOverride:
    ov = StoredOverride(
        new_id(), worker_id, type_, interval_days, reason.strip(), starts_on, expires_on
    )
    db.execute(
        "INSERT INTO overrides (id, worker_id, type, interval_days, reason, starts_on, "
        "expires_on, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [ov.id, worker_id, type_, interval_days, ov.reason, iso(starts_on),
         expires_on.isoformat(), utc_now()],
    )  # fmt: skip
    _audited(db, "override", ov.id, {"worker": worker_id, "reason": ov.reason})
    return ov


def overrides_for(db: Database, worker_id: str) -> list[StoredOverride]:
    rows = db.execute(
        "SELECT id, worker_id, type, interval_days, reason, starts_on, expires_on FROM overrides "
        "WHERE worker_id = ? ORDER BY expires_on DESC",
        [worker_id],
    ).fetchall()
    return [
        StoredOverride(r[0], r[1], r[2], r[3], r[4], to_date(r[5]),
                       date.fromisoformat(r[6]))
        for r in rows
    ]  # fmt: skip


def delete_override(db: Database, override_id: str) -> None:
    _audited_delete(db, "override", "overrides", override_id)


def add_trigger(
    db: Database,
    worker_id: str,
    kind: TriggerKind,
    event_date: date,
    type_: TypeKey,
    response_days: int,
    note: str = "",
) -> StoredTrigger:
    trig = StoredTrigger(new_id(), worker_id, kind, event_date, type_, response_days, note.strip())
    db.execute(
        "INSERT INTO trigger_events (id, worker_id, kind, event_date, type, response_days, note, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [trig.id, worker_id, kind.value, event_date.isoformat(), type_, response_days,
         trig.note, utc_now()],
    )  # fmt: skip
    _audited(db, "trigger", trig.id, {"worker": worker_id})
    return trig


def triggers_for(db: Database, worker_id: str) -> list[StoredTrigger]:
    rows = db.execute(
        "SELECT id, worker_id, kind, event_date, type, response_days, note FROM trigger_events "
        "WHERE worker_id = ? ORDER BY event_date DESC",
        [worker_id],
    ).fetchall()
    return [
        StoredTrigger(r[0], r[1], TriggerKind(r[2]), date.fromisoformat(r[3]),
                      r[4], r[5], r[6])
        for r in rows
    ]  # fmt: skip


def delete_trigger(db: Database, trigger_id: str) -> None:
    _audited_delete(db, "trigger", "trigger_events", trigger_id)
