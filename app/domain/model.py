"""The domain's plain data: workers, assessments, sessions and the facts the schedule needs."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

TypeKey = str
"""A supervision type's key (see app.domain.catalogue): ``line``, ``clinical``, ``group`` or one
a service added. Plain text, so a record names its type the same in every version."""

# The built-in types' keys, a worker's required types when nothing says otherwise (services
# pass the policy's own defaults; see app.domain.catalogue).
BUILTIN_TYPE_KEYS: frozenset[TypeKey] = frozenset({"line", "clinical", "group"})


class Tier(enum.StrEnum):
    HIGH = "high"
    STANDARD = "standard"
    LOW = "low"


class DueStatus(enum.StrEnum):
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    ON_TRACK = "on_track"
    PAUSED = "paused"
    NOT_REQUIRED = "not_required"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    DueStatus.OVERDUE: "Overdue",
    DueStatus.DUE_SOON: "Due soon",
    DueStatus.ON_TRACK: "On track",
    DueStatus.PAUSED: "Paused",
    DueStatus.NOT_REQUIRED: "Not required",
}

# Lower is worse: used to sort "worst first" and to pick a worker's overall status.
STATUS_SEVERITY = {
    DueStatus.OVERDUE: 0,
    DueStatus.DUE_SOON: 1,
    DueStatus.ON_TRACK: 2,
    DueStatus.PAUSED: 3,
    DueStatus.NOT_REQUIRED: 4,
}


class SessionStatus(enum.StrEnum):
    PLANNED = "planned"
    HELD = "held"
    CANCELLED = "cancelled"
    DID_NOT_ATTEND = "dna"


class Employment(enum.StrEnum):
    PERMANENT = "permanent"
    BANK = "bank"
    AGENCY = "agency"
    STUDENT = "student"


class LeaveKind(enum.StrEnum):
    SICKNESS = "sickness"
    PARENTAL = "parental"
    OTHER = "other"


class TriggerKind(enum.StrEnum):
    INCIDENT = "incident"
    SAFEGUARDING = "safeguarding"
    COMPLAINT = "complaint"
    BOUNDARY = "boundary"
    RETURN_FROM_LEAVE = "return_from_leave"
    OTHER = "other"


FACTORS: tuple[str, ...] = ("cohort_risk", "decision_complexity", "support_need", "volatility")
FACTOR_LABELS = {
    "cohort_risk": "cohort risk",
    "decision_complexity": "decision complexity",
    "support_need": "support need",
    "volatility": "volatility",
}


@dataclass(frozen=True, slots=True)
class RiskFactors:
    """The four factors of a risk profile, each 1 (low) to 3 (high)."""

    cohort_risk: int
    decision_complexity: int
    support_need: int
    volatility: int

    def __post_init__(self) -> None:
        for name in FACTORS:
            value = getattr(self, name)
            if not isinstance(value, int) or not 1 <= value <= 3:
                raise ValueError(f"{FACTOR_LABELS[name]} must be 1, 2 or 3 (got {value!r})")

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in FACTORS}

    @property
    def total(self) -> int:
        return self.cohort_risk + self.decision_complexity + self.support_need + self.volatility


@dataclass(frozen=True, slots=True)
class Assessment:
    """A dated risk assessment; the latest on or before a date sets the tier."""

    assessed_on: date
    factors: RiskFactors
    # Tie-breaker for two assessments on one day, so results never depend on row order.
    recorded_at: str = ""
    id: str = ""


@dataclass(frozen=True, slots=True)
class LeavePeriod:
    """Leave from start to end inclusive; end None means still on leave."""

    start: date
    end: date | None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class Override:
    """A per-worker, per-type interval replacing the tier's while in force."""

    type: TypeKey
    interval_days: int
    reason: str
    expires_on: date
    starts_on: date | None = None

    def in_force(self, day: date) -> bool:
        return (self.starts_on is None or self.starts_on <= day) and day <= self.expires_on


@dataclass(frozen=True, slots=True)
class TriggerEvent:
    """An event that makes a supervision of one type due within a response time."""

    type: TypeKey
    event_date: date
    response_days: int
    kind: str = TriggerKind.OTHER.value


@dataclass(frozen=True, slots=True)
class SessionFact:
    """What the schedule needs to know of one session involving the worker."""

    type: TypeKey
    status: SessionStatus
    on: date


@dataclass(frozen=True, slots=True)
class WorkerFacts:
    """Everything the due-status engine needs about one worker.

    ``sessions`` may hold every session of the worker or only the relevant ones (the latest
    held per type on or before the as-of date and the planned ones after it): the engine gives
    the same answer for both, which lets the loader stay set-based and small.
    """

    worker_id: str
    name: str
    start_date: date | None
    requires: frozenset[TypeKey]
    team: str = ""
    staff_id: str | None = None
    assessments: tuple[Assessment, ...] = ()
    sessions: tuple[SessionFact, ...] = ()
    leave: tuple[LeavePeriod, ...] = ()
    overrides: tuple[Override, ...] = ()
    triggers: tuple[TriggerEvent, ...] = ()
    left_on: date | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class Worker:
    """A member of staff, as stored."""

    id: str
    name: str
    role: str = ""
    team: str = ""
    start_date: date | None = None
    employment: Employment = Employment.PERMANENT
    profession: str = ""
    staff_id: str | None = None
    line_supervisor_id: str | None = None
    clinical_supervisor_id: str | None = None
    qualified_clinical: bool = False
    requires: frozenset[TypeKey] = BUILTIN_TYPE_KEYS
    left_on: date | None = None

    @property
    def active(self) -> bool:
        return self.left_on is None


class StaffEntry(NamedTuple):
    """A worker as lists of people name and group them (the scheduler's names, search and
    supervisor filter): the few columns of a ``Worker`` they need, read cheaply for everyone."""

    id: str
    name: str
    role: str
    line_supervisor_id: str | None
    clinical_supervisor_id: str | None

    @classmethod
    def of(cls, worker: Worker) -> StaffEntry:
        return cls(
            worker.id,
            worker.name,
            worker.role,
            worker.line_supervisor_id,
            worker.clinical_supervisor_id,
        )


@dataclass(frozen=True, slots=True)
class StoredAssessment:
    """A risk assessment as stored, with who made it and why."""

    id: str
    worker_id: str
    assessed_on: date
    factors: RiskFactors
    tier: Tier
    assessed_by: str
    rationale: str
    source: str
    created_at: str
