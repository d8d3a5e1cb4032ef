"""The keys of an encrypted database: a random data key, its recovery-key spelling, and the key
file beside the database that holds it wrapped by the passphrase.

* SQLCipher encrypts the file with one **data key**: 32 random bytes, given to SQLCipher raw
  (``PRAGMA key = "x'…'"``), so opening a connection costs no key derivation.
* The **recovery key** *is* the data key, written for people: Crockford base32 (digits and
  capitals without I, L, O, U; those typed by mistake are read as 1, 1, 0), 32 bytes of key and
  3 of checksum, in 14 groups of 4. It alone opens a bare copy of the file; the checksum tells a
  mistyped key from a wrong one before anything is tried.
* The **passphrase** wraps the data key: scrypt (N=2^17, r=8, p=1, a fresh salt) derives a key
  that encrypts the data key with AES-256-GCM. The GCM tag is the check value: it fails for a
  wrong passphrase. The key file also carries a SHA-256 of its own content, so a damaged key file
  is told apart from a wrong passphrase, and each entry names the database file it belongs to by
  SQLCipher's salt (the file's first 16 bytes, random per file) and carries a check of the data
  key, so a key file or recovery key that belongs to another database is recognised as such.
* The **key file** is ``<database>.key`` (``keel.db.key``), JSON, replaced atomically (written
  beside, flushed, renamed). It may hold entries for two database files at once: while a
  database is re-encrypted under a new key, the entry for the new file is added before the new
  file replaces the old one and the old entry removed after, so a crash at any moment leaves a
  database whose key entry is there.

The data key of an unlocked database is kept in this process (``register_key``), so the key is
derived once per process and every further connection opens with the raw key.

``hashlib``, ``hmac`` and ``secrets`` are imported where they are used: opening a plain database
(and showing the scheduler) needs none of them.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import threading
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.errors import KeyFileError, RecoveryKeyFormatError, UsageError, WrongPassphraseError

DATA_KEY_BYTES = 32
SALT_BYTES = 16  # SQLCipher's per-file salt, the first bytes of an encrypted file
KEY_FILE_SUFFIX = ".key"
KEY_FILE_FORMAT = 1
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
_MAX_SCRYPT_MEMORY = 512 * 1024 * 1024
_MAX_KEY_FILE = 64 * 1024
_AAD = b"keel-key-file-1"
_CHECK_LABEL = b"keel data key check"
_RECOVERY_LABEL = b"keel recovery key"
_CHECKSUM_BYTES = 3
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
_READ_AS = {"O": "0", "I": "1", "L": "1"}
GROUP = 4


# --------------------------------------------------------------------------- the data key


def new_data_key() -> bytes:
    import secrets

    return secrets.token_bytes(DATA_KEY_BYTES)


def raw_key_pragma(key: bytes) -> str:
    """``PRAGMA key`` (or ``rekey``) argument for a raw 256-bit key: no key derivation."""
    if len(key) != DATA_KEY_BYTES:
        raise ValueError("a data key is 32 bytes")
    return f"\"x'{key.hex()}'\""


def key_check(key: bytes) -> str:
    """A short public check of a data key (it reveals nothing of the key)."""
    import hashlib
    import hmac

    return hmac.new(key, _CHECK_LABEL, hashlib.sha256).hexdigest()[:16]


# --------------------------------------------------------------------------- recovery key


def _checksum(key: bytes) -> bytes:
    import hashlib

    return hashlib.sha256(_RECOVERY_LABEL + key).digest()[:_CHECKSUM_BYTES]


def recovery_key(key: bytes) -> str:
    """The data key written for people: 56 characters in 14 groups of 4, dash-separated."""
    data = key + _checksum(key)
    number = int.from_bytes(data, "big")
    chars = []
    for _ in range(len(data) * 8 // 5):
        chars.append(_ALPHABET[number & 31])
        number >>= 5
    text = "".join(reversed(chars))
    return "-".join(text[i : i + GROUP] for i in range(0, len(text), GROUP))


def parse_recovery_key(text: str) -> bytes:
    """The data key a recovery key spells; ``RecoveryKeyFormatError`` says what is wrong."""
    import hmac

    cleaned = "".join(ch for ch in unicodedata.normalize("NFKC", text).upper() if ch.isalnum())
    cleaned = "".join(_READ_AS.get(ch, ch) for ch in cleaned)
    expected = (DATA_KEY_BYTES + _CHECKSUM_BYTES) * 8 // 5
    if len(cleaned) != expected:
        raise RecoveryKeyFormatError(
            f"A recovery key has {expected} letters and digits ({expected // GROUP} groups of "
            f"{GROUP}); this one has {len(cleaned)}. Check it against the recovery sheet."
        )
    number = 0
    for ch in cleaned:
        value = _ALPHABET.find(ch)
        if value < 0:
            raise RecoveryKeyFormatError(
                f"'{ch}' is not used in recovery keys (they use digits and the letters A–Z "
                "without I, L, O and U). Check it against the recovery sheet."
            )
        number = number << 5 | value
    data = number.to_bytes(DATA_KEY_BYTES + _CHECKSUM_BYTES, "big")
    key, checksum = data[:DATA_KEY_BYTES], data[DATA_KEY_BYTES:]
    if not hmac.compare_digest(checksum, _checksum(key)):
        raise RecoveryKeyFormatError(
            "This recovery key has a mistyped character (its checksum does not match). "
            "Check each group against the recovery sheet."
        )
    return key


# --------------------------------------------------------------------------- passphrase wrap


def _normalise(passphrase: str) -> bytes:
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def derive_wrapping_key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(_normalise(passphrase))


@dataclass(frozen=True)
class KeyEntry:
    """The data key of one database file, wrapped by a passphrase."""

    db_salt: bytes
    n: int
    r: int
    p: int
    salt: bytes
    nonce: bytes
    wrapped: bytes
    check: str
    created: str

    def to_json(self) -> dict[str, Any]:
        return {
            "db_salt": self.db_salt.hex(),
            "kdf": "scrypt",
            "n": self.n,
            "r": self.r,
            "p": self.p,
            "salt": base64.b64encode(self.salt).decode(),
            "nonce": base64.b64encode(self.nonce).decode(),
            "wrapped": base64.b64encode(self.wrapped).decode(),
            "key_check": self.check,
            "cipher": "AES-256-GCM",
            "created": self.created,
        }

    @classmethod
    def from_json(cls, item: Any) -> KeyEntry:
        if not isinstance(item, dict) or item.get("kdf") != "scrypt":
            raise ValueError("unknown key derivation")
        if item.get("cipher") != "AES-256-GCM":
            raise ValueError("unknown cipher")
        n, r, p = item["n"], item["r"], item["p"]
        if not all(type(v) is int for v in (n, r, p)):
            raise ValueError("parameters are not integers")
        if not (2**10 <= n <= 2**20 and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 4):
            raise ValueError("parameters out of range")
        if 128 * n * r > _MAX_SCRYPT_MEMORY:
            raise ValueError("parameters need too much memory")
        entry = cls(
            db_salt=bytes.fromhex(item["db_salt"]),
            n=n,
            r=r,
            p=p,
            salt=base64.b64decode(item["salt"], validate=True),
            nonce=base64.b64decode(item["nonce"], validate=True),
            wrapped=base64.b64decode(item["wrapped"], validate=True),
            check=str(item["key_check"]),
            created=str(item.get("created", "")),
        )
        if len(entry.db_salt) != SALT_BYTES or len(entry.nonce) != 12 or len(entry.salt) < 16:
            raise ValueError("a salt or nonce of the wrong size")
        return entry

    def _aad(self) -> bytes:
        return _AAD + self.db_salt + f"{self.n}/{self.r}/{self.p}".encode()


def wrap(
    key: bytes,
    passphrase: str,
    db_salt: bytes,
    *,
    n: int | None = None,
    r: int = SCRYPT_R,
    p: int = SCRYPT_P,
) -> KeyEntry:
    """Wrap ``key`` (the data key of the database file whose salt is ``db_salt``)."""
    import secrets

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not passphrase:
        raise UsageError("An encrypted database needs a passphrase.")
    n = SCRYPT_N if n is None else n
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    created = datetime.now(UTC).replace(microsecond=0).isoformat()
    entry = KeyEntry(db_salt, n, r, p, salt, nonce, b"", key_check(key), created)
    wrapping = derive_wrapping_key(passphrase, salt, n, r, p)
    sealed = AESGCM(wrapping).encrypt(nonce, key, entry._aad())
    return KeyEntry(db_salt, n, r, p, salt, nonce, sealed, entry.check, created)


def unwrap(entry: KeyEntry, passphrase: str) -> bytes:
    """The data key, or ``WrongPassphraseError``."""
    import hmac

    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    wrapping = derive_wrapping_key(passphrase, entry.salt, entry.n, entry.r, entry.p)
    try:
        key = AESGCM(wrapping).decrypt(entry.nonce, entry.wrapped, entry._aad())
    except InvalidTag:
        raise WrongPassphraseError(
            "The passphrase is wrong: this database was not opened and has not been changed. "
            "Check the passphrase (capitals, spaces), or use the recovery key."
        ) from None
    if len(key) != DATA_KEY_BYTES or not hmac.compare_digest(key_check(key), entry.check):
        raise KeyFileError("The key file is damaged. Open the database with its recovery key.")
    return key


# --------------------------------------------------------------------------- the key file


def key_file_for(db_path: Path) -> Path:
    return Path(f"{db_path}{KEY_FILE_SUFFIX}")


def db_salt_of(db_path: Path) -> bytes:
    """The first 16 bytes of an encrypted database file: SQLCipher's random salt for it."""
    with open(db_path, "rb") as fh:
        return fh.read(SALT_BYTES)


def _checksum_of(body: dict[str, Any]) -> str:
    import hashlib

    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(canonical).hexdigest()


def key_file_bytes(entries: list[KeyEntry]) -> bytes:
    body: dict[str, Any] = {
        "keel_key_file": KEY_FILE_FORMAT,
        "about": (
            "The key of an encrypted Keel database, wrapped by its passphrase. Keep it beside "
            "the database; without it, only the recovery key opens the database."
        ),
        "entries": [e.to_json() for e in entries],
    }
    return json.dumps({**body, "checksum": _checksum_of(body)}, indent=1).encode() + b"\n"


def parse_key_file(data: bytes, name: str = "The key file") -> list[KeyEntry]:
    damaged = KeyFileError(
        f"{name} is damaged, so the passphrase cannot be checked. Open the database with its "
        "recovery key (`keel unlock-with-recovery-key`), which writes a new key file."
    )
    if len(data) > _MAX_KEY_FILE:
        raise damaged
    try:
        parsed = json.loads(data)
        if not isinstance(parsed, dict):
            raise ValueError("not an object")
        checksum = parsed.pop("checksum", None)
        if checksum != _checksum_of(parsed) or parsed.get("keel_key_file") != KEY_FILE_FORMAT:
            raise ValueError("checksum")
        return [KeyEntry.from_json(item) for item in parsed["entries"]]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise damaged from None


def read_key_file(db_path: Path) -> list[KeyEntry]:
    path = key_file_for(db_path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(
            f"{db_path} is encrypted, and its key file ({path.name}) is missing. Put the key "
            "file back beside it, or open it with its recovery key "
            "(`keel unlock-with-recovery-key`)."
        ) from None
    except OSError as exc:
        raise KeyFileError(f"Cannot read the key file {path} ({exc.strerror}).") from exc
    return parse_key_file(data, f"The key file {path}")


def write_key_file(db_path: Path, entries: list[KeyEntry]) -> Path:
    """Replace the key file atomically: written beside it, flushed, renamed, folder flushed."""
    import secrets

    path = key_file_for(db_path)
    tmp = path.with_name(f"{path.name}.{secrets.token_hex(4)}.tmp")
    data = key_file_bytes(entries)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)
    return path


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def entry_for(entries: list[KeyEntry], db_salt: bytes, db_path: Path) -> KeyEntry:
    for entry in entries:
        if entry.db_salt == db_salt:
            return entry
    raise KeyFileError(
        f"The key file beside {db_path} belongs to another database (or the database file was "
        "replaced). Open the database with its recovery key (`keel unlock-with-recovery-key`)."
    )


# --------------------------------------------------------------------------- this process


_keys: dict[str, bytes] = {}
_keys_lock = threading.Lock()


def _real(path: Path | str) -> str:
    return os.path.realpath(path)


def register_key(db_path: Path | str, key: bytes) -> None:
    """Remember the data key of ``db_path`` for this process: every connection to the file
    (and to its ``-wal``) opens with it."""
    with _keys_lock:
        _keys[_real(db_path)] = key


def forget_key(db_path: Path | str) -> None:
    with _keys_lock:
        _keys.pop(_real(db_path), None)


def known_keys() -> list[bytes]:
    """Every data key this process holds (to recognise a backup of an open database)."""
    with _keys_lock:
        return list(dict.fromkeys(_keys.values()))


def key_for(db_path: Path | str) -> bytes | None:
    if not _keys:
        return None
    with _keys_lock:
        return _keys.get(_real(db_path))


def unlock_with_passphrase(db_path: Path, passphrase: str) -> bytes:
    """Derive the data key of ``db_path`` from its key file and ``passphrase`` (once per
    process: the key is registered for every later connection). Raises
    ``WrongPassphraseError`` (exit 2) or ``KeyFileError`` (exit 1). The database file is only
    read."""
    entry = entry_for(read_key_file(db_path), db_salt_of(db_path), db_path)
    key = unwrap(entry, passphrase)
    register_key(db_path, key)
    return key


def check_against_key_file(db_path: Path, key: bytes) -> bool | None:
    """Whether ``key`` is the one the key file names for this database file (None when there
    is no usable key file to compare with)."""
    import hmac

    try:
        entry = entry_for(read_key_file(db_path), db_salt_of(db_path), db_path)
    except (KeyFileError, OSError):
        return None
    return hmac.compare_digest(entry.check, key_check(key))


def looks_encrypted(db_path: Path) -> bool:
    """A file that is not a plain SQLite file and has a key file beside it."""
    try:
        with open(db_path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return len(head) == 16 and head != b"SQLite format 3\x00" and key_file_for(db_path).exists()
