"""The self-test (``keel --self-test``): proof that an installed Keel works on this computer.

It runs the real code paths on a scratch database in a temporary folder — the user's data is
never touched — one step at a time, each timed and reported ok or failed with a reason. After a
failed step the later ones are listed as not run. The report goes to a file as well as stdout,
because a Windows build without a console has no stdout.

This module holds the report and the steps that need no Qt; ``ui.self_test`` adds the main
window and runs them all in order.
"""

from __future__ import annotations

import logging
import platform
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from app import __version__
from app.services.bound import BoundService, bound
from app.storage.db import Database

log = logging.getLogger(__name__)

# A fixed passphrase is fine here: the scratch backup is deleted with its folder.
_SCRATCH_PASSPHRASE = "keel self-test passphrase"


@dataclass(frozen=True)
class StepResult:
    name: str
    ok: bool | None
    """None: not run, because an earlier step failed."""
    detail: str
    seconds: float
    trace: str = ""

    @property
    def label(self) -> str:
        return {True: "ok", False: "FAILED", None: "not run"}[self.ok]


@dataclass
class SelfTest:
    """Runs steps in order and keeps what happened."""

    header: list[str] = field(default_factory=list)
    steps: list[StepResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)

    def run(self, name: str, step: Callable[[], str]) -> bool:
        """Run ``step`` (which returns a one-line detail) unless an earlier step failed."""
        if any(s.ok is not True for s in self.steps):
            self.steps.append(StepResult(name, None, "an earlier step failed", 0.0))
            return False
        started = time.perf_counter()
        try:
            detail = step()
        except Exception as exc:
            seconds = time.perf_counter() - started
            log.exception("self-test step %r failed", name)
            self.steps.append(
                StepResult(
                    name, False, f"{type(exc).__name__}: {exc}", seconds, traceback.format_exc()
                )
            )
            return False
        self.steps.append(StepResult(name, True, detail, time.perf_counter() - started))
        return True

    def text(self) -> str:
        """The report: the header, one line per step, the failures' tracebacks, the verdict."""
        width = max((len(s.name) for s in self.steps), default=0)
        lines = [*self.header, ""]
        for s in self.steps:
            lines.append(f"{s.label:<8}{s.name:<{width}}  {s.seconds:6.2f} s  {s.detail}")
        for s in self.steps:
            if s.trace:
                lines += ["", f"{s.name} failed:", *s.trace.rstrip().splitlines()]
        done = sum(1 for s in self.steps if s.ok)
        total = sum(s.seconds for s in self.steps)
        verdict = "PASSED" if self.ok else "FAILED"
        lines += [
            "",
            f"Self-test {verdict}: {done} of {len(self.steps)} steps ok in {total:.2f} s.",
        ]
        return "\n".join(lines) + "\n"


def environment_lines(extra: str = "") -> list[str]:
    """Who ran: Keel's version, frozen or from source, Python, the operating system."""
    frozen = "installed build" if getattr(sys, "frozen", False) else "from source"
    lines = [
        f"Keel {__version__} self-test ({frozen}), {datetime.now().isoformat(timespec='seconds')}",
        f"Python {platform.python_version()} on {platform.platform()}",
    ]
    return [*lines, extra] if extra else lines


def write_report(text: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# Steps that need no Qt --------------------------------------------------------------------


def load_demo_data(db: Database, today: date) -> str:
    from app.services.demo import load_demo

    return load_demo(db, today=today)


def compute_statuses(db: Database, today: date) -> str:
    from app.domain.model import DueStatus
    from app.services.scheduling import compute_schedule

    schedule = compute_schedule(db, today)
    if not schedule.rows:
        raise AssertionError("no worker has a status")
    pct = schedule.compliance().percent
    return (
        f"{len(schedule.rows)} workers: {schedule.count(DueStatus.OVERDUE)} overdue, "
        f"{schedule.count(DueStatus.DUE_SOON)} due soon; compliance "
        + ("n/a" if pct is None else f"{pct:.0f}%")
    )


def latest_held_session(db: Database, today: date) -> str:
    """The id of a held session of the first worker who has one (a record worth printing)."""
    from app.domain.model import SessionStatus
    from app.services.scheduling import compute_schedule
    from app.services.sessions import SessionService

    sessions = SessionService(db)
    for row in compute_schedule(db, today).rows:
        for summary in sessions.history(row.worker_id):
            if summary.status is SessionStatus.HELD:
                return summary.id
    raise AssertionError("the demo data has no held session")


def write_record_pdf(db: Database, today: date, folder: Path) -> str:
    from app.services.exports import ExportService

    session_id = latest_held_session(db, today)
    out = ExportService(db, today=lambda: today).record(session_id, folder / "record.pdf")
    data = out.read_bytes()
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
        raise AssertionError(f"{out.name} is not a complete PDF")
    return f"{out.name}, {len(data) / 1024:.0f} KB (session {session_id[:8]})"


def write_compliance_pack(db: Database, today: date, folder: Path) -> str:
    """The team compliance pack for the last year: tables, charts and every font."""
    from datetime import timedelta

    from app.services.exports import ExportService

    out = folder / "compliance.pdf"
    ExportService(db, today=lambda: today).compliance(today - timedelta(days=364), today, out)
    data = out.read_bytes()
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
        raise AssertionError(f"{out.name} is not a complete PDF")
    return f"{out.name}, {len(data) / 1024:.0f} KB"


def backup_and_verify(db: Database, folder: Path, *, encrypted: bool = False) -> str:
    """Make a backup the way Data → Back up now does, then read it back as a restore would and
    compare what it holds with what was copied."""
    from app.services.autobackup import make_backup
    from app.services.backup import inspect_backup

    passphrase = _SCRATCH_PASSPHRASE if encrypted else None
    result = make_backup(db, folder, passphrase=passphrase)
    info = inspect_backup(result.path, passphrase=passphrase)
    if info.counts != result.counts or info.encrypted != encrypted:
        raise AssertionError(f"{result.path.name} does not hold what was backed up")
    rows = sum(result.counts.values())
    return f"{result.path.name}, {result.size / 1024:.0f} KB, verified ({rows} rows)"


def encrypted_database(folder: Path, today: date) -> str:
    """SQLCipher is in this build: a scratch database is encrypted, reopened with its
    passphrase, its statuses computed, and its file unreadable without the key."""
    from app import dbapi
    from app.services import encryption
    from app.storage import keys
    from app.storage.db import close_database, open_database

    path = folder / "encrypted.db"
    db = open_database(path)
    try:
        load_demo_data(db, today)
    finally:
        close_database(db)
    encryption.encrypt_database(path, _SCRATCH_PASSPHRASE)
    keys.forget_key(path)
    encryption.unlock(path, _SCRATCH_PASSPHRASE)
    db = open_database(path)
    try:
        rows = compute_statuses(db, today)
    finally:
        close_database(db)
    plain = dbapi.connect(str(path))
    try:
        plain.execute("SELECT count(*) FROM sqlite_master").fetchone()
        raise AssertionError("the encrypted file could be read without its key")
    except dbapi.DatabaseError:
        pass
    finally:
        plain.close()
    return f"SQLCipher {dbapi.cipher_version()}: encrypted, reopened, {rows}"


def export_calendar_file(db: Database, today: date, folder: Path) -> str:
    import icalendar

    from app.domain.policy import zone_names
    from app.services.calendar import default_range, export_calendar
    from app.storage.policies import current_policy

    # The zone data comes with Keel (the tzdata package), not from the computer.
    zone = current_policy(db).zone()
    if "Europe/London" not in zone_names():
        raise AssertionError("the time zone data shipped with Keel is missing")
    first, last = default_range(today)
    result = export_calendar(db, first, last, folder / "sessions.ics")
    events = icalendar.Calendar.from_ical(result.path.read_bytes()).walk("VEVENT")
    if len(events) != result.events + result.cancelled or not events:
        raise AssertionError(f"{result.path.name} holds {len(events)} events")
    return f"{result.path.name}, {result.events} booked sessions, times in {zone.key}"


class SelfTestService(BoundService):
    """The self-test's steps on its scratch database (the open database given: see
    ``app.services.bound``)."""

    load_demo_data = bound(load_demo_data)
    compute_statuses = bound(compute_statuses)
    write_record_pdf = bound(write_record_pdf)
    write_compliance_pack = bound(write_compliance_pack)
    export_calendar_file = bound(export_calendar_file)
    backup_and_verify = bound(backup_and_verify)
