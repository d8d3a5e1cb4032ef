"""Encrypted backups: always encrypted, and never decrypted on the way.

An encrypted backup is a SQLCipher copy of the database wrapped in a small container:

``KEELDB01`` · 4-byte header length · JSON header · the SQLCipher file's bytes · 32-byte HMAC

* The backup of an **encrypted database** is a copy under the same data key (SQLite's backup API
  between two keyed connections). The header holds the key file's entries as they were when the
  backup was made (the data key wrapped by the passphrase of that day), plus, when the backup
  was asked for with a passphrase of its own ("Back up encrypted…", ``backup --encrypt``), one
  more entry wrapped by that passphrase. So it opens with the database's passphrase of that day,
  with the backup's own passphrase, or with the recovery key.
* The encrypted backup of a **plain database** (``backup --encrypt``, "Back up encrypted…") is
  written by ``sqlcipher_export`` straight from the plain database into a new SQLCipher file
  under a fresh random key: the pages are encrypted before they reach the disk, so a backup
  killed at any moment leaves nothing readable. The header holds that key wrapped by the
  backup's passphrase, and says ``"database_encrypted": false`` — restoring it into a plain
  database is restoring a plain database's data (decrypted in memory, see
  ``app.services.backup``). (Keel before this format wrote such backups as ``KEELENC1`` files,
  AES-GCM over a plain copy made first on disk; those still restore.)

The HMAC (a key derived from the data key) covers the magic, the header and the body: a changed
byte or a header moved onto another body is refused before anything is restored. The header also
says when the backup was made, its schema version and row counts, and which database it is of.

No unencrypted byte of the database is written: the copy, its verification and the restore all
work on SQLCipher files.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from app import dbapi
from app.errors import KeelError, KeyFileError, WrongPassphraseError
from app.storage import keys
from app.storage.db import (
    APPLICATION_ID,
    BUSY_TIMEOUT_S,
    Database,
    _uri,
    read_only_connection,
    schema_version,
    use_key,
)

MAGIC = b"KEELDB01"
FORMAT = 1
_MAC_BYTES = 32
_MAX_HEADER = 256 * 1024
_CHUNK = 4 * 2**20


class EncryptedBackupError(KeelError):
    """The container is damaged, changed or cannot be opened with what was given."""


def is_encrypted_database_backup(head: bytes) -> bool:
    return head.startswith(MAGIC)


def _mac_key(key: bytes) -> bytes:
    return hmac.new(key, b"keel encrypted backup mac", hashlib.sha256).digest()


@dataclass(frozen=True)
class Container:
    header: dict[str, Any]
    body_offset: int
    body_length: int


def database_key(db: Database) -> bytes | None:
    """The data key of ``db``'s file when it is encrypted (None: a plain database)."""
    for _seq, name, file in db.conn.execute("PRAGMA database_list"):
        if name == "main" and file:
            return keys.key_for(file)
    return None


def copy_encrypted(db: Database, tmp: Path, key: bytes) -> tuple[dict[str, int], int]:
    """One consistent snapshot of ``db`` into ``tmp`` (an owner-only file), encrypted under
    ``key``: the backup API between two keyed connections. Returns its counts and schema."""
    from app.services.backup import _copy_pages, row_counts

    db.conn.execute("BEGIN")  # a read transaction: counts and pages from one snapshot
    try:
        counts = row_counts(db.conn)
        version = schema_version(db)
        dst = use_key(dbapi.connect(str(tmp)), key)
        try:
            dst.execute("PRAGMA journal_mode = OFF")
            dst.execute("PRAGMA synchronous = OFF")
            _copy_pages(db.conn, dst, "make the backup")
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    finally:
        db.conn.rollback()
    return counts, version


def export_encrypted(source: Path, tmp: Path, key: bytes) -> tuple[dict[str, int], int]:
    """One consistent snapshot of the plain database file ``source`` into ``tmp`` (an
    owner-only file), encrypted under ``key`` as it is written: ``sqlcipher_export`` from the
    plain file (attached read-only) into the new keyed file, in one transaction, so each page
    is encrypted before it reaches the disk. Temporary tables and statement journals stay in
    memory and the new file has no journal: no plaintext page is ever written. Returns the
    snapshot's counts and schema version."""
    from app.services.backup import COUNTED_TABLES

    conn = use_key(
        dbapi.connect(str(tmp), uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None), key
    )
    try:
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("PRAGMA journal_mode = OFF")  # a temporary file until it is verified
        conn.execute("PRAGMA synchronous = OFF")  # flushed once, by the caller
        conn.execute("ATTACH DATABASE ? AS source KEY ''", [_uri(source, "mode=ro")])
        conn.execute("BEGIN")  # counts, schema and rows from one snapshot
        try:
            version = int(conn.execute("PRAGMA source.user_version").fetchone()[0])
            names = {
                r[0]
                for r in conn.execute("SELECT name FROM source.sqlite_master WHERE type = 'table'")
            }
            counts = {
                t: int(conn.execute(f"SELECT count(*) FROM source.{t}").fetchone()[0])
                for t in COUNTED_TABLES
                if t in names
            }
            conn.execute("SELECT sqlcipher_export('main', 'source')")
            conn.execute(f"PRAGMA main.user_version = {version}")
            conn.execute(f"PRAGMA main.application_id = {APPLICATION_ID}")
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(dbapi.Error):
                conn.execute("ROLLBACK")
            raise
        conn.execute("DETACH DATABASE source")
        conn.execute("PRAGMA journal_mode = DELETE")  # a backup is one self-contained file
    finally:
        conn.close()
    return counts, version


def verify_encrypted(tmp: Path, key: bytes, counts: dict[str, int], version: int) -> None:
    from app.services.backup import BackupError, row_counts

    conn = read_only_connection(tmp, key=key)
    try:
        if conn.execute("PRAGMA quick_check").fetchall() != [("ok",)]:
            raise BackupError("The backup failed its integrity check, so it was not kept.")
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            raise BackupError("The backup is not marked as a Keel database, so it was not kept.")
        if conn.execute("PRAGMA user_version").fetchone()[0] != version:
            raise BackupError("The backup has another schema version than the database.")
        if row_counts(conn) != counts:
            raise BackupError(
                "The backup does not hold the same records as the database, so it was not "
                "kept. Try the backup again."
            )
    finally:
        conn.close()


def write_container(
    body: Path,
    target: Path,
    key: bytes,
    db_path: Path | None,
    meta: dict[str, Any],
    passphrase: str | None,
) -> None:
    """Write the container around the SQLCipher file ``body`` into ``target`` (created
    owner-only by the caller), flushed, then read back and checked against its HMAC.

    ``db_path`` is the encrypted database whose key file's entries go into the header; None
    for the backup of a plain database, whose only entry is ``key`` wrapped by ``passphrase``
    (which it then needs)."""
    entries = [e.to_json() for e in keys.read_key_file(db_path)] if db_path is not None else []
    if passphrase:
        entries.append(keys.wrap(key, passphrase, keys.db_salt_of(body)).to_json())
    if not entries:
        raise EncryptedBackupError("An encrypted backup needs a passphrase: nothing was written.")
    header = {
        **meta,
        "format": FORMAT,
        "kind": "sqlcipher4",
        "database_encrypted": db_path is not None,
        "key_check": keys.key_check(key),
        "key_entries": entries,
    }
    raw = json.dumps(header, sort_keys=True).encode()
    prefix = MAGIC + len(raw).to_bytes(4, "big") + raw
    mac = hmac.new(_mac_key(key), prefix, hashlib.sha256)
    with open(body, "rb") as src, open(target, "wb") as out:
        out.write(prefix)
        while chunk := src.read(_CHUNK):
            mac.update(chunk)
            out.write(chunk)
        out.write(mac.digest())
        out.flush()
        os.fsync(out.fileno())
    _check_written(target, key, mac.digest())


def _check_written(target: Path, key: bytes, expected: bytes) -> None:
    """Read the container back from the file: its HMAC must be the one computed while it was
    written (a write the disk got wrong is caught before the backup is kept)."""
    with open(target, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        mac = hmac.new(_mac_key(key), digestmod=hashlib.sha256)
        left = size - _MAC_BYTES
        while left > 0:
            chunk = fh.read(min(_CHUNK, left))
            if not chunk:
                break
            mac.update(chunk)
            left -= len(chunk)
        stored = fh.read(_MAC_BYTES)
    if (
        left
        or not hmac.compare_digest(stored, expected)
        or not hmac.compare_digest(mac.digest(), expected)
    ):
        raise EncryptedBackupError(
            "The encrypted backup did not read back correctly, so it was not kept."
        )


def of_encrypted_database(header: dict[str, Any]) -> bool:
    """Whether a container is the backup of an encrypted database (its data must stay
    encrypted) rather than a plain database's backup encrypted with a passphrase of its own.
    Containers written before the field existed were all encrypted databases' backups."""
    return header.get("database_encrypted", True) is not False


def read_container(fh: IO[bytes], size: int) -> Container:
    damaged = EncryptedBackupError(
        "This encrypted backup is damaged (its header cannot be read). Use another backup."
    )
    head = fh.read(12)
    if not head.startswith(MAGIC) or len(head) < 12:
        raise damaged
    length = int.from_bytes(head[8:12], "big")
    if length > _MAX_HEADER or size < 12 + length + _MAC_BYTES:
        raise damaged
    try:
        header = json.loads(fh.read(length))
    except (ValueError, UnicodeDecodeError):
        raise damaged from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise EncryptedBackupError(
            "This encrypted backup was made by an unknown version of Keel. Use another backup."
        )
    offset = 12 + length
    return Container(header, offset, size - offset - _MAC_BYTES)


def key_for_backup(
    header: dict[str, Any],
    *,
    passphrase: str | None,
    recovery: str | None = None,
    known: list[bytes] | None = None,
) -> bytes:
    """The data key of a backup: a key this process already has (the open database's, when
    the backup is of it), else the recovery key, else one of the header's entries unwrapped by
    ``passphrase``. ``WrongPassphraseError`` when nothing opens it."""
    check = str(header.get("key_check", ""))
    for key in known or []:
        if hmac.compare_digest(keys.key_check(key), check):
            return key
    if recovery:
        key = keys.parse_recovery_key(recovery)
        if hmac.compare_digest(keys.key_check(key), check):
            return key
        raise WrongPassphraseError("This recovery key is not the key of this backup.")
    own = not of_encrypted_database(header)  # a plain database's: only its own passphrase
    if not passphrase:
        raise WrongPassphraseError(
            "This backup is encrypted: give its passphrase to restore it."
            if own
            else "This backup is of an encrypted database: give the passphrase it had when the "
            "backup was made (or the backup's own passphrase), or its recovery key."
        )
    try:
        entries = [keys.KeyEntry.from_json(e) for e in header.get("key_entries", [])]
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyFileError("This encrypted backup is damaged (its key cannot be read).") from exc
    for entry in entries:
        with contextlib.suppress(WrongPassphraseError):
            key = keys.unwrap(entry, passphrase)
            if hmac.compare_digest(keys.key_check(key), check):
                return key
    if own:
        raise WrongPassphraseError(
            "The passphrase is wrong (it does not open this backup). Check the passphrase; "
            "nothing was restored."
        )
    raise WrongPassphraseError(
        "The passphrase does not open this backup: use the passphrase the database had when "
        "the backup was made, or its recovery key. Nothing was restored."
    )


def extract_body(candidate: Path, container: Container, key: bytes, target: Path) -> None:
    """Check the container's HMAC and copy its SQLCipher body into ``target`` (owner-only)."""
    mac = hmac.new(_mac_key(key), digestmod=hashlib.sha256)
    with open(candidate, "rb") as src, open(target, "wb") as out:
        mac.update(src.read(container.body_offset))
        left = container.body_length
        while left > 0:
            chunk = src.read(min(_CHUNK, left))
            if not chunk:
                break
            mac.update(chunk)
            out.write(chunk)
            left -= len(chunk)
        stored = src.read(_MAC_BYTES)
    if left or not hmac.compare_digest(mac.digest(), stored):
        with contextlib.suppress(OSError):
            target.unlink()
        raise EncryptedBackupError(
            "This encrypted backup was changed or damaged (its authentication code does not "
            "match). Use another backup."
        )
