"""The agenda of a governance forum's meeting (an MDT, a safeguarding or a quality meeting),
gathered from supervision: the data behind the screen and the PDF (``reports.mdt``).

Four parts, as DOMAIN.md §2 and issue 6 ask:

1. open governance items for that forum (raised, tabled or decided but not closed), each with
   the sessions it came from — dates, types and case references only; items carried over
   (tabled) come first, then decided ones whose change is to report, then new ones;
2. themes raised in held supervision since the forum's last meeting, with how many sessions
   and workers, and whether the theme meets the trend-alert rule on the meeting date;
3. overdue actions that need the team: open actions owned by the supervisor or someone other
   than the supervisee (the supervisee's own actions belong in their supervision), overdue on
   the meeting date or today, whichever is earlier (``MdtAgenda.counted_to``: nothing is
   overdue before its due date has passed, so an agenda printed for next week's meeting
   counts to today);
4. workers overdue for clinical supervision who carry a high-risk caseload (tier high from the
   due-status engine on that same date).

"Since the last meeting": the day after the latest recorded meeting of that forum before the
meeting date (meetings are recorded when an item is tabled, or by ``record_meeting``); with no
earlier meeting, the policy's trend window (default 8 weeks). A ``since`` passed in wins.
Confidential reflective notes are never read here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from app.dates import uk
from app.domain.catalogue import Catalogue
from app.domain.governance import (
    OPEN_STATUSES,
    Forum,
    ItemStatus,
    ThemeMention,
    count_voices,
    window_words,
)
from app.domain.model import DueStatus, Tier, TypeKey
from app.domain.policy import Policy
from app.domain.records import ActionOwner
from app.domain.rows import GovernanceItem, SourceSession
from app.domain.schedule import is_active_on
from app.services.bound import BoundService, bound
from app.services.governance import detect_trends
from app.services.reports.common import Cancelled, Progress
from app.services.scheduling import compute_schedule
from app.storage import governance as store
from app.storage.db import Database
from app.storage.policies import current_policy, policy_history
from app.storage.themes import list_themes, theme_mentions

__all__ = [
    "AgendaAction",
    "AgendaItem",
    "AgendaWorker",
    "MdtAgenda",
    "ThemeTrend",
    "mdt_agenda",
    "write_mdt_agenda",
]


@dataclass(frozen=True, slots=True)
class AgendaItem:
    """An open governance item with the sessions it came from."""

    item: GovernanceItem
    sources: tuple[SourceSession, ...]

    @property
    def case_refs(self) -> tuple[str, ...]:
        """Case references across the source sessions, each once, in order of appearance."""
        refs: dict[str, None] = {}
        for source in self.sources:
            for ref in source.case_refs.replace(";", ",").split(","):
                if ref.strip():
                    refs[ref.strip()] = None
        return tuple(refs)


@dataclass(frozen=True, slots=True)
class ThemeTrend:
    """A theme raised in supervision since the last meeting."""

    theme_id: str
    name: str
    sessions: int
    workers: int  # K: one-to-one supervisees, plus one per group session (as the alert rule)
    alert_text: str  # the trend alert on the meeting date ('' when the rule is not met)
    groups: int = 0  # how many of the sessions were group sessions

    @property
    def alert(self) -> bool:
        return bool(self.alert_text)

    @property
    def sessions_text(self) -> str:
        """'6 (3 group)'."""
        return f"{self.sessions}" + (f" ({self.groups} group)" if self.groups else "")


@dataclass(frozen=True, slots=True)
class AgendaAction:
    """An overdue action that needs the team."""

    action_id: str
    description: str
    worker_id: str
    worker_name: str  # whose supervision it came from
    owner: ActionOwner | None
    owner_name: str
    due_date: date
    days_overdue: int
    evidence: str
    session_id: str
    session_date: date
    session_type: TypeKey


@dataclass(frozen=True, slots=True)
class AgendaWorker:
    """A worker with a high-risk caseload whose clinical supervision is overdue."""

    worker_id: str
    name: str
    team: str
    role: str
    last_held: date | None
    due: date | None
    days_overdue: int
    booked: date | None
    reason: str  # the engine's reason for the due date
    type: TypeKey  # the overdue type of a clinical nature (see the catalogue)


@dataclass(frozen=True, slots=True)
class MdtAgenda:
    """Everything on one meeting's agenda (see the module docstring)."""

    forum: Forum
    meeting_date: date
    since: date  # first day the theme counts cover
    last_meeting: date | None
    team: str | None
    window_days: int  # the policy's trend window (used when there is no earlier meeting)
    items: tuple[AgendaItem, ...]
    trends: tuple[ThemeTrend, ...]
    overdue_actions: tuple[AgendaAction, ...]
    overdue_high_risk: tuple[AgendaWorker, ...]
    closed_since: tuple[GovernanceItem, ...]  # items of this forum closed since `since`
    catalogue: Catalogue  # the supervision types' words, as the policy on the meeting date
    # Overdue is as on this day: the meeting date or today, whichever is earlier.
    counted_to: date

    @property
    def since_words(self) -> str:
        """'since the last MDT meeting (3 Nov 2026)' or 'in the last 8 weeks'."""
        if self.last_meeting is not None and self.since == self.last_meeting + timedelta(days=1):
            return f"since the last {self.forum.label} ({uk(self.last_meeting)})"
        if self.last_meeting is None and self.since == self.meeting_date - timedelta(
            days=self.window_days
        ):
            return f"in {window_words(self.window_days)} (no earlier meeting recorded)"
        return f"since {uk(self.since)}"

    @property
    def counted_words(self) -> str:
        """Which day 'overdue' is counted to, in words for the page."""
        if self.counted_to < self.meeting_date:
            return (
                f"Overdue as on {uk(self.counted_to)} (today; the meeting is on "
                f"{uk(self.meeting_date)}): nothing counts as overdue before its due date has "
                "passed."
            )
        return f"Overdue as on the meeting date, {uk(self.counted_to)}."


# Carried-over items first (still to decide), then decisions whose change is to report, then
# new items.
_AGENDA_ORDER = {ItemStatus.TABLED: 0, ItemStatus.DECIDED: 1, ItemStatus.RAISED: 2}


def mdt_agenda(
    db: Database,
    meeting_date: date,
    forum: Forum = Forum.MDT,
    *,
    since: date | None = None,
    team: str | None = None,
    policy: Policy | None = None,
    today: date | None = None,
) -> MdtAgenda:
    """Gather the agenda of ``forum``'s meeting on ``meeting_date``.

    ``team`` narrows themes, actions and workers to one team (items are the forum's). What is
    overdue is counted to the meeting date or ``today`` (default: the clock's), whichever is
    earlier.
    """
    policy = policy or current_policy(db, meeting_date)
    counted_to = min(meeting_date, today or date.today())
    last = store.last_meeting_before(db, forum, meeting_date)
    if since is None:
        if last is not None:
            since = last + timedelta(days=1)
        else:
            since = meeting_date - timedelta(days=policy.trend_window_days)
    items = tuple(
        AgendaItem(item, tuple(store.source_sessions(db, item.session_ids)))
        for item in sorted(
            store.list_items(db, forum=forum, statuses=OPEN_STATUSES),
            key=lambda i: (_AGENDA_ORDER[i.status], i.raised_on, i.title.casefold()),
        )
        if item.raised_on <= meeting_date
    )
    closed = tuple(
        i
        for i in store.list_items(db, forum=forum, statuses=[ItemStatus.CLOSED])
        if i.closed_on is not None and since <= i.closed_on <= meeting_date
    )
    return MdtAgenda(
        forum=forum,
        meeting_date=meeting_date,
        since=since,
        last_meeting=last,
        team=team,
        window_days=policy.trend_window_days,
        items=items,
        trends=tuple(_trends(db, since, meeting_date, team, policy)),
        overdue_actions=tuple(_overdue_actions(db, counted_to, team)),
        overdue_high_risk=tuple(_overdue_high_risk(db, counted_to, team, policy)),
        closed_since=closed,
        catalogue=policy_history(db).display_catalogue(meeting_date),
        counted_to=counted_to,
    )


def _trends(
    db: Database, since: date, meeting_date: date, team: str | None, policy: Policy
) -> list[ThemeTrend]:
    """Themes raised since the last meeting, counted as the alert rule counts (a group session
    once, its attendees as one worker), and every theme alerting on the meeting date — the
    same alerts, with the same words, as the Governance screen shows on that day (dismissed
    alerts and those already made items stay off both)."""
    mentions: dict[str, list[ThemeMention]] = defaultdict(list)
    for m in theme_mentions(db, since, meeting_date, team=team):
        mentions[m.theme_id].append(m)
    alerts = {a.theme_id: a.text for a in detect_trends(db, meeting_date, policy, team=team)}
    names = {t.id: t.name for t in list_themes(db, include_retired=True)}
    trends = []
    for tid in {**dict.fromkeys(mentions), **dict.fromkeys(alerts)}:
        voices = count_voices(mentions.get(tid, []))
        trends.append(
            ThemeTrend(
                tid, names[tid], voices.sessions, voices.workers, alerts.get(tid, ""), voices.groups
            )
        )
    trends.sort(key=lambda t: (not t.alert, -t.sessions, -t.workers, t.name.casefold()))
    return trends


def _overdue_actions(db: Database, counted_to: date, team: str | None) -> list[AgendaAction]:
    params: list[object] = [counted_to.isoformat()]
    team_clause = ""
    if team is not None:
        team_clause = "AND w.team = ? "
        params.append(team)
    rows = db.execute(
        "SELECT a.id, a.description, a.worker_id, w.name, "
        "CASE WHEN a.shared = 1 THEN 'both' ELSE a.owner END, a.owner_name, a.due_date, "
        "a.evidence, s.id, s.session_date, s.type FROM actions a "
        "JOIN workers w ON w.id = a.worker_id JOIN sessions s ON s.id = a.session_id "
        "WHERE a.status = 'open' AND (a.owner IN ('supervisor', 'other') OR a.shared = 1) "
        "AND a.due_date IS NOT NULL AND a.due_date < ? "
        f"{team_clause}ORDER BY a.due_date, w.name COLLATE NOCASE",
        params,
    ).fetchall()
    out = []
    for r in rows:
        due = date.fromisoformat(r[6])
        out.append(
            AgendaAction(
                r[0], r[1], r[2], r[3], ActionOwner(r[4]) if r[4] else None, r[5], due,
                (counted_to - due).days, r[7], r[8], date.fromisoformat(r[9]),
                r[10],
            )
        )  # fmt: skip
    return out


def _overdue_high_risk(
    db: Database, counted_to: date, team: str | None, policy: Policy
) -> list[AgendaWorker]:
    schedule = compute_schedule(db, counted_to, policy=policy)
    roles = dict(db.execute("SELECT id, role FROM workers").fetchall())
    out = []
    # The types of a clinical nature (their supervisor must be qualified: clinical supervision
    # of the built-in ones): a high-risk caseload without them is what the meeting must see.
    clinical_types = [t.key for t in schedule.catalogue.active if t.qualified_supervisor]
    for row in schedule.rows:
        facts, status = row.facts, row.status
        if not is_active_on(facts, counted_to) or (team is not None and facts.team != team):
            continue
        overdue = [
            s
            for t in clinical_types
            if (s := status.by_type[t]).tier is Tier.HIGH and s.status is DueStatus.OVERDUE
        ]
        if not overdue:
            continue
        # The longest overdue (no date at all first), then the catalogue's order.
        clinical = min(overdue, key=lambda s: s.due or date.min)
        days = (counted_to - clinical.due).days if clinical.due else 0
        out.append(
            AgendaWorker(
                facts.worker_id, facts.name, facts.team, roles.get(facts.worker_id, ""),
                clinical.last_held, clinical.due, days, clinical.booked, clinical.reason,
                clinical.type,
            )
        )  # fmt: skip
    out.sort(key=lambda w: (-w.days_overdue, w.name.casefold()))
    return out


def write_mdt_agenda(
    db: Database,
    meeting_date: date,
    forum: Forum,
    out: Path,
    *,
    since: date | None = None,
    team: str | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    today: date | None = None,
) -> Path:
    """Gather the agenda of ``forum``'s meeting on ``meeting_date`` (under the policy in force
    today, whose service name heads it), then lay it out to ``out`` (A4 PDF) with
    ``app.services.reports.mdt``. Overdue is counted to ``meeting_date`` or ``today``,
    whichever is earlier."""
    from app.services.reports import mdt

    policy = current_policy(db)
    agenda = mdt_agenda(db, meeting_date, forum, since=since, team=team, policy=policy,
                        today=today)  # fmt: skip
    return mdt.build_mdt_agenda_pdf(
        agenda,
        out,
        service_name=policy.service_name,
        time_zone=policy.zone(),
        progress=progress,
        cancelled=cancelled,
    )


class AgendaService(BoundService):
    """The MDT, safeguarding and quality meetings' agendas. (The open database given: see ``app.services.bound``.)"""

    mdt_agenda = bound(mdt_agenda)
