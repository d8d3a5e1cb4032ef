"""Encrypted backup files: AES-256-GCM with a key derived from a passphrase by scrypt.

Layout: ``KEELENC1`` · 4-byte header length · JSON header (KDF parameters, salt, nonce) ·
ciphertext. The header is authenticated as associated data, so changing any byte of the file —
header or body — makes decryption fail. Every file gets a fresh salt and nonce.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from app.errors import KeelError

MAGIC = b"KEELENC1"
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1


class DecryptionError(KeelError):
    """Wrong passphrase, a changed byte, or not an encrypted Keel backup."""


@dataclass(frozen=True)
class EncryptedHeader:
    params: dict[str, Any]
    raw: bytes


def is_encrypted(head: bytes) -> bool:
    return head.startswith(MAGIC)


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def encrypt(plaintext: bytes, passphrase: str, *, meta: dict[str, Any] | None = None) -> bytes:
    if not passphrase:
        raise KeelError("An encrypted backup needs a passphrase.")
    salt, nonce = os.urandom(16), os.urandom(12)
    header = {
        "cipher": "AES-256-GCM",
        "kdf": "scrypt",
        "n": SCRYPT_N,
        "r": SCRYPT_R,
        "p": SCRYPT_P,
        "salt": base64.b64encode(salt).decode(),
        "nonce": base64.b64encode(nonce).decode(),
        **(meta or {}),
    }
    raw = json.dumps(header, sort_keys=True).encode()
    prefix = MAGIC + len(raw).to_bytes(4, "big") + raw
    key = _derive(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return prefix + AESGCM(key).encrypt(nonce, plaintext, prefix)


def read_header(blob: bytes) -> EncryptedHeader:
    if not is_encrypted(blob):
        raise DecryptionError("This file is not an encrypted Keel backup.")
    try:
        length = int.from_bytes(blob[8:12], "big")
        raw = blob[12 : 12 + length]
        params = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DecryptionError(
            "This encrypted backup is damaged (its header cannot be read). Use another backup."
        ) from exc
    if not isinstance(params, dict):
        raise DecryptionError("This encrypted backup is damaged. Use another backup.")
    return EncryptedHeader(params, raw)


def decrypt(blob: bytes, passphrase: str) -> bytes:
    """The plaintext, or DecryptionError with a message that says what to do."""
    header = read_header(blob)
    p = header.params
    prefix = blob[: 12 + len(header.raw)]
    try:
        salt = base64.b64decode(p["salt"])
        nonce = base64.b64decode(p["nonce"])
        n, r, par = int(p["n"]), int(p["r"]), int(p["p"])
        if p.get("kdf") != "scrypt" or not (2**14 <= n <= 2**20) or r > 32 or par > 16:
            raise ValueError("unsupported parameters")
        key = _derive(passphrase, salt, n, r, par)
        return AESGCM(key).decrypt(nonce, blob[len(prefix) :], prefix)
    except InvalidTag:
        raise DecryptionError(
            "The passphrase is wrong, or the backup file was changed or damaged. "
            "Check the passphrase; if it is right, use another backup."
        ) from None
    except (KeyError, ValueError, TypeError) as exc:
        raise DecryptionError(
            "This encrypted backup is damaged or was made by an unknown version. "
            "Use another backup."
        ) from exc
