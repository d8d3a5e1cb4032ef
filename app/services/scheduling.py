"""Due statuses for the whole service: load (set-based) → engine → rows with reasons."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from app.collector import collection_paused
from app.domain.catalogue import Catalogue
from app.domain.model import STATUS_SEVERITY, DueStatus, TypeKey, WorkerFacts
from app.domain.policy import Policy, PolicyVersion
from app.domain.schedule import (
    Compliance,
    WorkerStatus,
    compliance,
    compliance_table,
    is_active_on,
    statuses_for,
)
from app.services.bound import BoundService, bound
from app.storage.db import Database
from app.storage.policies import version_in_force
from app.storage.schedule_facts import load_worker_facts


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    """One worker on the scheduler: who they are and the engine's answer."""

    facts: WorkerFacts
    status: WorkerStatus

    @property
    def worker_id(self) -> str:
        return self.facts.worker_id


@dataclass(frozen=True, slots=True)
class Schedule:
    """Every worker's statuses on ``as_of`` under the policy version in force on it."""

    as_of: date
    version: PolicyVersion
    rows: list[ScheduleRow]

    @property
    def policy(self) -> Policy:
        return self.version.policy

    @property
    def catalogue(self) -> Catalogue:
        return self.version.policy.catalogue

    @property
    def types(self) -> tuple[TypeKey, ...]:
        """The types in use under this policy, in its order: the scheduler's columns."""
        return self.version.policy.catalogue.active_keys

    def counted_pairs(self) -> list[tuple[str, WorkerStatus]]:
        return [(r.facts.team, r.status) for r in self.rows if is_active_on(r.facts, self.as_of)]

    def compliance(self, type_: TypeKey | None = None) -> Compliance:
        return compliance(self.counted_pairs(), type_)

    def compliance_table(self) -> dict[tuple[str | None, TypeKey | None], Compliance]:
        return compliance_table(self.counted_pairs(), self.types)

    def count(self, status: DueStatus) -> int:
        """Workers whose overall status is ``status``."""
        return sum(1 for r in self.rows if r.status.overall is status)


def compute_schedule(
    db: Database,
    as_of: date,
    *,
    policy: Policy | PolicyVersion | None = None,
    worker_ids: list[str] | None = None,
    also_required: frozenset[TypeKey] = frozenset(),
) -> Schedule:
    """Every active worker's status on ``as_of`` under the policy in force on that date (or
    the one given: a version, or a policy not saved yet, which a preview shows).
    ``also_required``: types every worker is taken to require (a new type required by
    default, before it is saved)."""
    version = _version(db, as_of, policy)
    with collection_paused():  # many small objects, no cycles
        facts = load_worker_facts(db, as_of, worker_ids=worker_ids)
        if also_required:
            facts = [replace(f, requires=f.requires | also_required) for f in facts]
        statuses = statuses_for(facts, version.policy, as_of)
        rows = [ScheduleRow(f, s) for f, s in zip(facts, statuses, strict=True)]
    return Schedule(as_of, version, rows)


def _version(db: Database, as_of: date, policy: Policy | PolicyVersion | None) -> PolicyVersion:
    if isinstance(policy, PolicyVersion):
        return policy
    if policy is None:
        return version_in_force(db, as_of)
    return PolicyVersion(0, as_of, "", "", "not saved", policy)


def status_records(schedule: Schedule) -> list[dict[str, Any]]:
    """The `status --json` shape: one object per worker and type (a stable contract)."""
    out: list[dict[str, Any]] = []
    types = schedule.types
    for row in schedule.rows:
        for type_ in types:
            s = row.status.by_type[type_]
            out.append(
                {
                    "worker_id": row.facts.worker_id,
                    "staff_id": row.facts.staff_id,
                    "worker": row.facts.name,
                    "team": row.facts.team,
                    **s.as_json(),
                }
            )
    return out


def sort_worst_first(rows: Sequence[ScheduleRow]) -> list[ScheduleRow]:
    """Overdue first, then due soon…; within a status, the earliest due date first."""

    def key(r: ScheduleRow) -> tuple[int, str, str]:
        due = r.status.next_due
        return (
            STATUS_SEVERITY[r.status.overall],
            due.isoformat() if due else "0000",
            r.facts.name.casefold(),
        )

    return sorted(rows, key=key)


class ScheduleService(BoundService):
    """Every worker's due status under the policy in force. (The open database given: see ``app.services.bound``.)"""

    compute_schedule = bound(compute_schedule)
