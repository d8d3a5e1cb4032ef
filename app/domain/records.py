"""A supervision session's record: what was discussed, decided and agreed."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date

from app.domain.model import SessionStatus, TypeKey


class Mode(enum.StrEnum):
    IN_PERSON = "in_person"
    VIDEO = "video"
    PHONE = "phone"

    @property
    def label(self) -> str:
        return {"in_person": "In person", "video": "Video", "phone": "Phone"}[self.value]


class Workload(enum.StrEnum):
    MANAGEABLE = "manageable"
    STRETCHED = "stretched"
    EXCESSIVE = "excessive"


class CancelCategory(enum.StrEnum):
    """Why a session was cancelled, in the categories the workload view counts."""

    WORKLOAD = "workload"
    SICKNESS = "sickness"
    LEAVE = "leave"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "workload": "Workload / caseload",
            "sickness": "Sickness",
            "leave": "Leave",
            "other": "Other",
        }[self.value]


class ActionOwner(enum.StrEnum):
    SUPERVISEE = "supervisee"
    SUPERVISOR = "supervisor"
    OTHER = "other"


class ActionStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


@dataclass(slots=True)
class Decision:
    """A decision or piece of guidance; ``theme_ids`` tag this discussion item on its own."""

    text: str
    rationale: str = ""
    id: str = ""
    theme_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Action:
    description: str
    owner: ActionOwner | None = None
    due_date: date | None = None
    evidence: str = ""
    owner_name: str = ""
    status: ActionStatus = ActionStatus.OPEN
    completion_note: str = ""
    closed_on: date | None = None
    id: str = ""
    session_id: str = ""
    worker_id: str = ""


@dataclass(slots=True)
class ActionReview:
    """The outcome of reviewing a carried-forward action in a later session."""

    action_id: str
    outcome: ActionStatus
    note: str = ""


@dataclass(slots=True)
class SessionRecord:
    """One session of any type. A session of a group type (see the catalogue) has attendees
    and no single supervisee."""

    type: TypeKey
    status: SessionStatus
    session_date: date
    worker_id: str | None = None
    supervisor_id: str | None = None
    start_time: str | None = None
    duration_minutes: int | None = None
    mode: Mode | None = None
    location: str = ""
    cancel_reason: str = ""
    cancel_category: CancelCategory | None = None
    attendees: list[str] = field(default_factory=list)
    checklist: dict[str, bool] = field(default_factory=dict)
    issues: str = ""
    case_discussion: str = ""
    decisions: list[Decision] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    reviews: list[ActionReview] = field(default_factory=list)
    risk_link: bool | None = None
    case_refs: str = ""
    referral_refs: str = ""
    theme_ids: list[str] = field(default_factory=list)
    wellbeing: int | None = None
    workload: Workload | None = None
    moral_distress: bool | None = None
    support_offered: str = ""
    confidential_notes: str = ""
    imported: bool = False
    id: str = ""
