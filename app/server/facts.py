"""Reading the published facts back: every team's workers with what the engine needs on a date.

The same shape as the laptop's loader (app.storage.schedule_facts): a fixed handful of
set-based queries whatever the number of teams and workers — workers in post, the latest held
session per worker and type on or before the date (a group session counts for every attendee),
the first booking from the date on, the latest risk assessment, leave, overrides and trigger
events — then plain ``WorkerFacts`` for app.domain.schedule, computed with each team's own
policy. Ties are broken in byte order (``COLLATE "C"``), as SQLite and Python compare text.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from app.domain.model import (
    Assessment,
    LeavePeriod,
    Override,
    RiskFactors,
    SessionFact,
    SessionStatus,
    TriggerEvent,
    TypeKey,
    WorkerFacts,
)
from app.server.schema import SCHEMA

_HELD = SessionStatus.HELD
_PLANNED = SessionStatus.PLANNED
K = SCHEMA


@dataclass(frozen=True, slots=True)
class TeamRow:
    """A team database as the service knows it."""

    id: int
    name: str
    database_id: str | None
    published_at: datetime | None


def read_teams(conn: Any) -> list[TeamRow]:
    return [
        TeamRow(int(r[0]), str(r[1]), r[2], r[3])
        for r in conn.execute(
            f"SELECT id, name, database_id, published_at FROM {K}.teams ORDER BY lower(name), id"
        )
    ]


@dataclass(frozen=True, slots=True)
class PublishedPolicy:
    """One policy version a team published (``effective_from`` None: published before the
    server kept effective dates — in force from the start)."""

    version: int
    effective_from: date | None
    created_at: str
    data: dict[str, Any]


def read_policies(conn: Any) -> dict[int, list[PublishedPolicy]]:
    """Every policy version each team published, oldest first (the service view picks the
    one in force on its date, as the laptop does)."""
    out: dict[int, list[PublishedPolicy]] = {}
    for team_id, version, effective_from, created_at, data in conn.execute(
        f"SELECT team_id, version, effective_from, created_at, data FROM {K}.policies "
        "ORDER BY team_id, version"
    ):
        out.setdefault(int(team_id), []).append(
            PublishedPolicy(int(version), effective_from, str(created_at), dict(data))
        )
    return out


_LATEST_HELD = f"""
SELECT team_id, worker_id, type, max(session_date) FROM {K}.sessions
 WHERE status = 'held' AND session_date <= %(d)s AND worker_id IS NOT NULL
 GROUP BY team_id, worker_id, type
UNION ALL
SELECT s.team_id, a.worker, s.type, max(s.session_date)
  FROM {K}.sessions s CROSS JOIN LATERAL unnest(s.attendees) AS a(worker)
 WHERE s.status = 'held' AND s.session_date <= %(d)s
 GROUP BY s.team_id, a.worker, s.type"""

_NEXT_PLANNED = f"""
SELECT team_id, worker_id, type, min(session_date) FROM {K}.sessions
 WHERE status = 'planned' AND session_date >= %(d)s AND worker_id IS NOT NULL
 GROUP BY team_id, worker_id, type
UNION ALL
SELECT s.team_id, a.worker, s.type, min(s.session_date)
  FROM {K}.sessions s CROSS JOIN LATERAL unnest(s.attendees) AS a(worker)
 WHERE s.status = 'planned' AND s.session_date >= %(d)s
 GROUP BY s.team_id, a.worker, s.type"""

_LATEST_ASSESSMENT = f"""
SELECT DISTINCT ON (team_id, worker_id) team_id, worker_id, id, assessed_on, recorded_at,
       cohort_risk, decision_complexity, support_need, volatility
  FROM {K}.risk_assessments WHERE assessed_on <= %(d)s
 ORDER BY team_id, worker_id, assessed_on DESC, recorded_at COLLATE "C" DESC,
          id COLLATE "C" DESC"""


def _nocase(text: str) -> str:
    """SQLite's NOCASE: only ASCII letters fold."""
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def read_worker_facts(  # noqa: C901 - one set-based query after another, then the assembly
    conn: Any, as_of: date, *, team_ids: Iterable[int] | None = None
) -> dict[int, list[WorkerFacts]]:
    """Per team: every worker in post on ``as_of`` with the facts the engine needs, ordered as
    the laptop's ``status`` orders them (name without ASCII case, then id)."""
    params: dict[str, Any] = {"d": as_of}
    wanted = None if team_ids is None else set(team_ids)
    key = tuple[int, str]
    workers = conn.execute(
        f"SELECT team_id, id, name, team, staff_id, start_date, left_on, requires "
        f"FROM {K}.workers WHERE left_on IS NULL OR left_on > %(d)s",
        params,
    ).fetchall()
    sessions: dict[key, list[SessionFact]] = defaultdict(list)
    held: dict[tuple[int, str, str], date] = {}
    for team, wid, type_, on in conn.execute(_LATEST_HELD, params):
        cell = (team, wid, type_)
        if cell not in held or held[cell] < on:
            held[cell] = on
    facts_of: dict[tuple[str, date, SessionStatus], SessionFact] = {}

    def fact(type_: str, status: SessionStatus, on: date) -> SessionFact:
        found = facts_of.get((type_, on, status))
        if found is None:
            found = facts_of[type_, on, status] = SessionFact(type_, status, on)
        return found

    for (team, wid, type_), on in held.items():
        sessions[team, wid].append(fact(type_, _HELD, on))
    for team, wid, type_, on in conn.execute(_NEXT_PLANNED, params):
        sessions[team, wid].append(fact(type_, _PLANNED, on))
    assessments: dict[key, tuple[Assessment, ...]] = {}
    factors: dict[tuple[int, ...], RiskFactors] = {}
    for team, wid, aid, on, recorded, *scores in conn.execute(_LATEST_ASSESSMENT, params):
        k4 = tuple(int(s) for s in scores)
        risk = factors.get(k4)
        if risk is None:
            risk = factors[k4] = RiskFactors(*k4)
        assessments[team, wid] = (Assessment(on, risk, recorded, aid),)
    leave: dict[key, list[LeavePeriod]] = defaultdict(list)
    for team, wid, start, end in conn.execute(
        f"SELECT team_id, worker_id, start_date, end_date FROM {K}.leave_periods "
        "WHERE start_date <= %(d)s",
        params,
    ):
        leave[team, wid].append(LeavePeriod(start, end))
    overrides: dict[key, list[Override]] = defaultdict(list)
    for team, wid, type_, days, reason, starts, expires in conn.execute(
        f"SELECT team_id, worker_id, type, interval_days, reason, starts_on, expires_on "
        f"FROM {K}.overrides WHERE expires_on >= %(d)s",
        params,
    ):
        overrides[team, wid].append(Override(type_, days, reason, expires, starts))
    triggers: dict[key, list[TriggerEvent]] = defaultdict(list)
    for team, wid, type_, on, days, kind in conn.execute(
        f"SELECT team_id, worker_id, type, event_date, response_days, kind "
        f"FROM {K}.trigger_events WHERE event_date <= %(d)s",
        params,
    ):
        triggers[team, wid].append(TriggerEvent(type_, on, days, kind))

    requirements: dict[tuple[str, ...], frozenset[TypeKey]] = {}
    out: dict[int, list[WorkerFacts]] = defaultdict(list)
    for team, wid, name, team_name, staff_id, start, left_on, requires in workers:
        if wanted is not None and team not in wanted:
            continue
        k = (team, wid)
        needs = tuple(requires)
        required = requirements.get(needs)
        if required is None:
            required = requirements[needs] = frozenset(needs)
        out[team].append(
            WorkerFacts(
                wid,
                name,
                start,
                required,
                team_name,
                staff_id,
                assessments.get(k, ()),
                tuple(sessions.get(k, ())),
                tuple(leave.get(k, ())),
                tuple(overrides.get(k, ())),
                tuple(triggers.get(k, ())),
                left_on,
                {},
            )
        )
    for rows in out.values():
        rows.sort(key=lambda f: (_nocase(f.name), f.worker_id))
    return dict(out)


@dataclass(frozen=True, slots=True)
class PublishedSession:
    """A session as the service pack lists it."""

    team_id: int
    id: str
    type: str
    status: str
    on: date
    worker_id: str | None
    supervisor_id: str | None
    attendees: int
    signed_at: str | None
    supervisee_response: str | None


def read_sessions(conn: Any, date_from: date, date_to: date) -> list[PublishedSession]:
    """Every team's sessions dated in the period (held, cancelled, did not attend, planned)."""
    return [
        PublishedSession(
            int(r[0]), str(r[1]), str(r[2]), str(r[3]), r[4], r[5], r[6], int(r[7]), r[8], r[9]
        )
        for r in conn.execute(
            f"SELECT team_id, id, type, status, session_date, worker_id, supervisor_id, "
            f"cardinality(attendees), signed_at, supervisee_response FROM {K}.sessions "
            "WHERE session_date BETWEEN %s AND %s ORDER BY session_date, id",
            [date_from, date_to],
        )
    ]


def read_worker_names(conn: Any) -> dict[tuple[int, str], tuple[str, str]]:
    """(team, worker id) → (name, team) for every published worker, left ones included."""
    return {
        (int(t), str(w)): (str(n), str(tm))
        for t, w, n, tm in conn.execute(f"SELECT team_id, id, name, team FROM {K}.workers")
    }


@dataclass(frozen=True, slots=True)
class ThemeMention:
    team_id: int
    theme: str  # the theme's name: ids differ from one team database to another
    on: date


def read_theme_mentions(conn: Any, date_from: date, date_to: date) -> list[ThemeMention]:
    """Each held session in the period once per theme it raised, by the theme's name."""
    return [
        ThemeMention(int(t), str(n), d)
        for t, n, d in conn.execute(
            f"""SELECT s.team_id, th.name, s.session_date
                  FROM {K}.sessions s CROSS JOIN LATERAL unnest(s.themes) AS x(theme_id)
                  JOIN {K}.themes th ON th.team_id = s.team_id AND th.id = x.theme_id
                 WHERE s.status = 'held' AND s.session_date BETWEEN %s AND %s""",
            [date_from, date_to],
        )
    ]


@dataclass(frozen=True, slots=True)
class LearningEntry:
    team_id: int
    forum: str
    title: str
    theme: str | None
    raised_on: date
    change_made: str
    change_made_on: date


def read_learning(conn: Any, date_from: date, date_to: date) -> list[LearningEntry]:
    """Governance items whose change was made in the period: what supervision changed."""
    return [
        LearningEntry(int(r[0]), str(r[1]), str(r[2]), r[3], r[4], str(r[5]), r[6])
        for r in conn.execute(
            f"""SELECT g.team_id, g.forum, g.title, th.name, g.raised_on, g.change_made,
                       g.change_made_on
                  FROM {K}.governance_items g
                  LEFT JOIN {K}.themes th ON th.team_id = g.team_id AND th.id = g.theme_id
                 WHERE g.change_made_on BETWEEN %s AND %s
                 ORDER BY g.change_made_on, g.title""",
            [date_from, date_to],
        )
    ]


def read_qa(conn: Any, date_from: date, date_to: date) -> list[tuple[int, date, bool]]:
    """Each team's signed held records dated in the period: (team, date, countersigned)."""
    return [
        (int(t), d, bool(q))
        for t, d, q in conn.execute(
            f"""SELECT s.team_id, s.session_date,
                       EXISTS (SELECT 1 FROM {K}.qa_countersignatures c
                                WHERE c.team_id = s.team_id AND c.session_id = s.id)
                  FROM {K}.sessions s
                 WHERE s.status = 'held' AND s.signed_at IS NOT NULL
                   AND s.session_date BETWEEN %s AND %s""",
            [date_from, date_to],
        )
    ]
