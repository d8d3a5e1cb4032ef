"""Booked (planned) sessions for a calendar: when, where, with whom — and nothing else.

The query reads only the columns a calendar entry may show. A session's record (issues, case
discussion, case references, notes, decisions) is never selected, so nothing confidential can
reach a calendar file by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.domain.model import TypeKey
from app.domain.records import Mode
from app.storage.db import Database
from app.storage.rows import EVERY_TYPE


@dataclass(frozen=True, slots=True)
class Booking:
    """One planned session as a calendar sees it."""

    id: str
    type: TypeKey
    session_date: date
    start_time: str | None
    duration_minutes: int | None
    mode: Mode | None
    location: str
    worker_name: str
    """The supervisee's name ('' for a group session)."""
    supervisor_name: str
    """'' when no supervisor is recorded."""
    attendees: int
    updated_at: str
    """UTC, ISO 8601 (``2026-11-26T10:00:00Z``)."""


def planned_sessions(db: Database, date_from: date, date_to: date) -> list[Booking]:
    """Planned sessions dated ``date_from`` to ``date_to`` (both included), earliest first."""
    rows = db.execute(
        "SELECT s.id, s.type, s.session_date, s.start_time, s.duration_minutes, s.mode, "
        "s.location, coalesce(w.name, ''), coalesce(sup.name, ''), "
        "(SELECT count(*) FROM session_attendees a WHERE a.session_id = s.id), s.updated_at "
        "FROM sessions s "
        "LEFT JOIN workers w ON w.id = s.worker_id "
        "LEFT JOIN workers sup ON sup.id = s.supervisor_id "
        f"WHERE s.{EVERY_TYPE} AND s.status = 'planned' "
        "AND s.session_date BETWEEN ? AND ? "
        "ORDER BY s.session_date, coalesce(s.start_time, ''), s.id",
        [date_from.isoformat(), date_to.isoformat()],
    ).fetchall()
    return [
        Booking(
            id=r[0],
            type=r[1],
            session_date=date.fromisoformat(r[2]),
            start_time=r[3],
            duration_minutes=r[4],
            mode=Mode(r[5]) if r[5] else None,
            location=r[6],
            worker_name=r[7],
            supervisor_name=r[8],
            attendees=r[9],
            updated_at=r[10],
        )
        for r in rows
    ]
