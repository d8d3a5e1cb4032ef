"""Wellbeing and retention insight, and supervisors' workload and cancellations.

Per worker: the wellbeing pulse over time and gentle flags (rules in ``app.domain.insight``).
Per team: only aggregates — a month's mean wellbeing, workload and moral-distress counts and
how many flags arose — never names; a month with fewer than ``min_readings`` readings shows no
mean, so a small team's figure cannot be traced to one person.

Per supervisor and month: supervisees, sessions held, cancelled (by category and by reason),
did not attend, the longest gap between held sessions among their supervisees, and the
"supervision crowded out" signal.
"""

from __future__ import annotations

import calendar
import itertools
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from app.domain.catalogue import SupervisorRole
from app.domain.insight import (
    PulsePoint,
    WellbeingFlag,
    cancel_category_of,
    current_flags,
    is_crowded_out,
    wellbeing_flags,
)
from app.domain.model import TypeKey
from app.domain.policy import Policy
from app.domain.records import CancelCategory, Workload
from app.services.bound import BoundService, bound
from app.storage.db import Database
from app.storage.policies import current_policy
from app.storage.rows import EVERY_TYPE
from app.storage.workers import REQUIRED_TYPES_SQL, required_types

__all__ = [
    "SupervisorMonth",
    "TeamWellbeingMonth",
    "WorkerWellbeing",
    "months_between",
    "supervisor_workload",
    "team_wellbeing",
    "worker_wellbeing",
]


# --- Wellbeing -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkerWellbeing:
    """One worker's pulse over time, every flag in it, and the flags that still apply."""

    worker_id: str
    points: tuple[PulsePoint, ...]
    flags: tuple[WellbeingFlag, ...]
    current: tuple[WellbeingFlag, ...]

    def series(self) -> list[tuple[date, int | None, Workload | None, bool | None]]:
        """(date, wellbeing, workload, moral distress) per reading, oldest first: the chart."""
        return [(p.on, p.wellbeing, p.workload, p.moral_distress) for p in self.points]


# One-to-one held sessions that recorded any of the pulse questions.
_PULSE_WHERE = (
    "s.type IN (SELECT key FROM supervision_types WHERE kind = 'one-to-one') "
    "AND s.status = 'held' AND s.worker_id IS NOT NULL "
    "AND (s.wellbeing IS NOT NULL OR s.workload IS NOT NULL OR s.moral_distress IS NOT NULL)"
)


def _pulse_rows(db: Database, where: str, params: Sequence[object]) -> dict[str, list[PulsePoint]]:
    rows = db.execute(
        "SELECT s.worker_id, s.id, s.session_date, s.type, s.wellbeing, s.workload, "
        f"s.moral_distress FROM sessions s WHERE {_PULSE_WHERE} "
        f"AND {where} ORDER BY s.session_date, s.start_time, s.created_at, s.id",
        list(params),
    ).fetchall()
    return _pulse_points(rows)


_WORKLOADS = {w.value: w for w in Workload}


def _pulse_points(rows: Sequence[Sequence[Any]]) -> dict[str, list[PulsePoint]]:
    out: dict[str, list[PulsePoint]] = defaultdict(list)
    for r in rows:
        out[r[0]].append(
            PulsePoint(
                r[1], date.fromisoformat(r[2]), r[3], r[4],
                (_WORKLOADS.get(r[5]) or Workload(r[5])) if r[5] else None,
                None if r[6] is None else bool(r[6]),
            )
        )  # fmt: skip
    return out


def _period_pulse_rows(
    db: Database, date_from: date, date_to: date, team: str | None = None
) -> dict[str, list[PulsePoint]]:
    """Each worker's pulse readings in the period, preceded by the few earlier ones a flag in
    the period can depend on: the last two scored readings (a fall is three scores in a row)
    and the last answered moral-distress question (distress is two answers in a row). The
    flags come out exactly as from the whole history, without reading ten years of it.

    The earlier readings are looked for in the months just before the period first; only a
    worker without enough of them there is looked up further back (one indexed query each).
    """
    team_filter, team_params = "", []
    if team is not None:
        team_filter = " AND s.worker_id IN (SELECT id FROM workers WHERE team = ?)"
        team_params = [team]

    def read(where: str, params: list[object]) -> list[Any]:
        return db.execute(
            f"SELECT {_PULSE_COLUMNS} FROM sessions s WHERE {_PULSE_WHERE} AND {where}"
            f"{team_filter}",
            [*params, *team_params],
        ).fetchall()

    period = read("s.session_date BETWEEN ? AND ?", [date_from.isoformat(), date_to.isoformat()])
    workers = {r[0] for r in period}  # no reading in the period: no count and no flag in it
    lookback = date_from - timedelta(days=_PULSE_LOOKBACK_DAYS)
    earlier: dict[str, list[Any]] = defaultdict(list)
    for r in read(
        "s.session_date >= ? AND s.session_date < ?", [lookback.isoformat(), date_from.isoformat()]
    ):
        if r[0] in workers:
            earlier[r[0]].append(r)
    kept: dict[str, Any] = {r[1]: r for r in period}
    for worker_id in workers:
        rows = sorted(earlier.get(worker_id, ()), key=_pulse_order)
        scored = [r for r in rows if r[4] is not None][-2:]
        answered = [r for r in rows if r[6] is not None][-1:]
        if len(scored) < 2:
            deeper = _last_before(db, worker_id, lookback, "s.wellbeing", 2 - len(scored))
            scored = sorted(scored + deeper, key=_pulse_order)[-2:]
        if not answered:
            answered = _last_before(db, worker_id, lookback, "s.moral_distress", 1)
        kept.update((r[1], r) for r in (*scored, *answered))
    return _pulse_points(sorted(kept.values(), key=_pulse_order))


# How far before a period its earlier readings are first looked for (one-to-one supervision is
# a few weeks apart; a longer gap costs one more query for that worker).
_PULSE_LOOKBACK_DAYS = 183
_PULSE_COLUMNS = (
    "s.worker_id, s.id, s.session_date, s.type, s.wellbeing, s.workload, s.moral_distress, "
    "s.start_time, s.created_at"
)


def _pulse_order(row: Sequence[Any]) -> tuple[str, str, str, str]:
    """``ORDER BY session_date, start_time, created_at, id`` (SQLite puts NULL first)."""
    return (row[2], row[7] or "", row[8] or "", row[1])


def _last_before(
    db: Database, worker_id: str, before: date, answered: str, limit: int
) -> list[Any]:
    """A worker's latest ``limit`` pulse readings before ``before`` that answered the
    ``answered`` question (by the worker's index)."""
    return list(
        db.execute(
            f"SELECT {_PULSE_COLUMNS} FROM sessions s "
            f"WHERE s.worker_id = ? AND {_PULSE_WHERE} AND {answered} IS NOT NULL "
            "AND s.session_date < ? "
            "ORDER BY s.session_date DESC, s.start_time DESC, s.created_at DESC, s.id DESC "
            "LIMIT ?",
            [worker_id, before.isoformat(), limit],
        ).fetchall()
    )


def worker_wellbeing(
    db: Database,
    worker_id: str,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
) -> WorkerWellbeing:
    """The worker's pulse from held one-to-one sessions (line and clinical), oldest first.

    Flags are worked out on the whole history up to ``date_to`` (a fall that began before
    ``date_from`` still counts) and reported when dated in the period.
    """
    where, params = "s.worker_id = ?", [worker_id]
    if date_to is not None:
        where += " AND s.session_date <= ?"
        params.append(date_to.isoformat())
    points = _pulse_rows(db, where, params).get(worker_id, [])
    flags = wellbeing_flags(points)
    now = current_flags(points, flags)
    if date_from is not None:
        points = [p for p in points if p.on >= date_from]
        flags = [f for f in flags if f.on >= date_from]
    return WorkerWellbeing(worker_id, tuple(points), tuple(flags), tuple(now))


@dataclass(frozen=True, slots=True)
class TeamWellbeingMonth:
    """A team's month in aggregate: no names, no single person's figures."""

    month: date  # the first day
    readings: int  # sessions that recorded a wellbeing score
    workers: int  # different workers with a reading
    mean_wellbeing: float | None  # None when readings < min_readings
    workload: dict[Workload, int] = field(default_factory=dict)
    moral_distress: int = 0  # sessions recording moral distress
    flags: int = 0  # flags that arose this month


def months_between(date_from: date, date_to: date) -> list[date]:
    """The first day of every month overlapping the period."""
    months = []
    current = date_from.replace(day=1)
    while current <= date_to:
        months.append(current)
        days = calendar.monthrange(current.year, current.month)[1]
        current += timedelta(days=days)
    return months


def team_wellbeing(
    db: Database,
    date_from: date,
    date_to: date,
    *,
    team: str | None = None,
    min_readings: int = 3,
) -> list[TeamWellbeingMonth]:
    """Month by month aggregates for the whole service or one team (the worker's team)."""
    by_worker = _period_pulse_rows(db, date_from, date_to, team)
    month_of = {m: i for i, m in enumerate(months_between(date_from, date_to))}
    scores: dict[date, list[int]] = defaultdict(list)
    people: dict[date, set[str]] = defaultdict(set)
    loads: dict[date, Counter[Workload]] = defaultdict(Counter)
    distress: Counter[date] = Counter()
    flags: Counter[date] = Counter()
    for worker_id, points in by_worker.items():
        for p in points:
            month = p.on.replace(day=1)
            if not date_from <= p.on <= date_to:
                continue
            if p.wellbeing is not None:
                scores[month].append(p.wellbeing)
                people[month].add(worker_id)
            if p.workload is not None:
                loads[month][p.workload] += 1
            if p.moral_distress:
                distress[month] += 1
        for f in wellbeing_flags(points):
            if date_from <= f.on <= date_to:
                flags[f.on.replace(day=1)] += 1
    out = []
    for month in month_of:
        values = scores.get(month, [])
        mean = round(sum(values) / len(values), 1) if len(values) >= min_readings else None
        out.append(
            TeamWellbeingMonth(month, len(values), len(people.get(month, ())), mean,
                               dict(loads.get(month, {})), distress[month], flags[month])
        )  # fmt: skip
    return out


# --- Supervisors' workload -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SupervisorMonth:
    """One supervisor's month."""

    supervisor_id: str
    supervisor_name: str
    month: date  # the first day
    supervisees: int  # workers naming them line or clinical supervisor, in post that month
    held: int
    cancelled: int
    did_not_attend: int
    cancelled_by: dict[CancelCategory, int]
    cancel_reasons: dict[str, int]  # the reasons as typed (spaces tidied), most common first
    longest_gap_days: int | None  # among their supervisees (see supervisor_workload)
    longest_gap_worker: str  # the worker's name ('' when no gap)
    longest_gap_type: TypeKey | None
    crowded_out: bool
    longest_gap_type_name: str = ""  # the type's name, as the policy words it

    @property
    def planned(self) -> int:
        """Sessions that were meant to happen this month: held, cancelled, did not attend."""
        return self.held + self.cancelled + self.did_not_attend

    @property
    def workload_cancelled(self) -> int:
        return self.cancelled_by.get(CancelCategory.WORKLOAD, 0)


@dataclass
class _Tally:
    held: int = 0
    cancelled: int = 0
    dna: int = 0
    by_category: Counter[CancelCategory] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)


def _month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def supervisor_workload(
    db: Database,
    date_from: date,
    date_to: date,
    policy: Policy | None = None,
    *,
    as_of: date | None = None,
) -> list[SupervisorMonth]:
    """Every supervisor's months overlapping the period (month, then name).

    Sessions count for the supervisor recorded on them (a group once, for its facilitator).
    The longest gap looks at each supervisee and each type this supervisor is named for (line
    and/or clinical): the longest stretch between consecutive held sessions of that type that
    ends inside the month, or that is still open at the month's end (or at ``as_of``, default
    ``date_to``, if earlier). A worker with no held session of that type counts from their
    start date; before the first held session on record nothing is counted (history unknown).
    Leave days inside a gap are not counted (the clock stops during leave, DOMAIN.md §5).
    """
    policy = policy or current_policy(db)
    as_of = as_of or date_to
    months = months_between(date_from, date_to)
    tallies = _tally_sessions(db, months[0], _month_end(months[-1]))
    names = dict(db.execute("SELECT id, name FROM workers").fetchall())
    duties = _duties(db, policy)
    held = _held_dates(db, as_of, since=months[0])
    out = []
    supervisors = sorted(set(duties) | {s for s, _ in tallies}, key=lambda s: names[s].casefold())
    for month in months:
        last = _month_end(month)
        end = min(last, as_of)
        for sup in supervisors:
            mine = [d for d in duties.get(sup, ()) if d.in_post(month, last)]
            tally = tallies.get((sup, month), _Tally())
            if not mine and (sup, month) not in tallies:
                continue
            gap = max(
                (g for d in mine if (g := d.longest_gap(held, month, end)) is not None),
                default=None,
                key=lambda g: g[0],
            )
            workload = tally.by_category.get(CancelCategory.WORKLOAD, 0)
            planned = tally.held + tally.cancelled + tally.dna
            out.append(
                SupervisorMonth(
                    sup, names[sup], month, len({d.worker_id for d in mine}), tally.held,
                    tally.cancelled, tally.dna, dict(tally.by_category),
                    dict(tally.reasons.most_common()),
                    gap[0] if gap else None, names.get(gap[1], "") if gap else "",
                    gap[2] if gap else None, is_crowded_out(workload, planned, policy),
                    policy.catalogue.spec(gap[2]).name if gap else "",
                )
            )  # fmt: skip
    return out


def _tally_sessions(db: Database, start: date, end: date) -> dict[tuple[str, date], _Tally]:
    tallies: dict[tuple[str, date], _Tally] = defaultdict(_Tally)
    for sup, on, status, reason, category in db.execute(
        "SELECT supervisor_id, session_date, status, cancel_reason, cancel_category "
        f"FROM sessions WHERE {EVERY_TYPE} AND status IN ('held', 'cancelled', 'dna') "
        "AND supervisor_id IS NOT NULL AND session_date BETWEEN ? AND ?",
        [start.isoformat(), end.isoformat()],
    ).fetchall():
        tally = tallies[(sup, date.fromisoformat(on).replace(day=1))]
        if status == "held":
            tally.held += 1
        elif status == "dna":
            tally.dna += 1
        else:
            tally.cancelled += 1
            tally.by_category[
                cancel_category_of(CancelCategory(category) if category else None, reason)
            ] += 1
            tally.reasons[" ".join(reason.split()) or "No reason given"] += 1
    return dict(tallies)


@dataclass(frozen=True, slots=True)
class _Duty:
    """A supervisee and a type a supervisor is named for."""

    worker_id: str
    type: TypeKey
    start: date | None
    left_on: date | None
    leave: tuple[tuple[date, date | None], ...] = ()

    def in_post(self, first: date, last: date) -> bool:
        return (self.start is None or self.start <= last) and (
            self.left_on is None or self.left_on >= first
        )

    def _gap(self, after: date, until: date) -> int:
        """Days from ``after`` to ``until`` less the leave days between them (the clock stops
        during leave, as for due dates)."""
        days = (until - after).days
        for start, end in self.leave:
            first = max(start, after + timedelta(days=1))
            last = min(end or until, until - timedelta(days=1))
            if first <= last:
                days -= (last - first).days + 1
        return days

    def longest_gap(
        self, held: dict[tuple[str, TypeKey], list[date]], month: date, end: date
    ) -> tuple[int, str, TypeKey] | None:
        dates = [d for d in held.get((self.worker_id, self.type), ()) if d <= end]
        stop = min(end, self.left_on) if self.left_on else end
        if not dates:  # no evidence of supervision: the gap runs from the start in post
            if self.start is None or self.start > stop:
                return None
            return self._gap(self.start, stop), self.worker_id, self.type
        gaps = [self._gap(a, b) for a, b in itertools.pairwise(dates) if month <= b]
        if dates[-1] <= stop:
            gaps.append(self._gap(dates[-1], stop))
        return (max(gaps), self.worker_id, self.type) if gaps else None


def _duties(db: Database, policy: Policy) -> dict[str, list[_Duty]]:
    """Per supervisor, the workers they supervise one-to-one, by type: a one-to-one type's
    supervisor (see the catalogue) is the worker's line or clinical supervisor."""
    leave: dict[str, list[tuple[date, date | None]]] = defaultdict(list)
    for wid, start, end in db.execute(
        "SELECT worker_id, start_date, end_date FROM leave_periods"
    ).fetchall():
        leave[wid].append((date.fromisoformat(start), date.fromisoformat(end) if end else None))
    out: dict[str, list[_Duty]] = defaultdict(list)
    one_to_one = [t for t in policy.catalogue.active if not t.is_group]
    for wid, line_sup, clin_sup, start, left, required in db.execute(
        "SELECT id, line_supervisor_id, clinical_supervisor_id, start_date, left_on, "
        f"{REQUIRED_TYPES_SQL.format(id='workers.id')} FROM workers"
    ).fetchall():
        begin = date.fromisoformat(start) if start else None
        gone = date.fromisoformat(left) if left else None
        away = tuple(leave.get(wid, ()))
        requires = required_types(required)
        for spec in one_to_one:
            supervisor = clin_sup if spec.supervisor is SupervisorRole.CLINICAL else line_sup
            if supervisor and spec.key in requires:
                out[supervisor].append(_Duty(wid, spec.key, begin, gone, away))
    return dict(out)


def _held_dates(db: Database, as_of: date, since: date) -> dict[tuple[str, TypeKey], list[date]]:
    """Held dates per worker and type up to ``as_of``, oldest first: those from ``since`` on
    and the latest one before it, all that a gap ending on or after ``since`` can span (the
    rest of the history changes no gap in the period)."""
    held = "status = 'held' AND worker_id IS NOT NULL AND session_date <= ?"
    out: dict[tuple[str, TypeKey], list[date]] = defaultdict(list)
    for wid, type_, on in db.execute(
        "SELECT worker_id, type, max(session_date) FROM sessions "
        f"WHERE {held} AND session_date < ? GROUP BY worker_id, type "
        f"UNION ALL SELECT worker_id, type, session_date FROM sessions "
        f"WHERE {held} AND session_date >= ? ORDER BY 3",
        [as_of.isoformat(), since.isoformat(), as_of.isoformat(), since.isoformat()],
    ).fetchall():
        out[(wid, type_)].append(date.fromisoformat(on))
    return dict(out)


class InsightService(BoundService):
    """Wellbeing and supervisors' workload over time. (The open database given: see ``app.services.bound``.)"""

    worker_wellbeing = bound(worker_wellbeing)
    team_wellbeing = bound(team_wellbeing)
    supervisor_workload = bound(supervisor_workload)
