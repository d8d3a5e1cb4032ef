"""Set-based loading of everything the due-status engine needs, for all workers at once.

A fixed handful of queries whatever the number of workers: workers, latest assessment per
worker, latest held session per worker and type, the first booking after the as-of date, leave,
overrides and triggers. The engine then runs in memory.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import sqlite_utils

from app.domain.model import (
    ALL_TYPES,
    Assessment,
    LeavePeriod,
    Override,
    RiskFactors,
    SessionFact,
    SessionStatus,
    TriggerEvent,
    WorkerFacts,
)
from app.storage.rows import to_date

_TYPES = {t.value: t for t in ALL_TYPES}
_HELD = SessionStatus.HELD
_PLANNED = SessionStatus.PLANNED

# The latest held one-to-one session per worker and type, plus the latest held group session
# each worker attended. The benchmark's floor query is this one.
_LATEST_HELD = """
SELECT worker_id, type, max(session_date) FROM sessions
 WHERE status = 'held' AND session_date <= :as_of AND worker_id IS NOT NULL{one}
 GROUP BY worker_id, type
UNION ALL
SELECT a.worker_id, 'group', max(s.session_date)
  FROM session_attendees a {join} sessions s ON s.id = a.session_id
 WHERE s.type = 'group' AND s.status = 'held' AND s.session_date <= :as_of{group}
 GROUP BY a.worker_id
"""
LATEST_HELD_SQL = _LATEST_HELD.format(one="", group="", join="JOIN")

# ``type IN (...)`` names every type the schema allows, so it selects nothing less; it lets
# SQLite read only the planned sessions from the as-of date on (sessions_type_date) instead of
# scanning every session in sessions_worker_type (about 4× faster on the reference database).
_NEXT_PLANNED = """
SELECT worker_id, type, min(session_date) FROM sessions
 WHERE type IN ('line', 'clinical', 'group') AND status = 'planned'
   AND session_date >= :as_of AND worker_id IS NOT NULL{one}
 GROUP BY worker_id, type
UNION ALL
SELECT a.worker_id, 'group', min(s.session_date)
  FROM session_attendees a {join} sessions s ON s.id = a.session_id
 WHERE s.type = 'group' AND s.status = 'planned' AND s.session_date >= :as_of{group}
 GROUP BY a.worker_id
"""
NEXT_PLANNED_SQL = _NEXT_PLANNED.format(one="", group="", join="JOIN")

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

# Refreshing a few workers after a save reads only their rows (the indexes lead with worker_id).
_FEW_WORKERS = 50


def load_worker_facts(
    db: sqlite_utils.Database,
    as_of: date,
    *,
    include_left: bool = False,
    worker_ids: list[str] | None = None,
) -> list[WorkerFacts]:
    """Facts for every worker in post on ``as_of`` (or the listed ones), in a fixed few queries."""
    params = {"as_of": as_of.isoformat()}
    conn = db.conn
    where = "" if include_left else "WHERE left_on IS NULL OR left_on > :as_of"
    workers = conn.execute(
        "SELECT id, name, team, staff_id, start_date, requires_line, requires_clinical, "
        f"requires_group, left_on FROM workers {where} ORDER BY name COLLATE NOCASE, id",
        params,
    ).fetchall()
    only = ""
    if worker_ids is not None:
        wanted = set(worker_ids)
        workers = [w for w in workers if w[0] in wanted]
        if len(wanted) <= _FEW_WORKERS:
            names = [f"w{n}" for n in range(len(wanted))]
            params.update(zip(names, sorted(wanted), strict=True))
            only = ", ".join(f":{n}" for n in names) or "NULL"

    def narrowed(column: str) -> str:
        return f" AND {column} IN ({only})" if only else ""

    # For a few workers, start from their attendances (CROSS JOIN fixes the order) rather than
    # from every group session.
    join = "CROSS JOIN" if only else "JOIN"

    latest: dict[str, tuple[Any, ...]] = {}
    for row in conn.execute(_LATEST_ASSESSMENT.format(one=narrowed("w.id")), params):
        best = latest.get(row[0])
        # Same day: the later record wins, then the greater id (ORDER BY created_at DESC, id DESC).
        if best is None or (row[3], row[1]) > (best[3], best[1]):
            latest[row[0]] = row
    assessments: dict[str, list[Assessment]] = defaultdict(list)
    for wid, aid, on, created, c, d, s, v in latest.values():
        assessments[wid].append(
            Assessment(date.fromisoformat(on), RiskFactors(c, d, s, v), created, aid)
        )

    sessions: dict[str, list[SessionFact]] = defaultdict(list)
    for wid, type_, on in conn.execute(
        _LATEST_HELD.format(one=narrowed("worker_id"), group=narrowed("a.worker_id"), join=join),
        params,
    ):
        sessions[wid].append(SessionFact(_TYPES[type_], _HELD, date.fromisoformat(on)))
    for wid, type_, on in conn.execute(
        _NEXT_PLANNED.format(one=narrowed("worker_id"), group=narrowed("a.worker_id"), join=join),
        params,
    ):
        sessions[wid].append(SessionFact(_TYPES[type_], _PLANNED, date.fromisoformat(on)))

    leave: dict[str, list[LeavePeriod]] = defaultdict(list)
    for wid, start, end in conn.execute(
        "SELECT worker_id, start_date, end_date FROM leave_periods WHERE start_date <= :as_of"
        + narrowed("worker_id"),
        params,
    ):
        leave[wid].append(LeavePeriod(date.fromisoformat(start), to_date(end)))

    overrides: dict[str, list[Override]] = defaultdict(list)
    for wid, type_, days, reason, starts, expires in conn.execute(
        "SELECT worker_id, type, interval_days, reason, starts_on, expires_on FROM overrides "
        "WHERE expires_on >= :as_of" + narrowed("worker_id"),
        params,
    ):
        overrides[wid].append(
            Override(_TYPES[type_], days, reason, date.fromisoformat(expires), to_date(starts))
        )

    triggers: dict[str, list[TriggerEvent]] = defaultdict(list)
    for wid, type_, on, days, kind in conn.execute(
        "SELECT worker_id, type, event_date, response_days, kind FROM trigger_events "
        "WHERE event_date <= :as_of" + narrowed("worker_id"),
        params,
    ):
        triggers[wid].append(TriggerEvent(_TYPES[type_], date.fromisoformat(on), days, kind))

    facts = []
    for wid, name, team, staff_id, start, req_l, req_c, req_g, left_on in workers:
        requires = frozenset(
            t for t, flag in zip(ALL_TYPES, (req_l, req_c, req_g), strict=True) if flag
        )
        facts.append(
            WorkerFacts(
                worker_id=wid,
                name=name,
                start_date=to_date(start),
                requires=requires,
                team=team,
                staff_id=staff_id,
                assessments=tuple(assessments.get(wid, ())),
                sessions=tuple(sessions.get(wid, ())),
                leave=tuple(leave.get(wid, ())),
                overrides=tuple(overrides.get(wid, ())),
                triggers=tuple(triggers.get(wid, ())),
                left_on=to_date(left_on),
            )
        )
    return facts
