"""Booked (planned) sessions for a calendar: when, where, with whom — and nothing else.

The query reads only the columns a calendar entry may show. A session's record (issues, case
discussion, case references, notes, decisions) is never selected, so nothing confidential can
reach a calendar file by mistake.

A calendar that imported an earlier export keeps its events until told otherwise, so the
bookings of a period are also those that *were* booked in it: a session the audit trail shows
planned on a day of the period, since cancelled (the calendar must mark it cancelled) or moved
to another day (the calendar must move it), is read too, wherever it is now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.domain.model import SessionStatus, TypeKey
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
    status: SessionStatus = SessionStatus.PLANNED
    """PLANNED, or CANCELLED for a booking since cancelled."""
    saves: int = 0
    """How many times the session was saved (its audit entries): one more with every change."""

    @property
    def cancelled(self) -> bool:
        return self.status is SessionStatus.CANCELLED


_COLUMNS = (
    "SELECT s.id, s.type, s.session_date, s.start_time, s.duration_minutes, s.mode, "
    "s.location, coalesce(w.name, ''), coalesce(sup.name, ''), "
    "(SELECT count(*) FROM session_attendees a WHERE a.session_id = s.id), s.updated_at, "
    "s.status, (SELECT count(*) FROM audit_log l WHERE l.entity = 'session' "
    "AND l.entity_id = s.id AND l.action IN ('create', 'change')) FROM sessions s "
    "LEFT JOIN workers w ON w.id = s.worker_id "
    "LEFT JOIN workers sup ON sup.id = s.supervisor_id "
)
# The audit trail holds every save of a session with its status and date (SessionService).
_WAS_BOOKED_IN_PERIOD = (
    "EXISTS (SELECT 1 FROM audit_log l WHERE l.entity = 'session' AND l.entity_id = s.id "
    "AND json_valid(l.detail) AND json_extract(l.detail, '$.status') = 'planned' "
    "AND json_extract(l.detail, '$.date') BETWEEN :start AND :end)"
)


def calendar_bookings(db: Database, date_from: date, date_to: date) -> list[Booking]:
    """What a calendar of ``date_from`` to ``date_to`` must hold, earliest first: the planned
    sessions dated in the period, and every session booked in the period at some time that is
    now cancelled (status CANCELLED) or planned on another day. A session recorded as
    cancelled without ever being booked is not a booking and is left out."""
    return _bookings(
        db,
        f"WHERE s.{EVERY_TYPE} AND s.status IN ('planned', 'cancelled') AND ("
        "(s.status = 'planned' AND s.session_date BETWEEN :start AND :end) "
        f"OR {_WAS_BOOKED_IN_PERIOD})",
        date_from,
        date_to,
    )


def _bookings(db: Database, where: str, date_from: date, date_to: date) -> list[Booking]:
    rows = db.execute(
        _COLUMNS + where + " ORDER BY s.session_date, coalesce(s.start_time, ''), s.id",
        {"start": date_from.isoformat(), "end": date_to.isoformat()},
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
            status=SessionStatus(r[11]),
            saves=r[12],
        )
        for r in rows
    ]
