"""The service's supervision policy: every number of DOMAIN.md §5 and the supervision types.

A policy is a value. Each saved policy is a numbered version with an effective date, who saved
it and why (:class:`PolicyVersion`); the version in force on a date is the one with the latest
effective date on or before it (:class:`PolicyHistory`).

Every setting besides the types is declared once, as a field made with :func:`setting`: its
label, section, help, bounds and unit drive the policy editor, the policy file (TOML) and the
checks. Adding a setting is adding one such field.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields, replace
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.dates import uk
from app.domain.catalogue import (
    BUILTIN_TYPES,
    CLINICAL,
    LINE,
    Catalogue,
    TypeSpec,
)
from app.domain.model import Tier, TriggerKind, TypeKey

# --- Declaring a setting ----------------------------------------------------------------------

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

DEFAULT_TIME_ZONE = "Europe/London"


class Section:
    """The editor's groups of settings, in the order it shows them."""

    SERVICE = "Service"
    TIERS = "Risk tiers"
    DUE = "Due status"
    TRIGGERS = "Trigger events"
    RECORDS = "Records and sign-off"
    GOVERNANCE = "Governance alerts"
    REVIEWS = "Reviews"

    ORDER = (SERVICE, TIERS, DUE, TRIGGERS, RECORDS, GOVERNANCE, REVIEWS)


TRIGGER_KINDS: tuple[str, ...] = tuple(k.value for k in TriggerKind)
TYPE_CHOICE = "type"
"""``choices`` of a setting whose value is a supervision type key of the policy."""
ZONE_CHOICE = "zone"
"""``choices`` of a setting whose value is an IANA time zone name (Europe/London)."""


@dataclass(frozen=True)
class Setting:
    """One setting of the policy, as the editor, the policy file and the checks see it.

    ``value_type`` is int, float, bool or str. ``per`` names the keys of a table setting (one
    value per trigger kind, say); ``choices`` the allowed values of a str setting
    (``TYPE_CHOICE``: a type key of the policy).
    """

    name: str
    label: str
    section: str
    help: str
    value_type: type
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""
    per: tuple[str, ...] = ()
    choices: tuple[str, ...] | str = ()

    def problem(self, value: Any, *, where: str = "") -> str | None:
        """Why ``value`` cannot be this setting's (one entry of it, for a table), or None."""
        what = f"{self.label.lower()}{where}"
        if self.choices == ZONE_CHOICE:
            try:
                check_zone_name(value)
            except ValueError as exc:
                return str(exc)
            return None
        kind = self.value_type
        if kind is bool:
            ok = isinstance(value, bool)
        elif kind is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif kind is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        else:
            ok = isinstance(value, str)
        if not ok:
            return f"{what} must be {_KIND_WORDS[kind]} (it is {value!r})"
        if kind in (int, float):
            low, high = self.minimum, self.maximum
            if (low is not None and value < low) or (high is not None and value > high):
                unit = f" {self.unit}" if self.unit else ""
                return f"{what} must be from {_num(low)} to {_num(high)}{unit} (it is {value!r})"
        if kind is str:
            if "\n" in value or len(value) > 200:
                return f"{what} must be one line of at most 200 characters"
            if isinstance(self.choices, tuple) and self.choices and value not in self.choices:
                return f"{what} must be one of {', '.join(self.choices)} (it is {value!r})"
        return None


_KIND_WORDS = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}


def _num(value: float | None) -> str:
    if value is None:
        return "any"
    return str(int(value)) if float(value).is_integer() else str(value)


_SETTING = "keel.setting"


def setting(
    default: Any,
    label: str,
    section: str,
    *,
    help: str = "",
    minimum: float | None = None,
    maximum: float | None = None,
    unit: str = "",
    per: tuple[str, ...] = (),
    choices: tuple[str, ...] | str = (),
) -> Any:
    """A policy field that is a setting (see :class:`Setting`)."""
    meta = {
        _SETTING: {
            "label": label,
            "section": section,
            "help": help,
            "minimum": minimum,
            "maximum": maximum,
            "unit": unit,
            "per": per,
            "choices": choices,
        }
    }
    if isinstance(default, dict):
        frozen = dict(default)
        return field(default_factory=lambda: dict(frozen), metadata=meta)
    return field(default=default, metadata=meta)


# --- The policy -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """Frequency rules and the supervision types. Defaults are exactly DOMAIN.md §5 (v1)."""

    types: tuple[TypeSpec, ...] = BUILTIN_TYPES

    service_name: str = setting(
        "Community Mental Health Service",
        "Service name",
        Section.SERVICE,
        help="Printed on every PDF and in the compliance pack.",
    )
    registration_number: str = setting(
        "",
        "Registration number",
        Section.SERVICE,
        help="The service's registration with its regulator (CQC location ID, say); "
        "printed on the compliance pack.",
    )

    # Tier thresholds.
    high_min_factors_at_3: int = setting(
        2,
        "High tier: factors at 3",
        Section.TIERS,
        help="A risk profile is high when at least this many of its four factors score 3.",
        minimum=1,
        maximum=4,
        unit="factors",
    )
    high_min_total: int = setting(
        10,
        "High tier: total at least",
        Section.TIERS,
        help="…or when its four factors add up to at least this.",
        minimum=4,
        maximum=12,
    )
    low_max_total: int = setting(
        6,
        "Low tier: total at most",
        Section.TIERS,
        help="A profile is low when its total is at most this and no factor scores 3.",
        minimum=4,
        maximum=12,
    )

    # Due-soon window = max(due_soon_min_days, ceil(interval / due_soon_divisor)).
    due_soon_min_days: int = setting(
        3,
        "Due soon: at least",
        Section.DUE,
        help="A cell turns amber this many days before its due date at the least…",
        minimum=0,
        maximum=365,
        unit="days",
    )
    due_soon_divisor: int = setting(
        4,
        "Due soon: interval divided by",
        Section.DUE,
        help="…or the interval divided by this, rounded up, when that is longer "
        "(4: a quarter of the interval).",
        minimum=1,
        maximum=52,
    )

    trigger_response_days: dict[str, int] = setting(
        {
            TriggerKind.INCIDENT.value: 7,
            TriggerKind.SAFEGUARDING.value: 7,
            TriggerKind.COMPLAINT.value: 14,
            TriggerKind.BOUNDARY.value: 3,
            TriggerKind.RETURN_FROM_LEAVE.value: 14,
            TriggerKind.OTHER.value: 14,
        },
        "Response time",
        Section.TRIGGERS,
        help="How soon a supervision is due after each kind of trigger event "
        "(offered when one is recorded).",
        minimum=0,
        maximum=365,
        unit="days",
        per=TRIGGER_KINDS,
    )
    trigger_types: dict[str, str] = setting(
        {
            TriggerKind.INCIDENT.value: CLINICAL,
            TriggerKind.SAFEGUARDING.value: CLINICAL,
            TriggerKind.COMPLAINT.value: LINE,
            TriggerKind.BOUNDARY.value: LINE,
            TriggerKind.RETURN_FROM_LEAVE.value: LINE,
            TriggerKind.OTHER.value: CLINICAL,
        },
        "Supervision called for",
        Section.TRIGGERS,
        help="The type of supervision each kind of trigger event usually calls for.",
        per=TRIGGER_KINDS,
        choices=TYPE_CHOICE,
    )

    # Record quality: when True, gaps block sign-off; otherwise they warn.
    quality_blocks_sign_off: bool = setting(
        False,
        "Record gaps block sign-off",
        Section.RECORDS,
        help="Off: the record-quality check warns before sign-off. On: a record with gaps "
        "cannot be signed until they are filled.",
    )

    # Governance trend alerts: N sessions across M workers within D days.
    trend_min_sessions: int = setting(
        3,
        "Trend alert: sessions",
        Section.GOVERNANCE,
        help="A theme alerts when at least this many sessions raise it…",
        minimum=1,
        maximum=1000,
    )
    trend_min_workers: int = setting(
        2,
        "Trend alert: workers",
        Section.GOVERNANCE,
        help="…across at least this many workers…",
        minimum=1,
        maximum=1000,
    )
    trend_window_days: int = setting(
        56,
        "Trend alert: within",
        Section.GOVERNANCE,
        help="…within this many days.",
        minimum=1,
        maximum=3650,
        unit="days",
    )
    # Supervision crowded out: in one month, a supervisor's cancellations for workload reach
    # this number, or this share of the sessions planned that month (and at least two).
    crowded_out_cancellations: int = setting(
        3,
        "Crowded out: cancellations",
        Section.GOVERNANCE,
        help="A supervisor's month is flagged when workload cancels this many sessions…",
        minimum=1,
        maximum=1000,
    )
    crowded_out_share: float = setting(
        0.25,
        "Crowded out: share",
        Section.GOVERNANCE,
        help="…or this share of the sessions planned that month (0.25 = a quarter; at least two).",
        minimum=0.01,
        maximum=1.0,
    )

    # A supervision agreement's review shows on the scheduler this many days ahead.
    agreement_review_window_days: int = setting(
        28,
        "Agreement review shown",
        Section.REVIEWS,
        help="A supervision agreement's review shows on the scheduler this many days ahead.",
        minimum=0,
        maximum=365,
        unit="days",
    )
    # Risk profiles are reviewed at least this often.
    assessment_review_days: int = setting(
        182,
        "Risk profile review every",
        Section.REVIEWS,
        help="Risk profiles are reviewed at least this often.",
        minimum=1,
        maximum=3650,
        unit="days",
    )
    # An encrypted database locks Keel's windows after this many idle minutes.
    lock_minutes: int = setting(
        10,
        "Lock after idle",
        Section.SERVICE,
        help="An encrypted database locks Keel's windows after this many idle minutes.",
        minimum=1,
        maximum=240,
        unit="minutes",
    )
    # The service's local time (an IANA zone name): session times are in it, and printed and
    # exported times (signatures, addenda, calendar entries) are shown or written in it,
    # whatever time zone the computer is set to.
    time_zone: str = setting(
        DEFAULT_TIME_ZONE,
        "Time zone",
        Section.SERVICE,
        help="The service's local time (a zone name such as Europe/London): session times, "
        "signatures and calendar entries are in it, whatever the computer is set to.",
        choices=ZONE_CHOICE,
    )

    # -- The catalogue ----------------------------------------------------------------------

    @cached_property
    def catalogue(self) -> Catalogue:
        return Catalogue(self.types)

    def spec(self, type_: TypeKey) -> TypeSpec:
        return self.catalogue[type_]

    def interval(self, type_: TypeKey, tier: Tier) -> int:
        return int(self.catalogue[type_].intervals[tier.value])

    def first_window(self, type_: TypeKey) -> int:
        return int(self.catalogue[type_].first_window_days)

    def caps(self, type_: TypeKey) -> tuple[tuple[int, int], ...]:
        """The new-starter caps of a type as (max days in post, cap), checked in this order."""
        return tuple(sorted((int(a), int(b)) for a, b in self.catalogue[type_].new_starter_caps))

    def cap_for(self, type_: TypeKey, days_in_post: int) -> tuple[int, int] | None:
        """The (threshold, cap) that applies at this many days in post, or None."""
        for threshold, cap in self.caps(type_):
            if days_in_post <= threshold:
                return threshold, cap
        return None

    def due_soon_window(self, interval_days: int) -> int:
        return max(self.due_soon_min_days, math.ceil(interval_days / self.due_soon_divisor))

    def response_days(self, kind: str) -> int:
        return int(self.trigger_response_days.get(kind, 14))

    def trigger_type(self, kind: str) -> TypeKey | None:
        """The type a trigger of this kind calls for, if it is in use; else the first
        one-to-one type in use (else the first in use)."""
        key = self.trigger_types.get(kind)
        spec = self.catalogue.get(key) if key else None
        if spec is not None and not spec.retired:
            return spec.key
        active = self.catalogue.active
        pick = [t for t in active if not t.is_group] or list(active)
        return pick[0].key if pick else None

    def zone(self) -> ZoneInfo:
        """The service's time zone (``time_zone``), from the zone data Keel ships."""
        return zone_named(self.time_zone)

    # -- Storage ----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"types": [t.to_dict() for t in self.types]}
        for s in SETTINGS:
            value = getattr(self, s.name)
            out[s.name] = dict(value) if isinstance(value, dict) else value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Policy:
        """Build a policy from stored data; unknown keys are ignored, missing ones default.

        Data stored before types were data (intervals, caps and first windows keyed by type)
        gives the built-in types with those numbers.
        """
        values: dict[str, Any] = {}
        for s in SETTINGS:
            if s.name in data:
                value = data[s.name]
                if s.per and isinstance(value, Mapping):
                    value = {**_default(s), **dict(value)}
                values[s.name] = value
        if "types" in data:
            values["types"] = tuple(TypeSpec.from_dict(t) for t in data["types"])
        else:
            values["types"] = _legacy_types(data)
        policy = cls(**values)
        policy.validate()
        return policy

    # -- Checks -----------------------------------------------------------------------------

    def problems(self) -> list[str]:
        """Everything that makes this policy unusable, each as a sentence that explains it
        ("the high-tier clinical supervision interval (35 days) is longer than standard (28
        days) …"). Empty when the policy is sound."""
        out = self.catalogue.problems()
        for s in SETTINGS:
            value = getattr(self, s.name)
            if s.per:
                if not isinstance(value, Mapping):
                    out.append(f"{s.label.lower()} must give a value for each of {s.per}")
                    continue
                for key in s.per:
                    if key not in value:
                        out.append(f"{s.label.lower()} has no value for {_words(key)}")
                        continue
                    found = s.problem(value[key], where=f" for {_words(key)}")
                    if found:
                        out.append(found)
                    elif s.choices == TYPE_CHOICE and value[key] not in self.catalogue:
                        out.append(
                            f"{s.label.lower()} for {_words(key)} names the type "
                            f"{value[key]!r}, which the policy does not have"
                        )
                for key in value:
                    if key not in s.per:
                        out.append(f"{s.label.lower()} has an unknown entry {key!r}")
                continue
            found = s.problem(value)
            if found:
                out.append(found)
        if not out and self.low_max_total >= self.high_min_total:
            out.append(
                f"the low tier's total (at most {self.low_max_total}) reaches the high tier's "
                f"(at least {self.high_min_total}): lower the low tier's or raise the high's"
            )
        return [p[0].upper() + p[1:] for p in out]

    def validate(self) -> None:
        """Raise ValueError with every problem (see :meth:`problems`)."""
        found = self.problems()
        if found:
            raise ValueError("; ".join(found))


def _words(key: str) -> str:
    return key.replace("_", " ")


def _default(s: Setting) -> Any:
    return dict(s.default) if isinstance(s.default, dict) else s.default


def _legacy_types(data: Mapping[str, Any]) -> tuple[TypeSpec, ...]:
    intervals = data.get("intervals") or {}
    caps = data.get("new_starter_caps") or {}
    windows = data.get("first_windows") or {}
    out = []
    for spec in BUILTIN_TYPES:
        changes: dict[str, Any] = {}
        if spec.key in intervals:
            changes["intervals"] = {**spec.intervals, **dict(intervals[spec.key])}
        if spec.key in caps:
            changes["new_starter_caps"] = tuple((a, b) for a, b in caps[spec.key])
        if spec.key in windows:
            changes["first_window_days"] = windows[spec.key]
        out.append(replace(spec, **changes))
    return tuple(out)


def _settings() -> tuple[Setting, ...]:
    out = []
    for f in fields(Policy):
        meta = f.metadata.get(_SETTING)
        if meta is None:
            continue
        factory: Any = f.default_factory
        default = f.default if f.default is not MISSING else factory()
        sample = next(iter(default.values())) if isinstance(default, dict) else default
        value_type = bool if isinstance(sample, bool) else type(sample)
        out.append(Setting(f.name, default=default, value_type=value_type, **meta))
    return tuple(out)


SETTINGS: tuple[Setting, ...] = _settings()
SETTINGS_BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


# --- Versions ---------------------------------------------------------------------------------

BEGINNING = date(1, 1, 1)
"""The effective date of a version in force from the start (the built-in defaults)."""


@dataclass(frozen=True)
class PolicyVersion:
    """A saved policy: never overwritten; the newest effective on a date is in force on it."""

    version: int
    effective_from: date
    created_at: str
    created_by: str
    reason: str
    policy: Policy

    @property
    def label(self) -> str:
        """ "policy v3 (from 1 Sep 2025)" or "policy v1 (from the start)"."""
        return f"policy v{self.version} ({self.since})"

    @property
    def since(self) -> str:
        return (
            "from the start"
            if self.effective_from == BEGINNING
            else f"from {uk(self.effective_from)}"
        )


DEFAULT_VERSION = PolicyVersion(
    0, BEGINNING, "", "Keel", "The built-in defaults (DOMAIN.md §5)", Policy()
)


class PolicyHistory:
    """Every saved version, oldest first; which one is in force on a date."""

    __slots__ = ("versions",)

    def __init__(self, versions: Iterable[PolicyVersion]) -> None:
        self.versions: tuple[PolicyVersion, ...] = tuple(
            sorted(versions, key=lambda v: v.version)
        ) or (DEFAULT_VERSION,)

    def in_force(self, day: date) -> PolicyVersion:
        """The version with the latest effective date on or before ``day`` (of two on one
        date, the later saved); the first version before every effective date."""
        best: PolicyVersion | None = None
        for v in self.versions:
            if v.effective_from <= day and (
                best is None or (v.effective_from, v.version) > (best.effective_from, best.version)
            ):
                best = v
        if best is None:
            best = min(self.versions, key=lambda v: (v.effective_from, v.version))
        return best

    @property
    def latest(self) -> PolicyVersion:
        """The version saved last (whatever its effective date)."""
        return self.versions[-1]

    def in_force_over(self, first: date, last: date) -> list[PolicyVersion]:
        """The versions in force on some day from ``first`` to ``last``, in the order they
        took effect."""
        out = [self.in_force(first)]
        for v in sorted(self.versions, key=lambda v: (v.effective_from, v.version)):
            if (
                first < v.effective_from <= last
                and self.in_force(v.effective_from) is v
                and all(v is not seen for seen in out)
            ):
                out.append(v)
        return out

    def display_catalogue(self, day: date) -> Catalogue:
        """The types in force on ``day``, then any other type a version names (retired here),
        so a record of any type finds its words."""
        now = self.in_force(day).policy.catalogue
        extra: dict[str, TypeSpec] = {}
        for v in reversed(self.versions):
            for t in v.policy.types:
                if t.key not in now and t.key not in extra:
                    extra[t.key] = replace(t, retired=True)
        return Catalogue((*now.types, *extra.values()))


# --- Differences, for a person deciding whether to save ----------------------------------------


def flatten(policy: Policy) -> dict[str, Any]:
    """The policy as dotted keys → plain values ("types.clinical.interval_days.high": 14)."""
    out: dict[str, Any] = {}
    data = policy.to_dict()
    for name, value in data.items():
        if name == "types":
            for t in value:
                key = t["key"]
                for part, v in t.items():
                    if part == "key":
                        continue
                    _flat_into(out, f"types.{key}.{part}", v)
        else:
            _flat_into(out, name, value)
    return out


def _flat_into(out: dict[str, Any], prefix: str, value: Any) -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            _flat_into(out, f"{prefix}.{k}", v)
    else:
        out[prefix] = value


def differences(old: Policy, new: Policy) -> list[str]:
    """What ``new`` changes in ``old``, one line each, types first."""
    lines: list[str] = []
    old_types = {t.key for t in old.types}
    for t in new.types:
        if t.key not in old_types:
            required = (
                "required for every worker in post"
                if t.required_by_default
                else ("not required by default")
            )
            lines.append(f"new type {t.key}: {t.label} ({t.kind.value}, {required})")
    before, after = flatten(old), flatten(new)
    for key in after:
        type_key = key.split(".")[1] if key.startswith("types.") else None
        if type_key is not None and type_key not in old_types:
            continue
        if before.get(key, _ABSENT) != after[key]:
            lines.append(f"{key}: {_shown(before.get(key, _ABSENT))} → {_shown(after[key])}")
    new_types = {t.key for t in new.types}
    for t in old.types:
        if t.key not in new_types:
            lines.append(f"type {t.key} removed: {t.label}")
    for key in before:
        if key not in after and not key.startswith("types."):
            lines.append(f"{key}: {_shown(before[key])} → (removed)")
    return lines


_ABSENT = object()


def _shown(value: Any) -> str:
    if value is _ABSENT:
        return "(none)"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Sequence):
        return repr(list(value))
    return str(value)


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
