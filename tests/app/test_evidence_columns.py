"""Every column of every table Keel treats as evidence, changed in turn behind Keel's back (its
triggers dropped): ``check`` names the record it belongs to. Generated from the registry of
evidence (``app.storage.evidence_registry``), so a kind or a column added later is covered too —
and a column that no kind covers, nor lists as exempt with its reason, fails the first test.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.domain.catalogue import CLINICAL, GROUP, LINE
from app.domain.model import (
    LeaveKind,
    RiskFactors,
    SessionStatus,
    TriggerKind,
    Worker,
)
from app.domain.policy import Policy
from app.domain.records import (
    Action,
    ActionOwner,
    ActionReview,
    ActionStatus,
    Decision,
    Escalation,
    Incident,
    SessionRecord,
    SupportKind,
)
from app.services.integrity import check_database
from app.services.qa import QaService
from app.services.records import RecordService
from app.services.sessions import SessionService
from app.services.workers import WorkerService
from app.storage.evidence_registry import kinds
from app.storage.policies import save_policy
from tests.app.evidence_support import built_once, used_copy

ON = date(2026, 10, 5)

# For each (kind, table): a row of that table that belongs to a row of the kind, as the SQL that
# gives the kind's row id then the values of the columns that pick the row out (KEYS).
OWNERS: dict[tuple[str, str], str] = {
    ("signed_record", "sessions"): "SELECT id, id FROM sessions WHERE signed_at IS NOT NULL "
    "AND worker_id IS NOT NULL ORDER BY session_date LIMIT 1",
    ("signed_record", "decisions"): "SELECT d.session_id, d.id FROM decisions d JOIN sessions s "
    "ON s.id = d.session_id WHERE s.signed_at IS NOT NULL LIMIT 1",
    ("signed_record", "decision_themes"): "SELECT d.session_id, dt.decision_id, dt.theme_id "
    "FROM decision_themes dt JOIN decisions d ON d.id = dt.decision_id JOIN sessions s "
    "ON s.id = d.session_id WHERE s.signed_at IS NOT NULL LIMIT 1",
    ("signed_record", "actions"): "SELECT a.session_id, a.id FROM actions a JOIN sessions s "
    "ON s.id = a.session_id WHERE s.signed_at IS NOT NULL LIMIT 1",
    ("signed_record", "action_reviews"): "SELECT r.session_id, r.id FROM action_reviews r JOIN "
    "sessions s ON s.id = r.session_id WHERE s.signed_at IS NOT NULL LIMIT 1",
    ("signed_record", "session_themes"): "SELECT t.session_id, t.session_id, t.theme_id FROM "
    "session_themes t JOIN sessions s ON s.id = t.session_id WHERE s.signed_at IS NOT NULL "
    "LIMIT 1",
    ("signed_record", "session_attendees"): "SELECT a.session_id, a.session_id, a.worker_id "
    "FROM session_attendees a JOIN sessions s ON s.id = a.session_id WHERE s.signed_at IS "
    "NOT NULL LIMIT 1",
    ("response", "sessions"): "SELECT id, id FROM sessions WHERE supervisee_response IS NOT "
    "NULL LIMIT 1",
}
KEYS = {
    "decision_themes": ("decision_id", "theme_id"),
    "session_themes": ("session_id", "theme_id"),
    "session_attendees": ("session_id", "worker_id"),
}


def _owner_sql(kind: str, table: str) -> str:
    return OWNERS.get((kind, table), f"SELECT id, id FROM {table} LIMIT 1")


def _cases() -> list[Any]:
    cases = []
    for kind in kinds().values():
        for table, columns in kind.tables.items():
            for column in columns:
                cases.append(
                    pytest.param(kind.name, table, column, id=f"{kind.name}-{table}.{column}")
                )
    return cases


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One row at least of every table every kind covers, each written through Keel."""
    return built_once(tmp_path_factory.mktemp("evidence"), _fill)


def _fill(db: Any) -> None:
    workers = WorkerService(db)
    lead = workers.save(Worker(id="", name="Amara Okafor", qualified_clinical=True))
    ana = workers.save(Worker(id="", name="Ana Silva", line_supervisor_id=lead.id))
    ben = workers.save(Worker(id="", name="Ben Adeyemi", line_supervisor_id=lead.id))
    themes = [r[0] for r in db.execute("SELECT id FROM themes ORDER BY name LIMIT 2")]
    sessions = SessionService(db)
    records = RecordService(db)
    first = SessionRecord(
        type=LINE, status=SessionStatus.HELD, session_date=ON,
        worker_id=ana.id, supervisor_id=lead.id, start_time="10:00", duration_minutes=60,
        issues="Caseload of 31.", decisions=[Decision("Cap allocations", "Over the norm",
        theme_ids=[themes[0]])], actions=[Action("Review C-1043", ActionOwner.SUPERVISEE,
        ON + timedelta(days=14), "Plan seen")], risk_link=True, case_refs="C-1043",
        theme_ids=[themes[1]], wellbeing=6, supervisor_title="Team lead", sickness_days=2,
        return_to_work=True, wellbeing_concerns="Tired.", support_kinds=[SupportKind.OTHER],
        incidents=[Incident("C-1043", "Check the plan.")], safeguarding=False,
        safeguarding_notes="None.", workload_support="Cap.", staff_comments="Fine.",
        escalation=Escalation.NONE, escalation_notes="-", next_date=ON + timedelta(28),
        next_time="10:00", next_place="Room 2", next_focus="Caseload.",
    )  # fmt: skip
    first.actions[0].review_date = ON + timedelta(7)
    saved = sessions.save(first).record
    records.sign_off(saved.id, "Amara Okafor", confirmed=True, accept_gaps=True)
    records.respond(saved.id, agree=False, name="Ana Silva", comment="Not manageable.")
    records.add_addendum(saved.id, author="Amara Okafor", reason="Follow-up", text="Agreed.")
    action_id = saved.actions[0].id
    second = SessionRecord(
        type=LINE, status=SessionStatus.HELD, session_date=ON + timedelta(28),
        worker_id=ana.id, supervisor_id=lead.id, issues="Review.", risk_link=False,
        decisions=[Decision("Keep the cap", "Still high")],
        reviews=[ActionReview(action_id, ActionStatus.DONE, "Done.")],
    )  # fmt: skip
    records.sign_off(sessions.save(second).record.id, "Amara Okafor", confirmed=True,
                     accept_gaps=True)  # fmt: skip
    group = SessionRecord(
        type=GROUP, status=SessionStatus.HELD, session_date=ON + timedelta(3),
        supervisor_id=lead.id, attendees=[ana.id, ben.id], issues="Reflective group.",
        risk_link=False, decisions=[Decision("Share the learning", "Useful")],
    )  # fmt: skip
    group_id = sessions.save(group).record.id
    records.sign_off(group_id, "Amara Okafor", confirmed=True, accept_gaps=True)
    records.respond(group_id, agree=False, name="Ben Adeyemi", comment="Not my words.",
                    attendee_id=ben.id, copy_received=True,
                    copy_given_on=date.today())  # fmt: skip
    manager = workers.save(Worker(id="", name="Grace Mensah", role="Service manager"))
    qa = QaService(db)
    qa.set_reviewer(manager.id, True)
    qa.countersign(saved.id, manager.id, "Sampled: decisions and rationale are clear.")
    workers.add_assessment(ana.id, ON, RiskFactors(2, 2, 2, 2), assessed_by="Amara",
                           rationale="Periodic review.")  # fmt: skip
    workers.add_leave(ana.id, ON + timedelta(40), ON + timedelta(50), LeaveKind.SICKNESS, "Flu")
    workers.add_override(ana.id, LINE, 21, "Covering a vacancy",
                         ON + timedelta(90), ON)  # fmt: skip
    workers.add_trigger(ana.id, TriggerKind.INCIDENT, ON + timedelta(10),
                        CLINICAL, 7, "An incident.")  # fmt: skip
    with db.atomic():
        save_policy(db, Policy(), created_by="Service manager", effective_from=ON,
                    reason="The service's own policy")  # fmt: skip


@pytest.fixture
def copy(template: Path, tmp_path: Path) -> Path:
    return used_copy(template, tmp_path / "keel.db")


def test_every_column_of_every_evidence_table_is_covered_or_exempt(template: Path) -> None:
    conn = sqlite3.connect(str(template))
    try:
        tables: dict[str, set[str]] = {}
        for kind in kinds().values():
            for table, columns in kind.tables.items():
                tables.setdefault(table, set()).update(columns)
            for table, exempt in kind.exempt.items():
                tables.setdefault(table, set()).update(exempt)
        for table, covered in tables.items():
            present = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
            assert present == covered, (
                f"{table}: columns no kind covers nor exempts: {sorted(present - covered)}; "
                f"covered but gone: {sorted(covered - present)}"
            )
    finally:
        conn.close()


def _candidates(conn: sqlite3.Connection, table: str, column: str, now: Any) -> list[Any]:
    """Other values that column may hold: others already stored there, then variations."""
    found = [
        r[0]
        for r in conn.execute(
            f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT ? LIMIT 5", [now]
        )
    ]
    extra: list[Any] = []
    if isinstance(now, int):
        extra = [now + 1, now - 1, 1 - now, 3]
    elif isinstance(now, str):
        try:
            day = date.fromisoformat(now[:10])
            extra.append(
                (day + timedelta(days=1 if day == date.min else -1)).isoformat() + now[10:]
            )
        except ValueError:
            pass
        extra += [now + " (changed)", "{}" if now.startswith("{") else "x", now.upper()]
        if now.startswith("["):  # a JSON list (schema v11's support kinds and incidents)
            extra.insert(0, "[]" if now != "[]" else '[["forged", ""]]')
        if now.startswith("{"):
            extra.insert(0, now.replace("}", ', "forged": true}') if now != "{}" else '{"a": 1}')
    else:  # NULL
        extra = ["2026-01-01", "x", 1]
    if column == "id" or column.endswith("_id"):
        for source in ("workers", "sessions", "themes", "decisions", "actions"):
            extra += [r[0] for r in conn.execute(f"SELECT id FROM {source} LIMIT 5")]
    return found + extra + [v for v in ENUMS if v != now]


# Every value a CHECK constraint of these tables allows for its enumerated columns.
ENUMS = (
    "planned", "held", "cancelled", "dna", "supervisee", "supervisor", "other", "done", "open",
    "dropped", "high", "standard", "low", "sickness", "parental", "incident", "safeguarding",
    "complaint", "boundary", "return_from_leave", "line", "clinical", "group", "in_person",
    "video", "phone", "workload", "leave", "manageable", "stretched", "excessive",
    "in_progress", "not_started", "acknowledged", "disagreed",
)  # fmt: skip


@pytest.mark.parametrize(("kind", "table", "column"), _cases())
def test_a_changed_column_is_named_by_check(copy: Path, kind: str, table: str, column: str) -> None:
    conn = sqlite3.connect(str(copy))
    try:
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        ).fetchall():
            conn.execute(f'DROP TRIGGER "{name}"')
        owner, *values = conn.execute(_owner_sql(kind, table)).fetchone()
        where = " AND ".join(f"{k} = ?" for k in KEYS.get(table, ("id",)))
        (now,) = conn.execute(f"SELECT {column} FROM {table} WHERE {where}", values).fetchone()
        for candidate in _candidates(conn, table, column, now):
            try:
                conn.execute(f"UPDATE {table} SET {column} = ? WHERE {where}", [candidate, *values])
                break
            except sqlite3.IntegrityError:
                continue
        else:
            pytest.fail(f"no other value could be stored in {table}.{column}")
        conn.commit()
    finally:
        conn.close()
    report = check_database(copy)
    assert not report.ok
    named = [p for p in report.problems if str(owner) in p]
    assert named, f"{table}.{column} changed: nothing names {owner}:\n" + "\n".join(report.lines())
    assert any("outside Keel" in p for p in named)
