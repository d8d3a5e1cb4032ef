"""Supervision agreements: what a worker and their supervisors agreed, and when to review it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.dates import uk
from app.domain.model import DueStatus


@dataclass(frozen=True, slots=True)
class Agreement:
    """A worker's supervision agreement (one current per worker; earlier ones are history).

    ``recorded`` says what is written down and where; ``access`` who can see it. Frequencies
    are in days; any may be blank when that type is not part of the agreement.
    """

    worker_id: str
    starts_on: date
    review_on: date
    line_supervisor_id: str | None = None
    clinical_supervisor_id: str | None = None
    reflective_supervisor_id: str | None = None
    line_every_days: int | None = None
    clinical_every_days: int | None = None
    reflective_every_days: int | None = None
    duration_minutes: int | None = None
    location: str = ""
    recorded: str = ""
    access: str = ""
    ended_on: date | None = None
    id: str = ""

    def problems(self) -> list[str]:
        """What makes this agreement impossible to store, as sentences (empty when fine)."""
        out = []
        if self.review_on < self.starts_on:
            out.append("The review date must be on or after the start date.")
        if self.ended_on is not None and self.ended_on < self.starts_on:
            out.append("An agreement cannot end before it starts.")
        for label, days in (
            ("line", self.line_every_days),
            ("clinical", self.clinical_every_days),
            ("reflective", self.reflective_every_days),
        ):
            if days is not None and days < 1:
                out.append(f"The agreed {label} frequency must be at least 1 day.")
        if self.duration_minutes is not None and self.duration_minutes < 1:
            out.append("The agreed duration must be at least 1 minute.")
        supervisors = (
            self.line_supervisor_id, self.clinical_supervisor_id, self.reflective_supervisor_id
        )  # fmt: skip
        if self.worker_id in supervisors:
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
