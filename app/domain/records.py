"""A supervision session's record: what was discussed, decided and agreed."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date

from app.domain.model import SessionStatus, TypeKey

# The declarations a record carries: what the supervisor confirms by signing (the sign-off
# dialog's tick box says exactly this), and what the supervisee confirms by acknowledging.
SUPERVISOR_DECLARATION = "I confirm this record is an accurate account of the supervision"
SUPERVISEE_DECLARATION = (
    "I confirm this record is an accurate account of the session, and I have received a copy of it"
)


class Mode(enum.StrEnum):
    IN_PERSON = "in_person"
    VIDEO = "video"
    PHONE = "phone"

    @property
    def label(self) -> str:
        return {"in_person": "In person", "video": "Video", "phone": "Phone"}[self.value]


class Workload(enum.StrEnum):
    """The supervisee's workload. The stored ``stretched`` predates the inspection template's
    wording and is shown as "Challenging": a stored value is never rewritten."""

    MANAGEABLE = "manageable"
    STRETCHED = "stretched"
    EXCESSIVE = "excessive"

    @property
    def label(self) -> str:
        return {"manageable": "Manageable", "stretched": "Challenging", "excessive": "Excessive"}[
            self.value
        ]


class SupportKind(enum.StrEnum):
    """Support offered for stress or wellbeing concerns (the notes say what exactly)."""

    OCCUPATIONAL_HEALTH = "occupational_health"
    EMPLOYEE_ASSISTANCE = "employee_assistance"
    WORKLOAD_ADJUSTMENT = "workload_adjustment"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "occupational_health": "Occupational health",
            "employee_assistance": "Employee assistance programme",
            "workload_adjustment": "Workload adjustment",
            "other": "Other",
        }[self.value]


class Escalation(enum.StrEnum):
    """Where a concern from the session was escalated (counted, never named, in the pack)."""

    NONE = "none"
    HR = "hr"
    SENIOR_MANAGEMENT = "senior_management"
    OCCUPATIONAL_HEALTH = "occupational_health"
    CAPABILITY_CONDUCT = "capability_conduct"

    @property
    def label(self) -> str:
        return {
            "none": "None",
            "hr": "HR",
            "senior_management": "Senior management",
            "occupational_health": "Occupational health referral",
            "capability_conduct": "Capability or conduct process",
        }[self.value]


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
    """Who is responsible for an action. ``both`` (the supervisee and the supervisor) is
    stored as the action's ``shared`` flag with no single owner."""

    SUPERVISEE = "supervisee"
    SUPERVISOR = "supervisor"
    OTHER = "other"
    BOTH = "both"

    @property
    def label(self) -> str:
        return {
            "supervisee": "Staff member",
            "supervisor": "Supervisor",
            "other": "Other",
            "both": "Both",
        }[self.value]


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
    review_date: date | None = None  # when progress on it is checked (before or at the due date)


class Progress(enum.StrEnum):
    """How far an action reviewed as still open has got."""

    IN_PROGRESS = "in_progress"
    NOT_STARTED = "not_started"


@dataclass(slots=True)
class ActionReview:
    """The outcome of reviewing a carried-forward action in a later session: complete
    (done), still open — in progress or not started — or dropped."""

    action_id: str
    outcome: ActionStatus
    note: str = ""
    progress: Progress | None = None  # only for an open outcome

    @property
    def label(self) -> str:
        if self.outcome is ActionStatus.DONE:
            return "Complete"
        if self.outcome is ActionStatus.DROPPED:
            return "Dropped"
        if self.progress is Progress.NOT_STARTED:
            return "Not started"
        if self.progress is Progress.IN_PROGRESS:
            return "In progress"
        return "Still open"


@dataclass(slots=True)
class Incident:
    """An incident since the last session and the learning from it (by case code, never by
    a name)."""

    case_ref: str
    learning: str = ""


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
    # What an inspection template's record asks for (schema v11). Each defaults to "not
    # recorded", which is what a record made before holds.
    supervisor_title: str = ""
    sickness_days: int | None = None  # days of sickness absence since the last session
    return_to_work: bool | None = None  # a return-to-work conversation was done
    wellbeing_concerns: str = ""  # stress or wellbeing concerns raised
    support_kinds: list[SupportKind] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    safeguarding: bool | None = None  # safeguarding concerns (separate from risk_link)
    safeguarding_notes: str = ""
    workload_support: str = ""  # support measures agreed for the workload
    staff_comments: str = ""  # the staff member's own comments
    escalation: Escalation | None = None
    escalation_notes: str = ""
    next_date: date | None = None
    next_time: str | None = None
    next_place: str = ""
    next_focus: str = ""

    @property
    def end_time(self) -> str | None:
        """'HH:MM' the session ended (start + duration), or None when either is unknown."""
        return end_time(self.start_time, self.duration_minutes)


def end_time(start: str | None, minutes: int | None) -> str | None:
    if not start or not minutes:
        return None
    try:
        hours, mins = (int(p) for p in start.split(":")[:2])
    except ValueError:
        return None
    total = hours * 60 + mins + minutes
    day, total = divmod(total, 24 * 60)
    return f"{total // 60:02d}:{total % 60:02d}" + (" (next day)" if day else "")


def minutes_between(start: str, end: str) -> int | None:
    """Minutes from ``start`` to ``end`` ('HH:MM'); an end before the start is the next day."""
    try:
        h1, m1 = (int(p) for p in start.split(":")[:2])
        h2, m2 = (int(p) for p in end.split(":")[:2])
    except ValueError:
        return None
    gap = (h2 * 60 + m2) - (h1 * 60 + m1)
    return gap if gap > 0 else gap + 24 * 60 if gap < 0 else None
