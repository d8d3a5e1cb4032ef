"""Wellbeing and workload insight, and supervision agreements: the wellbeing flags' rules, the
worker's pulse series, team aggregates without names, a hand-built month of one supervisor's
sessions, the "crowded out" signal at its threshold, and agreement reviews falling due."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, timedelta

import pytest

from app.domain.agreements import AgreedType, Agreement
from app.domain.insight import (
    FlagKind,
    PulsePoint,
    cancel_category_of,
    current_flags,
    is_crowded_out,
    wellbeing_flags,
)
from app.domain.model import DueStatus, LeaveKind, SessionStatus
from app.domain.policy import Policy
from app.domain.records import CancelCategory, Workload
from app.errors import UsageError
from app.services import agreements as agreements_service
from app.services.insight import (
    TeamWellbeingMonth,
    supervisor_workload,
    team_wellbeing,
    worker_wellbeing,
)
from app.services.workers import WorkerService
from app.storage.audit import entries_for
from app.storage.db import Database
from tests.app.governance_support import CLINICAL, GROUP, LINE, person, session

CANCELLED = SessionStatus.CANCELLED
DNA = SessionStatus.DID_NOT_ATTEND


def points(*scores: tuple[int | None, bool | None]) -> list[PulsePoint]:
    start = date(2026, 1, 5)
    return [
        PulsePoint(f"s{i}", start + timedelta(days=14 * i), LINE, w, None, d)
        for i, (w, d) in enumerate(scores)
    ]


# --------------------------------------------------------------------------- wellbeing rules


def test_wellbeing_falling_over_three_sessions_is_flagged() -> None:
    [flag] = wellbeing_flags(points((7, None), (6, None), (5, None)))
    assert flag.kind is FlagKind.FALLING and flag.session_id == "s2"
    assert "7 → 6 → 5" in flag.message and "support" in flag.message
    assert wellbeing_flags(points((7, None), (6, None), (6, None))) == []  # a level is no fall
    assert wellbeing_flags(points((7, None), (5, None))) == []  # two readings are not three
    # A session without a score neither breaks nor extends the run.
    [flag] = wellbeing_flags(points((7, None), (None, None), (6, None), (5, None)))
    assert flag.session_id == "s3"
    # Four falling readings: two overlapping patterns, two flags.
    assert len(wellbeing_flags(points((8, None), (7, None), (6, None), (5, None)))) == 2


def test_moral_distress_twice_in_a_row_is_flagged() -> None:
    [flag] = wellbeing_flags(points((None, True), (None, True)))
    assert flag.kind is FlagKind.DISTRESS and flag.session_id == "s1"
    assert wellbeing_flags(points((None, True), (None, False), (None, True))) == []
    # Unanswered in between: the two answers are still consecutive.
    assert len(wellbeing_flags(points((None, True), (None, None), (None, True)))) == 1


def test_current_flags_are_those_of_the_latest_reading() -> None:
    history = points((7, True), (6, True), (5, False), (6, False))
    flags = wellbeing_flags(history)
    assert {f.kind for f in flags} == {FlagKind.FALLING, FlagKind.DISTRESS}
    assert current_flags(history, flags) == []  # recovered since
    falling_now = points((7, None), (6, None), (5, None))
    assert len(current_flags(falling_now, wellbeing_flags(falling_now))) == 1


# --------------------------------------------------------------------------- wellbeing data


@pytest.fixture
def crew(db: Database) -> dict:
    lead = person(db, "Amara Okafor", qualified=True)
    return {
        "lead": lead,
        "a": person(db, "Ben Adeyemi", team="Crisis", line_sup=lead.id, clin_sup=lead.id),
        "b": person(db, "Ellie Marsh", team="Crisis", line_sup=lead.id, clin_sup=lead.id),
        "c": person(db, "Gareth Price", team="North", line_sup=lead.id),
    }


def test_a_workers_pulse_over_time_and_its_flags(db, crew) -> None:
    a, lead = crew["a"], crew["lead"]
    session(db, a, date(2026, 3, 2), wellbeing=7, workload=Workload.MANAGEABLE,
            moral_distress=False)  # fmt: skip
    session(db, a, date(2026, 3, 16), type_=CLINICAL, supervisor=lead, wellbeing=6,
            workload=Workload.STRETCHED, moral_distress=True)  # fmt: skip
    session(db, a, date(2026, 3, 30), wellbeing=5, workload=Workload.EXCESSIVE,
            moral_distress=True)  # fmt: skip
    session(db, a, date(2026, 4, 6), status=SessionStatus.PLANNED)  # no pulse
    session(db, None, date(2026, 3, 20), type_=GROUP, supervisor=lead, attendees=[a, crew["b"]])
    pulse = worker_wellbeing(db, a.id)
    assert pulse.series() == [
        (date(2026, 3, 2), 7, Workload.MANAGEABLE, False),
        (date(2026, 3, 16), 6, Workload.STRETCHED, True),
        (date(2026, 3, 30), 5, Workload.EXCESSIVE, True),
    ]
    assert {f.kind for f in pulse.current} == {FlagKind.FALLING, FlagKind.DISTRESS}
    assert [f.on for f in pulse.flags] == [date(2026, 3, 30)] * 2
    later = worker_wellbeing(db, a.id, date_from=date(2026, 3, 20))
    assert [p.on for p in later.points] == [date(2026, 3, 30)]
    assert len(later.flags) == 2  # both completed on 30 Mar, inside the period


def test_team_level_shows_only_aggregates(db, crew) -> None:
    a, b, c = crew["a"], crew["b"], crew["c"]
    for w, scores in ((a, (8, 6, 4)), (b, (7, 7, 7)), (c, (9, 8, 7))):
        for i, score in enumerate(scores):
            session(db, w, date(2026, 5, 4) + timedelta(days=7 * i), wellbeing=score,
                    moral_distress=(w is a and i > 0), workload=Workload.STRETCHED)  # fmt: skip
    session(db, a, date(2026, 6, 8), wellbeing=5)
    months = team_wellbeing(db, date(2026, 5, 1), date(2026, 6, 30))
    may, june = months
    assert may.month == date(2026, 5, 1) and may.readings == 9 and may.workers == 3
    assert may.mean_wellbeing == round((8 + 6 + 4 + 7 + 7 + 7 + 9 + 8 + 7) / 9, 1)
    assert may.moral_distress == 2 and may.workload == {Workload.STRETCHED: 9}
    assert may.flags == 3  # a falling (8,6,4), a distress twice, c falling (9,8,7)
    assert june.readings == 1 and june.mean_wellbeing is None  # too few to show a mean
    crisis = team_wellbeing(db, date(2026, 5, 1), date(2026, 5, 31), team="Crisis")
    assert crisis[0].readings == 6 and crisis[0].flags == 2
    # No field can hold a name or an id.
    assert {f.name for f in fields(TeamWellbeingMonth)} == {
        "month",
        "readings",
        "workers",
        "mean_wellbeing",
        "workload",
        "moral_distress",
        "flags",
    }


# --------------------------------------------------------------------------- workload


def test_cancellation_categories() -> None:
    assert cancel_category_of(None, "Workload / caseload pressure") is CancelCategory.WORKLOAD
    assert cancel_category_of(None, "No capacity on duty day") is CancelCategory.WORKLOAD
    assert cancel_category_of(None, "Short-staffed") is CancelCategory.WORKLOAD
    assert cancel_category_of(None, "Supervisor off sick") is CancelCategory.SICKNESS
    assert cancel_category_of(None, "Supervisor on annual leave") is CancelCategory.LEAVE
    assert cancel_category_of(None, "Fire alarm") is CancelCategory.OTHER
    assert cancel_category_of(CancelCategory.WORKLOAD, "Clinic overran") is CancelCategory.WORKLOAD


def test_crowded_out_threshold() -> None:
    policy = Policy()
    assert (policy.crowded_out_cancellations, policy.crowded_out_share) == (3, 0.25)
    assert is_crowded_out(3, 20, policy)  # three in a month
    assert not is_crowded_out(2, 10, policy)  # 20%
    assert is_crowded_out(2, 8, policy)  # 25%
    assert not is_crowded_out(1, 2, policy)  # one is never a signal
    assert not is_crowded_out(3, 20, Policy(crowded_out_cancellations=4))
    with pytest.raises(ValueError, match="Crowded out: share"):
        Policy(crowded_out_share=0).validate()


def test_a_hand_built_month_of_one_supervisor(db, crew) -> None:
    lead, a, b, c = crew["lead"], crew["a"], crew["b"], crew["c"]
    other_lead = person(db, "Noa Ben-David", qualified=True)
    d = person(db, "Mei Chen", line_sup=other_lead.id)
    march = date(2026, 3, 1)

    def on(day: int) -> date:
        return date(2026, 3, day)

    # Before March: the history gaps are measured from.
    session(db, a, date(2026, 1, 12), supervisor=lead)
    session(db, b, date(2026, 2, 23), supervisor=lead)
    session(db, b, date(2026, 2, 23), type_=CLINICAL, supervisor=lead)
    session(db, a, date(2026, 2, 27), type_=CLINICAL, supervisor=lead)
    # March, supervised by the lead: 4 held (one a group), 4 cancelled, 1 DNA.
    session(db, a, on(20), supervisor=lead)  # a's line gap: 12 Jan → 20 Mar = 67 days
    session(db, b, on(9), type_=CLINICAL, supervisor=lead)
    session(db, c, on(10), supervisor=lead)
    session(db, None, on(11), type_=GROUP, supervisor=lead, attendees=[a, b, c])
    session(db, a, on(3), supervisor=lead, status=CANCELLED,
            cancel_reason="Workload: duty cover")  # fmt: skip
    session(db, b, on(4), supervisor=lead, status=CANCELLED, cancel_reason="Caseload pressure")
    session(db, c, on(5), supervisor=lead, status=CANCELLED, cancel_reason="Clinic overran",
            cancel_category=CancelCategory.WORKLOAD)  # fmt: skip
    session(db, c, on(6), supervisor=lead, status=CANCELLED, cancel_reason="Supervisor sick")
    session(db, b, on(12), supervisor=lead, status=DNA)
    session(db, b, on(30), supervisor=lead, status=SessionStatus.PLANNED)  # not counted
    session(db, a, date(2026, 4, 1), supervisor=lead)  # April: not this month
    # Another supervisor's month: one workload cancellation of two.
    session(db, d, on(2), supervisor=other_lead)
    session(db, d, on(3), supervisor=other_lead, status=CANCELLED, cancel_reason="Workload")

    rows = supervisor_workload(db, march, date(2026, 3, 31))
    by_name = {r.supervisor_name: r for r in rows}
    assert set(by_name) == {"Amara Okafor", "Noa Ben-David"}
    lead_month = by_name["Amara Okafor"]
    assert lead_month.month == march
    assert lead_month.supervisees == 3
    assert (lead_month.held, lead_month.cancelled, lead_month.did_not_attend) == (4, 4, 1)
    assert lead_month.planned == 9
    assert lead_month.cancelled_by == {CancelCategory.WORKLOAD: 3, CancelCategory.SICKNESS: 1}
    assert lead_month.cancel_reasons["Caseload pressure"] == 1
    assert lead_month.workload_cancelled == 3 and lead_month.crowded_out
    assert lead_month.longest_gap_days == 67
    assert (lead_month.longest_gap_worker, lead_month.longest_gap_type) == ("Ben Adeyemi", LINE)
    other = by_name["Noa Ben-David"]
    assert (other.supervisees, other.held, other.cancelled) == (1, 1, 1)
    assert not other.crowded_out  # one workload cancellation is never a signal

    # Leave stops the clock: a's 20 days of sickness in February shorten the gap.
    WorkerService(db).add_leave(a.id, date(2026, 2, 2), date(2026, 2, 21), LeaveKind.SICKNESS)
    again = {r.supervisor_name: r for r in supervisor_workload(db, march, date(2026, 3, 31))}
    assert again["Amara Okafor"].longest_gap_days == 47
    # A more tolerant policy turns the signal off (3 of 9 is under half).
    tolerant = Policy(crowded_out_cancellations=5, crowded_out_share=0.5)
    rows = supervisor_workload(db, march, date(2026, 3, 31), tolerant)
    assert not {r.supervisor_name: r for r in rows}["Amara Okafor"].crowded_out


def test_an_open_gap_runs_to_the_month_end_or_as_of(db) -> None:
    lead = person(db, "Amara Okafor", qualified=True)
    c = person(db, "Gareth Price", line_sup=lead.id)
    newcomer = person(db, "Jade Thompson", line_sup=lead.id, start=date(2026, 3, 2))
    session(db, c, date(2026, 1, 5), supervisor=lead)
    [row] = supervisor_workload(db, date(2026, 3, 1), date(2026, 3, 31))
    assert (row.longest_gap_worker, row.longest_gap_days) == ("Gareth Price", 85)
    [mid] = supervisor_workload(db, date(2026, 3, 1), date(2026, 3, 31), as_of=date(2026, 3, 10))
    assert mid.longest_gap_days == 64
    assert row.supervisees == 2
    # No held session at all: the gap runs from the start in post.
    session(db, c, date(2026, 3, 30), supervisor=lead)
    [row] = supervisor_workload(db, date(2026, 3, 1), date(2026, 3, 31))
    assert (row.longest_gap_worker, row.longest_gap_days) == ("Gareth Price", 84)
    session(db, c, date(2026, 4, 1), supervisor=lead)
    [april] = supervisor_workload(db, date(2026, 4, 1), date(2026, 4, 30))
    assert (april.longest_gap_worker, april.longest_gap_days) == (newcomer.name, 59)


# --------------------------------------------------------------------------- agreements


def test_agreements_history_and_reviews_due(db, crew) -> None:
    lead, a, b, c = crew["lead"], crew["a"], crew["b"], crew["c"]
    as_of = date(2026, 11, 26)
    first = agreements_service.save_agreement(
        db,
        Agreement(a.id, date(2025, 11, 1), date(2026, 5, 1),
                  types=(AgreedType("line", lead.id, 28), AgreedType("clinical", lead.id, 14),
                         AgreedType("group", lead.id, 28)),
                  duration_minutes=60, location="Ashcroft House, room 2",
                  recorded="Keel record, signed by both", access="Worker, supervisors, manager"),
    )  # fmt: skip
    second = agreements_service.save_agreement(
        db, Agreement(a.id, date(2026, 6, 1), date(2026, 12, 3), (AgreedType("line", lead.id),))
    )
    assert agreements_service.current_agreement(db, a.id) == second
    history = agreements_service.agreement_history(db, a.id)
    assert [h.id for h in history] == [second.id, first.id]
    assert history[1].ended_on == date(2026, 6, 1) and history[1].location.startswith("Ashcroft")
    agreements_service.save_agreement(db, Agreement(b.id, date(2025, 1, 1), date(2026, 11, 20)))
    agreements_service.save_agreement(db, Agreement(c.id, date(2026, 1, 1), date(2027, 6, 1)))

    due = agreements_service.agreements_due(db, as_of, window=28)
    assert [(d.worker_name, d.status, d.days) for d in due] == [
        ("Ellie Marsh", DueStatus.OVERDUE, -6),
        ("Ben Adeyemi", DueStatus.DUE_SOON, 7),
    ]
    assert due[0].reason == "Supervision agreement review was due 20 Nov 2026 (6 days ago)"
    assert due[1].reason == "Supervision agreement review due 3 Dec 2026 (in 7 days)"
    assert [d.worker_name for d in agreements_service.agreements_due(db, as_of, window=3)] == [
        "Ellie Marsh"
    ]
    # The policy's window by default (28 days); a worker who has left drops off.
    assert len(agreements_service.agreements_due(db, as_of)) == 2
    WorkerService(db).mark_left(b.id, date(2026, 10, 1))
    assert [d.worker_name for d in agreements_service.agreements_due(db, as_of)] == ["Ben Adeyemi"]
    # Moving the review date is a correction of the same agreement.
    moved = agreements_service.update_agreement(
        db, Agreement(a.id, second.starts_on, date(2027, 3, 1), id=second.id)
    )
    assert agreements_service.agreements_due(db, as_of) == [] and moved.id == second.id
    assert [e.action for e in entries_for(db, second.id)] == ["create", "change"]


def test_impossible_agreements_are_refused(db, crew) -> None:
    a = crew["a"]
    with pytest.raises(UsageError, match="review date"):
        agreements_service.save_agreement(db, Agreement(a.id, date(2026, 6, 1), date(2026, 5, 1)))
    with pytest.raises(UsageError, match="own supervisor"):
        agreements_service.save_agreement(
            db, Agreement(a.id, date(2026, 6, 1), date(2026, 12, 1), (AgreedType("line", a.id),))
        )
    with pytest.raises(UsageError, match="at least 1 day"):
        agreements_service.save_agreement(
            db,
            Agreement(
                a.id, date(2026, 6, 1), date(2026, 12, 1), (AgreedType("clinical", None, 0),)
            ),
        )
    with pytest.raises(UsageError, match="no longer exists"):
        agreements_service.save_agreement(
            db, Agreement("nobody", date(2026, 6, 1), date(2027, 1, 1))
        )
