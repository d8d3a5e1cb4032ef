"""Calendar times are the service's local time whatever the computer's time zone, and a booking
that is cancelled or moved reaches the calendars that imported it (same UID, higher SEQUENCE).

Each file is read twice: with icalendar, and by reading the DTSTART lines by hand and
recomputing the instants from the sessions' local times with zoneinfo."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zoneinfo
from dataclasses import replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from app.domain.catalogue import LINE
from app.domain.model import SessionStatus, Worker
from app.domain.policy import BEGINNING, Policy, zone_named
from app.domain.records import SessionRecord
from app.services.calendar import export_calendar
from app.services.sessions import SessionService
from app.services.workers import WorkerService
from app.storage.db import Database, close_database, open_database
from app.storage.policies import save_policy

REPO = Path(__file__).resolve().parents[2]
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
FROM, TO = date(2026, 12, 1), date(2027, 7, 31)
LONDON = ZoneInfo("Europe/London")

# (date, local start time, minutes): winter, the first day of summer time, a summer day, and
# the Sunday the clocks go back (10:00 is after the change).
BOOKINGS = [
    (date(2026, 12, 3), "10:00", 60),
    (date(2027, 3, 28), "10:00", 45),
    (date(2027, 7, 6), "10:00", 60),
    (date(2027, 7, 30), "16:30", 90),
]


def _worker(db: Database) -> Worker:
    return WorkerService(db).save(Worker(id="", name="Zoë Hartley", team="North"))


def book(db: Database, worker: Worker, on: date, start: str, minutes: int) -> SessionRecord:
    record = SessionRecord(type=LINE, status=SessionStatus.PLANNED,
                           session_date=on, worker_id=worker.id, start_time=start,
                           duration_minutes=minutes)  # fmt: skip
    return SessionService(db).save(record).record


@pytest.fixture
def bookings_file(db_path: Path) -> tuple[Path, dict[str, tuple[date, str, int]]]:
    db = open_database(db_path)
    try:
        zoe = _worker(db)
        made = {book(db, zoe, *b).id: b for b in BOOKINGS}
    finally:
        close_database(db)
    return db_path, made


def keel(*args: str, cwd: Path, tz: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen", "TZ": tz}
    env.pop("KEEL_DB", None)
    done = subprocess.run([PYTHON, str(REPO / "main.py"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done


def starts_by_hand(data: bytes) -> dict[str, datetime]:
    """UID → DTSTART, read from the lines themselves (no icalendar): only UTC times allowed."""
    text = data.decode("utf-8").replace("\r\n ", "")
    found: dict[str, datetime] = {}
    for block in text.split("BEGIN:VEVENT")[1:]:
        uid = re.search(r"^UID:(.+)$", block, re.M)
        start = re.search(r"^DTSTART(;[^:]*)?:(.+)$", block, re.M)
        assert uid and start, block
        value = start.group(2).strip()
        assert start.group(1) is None and value.endswith("Z"), value  # UTC, no floating time
        found[uid.group(1).strip()] = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return found


def expected_instant(on: date, start: str) -> datetime:
    return datetime.combine(on, time.fromisoformat(start), tzinfo=LONDON).astimezone(UTC)


def test_the_same_instants_whatever_the_computers_zone(bookings_file, tmp_path) -> None:
    db_path, made = bookings_file
    files = {}
    for machine in ("UTC", "Europe/London", "America/New_York"):
        out = tmp_path / f"{machine.replace('/', '-')}.ics"
        keel("--db", str(db_path), "export-ics", "--from", FROM.isoformat(), "--to",
             TO.isoformat(), "--out", str(out), cwd=tmp_path, tz=machine)  # fmt: skip
        files[machine] = out.read_bytes()
    for machine, data in files.items():
        cal = icalendar.Calendar.from_ical(data)
        parsed = {str(e["UID"]): (e.decoded("DTSTART"), e.decoded("DTEND"))
                  for e in cal.walk("VEVENT")}  # fmt: skip
        by_hand = starts_by_hand(data)
        assert set(parsed) == set(by_hand) == {f"{sid}@keel" for sid in made}, machine
        for sid, (on, start, minutes) in made.items():
            begins, ends = parsed[f"{sid}@keel"]
            want = expected_instant(on, start)
            assert begins == want == by_hand[f"{sid}@keel"], (machine, on, start)
            assert (ends - begins).total_seconds() == minutes * 60
    # The same instants, read either way, in the three files.
    assert len({tuple(sorted(starts_by_hand(d).items())) for d in files.values()}) == 1
    summer = starts_by_hand(files["UTC"])
    july = next(sid for sid, b in made.items() if b[0] == date(2027, 7, 6))
    assert summer[f"{july}@keel"] == datetime(2027, 7, 6, 9, 0, tzinfo=UTC)  # 10:00 BST


@pytest.mark.parametrize(
    ("zone", "utc_hour", "utc_minute"),
    [("America/New_York", 15, 0), ("Asia/Kolkata", 4, 30), ("UTC", 10, 0)],
)
def test_the_service_time_zone_is_a_policy_setting(db, tmp_path, zone, utc_hour, utc_minute):
    zoe = _worker(db)
    rec = book(db, zoe, date(2026, 12, 3), "10:00", 60)
    save_policy(db, replace(Policy(), time_zone=zone), effective_from=BEGINNING)
    out = tmp_path / "c.ics"
    export_calendar(db, FROM, TO, out)
    (event,) = icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT")
    assert str(event["UID"]) == f"{rec.id}@keel"
    assert event.decoded("DTSTART") == datetime(2026, 12, 3, utc_hour, utc_minute, tzinfo=UTC)


def test_an_unknown_time_zone_is_refused_with_the_reason() -> None:
    assert Policy().time_zone == "Europe/London"
    for bad in ("Mars/Olympus", "Europe", "", "localtime", "posix/Europe/London", 3):
        with pytest.raises(ValueError, match="time zone"):
            Policy.from_dict({"time_zone": bad})
    assert Policy.from_dict({"time_zone": "Pacific/Auckland"}).zone() == ZoneInfo(
        "Pacific/Auckland"
    )


def test_zone_data_comes_with_keel_not_the_computer() -> None:
    """Windows has no zone database: with no system zone files, Europe/London still loads
    (from the tzdata package Keel depends on, which the frozen app ships)."""
    try:
        zoneinfo.reset_tzpath(to=[])
        zoneinfo.ZoneInfo.clear_cache()
        london = zone_named("Europe/London")
        summer = datetime(2027, 7, 6, 10, 0, tzinfo=london)
        assert summer.utcoffset() is not None and summer.utcoffset().total_seconds() == 3600
    finally:
        zoneinfo.reset_tzpath()
        zoneinfo.ZoneInfo.clear_cache()
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^\s*"tzdata[>=<~]', pyproject, re.M), "tzdata is not a dependency"
    spec = (REPO / "installer.spec").read_text(encoding="utf-8")
    assert 'collect_data_files("tzdata")' in spec


# --------------------------------------------------------------------------- changes


def export_events(db: Database, out: Path) -> dict[str, icalendar.Event]:
    export_calendar(db, date(2026, 12, 1), date(2027, 1, 31), out)
    return {str(e["UID"]): e for e in icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT")}


def test_a_cancelled_booking_is_exported_cancelled_with_the_same_uid(db, tmp_path) -> None:
    zoe = _worker(db)
    rec = book(db, zoe, date(2026, 12, 10), "10:00", 60)
    first = export_events(db, tmp_path / "1.ics")[f"{rec.id}@keel"]
    assert str(first["STATUS"]) == "CONFIRMED"
    rec.status = SessionStatus.CANCELLED
    rec.cancel_reason = "Supervisor off sick with stress"
    SessionService(db).save(rec)  # within the same second as the booking, most likely
    out = tmp_path / "2.ics"
    result = export_calendar(db, date(2026, 12, 1), date(2027, 1, 31), out)
    assert (result.events, result.cancelled) == (0, 1)
    assert "1 cancelled booking marked cancelled" in result.summary()
    events = {
        str(e["UID"]): e for e in icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT")
    }
    second = events[f"{rec.id}@keel"]
    assert int(second["SEQUENCE"]) > int(first["SEQUENCE"])
    assert str(second["STATUS"]) == "CANCELLED"
    assert str(second["SUMMARY"]) == "Cancelled: Line management supervision — Zoë Hartley"
    assert str(second["TRANSP"]) == "TRANSPARENT"
    assert second.decoded("DTSTART") == first.decoded("DTSTART")
    assert b"stress" not in out.read_bytes()  # the reason is record content: never written


def test_a_moved_booking_keeps_its_uid_and_moves(db, tmp_path) -> None:
    zoe = _worker(db)
    rec = book(db, zoe, date(2026, 12, 10), "10:00", 60)
    first = export_events(db, tmp_path / "1.ics")[f"{rec.id}@keel"]
    rec.session_date, rec.start_time = date(2026, 12, 17), "14:00"
    SessionService(db).save(rec)
    moved = export_events(db, tmp_path / "2.ics")[f"{rec.id}@keel"]
    assert moved.decoded("DTSTART") == datetime(2026, 12, 17, 14, tzinfo=UTC)
    assert int(moved["SEQUENCE"]) > int(first["SEQUENCE"])
    # Moved out of the period: still written, at its new time, so the calendar moves it.
    rec.session_date = date(2027, 3, 1)
    SessionService(db).save(rec)
    away = export_events(db, tmp_path / "3.ics")[f"{rec.id}@keel"]
    assert away.decoded("DTSTART") == datetime(2027, 3, 1, 14, tzinfo=UTC)
    assert int(away["SEQUENCE"]) > int(moved["SEQUENCE"])
    assert str(away["STATUS"]) == "CONFIRMED"


def test_a_session_recorded_as_cancelled_was_never_a_booking(db, tmp_path) -> None:
    zoe = _worker(db)
    SessionService(db).save(
        SessionRecord(type=LINE, status=SessionStatus.CANCELLED,
                      session_date=date(2026, 12, 4), worker_id=zoe.id, start_time="10:00",
                      cancel_reason="Sickness")
    )  # fmt: skip
    held = book(db, zoe, date(2026, 12, 8), "11:00", 60)
    held.status = SessionStatus.HELD
    SessionService(db).save(held)  # a booking that took place: the calendar keeps it
    assert export_events(db, tmp_path / "c.ics") == {}
