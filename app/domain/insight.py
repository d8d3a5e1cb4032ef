"""Wellbeing and workload insight: pure rules, no database.

Wellbeing flags are gentle prompts to offer support, never judgements:

* **falling** — the wellbeing score fell at each of three consecutive pulse readings
  (for example 7 → 6 → 5). Readings are the held one-to-one sessions that recorded a score;
  a session without a score neither breaks nor extends the run.
* **distress** — moral distress was recorded as "yes" at two consecutive sessions that
  answered the question (a session that left it unanswered is skipped).

A flag is dated on the session that completes the pattern. A worker's *current* flags are the
ones completed by their latest reading of that kind.

Supervision crowded out: in one month a supervisor's cancellations for workload reach
``policy.crowded_out_cancellations``, or are at least two and make up at least
``policy.crowded_out_share`` of the sessions planned that month (held, cancelled and
did-not-attend). A cancellation counts as "for workload" when its category says so, or, with
no category, when its reason mentions workload, caseload, capacity or staffing.
"""

from __future__ import annotations

import enum
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from app.domain.model import TypeKey
from app.domain.policy import Policy
from app.domain.records import CancelCategory, Workload

_WORKLOAD = re.compile(r"work\s*load|case\s*load|capacity|staffing|short[\s-]*staffed", re.I)
_SICKNESS = re.compile(r"\bsick|\bill\b|illness|unwell", re.I)
_LEAVE = re.compile(r"\bleave\b|holiday|annual|bank holiday|training day", re.I)


def cancel_category_of(category: CancelCategory | None, reason: str) -> CancelCategory:
    """The category a cancellation counts under: the one recorded, else read from the reason."""
    if category is not None:
        return category
    if _WORKLOAD.search(reason):
        return CancelCategory.WORKLOAD
    if _SICKNESS.search(reason):
        return CancelCategory.SICKNESS
    if _LEAVE.search(reason):
        return CancelCategory.LEAVE
    return CancelCategory.OTHER


def is_crowded_out(workload_cancelled: int, planned: int, policy: Policy) -> bool:
    """The "supervision crowded out" signal for one supervisor's month (module docstring)."""
    if workload_cancelled >= policy.crowded_out_cancellations:
        return True
    return (
        workload_cancelled >= 2
        and planned > 0
        and workload_cancelled / planned >= policy.crowded_out_share
    )


@dataclass(frozen=True, slots=True)
class PulsePoint:
    """The wellbeing pulse recorded at one held one-to-one session."""

    session_id: str
    on: date
    type: TypeKey
    wellbeing: int | None
    workload: Workload | None
    moral_distress: bool | None


class FlagKind(enum.StrEnum):
    FALLING = "falling"
    DISTRESS = "distress"


@dataclass(frozen=True, slots=True)
class WellbeingFlag:
    """A prompt to offer support, dated on the session that completed the pattern."""

    kind: FlagKind
    on: date
    session_id: str
    message: str


def _falling_message(scores: Sequence[int]) -> str:
    path = " → ".join(str(s) for s in scores)
    return (
        f"Wellbeing has fallen over three sessions ({path}). Consider asking how they are "
        "and offering support: a check-in, time to talk, occupational health or the employee "
        "assistance programme."
    )


_DISTRESS_MESSAGE = (
    "Moral distress was recorded at two sessions in a row. Consider offering reflective "
    "space, a debrief or the staff support service."
)


def wellbeing_flags(points: Sequence[PulsePoint]) -> list[WellbeingFlag]:
    """Every flag in a worker's pulse history (``points`` in date order), oldest first."""
    flags: list[WellbeingFlag] = []
    scored = [(p, p.wellbeing) for p in points if p.wellbeing is not None]
    for (_, a), (_, b), (point, c) in zip(scored, scored[1:], scored[2:], strict=False):
        if a > b > c:
            message = _falling_message((a, b, c))
            flags.append(WellbeingFlag(FlagKind.FALLING, point.on, point.session_id, message))
    answered = [p for p in points if p.moral_distress is not None]
    for prev, cur in itertools.pairwise(answered):
        if prev.moral_distress and cur.moral_distress:
            flags.append(
                WellbeingFlag(FlagKind.DISTRESS, cur.on, cur.session_id, _DISTRESS_MESSAGE)
            )
    flags.sort(key=lambda f: (f.on, f.kind.value))
    return flags


def current_flags(
    points: Sequence[PulsePoint], flags: Sequence[WellbeingFlag]
) -> list[WellbeingFlag]:
    """The flags completed by the latest reading of their kind: what still applies today."""
    latest_scored = next((p.session_id for p in reversed(points) if p.wellbeing is not None), None)
    latest_answered = next(
        (p.session_id for p in reversed(points) if p.moral_distress is not None), None
    )
    return [
        f
        for f in flags
        if (f.kind is FlagKind.FALLING and f.session_id == latest_scored)
        or (f.kind is FlagKind.DISTRESS and f.session_id == latest_answered)
    ]
