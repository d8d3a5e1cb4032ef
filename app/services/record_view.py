"""What one session record's PDF prints, gathered in one pass: the report
(``app.services.reports.record``) lays it out and reads nothing itself.

The record is read once (the PDF used to read it, its sign-off, its attendees' responses, its
supervisor and the policies several times over, one section at a time).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, tzinfo
from pathlib import Path
from types import MappingProxyType

from app.domain.catalogue import Catalogue, TypeSpec
from app.domain.model import SessionStatus, Worker
from app.domain.policy import Policy
from app.domain.qa import Countersignature
from app.domain.records import ActionReview, SessionRecord
from app.domain.rows import Addendum, AttendeeResponse, SignOff
from app.errors import UsageError
from app.services.record_facts import CopyDeadline, YearCount, copy_deadline, signed_on, year_count
from app.storage.actions import origins as action_origins
from app.storage.countersign import get_countersignature
from app.storage.db import Database
from app.storage.evidence import addenda_for, sign_off_state
from app.storage.group_acks import responses_for
from app.storage.policies import policy_history
from app.storage.sessions import get_session
from app.storage.themes import list_themes
from app.storage.workers import get_worker, names_of


@dataclass(frozen=True, slots=True)
class ReviewedAction:
    """An earlier action reviewed in this session, with where it was agreed."""

    review: ActionReview
    description: str
    agreed_in: str  # the type's name ("Clinical"); "" when the action is not found
    another_type: bool  # agreed in a session of another type
    agreed_on: date | None


@dataclass(frozen=True, slots=True)
class RecordView:
    """One record as its PDF shows it. ``record`` carries its confidential reflective notes
    only when they were asked for (``include_confidential``)."""

    record: SessionRecord
    include_confidential: bool
    notes_left_out: bool  # the record has confidential notes this copy leaves out
    spec: TypeSpec  # the record's type as the policy in force on its date words it
    worker: Worker | None  # None: a group session
    supervisor_name: str
    supervisor_title: str  # the title recorded on the record, else the supervisor's role
    attendee_names: Mapping[str, str]  # attendee id → name ("" when not found)
    responses: Mapping[str, AttendeeResponse]  # a group record's responses, by attendee id
    sign_off: SignOff
    addenda: tuple[Addendum, ...]
    reviewed: tuple[ReviewedAction, ...]  # oldest first, each action once
    theme_names: tuple[str, ...]  # the record's themes in order ("" for one not found)
    year_count: YearCount | None
    declared_on: date | None  # the service's local date the supervisor signed
    copy: CopyDeadline | None  # the supervisee's copy against the deadline
    countersignature: Countersignature | None  # a held record's QA countersignature
    policy: Policy  # in force on the record's date (its footer)
    service_name: str  # the policy in force now (the page header)
    zone: tzinfo  # the service's time zone now: signature times are shown in it

    @property
    def held(self) -> bool:
        return self.record.status is SessionStatus.HELD


def gather_record(
    db: Database,
    session_id: str,
    *,
    include_confidential: bool = False,
    today: date | None = None,
) -> RecordView:
    """Everything the record's PDF prints; ``UsageError`` for an unknown record. ``today``
    (default: the computer's date) is the day the supervisee's copy is counted to and the
    day whose policy names the service in the page header."""
    rec = get_session(db, session_id)
    if rec is None:
        raise UsageError(f"There is no session record with id {session_id}.")
    today = today or date.today()
    history = policy_history(db)
    catalogue = history.display_catalogue(rec.session_date)
    policy = history.in_force(rec.session_date).policy
    now = history.in_force(today).policy
    worker = get_worker(db, rec.worker_id) if rec.worker_id else None
    supervisor = get_worker(db, rec.supervisor_id) if rec.supervisor_id else None
    state = sign_off_state(db, rec.id)
    found = names_of(db, rec.attendees)
    names = {wid: found.get(wid, "") for wid in rec.attendees}
    themes = {t.id: t.name for t in list_themes(db, include_retired=True)}
    notes = rec.confidential_notes
    return RecordView(
        record=rec if include_confidential else replace(rec, confidential_notes=""),
        include_confidential=include_confidential,
        notes_left_out=not include_confidential and bool(notes),
        spec=catalogue.spec(rec.type),
        worker=worker,
        supervisor_name=supervisor.name if supervisor else "",
        supervisor_title=rec.supervisor_title or (supervisor.role if supervisor else ""),
        attendee_names=MappingProxyType(names),
        responses=MappingProxyType(responses_for(db, rec.id) if rec.attendees else {}),
        sign_off=state,
        addenda=tuple(addenda_for(db, rec.id)),
        reviewed=_reviewed(db, rec, catalogue),
        theme_names=tuple(themes.get(t, "") for t in rec.theme_ids),
        year_count=year_count(db, rec, policy),
        declared_on=signed_on(state, policy.zone()),
        copy=copy_deadline(state, policy, today),
        countersignature=get_countersignature(db, rec.id)
        if rec.status is SessionStatus.HELD
        else None,
        policy=policy,
        service_name=now.service_name,
        zone=now.zone(),
    )


def _reviewed(db: Database, rec: SessionRecord, catalogue: Catalogue) -> tuple[ReviewedAction, ...]:
    """The record's reviews of earlier actions, oldest action first, each action once (a
    review is per action and session)."""
    if not rec.reviews:
        return ()
    found = action_origins(db, [r.action_id for r in rec.reviews])
    ordered = sorted(
        {r.action_id: r for r in rec.reviews}.values(),
        key=lambda r: (found.get(r.action_id, ("", "", ""))[2], r.action_id),
    )
    out = []
    for r in ordered:
        description, type_, on = found.get(r.action_id, ("", "", ""))
        out.append(
            ReviewedAction(
                review=r,
                description=description,
                agreed_in=catalogue.name(type_) if type_ else "",
                another_type=bool(type_) and type_ != rec.type,
                agreed_on=date.fromisoformat(on) if on else None,
            )
        )
    return tuple(out)


def build_record_pdf(
    db: Database,
    session_id: str,
    out: Path,
    *,
    include_confidential: bool = False,
    today: date | None = None,
) -> Path:
    """Gather one session record and write its PDF to ``out`` (A4)."""
    from app.services.reports.record import write_record_pdf

    view = gather_record(db, session_id, include_confidential=include_confidential, today=today)
    return write_record_pdf(view, out)
