"""`check`: is the database sound, and has anything Keel treats as evidence been changed
behind its back?

Read-only, one sentence per problem. What it looks at:

* SQLite's ``integrity_check`` of every page and index (on a thread of its own: it is the slow
  part, and SQLite leaves Python free while it runs) and the references between records;
* the audit trail's hash chain (no gap, no changed entry) and its witness outside the database
  (no entries missing from its end), ``app.storage.witness``;
* every row of evidence against the replay of its audited entries, and every signed record's
  printed fingerprint (``app.storage.evidence_registry``);
* the protections: every trigger as Keel creates it (``app.storage.protections``);
* the scheduler's summary tables against the records.

``check --against BACKUP`` also verifies that the backup's audit trail is the beginning of the
database's (:func:`compare_with_backup`). ``rebuild-summary`` refuses to run while an evidence
finding is open (:func:`rebuild_summary`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app import dbapi
from app.collector import collection_paused
from app.domain.rows import Finding
from app.errors import KeelError, StorageError
from app.storage import audit, protections, witness
from app.storage.db import (
    Database,
    close_database,
    connect,
    inspect_file,
    integrity_message,
    open_database,
    read_only_connection,
    transaction,
)
from app.storage.evidence_registry import kinds, verify
from app.storage.identity import database_id
from app.storage.schedule_facts import rebuild_schedule_cache, schedule_cache_drift
from app.storage.schema import SCHEMA_VERSION

# Findings of one kind and problem shown one by one before the rest are counted.
SHOWN_PER_KIND = 20


@dataclass
class CheckReport:
    path: Path
    problems: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    evidence: list[Finding] = field(default_factory=list)
    """Changes to evidence found (their sentences are in ``problems`` too)."""

    @property
    def ok(self) -> bool:
        return not self.problems

    _evidence_lines: list[str] = field(default_factory=list, repr=False)

    @property
    def evidence_lines(self) -> list[str]:
        """The problems that are changes to evidence or its protections."""
        return list(self._evidence_lines)

    @property
    def evidence_open(self) -> bool:
        """Something Keel treats as evidence, or what protects it, was changed outside Keel."""
        return bool(self._evidence_lines)

    def evidence_problem(self, sentence: str) -> None:
        self.problems.append(sentence)
        self._evidence_lines.append(sentence)

    def lines(self) -> list[str]:
        out = [f"Checking {self.path}", *(f"  {f}" for f in self.facts)]
        out += [f"  WARNING: {w}" for w in self.warnings]
        out += [f"  PROBLEM: {p}" for p in self.problems]
        out.append(
            "OK: no problems found." if self.ok else f"{len(self.problems)} problem(s) found."
        )
        return out


def check_database(
    path: Path, *, against: Path | None = None, passphrase: str | None = None
) -> CheckReport:
    """Read-only checks; nothing in the file is changed. ``against``: a backup whose audit
    trail must be the beginning of the database's (``passphrase`` for an encrypted one)."""
    report = CheckReport(path)
    try:
        info = inspect_file(path, integrity=False)  # integrity_check below covers every page
    except StorageError as exc:
        report.problems.append(str(exc))
        return report
    if info.schema_version < SCHEMA_VERSION:
        report.facts.append(
            f"schema version {info.schema_version} (this Keel migrates it to "
            f"{SCHEMA_VERSION} when it opens the file)"
        )
    else:
        report.facts.append(f"schema version {info.schema_version} (current)")
    try:
        # A million short-lived tuples, lists and dicts and no cycles: the collector's passes
        # over them (0.4 s of the check on the reference database, six of them full, each
        # holding the interpreter's lock) would find nothing.
        with collection_paused():
            _read_checks(path, report, info.schema_version == SCHEMA_VERSION)
        if against is not None:
            compare_with_backup(path, against, report, passphrase=passphrase)
    except dbapi.DatabaseError as exc:
        # Damage stops a query half-way through: nothing else read from the file is reliable.
        report.problems[:] = [f"{path} is damaged and cannot be read ({exc}). Restore the "
                              "latest backup."]  # fmt: skip
        report.evidence = []
        report._evidence_lines.clear()
    return report


CHECK_CACHE_KIB = 64 * 1024  # the integrity check's page cache, at most (KiB)


class _Reader(threading.Thread):
    """One part of the check (``read``), on a connection of its own. ``finished`` is set when
    it is done, whatever happened; an error is kept for the caller to report, on its own
    thread."""

    def __init__(
        self, name: str, path: Path, finished: threading.Event, read: Callable[[], None]
    ) -> None:
        super().__init__(name=name, daemon=True)
        self.path = path
        self.finished = finished
        self.read = read
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.read()
        except BaseException as exc:  # reported by the caller
            self.error = exc
        finally:
            self.finished.set()


class _Integrity(_Reader):
    """``PRAGMA integrity_check``, while the rest is checked (SQLite works in C, leaving
    Python to the other threads)."""

    def __init__(self, path: Path, finished: threading.Event) -> None:
        super().__init__("keel-check", path, finished, self._pages)
        self.rows: list[tuple[str, ...]] = []

    def _pages(self) -> None:
        conn = read_only_connection(self.path)
        try:
            # No memory map (it read about a quarter faster): a file cut short by another
            # program while it is read would end the process with SIGBUS, where the check
            # must say the file is damaged.
            # A page cache of up to 64 MB: the check visits index pages again and again, and
            # each visit to a page not in the cache is a read from the OS (a quarter of the
            # check's time with SQLite's 2 MB default).
            conn.execute(f"PRAGMA cache_size = {-CHECK_CACHE_KIB}")
            self.rows = conn.execute("PRAGMA integrity_check").fetchall()
        finally:
            conn.close()


class _Evidence(_Reader):
    """Every row of evidence against the replay of the trail, in one snapshot of its own:
    much of it is SQLite's work, done while the caller reads the rest."""

    def __init__(self, path: Path, finished: threading.Event) -> None:
        super().__init__("keel-evidence", path, finished, self._rows)
        self.found: list[Finding] = []

    def _rows(self) -> None:
        db = connect(self.path, read_only=True)
        try:
            db.conn.execute("BEGIN")
            self.found = verify(db)
            db.conn.rollback()
        finally:
            db.close()


def _read_checks(path: Path, report: CheckReport, current: bool) -> None:
    seen = _witness_of(path) if current else None  # before the snapshot: never ahead of it
    one_done = threading.Event()  # the integrity check or the evidence, whichever is first
    pages = _Integrity(path, one_done)
    pages.start()
    db = connect(path, read_only=True)
    try:
        db.conn.execute("BEGIN")  # one snapshot for everything below
        counts = {
            t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("workers", "sessions", "actions")
            if t in db.table_names()
        }
        if current:
            broken, drift = _evidence_checks(db, report, seen, path, one_done)
            _schedule_cache_check(drift, report)
        else:
            broken = _references(db)
            report.facts.append(
                "audit trail and evidence: checked once this Keel has upgraded the file"
            )
        db.conn.rollback()
    finally:
        db.close()
        pages.join()
    if pages.error is not None:
        if isinstance(pages.error, dbapi.DatabaseError):
            raise pages.error
        raise RuntimeError(f"the integrity check failed: {pages.error}") from pages.error
    facts = []
    if pages.rows != [("ok",)]:
        report.problems[:0] = [
            f"integrity: {integrity_message(str(r[0]))}" for r in pages.rows[:20]
        ]
    else:
        facts.append("integrity check: ok")
    if broken:
        report.problems += [
            f"broken reference in {r[0]} (row {r[1]}) to {r[2]}" for r in broken[:20]
        ]
    else:
        facts.append("references between records: ok")
    facts.append(", ".join(f"{n} {t}" for t, n in counts.items()))
    report.facts[1:1] = facts


@dataclass(frozen=True)
class _Seen:
    """The witness as read before the snapshot (``error`` when it could not be read)."""

    witness: witness.Witness | None
    error: str | None = None


def _witness_of(path: Path) -> _Seen:
    conn = read_only_connection(path)
    try:
        db_id = database_id(Database(conn))
    finally:
        conn.close()
    if db_id is None:
        return _Seen(None)
    try:
        return _Seen(witness.read(db_id, path))
    except witness.UnreadableWitness as exc:
        return _Seen(None, str(exc))


def _references(db: Database) -> list[tuple[object, ...]]:
    """Rows that refer to a row that is not there (``PRAGMA foreign_key_check``)."""
    return [tuple(r) for r in db.execute("PRAGMA foreign_key_check").fetchall()]


def _evidence_checks(
    db: Database,
    report: CheckReport,
    seen: _Seen | None,
    path: Path,
    one_done: threading.Event | None = None,
) -> tuple[list[tuple[object, ...]], dict[str, int] | None]:
    """The audit chain and its witness, every row of evidence, the protections; returns the
    broken references and the scheduler summary's drift (both read here, while the evidence
    is checked on its own thread). ``one_done``: set when the integrity check's thread or the
    evidence's is done; this thread's own reads wait for it."""
    rows = _Evidence(path, one_done or threading.Event())
    rows.start()
    try:
        # SQLite's work (and little Python), once the integrity check or the evidence has
        # given back its core: three threads on two cores made the longest one wait (the
        # whole check 3.71-3.93 s before, 3.46-3.68 s after, alternated). Whichever is first:
        # the evidence is the longest on a quiet machine, the integrity check where the two
        # cores share one physical core or the machine is busy.
        if one_done is not None:
            one_done.wait()
        entries = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        broken = _references(db)
        (signed,) = db.execute(
            "SELECT count(*) FROM sessions WHERE signed_at IS NOT NULL"
        ).fetchone()
        differences = protections.differences(db)
        repaired = db.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'restore_protection'"
        ).fetchone()[0]
        drift = _schedule_drift(db)
    finally:
        rows.join()
    # The chain after the evidence, not beside it: both are Python's work, and two threads
    # stepping through rows hand the interpreter's lock to each other at every row (beside
    # it, the whole check took 3.7-4.4 s and 5.8-6.6 CPU seconds; after it, 3.5-3.6 s and
    # 5.0-5.3 CPU seconds, on the reference database).
    chain = audit.verify_chain(db)
    for problem in chain:
        report.evidence_problem(_sentence(problem))
    if not chain:
        report.facts.append(f"audit trail: {entries} entries, hash chain intact")
    _witness_check(db, report, seen)
    found = rows.found
    if isinstance(rows.error, dbapi.DatabaseError):
        raise rows.error
    if rows.error is not None:
        # A value changed so far that a row cannot even be read back.
        report.evidence_problem(f"The evidence could not be verified ({rows.error}).")
    report.evidence = found
    for line in _grouped(found):
        report.evidence_problem(line)
    if not found:
        report.facts.append(
            f"evidence: {signed} signed records and every response, addendum, QA countersignature, "
            "risk assessment, leave, override, trigger event and policy version match the "
            "audit trail"
        )
    for diff in differences:
        report.evidence_problem(diff.sentence)
    if not differences:
        report.facts.append(
            f"protections: all {len(protections.expected_triggers())} triggers as Keel creates them"
        )
    if repaired:
        report.warnings.append(
            f"Keel has restored {repaired} protection(s) removed or changed outside Keel (see "
            'the audit trail\'s "restore_protection" entries): what they protected was open to '
            "change until then, and the findings above say whether anything was changed."
        )
    return broken, drift


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else f"{text}."


def _witness_check(db: Database, report: CheckReport, seen: _Seen | None) -> None:
    head = audit.head(db)
    if seen is None:
        return
    found = seen.witness
    where = "outside the database"
    if found is None:
        carried = witness.carried_in(db)
        if carried is None:
            why = f" ({seen.error})" if seen.error else ""
            report.warnings.append(
                "There is no witness of the audit trail's end for this database at this path "
                f"on this computer{why}, so entries deleted from its end cannot be detected. "
                "This is expected after moving or copying the file, or clearing Keel's state "
                "folder; Keel writes a new witness with its next change."
            )
            return
        found, where = carried, "carried inside the file (a backup's)"

    def hash_at(seq: int) -> str | None:
        row = db.execute("SELECT hash FROM audit_log WHERE seq = ?", [seq]).fetchone()
        return None if row is None else str(row[0])

    result = witness.compare(found, head, hash_at)
    for problem in result.findings:
        report.evidence_problem(problem)
    report.warnings += result.warnings
    if not result.findings:
        report.facts.append(
            f"audit trail's end: entry #{found.seq} as its witness {where} recorded it "
            f"({witness.when(found.updated_at)})"
        )


def _grouped(found: list[Finding]) -> list[str]:
    """One sentence per finding, the first ``SHOWN_PER_KIND`` of each kind and problem, then
    one sentence for the rest."""
    out: list[str] = []
    groups: dict[tuple[str, str], list[Finding]] = {}
    for f in found:
        groups.setdefault((f.kind, f.problem), []).append(f)
    for (kind, problem), items in groups.items():
        out += [f.sentence for f in items[:SHOWN_PER_KIND]]
        rest = len(items) - SHOWN_PER_KIND
        if rest > 0:
            known = kinds().get(kind)
            noun = known.nouns if known else kind.replace("_", " ")
            out.append(
                f"{rest} more {noun} {_VERB.get(problem, problem)} outside Keel (not listed one "
                "by one)."
            )
    return out


_VERB = {"added": "added", "changed": "changed", "deleted": "deleted", "restored": "put back",
         "inspected": "whose printed fingerprints no longer match,"}  # fmt: skip


def _schedule_drift(db: Database) -> dict[str, int] | None:
    """The scheduler's derived tables (kept by triggers) against the records they come from:
    rows wrong in each (None for an older schema, where they are made and filled when this
    Keel upgrades the file)."""
    if not {"latest_held", "latest_assessment"} <= set(db.table_names()):
        return None
    return schedule_cache_drift(db)


def _schedule_cache_check(drift: dict[str, int] | None, report: CheckReport) -> None:
    """Report the scheduler summary's drift (after the evidence: the advice depends on it)."""
    if drift is None:
        return
    if any(drift.values()):
        wrong = ", ".join(f"{t}: {n} wrong" for t, n in drift.items())
        if report.evidence_open:
            advice = (
                "it follows records changed outside Keel (above): do not rebuild it until "
                "they have been looked into, or the change would be hidden for good"
            )
        else:
            advice = "`keel rebuild-summary` recomputes it from the records"
        report.problems.append(
            "the scheduler's summary of the latest held sessions and risk assessments does "
            f"not match the records ({wrong}); {advice}"
        )
    else:
        report.facts.append("scheduler summary of latest sessions and assessments: ok")


# --------------------------------------------------------------------------- against a backup


def compare_with_backup(
    path: Path, backup: Path, report: CheckReport, *, passphrase: str | None = None
) -> None:
    """The backup's audit trail must be the beginning of the database's: every entry the
    backup holds is in the database, unchanged; and the backup's own chain and the witness it
    carries must agree."""
    from app.services.backup import open_backup_read_only

    with open_backup_read_only(backup, passphrase=passphrase) as copy:
        theirs_id = database_id(copy)
        theirs = copy.execute("SELECT seq, hash FROM audit_log ORDER BY seq").fetchall()
        own_chain = audit.verify_chain(copy)
        carried = witness.carried_in(copy)
        carried_cmp = (
            witness.compare(carried, audit.head(copy), _hash_lookup(copy)) if carried else None
        )
    db = connect(path, read_only=True)
    try:
        ours_id = database_id(db)
        ours = dict(db.execute("SELECT seq, hash FROM audit_log").fetchall())
    finally:
        db.close()
    name = backup.name
    before = len(report.problems)
    if theirs_id is not None and ours_id is not None and theirs_id != ours_id:
        report.problems.append(
            f"{name} is a backup of another database (id {theirs_id}), not of this one (id "
            f"{ours_id}): their audit trails cannot be compared."
        )
        return
    for problem in own_chain:
        report.problems.append(f"In the backup {name}: {_sentence(problem)}")
    if carried_cmp is not None:
        report.problems += [f"In the backup {name}: {p}" for p in carried_cmp.findings]
    for seq, digest in theirs:
        if seq not in ours:
            last = max(ours) if ours else 0
            report.problems.append(
                f"The backup {name} holds audit entries up to #{theirs[-1][0]}, but the "
                f"database's trail stops at #{last}: entries #{seq}–#{theirs[-1][0]} were "
                "deleted from the database's trail after the backup was made."
            )
            break
        if ours[seq] != digest:
            report.problems.append(
                f"Audit entry #{seq} of the backup {name} differs from the database's: the "
                "database's audit trail was rewritten after the backup was made (from that "
                "entry or an earlier one)."
            )
            break
    if len(report.problems) == before:
        last_seq = theirs[-1][0] if theirs else 0
        report.facts.append(
            f"against {name}: its audit trail (entries #1–#{last_seq}) is the beginning of "
            f"the database's ({len(ours)} entries)"
        )


def _hash_lookup(db: Database) -> Callable[[int], str | None]:
    def hash_at(seq: int) -> str | None:
        row = db.execute("SELECT hash FROM audit_log WHERE seq = ?", [seq]).fetchone()
        return None if row is None else str(row[0])

    return hash_at


# --------------------------------------------------------------------------- repairs


class EvidenceFindingsOpen(KeelError):
    """A repair that could hide a change to evidence was refused."""


@dataclass(frozen=True)
class SummaryRebuilt:
    corrected: int


def rebuild_summary(path: Path) -> SummaryRebuilt:
    """Recompute the scheduler's summary tables from the records (no record is touched),
    unless ``check`` finds evidence changed outside Keel: then the summary is the last trace of
    what the records said, and rebuilding it would hide the change for good."""
    if not path.exists():
        raise StorageError(f"There is no database at {path}: check the path.")
    report = CheckReport(path)
    info = inspect_file(path)
    if info.schema_version == SCHEMA_VERSION:
        seen = _witness_of(path)
        db = connect(path, read_only=True)
        try:
            _evidence_checks(db, report, seen, path)
        finally:
            db.close()
    if report.evidence_open:
        found = report.evidence_lines
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise EvidenceFindingsOpen(
            "The scheduler's summary was not rebuilt, because evidence was changed outside "
            f"Keel: {found[0].rstrip('.')}{more}. Rebuilding the summary now would hide such a "
            "change for good. Run `keel check` to see every finding, and restore a backup from "
            "before the change (or have it looked into) first."
        )
    db = open_database(path, create=False)
    try:
        before = schedule_cache_drift(db)
        with transaction(db, "rebuild the scheduler's summary"):
            rebuild_schedule_cache(db)
        after = schedule_cache_drift(db)
    finally:
        close_database(db)
    if any(after.values()):  # cannot happen unless the records change while it runs
        raise KeelError("The summary still does not match the records: run it again.")
    return SummaryRebuilt(sum(before.values()))


def restore_protections(db: Database) -> list[str]:
    """Put back the protections (triggers) changed outside Keel, recording each in the audit
    trail; the sentences say what was wrong (empty when nothing was)."""
    return [d.sentence for d in protections.restore(db)]
