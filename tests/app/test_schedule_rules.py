"""The due-status engine against DOMAIN.md §5, rule by rule, on the pure function.

Every case builds a worker's facts by hand, runs ``worker_status`` with the default policy on a
fixed as-of date and checks the numbers a team lead would see. Dates are written as offsets from
the as-of date (``d(-10)`` is ten days before it) so each table reads as a timeline.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

import pytest

from app.domain.catalogue import BUILTIN_KEYS, CLINICAL, GROUP, LINE
from app.domain.model import (
    Assessment,
    DueStatus,
    LeavePeriod,
    Override,
    RiskFactors,
    SessionFact,
    SessionStatus,
    Tier,
    TriggerEvent,
    TypeKey,
    WorkerFacts,
)
from app.domain.policy import Policy
from app.domain.schedule import (
    Compliance,
    TypeStatus,
    WorkerStatus,
    compliance,
    compliance_table,
    is_active_on,
    latest_assessment,
    tier_for,
    worker_status,
)

AS_OF = date(2026, 11, 26)
HELD = SessionStatus.HELD
PLANNED = SessionStatus.PLANNED
CANCELLED = SessionStatus.CANCELLED
DNA = SessionStatus.DID_NOT_ATTEND
OVERDUE = DueStatus.OVERDUE
DUE_SOON = DueStatus.DUE_SOON
ON_TRACK = DueStatus.ON_TRACK
PAUSED = DueStatus.PAUSED
NOT_REQUIRED = DueStatus.NOT_REQUIRED

# Factor sets that give each tier (cohort risk, decision complexity, support need, volatility).
TIER_FACTORS = {
    Tier.HIGH: (3, 1, 1, 3),
    Tier.STANDARD: (2, 2, 2, 2),
    Tier.LOW: (1, 1, 1, 1),
}

# §5's interval table, written out again here so the test does not read it from the policy.
INTERVALS = {
    (CLINICAL, Tier.HIGH): 14,
    (CLINICAL, Tier.STANDARD): 28,
    (CLINICAL, Tier.LOW): 42,
    (LINE, Tier.HIGH): 28,
    (LINE, Tier.STANDARD): 42,
    (LINE, Tier.LOW): 56,
    (GROUP, Tier.HIGH): 28,
    (GROUP, Tier.STANDARD): 42,
    (GROUP, Tier.LOW): 56,
}

# Far enough back that no new-starter cap applies to anything held in the last two years.
LONG_AGO = AS_OF - timedelta(days=2000)


def d(offset: int, base: date = AS_OF) -> date:
    return base + timedelta(days=offset)


def uk(day: date) -> str:
    return f"{day.day} {day.strftime('%b %Y')}"


def assessed(on: date, factors: Sequence[int], recorded_at: str = "", id_: str = "") -> Assessment:
    return Assessment(on, RiskFactors(*factors), recorded_at, id_)


def session(type_: TypeKey, on: date, status: SessionStatus = HELD) -> SessionFact:
    return SessionFact(type_, status, on)


def make(
    *,
    start: date | None = LONG_AGO,
    tier: Tier | None = Tier.STANDARD,
    factors: Sequence[int] | None = None,
    assessments: Iterable[Assessment] | None = None,
    requires: Iterable[TypeKey] = BUILTIN_KEYS,
    sessions: Iterable[SessionFact] = (),
    leave: Iterable[tuple[date, date | None]] = (),
    overrides: Iterable[Override] = (),
    triggers: Iterable[TriggerEvent] = (),
    left_on: date | None = None,
) -> WorkerFacts:
    """One worker. By default: long in post, assessed standard a year ago, nothing held."""
    if assessments is None:
        if factors is None and tier is not None:
            factors = TIER_FACTORS[tier]
        assessments = () if factors is None else (assessed(d(-365), factors, id_="a1"),)
    return WorkerFacts(
        worker_id="w1",
        name="Alex Example",
        start_date=start,
        requires=frozenset(requires),
        team="North",
        assessments=tuple(assessments),
        sessions=tuple(sessions),
        leave=tuple(LeavePeriod(s, e) for s, e in leave),
        overrides=tuple(overrides),
        triggers=tuple(triggers),
        left_on=left_on,
    )


def status_of(
    facts: WorkerFacts,
    type_: TypeKey,
    as_of: date = AS_OF,
    policy: Policy | None = None,
) -> TypeStatus:
    return worker_status(facts, policy or Policy(), as_of).by_type[type_]


# ---------------------------------------------------------------------------------------------
# Tier
# ---------------------------------------------------------------------------------------------

TIER_CASES = [
    pytest.param((1, 1, 1, 1), Tier.LOW, "Low: total 4, no factor at 3", id="total-4-low"),
    pytest.param((2, 2, 1, 1), Tier.LOW, "Low: total 6, no factor at 3", id="total-6-low"),
    pytest.param((1, 2, 2, 2), Tier.STANDARD, "Standard: total 7", id="total-7-standard"),
    pytest.param((2, 2, 2, 2), Tier.STANDARD, "Standard: total 8", id="total-8-standard"),
    pytest.param(
        (3, 2, 2, 2),
        Tier.STANDARD,
        "Standard: total 9, one factor at 3 (cohort risk)",
        id="total-9-one-at-3-standard",
    ),
    pytest.param(
        (2, 2, 2, 3),
        Tier.STANDARD,
        "Standard: total 9, one factor at 3 (volatility)",
        id="total-9-volatility-at-3-standard",
    ),
    pytest.param(
        (3, 3, 2, 2),
        Tier.HIGH,
        "High: two factors at 3 (cohort risk, decision complexity)",
        id="total-10-high",
    ),
    pytest.param(
        (3, 1, 1, 3),
        Tier.HIGH,
        "High: two factors at 3 (cohort risk, volatility)",
        id="two-at-3-total-8-high",
    ),
    pytest.param(
        (1, 3, 3, 1),
        Tier.HIGH,
        "High: two factors at 3 (decision complexity, support need)",
        id="two-at-3-lowest-total-high",
    ),
    pytest.param(
        (3, 3, 3, 1),
        Tier.HIGH,
        "High: three factors at 3 (cohort risk, decision complexity, support need)",
        id="three-at-3-high",
    ),
    pytest.param(
        (3, 3, 3, 3),
        Tier.HIGH,
        "High: four factors at 3 (cohort risk, decision complexity, support need, volatility)",
        id="all-at-3-high",
    ),
    pytest.param(
        (3, 1, 1, 1),
        Tier.STANDARD,
        "Standard: total 6, one factor at 3 (cohort risk)",
        id="one-at-3-total-6-standard-not-low",
    ),
    pytest.param(
        (1, 3, 1, 1),
        Tier.STANDARD,
        "Standard: total 6, one factor at 3 (decision complexity)",
        id="complexity-at-3-total-6-standard",
    ),
    pytest.param(
        (1, 1, 3, 1),
        Tier.STANDARD,
        "Standard: total 6, one factor at 3 (support need)",
        id="support-need-at-3-total-6-standard",
    ),
    pytest.param(
        (1, 1, 1, 3),
        Tier.STANDARD,
        "Standard: total 6, one factor at 3 (volatility)",
        id="volatility-at-3-total-6-standard",
    ),
]


@pytest.mark.parametrize(("factors", "tier", "reason"), TIER_CASES)
def test_tier_from_factors(factors: tuple[int, int, int, int], tier: Tier, reason: str) -> None:
    assert tier_for(RiskFactors(*factors), Policy()) == (tier, reason)
    result = worker_status(make(factors=factors), Policy(), AS_OF)
    assert result.tier is tier
    assert result.assessed is True
    for type_ in BUILTIN_KEYS:
        s = result.by_type[type_]
        assert s.tier is tier
        assert s.reason.startswith(f"{reason} → {type_} every ")


def test_not_assessed_is_standard_and_flagged() -> None:
    result = worker_status(make(tier=None), Policy(), AS_OF)
    assert result.tier is Tier.STANDARD
    assert result.assessed is False
    for type_ in BUILTIN_KEYS:
        s = result.by_type[type_]
        assert s.assessed is False
        assert s.reason.startswith("Not assessed")
        assert s.interval_days == INTERVALS[(type_, Tier.STANDARD)]


@pytest.mark.parametrize(
    ("policy", "factors", "tier", "reason"),
    [
        pytest.param(
            Policy(high_min_total=9),
            (3, 2, 2, 2),
            Tier.HIGH,
            "High: total 9 (≥ 9)",
            id="edited-total-threshold-9",
        ),
        pytest.param(
            Policy(high_min_factors_at_3=3),
            (3, 3, 2, 2),
            Tier.HIGH,
            "High: total 10 (≥ 10)",
            id="total-10-rule-on-its-own",
        ),
        pytest.param(
            Policy(low_max_total=7),
            (2, 2, 2, 1),
            Tier.LOW,
            "Low: total 7, no factor at 3",
            id="edited-low-threshold-7",
        ),
    ],
)
def test_tier_thresholds_follow_the_policy(
    policy: Policy, factors: tuple[int, int, int, int], tier: Tier, reason: str
) -> None:
    """With factors 1–3, total ≥ 10 always means two factors at 3; the total rule still works."""
    assert tier_for(RiskFactors(*factors), policy) == (tier, reason)
    assert worker_status(make(factors=factors), policy, AS_OF).tier is tier


# ---------------------------------------------------------------------------------------------
# Latest assessment on or before the as-of date
# ---------------------------------------------------------------------------------------------

HIGH_F = TIER_FACTORS[Tier.HIGH]
LOW_F = TIER_FACTORS[Tier.LOW]

LATEST_CASES = [
    pytest.param(
        [assessed(d(-100), HIGH_F, id_="a"), assessed(d(-10), LOW_F, id_="b")],
        Tier.LOW,
        id="newer-assessment-wins",
    ),
    pytest.param(
        [assessed(d(-10), LOW_F, id_="b"), assessed(d(-100), HIGH_F, id_="a")],
        Tier.LOW,
        id="newer-wins-whatever-the-order",
    ),
    pytest.param(
        [assessed(d(-10), LOW_F, id_="a"), assessed(d(1), HIGH_F, id_="b")],
        Tier.LOW,
        id="future-dated-assessment-ignored",
    ),
    pytest.param(
        [assessed(d(-10), LOW_F, id_="a"), assessed(d(0), HIGH_F, id_="b")],
        Tier.HIGH,
        id="assessment-on-as-of-counts",
    ),
    pytest.param(
        [
            assessed(d(-5), HIGH_F, "2026-11-21T09:00:00Z", "z"),
            assessed(d(-5), LOW_F, "2026-11-21T10:00:00Z", "a"),
        ],
        Tier.LOW,
        id="same-day-later-recorded-wins",
    ),
    pytest.param(
        [
            assessed(d(-5), LOW_F, "2026-11-21T10:00:00Z", "a"),
            assessed(d(-5), HIGH_F, "2026-11-21T09:00:00Z", "z"),
        ],
        Tier.LOW,
        id="same-day-later-recorded-wins-reversed",
    ),
    pytest.param(
        [
            assessed(d(-5), LOW_F, "2026-11-21T10:00:00Z", "a"),
            assessed(d(-5), HIGH_F, "2026-11-21T10:00:00Z", "b"),
        ],
        Tier.HIGH,
        id="same-day-same-time-id-breaks-tie",
    ),
    pytest.param(
        [
            assessed(d(-5), HIGH_F, "2026-11-21T10:00:00Z", "b"),
            assessed(d(-5), LOW_F, "2026-11-21T10:00:00Z", "a"),
        ],
        Tier.HIGH,
        id="same-day-same-time-id-breaks-tie-reversed",
    ),
]


@pytest.mark.parametrize(("assessments", "tier"), LATEST_CASES)
def test_latest_assessment_on_or_before_as_of(assessments: list[Assessment], tier: Tier) -> None:
    result = worker_status(make(assessments=assessments), Policy(), AS_OF)
    assert result.tier is tier
    assert result.assessed is True
    latest = latest_assessment(assessments, AS_OF)
    assert latest is not None
    assert tier_for(latest.factors, Policy())[0] is tier


def test_only_future_assessment_means_not_assessed() -> None:
    result = worker_status(make(assessments=[assessed(d(1), HIGH_F)]), Policy(), AS_OF)
    assert (result.tier, result.assessed) == (Tier.STANDARD, False)


def test_history_is_read_as_of_the_date_asked() -> None:
    """The same history gives the tier that was in force on an earlier as-of date."""
    facts = make(assessments=[assessed(d(-100), HIGH_F, id_="a"), assessed(d(-10), LOW_F, id_="b")])
    assert worker_status(facts, Policy(), d(-50)).tier is Tier.HIGH
    assert worker_status(facts, Policy(), d(-200)).assessed is False


# ---------------------------------------------------------------------------------------------
# Interval table
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "tier", "interval"),
    [
        pytest.param(t, tier, days, id=f"{t}-{tier.value}-{days}d")
        for (t, tier), days in INTERVALS.items()
    ],
)
def test_interval_table(type_: TypeKey, tier: Tier, interval: int) -> None:
    s = status_of(make(tier=tier, sessions=[session(type_, d(-10))]), type_)
    assert s.interval_days == interval
    assert s.last_held == d(-10)
    assert s.due == d(-10 + interval)
    assert f"→ {type_} every {interval} days" in s.reason
    assert "capped" not in s.reason


# ---------------------------------------------------------------------------------------------
# New-starter caps
# ---------------------------------------------------------------------------------------------

CAP_CASES = [
    # (type, tier, days in post at the last held session, interval, capped?)
    (CLINICAL, Tier.STANDARD, 0, 7, True),
    (CLINICAL, Tier.STANDARD, 42, 7, True),
    (CLINICAL, Tier.STANDARD, 43, 14, True),
    (CLINICAL, Tier.STANDARD, 182, 14, True),
    (CLINICAL, Tier.STANDARD, 183, 28, False),
    (CLINICAL, Tier.LOW, 42, 7, True),
    (CLINICAL, Tier.LOW, 43, 14, True),
    (CLINICAL, Tier.LOW, 182, 14, True),
    (CLINICAL, Tier.LOW, 183, 42, False),
    (CLINICAL, Tier.HIGH, 42, 7, True),
    (CLINICAL, Tier.HIGH, 43, 14, False),
    (CLINICAL, Tier.HIGH, 182, 14, False),
    (CLINICAL, Tier.HIGH, 183, 14, False),
    (LINE, Tier.STANDARD, 0, 28, True),
    (LINE, Tier.STANDARD, 42, 28, True),
    (LINE, Tier.STANDARD, 43, 28, True),
    (LINE, Tier.STANDARD, 182, 28, True),
    (LINE, Tier.STANDARD, 183, 42, False),
    (LINE, Tier.LOW, 182, 28, True),
    (LINE, Tier.LOW, 183, 56, False),
    (LINE, Tier.HIGH, 10, 28, False),
    (LINE, Tier.HIGH, 183, 28, False),
    (GROUP, Tier.STANDARD, 0, 42, False),
    (GROUP, Tier.LOW, 10, 56, False),
    (GROUP, Tier.HIGH, 42, 28, False),
]


@pytest.mark.parametrize(
    ("type_", "tier", "days_in_post", "interval", "capped"),
    [
        pytest.param(*case, id=f"{case[0]}-{case[1].value}-day{case[2]}-{case[3]}d")
        for case in CAP_CASES
    ],
)
def test_new_starter_cap_counts_days_in_post_at_last_held(
    type_: TypeKey, tier: Tier, days_in_post: int, interval: int, capped: bool
) -> None:
    start = d(-200)
    last = d(days_in_post, start)
    s = status_of(make(start=start, tier=tier, sessions=[session(type_, last)]), type_)
    assert s.interval_days == interval
    assert s.due == last + timedelta(days=interval)
    cap_text = f"new in post ({days_in_post} days) → capped at {interval}"
    assert (cap_text in s.reason) is capped


@pytest.mark.parametrize(
    ("as_of_day", "status"),
    [
        pytest.param(41, ON_TRACK, id="day41-on-track"),
        pytest.param(44, DUE_SOON, id="day44-due-soon"),
        pytest.param(47, DUE_SOON, id="day47-due-day"),
        pytest.param(48, OVERDUE, id="day48-overdue"),
        pytest.param(100, OVERDUE, id="day100-past-first-cap"),
        pytest.param(400, OVERDUE, id="day400-past-every-cap"),
    ],
)
def test_due_date_does_not_move_as_time_passes(as_of_day: int, status: DueStatus) -> None:
    """Last clinical held on day 40: due day 47, however far the as-of date moves on."""
    start = d(-500)
    facts = make(start=start, sessions=[session(CLINICAL, d(40, start))])
    s = status_of(facts, CLINICAL, as_of=d(as_of_day, start))
    assert s.interval_days == 7
    assert s.due == d(47, start)
    assert s.status is status


@pytest.mark.parametrize(
    ("type_", "days_in_post", "interval"),
    [
        pytest.param(CLINICAL, 10, 7, id="clinical-day10-7d"),
        pytest.param(CLINICAL, 100, 14, id="clinical-day100-14d"),
        pytest.param(CLINICAL, 190, 28, id="clinical-day190-28d"),
        pytest.param(LINE, 100, 28, id="line-day100-28d"),
        pytest.param(LINE, 190, 42, id="line-day190-42d"),
    ],
)
def test_cap_counts_days_in_post_at_as_of_when_none_held(
    type_: TypeKey, days_in_post: int, interval: int
) -> None:
    start = d(-days_in_post)
    s = status_of(make(start=start), type_)
    assert s.last_held is None
    assert s.interval_days == interval
    # The due date is the first window whatever the interval is.
    assert s.due == start + timedelta(days=Policy().first_window(type_))


# ---------------------------------------------------------------------------------------------
# First windows
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "window", "status"),
    [
        pytest.param(LINE, 7, DUE_SOON, id="line-7d"),  # due in 5, window max(3, 28/4) = 7
        pytest.param(CLINICAL, 14, ON_TRACK, id="clinical-14d"),  # due in 12, window 3
        pytest.param(GROUP, 28, ON_TRACK, id="group-28d"),  # due in 26, window 11
    ],
)
def test_first_window_from_start_date(type_: TypeKey, window: int, status: DueStatus) -> None:
    start = d(-2)
    s = status_of(make(start=start), type_)
    assert s.last_held is None
    assert s.due == d(-2 + window)
    assert s.status is status
    assert f"first {type_} within {window} days of starting" in s.reason


@pytest.mark.parametrize(
    ("type_", "window"),
    [pytest.param(t, w, id=f"{t}-{w}d") for t, w in ((LINE, 7), (CLINICAL, 14), (GROUP, 28))],
)
def test_first_window_edge(type_: TypeKey, window: int) -> None:
    """Overdue the day after the first window ends, not on its last day."""
    assert status_of(make(start=d(-window)), type_).status is DUE_SOON
    assert status_of(make(start=d(-window - 1)), type_).status is OVERDUE


def test_imported_without_evidence_is_overdue() -> None:
    result = worker_status(make(start=d(-900)), Policy(), AS_OF)
    assert result.overall is OVERDUE
    assert {s.status for s in result.by_type.values()} == {OVERDUE}


def test_no_start_date_and_none_held_is_overdue() -> None:
    s = status_of(make(start=None), LINE)
    assert (s.due, s.status) == (None, OVERDUE)
    assert "no evidence of supervision" in s.reason


def test_no_start_date_with_a_held_session_uses_it() -> None:
    s = status_of(make(start=None, sessions=[session(LINE, d(-10))]), LINE)
    assert (s.due, s.status) == (d(32), ON_TRACK)


# ---------------------------------------------------------------------------------------------
# Held sessions only
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status",
    [pytest.param(s, id=s.value) for s in (PLANNED, CANCELLED, DNA)],
)
def test_only_held_sessions_count(status: SessionStatus) -> None:
    facts = make(sessions=[session(CLINICAL, d(-60)), session(CLINICAL, d(-5), status)])
    s = status_of(facts, CLINICAL)
    assert s.last_held == d(-60)
    assert s.due == d(-32)
    assert s.status is OVERDUE


@pytest.mark.parametrize(
    "status",
    [pytest.param(s, id=s.value) for s in (PLANNED, CANCELLED, DNA)],
)
def test_unheld_session_alone_is_no_evidence(status: SessionStatus) -> None:
    s = status_of(make(sessions=[session(LINE, d(-5), status)]), LINE)
    assert s.last_held is None
    assert s.status is OVERDUE


@pytest.mark.parametrize(
    ("sessions", "last"),
    [
        pytest.param([session(LINE, d(0))], d(0), id="held-on-as-of-counts"),
        pytest.param(
            [session(LINE, d(-20)), session(LINE, d(1))], d(-20), id="future-held-ignored"
        ),
        pytest.param(
            [session(LINE, d(-5)), session(LINE, d(-40)), session(LINE, d(-20))],
            d(-5),
            id="latest-held-wins",
        ),
        pytest.param(
            [session(LINE, d(-30)), session(CLINICAL, d(-2)), session(GROUP, d(-1))],
            d(-30),
            id="other-types-do-not-count",
        ),
    ],
)
def test_last_held_is_latest_held_of_the_type(sessions: list[SessionFact], last: date) -> None:
    s = status_of(make(sessions=sessions), LINE)
    assert s.last_held == last
    assert s.due == last + timedelta(days=42)


# ---------------------------------------------------------------------------------------------
# Leave stops the clock
# ---------------------------------------------------------------------------------------------

# Clinical, standard, long in post, last held d(-30): due d(-2) without leave.
LEAVE_CASES = [
    pytest.param([(d(-20), d(-11))], 10, id="ten-days-between-last-and-as-of"),
    pytest.param([(d(-30), d(-21))], 9, id="day-of-last-not-counted"),
    pytest.param([(d(-60), d(-31))], 0, id="leave-before-last-not-counted"),
    pytest.param([(d(-40), d(-25))], 5, id="leave-straddling-last"),
    pytest.param([(d(-5), d(-1))], 5, id="ends-day-before-as-of"),
    pytest.param([(d(-10), d(-10))], 1, id="single-day"),
    pytest.param([(d(-20), d(-11)), (d(-15), d(-6))], 15, id="overlapping-counted-once"),
    pytest.param([(d(-20), d(-11)), (d(-20), d(-11))], 10, id="duplicate-counted-once"),
    pytest.param([(d(-20), d(-6)), (d(-15), d(-10))], 15, id="nested-counted-once"),
    pytest.param([(d(-20), d(-16)), (d(-15), d(-11))], 10, id="adjacent"),
    pytest.param([(d(-20), d(-18)), (d(-10), d(-9))], 5, id="two-separate-periods"),
    pytest.param([(d(1), d(10))], 0, id="future-leave-not-counted"),
    pytest.param([(d(1), None)], 0, id="future-open-leave-not-counted"),
]


@pytest.mark.parametrize(("leave", "days"), LEAVE_CASES)
def test_leave_stops_the_clock(leave: list[tuple[date, date | None]], days: int) -> None:
    s = status_of(make(sessions=[session(CLINICAL, d(-30))], leave=leave), CLINICAL)
    assert s.status is not PAUSED
    assert s.due == d(-2 + days)
    unit = "day" if days == 1 else "days"
    assert (f"clock stopped {days} {unit} for leave" in s.reason) is (days > 0)


def test_leave_moves_an_overdue_worker_back_on_track() -> None:
    without = status_of(make(sessions=[session(CLINICAL, d(-30))]), CLINICAL)
    with_leave = status_of(
        make(sessions=[session(CLINICAL, d(-30))], leave=[(d(-25), d(-6))]), CLINICAL
    )
    assert without.status is OVERDUE
    assert with_leave.due == d(18)
    assert with_leave.status is ON_TRACK


def test_leave_with_none_held_counts_from_start_date() -> None:
    start = d(-10)  # clinical first window: due d(4)
    s = status_of(make(start=start, leave=[(d(-8), d(-3))]), CLINICAL)
    assert s.due == d(10)
    # The start date itself is not after the start date.
    s = status_of(make(start=start, leave=[(d(-10), d(-9))]), CLINICAL)
    assert s.due == d(5)


def test_leave_after_due_still_stops_the_clock() -> None:
    """§5 counts every leave day after last and before as-of, even once already overdue."""
    s = status_of(make(sessions=[session(CLINICAL, d(-60))], leave=[(d(-20), d(-11))]), CLINICAL)
    assert s.due == d(-22)
    assert s.status is OVERDUE


@pytest.mark.parametrize(
    ("leave", "paused"),
    [
        pytest.param((d(-10), None), True, id="open-ended-leave"),
        pytest.param((d(0), d(5)), True, id="as-of-on-first-day"),
        pytest.param((d(-5), d(0)), True, id="as-of-on-last-day"),
        pytest.param((d(-5), d(-1)), False, id="day-after-leave-ends"),
        pytest.param((d(1), d(5)), False, id="day-before-leave-starts"),
    ],
)
def test_paused_when_as_of_inside_leave(leave: tuple[date, date | None], paused: bool) -> None:
    facts = make(
        requires=[LINE, CLINICAL], sessions=[session(LINE, d(-300))], leave=[leave]
    )  # long overdue if not paused
    result = worker_status(facts, Policy(), AS_OF)
    for type_ in (LINE, CLINICAL):
        assert (result.by_type[type_].status is PAUSED) is paused
    assert result.by_type[GROUP].status is NOT_REQUIRED
    assert (result.overall is PAUSED) is paused
    if paused:
        assert result.next_due is None
        assert "on leave: paused" in result.by_type[LINE].reason


def test_open_ended_leave_counts_every_day_before_as_of() -> None:
    s = status_of(make(sessions=[session(CLINICAL, d(-30))], leave=[(d(-10), None)]), CLINICAL)
    assert s.status is PAUSED
    assert s.due == d(-2 + 10)


# ---------------------------------------------------------------------------------------------
# Overrides
# ---------------------------------------------------------------------------------------------


def override(
    interval: int,
    expires: date,
    type_: TypeKey = CLINICAL,
    reason: str = "complex caseload",
    starts: date | None = None,
) -> Override:
    return Override(type_, interval, reason, expires, starts)


OVERRIDE_CASES = [
    # Clinical, standard (28), long in post, last held d(-10).
    pytest.param([override(10, d(30))], 10, id="shorter-override-in-force"),
    pytest.param([override(60, d(30))], 60, id="longer-override-replaces-too"),
    pytest.param([override(10, d(0))], 10, id="in-force-on-expiry-day"),
    pytest.param([override(10, d(-1))], 28, id="not-after-expiry"),
    pytest.param([override(10, d(30), starts=d(0))], 10, id="in-force-from-start-day"),
    pytest.param([override(10, d(30), starts=d(1))], 28, id="not-before-it-starts"),
    pytest.param([override(10, d(30), type_=LINE)], 28, id="other-type-does-not-apply"),
    pytest.param(
        [override(10, d(30)), override(20, d(60))], 20, id="two-in-force-latest-expiry-wins"
    ),
    pytest.param([override(10, d(30)), override(20, d(-5))], 10, id="expired-one-ignored"),
]


@pytest.mark.parametrize(("overrides", "interval"), OVERRIDE_CASES)
def test_override_replaces_interval_while_in_force(
    overrides: list[Override], interval: int
) -> None:
    s = status_of(make(sessions=[session(CLINICAL, d(-10))], overrides=overrides), CLINICAL)
    assert s.interval_days == interval
    assert s.due == d(-10 + interval)
    assert s.reason.startswith("Standard: total 8 → clinical every 28 days")
    assert (f"override → every {interval} days until" in s.reason) is (interval != 28)


def test_override_reason_names_expiry_and_reason() -> None:
    s = status_of(
        make(sessions=[session(CLINICAL, d(-10))], overrides=[override(10, d(30))]), CLINICAL
    )
    assert "override → every 10 days until 26 Dec 2026 (complex caseload)" in s.reason


@pytest.mark.parametrize(
    ("interval", "effective"),
    [
        pytest.param(21, 7, id="cap-applies-on-top-of-override"),
        pytest.param(5, 5, id="override-tighter-than-cap-kept"),
    ],
)
def test_new_starter_cap_applies_on_top_of_override(interval: int, effective: int) -> None:
    start = d(-20)
    facts = make(
        start=start, sessions=[session(CLINICAL, d(-10))], overrides=[override(interval, d(30))]
    )
    s = status_of(facts, CLINICAL)
    assert s.interval_days == effective
    assert s.due == d(-10 + effective)
    assert f"override → every {interval} days" in s.reason
    assert ("new in post (10 days) → capped at 7" in s.reason) is (effective == 7)


def test_override_tie_is_decided_by_the_data_not_row_order() -> None:
    a = override(10, d(30), reason="complex caseload")
    b = override(10, d(30), reason="return from sickness")
    facts_ab = make(sessions=[session(CLINICAL, d(-10))], overrides=[a, b])
    facts_ba = make(sessions=[session(CLINICAL, d(-10))], overrides=[b, a])
    assert status_of(facts_ab, CLINICAL) == status_of(facts_ba, CLINICAL)


# ---------------------------------------------------------------------------------------------
# Trigger events
# ---------------------------------------------------------------------------------------------


def trigger(on: date, days: int, type_: TypeKey = CLINICAL, kind: str = "incident") -> TriggerEvent:
    return TriggerEvent(type_, on, days, kind)


# Clinical, standard, long in post, last held d(-10): due d(18) without a trigger.
TRIGGER_CASES = [
    pytest.param([], [trigger(d(-2), 3)], d(1), True, id="open-trigger-pulls-due-in"),
    pytest.param([], [trigger(d(-2), 0)], d(-2), True, id="zero-response-days"),
    pytest.param([], [trigger(d(-1), 30)], d(18), False, id="later-than-due-no-effect"),
    pytest.param([], [trigger(d(0), 5)], d(5), True, id="event-on-as-of"),
    pytest.param([], [trigger(d(1), 1)], d(18), False, id="future-event-ignored"),
    pytest.param([], [trigger(d(-10), 3)], d(18), False, id="closed-by-held-on-event-date"),
    pytest.param([], [trigger(d(-12), 3)], d(18), False, id="closed-by-held-after-event"),
    pytest.param(
        [session(CLINICAL, d(-1), PLANNED)], [trigger(d(-5), 3)], d(-2), True,
        id="planned-after-event-does-not-close",
    ),
    pytest.param(
        [session(CLINICAL, d(-1), CANCELLED)], [trigger(d(-5), 3)], d(-2), True,
        id="cancelled-after-event-does-not-close",
    ),
    pytest.param(
        [session(CLINICAL, d(-1), DNA)], [trigger(d(-5), 3)], d(-2), True,
        id="dna-after-event-does-not-close",
    ),
    pytest.param(
        [session(LINE, d(-1))], [trigger(d(-5), 3)], d(-2), True,
        id="held-of-other-type-does-not-close",
    ),
    pytest.param(
        [session(CLINICAL, d(1))], [trigger(d(-5), 3)], d(-2), True,
        id="future-held-does-not-close",
    ),
    pytest.param([], [trigger(d(-5), 3, type_=LINE)], d(18), False, id="other-type-trigger"),
    pytest.param(
        [], [trigger(d(-2), 7), trigger(d(-3), 4)], d(1), True, id="earliest-of-two-triggers"
    ),
]  # fmt: skip


@pytest.mark.parametrize(("extra", "triggers", "due", "open_"), TRIGGER_CASES)
def test_trigger_pulls_due_in_until_a_held_session_follows(
    extra: list[SessionFact], triggers: list[TriggerEvent], due: date, open_: bool
) -> None:
    facts = make(sessions=[session(CLINICAL, d(-10)), *extra], triggers=triggers)
    s = status_of(facts, CLINICAL)
    assert s.due == due
    assert ("trigger → due by" in s.reason) is open_
    if open_:
        assert f"open incident trigger → due by {uk(due)}" in s.reason


def test_trigger_makes_overdue_and_held_session_closes_it() -> None:
    open_ = make(sessions=[session(CLINICAL, d(-40))], tier=Tier.LOW, triggers=[trigger(d(-8), 3)])
    assert status_of(open_, CLINICAL).due == d(-5)
    assert status_of(open_, CLINICAL).status is OVERDUE
    closed = make(
        sessions=[session(CLINICAL, d(-40)), session(CLINICAL, d(-6))],
        tier=Tier.LOW,
        triggers=[trigger(d(-8), 3)],
    )
    s = status_of(closed, CLINICAL)
    assert (s.due, s.status) == (d(36), ON_TRACK)
    assert "trigger" not in s.reason


def test_trigger_due_is_not_pushed_out_by_leave() -> None:
    """§5 applies the trigger after the leave adjustment: min(due + leave, event + days)."""
    facts = make(
        sessions=[session(CLINICAL, d(-10))],
        leave=[(d(-5), d(-2))],
        triggers=[trigger(d(-6), 7)],
    )
    assert status_of(facts, CLINICAL).due == d(1)


def test_trigger_on_new_starter_before_first_session() -> None:
    s = status_of(make(start=d(-3), triggers=[trigger(d(-1), 2)]), CLINICAL)
    assert s.due == d(1)
    assert s.status is DUE_SOON


def test_trigger_never_clears_no_evidence() -> None:
    """No start date and nothing held is overdue; an open trigger can only pull a due date in."""
    s = status_of(make(start=None, triggers=[trigger(d(-1), 10)]), CLINICAL)
    assert s.status is OVERDUE
    assert s.due is None
    assert "no evidence of supervision" in s.reason


def test_trigger_tie_is_decided_by_the_data_not_row_order() -> None:
    a = trigger(d(-2), 3, kind="incident")
    b = trigger(d(-2), 3, kind="complaint")
    facts_ab = make(sessions=[session(CLINICAL, d(-10))], triggers=[a, b])
    facts_ba = make(sessions=[session(CLINICAL, d(-10))], triggers=[b, a])
    assert status_of(facts_ab, CLINICAL) == status_of(facts_ba, CLINICAL)


# ---------------------------------------------------------------------------------------------
# Due-soon window edges
# ---------------------------------------------------------------------------------------------

WINDOW_SOURCES = [
    # (id, type, tier, override interval or None, new starter?, interval, window)
    ("clinical-high", CLINICAL, Tier.HIGH, None, False, 14, 4),
    ("clinical-standard", CLINICAL, Tier.STANDARD, None, False, 28, 7),
    ("clinical-low", CLINICAL, Tier.LOW, None, False, 42, 11),
    ("line-high", LINE, Tier.HIGH, None, False, 28, 7),
    ("line-standard", LINE, Tier.STANDARD, None, False, 42, 11),
    ("line-low", LINE, Tier.LOW, None, False, 56, 14),
    ("group-high", GROUP, Tier.HIGH, None, False, 28, 7),
    ("group-standard", GROUP, Tier.STANDARD, None, False, 42, 11),
    ("group-low", GROUP, Tier.LOW, None, False, 56, 14),
    ("clinical-new-starter", CLINICAL, Tier.STANDARD, None, True, 7, 3),
    ("override-9", CLINICAL, Tier.STANDARD, 9, False, 9, 3),
    ("override-12", CLINICAL, Tier.STANDARD, 12, False, 12, 3),
    ("override-13", CLINICAL, Tier.STANDARD, 13, False, 13, 4),
    ("override-17", CLINICAL, Tier.STANDARD, 17, False, 17, 5),
]

EDGES = [
    # (id, due minus as-of relative to the window, status)
    ("window-plus-1", 1, ON_TRACK),
    ("at-window", 0, DUE_SOON),
]
DAY_EDGES = [
    ("due-on-as-of", 0, DUE_SOON),
    ("day-after-due", -1, OVERDUE),
]


def _window_params() -> list[object]:
    params: list[object] = []
    for name, type_, tier, ov, new, interval, window in WINDOW_SOURCES:
        for edge, plus, status in EDGES:
            params.append(
                pytest.param(
                    type_, tier, ov, new, interval, window + plus, status,
                    id=f"{name}-{interval}d-window{window}-{edge}",
                )
            )  # fmt: skip
        for edge, delta, status in DAY_EDGES:
            params.append(
                pytest.param(
                    type_, tier, ov, new, interval, delta, status,
                    id=f"{name}-{interval}d-{edge}",
                )
            )  # fmt: skip
    return params


@pytest.mark.parametrize(
    ("type_", "tier", "ov", "new_starter", "interval", "days_to_due", "status"),
    _window_params(),
)
def test_due_soon_window_edges(
    type_: TypeKey,
    tier: Tier,
    ov: int | None,
    new_starter: bool,
    interval: int,
    days_to_due: int,
    status: DueStatus,
) -> None:
    last = d(days_to_due - interval)
    start = last - timedelta(days=10) if new_starter else LONG_AGO
    overrides = [override(ov, d(100), type_=type_)] if ov is not None else []
    facts = make(start=start, tier=tier, sessions=[session(type_, last)], overrides=overrides)
    s = status_of(facts, type_)
    assert s.interval_days == interval
    assert s.due == d(days_to_due)
    assert s.status is status


# ---------------------------------------------------------------------------------------------
# Not required
# ---------------------------------------------------------------------------------------------


def test_not_required_types() -> None:
    facts = make(
        requires=[LINE],
        sessions=[session(LINE, d(-10)), session(CLINICAL, d(-500))],
        triggers=[trigger(d(-1), 0)],
    )
    result = worker_status(facts, Policy(), AS_OF)
    for type_, label in ((CLINICAL, "Clinical"), (GROUP, "Reflective / group")):
        s = result.by_type[type_]
        assert s.status is NOT_REQUIRED
        assert (s.interval_days, s.due, s.booked, s.last_held) == (None, None, None, None)
        assert s.reason == f"{label} is not required for this role"
    assert result.by_type[LINE].status is ON_TRACK
    assert result.overall is ON_TRACK


def test_not_required_wins_over_paused() -> None:
    result = worker_status(make(requires=[LINE], leave=[(d(-5), None)]), Policy(), AS_OF)
    assert result.by_type[LINE].status is PAUSED
    assert result.by_type[CLINICAL].status is NOT_REQUIRED


def test_nothing_required() -> None:
    result = worker_status(make(requires=[]), Policy(), AS_OF)
    assert result.overall is NOT_REQUIRED
    assert result.next_due is None


# ---------------------------------------------------------------------------------------------
# Booked
# ---------------------------------------------------------------------------------------------

# Clinical, standard, long in post, last held d(-10): due d(18), on track.
BOOKED_CASES = [
    pytest.param([session(CLINICAL, d(5), PLANNED)], d(5), id="planned-before-due"),
    pytest.param([session(CLINICAL, d(0), PLANNED)], d(0), id="planned-on-as-of"),
    pytest.param([session(CLINICAL, d(18), PLANNED)], d(18), id="planned-on-due-date"),
    pytest.param([session(CLINICAL, d(19), PLANNED)], None, id="planned-after-due"),
    pytest.param([session(CLINICAL, d(-1), PLANNED)], None, id="planned-in-the-past"),
    pytest.param(
        [session(CLINICAL, d(10), PLANNED), session(CLINICAL, d(3), PLANNED)],
        d(3),
        id="earliest-booking-shown",
    ),
    pytest.param([session(CLINICAL, d(5), CANCELLED)], None, id="cancelled-not-booked"),
    pytest.param([session(CLINICAL, d(5), DNA)], None, id="dna-not-booked"),
    pytest.param([session(LINE, d(5), PLANNED)], None, id="other-type-not-booked"),
]


@pytest.mark.parametrize(("extra", "booked"), BOOKED_CASES)
def test_booked(extra: list[SessionFact], booked: date | None) -> None:
    s = status_of(make(sessions=[session(CLINICAL, d(-10)), *extra]), CLINICAL)
    assert s.booked == booked
    assert s.status is ON_TRACK  # booked is shown, never a status
    assert s.due == d(18)
    assert ("booked " in s.reason) is (booked is not None)


def test_booked_on_a_due_soon_cell() -> None:
    facts = make(sessions=[session(CLINICAL, d(-26)), session(CLINICAL, d(1), PLANNED)])
    s = status_of(facts, CLINICAL)
    assert (s.status, s.booked) == (DUE_SOON, d(1))
    assert s.reason.endswith(f"due {uk(d(2))}; booked {uk(d(1))}")


def test_overdue_cell_with_future_booking_is_not_booked() -> None:
    """§5: booked means on or before the due date, which an overdue cell has passed."""
    facts = make(sessions=[session(CLINICAL, d(-40)), session(CLINICAL, d(2), PLANNED)])
    s = status_of(facts, CLINICAL)
    assert (s.status, s.booked) == (OVERDUE, None)


# ---------------------------------------------------------------------------------------------
# Overall status
# ---------------------------------------------------------------------------------------------

# Last held days before as-of giving each status for a standard, long-in-post worker.
_LAST_FOR = {
    LINE: {ON_TRACK: -1, DUE_SOON: -35, OVERDUE: -50},
    CLINICAL: {ON_TRACK: -1, DUE_SOON: -25, OVERDUE: -30},
    GROUP: {ON_TRACK: -1, DUE_SOON: -35, OVERDUE: -50},
}


@pytest.mark.parametrize(
    ("line", "clinical", "group", "requires", "overall"),
    [
        pytest.param(OVERDUE, DUE_SOON, ON_TRACK, BUILTIN_KEYS, OVERDUE, id="any-overdue"),
        pytest.param(ON_TRACK, ON_TRACK, OVERDUE, BUILTIN_KEYS, OVERDUE, id="group-overdue"),
        pytest.param(ON_TRACK, DUE_SOON, ON_TRACK, BUILTIN_KEYS, DUE_SOON, id="due-soon"),
        pytest.param(ON_TRACK, ON_TRACK, ON_TRACK, BUILTIN_KEYS, ON_TRACK, id="all-on-track"),
        pytest.param(
            ON_TRACK, OVERDUE, DUE_SOON, (LINE, GROUP), DUE_SOON, id="not-required-ignored"
        ),
        pytest.param(ON_TRACK, OVERDUE, OVERDUE, (LINE,), ON_TRACK, id="only-line-required"),
    ],
)
def test_overall_is_worst_required_type(
    line: DueStatus,
    clinical: DueStatus,
    group: DueStatus,
    requires: Sequence[TypeKey],
    overall: DueStatus,
) -> None:
    wanted = {LINE: line, CLINICAL: clinical, GROUP: group}
    sessions = [session(t, d(_LAST_FOR[t][s])) for t, s in wanted.items()]
    result = worker_status(make(sessions=sessions, requires=requires), Policy(), AS_OF)
    for t in BUILTIN_KEYS:
        expected = wanted[t] if t in requires else NOT_REQUIRED
        assert result.by_type[t].status is expected
    assert result.overall is overall


# ---------------------------------------------------------------------------------------------
# The reason a team lead reads
# ---------------------------------------------------------------------------------------------


def test_reason_names_tier_factors_and_cap() -> None:
    start = d(-30)
    facts = make(start=start, factors=(3, 2, 1, 3), sessions=[session(CLINICAL, d(20, start))])
    s = status_of(facts, CLINICAL)
    assert s.reason.startswith(
        "High: two factors at 3 (cohort risk, volatility) → clinical every 14 days; "
        "new in post (20 days) → capped at 7"
    )
    assert s.reason.endswith(f"last held {uk(d(-10))}; due {uk(d(-3))}")
    assert s.status is OVERDUE


def test_reason_names_trigger_leave_and_booking() -> None:
    facts = make(
        sessions=[session(LINE, d(-20)), session(LINE, d(2), PLANNED)],
        leave=[(d(-15), d(-12))],
        triggers=[trigger(d(-1), 4, type_=LINE, kind="safeguarding")],
    )
    s = status_of(facts, LINE)
    assert s.reason == (
        "Standard: total 8 → line every 42 days; "
        f"last held {uk(d(-20))}; clock stopped 4 days for leave; "
        f"open safeguarding trigger → due by {uk(d(3))}; due {uk(d(3))}; booked {uk(d(2))}"
    )
    assert s.status is DUE_SOON


# ---------------------------------------------------------------------------------------------
# Compliance
# ---------------------------------------------------------------------------------------------


def _team() -> list[tuple[str, WorkerStatus]]:
    w1 = make(  # line on track, clinical overdue, group due soon
        sessions=[session(LINE, d(-1)), session(CLINICAL, d(-30)), session(GROUP, d(-35))]
    )
    w2 = make(sessions=[session(LINE, d(-1))], leave=[(d(-3), None)])  # all paused
    w3 = make(requires=[LINE], sessions=[session(LINE, d(-50))])  # line overdue only
    w4 = make(sessions=[session(t, d(-1)) for t in BUILTIN_KEYS])  # all on track
    return [
        ("A", worker_status(w1, Policy(), AS_OF)),
        ("A", worker_status(w2, Policy(), AS_OF)),
        ("B", worker_status(w3, Policy(), AS_OF)),
        ("B", worker_status(w4, Policy(), AS_OF)),
    ]


@pytest.mark.parametrize(
    ("type_", "expected"),
    [
        pytest.param(None, Compliance(5, 7), id="all-types"),
        pytest.param(LINE, Compliance(2, 3), id="line"),
        pytest.param(CLINICAL, Compliance(1, 2), id="clinical"),
        pytest.param(GROUP, Compliance(2, 2), id="group-due-soon-is-compliant"),
    ],
)
def test_compliance_share_not_overdue(type_: TypeKey | None, expected: Compliance) -> None:
    assert compliance(_team(), type_) == expected


def test_compliance_table_per_team_and_type() -> None:
    table = compliance_table(_team(), BUILTIN_KEYS)
    assert table[(None, None)] == Compliance(5, 7)
    assert table[("A", None)] == Compliance(2, 3)  # w2 is paused: not counted
    assert table[("B", None)] == Compliance(3, 4)  # w3's clinical/group not required
    assert table[("A", CLINICAL)] == Compliance(0, 1)
    assert table[("B", LINE)] == Compliance(1, 2)
    assert table[("B", GROUP)] == Compliance(1, 1)
    assert set(table) == {(team, t) for team in (None, "A", "B") for t in (None, *BUILTIN_KEYS)}
    assert table[(None, None)].percent == pytest.approx(100 * 5 / 7)


def test_compliance_with_nothing_counted() -> None:
    paused = worker_status(make(leave=[(d(-3), None)]), Policy(), AS_OF)
    result = compliance([("A", paused)])
    assert result == Compliance(0, 0)
    assert result.percent is None


@pytest.mark.parametrize(
    ("start", "left_on", "active"),
    [
        pytest.param(d(-10), None, True, id="in-post"),
        pytest.param(d(0), None, True, id="starts-on-as-of"),
        pytest.param(d(1), None, False, id="not-started"),
        pytest.param(None, None, True, id="no-start-date"),
        pytest.param(d(-10), d(1), True, id="leaves-tomorrow"),
        pytest.param(d(-10), d(0), False, id="left-on-as-of"),
    ],
)
def test_active_on(start: date | None, left_on: date | None, active: bool) -> None:
    assert is_active_on(make(start=start, left_on=left_on), AS_OF) is active
