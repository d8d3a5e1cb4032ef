"""Supervision agreements as stored: one current agreement per worker, earlier ones ended."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.domain.agreements import Agreement
from app.storage.db import Database, new_id, utc_now
from app.storage.rows import iso, to_date

_COLUMNS = (
    "id", "worker_id", "starts_on", "review_on", "line_supervisor_id", "clinical_supervisor_id",
    "reflective_supervisor_id", "line_every_days", "clinical_every_days",
    "reflective_every_days", "duration_minutes", "location", "recorded", "access", "ended_on",
)  # fmt: skip


def _values(a: Agreement) -> dict[str, Any]:
    return {
        "worker_id": a.worker_id,
        "starts_on": a.starts_on.isoformat(),
        "review_on": a.review_on.isoformat(),
        "line_supervisor_id": a.line_supervisor_id,
        "clinical_supervisor_id": a.clinical_supervisor_id,
        "reflective_supervisor_id": a.reflective_supervisor_id,
        "line_every_days": a.line_every_days,
        "clinical_every_days": a.clinical_every_days,
        "reflective_every_days": a.reflective_every_days,
        "duration_minutes": a.duration_minutes,
        "location": a.location.strip(),
        "recorded": a.recorded.strip(),
        "access": a.access.strip(),
        "ended_on": iso(a.ended_on),
    }


def _from_row(r: tuple[Any, ...]) -> Agreement:
    return Agreement(
        id=r[0], worker_id=r[1], starts_on=date.fromisoformat(r[2]),
        review_on=date.fromisoformat(r[3]), line_supervisor_id=r[4], clinical_supervisor_id=r[5],
        reflective_supervisor_id=r[6], line_every_days=r[7], clinical_every_days=r[8],
        reflective_every_days=r[9], duration_minutes=r[10], location=r[11], recorded=r[12],
        access=r[13], ended_on=to_date(r[14]),
    )  # fmt: skip


def insert_agreement(db: Database, a: Agreement) -> str:
    agreement_id, now = new_id(), utc_now()
    values = {"id": agreement_id, **_values(a), "created_at": now, "updated_at": now}
    db.execute(
        f"INSERT INTO supervision_agreements ({', '.join(values)}) "
        f"VALUES ({', '.join('?' for _ in values)})",
        list(values.values()),
    )
    return agreement_id


def update_agreement(db: Database, a: Agreement) -> None:
    values = _values(a)
    sets = ", ".join(f"{k} = ?" for k in values)
    db.execute(
        f"UPDATE supervision_agreements SET {sets}, updated_at = ? WHERE id = ?",
        [*values.values(), utc_now(), a.id],
    )


def end_current(db: Database, worker_id: str, on: date) -> list[str]:
    """End the worker's current agreement(s) on ``on``; returns the ids ended."""
    ids = [
        r[0]
        for r in db.execute(
            "SELECT id FROM supervision_agreements WHERE worker_id = ? AND ended_on IS NULL",
            [worker_id],
        ).fetchall()
    ]
    for agreement_id in ids:
        db.execute(
            "UPDATE supervision_agreements SET ended_on = max(starts_on, ?), updated_at = ? "
            "WHERE id = ?",
            [on.isoformat(), utc_now(), agreement_id],
        )
    return ids


def get_agreement(db: Database, agreement_id: str) -> Agreement | None:
    row = db.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM supervision_agreements WHERE id = ?", [agreement_id]
    ).fetchone()
    return None if row is None else _from_row(row)


def agreements_for(db: Database, worker_id: str) -> list[Agreement]:
    """A worker's agreements, newest first (the current one, if any, has no end date)."""
    rows = db.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM supervision_agreements WHERE worker_id = ? "
        "ORDER BY ended_on IS NOT NULL, starts_on DESC, created_at DESC",
        [worker_id],
    ).fetchall()
    return [_from_row(r) for r in rows]


def current_agreements(db: Database, as_of: date) -> list[tuple[Agreement, str, str]]:
    """Every current agreement of a worker still in post on ``as_of``, with their name and
    team."""
    cols = ", ".join(f"a.{c}" for c in _COLUMNS)
    rows = db.execute(
        f"SELECT {cols}, w.name, w.team FROM supervision_agreements a "
        "JOIN workers w ON w.id = a.worker_id "
        "WHERE a.ended_on IS NULL AND (w.left_on IS NULL OR w.left_on > ?) "
        "ORDER BY a.review_on, w.name COLLATE NOCASE",
        [as_of.isoformat()],
    ).fetchall()
    return [(_from_row(r[: len(_COLUMNS)]), r[-2], r[-1]) for r in rows]
