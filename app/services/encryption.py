"""Encryption at rest: unlock an encrypted database, and encrypt, decrypt or re-key one.

Each conversion works on a copy: the new file is built beside the database (``keel.db.encrypting``
and so on, owner-only), flushed and verified — its integrity, ``application_id``, schema version
and the row count of every table equal to the original's — and only then renamed over the
database in one atomic step. The key file is written (atomically, see ``app.storage.keys``) so
that at every moment the file at the database's path opens: the entry for a new encrypted file is
added before the rename and stale entries removed after it. A process killed at any moment leaves
the old file or the new one, whole, with its key; what was left half-built is removed by the next
conversion.

Every conversion needs the database closed in this process and its instance lock held (the
caller's job: the command line takes the lock, the window closes its connection first).

Only decrypting writes an unencrypted file — the database the user asked to have unencrypted.
Encrypting reads the plain file and writes only encrypted bytes; the old plain file is replaced
(its blocks may survive in the disk's free space: full-disk encryption covers that).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app import dbapi
from app.errors import (
    DamagedDatabaseError,
    KeelError,
    KeyFileError,
    StorageError,
    UsageError,
    WrongPassphraseError,
)
from app.services.bound import BoundService, bound
from app.storage import keys
from app.storage.db import (
    APPLICATION_ID,
    Database,
    close_database,
    connect,
    inspect_file,
    is_encrypted,
    read_only_connection,
    use_key,
)

log = logging.getLogger(__name__)

MIN_PASSPHRASE = 12
MIN_WORDS = 4
_SIDE = ("-wal", "-shm", "-journal")
_WORK_SUFFIXES = (".encrypting", ".decrypting", ".rekeying")

# Called between the steps of a conversion (tests use it to check the files at each step).
Step = Callable[[str], None]


def _no_step(_name: str) -> None:
    return None


class ConversionError(KeelError):
    """A conversion failed; the database is as it was."""


# --------------------------------------------------------------------------- passphrase rules


def passphrase_problem(passphrase: str) -> str | None:
    """Why ``passphrase`` is not accepted for a database (None: it is)."""
    words = [w for w in passphrase.split() if w]
    if len(passphrase) >= MIN_PASSPHRASE or (
        len(words) >= MIN_WORDS and all(len(w) >= 3 for w in words)
    ):
        if len(set(passphrase)) < 4:
            return "Use more than a few different characters."
        return None
    return f"Use at least {MIN_PASSPHRASE} characters, or four words (e.g. from the generator)."


@dataclass(frozen=True)
class Strength:
    score: int  # 0 very weak … 4 strong
    label: str
    bits: float


def strength(passphrase: str) -> Strength:
    """A rough estimate of how hard ``passphrase`` is to guess (bits of entropy from the kinds
    of characters used, discounted for repeats and words from the generator's list)."""
    import math

    from app.services.wordlist import WORDS

    if not passphrase:
        return Strength(0, "empty", 0.0)
    words = [w.lower() for w in passphrase.split()]
    if len(words) >= 2 and all(w in WORDS for w in words):
        bits = len(words) * math.log2(len(WORDS))
    else:
        pool = 0
        pool += 26 if any(c.islower() for c in passphrase) else 0
        pool += 26 if any(c.isupper() for c in passphrase) else 0
        pool += 10 if any(c.isdigit() for c in passphrase) else 0
        pool += 33 if any(not c.isalnum() and c.isascii() for c in passphrase) else 0
        pool += 100 if any(not c.isascii() for c in passphrase) else 0
        distinct = len(set(passphrase))
        effective = min(len(passphrase), distinct * 2)
        bits = effective * math.log2(max(pool, 2)) * 0.8  # people pick patterns
    # Each guess costs scrypt (about a third of a second of a laptop's core and 128 MB), so
    # the bands sit lower than for a fast hash.
    score = 0 if bits < 28 else 1 if bits < 40 else 2 if bits < 52 else 3 if bits < 64 else 4
    labels = ("very weak", "weak", "fair", "good", "strong")
    return Strength(score, labels[score], bits)


def generate_passphrase(words: int = 5) -> str:
    """Random words from the built-in list (about 11 bits each), separated by spaces."""
    import secrets

    from app.services.wordlist import WORDS

    return " ".join(secrets.choice(WORDS) for _ in range(words))


def check_new_passphrase(passphrase: str) -> None:
    problem = passphrase_problem(passphrase)
    if problem:
        raise UsageError(f"That passphrase is too easy to guess: {problem} Nothing was changed.")


# --------------------------------------------------------------------------- unlocking


def needs_key(db_path: Path) -> bool:
    """True when ``db_path`` is an encrypted database whose key this process does not have."""
    return keys.key_for(db_path) is None and keys.looks_encrypted(db_path)


def unlock(db_path: Path, passphrase: str) -> None:
    """Derive the database's key from its passphrase (once for this process; every connection
    after this opens with it). ``WrongPassphraseError`` (the file is untouched),
    ``KeyFileError`` (missing, damaged or another database's key file), or
    ``DamagedDatabaseError`` (the passphrase is right, the file is damaged)."""
    key = keys.unlock_with_passphrase(db_path, passphrase)
    _check_key_opens(db_path, key, damaged_if_not=True)
    log.info("unlocked the database")


def _check_key_opens(db_path: Path, key: bytes, *, damaged_if_not: bool) -> None:
    try:
        conn = read_only_connection(db_path, key=key)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except dbapi.OperationalError as exc:
        keys.forget_key(db_path)
        from app.errors import storage_error_from

        raise storage_error_from(exc, f"read {db_path}") from exc
    except dbapi.DatabaseError as exc:
        keys.forget_key(db_path)
        if damaged_if_not:
            raise DamagedDatabaseError(
                f"The passphrase is right, but {db_path} is damaged and cannot be read. "
                "Restore the latest backup."
            ) from exc
        raise WrongPassphraseError(
            f"This recovery key does not open {db_path}: it is another database's key, or the "
            "file is damaged. The file has not been changed."
        ) from exc


def unlock_with_recovery_key(db_path: Path, recovery: str, new_passphrase: str) -> None:
    """Open ``db_path`` with its recovery key (a bare copy without its key file too) and set
    a new passphrase: the key file is written anew."""
    check_new_passphrase(new_passphrase)
    if not db_path.is_file():
        raise UsageError(f"There is no database at {db_path}: check the path.")
    key = keys.parse_recovery_key(recovery)
    with open(db_path, "rb") as fh:
        if fh.read(16) == b"SQLite format 3\x00":
            raise UsageError(f"{db_path} is not encrypted: it needs no recovery key.")
    _check_key_opens(db_path, key, damaged_if_not=False)
    keys.register_key(db_path, key)
    inspect_file(db_path)  # a sound Keel database, opened with this key
    entry = keys.wrap(key, new_passphrase, keys.db_salt_of(db_path))
    keys.write_key_file(db_path, [entry])
    _audit(db_path, "unlock_with_recovery_key")
    log.info("set a new passphrase for the database with its recovery key")


# --------------------------------------------------------------------------- conversions


def _remove_with_side(path: Path) -> None:
    for p in (path, *(Path(f"{path}{s}") for s in _SIDE)):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def remove_leftovers(db_path: Path) -> None:
    """Half-built copies a conversion killed part-way left beside the database."""
    for suffix in _WORK_SUFFIXES:
        _remove_with_side(db_path.with_name(db_path.name + suffix))
    for tmp in db_path.parent.glob(f"{db_path.name}{keys.KEY_FILE_SUFFIX}.*.tmp"):
        with contextlib.suppress(OSError):
            tmp.unlink()


def _table_counts(conn: dbapi.Connection, schema: str = "main") -> dict[str, int]:
    names = [
        r[0]
        for r in conn.execute(
            f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    return {
        n: int(conn.execute(f'SELECT count(*) FROM {schema}."{n}"').fetchone()[0]) for n in names
    }


def _export(
    db_path: Path, target: Path, source_key: bytes | None, target_key: bytes | None
) -> dict[str, int]:
    """Copy every table, index, trigger and row of ``db_path`` into a new file ``target``
    (``sqlcipher_export``), keyed with ``target_key`` (None: plain). Returns the source's row
    counts, read in the same transaction as the copy."""
    _remove_with_side(target)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    conn = use_key(dbapi.connect(str(db_path), timeout=10, isolation_level=None), source_key)
    try:
        conn.execute("PRAGMA temp_store = MEMORY")  # no temporary file while indexes are built
        conn.execute("PRAGMA foreign_keys = OFF")
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        key_sql = keys.raw_key_pragma(target_key) if target_key is not None else "''"
        conn.execute(f"ATTACH DATABASE ? AS target KEY {key_sql}", [str(target)])
        conn.execute("BEGIN")
        counts = _table_counts(conn)
        conn.execute("SELECT sqlcipher_export('target')")
        conn.execute(f"PRAGMA target.user_version = {version}")
        conn.execute(f"PRAGMA target.application_id = {APPLICATION_ID}")
        conn.execute("COMMIT")
        conn.execute("PRAGMA target.journal_mode = WAL")  # as Keel keeps every database
        conn.execute("DETACH DATABASE target")
    finally:
        conn.close()
    keys.fsync_file(target)
    return counts


def _verify(target: Path, key: bytes | None, expected: dict[str, int]) -> None:
    conn = read_only_connection(target, key=key)
    try:
        if conn.execute("PRAGMA integrity_check").fetchall() != [("ok",)]:
            raise ConversionError("The converted copy failed its integrity check; not used.")
        if int(conn.execute("PRAGMA application_id").fetchone()[0]) != APPLICATION_ID:
            raise ConversionError("The converted copy is not marked as Keel's; not used.")
        if _table_counts(conn) != expected:
            raise ConversionError(
                "The converted copy does not hold the same records as the database; not used."
            )
    finally:
        conn.close()


def _quiesce(db_path: Path) -> None:
    """Fold the WAL into the file and close: the database is one file, with no -wal or -shm
    beside it that could be replayed onto the file that replaces it."""
    db = connect(db_path)
    close_database(db)
    for suffix in ("-wal", "-shm"):
        side = Path(f"{db_path}{suffix}")
        if side.exists():
            if suffix == "-wal" and side.stat().st_size:
                raise ConversionError(
                    f"{db_path} is still in use by another program (its write-ahead log could "
                    "not be emptied). Close it and try again."
                )
            side.unlink()


def _swap(new: Path, db_path: Path) -> None:
    os.replace(new, db_path)
    keys.fsync_dir(db_path.parent)


def _convert_failed(exc: BaseException, work: Path) -> ConversionError:
    _remove_with_side(work)
    if isinstance(exc, ConversionError):
        return exc
    return ConversionError(f"The database was not converted ({exc}). It is as it was.")


def _encrypted_copy(
    db_path: Path,
    suffix: str,
    old_key: bytes | None,
    passphrase: str,
    old_entries: list[keys.KeyEntry],
    step: Step,
) -> tuple[Path, bytes, keys.KeyEntry]:
    """Build beside the database a verified copy encrypted with a new data key, and add its
    key entry (wrapped by ``passphrase``) to the key file, beside ``old_entries``, before the
    copy replaces anything: from then on, either file at the database's path opens."""
    key = keys.new_data_key()
    work = db_path.with_name(db_path.name + suffix)
    try:
        counts = _export(db_path, work, old_key, key)
        step("copied")
        _verify(work, key, counts)
        step("verified")
        entry = keys.wrap(key, passphrase, keys.db_salt_of(work))
        keys.write_key_file(db_path, [*old_entries, entry])
        step("key written")
    except (dbapi.Error, OSError, KeelError) as exc:
        raise _convert_failed(exc, work) from exc
    return work, key, entry


def _swap_in(work: Path, db_path: Path, key: bytes, step: Step) -> None:
    _swap(work, db_path)
    keys.register_key(db_path, key)
    step("swapped")


def encrypt_database(db_path: Path, passphrase: str, *, step: Step = _no_step) -> str:
    """Encrypt the (closed) plain database at ``db_path`` with a new data key wrapped by
    ``passphrase``; returns the recovery key, to be shown once."""
    check_new_passphrase(passphrase)
    if is_encrypted(db_path):
        raise UsageError(f"{db_path} is already encrypted.")
    inspect_file(db_path)
    remove_leftovers(db_path)
    _quiesce(db_path)
    work, key, _entry = _encrypted_copy(db_path, ".encrypting", None, passphrase, [], step)
    _quiesce(db_path)  # nothing may have written to it since; keeps the swap clean
    _swap_in(work, db_path, key, step)
    _audit(db_path, "encrypt")
    log.info("encrypted the database")
    return keys.recovery_key(key)


def decrypt_database(db_path: Path, *, step: Step = _no_step) -> None:
    """Turn the (closed, unlocked) encrypted database at ``db_path`` back into a plain file."""
    key = _known_key(db_path)
    inspect_file(db_path)
    remove_leftovers(db_path)
    _quiesce(db_path)
    work = db_path.with_name(db_path.name + ".decrypting")
    try:
        counts = _export(db_path, work, key, None)
        step("copied")
        _verify(work, None, counts)
        step("verified")
    except (dbapi.Error, OSError, KeelError) as exc:
        raise _convert_failed(exc, work) from exc
    _swap(work, db_path)
    step("swapped")
    keys.forget_key(db_path)
    with contextlib.suppress(FileNotFoundError):
        keys.key_file_for(db_path).unlink()
    keys.fsync_dir(db_path.parent)
    _audit(db_path, "decrypt")
    log.info("decrypted the database")


def change_passphrase(db_path: Path, new_passphrase: str, *, step: Step = _no_step) -> None:
    """Wrap the (unlocked) database's data key with ``new_passphrase``: only the key file
    changes, replaced atomically; the recovery key stays valid."""
    check_new_passphrase(new_passphrase)
    key = _known_key(db_path)
    salt = keys.db_salt_of(db_path)
    entry = keys.wrap(key, new_passphrase, salt)
    step("wrapped")
    keys.write_key_file(db_path, [entry])
    step("key written")
    _audit(db_path, "change_passphrase")
    log.info("changed the passphrase of the database")


def new_recovery_key(db_path: Path, passphrase: str, *, step: Step = _no_step) -> str:
    """Re-encrypt the (closed, unlocked) database with a new data key, so the old recovery key
    no longer opens it; ``passphrase`` wraps the new key. Returns the new recovery key."""
    check_new_passphrase(passphrase)
    old_key = _known_key(db_path)
    inspect_file(db_path)
    remove_leftovers(db_path)
    _quiesce(db_path)
    old_entries = keys.read_key_file(db_path)  # kept while swapping: both files open
    work, key, entry = _encrypted_copy(db_path, ".rekeying", old_key, passphrase, old_entries, step)
    _swap_in(work, db_path, key, step)
    keys.write_key_file(db_path, [entry])
    _audit(db_path, "new_recovery_key")
    log.info("re-encrypted the database with a new key")
    return keys.recovery_key(key)


def _audit(db_path: Path, action: str) -> None:
    """An entry in the database's audit trail for a change of its encryption (no secret in
    it: what was done, and when). A failure to write it does not undo the change."""
    from app.storage import audit
    from app.storage.db import transaction
    from app.storage.identity import database_id

    try:
        db = connect(db_path)
        try:
            with transaction(db, "record the change in the audit trail"):
                audit.append(db, action, "database", database_id(db), {})
        finally:
            close_database(db)
    except (dbapi.Error, KeelError) as exc:
        log.warning("the audit entry for %s was not written: %s", action, exc)


def _known_key(db_path: Path) -> bytes:
    key = keys.key_for(db_path)
    if key is None:
        if keys.looks_encrypted(db_path):
            raise KeyFileError(f"{db_path} is encrypted and has not been unlocked.")
        raise UsageError(f"{db_path} is not encrypted.")
    return key


def recovery_key_text(db_path: Path) -> str:
    """The recovery key of the unlocked database (for a new recovery sheet)."""
    return keys.recovery_key(_known_key(db_path))


def encryption_status(db_path: Path) -> bool:
    """True when the database at ``db_path`` is encrypted."""
    return is_encrypted(db_path)


def lock_minutes(db: Database) -> int:
    """After how many idle minutes the window locks (the policy's ``lock_minutes``)."""
    from app.storage.policies import current_policy

    return current_policy(db).lock_minutes


def service_name(db: Database) -> str:
    from app.storage.policies import current_policy

    return current_policy(db).service_name


def verify_passphrase(db_path: Path, passphrase: str) -> None:
    """Check ``passphrase`` against the key file of the open, unlocked database (to unlock the
    window): ``WrongPassphraseError`` when it does not unwrap the key in use."""
    key = _known_key(db_path)
    entry = keys.entry_for(keys.read_key_file(db_path), keys.db_salt_of(db_path), db_path)
    if keys.unwrap(entry, passphrase) != key:
        raise WrongPassphraseError("The passphrase is wrong.")


def recovery_sheet(db_path: Path, out: Path, service_name: str) -> Path:
    """Write the one-page recovery sheet of the unlocked database to ``out``."""
    from app.services.reports.recovery_sheet import build_recovery_sheet

    key = _known_key(db_path)
    return build_recovery_sheet(
        out,
        database=db_path,
        recovery_key=keys.recovery_key(key),
        key_check=keys.key_check(key),
        service_name=service_name,
    )


def suspend(db: Database) -> None:
    """Close ``db``'s connection (its WAL folded into the file) before a conversion; the
    handle is given a connection again by :func:`reopen`."""
    close_database(db)


def reopen(db: Database, db_path: Path) -> None:
    """After a conversion, point the open handle ``db`` at the converted file."""
    fresh = connect(db_path)
    db.replace_connection(fresh.conn)


__all__ = [
    "ConversionError",
    "StorageError",
    "change_passphrase",
    "decrypt_database",
    "encrypt_database",
    "generate_passphrase",
    "needs_key",
    "new_recovery_key",
    "passphrase_problem",
    "strength",
    "unlock",
    "unlock_with_recovery_key",
]


class EncryptionService(BoundService):
    """The settings and connection of an encrypted database. (The open database given: see ``app.services.bound``.)"""

    lock_minutes = bound(lock_minutes)
    service_name = bound(service_name)
    suspend = bound(suspend)
    reopen = bound(reopen)
