"""``latest_held`` and ``latest_assessment``: the triggers keep them equal to a fresh computation
after every kind of write, and the loader gives the same facts with them as without them."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import dbapi
from app.domain.catalogue import CLINICAL, GROUP, LINE
from app.domain.model import DueStatus, RiskFactors, SessionStatus, Tier, TypeKey, Worker
from app.domain.records import SessionRecord
from app.services.demo import load_demo
from app.services.integrity import check_database
from app.services.scheduling import compute_schedule, status_records
from app.storage.db import Database, close_database, new_id, open_database, transaction, utc_now
from app.storage.evidence import respond, sign
from app.storage.schedule_facts import (
    load_worker_facts,
    rebuild_schedule_cache,
    schedule_cache_drift,
)
from app.storage.sessions import get_session, save_session
from app.storage.workers import add_assessment, insert_worker

REPO = Path(__file__).resolve().parents[2]
V1_FIXTURE = REPO / "tests" / "fixtures" / "schema-v1.db"
AS_OF = date(2026, 11, 26)
LINE, CLINICAL, GROUP = LINE, CLINICAL, GROUP
HELD, PLANNED = SessionStatus.HELD, SessionStatus.PLANNED
FACTORS = RiskFactors(2, 2, 2, 2)


def day(offset: int) -> date:
    return AS_OF + timedelta(days=offset)


def assert_fresh(db: Database) -> None:
    """Both tables equal what the records give now, row for row."""
    assert schedule_cache_drift(db) == {"latest_held": 0, "latest_assessment": 0}


def held_cells(db: Database) -> dict[tuple[str, str], str]:
    return {(w, t): d for w, t, d in db.execute("SELECT * FROM latest_held")}


def add_workers(db: Database, n: int) -> list[str]:
    with transaction(db):
        return [
            insert_worker(db, Worker(id="", name=f"Worker {i}", start_date=day(-400))).id
            for i in range(n)
        ]


def session(
    db: Database,
    type_: TypeKey,
    status: SessionStatus,
    on: date,
    worker: str | None = None,
    attendees: list[str] | None = None,
) -> str:
    rec = SessionRecord(
        type=type_,
        status=status,
        session_date=on,
        worker_id=worker,
        attendees=attendees or [],
        cancel_reason="rota clash" if status is SessionStatus.CANCELLED else "",
    )
    with transaction(db):
        return save_session(db, rec).id


def resave(db: Database, session_id: str, **changes: object) -> None:
    """Change a stored session through the app's own save (children replaced as it does)."""
    rec = get_session(db, session_id)
    assert rec is not None
    for name, value in changes.items():
        setattr(rec, name, value)
    if rec.status is SessionStatus.CANCELLED and not rec.cancel_reason:
        rec.cancel_reason = "rota clash"
    with transaction(db):
        save_session(db, rec)


# --------------------------------------------------------------------------- one-to-one


def test_one_to_one_writes_keep_latest_held_fresh(db: Database) -> None:
    a, b = add_workers(db, 2)
    assert held_cells(db) == {}
    first = session(db, LINE, HELD, day(-30), a)
    assert held_cells(db) == {(a, "line"): day(-30).isoformat()}
    later = session(db, LINE, PLANNED, day(-5), a)
    assert_fresh(db)
    assert held_cells(db)[a, "line"] == day(-30).isoformat()  # planned never counts

    resave(db, later, status=HELD)  # planned → held
    assert held_cells(db)[a, "line"] == day(-5).isoformat()
    resave(db, later, status=SessionStatus.CANCELLED)  # held → cancelled: back to the first
    assert held_cells(db)[a, "line"] == day(-30).isoformat()
    resave(db, later, status=SessionStatus.DID_NOT_ATTEND)
    resave(db, later, status=HELD)
    resave(db, later, session_date=day(-40))  # the date moves before the other one
    assert held_cells(db)[a, "line"] == day(-30).isoformat()
    resave(db, first, session_date=day(20))  # and one after the as-of date is still latest
    assert held_cells(db)[a, "line"] == day(20).isoformat()
    resave(db, first, type=CLINICAL)  # type changed: both cells recomputed
    assert held_cells(db) == {
        (a, "line"): day(-40).isoformat(),
        (a, "clinical"): day(20).isoformat(),
    }
    resave(db, first, worker_id=b)  # moved to another worker
    assert held_cells(db) == {
        (a, "line"): day(-40).isoformat(),
        (b, "clinical"): day(20).isoformat(),
    }
    assert_fresh(db)

    with transaction(db):
        db.execute("DELETE FROM sessions WHERE id = ?", [first])
    assert held_cells(db) == {(a, "line"): day(-40).isoformat()}
    with transaction(db):
        db.execute("DELETE FROM sessions WHERE id = ?", [later])
    assert held_cells(db) == {}
    assert_fresh(db)


def test_raw_updates_of_each_column_keep_latest_held_fresh(db: Database) -> None:
    a, b = add_workers(db, 2)
    ids = [session(db, LINE, HELD, day(-n), a) for n in (3, 10, 50)]
    statements = [
        ("UPDATE sessions SET session_date = ? WHERE id = ?", [day(-100).isoformat(), ids[0]]),
        ("UPDATE sessions SET status = 'dna' WHERE id = ?", [ids[1]]),
        ("UPDATE sessions SET type = 'clinical' WHERE id = ?", [ids[2]]),
        ("UPDATE sessions SET worker_id = ? WHERE id = ?", [b, ids[2]]),
        ("UPDATE sessions SET status = 'held', session_date = ? WHERE id = ?", [day(1).isoformat(), ids[1]]),
        ("UPDATE sessions SET id = ? WHERE id = ?", [new_id(), ids[0]]),
        ("UPDATE sessions SET issues = 'no effect on the cache' WHERE worker_id = ?", [a]),
        ("UPDATE sessions SET type = 'group', worker_id = ? WHERE id = ?", [a, ids[1]]),
        ("DELETE FROM sessions WHERE worker_id = ?", [b]),
    ]  # fmt: skip
    for sql, params in statements:
        with transaction(db):
            db.execute(sql, params)
        assert_fresh(db)
    assert held_cells(db) == {
        (a, "line"): day(-100).isoformat(),
        (a, "group"): day(1).isoformat(),
    }
    # INSERT OR REPLACE deletes the old row as it writes the new one: that counts too.
    (moved,) = [sid for (sid,) in db.execute("SELECT id FROM sessions WHERE type = 'line'")]
    now = utc_now()
    with transaction(db):
        db.execute(
            "INSERT OR REPLACE INTO sessions (id, type, status, session_date, worker_id, "
            "created_at, updated_at) VALUES (?, 'clinical', 'held', ?, ?, ?, ?)",
            [moved, day(-7).isoformat(), b, now, now],
        )
    assert held_cells(db) == {
        (b, "clinical"): day(-7).isoformat(),
        (a, "group"): day(1).isoformat(),
    }
    assert_fresh(db)


# --------------------------------------------------------------------------- group sessions


def test_group_writes_keep_latest_held_fresh(db: Database) -> None:
    a, b, c = add_workers(db, 3)
    g1 = session(db, GROUP, HELD, day(-20), attendees=[a, b])
    assert held_cells(db) == {
        (a, "group"): day(-20).isoformat(),
        (b, "group"): day(-20).isoformat(),
    }
    g2 = session(db, GROUP, HELD, day(-10), attendees=[a])
    assert held_cells(db)[a, "group"] == day(-10).isoformat()

    resave(db, g2, attendees=[b, c])  # attendee removed and two added
    assert held_cells(db) == {
        (a, "group"): day(-20).isoformat(),
        (b, "group"): day(-10).isoformat(),
        (c, "group"): day(-10).isoformat(),
    }
    resave(db, g2, status=SessionStatus.CANCELLED)
    assert held_cells(db) == {
        (a, "group"): day(-20).isoformat(),
        (b, "group"): day(-20).isoformat(),
    }
    resave(db, g2, status=HELD, session_date=day(-30))
    assert_fresh(db)
    resave(db, g1, session_date=day(-40))
    assert held_cells(db)[a, "group"] == day(-40).isoformat()
    assert held_cells(db)[b, "group"] == day(-30).isoformat()

    # Attendances written directly: added, moved to another worker or session, removed.
    with transaction(db):
        db.execute("INSERT INTO session_attendees (session_id, worker_id) VALUES (?, ?)", [g2, a])
    assert held_cells(db)[a, "group"] == day(-30).isoformat()
    with transaction(db):
        db.execute(
            "UPDATE session_attendees SET session_id = ? WHERE session_id = ? AND worker_id = ?",
            [g1, g2, c],
        )
    assert_fresh(db)
    with transaction(db):
        db.execute(
            "UPDATE session_attendees SET worker_id = ? WHERE session_id = ? AND worker_id = ?",
            [c, g2, a],
        )
    assert_fresh(db)
    with transaction(db):
        db.execute("DELETE FROM session_attendees WHERE worker_id = ?", [b])
    assert_fresh(db)
    assert all(w != b for w, _ in held_cells(db))

    # A deleted group session takes its attendances with it (ON DELETE CASCADE).
    with transaction(db):
        db.execute("DELETE FROM sessions WHERE id = ?", [g2])
    assert_fresh(db)
    with transaction(db):
        db.execute("DELETE FROM sessions WHERE id = ?", [g1])
    assert held_cells(db) == {}
    assert_fresh(db)


def test_group_sessions_dated_today_and_ahead_are_kept_too(db: Database) -> None:
    a, b = add_workers(db, 2)
    past = session(db, GROUP, HELD, day(-10), attendees=[a, b])
    today = session(db, GROUP, HELD, day(0), attendees=[a])
    ahead = session(db, GROUP, HELD, day(7), attendees=[b])
    resave(db, past, attendees=[b])  # a leaves the older one: today's still counts
    assert held_cells(db) == {(a, "group"): day(0).isoformat(), (b, "group"): day(7).isoformat()}
    resave(db, ahead, attendees=[a, b])
    resave(db, ahead, session_date=day(3))
    with transaction(db):
        db.execute(
            "DELETE FROM session_attendees WHERE session_id = ? AND worker_id = ?", [ahead, b]
        )
    assert held_cells(db) == {(a, "group"): day(3).isoformat(), (b, "group"): day(-10).isoformat()}
    resave(db, today, status=SessionStatus.CANCELLED)
    with transaction(db):
        db.execute("DELETE FROM sessions WHERE id = ?", [ahead])
    assert held_cells(db) == {(b, "group"): day(-10).isoformat()}
    assert_fresh(db)


def test_type_change_to_and_from_group_moves_the_attendees_cells(
    db: Database,
) -> None:
    a, b = add_workers(db, 2)
    g = session(db, GROUP, HELD, day(-5), attendees=[a, b])
    with transaction(db):
        db.execute("UPDATE sessions SET type = 'line', worker_id = ? WHERE id = ?", [a, g])
    assert held_cells(db) == {(a, "line"): day(-5).isoformat()}  # attendees of a line: no group
    with transaction(db):
        db.execute("UPDATE sessions SET type = 'group', worker_id = NULL WHERE id = ?", [g])
    assert held_cells(db) == {(a, "group"): day(-5).isoformat(), (b, "group"): day(-5).isoformat()}
    assert_fresh(db)


def test_attendances_written_before_their_session_count(db: Database) -> None:
    """The demo writes attendances first, with foreign keys deferred to the commit."""
    a, b = add_workers(db, 2)
    g = new_id()
    now = utc_now()
    with transaction(db):
        db.execute("PRAGMA defer_foreign_keys = ON")
        db.execute("INSERT INTO session_attendees (session_id, worker_id) VALUES (?, ?)", [g, a])
        db.execute("INSERT INTO session_attendees (session_id, worker_id) VALUES (?, ?)", [g, b])
        assert held_cells(db) == {}
        db.execute(
            "INSERT INTO sessions (id, type, status, session_date, created_at, updated_at) "
            "VALUES (?, 'group', 'held', ?, ?, ?)",
            [g, day(-3).isoformat(), now, now],
        )
    assert held_cells(db) == {(a, "group"): day(-3).isoformat(), (b, "group"): day(-3).isoformat()}
    assert_fresh(db)


def test_a_group_session_led_as_one_workers_counts_once_at_its_latest(
    db: Database,
) -> None:
    """Led (the session's worker) and attended: the later counts, cached or from the history."""
    (a,) = add_workers(db, 1)
    now = utc_now()
    with transaction(db):
        db.execute(
            "INSERT INTO sessions (id, type, status, session_date, worker_id, created_at, "
            "updated_at) VALUES (?, 'group', 'held', ?, ?, ?, ?)",
            [new_id(), day(-9).isoformat(), a, now, now],
        )
    session(db, GROUP, HELD, day(-2), attendees=[a])
    assert held_cells(db) == {(a, "group"): day(-2).isoformat()}
    assert_fresh(db)
    session(db, LINE, HELD, day(5), a)  # dated ahead: the as-of date below needs the history
    for cached in (True, False):
        (facts,) = load_worker_facts(db, AS_OF, cached=cached)
        held = {s.type: s.on for s in facts.sessions if s.status is HELD}
        assert held == {GROUP: day(-2)}, cached


def test_a_session_id_changed_to_one_its_attendances_already_name(
    db: Database,
) -> None:
    """With foreign keys deferred, attendances may name a session id before it exists."""
    a, b = add_workers(db, 2)
    g = session(db, GROUP, HELD, day(-4), attendees=[a])
    renamed = new_id()
    with transaction(db):
        db.execute("PRAGMA defer_foreign_keys = ON")
        db.execute(
            "INSERT INTO session_attendees (session_id, worker_id) VALUES (?, ?)", [renamed, b]
        )
        db.execute("DELETE FROM session_attendees WHERE session_id = ?", [g])
        db.execute("UPDATE sessions SET id = ? WHERE id = ?", [renamed, g])
    assert held_cells(db) == {(b, "group"): day(-4).isoformat()}
    assert_fresh(db)


def test_a_session_deleted_with_foreign_keys_off_leaves_no_stale_cell(
    db: Database,
) -> None:
    """No cascade then: the orphaned attendances no longer join a held session."""
    a, b = add_workers(db, 2)
    g = session(db, GROUP, HELD, day(-4), attendees=[a, b])
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        with transaction(db):
            db.execute("DELETE FROM sessions WHERE id = ?", [g])
    finally:
        db.execute("PRAGMA foreign_keys = ON")
    assert db.execute("SELECT count(*) FROM session_attendees").fetchone()[0] == 2
    assert held_cells(db) == {}
    assert_fresh(db)


# --------------------------------------------------------------------------- signed records


def test_signed_records_stay_locked_and_the_cache_fresh(db: Database) -> None:
    a, b = add_workers(db, 2)
    one = session(db, CLINICAL, HELD, day(-4), a)
    group = session(db, GROUP, HELD, day(-6), attendees=[a, b])
    with transaction(db):
        sign(db, one, "Supervisor", None)
        sign(db, group, "Facilitator", None)
        respond(db, one, "acknowledged", "Worker 0", "")
    assert_fresh(db)
    for sql, params in (
        ("UPDATE sessions SET status = 'cancelled', cancel_reason = 'x' WHERE id = ?", [one]),
        ("UPDATE sessions SET session_date = ? WHERE id = ?", [day(-1).isoformat(), group]),
        ("DELETE FROM sessions WHERE id = ?", [one]),
        ("DELETE FROM session_attendees WHERE session_id = ?", [group]),
        ("INSERT INTO session_attendees (session_id, worker_id) VALUES (?, ?)", [group, b]),
    ):
        with pytest.raises(dbapi.DatabaseError, match="signed"), transaction(db):
            db.execute(sql, params)
        assert_fresh(db)
    assert held_cells(db) == {
        (a, "clinical"): day(-4).isoformat(),
        (a, "group"): day(-6).isoformat(),
        (b, "group"): day(-6).isoformat(),
    }


# --------------------------------------------------------------------------- assessments


def test_latest_assessment_follows_every_insert(db: Database) -> None:
    a, b = add_workers(db, 2)

    def latest(worker: str) -> tuple[str, str] | None:
        row = db.execute(
            "SELECT assessment_id, assessed_on FROM latest_assessment WHERE worker_id = ?",
            [worker],
        ).fetchone()
        return None if row is None else (row[0], row[1])

    assert latest(a) is None
    with transaction(db):
        first = add_assessment(db, a, day(-100), FACTORS, Tier.STANDARD)
    assert latest(a) == (first.id, day(-100).isoformat())
    with transaction(db):
        add_assessment(db, a, day(-200), RiskFactors(3, 3, 1, 1), Tier.HIGH)
    assert latest(a) == (first.id, day(-100).isoformat())  # an older date never replaces it
    with transaction(db):
        ahead = add_assessment(db, a, day(30), RiskFactors(1, 1, 1, 1), Tier.LOW)
    assert latest(a) == (ahead.id, day(30).isoformat())  # dated ahead: the latest all the same
    # Same day, same second: the greater id wins, as the engine breaks the tie.
    now = utc_now()
    ids = sorted([new_id(), new_id()])
    with transaction(db):
        for aid in reversed(ids):
            db.execute(
                "INSERT INTO risk_assessments (id, worker_id, assessed_on, cohort_risk, "
                "decision_complexity, support_need, volatility, tier, created_at) "
                "VALUES (?, ?, ?, 2, 2, 2, 2, 'standard', ?)",
                [aid, b, day(-1).isoformat(), now],
            )
    assert latest(b) == (ids[1], day(-1).isoformat())
    assert_fresh(db)


# --------------------------------------------------------------------------- random writes

OPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("session"),
            st.sampled_from(["line", "clinical", "group", "group"]),
            st.sampled_from(["held", "held", "planned", "cancelled", "dna"]),
            st.integers(-30, 10),
            st.integers(0, 2),
        ),
        st.tuples(st.just("attend"), st.integers(0, 30), st.integers(0, 2)),
        st.tuples(st.just("attend"), st.integers(0, 30), st.integers(0, 2)),
        st.tuples(st.just("unattend"), st.integers(0, 30), st.integers(0, 2)),
        st.tuples(
            st.just("update"),
            st.integers(0, 30),
            st.sampled_from(["status", "session_date", "type", "worker_id"]),
            st.integers(-30, 10),
        ),
        st.tuples(st.just("delete"), st.integers(0, 30)),
        st.tuples(st.just("assess"), st.integers(0, 2), st.integers(-60, 20)),
    ),
    max_size=25,
)


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


@settings(max_examples=60, deadline=None)
@given(ops=OPS, shift=st.integers(-40, 25))
def test_random_writes_keep_the_cache_fresh_and_the_loader_unchanged(
    scratch: Path, ops: list[tuple[object, ...]], shift: int
) -> None:
    path = scratch / f"{new_id()}.db"
    db = open_database(path)
    try:
        workers = add_workers(db, 3)
        sessions: list[str] = []
        now = utc_now()
        for op in ops:
            with transaction(db):
                _apply(db, op, workers, sessions, now)
            assert_fresh(db)
        as_of = day(shift)
        cached = load_worker_facts(db, as_of, include_left=True)
        assert cached == load_worker_facts(db, as_of, include_left=True, cached=False)
        one = load_worker_facts(db, as_of, worker_ids=workers[:1], include_left=True)
        assert one == [f for f in cached if f.worker_id == workers[0]]
    finally:
        close_database(db)
        path.unlink()


def _apply(
    db: Database,
    op: tuple[object, ...],
    workers: list[str],
    sessions: list[str],
    now: str,
) -> None:
    kind = op[0]
    if kind == "session":
        _, type_, status, offset, who = op
        sid = new_id()
        db.execute(
            "INSERT INTO sessions (id, type, status, session_date, worker_id, cancel_reason, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                sid, type_, status, day(int(offset)).isoformat(),  # type: ignore[call-overload]
                None if type_ == "group" else workers[int(who)],  # type: ignore[call-overload]
                "x" if status == "cancelled" else "", now, now,
            ],
        )  # fmt: skip
        sessions.append(sid)
        return
    if kind == "assess":
        _, who, offset = op
        add_assessment(
            db,
            workers[int(who)],  # type: ignore[call-overload]
            day(int(offset)),  # type: ignore[call-overload]
            FACTORS,
            Tier.STANDARD,
        )
        return
    if not sessions:
        return
    sid = sessions[int(op[1]) % len(sessions)]  # type: ignore[call-overload]
    row = db.execute("SELECT type FROM sessions WHERE id = ?", [sid]).fetchone()
    if row is None:
        return
    if kind == "attend" and row[0] == "group":
        db.execute(
            "INSERT OR IGNORE INTO session_attendees (session_id, worker_id) VALUES (?, ?)",
            [sid, workers[int(op[2])]],  # type: ignore[call-overload]
        )
    elif kind == "unattend":
        db.execute(
            "DELETE FROM session_attendees WHERE session_id = ? AND worker_id = ?",
            [sid, workers[int(op[2])]],  # type: ignore[call-overload]
        )
    elif kind == "update":
        _, _, column, value = op
        if column == "status":
            statuses = ["held", "planned", "dna"]
            db.execute(
                "UPDATE sessions SET status = ? WHERE id = ?",
                [statuses[int(value) % 3], sid],  # type: ignore[call-overload]
            )
        elif column == "session_date":
            db.execute(
                "UPDATE sessions SET session_date = ? WHERE id = ?",
                [day(int(value)).isoformat(), sid],  # type: ignore[call-overload]
            )
        elif column == "type":
            # One-to-one ↔ group keeps the CHECK (a one-to-one session has its worker).
            to = "clinical" if row[0] == "line" else "line" if row[0] == "clinical" else "group"
            db.execute("UPDATE sessions SET type = ? WHERE id = ?", [to, sid])
        elif row[0] != "group":
            who = workers[int(value) % 3]  # type: ignore[call-overload]
            db.execute("UPDATE sessions SET worker_id = ? WHERE id = ?", [who, sid])
    elif kind == "delete":
        db.execute("DELETE FROM sessions WHERE id = ?", [sid])


# --------------------------------------------------------------------------- the loader


def test_the_loader_falls_back_to_the_history_for_past_dates(db: Database) -> None:
    """Cached rows dated after the as-of date: a few workers by id, many set-based; same facts."""
    workers = add_workers(db, 60)
    with transaction(db):
        for i, w in enumerate(workers):
            add_assessment(db, w, day(-300 + i), FACTORS, Tier.STANDARD)
            add_assessment(db, w, day(-20 + i % 30), RiskFactors(3, 3, 2, 2), Tier.HIGH)
            for n in range(4):
                save_session(
                    db, SessionRecord(type=LINE, status=HELD, session_date=day(-15 * n - i % 7),
                                      worker_id=w),
                )  # fmt: skip
        save_session(
            db, SessionRecord(type=GROUP, status=HELD, session_date=day(-12), attendees=workers)
        )
    for offset in (0, -3, -10, -25, -70, -400, 30):
        as_of = day(offset)
        assert load_worker_facts(db, as_of) == load_worker_facts(db, as_of, cached=False), offset
        few = workers[:5]
        assert load_worker_facts(db, as_of, worker_ids=few) == load_worker_facts(
            db, as_of, worker_ids=few, cached=False
        )


def test_the_cache_answers_for_as_of_dates_on_or_after_every_record(
    db: Database, today: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The everyday case never reads the history of held sessions or assessments."""
    load_demo(db, today=today)
    import app.storage.schedule_facts as facts_module

    def history(*args: object) -> None:
        raise AssertionError("read the history")

    expected = load_worker_facts(db, today, cached=False)
    monkeypatch.setattr(facts_module, "_held_rows", history)
    monkeypatch.setattr(facts_module, "_assessment_rows", history)
    assert load_worker_facts(db, today) == expected
    assert len(load_worker_facts(db, today + timedelta(days=30))) == len(expected)


def test_demo_statuses_are_the_same_with_and_without_the_cache(
    db: Database, today: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_demo(db, today=today)
    assert_fresh(db)
    import app.services.scheduling as scheduling

    for offset in (0, 30, -60, -400):
        as_of = today + timedelta(days=offset)
        with_cache = status_records(compute_schedule(db, as_of))

        def uncached(*args: object, **kwargs: object) -> object:
            return load_worker_facts(*args, cached=False, **kwargs)  # type: ignore[arg-type]

        with monkeypatch.context() as patch:
            patch.setattr(scheduling, "load_worker_facts", uncached)
            assert status_records(compute_schedule(db, as_of)) == with_cache, offset


# --------------------------------------------------------------------------- migration, check


def test_migration_fills_both_tables_from_existing_records(tmp_path: Path) -> None:
    path = tmp_path / "keel.db"
    shutil.copyfile(V1_FIXTURE, path)
    db = open_database(path)
    try:
        assert db.execute("SELECT count(*) FROM latest_held").fetchone()[0] > 0
        assert db.execute("SELECT count(*) FROM latest_assessment").fetchone()[0] > 0
        assert_fresh(db)
    finally:
        close_database(db)


def test_check_reports_a_cache_that_disagrees_with_the_records(db_path: Path) -> None:
    db = open_database(db_path)
    try:
        (a,) = add_workers(db, 1)
        session(db, LINE, HELD, day(-3), a)
        assert check_database(db_path).ok
        with transaction(db):
            db.execute("UPDATE latest_held SET session_date = ?", [day(-1).isoformat()])
        report = check_database(db_path)
        assert not report.ok and "latest_held: 1 wrong" in report.problems[0], report.lines()
        with transaction(db):
            rebuild_schedule_cache(db)
        assert_fresh(db)
        assert check_database(db_path).ok
    finally:
        close_database(db)


# --------------------------------------------------------------------------- the engine


def test_the_engines_type_status_is_the_one_the_dataclass_makes() -> None:
    import dataclasses
    import pickle

    from app.domain.schedule import TypeStatus, _new_type_status

    values = ("w1", CLINICAL, Tier.HIGH, True, 14, day(-3), day(11), DueStatus.ON_TRACK, None, "r")
    fast, plain = _new_type_status(*values), TypeStatus(*values)
    assert type(fast) is TypeStatus
    assert fast == plain and hash(fast) == hash(plain) and repr(fast) == repr(plain)
    assert [getattr(fast, f.name) for f in dataclasses.fields(TypeStatus)] == list(values)
    assert dataclasses.replace(fast, reason="x") == dataclasses.replace(plain, reason="x")
    assert pickle.loads(pickle.dumps(fast)) == plain
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.reason = "changed"  # type: ignore[misc]


def test_the_loaders_worker_facts_are_the_ones_the_dataclass_makes() -> None:
    import dataclasses
    import pickle

    from app.domain.model import SessionFact, WorkerFacts
    from app.storage.schedule_facts import _new_worker_facts

    values = (
        "w1", "Ada", day(-90), frozenset({LINE}), "North", "S1", (), (SessionFact(LINE, HELD, day(-2)),),
        (), (), (), None,
    )  # fmt: skip
    fast, plain = _new_worker_facts(*values, {}), WorkerFacts(*values)
    assert type(fast) is WorkerFacts
    assert fast == plain and hash(fast) == hash(plain) and repr(fast) == repr(plain)
    assert fast.extra == {}
    assert dataclasses.replace(fast, name="Bea") == dataclasses.replace(plain, name="Bea")
    assert pickle.loads(pickle.dumps(fast)) == plain
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.name = "changed"  # type: ignore[misc]


def test_the_engines_other_objects_are_the_ones_their_dataclasses_make() -> None:
    import dataclasses
    import pickle

    from app.domain.model import Assessment, LeavePeriod, RiskFactors
    from app.domain.schedule import WorkerStatus, _new_type_status, _new_worker_status
    from app.storage.schedule_facts import _new_assessment, _new_leave

    status = _new_type_status(
        "w1", CLINICAL, Tier.HIGH, True, 14, day(-3), day(11), DueStatus.ON_TRACK, None, "r"
    )
    cases = [
        (_new_worker_status, WorkerStatus,
         ("w1", Tier.HIGH, True, DueStatus.ON_TRACK, {CLINICAL: status})),
        (_new_assessment, Assessment, (day(-30), RiskFactors(3, 2, 2, 1), "2026-10-27", "a1")),
        (_new_leave, LeavePeriod, (day(-5), None)),
        (_new_leave, LeavePeriod, (day(-5), day(3))),
    ]  # fmt: skip
    for make, cls, values in cases:
        fast, plain = make(*values), cls(*values)
        assert type(fast) is cls
        assert fast == plain and repr(fast) == repr(plain), cls
        assert [getattr(fast, f.name) for f in dataclasses.fields(cls)] == list(values)
        assert pickle.loads(pickle.dumps(fast)) == plain
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(fast, dataclasses.fields(cls)[0].name, None)
