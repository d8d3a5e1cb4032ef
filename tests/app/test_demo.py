"""The demo service: loads into an empty database only, is deterministic, and shows what it
promises (every status, a not-assessed worker, an open trigger, a real theme trend)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from app.domain.catalogue import GROUP
from app.domain.model import DueStatus, Worker
from app.errors import UsageError
from app.services.demo import TREND_THEME, load_demo
from app.services.scheduling import compute_schedule, status_records
from app.storage.db import Database, close_database, open_database
from app.storage.workers import insert_worker

REPO = Path(__file__).resolve().parents[2]

TABLES = (
    "workers", "risk_assessments", "leave_periods", "overrides", "trigger_events", "sessions",
    "session_attendees", "decisions", "actions", "action_reviews", "session_themes", "themes",
)  # fmt: skip


def counts(db: Database) -> dict[str, int]:
    return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def load(path: Path, today: date) -> Database:
    db = open_database(path)
    load_demo(db, today=today)
    return db


def test_demo_loads_a_realistic_service(db: Database, today: date) -> None:
    summary = load_demo(db, today=today)
    assert summary.startswith("Loaded the demo service: 25 workers in 3 teams, ")
    assert "\n" not in summary
    n = counts(db)
    assert n["workers"] == 25
    assert n["sessions"] > 300
    assert n["session_attendees"] > 100
    names = {r[0] for r in db.execute("SELECT name FROM workers").fetchall()}
    assert {"Łukasz Nowak", "Zoë Hartley", "Amira Haddad", "Noa Ben-David"} <= names
    teams = {r[0] for r in db.execute("SELECT DISTINCT team FROM workers").fetchall()}
    assert teams == {"North Community Team", "South Community Team", "Crisis & Home Treatment"}
    assert db.execute("SELECT count(*) FROM workers WHERE left_on IS NOT NULL").fetchone()[0] == 1
    employment = {r[0] for r in db.execute("SELECT employment FROM workers").fetchall()}
    assert employment == {"permanent", "bank", "agency", "student"}
    # Supervisors are set and clinical supervisors are qualified.
    unqualified = db.execute(
        "SELECT count(*) FROM workers w JOIN workers s ON s.id = w.clinical_supervisor_id "
        "WHERE s.qualified_clinical = 0"
    ).fetchone()[0]
    assert unqualified == 0
    assert (
        db.execute("SELECT count(*) FROM workers WHERE line_supervisor_id IS NOT NULL").fetchone()[
            0
        ]
        >= 20
    )

    # A brand-new starter with support need 3.
    new = db.execute(
        "SELECT w.start_date, a.support_need FROM workers w "
        "JOIN risk_assessments a ON a.worker_id = w.id WHERE w.start_date = ?",
        [(today - timedelta(days=20)).isoformat()],
    ).fetchall()
    assert new == [((today - timedelta(days=20)).isoformat(), 3)]
    # Reassessed workers keep their history.
    reassessed = db.execute(
        "SELECT count(*) FROM (SELECT worker_id FROM risk_assessments GROUP BY worker_id "
        "HAVING count(*) > 1)"
    ).fetchone()[0]
    assert reassessed >= 3

    statuses = dict(db.execute("SELECT status, count(*) FROM sessions GROUP BY status").fetchall())
    assert set(statuses) == {"held", "cancelled", "dna", "planned"}
    reasons = dict(
        db.execute(
            "SELECT cancel_reason, count(*) FROM sessions WHERE status = 'cancelled' "
            "GROUP BY cancel_reason"
        ).fetchall()
    )
    assert max(reasons, key=lambda r: reasons[r]) == "Workload / caseload pressure"
    assert "Sickness" in reasons
    planned = db.execute(
        "SELECT min(session_date), max(session_date) FROM sessions WHERE status = 'planned'"
    ).fetchone()
    assert planned[0] > today.isoformat()
    assert (
        db.execute(
            "SELECT count(*) FROM sessions WHERE status = 'held' AND session_date > ?",
            [today.isoformat()],
        ).fetchone()[0]
        == 0
    )
    types = {r[0] for r in db.execute("SELECT DISTINCT type FROM sessions WHERE status = 'held'")}
    assert types == {"line", "clinical", "group"}
    small_groups = db.execute(
        "SELECT count(*) FROM sessions s WHERE type = 'group' AND "
        "(SELECT count(*) FROM session_attendees a WHERE a.session_id = s.id) < 2"
    ).fetchone()[0]
    assert small_groups == 0

    # Records that evidence: issues, decisions with rationale, actions with owner and due date.
    held = db.execute(
        "SELECT count(*), sum(issues <> ''), sum(risk_link IS NOT NULL) FROM sessions "
        "WHERE status = 'held'"
    ).fetchone()
    assert held[0] == held[1] == held[2]
    no_decision = db.execute(
        "SELECT count(*) FROM sessions s WHERE status = 'held' AND NOT EXISTS "
        "(SELECT 1 FROM decisions d WHERE d.session_id = s.id AND d.rationale <> '')"
    ).fetchone()[0]
    assert no_decision == 0
    assert (
        db.execute(
            "SELECT count(*) FROM actions WHERE owner IS NULL OR due_date IS NULL OR evidence = ''"
        ).fetchone()[0]
        == 0
    )
    action_status = dict(
        db.execute("SELECT status, count(*) FROM actions GROUP BY status").fetchall()
    )
    assert set(action_status) == {"open", "done", "dropped"}
    overdue_open = db.execute(
        "SELECT count(*) FROM actions WHERE status = 'open' AND due_date < ?",
        [today.isoformat()],
    ).fetchone()[0]
    assert 0 < overdue_open < action_status["open"]
    # Case references are pseudonymous codes only.
    refs = [r[0] for r in db.execute("SELECT case_refs FROM sessions WHERE case_refs <> ''")]
    assert refs
    assert all(re.fullmatch(r"C-\d{4}(, C-\d{4})*", r) for r in refs)
    pulses = db.execute(
        "SELECT count(*) FROM sessions WHERE status = 'held' AND type <> 'group' "
        "AND (wellbeing IS NULL OR workload IS NULL OR moral_distress IS NULL)"
    ).fetchone()[0]
    assert pulses == 0
    # Leave: one worker off sick now, one back; one override with reason and expiry.
    assert (
        db.execute(
            "SELECT count(*) FROM leave_periods WHERE kind = 'sickness' AND end_date IS NULL"
        ).fetchone()[0]
        == 1
    )
    assert (
        db.execute(
            "SELECT count(*) FROM leave_periods WHERE end_date < ?", [today.isoformat()]
        ).fetchone()[0]
        >= 1
    )
    override = db.execute("SELECT reason, expires_on FROM overrides").fetchall()
    assert len(override) == 1
    assert override[0][0].strip()
    assert override[0][1] > today.isoformat()


def test_refuses_a_database_with_workers_and_changes_nothing(db: Database, today: date) -> None:
    insert_worker(db, Worker(id="", name="Existing Person", team="Somewhere"))
    db.conn.commit()
    before = counts(db)
    with pytest.raises(UsageError, match="already holds 1 worker") as err:
        load_demo(db, today=today)
    message = str(err.value)
    assert message.count(".") == 1 and message.endswith(".")
    assert counts(db) == before


def _content(db: Database) -> list[tuple[object, ...]]:
    return db.execute(
        "SELECT s.type, s.status, s.session_date, coalesce(w.name, ''), s.issues, s.case_refs, "
        "s.wellbeing, s.cancel_reason FROM sessions s LEFT JOIN workers w ON w.id = s.worker_id "
        "ORDER BY 1, 2, 3, 4, 5"
    ).fetchall()


def test_demo_is_deterministic(tmp_path: Path, today: date) -> None:
    one = load(tmp_path / "one.db", today)
    two = load(tmp_path / "two.db", today)
    try:
        assert counts(one) == counts(two)
        first = status_records(compute_schedule(one, today))
        second = status_records(compute_schedule(two, today))
        for record in (*first, *second):
            record.pop("worker_id")
        assert first == second
        assert _content(one) == _content(two)
    finally:
        close_database(one)
        close_database(two)


@pytest.mark.parametrize(
    "as_of",
    [
        date(2026, 11, 26),  # a Thursday (the suite's today)
        date(2027, 3, 1),  # a Monday
        date(2026, 8, 15),  # a Saturday
        date(2028, 2, 29),  # a leap day
    ],
)
def test_schedule_shows_every_status(tmp_path: Path, as_of: date) -> None:
    db = load(tmp_path / "demo.db", as_of)
    try:
        schedule = compute_schedule(db, as_of)
        overall = [r.status.overall for r in schedule.rows]
        assert len(overall) == 24  # the worker who left is not on the scheduler
        assert overall.count(DueStatus.OVERDUE) >= 3
        assert overall.count(DueStatus.DUE_SOON) >= 3
        assert overall.count(DueStatus.ON_TRACK) >= 3
        assert overall.count(DueStatus.PAUSED) == 1
        tiers = {r.status.tier.value for r in schedule.rows if r.status.assessed}
        assert tiers == {"high", "standard", "low"}
        assert [r.facts.name for r in schedule.rows if not r.status.assessed] == ["Marcus Reid"]
        cells = [s for r in schedule.rows for s in r.status.by_type.values()]
        assert any(s.status is DueStatus.NOT_REQUIRED for s in cells)
        assert any(s.booked is not None for s in cells)
        assert any("override" in s.reason for s in cells)
        assert any("new in post" in s.reason for s in cells)
        open_triggers = [
            s for s in cells if "safeguarding trigger" in s.reason and s.type == "clinical"
        ]
        assert len(open_triggers) == 1
        assert open_triggers[0].due == as_of + timedelta(days=4)
        assert open_triggers[0].status is DueStatus.DUE_SOON
    finally:
        close_database(db)


def test_delayed_crisis_response_is_a_real_trend(db: Database, today: date) -> None:
    load_demo(db, today=today)
    since = (today - timedelta(days=56)).isoformat()
    rows = db.execute(
        "SELECT s.id, s.worker_id FROM sessions s JOIN session_themes st ON st.session_id = s.id "
        "JOIN themes t ON t.id = st.theme_id WHERE t.name = ? AND s.status = 'held' "
        "AND s.session_date >= ? AND s.session_date <= ? AND s.worker_id IS NOT NULL",
        [TREND_THEME, since, today.isoformat()],
    ).fetchall()
    assert len(rows) >= 5
    assert len({worker for _, worker in rows}) >= 4
    # It stands out: no other theme reaches as many workers in the same window.
    per_theme = db.execute(
        "SELECT t.name, count(DISTINCT s.worker_id) FROM sessions s "
        "JOIN session_themes st ON st.session_id = s.id JOIN themes t ON t.id = st.theme_id "
        "WHERE s.status = 'held' AND s.session_date >= ? AND t.name NOT IN (?, ?) "
        "GROUP BY t.name",
        [since, TREND_THEME, "System blockage or delay"],
    ).fetchall()
    assert all(workers < len({w for _, w in rows}) for _, workers in per_theme)


def test_actions_are_in_the_state_their_latest_review_left_them(db: Database, today: date) -> None:
    load_demo(db, today=today)
    reviews: dict[str, list[tuple[str, str]]] = {}
    for action_id, outcome, on in db.execute(
        "SELECT r.action_id, r.outcome, s.session_date FROM action_reviews r "
        "JOIN sessions s ON s.id = r.session_id"
    ).fetchall():
        reviews.setdefault(action_id, []).append((on, outcome))
    actions = {
        r[0]: r[1:]
        for r in db.execute("SELECT id, status, closed_on, session_id FROM actions").fetchall()
    }
    checked = 0
    for action_id, seen in reviews.items():
        last = max(on for on, _ in seen)
        outcomes = {outcome for on, outcome in seen if on == last}
        if len(outcomes) != 1:
            continue
        (outcome,) = outcomes
        status, closed_on, _session = actions[action_id]
        assert status == outcome
        assert closed_on == (None if outcome == "open" else last)
        checked += 1
    assert checked > 100
    # Never-reviewed actions are still open, and every action was created in a held session.
    for action_id, (status, closed_on, _session) in actions.items():
        if action_id not in reviews:
            assert (status, closed_on) == ("open", None)
    assert (
        db.execute(
            "SELECT count(*) FROM actions a JOIN sessions s ON s.id = a.session_id "
            "WHERE s.status <> 'held'"
        ).fetchone()[0]
        == 0
    )


def test_demo_types_need_their_supervision(db: Database, today: date) -> None:
    load_demo(db, today=today)
    rows = compute_schedule(db, today).rows
    group_cells = [r.status.by_type[GROUP] for r in rows]
    assert sum(c.last_held is not None for c in group_cells) >= 15


def _cli(db_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    python = REPO / ".venv" / "bin" / "python"
    return subprocess.run(
        [str(python if python.exists() else sys.executable), str(REPO / "main.py"),
         "--db", str(db_path), *args],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip


def test_cli_demo_then_refuses_a_second_time(db_path: Path) -> None:
    first = _cli(db_path, "demo")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Loaded the demo service: 25 workers in 3 teams")
    second = _cli(db_path, "demo")
    assert second.returncode != 0
    assert second.stdout == ""
    err = second.stderr.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1
    assert "already holds 25 workers" in err


def test_the_demo_holds_evidence_that_check_verifies(
    db: Database, db_path: Path, today: date
) -> None:
    """Signed records (about two thirds of the held ones older than a week), acknowledged and
    disagreed responses, addenda, a governance item closed with its change made — every step
    in the audit trail with its hash, so check verifies it all."""
    from app.services.integrity import check_database

    summary = load_demo(db, today=today)
    week_ago = (today - timedelta(days=7)).isoformat()
    held_old, signed_old, signed_recent = db.execute(
        "SELECT count(*), sum(signed_at IS NOT NULL), "
        "(SELECT count(*) FROM sessions WHERE signed_at IS NOT NULL AND session_date > ?) "
        "FROM sessions WHERE status = 'held' AND session_date <= ?",
        [week_ago, week_ago],
    ).fetchone()
    assert 0.6 <= signed_old / held_old <= 0.73, (signed_old, held_old)
    assert signed_recent == 0, "the last week's records are still drafts"
    responses = dict(
        db.execute(
            "SELECT supervisee_response, count(*) FROM sessions WHERE signed_at IS NOT NULL "
            "GROUP BY 1"
        ).fetchall()
    )
    assert responses["acknowledged"] > 100 and responses["disagreed"] >= 2
    assert responses[None] > 0, "some signed records still await their supervisee"
    disagreed = db.execute(
        "SELECT s.supervisee_comment, (SELECT count(*) FROM addenda a WHERE a.session_id = s.id) "
        "FROM sessions s WHERE supervisee_response = 'disagreed'"
    ).fetchall()
    assert all(comment.strip() and answers >= 1 for comment, answers in disagreed), disagreed
    reasons = {r[0] for r in db.execute("SELECT reason FROM addenda").fetchall()}
    assert "Correction: a case reference was mistyped" in reasons
    (closed,) = db.execute(
        "SELECT count(*) FROM governance_items WHERE status = 'closed' AND trim(change_made) <> ''"
    ).fetchone()
    assert closed == 1
    # Every fingerprint verifies, and every piece of evidence matches its audit entry.
    signs = db.execute("SELECT count(*) FROM audit_log WHERE action = 'sign'").fetchone()[0]
    assert signs == signed_old
    assert f"{signed_old} signed records" in summary and "disagreed with" in summary
    report = check_database(db_path)
    assert report.ok and not report.warnings, report.lines()
