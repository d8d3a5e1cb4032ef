"""Recording sessions: new forms, drafts, saving, carried-forward actions, booking, quality."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from app.domain.catalogue import SupervisorRole, TypeSpec
from app.domain.model import SessionStatus, TypeKey, Worker
from app.domain.quality import QualityGap, quality_gaps, template_gaps
from app.domain.records import Action, ActionStatus, Mode, SessionRecord
from app.domain.rows import ActionRow, Draft, SessionSummary
from app.errors import UsageError
from app.services.themes import refuse_retired_tags
from app.storage import actions as action_store
from app.storage import audit
from app.storage import drafts as draft_store
from app.storage import sessions as session_store
from app.storage import workers as worker_store
from app.storage.db import Database, new_id, transaction
from app.storage.policies import current_policy, policy_history
from app.storage.rows import type_kinds
from app.storage.sessions import day_taken, is_group_type

_SAME_DAY_WORDS = {"planned": "booked", "held": "held", "did_not_attend": "did not attend"}


def same_day_words(sessions: list[SessionSummary]) -> str:
    """ "booked", "held, booked": what a worker's other sessions that day are."""
    return ", ".join(_SAME_DAY_WORDS.get(s.status.value, s.status.value) for s in sessions)


@dataclass(frozen=True, slots=True)
class SavedSession:
    """What changed, so a screen can refresh only what it must."""

    record: SessionRecord
    affected_workers: tuple[str, ...]


class SessionService:
    """Use cases about sessions and actions. Every write is one transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # Forms --------------------------------------------------------------------------------

    def type_spec(self, type_: TypeKey, on: date | None = None) -> TypeSpec:
        """The catalogue entry of a type, as the policy in force on ``on`` (today) has it; a
        type that policy does not name (a record of a retired type) still gets its words."""
        return policy_history(self._db).display_catalogue(on or date.today()).spec(type_)

    def new_record(
        self,
        type_: TypeKey,
        worker_id: str | None,
        on: date,
        status: SessionStatus = SessionStatus.HELD,
    ) -> SessionRecord:
        """A blank record with the sensible defaults a team lead expects."""
        spec = self.type_spec(type_, on)
        if type_ not in type_kinds(self._db).keys:
            raise UsageError(f"There is no supervision type {type_!r} in the policy.")
        supervisor_id = None
        attendees: list[str] = []
        title = ""
        if worker_id is not None:
            worker = worker_store.get_worker(self._db, worker_id)
            if worker is None:
                raise UsageError("That worker no longer exists.")
            if spec.supervisor is SupervisorRole.CLINICAL:
                supervisor_id = worker.clinical_supervisor_id or worker.line_supervisor_id
            else:
                supervisor_id = worker.line_supervisor_id
            if spec.is_group:
                attendees = [worker_id]
            supervisor = worker_store.get_worker(self._db, supervisor_id) if supervisor_id else None
            title = supervisor.role if supervisor else ""
        return SessionRecord(
            supervisor_title=title,
            type=type_,
            status=status,
            session_date=on,
            worker_id=None if spec.is_group else worker_id,
            supervisor_id=supervisor_id,
            start_time="10:00",
            duration_minutes=spec.duration_minutes,
            mode=Mode.IN_PERSON,
            attendees=attendees,
        )

    def interval_for(self, worker_id: str | None, type_: TypeKey, on: date) -> int | None:
        """The worker's current interval for the type (what "frequency" means on a record's
        next session: shown, never an override)."""
        from app.services.record_facts import current_interval

        return current_interval(self._db, worker_id, type_, on)

    def get(self, session_id: str) -> SessionRecord | None:
        return session_store.get_session(self._db, session_id)

    def carried_forward(
        self, worker_id: str, *, excluding_session: str | None = None
    ) -> list[Action]:
        """Open actions of this supervisee from earlier sessions, to review in this one."""
        return session_store.open_actions_for(
            self._db, worker_id, excluding_session=excluding_session
        )

    def quality(self, record: SessionRecord) -> list[QualityGap]:
        qualified = None
        if record.supervisor_id:
            supervisor = worker_store.get_worker(self._db, record.supervisor_id)
            qualified = None if supervisor is None else supervisor.qualified_clinical
        return quality_gaps(
            record, self.type_spec(record.type, record.session_date), supervisor_qualified=qualified
        )

    def template_gaps(self, record: SessionRecord) -> list[QualityGap]:
        """What the inspection template also asks for that the record lacks (advice, or
        blocking sign-off when the policy says so)."""
        return template_gaps(record, self.type_spec(record.type, record.session_date))

    def template_items_block(self) -> bool:
        return bool(current_policy(self._db).template_items_block_sign_off)

    def validate(self, record: SessionRecord) -> None:
        """Refuse what cannot be stored; quality gaps are reported separately."""
        if record.status is SessionStatus.CANCELLED and not record.cancel_reason.strip():
            raise UsageError("A cancelled session needs a reason.")
        if is_group_type(self._db, record.type):
            if not record.attendees:
                raise UsageError("Pick at least one attendee for a group session.")
        elif not record.worker_id:
            raise UsageError("Choose the supervisee.")
        if record.wellbeing is not None and not 1 <= record.wellbeing <= 10:
            raise UsageError("Wellbeing is a number from 1 to 10.")
        for action in record.actions:
            if not action.description.strip():
                raise UsageError("Every action needs a description (or remove the empty row).")
        for decision in record.decisions:
            if not decision.text.strip():
                raise UsageError("Every decision needs its text (or remove the empty row).")
        if record.supervisor_id and record.supervisor_id == record.worker_id:
            raise UsageError("A worker cannot supervise themselves.")
        if record.next_date is not None and record.next_date <= record.session_date:
            raise UsageError("The next session is booked for a day after this one.")
        if record.sickness_days is not None and record.sickness_days < 0:
            raise UsageError("Sickness absence is a number of days (0 or more).")

    def save(self, record: SessionRecord, *, draft_id: str | None = None) -> SavedSession:
        """Save the whole record in one transaction and discard its draft."""
        self.validate(record)
        if record.id and session_store.is_signed(self._db, record.id):
            raise UsageError(
                "This record is signed and locked. Add an addendum to correct or add to it."
            )
        refuse_retired_tags(self._db, record)
        created = not record.id
        with transaction(self._db):
            moved = self._move_booked_next(record)
            session_store.save_session(self._db, record)
            booked = moved or self._book_next(record)
            if draft_id:
                draft_store.delete_draft(self._db, draft_id)
            audit.append(
                self._db,
                "create" if created else "change",
                "session",
                record.id,
                {
                    "type": record.type,
                    "status": record.status.value,
                    "date": record.session_date.isoformat(),
                    "worker": record.worker_id,
                },
            )
        affected = (
            tuple(record.attendees)
            if is_group_type(self._db, record.type)
            else ((record.worker_id,) if record.worker_id else ())
        )
        if booked is not None:
            affected = tuple(dict.fromkeys((*affected, *booked.attendees, booked.worker_id or "")))
            affected = tuple(w for w in affected if w)
        return SavedSession(record, affected)

    def _move_booked_next(self, record: SessionRecord) -> SessionRecord | None:
        """When a saved record's next session changes date, time or place, the booking this
        record made moves with it (same session, so the calendar moves the same event), as long
        as it is still only planned; a second booking is never added beside it. Call inside
        the save's transaction, before the record itself is saved."""
        if not record.id or record.next_date is None or record.status is not SessionStatus.HELD:
            return None
        booked = session_store.booked_from(self._db, record.id)
        booking = session_store.get_session(self._db, booked) if booked else None
        if booking is None or booking.status is not SessionStatus.PLANNED:
            return None
        place = record.next_place.strip()
        if (booking.session_date, booking.start_time, booking.location) == (
            record.next_date,
            record.next_time,
            place,
        ):
            return None  # nothing moved (and nothing to book again)
        booking.session_date = record.next_date
        booking.start_time = record.next_time
        booking.location = place
        session_store.save_session(self._db, booking)
        audit.append(
            self._db,
            "change",
            "session",
            booking.id,
            {"type": booking.type, "status": "planned", "date": record.next_date.isoformat(),
             "worker": booking.worker_id, "booked_from": record.id},
        )  # fmt: skip
        return booking

    def _book_next(self, record: SessionRecord) -> SessionRecord | None:
        """The record's next session, booked (call inside the save's transaction): a planned
        session of the same type, on that date, at that time and place, with the same
        supervisor — the scheduler's next booking. Nothing is booked twice: not when that day
        already has a session of the type for the worker (or, for a group, led by the same
        supervisor)."""
        if record.next_date is None or record.status is not SessionStatus.HELD:
            return None
        if day_taken(
            self._db, record.type, record.next_date,
            worker_id=record.worker_id, supervisor_id=record.supervisor_id,
        ):  # fmt: skip
            return None
        booking = SessionRecord(
            type=record.type,
            status=SessionStatus.PLANNED,
            session_date=record.next_date,
            worker_id=record.worker_id,
            supervisor_id=record.supervisor_id,
            supervisor_title=record.supervisor_title,
            start_time=record.next_time,
            duration_minutes=record.duration_minutes,
            mode=record.mode,
            location=record.next_place.strip(),
            attendees=list(record.attendees),
            issues="",
        )
        session_store.save_session(self._db, booking)
        audit.append(
            self._db,
            "create",
            "session",
            booking.id,
            {"type": booking.type, "status": "planned", "date": booking.session_date.isoformat(),
             "worker": booking.worker_id, "booked_from": record.id},
        )  # fmt: skip
        return booking

    def book(
        self,
        worker_id: str,
        type_: TypeKey,
        on: date,
        *,
        start_time: str | None = None,
        duration_minutes: int | None = None,
        mode: Mode | None = None,
        location: str = "",
    ) -> SavedSession:
        """Book a planned session: its date, start time, length, mode and place (shown on the
        scheduler's cell, and what the calendar export sends to Outlook)."""
        record = self.new_record(type_, worker_id, on, SessionStatus.PLANNED)
        record.start_time = start_time
        record.duration_minutes = duration_minutes
        record.mode = mode
        record.location = location.strip()
        return self.save(record)

    def booking_to_record(
        self, worker_id: str, type_: TypeKey, today: date
    ) -> SessionSummary | None:
        """The booked (planned) session a team lead records from the worker's cell: the
        latest whose day has come (booked, not yet recorded), else the next one."""
        planned = [
            s
            for s in self.history(worker_id)
            if s.type == type_ and s.status is SessionStatus.PLANNED
        ]
        due = [s for s in planned if s.session_date <= today]
        if due:
            return max(due, key=lambda s: s.session_date)
        later = [s for s in planned if s.session_date > today]
        return min(later, key=lambda s: s.session_date) if later else None

    def same_day(
        self, worker_id: str, type_: TypeKey, on: date, *, besides: str = ""
    ) -> list[SessionSummary]:
        """This worker's other sessions of ``type_`` on ``on`` (booked, held or missed; not
        cancelled): a second one is most often a mistake, so the screens ask first."""
        return [s for _name, s in self.same_day_for([worker_id], type_, on, besides=besides)]

    def same_day_for(
        self, worker_ids: list[str], type_: TypeKey, on: date, *, besides: str = ""
    ) -> list[tuple[str, SessionSummary]]:
        """(worker name, session) for these workers' other sessions of ``type_`` on ``on``
        (a group's attendees at once), by name."""
        return [
            (name, s)
            for name, s in session_store.same_day_sessions(self._db, worker_ids, type_, on)
            if s.id != besides and s.status is not SessionStatus.CANCELLED
        ]

    def history(self, worker_id: str) -> list[SessionSummary]:
        return session_store.history_for(self._db, worker_id)

    # Drafts -------------------------------------------------------------------------------

    @staticmethod
    def new_draft_id() -> str:
        return new_id()

    def save_draft(
        self,
        draft_id: str,
        type_: TypeKey,
        data: dict[str, Any],
        *,
        session_id: str | None,
        worker_id: str | None,
    ) -> None:
        with transaction(self._db, "save the draft"):
            draft_store.save_draft(
                self._db, draft_id, type_, data, session_id=session_id, worker_id=worker_id
            )

    def draft_for(
        self, *, session_id: str | None, worker_id: str | None, type_: TypeKey
    ) -> Draft | None:
        if session_id:
            return draft_store.draft_for_session(self._db, session_id)
        return draft_store.draft_for_new(self._db, worker_id, type_)

    def drafts(self) -> list[Draft]:
        return draft_store.list_drafts(self._db)

    def discard_draft(self, draft_id: str) -> None:
        with transaction(self._db):
            draft_store.delete_draft(self._db, draft_id)

    # Actions ------------------------------------------------------------------------------

    def actions(
        self, *, status: ActionStatus | None = ActionStatus.OPEN, worker_id: str | None = None
    ) -> list[ActionRow]:
        return action_store.list_actions(self._db, status=status, worker_id=worker_id)

    def close_action(self, action_id: str, status: ActionStatus, note: str, on: date) -> None:
        if status is ActionStatus.DROPPED and not note.strip():
            raise UsageError("Say why the action is dropped.")
        with transaction(self._db):
            action_store.close_action(self._db, action_id, status, note, on)
            audit.append(self._db, status.value, "action", action_id, {"note": note.strip()})

    def supervisors(self) -> list[Worker]:
        return worker_store.list_workers(self._db)
