"""Importing a staff CSV grows linearly with its rows, also when they share a ``last_group``
date (a team's tracker: everyone at the same reflective group). It once was quadratic: 2,000
rows 2.4 s, 10,000 rows 41 s, 50,000 killed after 10 minutes. Timings belong to the benchmark
(tests/benchmarks/bench_import.py); here SQLite's own instruction count is the measure, which
does not depend on the machine's load."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from app.domain.catalogue import GROUP
from app.domain.model import SessionStatus
from app.services.importing import import_staff
from app.storage.db import Database, close_database, open_database
from app.storage.sessions import session_exists
from tests.benchmarks.bench_import import TODAY, write_csv


def _instructions(db: Database, work: Callable[[], object]) -> int:
    """SQLite virtual-machine instructions ``work`` takes (counted every 100)."""
    count = 0

    def tick() -> int:
        nonlocal count
        count += 1
        return 0

    db.conn.set_progress_handler(tick, 100)
    try:
        work()
    finally:
        db.conn.set_progress_handler(None, 0)
    return count * 100


def _import(tmp_path: Path, rows: int) -> int:
    source = tmp_path / f"staff-{rows}.csv"
    write_csv(source, rows)
    db = open_database(tmp_path / f"import-{rows}.db")
    try:
        return _instructions(db, lambda: import_staff(db, source, today=TODAY))
    finally:
        close_database(db)


def test_an_import_costs_the_same_per_row_at_200_and_3000_rows(tmp_path: Path) -> None:
    """Measured before the fix: 2,750 instructions a row at 200 rows, 5,075 at 3,000."""
    small, large = _import(tmp_path, 200), _import(tmp_path, 3000)
    per_row_small, per_row_large = small / 200, large / 3000
    assert per_row_large < 1.2 * per_row_small, (per_row_small, per_row_large)


def test_finding_a_workers_group_session_does_not_scan_the_days_groups(tmp_path: Path) -> None:
    """The check an import makes for an existing worker: its cost must not grow with the
    number of group sessions on that date."""
    source = tmp_path / "staff.csv"
    write_csv(source, 600)
    db = open_database(tmp_path / "many-groups.db")
    try:
        import_staff(db, source, today=TODAY)
        shared = db.execute(
            "SELECT session_date FROM sessions WHERE type = 'group' GROUP BY session_date "
            "ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()[0]
        # A worker whose group was another day: the check finds nothing (as for a new date).
        worker = db.execute(
            "SELECT a.worker_id FROM session_attendees a JOIN sessions s ON s.id = a.session_id "
            "WHERE s.session_date <> ? LIMIT 1",
            [shared],
        ).fetchone()[0]
        on = date.fromisoformat(shared)
        cost = _instructions(db, lambda: session_exists(db, worker, GROUP, on, SessionStatus.HELD))
        groups = db.execute(
            "SELECT count(*) FROM sessions WHERE type = 'group' AND session_date = ?", [shared]
        ).fetchone()[0]
        assert groups > 100
        assert not session_exists(db, worker, GROUP, on, SessionStatus.HELD)
        assert cost < 500, (cost, groups)  # a handful of index lookups, not one per group
    finally:
        close_database(db)
