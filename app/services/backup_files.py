"""The backup folder's files: how backups are named, found, dated and rotated — per database.

Every backup belongs to one database. Its name carries the database file's stem
(``keel-backup-<stem>-YYYYMMDD-HHMMSS.db`` or ``.keelenc``); its identity is the database's id
(``meta.database_id``, schema 6), which a plain backup holds in its own ``meta`` (it is a copy of
the database) and an encrypted one also in its authenticated header, readable without the
passphrase. A folder shared by several databases (the default ``backups`` folder, a USB stick)
is listed, rotated and checked for each database apart: the names narrow the candidates, the
ids decide (two files both called ``keel.db`` in different folders share a stem, never an id).

Kept apart from making and restoring backups (``app.services.backup``) so that the status bar
can say when the last backup was made without loading the backup machinery at start-up.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from app import dbapi
from app.dates import uk

if TYPE_CHECKING:
    from collections.abc import Iterable

    from app.storage.db import Database

PREFIX = "keel-backup-"
SAFETY_PREFIX = "keel-before-restore-"
PLAIN_SUFFIX = ".db"
ENCRYPTED_SUFFIX = ".keelenc"
TEMP_PREFIX = ".keel-backup-"
# keel-backup-<stem>-YYYYMMDD-HHMMSS[-N].db; names made before backups carried their database's
# stem (keel-backup-YYYYMMDD-HHMMSS.db) have none.
_NAME = re.compile(
    rf"^(?P<prefix>{PREFIX}|{SAFETY_PREFIX})(?:(?P<stem>.+)-)?(?P<day>\d{{8}})-(?P<clock>\d{{6}})"
    rf"(?:-(?P<n>\d+))?(?P<suffix>\{PLAIN_SUFFIX}|\{ENCRYPTED_SUFFIX})$"
)
# Characters no file name may hold on some system Keel runs on (Windows is the strictest).
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_MAX_STEM = 60
DATABASE_ID_KEY = "database_id"  # app.storage.identity's key, read here from backup files
# What a restore says, and the command line prints, when a backup's database id is not the
# current database's (administrators' scripts look for it).
ANOTHER_DATABASE = "this backup is of another database"
_MAX_HEADER = 64 * 1024


def safe_stem(file_name: str) -> str:
    """A database file's stem as it goes into a backup's name: NFC, without characters a file
    name cannot hold on Windows or Linux (each becomes ``_``), at most 60 characters."""
    stem = unicodedata.normalize("NFC", Path(file_name).stem)
    stem = _UNSAFE.sub("_", stem).strip(" .")[:_MAX_STEM].rstrip(" .")
    return stem or "database"


def database_file(db: Database) -> Path | None:
    """The file the open ``db`` reads (None for an in-memory database)."""
    for _seq, name, file in db.conn.execute("PRAGMA database_list"):
        if name == "main" and file:
            return Path(file)
    return None


def database_stem(db: Database) -> str:
    """The stem that names ``db``'s backups."""
    path = database_file(db)
    return safe_stem(path.name) if path is not None else "database"


def backup_stem(path: Path) -> str | None:
    """The database stem a backup's name carries (None: an older name without one, or not a
    Keel backup's name)."""
    m = _NAME.match(path.name)
    return m.group("stem") if m else None


def format_when(when: datetime | None) -> str:
    """A date and time a person reads, in local time (portable: no ``%-d``)."""
    if when is None:
        return "an unknown date"
    local = when.astimezone() if when.tzinfo else when
    return f"{uk(local)} {local:%H:%M}"


def backup_name(
    now: datetime, *, encrypted: bool, stem: str = "database", prefix: str = PREFIX
) -> str:
    """``keel-backup-<stem>-YYYYMMDD-HHMMSS.db`` (``.keelenc`` when encrypted), time in UTC.
    ``stem`` is made safe for a file name (see ``safe_stem``)."""
    suffix = ENCRYPTED_SUFFIX if encrypted else PLAIN_SUFFIX
    stamp = now.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{prefix}{safe_stem(stem + '.db')}-{stamp}{suffix}"


def backup_time(path: Path) -> datetime | None:
    """When a backup was made, from its name (UTC)."""
    m = _NAME.match(path.name)
    if not m:
        return None
    day, clock = m.group("day"), m.group("clock")  # "20261126", "174205" (no strptime import)
    try:
        return datetime(
            int(day[:4]), int(day[4:6]), int(day[6:]),
            int(clock[:2]), int(clock[2:4]), int(clock[4:]), tzinfo=UTC,
        )  # fmt: skip
    except ValueError:
        return None


def list_backups(
    folder: Path, *, include_safety: bool = True, stem: str | None = None
) -> list[Path]:
    """Keel backups in ``folder``, newest first: every database's, or — with ``stem`` — those
    whose name carries that stem, and those named before names carried one."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    found = []
    for p in entries:
        m = _NAME.match(p.name)
        if m is None or backup_time(p) is None:
            continue
        if not include_safety and m.group("prefix") != PREFIX:
            continue
        if stem is not None and m.group("stem") not in (stem, None):
            continue
        found.append(p)
    return sorted(found, key=_order, reverse=True)


def _order(path: Path) -> tuple[datetime, int, str]:
    """Oldest first: time from the name, then the counter of backups made in one second."""
    m = _NAME.match(path.name)
    counter = int(m.group("n")) if m and m.group("n") else 0
    return (backup_time(path) or datetime.min.replace(tzinfo=UTC), counter, path.name)


# (path, size, mtime) -> the id found in that file: a listing reads each backup's id once.
_ids: dict[tuple[str, int, int], str | None] = {}


def backup_database_id(path: Path) -> str | None:
    """The id of the database a backup is of, read without changing it and without a
    passphrase: an encrypted backup's header, a plain backup's own ``meta``. None when the
    backup does not say (made before schema 6) or cannot be read."""
    try:
        st = path.stat()
    except OSError:
        return None
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _ids:
        _ids[key] = _read_database_id(path)
    return _ids[key]


def _read_database_id(path: Path) -> str | None:
    from app.services import crypto, encrypted_backup

    try:
        with path.open("rb") as fh:
            head = fh.read(12)
            header: dict[str, object] | None = None
            if crypto.is_encrypted(head):  # encrypted with a passphrase of its own
                length = int.from_bytes(head[8:12], "big")
                if length > _MAX_HEADER:
                    return None
                header = crypto.read_header(head + fh.read(length)).params
            elif encrypted_backup.is_encrypted_database_backup(head):  # an encrypted database's
                fh.seek(0)
                header = encrypted_backup.read_container(fh, path.stat().st_size).header
    except (OSError, crypto.DecryptionError, encrypted_backup.EncryptedBackupError):
        return None
    if header is not None:
        found = header.get(DATABASE_ID_KEY)
        return found if isinstance(found, str) and found else None
    return meta_value_of_file(path, DATABASE_ID_KEY)


def meta_value_of_file(path: Path, key: str) -> str | None:
    """A ``meta`` setting of a database file that is not open (a read-only look), or None
    when it has none or cannot be read (damaged, another program's, locked)."""
    from app.storage.db import read_only_connection

    try:
        if not path.is_file():
            return None
        conn = read_only_connection(path)
        try:
            found = conn.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        finally:
            conn.close()
    except (dbapi.Error, OSError):
        return None
    return str(found[0]) if found and found[0] else None


def backups_of(
    folder: Path, stem: str, database_id: str | None, *, include_safety: bool = False
) -> list[Path]:
    """The backups in ``folder`` of one database, newest first: named with its ``stem`` (or
    with no stem) and holding its ``database_id``. When the id is not known (the database
    cannot be read), the backups named with its stem."""
    candidates = list_backups(folder, include_safety=include_safety, stem=stem)
    if database_id is None:
        return [p for p in candidates if backup_stem(p) == stem]
    return [p for p in candidates if backup_database_id(p) == database_id]


def latest_backup_of(folder: Path, stem: str, database_id: str | None) -> Path | None:
    """The newest backup of one database in ``folder`` (see ``backups_of``), or None."""
    found = backups_of(folder, stem, database_id)
    return found[0] if found else None


def backups_to_keep(
    backups: Iterable[Path], today: date, *, daily: int = 7, weekly: int = 4, monthly: int = 12
) -> set[Path]:
    """Rotation like Anki's: keep every backup from today and yesterday (and any dated in the
    future: a clock set wrong is no reason to delete); then, going back in time, the newest
    backup of each of the next ``daily`` days that have one, then of ``weekly`` ISO weeks older
    than the last kept backup, then of ``monthly`` months older than that. Days are UTC days,
    as in the names. Files whose names are not Keel's are never considered."""
    dated = sorted(
        ((when, p) for p in backups if (when := backup_time(p)) is not None),
        key=lambda item: _order(item[1]),
        reverse=True,
    )
    keep: set[Path] = set()
    left = {"daily": daily, "weekly": weekly, "monthly": monthly}
    last_day: date | None = None
    for when, path in dated:
        day = when.date()
        if day >= date.fromordinal(today.toordinal() - 1):
            keep.add(path)
            continue
        week = day.isocalendar()[:2]
        month = (day.year, day.month)
        stage = None
        if left["daily"] > 0 and (last_day is None or day < last_day):
            stage = "daily"
        elif left["weekly"] > 0 and (last_day is None or week < last_day.isocalendar()[:2]):
            stage = "weekly"
        elif left["monthly"] > 0 and (last_day is None or month < (last_day.year, last_day.month)):
            stage = "monthly"
        if stage is not None:
            left[stage] -= 1
            last_day = day
            keep.add(path)
    return keep


def prune_backups(folder: Path, today: date, *, stem: str, database_id: str | None) -> list[Path]:
    """Delete one database's rotated-out backups: another database's, and safety copies made
    before a restore, are never touched (nor anything, when the database's id is unknown).
    Also removes temporary files left by a backup that was interrupted (a crash, a pulled USB
    stick)."""
    backups = backups_of(folder, stem, database_id) if database_id is not None else []
    keep = backups_to_keep(backups, today)
    removed = []
    for path in backups:
        if path not in keep:
            try:
                path.unlink()
            except OSError:
                continue
            removed.append(path)
    from app.services.temporaries import clean_stale  # its owner gone, or over a day old

    clean_stale([folder])
    return removed
