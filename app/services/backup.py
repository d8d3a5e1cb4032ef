"""Verified backups, rotation and safe restore of Keel's one database file.

A backup is made with SQLite's backup API (never a file copy of a live database), written to a
temporary file in the target folder, flushed, verified, then renamed into place, readable by the
owner only. A restore validates the candidate exactly as opening a database does, keeps a safety
backup of the current data, and copies through the backup API into the open connection, so a
stale ``-wal`` or ``-journal`` beside the database can never replay old data over it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sqlite3
import tempfile
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import sqlite_utils

from app.errors import KeelError, StorageError
from app.services import crypto
from app.storage.db import APPLICATION_ID, inspect_file, migrate, schema_version
from app.storage.schema import SCHEMA_VERSION

log = logging.getLogger(__name__)

PREFIX = "keel-backup-"
SAFETY_PREFIX = "keel-before-restore-"
PLAIN_SUFFIX = ".db"
ENCRYPTED_SUFFIX = ".keelenc"
_NAME = re.compile(
    rf"^(?:{PREFIX}|{SAFETY_PREFIX})(\d{{8}})-(\d{{6}})(?:-\d+)?(\{PLAIN_SUFFIX}|\{ENCRYPTED_SUFFIX})$"
)
COUNTED_TABLES = ("workers", "risk_assessments", "sessions", "actions", "addenda", "audit_log")


class BackupError(KeelError):
    """A backup could not be made; the previous backups are untouched."""


class RestoreError(KeelError):
    """A restore was refused or failed; the open database is unchanged."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    created_at: datetime
    counts: dict[str, int]
    size: int
    encrypted: bool


@dataclass(frozen=True)
class RestoreResult:
    counts: dict[str, int]
    backup_date: datetime | None
    safety_backup: Path
    source: Path
    messages: list[str] = field(default_factory=list)

    def summary(self) -> str:
        when = self.backup_date.strftime("%-d %b %Y %H:%M") if self.backup_date else "unknown date"
        what = ", ".join(f"{n} {t.replace('_', ' ')}" for t, n in self.counts.items())
        return (
            f"Restored the backup of {when} ({what}). The data you had before is kept in "
            f"{self.safety_backup}."
        )


def row_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {
        t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
        for t in COUNTED_TABLES
        if t in names
    }


def backup_name(now: datetime, *, encrypted: bool, prefix: str = PREFIX) -> str:
    suffix = ENCRYPTED_SUFFIX if encrypted else PLAIN_SUFFIX
    return f"{prefix}{now.strftime('%Y%m%d-%H%M%S')}{suffix}"


def backup_time(path: Path) -> datetime | None:
    """When a backup was made, from its name (UTC)."""
    m = _NAME.match(path.name)
    if not m:
        return None
    return datetime.strptime(m.group(1) + m.group(2), "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def list_backups(folder: Path, *, include_safety: bool = True) -> list[Path]:
    """Keel backups in ``folder``, newest first."""
    if not folder.is_dir():
        return []
    found = [
        p
        for p in folder.iterdir()
        if _NAME.match(p.name) and (include_safety or p.name.startswith(PREFIX))
    ]
    return sorted(
        found,
        key=lambda p: (backup_time(p) or datetime.min.replace(tzinfo=UTC), p.name),
        reverse=True,
    )


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _verify_plain(path: Path, expected: dict[str, int] | None) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{path.as_posix()}?mode=ro", uri=True)
    try:
        if conn.execute("PRAGMA quick_check").fetchall() != [("ok",)]:
            raise BackupError("The backup failed its integrity check, so it was not kept.")
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            raise BackupError("The backup is not marked as a Keel database, so it was not kept.")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA_VERSION:
            raise BackupError(f"The backup has schema {version}, expected {SCHEMA_VERSION}.")
        counts = row_counts(conn)
    finally:
        conn.close()
    if expected is not None and counts != expected:
        raise BackupError(
            "The database changed while the backup was being made. Try the backup again."
        )
    return counts


def _unique(target: Path) -> Path:
    n = 1
    candidate = target
    while candidate.exists():
        candidate = target.with_name(f"{target.stem}-{n}{target.suffix}")
        n += 1
    return candidate


def backup_database(
    db: sqlite_utils.Database,
    folder: Path,
    *,
    passphrase: str | None = None,
    now: datetime | None = None,
    prefix: str = PREFIX,
) -> BackupResult:
    """Make one verified backup of the open database in ``folder``."""
    now = now or datetime.now(UTC)
    encrypted = bool(passphrase)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"Cannot use the backup folder {folder}: {exc.strerror or exc}.") from exc
    tmp = folder / f".keel-backup-{uuid.uuid4().hex}.tmp"
    tmp_enc = tmp.with_suffix(".enc.tmp")
    try:
        expected = row_counts(db.conn)
        dst = sqlite3.connect(str(tmp))
        try:
            db.conn.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
        _fsync_file(tmp)
        counts = _verify_plain(tmp, expected)
        final_tmp = tmp
        if passphrase:
            blob = crypto.encrypt(
                tmp.read_bytes(),
                passphrase,
                meta={"created": now.isoformat(), "schema": SCHEMA_VERSION, "counts": counts},
            )
            with open(tmp_enc, "wb") as fh:
                fh.write(blob)
                fh.flush()
                os.fsync(fh.fileno())
            tmp.unlink()
            final_tmp = tmp_enc
        os.chmod(final_tmp, 0o600)
        target = _unique(folder / backup_name(now, encrypted=encrypted, prefix=prefix))
        os.replace(final_tmp, target)
        _fsync_dir(folder)
    except (sqlite3.Error, OSError) as exc:
        for leftover in (tmp, tmp_enc, Path(f"{tmp}-journal")):
            with contextlib.suppress(OSError):
                leftover.unlink()
        text = str(exc).lower()
        if "full" in text or getattr(exc, "errno", None) == 28:
            why = f"there is not enough space in {folder}"
        elif "read-only" in text or "readonly" in text or getattr(exc, "errno", None) in (13, 30):
            why = f"{folder} cannot be written to"
        else:
            why = str(exc)
        raise BackupError(
            f"The backup was not made: {why}. Your earlier backups are untouched."
        ) from exc
    except BaseException:
        for leftover in (tmp, tmp_enc):
            with contextlib.suppress(OSError):
                leftover.unlink()
        raise
    log.info("backup written to %s", target)
    return BackupResult(target, now, counts, target.stat().st_size, encrypted)


def backups_to_keep(
    backups: Iterable[Path], today: date, *, daily: int = 7, weekly: int = 4, monthly: int = 12
) -> set[Path]:
    """Rotation like Anki: everything from today and yesterday, then the newest backup of each
    of the last ``daily`` days, ``weekly`` weeks and ``monthly`` months."""
    keep: set[Path] = set()
    dated = sorted(
        ((backup_time(p), p) for p in backups if backup_time(p) is not None),
        key=lambda item: item[0],  # type: ignore[arg-type,return-value]
        reverse=True,
    )
    seen_days: set[date] = set()
    seen_weeks: set[tuple[int, int]] = set()
    seen_months: set[tuple[int, int]] = set()
    for when, path in dated:
        assert when is not None
        day = when.date()
        age = (today - day).days
        if age <= 1:
            keep.add(path)
            continue
        if age <= 1 + daily and day not in seen_days:
            seen_days.add(day)
            keep.add(path)
            continue
        week = tuple(day.isocalendar())[:2]
        if age <= 7 * (weekly + 1) + daily and week not in seen_weeks:
            seen_weeks.add(week)  # type: ignore[arg-type]
            keep.add(path)
            continue
        month = (day.year, day.month)
        if age <= 31 * (monthly + 1) and month not in seen_months:
            seen_months.add(month)
            keep.add(path)
    return keep


def prune_backups(folder: Path, today: date) -> list[Path]:
    """Delete rotated-out automatic backups; safety copies made before a restore are kept."""
    backups = list_backups(folder, include_safety=False)
    keep = backups_to_keep(backups, today)
    removed = []
    for path in backups:
        if path not in keep:
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


def latest_backup(folder: Path) -> Path | None:
    backups = list_backups(folder)
    return backups[0] if backups else None


def _plain_candidate(candidate: Path, passphrase: str | None, workdir: Path) -> tuple[Path, bool]:
    """The candidate as a plain SQLite file (decrypted into ``workdir`` when encrypted)."""
    try:
        with candidate.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise RestoreError(f"Cannot read {candidate}: {exc.strerror or exc}.") from exc
    if not crypto.is_encrypted(head):
        return candidate, False
    if not passphrase:
        raise RestoreError("This backup is encrypted: give its passphrase to restore it.")
    try:
        plain = crypto.decrypt(candidate.read_bytes(), passphrase)
    except crypto.DecryptionError as exc:
        raise RestoreError(str(exc)) from exc
    out = workdir / "candidate.db"
    out.write_bytes(plain)
    return out, True


def restore_database(
    db: sqlite_utils.Database,
    candidate: Path,
    safety_folder: Path,
    *,
    passphrase: str | None = None,
) -> RestoreResult:
    """Replace the open database's content with ``candidate`` after validating it.

    A rejected candidate changes nothing. Before anything is replaced, the current data is
    backed up to ``safety_folder``.
    """
    with tempfile.TemporaryDirectory(prefix="keel-restore-") as work:
        plain, _encrypted = _plain_candidate(candidate, passphrase, Path(work))
        try:
            info = inspect_file(plain)
        except StorageError as exc:
            raise RestoreError(f"Nothing was restored: {exc}") from exc
        if not info.exists:
            raise RestoreError(f"Nothing was restored: there is no file at {candidate}.")
        safety = backup_database(db, safety_folder, prefix=SAFETY_PREFIX)
        src = sqlite3.connect(f"file:{plain.as_posix()}?mode=ro", uri=True)
        try:
            src.backup(db.conn)
        except sqlite3.Error as exc:
            raise RestoreError(
                f"The restore failed ({exc}). Your data before the restore is in {safety.path}."
            ) from exc
        finally:
            src.close()
    if schema_version(db) < SCHEMA_VERSION:
        migrate(db)
    counts = row_counts(db.conn)
    return RestoreResult(counts, backup_time(candidate), safety.path, candidate)
