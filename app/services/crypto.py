"""Encrypted backup files: AES-256-GCM with a key derived from a passphrase by scrypt.

Layout: ``KEELENC1`` · 4-byte header length (big-endian) · JSON header (format version, cipher,
KDF and its parameters, salt, nonce, and a little metadata: when the backup was made, its schema
version and row counts) · ciphertext with the 16-byte GCM tag. The magic, the length and the
header are the associated data of the encryption, so changing any byte of the file — header or
body — makes decryption fail. Every file gets a fresh salt and nonce, so a fresh key.

The passphrase is normalised (Unicode NFC) so the same words typed on another system still
open the file. The KDF parameters read from a header are bounded before use: a changed header
cannot make Keel allocate gigabytes before the tag check rejects it.
"""

from __future__ import annotations

import base64
import json
import os
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.errors import KeelError

MAGIC = b"KEELENC1"
FORMAT_VERSION = 1
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
_MAX_HEADER = 64 * 1024
_MAX_SCRYPT_MEMORY = 512 * 1024 * 1024  # 128 · n · r bytes
# AES-GCM in `cryptography` takes at most 2**31 - 1 bytes in one call.
MAX_PLAINTEXT = 2**31 - 1

WRONG_OR_CHANGED = (
    "The passphrase is wrong, or the backup file was changed or damaged. "
    "Check the passphrase; if it is right, use another backup."
)


class DecryptionError(KeelError):
    """Wrong passphrase, a changed byte, or not an encrypted Keel backup."""


@dataclass(frozen=True)
class EncryptedHeader:
    params: dict[str, Any]
    raw: bytes

    @property
    def prefix_length(self) -> int:
        return len(MAGIC) + 4 + len(self.raw)


def is_encrypted(head: bytes) -> bool:
    return head.startswith(MAGIC)


def _normalise(passphrase: str) -> bytes:
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def derive_key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    # cryptography is imported when first needed: it costs start-up time the GUI does not need.
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(_normalise(passphrase))


@dataclass(frozen=True)
class FileKey:
    """A key derived for one new file: its fresh salt and the scrypt parameters used."""

    key: bytes
    salt: bytes
    n: int
    r: int
    p: int


def new_file_key(passphrase: str) -> FileKey:
    if not passphrase:
        raise KeelError("An encrypted backup needs a passphrase.")
    salt = os.urandom(16)
    n, r, p = SCRYPT_N, SCRYPT_R, SCRYPT_P
    return FileKey(derive_key(passphrase, salt, n, r, p), salt, n, r, p)


def encrypt(plaintext: bytes, passphrase: str, *, meta: dict[str, Any] | None = None) -> bytes:
    """The encrypted file's bytes. ``meta`` goes into the (authenticated, readable) header."""
    return seal(plaintext, new_file_key(passphrase), meta=meta)


def seal(plaintext: bytes, file_key: FileKey, *, meta: dict[str, Any] | None = None) -> bytes:
    """Encrypt with a key from ``new_file_key`` (a fresh nonce; use one key for one file)."""
    if len(plaintext) > MAX_PLAINTEXT:
        raise KeelError("The database is too big (over 2 GB) for an encrypted backup.")
    nonce = os.urandom(12)
    header = {
        **(meta or {}),
        "format": FORMAT_VERSION,
        "cipher": "AES-256-GCM",
        "kdf": "scrypt",
        "n": file_key.n,
        "r": file_key.r,
        "p": file_key.p,
        "salt": base64.b64encode(file_key.salt).decode(),
        "nonce": base64.b64encode(nonce).decode(),
    }
    raw = json.dumps(header, sort_keys=True).encode()
    prefix = MAGIC + len(raw).to_bytes(4, "big") + raw
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return prefix + AESGCM(file_key.key).encrypt(nonce, plaintext, prefix)


def read_header(blob: bytes) -> EncryptedHeader:
    """The header of an encrypted backup (not yet authenticated: trust it only after decrypt)."""
    if not is_encrypted(blob):
        raise DecryptionError("This file is not an encrypted Keel backup.")
    damaged = DecryptionError(
        "This encrypted backup is damaged (its header cannot be read). Use another backup."
    )
    length = int.from_bytes(blob[8:12], "big")
    if length > _MAX_HEADER or len(blob) < 12 + length:
        raise damaged
    raw = blob[12 : 12 + length]
    try:
        params = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise damaged from None
    if not isinstance(params, dict):
        raise damaged
    return EncryptedHeader(params, raw)


def _kdf_params(p: dict[str, Any]) -> tuple[bytes, bytes, int, int, int]:
    if p.get("format") != FORMAT_VERSION or p.get("cipher") != "AES-256-GCM":
        raise ValueError("unknown format")
    if p.get("kdf") != "scrypt":
        raise ValueError("unknown key derivation")
    n, r, par = p["n"], p["r"], p["p"]
    if not all(type(v) is int for v in (n, r, par)):
        raise ValueError("parameters are not integers")
    if not (2**14 <= n <= 2**20 and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= par <= 4):
        raise ValueError("parameters out of range")
    if 128 * n * r > _MAX_SCRYPT_MEMORY:
        raise ValueError("parameters need too much memory")
    salt = base64.b64decode(p["salt"], validate=True)
    nonce = base64.b64decode(p["nonce"], validate=True)
    if len(salt) < 16 or len(nonce) != 12:
        raise ValueError("salt or nonce of the wrong size")
    return salt, nonce, n, r, par


def decrypt(blob: bytes, passphrase: str) -> bytes:
    """The plaintext, or DecryptionError with a message that says what to do."""
    return _open(blob, lambda salt, n, r, p: derive_key(passphrase, salt, n, r, p))


def unseal(blob: bytes, file_key: FileKey) -> bytes:
    """Decrypt a file written by ``seal`` with the same key (no second key derivation)."""

    def same_key(salt: bytes, n: int, r: int, p: int) -> bytes:
        if (salt, n, r, p) != (file_key.salt, file_key.n, file_key.r, file_key.p):
            raise DecryptionError(WRONG_OR_CHANGED)
        return file_key.key

    return _open(blob, same_key)


def _open(blob: bytes, key_for: Callable[[bytes, int, int, int], bytes]) -> bytes:
    header = read_header(blob)
    prefix = blob[: header.prefix_length]
    try:
        salt, nonce, n, r, par = _kdf_params(header.params)
    except (KeyError, ValueError, TypeError) as exc:
        raise DecryptionError(
            "This encrypted backup is damaged or was made by an unknown version of Keel. "
            "Use another backup."
        ) from exc
    if len(blob) - len(prefix) < 16:
        raise DecryptionError(WRONG_OR_CHANGED)
    key = key_for(salt, n, r, par)
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return AESGCM(key).decrypt(nonce, blob[len(prefix) :], prefix)
    except InvalidTag:
        raise DecryptionError(WRONG_OR_CHANGED) from None
