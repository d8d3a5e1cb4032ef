"""The due-status engine: DOMAIN.md §5, exactly.

A pure function of a worker's facts, the policy and an as-of date. No database, no clock:
callers pass everything in, so the same answer comes back for the same data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from app.dates import uk
from app.domain.model import (
    FACTOR_LABELS,
    FACTORS,
    STATUS_SEVERITY,
    Assessment,
    DueStatus,
    RiskFactors,
    SessionStatus,
    Tier,
    TypeKey,
    WorkerFacts,
)
from app.domain.policy import Policy
from app.domain.slots import slots_maker


@dataclass(frozen=True, slots=True)
class TypeStatus:
    """The engine's answer for one worker and one supervision type."""

    worker_id: str
    type: TypeKey
    tier: Tier
    assessed: bool
    interval_days: int | None
    last_held: date | None
    due: date | None
    status: DueStatus
    booked: date | None
    reason: str

    def as_json(self) -> dict[str, object]:
        return {
            "type": self.type,
            "tier": self.tier.value,
            "assessed": self.assessed,
            "interval_days": self.interval_days,
            "last_held": _iso(self.last_held),
            "due": _iso(self.due),
            "status": self.status.value,
            "booked": _iso(self.booked),
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class WorkerStatus:
    """All types for one worker, and the worst of the required ones."""

    worker_id: str
    tier: Tier
    assessed: bool
    overall: DueStatus
    by_type: dict[TypeKey, TypeStatus]

    @property
    def next_due(self) -> date | None:
        dues = [
            s.due
            for s in self.by_type.values()
            if s.due is not None and s.status not in (DueStatus.NOT_REQUIRED, DueStatus.PAUSED)
        ]
        return min(dues) if dues else None


# ``TypeStatus(...)`` and ``WorkerStatus(...)`` for the engine, which makes thousands: the same
# objects, each value put straight into its slot (see app.domain.slots). Tests compare them.
_new_type_status = slots_maker(TypeStatus)
_new_worker_status = slots_maker(WorkerStatus)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


_NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four"}


def tier_for(factors: RiskFactors, policy: Policy) -> tuple[Tier, str]:
    """The tier a set of factors gives, and a short reason a team lead can read."""
    at_three = [FACTOR_LABELS[name] for name in FACTORS if getattr(factors, name) == 3]
    total = factors.total
    if len(at_three) >= policy.high_min_factors_at_3:
        count = _NUMBER_WORDS.get(len(at_three), str(len(at_three)))
        return Tier.HIGH, f"High: {count} factors at 3 ({', '.join(at_three)})"
    if total >= policy.high_min_total:
        return Tier.HIGH, f"High: total {total} (≥ {policy.high_min_total})"
    if total <= policy.low_max_total and not at_three:
        return Tier.LOW, f"Low: total {total}, no factor at 3"
    if at_three:
        return Tier.STANDARD, f"Standard: total {total}, one factor at 3 ({at_three[0]})"
    return Tier.STANDARD, f"Standard: total {total}"


def latest_assessment(assessments: Iterable[Assessment], as_of: date) -> Assessment | None:
    """The latest assessment dated on or before ``as_of`` (ties broken by record time, then id)."""
    best: Assessment | None = None
    for a in assessments:
        if a.assessed_on > as_of:
            continue
        if best is None or (a.assessed_on, a.recorded_at, a.id) > (
            best.assessed_on,
            best.recorded_at,
            best.id,
        ):
            best = a
    return best


_ONE_DAY = timedelta(days=1)


def _leave_days_between(
    leave: Sequence[tuple[date, date | None]], after: date, before: date
) -> int:
    """Days strictly after ``after`` and strictly before ``before`` that fall in any leave.

    Overlapping leave periods are counted once per day.
    """
    first = after + _ONE_DAY
    last = before - _ONE_DAY
    if last < first:
        return 0
    spans: list[tuple[int, int]] = []
    for start, end in leave:
        lo = max(start, first)
        hi = last if end is None else min(end, last)
        if lo <= hi:
            spans.append((lo.toordinal(), hi.toordinal()))
    if not spans:
        return 0
    spans.sort()
    total = 0
    cur_lo, cur_hi = spans[0]
    for span_lo, span_hi in spans[1:]:
        if span_lo > cur_hi + 1:
            total += cur_hi - cur_lo + 1
            cur_lo, cur_hi = span_lo, span_hi
        else:
            cur_hi = max(cur_hi, span_hi)
    total += cur_hi - cur_lo + 1
    return total


class ScheduleRules:
    """The policy's numbers as the engine reads them, looked up once for many workers.

    Each number is remembered on first use (so a policy missing one fails where it always did,
    only when that number is needed). Build one per computation, since a policy's tables are
    plain dicts; ``worker_status`` makes its own when none is passed.
    """

    __slots__ = (
        "_caps",
        "_due_soon",
        "_first_windows",
        "_intervals",
        "_not_required",
        "_tiers",
        "_uk",
        "policy",
        "types",
    )

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        # The types in use (not retired), in the catalogue's order: the engine's columns.
        self.types: tuple[TypeKey, ...] = policy.catalogue.active_keys
        self._not_required = {
            t.key: f"{t.name} is not required for this role" for t in policy.catalogue.active
        }
        self._intervals: dict[tuple[TypeKey, Tier], int] = {}
        self._caps: dict[TypeKey, tuple[tuple[int, int], ...]] = {}
        self._first_windows: dict[TypeKey, int] = {}
        self._due_soon: dict[int, int] = {}
        self._tiers: dict[RiskFactors, tuple[Tier, str]] = {}
        # Dates as shown in reasons (app.dates spells them the same in every locale), shared
        # by every ScheduleRules: the same few thousand dates recur from one refresh to the next.
        self._uk = _UK

    def interval(self, type_: TypeKey, tier: Tier) -> int:
        key = (type_, tier)
        value = self._intervals.get(key)
        if value is None:
            value = self._intervals[key] = self.policy.interval(type_, tier)
        return value

    def caps(self, type_: TypeKey) -> tuple[tuple[int, int], ...]:
        """The new-starter caps of a type as (max days in post, cap), checked in this order."""
        caps = self._caps.get(type_)
        if caps is None:
            caps = self._caps[type_] = self.policy.caps(type_)
        return caps

    def cap(self, type_: TypeKey, days_in_post: int) -> int | None:
        """``Policy.cap_for(type_, days_in_post)``'s cap."""
        for threshold, cap in self.caps(type_):
            if days_in_post <= threshold:
                return cap
        return None

    def first_window(self, type_: TypeKey) -> int:
        value = self._first_windows.get(type_)
        if value is None:
            value = self._first_windows[type_] = self.policy.first_window(type_)
        return value

    def due_soon_window(self, interval: int) -> int:
        value = self._due_soon.get(interval)
        if value is None:
            value = self._due_soon[interval] = self.policy.due_soon_window(interval)
        return value

    def tier(self, factors: RiskFactors) -> tuple[Tier, str]:
        found = self._tiers.get(factors)
        if found is None:
            found = self._tiers[factors] = tier_for(factors, self.policy)
        return found

    def uk(self, day: date) -> str:
        text = self._uk.get(day)
        if text is None:
            if len(self._uk) >= _UK_CACHE_SIZE:
                self._uk.clear()
            text = self._uk[day] = uk(day)
        return text


_UK_CACHE_SIZE = 4096
_UK: dict[date, str] = {}


_HELD = SessionStatus.HELD
_PLANNED = SessionStatus.PLANNED
_OVERDUE = DueStatus.OVERDUE
_DUE_SOON = DueStatus.DUE_SOON
_ON_TRACK = DueStatus.ON_TRACK
_PAUSED = DueStatus.PAUSED
_NOT_REQUIRED = DueStatus.NOT_REQUIRED
_STANDARD = Tier.STANDARD
_NOT_ASSESSED = "Not assessed (standard until assessed)"
# timedelta(days=n) for the small n the rules add up (intervals, windows, leave days).
_DAYS = tuple(timedelta(days=n) for n in range(1000))


def _plus(day: date, n: int) -> date:
    return day + (_DAYS[n] if 0 <= n < 1000 else timedelta(days=n))


def worker_status(
    facts: WorkerFacts, policy: Policy, as_of: date, *, rules: ScheduleRules | None = None
) -> WorkerStatus:
    """Every type's status for one worker on ``as_of``, and the overall (worst required) one.

    ``rules`` (built from ``policy``) saves looking the policy up again for every worker.
    """
    if rules is None or rules.policy is not policy:
        rules = ScheduleRules(policy)
    return _worker_status(facts, rules, as_of)


def _worker_status(  # noqa: C901 - §5 rule by rule, in the order it states them
    facts: WorkerFacts, rules: ScheduleRules, as_of: date
) -> WorkerStatus:
    worker_id = facts.worker_id
    latest = latest_assessment(facts.assessments, as_of)
    if latest is None:
        tier, tier_reason, assessed = _STANDARD, _NOT_ASSESSED, False
    else:
        tier, tier_reason = rules.tier(latest.factors)
        assessed = True

    # One pass over the sessions for every type: the latest held one on or before the
    # as-of date, and the earliest planned one on or after it (planned, cancelled and did not
    # attend never count as held).
    lasts: dict[TypeKey, date] = {}
    planned: dict[TypeKey, date] = {}
    for s in facts.sessions:
        on = s.on
        if s.status is _HELD:
            if on <= as_of:
                seen = lasts.get(s.type)
                if seen is None or on > seen:
                    lasts[s.type] = on
        elif s.status is _PLANNED and on >= as_of:
            seen = planned.get(s.type)
            if seen is None or on < seen:
                planned[s.type] = on

    leave: list[tuple[date, date | None]] | None = None
    paused = False
    if facts.leave:
        leave = [(lv.start, lv.end) for lv in facts.leave]
        paused = any(lv.covers(as_of) for lv in facts.leave)

    start = facts.start_date
    requires = facts.requires
    overrides = facts.overrides
    triggers = facts.triggers
    # The rules' memos, read directly (a miss asks the rules, which remember the answer).
    intervals = rules._intervals
    caps_of = rules._caps
    due_soon = rules._due_soon
    uk_cache = rules._uk
    uk_ = rules.uk
    not_required = rules._not_required
    by_type: dict[TypeKey, TypeStatus] = {}
    overall = _NOT_REQUIRED
    for type_ in rules.types:
        if type_ not in requires:
            by_type[type_] = _new_type_status(
                worker_id, type_, tier, assessed, None, None, None,
                _NOT_REQUIRED, None, not_required[type_],
            )  # fmt: skip
            continue
        label = type_
        last = lasts.get(type_)

        # Interval: the tier's, or an override in force; then the new-starter cap.
        interval = intervals.get((type_, tier)) or rules.interval(type_, tier)
        parts = [f"{tier_reason} → {label} every {interval} days"]
        if overrides:
            # Of the overrides in force, the one expiring last wins (then the longer interval);
            # the reason and start date only break exact ties, so the answer never depends on
            # row order.
            override = max(
                (o for o in overrides if o.type == type_ and o.in_force(as_of)),
                key=lambda o: (o.expires_on, o.interval_days, o.reason, o.starts_on or date.min),
                default=None,
            )
            if override is not None:
                interval = override.interval_days
                parts.append(
                    f"override → every {interval} days until {uk_(override.expires_on)}"
                    f" ({override.reason})"
                )
        if start is not None:
            days_in_post = ((last if last is not None else as_of) - start).days
            counted = days_in_post if days_in_post >= 0 else 0
            cap = None
            for threshold, capped in caps_of.get(type_) or rules.caps(type_):
                if counted <= threshold:
                    cap = capped
                    break
            if cap is not None and cap < interval:
                interval = cap
                parts.append(f"new in post ({_days(max(days_in_post, 0))}) → capped at {interval}")

        # Due date.
        due: date | None
        clock_from: date | None
        if last is not None:
            due = _plus(last, interval)
            parts.append(f"last held {uk_cache.get(last) or uk_(last)}")
            clock_from = last
        elif start is not None:
            window = rules.first_window(type_)
            due = _plus(start, window)
            parts.append(f"none held yet → first {label} within {window} days of starting")
            clock_from = start
        else:
            due = None
            clock_from = None
            parts.append("no start date and none held: no evidence of supervision")

        # The clock stops during leave.
        if leave is not None and due is not None and clock_from is not None:
            paused_days = _leave_days_between(leave, clock_from, as_of)
            if paused_days:
                due = _plus(due, paused_days)
                parts.append(f"clock stopped {_days(paused_days)} for leave")

        if triggers:
            trigger_due: date | None = None
            trigger_kind = ""
            for t in triggers:
                if t.type != type_ or t.event_date > as_of:
                    continue
                if last is not None and last >= t.event_date:
                    continue  # closed: a held session on or after the event exists
                candidate = _plus(t.event_date, t.response_days)
                # Ties on the date go to the first kind alphabetically, never to the first row.
                if trigger_due is None or (candidate, t.kind) < (trigger_due, trigger_kind):
                    trigger_due, trigger_kind = candidate, t.kind
            # A trigger only pulls a due date in: with no due date at all (no start date,
            # nothing held: no evidence, so overdue) it is named in the reason but cannot make
            # the worker less overdue.
            if trigger_due is not None and (due is None or trigger_due < due):
                if due is not None:
                    due = trigger_due
                parts.append(
                    f"open {trigger_kind.replace('_', ' ')} trigger → due by {uk_(trigger_due)}"
                )

        # Booked: the earliest planned session from the as-of date up to the due date.
        booked = planned.get(type_)
        if booked is not None and (due is None or booked > due):
            booked = None

        # Status.
        if paused:
            status = _PAUSED
            parts.append("on leave: paused")
        elif due is None or as_of > due:
            status = _OVERDUE
        elif (due - as_of).days <= (due_soon.get(interval) or rules.due_soon_window(interval)):
            status = _DUE_SOON
        else:
            status = _ON_TRACK
        if due is not None and status is not _PAUSED:
            parts.append(f"due {uk_cache.get(due) or uk_(due)}")
        if booked is not None:
            parts.append(f"booked {uk_cache.get(booked) or uk_(booked)}")
        by_type[type_] = _new_type_status(
            worker_id, type_, tier, assessed, interval, last, due, status, booked, "; ".join(parts)
        )
        # Overall: the worst of the required types (see overall_status).
        if _SEVERITY[status] < _SEVERITY[overall]:
            overall = status
    return _new_worker_status(worker_id, tier, assessed, overall, by_type)


_SEVERITY = STATUS_SEVERITY


def overall_status(statuses: Iterable[TypeStatus]) -> DueStatus:
    """Worst of the required types; paused only when every required type is paused."""
    worst = DueStatus.NOT_REQUIRED
    for s in statuses:
        if STATUS_SEVERITY[s.status] < STATUS_SEVERITY[worst]:
            worst = s.status
    return worst


def statuses_for(
    workers: Iterable[WorkerFacts],
    policy: Policy,
    as_of: date,
    *,
    rules: ScheduleRules | None = None,
) -> list[WorkerStatus]:
    """Statuses for many workers (a plain loop: each worker is independent)."""
    if rules is None or rules.policy is not policy:
        rules = ScheduleRules(policy)
    return [_worker_status(w, rules, as_of) for w in workers]


def is_active_on(facts: WorkerFacts, day: date) -> bool:
    """In post on ``day``: started (or no start date) and not yet left."""
    started = facts.start_date is None or facts.start_date <= day
    return started and (facts.left_on is None or day < facts.left_on)


@dataclass(frozen=True, slots=True)
class Compliance:
    """Compliant pairs out of counted (active worker, required type, not paused) pairs."""

    compliant: int
    counted: int

    @property
    def percent(self) -> float | None:
        return None if self.counted == 0 else 100.0 * self.compliant / self.counted

    def __add__(self, other: Compliance) -> Compliance:
        return Compliance(self.compliant + other.compliant, self.counted + other.counted)


def compliance(
    statuses: Iterable[tuple[str, WorkerStatus]],
    type_: TypeKey | None = None,
) -> Compliance:
    """Compliance over (team, status) pairs, optionally for one type.

    Callers pass only workers active on the date the statuses were computed for.
    """
    compliant = counted = 0
    for _team, ws in statuses:
        if type_ is None:
            chosen: Iterable[TypeStatus] = ws.by_type.values()
        else:
            one = ws.by_type.get(type_)
            chosen = () if one is None else (one,)
        for s in chosen:
            status = s.status
            if status is _NOT_REQUIRED or status is _PAUSED:
                continue
            counted += 1
            if status is not _OVERDUE:
                compliant += 1
    return Compliance(compliant, counted)


def compliance_table(
    statuses: Sequence[tuple[str, WorkerStatus]],
    types: Sequence[TypeKey],
) -> dict[tuple[str | None, TypeKey | None], Compliance]:
    """Compliance per (team, type) over ``types``, with None meaning "all" on either axis."""
    table: dict[tuple[str | None, TypeKey | None], Compliance] = {}
    teams = sorted({team for team, _ in statuses})
    for team in [None, *teams]:
        subset = [p for p in statuses if team is None or p[0] == team]
        for type_ in [None, *types]:
            table[(team, type_)] = compliance(subset, type_)
    return table
