"""`check`: is the database sound? Integrity, foreign keys, the schema version, the audit
trail's hash chain and the fingerprint of every signed record."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app import dbapi
from app.errors import StorageError
from app.services.records import RecordService
from app.storage.db import Database, connect, inspect_file, integrity_message
from app.storage.schedule_facts import schedule_cache_drift
from app.storage.schema import SCHEMA_VERSION


@dataclass
class CheckReport:
    path: Path
    problems: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        out = [f"Checking {self.path}", *(f"  {f}" for f in self.facts)]
        out += [f"  PROBLEM: {p}" for p in self.problems]
        out.append(
            "OK: no problems found." if self.ok else f"{len(self.problems)} problem(s) found."
        )
        return out


def check_database(path: Path) -> CheckReport:
    """Read-only checks; nothing in the file is changed."""
    report = CheckReport(path)
    try:
        info = inspect_file(path)
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
        _read_checks(path, report)
    except dbapi.DatabaseError as exc:
        # Damage that quick_check missed can still stop a query half-way through.
        report.problems.append(f"the database could not be read to the end ({exc})")
    return report


def _read_checks(path: Path, report: CheckReport) -> None:
    db = connect(path, read_only=True)
    try:
        rows = db.execute("PRAGMA integrity_check").fetchall()
        if rows != [("ok",)]:
            report.problems += [f"integrity: {integrity_message(str(r[0]))}" for r in rows[:20]]
        else:
            report.facts.append("integrity check: ok")
        fk = db.execute("PRAGMA foreign_key_check").fetchall()
        if fk:
            report.problems += [
                f"broken reference in {r[0]} (row {r[1]}) to {r[2]}" for r in fk[:20]
            ]
        else:
            report.facts.append("references between records: ok")
        counts = {
            t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("workers", "sessions", "actions")
            if t in db.table_names()
        }
        report.facts.append(", ".join(f"{n} {t}" for t, n in counts.items()))
        _evidence_checks(db, report)
        _schedule_cache_check(db, report)
    finally:
        db.close()


def _schedule_cache_check(db: Database, report: CheckReport) -> None:
    """The scheduler's derived tables (kept by triggers) against the records they come from."""
    if not {"latest_held", "latest_assessment"} <= set(db.table_names()):
        return  # an older schema: made and filled when this Keel upgrades the file
    drift = schedule_cache_drift(db)
    if any(drift.values()):
        report.problems.append(
            "the scheduler's summary of the latest held sessions and risk assessments does "
            f"not match the records ({', '.join(f'{t}: {n} wrong' for t, n in drift.items())}); "
            "`keel rebuild-summary` recomputes it from the records"
        )
    else:
        report.facts.append("scheduler summary of latest sessions and assessments: ok")


def _evidence_checks(db: Database, report: CheckReport) -> None:
    """The audit chain and signed records' fingerprints (from schema 3 on)."""
    if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
        report.facts.append(
            "audit trail and signed records: checked once this Keel has upgraded the file"
        )
        return
    try:
        result = RecordService(db).verify()
    except (ValueError, KeyError, TypeError) as exc:
        # A value changed out of band so far that the record cannot even be read back.
        report.problems.append(f"the signed records could not be verified ({exc})")
        return
    entries = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    signed = db.execute("SELECT count(*) FROM sessions WHERE signed_at IS NOT NULL").fetchone()[0]
    if result.chain_problems:
        report.problems += result.chain_problems
    else:
        report.facts.append(f"audit trail: {entries} entries, hash chain intact")
    if result.fingerprint_problems:
        report.problems += result.fingerprint_problems
    else:
        report.facts.append(f"signed records: {signed}, all match their fingerprints")
