"""Quality assurance of signed records: QA reviewers, countersignatures and sampling figures.

Every write is one transaction with its audit entry: marking a QA reviewer (``qa_reviewer`` /
``qa_reviewer_removed`` on the worker) and a countersignature (``countersign``, evidence of its
own: app.storage.countersign).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from app.domain.model import Worker
from app.domain.qa import Countersignature, QaFigures, month_of, qa_figures, why_not_reviewer
from app.errors import UsageError
from app.services.workers import WorkerService
from app.storage import audit, countersign
from app.storage.db import Database, transaction
from app.storage.workers import get_worker, list_workers


@dataclass(frozen=True, slots=True)
class Candidate:
    """A QA reviewer as the countersign dialog offers them: ``refusal`` says why they may not
    countersign this record (None: they may)."""

    worker: Worker
    refusal: str | None


class QaService:
    def __init__(self, db: Database) -> None:
        self._db = db

    # Reviewers ----------------------------------------------------------------------------

    def is_reviewer(self, worker_id: str) -> bool:
        return countersign.is_reviewer(self._db, worker_id)

    def reviewers(self) -> list[Worker]:
        """QA reviewers in post, by name."""
        ids = countersign.reviewer_ids(self._db)
        return [w for w in list_workers(self._db) if w.id in ids]

    def set_reviewer(self, worker_id: str, reviewer: bool) -> None:
        worker = get_worker(self._db, worker_id)
        if worker is None:
            raise UsageError("That worker no longer exists.")
        with transaction(self._db):
            self._mark(worker, reviewer)

    def save_worker(self, worker: Worker, *, reviewer: bool) -> Worker:
        """Save a worker (as ``WorkerService.save``) and whether they are a QA reviewer, in one
        transaction."""
        with transaction(self._db):
            saved = WorkerService(self._db).save(worker)
            self._mark(saved, reviewer)
        return saved

    def _mark(self, worker: Worker, reviewer: bool) -> None:
        if countersign.set_reviewer(self._db, worker.id, reviewer):
            action = "qa_reviewer" if reviewer else "qa_reviewer_removed"
            audit.append(self._db, action, "worker", worker.id, {"name": worker.name})

    # Countersignatures --------------------------------------------------------------------

    def countersignature(self, session_id: str) -> Countersignature | None:
        return countersign.get_countersignature(self._db, session_id)

    def candidates(self, session_id: str) -> list[Candidate]:
        """Every QA reviewer in post, each with why they may not countersign this record."""
        parties = countersign.record_parties(self._db, session_id)
        return [
            Candidate(w, why_not_reviewer(w.id, w.name, parties, is_reviewer=True))
            for w in self.reviewers()
        ]

    def countersign(self, session_id: str, reviewer_id: str, comments: str) -> Countersignature:
        """The reviewer countersigns the signed record with comments; refused, in a sentence,
        for a record that is not signed or already countersigned, a record whose content no
        longer matches its fingerprint, and a reviewer who is not one, has left, or is the
        record's own supervisor or supervisee."""
        # Evidence (and hashlib) only when a record is countersigned, never to show the schedule.
        from app.storage import evidence, evidence_registry

        try:
            state = evidence.sign_off_state(self._db, session_id)
        except KeyError:
            raise UsageError("That record no longer exists.") from None
        if not state.signed:
            raise UsageError(
                "This record is not signed yet: the supervisor signs it first, then a QA "
                "reviewer may countersign it."
            )
        done = self.countersignature(session_id)
        if done is not None:
            raise UsageError(
                f"This record is already countersigned by {done.reviewer_name}: a record is "
                "countersigned once."
            )
        reviewer = get_worker(self._db, reviewer_id)
        if reviewer is None:
            raise UsageError("Choose the QA reviewer who countersigns.")
        refusal = why_not_reviewer(
            reviewer.id, reviewer.name, countersign.record_parties(self._db, session_id),
            is_reviewer=self.is_reviewer(reviewer.id), left_on=reviewer.left_on,
        )  # fmt: skip
        if refusal is not None:
            raise UsageError(refusal)
        if not comments.strip():
            raise UsageError("Write the QA comments: what the review of this record found.")
        rows = evidence.signed_rows(self._db, [session_id])
        if evidence.fingerprint_of(rows.fingerprint_content(session_id)) != state.fingerprint:
            raise UsageError(
                "This record's content no longer matches its printed fingerprint: it was changed "
                "outside Keel, so it cannot be countersigned. Run Keel's check (keel check)."
            )
        with transaction(self._db):
            made = countersign.insert_countersignature(
                self._db, session_id, reviewer_id=reviewer.id, reviewer_name=reviewer.name,
                reviewer_role=reviewer.role, comments=comments.strip(),
                record_fingerprint=state.fingerprint,
            )  # fmt: skip
            evidence_registry.record(
                self._db, "countersign", "countersignature", made.id, entity_id=session_id,
                detail={"by": reviewer.name, "hash": made.hash,
                        "record_fingerprint": made.record_fingerprint},
                actor=reviewer.name,
            )  # fmt: skip
        return made

    # Figures ------------------------------------------------------------------------------

    def figures(self, date_from: date, date_to: date) -> QaFigures:
        """Signed records dated in the period, countersigned or awaiting QA, per team and
        month."""
        return qa_figures(countersign.qa_rows(self._db, date_from, date_to), date_from, date_to)

    def month(self, as_of: date) -> QaFigures:
        """The figures of the month of ``as_of``, up to that day — or, while nothing dated in
        that month is signed yet (its first days: records are signed after the session), the
        whole month before (the figures name their month)."""
        this = self.figures(month_of(as_of), as_of)
        if this.signed:
            return this
        start = month_of(month_of(as_of) - timedelta(days=1))
        before = self.figures(start, month_of(as_of) - timedelta(days=1))
        return before if before.signed else this
