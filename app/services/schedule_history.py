"""Due statuses for the whole service at many as-of dates (a report's month ends) at once.

Same answers as calling ``app.services.scheduling.compute_schedule`` per date, but the history
is read once for all the dates (see ``app.storage.schedule_history``), and the engine's rules
are built once.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from datetime import date

import sqlite_utils

from app.domain.policy import Policy
from app.domain.schedule import ScheduleRules, statuses_for
from app.services.scheduling import Schedule, ScheduleRow
from app.storage.policies import current_policy
from app.storage.schedule_history import load_worker_facts_at


def compute_schedules(
    db: sqlite_utils.Database, dates: Iterable[date], policy: Policy | None = None
) -> dict[date, Schedule]:
    """Every active worker's status on each of ``dates`` under the policy in force (or the
    one given): ``{d: compute_schedule(db, d, policy=policy) for d in dates}``, cheaper."""
    policy = policy or current_policy(db)
    rules = ScheduleRules(policy)
    # No cyclic collection while the many small immutable objects are made (none form
    # cycles); whatever the caller had is restored.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        facts_at = load_worker_facts_at(db, dates)
        out: dict[date, Schedule] = {}
        for as_of, facts in facts_at.items():
            statuses = statuses_for(facts, policy, as_of, rules=rules)
            rows = [ScheduleRow(f, s) for f, s in zip(facts, statuses, strict=True)]
            out[as_of] = Schedule(as_of, policy, rows)
    finally:
        if was_enabled:
            gc.enable()
    return out
