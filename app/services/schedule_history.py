"""Due statuses for the whole service at many as-of dates (a report's month ends) at once.

Same answers as calling ``app.services.scheduling.compute_schedule`` per date, but the history
is read once for all the dates (see ``app.storage.schedule_history``); the engine runs per
date as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from app.collector import collection_paused
from app.domain.model import DueStatus, TypeKey
from app.domain.policy import Policy, PolicyVersion
from app.domain.schedule import Compliance, ScheduleRules, is_active_on, statuses_for
from app.domain.slots import slots_maker
from app.services.scheduling import Schedule, ScheduleRow
from app.storage.db import Database
from app.storage.policies import policy_history
from app.storage.schedule_history import load_worker_facts_at

_new_row = slots_maker(ScheduleRow)


def compute_schedules(
    db: Database, dates: Iterable[date], policy: Policy | None = None
) -> dict[date, Schedule]:
    """Every active worker's status on each of ``dates`` under the policy version in force on
    that date (or the one given): ``{d: compute_schedule(db, d, policy=policy) for d in
    dates}``, cheaper."""
    history = policy_history(db) if policy is None else None
    # No cyclic collection while the many small immutable objects are made (none form
    # cycles).
    with collection_paused():
        facts_at = load_worker_facts_at(db, dates)
        # One computation per version: each policy's numbers looked up once.
        rules: dict[int, tuple[PolicyVersion, ScheduleRules]] = {}
        new_row = _new_row
        out: dict[date, Schedule] = {}
        for as_of, facts in facts_at.items():
            if history is not None:
                version = history.in_force(as_of)
            else:
                assert policy is not None
                version = PolicyVersion(0, as_of, "", "", "not saved", policy)
            found = rules.get(id(version.policy))
            if found is None:
                found = rules[id(version.policy)] = (version, ScheduleRules(version.policy))
            statuses = statuses_for(facts, version.policy, as_of, rules=found[1])
            rows = [new_row(f, s) for f, s in zip(facts, statuses, strict=True)]
            out[as_of] = Schedule(as_of, version, rows)
    return out


_NOT_COUNTED = (DueStatus.NOT_REQUIRED, DueStatus.PAUSED)
_OVERDUE = DueStatus.OVERDUE


def compliance_table(
    schedule: Schedule,
) -> dict[tuple[str | None, TypeKey | None], Compliance]:
    """``schedule.compliance_table()`` in one pass over the workers instead of one per team and
    type (same keys in the same order, same counts; the tests compare the two): per worker in
    post and required type, not paused, counted; compliant unless overdue."""
    as_of = schedule.as_of
    # Per team and type first (one cell per worker and type); the totals by team, by type and
    # overall are sums of those few cells.
    cells: dict[tuple[str, TypeKey], list[int]] = {}
    seen_teams: set[str] = set()
    for row in schedule.rows:
        facts = row.facts
        if not is_active_on(facts, as_of):
            continue
        team = facts.team
        seen_teams.add(team)
        for t, s in row.status.by_type.items():
            status = s.status
            if status in _NOT_COUNTED:
                continue
            cell = cells.get((team, t))
            if cell is None:
                cell = cells[team, t] = [0, 0]
            if status is not _OVERDUE:
                cell[0] += 1
            cell[1] += 1
    types = schedule.types
    counts: dict[tuple[str | None, TypeKey | None], list[int]] = {}
    for team in seen_teams:
        counts[team, None] = [0, 0]
        for t in types:
            counts[team, t] = [0, 0]
    for (team, t), (ok, counted) in cells.items():
        for key in ((team, t), (team, None), (None, t), (None, None)):
            cell = counts.get(key)
            if cell is None:
                cell = counts[key] = [0, 0]
            cell[0] += ok
            cell[1] += counted
    table: dict[tuple[str | None, TypeKey | None], Compliance] = {}
    teams = sorted({team for team, _type in counts if team is not None})
    for who in [None, *teams]:
        for type_ in [None, *types]:
            compliant, counted = counts.get((who, type_), (0, 0))
            table[who, type_] = Compliance(compliant, counted)
    return table
