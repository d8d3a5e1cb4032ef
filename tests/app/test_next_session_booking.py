"""The next session booked from a record: saved again with another date, time or place, the
booking it made moves (the same planned session, so calendars move the event); it is never
booked twice, and a booking already held or cancelled is left as it is."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from app.domain.catalogue import LINE
from app.domain.model import SessionStatus, Worker
from app.domain.records import SessionRecord
from app.services.calendar import export_calendar
from app.services.sessions import SessionService
from app.services.workers import WorkerService
from app.storage.db import Database

HELD_ON = date(2026, 11, 26)
FIRST, MOVED = date(2026, 12, 24), date(2027, 1, 7)


def _planned(sessions: SessionService, worker_id: str) -> list[SessionRecord]:
    out = []
    for summary in sessions.history(worker_id):
        if summary.status is SessionStatus.PLANNED:
            record = sessions.get(summary.id)
            assert record is not None
            out.append(record)
    return out


def _held(db: Database) -> tuple[SessionService, SessionRecord]:
    workers = WorkerService(db)
    lead = workers.save(Worker(id="", name="Amara Okafor", team="North"))
    zoe = workers.save(Worker(id="", name="Zoë Hartley", team="North", line_supervisor_id=lead.id))
    sessions = SessionService(db)
    record = SessionRecord(
        type=LINE, status=SessionStatus.HELD, session_date=HELD_ON, worker_id=zoe.id,
        supervisor_id=lead.id, start_time="10:00", duration_minutes=60, issues="Caseload",
        risk_link=False, next_date=FIRST, next_time="14:00", next_place="Team base, room 3",
    )  # fmt: skip
    sessions.save(record)
    return sessions, record


def test_a_changed_next_session_moves_its_booking_instead_of_adding_one(
    db: Database, tmp_path: Path
) -> None:
    sessions, record = _held(db)
    assert record.worker_id is not None
    (booking,) = _planned(sessions, record.worker_id)
    assert (booking.session_date, booking.start_time) == (FIRST, "14:00")

    record.next_date, record.next_time, record.next_place = MOVED, "09:30", "Bridge House"
    sessions.save(record)
    (moved,) = _planned(sessions, record.worker_id)  # one booking, not two
    assert moved.id == booking.id  # the same session: the calendar moves the same event
    assert (moved.session_date, moved.start_time, moved.location) == (
        MOVED,
        "09:30",
        "Bridge House",
    )
    out = tmp_path / "sessions.ics"
    export_calendar(db, date(2026, 12, 1), date(2027, 1, 31), out)
    calendar = out.read_text(encoding="utf-8")
    assert calendar.count(f"UID:{booking.id}@keel") == 1
    assert "DTSTART:20270107T093000Z" in calendar  # 09:30 in London in January

    sessions.save(record)  # saved again unchanged: nothing moves, nothing is added
    assert [b.id for b in _planned(sessions, record.worker_id)] == [booking.id]


def test_a_booking_already_held_is_not_moved_a_new_one_is_made(db: Database) -> None:
    sessions, record = _held(db)
    assert record.worker_id is not None
    (booking,) = _planned(sessions, record.worker_id)
    booking.status = SessionStatus.HELD
    booking.issues, booking.risk_link = "Held as booked", False
    sessions.save(booking)
    record.next_date = MOVED
    sessions.save(record)
    (new,) = _planned(sessions, record.worker_id)
    assert new.id != booking.id and new.session_date == MOVED
    kept = sessions.get(booking.id)
    assert kept is not None and (kept.status, kept.session_date) == (SessionStatus.HELD, FIRST)
