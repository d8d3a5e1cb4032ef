"""Opening Keel's database safely: file checks, pragmas, migrations, clean close.

Nothing is written to a file until it has been recognised as Keel's own (or created by Keel),
so a damaged or foreign file is left exactly as it was.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import threading
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app import dbapi
from app.errors import (
    DamagedDatabaseError,
    EmptyFileError,
    EncryptedDatabaseError,
    ForeignDatabaseError,
    NewerSchemaError,
    NotADatabaseError,
    StorageError,
    storage_error_from,
)
from app.storage import keys
from app.storage.schema import (
    ATTENDEE_RESPONSES,
    EVIDENCE_BASELINE,
    MIGRATIONS,
    SCHEMA_VERSION,
    SEEDED_THEMES,
    TYPES_AS_DATA,
)

if TYPE_CHECKING:
    import sqlite_utils

log = logging.getLogger(__name__)

# How long a write waits for another program's write to finish before giving up (seconds).
BUSY_TIMEOUT_S = 10.0

_READS = frozenset({"SELECT", "PRAGMA", "WITH"})


def _is_read(sql: str) -> bool:
    """True for a statement Python's sqlite3 never opens a transaction for (it does so only
    before INSERT, UPDATE, DELETE and REPLACE); anything else, comments first included, is
    treated as a write."""
    words = sql.lstrip().split(None, 1)
    return bool(words) and words[0].upper() in _READS


class Database:
    """Keel's handle on one open SQLite file.

    Every write transaction begins ``IMMEDIATE`` (:meth:`atomic`, which :func:`transaction`
    uses): the write lock is taken first, waiting up to :data:`BUSY_TIMEOUT_S` for another
    program to finish, so a transaction that reads (the last audit entry) and then writes can
    never fail at once because another connection committed in between. Nested blocks are
    savepoints. A write outside a transaction goes through sqlite-utils' ``execute`` (one
    statement, committed at once). Reads go straight to the sqlite3 connection. The
    sqlite-utils handle is made the first time it is needed: importing sqlite-utils costs
    about 70 ms, a third of a blank window's start-up, and showing the scheduler reads only.

    ``after_commit`` holds callables run once the outermost transaction has committed (the
    audit trail's witness is written that way: never ahead of what is on disk).
    """

    def __init__(self, conn: dbapi.Connection) -> None:
        self.conn = conn
        self.after_commit: dict[str, Callable[[Database], None]] = {}
        self._savepoints = 0
        # False while a file is built under a temporary name (its witness would name that).
        self.keeps_witness = True
        # Protections (triggers) Keel put back when it opened the file: sentences to show.
        self.repaired: list[str] = []
        # What Database sets on every connection; Keel's triggers rely on it.
        conn.execute("PRAGMA recursive_triggers = ON")

    @functools.cached_property
    def utils(self) -> sqlite_utils.Database:
        """sqlite-utils' handle on the same connection (imported on first use)."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn, execute_plugins=False)

    def execute(
        self, sql: str, parameters: Sequence[Any] | dict[str, Any] | None = None
    ) -> dbapi.Cursor:
        """Run one statement. A write outside a transaction is committed at once (and a failed
        one leaves no transaction open), as sqlite-utils' ``execute`` does: anything but a
        plain read goes through it. Reads go straight to the connection, since for them it
        does nothing more. Not for a write that also returns rows, outside ``transaction()``:
        neither commits a write whose rows are still to be read."""
        if self.conn.in_transaction or _is_read(sql):
            if parameters is None:
                return self.conn.execute(sql)
            return self.conn.execute(sql, parameters)
        cursor = self.utils.execute(sql, parameters)
        if not self.conn.in_transaction:
            self._committed()
        return cursor

    @contextlib.contextmanager
    def atomic(self) -> Iterator[Database]:
        """A write transaction begun ``IMMEDIATE`` (a savepoint inside one), committed unless
        the block raises."""
        conn = self.conn
        if conn.in_transaction:
            self._savepoints += 1
            name = f"keel_{self._savepoints}"
            conn.execute(f"SAVEPOINT {name}")
            try:
                yield self
            except BaseException:
                # A RAISE(ROLLBACK) can end the whole transaction, savepoints included.
                if conn.in_transaction:
                    conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                    conn.execute(f"RELEASE SAVEPOINT {name}")
                raise
            conn.execute(f"RELEASE SAVEPOINT {name}")
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
            conn.commit()
        except BaseException:
            self.after_commit.clear()
            if conn.in_transaction:
                conn.rollback()
            raise
        self._committed()

    def _committed(self) -> None:
        """Run what waits for the commit (each once); a failure there is logged, never
        raised: the change itself is saved."""
        pending = list(self.after_commit.values())
        self.after_commit.clear()
        for run in pending:
            try:
                run(self)
            except Exception:
                log.exception("after saving a change")

    def table_names(self) -> list[str]:
        return [
            r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]

    def close(self) -> None:
        self.conn.close()

    def replace_connection(self, conn: dbapi.Connection) -> None:
        """Carry on over ``conn`` (the same file, reopened after it was encrypted, decrypted or
        re-keyed): every service holding this handle follows."""
        self.__dict__.pop("utils", None)
        self.conn = conn
        conn.execute("PRAGMA recursive_triggers = ON")


# "KEEL" in ASCII: PRAGMA application_id marks the file as Keel's.
APPLICATION_ID = 0x4B45454C
SQLITE_HEADER = b"SQLite format 3\x00"


def new_id() -> str:
    """A text UUID: primary keys stay unique when records are merged across laptops."""
    import uuid  # on the first write: its import is not needed to show the schedule

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


def inspect_file(path: Path, *, integrity: bool = True) -> FileInfo:
    """Check that ``path`` is a sound Keel database (or absent) without writing to it.

    Raises a ``StorageError`` subclass with a message that says what to do. ``integrity=False``
    leaves out the slow part, SQLite's ``quick_check`` of every page, for a caller that runs
    it separately (:class:`IntegrityCheck`).
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
        return _inspect_encrypted(path, size, integrity=integrity)
    return _inspect_plain(path, header, size, integrity=integrity)


def _inspect_plain(path: Path, header: bytes, size: int, *, integrity: bool) -> FileInfo:
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
    if integrity:
        _quick_check(path)
    return FileInfo(path, True, user_version, application_id)


def is_encrypted(path: Path) -> bool:
    """True for an existing file that is not a plain SQLite file but has Keel's key file (or
    whose key is known in this process): an encrypted Keel database."""
    return keys.key_for(path) is not None or keys.looks_encrypted(path)


def _inspect_encrypted(path: Path, size: int, *, integrity: bool) -> FileInfo:
    """The checks of :func:`inspect_file` for a file that is not a plain SQLite file: an
    encrypted Keel database when its key is known (the header's fields are read through
    SQLCipher), else refused without being changed."""
    key = keys.key_for(path)
    if key is None:
        if keys.key_file_for(path).exists():
            raise EncryptedDatabaseError(
                f"{path} is encrypted: its passphrase (or recovery key) is needed to open it."
            )
        raise NotADatabaseError(
            f"{path} is not a Keel database (it is not an SQLite file). If it is an encrypted "
            "Keel database whose key file is missing, open it with its recovery key "
            "(`keel unlock-with-recovery-key`); otherwise check that you chose the right file, "
            "or restore a backup."
        )
    damaged = DamagedDatabaseError(
        f"{path} is encrypted and its key is right, but the file is damaged and cannot be "
        "read. Restore the latest backup."
    )
    if size < 512:
        raise damaged
    try:
        conn = read_only_connection(path)
        try:
            application_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
            user_version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
            pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
        finally:
            conn.close()
    except dbapi.OperationalError as exc:
        raise storage_error_from(exc, f"read {path}") from exc
    except dbapi.DatabaseError as exc:
        raise damaged from exc
    if application_id != APPLICATION_ID:
        raise ForeignDatabaseError(
            f"{path} opens with this key but is not one of Keel's databases. Keel has not "
            "changed it. Choose your Keel database (keel.db) instead."
        )
    if user_version > SCHEMA_VERSION:
        raise NewerSchemaError(
            f"{path} was written by a newer version of Keel (schema {user_version}; this "
            f"version understands up to {SCHEMA_VERSION}). Install the newer Keel to open it; "
            "the file has not been changed."
        )
    wal = Path(f"{path}-wal")
    if not (wal.exists() and wal.stat().st_size > 0) and (
        size % page_size or size < pages * page_size
    ):
        raise DamagedDatabaseError(
            f"{path} is truncated (only {size:,} bytes of {pages * page_size:,}): it may be an "
            "interrupted copy. Keel has not changed it. Restore the latest backup."
        )
    if integrity:
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


def use_key(conn: dbapi.Connection, key: bytes | None) -> dbapi.Connection:
    """Give ``conn`` the raw data key of an encrypted database (nothing for a plain one); its
    temporary tables and indices then stay in memory, never in a plain temporary file."""
    if key is not None:
        conn.execute(f"PRAGMA key = {keys.raw_key_pragma(key)}")
        conn.execute("PRAGMA temp_store = MEMORY")
    return conn


def read_only_connection(path: Path, *, key: bytes | None = None) -> dbapi.Connection:
    """A connection that cannot change the file and leaves no -wal/-shm files beside it.

    A plain read-only connection to a WAL database creates -wal and -shm files it cannot
    remove. With no -wal file there is nothing to replay, so the file is opened as immutable,
    which needs neither; when a -wal exists (Keel has the file open, or a crash left one) it
    must be read, so the connection is an ordinary read-only one.
    """
    flags = "mode=ro" if Path(f"{path}-wal").exists() else "mode=ro&immutable=1"
    conn = dbapi.connect(_uri(path, flags), uri=True, timeout=BUSY_TIMEOUT_S)
    return use_key(conn, key if key is not None else keys.key_for(path))


def _quick_check(path: Path) -> None:
    try:
        conn = read_only_connection(path)
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
        finally:
            conn.close()
    except dbapi.OperationalError as exc:
        # Locked, busy, unreadable: the environment, not damage (restoring would be wrong).
        raise storage_error_from(exc, f"read {path}") from exc
    except dbapi.DatabaseError as exc:
        raise DamagedDatabaseError(
            f"{path} is damaged and cannot be read ({exc}). Restore the latest backup."
        ) from exc
    if rows != [("ok",)]:
        problems = "; ".join(integrity_message(str(r[0])) for r in rows[:3])
        raise DamagedDatabaseError(
            f"{path} is damaged: it failed its integrity check ({problems}). "
            "Restore the latest backup."
        )


class IntegrityCheck:
    """``PRAGMA quick_check`` of a database file on a background thread.

    Opening the desktop app does not wait for it (on a 200 MB file it takes longer than
    everything else at start-up together); instead the connection it was opened with stays
    read-only and every write waits for the verdict (see :func:`open_database`).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._error: StorageError | None = None
        self._done = threading.Event()
        self._read_only: list[dbapi.Connection] = []
        self._thread = threading.Thread(target=self._run, name="keel-integrity", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        try:
            _quick_check(self.path)
        except StorageError as exc:
            self._error = exc
        except Exception as exc:  # never leave writers waiting on a thread that died
            self._error = DamagedDatabaseError(
                f"{self.path} could not be checked ({exc}). Restore the latest backup."
            )
        finally:
            self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def error(self) -> StorageError | None:
        """Why the file failed its check (None while running, or when it passed)."""
        return self._error if self.done else None

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the check has finished (or ``timeout`` passed); True when finished."""
        return self._done.wait(timeout)


# Checks still guarding a file, by the file's real path (one per open database).
_checks: dict[str, IntegrityCheck] = {}
_checks_lock = threading.Lock()


def _key(path: Path | str) -> str:
    return os.path.realpath(path)


def pending_check(path: Path | str) -> IntegrityCheck | None:
    """The background integrity check guarding ``path``, if one was started."""
    with _checks_lock:
        return _checks.get(_key(path))


def wait_until_checked(path: Path | str) -> None:
    """Return once ``path`` has passed its background integrity check (at once when none
    is running); raise the check's ``DamagedDatabaseError`` when it failed."""
    check = pending_check(path)
    if check is None:
        return
    check.wait()
    if check.error is not None:
        raise check.error


# What the user is shown while a write waits for the check (the GUI sets a busy cursor).
_feedback: Callable[[], contextlib.AbstractContextManager[None]] | None = None


def set_waiting_feedback(
    feedback: Callable[[], contextlib.AbstractContextManager[None]] | None,
) -> None:
    """Register a context manager entered while a write waits for a background check."""
    global _feedback
    _feedback = feedback


def _waiting_feedback() -> contextlib.AbstractContextManager[None]:
    return _feedback() if _feedback is not None else contextlib.nullcontext()


def wait_for_check(db: Database) -> None:
    """Before a write on ``db`` (or a backup of it): wait for the file's background integrity
    check, if one is running, then lift the read-only guard it was opened with (on the
    connection's own thread). Raises the check's ``DamagedDatabaseError`` if it failed."""
    if not _checks:
        return
    path = _database_file(db)
    check = pending_check(path) if path else None
    if check is None:
        return
    if not check.done:
        with _waiting_feedback():
            check.wait()
    if check.error is not None:
        raise check.error
    if db.conn in check._read_only:
        db.conn.execute("PRAGMA query_only = OFF")
        check._read_only.remove(db.conn)


def confirm_checked(db: Database) -> bool:
    """Lift ``db``'s read-only guard if its file has passed its check; True when it has
    (or never needed one). Raises the check's error when the file failed."""
    path = _database_file(db)
    check = pending_check(path) if path else None
    if check is not None and not check.done:
        return False
    wait_for_check(db)
    return True


def database_file(db: Database) -> Path | None:
    """The file ``db`` is open on (None for an in-memory database)."""
    found = _database_file(db)
    return Path(found) if found else None


def _database_file(db: Database) -> str | None:
    for _seq, name, file in db.conn.execute("PRAGMA database_list"):
        if name == "main" and file:
            return str(file)
    return None


def integrity_message(problem: str) -> str:
    """One line of SQLite's integrity report, without its "*** in database main ***" banner."""
    return " ".join(problem.replace("*** in database main ***", "").split())


def connect(path: Path | str, *, read_only: bool = False, key: bytes | None = None) -> Database:
    """Open a connection with Keel's pragmas (foreign keys, WAL, synchronous=FULL).

    A connection that may write waits for a background integrity check of the file, if one is
    running, and refuses a file that failed it.
    """
    if read_only:
        conn = read_only_connection(Path(path), key=key)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = FULL")
        return Database(conn)
    if str(path) != ":memory:":
        wait_until_checked(path)
    return _connect_writable(path, key=key)


def _connect_writable(path: Path | str, *, key: bytes | None = None) -> Database:
    conn = dbapi.connect(str(path), timeout=BUSY_TIMEOUT_S)
    if str(path) != ":memory:":
        use_key(conn, key if key is not None else keys.key_for(path))
    conn.execute("PRAGMA foreign_keys = ON")
    if str(path) != ":memory:":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    return Database(conn)


def schema_version(db: Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def _seed_themes(db: Database) -> None:
    now = utc_now()
    for name in SEEDED_THEMES:
        db.execute(
            "INSERT INTO themes (id, name, seeded, created_at) VALUES (?, ?, 1, ?)",
            [new_id(), name, now],
        )


def _begin_evidence(db: Database) -> None:
    """The evidence step: one baseline audit entry per existing row of evidence."""
    from app.storage.evidence_kinds import TRACKED_AT_BASELINE
    from app.storage.evidence_registry import begin_tracking

    begin_tracking(db, TRACKED_AT_BASELINE, MIGRATIONS.index(EVIDENCE_BASELINE) + 1)


def _types_as_data(db: Database) -> None:
    from app.storage.type_migration import types_as_data

    types_as_data(db)


_TYPES_STEP = MIGRATIONS.index(TYPES_AS_DATA) + 1
_ATTENDEE_RESPONSES_STEP = MIGRATIONS.index(ATTENDEE_RESPONSES) + 1


def _attendee_responses(db: Database) -> None:
    from app.storage.group_acks import begin_attendee_responses

    begin_attendee_responses(db, _ATTENDEE_RESPONSES_STEP)


# Python steps that run after a migration's SQL, in the same transaction.
_AFTER_STEP: dict[int, Callable[[Database], None]] = {
    2: _seed_themes,
    MIGRATIONS.index(EVIDENCE_BASELINE) + 1: _begin_evidence,
    _TYPES_STEP: _types_as_data,
    _ATTENDEE_RESPONSES_STEP: _attendee_responses,
}
# Steps that rebuild tables others refer to: they run with foreign keys off (SQLite's way to
# rebuild a table), and every foreign key of the database is checked before they commit.
_WITHOUT_FOREIGN_KEYS = frozenset({_TYPES_STEP})


def migrate(db: Database) -> int:
    """Bring the schema to the newest version, one transaction per step. Returns the version."""
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise NewerSchemaError(
            f"This database was written by a newer version of Keel (schema {current})."
        )
    for target in range(current + 1, SCHEMA_VERSION + 1):
        log.info("migrating database to schema %d", target)
        rebuilding = target in _WITHOUT_FOREIGN_KEYS
        if rebuilding:
            db.conn.execute("PRAGMA foreign_keys = OFF")
        try:
            with db.atomic():
                for statement in split_sql(MIGRATIONS[target - 1]):
                    db.execute(statement)
                after = _AFTER_STEP.get(target)
                if after is not None:
                    after(db)
                if rebuilding:
                    _refuse_broken_references(db)
                db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                db.execute(f"PRAGMA user_version = {target}")
        finally:
            if rebuilding:
                db.conn.execute("PRAGMA foreign_keys = ON")
    if any(step in _WITHOUT_FOREIGN_KEYS for step in range(current + 1, SCHEMA_VERSION + 1)):
        _compact(db)
    return SCHEMA_VERSION


def _compact(db: Database) -> None:
    """Give back the pages a table rebuild freed (once, after the upgrade): the file keeps its
    size otherwise, and every integrity check reads the free pages too. Not done (and not
    needed: the data is whole) when the disk has no room for the copy VACUUM makes."""
    try:
        db.conn.execute("VACUUM")
    except dbapi.Error as exc:
        log.warning("could not compact the database after upgrading it: %s", exc)


def _refuse_broken_references(db: Database) -> None:
    broken = db.execute("PRAGMA foreign_key_check").fetchmany(3)
    if broken:
        where = "; ".join(f"{r[0]} row {r[1]} → {r[2]}" for r in broken)
        raise StorageError(
            f"The database could not be upgraded: records refer to rows that do not exist "
            f"({where}). Nothing was changed. Restore the latest backup, or ask for help."
        )


def split_sql(script: str) -> list[str]:
    """Split a migration script into statements (triggers keep their inner semicolons)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if dbapi.complete_statement(buffer):
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
    # An encrypted database's copy is encrypted with the same key (never a plain copy).
    dst = use_key(dbapi.connect(str(target)), keys.key_for(path))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    os.chmod(target, 0o600)
    return target


def open_database(
    path: Path, *, create: bool = True, check_in_background: bool = False
) -> Database:
    """Open (or create) Keel's database at ``path``, migrating it if it is older.

    A missing file is created atomically (built beside it, then renamed), so a crash while
    creating never leaves a half-made database that looks like Keel's. An existing file is
    checked before anything is written to it; an older schema is backed up, then migrated.

    ``check_in_background`` (the desktop app) opens a current-schema file at once and runs the
    integrity check of its pages on a thread (:func:`pending_check`): until it passes, the
    connection is read-only (``PRAGMA query_only``) and every write waits for the verdict, so
    nothing is ever written to a damaged file. A file that needs migrating, or that holds a
    write-ahead log left by a crash, is checked first as usual.
    """
    if check_in_background and _can_check_later(path):
        return _open_checking_in_background(path)
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
            db.keeps_witness = False
            try:
                migrate(db)
            finally:
                close_database(db)
            os.chmod(building, 0o600)
            os.replace(building, path)
            created = True
        else:
            created = False
            if info.schema_version < SCHEMA_VERSION:
                saved = _backup_before_migrating(path, info.schema_version)
                log.info("kept a copy of the database before migrating (%s)", saved.suffix)
        db = connect(path)
        try:
            migrate(db)
            if created:
                from app.storage import witness

                witness.refresh(db)
            _restore_protections(db)
        except BaseException:
            db.close()
            raise
        return db
    except dbapi.Error as exc:
        raise storage_error_from(exc, f"open {path}") from exc


def _restore_protections(db: Database) -> None:
    """Put back any protection (trigger) removed or changed outside Keel, recording each in
    the audit trail; the sentences are kept in ``db.repaired`` for the caller to show. A file
    that cannot be written is left as it is (``check`` reports it)."""
    from app.storage import protections

    try:
        repaired = protections.restore(db)
    except dbapi.Error as exc:
        log.warning("could not restore the database's protections: %s", exc)
        return
    if repaired:
        log.warning("restored %d protection(s) changed outside Keel", len(repaired))
        db.repaired = [d.sentence for d in repaired]


def _can_check_later(path: Path) -> bool:
    """Deferring the integrity check is safe only for a file opened as it is: current schema
    (nothing to migrate) and no write-ahead log left by a crash (closing the connection would
    copy that log into the file)."""
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return False
    try:
        info = inspect_file(path, integrity=False)
    except StorageError:
        return False  # refused the usual way, with its message
    return info.exists and info.schema_version == SCHEMA_VERSION


def _open_checking_in_background(path: Path) -> Database:
    check = IntegrityCheck(path)
    try:
        db = _connect_writable(path)
    except dbapi.Error as exc:
        raise storage_error_from(exc, f"open {path}") from exc
    db.execute("PRAGMA query_only = ON")
    check._read_only.append(db.conn)
    with _checks_lock:
        _checks[_key(path)] = check
    check.start()
    return db


def close_database(db: Database) -> None:
    """Checkpoint the WAL and close, so the database is one self-contained file again."""
    path = _database_file(db) if _checks else None
    check = pending_check(path) if path else None
    if check is not None:
        with _checks_lock:
            if _checks.get(_key(path or "")) is check:
                del _checks[_key(path or "")]
    if check is None or db.conn not in check._read_only:
        with contextlib.suppress(dbapi.Error):
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


@contextlib.contextmanager
def transaction(db: Database, doing: str = "save your change") -> Iterator[None]:
    """One atomic write; SQLite environment errors become a ``SaveError`` that says why."""
    wait_for_check(db)
    try:
        with db.atomic():
            yield
    except dbapi.OperationalError as exc:
        raise storage_error_from(exc, doing) from exc
