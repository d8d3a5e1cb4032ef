"""The supervision types a service uses: one catalogue entry per type, and nothing else names them.

A type is data: its key (stable, stored on every record), its label and the other words forms,
PDFs, the calendar and CSV columns use, its kind (one-to-one or group), its agenda checklist,
its intervals per risk tier, new-starter caps and first window, whether a new worker's role
requires it, and whether it is retired. The catalogue is part of the service's policy
(:class:`app.domain.policy.Policy`), so it is versioned with the rest of it.

Screens, reports, import and export ask the catalogue for the types and their words; the
built-in types keep their keys ``line``, ``clinical`` and ``group`` (``BUILTIN_TYPES``, the
defaults of DOMAIN.md §5).
"""

from __future__ import annotations

import enum
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from app.domain.model import Tier, TypeKey

# A type's key: lower-case letters, digits and underscores, starting with a letter
# (``clinical``, ``safeguarding``). Stored on every record; never changes.
KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")

# The keys of the built-in types (DOMAIN.md §5). Only the defaults below, the demo and tests
# name them: everything else asks the catalogue.
LINE: TypeKey = "line"
CLINICAL: TypeKey = "clinical"
GROUP: TypeKey = "group"

TIERS: tuple[Tier, ...] = (Tier.HIGH, Tier.STANDARD, Tier.LOW)


class Kind(enum.StrEnum):
    """How a type is held: with one supervisee, or with a group of attendees."""

    ONE_TO_ONE = "one-to-one"
    GROUP = "group"

    @property
    def label(self) -> str:
        return "One-to-one" if self is Kind.ONE_TO_ONE else "Group"


class SupervisorRole(enum.StrEnum):
    """Whose supervisor leads a new session of the type by default."""

    LINE = "line"
    CLINICAL = "clinical"  # the clinical supervisor, else the line supervisor

    @property
    def label(self) -> str:
        return "Line supervisor" if self is SupervisorRole.LINE else "Clinical supervisor"


@dataclass(frozen=True)
class TypeSpec:
    """One supervision type of the catalogue.

    ``label`` is the full name ("Clinical supervision"): titles of forms, PDFs and calendar
    entries. ``short_label`` heads a scheduler column ("Clinical"). ``name`` (derived) is the
    label without a trailing "supervision", for running text ("a clinical session").
    ``intervals`` are days per risk tier; ``new_starter_caps`` are (days in post at most,
    capped interval) pairs, the first that applies wins; ``first_window_days`` is how soon after
    starting the first session is due. ``agenda`` is the checklist of areas a session covers,
    as (stored key, words) pairs.
    """

    key: TypeKey
    label: str
    kind: Kind = Kind.ONE_TO_ONE
    short_label: str = ""
    intervals: Mapping[str, int] = field(
        default_factory=lambda: {"high": 28, "standard": 42, "low": 56}
    )
    new_starter_caps: tuple[tuple[int, int], ...] = ()
    first_window_days: int = 28
    required_by_default: bool = True
    retired: bool = False
    agenda: tuple[tuple[str, str], ...] = ()
    agenda_intro: str = "Tick each area covered in this session."
    supervisor: SupervisorRole = SupervisorRole.LINE
    qualified_supervisor: bool = False
    duration_minutes: int = 60
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.short_label:
            object.__setattr__(self, "short_label", _short(self.label))

    @property
    def name(self) -> str:
        """The label without a trailing "supervision": "Clinical", "Line management"."""
        return _without_supervision(self.label)

    @property
    def is_group(self) -> bool:
        return self.kind is Kind.GROUP

    @property
    def agenda_title(self) -> str:
        """The heading of the form's checklist."""
        if self.is_group:
            return "The group discussed"
        return f"Agenda — {_lower_first(self.label)}"

    @property
    def csv_column(self) -> str:
        """The staff CSV's column of the date this type was last held."""
        return f"last_{self.key}"

    def interval(self, tier: Tier) -> int:
        return int(self.intervals[tier.value])

    def words(self) -> tuple[str, ...]:
        """What a CSV's ``requires`` cell may say for this type (matched without case)."""
        found = [self.key, self.label, self.short_label, self.name, *self.aliases]
        return tuple(dict.fromkeys(w.strip().casefold() for w in found if w.strip()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "short_label": self.short_label,
            "kind": self.kind.value,
            "required_by_default": self.required_by_default,
            "retired": self.retired,
            "first_window_days": self.first_window_days,
            "interval_days": {t.value: int(self.intervals[t.value]) for t in TIERS},
            "new_starter_caps": [[a, b] for a, b in self.new_starter_caps],
            "agenda": [[k, v] for k, v in self.agenda],
            "agenda_intro": self.agenda_intro,
            "supervisor": self.supervisor.value,
            "qualified_supervisor": self.qualified_supervisor,
            "duration_minutes": self.duration_minutes,
            "aliases": list(self.aliases),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TypeSpec:
        """The entry as ``to_dict`` wrote it (values are checked by ``type_problems``)."""
        intervals = data.get("interval_days", {})
        return cls(
            key=str(data["key"]),
            label=str(data.get("label", data["key"])),
            kind=Kind(data.get("kind", Kind.ONE_TO_ONE.value)),
            short_label=str(data.get("short_label", "")),
            intervals={str(k): v for k, v in dict(intervals).items()},
            new_starter_caps=tuple((pair[0], pair[1]) for pair in data.get("new_starter_caps", [])),
            first_window_days=data.get("first_window_days", 28),
            required_by_default=bool(data.get("required_by_default", True)),
            retired=bool(data.get("retired", False)),
            agenda=tuple((str(k), str(v)) for k, v in data.get("agenda", [])),
            agenda_intro=str(data.get("agenda_intro", "Tick each area covered in this session.")),
            supervisor=SupervisorRole(data.get("supervisor", SupervisorRole.LINE.value)),
            qualified_supervisor=bool(data.get("qualified_supervisor", False)),
            duration_minutes=data.get("duration_minutes", 60),
            aliases=tuple(str(a) for a in data.get("aliases", [])),
        )


def _without_supervision(label: str) -> str:
    words = label.strip()
    if words.casefold().endswith(" supervision"):
        words = words[: -len(" supervision")].rstrip()
    return words or label.strip()


def _short(label: str) -> str:
    name = _without_supervision(label)
    return name if len(name) <= 14 else name.split()[0]


def _lower_first(text: str) -> str:
    """ "Clinical supervision" → "clinical supervision"; acronyms ("ASYE …") stay."""
    if len(text) > 1 and text[:2].isupper():
        return text
    return text[:1].lower() + text[1:]


def type_problems(spec: TypeSpec) -> list[str]:
    """What makes one entry unusable, each in words a team lead can act on."""
    out: list[str] = []
    name = _lower_first(spec.label.strip() or spec.key)
    if not KEY_PATTERN.fullmatch(spec.key):
        out.append(
            f"the type key {spec.key!r} must start with a lower-case letter and hold only "
            "lower-case letters, digits and underscores (at most 40)"
        )
    if not spec.label.strip():
        out.append(f"the type {spec.key!r} needs a label")
    elif len(spec.label) > 80:
        out.append(f"the label of {name} is longer than 80 characters")
    out += _interval_problems(spec, name)
    if not _is_int(spec.first_window_days) or not 0 <= spec.first_window_days <= 3650:
        out.append(
            f"the first window of {name} must be 0 to 3650 days (it is {spec.first_window_days!r})"
        )
    out += _cap_problems(spec, name)
    if not _is_int(spec.duration_minutes) or not 1 <= spec.duration_minutes <= 24 * 60:
        out.append(f"the usual length of {name} must be 1 to 1440 minutes")
    out += _agenda_problems(spec, name)
    return out


def _interval_problems(spec: TypeSpec, name: str) -> list[str]:
    out = []
    for tier in TIERS:
        value = spec.intervals.get(tier.value)
        if not _is_int(value) or not 1 <= value <= 3650:  # type: ignore[operator]
            out.append(
                f"the {tier.value}-tier {name} interval must be a whole number of days from 1 "
                f"to 3650 (it is {value!r})"
            )
    if out:
        return out
    ordered = [(t, spec.intervals[t.value]) for t in TIERS]
    for (tier, days), (next_tier, next_days) in itertools.pairwise(ordered):
        if days > next_days:
            out.append(
                f"the {tier.value}-tier {name} interval ({days} days) is longer than "
                f"{next_tier.value} ({next_days} days): a higher risk tier is seen at least as "
                "often"
            )
    return out


def _cap_problems(spec: TypeSpec, name: str) -> list[str]:
    out = []
    previous = 0
    previous_cap = 0
    for pair in spec.new_starter_caps:
        if len(pair) != 2 or not all(_is_int(v) and v >= 1 for v in pair):
            out.append(
                f"a new-starter cap of {name} must be two whole numbers of days ≥ 1 (days in "
                f"post, capped interval): {list(pair)!r}"
            )
            continue
        if pair[0] <= previous:
            out.append(
                f"the new-starter caps of {name} must be in order of days in post, each later "
                f"than the one before ({pair[0]} after {previous})"
            )
        elif pair[1] < previous_cap:
            # Otherwise a session held later in post could bring the next one forward.
            out.append(
                f"a new starter's {name} cannot be needed more often later in post: every "
                f"{pair[1]} days up to {pair[0]} days in post is more often than every "
                f"{previous_cap} days up to {previous}"
            )
        previous, previous_cap = pair[0], pair[1]
    return out


def _agenda_problems(spec: TypeSpec, name: str) -> list[str]:
    out = []
    keys = [k for k, _ in spec.agenda]
    for key, words in spec.agenda:
        if not KEY_PATTERN.fullmatch(key):
            out.append(
                f"the agenda area key {key!r} of {name} must start with a lower-case letter "
                "and hold only lower-case letters, digits and underscores"
            )
        if not words.strip():
            out.append(f"the agenda area {key!r} of {name} needs its words")
    if len(set(keys)) != len(keys):
        out.append(f"an agenda area of {name} is listed twice")
    return out


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Catalogue:
    """The types of one policy, in display order; retired ones are kept (records name them)."""

    __slots__ = ("_by_key", "active", "types")

    def __init__(self, types: Iterable[TypeSpec]) -> None:
        self.types: tuple[TypeSpec, ...] = tuple(types)
        self._by_key = {t.key: t for t in self.types}
        self.active: tuple[TypeSpec, ...] = tuple(t for t in self.types if not t.retired)

    def __iter__(self) -> Iterator[TypeSpec]:
        return iter(self.types)

    def __len__(self) -> int:
        return len(self.types)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Catalogue) and self.types == other.types

    def __hash__(self) -> int:
        return hash(tuple(t.key for t in self.types))

    def __repr__(self) -> str:
        return f"Catalogue({', '.join(t.key for t in self.types)})"

    def get(self, key: TypeKey) -> TypeSpec | None:
        return self._by_key.get(key)

    def __getitem__(self, key: TypeKey) -> TypeSpec:
        found = self._by_key.get(key)
        if found is None:
            raise KeyError(f"no supervision type {key!r} in the policy")
        return found

    @property
    def keys(self) -> tuple[TypeKey, ...]:
        return tuple(self._by_key)

    @property
    def active_keys(self) -> tuple[TypeKey, ...]:
        return tuple(t.key for t in self.active)

    @property
    def required_by_default(self) -> frozenset[TypeKey]:
        return frozenset(t.key for t in self.active if t.required_by_default)

    def spec(self, key: TypeKey) -> TypeSpec:
        """The entry for ``key``; a key no policy knows (a record of a type added by a later
        policy, say) gets a plain one-to-one entry named after its key, never an error."""
        found = self._by_key.get(key)
        if found is None:
            found = TypeSpec(key, key.replace("_", " ").capitalize(), retired=True)
        return found

    def label(self, key: TypeKey) -> str:
        return self.spec(key).label

    def name(self, key: TypeKey) -> str:
        return self.spec(key).name

    def short_label(self, key: TypeKey) -> str:
        return self.spec(key).short_label

    def is_group(self, key: TypeKey) -> bool:
        return self.spec(key).is_group

    def with_type(self, spec: TypeSpec) -> Catalogue:
        """This catalogue with ``spec`` replacing the entry of its key (or added at the end)."""
        if spec.key in self._by_key:
            return Catalogue(spec if t.key == spec.key else t for t in self.types)
        return Catalogue((*self.types, spec))

    def problems(self) -> list[str]:
        out = [p for t in self.types for p in type_problems(t)]
        keys = [t.key for t in self.types]
        for key in sorted({k for k in keys if keys.count(k) > 1}):
            out.append(f"the type key {key!r} is used twice")
        labels = [t.label.strip().casefold() for t in self.active]
        for label in sorted({x for x in labels if labels.count(x) > 1}):
            out.append(f"two types in use are both labelled {label!r}")
        if not self.active:
            out.append("the policy needs at least one supervision type in use (not retired)")
        return out


# --- The built-in types: DOMAIN.md §5 ---------------------------------------------------------

BUILTIN_TYPES: tuple[TypeSpec, ...] = (
    TypeSpec(
        key=LINE,
        label="Line management supervision",
        short_label="Line",
        kind=Kind.ONE_TO_ONE,
        intervals={"high": 28, "standard": 42, "low": 56},
        new_starter_caps=((182, 28),),
        first_window_days=7,
        agenda=(
            ("caseload", "Caseload balance and workload pressures"),
            ("recording", "Recording quality and timeliness"),
            ("safety", "Boundaries, lone working and safety"),
            ("attendance", "Attendance, wellbeing and capability"),
        ),
        agenda_intro="Tick each area covered in this session.",
        supervisor=SupervisorRole.LINE,
        aliases=("line management",),
    ),
    TypeSpec(
        key=CLINICAL,
        label="Clinical supervision",
        short_label="Clinical",
        kind=Kind.ONE_TO_ONE,
        intervals={"high": 14, "standard": 28, "low": 42},
        new_starter_caps=((42, 7), (182, 14)),
        first_window_days=14,
        agenda=(
            ("risk_formulation", "Risk formulation and review"),
            ("safeguarding", "Safeguarding dilemmas and thresholds"),
            ("judgement", "Professional judgement and uncertainty"),
            ("reflection", "Reflective practice and emotional impact"),
        ),
        agenda_intro="Tick each area covered. Record learning and decisions, not just attendance.",
        supervisor=SupervisorRole.CLINICAL,
        qualified_supervisor=True,
    ),
    TypeSpec(
        key=GROUP,
        label="Reflective / group supervision",
        short_label="Group",
        kind=Kind.GROUP,
        intervals={"high": 28, "standard": 42, "low": 56},
        new_starter_caps=(),
        first_window_days=28,
        agenda=(
            ("case_discussion", "Case discussion"),
            ("crisis_triggers", "Repeated crisis triggers"),
            ("system_blockages", "System blockages or delays"),
            ("practice_drift", "Drift to risk-averse or risk-blind practice"),
        ),
        agenda_intro="Tick what the group surfaced — themes one-to-one supervision misses.",
        supervisor=SupervisorRole.LINE,
        duration_minutes=90,
        aliases=("reflective", "reflective group"),
    ),
)
BUILTIN_KEYS: tuple[TypeKey, ...] = tuple(t.key for t in BUILTIN_TYPES)
DEFAULT_CATALOGUE = Catalogue(BUILTIN_TYPES)


def new_type(key: TypeKey, label: str, kind: Kind = Kind.ONE_TO_ONE, **values: Any) -> TypeSpec:
    """A new entry with sensible defaults for what is not given (a group type is 90 minutes)."""
    if kind is Kind.GROUP:
        values.setdefault("duration_minutes", 90)
        values.setdefault("agenda_intro", "Tick what the group discussed.")
    return replace(TypeSpec(key, label, kind), **values)
