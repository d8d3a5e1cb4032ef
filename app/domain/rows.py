"""Rows that services hand screens, the command line and reports: frozen dataclasses defined
outside app.storage, so screens never depend on how (or where) a row is stored, and a second
store (the service view's) can hand the same ones. Storage modules read them; they are
re-exported there for storage's own callers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from app.domain.adjustment_rows import StoredLeave, StoredOverride, StoredTrigger
from app.domain.model import SessionStatus, TypeKey
from app.domain.records import ActionOwner, ActionStatus

__all__ = ["StoredLeave", "StoredOverride", "StoredTrigger"]  # re-exported: see adjustment_rows

if TYPE_CHECKING:  # the governance rows' annotations only: not loaded to show the scheduler
    from app.domain.governance import Forum, ItemSource, ItemStatus


@dataclass(frozen=True, slots=True)
class Theme:
    id: str
    name: str
    seeded: bool
    retired_on: date | None

    @property
    def active(self) -> bool:
        return self.retired_on is None


@dataclass(frozen=True, slots=True)
class ThemeUsage:
    """A theme and how much it has been used (any session status)."""

    theme: Theme
    sessions: int  # sessions raising it (tagged on the session or on one of its decisions)
    decisions: int  # decisions tagged with it
    last_used: date | None


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """One line of a worker's session history."""

    id: str
    type: TypeKey
    status: SessionStatus
    session_date: date
    supervisor_name: str
    cancel_reason: str
    imported: bool


@dataclass(frozen=True, slots=True)
class Draft:
    id: str
    session_id: str | None
    worker_id: str | None
    type: TypeKey
    data: dict[str, Any]
    updated_at: str


@dataclass(frozen=True, slots=True)
class ActionRow:
    """One action with what the actions view shows beside it."""

    id: str
    description: str
    worker_id: str
    worker_name: str
    owner: ActionOwner | None
    owner_name: str
    due_date: date | None
    evidence: str
    status: ActionStatus
    completion_note: str
    session_id: str
    session_date: date
    session_type: TypeKey

    def overdue_on(self, day: date) -> bool:
        return (
            self.status is ActionStatus.OPEN and self.due_date is not None and self.due_date < day
        )


@dataclass(frozen=True, slots=True)
class SessionLine:
    """One session as a report lists it."""

    id: str
    type: TypeKey
    status: SessionStatus
    session_date: date
    worker_name: str  # blank for a group session
    attendees: int
    supervisor_name: str
    team: str
    cancel_reason: str
    signed_at: str | None
    supervisee_response: str | None


@dataclass(frozen=True, slots=True)
class SignOff:
    """A record's signature state, as printed on it."""

    signed_at: str | None
    signed_by_name: str
    signed_by_id: str | None
    fingerprint: str
    supervisee_response: str | None
    supervisee_name: str
    supervisee_comment: str
    supervisee_responded_at: str | None
    # The supervisee's declaration (schema v11): they received a copy, given on that date.
    supervisee_copy_received: bool | None = None
    copy_given_on: date | None = None

    @property
    def signed(self) -> bool:
        return self.signed_at is not None

    @property
    def label(self) -> str:
        if not self.signed:
            return "Draft — not signed"
        if self.supervisee_response == "acknowledged":
            return "Signed by supervisor; acknowledged by supervisee"
        if self.supervisee_response == "disagreed":
            return "Signed by supervisor; supervisee recorded disagreement"
        return "Signed by supervisor; awaiting supervisee"


@dataclass(frozen=True, slots=True)
class Addendum:
    id: str
    session_id: str
    author: str
    reason: str
    text: str
    created_at: str


@dataclass(frozen=True, slots=True)
class GovernanceItem:
    """An item for a governance forum, with the sessions it came from."""

    id: str
    forum: Forum
    title: str
    description: str
    status: ItemStatus
    source: ItemSource
    theme_id: str | None
    theme_name: str
    raised_on: date
    raised_by: str
    tabled_on: date | None
    decided_on: date | None
    decision: str
    change_made: str
    change_made_on: date | None
    closed_on: date | None
    closing_note: str
    session_ids: tuple[str, ...]

    @property
    def open(self) -> bool:
        from app.domain.governance import ItemStatus  # kept off start-up

        return self.status is not ItemStatus.CLOSED

    @property
    def in_learning_log(self) -> bool:
        """Closed with a change made: "what supervision changed"."""
        from app.domain.governance import ItemStatus  # kept off start-up

        return self.status is ItemStatus.CLOSED and bool(self.change_made.strip())


@dataclass(frozen=True, slots=True)
class SourceSession:
    """A session an item came from, as an agenda lists it: case references only."""

    session_id: str
    session_date: date
    type: TypeKey
    status: SessionStatus
    worker_name: str  # the supervisee; blank for a group
    attendees: int
    case_refs: str


@dataclass(frozen=True, slots=True)
class AlertOutcome:
    """What the team did with an alert."""

    id: str
    theme_id: str
    theme_name: str
    as_of: date
    summary: str
    outcome: str  # 'dismissed' or 'item'
    reason: str
    item_id: str | None
    decided_by: str
    created_at: str


@dataclass(frozen=True)
class Finding:
    """One change to evidence made outside Keel, as a sentence that names the row (``check``;
    app.storage.evidence_registry finds them)."""

    kind: str
    row_id: str
    problem: str  # "added", "changed", "deleted", "restored", "inspected"
    sentence: str


@dataclass(frozen=True, slots=True)
class WorkerAction:
    """One of a worker's actions, with the session it was agreed in and when it closed."""

    id: str
    description: str
    owner: ActionOwner | None
    owner_name: str
    due_date: date | None
    evidence: str
    status: ActionStatus
    completion_note: str
    closed_on: date | None
    session_date: date
    session_type: TypeKey


@dataclass(frozen=True, slots=True)
class AttendeeResponse:
    """One attendee's own response to a signed group record."""

    id: str
    session_id: str
    worker_id: str
    response: str  # acknowledged | disagreed
    name: str
    comment: str
    responded_at: str
    copy_received: bool | None
    copy_given_on: date | None
