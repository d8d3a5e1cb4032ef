"""The due-status engine: DOMAIN.md §5, exactly.

A pure function of a worker's facts, the policy and an as-of date. No database, no clock:
callers pass everything in, so the same answer comes back for the same data.
"""

from __future__ import annotations

import functools
import locale
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from app.dates import uk
from app.domain.model import (
    ALL_TYPES,
    FACTOR_LABELS,
    FACTORS,
    STATUS_SEVERITY,
    Assessment,
    DueStatus,
    RiskFactors,
    SessionStatus,
    SupervisionType,
    Tier,
    WorkerFacts,
)
from app.domain.policy import Policy


@dataclass(frozen=True, slots=True)
class TypeStatus:
    """The engine's answer for one worker and one supervision type."""

    worker_id: str
    type: SupervisionType
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
            "type": self.type.value,
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
    by_type: dict[SupervisionType, TypeStatus]

    @property
    def next_due(self) -> date | None:
        dues = [
            s.due
            for s in self.by_type.values()
            if s.due is not None and s.status not in (DueStatus.NOT_REQUIRED, DueStatus.PAUSED)
        ]
        return min(dues) if dues else None


@functools.lru_cache(maxsize=4096)
def _uk_in(day: date, _time_locale: str) -> str:
    return uk(day)


def uk_date(day: date) -> str:
    """``app.dates.uk``, remembered: a reason names a handful of dates thousands of times, and
    formatting one is most of the engine's time. Keyed by the time locale, as ``uk`` uses it."""
    return _uk_in(day, locale.setlocale(locale.LC_TIME))


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


def _leave_days_between(
    leave: Sequence[tuple[date, date | None]], after: date, before: date
) -> int:
    """Days strictly after ``after`` and strictly before ``before`` that fall in any leave.

    Overlapping leave periods are counted once per day.
    """
    first = after + timedelta(days=1)
    last = before - timedelta(days=1)
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


def _type_status(  # noqa: C901 - one rule per branch, in the order §5 states them
    facts: WorkerFacts,
    type_: SupervisionType,
    tier: Tier,
    assessed: bool,
    tier_reason: str,
    policy: Policy,
    as_of: date,
) -> TypeStatus:
    label = type_.value
    if type_ not in facts.requires:
        return TypeStatus(
            facts.worker_id, type_, tier, assessed, None, None, None,
            DueStatus.NOT_REQUIRED, None, f"{type_.label} is not required for this role",
        )  # fmt: skip

    last: date | None = None
    booked: date | None = None
    for s in facts.sessions:
        if s.type is not type_:
            continue
        if s.status is SessionStatus.HELD and s.on <= as_of and (last is None or s.on > last):
            last = s.on

    # Interval: the tier's, or an override in force; then the new-starter cap.
    interval = policy.interval(type_, tier)
    parts = [f"{tier_reason} → {label} every {interval} days"]
    # Of the overrides in force, the one expiring last wins (then the longer interval); the
    # reason and start date only break exact ties, so the answer never depends on row order.
    override = max(
        (o for o in facts.overrides if o.type is type_ and o.in_force(as_of)),
        key=lambda o: (o.expires_on, o.interval_days, o.reason, o.starts_on or date.min),
        default=None,
    )
    if override is not None:
        interval = override.interval_days
        parts.append(
            f"override → every {interval} days until {uk_date(override.expires_on)}"
            f" ({override.reason})"
        )
    if facts.start_date is not None:
        reference = last if last is not None else as_of
        days_in_post = (reference - facts.start_date).days
        cap = policy.cap_for(type_, days_in_post) if days_in_post >= 0 else None
        if days_in_post < 0:
            cap = policy.cap_for(type_, 0)
        if cap is not None and cap[1] < interval:
            interval = cap[1]
            parts.append(f"new in post ({_days(max(days_in_post, 0))}) → capped at {interval}")

    # Due date.
    due: date | None
    if last is not None:
        due = last + timedelta(days=interval)
        parts.append(f"last held {uk_date(last)}")
        clock_from = last
    elif facts.start_date is not None:
        window = policy.first_window(type_)
        due = facts.start_date + timedelta(days=window)
        parts.append(f"none held yet → first {label} within {window} days of starting")
        clock_from = facts.start_date
    else:
        due = None
        clock_from = None
        parts.append("no start date and none held: no evidence of supervision")

    if due is not None and clock_from is not None and facts.leave:
        paused_days = _leave_days_between(
            [(lv.start, lv.end) for lv in facts.leave], clock_from, as_of
        )
        if paused_days:
            due = due + timedelta(days=paused_days)
            parts.append(f"clock stopped {_days(paused_days)} for leave")

    trigger_due: date | None = None
    trigger_kind = ""
    for t in facts.triggers:
        if t.type is not type_ or t.event_date > as_of:
            continue
        if last is not None and last >= t.event_date:
            continue  # closed: a held session on or after the event exists
        candidate = t.event_date + timedelta(days=t.response_days)
        # Ties on the date go to the first kind alphabetically, never to the first row.
        if trigger_due is None or (candidate, t.kind) < (trigger_due, trigger_kind):
            trigger_due, trigger_kind = candidate, t.kind
    # A trigger only pulls a due date in: with no due date at all (no start date, nothing held:
    # no evidence, so overdue) it is named in the reason but cannot make the worker less overdue.
    if trigger_due is not None and (due is None or trigger_due < due):
        if due is not None:
            due = trigger_due
        parts.append(
            f"open {trigger_kind.replace('_', ' ')} trigger → due by {uk_date(trigger_due)}"
        )

    if due is not None:
        for s in facts.sessions:
            if (
                s.type is type_
                and s.status is SessionStatus.PLANNED
                and as_of <= s.on <= due
                and (booked is None or s.on < booked)
            ):
                booked = s.on

    # Status.
    if facts.leave and any(lv.covers(as_of) for lv in facts.leave):
        status = DueStatus.PAUSED
        parts.append("on leave: paused")
    elif due is None or as_of > due:
        status = DueStatus.OVERDUE
    elif (due - as_of).days <= policy.due_soon_window(interval):
        status = DueStatus.DUE_SOON
    else:
        status = DueStatus.ON_TRACK
    if due is not None and status is not DueStatus.PAUSED:
        parts.append(f"due {uk_date(due)}")
    if booked is not None:
        parts.append(f"booked {uk_date(booked)}")
    return TypeStatus(
        facts.worker_id,
        type_,
        tier,
        assessed,
        interval,
        last,
        due,
        status,
        booked,
        "; ".join(parts),
    )


def worker_status(facts: WorkerFacts, policy: Policy, as_of: date) -> WorkerStatus:
    """Every type's status for one worker on ``as_of``, and the overall (worst required) one."""
    latest = latest_assessment(facts.assessments, as_of)
    if latest is None:
        tier, tier_reason, assessed = Tier.STANDARD, "Not assessed (standard until assessed)", False
    else:
        tier, tier_reason = tier_for(latest.factors, policy)
        assessed = True
    by_type = {
        t: _type_status(facts, t, tier, assessed, tier_reason, policy, as_of) for t in ALL_TYPES
    }
    return WorkerStatus(facts.worker_id, tier, assessed, overall_status(by_type.values()), by_type)


def overall_status(statuses: Iterable[TypeStatus]) -> DueStatus:
    """Worst of the required types; paused only when every required type is paused."""
    worst = DueStatus.NOT_REQUIRED
    for s in statuses:
        if STATUS_SEVERITY[s.status] < STATUS_SEVERITY[worst]:
            worst = s.status
    return worst


def statuses_for(workers: Iterable[WorkerFacts], policy: Policy, as_of: date) -> list[WorkerStatus]:
    """Statuses for many workers (a plain loop: each worker is independent)."""
    return [worker_status(w, policy, as_of) for w in workers]


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
    type_: SupervisionType | None = None,
) -> Compliance:
    """Compliance over (team, status) pairs, optionally for one type.

    Callers pass only workers active on the date the statuses were computed for.
    """
    compliant = counted = 0
    for _team, ws in statuses:
        for t, s in ws.by_type.items():
            if type_ is not None and t is not type_:
                continue
            if s.status in (DueStatus.NOT_REQUIRED, DueStatus.PAUSED):
                continue
            counted += 1
            if s.status is not DueStatus.OVERDUE:
                compliant += 1
    return Compliance(compliant, counted)


def compliance_table(
    statuses: Sequence[tuple[str, WorkerStatus]],
) -> dict[tuple[str | None, SupervisionType | None], Compliance]:
    """Compliance per (team, type), with None meaning "all" on either axis."""
    table: dict[tuple[str | None, SupervisionType | None], Compliance] = {}
    teams = sorted({team for team, _ in statuses})
    for team in [None, *teams]:
        subset = [p for p in statuses if team is None or p[0] == team]
        for type_ in [None, *ALL_TYPES]:
            table[(team, type_)] = compliance(subset, type_)
    return table
