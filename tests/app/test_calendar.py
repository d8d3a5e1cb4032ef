"""Calendar export: the .ics file read back with icalendar and checked event by event, and the
``export-ics`` command run as an administrator's script would run it."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from app.domain.catalogue import CLINICAL, GROUP, LINE
from app.domain.model import SessionStatus, Worker
from app.domain.records import Action, ActionOwner, Decision, Mode, SessionRecord
from app.errors import UsageError
from app.services.calendar import (
    PRODID,
    CalendarExportFailed,
    build_calendar,
    default_range,
    export_calendar,
)
from app.services.sessions import SessionService
from app.services.workers import WorkerService
from app.storage.db import Database, close_database, open_database

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
FROM, TO = date(2026, 12, 1), date(2027, 1, 31)

# Text that must never reach a calendar, whatever the record holds.
ISSUES = "Caseload of 32 after two SIs; C-2201 discussed"
CASE_REF = "C-2201"
REFERRAL_REF = "SG-2026-140"
CONFIDENTIAL = "Feels worn down after the inquest"
DECISION = "Cap new allocations for four weeks"
ACTION = "Review C-2201 risk plan"
CASE_DISCUSSION = "Group discussed C-3301 and the crisis pathway delay"
SECRETS = (ISSUES, CASE_REF, REFERRAL_REF, CONFIDENTIAL, DECISION, ACTION, CASE_DISCUSSION,
           "C-3301", "inquest")  # fmt: skip
LONG_NAME = "Zoë Hartley-Montgomery-Featherstonehaugh-Cholmondeley of the South Community Team"


@dataclass(frozen=True)
class Booked:
    lead: Worker
    zoe: Worker
    lukasz: Worker
    clinical: str  # 3 Dec 2026 10:00, 60 min, in person at Bridge House, with a full record
    all_day: str  # 10 Dec 2026, no start time, by video, no place typed
    group: str  # 15 Dec 2026 13:30, 90 min, 3 attendees, case discussion filled in
    phone: str  # 1 Dec 2026 (first day) 09:30, no length, by phone
    last_day: str  # 31 Jan 2027 (last day) 16:00, 45 min
    long_name: str  # 8 Jan 2027 11:00: a name that makes the SUMMARY line fold
    outside: tuple[str, ...]  # before and after the period
    not_booked: tuple[str, ...]  # held, cancelled, did not attend — all inside the period


def _save(sessions: SessionService, **fields: object) -> str:
    record = SessionRecord(**fields)  # type: ignore[arg-type]
    return sessions.save(record).record.id


def make_bookings(db: Database) -> Booked:
    workers = WorkerService(db)
    lead = workers.save(Worker(id="", name="Amara Okafor", role="Team Lead", team="North",
                               qualified_clinical=True))  # fmt: skip
    zoe = workers.save(Worker(id="", name="Zoë Hartley", role="Social Worker", team="North",
                              line_supervisor_id=lead.id, clinical_supervisor_id=lead.id))  # fmt: skip
    lukasz = workers.save(Worker(id="", name="Łukasz Nowak", role="Nurse", team="North",
                                 line_supervisor_id=lead.id))  # fmt: skip
    long_named = workers.save(Worker(id="", name=LONG_NAME, team="South",
                                     line_supervisor_id=lead.id))  # fmt: skip
    s = SessionService(db)
    line, clinical, group = LINE, CLINICAL, GROUP
    planned = SessionStatus.PLANNED
    clinical_id = _save(
        s, type=clinical, status=planned, session_date=date(2026, 12, 3), worker_id=zoe.id,
        supervisor_id=lead.id, start_time="10:00", duration_minutes=60, mode=Mode.IN_PERSON,
        location="Bridge House, Room 2", issues=ISSUES, case_refs=CASE_REF,
        referral_refs=REFERRAL_REF, confidential_notes=CONFIDENTIAL,
        decisions=[Decision(DECISION, "Above the team norm")],
        actions=[Action(ACTION, ActionOwner.SUPERVISEE, date(2026, 12, 17))],
        support_offered="EAP details given", case_discussion="Discussed " + CASE_REF,
    )  # fmt: skip
    all_day = _save(s, type=line, status=planned, session_date=date(2026, 12, 10),
                    worker_id=lukasz.id, supervisor_id=lead.id, mode=Mode.VIDEO)  # fmt: skip
    group_id = _save(
        s, type=group, status=planned, session_date=date(2026, 12, 15), supervisor_id=lead.id,
        start_time="13:30", duration_minutes=90, mode=Mode.IN_PERSON, location="Team base",
        attendees=[zoe.id, lukasz.id, long_named.id], case_discussion=CASE_DISCUSSION,
        case_refs="C-3301",
    )  # fmt: skip
    phone = _save(s, type=line, status=planned, session_date=FROM, worker_id=zoe.id,
                  supervisor_id=lead.id, start_time="09:30", mode=Mode.PHONE)  # fmt: skip
    last_day = _save(s, type=clinical, status=planned, session_date=TO, worker_id=lukasz.id,
                     start_time="16:00", duration_minutes=45)  # fmt: skip
    long_name = _save(s, type=line, status=planned, session_date=date(2027, 1, 8),
                      worker_id=long_named.id, supervisor_id=lead.id, start_time="11:00",
                      duration_minutes=60, mode=Mode.IN_PERSON)  # fmt: skip
    outside = (
        _save(s, type=line, status=planned, session_date=date(2026, 11, 30), worker_id=zoe.id,
              start_time="10:00"),
        _save(s, type=line, status=planned, session_date=date(2027, 2, 1), worker_id=zoe.id,
              start_time="10:00"),
    )  # fmt: skip
    not_booked = (
        _save(s, type=line, status=SessionStatus.HELD, session_date=date(2026, 12, 2),
              worker_id=lukasz.id, start_time="10:00", issues="Held, not a booking"),
        _save(s, type=clinical, status=SessionStatus.CANCELLED, session_date=date(2026, 12, 4),
              worker_id=zoe.id, start_time="10:00", cancel_reason="Sickness"),
        _save(s, type=clinical, status=SessionStatus.DID_NOT_ATTEND,
              session_date=date(2026, 12, 5), worker_id=lukasz.id, start_time="10:00"),
    )  # fmt: skip
    return Booked(lead, zoe, lukasz, clinical_id, all_day, group_id, phone, last_day, long_name,
                  outside, not_booked)  # fmt: skip


@pytest.fixture
def booked(db: Database) -> Booked:
    return make_bookings(db)


def events_by_uid(data: bytes) -> dict[str, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(data)
    events = cal.walk("VEVENT")
    by_uid = {str(e["UID"]): e for e in events}
    assert len(by_uid) == len(events), "UIDs are not unique"
    return by_uid


def uid(session_id: str) -> str:
    return f"{session_id}@keel"


def utc(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def export(db: Database, tmp_path: Path, **kw: object) -> bytes:
    out = tmp_path / "sessions.ics"
    export_calendar(db, FROM, TO, out, tz=LONDON, now=NOW, **kw)  # type: ignore[arg-type]
    return out.read_bytes()


# The file, event by event ------------------------------------------------------------------


def test_one_event_per_booked_session_in_the_period(db, booked, tmp_path) -> None:
    events = events_by_uid(export(db, tmp_path))
    expected = {booked.clinical, booked.all_day, booked.group, booked.phone, booked.last_day,
                booked.long_name}  # fmt: skip
    assert set(events) == {uid(i) for i in expected}
    for excluded in (*booked.outside, *booked.not_booked):
        assert uid(excluded) not in events


def test_calendar_header_says_who_wrote_it_and_how_to_import_it(db, booked, tmp_path) -> None:
    cal = icalendar.Calendar.from_ical(export(db, tmp_path))
    assert str(cal["PRODID"]) == PRODID
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["METHOD"]) == "PUBLISH"


def test_clinical_session_summary_times_place_and_description(db, booked, tmp_path) -> None:
    event = events_by_uid(export(db, tmp_path))[uid(booked.clinical)]
    assert str(event["SUMMARY"]) == "Clinical supervision — Zoë Hartley"
    # 10:00 in London in December is 10:00 UTC.
    assert event.decoded("DTSTART") == utc(2026, 12, 3, 10)
    assert event.decoded("DTEND") == utc(2026, 12, 3, 11)
    assert str(event["LOCATION"]) == "Bridge House, Room 2"
    assert str(event["DESCRIPTION"]) == "Supervisor: Amara Okafor\nType: Clinical supervision"
    assert str(event["CLASS"]) == "PRIVATE"
    assert event.decoded("DTSTAMP") == NOW


def test_session_without_a_start_time_is_an_all_day_event(db, booked, tmp_path) -> None:
    event = events_by_uid(export(db, tmp_path))[uid(booked.all_day)]
    assert str(event["SUMMARY"]) == "Line management supervision — Łukasz Nowak"
    assert event.decoded("DTSTART") == date(2026, 12, 10)
    assert event.decoded("DTEND") == date(2026, 12, 11)
    assert event["DTSTART"].params.get("VALUE") == "DATE"
    assert str(event["LOCATION"]) == "Video call"  # no place typed: how it happens


def test_group_session_counts_attendees_and_names_none(db, booked, tmp_path) -> None:
    event = events_by_uid(export(db, tmp_path))[uid(booked.group)]
    assert str(event["SUMMARY"]) == "Reflective / group supervision — 3 attendees"
    assert event.decoded("DTSTART") == utc(2026, 12, 15, 13, 30)
    assert event.decoded("DTEND") == utc(2026, 12, 15, 15)
    assert str(event["LOCATION"]) == "Team base"
    description = str(event["DESCRIPTION"])
    assert description == "Supervisor: Amara Okafor\nType: Reflective / group supervision"
    for name in ("Zoë", "Łukasz", "Featherstonehaugh"):
        assert name not in str(event["SUMMARY"]) + description


def test_length_defaults_and_boundary_days(db, booked, tmp_path) -> None:
    events = events_by_uid(export(db, tmp_path))
    phone = events[uid(booked.phone)]  # on the first day of the period, no length given
    assert phone.decoded("DTSTART") == utc(2026, 12, 1, 9, 30)
    assert phone.decoded("DTEND") == utc(2026, 12, 1, 10, 30)
    assert str(phone["LOCATION"]) == "Phone call"
    last = events[uid(booked.last_day)]  # on the last day, no supervisor recorded
    assert last.decoded("DTSTART") == utc(2027, 1, 31, 16)
    assert last.decoded("DTEND") == utc(2027, 1, 31, 16, 45)
    assert str(last["DESCRIPTION"]) == "Type: Clinical supervision"


def test_no_confidential_text_or_case_reference_anywhere(db, booked, tmp_path) -> None:
    data = export(db, tmp_path)
    text = data.decode("utf-8")
    unfolded = text.replace("\r\n ", "")
    for secret in SECRETS:
        assert secret not in unfolded, secret
    for event in events_by_uid(data).values():
        for value in event.values():
            for secret in SECRETS:
                assert secret not in str(value), (secret, value)


def test_crlf_line_endings_and_folded_long_lines(db, booked, tmp_path) -> None:
    data = export(db, tmp_path)
    assert data.endswith(b"\r\n")
    lines = data.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert all(len(line) <= 75 for line in lines), max(lines, key=len)
    assert any(line.startswith(b" ") for line in lines)  # the long SUMMARY was folded
    event = events_by_uid(data)[uid(booked.long_name)]
    assert str(event["SUMMARY"]) == f"Line management supervision — {LONG_NAME}"


def test_summer_time_is_converted_with_the_zone_rules(db, booked, tmp_path) -> None:
    SessionService(db).save(
        SessionRecord(type=LINE, status=SessionStatus.PLANNED,
                      session_date=date(2027, 6, 1), worker_id=booked.zoe.id,
                      start_time="10:00", duration_minutes=60)
    )  # fmt: skip
    cal, count, cancelled = build_calendar(db, date(2027, 6, 1), date(2027, 6, 1), tz=LONDON,
                                           now=NOW)  # fmt: skip
    assert (count, cancelled) == (1, 0)
    (event,) = cal.walk("VEVENT")
    assert event.decoded("DTSTART") == utc(2027, 6, 1, 9)  # 10:00 BST
    assert event.decoded("DTEND") == utc(2027, 6, 1, 10)


def test_uid_stays_and_sequence_grows_when_a_booking_changes(db, booked, tmp_path) -> None:
    first = events_by_uid(export(db, tmp_path))[uid(booked.clinical)]
    db.execute("UPDATE sessions SET updated_at = '2030-01-01T10:00:00Z' WHERE id = ?",
               [booked.clinical])  # fmt: skip
    second = events_by_uid(export(db, tmp_path))[uid(booked.clinical)]
    assert int(second["SEQUENCE"]) > int(first["SEQUENCE"])


def test_empty_period_gives_a_valid_calendar(db, booked, tmp_path) -> None:
    out = tmp_path / "none.ics"
    result = export_calendar(db, date(2030, 1, 1), date(2030, 1, 31), out, tz=LONDON)
    assert result.events == 0
    cal = icalendar.Calendar.from_ical(out.read_bytes())
    assert cal.walk("VEVENT") == []


def test_default_range_is_the_next_eight_weeks() -> None:
    assert default_range(date(2026, 11, 26)) == (date(2026, 11, 26), date(2027, 1, 20))


# Audit and failures -----------------------------------------------------------------------


def audit_exports(db: Database) -> list[tuple[str, str | None, dict[str, object]]]:
    rows = db.execute(
        "SELECT entity, entity_id, detail FROM audit_log WHERE action = 'export' ORDER BY seq"
    ).fetchall()
    return [(e, i, json.loads(d)) for e, i, d in rows]


def test_export_is_recorded_in_the_audit_trail(db, booked, tmp_path) -> None:
    result = export_calendar(db, FROM, TO, tmp_path / "team.ics", tz=LONDON)
    assert result.events == 6
    assert "6 booked sessions" in result.summary()
    assert audit_exports(db) == [
        ("calendar", None, {"report": "calendar", "from": "2026-12-01", "to": "2027-01-31",
                            "events": 6, "cancelled": 0, "file": "team.ics"}),
    ]  # fmt: skip


def test_bad_period_or_path_is_refused_and_nothing_written(db, booked, tmp_path) -> None:
    out = tmp_path / "x.ics"
    with pytest.raises(UsageError, match="swap the dates"):
        export_calendar(db, TO, FROM, out)
    with pytest.raises(UsageError, match="is a folder"):
        export_calendar(db, FROM, TO, tmp_path)
    with pytest.raises(UsageError, match="does not exist"):
        export_calendar(db, FROM, TO, tmp_path / "missing" / "x.ics")
    assert not out.exists()
    assert audit_exports(db) == []


def test_write_failure_leaves_no_file_and_the_old_one_intact(
    db, booked, tmp_path, monkeypatch
) -> None:
    out = tmp_path / "team.ics"
    out.write_bytes(b"old calendar")

    def full_disk(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(CalendarExportFailed, match="not enough space"):
        export_calendar(db, FROM, TO, out)
    assert out.read_bytes() == b"old calendar"
    assert not list(tmp_path.glob("*.keel-tmp")) and not list(tmp_path.glob(".*.keel-tmp"))
    assert audit_exports(db) == []


# The command line -------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable


def keel(*args: str, cwd: Path, tz: str = "Europe/London") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen", "TZ": tz}
    env.pop("KEEL_DB", None)
    done = subprocess.run(
        [PYTHON, str(REPO / "main.py"), *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    return done


@pytest.fixture
def booked_file(db_path: Path) -> tuple[Path, Booked]:
    db = open_database(db_path)
    try:
        booked = make_bookings(db)
    finally:
        close_database(db)
    return db_path, booked


@pytest.mark.parametrize("machine_zone", ["UTC", "Europe/London", "America/New_York"])
def test_cli_export_ics_writes_the_services_time_whatever_the_computers_zone(
    booked_file, tmp_path, machine_zone
) -> None:
    """10:00 in London was written as 10:00Z with TZ=UTC and 15:00Z in New York."""
    db_path, booked = booked_file
    out = tmp_path / "team.ics"
    done = keel("--db", str(db_path), "export-ics", "--from", "2026-12-01", "--to", "31/01/2027",
                "--out", str(out), cwd=tmp_path, tz=machine_zone)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert f"Wrote 6 booked sessions to {out}" in done.stdout
    events = events_by_uid(out.read_bytes())
    assert len(events) == 6
    # The service's zone (Europe/London): 10:00 in December is 10:00 UTC on every computer.
    assert events[uid(booked.clinical)].decoded("DTSTART") == utc(2026, 12, 3, 10)
    conn = sqlite3.connect(db_path)
    try:
        (detail,) = conn.execute(
            "SELECT detail FROM audit_log WHERE action = 'export' AND entity = 'calendar'"
        ).fetchone()
    finally:
        conn.close()
    assert json.loads(detail)["events"] == 6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2027-01-31", "--to", "2026-12-01"], "swap the dates"),
        (["--from", "2026-13-01", "--to", "2027-01-31"], "not a real date"),
        (["--from", "next week", "--to", "2027-01-31"], "not a date"),
        (["--from", "2026-12-01"], "required: --to"),
    ],
)
def test_cli_export_ics_bad_dates_exit_2(booked_file, tmp_path, args, message) -> None:
    db_path, _ = booked_file
    out = tmp_path / "team.ics"
    done = keel("--db", str(db_path), "export-ics", *args, "--out", str(out), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert not out.exists()


def test_cli_export_ics_missing_database_or_folder_exit_2(booked_file, tmp_path) -> None:
    db_path, _ = booked_file
    period = ["--from", "2026-12-01", "--to", "2027-01-31"]
    done = keel("--db", str(tmp_path / "nope.db"), "export-ics", *period, "--out",
                str(tmp_path / "a.ics"), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "no database" in done.stderr
    assert not (tmp_path / "nope.db").exists()
    done = keel("--db", str(db_path), "export-ics", *period, "--out",
                str(tmp_path / "missing" / "a.ics"), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "does not exist" in done.stderr


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_cli_export_ics_write_problem_exit_1(booked_file, tmp_path) -> None:
    db_path, _ = booked_file
    # /proc exists but no file can be created in it, even by root (CI runs as root).
    done = keel("--db", str(db_path), "export-ics", "--from", "2026-12-01", "--to", "2027-01-31",
                "--out", "/proc/keel-team.ics", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("The calendar was not saved")
    assert "No file was written" in done.stderr
