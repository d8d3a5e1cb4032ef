"""Set-based loading of everything the due-status engine needs, for all workers at once.

A fixed handful of queries whatever the number of workers: workers with their latest held
session per type and latest assessment, the first booking after the as-of date, leave,
overrides and triggers. The engine then runs in memory.

The latest held sessions and assessments come from ``latest_held`` and ``latest_assessment``
(kept by triggers, see app.storage.schema): one row per worker instead of grouping the whole
history. A cached date after the as-of date (a past as-of date, or a record dated ahead) says
nothing about that date, so those workers are computed from the history as before: by worker
when they are few, with the set-based queries below when they are many.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from app import dbapi
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
from app.storage.rows import TypeKinds, to_date, type_kinds
from app.storage.schema import LATEST_ASSESSMENT_FILL_SQL, LATEST_HELD_FILL_SQL
from app.storage.workers import REQUIRED_TYPES_SQL, required_types

_HELD = SessionStatus.HELD
_PLANNED = SessionStatus.PLANNED

# The latest held one-to-one session per worker and type, plus the latest held session of a
# group type each worker attended. The benchmark's floor query is this one. ``{groups}`` is
# the group types' keys (TypeKinds.group_list).
_LATEST_HELD = """
SELECT worker_id, type, max(session_date) FROM sessions
 WHERE status = 'held' AND session_date <= :as_of AND worker_id IS NOT NULL{one}
 GROUP BY worker_id, type
UNION ALL
SELECT a.worker_id, s.type, max(s.session_date)
  FROM session_attendees a {join} sessions s ON s.id = a.session_id
 WHERE s.type IN ({groups}) AND s.status = 'held' AND s.session_date <= :as_of{group}
 GROUP BY a.worker_id, s.type
"""


def latest_held_sql(kinds: TypeKinds) -> str:
    return _LATEST_HELD.format(one="", group="", join="JOIN", groups=kinds.group_list)


# ``type IN (...)`` names every type there is, so it selects nothing less; it lets SQLite
# read only the planned sessions from the as-of date on (sessions_type_date) instead of
# scanning every session in sessions_worker_type (about 4× faster on the reference database).
_NEXT_PLANNED = """
SELECT worker_id, type, min(session_date) FROM sessions
 WHERE type IN ({every}) AND status = 'planned'
   AND session_date >= :as_of AND worker_id IS NOT NULL{one}
 GROUP BY worker_id, type
UNION ALL
SELECT a.worker_id, s.type, min(s.session_date)
  FROM session_attendees a {join} sessions s ON s.id = a.session_id
 WHERE s.type IN ({groups}) AND s.status = 'planned' AND s.session_date >= :as_of{group}
 GROUP BY a.worker_id, s.type
"""


def next_planned_sql(kinds: TypeKinds) -> str:
    return _NEXT_PLANNED.format(
        one="", group="", join="JOIN", every=kinds.every_list, groups=kinds.group_list
    )


# The latest assessment date per worker on or before the as-of date, and every assessment of
# that worker on that date (one, unless two were made the same day: the loader then keeps the
# latest recorded, ties broken by id, exactly as the engine's ``latest_assessment`` orders
# them). Driven from workers (CROSS JOIN fixes the order) so each worker costs two seeks in
# risk_assessments_worker instead of sorting the whole history.
_LATEST_ASSESSMENT = """
SELECT r.worker_id, r.id, r.assessed_on, r.created_at, r.cohort_risk, r.decision_complexity,
       r.support_need, r.volatility
  FROM workers w CROSS JOIN risk_assessments r
 WHERE r.worker_id = w.id{one}
   AND r.assessed_on = (SELECT max(x.assessed_on) FROM risk_assessments x
                         WHERE x.worker_id = w.id AND x.assessed_on <= :as_of)
"""
LATEST_ASSESSMENT_SQL = _LATEST_ASSESSMENT.format(one="")

# The constructors of what is made for every worker, each value put straight into its slot
# (see app.domain.slots): the same objects, about twice as fast. Tests compare them.
_new_worker_facts = slots_maker(WorkerFacts)
_new_assessment = slots_maker(Assessment)
_new_leave = slots_maker(LeavePeriod)

# Refreshing a few workers after a save reads only their rows (the indexes lead with worker_id).
_FEW_WORKERS = 50

# Every worker with the cached latest assessment, then the cached latest held date of each
# type (one column per type, in TypeKinds order: ``{held}``, joined by ``{joins}``).
_WORKERS = """
SELECT w.id, w.name, w.team, w.staff_id, w.start_date, """
_WORKERS += REQUIRED_TYPES_SQL.format(id="w.id")
_WORKERS += """,
       w.left_on, r.assessment_id, r.assessed_on, r.created_at, r.cohort_risk,
       r.decision_complexity, r.support_need, r.volatility{held}
  FROM workers w
  LEFT JOIN latest_assessment r ON r.worker_id = w.id{joins}
 {where}
 ORDER BY w.name COLLATE NOCASE, w.id
"""
_FIRST_HELD = 14  # the column of the first type's cached date


def _workers_sql(kinds: TypeKinds, where: str) -> str:
    held = "".join(f", h{i}.session_date" for i in range(len(kinds.keys)))
    joins = "".join(
        f"\n  LEFT JOIN latest_held h{i} ON h{i}.worker_id = w.id AND h{i}.type = '{key}'"
        for i, key in enumerate(kinds.keys)
    )
    return _WORKERS.format(held=held, joins=joins, where=where)


def _only(ids: list[str], params: dict[str, str], prefix: str) -> str:
    """``ids`` as named parameters for an ``IN (...)`` list (added to ``params``)."""
    names = [f"{prefix}{n}" for n in range(len(ids))]
    params.update(zip(names, ids, strict=True))
    return ", ".join(f":{n}" for n in names) or "NULL"


def _held_rows(
    conn: dbapi.Connection, kinds: TypeKinds, as_of: str, ids: list[str] | None
) -> Iterable[tuple[str, str, str]]:
    """The latest held session per worker and type on or before ``as_of``, from the history."""
    params = {"as_of": as_of}
    if ids is None or len(ids) > _FEW_WORKERS:
        return conn.execute(latest_held_sql(kinds), params)
    only = _only(sorted(ids), params, "w")
    # For a few workers, start from their attendances (CROSS JOIN fixes the order) rather than
    # from every group session.
    sql = _LATEST_HELD.format(
        one=f" AND worker_id IN ({only})",
        group=f" AND a.worker_id IN ({only})",
        join="CROSS JOIN",
        groups=kinds.group_list,
    )
    return conn.execute(sql, params)


def _assessment_rows(
    conn: dbapi.Connection, as_of: str, ids: list[str] | None
) -> Iterable[tuple[Any, ...]]:
    """Every assessment on each worker's latest assessment date on or before ``as_of``."""
    params = {"as_of": as_of}
    if ids is None or len(ids) > _FEW_WORKERS:
        return conn.execute(LATEST_ASSESSMENT_SQL, params)
    only = _only(sorted(ids), params, "w")
    return conn.execute(_LATEST_ASSESSMENT.format(one=f" AND w.id IN ({only})"), params)


def load_worker_facts(  # noqa: C901 - one set-based query after another, then the assembly
    db: Database,
    as_of: date,
    *,
    include_left: bool = False,
    worker_ids: list[str] | None = None,
    cached: bool = True,
) -> list[WorkerFacts]:
    """Facts for every worker in post on ``as_of`` (or the listed ones), in a fixed few queries.

    ``cached=False`` ignores ``latest_held`` and ``latest_assessment`` (tests compare the two).
    """
    day = as_of.isoformat()
    params = {"as_of": day}
    conn = db.conn
    only = ""
    wanted: set[str] | None = None
    if worker_ids is not None:
        wanted = set(worker_ids)
        if len(wanted) <= _FEW_WORKERS:
            only = _only(sorted(wanted), params, "w")
    conditions = [] if include_left else ["(w.left_on IS NULL OR w.left_on > :as_of)"]
    if only:
        conditions.append(f"w.id IN ({only})")
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    kinds = type_kinds(db)
    keys = kinds.keys
    index = {k: i for i, k in enumerate(keys)}
    held_from, held_to = _FIRST_HELD, _FIRST_HELD + len(keys)
    workers = conn.execute(_workers_sql(kinds, where), params).fetchall()
    if wanted is not None:
        workers = [w for w in workers if w[0] in wanted]

    def narrowed(column: str) -> str:
        return f" AND {column} IN ({only})" if only else ""

    # Dates repeat across workers and rows: convert each distinct one once.
    dates: dict[str, date] = {}

    def to_day(text: str) -> date:
        found = dates.get(text)
        if found is None:
            found = dates[text] = date.fromisoformat(text)
        return found

    # A cached date after the as-of date says nothing about that date: those workers' latest
    # held sessions (or assessment) come from the history instead.
    if cached:
        held_stale = [w[0] for w in workers if any((on or "") > day for on in w[held_from:held_to])]
        assessed_stale = [w[0] for w in workers if w[8] is not None and w[8] > day]
    else:
        held_stale = assessed_stale = [w[0] for w in workers]
    held_history: dict[str, list[str | None]] = {}
    if held_stale:
        held_history = {wid: [None] * len(keys) for wid in held_stale}
        for wid, type_, on in _held_rows(conn, kinds, day, held_stale):
            cells = held_history.get(wid)
            if cells is not None:
                i = index[type_]
                # A group session can count twice (as its worker's and as an attendee's): the
                # later date wins, as it does in the engine.
                if cells[i] is None or cells[i] < on:  # type: ignore[operator]
                    cells[i] = on
    assessed_history: dict[str, tuple[Any, ...] | None] = {}
    if assessed_stale:
        assessed_history = dict.fromkeys(assessed_stale)
        for row in _assessment_rows(conn, day, assessed_stale):
            if row[0] not in assessed_history:
                continue
            seen = assessed_history[row[0]]
            # Same day: the later record wins, then the greater id (ORDER BY created_at DESC,
            # id DESC).
            if seen is None or (row[3], row[1]) > (seen[3], seen[1]):
                assessed_history[row[0]] = row

    # For a few workers, start from their attendances (CROSS JOIN fixes the order) rather than
    # from every group session.
    join = "CROSS JOIN" if only else "JOIN"
    planned: dict[str, list[SessionFact]] = {}
    planned_facts: dict[tuple[str, str], SessionFact] = {}
    for wid, type_, on in conn.execute(
        _NEXT_PLANNED.format(
            one=narrowed("worker_id"),
            group=narrowed("a.worker_id"),
            join=join,
            every=kinds.every_list,
            groups=kinds.group_list,
        ),
        params,
    ):
        fact = planned_facts.get((type_, on))
        if fact is None:
            fact = planned_facts[type_, on] = SessionFact(keys[index[type_]], _PLANNED, to_day(on))
        if wid in planned:
            planned[wid].append(fact)
        else:
            planned[wid] = [fact]

    leave: dict[str, list[LeavePeriod]] = defaultdict(list)
    for wid, start, end in conn.execute(
        "SELECT worker_id, start_date, end_date FROM leave_periods WHERE start_date <= :as_of"
        + narrowed("worker_id"),
        params,
    ):
        leave[wid].append(_new_leave(to_day(start), to_day(end) if end else None))

    overrides: dict[str, list[Override]] = defaultdict(list)
    for wid, type_, days, reason, starts, expires in conn.execute(
        "SELECT worker_id, type, interval_days, reason, starts_on, expires_on FROM overrides "
        "WHERE expires_on >= :as_of" + narrowed("worker_id"),
        params,
    ):
        overrides[wid].append(
            Override(keys[index[type_]], days, reason, date.fromisoformat(expires), to_date(starts))
        )

    triggers: dict[str, list[TriggerEvent]] = defaultdict(list)
    for wid, type_, on, days, kind in conn.execute(
        "SELECT worker_id, type, event_date, response_days, kind FROM trigger_events "
        "WHERE event_date <= :as_of" + narrowed("worker_id"),
        params,
    ):
        triggers[wid].append(TriggerEvent(keys[index[type_]], date.fromisoformat(on), days, kind))

    # Session facts and risk factors repeat across workers and are immutable: share them.
    held_facts: list[dict[str, SessionFact]] = [{} for _ in keys]
    factors: dict[tuple[int, ...], RiskFactors] = {}
    empty: tuple[Any, ...] = ()
    out = []
    for row in workers:
        wid = row[0]
        cells = held_history.get(wid) if held_history else None
        sessions: list[SessionFact] = []
        for i, on in enumerate(row[held_from:held_to] if cells is None else cells):
            if on is not None:
                fact = held_facts[i].get(on)
                if fact is None:
                    fact = held_facts[i][on] = SessionFact(keys[i], _HELD, to_day(on))
                sessions.append(fact)
        upcoming = planned.get(wid)
        if upcoming:
            sessions += upcoming

        if assessed_history and wid in assessed_history:
            picked = assessed_history[wid]
            aid, on, created, *key = (None,) * 7 if picked is None else picked[1:]
        else:
            aid, on, created, *key = row[7:14]
        assessments = empty
        if aid is not None:
            scores = tuple(key)
            risk = factors.get(scores)
            if risk is None:
                risk = factors[scores] = RiskFactors(*scores)
            assessments = (_new_assessment(to_day(on), risk, created, aid),)

        start, left_on = row[4], row[6]
        out.append(
            _new_worker_facts(
                wid,
                row[1],
                to_day(start) if start else None,
                required_types(row[5]),
                row[2],
                row[3],
                assessments,
                tuple(sessions),
                tuple(leave[wid]) if wid in leave else empty,
                tuple(overrides[wid]) if wid in overrides else empty,
                tuple(triggers[wid]) if wid in triggers else empty,
                to_day(left_on) if left_on else None,
                {},
            )
        )
    return out


# Each derived table: its columns, how many of them make the key, and how to compute it afresh.
_CACHES = (
    ("latest_held", "worker_id, type, session_date", 2, LATEST_HELD_FILL_SQL),
    (
        "latest_assessment",
        "worker_id, assessment_id, assessed_on, created_at, cohort_risk, decision_complexity, "
        "support_need, volatility",
        1,
        LATEST_ASSESSMENT_FILL_SQL,
    ),
)


def schedule_cache_drift(db: Database) -> dict[str, int]:
    """Per table, how many entries of ``latest_held`` (worker and type) and
    ``latest_assessment`` (worker) are missing, extra or wrong against a fresh computation from
    the records: all zero when the triggers did their work. Read-only."""
    drift = {}
    for table, columns, key, fresh in _CACHES:
        stored = set(db.execute(f"SELECT {columns} FROM {table}").fetchall())
        computed = set(db.execute(fresh).fetchall())
        drift[table] = len({row[:key] for row in stored ^ computed})
    return drift


def rebuild_schedule_cache(db: Database) -> None:
    """Recompute both tables from the records (call inside a transaction)."""
    for table, columns, _key, fresh in _CACHES:
        db.execute(f"DELETE FROM {table}")
        db.execute(f"INSERT INTO {table} ({columns}) {fresh}")
