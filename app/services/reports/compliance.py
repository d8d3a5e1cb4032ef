"""The team compliance pack for commissioners and inspectors, for a period.

The policy in force (how often each type is due, per tier), headcount per team, compliance per
type and per team at each month end (the month-end value, never averaged: the schedule is
computed on each month end, DOMAIN.md §5), who is overdue at the end of the period and by how
long, cancellations and their reasons, what became of the actions agreed, records awaiting
sign-off or the supervisee's response, record quality, team wellbeing as aggregates (no names),
the themes raised with a heat map by month, and the learning log of what supervision changed.

A pack never counts a due date after today as overdue: a period that ends after today is cut
at today (``ComplianceData.until``) and the first page says so.

The pack is gathered first (``gather_compliance``: queries and the schedule, no layout), then
laid out section by section from ``SECTIONS``. To add a part (QA sampling, the supervisee's
copy on time, escalations…): give ``ComplianceData`` a field, fill it in a ``GatherStep`` added
to ``GATHER_STEPS``, and lay it out in a ``PackSection`` placed in ``SECTIONS``.
"""

from __future__ import annotations

import calendar
import contextlib
import gc
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from app.dates import day_month, month_short_year, uk
from app.domain.catalogue import Catalogue
from app.domain.model import DueStatus, SessionStatus, Tier, TypeKey
from app.domain.policy import Policy, PolicyVersion
from app.domain.qa import QaFigures
from app.domain.quality import quality_gaps
from app.domain.rows import SessionLine
from app.domain.schedule import Compliance
from app.errors import UsageError
from app.services.pack_record_data import RecordCounts, gather_pack_records
from app.services.reports.base import (
    BODY_WIDTH,
    RULE,
    KeelDocument,
    KeelTable,
    clean,
    markup,
    para,
    section,
    styles,
    table,
    truncate,
)
from app.services.reports.charts import (
    Series,
    balanced_blocks,
    bar_chart,
    bar_label_width,
    line_chart,
)
from app.services.reports.common import Cancelled, ExportCancelled, Progress
from app.services.reports.governance import learning_log_section, theme_heatmap_section
from app.services.reports.pack_records import copies_section, escalations_section
from app.services.reports.qa_pack import qa_section
from app.services.schedule_history import compliance_table, compute_schedules
from app.services.scheduling import Schedule
from app.storage import pack as pack_store
from app.storage.db import Database
from app.storage.group_acks import yet_to_respond
from app.storage.policies import policy_history
from app.storage.reporting import period_sessions
from app.storage.themes import list_themes, theme_mentions

# Lists longer than this print their first (oldest or worst) entries and say how many more.
LIST_LIMIT = 150
# Up to this many teams the team chart shows each team's line over the months; beyond it, a
# bar per team at the end of the period (forty lines on one chart read as nothing).
TEAM_LINES_MAX = 6
# A large service's team bars are cut into charts of at most this many teams, each on the same
# axis and balanced: 84 teams print as two charts of 42, each filling most of a page. 50 bars
# and the heading take 637 pt of the frame's 694 (a chart taller than the frame cannot print).
TEAM_BARS_PER_CHART = 50
# A heading, an introduction and a table's first rows start on the same page.
TABLE_NEED = 60 * mm
MONTHS_PER_TABLE = 13  # a year of month ends and the period's end fit one table

GAP_LABELS = {
    "issues": "Issues discussed is empty",
    "decision": "No decision or guidance recorded",
    "rationale": "A decision has no rationale",
    "action": "An action lacks an owner or due date",
    "risk": "Risk / safeguarding question unanswered",
    "risk_refs": "Risk linked but no case reference",
    "qualified": "Clinical supervisor not marked qualified",
    "attendees": "Group with fewer than two attendees",
    "supervisor": "No supervisor recorded",
}


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
    # The supervisees' copies against the deadline and the escalations (issue 16).
    record_counts: RecordCounts | None = None

    def __post_init__(self) -> None:
        self.until = min(self.date_to, self.today)

    @property
    def cut(self) -> bool:
        """True when the period asked for ends after today and the figures stop at today."""
        return self.until < self.date_to


@dataclass(frozen=True, slots=True)
class PackContext:
    """What a section needs: the database (for sections that read more), the data, the width."""

    db: Database
    data: ComplianceData
    width: float


PackSection = Callable[[PackContext], list[Flowable]]
GatherStep = Callable[[Database, ComplianceData], None]

# A team's wellbeing figures are printed only when at least this many workers are behind them:
# an average of one or two people's scores would say whose they are.
MIN_WORKERS_SHOWN = 3


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


def _label(day: date, month_end: bool) -> str:
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
    # full collection would scan them all again and again); whatever the caller had is restored.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _gather(db, date_from, date_to, today, progress, cancelled, steps_after)
    finally:
        if was_enabled:
            gc.enable()


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
            MonthPoint(day, _label(day, is_end), is_end, table_, schedule.version.version)
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


# Each fills its part of ``ComplianceData`` (see the module docstring to add one).
GATHER_STEPS: tuple[GatherStep, ...] = (
    _gather_headcount,
    _gather_actions,
    _gather_themes,
    _gather_wellbeing,
    gather_pack_records,
)


# Sections --------------------------------------------------------------------------------


def _head(*labels: str, nums: Sequence[int] = ()) -> list[Flowable | str]:
    """A header row; the columns in ``nums`` hold numbers and are right-aligned."""
    st = styles()
    return [
        markup(escape(h), st["num_head" if n in nums else "head_small"])
        for n, h in enumerate(labels)
    ]


def _pct(c: Compliance | None) -> str:
    if c is None or c.percent is None:
        return "—"
    return f"{c.percent:.0f}%"


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else plural or word + 's'}"


def _summary(ctx: PackContext) -> list[Flowable]:
    st = styles()
    d = ctx.data
    end = d.points[-1]
    first = d.points[0]
    overall = end.table.get((None, None), Compliance(0, 0))
    start_overall = first.table.get((None, None), Compliance(0, 0))
    scheduled = d.held + len(d.cancelled) + d.dna
    with_gaps = sum(1 for _team, gaps in d.quality if gaps)
    rows: list[list[Flowable | str]] = [
        _head("Measure", "Figure"),
        [para(f"Compliance on {uk(end.on)} (all types)", st["cell"]),
         para(f"{_pct(overall)} ({overall.compliant:,} of {overall.counted:,} worker–type "
              f"pairs not overdue)", st["cell"])],
        [para(f"Compliance on {uk(first.on)} (first point)", st["cell"]),
         para(_pct(start_overall), st["cell"])],
        [para(f"Overdue on {uk(end.on)}", st["cell"]),
         para(f"{_plural(len(d.overdue), 'pair')} for {_plural(d.overdue_workers, 'worker')}",
              st["cell"])],
        [para("Sessions held in the period", st["cell"]), para(f"{d.held:,}", st["cell"])],
        [para("Cancelled / did not attend", st["cell"]),
         para(f"{len(d.cancelled):,} cancelled, {d.dna:,} did not attend"
              + (f" ({100 * (len(d.cancelled) + d.dna) / scheduled:.0f}% of "
                 f"{scheduled:,} sessions)" if scheduled else ""), st["cell"])],
        [para("Records awaiting the supervisor's sign-off", st["cell"]),
         para(f"{len(d.unsigned):,}", st["cell"])],
        [para("Signed records awaiting the supervisee", st["cell"]),
         para(f"{len(d.awaiting):,}", st["cell"])],
        [para("Held records with a quality gap", st["cell"]),
         para(f"{with_gaps:,} of {d.held:,}"
              + (f" ({100 * with_gaps / d.held:.0f}%)" if d.held else ""), st["cell"])],
    ]  # fmt: skip
    in_post = sum(h.at_end for h in d.headcount)
    actions = _all_actions(d)
    rows.insert(1, [para(f"Workers in post on {uk(end.on)}", st["cell"]),
                    para(f"{in_post:,} in {_plural(len(d.headcount), 'team')}", st["cell"])])  # fmt: skip
    if actions.agreed:
        rows.append(
            [para("Actions agreed in the period", st["cell"]),
             para(f"{actions.agreed:,}: {_share(actions.on_time, actions.agreed)} closed on time, "
                  f"{actions.overdue:,} open and overdue on {uk(end.on)}", st["cell"])]
        )  # fmt: skip
    w = ctx.width
    return [
        *section("Summary"),
        table(rows, [w * 0.45, w * 0.55]),
        Spacer(1, 2 * mm),
        para(
            "Compliance on a date is the share of (worker in post, supervision type their role "
            "requires, not on leave) pairs that are not overdue under the service's policy. "
            "Each point is the value on that month end, never an average. "
            + (
                f"* {uk(end.on)} is the end of the period, not a month end."
                if not end.month_end
                else ""
            ),
            st["small"],
        ),
    ]


def _series(
    points: Sequence[MonthPoint], key: tuple[str | None, TypeKey | None]
) -> list[tuple[float, float | None]]:
    return [
        (float(n), p.table[key].percent if key in p.table else None) for n, p in enumerate(points)
    ]


def _compliance(ctx: PackContext) -> list[Flowable]:
    st = styles()
    d = ctx.data
    w = ctx.width
    points = d.points
    x_labels = [(float(n), p.label) for n, p in enumerate(points)]
    story: list[Flowable] = section("Compliance at each month end")
    type_series = [Series("All types", _series(points, (None, None)))] + [
        Series(d.catalogue.name(t), _series(points, (None, t))) for t in d.types
    ]
    chart_args = {
        "width": w,
        "height": 56 * mm,
        "y_range": (0.0, 100.0),
        "y_ticks": [0, 25, 50, 75, 100],
        "y_format": "{:.0f}%",
        "x_range": (-0.3, max(len(points) - 1, 1) + 0.3),
    }
    story.append(
        KeepTogether(
            [
                markup("<b>By supervision type</b>", st["h3"]),
                line_chart(type_series, x_labels, **chart_args),
            ]
        )
    )
    story.append(Spacer(1, 3 * mm))
    if len(d.teams) <= TEAM_LINES_MAX:
        team_series = [Series(t or "(no team)", _series(points, (t, None))) for t in d.teams]
        chart = line_chart(team_series, x_labels, **chart_args)
        story.append(KeepTogether([markup("<b>By team (all types)</b>", st["h3"]), chart]))
    else:
        story += _team_bars(ctx)
    story += _compliance_tables(ctx)
    return story


def _team_bars(ctx: PackContext) -> list[Flowable]:
    """A bar per team on the last point, lowest first: one chart, or for a large service
    several charts of at most ``TEAM_BARS_PER_CHART`` bars (each fits a page, all on the same
    axis), headed "(1 of 2, teams 1–42 of 84)" and so on."""
    st = styles()
    end = ctx.data.points[-1]
    bars = sorted(
        ((t or "(no team)", end.table[(t, None)].percent) for t in ctx.data.teams
         if (t, None) in end.table),
        key=lambda b: (b[1] is None, b[1] if b[1] is not None else 0.0, b[0].casefold()),
    )  # fmt: skip
    title = f"By team on {uk(end.on)} (all types), lowest first"
    blocks = balanced_blocks(bars, TEAM_BARS_PER_CHART)
    label_w = bar_label_width(bars, ctx.width)  # one label column and axis for every block
    story: list[Flowable] = []
    first = 1
    for n, block in enumerate(blocks, start=1):
        heading = title
        if len(blocks) > 1:
            last = first + len(block) - 1
            heading += f" ({n} of {len(blocks)}, teams {first}–{last} of {len(bars)})"
            first = last + 1
        chart = bar_chart(block, width=ctx.width, label_width=label_w)
        story.append(KeepTogether([markup(f"<b>{escape(heading)}</b>", st["h3"]), chart]))
    return story


def _compliance_tables(ctx: PackContext) -> list[Flowable]:
    st = styles()
    d = ctx.data
    w = ctx.width
    story: list[Flowable] = []
    keys: list[tuple[str, tuple[str | None, TypeKey | None], bool]] = [
        ("All types, all teams", (None, None), True),
        *((d.catalogue.name(t), (None, t), False) for t in d.types),
        *((f"{team or '(no team)'}", (team, None), False) for team in d.teams),
    ]
    tables = -(-len(d.points) // MONTHS_PER_TABLE)  # ceil: balanced tables, no stub of one
    per_table = -(-len(d.points) // tables)
    for start in range(0, len(d.points), per_table):
        chunk = d.points[start : start + per_table]
        label_w = w * 0.22
        col_w = (w - label_w) / max(len(chunk), 6)
        rows: list[list[Flowable | str]] = [
            [markup("<b>Month end</b>", st["head_small"]),
             *(markup("<b>" + "<br/>".join(escape(w) for w in p.label.split()) + "</b>",
                      st["num_head"]) for p in chunk)]
        ]  # fmt: skip
        for n, (label, key, bold) in enumerate(keys):
            if n == 1:
                rows.append([markup("<i>By type</i>", st["small"]), *("" for _ in chunk)])
            if n == 1 + len(d.types):
                rows.append([markup("<i>By team (all types)</i>", st["small"]),
                             *("" for _ in chunk)])  # fmt: skip
            cell_style = st["label"] if bold else st["cell"]
            rows.append(
                [para(label, cell_style),
                 *(para(_pct(p.table.get(key)), st["num_small"]) for p in chunk)]
            )  # fmt: skip
        # Which policy version each point was computed under (they may differ in a period).
        rows.append(
            [para("Policy version", st["small"]),
             *(para(f"v{p.policy_version}" if p.policy_version else "—", st["num_small"])
               for p in chunk)]
        )  # fmt: skip
        title = "Compliance table"
        if tables > 1:
            title += f" ({chunk[0].label} to {chunk[-1].label})"
        story += section(title)
        tight = [("LEFTPADDING", (1, 0), (-1, -1), 1.5), ("RIGHTPADDING", (1, 0), (-1, -1), 2.5)]
        story.append(table(rows, [label_w, *([col_w] * len(chunk))], zebra=True, extra=tight))
    # Team × type on the last point, with the counts behind each percentage.
    end = d.points[-1]
    story += section(f"By team and type on {uk(end.on)}")
    n_types = len(d.types)
    rows = [
        _head(
            "Team",
            *(d.catalogue.name(t) for t in d.types),
            "All types",
            nums=tuple(range(1, n_types + 2)),
        )
    ]
    for team in [None, *d.teams]:
        label = "All teams" if team is None else team or "(no team)"
        cells: list[Flowable | str] = [para(label, st["label"] if team is None else st["cell"])]
        for type_ in [*d.types, None]:
            c = end.table.get((team, type_))
            cells.append(
                para(f"{_pct(c)} ({c.compliant}/{c.counted})" if c and c.counted else "—",
                     st["num"])
            )  # fmt: skip
        rows.append(cells)
    story.append(table(rows, [w * 0.32, *([w * 0.68 / (n_types + 1)] * (n_types + 1))], zebra=True))
    story.append(
        para(
            "Each cell: compliance (pairs not overdue / pairs counted). "
            "Pairs for workers on leave or not required to have that type are not counted.",
            st["small"],
        )
    )
    return story


def _overdue(ctx: PackContext) -> list[Flowable]:
    st = styles()
    d = ctx.data
    w = ctx.width
    story = section(f"Overdue on {uk(d.until)}, worst first", need=TABLE_NEED)
    if not d.overdue:
        story.append(para("No one was overdue at the end of the period.", st["body"]))
        return story
    story.append(
        para(
            f"{_plural(len(d.overdue), 'supervision')} overdue for "
            f"{_plural(d.overdue_workers, 'worker')}. Days overdue are counted to "
            f"{uk(d.until)}; “no evidence” means none was ever recorded.",
            st["body"],
        )
    )
    story.append(Spacer(1, 1.5 * mm))
    rows: list[list[Flowable | str]] = [
        _head("Worker", "Team", "Type", "Was due", "Days", "Why", nums=(4,))
    ]
    shown = d.overdue[: LIST_LIMIT * 2]
    for o in shown:
        rows.append(
            [para(o.worker, st["cell"]), para(o.team or "—", st["cell"]),
             para(d.catalogue.name(o.type), st["cell"]), para(uk(o.due, "—"), st["cell"]),
             para("no evidence" if o.days is None else f"{o.days:,}", st["num"]),
             para(truncate(o.reason, 220), st["small"])]
        )  # fmt: skip
    story.append(
        table(rows, [w * 0.16, w * 0.17, w * 0.145, w * 0.12, w * 0.075, w * 0.33], zebra=True)
    )
    story += _more(len(d.overdue) - len(shown), "overdue supervision")
    return story


def _more(hidden: int, what: str) -> list[Flowable]:
    if hidden <= 0:
        return []
    return [
        para(
            f"… and {_plural(hidden, 'more ' + what, 'more ' + what + 's')}, not listed here "
            "(the list stops at the first ones, in the order shown).",
            styles()["small"],
        )
    ]


def _reason_key(reason: str) -> str:
    return " ".join(clean(reason).split()).casefold()


def _cancellations(ctx: PackContext) -> list[Flowable]:
    st = styles()
    d = ctx.data
    w = ctx.width
    story = section("Cancellations and their reasons", need=TABLE_NEED)
    scheduled = d.held + len(d.cancelled) + d.dna
    if not d.cancelled:
        story.append(para("No session was cancelled in the period.", st["body"]))
        if d.dna:
            story.append(para(f"{_plural(d.dna, 'session')} did not take place because "
                              "the supervisee did not attend.", st["body"]))  # fmt: skip
        return story
    story.append(
        para(
            f"{_plural(len(d.cancelled), 'session')} cancelled and {d.dna:,} not attended, of "
            f"{scheduled:,} sessions dated in the period (planned sessions not counted).",
            st["body"],
        )
    )
    story.append(Spacer(1, 1.5 * mm))
    counts: dict[str, Counter[TypeKey]] = defaultdict(Counter)
    spelling: dict[str, Counter[str]] = defaultdict(Counter)
    for c in d.cancelled:
        key = _reason_key(c.cancel_reason)
        counts[key][c.type] += 1
        spelling[key][" ".join(clean(c.cancel_reason).split())] += 1
    order = sorted(counts, key=lambda k: (-sum(counts[k].values()), k))
    # The types of the pack, and any other type a cancelled session has (a retired one).
    kinds = [*d.types, *sorted({c.type for c in d.cancelled} - set(d.types))]
    rows: list[list[Flowable | str]] = [
        _head(
            "Reason",
            *(d.catalogue.name(t) for t in kinds),
            "Total",
            "Share",
            nums=tuple(range(1, len(kinds) + 3)),
        )
    ]
    for key in order:
        total = sum(counts[key].values())
        rows.append(
            [para(spelling[key].most_common(1)[0][0], st["cell"]),
             *(para(f"{counts[key][t]:,}", st["num"]) for t in kinds),
             para(f"{total:,}", st["num"]),
             para(f"{100 * total / len(d.cancelled):.0f}%", st["num"])]
        )  # fmt: skip
    per_type = w * 0.39 / len(kinds) if kinds else 0
    story.append(
        table(rows, [w * 0.37, *([per_type] * len(kinds)), w * 0.12, w * 0.12], zebra=True)
    )
    story += section("Cancelled sessions")
    rows = [_head("Date", "Type", "Supervisee", "Supervisor", "Reason")]
    shown = d.cancelled[: LIST_LIMIT * 2]
    for c in shown:
        who = c.worker_name or f"Group ({_plural(c.attendees, 'attendee')})"
        rows.append(
            [para(uk(c.session_date), st["cell"]), para(d.catalogue.name(c.type), st["cell"]),
             para(who, st["cell"]), para(c.supervisor_name or "—", st["cell"]),
             para(truncate(c.cancel_reason, 200), st["cell"])]
        )  # fmt: skip
    story.append(table(rows, [w * 0.13, w * 0.15, w * 0.2, w * 0.2, w * 0.32], zebra=True))
    story += _more(len(d.cancelled) - len(shown), "cancelled session")
    return story


def _sign_off(ctx: PackContext) -> list[Flowable]:
    st = styles()
    d = ctx.data
    w = ctx.width
    story = section("Records awaiting sign-off", need=TABLE_NEED)
    if not d.unsigned and not d.awaiting:
        story.append(
            para(
                "Every record held in the period is signed by the supervisor and answered by "
                "the supervisee.",
                st["body"],
            )
        )
        return story
    story.append(
        para(
            f"Held in the period and, on {uk(d.today)}: {_plural(len(d.unsigned), 'record')} "
            f"not yet signed by the supervisor; {_plural(len(d.awaiting), 'signed record')} "
            "awaiting the supervisee's acknowledgement (a group record counts once, as "
            "awaiting, while any of its attendees has not yet acknowledged it or recorded "
            "disagreement in their own name). Policy: the supervisee has a copy within "
            f"{d.policy.copy_deadline_working_days} working days.",
            st["body"],
        )
    )
    by_sup: dict[str, list[SessionLine]] = defaultdict(list)
    by_sup_awaiting: Counter[str] = Counter()
    for line in d.unsigned:
        by_sup[line.supervisor_name or "No supervisor recorded"].append(line)
    for line in d.awaiting:
        by_sup_awaiting[line.supervisor_name or "No supervisor recorded"] += 1
    rows: list[list[Flowable | str]] = [
        _head(
            "Supervisor", "Awaiting sign-off", "Oldest unsigned", "Awaiting supervisee", nums=(1, 3)
        )
    ]
    for name in sorted(set(by_sup) | set(by_sup_awaiting), key=lambda n: (-len(by_sup[n]), n)):
        lines = by_sup.get(name, [])
        oldest = min((x.session_date for x in lines), default=None)
        rows.append(
            [para(name, st["cell"]), para(f"{len(lines):,}", st["num"]),
             para(uk(oldest, "—"), st["cell"]), para(f"{by_sup_awaiting[name]:,}", st["num"])]
        )  # fmt: skip
    story.append(Spacer(1, 1.5 * mm))
    story.append(table(rows, [w * 0.4, w * 0.2, w * 0.2, w * 0.2], zebra=True))
    for title, lines, what in (
        ("Not yet signed by the supervisor, oldest first", d.unsigned, "unsigned record"),
        ("Signed, awaiting the supervisee, oldest first", d.awaiting, "record"),
    ):
        if not lines:
            continue
        story += section(title)
        rows = [_head("Session", "Type", "Supervisee", "Supervisor", "Days waiting", nums=(4,))]
        shown = lines[:LIST_LIMIT]
        for x in shown:
            who = x.worker_name or f"Group ({_plural(x.attendees, 'attendee')})"
            if x.id in d.group_waiting:
                who = f"Group: {d.group_waiting[x.id]:,} of {x.attendees:,} yet to respond"
            rows.append(
                [para(uk(x.session_date), st["cell"]), para(d.catalogue.name(x.type), st["cell"]),
                 para(who, st["cell"]), para(x.supervisor_name or "—", st["cell"]),
                 para(f"{max((d.today - x.session_date).days, 0):,}", st["num"])]
            )  # fmt: skip
        story.append(table(rows, [w * 0.15, w * 0.19, w * 0.25, w * 0.25, w * 0.16], zebra=True))
        story += _more(len(lines) - len(shown), what)
    return story


def _quality(ctx: PackContext) -> list[Flowable]:
    st = styles()
    d = ctx.data
    w = ctx.width
    story = section("Record quality", need=TABLE_NEED)
    if not d.held:
        story.append(para("No session was held in the period.", st["body"]))
        return story
    with_gaps = [(team, gaps) for team, gaps in d.quality if gaps]
    story.append(
        para(
            f"{_plural(len(with_gaps), 'held record')} of {d.held:,} "
            f"({100 * len(with_gaps) / d.held:.0f}%) lack something the record-quality check "
            "asks for: “case discussed, plan agreed” is not a record.",
            st["body"],
        )
    )
    story.append(Spacer(1, 1.5 * mm))
    by_kind: Counter[str] = Counter()
    for _team, gaps in with_gaps:
        by_kind.update(set(gaps))
    rows: list[list[Flowable | str]] = [
        _head("Gap", "Records", "Share of held records", nums=(1, 2))
    ]
    for code, label in GAP_LABELS.items():
        if by_kind[code]:
            rows.append(
                [para(label, st["cell"]), para(f"{by_kind[code]:,}", st["num"]),
                 para(f"{100 * by_kind[code] / d.held:.0f}%", st["num"])]
            )  # fmt: skip
    for code in sorted(set(by_kind) - set(GAP_LABELS)):
        rows.append([para(code, st["cell"]), para(f"{by_kind[code]:,}", st["num"]),
                     para(f"{100 * by_kind[code] / d.held:.0f}%", st["num"])])  # fmt: skip
    if len(rows) > 1:
        story.append(table(rows, [w * 0.6, w * 0.2, w * 0.2], zebra=True))
    held_by_team: Counter[str] = Counter(team for team, _g in d.quality)
    gaps_by_team: Counter[str] = Counter(team for team, _g in with_gaps)
    story += section("Record quality by team")
    rows = [_head("Team", "Held records", "With a gap", "Share", nums=(1, 2, 3))]
    for team in sorted(held_by_team, key=lambda t: (-gaps_by_team[t] / held_by_team[t], t)):
        rows.append(
            [para(team or "(no team)", st["cell"]), para(f"{held_by_team[team]:,}", st["num"]),
             para(f"{gaps_by_team[team]:,}", st["num"]),
             para(f"{100 * gaps_by_team[team] / held_by_team[team]:.0f}%", st["num"])]
        )  # fmt: skip
    story.append(table(rows, [w * 0.49, w * 0.17, w * 0.17, w * 0.17], zebra=True))
    return story


def _share(part: int, whole: int) -> str:
    return f"{part:,} ({100 * part / whole:.0f}%)" if whole else f"{part:,}"


def _all_actions(d: ComplianceData) -> ActionCounts:
    total = ActionCounts()
    for counts in d.actions.values():
        total.add(counts)
    return total


def _cut_notice(d: ComplianceData, width: float) -> KeelTable:
    """The first page's statement that the period asked for runs past today."""
    st = styles()
    words = (
        f"<b>The period asked for ends on {uk(d.date_to)}, after today ({uk(d.today)}).</b> "
        f"Every figure in this pack is counted to {uk(d.until)}: nothing can be overdue before "
        "its due date has passed, so a due date after today is never counted as overdue, and "
        f"the last point of each chart and table is {uk(d.until)}, not {uk(d.date_to)}."
    )
    box = KeelTable([[markup(words, st["body"])]], colWidths=[width])
    box.setStyle(
        [("BOX", (0, 0), (-1, -1), 0.8, RULE), ("LEFTPADDING", (0, 0), (-1, -1), 6),
         ("RIGHTPADDING", (0, 0), (-1, -1), 6), ("TOPPADDING", (0, 0), (-1, -1), 5),
         ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]
    )  # fmt: skip
    return box


def _opening(title: str, present: bool, empty: str, intro: str = "") -> list[Flowable]:
    """A section's heading, then its introduction when it has something to show, else the
    sentence that says there is nothing."""
    st = styles()
    story = section(title, need=TABLE_NEED)
    if not present:
        story.append(para(empty, st["body"]))
    elif intro:
        story += [para(intro, st["body"]), Spacer(1, 1.5 * mm)]
    return story


def _caps_words(caps: Sequence[tuple[int, int]]) -> str:
    if not caps:
        return "—"
    return "; ".join(f"every {cap} days up to {days} days in post" for days, cap in caps)


def _policy(ctx: PackContext) -> list[Flowable]:
    """The policy behind the figures: each version in force over the period (when it took
    effect, who saved it and why) and its frequencies per risk tier and type."""
    st = styles()
    d = ctx.data
    w = ctx.width
    story = section("The policy in force", need=TABLE_NEED)
    if len(d.policies) <= 1:
        intro = "One version of the service's supervision policy was in force over the period."
    else:
        intro = (
            f"{len(d.policies)} versions of the service's supervision policy were in force over "
            "the period; the compliance table's last row says which one each month end used."
        )
    story.append(para(intro, st["body"]))
    effective = [v.effective_from for v in d.policies[1:]]
    for n, v in enumerate(d.policies):
        until = effective[n] if n < len(effective) else None
        span = v.since
        if until is not None:
            span += f" until {uk(date.fromordinal(until.toordinal() - 1))}"
        saved = v.created_at[:10] if v.created_at else "—"
        who = v.created_by or "not recorded"
        block: list[Flowable] = [
            markup(f"<b>Version {v.version}</b>, in force {escape(span)}", st["h3"]),
            para(f"Saved {saved} by {who}. Reason: {v.reason or 'not given'}.", st["small"]),
            Spacer(1, 1 * mm),
        ]
        policy = v.policy
        rows: list[list[Flowable | str]] = [
            _head("Type", "High", "Standard", "Low", "First session", "New starters",
                  nums=(1, 2, 3, 4))
        ]  # fmt: skip
        for t in policy.catalogue.active:
            rows.append(
                [para(t.label, st["cell"]),
                 *(para(f"{t.interval(tier)} days", st["num"]) for tier in
                   (Tier.HIGH, Tier.STANDARD, Tier.LOW)),
                 para(f"{t.first_window_days} days", st["num"]),
                 para(_caps_words(policy.caps(t.key)), st["small"])]
            )  # fmt: skip
        block.append(
            table(rows, [w * 0.24, w * 0.1, w * 0.11, w * 0.1, w * 0.13, w * 0.32], zebra=True)
        )
        block.append(
            para(
                f"Intervals are the longest gap between held sessions for each risk tier. "
                f"High tier: at least {policy.high_min_factors_at_3} factors at 3 or a total of "
                f"at least {policy.high_min_total}; low: a total of at most "
                f"{policy.low_max_total} with no factor at 3. Due soon: within "
                f"max({policy.due_soon_min_days}, interval ÷ {policy.due_soon_divisor}) days.",
                st["small"],
            )
        )
        story.append(KeepTogether(block))
        story.append(Spacer(1, 2 * mm))
    return story


def _headcount(ctx: PackContext) -> list[Flowable]:
    st = styles()
    d = ctx.data
    w = ctx.width
    story = _opening("Headcount per team", bool(d.headcount), "No worker is recorded.")
    if not d.headcount:
        return story
    rows: list[list[Flowable | str]] = [
        _head("Team", f"In post on {uk(d.date_from)}", "Joined", "Left",
              f"In post on {uk(d.until)}", "On leave then", nums=(1, 2, 3, 4, 5))
    ]  # fmt: skip
    total = [0, 0, 0, 0, 0]
    for h in d.headcount:
        figures = (h.at_start, h.joined, h.left, h.at_end, h.on_leave)
        total = [a + b for a, b in zip(total, figures, strict=True)]
        rows.append([para(h.team or "(no team)", st["cell"]),
                     *(para(f"{n:,}", st["num"]) for n in figures)])  # fmt: skip
    rows.append([para("All teams", st["label"]), *(para(f"{n:,}", st["num"]) for n in total)])
    story.append(
        table(rows, [w * 0.3, w * 0.15, w * 0.11, w * 0.11, w * 0.18, w * 0.15], zebra=True)
    )
    story.append(
        para(
            "Workers by the team recorded for them now; joined and left count start and leaving "
            "dates within the period.",
            st["small"],
        )
    )
    return story


def _actions(ctx: PackContext) -> list[Flowable]:
    st = styles()
    d = ctx.data
    w = ctx.width
    total = _all_actions(d)
    story = _opening(
        "What became of the actions agreed",
        bool(total.agreed),
        "No action was agreed in a session in the period.",
        f"{_plural(total.agreed, 'action')} agreed in sessions in the period, as they stood on "
        f"{uk(d.until)}: {_share(total.on_time, total.agreed)} closed on time, "
        f"{_share(total.late, total.agreed)} closed late, {total.dropped:,} dropped, "
        f"{_share(total.overdue, total.agreed)} still open after their due date.",
    )
    if not total.agreed:
        return story
    rows: list[list[Flowable | str]] = [
        _head("Team", "Agreed", "Closed on time", "Closed late", "Dropped", "Open, not yet due",
              "Open and overdue", nums=(1, 2, 3, 4, 5, 6))
    ]  # fmt: skip

    def cells(label: Flowable, c: ActionCounts) -> list[Flowable | str]:
        return [label, *(para(f"{n:,}", st["num"]) for n in
                         (c.agreed, c.on_time, c.late, c.dropped, c.open_not_due, c.overdue))]  # fmt: skip

    for team, counts in d.actions.items():
        rows.append(cells(para(team or "(no team)", st["cell"]), counts))
    rows.append(cells(para("All teams", st["label"]), total))
    story.append(
        table(rows, [w * 0.25, w * 0.1, w * 0.13, w * 0.12, w * 0.11, w * 0.14, w * 0.15],
              zebra=True)
    )  # fmt: skip
    story.append(
        para(
            "On time: closed as done by its due date (or with no due date set). Overdue: still "
            f"open on {uk(d.until)} with a due date before it. An action closed after "
            f"{uk(d.until)} counts as open.",
            st["small"],
        )
    )
    return story


def _wellbeing(ctx: PackContext) -> list[Flowable]:
    st = styles()
    d = ctx.data
    w = ctx.width
    story = _opening(
        "Team wellbeing (no names)",
        bool(d.wellbeing),
        "No wellbeing pulse was recorded in the period.",
        "The wellbeing pulse of one-to-one sessions held in the period, per team: counts and an "
        f"average only. A team with pulses from fewer than {MIN_WORKERS_SHOWN} workers is not "
        "shown, so no one can be recognised from the figures.",
    )
    if not d.wellbeing:
        return story
    rows: list[list[Flowable | str]] = [
        _head("Team", "Sessions", "Workers", "Average wellbeing (1–10)", "Scores of 4 or less",
              "Workload excessive", "Moral distress", "Support offered",
              nums=(1, 2, 3, 4, 5, 6, 7))
    ]  # fmt: skip
    for t in d.wellbeing:
        label = para("All teams", st["label"]) if t.team is None else para(
            t.team or "(no team)", st["cell"])  # fmt: skip
        if not t.shown:
            rows.append([label, para(f"Fewer than {MIN_WORKERS_SHOWN} workers: not shown",
                                     st["small"]), "", "", "", "", "", ""])  # fmt: skip
            continue
        mean = "—" if t.mean is None else f"{t.mean:.1f}"
        rows.append(
            [label, para(f"{t.sessions:,}", st["num"]), para(f"{t.workers:,}", st["num"]),
             para(mean, st["num"]), para(_share(t.low, t.scored), st["num"]),
             para(_share(t.excessive, t.workload_recorded), st["num"]),
             para(_share(t.distress, t.distress_recorded), st["num"]),
             para(f"{t.support:,}", st["num"])]
        )  # fmt: skip
    hidden = [n for n, t in enumerate(d.wellbeing, start=1) if not t.shown]
    spans = [("SPAN", (1, r), (-1, r)) for r in hidden]
    story.append(
        table(rows, [w * 0.2, w * 0.1, w * 0.09, w * 0.13, w * 0.12, w * 0.12, w * 0.12, w * 0.12],
              zebra=True, extra=spans)
    )  # fmt: skip
    story.append(
        para(
            "Shares are of the sessions that recorded that item. Workers by the team recorded "
            "for them now.",
            st["small"],
        )
    )
    return story


def _themes(ctx: PackContext) -> list[Flowable]:
    st = styles()
    d = ctx.data
    w = ctx.width
    story = _opening(
        "Themes raised over the period",
        bool(d.themes),
        "No theme was raised in a held session in the period.",
        f"Themes raised in held supervision sessions from {uk(d.date_from)} to {uk(d.until)}, "
        "most raised first: the sessions that raised each (on the session or one of its "
        "decisions) and how many workers and teams they involved.",
    )
    if not d.themes:
        return story
    rows: list[list[Flowable | str]] = [
        _head("Theme", "Sessions", "Workers", "Teams", nums=(1, 2, 3))
    ]
    for t in d.themes:
        rows.append(
            [para(t.name + (" (retired)" if t.retired else ""), st["cell"]),
             para(f"{t.sessions:,}", st["num"]), para(f"{t.workers:,}", st["num"]),
             para(f"{t.teams:,}", st["num"])]
        )  # fmt: skip
    story.append(table(rows, [w * 0.55, w * 0.15, w * 0.15, w * 0.15], zebra=True))
    return story


def _heat_map(ctx: PackContext) -> list[Flowable]:
    return theme_heatmap_section(
        ctx.db, ctx.data.date_from, ctx.data.until, width=ctx.width,
        title="Themes by month (heat map)",
    )  # fmt: skip


def _learning_log(ctx: PackContext) -> list[Flowable]:
    return learning_log_section(ctx.db, ctx.data.date_from, ctx.data.until, width=ctx.width)


# The pack's sections, in order. Each is a ``PackSection``: a function of ``PackContext``
# (database, gathered data, page width) returning flowables that start with
# ``section(title)``. Callers can also pass their own list to ``build_compliance_pdf``.
SECTIONS: tuple[PackSection, ...] = (
    _summary,
    _policy,
    _headcount,
    _compliance,
    _overdue,
    _cancellations,
    _actions,
    _sign_off,
    # The record's QA and copy fields (issue 16): QA sampling, the supervisee's copy on
    # time, escalations.
    qa_section,
    copies_section,
    escalations_section,
    _quality,
    _wellbeing,
    _themes,
    _heat_map,
    _learning_log,
)


def compliance_story(
    db: Database,
    data: ComplianceData,
    *,
    width: float = BODY_WIDTH,
    sections: Sequence[PackSection] = SECTIONS,
) -> list[Flowable]:
    st = styles()
    ctx = PackContext(db, data, width)
    story: list[Flowable] = [
        markup("Supervision compliance pack", st["title"]),
        para(
            f"{data.service_name}"
            + (f" (registration {data.registration_number})" if data.registration_number else "")
            + f" · {uk(data.date_from)} to {uk(data.until)} · "
            f"{_plural(len(data.teams), 'team')}",
            st["subtitle"],
        ),
        Spacer(1, 2 * mm),
    ]
    if data.cut:
        story += [_cut_notice(data, width), Spacer(1, 2 * mm)]
    for build in sections:
        story += build(ctx)
    return story


_LAYOUT_STEPS = 20


def build_compliance_pdf(
    db: Database,
    date_from: date,
    date_to: date,
    out: Path,
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    today: date | None = None,
    sections: Sequence[PackSection] = SECTIONS,
) -> Path:
    """Write the compliance pack for [date_from, date_to] to ``out`` (A4 PDF).

    ``progress(done, total)`` is called as the work goes on; when ``cancelled()`` turns true the
    export stops with ``ExportCancelled`` and no file is left at ``out`` (unless one was there
    before: it is left as it was).
    """
    existed = out.exists()
    try:
        data = gather_compliance(
            db, date_from, date_to, today=today, progress=progress, cancelled=cancelled,
            steps_after=_LAYOUT_STEPS,
        )  # fmt: skip
        gathered = len(data.points) + 4 + len(GATHER_STEPS)
        total = gathered + _LAYOUT_STEPS

        def layout_progress(done: int, of: int) -> None:
            if progress is not None:
                progress(gathered + (done * _LAYOUT_STEPS) // max(of, 1), total)

        doc = KeelDocument(
            out,
            title="Supervision compliance pack",
            service_name=data.service_name,
            subject=f"{uk(date_from)} to {uk(data.until)}",
            time_zone=data.policy.zone(),
        )
        doc.build(
            compliance_story(db, data, width=doc.width, sections=sections),
            progress=layout_progress,
            cancelled=cancelled,
        )
    except BaseException:
        if not existed:
            with contextlib.suppress(OSError):
                out.unlink()
        raise
    return out


__all__ = [
    "GATHER_STEPS",
    "SECTIONS",
    "ComplianceData",
    "GatherStep",
    "PackContext",
    "PackSection",
    "build_compliance_pdf",
    "compliance_story",
    "gather_compliance",
    "month_ends",
]
