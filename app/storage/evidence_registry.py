"""What Keel treats as evidence, and how ``check`` proves none of it changed behind Keel's back.

The mechanism, for anyone adding evidence (a new table, a new kind of signature):

1. **Declare a kind** (:class:`Kind`): its name, the audit ``entity`` its entries use, how to
   read the *canonical content* of its rows in bulk (``load``), the number of that content's
   *form*, how to name a row in a sentence (``labels`` and ``title``), and the tables and columns
   it covers. A table whose columns are its content can use :func:`table_kind`. Register it
   with :func:`register` in your storage module and add that module to :data:`KIND_MODULES`.
2. **Record every write** in the same transaction: :func:`record` after an insert or a change,
   :func:`record_delete` *before* a delete (it reads the row to name it). The audit entry
   carries ``detail["evidence"] = {"kind", "id", "form", "hash", "labels"}``: the SHA-256 of
   the row's canonical content in that form (``hash`` is null for a delete). Bulk writers (the
   demo, a migration's baseline) use :func:`record_many`. Nothing else writes these rows.
3. **``check`` replays** (:func:`verify`): for every row of every kind, the last entry that
   carries its evidence says what it must hash to now, or that it must be absent; a row with
   no entry was added outside Keel. Each disagreement is one :class:`Finding`, a sentence that
   names the row (what, whose, which date, its id).
4. **Forms are versioned and never change.** To change what a kind covers, add form N+1 to
   ``Kind.forms``, make it ``Kind.form`` (what :func:`record` writes), and keep form N loading:
   rows whose last entry names form N are checked against it. A form's loader must keep
   working on the schema of the migration that introduced it (a migration's baseline names its
   form explicitly). A later migration may change how a value is *labelled*, never a stored
   value of a signed record: fingerprints and hashes are of stored values.
5. **Exempt columns** (they change legitimately without an entry of their own, such as an
   action's progress after its record was signed) are listed in ``Kind.exempt`` with the
   reason. ``tests/app/test_tampering.py`` changes every column of every table a kind covers
   and expects ``check`` to name the row, except the columns listed there.
6. **A starting point**: rows that existed before a kind was tracked get one ``baseline`` entry
   each, written by the migration that began tracking them (:func:`begin_tracking`), saying so.

The audit trail itself is checked by ``app.storage.audit.verify_chain`` (no gap, no changed
entry) and ``app.storage.witness`` (no missing tail); the triggers that protect these tables by
``app.storage.protections``.
"""

from __future__ import annotations

import importlib
import json
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from app import dbapi
from app.dates import uk
from app.domain.rows import Finding
from app.storage import audit
from app.storage.db import Database

# Modules that register kinds when imported (add yours).
KIND_MODULES: tuple[str, ...] = (
    "app.storage.evidence_kinds",
    "app.storage.countersign_evidence",
    "app.storage.group_acks",
)

Labels = dict[str, Any]
Row = tuple[Any, Labels]  # a row's canonical content, and what names it in a sentence
Loader = Callable[[Database, Sequence[str] | None, int], dict[str, Row]]


@dataclass(frozen=True)
class Kind:
    """One kind of evidence (see the module)."""

    name: str
    entity: str  # the audit entries' entity
    noun: str  # "risk assessment": used when a row cannot be named better
    load: Loader  # (db, ids or None for all, form) -> {id: (content, labels)}
    title: Callable[[Labels, Mapping[str, str]], str]  # (labels, worker names) -> "the … of …"
    tables: Mapping[str, tuple[str, ...]]  # table -> the columns the current form covers
    form: int = 1
    forms: tuple[int, ...] = (1,)
    plural: str = ""  # the noun's plural, when it is not the noun + "s"
    exempt: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # Why rows are not there although their last entries ({id: seq}) say they should be:
    # {id: clause}; a row left out is said to be deleted.
    absent: Callable[[Database, dict[str, int]], dict[str, str]] | None = None
    # Problems found by looking at rows themselves (a signed record's printed fingerprint):
    # (db, current rows, their last entries, ids whose replay already failed) -> {id: clause}.
    inspect: (
        Callable[[Database, dict[str, Row], Mapping[str, Last], set[str]], dict[str, str]] | None
    ) = None

    @property
    def nouns(self) -> str:
        return self.plural or f"{self.noun}s"

    def digest(self, content: Any, form: int | None = None) -> str:
        """SHA-256 of the kind, the form and the content: a text as it is (see
        :func:`quoted`), anything else as canonical JSON."""
        import hashlib  # when a record is written or checked, never to show the schedule

        form = self.form if form is None else form
        if not isinstance(content, str):
            content = json.dumps(content, sort_keys=True, separators=(",", ":"),
                                 ensure_ascii=False)  # fmt: skip
        return hashlib.sha256(f"{self.name}\x1d{form}\x1d{content}".encode()).hexdigest()


_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    if kind.form not in kind.forms:
        raise ValueError(f"{kind.name}: form {kind.form} is not one of its forms")
    _KINDS[kind.name] = kind
    return kind


def kinds() -> dict[str, Kind]:
    """Every registered kind (importing the modules that register them)."""
    for module in KIND_MODULES:
        importlib.import_module(module)
    return dict(_KINDS)


def kind_named(name: str) -> Kind:
    found = kinds().get(name)
    if found is None:
        raise KeyError(f"no evidence kind {name!r}")
    return found


# --------------------------------------------------------------------------- recording


def _evidence(kind: Kind, row_id: str, row: Row, form: int, *, deleted: bool) -> Labels:
    content, labels = row
    return {
        "kind": kind.name,
        "id": row_id,
        "form": form,
        "hash": None if deleted else kind.digest(content, form),
        "labels": {k: v for k, v in labels.items() if not k.startswith("_")},
    }


def record(
    db: Database,
    action: str,
    kind: str,
    row_id: str,
    *,
    detail: dict[str, Any] | None = None,
    actor: str = "",
    entity_id: str | None = None,
) -> str:
    """Append the audit entry of a write of evidence (after the insert or change, in the same
    transaction): ``detail`` plus the row's evidence. Returns the entry's hash."""
    k = kind_named(kind)
    row = k.load(db, [row_id], k.form).get(row_id)
    if row is None:
        raise LookupError(f"there is no {k.noun} {row_id} to record")
    evidence = _evidence(k, row_id, row, k.form, deleted=False)
    return audit.append(
        db, action, k.entity, entity_id or row_id, {**(detail or {}), "evidence": evidence},
        actor=actor,
    )  # fmt: skip


def record_delete(
    db: Database,
    kind: str,
    row_id: str,
    *,
    action: str = "delete",
    detail: dict[str, Any] | None = None,
    actor: str = "",
) -> bool:
    """Append the audit entry of deleting a row of evidence; call it *before* the delete, in
    the same transaction. False (nothing appended) when there is no such row."""
    k = kind_named(kind)
    row = k.load(db, [row_id], k.form).get(row_id)
    if row is None:
        return False
    evidence = _evidence(k, row_id, row, k.form, deleted=True)
    audit.append(db, action, k.entity, row_id, {**(detail or {}), "evidence": evidence},
                 actor=actor)  # fmt: skip
    return True


def record_many(
    db: Database,
    action: str,
    kind: str,
    ids: Sequence[str] | None = None,
    *,
    detail: Callable[[str, Any], dict[str, Any]] | dict[str, Any] | None = None,
    actor: Callable[[str, Any], str] | str = "",
    form: int | None = None,
    entity_id: Callable[[str, Any], str] | None = None,
) -> int:
    """Record many rows of one kind at once (every row when ``ids`` is None; in the order of
    ``ids``, else by id). ``detail``, ``actor`` and ``entity_id`` may be functions of (id,
    content). Returns how many were recorded."""
    k = kind_named(kind)
    form = k.form if form is None else form
    rows = k.load(db, list(ids) if ids is not None else None, form)
    order = [i for i in ids if i in rows] if ids is not None else sorted(rows)
    entries: list[audit.Entry] = []
    for row_id in order:
        row = rows[row_id]
        extra = detail(row_id, row[0]) if callable(detail) else dict(detail or {})
        evidence = _evidence(k, row_id, row, form, deleted=False)
        target = entity_id(row_id, row[0]) if entity_id else row_id
        who = actor(row_id, row[0]) if callable(actor) else actor
        entries.append((action, k.entity, target, {**extra, "evidence": evidence}, who))
    if entries:
        audit.append_many(db, entries)
    return len(entries)


BASELINE_NOTE = (
    "baseline: the row as it stood when Keel began keeping evidence of it (schema {schema}); "
    "changes made before then cannot be verified"
)


def begin_tracking(db: Database, names: Sequence[str], schema: int) -> dict[str, int]:
    """A migration's starting point: one ``baseline`` entry per existing row of the kinds
    ``names`` (in their form 1), then one entry saying how many. Returns the counts."""
    note = BASELINE_NOTE.format(schema=schema)
    counts = {name: record_many(db, "baseline", name, detail={"note": note}, form=1)
              for name in names}  # fmt: skip
    from app.storage.identity import database_id

    audit.append(db, "begin_evidence", "database", database_id(db),
                 {"schema": schema, "baseline": counts})  # fmt: skip
    return counts


# --------------------------------------------------------------------------- replaying


class Last(NamedTuple):
    """The last audit entry that carried a row's evidence (a tuple: a long trail makes one
    per entry)."""

    seq: int
    form: int
    hash: str | None
    action: str


# The evidence of an entry as Keel writes it (json.dumps with sorted keys): read with a pattern
# rather than a JSON parser, several times faster over a long trail. Inside a JSON string a quote
# is always escaped, so the pattern matches only the structure itself; an entry it does not
# match (not written by Keel) is parsed in full.
_EVIDENCE = re.compile(
    r'"evidence": \{"form": (\d+), "hash": (?:null|"([0-9a-f]*)"), "id": "([^"\\]*)", '
    r'"kind": "([a-z_]+)"'
)


def _last_entries(db: Database) -> dict[str, dict[str, Last]]:
    """The last evidence entry of every row, by kind and id, from the whole trail."""
    last: dict[str, dict[str, Last]] = {}
    # Only the part from the evidence's first fields on crosses into Python (SQLite finds it).
    # The whole detail is read only for an entry the pattern does not match.
    rows = db.execute(
        "SELECT seq, action, substr(detail, instr(detail, '\"evidence\": {'), 220) "
        "FROM audit_log WHERE instr(detail, '\"evidence\"') > 0 ORDER BY seq"
    )
    match = _EVIDENCE.match
    for seq, action, start in rows:
        found = match(start)
        if found is not None:
            form, digest, row_id, kind = found.groups()
            last.setdefault(kind, {})[row_id] = Last(int(seq), int(form), digest, action)
            continue
        whole = db.execute("SELECT detail FROM audit_log WHERE seq = ?", [seq]).fetchone()
        try:
            evidence = json.loads(whole[0]).get("evidence")
        except (ValueError, AttributeError):
            continue
        if not isinstance(evidence, dict):
            continue
        kind, row_id, form, digest = (evidence.get(k) for k in ("kind", "id", "form", "hash"))
        if isinstance(kind, str) and isinstance(row_id, str):
            last.setdefault(kind, {})[row_id] = Last(
                int(seq),
                form if isinstance(form, int) else 1,
                digest if isinstance(digest, str) else None,
                str(action),
            )
    return last


def _labels_of(db: Database, seq: int) -> Labels:
    row = db.execute(
        "SELECT json_extract(detail, '$.evidence.labels') FROM audit_log WHERE seq = ?", [seq]
    ).fetchone()
    try:
        found = json.loads(row[0]) if row and row[0] else {}
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def verify(db: Database) -> list[Finding]:
    """Every row of every kind against the replay of the audit trail (see the module)."""
    last = _last_entries(db)
    names = dict(db.execute("SELECT id, name FROM workers").fetchall())
    findings: list[Finding] = []
    for kind in kinds().values():
        findings += _verify_kind(db, kind, last.get(kind.name, {}), names)
    return findings


_ADDED = "was added outside Keel: no audit entry records it"


def _verify_kind(
    db: Database, kind: Kind, last: dict[str, Last], names: Mapping[str, str]
) -> list[Finding]:
    """``kind``'s rows against ``last``, the last evidence entry of each of its rows."""
    # Each row is read once, in the form its last entry recorded it: every row in the form
    # most entries use, then the others by id in theirs (reading every signed record in both
    # forms, as before, more than doubled `check` once issue 16 added a second form).
    used = Counter(e.form for e in last.values() if e.hash is not None and e.form in kind.forms)
    bulk = used.most_common(1)[0][0] if used else kind.form
    loaded: dict[int, dict[str, Row]] = {bulk: kind.load(db, None, bulk)}
    current = loaded[bulk]  # every row (the forms differ in content, not in which rows)
    by_form: dict[int, list[str]] = {}
    for row_id in current:
        entry = last.get(row_id)
        recorded = entry is not None and entry.hash is not None and entry.form in kind.forms
        wanted = entry.form if recorded and entry else kind.form
        if wanted != bulk:
            by_form.setdefault(wanted, []).append(row_id)
    for form, ids in by_form.items():
        loaded[form] = kind.load(db, ids, form)
    problems: dict[str, tuple[str, str]] = {}  # id -> (problem, clause)
    for row_id in current:
        found = last.get(row_id)
        if found is None:
            problems[row_id] = ("added", _ADDED)
        elif found.hash is None:
            problems[row_id] = (
                "restored",
                f"is present although audit entry #{found.seq} recorded its deletion: it was "
                "put back outside Keel",
            )
        else:
            then = loaded.get(found.form, {}).get(row_id)
            shown = then[0] if then else None
            if shown is None or kind.digest(shown, found.form) != found.hash:
                problems[row_id] = (
                    "changed",
                    f"was changed outside Keel: it no longer matches audit entry #{found.seq}, "
                    "which recorded it",
                )
    gone = {
        row_id: entry.seq
        for row_id, entry in last.items()
        if entry.hash is not None and row_id not in current
    }
    why = kind.absent(db, gone) if kind.absent and gone else {}
    for row_id, seq in gone.items():
        problems[row_id] = (
            "deleted",
            why.get(row_id)
            or f"was deleted outside Keel: audit entry #{seq} recorded it and no audited "
            "deletion follows",
        )
    noticed = kind.inspect(db, current, last, set(problems)) if kind.inspect else {}
    findings = []
    for row_id in sorted(set(problems) | set(noticed)):
        # Named as its last entry recorded it (a changed row may name another date or worker
        # now); a row no entry records, as it stands.
        labels = _labels_of(db, last[row_id].seq) if row_id in last else current[row_id][1]
        title = f"{kind.title(labels, names)} (id {row_id})"
        problem, clause = problems.get(row_id, ("inspected", ""))
        seen = noticed.get(row_id, "")
        if clause:
            sentence = f"{_capital(title)} {clause}{'; and ' + seen if seen else ''}."
        else:
            sentence = f"{_capital(title)}: {seen}."
        findings.append(Finding(kind.name, row_id, problem, sentence))
    return findings


# --------------------------------------------------------------------------- naming


def day(value: Any) -> str:
    """An ISO date as people read it (the text itself when it is not a date)."""
    if not isinstance(value, str) or not value:
        return "an unknown date"
    try:
        return uk(date.fromisoformat(value[:10]))
    except ValueError:
        return value


def whose(labels: Labels, names: Mapping[str, str]) -> str:
    worker = labels.get("worker")
    if not worker:
        return "a group"
    return names.get(str(worker), "a worker no longer on the staff list")


# --------------------------------------------------------------------------- table kinds


def quoted(columns: Sequence[str], alias: str) -> str:
    """An SQL expression: the row's values as SQL literals (``quote()``), comma-separated, in
    the order of ``columns``. Computed by SQLite, so checking 100,000 rows costs little, and
    exact: text keeps every character (quoted, with ``'`` doubled), numbers and NULL are
    told apart, and the result can be read back unambiguously.

    Joined by ``concat_ws`` where SQLite has it (3.44 on; quote() is never NULL, so nothing
    is skipped and the text is the same): one allocation per row, where ``||`` copies the
    growing text once per column (a third of the time on a record's 46 columns)."""
    values = [f"quote({alias}.{c})" for c in columns]
    if _CONCAT_WS and len(values) > 1:
        return f"concat_ws(',', {', '.join(values)})"
    return " || ',' || ".join(values)


_CONCAT_WS = tuple(int(n) for n in dbapi.sqlite_version.split(".")[:2]) >= (3, 44)


def table_kind(
    name: str,
    *,
    entity: str,
    noun: str,
    table: str,
    columns: tuple[str, ...],
    labels: Mapping[str, str],
    title: Callable[[Labels, Mapping[str, str]], str],
    joins: str = "",
    where: str = "",
    key: str = "id",
    **more: Any,
) -> Kind:
    """A kind whose content (form 1) is the row's ``columns`` of ``table`` (alias ``t``) as
    stored (:func:`quoted`), named by ``labels`` (label -> SQL expression over ``t`` and
    ``joins``)."""
    label_names = tuple(labels)
    select = ", ".join([f"t.{key}", quoted(columns, "t"), *labels.values()])
    condition = f" AND ({where})" if where else ""

    def load(db: Database, ids: Sequence[str] | None, form: int) -> dict[str, Row]:
        if form != 1:
            raise ValueError(f"{name} has no form {form}")
        sql = f"SELECT {select} FROM {table} t {joins} WHERE 1 = 1{condition}"
        args: list[Any] = []
        if ids is not None:
            sql += f" AND t.{key} IN (SELECT value FROM json_each(?))"
            args.append(json.dumps(list(ids)))
        return {
            str(row[0]): (row[1], dict(zip(label_names, row[2:], strict=True)))
            for row in db.execute(sql, args)
        }

    return Kind(
        name=name, entity=entity, noun=noun, load=load, title=title, tables={table: columns},
        **more,
    )  # fmt: skip
