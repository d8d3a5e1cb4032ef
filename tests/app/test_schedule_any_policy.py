"""Property tests of the due-status engine for any valid policy, not only the defaults: any
number of types with any keys, kinds, intervals, caps and windows, and any tier and due-soon
numbers the policy's checks accept."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.catalogue import KEY_PATTERN, Kind, TypeSpec
from app.domain.model import (
    FACTORS,
    STATUS_SEVERITY,
    Assessment,
    DueStatus,
    LeavePeriod,
    Override,
    RiskFactors,
    SessionFact,
    SessionStatus,
    TriggerEvent,
    WorkerFacts,
)
from app.domain.policy import Policy
from app.domain.schedule import tier_for, worker_status

AS_OF = date(2026, 11, 26)
HELD = SessionStatus.HELD
PURE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def day(offset: int) -> date:
    return AS_OF + timedelta(days=offset)


keys_st = st.from_regex(KEY_PATTERN, fullmatch=True).filter(lambda k: len(k) <= 12)


@st.composite
def type_specs(draw: st.DrawFn, key: str) -> TypeSpec:
    high = draw(st.integers(1, 120))
    standard = draw(st.integers(high, 180))
    low = draw(st.integers(standard, 365))
    caps: list[tuple[int, int]] = []
    threshold = 0
    cap = 1
    for _ in range(draw(st.integers(0, 3))):  # later in post, never more often (checked)
        threshold = draw(st.integers(threshold + 1, threshold + 200))
        cap = draw(st.integers(cap, cap + 60))
        caps.append((threshold, cap))
    return TypeSpec(
        key,
        f"Type {key}",
        draw(st.sampled_from(list(Kind))),
        intervals={"high": high, "standard": standard, "low": low},
        new_starter_caps=tuple(caps),
        first_window_days=draw(st.integers(0, 120)),
    )


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    keys = draw(st.lists(keys_st, min_size=1, max_size=5, unique=True))
    types = tuple(draw(type_specs(k)) for k in keys)
    low_max = draw(st.integers(4, 11))
    policy = Policy(
        types=types,
        high_min_factors_at_3=draw(st.integers(1, 4)),
        high_min_total=draw(st.integers(low_max + 1, 12)),
        low_max_total=low_max,
        due_soon_min_days=draw(st.integers(0, 30)),
        due_soon_divisor=draw(st.integers(1, 10)),
        trigger_types={k: keys[0] for k in Policy().trigger_types},
    )
    assert policy.problems() == [], policy.problems()
    return policy


factors_st = st.builds(RiskFactors, *(st.integers(1, 3) for _ in FACTORS))


@st.composite
def facts_for(draw: st.DrawFn, policy: Policy) -> WorkerFacts:
    keys = st.sampled_from(policy.catalogue.keys)
    statuses = st.sampled_from((HELD, HELD, SessionStatus.PLANNED, SessionStatus.CANCELLED))
    sessions = draw(
        st.lists(st.builds(SessionFact, keys, statuses, st.integers(-300, 40).map(day)),
                 max_size=6)
    )  # fmt: skip
    leave = []
    for _ in range(draw(st.integers(0, 2))):
        start = draw(st.integers(-200, 5))
        length = draw(st.none() | st.integers(0, 40))
        leave.append(LeavePeriod(day(start), None if length is None else day(start + length)))
    overrides = [
        Override(draw(keys), draw(st.integers(1, 90)), "plan", day(draw(st.integers(-20, 60))))
        for _ in range(draw(st.integers(0, 2)))
    ]
    triggers = [
        TriggerEvent(draw(keys), day(draw(st.integers(-60, 5))), draw(st.integers(0, 14)))
        for _ in range(draw(st.integers(0, 2)))
    ]
    assessed = [
        Assessment(day(draw(st.integers(-300, 0))), draw(factors_st), "2026-01-01", f"a{i}")
        for i in range(draw(st.integers(0, 2)))
    ]
    return WorkerFacts(
        "w1",
        "Alex",
        draw(st.none() | st.integers(-600, 5).map(day)),
        frozenset(draw(st.sets(keys))),
        assessments=tuple(assessed),
        sessions=tuple(sessions),
        leave=tuple(leave),
        overrides=tuple(overrides),
        triggers=tuple(triggers),
    )


def worse(after: DueStatus, before: DueStatus) -> bool:
    return STATUS_SEVERITY[after] < STATUS_SEVERITY[before]


@PURE
@given(data=st.data())
def test_a_held_session_never_worsens_a_status_under_any_policy(data: st.DataObject) -> None:
    policy = data.draw(policies(), label="policy")
    facts = data.draw(facts_for(policy), label="facts")
    type_ = data.draw(st.sampled_from(policy.catalogue.keys), label="type")
    new = SessionFact(type_, HELD, day(data.draw(st.integers(-240, 0), label="offset")))
    before = worker_status(facts, policy, AS_OF)
    after = worker_status(replace(facts, sessions=(*facts.sessions, new)), policy, AS_OF)
    b, a = before.by_type[type_], after.by_type[type_]
    if b.last_held is None and facts.start_date is not None and a.interval_days is not None:
        # §5's one exception (see test_schedule_properties): before the first held session
        # the first window applies, after it last + interval, which may come earlier.
        first_due = b.due or facts.start_date + timedelta(days=policy.first_window(type_))
        if new.on + timedelta(days=a.interval_days) < first_due:
            return
    for key in policy.catalogue.active_keys:
        assert not worse(after.by_type[key].status, before.by_type[key].status), key
    assert not worse(after.overall, before.overall)
    if a.due is not None and b.due is not None:
        assert a.due >= b.due


@PURE
@given(data=st.data())
def test_raising_a_risk_factor_never_lengthens_an_interval_under_any_policy(
    data: st.DataObject,
) -> None:
    policy = data.draw(policies(), label="policy")
    facts = data.draw(facts_for(policy), label="facts")
    base = data.draw(factors_st, label="factors")
    which = data.draw(st.sampled_from(FACTORS), label="which")
    raised = replace(base, **{which: data.draw(st.integers(getattr(base, which), 3))})
    latest = Assessment(AS_OF, base, "9999-12-31T23:59:59Z", "zz")
    lower = worker_status(replace(facts, assessments=(*facts.assessments, latest)), policy, AS_OF)
    higher = worker_status(
        replace(facts, assessments=(*facts.assessments, replace(latest, factors=raised))),
        policy,
        AS_OF,
    )
    assert lower.tier is tier_for(base, policy)[0] and higher.tier is tier_for(raised, policy)[0]
    for key in policy.catalogue.active_keys:
        lo, hi = lower.by_type[key].interval_days, higher.by_type[key].interval_days
        assert (lo is None) == (hi is None)
        if lo is not None and hi is not None:
            assert hi <= lo, key
        assert policy.interval(key, higher.tier) <= policy.interval(key, lower.tier)


@PURE
@given(data=st.data())
def test_every_type_in_use_has_a_status_and_no_other(data: st.DataObject) -> None:
    policy = data.draw(policies(), label="policy")
    retired = data.draw(st.sets(st.sampled_from(policy.catalogue.keys)), label="retired")
    if retired == set(policy.catalogue.keys):
        return
    policy = replace(
        policy, types=tuple(replace(t, retired=t.key in retired) for t in policy.types)
    )
    facts = data.draw(facts_for(policy), label="facts")
    status = worker_status(facts, policy, AS_OF)
    assert tuple(status.by_type) == policy.catalogue.active_keys
    for key, s in status.by_type.items():
        assert (s.status is DueStatus.NOT_REQUIRED) == (key not in facts.requires)


def test_caps_that_tighten_later_in_post_are_refused() -> None:
    """The property above would not hold for them: a later session would bring the next one
    forward (found by hypothesis: caps of every 3 days to day 72, then every day to day 73)."""
    spec = TypeSpec("a", "Type a", new_starter_caps=((72, 3), (73, 1)))
    policy = Policy(types=(spec,), trigger_types={k: "a" for k in Policy().trigger_types})
    assert any("cannot be needed more often later in post" in p for p in policy.problems())
