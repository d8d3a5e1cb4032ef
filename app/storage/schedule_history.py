"""The due-status engine's facts for every worker at many as-of dates, in one pass over history.

``app.storage.schedule_facts.load_worker_facts`` answers one date in a fixed handful of
queries; a report that needs a dozen month ends would run those queries (and group the whole
session history) once per date. This loader reads each table once for the whole span of dates
and then, per date, picks what the single-date loader would have picked:

- the latest held session per worker and type on or before the date (one-to-one sessions by
  ``worker_id``, group sessions also by attendance; the later date wins), by bisection on
  sorted date lists;
- the earliest planned session per worker and type on or after the date, kept per source as
  the single-date loader does (a group session booked for the worker and one they attend);
- the latest assessment on or before the date, same-day ties to the later ``created_at`` and
  then the greater id (the order of ``latest_assessment``);
- leave starting on or before the date, overrides expiring on or after it, triggers dated on
  or before it;
- the workers in post on the date (not left on or before it), ordered by name then id.

Tests (tests/app/test_schedule_history.py) hold it to the single-date loader: same workers in
the same order and the same engine answers, date by date.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from app.domain.model import (
    Assessment,
    LeavePeriod,
    Override,
    RiskFactors,
    SessionFact,
    SessionStatus,
    TriggerEvent,
    WorkerFacts,
)
from app.domain.slots import slots_maker
from app.storage.db import Database
from app.storage.rows import to_date, type_kinds
from app.storage.workers import REQUIRED_TYPES_SQL, required_types

_HELD = SessionStatus.HELD
_PLANNED = SessionStatus.PLANNED
# WorkerFacts(...) made thousands of times (a worker per date): every field given, in order.
_new_facts = slots_maker(WorkerFacts)

_WORKERS = f"""
SELECT id, name, team, staff_id, start_date, {REQUIRED_TYPES_SQL.format(id="workers.id")},
       left_on
  FROM workers
 ORDER BY name COLLATE NOCASE, id
"""

# Distinct dates only: a worker's many sessions on one day count once. Every date asked is on
# or after :first, so before it only each worker's latest date (per type) can ever be the one
# picked: one row each instead of the whole history (10 years: 130k rows → 20k).
_HELD_DATES = """
SELECT worker_id, type, max(session_date) FROM sessions
 WHERE status = 'held' AND session_date < :first AND worker_id IS NOT NULL
 GROUP BY worker_id, type
UNION
SELECT DISTINCT worker_id, type, session_date FROM sessions
 WHERE status = 'held' AND session_date BETWEEN :first AND :last AND worker_id IS NOT NULL
UNION
SELECT a.worker_id, s.type, max(s.session_date)
  FROM session_attendees a JOIN sessions s ON s.id = a.session_id
 WHERE s.type IN ({groups}) AND s.status = 'held' AND s.session_date < :first
 GROUP BY a.worker_id, s.type
UNION
SELECT DISTINCT a.worker_id, s.type, s.session_date
  FROM session_attendees a JOIN sessions s ON s.id = a.session_id
 WHERE s.type IN ({groups}) AND s.status = 'held' AND s.session_date BETWEEN :first AND :last
"""

# Source 0: booked for the worker; source 1: a group session they attend.
_PLANNED_DATES = """
SELECT DISTINCT 0, worker_id, type, session_date FROM sessions
 WHERE type IN ({every}) AND status = 'planned'
   AND session_date >= :first AND worker_id IS NOT NULL
UNION
SELECT DISTINCT 1, a.worker_id, s.type, s.session_date
  FROM session_attendees a JOIN sessions s ON s.id = a.session_id
 WHERE s.type IN ({groups}) AND s.status = 'planned' AND s.session_date >= :first
"""

_ASSESSMENTS = """
SELECT worker_id, assessed_on, created_at, id, cohort_risk, decision_complexity,
       support_need, volatility
  FROM risk_assessments WHERE assessed_on <= :last
 ORDER BY worker_id, assessed_on, created_at, id
"""


class _Dates:
    """ISO date text → date, each distinct text converted once; shared fact objects."""

    def __init__(self) -> None:
        self.days: dict[str, date] = {}

    def __call__(self, text: str) -> date:
        found = self.days.get(text)
        if found is None:
            found = self.days[text] = date.fromisoformat(text)
        return found


def _latest_at_or_before(days: list[date], day: date) -> int:
    """Index of the last entry ≤ ``day`` in sorted ``days``, or -1."""
    return bisect_right(days, day) - 1


def load_worker_facts_at(  # noqa: C901 - one read per table, then the per-date assembly
    db: Database, dates: Iterable[date]
) -> dict[date, list[WorkerFacts]]:
    """For each date, the facts ``load_worker_facts(db, date)`` gives (workers in post on that
    date, in the same order), reading each table once for all the dates."""
    wanted = sorted(set(dates))
    if not wanted:
        return {}
    first, last = wanted[0].isoformat(), wanted[-1].isoformat()
    params = {"first": first, "last": last}
    conn = db.conn
    to_day = _Dates()
    kinds = type_kinds(db)
    keys = kinds.keys
    index = {k: i for i, k in enumerate(keys)}

    workers = conn.execute(_WORKERS).fetchall()

    # Per worker and type index, the sorted distinct held dates (both sources merged: the
    # later date wins in the single-date loader, which is what the merged list gives).
    held: dict[str, list[list[date]]] = {}
    for wid, type_, on in conn.execute(_HELD_DATES.format(groups=kinds.group_list), params):
        lists = held.get(wid)
        if lists is None:
            lists = held[wid] = [[] for _ in keys]
        lists[index[type_]].append(to_day(on))
    for lists in held.values():
        for days in lists:
            days.sort()  # UNION left each date once per list

    # Per worker, per (source, type index), the sorted planned dates.
    planned: dict[str, dict[tuple[int, int], list[date]]] = {}
    planned_sql = _PLANNED_DATES.format(every=kinds.every_list, groups=kinds.group_list)
    for source, wid, type_, on in conn.execute(planned_sql, params):
        per = planned.get(wid)
        if per is None:
            per = planned[wid] = {}
        key = (source, index[type_])
        if key in per:
            per[key].append(to_day(on))
        else:
            per[key] = [to_day(on)]
    for per in planned.values():
        for days in per.values():
            days.sort()
    planned_keys = [(s, i) for s in (0, 1) for i in range(len(keys))]

    # Per worker, assessments in (date, created_at, id) order: the last one on or before a
    # date is the one the single-date loader keeps.
    factors: dict[tuple[int, ...], RiskFactors] = {}
    assessed: dict[str, tuple[list[date], list[Assessment]]] = {}
    for wid, on, created, aid, *scores in conn.execute(_ASSESSMENTS, params):
        key_ = tuple(scores)
        risk = factors.get(key_)
        if risk is None:
            risk = factors[key_] = RiskFactors(*key_)
        entry = assessed.get(wid)
        if entry is None:
            entry = assessed[wid] = ([], [])
        day = to_day(on)
        entry[0].append(day)
        entry[1].append(Assessment(day, risk, created, aid))

    # Leave starting on or before a date: a prefix of the list sorted by start.
    leave: dict[str, list[LeavePeriod]] = defaultdict(list)
    for wid, start, end in conn.execute(
        "SELECT worker_id, start_date, end_date FROM leave_periods WHERE start_date <= :last "
        "ORDER BY worker_id, start_date, rowid",
        params,
    ):
        leave[wid].append(LeavePeriod(to_day(start), to_day(end) if end else None))
    leave_starts = {wid: [lv.start for lv in lvs] for wid, lvs in leave.items()}

    # Overrides expiring on or after a date: a suffix of the list sorted by expiry.
    overrides: dict[str, list[Override]] = defaultdict(list)
    for wid, type_, days_, reason, starts, expires in conn.execute(
        "SELECT worker_id, type, interval_days, reason, starts_on, expires_on FROM overrides "
        "WHERE expires_on >= :first ORDER BY worker_id, expires_on, rowid",
        params,
    ):
        overrides[wid].append(
            Override(keys[index[type_]], days_, reason, to_day(expires), to_date(starts))
        )
    override_ends = {wid: [o.expires_on for o in os_] for wid, os_ in overrides.items()}

    # Triggers dated on or before a date: a prefix of the list sorted by date.
    triggers: dict[str, list[TriggerEvent]] = defaultdict(list)
    for wid, type_, on, days_, kind in conn.execute(
        "SELECT worker_id, type, event_date, response_days, kind FROM trigger_events "
        "WHERE event_date <= :last ORDER BY worker_id, event_date, rowid",
        params,
    ):
        triggers[wid].append(TriggerEvent(keys[index[type_]], to_day(on), days_, kind))
    trigger_days = {wid: [t.event_date for t in ts] for wid, ts in triggers.items()}

    # What does not depend on the date, once per worker.
    fixed: list[tuple[Any, ...]] = []
    for wid, name, team, staff_id, start, required, left_on in workers:
        requires = required_types(required)
        fixed.append(
            (wid, name, to_day(start) if start else None, requires, team, staff_id,
             left_on, to_day(left_on) if left_on else None)
        )  # fmt: skip

    # Per worker, everything the per-date loop looks up, found once (not once per date).
    per_worker: list[tuple[Any, ...]] = []
    for row in fixed:
        wid = row[0]
        booked_of = planned.get(wid) or {}
        per_worker.append(
            (
                row,
                [(i, days) for i, days in enumerate(held.get(wid) or ()) if days],
                [(key[1], booked_of[key]) for key in planned_keys if booked_of.get(key)],
                assessed.get(wid),
                (leave_starts[wid], leave[wid]) if wid in leave else None,
                (override_ends[wid], overrides[wid]) if wid in overrides else None,
                (trigger_days[wid], triggers[wid]) if wid in triggers else None,
            )
        )

    held_facts: dict[tuple[int, date], SessionFact] = {}
    planned_facts: dict[tuple[int, date], SessionFact] = {}
    empty: tuple[Any, ...] = ()
    new_facts = _new_facts
    out: dict[date, list[WorkerFacts]] = {}
    for as_of in wanted:
        day_text = as_of.isoformat()
        facts_now: list[WorkerFacts] = []
        for row, held_lists, planned_lists, entry, leaves, overs, trigs in per_worker:
            wid, name, start, requires, team, staff_id, left_text, left_day = row
            if left_text is not None and not left_text > day_text:
                continue
            sessions: list[SessionFact] = []
            for i, days in held_lists:
                n = bisect_right(days, as_of)
                if n:
                    on = days[n - 1]
                    fact = held_facts.get((i, on))
                    if fact is None:
                        fact = held_facts[i, on] = SessionFact(keys[i], _HELD, on)
                    sessions.append(fact)
            for i, booked in planned_lists:
                n = bisect_left(booked, as_of)
                if n < len(booked):
                    on = booked[n]
                    fact = planned_facts.get((i, on))
                    if fact is None:
                        fact = planned_facts[i, on] = SessionFact(keys[i], _PLANNED, on)
                    sessions.append(fact)

            assessments: tuple[Assessment, ...] = empty
            if entry is not None:
                n = _latest_at_or_before(entry[0], as_of)
                if n >= 0:
                    assessments = (entry[1][n],)

            leave_now: tuple[LeavePeriod, ...] = empty
            if leaves is not None:
                n = bisect_right(leaves[0], as_of)
                if n:
                    leave_now = tuple(leaves[1][:n])
            overrides_now: tuple[Override, ...] = empty
            if overs is not None:
                n = bisect_left(overs[0], as_of)
                if n < len(overs[1]):
                    overrides_now = tuple(overs[1][n:])
            triggers_now: tuple[TriggerEvent, ...] = empty
            if trigs is not None:
                n = bisect_right(trigs[0], as_of)
                if n:
                    triggers_now = tuple(trigs[1][:n])

            facts_now.append(
                new_facts(wid, name, start, requires, team, staff_id, assessments,
                          tuple(sessions), leave_now, overrides_now, triggers_now, left_day, {})
            )  # fmt: skip
        out[as_of] = facts_now
    return out
