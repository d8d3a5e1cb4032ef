"""Records that stand up as evidence: sign-off, the supervisee's response, addenda, the audit
trail and the integrity of signed records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.domain.model import SessionStatus
from app.domain.quality import QualityGap
from app.domain.rows import Addendum, SignOff
from app.errors import UsageError
from app.services.sessions import SessionService
from app.storage import audit, evidence, evidence_registry
from app.storage.db import Database, transaction
from app.storage.policies import current_policy
from app.storage.workers import get_worker


class QualityGapsFound(UsageError):
    """The record-quality check found gaps; ``blocking`` when the policy forbids signing."""

    def __init__(self, gaps: list[QualityGap], blocking: bool) -> None:
        self.gaps = gaps
        self.blocking = blocking
        lead = (
            "This record cannot be signed until these are fixed"
            if blocking
            else "This record has gaps"
        )
        super().__init__(f"{lead}: " + " ".join(g.message for g in gaps))


def _tidy(name: str) -> str:
    """Spaces as one: "  Zoë   Hartley " → "Zoë Hartley"."""
    return " ".join(name.split())


def _same_name(a: str, b: str) -> bool:
    return _tidy(a).casefold() == _tidy(b).casefold()


@dataclass(frozen=True, slots=True)
class Verification:
    chain_problems: list[str]
    fingerprint_problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.chain_problems and not self.fingerprint_problems


class RecordService:
    """Sign-off and evidence. Every write is one transaction with its audit entry."""

    def __init__(self, db: Database, sessions: SessionService | None = None) -> None:
        self._db = db
        self._sessions = sessions or SessionService(db)

    def state(self, session_id: str) -> SignOff:
        return evidence.sign_off_state(self._db, session_id)

    def sign_off(
        self, session_id: str, typed_name: str, *, confirmed: bool, accept_gaps: bool = False
    ) -> str:
        """The supervisor signs: typed full name plus an explicit confirmation.

        Runs the record-quality check first: gaps block when the policy says so, otherwise
        they must be accepted explicitly (``accept_gaps``). Returns the record's fingerprint.
        """
        record = self._sessions.get(session_id)
        if record is None:
            raise UsageError("That record no longer exists.")
        if self.state(session_id).signed:
            raise UsageError("This record is already signed. Corrections are addenda.")
        if record.status is not SessionStatus.HELD:
            raise UsageError("Only a held session's record can be signed off.")
        if not confirmed:
            raise UsageError("Tick the confirmation that this record is accurate to sign it.")
        if not typed_name.strip():
            raise UsageError("Type your full name to sign.")
        supervisor = get_worker(self._db, record.supervisor_id) if record.supervisor_id else None
        if supervisor is not None and not _same_name(typed_name, supervisor.name):
            raise UsageError(
                f"The typed name does not match the supervisor on this record "
                f"({supervisor.name}). Only the supervisor signs."
            )
        gaps = self._sessions.quality(record)
        if gaps:
            blocking = current_policy(self._db).quality_blocks_sign_off
            if blocking or not accept_gaps:
                raise QualityGapsFound(gaps, blocking)
        # The name as the service records it ("Amira Haddad"), not as typed ("amira haddad ").
        name = supervisor.name if supervisor is not None else _tidy(typed_name)
        with transaction(self._db):
            fingerprint = evidence.sign(
                self._db, session_id, name, supervisor.id if supervisor else None
            )
            evidence_registry.record(
                self._db,
                "sign",
                "signed_record",
                session_id,
                detail={"by": name, "fingerprint": fingerprint, "gaps": len(gaps)},
                actor=name,
            )
        return fingerprint

    def respond(self, session_id: str, *, agree: bool, name: str, comment: str = "") -> None:
        """The supervisee acknowledges, or records that they disagree and why (once)."""
        state = self.state(session_id)
        if not state.signed:
            raise UsageError("The supervisor signs first; then the supervisee responds.")
        if state.supervisee_response is not None:
            raise UsageError("The supervisee has already responded to this record.")
        if not name.strip():
            raise UsageError("Type the supervisee's full name.")
        if not agree and not comment.strip():
            raise UsageError("Say what the supervisee disagrees with.")
        response = "acknowledged" if agree else "disagreed"
        record = self._sessions.get(session_id)
        supervisee = get_worker(self._db, record.worker_id) if record and record.worker_id else None
        name = supervisee.name if supervisee and _same_name(name, supervisee.name) else _tidy(name)
        with transaction(self._db):
            evidence.respond(self._db, session_id, response, name, comment)
            evidence_registry.record(
                self._db,
                response,
                "response",
                session_id,
                detail={"by": name, "comment": comment.strip()},
                actor=name,
            )

    def add_addendum(self, session_id: str, *, author: str, reason: str, text: str) -> Addendum:
        """Corrections to a signed record: author, time, reason and text — never an edit."""
        if not self.state(session_id).signed:
            raise UsageError("This record is not signed yet: edit it directly.")
        if not author.strip() or not reason.strip() or not text.strip():
            raise UsageError("An addendum needs its author, a reason and the text.")
        with transaction(self._db):
            addendum = evidence.add_addendum(self._db, session_id, author, reason, text)
            evidence_registry.record(
                self._db,
                "addendum",
                "addendum",
                addendum.id,
                entity_id=session_id,
                detail={"addendum": addendum.id, "reason": addendum.reason},
                actor=addendum.author,
            )
        return addendum

    def addenda(self, session_id: str) -> list[Addendum]:
        return evidence.addenda_for(self._db, session_id)

    def log(self, action: str, entity: str, entity_id: str | None, detail: dict[str, Any]) -> None:
        """Record an export or a print in the audit trail (a ``StorageError`` that says why
        when it cannot be written: the database locked by another program, or read-only)."""
        with transaction(self._db, f"record the {action} in the audit trail"):
            audit.append(self._db, action, entity, entity_id, detail)

    def verify(self) -> Verification:
        return Verification(audit.verify_chain(self._db), evidence.verify_fingerprints(self._db))

    def gaps_before_signing(self, session_id: str) -> tuple[list[QualityGap], bool]:
        """The saved record's quality gaps, and whether the policy blocks signing with them.

        What a sign-off screen shows before asking for a signature; ``sign_off`` checks again.
        """
        record = self._sessions.get(session_id)
        if record is None:
            raise UsageError("That record no longer exists.")
        gaps = self._sessions.quality(record)
        return gaps, bool(gaps) and current_policy(self._db).quality_blocks_sign_off
