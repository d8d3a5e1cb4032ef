"""Supervision agreements: record one per worker (a new one ends the last), and list the
reviews falling due so the scheduler can show them beside the supervision due dates."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from app.domain.agreements import Agreement, review_reason, review_status
from app.domain.model import DueStatus
from app.errors import UsageError
from app.services.bound import BoundService, bound
from app.storage import agreements as store
from app.storage import audit
from app.storage.db import Database, transaction
from app.storage.policies import current_policy
from app.storage.rows import type_kinds
from app.storage.workers import get_worker

__all__ = [
    "Agreement",
    "AgreementDue",
    "agreement_history",
    "agreements_due",
    "current_agreement",
    "save_agreement",
    "update_agreement",
]


def _validate(db: Database, agreement: Agreement) -> None:
    policy = current_policy(db)
    labels = {t.key: t.label.lower() for t in policy.types}
    problems = agreement.problems(labels)
    if problems:
        raise UsageError(" ".join(problems))
    known = type_kinds(db).keys
    unknown = sorted(t.type for t in agreement.types if t.type not in known)
    if unknown:
        raise UsageError(f"The service has no supervision type {', '.join(unknown)}.")
    for person in (agreement.worker_id, *agreement.supervisor_ids()):
        if get_worker(db, person) is None:
            raise UsageError("A person named on the agreement no longer exists.")


def _audit_detail(a: Agreement) -> dict[str, object]:
    return {
        "worker": a.worker_id, "starts_on": a.starts_on.isoformat(),
        "review_on": a.review_on.isoformat(),
        "types": {t.type: {"supervisor": t.supervisor_id, "every_days": t.every_days}
                  for t in a.types if not t.empty},
    }  # fmt: skip


def save_agreement(db: Database, agreement: Agreement) -> Agreement:
    """Store a new agreement for its worker; the worker's current one (if any) ends on the new
    one's start date and stays as history. Returns the stored agreement."""
    _validate(db, agreement)
    stored = replace(agreement, ended_on=None)
    with transaction(db):
        ended = store.end_current(db, agreement.worker_id, agreement.starts_on)
        stored = replace(stored, id=store.insert_agreement(db, stored))
        audit.append(db, "create", "agreement", stored.id, {**_audit_detail(stored),
                                                             "ended": ended})  # fmt: skip
    return stored


def update_agreement(db: Database, agreement: Agreement) -> Agreement:
    """Correct a stored agreement (same id), for example to move its review date."""
    if not agreement.id or store.get_agreement(db, agreement.id) is None:
        raise UsageError("That agreement no longer exists.")
    _validate(db, agreement)
    with transaction(db):
        store.update_agreement(db, agreement)
        audit.append(db, "change", "agreement", agreement.id, _audit_detail(agreement))
    return agreement


def current_agreement(db: Database, worker_id: str) -> Agreement | None:
    """The worker's agreement in force (the one with no end date), or None."""
    found = [a for a in store.agreements_for(db, worker_id) if a.ended_on is None]
    return found[0] if found else None


def agreement_history(db: Database, worker_id: str) -> list[Agreement]:
    """Every agreement of the worker, current first, then the newest ended ones."""
    return store.agreements_for(db, worker_id)


@dataclass(frozen=True, slots=True)
class AgreementDue:
    """An agreement whose review is overdue or due soon: a due item for the scheduler."""

    agreement_id: str
    worker_id: str
    worker_name: str
    team: str
    review_on: date
    status: DueStatus  # OVERDUE or DUE_SOON, as for supervision
    days: int  # review_on − as_of: negative when overdue
    reason: str


def agreements_due(db: Database, as_of: date, window: int | None = None) -> list[AgreementDue]:
    """Current agreements (of workers still in post) whose review date is before ``as_of``
    (overdue) or within ``window`` days of it (due soon; the policy's
    ``agreement_review_window_days`` when None). Overdue first, then by date."""
    window = current_policy(db).agreement_review_window_days if window is None else window
    out = []
    for agreement, name, team in store.current_agreements(db, as_of):
        status = review_status(agreement.review_on, as_of, window)
        if status is None:
            continue
        out.append(
            AgreementDue(
                agreement.id, agreement.worker_id, name, team, agreement.review_on, status,
                (agreement.review_on - as_of).days, review_reason(agreement.review_on, as_of),
            )
        )  # fmt: skip
    out.sort(key=lambda d: (d.status is not DueStatus.OVERDUE, d.review_on, d.worker_name))
    return out


class AgreementService(BoundService):
    """Supervision agreements: each worker's current one, its history, those due review. (The open database given: see ``app.services.bound``.)"""

    save_agreement = bound(save_agreement)
    update_agreement = bound(update_agreement)
    current_agreement = bound(current_agreement)
    agreement_history = bound(agreement_history)
    agreements_due = bound(agreements_due)
