"""Records that stand up as evidence: sign-off, the supervisee's response, addenda, the audit
trail and the integrity of signed records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from app.domain.model import SessionStatus
from app.domain.quality import QualityGap
from app.domain.rows import Addendum, AttendeeResponse, SignOff
from app.errors import UsageError
from app.services.sessions import SessionService
from app.storage import audit, evidence, evidence_registry, group_acks
from app.storage.db import Database, transaction
from app.storage.policies import current_policy
from app.storage.sessions import is_group_type
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
        # The inspection template's items block only when the policy says so.
        if current_policy(self._db).template_items_block_sign_off:
            missing = self._sessions.template_gaps(record)
            if missing:
                raise QualityGapsFound(missing, True)
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

    def respond(
        self,
        session_id: str,
        *,
        agree: bool,
        name: str,
        comment: str = "",
        copy_received: bool | None = None,
        copy_given_on: date | None = None,
        attendee_id: str | None = None,
    ) -> None:
        """The supervisee acknowledges, or records that they disagree and why (once), with
        their declaration: whether they received a copy of the record, and the date it was
        given (tracked against the policy's deadline).

        A group record takes one response per attendee (``attendee_id``), each in the
        attendee's own name; :meth:`attendee_responses` lists them."""
        state = self.state(session_id)
        record = self._sessions.get(session_id)
        group = record is not None and is_group_type(self._db, record.type)
        if not state.signed:
            raise UsageError("The supervisor signs first; then the supervisee responds.")
        if group:
            if attendee_id is None or record is None or attendee_id not in record.attendees:
                raise UsageError("Choose the attendee who is responding.")
            if attendee_id in group_acks.responses_for(self._db, session_id):
                raise UsageError("This attendee has already responded to this record.")
        elif state.supervisee_response is not None:
            raise UsageError("The supervisee has already responded to this record.")
        if not name.strip():
            raise UsageError("Type the supervisee's full name.")
        if not agree and not comment.strip():
            raise UsageError("Say what the supervisee disagrees with.")
        response = "acknowledged" if agree else "disagreed"
        _check_copy(record, state, copy_received, copy_given_on)
        if group:
            self._attendee_responds(
                session_id, str(attendee_id), response, name, comment, copy_received,
                copy_given_on,
            )  # fmt: skip
            return
        supervisee = get_worker(self._db, record.worker_id) if record and record.worker_id else None
        name = supervisee.name if supervisee and _same_name(name, supervisee.name) else _tidy(name)
        with transaction(self._db):
            evidence.respond(
                self._db, session_id, response, name, comment, copy_received, copy_given_on
            )
            detail: dict[str, Any] = {"by": name, "comment": comment.strip()}
            if copy_received is not None:
                detail["copy_received"] = copy_received
            if copy_given_on is not None:
                detail["copy_given_on"] = copy_given_on.isoformat()
            evidence_registry.record(
                self._db, response, "response", session_id, detail=detail, actor=name
            )

    def _attendee_responds(
        self,
        session_id: str,
        attendee_id: str,
        response: str,
        name: str,
        comment: str,
        copy_received: bool | None,
        copy_given_on: date | None,
    ) -> None:
        attendee = get_worker(self._db, attendee_id)
        if attendee is None or not _same_name(name, attendee.name):
            raise UsageError(
                f"The typed name does not match the attendee chosen"
                f"{f' ({attendee.name})' if attendee else ''}. Each attendee types their own "
                "name: nobody responds for them."
            )
        with transaction(self._db):
            row_id = group_acks.insert_response(
                self._db, session_id, attendee_id, response, attendee.name, comment,
                copy_received, copy_given_on,
            )  # fmt: skip
            detail: dict[str, Any] = {
                "by": attendee.name, "attendee": attendee_id, "comment": comment.strip()
            }  # fmt: skip
            if copy_received is not None:
                detail["copy_received"] = copy_received
            if copy_given_on is not None:
                detail["copy_given_on"] = copy_given_on.isoformat()
            evidence_registry.record(
                self._db, response, "attendee_response", row_id, detail=detail,
                actor=attendee.name, entity_id=session_id,
            )  # fmt: skip

    def attendee_responses(self, session_id: str) -> dict[str, AttendeeResponse]:
        """{attendee's worker id: their response} for a group record (empty for others)."""
        return group_acks.responses_for(self._db, session_id)

    def copy_words(self, session_id: str, given_on: date | None) -> str:
        """The supervisee's copy against the policy's deadline, were it given on ``given_on``
        (None: not given): what the response dialog shows as the date is picked."""
        from dataclasses import replace

        from app.services.record_facts import copy_deadline

        policy = current_policy(self._db)
        state = replace(
            self.state(session_id),
            supervisee_response=None,
            supervisee_copy_received=given_on is not None,
            copy_given_on=given_on,
        )
        found = copy_deadline(state, policy, date.today())
        if found is None:
            return ""
        return (
            f"{found.words}: {policy.copy_deadline_working_days} working days after sign-off, "
            f"counting {policy.bank_holiday_nation}'s bank holidays."
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
        policy = current_policy(self._db)
        if policy.template_items_block_sign_off:
            missing = self._sessions.template_gaps(record)
            if missing:
                return gaps + missing, True
        return gaps, bool(gaps) and policy.quality_blocks_sign_off


def _check_copy(
    record: Any, state: SignOff, copy_received: bool | None, copy_given_on: date | None
) -> None:
    """The supervisee's declaration of a copy: refused when its date cannot be right."""
    if copy_received and copy_given_on is None:
        raise UsageError("Give the date the supervisee was given their copy.")
    if copy_given_on is not None:
        if not copy_received:
            raise UsageError(
                "A date the copy was given needs the declaration that it was received."
            )
        if copy_given_on > date.today():
            raise UsageError("The date the copy was given cannot be in the future.")
        if record is not None and copy_given_on < record.session_date:
            raise UsageError(
                "The copy cannot have been given before the session "
                f"({record.session_date:%d/%m/%Y})."
            )
        signed_on = date.fromisoformat(str(state.signed_at)[:10])
        if copy_given_on < signed_on:
            raise UsageError(
                "The copy is of the signed record: it cannot have been given before it "
                f"was signed ({signed_on:%d/%m/%Y})."
            )
