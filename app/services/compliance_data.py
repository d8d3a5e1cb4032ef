"""What the team compliance pack prints, gathered before any layout: the queries and the
schedule behind every figure (``app.services.reports.compliance`` lays them out and reads
nothing itself).

The policy in force, headcount per team, compliance per type and per team at each month end
(the month-end value, never averaged: the schedule is computed on each month end, DOMAIN.md
§5), who is overdue at the end of the period, cancellations, what became of the actions agreed,
records awaiting sign-off or the supervisee's response, record quality, team wellbeing as
aggregates, the themes raised (and by month, for the heat map), the learning log and QA
sampling.

A pack never counts a due date after today as overdue: a period that ends after today is cut
at today (``ComplianceData.until``).

To add a part: give ``ComplianceData`` a field, fill it in a ``GatherStep`` added to
``GATHER_STEPS``, and lay it out in a ``PackSection`` placed in the report's ``SECTIONS``.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from app.collector import collection_paused
from app.dates import day_month, month_short_year, uk
from app.domain.catalogue import Catalogue
from app.domain.model import DueStatus, SessionStatus, TypeKey
from app.domain.policy import Policy, PolicyVersion
from app.domain.qa import QaFigures
from app.domain.quality import quality_gaps
from app.domain.rows import SessionLine
from app.domain.schedule import Compliance
from app.errors import UsageError
from app.services.governance import LearningEntry, learning_log
from app.services.pack_record_data import RecordCounts, gather_pack_records
from app.services.reports.common import Cancelled, ExportCancelled, Progress
from app.services.schedule_history import compliance_table, compute_schedules
from app.services.scheduling import Schedule
from app.services.themes import ThemeCounts, theme_counts
from app.storage import pack as pack_store
from app.storage.db import Database
from app.storage.group_acks import yet_to_respond
from app.storage.policies import policy_history
from app.storage.reporting import period_sessions
from app.storage.themes import list_themes, theme_mentions

if TYPE_CHECKING:
    from app.services.reports.compliance import PackSection

# A team's wellbeing figures are printed only when at least this many workers are behind them:
# an average of one or two people's scores would say whose they are.
MIN_WORKERS_SHOWN = 3


@dataclass(frozen=True, slots=True)
class MonthPoint:
    """The compliance table on one month end (or on the period's end)."""

    on: date
    label: str
    month_end: bool
    table: dict[tuple[str | None, TypeKey | None], Compliance]
    policy_version: int = 0  # the policy version in force on that date (0: not a saved one)


@dataclass(frozen=True, slots=True)
class OverdueLine:
    worker: str
    team: str
    type: TypeKey
    due: date | None
    days: int | None  # None: no evidence of supervision at all
    reason: str


@dataclass(frozen=True, slots=True)
class TeamHeadcount:
    """Workers in post in one team (the team recorded now) at the start and end of the period."""

    team: str
    at_start: int
    joined: int
    left: int
    at_end: int
    on_leave: int  # in post and on leave at the end


@dataclass(slots=True)
class ActionCounts:
    """Actions agreed in the period, by how they stood at the end of it."""

    agreed: int = 0
    on_time: int = 0  # done by the due date (or with none set)
    late: int = 0  # done after the due date
    dropped: int = 0
    open_not_due: int = 0  # open, due at or after the end (or no due date)
    overdue: int = 0  # open, due before the end

    def add(self, other: ActionCounts) -> None:
        for name in ActionCounts.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True, slots=True)
class ThemeRaised:
    name: str
    retired: bool
    sessions: int
    workers: int
    teams: int


@dataclass(frozen=True, slots=True)
class TeamWellbeing:
    """One team's wellbeing pulses over the period, as counts and an average: no names.
    ``shown`` is False when fewer than ``MIN_WORKERS_SHOWN`` workers are behind the figures."""

    team: str | None  # None: every team together
    sessions: int
    workers: int
    scored: int
    mean: float | None
    low: int  # scores of 4 or less
    workload_recorded: int
    excessive: int
    distress_recorded: int
    distress: int
    support: int

    @property
    def shown(self) -> bool:
        return self.workers >= MIN_WORKERS_SHOWN


@dataclass(slots=True)
class ComplianceData:
    """Everything the pack prints, gathered before any layout.

    ``date_to`` is the end asked for; ``until`` the day the figures are counted to: the
    earlier of ``date_to`` and ``today`` (nothing after today can be overdue yet)."""

    date_from: date
    date_to: date
    today: date
    service_name: str
    until: date = field(init=False)
    registration_number: str = ""
    # The types the pack reports on (in use on some point of the period), their words, and
    # the policy versions in force over the period (in the order they took effect).
    catalogue: Catalogue = field(default_factory=lambda: Catalogue(()))
    types: tuple[TypeKey, ...] = ()
    policies: list[PolicyVersion] = field(default_factory=list)
    points: list[MonthPoint] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    overdue: list[OverdueLine] = field(default_factory=list)
    overdue_workers: int = 0
    cancelled: list[SessionLine] = field(default_factory=list)
    dna: int = 0
    held: int = 0
    unsigned: list[SessionLine] = field(default_factory=list)
    awaiting: list[SessionLine] = field(default_factory=list)
    group_waiting: dict[str, int] = field(default_factory=dict)  # group id -> attendees to go
    # Per held record: its team and the codes of its quality gaps (the pack prints counts;
    # the records themselves are not kept: fewer objects alive while the pack is laid out).
    quality: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    # The policy in force at the end (its service name, registration and time zone).
    policy: Policy = field(default_factory=Policy)
    headcount: list[TeamHeadcount] = field(default_factory=list)
    actions: dict[str, ActionCounts] = field(default_factory=dict)  # by team
    themes: list[ThemeRaised] = field(default_factory=list)
    wellbeing: list[TeamWellbeing] = field(default_factory=list)
    # Signed records and their QA countersignatures, per team and month (issue 16).
    qa: QaFigures | None = None
    # Supervisees' copies against the deadline and escalations, counted (issue 16).
    record_counts: RecordCounts | None = None
    # Held sessions raising each theme, by month (the heat map), and the learning log: the
    # governance items closed with a change made in the period.
    heat_map: ThemeCounts | None = None
    learning: list[LearningEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.until = min(self.date_to, self.today)

    @property
    def cut(self) -> bool:
        """True when the period asked for ends after today and the figures stop at today."""
        return self.until < self.date_to


GatherStep = Callable[[Database, ComplianceData], None]


def month_ends(date_from: date, date_to: date) -> list[tuple[date, bool]]:
    """Each month end in [date_from, date_to], then ``date_to`` itself when it is not one
    (flagged False), so the pack always shows where the period finished."""
    out: list[tuple[date, bool]] = []
    year, month = date_from.year, date_from.month
    while (year, month) <= (date_to.year, date_to.month):
        end = date(year, month, calendar.monthrange(year, month)[1])
        if date_from <= end <= date_to:
            out.append((end, True))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if not out or out[-1][0] != date_to:
        out.append((date_to, False))
    return out


def point_label(day: date, month_end: bool) -> str:
    """A point's label on the charts and tables: "Nov 26" on a month end, "26 Nov*" on the
    period's end when it is not one."""
    return month_short_year(day) if month_end else f"{day_month(day)}*"


def gather_compliance(
    db: Database,
    date_from: date,
    date_to: date,
    *,
    today: date | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    steps_after: int = 0,
) -> ComplianceData:
    """Compute and read everything the pack shows (no layout). ``steps_after`` is added to
    the total reported to ``progress`` for work the caller does next."""
    # No cyclic collection while the year's many small objects are made (none form cycles; a
    # full collection would scan them all again and again).
    with collection_paused():
        return _gather(db, date_from, date_to, today, progress, cancelled, steps_after)


def _gather(
    db: Database,
    date_from: date,
    date_to: date,
    today: date | None,
    progress: Progress | None,
    cancelled: Cancelled | None,
    steps_after: int,
) -> ComplianceData:
    today = today or date.today()
    _check_period(date_from, date_to, today)
    history = policy_history(db)
    policy = history.in_force(min(date_to, today)).policy
    data = ComplianceData(
        date_from,
        date_to,
        today,
        policy.service_name,
        policy=policy,
        registration_number=policy.registration_number,
    )
    # A due date after today is never overdue: the figures stop at today.
    until = data.until
    data.catalogue = history.display_catalogue(until)
    data.policies = history.in_force_over(date_from, until)
    ends = month_ends(date_from, until)
    total = len(ends) + 4 + len(GATHER_STEPS) + steps_after
    done = 0

    def step() -> None:
        nonlocal done
        if cancelled is not None and cancelled():
            raise ExportCancelled()
        done += 1
        if progress is not None:
            progress(done, total)

    if progress is not None:
        progress(0, total)
    teams: set[str] = set()
    last_schedule = None
    if cancelled is not None and cancelled():
        raise ExportCancelled()
    # Every month end at once: the history is read once (same figures as one date at a time),
    # each under the policy version in force on that date.
    schedules = compute_schedules(db, [day for day, _ in ends])
    types: dict[TypeKey, None] = {}
    for day, is_end in ends:
        if cancelled is not None and cancelled():
            raise ExportCancelled()
        schedule = schedules[day]
        table_ = compliance_table(schedule)
        teams.update(team for team, _type in table_ if team is not None)
        types.update(dict.fromkeys(schedule.types))
        data.points.append(
            MonthPoint(day, point_label(day, is_end), is_end, table_, schedule.version.version)
        )
        last_schedule = schedule
        step()
    data.teams = sorted(teams, key=str.casefold)
    order = {key: n for n, key in enumerate(data.catalogue.keys)}
    data.types = tuple(sorted(types, key=lambda k: order.get(k, len(order))))

    assert last_schedule is not None
    _overdue_at_end(data, last_schedule)
    step()

    lines, held = period_sessions(db, date_from, until)
    data.cancelled = [x for x in lines if x.status is SessionStatus.CANCELLED]
    data.dna = sum(1 for x in lines if x.status is SessionStatus.DID_NOT_ATTEND)
    step()
    held_lines = [x for x in lines if x.status is SessionStatus.HELD]
    data.unsigned = [x for x in held_lines if x.signed_at is None]
    # A group record awaits its attendees while any of them has not responded (each responds
    # in their own name); a one-to-one record while its supervisee has not.
    signed_groups = [
        x.id for x in held_lines if x.signed_at is not None and data.catalogue.is_group(x.type)
    ]
    data.group_waiting = yet_to_respond(db, signed_groups)
    data.awaiting = [
        x
        for x in held_lines
        if x.signed_at is not None
        and (
            x.id in data.group_waiting
            if data.catalogue.is_group(x.type)
            else x.supervisee_response is None
        )
    ]
    step()
    data.held = len(held)
    data.quality = [
        (
            q.team,
            tuple(
                g.code
                for g in quality_gaps(
                    q.record,
                    data.catalogue.spec(q.record.type),
                    supervisor_qualified=q.supervisor_qualified,
                )
            ),
        )
        for q in held
    ]
    step()
    for gather in GATHER_STEPS:
        gather(db, data)
        step()
    return data


def _check_period(date_from: date, date_to: date, today: date) -> None:
    if date_from > date_to:
        raise UsageError(
            f"The period starts ({uk(date_from)}) after it ends ({uk(date_to)}): swap the dates."
        )
    if date_from > today:
        raise UsageError(
            f"The period starts after today ({uk(today)}): nothing in it has happened yet. "
            "Choose a period that starts on or before today."
        )


def _overdue_at_end(data: ComplianceData, schedule: Schedule) -> None:
    """Who is overdue at the end of the period (``until``), worst first."""
    until = data.until
    overdue_workers: set[str] = set()
    for row in schedule.rows:
        facts = row.facts
        if not (facts.start_date is None or facts.start_date <= until):
            continue
        for type_, s in row.status.by_type.items():
            if s.status is not DueStatus.OVERDUE:
                continue
            overdue_workers.add(facts.worker_id)
            days = None if s.due is None else (until - s.due).days
            data.overdue.append(OverdueLine(facts.name, facts.team, type_, s.due, days, s.reason))
    data.overdue.sort(
        key=lambda o: (o.days is not None, -(o.days or 0), o.worker.casefold(), o.type)
    )
    data.overdue_workers = len(overdue_workers)


def _in_post(start: date | None, left_on: date | None, day: date) -> bool:
    return (start is None or start <= day) and (left_on is None or day < left_on)


def _gather_headcount(db: Database, data: ComplianceData) -> None:
    start, end = data.date_from, data.until
    away = pack_store.on_leave(db, end)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for t in pack_store.tenures(db):
        row = counts[t.team]
        at_start, at_end = (
            _in_post(t.start_date, t.left_on, start),
            _in_post(t.start_date, t.left_on, end),
        )
        row[0] += at_start
        row[1] += t.start_date is not None and start < t.start_date <= end
        row[2] += t.left_on is not None and start < t.left_on <= end
        row[3] += at_end
        row[4] += at_end and t.worker_id in away
    data.headcount = [
        TeamHeadcount(team, *row)
        for team, row in sorted(counts.items(), key=lambda kv: kv[0].casefold())
        if any(row)
    ]


def _gather_actions(db: Database, data: ComplianceData) -> None:
    """Actions agreed in the period, as they stood at its end: closed after the end counts as
    open then (a pack for last year reads the same next year)."""
    end = data.until
    counts: dict[str, ActionCounts] = defaultdict(ActionCounts)
    for a in pack_store.actions_agreed(db, data.date_from, end):
        c = counts[a.team]
        c.agreed += 1
        closed = a.status != "open" and a.closed_on is not None and a.closed_on <= end
        if closed and a.status == "dropped":
            c.dropped += 1
        elif closed:
            assert a.closed_on is not None
            if a.due_date is None or a.closed_on <= a.due_date:
                c.on_time += 1
            else:
                c.late += 1
        elif a.due_date is not None and a.due_date < end:
            c.overdue += 1
        else:
            c.open_not_due += 1
    data.actions = dict(sorted(counts.items(), key=lambda kv: kv[0].casefold()))


def _gather_themes(db: Database, data: ComplianceData) -> None:
    themes = {t.id: t for t in list_themes(db, include_retired=True)}
    teams = pack_store.worker_teams(db)
    sessions: dict[str, set[str]] = defaultdict(set)
    workers: dict[str, set[str]] = defaultdict(set)
    for m in theme_mentions(db, data.date_from, data.until):
        sessions[m.theme_id].add(m.session_id)
        workers[m.theme_id].update(m.worker_ids)
    raised = [
        ThemeRaised(
            themes[tid].name, themes[tid].retired_on is not None, len(sessions[tid]),
            len(workers[tid]), len({teams.get(w, "") for w in workers[tid]}),
        )
        for tid in sessions
        if tid in themes
    ]  # fmt: skip
    raised.sort(key=lambda t: (-t.sessions, -t.workers, t.name.casefold()))
    data.themes = raised


def _gather_wellbeing(db: Database, data: ComplianceData) -> None:
    by_team: dict[str, list[pack_store.Pulse]] = defaultdict(list)
    for p in pack_store.pulses(db, data.date_from, data.until):
        by_team[p.team].append(p)

    def summary(team: str | None, pulses: Sequence[pack_store.Pulse]) -> TeamWellbeing:
        scores = [p.wellbeing for p in pulses if p.wellbeing is not None]
        loads = [p.workload for p in pulses if p.workload is not None]
        distress = [p.moral_distress for p in pulses if p.moral_distress is not None]
        return TeamWellbeing(
            team, len(pulses), len({p.worker_id for p in pulses}), len(scores),
            sum(scores) / len(scores) if scores else None, sum(1 for s in scores if s <= 4),
            len(loads), sum(1 for w in loads if w == "excessive"), len(distress), sum(distress),
            sum(1 for p in pulses if p.support_offered),
        )  # fmt: skip

    rows = [summary(t, by_team[t]) for t in sorted(by_team, key=str.casefold)]
    everyone = [p for pulses in by_team.values() for p in pulses]
    data.wellbeing = [*rows, summary(None, everyone)] if everyone else []


def _gather_heat_map(db: Database, data: ComplianceData) -> None:
    data.heat_map = theme_counts(db, data.date_from, data.until, "month")


def _gather_learning(db: Database, data: ComplianceData) -> None:
    data.learning = learning_log(db, data.date_from, data.until)


# Each fills its part of ``ComplianceData`` (see the module docstring to add one).
GATHER_STEPS: tuple[GatherStep, ...] = (
    _gather_headcount,
    _gather_actions,
    _gather_themes,
    _gather_wellbeing,
    gather_pack_records,
    _gather_heat_map,
    _gather_learning,
)


def gathered_steps(data: ComplianceData) -> int:
    """How many steps ``gather_compliance`` reported to its ``progress`` for ``data`` (the
    layout reports its own after them)."""
    return len(data.points) + 4 + len(GATHER_STEPS)


# The share of the progress bar the layout takes, after the gathering's steps.
LAYOUT_STEPS = 20


def write_compliance_pack(
    db: Database,
    date_from: date,
    date_to: date,
    out: Path,
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    today: date | None = None,
    sections: Sequence[PackSection] | None = None,
) -> Path:
    """Gather the pack for [date_from, date_to], then lay it out to ``out`` (A4 PDF) with
    ``app.services.reports.compliance.build_compliance_pdf``. ``progress(done, total)`` runs
    over both; when ``cancelled()`` turns true the export stops with ``ExportCancelled`` and
    no file is left at ``out`` (unless one was there before: it is left as it was)."""
    from app.services.reports import compliance as layout

    data = gather_compliance(
        db, date_from, date_to, today=today, progress=progress, cancelled=cancelled,
        steps_after=LAYOUT_STEPS,
    )  # fmt: skip
    return layout.build_compliance_pdf(
        data,
        out,
        progress=progress,
        cancelled=cancelled,
        sections=layout.SECTIONS if sections is None else sections,
    )


__all__ = [
    "GATHER_STEPS",
    "LAYOUT_STEPS",
    "MIN_WORKERS_SHOWN",
    "ActionCounts",
    "ComplianceData",
    "GatherStep",
    "MonthPoint",
    "OverdueLine",
    "TeamHeadcount",
    "TeamWellbeing",
    "ThemeRaised",
    "gather_compliance",
    "gathered_steps",
    "month_ends",
    "point_label",
    "write_compliance_pack",
]
