"""Set-based loading of everything the due-status engine needs, for all workers at once.

A fixed handful of queries whatever the number of workers: workers, latest assessment per
worker, latest held session per worker and type, the first booking after the as-of date, leave,
overrides and triggers. The engine then runs in memory.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

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
LATEST_HELD_SQL = """
SELECT worker_id, type, max(session_date) FROM sessions
 WHERE status = 'held' AND session_date <= :as_of AND worker_id IS NOT NULL
 GROUP BY worker_id, type
UNION ALL
SELECT a.worker_id, 'group', max(s.session_date)
  FROM session_attendees a JOIN sessions s ON s.id = a.session_id
 WHERE s.type = 'group' AND s.status = 'held' AND s.session_date <= :as_of
 GROUP BY a.worker_id
"""

NEXT_PLANNED_SQL = """
SELECT worker_id, type, min(session_date) FROM sessions
 WHERE status = 'planned' AND session_date >= :as_of AND worker_id IS NOT NULL
 GROUP BY worker_id, type
UNION ALL
SELECT a.worker_id, 'group', min(s.session_date)
  FROM session_attendees a JOIN sessions s ON s.id = a.session_id
 WHERE s.type = 'group' AND s.status = 'planned' AND s.session_date >= :as_of
 GROUP BY a.worker_id
"""

LATEST_ASSESSMENT_SQL = """
SELECT worker_id, id, assessed_on, created_at, cohort_risk, decision_complexity, support_need,
       volatility
  FROM (SELECT *, row_number() OVER (
               PARTITION BY worker_id ORDER BY assessed_on DESC, created_at DESC, id DESC) AS rn
          FROM risk_assessments WHERE assessed_on <= :as_of)
 WHERE rn = 1
"""


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
    if worker_ids is not None:
        wanted = set(worker_ids)
        workers = [w for w in workers if w[0] in wanted]

    assessments: dict[str, list[Assessment]] = defaultdict(list)
    for wid, aid, on, created, c, d, s, v in conn.execute(LATEST_ASSESSMENT_SQL, params):
        assessments[wid].append(
            Assessment(date.fromisoformat(on), RiskFactors(c, d, s, v), created, aid)
        )

    sessions: dict[str, list[SessionFact]] = defaultdict(list)
    for wid, type_, on in conn.execute(LATEST_HELD_SQL, params):
        sessions[wid].append(SessionFact(_TYPES[type_], _HELD, date.fromisoformat(on)))
    for wid, type_, on in conn.execute(NEXT_PLANNED_SQL, params):
        sessions[wid].append(SessionFact(_TYPES[type_], _PLANNED, date.fromisoformat(on)))

    leave: dict[str, list[LeavePeriod]] = defaultdict(list)
    for wid, start, end in conn.execute(
        "SELECT worker_id, start_date, end_date FROM leave_periods WHERE start_date <= :as_of",
        params,
    ):
        leave[wid].append(LeavePeriod(date.fromisoformat(start), to_date(end)))

    overrides: dict[str, list[Override]] = defaultdict(list)
    for wid, type_, days, reason, starts, expires in conn.execute(
        "SELECT worker_id, type, interval_days, reason, starts_on, expires_on FROM overrides "
        "WHERE expires_on >= :as_of",
        params,
    ):
        overrides[wid].append(
            Override(_TYPES[type_], days, reason, date.fromisoformat(expires), to_date(starts))
        )

    triggers: dict[str, list[TriggerEvent]] = defaultdict(list)
    for wid, type_, on, days, kind in conn.execute(
        "SELECT worker_id, type, event_date, response_days, kind FROM trigger_events "
        "WHERE event_date <= :as_of",
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
