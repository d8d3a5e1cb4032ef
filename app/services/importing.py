"""Staff import from a spreadsheet tracker (CSV), the way most teams start with Keel.

Two steps, so the desktop app can show what will happen before anything is written:

- :func:`preview_staff` reads and checks the file without touching any database;
- :func:`import_staff` writes it, all or nothing, in one transaction.

Every problem is reported as ``line N: column: what is wrong``, where N is the row number a
spreadsheet shows (the heading row is line 1). Importing the same file twice changes nothing:
workers are matched by ``staff_id`` (or, without one, by name and team), and an assessment or
an imported session is only added when the same one is not already there. On a re-import a
blank cell never clears what Keel holds; only filled-in cells change a worker.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from app.dates import parse_date, uk
from app.domain.catalogue import DEFAULT_CATALOGUE, Catalogue
from app.domain.model import (
    FACTORS,
    Employment,
    RiskFactors,
    SessionStatus,
    TypeKey,
    Worker,
)
from app.domain.policy import Policy
from app.domain.records import SessionRecord
from app.domain.schedule import tier_for
from app.errors import KeelError, UsageError
from app.services.bound import BoundService, bound
from app.storage import audit
from app.storage.db import Database, transaction
from app.storage.policies import current_policy
from app.storage.sessions import save_session, session_exists
from app.storage.workers import add_assessment, insert_worker, list_workers, update_worker

# A staff list is a few hundred rows at most; anything this big is the wrong file.
MAX_FILE_BYTES = 20 * 1024 * 1024

SAVE_AS_HINT = "in Excel use File → Save As → “CSV UTF-8 (Comma delimited)” and import that file"

# The columns before the ``last_<type key>`` ones (one per supervision type in use).
FIXED_COLUMNS: tuple[str, ...] = (
    "staff_id",
    "name",
    "role",
    "team",
    "start_date",
    "employment",
    *FACTORS,
    "assessed_on",
    "requires",
)


def last_columns(catalogue: Catalogue) -> dict[str, TypeKey]:
    """``last_<key>`` → key, for each type in use: the date it was last held."""
    return {t.csv_column: t.key for t in catalogue.active}


def columns(catalogue: Catalogue) -> tuple[str, ...]:
    """Every column Keel reads, in order."""
    return (*FIXED_COLUMNS, *last_columns(catalogue))


COLUMNS: tuple[str, ...] = columns(DEFAULT_CATALOGUE)  # with the built-in types

_LEVELS = {"1": 1, "2": 2, "3": 3, "low": 1, "medium": 2, "high": 3}


def _type_words(catalogue: Catalogue) -> dict[str, TypeKey]:
    """What a ``requires`` cell may say for each type in use (key, label, short label…)."""
    words: dict[str, TypeKey] = {}
    for spec in catalogue.active:
        for word in spec.words():
            words.setdefault(word, spec.key)
    return words


_EMPLOYMENT_WORDS = {e.value: e for e in Employment}


class ImportFailed(UsageError):
    """The file has problems; nothing was imported. ``problems`` lists every one."""

    def __init__(self, problems: Sequence[str], path: Path | None = None) -> None:
        self.problems: list[str] = list(problems)
        self.path = path
        where = f" in {path.name}" if path is not None else ""
        count = len(self.problems)
        first = f" First: {self.problems[0]}" if self.problems else ""
        super().__init__(
            f"Nothing was imported: {count} problem{'s' if count != 1 else ''}{where}.{first}"
        )


class ImportCancelled(KeelError):
    """The user stopped the import; the database is as it was."""

    def __init__(self) -> None:
        super().__init__("The import was cancelled: nothing was changed.")


@dataclass(frozen=True, slots=True)
class StaffRow:
    """One checked row of the file. ``None`` means the cell was blank (or the column absent):
    a new worker then gets the default, an existing worker keeps what Keel holds."""

    line: int
    name: str
    staff_id: str | None = None
    role: str | None = None
    team: str | None = None
    start_date: date | None = None
    employment: Employment | None = None
    factors: RiskFactors | None = None
    assessed_on: date | None = None
    requires: frozenset[TypeKey] | None = None
    last_held: dict[TypeKey, date] = field(default_factory=dict)

    @property
    def team_or_blank(self) -> str:
        return self.team or ""


@dataclass(frozen=True, slots=True)
class ImportPreview:
    """What the file holds, checked, before anything is written."""

    path: Path
    rows: list[StaffRow]
    problems: list[str]
    warnings: list[str]
    problem_lines: frozenset[int] = frozenset()
    columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    # Canonical column → the heading as the file spells it (problems quote the file's heading).
    headings: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class ImportResult:
    """What an import changed."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    assessments_added: int = 0
    sessions_added: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def workers(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def changed_anything(self) -> bool:
        return bool(self.created or self.updated or self.assessments_added or self.sessions_added)

    def summary(self) -> str:
        if not self.changed_anything:
            return (
                f"Nothing new to import: all {_count(self.workers, 'worker')} in the file "
                "are already up to date."
            )
        parts = [
            f"{n} {label}"
            for n, label in (
                (self.created, "new"),
                (self.updated, "updated"),
                (self.unchanged, "unchanged"),
            )
            if n
        ]
        return (
            f"Imported {_count(self.workers, 'worker')} ({', '.join(parts)}), "
            f"{_count(self.assessments_added, 'risk assessment')} and "
            f"{_count(self.sessions_added, 'past session')}."
        )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


# --------------------------------------------------------------------------------------------
# Reading the file


class _FileProblem(Exception):
    """The file cannot be read as a table at all (one problem, no rows)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _problem(line: int, column: str, message: str) -> str:
    return f"line {line}: {column}: {message}"


def _read_text(path: Path) -> str:
    """The file's text. Raises UsageError when it cannot be opened, _FileProblem when it is
    not a UTF-8 text file (with the line of the first bad byte)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise UsageError(
                f"{path.name} is {size // (1024 * 1024)} MB, far larger than a staff list: "
                "check that you chose the right file."
            )
        data = path.read_bytes()
    except IsADirectoryError:
        raise UsageError(f"{path} is a folder: choose the CSV file itself.") from None
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise UsageError(f"Could not read {path}: {why}. Check the path.") from None
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _FileProblem(
            1, f"this is an Excel workbook, not a CSV file: {SAVE_AS_HINT}"
        ) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode Text": UTF-16 with a byte order mark, usually tab-separated.
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise _FileProblem(1, f"is not readable UTF-16 text: {SAVE_AS_HINT}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 1].hex().upper()
        raise _FileProblem(
            line,
            f"is not UTF-8 text (byte 0x{bad} cannot be read): it was probably saved in an "
            f"older encoding; {SAVE_AS_HINT}",
        ) from None
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise _FileProblem(
            line,
            "contains a NUL character, so it is not a plain CSV text file (it may be damaged "
            f"or saved in another format); {SAVE_AS_HINT}",
        )
    return text


def _normalise_heading(cell: str) -> str:
    """'  Staff ID ' → 'staff_id'; 'Last-clinical' → 'last_clinical'."""
    words = cell.strip().casefold().replace("-", " ").replace("_", " ").split()
    return "_".join(words)


def _choose_delimiter(text: str) -> tuple[str, str]:
    """The delimiter, and the text without an Excel ``sep=`` line if there was one."""
    first, _, rest = text.partition("\n")
    stripped = first.strip()
    if stripped.lower().startswith("sep=") and len(stripped) == 5:
        # Excel reads this line as a setting and does not show it, so neither do we count it.
        return stripped[4], rest
    for delimiter in (",", ";", "\t"):
        try:
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            header = next((cells for cells in reader if not _is_empty(cells)), [])
        except csv.Error:
            continue
        if "name" in {_normalise_heading(c) for c in header}:
            return delimiter, text
    return ",", text


def _csv_error_message(exc: csv.Error) -> str:
    text = str(exc)
    if "unexpected end of data" in text:
        return (
            'a double quote (") opens a field that is never closed, so the rest of the file '
            "cannot be read; check the quotes on this row"
        )
    if "expected after" in text:
        return (
            "text follows a closing double quote; put the whole field in double quotes and "
            'double any quote inside it ("")'
        )
    if "field larger than field limit" in text:
        return f"a field is longer than {csv.field_size_limit()} characters"
    return f"could not be read as CSV ({text})"


def _records(text: str) -> tuple[list[tuple[int, list[str]]], _FileProblem | None]:
    """Every record with its spreadsheet row number, and the error that stopped reading."""
    delimiter, text = _choose_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[str]]] = []
    number = 0
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return records, None
        except csv.Error as exc:
            return records, _FileProblem(number, _csv_error_message(exc))
        records.append((number, cells))


# --------------------------------------------------------------------------------------------
# Checking the cells


def _has_control_characters(value: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in value)


class _RowChecker:
    """Turns one record into a StaffRow, collecting every problem and warning on the way."""

    def __init__(
        self,
        line: int,
        cells: dict[str, str],
        headings: dict[str, str],
        today: date,
        catalogue: Catalogue,
    ):
        self.line = line
        self.cells = cells
        self.headings = headings
        self.today = today
        self.catalogue = catalogue
        self.problems: list[str] = []
        self.warnings: list[str] = []

    def fail(self, column: str, message: str) -> None:
        self.problems.append(_problem(self.line, self.headings.get(column, column), message))

    def warn(self, column: str, message: str) -> None:
        self.warnings.append(_problem(self.line, self.headings.get(column, column), message))

    def text(self, column: str) -> str | None:
        value = self.cells.get(column, "").strip()
        if not value:
            return None
        if _has_control_characters(value):
            self.fail(
                column, "contains a line break or another control character; keep it on one line"
            )
        return value

    def day(self, column: str, *, past_only: str | None = None) -> date | None:
        value = self.cells.get(column, "").strip()
        if not value:
            return None
        try:
            parsed = parse_date(value)
        except ValueError as exc:
            self.fail(column, str(exc))
            return None
        if past_only is not None and parsed > self.today:
            self.fail(column, f"{uk(parsed)} is in the future; {past_only}")
            return None
        return parsed

    def employment(self) -> Employment | None:
        value = self.cells.get("employment", "").strip()
        if not value:
            return None
        found = _EMPLOYMENT_WORDS.get(value.casefold())
        if found is None:
            self.fail(
                "employment",
                f"{value!r} is not an employment type; use permanent, bank, agency or student",
            )
        return found

    def factors(self) -> RiskFactors | None:
        levels: dict[str, int] = {}
        blank: list[str] = []
        bad = False
        for name in FACTORS:
            value = self.cells.get(name, "").strip()
            if not value:
                blank.append(name)
                continue
            level = _LEVELS.get(value.casefold())
            if level is None:
                bad = True
                self.fail(
                    name, f"{value!r} is not a risk level; use 1, 2 or 3 (or low, medium, high)"
                )
            else:
                levels[name] = level
        if len(blank) == len(FACTORS):
            return None
        if blank:
            # Only the columns the file has: a missing column is reported once, on line 1.
            given = [self.headings.get(n, n) for n in FACTORS if n not in blank]
            verb = "is" if len(given) == 1 else "are"
            for name in blank:
                if name in self.headings:
                    self.fail(
                        name,
                        f"is empty, but {', '.join(given)} {verb} filled in; "
                        "give all four risk factors or none",
                    )
            return None
        if bad:
            return None
        return RiskFactors(**levels)

    def requires(self) -> frozenset[TypeKey] | None:
        value = self.cells.get("requires", "").strip()
        if not value:
            return None
        found: set[TypeKey] = set()
        words = _type_words(self.catalogue)
        for part in value.replace(",", ";").split(";"):
            word = " ".join(part.split()).casefold()
            if not word:
                continue
            type_ = words.get(word)
            if type_ is None:
                keys = [t.key for t in self.catalogue.active]
                listed = ", ".join(keys[:-1]) + f" and/or {keys[-1]}" if len(keys) > 1 else keys[0]
                self.fail(
                    "requires",
                    f"{part.strip()!r} is not a supervision type; use {listed}, separated by ';'",
                )
            else:
                found.add(type_)
        return frozenset(found) if found else None

    def check(self) -> StaffRow | None:
        name = self.text("name")
        if name is None:
            self.fail("name", "is empty; every row needs the worker's name")
        staff_id = self.text("staff_id")
        role = self.text("role")
        team = self.text("team")
        start_date = self.day("start_date")
        employment = self.employment()
        factors = self.factors()
        assessed_on = self.day(
            "assessed_on", past_only="a risk assessment cannot be dated after today"
        )
        requires = self.requires()
        last_held: dict[TypeKey, date] = {}
        for column, type_ in last_columns(self.catalogue).items():
            held = self.day(column, past_only="only sessions already held can be imported")
            if held is not None:
                last_held[type_] = held
        if assessed_on is not None and factors is None and not self.problems:
            self.warn(
                "assessed_on", "ignored: this row has no risk factors, so there is no assessment"
            )
        if requires is not None:
            for type_ in last_held:
                if type_ not in requires:
                    self.warn(
                        f"last_{type_}",
                        f"recorded as a held session, though the row's requires column does not "
                        f"include {type_}",
                    )
        if self.problems or name is None:
            return None
        return StaffRow(
            line=self.line,
            name=name,
            staff_id=staff_id,
            role=role,
            team=team,
            start_date=start_date,
            employment=employment,
            factors=factors,
            assessed_on=(assessed_on or self.today) if factors is not None else None,
            requires=requires,
            last_held=last_held,
        )


def _check_header(
    line: int, header: list[str], known: tuple[str, ...]
) -> tuple[dict[str, int], dict[str, str], list[int], list[str], list[str]]:
    """Map known columns to their position. Returns (positions, headings as written, positions
    of blank headings, unknown headings, problems)."""
    positions: dict[str, int] = {}
    headings: dict[str, str] = {}
    blank: list[int] = []
    unknown: list[str] = []
    problems: list[str] = []
    for index, cell in enumerate(header):
        key = _normalise_heading(cell)
        if not key:
            blank.append(index)
        elif key in known:
            if key in positions:
                problems.append(
                    _problem(
                        line,
                        cell.strip(),
                        f"this column appears twice (columns {positions[key] + 1} and "
                        f"{index + 1}); keep one",
                    )
                )
            else:
                positions[key] = index
                headings[key] = cell.strip()
        else:
            unknown.append(cell.strip())
    if "name" not in positions:
        found = ", ".join(c.strip() for c in header if c.strip()) or "nothing"
        problems.append(
            _problem(
                line,
                "name",
                "there is no 'name' column; the first row must hold the column headings "
                f"(staff_id, name, role, team, …), but it holds: {found}",
            )
        )
    given = [n for n in FACTORS if n in positions]
    if given:
        for name in FACTORS:
            if name not in positions:
                problems.append(
                    _problem(
                        line,
                        name,
                        "column missing; the four risk factor columns (cohort_risk, "
                        "decision_complexity, support_need, volatility) go together",
                    )
                )
    return positions, headings, blank, unknown, problems


def _is_empty(cells: Iterable[str]) -> bool:
    return all(not c.strip() for c in cells)


def _ragged(line: int, count: int, needed: int, width: int) -> str | None:
    """A problem when a row has more cells than the heading row or fewer than it needs."""
    if count > width:
        advice = "a comma inside a field needs the whole field in double quotes"
        expected = width
    elif count < needed:
        advice = "check for a missing separator or a line break inside a field"
        expected = needed
    else:
        return None
    return _problem(line, "row", f"has {count} cells but the heading row has {expected}; {advice}")


def preview_staff(
    path: Path, *, today: date, catalogue: Catalogue = DEFAULT_CATALOGUE
) -> ImportPreview:
    """Read and check ``path`` without touching any database.

    ``catalogue`` is the policy's supervision types (what ``requires`` may name and which
    ``last_<key>`` columns there are); the built-in ones when not given.

    Raises ``UsageError`` only when the file cannot be opened at all; everything wrong inside
    it is listed in ``problems``, in line order.
    """
    try:
        records, stopped = _records(_read_text(path))
    except _FileProblem as bad:
        problem = _problem(bad.line, "file", bad.message)
        return ImportPreview(path, [], [problem], [], frozenset({bad.line}))

    content = [(n, cells) for n, cells in records if not _is_empty(cells)]
    if not content:
        empty = stopped or _FileProblem(
            1,
            "the file is empty; it needs a row of column headings (staff_id, name, role, "
            "team, …) and one row per worker",
        )
        return ImportPreview(
            path, [], [_problem(empty.line, "file", empty.message)], [], frozenset({empty.line})
        )

    header_line, header = content[0]
    known = columns(catalogue)
    positions, headings, blank_headings, unknown, header_problems = _check_header(
        header_line, header, known
    )
    problems: list[tuple[int, str]] = [(header_line, p) for p in header_problems]
    if "name" not in positions:
        return ImportPreview(path, [], header_problems, [], frozenset({header_line}))

    width = len(header)
    needed = max(i for i, c in enumerate(header) if c.strip()) + 1
    rows: list[StaffRow] = []
    identities: list[tuple[int, str | None, str, str]] = []
    warnings: list[str] = []
    unheaded_data: set[int] = set()
    for line, cells in content[1:]:
        ragged = _ragged(line, len(cells), needed, width)
        if ragged is not None:
            problems.append((line, ragged))
            continue
        unheaded_data.update(i for i in blank_headings if i < len(cells) and cells[i].strip())
        values = {key: cells[i] if i < len(cells) else "" for key, i in positions.items()}
        checker = _RowChecker(line, values, headings, today, catalogue)
        row = checker.check()
        warnings += checker.warnings
        problems += [(line, p) for p in checker.problems]
        if row is not None:
            rows.append(row)
        if values["name"].strip():
            staff_id = values.get("staff_id", "").strip() or None
            identities.append((line, staff_id, values["name"], values.get("team", "")))

    problems += _duplicates(identities, headings)
    if stopped is not None:
        problems.append((stopped.line, _problem(stopped.line, "file", stopped.message)))
    if len(content) == 1 and not problems:
        message = "has column headings but no rows of staff to import"
        problems.append((header_line, _problem(header_line, "file", message)))
    problems.sort(key=lambda item: item[0])  # stable: a row's problems keep column order
    problem_lines = frozenset(line for line, _ in problems)

    ignored = list(dict.fromkeys(unknown))
    ignored += [f"column {i + 1} (no heading)" for i in sorted(unheaded_data)]
    if ignored:
        warnings.insert(
            0,
            f"Ignored {_count(len(ignored), 'column')} Keel does not use: {', '.join(ignored)}.",
        )
    return ImportPreview(
        path=path,
        rows=[r for r in rows if r.line not in problem_lines],
        problems=[p for _, p in problems],
        warnings=warnings,
        problem_lines=problem_lines,
        columns=[k for k in known if k in positions],
        ignored_columns=ignored,
        headings=headings,
    )


def _name_key(name: str, team: str) -> tuple[str, str]:
    """Name and team compared ignoring case and runs of spaces."""
    return (" ".join(name.split()).casefold(), " ".join(team.split()).casefold())


def _duplicates(
    identities: list[tuple[int, str | None, str, str]], headings: dict[str, str]
) -> list[tuple[int, str]]:
    """Rows that would import the same worker twice, as (line, problem) pairs."""
    problems: list[tuple[int, str]] = []
    by_id: dict[str, int] = {}
    by_name: dict[tuple[str, str], int] = {}
    for line, staff_id, name, team in identities:
        if staff_id is not None:
            first = by_id.setdefault(staff_id, line)
            if first != line:
                message = f"{staff_id!r} is also on line {first}; each staff_id must be unique"
                problems.append(
                    (line, _problem(line, headings.get("staff_id", "staff_id"), message))
                )
            continue
        first = by_name.setdefault(_name_key(name, team), line)
        if first != line:
            in_team = f" in team {team.strip()!r}" if team.strip() else ""
            message = (
                f"{name.strip()!r}{in_team} is also on line {first}; give each a staff_id, "
                "or remove the repeated row"
            )
            problems.append((line, _problem(line, headings.get("name", "name"), message)))
    return problems


# --------------------------------------------------------------------------------------------
# Writing


def _match_workers(
    rows: list[StaffRow], existing: list[Worker], headings: dict[str, str]
) -> tuple[list[Worker | None], list[str], list[str]]:
    """The stored worker each row updates (None: a new worker), problems and warnings."""
    by_staff_id = {w.staff_id: w for w in existing if w.staff_id}
    by_name: dict[tuple[str, str], list[Worker]] = {}
    for w in existing:
        by_name.setdefault(_name_key(w.name, w.team), []).append(w)
    name_column = headings.get("name", "name")
    matched: list[Worker | None] = [None] * len(rows)
    claimed: dict[str, int] = {}
    problems: list[str] = []
    warnings: list[str] = []

    def claim(i: int, worker: Worker) -> None:
        row = rows[i]
        other = claimed.get(worker.id)
        if other is not None:
            problems.append(
                _problem(
                    row.line,
                    name_column,
                    f"matches the same worker in Keel ({worker.name}) as line {other}; "
                    "give each row its own staff_id",
                )
            )
            return
        claimed[worker.id] = row.line
        matched[i] = worker
        if worker.left_on is not None:
            warnings.append(
                _problem(
                    row.line,
                    name_column,
                    f"{worker.name} left on {uk(worker.left_on)}; the record is updated but "
                    "stays marked as left",
                )
            )

    # Rows with a staff_id first: they are the unambiguous ones.
    for i, row in enumerate(rows):
        if row.staff_id is None:
            continue
        worker = by_staff_id.get(row.staff_id)
        if worker is None:
            # A worker first imported without IDs: adopt them rather than add a duplicate.
            candidates = [
                w for w in by_name.get(_name_key(row.name, row.team_or_blank), []) if not w.staff_id
            ]
            if len(candidates) == 1:
                worker = candidates[0]
                warnings.append(
                    _problem(
                        row.line,
                        headings.get("staff_id", "staff_id"),
                        f"{worker.name} was already in Keel without a staff ID; "
                        f"{row.staff_id!r} was added to their record",
                    )
                )
        if worker is not None:
            claim(i, worker)
    for i, row in enumerate(rows):
        if row.staff_id is not None:
            continue
        candidates = [
            w
            for w in by_name.get(_name_key(row.name, row.team_or_blank), [])
            if w.id not in claimed
        ]
        if len(candidates) > 1:
            team = f" in team {row.team!r}" if row.team else ""
            problems.append(
                _problem(
                    row.line,
                    name_column,
                    f"{len(candidates)} workers called {row.name!r}{team} are already in Keel; "
                    "add a staff_id column to tell them apart",
                )
            )
        elif candidates:
            claim(i, candidates[0])
    return matched, problems, warnings


def _new_worker(row: StaffRow, catalogue: Catalogue) -> Worker:
    return Worker(
        id="",
        name=row.name,
        role=row.role or "",
        team=row.team or "",
        start_date=row.start_date,
        employment=row.employment or Employment.PERMANENT,
        staff_id=row.staff_id,
        requires=row.requires if row.requires is not None else catalogue.required_by_default,
    )


def _updated_worker(stored: Worker, row: StaffRow) -> Worker:
    """``stored`` with the row's filled-in cells applied; blank cells keep what is stored."""
    return replace(
        stored,
        name=row.name,
        staff_id=row.staff_id or stored.staff_id,
        role=stored.role if row.role is None else row.role,
        team=stored.team if row.team is None else row.team,
        start_date=stored.start_date if row.start_date is None else row.start_date,
        employment=stored.employment if row.employment is None else row.employment,
        requires=stored.requires if row.requires is None else row.requires,
    )


def _assessment_exists(db: Database, worker_id: str, on: date, factors: RiskFactors) -> bool:
    row = db.execute(
        "SELECT 1 FROM risk_assessments WHERE worker_id = ? AND assessed_on = ? "
        "AND cohort_risk = ? AND decision_complexity = ? AND support_need = ? "
        "AND volatility = ? LIMIT 1",
        [
            worker_id,
            on.isoformat(),
            factors.cohort_risk,
            factors.decision_complexity,
            factors.support_need,
            factors.volatility,
        ],
    ).fetchone()
    return row is not None


def _add_assessment(
    db: Database, worker_id: str, row: StaffRow, policy: Policy, source_name: str, *, new: bool
) -> int:
    """Add the row's assessment unless the same one is stored (a worker ``new`` in this import
    has none). Returns how many were added."""
    if row.factors is None or row.assessed_on is None:
        return 0
    if not new and _assessment_exists(db, worker_id, row.assessed_on, row.factors):
        return 0
    tier, reason = tier_for(row.factors, policy)
    add_assessment(
        db,
        worker_id,
        row.assessed_on,
        row.factors,
        tier,
        assessed_by="import",
        rationale=f"Imported from {source_name} (line {row.line}). {reason}.",
        source="import",
    )
    return 1


def _add_sessions(
    db: Database, worker_id: str, row: StaffRow, catalogue: Catalogue, *, new: bool
) -> int:
    """A held, imported session for each last_* date not already stored (a worker ``new`` in
    this import has none). Returns the count."""
    added = 0
    for type_, held_on in row.last_held.items():
        if not new and session_exists(db, worker_id, type_, held_on, SessionStatus.HELD):
            continue
        group = catalogue.is_group(type_)
        save_session(
            db,
            SessionRecord(
                type=type_,
                status=SessionStatus.HELD,
                session_date=held_on,
                worker_id=None if group else worker_id,
                attendees=[worker_id] if group else [],
                imported=True,
            ),
        )
        added += 1
    return added


def import_staff(
    db: Database,
    path: Path,
    *,
    today: date,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ImportResult:
    """Import ``path`` into ``db``, all or nothing, in one transaction.

    Raises ``ImportFailed`` (listing every problem) or ``ImportCancelled``; in both cases the
    database is unchanged. ``progress(done, total)`` is called after each row; ``cancelled()``
    is asked before each row.
    """
    policy = current_policy(db, today)
    catalogue = policy.catalogue
    preview = preview_staff(path, today=today, catalogue=catalogue)
    if preview.problems:
        raise ImportFailed(preview.problems, path)
    rows = preview.rows
    total = len(rows)
    result = ImportResult(warnings=list(preview.warnings))
    if progress is not None:
        progress(0, total)
    with transaction(db, f"import {path.name}"):
        matched, problems, warnings = _match_workers(
            rows, list_workers(db, include_left=True), preview.headings
        )
        if problems:
            raise ImportFailed(problems, path)
        result.warnings += warnings
        for done, (row, stored) in enumerate(zip(rows, matched, strict=True), start=1):
            if cancelled is not None and cancelled():
                raise ImportCancelled()
            if stored is None:
                worker = insert_worker(db, _new_worker(row, catalogue))
                audit.append(db, "create", "worker", worker.id, {"name": worker.name})
                result.created += 1
            else:
                worker = _updated_worker(stored, row)
                if worker != stored:
                    update_worker(db, worker)
                    audit.append(db, "change", "worker", worker.id, {"name": worker.name})
                    result.updated += 1
                else:
                    result.unchanged += 1
            new = stored is None
            # Each assessment writes its own audit entry (evidence).
            result.assessments_added += _add_assessment(
                db, worker.id, row, policy, path.name, new=new
            )
            result.sessions_added += _add_sessions(db, worker.id, row, catalogue, new=new)
            if progress is not None:
                progress(done, total)
        audit.append(db, "import", "staff", None, {
            "file": path.name, "created": result.created, "updated": result.updated,
            "assessments": result.assessments_added, "sessions": result.sessions_added,
        })  # fmt: skip
    return result


class ImportService(BoundService):
    """Importing staff from a CSV file. (The open database given: see ``app.services.bound``.)"""

    import_staff = bound(import_staff)
