"""The compliance pack's faster reads give what the plain ones give, on the demo service.

``period_sessions`` (one read of the period's sessions) must equal the plain reads below
(``sessions_in_period``, ``held_records_between``: the code it replaced, kept here as the
reference); ``gather_compliance`` must hold what those plain reads and
``compute_schedule`` on each month end say; ``slots_maker`` must make the same objects as the
dataclass itself.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import date, timedelta

import pytest

from app.domain.catalogue import BUILTIN_KEYS, DEFAULT_CATALOGUE, GROUP, LINE
from app.domain.model import DueStatus, SessionStatus, WorkerFacts
from app.domain.quality import quality_gaps
from app.domain.records import Action, ActionOwner, Decision, SessionRecord
from app.domain.rows import SessionLine
from app.domain.slots import slots_maker
from app.services.compliance_data import gather_compliance, month_ends
from app.services.demo import load_demo
from app.services.scheduling import compute_schedule
from app.storage.db import Database
from app.storage.reporting import _IN_PERIOD, _TEAM, QualityInput, _Days, _lines, period_sessions
from app.storage.rows import to_date
from tests.app.test_schedule_history import assert_matches

# The plain reads (four queries with joins, sorted in SQL) that period_sessions replaced.


def sessions_in_period(db: Database, date_from: date, date_to: date) -> list[SessionLine]:
    """Every session dated in [date_from, date_to] whatever its status, oldest first."""
    return _lines(
        db,
        f"s.status IN ('held', 'cancelled', 'dna', 'planned') AND {_IN_PERIOD}",
        [date_from.isoformat(), date_to.isoformat()],
    )


def held_records_between(db: Database, date_from: date, date_to: date) -> list[QualityInput]:
    """Held sessions in the period, loaded for the record-quality check in four queries."""
    params = [date_from.isoformat(), date_to.isoformat()]
    rows = db.execute(
        "SELECT s.id, s.type, s.session_date, s.worker_id, s.supervisor_id, s.issues, "
        "s.case_discussion, s.risk_link, s.case_refs, s.referral_refs, "
        f"{_TEAM}, coalesce(sup.name, ''), sup.qualified_clinical "
        "FROM sessions s LEFT JOIN workers w ON w.id = s.worker_id "
        "LEFT JOIN workers sup ON sup.id = s.supervisor_id "
        f"WHERE s.status = 'held' AND {_IN_PERIOD} ORDER BY s.session_date, s.id",
        params,
    ).fetchall()
    in_period = f"SELECT s.id FROM sessions s WHERE s.status = 'held' AND {_IN_PERIOD}"
    decisions: dict[str, list[Decision]] = defaultdict(list)
    for sid, text, rationale in db.execute(
        f"SELECT session_id, text, rationale FROM decisions WHERE session_id IN ({in_period}) "
        "ORDER BY session_id, position",
        params,
    ):
        decisions[sid].append(Decision(text, rationale))
    actions: dict[str, list[Action]] = defaultdict(list)
    for sid, description, owner, due in db.execute(
        f"SELECT session_id, description, owner, due_date FROM actions "
        f"WHERE session_id IN ({in_period}) ORDER BY session_id, position",
        params,
    ):
        actions[sid].append(
            Action(description, ActionOwner(owner) if owner else None, to_date(due))
        )
    attendees: dict[str, list[str]] = defaultdict(list)
    for sid, wid in db.execute(
        f"SELECT session_id, worker_id FROM session_attendees WHERE session_id IN ({in_period})",
        params,
    ):
        attendees[sid].append(wid)
    out: list[QualityInput] = []
    days = _Days()
    for (sid, type_, on, wid, sup_id, issues, case, risk, case_refs, referral_refs, team,
         sup_name, qualified) in rows:  # fmt: skip
        rec = SessionRecord(
            type=type_,
            status=SessionStatus.HELD,
            session_date=days[on],
            worker_id=wid,
            supervisor_id=sup_id,
            issues=issues,
            case_discussion=case,
            risk_link=None if risk is None else bool(risk),
            case_refs=case_refs,
            referral_refs=referral_refs,
            decisions=decisions.get(sid, []),
            actions=actions.get(sid, []),
            attendees=attendees.get(sid, []),
            id=sid,
        )
        out.append(
            QualityInput(rec, team, sup_name, None if qualified is None else bool(qualified))
        )
    return out


TODAY = date(2026, 11, 26)
YEAR = (TODAY - timedelta(days=365), TODAY)


@pytest.fixture
def demo(db: Database) -> Database:
    load_demo(db, today=TODAY)
    return db


@pytest.mark.parametrize(
    "period",
    [YEAR, (date(2026, 1, 1), TODAY), (TODAY - timedelta(days=40), TODAY), (TODAY, TODAY)],
)
def test_period_sessions_equal_the_plain_reads(demo: Database, period) -> None:
    lines, held = period_sessions(demo, *period)
    assert lines == sessions_in_period(demo, *period)  # same lines, same order
    assert held == held_records_between(demo, *period)  # same records, same order


def test_the_year_has_every_kind_of_session(demo: Database) -> None:
    """The comparison above means something: the demo year holds what the pack reports."""
    lines, held = period_sessions(demo, *YEAR)
    statuses = {x.status for x in lines}
    assert {SessionStatus.HELD, SessionStatus.CANCELLED} <= statuses
    assert any(x.type == GROUP and x.attendees >= 2 for x in lines)
    assert any(x.signed_at is None for x in lines if x.status is SessionStatus.HELD)
    assert any(q.record.decisions for q in held) and any(q.record.actions for q in held)
    assert any(
        quality_gaps(
            q.record, DEFAULT_CATALOGUE[q.record.type], supervisor_qualified=q.supervisor_qualified
        )
        for q in held
    )
    names = [x.worker_name for x in lines if x.worker_name]
    assert len(set(names)) > 3  # the order by name inside a day is exercised


def test_month_end_schedules_with_history_before_the_period(demo: Database) -> None:
    ends = [d for d, _ in month_ends(*YEAR)]
    first = ends[0].isoformat()
    before = demo.execute(
        "SELECT count(*) FROM sessions WHERE status = 'held' AND session_date < ?", [first]
    ).fetchone()[0]
    assert before > 0  # the latest held before the first month end must still be found
    assert_matches(demo, ends)


def test_gather_holds_what_the_plain_reads_say(demo: Database) -> None:
    data = gather_compliance(demo, *YEAR, today=TODAY)
    for point in data.points:
        assert point.table == compute_schedule(demo, point.on).compliance_table()

    lines = sessions_in_period(demo, *YEAR)
    assert data.cancelled == [x for x in lines if x.status is SessionStatus.CANCELLED]
    assert data.dna == sum(1 for x in lines if x.status is SessionStatus.DID_NOT_ATTEND)
    held_lines = [x for x in lines if x.status is SessionStatus.HELD]
    assert data.unsigned == [x for x in held_lines if x.signed_at is None]
    # A group record awaits while any attendee has not responded in their own name.
    groups_waiting = {
        str(r[0])
        for r in demo.execute(
            "SELECT DISTINCT a.session_id FROM session_attendees a WHERE NOT EXISTS "
            "(SELECT 1 FROM attendee_responses r WHERE r.session_id = a.session_id "
            "AND r.worker_id = a.worker_id)"
        )
    }
    assert data.awaiting == [
        x for x in held_lines
        if x.signed_at is not None
        and (x.id in groups_waiting if x.type == GROUP else x.supervisee_response is None)
    ]  # fmt: skip
    assert any(x.type == GROUP for x in data.awaiting)
    held = held_records_between(demo, *YEAR)
    assert data.held == len(held) > 0
    assert data.quality == [
        (
            q.team,
            tuple(
                g.code
                for g in quality_gaps(
                    q.record,
                    DEFAULT_CATALOGUE[q.record.type],
                    supervisor_qualified=q.supervisor_qualified,
                )
            ),
        )
        for q in held
    ]
    assert any(gaps for _team, gaps in data.quality)

    end = compute_schedule(demo, TODAY)
    overdue = {
        (row.facts.name, t)
        for row in end.rows
        for t in BUILTIN_KEYS
        if row.status.by_type[t].status is DueStatus.OVERDUE
    }
    assert overdue and {(o.worker, o.type) for o in data.overdue} == overdue


def test_slots_maker_makes_the_same_object() -> None:
    make = slots_maker(SessionLine)
    values = ("s1", LINE, SessionStatus.HELD, TODAY, "Ann", 0, "Bo", "T", "",
              None, None)  # fmt: skip
    made = make(*values)
    assert type(made) is SessionLine and made == SessionLine(*values)
    assert hash(made) == hash(SessionLine(*values))
    with pytest.raises(TypeError):
        make(*values[:-1])

    # Defaults are never filled in: every field is given, a fresh value for a factory field.
    facts = WorkerFacts("w1", "Ann", TODAY, frozenset(BUILTIN_KEYS))
    values = [getattr(facts, f.name) for f in fields(WorkerFacts)]
    made_facts = slots_maker(WorkerFacts)(*values[:-1], {})
    assert made_facts == facts and made_facts.extra == {} and made_facts.extra is not facts.extra
    with pytest.raises(TypeError):
        slots_maker(WorkerFacts)("w1", "Ann", TODAY, frozenset(BUILTIN_KEYS))

    @dataclass(frozen=True, slots=True)
    class Checked:
        a: int

        def __post_init__(self) -> None:
            if self.a < 0:
                raise ValueError("negative")

    assert slots_maker(Checked) is Checked  # its __init__ does more: the plain constructor
