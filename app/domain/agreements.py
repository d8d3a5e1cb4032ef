"""Supervision agreements: what a worker and their supervisors agreed, and when to review it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from app.dates import uk
from app.domain.model import DueStatus, TypeKey


@dataclass(frozen=True, slots=True)
class AgreedType:
    """What an agreement says about one supervision type: who supervises, how often (days).
    Either may be blank."""

    type: TypeKey
    supervisor_id: str | None = None
    every_days: int | None = None

    @property
    def empty(self) -> bool:
        return self.supervisor_id is None and self.every_days is None


@dataclass(frozen=True, slots=True)
class Agreement:
    """A worker's supervision agreement (one current per worker; earlier ones are history).

    ``types`` holds, per supervision type of the service's catalogue, the supervisor and the
    agreed frequency in days (a type left out, or blank, is not part of the agreement).
    ``recorded`` says what is written down and where; ``access`` who can see it.
    """

    worker_id: str
    starts_on: date
    review_on: date
    types: tuple[AgreedType, ...] = ()
    duration_minutes: int | None = None
    location: str = ""
    recorded: str = ""
    access: str = ""
    ended_on: date | None = None
    id: str = ""

    def agreed(self, key: TypeKey) -> AgreedType:
        """This agreement's part for one type (blank when it has none)."""
        for t in self.types:
            if t.type == key:
                return t
        return AgreedType(key)

    def supervisor_ids(self) -> list[str]:
        return [t.supervisor_id for t in self.types if t.supervisor_id]

    def problems(self, labels: Mapping[TypeKey, str] | None = None) -> list[str]:
        """What makes this agreement impossible to store, as sentences (empty when fine);
        ``labels`` words the types (their keys otherwise)."""
        out = []
        if self.review_on < self.starts_on:
            out.append("The review date must be on or after the start date.")
        if self.ended_on is not None and self.ended_on < self.starts_on:
            out.append("An agreement cannot end before it starts.")
        keys = [t.type for t in self.types]
        if len(set(keys)) != len(keys):
            out.append("Each supervision type can appear only once in an agreement.")
        for t in self.types:
            if t.every_days is not None and t.every_days < 1:
                label = (labels or {}).get(t.type, t.type)
                out.append(f"The agreed {label} frequency must be at least 1 day.")
        if self.duration_minutes is not None and self.duration_minutes < 1:
            out.append("The agreed duration must be at least 1 minute.")
        if self.worker_id in self.supervisor_ids():
            out.append("A worker cannot be named as their own supervisor.")
        return out


def review_status(review_on: date, as_of: date, window_days: int) -> DueStatus | None:
    """OVERDUE after the review date, DUE_SOON within the window (the date itself included),
    None when not yet in sight."""
    if as_of > review_on:
        return DueStatus.OVERDUE
    if (review_on - as_of).days <= window_days:
        return DueStatus.DUE_SOON
    return None


def review_reason(review_on: date, as_of: date) -> str:
    """'Agreement review due 3 Dec 2026 (in 7 days)' and the like."""
    days = (review_on - as_of).days
    if days < 0:
        ago = "1 day ago" if days == -1 else f"{-days} days ago"
        return f"Supervision agreement review was due {uk(review_on)} ({ago})"
    if days == 0:
        return f"Supervision agreement review due today ({uk(review_on)})"
    ahead = "in 1 day" if days == 1 else f"in {days} days"
    return f"Supervision agreement review due {uk(review_on)} ({ahead})"
