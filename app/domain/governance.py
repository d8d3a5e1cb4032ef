"""Supervision that feeds governance (DOMAIN.md §2 and §4): forums, the life of a governance
item, and theme trend alerts.

Trend rule (policy: N = ``trend_min_sessions``, M = ``trend_min_workers``, D =
``trend_window_days``): a theme raises an alert on an as-of date when at least N *held*
sessions dated from ``as_of - D`` to ``as_of`` (both ends included) raised it, and those
sessions come from at least M different workers. A session raises a theme when the session or
one of its decisions is tagged with it. Workers are counted as K: the different supervisees of
the one-to-one sessions, plus one for each group session — a group raises a theme with one
voice, however many attend (counting every attendee once said "raised 6 times by 22
workers"). The alert says "raised in N sessions (G group) by K workers", and M applies to K.

Handled alerts: when an alert is dismissed (with a reason) or turned into a governance item,
the sessions it listed are remembered for that theme. The theme alerts again only when a
session that no earlier dismissal or item listed raises it inside the window and the window
still meets N and M. The returning alert counts every session in the window (old and new) and
names the new ones, so the team sees the trend's full strength and what changed.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta


class Forum(enum.StrEnum):
    """Where a governance item is taken."""

    MDT = "mdt"
    SAFEGUARDING = "safeguarding"
    QUALITY = "quality"

    @property
    def label(self) -> str:
        return FORUM_LABELS[self]


FORUM_LABELS = {
    Forum.MDT: "MDT meeting",
    Forum.SAFEGUARDING: "Safeguarding meeting",
    Forum.QUALITY: "Quality and governance meeting",
}


class ItemStatus(enum.StrEnum):
    """raised → tabled → decided → closed, one step at a time."""

    RAISED = "raised"
    TABLED = "tabled"
    DECIDED = "decided"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def next(self) -> ItemStatus | None:
        """The only status this one may move to (None once closed)."""
        return NEXT_STATUS[self]


NEXT_STATUS: dict[ItemStatus, ItemStatus | None] = {
    ItemStatus.RAISED: ItemStatus.TABLED,
    ItemStatus.TABLED: ItemStatus.DECIDED,
    ItemStatus.DECIDED: ItemStatus.CLOSED,
    ItemStatus.CLOSED: None,
}

OPEN_STATUSES = (ItemStatus.RAISED, ItemStatus.TABLED, ItemStatus.DECIDED)


class ItemSource(enum.StrEnum):
    """How an item reached governance."""

    SESSION = "session"  # "flag to governance" on a session record
    ALERT = "alert"  # a theme trend alert
    MANUAL = "manual"  # raised by hand

    @property
    def label(self) -> str:
        return {"session": "Supervision record", "alert": "Theme trend", "manual": "By hand"}[
            self.value
        ]


@dataclass(frozen=True, slots=True)
class ThemeMention:
    """One held session raising one theme, with the workers it involves."""

    session_id: str
    theme_id: str
    on: date
    worker_ids: frozenset[str]
    group: bool = False
    """A group session: its attendees count as one voice."""


@dataclass(frozen=True, slots=True)
class Voices:
    """How many sessions raised a theme, how many of them were groups, and from how many
    workers (K: different one-to-one supervisees, plus one per group session)."""

    sessions: int
    groups: int
    workers: int


def count_voices(mentions: Iterable[ThemeMention]) -> Voices:
    """N, G and K of the module docstring over ``mentions`` (a session counts once)."""
    by_session = {m.session_id: m for m in mentions}
    groups = sum(1 for m in by_session.values() if m.group)
    supervisees = set().union(*(m.worker_ids for m in by_session.values() if not m.group))
    return Voices(len(by_session), groups, len(supervisees) + groups)


def window_words(days: int) -> str:
    """'the last 8 weeks' when the window is whole weeks, otherwise 'the last 30 days'."""
    if days % 7 == 0:
        weeks = days // 7
        return "the last week" if weeks == 1 else f"the last {weeks} weeks"
    return "the last day" if days == 1 else f"the last {days} days"


def sessions_words(sessions: int, groups: int) -> str:
    """'in 6 sessions (3 group)', 'in 1 session'."""
    noun = "session" if sessions == 1 else "sessions"
    return f"in {sessions} {noun}" + (f" ({groups} group)" if groups else "")


def alert_text(
    theme_name: str, sessions: int, workers: int, window_days: int, groups: int = 0
) -> str:
    """'Delayed crisis response — raised in 6 sessions (3 group) by 5 workers in the last 8
    weeks' (a group session counts as one worker: see the module docstring)."""
    people = "1 worker" if workers == 1 else f"{workers} workers"
    return (
        f"{theme_name} — raised {sessions_words(sessions, groups)} by {people} in "
        f"{window_words(window_days)}"
    )


@dataclass(frozen=True, slots=True)
class TrendAlert:
    """A theme raised often enough, by enough workers, to take to governance."""

    theme_id: str
    theme_name: str
    as_of: date
    window_days: int
    session_ids: tuple[str, ...]  # oldest first
    worker_ids: tuple[str, ...]
    new_session_ids: tuple[str, ...]  # not listed by an earlier dismissal or item
    first_on: date
    last_on: date
    group_sessions: int = 0
    voices: int = 0
    """K: the workers the rule counts (one-to-one supervisees, plus one per group)."""

    @property
    def sessions(self) -> int:
        return len(self.session_ids)

    @property
    def workers(self) -> int:
        """K, the number the rule and the text use (``worker_ids`` lists every attendee)."""
        return self.voices

    @property
    def window_start(self) -> date:
        return self.as_of - timedelta(days=self.window_days)

    @property
    def returning(self) -> bool:
        """True when an earlier alert of this theme was handled and new sessions brought it
        back."""
        return len(self.new_session_ids) < len(self.session_ids)

    @property
    def text(self) -> str:
        return alert_text(
            self.theme_name, self.sessions, self.workers, self.window_days, self.group_sessions
        )


def find_trends(
    mentions: Iterable[ThemeMention],
    theme_names: Mapping[str, str],
    as_of: date,
    *,
    min_sessions: int,
    min_workers: int,
    window_days: int,
    handled: Mapping[str, set[str]] | None = None,
) -> list[TrendAlert]:
    """The alerts on ``as_of`` (see the module docstring), strongest first.

    ``theme_names`` holds the themes that may alert (retired ones are left out by the caller);
    ``handled`` maps a theme id to the sessions earlier dismissals and items listed.
    """
    start = as_of - timedelta(days=window_days)
    by_theme: dict[str, dict[str, ThemeMention]] = defaultdict(dict)
    for m in mentions:
        if start <= m.on <= as_of and m.theme_id in theme_names:
            by_theme[m.theme_id][m.session_id] = m
    alerts: list[TrendAlert] = []
    for theme_id, sessions in by_theme.items():
        workers = set().union(*(m.worker_ids for m in sessions.values()))
        voices = count_voices(sessions.values())
        if voices.sessions < min_sessions or voices.workers < min_workers:
            continue
        ordered = sorted(sessions.values(), key=lambda m: (m.on, m.session_id))
        seen = (handled or {}).get(theme_id, set())
        new = tuple(m.session_id for m in ordered if m.session_id not in seen)
        if not new:
            continue
        alerts.append(
            TrendAlert(
                theme_id=theme_id,
                theme_name=theme_names[theme_id],
                as_of=as_of,
                window_days=window_days,
                session_ids=tuple(m.session_id for m in ordered),
                worker_ids=tuple(sorted(workers)),
                new_session_ids=new,
                first_on=ordered[0].on,
                last_on=ordered[-1].on,
                group_sessions=voices.groups,
                voices=voices.workers,
            )
        )
    alerts.sort(key=lambda a: (-a.sessions, -a.workers, a.theme_name.casefold()))
    return alerts
