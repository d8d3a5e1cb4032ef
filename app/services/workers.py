"""Workers, risk profiles, leave, overrides and triggers: what the workers screen does."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from app.domain.adjustment_rows import StoredLeave, StoredOverride, StoredTrigger
from app.domain.model import (
    Assessment,
    LeaveKind,
    RiskFactors,
    StaffEntry,
    StoredAssessment,
    TriggerKind,
    TypeKey,
    Worker,
    WorkerFacts,
)
from app.domain.policy import Policy
from app.domain.schedule import WorkerStatus, tier_for, worker_status
from app.errors import UsageError
from app.storage import adjustments, audit, workers
from app.storage.db import Database, transaction
from app.storage.policies import current_policy, policy_history
from app.storage.rows import type_kinds
from app.storage.schedule_facts import load_worker_facts

if TYPE_CHECKING:
    from app.domain.catalogue import Catalogue
    from app.domain.rows import Theme


class WorkerService:
    """Use cases about staff. Every write is one transaction, with its audit entry (the storage
    functions of evidence — assessments, leave, overrides, triggers — write theirs)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @property
    def policy(self) -> Policy:
        return current_policy(self._db)

    def catalogue(self, on: date) -> Catalogue:
        """The types in force on ``on``, then every other type a version names (retired):
        as ``PolicyService.catalogue``, here so that opening the window need not load the
        policy editor's service."""
        return policy_history(self._db).display_catalogue(on)

    def _check_types(self, keys: frozenset[TypeKey] | set[TypeKey]) -> None:
        unknown = sorted(set(keys) - set(type_kinds(self._db).keys))
        if unknown:
            raise UsageError(f"There is no supervision type {unknown[0]!r} in the policy.")

    def all(self, *, include_left: bool = False) -> list[Worker]:
        return workers.list_workers(self._db, include_left=include_left)

    def staff(self) -> list[StaffEntry]:
        """Every worker (those who have left too) as a short entry: id, name, role and
        supervisors."""
        return workers.list_staff(self._db)

    def get(self, worker_id: str) -> Worker | None:
        return workers.get_worker(self._db, worker_id)

    def count(self) -> int:
        return workers.count_workers(self._db)

    def save(self, worker: Worker) -> Worker:
        """Add (blank id) or update a worker after checking what a form cannot."""
        if not worker.name.strip():
            raise UsageError("A worker needs a name.")
        if worker.id and worker.id in (worker.line_supervisor_id, worker.clinical_supervisor_id):
            raise UsageError("A worker cannot be their own supervisor.")
        if worker.staff_id:
            other = workers.find_by_staff_id(self._db, worker.staff_id)
            if other is not None and other.id != worker.id:
                raise UsageError(f"Staff ID {worker.staff_id} already belongs to {other.name}.")
        self._check_types(worker.requires)
        with transaction(self._db):
            if worker.id and workers.get_worker(self._db, worker.id) is not None:
                workers.update_worker(self._db, worker)
                audit.append(self._db, "change", "worker", worker.id, {"name": worker.name})
                return worker
            stored = workers.insert_worker(self._db, worker)
            audit.append(self._db, "create", "worker", stored.id, {"name": stored.name})
            return stored

    def mark_left(self, worker_id: str, on: date) -> None:
        worker = self._require(worker_id)
        with transaction(self._db):
            workers.update_worker(self._db, replace(worker, left_on=on))
            audit.append(self._db, "left", "worker", worker_id, {"on": on.isoformat()})

    def reinstate(self, worker_id: str) -> None:
        worker = self._require(worker_id)
        with transaction(self._db):
            workers.update_worker(self._db, replace(worker, left_on=None))
            audit.append(self._db, "reinstate", "worker", worker_id, {})

    def _require(self, worker_id: str) -> Worker:
        worker = workers.get_worker(self._db, worker_id)
        if worker is None:
            raise UsageError("That worker no longer exists.")
        return worker

    # Risk profile -------------------------------------------------------------------------

    def assessments(self, worker_id: str) -> list[StoredAssessment]:
        return workers.assessments_for(self._db, worker_id)

    def add_assessment(
        self,
        worker_id: str,
        on: date,
        factors: RiskFactors,
        *,
        assessed_by: str,
        rationale: str,
    ) -> StoredAssessment:
        """Add a dated assessment; the history before it stays as it was."""
        self._require(worker_id)
        tier, _ = tier_for(factors, self.policy)
        with transaction(self._db):
            # The storage function writes its audit entry (evidence).
            return workers.add_assessment(
                self._db, worker_id, on, factors, tier, assessed_by=assessed_by, rationale=rationale
            )

    def preview(self, worker_id: str | None, factors: RiskFactors, as_of: date) -> WorkerStatus:
        """What the schedule would say if this profile were saved today (nothing is written)."""
        facts_list = (
            load_worker_facts(self._db, as_of, include_left=True, worker_ids=[worker_id])
            if worker_id
            else []
        )
        base = facts_list[0] if facts_list else WorkerFacts("new", "", as_of, frozenset())
        hypothetical = Assessment(as_of, factors, recorded_at="9999", id="preview")
        facts = replace(base, assessments=(*base.assessments, hypothetical))
        return worker_status(facts, current_policy(self._db, as_of), as_of)

    # Leave, overrides, triggers -----------------------------------------------------------

    def leave(self, worker_id: str) -> list[StoredLeave]:
        return adjustments.leave_for(self._db, worker_id)

    def add_leave(
        self, worker_id: str, start: date, end: date | None, kind: LeaveKind, note: str = ""
    ) -> StoredLeave:
        if end is not None and end < start:
            raise UsageError("Leave cannot end before it starts.")
        with transaction(self._db):
            return adjustments.add_leave(self._db, worker_id, start, end, kind, note)

    def remove_leave(self, leave_id: str) -> None:
        with transaction(self._db):
            adjustments.delete_leave(self._db, leave_id)

    def overrides(self, worker_id: str) -> list[StoredOverride]:
        return adjustments.overrides_for(self._db, worker_id)

    def add_override(
        self,
        worker_id: str,
        type_: TypeKey,
        interval_days: int,
        reason: str,
        expires_on: date,
        starts_on: date | None = None,
    ) -> StoredOverride:
        if not reason.strip():
            raise UsageError("An override needs a reason.")
        if interval_days < 1:
            raise UsageError("An override interval must be at least 1 day.")
        if starts_on is not None and expires_on < starts_on:
            raise UsageError("An override cannot expire before it starts.")
        self._check_types({type_})
        with transaction(self._db):
            return adjustments.add_override(
                self._db, worker_id, type_, interval_days, reason, expires_on, starts_on
            )

    def remove_override(self, override_id: str) -> None:
        with transaction(self._db):
            adjustments.delete_override(self._db, override_id)

    def triggers(self, worker_id: str) -> list[StoredTrigger]:
        return adjustments.triggers_for(self._db, worker_id)

    def add_trigger(
        self,
        worker_id: str,
        kind: TriggerKind,
        event_date: date,
        type_: TypeKey,
        response_days: int,
        note: str = "",
    ) -> StoredTrigger:
        if response_days < 0:
            raise UsageError("Response days cannot be negative.")
        self._check_types({type_})
        with transaction(self._db):
            return adjustments.add_trigger(
                self._db, worker_id, kind, event_date, type_, response_days, note
            )

    def remove_trigger(self, trigger_id: str) -> None:
        with transaction(self._db):
            adjustments.delete_trigger(self._db, trigger_id)

    def themes(self, *, include_retired: bool = False) -> list[Theme]:
        from app.storage.themes import list_themes  # not needed to show the schedule

        return list_themes(self._db, include_retired=include_retired)

    # Previews for an editor that changes factors on every click ---------------------------

    def preview_base(self, worker_id: str | None, as_of: date) -> WorkerFacts:
        """The facts ``preview`` starts from, loaded once so many factor sets can be tried."""
        found = (
            load_worker_facts(self._db, as_of, include_left=True, worker_ids=[worker_id])
            if worker_id
            else []
        )
        return found[0] if found else WorkerFacts("new", "", as_of, frozenset())

    def preview_with(self, base: WorkerFacts, factors: RiskFactors, as_of: date) -> WorkerStatus:
        """``preview`` from facts already loaded by ``preview_base`` (nothing read or written)."""
        hypothetical = Assessment(as_of, factors, recorded_at="9999", id="preview")
        facts = replace(base, assessments=(*base.assessments, hypothetical))
        return worker_status(facts, current_policy(self._db, as_of), as_of)
