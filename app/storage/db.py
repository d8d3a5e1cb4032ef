"""Opening Keel's database safely: file checks, pragmas, migrations, clean close.

Nothing is written to a file until it has been recognised as Keel's own (or created by Keel),
so a damaged or foreign file is left exactly as it was.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from app.errors import (
    DamagedDatabaseError,
    EmptyFileError,
    ForeignDatabaseError,
    NewerSchemaError,
    NotADatabaseError,
    StorageError,
    storage_error_from,
)
from app.storage.schema import MIGRATIONS, SCHEMA_VERSION, SEEDED_THEMES

log = logging.getLogger(__name__)

# "KEEL" in ASCII: PRAGMA application_id marks the file as Keel's.
APPLICATION_ID = 0x4B45454C
SQLITE_HEADER = b"SQLite format 3\x00"


def new_id() -> str:
    """A text UUID: primary keys stay unique when records are merged across laptops."""
    return str(uuid.uuid4())


def utc_now() -> str:
    """The current time in UTC, ISO 8601 with seconds."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class FileInfo:
    """What a look at a database file found, without changing it."""

    path: Path
    exists: bool
    schema_version: int = 0
    application_id: int = 0


def inspect_file(path: Path) -> FileInfo:
    """Check that ``path`` is a sound Keel database (or absent) without writing to it.

    Raises a ``StorageError`` subclass with a message that says what to do.
    """
    if not path.exists():
        return FileInfo(path, exists=False)
    if path.is_dir():
        raise NotADatabaseError(f"{path} is a folder, not a Keel database. Choose a file.")
    size = path.stat().st_size
    if size == 0:
        raise EmptyFileError(
            f"{path} is empty (0 bytes), so it holds no Keel data. It may have been damaged by "
            "an interrupted copy: restore the latest backup, or choose another file."
        )
    with path.open("rb") as fh:
        header = fh.read(100)
    if not header.startswith(SQLITE_HEADER):
        raise NotADatabaseError(
            f"{path} is not a Keel database (it is not an SQLite file at all). "
            "Check that you chose the right file, or restore a backup."
        )
    if len(header) < 100:
        raise DamagedDatabaseError(
            f"{path} is truncated: it ends inside its header. Restore the latest backup."
        )
    application_id = int.from_bytes(header[68:72], "big")
    user_version = int.from_bytes(header[60:64], "big")
    if application_id != APPLICATION_ID:
        raise ForeignDatabaseError(
            f"{path} is an SQLite database but not one of Keel's (it belongs to another "
            "program). Keel has not changed it. Choose your Keel database (keel.db) instead."
        )
    if user_version > SCHEMA_VERSION:
        raise NewerSchemaError(
            f"{path} was written by a newer version of Keel (schema {user_version}; this "
            f"version understands up to {SCHEMA_VERSION}). Install the newer Keel to open it; "
            "the file has not been changed."
        )
    _check_length(path, header, size)
    _quick_check(path)
    return FileInfo(path, True, user_version, application_id)


def _check_length(path: Path, header: bytes, size: int) -> None:
    """Refuse a file shorter than its header says: an interrupted copy or download."""
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        raise DamagedDatabaseError(f"{path} has a damaged header. Restore the latest backup.")
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return  # pages still in the WAL may not have reached the main file yet
    pages = int.from_bytes(header[28:32], "big")
    count_is_valid = header[24:28] == header[92:96]
    expected = pages * page_size if count_is_valid and pages else 0
    if size % page_size or size < expected:
        should = f" of {expected:,}" if expected else ""
        raise DamagedDatabaseError(
            f"{path} is truncated (only {size:,} bytes{should}): it may be an interrupted copy. "
            "Keel has not changed it. Restore the latest backup."
        )


def _uri(path: Path, flags: str) -> str:
    return f"file:{urllib.parse.quote(Path(path).as_posix(), safe='/:')}?{flags}"


def read_only_connection(path: Path) -> sqlite3.Connection:
    """A connection that cannot change the file and leaves no -wal/-shm files beside it.

    A plain read-only connection to a WAL database creates -wal and -shm files it cannot
    remove. With no -wal file there is nothing to replay, so the file is opened as immutable,
    which needs neither; when a -wal exists (Keel has the file open, or a crash left one) it
    must be read, so the connection is an ordinary read-only one.
    """
    flags = "mode=ro" if Path(f"{path}-wal").exists() else "mode=ro&immutable=1"
    return sqlite3.connect(_uri(path, flags), uri=True, timeout=5)


def _quick_check(path: Path) -> None:
    try:
        conn = read_only_connection(path)
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        # Locked, busy, unreadable: the environment, not damage (restoring would be wrong).
        raise storage_error_from(exc, f"read {path}") from exc
    except sqlite3.DatabaseError as exc:
        raise DamagedDatabaseError(
            f"{path} is damaged and cannot be read ({exc}). Restore the latest backup."
        ) from exc
    if rows != [("ok",)]:
        problems = "; ".join(integrity_message(str(r[0])) for r in rows[:3])
        raise DamagedDatabaseError(
            f"{path} is damaged: it failed its integrity check ({problems}). "
            "Restore the latest backup."
        )


def integrity_message(problem: str) -> str:
    """One line of SQLite's integrity report, without its "*** in database main ***" banner."""
    return " ".join(problem.replace("*** in database main ***", "").split())


def connect(path: Path | str, *, read_only: bool = False) -> sqlite_utils.Database:
    """Open a connection with Keel's pragmas (foreign keys, WAL, synchronous=FULL)."""
    conn = read_only_connection(Path(path)) if read_only else sqlite3.connect(str(path), timeout=5)
    conn.execute("PRAGMA foreign_keys = ON")
    if not read_only and str(path) != ":memory:":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    return sqlite_utils.Database(conn, execute_plugins=False)


def schema_version(db: sqlite_utils.Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def _seed_themes(db: sqlite_utils.Database) -> None:
    now = utc_now()
    for name in SEEDED_THEMES:
        db.execute(
            "INSERT INTO themes (id, name, seeded, created_at) VALUES (?, ?, 1, ?)",
            [new_id(), name, now],
        )


# Python steps that run after a migration's SQL, in the same transaction.
_AFTER_STEP: dict[int, Callable[[sqlite_utils.Database], None]] = {2: _seed_themes}


def migrate(db: sqlite_utils.Database) -> int:
    """Bring the schema to the newest version, one transaction per step. Returns the version."""
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise NewerSchemaError(
            f"This database was written by a newer version of Keel (schema {current})."
        )
    for target in range(current + 1, SCHEMA_VERSION + 1):
        log.info("migrating database to schema %d", target)
        with db.atomic():
            for statement in _split_sql(MIGRATIONS[target - 1]):
                db.execute(statement)
            after = _AFTER_STEP.get(target)
            if after is not None:
                after(db)
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {target}")
    return SCHEMA_VERSION


def _split_sql(script: str) -> list[str]:
    """Split a migration script into statements (triggers keep their inner semicolons)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


def _backup_before_migrating(path: Path, version: int) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.pre-migration-v{version}-{stamp}.bak")
    src = read_only_connection(path)
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    os.chmod(target, 0o600)
    return target


def open_database(path: Path, *, create: bool = True) -> sqlite_utils.Database:
    """Open (or create) Keel's database at ``path``, migrating it if it is older.

    A missing file is created atomically (built beside it, then renamed), so a crash while
    creating never leaves a half-made database that looks like Keel's. An existing file is
    checked before anything is written to it; an older schema is backed up, then migrated.
    """
    info = inspect_file(path)
    try:
        if not info.exists:
            if not create:
                raise StorageError(f"There is no Keel database at {path}.")
            path.parent.mkdir(parents=True, exist_ok=True)
            building = path.with_name(path.name + ".creating")
            for leftover in (building, Path(f"{building}-wal"), Path(f"{building}-shm")):
                leftover.unlink(missing_ok=True)
            db = connect(building)
            try:
                migrate(db)
            finally:
                close_database(db)
            os.chmod(building, 0o600)
            os.replace(building, path)
        elif info.schema_version < SCHEMA_VERSION:
            saved = _backup_before_migrating(path, info.schema_version)
            log.info("backed up %s to %s before migrating", path, saved)
        db = connect(path)
        try:
            migrate(db)
        except BaseException:
            db.close()
            raise
        return db
    except sqlite3.Error as exc:
        raise storage_error_from(exc, f"open {path}") from exc


def close_database(db: sqlite_utils.Database) -> None:
    """Checkpoint the WAL and close, so the database is one self-contained file again."""
    with contextlib.suppress(sqlite3.Error):
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


@contextlib.contextmanager
def transaction(db: sqlite_utils.Database, doing: str = "save your change") -> Iterator[None]:
    """One atomic write; SQLite environment errors become a ``SaveError`` that says why."""
    try:
        with db.atomic():
            yield
    except sqlite3.OperationalError as exc:
        raise storage_error_from(exc, doing) from exc
