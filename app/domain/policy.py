"""The service's frequency policy: every number of DOMAIN.md §5, editable, with the defaults."""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.domain.model import SupervisionType, Tier

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

DEFAULT_TIME_ZONE = "Europe/London"


def _default_intervals() -> dict[str, dict[str, int]]:
    return {
        "clinical": {"high": 14, "standard": 28, "low": 42},
        "line": {"high": 28, "standard": 42, "low": 56},
        "group": {"high": 28, "standard": 42, "low": 56},
    }


def _default_caps() -> dict[str, list[list[int]]]:
    # [max days in post, capped interval], checked in order: the first that applies wins.
    return {
        "clinical": [[42, 7], [182, 14]],
        "line": [[182, 28]],
        "group": [],
    }


def _default_first_windows() -> dict[str, int]:
    return {"line": 7, "clinical": 14, "group": 28}


@dataclass(frozen=True)
class Policy:
    """Frequency rules. Defaults are exactly DOMAIN.md §5 (v1)."""

    intervals: dict[str, dict[str, int]] = field(default_factory=_default_intervals)
    new_starter_caps: dict[str, list[list[int]]] = field(default_factory=_default_caps)
    first_windows: dict[str, int] = field(default_factory=_default_first_windows)
    # Tier thresholds.
    high_min_factors_at_3: int = 2
    high_min_total: int = 10
    low_max_total: int = 6
    # Due-soon window = max(due_soon_min_days, ceil(interval / due_soon_divisor)).
    due_soon_min_days: int = 3
    due_soon_divisor: int = 4
    # Record quality: when True, gaps block sign-off; otherwise they warn.
    quality_blocks_sign_off: bool = False
    # Governance trend alerts: N sessions across M workers within D days.
    trend_min_sessions: int = 3
    trend_min_workers: int = 2
    trend_window_days: int = 56
    # Supervision crowded out: in one month, a supervisor's cancellations for workload reach
    # this number, or this share of the sessions planned that month (and at least two).
    crowded_out_cancellations: int = 3
    crowded_out_share: float = 0.25
    # A supervision agreement's review shows on the scheduler this many days ahead.
    agreement_review_window_days: int = 28
    # Risk profiles are reviewed at least this often.
    assessment_review_days: int = 182
    service_name: str = "Community Mental Health Service"
    # An encrypted database locks Keel's windows after this many idle minutes.
    lock_minutes: int = 10
    # The service's local time (an IANA zone name): session times are in it, and printed and
    # exported times (signatures, addenda, calendar entries) are shown or written in it,
    # whatever time zone the computer is set to.
    time_zone: str = DEFAULT_TIME_ZONE

    def interval(self, type_: SupervisionType, tier: Tier) -> int:
        return int(self.intervals[type_.value][tier.value])

    def first_window(self, type_: SupervisionType) -> int:
        return int(self.first_windows[type_.value])

    def cap_for(self, type_: SupervisionType, days_in_post: int) -> tuple[int, int] | None:
        """The (threshold, cap) that applies at this many days in post, or None."""
        for threshold, cap in sorted(self.new_starter_caps.get(type_.value, [])):
            if days_in_post <= threshold:
                return int(threshold), int(cap)
        return None

    def due_soon_window(self, interval_days: int) -> int:
        return max(self.due_soon_min_days, math.ceil(interval_days / self.due_soon_divisor))

    def zone(self) -> ZoneInfo:
        """The service's time zone (``time_zone``), from the zone data Keel ships."""
        return zone_named(self.time_zone)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Policy:
        """Build a policy from stored data; unknown keys are ignored, missing ones default."""
        known = {f.name for f in fields(cls)}
        policy = cls()
        values = {k: v for k, v in data.items() if k in known}
        policy = replace(policy, **values)
        policy.validate()
        return policy

    def validate(self) -> None:
        """Raise ValueError naming the first number that makes no sense."""
        for type_ in SupervisionType:
            row = self.intervals.get(type_.value)
            if row is None:
                raise ValueError(f"the policy has no intervals for {type_.value}")
            for tier in Tier:
                value = row.get(tier.value)
                if not isinstance(value, int) or value < 1:
                    raise ValueError(f"interval for {type_.value}/{tier.value} must be ≥ 1 day")
            window = self.first_windows.get(type_.value)
            if not isinstance(window, int) or window < 0:
                raise ValueError(f"first window for {type_.value} must be ≥ 0 days")
            for pair in self.new_starter_caps.get(type_.value, []):
                if len(pair) != 2 or min(pair) < 1:
                    raise ValueError(f"new-starter cap for {type_.value} is malformed: {pair}")
        if self.due_soon_divisor < 1 or self.due_soon_min_days < 0:
            raise ValueError("due-soon window numbers must be positive")
        if min(self.trend_min_sessions, self.trend_min_workers, self.trend_window_days) < 1:
            raise ValueError("trend alert numbers (sessions, workers, days) must be ≥ 1")
        if self.crowded_out_cancellations < 1 or not 0 < self.crowded_out_share <= 1:
            raise ValueError(
                "the crowded-out threshold needs ≥ 1 cancellation and a share above 0 and ≤ 1"
            )
        if self.agreement_review_window_days < 0:
            raise ValueError("the agreement review window must be ≥ 0 days")
        if not isinstance(self.lock_minutes, int) or not 1 <= self.lock_minutes <= 240:
            raise ValueError("the lock after idle minutes must be between 1 and 240")
        check_zone_name(self.time_zone)


@functools.cache
def zone_names() -> frozenset[str]:
    """The IANA zone names in the zone data Keel ships (the ``tzdata`` package): the same list
    on Windows, which has no zone data of its own, as on Linux and macOS."""
    import tzdata  # its data files travel with it (installer.spec collects them)

    zones = Path(tzdata.__file__).parent / "zones"
    return frozenset(zones.read_text(encoding="utf-8").split())


def check_zone_name(name: object) -> str:
    """``name`` when it is an IANA time zone Keel knows (e.g. Europe/London); ValueError
    saying so otherwise. Cheap: the zone itself is loaded only when used (``zone_named``)."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("the time zone must be a zone name such as Europe/London")
    if name not in zone_names():
        raise ValueError(
            f"the time zone {name!r} is not a known zone name: use one such as Europe/London"
        )
    return name


def zone_named(name: object) -> ZoneInfo:
    """The IANA time zone ``name``; ValueError saying so when there is none."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    checked = check_zone_name(name)
    try:
        return ZoneInfo(checked)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"the time zone {checked!r} has no zone data on this computer: reinstall Keel"
        ) from None
