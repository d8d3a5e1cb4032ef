"""Verified backups, rotation and safe restore of Keel's one database file.

A backup is one consistent snapshot written to a temporary file in the target folder (created
readable by the owner only), flushed to disk, verified, then renamed into place. The snapshot is
taken the fast way when it can be: the WAL is checkpointed into the main file, the write lock is
taken so nothing can be appended to the WAL, and with the WAL empty the main file's bytes *are*
the snapshot, so the kernel copies them (``copy_file_range``). That byte copy is verified by its
length, its header (equal to the source's but for the journal mode) and the ``application_id``,
schema version and row counts of the snapshot; the source itself passed ``quick_check`` when it
was opened. Otherwise (the checkpoint was blocked by a reader or a writer, another platform)
SQLite's backup API copies the pages and the copy gets a full ``quick_check`` as well. An
encrypted backup is a SQLCipher file written encrypted from the start (``sqlcipher_export``
into a keyed file, or the backup API between two keyed connections for an encrypted database),
verified through its key, then wrapped and authenticated (``app.services.encrypted_backup``):
no page of it is ever on disk unencrypted, even if the backup is killed. Whatever goes wrong,
no temporary file is left behind and the earlier backups are untouched.

A restore validates the candidate exactly as opening a database does (an encrypted one through
its key, still encrypted; only an old ``KEELENC1`` backup is decrypted into a private temporary
folder), keeps a safety backup of the current data, and copies the candidate through
the backup API into the open connection, in one write transaction, so a stale ``-wal`` or
``-journal`` beside the database can never replay old data over it and a failed restore leaves
the database as it was. ``restore_into_file`` does the same for a database file that is not
open — including one that is missing or damaged, which is moved aside, never deleted.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app import dbapi
from app.errors import (
    DamagedDatabaseError,
    EmptyFileError,
    ForeignDatabaseError,
    KeelError,
    NewerSchemaError,
    NotADatabaseError,
    StorageError,
)
from app.services import crypto, encrypted_backup
from app.services.backup_files import (
    ANOTHER_DATABASE,
    DATABASE_ID_KEY,
    PREFIX,
    SAFETY_PREFIX,
    TEMP_PREFIX,
    backup_name,
    backup_stem,
    backup_time,
    database_stem,
    format_when,
)
from app.services.temporaries import RESTORE_TEMP, owned_name
from app.storage import audit, witness
from app.storage.db import (
    APPLICATION_ID,
    Database,
    _uri,
    close_database,
    connect,
    inspect_file,
    is_encrypted,
    migrate,
    read_only_connection,
    schema_version,
    use_key,
    wait_for_check,
)
from app.storage.identity import database_id
from app.storage.schema import SCHEMA_VERSION

log = logging.getLogger(__name__)

COUNTED_TABLES = ("workers", "risk_assessments", "sessions", "actions", "addenda", "audit_log")
# A backup or restore that cannot get at the database for this long gives up with a message
# (the backup API would otherwise wait for ever on a connection that is in the middle of a write).
BUSY_TIMEOUT_S = 30.0
_MMAP_SIZE = 2**31 - 2**16  # SQLite's default ceiling on 64-bit builds
_SIDE_FILES = ("-journal", "-wal", "-shm")
_COPY_CHUNK = 8 * 2**20  # the read/write fallback of the byte copy
# copy_file_range / sendfile not usable for this pair of files: try the next way of copying
# (ENOTSOCK: macOS's sendfile writes to sockets only).
_UNSUPPORTED = frozenset(
    {
        errno.ENOSYS,
        errno.EXDEV,
        errno.EINVAL,
        errno.EOPNOTSUPP,
        errno.ENOTSUP,
        errno.ESPIPE,
        errno.ENOTSOCK,
    }
)


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

    def summary(self) -> str:
        kind = "Encrypted backup" if self.encrypted else "Backup"
        return f"{kind} written to {self.path} ({describe_counts(self.counts)})."


@dataclass(frozen=True)
class BackupInfo:
    """What a backup file holds, found without changing anything."""

    source: Path
    encrypted: bool
    schema_version: int
    counts: dict[str, int]
    created_at: datetime | None
    database_id: str | None = None
    """The id of the database it is a backup of (None: made before databases had one)."""
    database_name: str | None = None
    """That database's file stem, as the backup's name (or encrypted header) gives it."""

    def describe(self) -> str:
        return f"the backup of {format_when(self.created_at)} ({describe_counts(self.counts)})"


@dataclass(frozen=True)
class PreparedBackup:
    """A validated backup, as an SQLite file: plain (decrypted into a private folder if needed),
    or, for the backup of an encrypted database, still encrypted under ``key``."""

    info: BackupInfo
    plain: Path
    key: bytes | None = None
    passphrase: str | None = None
    decrypted: bool = False  # a KEELENC1 backup decrypted into a private temporary file
    of_encrypted_database: bool = False
    """The backup of an encrypted database (its data stays encrypted wherever it is restored);
    False for a plain database's backup, encrypted with a passphrase of its own or not."""


@dataclass(frozen=True)
class RestoreResult:
    counts: dict[str, int]
    backup_date: datetime | None
    safety_backup: Path | None
    source: Path
    messages: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"Restored the backup of {format_when(self.backup_date)} ({describe_counts(self.counts)})."
        if self.safety_backup is not None:
            text += f" The data you had before is kept in {self.safety_backup}."
        return " ".join([text, *self.messages])


_COUNT_NOUNS = {"audit_log": "audit entries", "addenda": "addenda"}


def describe_counts(counts: dict[str, int]) -> str:
    words = (f"{n} {_COUNT_NOUNS.get(t, t.replace('_', ' '))}" for t, n in counts.items())
    return ", ".join(words) or "no records"


def row_counts(conn: dbapi.Connection) -> dict[str, int]:
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {
        t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
        for t in COUNTED_TABLES
        if t in names
    }


# --------------------------------------------------------------------------- making a backup


def _fsync_file(path: Path) -> None:
    from app.storage.keys import fsync_file

    fsync_file(path)


def _fsync_dir(folder: Path) -> None:
    from app.storage.keys import fsync_dir

    fsync_dir(folder)


def _create_private(path: Path) -> None:
    """Create an empty file readable by the owner only (before any data goes into it)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)


def _remove_with_side_files(path: Path) -> None:
    for leftover in (path, *(Path(f"{path}{s}") for s in _SIDE_FILES)):
        with contextlib.suppress(OSError):
            leftover.unlink()


def _copy_pages(src: dbapi.Connection, dst: dbapi.Connection, doing: str) -> None:
    """The backup API in one step (one snapshot, one write transaction on ``dst``), giving up
    after ``BUSY_TIMEOUT_S`` of being locked out instead of waiting for ever."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S

    def progress(status: int, remaining: int, total: int) -> None:
        if status in (dbapi.SQLITE_BUSY, dbapi.SQLITE_LOCKED) and time.monotonic() > deadline:
            raise BackupError(
                f"Could not {doing}: the database stayed locked by another program. "
                "Close other copies of Keel and try again."
            )

    src.backup(dst, pages=-1, progress=progress, sleep=0.05)


def _database_file(db: Database) -> Path | None:
    for _seq, name, file in db.conn.execute("PRAGMA database_list"):
        if name == "main" and file:
            return Path(file)
    return None


def _verify_plain(path: Path, expected: dict[str, int], version: int) -> dict[str, int]:
    try:
        return _verify_copy(path, expected, version)
    except dbapi.DatabaseError as exc:
        if isinstance(exc, dbapi.OperationalError):
            raise  # the environment (a full disk, a lock): reported as such
        raise BackupError(
            f"The backup failed its integrity check ({exc}), so it was not kept."
        ) from exc


def _verify_copy(
    path: Path, expected: dict[str, int], version: int, *, full: bool = True
) -> dict[str, int]:
    """``application_id``, schema version and row counts equal to the snapshot's, after a
    ``quick_check`` of every page unless ``full`` is False (a byte copy, checked apart)."""
    conn = read_only_connection(path)
    try:
        if full and conn.execute("PRAGMA quick_check").fetchall() != [("ok",)]:
            raise BackupError("The backup failed its integrity check, so it was not kept.")
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            raise BackupError("The backup is not marked as a Keel database, so it was not kept.")
        found = conn.execute("PRAGMA user_version").fetchone()[0]
        if found != version:
            raise BackupError(f"The backup has schema {found}, expected {version}; not kept.")
        counts = row_counts(conn)
    finally:
        conn.close()
    if counts != expected:
        raise BackupError(
            "The backup does not hold the same records as the database, so it was not kept. "
            "Try the backup again."
        )
    return counts


def _unique(target: Path) -> Path:
    n = 1
    candidate = target
    while candidate.exists():
        candidate = target.with_name(f"{target.stem}-{n}{target.suffix}")
        n += 1
    return candidate


def _why(exc: BaseException, folder: Path) -> str:
    code = getattr(exc, "errno", None)
    # The error's own words, never the file name in them: a folder called "fullerton" or
    # "readonly-archive" is not a full or read-only disk.
    text = (exc.strerror or "" if isinstance(exc, OSError) else str(exc)).lower()
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or "disk is full" in text:
        return f"there is not enough space in {folder}"
    if (
        code in (errno.EACCES, errno.EPERM, errno.EROFS)
        or "readonly" in text
        or "read-only" in text
    ):
        return f"{folder} cannot be written to"
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}"
    return str(exc)


@dataclass(frozen=True)
class _Snapshot:
    """What a copy must hold: the snapshot's row counts and schema version and, when the copy
    is the main file's bytes, the source's 100-byte header and length (``header`` is None for a
    copy made through the backup API, which gets a full ``quick_check`` instead)."""

    counts: dict[str, int]
    version: int
    header: bytes | None = None
    size: int = 0

    def __iter__(self) -> Iterator[Any]:
        """Unpacks as ``counts, version``."""
        return iter((self.counts, self.version))


def _snapshot_copy(db: Database, tmp: Path) -> _Snapshot:
    """Copy one consistent snapshot of ``db`` into ``tmp``: the file's bytes when the WAL can
    be emptied first (:func:`_file_copy`), else through the backup API."""
    copied = _file_copy(db, tmp)
    if copied is not None:
        return copied
    expected, version = _backup_api_copy(db, tmp)
    return _Snapshot(expected, version)


def _file_copy(db: Database, tmp: Path) -> _Snapshot | None:
    """Copy the database file itself into ``tmp`` when its bytes are a complete snapshot, or
    return None (nothing written) so that the backup API is used.

    In WAL mode the WAL is checkpointed into the main file (TRUNCATE: it is left empty), then
    the write lock is taken (``BEGIN IMMEDIATE``): nobody can append to the WAL until the copy
    is done, so if it is still empty the main file holds every committed change and nothing
    else. The counts, schema version, size and header are read inside that transaction. A
    reader or writer that blocks the checkpoint, or a WAL written to in between, means None —
    at once, without waiting on the busy timeout.

    The bytes are read through a descriptor SQLite already holds on the file: opening and
    closing one of our own would release this process's POSIX locks on it (SQLite's SHARED
    lock, which tells another program closing the database that it is not the last user and
    must not delete the WAL). Where that descriptor cannot be found, the backup API is used.
    """
    path = _database_file(db)
    if path is None or os.name != "posix":
        return None
    mode = str(db.conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
    if mode != "wal":
        return None
    previous_timeout = int(db.conn.execute("PRAGMA busy_timeout").fetchone()[0])
    db.conn.execute("PRAGMA busy_timeout = 0")
    try:
        busy = db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        if busy:
            return None
        db.conn.execute("BEGIN IMMEDIATE")
    except dbapi.OperationalError:  # another connection is writing
        return None
    finally:
        db.conn.execute(f"PRAGMA busy_timeout = {previous_timeout}")
    try:
        if _size(Path(f"{path}-wal")) != 0:
            return None
        source = _descriptor_of(path)
        if source is None:
            return None
        page_size = int(db.conn.execute("PRAGMA page_size").fetchone()[0])
        size = page_size * int(db.conn.execute("PRAGMA page_count").fetchone()[0])
        identity = os.fstat(source)
        if identity.st_size != size:
            return None
        counts = row_counts(db.conn)
        version = schema_version(db)
        header = os.pread(source, 100, 0)
        out = os.open(tmp, os.O_WRONLY)
        try:
            _copy_bytes(source, out, size)
            # The copied header says WAL (bytes 18 and 19 = 2); a backup is one self-contained
            # file: 1 is the rollback journal, what journal_mode=DELETE writes with no WAL.
            os.pwrite(out, b"\x01\x01", 18)
        finally:
            os.close(out)
        if _identity(os.fstat(source)) != _identity(identity):  # the descriptor was reused
            raise BackupError("The database file changed while it was copied; not kept.")
    finally:
        db.conn.rollback()
    return _Snapshot(counts, version, header, size)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _identity(st: os.stat_result) -> tuple[int, int]:
    return st.st_dev, st.st_ino


def _descriptor_of(path: Path) -> int | None:
    """A readable descriptor this process already has open on ``path`` (SQLite's), or None.
    SQLite does not close one while this process holds a lock on the file (and a connection in
    WAL mode always holds one), so it stays valid for the copy."""
    import fcntl  # POSIX only: the caller checked

    try:
        wanted = _identity(os.stat(path))
    except OSError:
        return None
    for listing in ("/proc/self/fd", "/dev/fd"):
        try:
            names = os.listdir(listing)
        except OSError:
            continue
        for name in names:
            if not name.isdigit():
                continue
            fd = int(name)
            try:
                if _identity(os.fstat(fd)) != wanted:
                    continue
                if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE in (os.O_RDONLY, os.O_RDWR):
                    return fd
            except OSError:
                continue
        return None
    return None


def _copy_bytes(source: int, out: int, size: int) -> None:
    """Copy the first ``size`` bytes of ``source`` to the start of ``out`` in the kernel:
    ``copy_file_range``, else ``sendfile``, else ``pread``/``pwrite`` in 8 MB pieces. Every read
    names its offset, so the position SQLite's descriptor shares is never moved."""
    ways = ["copy_file_range", "sendfile", "pread"]
    ways = [w for w in ways if w == "pread" or hasattr(os, w)]
    offset = 0
    while offset < size:
        way = ways[0]
        left = size - offset
        try:
            if way == "copy_file_range":
                done = os.copy_file_range(source, out, left, offset, offset)
            elif way == "sendfile":
                os.lseek(out, offset, os.SEEK_SET)
                done = os.sendfile(out, source, offset, left)
            else:
                done = os.pwrite(out, os.pread(source, min(left, _COPY_CHUNK), offset), offset)
        except OSError as exc:
            if exc.errno in _UNSUPPORTED and len(ways) > 1:
                ways.pop(0)
                continue
            raise
        if done == 0:
            raise BackupError("The database file ended before it was copied; not kept.")
        offset += done


def _verify_file_copy(path: Path, snapshot: _Snapshot) -> dict[str, int]:
    """Check a byte copy of the (already integrity-checked) database: its length, its header
    against the source's, then ``application_id``, schema and row counts against the snapshot."""
    source_header = snapshot.header or b""
    with path.open("rb") as fh:
        header = fh.read(100)
    size = path.stat().st_size
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    if size != snapshot.size or header[24:28] != header[92:96] or page_size * pages != size:
        raise BackupError(
            f"The backup is {size:,} bytes, not the database's {snapshot.size:,}, so it was "
            "not kept. Try the backup again."
        )
    unchanged = slice(0, 18), slice(20, 100)
    if header[18:20] != b"\x01\x01" or any(header[s] != source_header[s] for s in unchanged):
        raise BackupError("The backup's header does not match the database's; it was not kept.")
    try:
        return _verify_copy(path, snapshot.counts, snapshot.version, full=False)
    except dbapi.DatabaseError as exc:
        if isinstance(exc, dbapi.OperationalError):
            raise
        raise BackupError(
            f"The backup failed its integrity check ({exc}), so it was not kept."
        ) from exc


def _backup_api_copy(db: Database, tmp: Path) -> tuple[dict[str, int], int]:
    """Copy one consistent snapshot of ``db`` into ``tmp`` with SQLite's backup API; the counts
    and schema it holds.

    For speed the source is read through a memory map for the duration of the copy (about
    twice as fast as read() calls for a 200 MB file; the setting is put back afterwards) and the
    temporary destination is written without a journal, under an exclusive lock.
    """
    previous_mmap = int(db.conn.execute("PRAGMA mmap_size").fetchone()[0])
    db.conn.execute(f"PRAGMA mmap_size = {_MMAP_SIZE}")
    try:
        db.conn.execute("BEGIN")  # a read transaction: counts and pages from one snapshot
        try:
            expected = row_counts(db.conn)
            version = schema_version(db)
            dst = dbapi.connect(str(tmp))
            try:
                # The copy is a temporary file until it is verified: no journal is needed.
                dst.execute("PRAGMA journal_mode = OFF")
                dst.execute("PRAGMA synchronous = OFF")
                dst.execute("PRAGMA locking_mode = EXCLUSIVE")
                _copy_pages(db.conn, dst, "make the backup")
                # The copied header says WAL; a backup is one self-contained file.
                dst.execute("PRAGMA journal_mode = DELETE")
            finally:
                dst.close()
        finally:
            db.conn.rollback()
    finally:
        db.conn.execute(f"PRAGMA mmap_size = {previous_mmap}")
    return expected, version


def _flush_and_verify(plain: Path, snapshot: _Snapshot) -> dict[str, int]:
    """fsync the copy while it is verified: the two do not depend on each other (verification
    reads what was written, from the page cache either way), so they overlap on two cores.
    Both must succeed before the copy is renamed into place."""
    from concurrent.futures import ThreadPoolExecutor  # only when a backup is made

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="keel-fsync") as pool:
        flushed = pool.submit(_fsync_file, plain)
        try:
            if snapshot.header is not None:
                counts = _verify_file_copy(plain, snapshot)
            else:
                counts = _verify_plain(plain, snapshot.counts, snapshot.version)
        finally:
            flush_error = flushed.exception()
    if flush_error is not None:
        raise flush_error
    return counts


def backup_database(
    db: Database,
    folder: Path,
    *,
    passphrase: str | None = None,
    now: datetime | None = None,
    prefix: str = PREFIX,
    stem: str | None = None,
) -> BackupResult:
    """Make one verified backup of the open database in ``folder``, named after the database
    file (``stem``, by default its own: ``keel-backup-<stem>-YYYYMMDD-HHMMSS.db``).

    ``passphrase`` (not None) makes an encrypted backup; an empty one is refused. The folder is
    created if its parent exists (a missing parent usually means a USB stick or share that is
    not connected: Keel does not create a look-alike folder on the laptop's own disk).
    """
    now = now or datetime.now(UTC)
    encrypted = passphrase is not None
    if encrypted and not passphrase:
        raise BackupError("An encrypted backup needs a passphrase: nothing was written.")
    if db.conn.in_transaction:
        raise BackupError(
            "The backup was not made: a change is still being saved. Try again in a moment."
        )
    try:
        wait_for_check(db)  # a file still being checked at start-up: only a sound one is copied
    except StorageError as exc:
        raise BackupError(f"The backup was not made: {exc}") from exc
    try:
        folder.mkdir(mode=0o700, exist_ok=True)  # owner-only, as the backups in it
    except FileNotFoundError:
        raise BackupError(
            f"The backup folder {folder} is not available. If it is on a USB stick or a "
            "network share, connect it and try again; otherwise choose another folder."
        ) from None
    except OSError as exc:
        raise BackupError(f"Cannot use the backup folder {folder}: {_why(exc, folder)}.") from exc
    if not folder.is_dir():
        raise BackupError(f"The backup folder {folder} is a file, not a folder.")
    name = owned_name(TEMP_PREFIX)  # says which process made it: see app.services.temporaries
    tmp = folder / f"{name}.tmp"
    tmp_enc = folder / f"{name}.enc.tmp"
    outside = witness.current(db)  # read before the snapshot: never ahead of it
    db_key = encrypted_backup.database_key(db)
    if db_key is not None or encrypted:  # an encrypted database's backups are always encrypted
        return _backup_encrypted(
            db, folder, db_key, (tmp, tmp_enc), now, prefix, passphrase, outside, stem
        )
    try:
        _create_private(tmp)
        taken = _snapshot_copy(db, tmp)
        # A wrapped copy step may hand back the bare (counts, version) pair: no byte-copy
        # header to check against, so that copy gets the full quick_check.
        snapshot = taken if isinstance(taken, _Snapshot) else _Snapshot(*taken)
        counts = _flush_and_verify(tmp, snapshot)
        _carry_witness_into(tmp, outside)
        final = backup_name(now, encrypted=False, stem=stem or database_stem(db), prefix=prefix)
        target = _unique(folder / final)
        os.replace(tmp, target)
        _fsync_dir(folder)
    except BaseException as exc:
        _cleanup(tmp, tmp_enc)
        failure = _backup_failure(exc, folder)
        if failure is exc:
            raise
        raise failure from exc
    _cleanup(tmp, tmp_enc)
    log.info("backup of database %s written (%d bytes)", database_id(db), target.stat().st_size)
    return BackupResult(target, now, counts, target.stat().st_size, False)


def _encrypted_meta(
    db: Database, now: datetime, version: int, counts: dict[str, int]
) -> dict[str, Any]:
    """What an encrypted backup's header says (authenticated with the contents, readable
    without the passphrase): when, which schema, what it holds, and which database it is of —
    its id and its file name."""
    path = _database_file(db)
    return {
        "created": now.isoformat(),
        "schema": version,
        "counts": counts,
        DATABASE_ID_KEY: database_id(db),
        "database": path.name if path is not None else None,
    }


def _backup_failure(exc: BaseException, folder: Path) -> BaseException:
    """What a failed backup raises: a ``BackupError`` as it is, the environment's errors as a
    ``BackupError`` that says why, anything else (a bug, an interrupt) unchanged."""
    if isinstance(exc, BackupError) or not isinstance(
        exc, (dbapi.Error, OSError, MemoryError, KeelError)
    ):
        return exc
    return BackupError(
        f"The backup was not made: {_why(exc, folder)}. Your earlier backups are untouched."
    )


def _backup_encrypted(
    db: Database,
    folder: Path,
    db_key: bytes | None,
    temps: tuple[Path, Path],
    now: datetime,
    prefix: str,
    passphrase: str | None,
    outside: witness.Witness | None,
    stem: str | None = None,
) -> BackupResult:
    """An encrypted backup (see ``app.services.encrypted_backup``): a SQLCipher copy — under
    the database's own key when it is encrypted (``db_key``), else written encrypted under a
    fresh key straight from the plain file — verified, the witness of its trail stamped in,
    wrapped with its key entries, renamed into place; named after the database and carrying
    its id, as every backup. No page of it is ever on disk unencrypted, so a backup killed at
    any moment leaves nothing readable behind."""
    tmp, tmp_enc = temps
    db_path = _database_file(db)
    if db_path is None:
        raise BackupError("The backup was not made: the database has no file.")
    try:
        _create_private(tmp)
        if db_key is not None:
            key = db_key
            counts, version = encrypted_backup.copy_encrypted(db, tmp, key)
        else:
            from app.storage import keys

            key = keys.new_data_key()
            counts, version = encrypted_backup.export_encrypted(db_path, tmp, key)
        encrypted_backup.verify_encrypted(tmp, key, counts, version)
        _carry_witness_into(tmp, outside, key=key)
        _create_private(tmp_enc)
        meta = _encrypted_meta(db, now, version, counts)
        key_file_of = db_path if db_key is not None else None
        encrypted_backup.write_container(tmp, tmp_enc, key, key_file_of, meta, passphrase)
        final = backup_name(now, encrypted=True, stem=stem or database_stem(db), prefix=prefix)
        target = _unique(folder / final)
        os.replace(tmp_enc, target)
        _fsync_dir(folder)
    except BaseException as exc:
        _cleanup(tmp, tmp_enc)
        failure = _backup_failure(exc, folder)
        if failure is exc:
            raise
        raise failure from exc
    _cleanup(tmp, tmp_enc)
    log.info("encrypted backup of database %s written", database_id(db))
    return BackupResult(target, now, counts, target.stat().st_size, True)


def _cleanup(tmp: Path, tmp_enc: Path) -> None:
    _remove_with_side_files(tmp)
    _remove_with_side_files(tmp_enc)


# --------------------------------------------------------------------------- restore


def _refusal(exc: StorageError, name: str) -> RestoreError:
    if isinstance(exc, EmptyFileError):
        why = f"{name} is empty (0 bytes), so it is not a backup"
    elif isinstance(exc, NotADatabaseError):
        why = f"{name} is not a Keel backup (it is not an SQLite database)"
    elif isinstance(exc, ForeignDatabaseError):
        why = f"{name} is another program's SQLite database, not a Keel backup"
    elif isinstance(exc, NewerSchemaError):
        why = f"{name} was made by a newer version of Keel; install that version to restore it"
    elif isinstance(exc, DamagedDatabaseError):
        why = f"it failed Keel's checks: {first_sentence(exc)}"
    else:
        why = str(exc).rstrip(".")
    return RestoreError(f"Nothing was restored: {why.rstrip('.')}. Your current data is unchanged.")


def first_sentence(exc: BaseException) -> str:
    text = str(exc)
    end = text.find(". ")
    return (text if end < 0 else text[:end]).rstrip(".")


def _created_at(candidate: Path, header: dict[str, Any] | None) -> datetime | None:
    when = backup_time(candidate)
    if when is None and header is not None and isinstance(header.get("created"), str):
        with contextlib.suppress(ValueError):
            when = datetime.fromisoformat(header["created"])
    if when is None:
        with contextlib.suppress(OSError):
            when = datetime.fromtimestamp(candidate.stat().st_mtime, UTC)
    return when


@contextlib.contextmanager
def prepared_backup(
    candidate: Path,
    *,
    passphrase: str | None = None,
    workdir: Path | None = None,
    into: Path | None = None,
) -> Iterator[PreparedBackup]:
    """Validate ``candidate`` (decrypting it into a private temporary folder under ``workdir``
    when it is encrypted) without changing it. Raises ``RestoreError`` with a sentence.

    ``into`` is the database it is for: when that is encrypted, a backup encrypted with a
    passphrase of its own (made before the database was encrypted) is refused before it is
    decrypted, since its decrypted copy would be an unencrypted file on disk."""
    name = str(candidate)
    try:
        if not candidate.is_file():
            what = "a folder" if candidate.is_dir() else "no file"
            raise RestoreError(f"Nothing was restored: there is {what} at {candidate}.")
        with candidate.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise RestoreError(
            f"Nothing was restored: cannot read {candidate} ({exc.strerror})."
        ) from exc
    if encrypted_backup.is_encrypted_database_backup(head):
        with _prepared_encrypted_database_backup(candidate, passphrase, workdir) as ready:
            yield ready
        return
    with contextlib.ExitStack() as stack:
        header: dict[str, Any] | None = None
        plain = candidate
        if crypto.is_encrypted(head):
            if into is not None and is_encrypted(into):
                raise RestoreError(_OLD_BACKUP_INTO_ENCRYPTED)
            if not passphrase:
                raise RestoreError("This backup is encrypted: give its passphrase to restore it.")
            try:
                blob = candidate.read_bytes()
                header = crypto.read_header(blob).params
                data = crypto.decrypt(blob, passphrase)
            except crypto.DecryptionError as exc:
                raise RestoreError(f"Nothing was restored. {exc}") from exc
            except OSError as exc:
                raise RestoreError(f"Nothing was restored: cannot read {candidate}.") from exc
            del blob
            folder = stack.enter_context(
                tempfile.TemporaryDirectory(
                    prefix=owned_name(RESTORE_TEMP) + "-", dir=str(workdir) if workdir else None
                )
            )
            plain = Path(folder) / "backup.db"
            _create_private(plain)
            plain.write_bytes(data)
            del data
        try:
            info = inspect_file(plain)
        except StorageError as exc:
            raise _refusal(_renamed(exc, str(plain), name), name) from exc
        try:
            conn = read_only_connection(plain)
            try:
                counts = row_counts(conn)
                found_id = _meta_database_id(conn)
            finally:
                conn.close()
        except dbapi.DatabaseError as exc:
            raise RestoreError(
                f"Nothing was restored: {name} cannot be read ({exc}). Your current data is "
                "unchanged."
            ) from exc
        yield PreparedBackup(
            BackupInfo(
                candidate,
                header is not None,
                info.schema_version,
                counts,
                _created_at(candidate, header),
                found_id,
                _named_database(candidate, header),
            ),
            plain,
            decrypted=header is not None,
        )


def _meta_database_id(conn: dbapi.Connection) -> str | None:
    """The database id a backup holds in its own ``meta`` (the authenticated contents: an
    encrypted backup's header says the same, for listing without the passphrase)."""
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", [DATABASE_ID_KEY]).fetchone()
    except dbapi.OperationalError:  # no meta table: not a database Keel would open anyway
        return None
    return str(row[0]) if row and row[0] else None


def _named_database(candidate: Path, header: dict[str, Any] | None) -> str | None:
    """The stem of the database file a backup was made from: its header's (encrypted), else
    its name's."""
    if header is not None and isinstance(header.get("database"), str):
        return Path(header["database"]).stem
    return backup_stem(candidate)


@contextlib.contextmanager
def _prepared_encrypted_database_backup(
    candidate: Path, passphrase: str | None, workdir: Path | None
) -> Iterator[PreparedBackup]:
    """The backup of an encrypted database, checked and extracted — still encrypted — into a
    private temporary folder; its key comes from this process (the open database's), else from
    ``passphrase`` (the database's passphrase of that day, or the backup's own), which may also
    be a recovery key."""
    from app.storage import keys

    name = str(candidate)
    try:
        with candidate.open("rb") as fh:
            container = encrypted_backup.read_container(fh, candidate.stat().st_size)
        recovery = None
        if passphrase and _looks_like_recovery_key(passphrase):
            recovery, passphrase = passphrase, None
        key = encrypted_backup.key_for_backup(
            container.header, passphrase=passphrase, recovery=recovery, known=keys.known_keys()
        )
    except (encrypted_backup.EncryptedBackupError, KeelError) as exc:
        raise RestoreError(f"Nothing was restored. {exc}") from exc
    except OSError as exc:
        raise RestoreError(f"Nothing was restored: cannot read {candidate}.") from exc
    with tempfile.TemporaryDirectory(
        prefix=owned_name(RESTORE_TEMP) + "-", dir=str(workdir) if workdir else None
    ) as folder:
        body = Path(folder) / "backup.db"
        _create_private(body)
        try:
            encrypted_backup.extract_body(candidate, container, key, body)
        except encrypted_backup.EncryptedBackupError as exc:
            raise RestoreError(f"Nothing was restored. {exc}") from exc
        keys.register_key(body, key)
        try:
            try:
                info = inspect_file(body)
            except StorageError as exc:
                raise _refusal(_renamed(exc, str(body), name), name) from exc
            conn = read_only_connection(body)
            try:
                counts = row_counts(conn)
                found_id = _meta_database_id(conn)
            finally:
                conn.close()
            header = container.header
            yield PreparedBackup(
                BackupInfo(
                    candidate,
                    True,
                    info.schema_version,
                    counts,
                    _created_at(candidate, header),
                    found_id,
                    _named_database(candidate, header),
                ),
                body,
                key=key,
                passphrase=passphrase,
                of_encrypted_database=encrypted_backup.of_encrypted_database(header),
            )
        finally:
            keys.forget_key(body)


def needs_passphrase(candidate: Path) -> bool:
    """Whether restoring ``candidate`` needs a passphrase: an encrypted backup, unless it is the
    backup of an encrypted database whose key this process already has (it was unlocked)."""
    from app.storage import keys

    try:
        with candidate.open("rb") as fh:
            head = fh.read(16)
            if crypto.is_encrypted(head):
                return True
            if not encrypted_backup.is_encrypted_database_backup(head):
                return False
            fh.seek(0)
            container = encrypted_backup.read_container(fh, candidate.stat().st_size)
    except (OSError, encrypted_backup.EncryptedBackupError):
        return False  # refused with its reason when it is prepared
    check = str(container.header.get("key_check", ""))
    return not any(keys.key_check(k) == check for k in keys.known_keys())


_OLD_BACKUP_INTO_ENCRYPTED = (
    "Nothing was restored: this backup was made before the database was encrypted, with a "
    "passphrase of its own, and restoring it into an encrypted database would write its "
    "unencrypted content to disk. Restore it into a new file instead (`keel --db NEW.db "
    "restore FILE`), then encrypt that file (`keel --db NEW.db encrypt`)."
)


def _looks_like_recovery_key(text: str) -> bool:
    from app.errors import RecoveryKeyFormatError
    from app.storage import keys

    try:
        keys.parse_recovery_key(text)
    except RecoveryKeyFormatError:
        return False
    return True


def _renamed(exc: StorageError, old: str, new: str) -> StorageError:
    """The same error, naming the file the person chose rather than a decrypted temporary."""
    if old == new:
        return exc
    return type(exc)(str(exc).replace(old, new))


def inspect_backup(
    candidate: Path, *, passphrase: str | None = None, into: Path | None = None
) -> BackupInfo:
    """What ``candidate`` holds (counts, date), after the same checks a restore makes."""
    workdir = _writable_parent(into)
    with prepared_backup(candidate, passphrase=passphrase, workdir=workdir, into=into) as prepared:
        return prepared.info


def _same_file(a: Path, b: Path | None) -> bool:
    if b is None:
        return False
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def restore_database(
    db: Database,
    candidate: Path | PreparedBackup,
    safety_folder: Path,
    *,
    passphrase: str | None = None,
    another_database: bool = False,
) -> RestoreResult:
    """Replace the open database's content with ``candidate`` after validating it.

    A rejected candidate changes nothing. A backup of another database (its id is not this
    database's) is refused unless ``another_database`` says the person confirmed it. Before
    anything is replaced, the current data is backed up to ``safety_folder``. The copy is one
    write transaction into ``db``'s own connection: it either happens completely or not at all.
    """
    if isinstance(candidate, PreparedBackup):
        return _restore_prepared(db, candidate, safety_folder, another_database)
    live = _database_file(db)
    workdir = _writable_parent(live)
    with prepared_backup(candidate, passphrase=passphrase, workdir=workdir, into=live) as prepared:
        return _restore_prepared(db, prepared, safety_folder, another_database)


def holds_data(conn: dbapi.Connection) -> bool:
    """The database has workers or sessions: data a restore would replace. (A new, empty
    database has neither: restoring onto it is never restoring "another database".)"""
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return any(
        conn.execute(f"SELECT EXISTS (SELECT 1 FROM {t})").fetchone()[0]
        for t in ("workers", "sessions")
        if t in names
    )


def refuse_another_database(db: Database, prepared: PreparedBackup) -> None:
    """``RestoreError`` when ``prepared`` is a backup of another database than ``db`` and
    ``db`` holds data of its own."""
    mine, theirs = database_id(db), prepared.info.database_id
    if mine is not None and theirs is not None and mine != theirs and holds_data(db.conn):
        raise RestoreError(
            f"Nothing was restored: {ANOTHER_DATABASE}. Confirm that you want to replace this "
            "database's data with it. Your current data is unchanged."
        )


def _restore_prepared(
    db: Database, prepared: PreparedBackup, safety_folder: Path, another_database: bool = False
) -> RestoreResult:
    if not another_database:
        refuse_another_database(db, prepared)
    if _same_file(prepared.plain, _database_file(db)):
        raise RestoreError("Nothing was restored: that file is the database Keel has open.")
    if db.conn.in_transaction:
        raise RestoreError("Nothing was restored: a change is still being saved. Try again.")
    previous_id = database_id(db)
    target_key = encrypted_backup.database_key(db)
    if prepared.of_encrypted_database and target_key is None:
        raise RestoreError(
            "Nothing was restored: this backup is of an encrypted database and this database "
            "is not encrypted. Encrypt it first (Data → Encrypt this database…, or `keel "
            "encrypt`), then restore the backup."
        )
    if prepared.key is None and target_key is not None and prepared.decrypted:
        raise RestoreError(_OLD_BACKUP_INTO_ENCRYPTED)
    try:
        safety = backup_database(db, safety_folder, prefix=SAFETY_PREFIX)
    except BackupError as exc:
        raise RestoreError(
            f"Nothing was restored, because the safety copy of your current data could not be "
            f"made. {exc}"
        ) from exc
    replaced = _trail_before_restore(db)
    try:
        with _source_for(
            prepared, target_key, workdir=_writable_parent(_database_file(db)),
            page_size=int(db.conn.execute("PRAGMA page_size").fetchone()[0]),
        ) as src:  # fmt: skip
            _copy_pages(src, db.conn, "restore the backup")
    except (dbapi.Error, BackupError) as exc:
        raise RestoreError(
            f"The restore failed ({exc}); your data is as it was before. A safety copy of it "
            f"is in {safety.path}."
        ) from exc
    _keep_identity(db, previous_id)
    if schema_version(db) < SCHEMA_VERSION:
        migrate(db)
    warnings = _record_restore(db, prepared, replaced, safety.path)
    counts = row_counts(db.conn)
    return RestoreResult(
        counts, prepared.info.created_at, safety.path, prepared.info.source, warnings
    )


def _keep_identity(db: Database, previous_id: str | None) -> None:
    """A backup made before databases had an id, restored over this database, keeps this
    database's id (the upgrade would give it a new one, and its later backups would then look
    like another database's). A backup that has an id brings it, with its data."""
    if previous_id is None or database_id(db) is not None or "meta" not in db.table_names():
        return
    db.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", [DATABASE_ID_KEY, previous_id]
    )


@contextlib.contextmanager
def _source_for(
    prepared: PreparedBackup,
    target_key: bytes | None,
    *,
    workdir: Path | None,
    page_size: int | None = None,
) -> Iterator[dbapi.Connection]:
    """A connection whose ``main`` SQLite's backup API can copy into a database keyed with
    ``target_key`` (None: plain). The backup API copies pages as they are, so it cannot copy
    between files with different keys (or between a plain and an encrypted file):

    * the backup's own file when its key is the target's (both plain, or the same key);
    * a plain database's encrypted backup restored into a plain database: its content
      exported (``sqlcipher_export``) into an in-memory database — decrypted in memory, never
      on disk (``page_size``: the target's, which a database in WAL mode must keep);
    * anything else into an encrypted database: an encrypted copy under the target's key, in an
      owner-named private folder under ``workdir``, so nothing unencrypted is written.
    """
    if prepared.key == target_key:
        src = read_only_connection(prepared.plain, key=prepared.key)
        try:
            yield src
        finally:
            src.close()
        return
    if target_key is None:
        memory = _exported(":memory:", None, prepared, page_size)
        try:
            yield memory
        finally:
            memory.close()
        return
    with tempfile.TemporaryDirectory(
        prefix=owned_name(RESTORE_TEMP) + "-", dir=str(workdir) if workdir else None
    ) as folder:
        keyed = Path(folder) / "backup-encrypted.db"
        _create_private(keyed)
        _exported(str(keyed), target_key, prepared, None).close()
        src = read_only_connection(keyed, key=target_key)
        try:
            yield src
        finally:
            src.close()


def _exported(
    target: str, key: bytes | None, prepared: PreparedBackup, page_size: int | None
) -> dbapi.Connection:
    """A new database ``target`` (a file, or ``:memory:``) keyed with ``key``, holding
    everything in the backup (read-only, with its own key): ``sqlcipher_export`` in one
    transaction, temporary storage in memory. Returns the open connection to it."""
    conn = use_key(dbapi.connect(target, uri=True, isolation_level=None), key)
    try:
        conn.execute("PRAGMA temp_store = MEMORY")
        if page_size:
            conn.execute(f"PRAGMA page_size = {int(page_size)}")
        source_key = keys_pragma(prepared.key) if prepared.key is not None else "''"
        conn.execute(
            f"ATTACH DATABASE ? AS backup KEY {source_key}", [_uri(prepared.plain, "mode=ro")]
        )
        version = int(conn.execute("PRAGMA backup.user_version").fetchone()[0])
        conn.execute("BEGIN")
        conn.execute("SELECT sqlcipher_export('main', 'backup')")
        conn.execute(f"PRAGMA main.user_version = {version}")
        conn.execute(f"PRAGMA main.application_id = {APPLICATION_ID}")
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE backup")
    except BaseException:
        conn.close()
        raise
    return conn


def keys_pragma(key: bytes) -> str:
    from app.storage import keys

    return keys.raw_key_pragma(key)


def restore_into_file(
    db_path: Path,
    candidate: Path | PreparedBackup,
    safety_folder: Path,
    *,
    passphrase: str | None = None,
    now: datetime | None = None,
    another_database: bool = False,
    db_passphrase: str | None = None,
    ask_db_passphrase: Callable[[], str | None] | None = None,
) -> RestoreResult:
    """Restore ``candidate`` as the database at ``db_path``, which is not open in this process
    (the caller holds the ``InstanceLock``). A sound database is not replaced by a backup of
    another database unless ``another_database`` says the person confirmed it.

    A sound database is restored into through the backup API after a safety backup, exactly as
    ``restore_database``. A missing one is created from the backup. An empty or damaged one is
    moved aside (with its ``-wal`` and ``-shm``, renamed ``….damaged-<time>``: never deleted),
    then created from the backup; any orphan ``-wal`` beside it is moved aside too so it cannot
    be replayed onto the restored data. Another program's database or a newer Keel's is refused.

    Where the database was encrypted (its key file is beside it, or this process holds its
    key) and the backup is not (a backup made before it was encrypted), the missing or damaged
    database is rebuilt **encrypted with the same data key** (its recovery key still opens it),
    its key file wrapped by ``db_passphrase`` (else asked by ``ask_db_passphrase``, only then)
    — the database's passphrase, which must unwrap that key from the key file; without it
    nothing is restored (``RestoreError`` saying so):
    a restore never quietly turns an encrypted database into a plain one.
    """
    if isinstance(candidate, PreparedBackup):
        return _restore_file_prepared(
            db_path, candidate, safety_folder, now, another_database,
            db_passphrase, ask_db_passphrase,
        )  # fmt: skip
    workdir = _writable_parent(db_path)
    with prepared_backup(
        candidate, passphrase=passphrase, workdir=workdir, into=db_path
    ) as prepared:
        return _restore_file_prepared(
            db_path, prepared, safety_folder, now, another_database,
            db_passphrase, ask_db_passphrase,
        )  # fmt: skip


def restore_keeps_encryption(db_path: Path, prepared: PreparedBackup) -> bool:
    """Restoring ``prepared`` as a new file at ``db_path`` (missing or damaged) keeps the
    database's encryption, and needs the database's passphrase to do so: the database was
    encrypted (its key file is beside it, or this process holds its key) and the backup is a
    plain database's."""
    from app.storage import keys

    if prepared.of_encrypted_database:
        return False
    return keys.key_for(db_path) is not None or keys.key_file_for(db_path).exists()


class _DatabasePassphrase:
    """The database's passphrase for a restore: the one given, else asked (once, only when
    it is needed)."""

    def __init__(self, given: str | None, ask: Callable[[], str | None] | None) -> None:
        self.value, self._ask, self._asked = given or None, ask, False

    def get(self) -> str | None:
        if self.value is None and self._ask is not None and not self._asked:
            self._asked = True
            self.value = self._ask() or None
        return self.value


def _key_to_keep(
    db_path: Path, prepared: PreparedBackup, passphrase: _DatabasePassphrase
) -> tuple[bytes, str] | None:
    """The data key (and passphrase) a plain backup is rebuilt encrypted with, where the
    database it replaces was encrypted (see :func:`restore_keeps_encryption`); None when it was
    not. ``RestoreError`` when it was and the passphrase is missing or does not unwrap it (nor
    the key this process already holds for it)."""
    from app.storage import keys

    if not restore_keeps_encryption(db_path, prepared):
        return None
    known = keys.key_for(db_path)
    given = passphrase.get()
    if given:
        try:
            entries = keys.read_key_file(db_path)
        except (KeelError, OSError):
            entries = []
        for entry in entries:
            try:
                key = keys.unwrap(entry, given)
            except KeelError:
                continue
            if known is None or key == known:
                return key, given
    why = (
        "the passphrase given does not open its key file"
        if given
        else "give the database's passphrase (KEEL_DB_PASSPHRASE, or typed when asked)"
    )
    raise RestoreError(
        f"Nothing was restored: {db_path.name} was encrypted, and this backup was made before "
        "it was encrypted. Keel restores it encrypted with the database's own key (its "
        f"recovery key keeps working), and for that it needs its passphrase: {why}. To "
        "restore an unencrypted database on purpose instead, first move its key file "
        f"{keys.key_file_for(db_path).name} out of the folder."
    )


def _restore_file_prepared(
    db_path: Path,
    prepared: PreparedBackup,
    safety_folder: Path,
    now: datetime | None,
    another_database: bool = False,
    db_passphrase: str | None = None,
    ask_db_passphrase: Callable[[], str | None] | None = None,
) -> RestoreResult:
    from app.storage import keys

    now = now or datetime.now(UTC)
    if _same_file(prepared.plain, db_path):
        raise RestoreError("Nothing was restored: that backup is the database file itself.")
    if db_path.is_dir():
        raise RestoreError(f"Nothing was restored: {db_path} is a folder.")
    passphrase = _DatabasePassphrase(db_passphrase, ask_db_passphrase)
    if keys.key_for(db_path) is None and keys.looks_encrypted(db_path):
        keep = _key_to_keep(db_path, prepared, passphrase)
        if keep is not None:  # a plain backup over it: unlocked with its passphrase to look
            keys.register_key(db_path, keep[0])
    try:
        info = inspect_file(db_path)
    except (ForeignDatabaseError, NewerSchemaError) as exc:
        raise RestoreError(
            f"Nothing was restored: {exc} Keel does not replace it with a backup."
        ) from exc
    except (EmptyFileError, NotADatabaseError, DamagedDatabaseError) as exc:
        keep = _key_to_keep(db_path, prepared, passphrase)  # before anything is moved
        stamp = now.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
        aside = _move_aside(db_path, f"damaged-{stamp}")
        _build_from(prepared, db_path, keep)
        return _result_for_new(
            db_path,
            prepared,
            aside,
            [f"The damaged file ({first_sentence(exc)}) was moved to {aside}."],
        )
    # A lock or an unreadable file (StorageError) propagates: nothing was touched.
    if not info.exists:
        stamp = now.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
        orphans = [Path(f"{db_path}{s}") for s in _SIDE_FILES if Path(f"{db_path}{s}").exists()]
        keep = _key_to_keep(db_path, prepared, passphrase)
        if orphans:
            _move_aside(db_path, f"orphan-{stamp}", main=False)
        _build_from(prepared, db_path, keep)
        return _result_for_new(db_path, prepared, None, [])
    db = connect(db_path)
    try:
        return _restore_prepared(db, prepared, safety_folder, another_database)
    finally:
        close_database(db)


def _move_aside(db_path: Path, tag: str, *, main: bool = True) -> Path:
    """Rename the database (and its side files) to ``<name>.<tag>`` in the same folder."""
    aside = _unique(db_path.with_name(f"{db_path.name}.{tag}"))
    for suffix in (*_SIDE_FILES, ".key"):  # an encrypted file keeps its key file beside it
        side = Path(f"{db_path}{suffix}")
        if side.exists():
            os.replace(side, Path(f"{aside}{suffix}"))
    if main:
        os.replace(db_path, aside)
    _fsync_dir(db_path.parent)
    return aside


def _build_from(
    prepared: PreparedBackup, db_path: Path, keep: tuple[bytes, str] | None = None
) -> None:
    """Create ``db_path`` from the backup: built beside it, flushed, then renamed into place.
    The backup of an encrypted database is rebuilt encrypted with its key (and a key file
    wrapped by the passphrase that opened the backup); a plain database's backup, encrypted or
    not, is rebuilt as the plain database it was (an encrypted one decrypted in memory) —
    unless ``keep`` gives the key and passphrase of the encrypted database it replaces: then
    it is rebuilt encrypted with that key (through an encrypted temporary, never a plain one)."""
    target_key = prepared.key if prepared.of_encrypted_database else None
    if keep is not None:
        target_key = keep[0]
    building = db_path.with_name(db_path.name + ".restoring")
    _remove_with_side_files(building)
    try:
        _create_private(building)
        with _source_for(prepared, target_key, workdir=_writable_parent(db_path)) as src:
            dst = use_key(dbapi.connect(str(building)), target_key)
            try:
                _copy_pages(src, dst, "restore the backup")
                dst.execute("PRAGMA journal_mode = DELETE")
            finally:
                dst.close()
        _fsync_file(building)
        if keep is not None:
            _write_key_file(keep[0], keep[1], building, db_path)
        elif target_key is not None:
            _key_file_for_restored(prepared, building, db_path)
        os.replace(building, db_path)
        _fsync_dir(db_path.parent)
    except (dbapi.Error, OSError) as exc:
        _remove_with_side_files(building)
        raise RestoreError(
            f"The restore failed: {_why(exc, db_path.parent)}. Nothing was restored."
        ) from exc
    except BaseException:
        _remove_with_side_files(building)
        raise


def _key_file_for_restored(prepared: PreparedBackup, building: Path, db_path: Path) -> None:
    """A database rebuilt from the backup of an encrypted one is encrypted with the backup's
    key: its key file is written (the passphrase given to open the backup wraps it) before the
    file is renamed into place, and the key is known to this process from now on."""

    if not prepared.passphrase or prepared.key is None:
        raise RestoreError(
            "Nothing was restored: give the backup's passphrase (not the recovery key) to "
            "restore it as a new database file, so that the restored database has a passphrase."
        )
    _write_key_file(prepared.key, prepared.passphrase, building, db_path)


def _write_key_file(key: bytes, passphrase: str, building: Path, db_path: Path) -> None:
    from app.storage import keys

    entry = keys.wrap(key, passphrase, keys.db_salt_of(building))
    keys.write_key_file(db_path, [entry])
    keys.register_key(db_path, key)


def _writable_parent(path: Path | None) -> Path | None:
    """The folder of ``path`` when Keel may write there (a private temporary beside the
    database), else None (the system's temporary folder)."""
    if path is not None and os.access(path.parent, os.W_OK):
        return path.parent
    return None


def _result_for_new(
    db_path: Path, prepared: PreparedBackup, safety: Path | None, messages: list[str]
) -> RestoreResult:
    db = connect(db_path)
    try:
        if schema_version(db) < SCHEMA_VERSION:
            migrate(db)
        messages = messages + _record_restore(db, prepared, None, safety)
        counts = row_counts(db.conn)
    finally:
        close_database(db)
    return RestoreResult(counts, prepared.info.created_at, safety, prepared.info.source, messages)


# --------------------------------------------------------------------------- restore's audit


@dataclass(frozen=True)
class _Trail:
    """The audit trail a restore replaces: its head, and the witness of it."""

    head: tuple[int, str] | None
    witness: witness.Witness | None


def _trail_before_restore(db: Database) -> _Trail | None:
    try:
        return _Trail(audit.head(db), witness.current(db))
    except dbapi.Error:
        return None  # an older schema without an audit trail, or an unreadable one


def _head_dict(head: tuple[int, str] | None) -> dict[str, Any] | None:
    return None if head is None else {"seq": head[0], "hash": head[1]}


def _record_restore(
    db: Database, prepared: PreparedBackup, replaced: _Trail | None, safety: Path | None
) -> list[str]:
    """The restore's audit entry, in the restored trail: the backup file and its chain's head,
    the head it replaced, the safety copy. The witness outside the database is rewritten from
    the restored trail. Returns warnings for the person restoring (the backup's trail does not
    reach the witness it carries: it was cut before it was restored)."""
    if "audit_log" not in db.table_names():
        return []
    with db.atomic():
        head = audit.head(db)
        carried = witness.carried_in(db)
        findings: list[str] = []
        if carried is not None:
            found = witness.compare(carried, head, _hash_in(db))
            findings = found.findings
        db.execute("DELETE FROM meta WHERE key = ?", [witness.CARRIED_KEY])
        detail: dict[str, Any] = {
            "backup": prepared.info.source.name,
            "backup_head": _head_dict(head),
            "backup_created": (
                prepared.info.created_at.isoformat() if prepared.info.created_at else None
            ),
            "encrypted": prepared.info.encrypted,
            "safety_copy": safety.name if safety is not None else None,
        }
        if replaced is not None:
            detail["replaced_head"] = _head_dict(replaced.head)
            if replaced.witness is not None:
                detail["replaced_witness"] = replaced.witness.as_dict()
        if findings:
            detail["backup_findings"] = findings
        from app.storage.identity import database_id

        audit.append(db, "restore", "database", database_id(db), detail)
        witness.rewrite_after_commit(db)
    return [f"Warning: in the backup, {f[:1].lower()}{f[1:]}" for f in findings]


def _hash_in(db: Database) -> Callable[[int], str | None]:
    def hash_at(seq: int) -> str | None:
        row = db.execute("SELECT hash FROM audit_log WHERE seq = ?", [seq]).fetchone()
        return None if row is None else str(row[0])

    return hash_at


# --------------------------------------------------------------------------- the witness inside


def _stamp_witness(conn: dbapi.Connection, outside: witness.Witness | None) -> None:
    """Store the witness of the copy's audit trail in its ``meta`` table (see
    ``app.storage.witness``): the head of the chain it holds, and the witness kept outside the
    database when the copy was made."""
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not {"meta", "audit_log"} <= names:
        return  # an older schema has no audit trail to witness
    carried = witness.carried(Database(conn), outside)
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [witness.CARRIED_KEY, json.dumps(carried, sort_keys=True)],
    )
    conn.commit()


def _carry_witness_into(
    copy: Path, outside: witness.Witness | None, *, key: bytes | None = None
) -> None:
    """Stamp the witness into a verified copy (encrypted under ``key`` for an encrypted
    database's), then flush it again."""
    conn = use_key(dbapi.connect(str(copy)), key)
    try:
        _stamp_witness(conn, outside)
    finally:
        conn.close()
    _fsync_file(copy)


@contextlib.contextmanager
def open_backup_read_only(candidate: Path, *, passphrase: str | None = None) -> Iterator[Database]:
    """A backup opened for reading, after the checks a restore makes (an encrypted one is
    decrypted into a private temporary folder named by this process, removed afterwards).
    Raises ``RestoreError`` with a sentence."""
    with prepared_backup(candidate, passphrase=passphrase) as ready:
        conn = read_only_connection(ready.plain, key=ready.key)
        try:
            yield Database(conn)
        finally:
            conn.close()
