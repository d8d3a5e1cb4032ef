"""The policy file: the service's policy as TOML, to hand to every team's laptop.

``policy_to_toml`` writes a whole policy, every setting with its words as a comment, so the
file documents itself; ``read_policy_file`` reads one back as a *partial update* of a policy:
keys and types it leaves out keep their values, a type is retired only by ``retired = true``,
and anything Keel does not know is refused naming the key and the line.

Reading uses the standard library's ``tomllib``. Writing is done here, not by a TOML library:
the file is a few dozen keys of known shapes, and the comments that explain each setting are
the point of the exported file (TOML writers do not write comments).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from app.dates import uk
from app.domain.catalogue import (
    KEY_PATTERN,
    TIERS,
    Kind,
    SupervisorRole,
    TypeSpec,
    new_type,
)
from app.domain.policy import SETTINGS, SETTINGS_BY_NAME, Policy, PolicyVersion, Section, Setting
from app.errors import UsageError

FORMAT = 1

# A type's keys in the file, in the order written, with what each says.
TYPE_KEYS: dict[str, str] = {
    "label": "full name: forms, PDFs and calendar entries",
    "short_label": "the scheduler column's heading",
    "kind": '"one-to-one" or "group" (fixed once the type exists)',
    "required_by_default": "a new worker's role requires it (a new type: every worker in post)",
    "retired": "true: no longer scheduled; its records stay (never by leaving a type out)",
    "first_window_days": "the first session is due this many days after starting",
    "interval_days": "the longest gap between held sessions per risk tier",
    "new_starter_caps": "[days in post at most, interval at most], first that applies wins",
    "supervisor": '"line" or "clinical": whose supervisor leads a new session',
    "qualified_supervisor": "its supervisor must be marked qualified (clinical in nature)",
    "duration_minutes": "the usual length of a session",
    "agenda_intro": "the sentence above the agenda checklist",
    "aliases": "other words a staff CSV's requires column may use for it",
    "agenda": "the agenda checklist: stored key = words",
}
_NEW_TYPE_NEEDS = ("label", "kind", "interval_days")


class PolicyFileError(UsageError):
    """The file cannot be used; nothing was changed. The message names the key and line."""


# --- Writing -------------------------------------------------------------------------------


def _string(value: str) -> str:
    # A JSON string is a TOML basic string, but for DEL, which TOML wants escaped.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} to TOML")


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _string(key)


def _comment(text: str) -> str:
    return "# " + " ".join(text.split())


def _setting_comment(s: Setting) -> str:
    bounds = ""
    if s.minimum is not None or s.maximum is not None:
        unit = f" {s.unit}" if s.unit else ""
        low = "" if s.minimum is None else f"{s.minimum:g}"
        high = "" if s.maximum is None else f"{s.maximum:g}"
        bounds = f" ({low} to {high}{unit})"
    return _comment(f"{s.label}{bounds}: {s.help}" if s.help else f"{s.label}{bounds}")


def policy_to_toml(policy: Policy, version: PolicyVersion | None = None) -> str:
    """The whole policy as a TOML file that ``read_policy_file`` reads back unchanged."""
    lines = [
        "# Keel supervision policy.",
        "# Import it on each team's laptop: keel policy import FILE (it shows what changes",
        "# first). A file is a partial update: what it leaves out keeps its value there; a type",
        "# is retired only by retired = true.",
    ]
    if version is not None:
        lines.append(
            _comment(
                f"Exported from version {version.version} ({version.since}), saved by "
                f"{version.created_by or 'someone not recorded'}: {version.reason or 'no reason'}."
            )
        )
    lines += ["", f"format = {FORMAT}"]
    tables: list[Setting] = []
    for section in Section.ORDER:
        group = [s for s in SETTINGS if s.section == section]
        tables += [s for s in group if s.per]
        group = [s for s in group if not s.per]
        if not group:
            continue
        lines += ["", f"# --- {section}"]
        for s in group:
            lines.append(_setting_comment(s))
            lines.append(f"{s.name} = {_value(getattr(policy, s.name))}")
    for n, s in enumerate(tables):
        if n == 0 or tables[n - 1].section != s.section:
            lines += ["", f"# --- {s.section}"]
        lines += [_setting_comment(s), f"[{s.name}]"]
        values = getattr(policy, s.name)
        lines += [f"{_key(k)} = {_value(values[k])}" for k in s.per if k in values]
    lines += [
        "",
        "# --- Supervision types: [types.KEY]. The key is on every record and never changes.",
    ]
    for spec in policy.types:
        lines += ["", f"[types.{spec.key}]"]
        data = spec.to_dict()
        for name, words in TYPE_KEYS.items():
            if name == "agenda":
                continue
            lines.append(f"{name} = {_value(data[name])}  {_comment(words)}")
        lines += [f"[types.{spec.key}.agenda]  {_comment(TYPE_KEYS['agenda'])}"]
        lines += [f"{_key(k)} = {_value(v)}" for k, v in spec.agenda]
    return "\n".join(lines) + "\n"


# --- Reading -------------------------------------------------------------------------------


class _Lines:
    """Where each key is written in the file, to name the line of what is refused."""

    def __init__(self, text: str) -> None:
        self.found: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            header = re.match(r"^\[\s*([^\]]+?)\s*\](?:\s*#.*)?$", line)
            if header:
                table = tuple(p.strip().strip('"') for p in header.group(1).split("."))
                self.found.setdefault(table, number)
                continue
            key = re.match(r'^("[^"]*"|[A-Za-z0-9_-]+)\s*=', line)
            if key:
                self.found.setdefault((*table, key.group(1).strip('"')), number)

    def of(self, *path: str) -> int | None:
        while path:
            if path in self.found:
                return self.found[path]
            path = path[:-1]
        return None


def _where(lines: _Lines, *path: str) -> str:
    number = lines.of(*path)
    at = f" (line {number})" if number else ""
    return f"{'.'.join(path)}{at}"


@dataclass(frozen=True, slots=True)
class _Reader:
    lines: _Lines

    def fail(self, message: str, *path: str) -> PolicyFileError:
        return PolicyFileError(f"{_where(self.lines, *path)}: {message}")

    def setting(self, s: Setting, value: Any, current: Any) -> Any:
        if s.per:
            if not isinstance(value, dict):
                raise self.fail(f"must be a table of {', '.join(s.per)}", s.name)
            out = dict(current)
            for key, entry in value.items():
                if key not in s.per:
                    raise self.fail(f"unknown entry; {s.name} has {', '.join(s.per)}", s.name, key)
                problem = s.problem(entry)
                if problem:
                    raise self.fail(problem, s.name, key)
                out[key] = entry
            return out
        problem = s.problem(value)
        if problem:
            raise self.fail(problem, s.name)
        return value

    def type_fields(self, key: str, table: Any) -> dict[str, Any]:
        """The [types.KEY] table's fields, checked for shape (numbers are checked later)."""
        if not isinstance(table, dict):
            raise self.fail("must be a table ([types.KEY])", "types", key)
        out: dict[str, Any] = {}
        for name, value in table.items():
            if name not in TYPE_KEYS:
                raise self.fail(
                    f"unknown key; a type has {', '.join(TYPE_KEYS)}", "types", key, name
                )
            out[name] = self._type_value(key, name, value)
        return out

    def _type_value(self, key: str, name: str, value: Any) -> Any:  # noqa: C901 - one per key
        path = ("types", key, name)
        if name in ("label", "short_label", "agenda_intro"):
            if not isinstance(value, str):
                raise self.fail("must be text in double quotes", *path)
            return value
        if name in ("required_by_default", "retired", "qualified_supervisor"):
            if not isinstance(value, bool):
                raise self.fail("must be true or false", *path)
            return value
        if name in ("first_window_days", "duration_minutes"):
            if not isinstance(value, int) or isinstance(value, bool):
                raise self.fail(f"must be a whole number (it is {value!r})", *path)
            return value
        if name == "kind":
            if value not in {k.value for k in Kind}:
                raise self.fail('must be "one-to-one" or "group"', *path)
            return Kind(value)
        if name == "supervisor":
            if value not in {r.value for r in SupervisorRole}:
                raise self.fail('must be "line" or "clinical"', *path)
            return SupervisorRole(value)
        if name == "interval_days":
            tiers = {t.value for t in TIERS}
            if not isinstance(value, dict) or set(value) - tiers:
                raise self.fail("must be { high = …, standard = …, low = … }", *path)
            return value
        if name == "new_starter_caps":
            if not isinstance(value, list) or not all(
                isinstance(p, list) and len(p) == 2 for p in value
            ):
                raise self.fail("must be a list of [days in post, interval] pairs", *path)
            return tuple((a, b) for a, b in value)
        if name == "aliases":
            if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
                raise self.fail('must be a list of words in double quotes: ["…", "…"]', *path)
            return tuple(value)
        # agenda
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise self.fail('must be a table of key = "words"', *path)
        for area in value:
            if not KEY_PATTERN.fullmatch(area):
                raise self.fail(
                    "an agenda key starts with a lower-case letter and holds only lower-case "
                    "letters, digits and underscores",
                    *path,
                    area,
                )
        return tuple(value.items())


def read_policy_file(text: str, current: Policy) -> Policy:
    """``current`` with what the TOML ``text`` changes. Raises ``PolicyFileError`` (naming the
    key and the line) for anything unreadable, unknown or unsound; nothing is changed then."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyFileError(f"The file is not valid TOML: {exc}.") from exc
    lines = _Lines(text)
    reader = _Reader(lines)
    if "format" not in data:
        raise PolicyFileError("The file has no format = 1 line: it is not a Keel policy file.")
    if data["format"] != FORMAT:
        raise reader.fail(
            f"this Keel reads policy files of format {FORMAT} (it says {data['format']!r})",
            "format",
        )
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name in ("format", "types"):
            continue
        s = SETTINGS_BY_NAME.get(name)
        if s is None:
            known = ", ".join(["format", *(x.name for x in SETTINGS), "types"])
            raise reader.fail(f"unknown key; a policy file has {known}", name)
        values[name] = reader.setting(s, value, getattr(current, name))
    types = list(current.types)
    given = data.get("types", {})
    if not isinstance(given, dict):
        raise reader.fail("must be tables: [types.KEY]", "types")
    for key, table in given.items():
        if not KEY_PATTERN.fullmatch(key):
            raise reader.fail(
                "a type key starts with a lower-case letter and holds only lower-case letters, "
                "digits and underscores (at most 40)",
                "types",
                key,
            )
        fields = reader.type_fields(key, table)
        found = next((n for n, t in enumerate(types) if t.key == key), None)
        if found is None:
            missing = [f for f in _NEW_TYPE_NEEDS if f not in fields]
            if missing:
                raise reader.fail(
                    f"a new type needs {', '.join(missing)} (it has no values to keep)",
                    "types",
                    key,
                )
            kind = fields.pop("kind")
            label = fields.pop("label")
            types.append(new_type(key, label, kind, **_spec_fields(fields, None)))
            continue
        spec = types[found]
        if "kind" in fields and fields["kind"] is not spec.kind:
            raise reader.fail(
                f"the type {key!r} is {spec.kind.value}: a type keeps its kind (add a new type "
                "instead)",
                "types",
                key,
                "kind",
            )
        fields.pop("kind", None)
        types[found] = replace(spec, **_spec_fields(fields, spec))
    policy = replace(current, types=tuple(types), **values)
    problems = policy.problems()
    if problems:
        raise PolicyFileError(
            "The file's policy cannot be used: "
            + "; ".join(_located(p, policy, lines) for p in problems)
        )
    return policy


def _spec_fields(fields: dict[str, Any], spec: TypeSpec | None) -> dict[str, Any]:
    out = dict(fields)
    if "interval_days" in out:
        base = dict(spec.intervals) if spec is not None else {}
        out["intervals"] = {**base, **out.pop("interval_days")}
    if "agenda" in out and not isinstance(out["agenda"], tuple):
        out["agenda"] = tuple(out["agenda"])
    return out


def _located(problem: str, policy: Policy, lines: _Lines) -> str:
    """A problem with the place in the file it comes from, when one can be told."""
    lowered = problem.casefold()
    for spec in policy.types:
        names = {spec.label.casefold(), spec.key}
        if any(n and n in lowered for n in names):
            number = lines.of("types", spec.key)
            if number:
                return f"{problem} ([types.{spec.key}], line {number})"
    for s in SETTINGS:
        if s.label.casefold() in lowered:
            number = lines.of(s.name)
            if number:
                return f"{problem} ({s.name}, line {number})"
    return problem


# --- Showing -------------------------------------------------------------------------------


def describe_policy(version: PolicyVersion, versions: list[PolicyVersion], on: date) -> str:
    """``keel policy show``: the policy in force, its types and every version, as text."""
    policy = version.policy
    out = [
        f"Supervision policy in force on {uk(on)}: version {version.version} ({version.since}), "
        f"saved {version.created_at[:10] or '—'} by {version.created_by or 'not recorded'}.",
        f"Reason: {version.reason or 'not given'}",
        f"Service: {policy.service_name}"
        + (f" (registration {policy.registration_number})" if policy.registration_number else ""),
        "",
        "Supervision types (days between held sessions by risk tier: high / standard / low):",
    ]
    for t in policy.types:
        tiers = " / ".join(str(t.intervals[x.value]) for x in TIERS)
        caps = "; ".join(f"≤ {a} days in post: every {b}" for a, b in t.new_starter_caps)
        state = (
            "retired"
            if t.retired
            else ("required by default" if t.required_by_default else "not required by default")
        )
        out.append(
            f"  {t.key:<14} {t.label} — {t.kind.value}, {state}; every {tiers} days; first "
            f"within {t.first_window_days} days" + (f"; new starters: {caps}" if caps else "")
        )
    out += ["", "Settings:"]
    for s in SETTINGS:
        value = getattr(policy, s.name)
        shown = (
            ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in value.items())
            if isinstance(value, dict)
            else value
        )
        out.append(f"  {s.name} = {shown!s}")
    out += ["", "Versions (never changed; the latest effective on a date is in force):"]
    for v in versions:
        out.append(
            f"  v{v.version:<3} {v.since:<24} saved {v.created_at[:10] or '—'} by "
            f"{v.created_by or '—'}: {v.reason or '—'}"
        )
    return "\n".join(out) + "\n"
