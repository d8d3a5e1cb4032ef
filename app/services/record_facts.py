"""Facts about a session record that are worked out, not stored (issue 16): which session of
its type this is in the service year ("session 3 of 12"), and whether the supervisee's copy
of the signed record was given within the policy's deadline.

Both are computed from stored values whenever a record is shown or printed: nothing here is
written, so a signed record's fingerprint never depends on them.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from app.dates import uk
from app.domain.model import SessionStatus
from app.domain.policy import Policy
from app.domain.records import SessionRecord
from app.domain.rows import SignOff
from app.services.scheduling import compute_schedule
from app.storage.db import Database
from app.storage.policies import current_policy


@dataclass(frozen=True, slots=True)
class YearCount:
    """The record is the ``number``-th held session of its type in the service year that
    starts on ``year_start``; ``expected`` is how many the worker's interval for the type
    asks for in that year (None for a group session, or an unassessed worker with no
    interval)."""

    number: int
    expected: int | None
    year_start: date
    interval_days: int | None

    group: bool = False

    @property
    def words(self) -> str:
        of = f" of {self.expected}" if self.expected else ""
        led = " led by this facilitator" if self.group else ""
        return f"{self.number}{of}{led} this service year (from {uk(self.year_start)})"


def year_count(db: Database, rec: SessionRecord, policy: Policy | None = None) -> YearCount | None:
    """Which held session of its type ``rec`` is in the service year of its date. y is
    ceil(days in that service year / the worker's interval for the type as of the session's
    date — the interval the scheduler showed then, overrides included)."""
    if rec.status is not SessionStatus.HELD:
        return None
    policy = policy or current_policy(db, rec.session_date)
    first, following = policy.service_year(rec.session_date)
    # Earlier held sessions of the type that year (same day: the earlier saved first).
    if rec.worker_id:
        row = db.execute(
            "SELECT count(*) FROM sessions WHERE worker_id = ? AND type = ? AND status = 'held' "
            "AND session_date >= ? AND (session_date < ? OR (session_date = ? AND "
            "(created_at, id) < (SELECT created_at, id FROM sessions WHERE id = ?)))",
            [rec.worker_id, rec.type, first.isoformat(), rec.session_date.isoformat(),
             rec.session_date.isoformat(), rec.id or ""],
        ).fetchone()  # fmt: skip
    else:  # a group session: the type's held sessions that year with the same facilitator
        row = db.execute(
            "SELECT count(*) FROM sessions WHERE type = ? AND status = 'held' "
            "AND supervisor_id IS ? AND session_date >= ? AND (session_date < ? OR "
            "(session_date = ? AND "
            "(created_at, id) < (SELECT created_at, id FROM sessions WHERE id = ?)))",
            [rec.type, rec.supervisor_id, first.isoformat(), rec.session_date.isoformat(),
             rec.session_date.isoformat(), rec.id or ""],
        ).fetchone()  # fmt: skip
    number = int(row[0]) + 1
    interval = current_interval(db, rec.worker_id, rec.type, rec.session_date)
    expected = None
    if interval:
        expected = math.ceil((following - first).days / interval)
    return YearCount(number, expected, first, interval, group=rec.worker_id is None)


def current_interval(db: Database, worker_id: str | None, type_: str, on: date) -> int | None:
    """The worker's interval for the type on ``on``, as the scheduler works it out (tier,
    override, new-starter cap); None for a group session or a worker it does not show."""
    if not worker_id:
        return None
    schedule = compute_schedule(db, on, worker_ids=[worker_id])
    for found in schedule.rows:
        status = found.status.by_type.get(type_)
        if status is not None:
            return status.interval_days
    return None


class CopyTiming(enum.StrEnum):
    """The supervisee's copy of a signed record against the policy's deadline."""

    ON_TIME = "on_time"
    LATE = "late"
    NOT_YET = "not_yet"  # not given, and the deadline has not passed
    OVERDUE = "overdue"  # not given, and the deadline has passed
    NOT_RECORDED = "not_recorded"  # responded to before Keel kept the copy's date

    @property
    def label(self) -> str:
        return {
            "on_time": "given within the deadline",
            "late": "given late",
            "not_yet": "not given yet",
            "overdue": "not given yet — overdue",
            "not_recorded": "date not recorded",
        }[self.value]


@dataclass(frozen=True, slots=True)
class CopyDeadline:
    signed_on: date
    due: date
    given_on: date | None
    timing: CopyTiming

    @property
    def words(self) -> str:
        days = ""
        if self.given_on is not None:
            days = f" on {uk(self.given_on)}"
        return f"Copy {self.timing.label}{days} (due by {uk(self.due)})"


def signed_on(state: SignOff, zone: ZoneInfo) -> date | None:
    """The service's local date the record was signed."""
    if not state.signed_at:
        return None
    when = datetime.fromisoformat(state.signed_at.replace("Z", "+00:00"))
    return when.astimezone(zone).date()


def copy_deadline(state: SignOff, policy: Policy, today: date) -> CopyDeadline | None:
    """The supervisee's copy of a signed record against the policy's deadline (None for a
    record not signed)."""
    day = signed_on(state, policy.zone())
    if day is None:
        return None
    due = policy.copy_due(day)
    given = state.copy_given_on
    if given is not None:
        timing = CopyTiming.ON_TIME if given <= due else CopyTiming.LATE
    elif state.supervisee_response is not None and state.supervisee_copy_received is None:
        timing = CopyTiming.NOT_RECORDED
    else:
        timing = CopyTiming.OVERDUE if today > due else CopyTiming.NOT_YET
    return CopyDeadline(day, due, given, timing)
