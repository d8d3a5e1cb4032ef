"""compute_schedules (many as-of dates, history read once) gives exactly what compute_schedule
gives date by date: the same workers in the same order, the same statuses and reasons."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.model import WorkerFacts
from app.services.compliance_data import month_ends
from app.services.demo import load_demo
from app.services.schedule_history import compliance_table, compute_schedules
from app.services.scheduling import Schedule, compute_schedule
from app.storage.db import Database, close_database, open_database, transaction

TODAY = date(2026, 11, 26)


def _normal(f: WorkerFacts) -> tuple[object, ...]:
    """The facts with their lists in a fixed order (the engine does not depend on the order)."""
    return (
        f.worker_id, f.name, f.start_date, f.requires, f.team, f.staff_id, f.left_on,
        sorted(f.assessments, key=repr), sorted(set(f.sessions), key=repr),
        sorted(f.leave, key=repr), sorted(f.overrides, key=repr), sorted(f.triggers, key=repr),
    )  # fmt: skip


def assert_same(one: Schedule, many: Schedule) -> None:
    assert many.as_of == one.as_of
    assert many.policy == one.policy
    assert [r.worker_id for r in many.rows] == [r.worker_id for r in one.rows]
    for a, b in zip(one.rows, many.rows, strict=True):
        assert b.status == a.status  # every type's tier, interval, dates, status and reason
        assert [s.reason for s in b.status.by_type.values()] == [
            s.reason for s in a.status.by_type.values()
        ]
        assert _normal(b.facts) == _normal(a.facts)
    table = one.compliance_table()
    assert many.compliance_table() == table
    fast = compliance_table(many)
    assert fast == table
    assert list(fast) == list(table)  # same order of teams and types


def assert_matches(db: Database, dates: list[date]) -> None:
    many = compute_schedules(db, dates)
    assert sorted(many) == sorted(set(dates))
    for d in dates:
        assert_same(compute_schedule(db, d), many[d])


def test_demo_month_ends_and_odd_dates(db: Database) -> None:
    load_demo(db, today=TODAY)
    ends = [d for d, _ in month_ends(TODAY - timedelta(days=365), TODAY)]
    odd = [
        TODAY, TODAY - timedelta(days=1), TODAY + timedelta(days=1), TODAY + timedelta(days=45),
        TODAY + timedelta(days=400), date(2024, 2, 29), date(2000, 1, 1), date(2026, 3, 15),
    ]  # fmt: skip
    assert len(ends) >= 13
    assert_matches(db, ends + odd)
    # One date alone, and nothing at all.
    assert_matches(db, [TODAY - timedelta(days=100)])
    assert compute_schedules(db, []) == {}


# A small random service: workers (some left, some not started), sessions of every status
# and type (group ones with attendees), same-day assessments, leave, overrides, triggers.
BASE = date(2026, 1, 1)
_day = st.integers(0, 120).map(lambda n: (BASE + timedelta(days=n)).isoformat())
_types = st.sampled_from(["line", "clinical", "group"])
WORKER = st.tuples(st.booleans(), st.booleans(), st.booleans(), st.none() | _day, st.none() | _day)
SESSION = st.tuples(
    _types, st.sampled_from(["held", "planned", "cancelled", "dna"]), _day,
    st.integers(0, 5), st.lists(st.integers(0, 5), max_size=3, unique=True),
)  # fmt: skip
ASSESSMENT = st.tuples(
    st.integers(0, 5), _day, st.sampled_from(["2026-01-01T00:00:00", "2026-02-01T00:00:00"]),
    st.lists(st.integers(1, 3), min_size=4, max_size=4),
)  # fmt: skip
LEAVE = st.tuples(st.integers(0, 5), _day, st.none() | st.integers(0, 30))
OVERRIDE = st.tuples(st.integers(0, 5), _types, st.integers(1, 90), st.none() | _day, _day)
TRIGGER = st.tuples(st.integers(0, 5), _types, _day, st.integers(0, 20))


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="keel-history-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@settings(max_examples=40, deadline=None)
@given(
    workers=st.lists(WORKER, min_size=1, max_size=6),
    sessions=st.lists(SESSION, max_size=25),
    assessments=st.lists(ASSESSMENT, max_size=8),
    leave=st.lists(LEAVE, max_size=4),
    overrides=st.lists(OVERRIDE, max_size=4),
    triggers=st.lists(TRIGGER, max_size=4),
    dates=st.lists(st.integers(-10, 140), min_size=1, max_size=6),
)
def test_random_services(
    scratch: Path,
    workers: list[tuple],  # type: ignore[type-arg]
    sessions: list[tuple],  # type: ignore[type-arg]
    assessments: list[tuple],  # type: ignore[type-arg]
    leave: list[tuple],  # type: ignore[type-arg]
    overrides: list[tuple],  # type: ignore[type-arg]
    triggers: list[tuple],  # type: ignore[type-arg]
    dates: list[int],
) -> None:
    path = scratch / "random.db"
    path.unlink(missing_ok=True)
    db = open_database(path)
    try:
        now = "2026-01-01T00:00:00"
        n = len(workers)
        ids = [f"w{i}" for i in range(n)]
        with transaction(db):
            for i, (rl, rc, rg, start, left) in enumerate(workers):
                db.execute(
                    "INSERT INTO workers (id, name, team, start_date, left_on, created_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [ids[i], f"Worker {i % 3}", f"T{i % 2}", start, left, now, now],
                )
                for type_, flag in (("line", rl), ("clinical", rc), ("group", rg)):
                    if flag:
                        db.execute(
                            "INSERT INTO worker_required_types (worker_id, type) VALUES (?, ?)",
                            [ids[i], type_],
                        )
            for k, (type_, status, on, who, attendees) in enumerate(sessions):
                wid = ids[who % n] if type_ != "group" or who % 2 else None
                db.execute(
                    "INSERT INTO sessions (id, type, status, session_date, worker_id, "
                    "cancel_reason, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [f"s{k}", type_, status, on, wid,
                     "ill" if status == "cancelled" else "", now, now],
                )  # fmt: skip
                if type_ == "group":
                    for a in {ids[x % n] for x in attendees}:
                        db.execute(
                            "INSERT INTO session_attendees (session_id, worker_id) VALUES (?, ?)",
                            [f"s{k}", a],
                        )
            for k, (who, on, created, f) in enumerate(assessments):
                db.execute(
                    "INSERT INTO risk_assessments (id, worker_id, assessed_on, cohort_risk, "
                    "decision_complexity, support_need, volatility, tier, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, 'standard', ?)",
                    [f"r{k}", ids[who % n], on, *f, created],
                )
            for k, (who, start, length) in enumerate(leave):
                end = (
                    None
                    if length is None
                    else (date.fromisoformat(start) + timedelta(days=length)).isoformat()
                )
                db.execute(
                    "INSERT INTO leave_periods (id, worker_id, start_date, end_date, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [f"l{k}", ids[who % n], start, end, now],
                )
            for k, (who, type_, days, starts, expires) in enumerate(overrides):
                db.execute(
                    "INSERT INTO overrides (id, worker_id, type, interval_days, reason, "
                    "starts_on, expires_on, created_at) VALUES (?, ?, ?, ?, 'r', ?, ?, ?)",
                    [f"o{k}", ids[who % n], type_, days, starts, expires, now],
                )
            for k, (who, type_, on, days) in enumerate(triggers):
                db.execute(
                    "INSERT INTO trigger_events (id, worker_id, kind, event_date, type, "
                    "response_days, created_at) VALUES (?, ?, 'incident', ?, ?, ?, ?)",
                    [f"t{k}", ids[who % n], on, type_, days, now],
                )
        assert_matches(db, [BASE + timedelta(days=d) for d in dates])
    finally:
        close_database(db)
