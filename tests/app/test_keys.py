"""The key module: data key, recovery key spelling, passphrase wrap, the key file."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from app.errors import KeyFileError, RecoveryKeyFormatError, WrongPassphraseError
from app.storage import keys

FAST = 2**10  # scrypt cost for tests of the format (the real cost is keys.SCRYPT_N)


def test_recovery_key_round_trips_and_is_written_for_people() -> None:
    key = keys.new_data_key()
    text = keys.recovery_key(key)
    groups = text.split("-")
    assert len(groups) == 14 and all(len(g) == 4 for g in groups)
    assert set(text) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ-")
    assert keys.parse_recovery_key(text) == key
    # Typed in lower case, with spaces instead of dashes, O for 0 and l for 1: still read.
    sloppy = text.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert keys.parse_recovery_key(sloppy) == key


def test_every_single_mistyped_character_is_caught_by_the_checksum() -> None:
    key = keys.new_data_key()
    text = keys.recovery_key(key).replace("-", "")
    caught = 0
    for i in range(len(text)):
        other = "7" if text[i] != "7" else "8"
        with pytest.raises(RecoveryKeyFormatError, match="mistyped"):
            keys.parse_recovery_key(text[:i] + other + text[i + 1 :])
        caught += 1
    assert caught == 56


@pytest.mark.parametrize(
    ("typed", "says"),
    [("ABCD-EFGH", "has 8"), ("U" * 56, "'U' is not used"), ("", "has 0")],
)
def test_a_malformed_recovery_key_says_what_is_wrong(typed: str, says: str) -> None:
    with pytest.raises(RecoveryKeyFormatError, match=says):
        keys.parse_recovery_key(typed)


def test_the_passphrase_wraps_the_key_and_a_wrong_one_is_told_as_such() -> None:
    key, salt = keys.new_data_key(), os.urandom(16)
    entry = keys.wrap(key, "correct horse battery staple", salt, n=FAST)
    assert key not in json.dumps(entry.to_json()).encode()
    assert keys.unwrap(entry, "correct horse battery staple") == key
    # The same words typed on a system that composes é differently still open it.
    e2 = keys.wrap(key, "caf\u00e9 au lait tous les jours", salt, n=FAST)
    assert keys.unwrap(e2, "cafe\u0301 au lait tous les jours") == key
    with pytest.raises(WrongPassphraseError, match="passphrase is wrong"):
        keys.unwrap(entry, "correct horse battery stapler")


def test_a_wrapped_key_moved_to_another_database_does_not_open() -> None:
    key = keys.new_data_key()
    entry = keys.wrap(key, "a long enough passphrase", os.urandom(16), n=FAST)
    moved = keys.KeyEntry(os.urandom(16), *list(vars(entry).values())[1:])
    with pytest.raises(WrongPassphraseError):
        keys.unwrap(moved, "a long enough passphrase")


def test_the_key_file_is_written_atomically_and_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "keel.db"
    db.write_bytes(os.urandom(4096))
    key = keys.new_data_key()
    entry = keys.wrap(key, "passphrase of twelve", keys.db_salt_of(db), n=FAST)
    path = keys.write_key_file(db, [entry])
    assert path == tmp_path / "keel.db.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.glob("keel*")) == ["keel.db", "keel.db.key"]
    assert keys.unlock_with_passphrase(db, "passphrase of twelve") == key
    assert keys.key_for(db) == key
    keys.forget_key(db)
    assert keys.key_for(db) is None


def test_a_damaged_key_file_is_told_apart_from_a_wrong_passphrase(tmp_path: Path) -> None:
    db = tmp_path / "keel.db"
    db.write_bytes(os.urandom(4096))
    entry = keys.wrap(keys.new_data_key(), "passphrase of twelve", keys.db_salt_of(db), n=FAST)
    path = keys.write_key_file(db, [entry])
    data = bytearray(path.read_bytes())
    at = data.index(b'"wrapped": "') + 14
    data[at] = ord("A") if data[at] != ord("A") else ord("B")
    path.write_bytes(bytes(data))
    with pytest.raises(KeyFileError, match="damaged"):
        keys.unlock_with_passphrase(db, "passphrase of twelve")
    with pytest.raises(KeyFileError, match="damaged"):
        keys.unlock_with_passphrase(db, "a wrong passphrase")
    path.write_bytes(b"\x00" * 10)
    with pytest.raises(KeyFileError, match="damaged"):
        keys.read_key_file(db)
    path.unlink()
    with pytest.raises(KeyFileError, match="missing"):
        keys.read_key_file(db)


def test_a_key_file_of_another_database_is_recognised(tmp_path: Path) -> None:
    db = tmp_path / "keel.db"
    db.write_bytes(os.urandom(4096))
    entry = keys.wrap(keys.new_data_key(), "passphrase of twelve", os.urandom(16), n=FAST)
    keys.write_key_file(db, [entry])
    with pytest.raises(KeyFileError, match="another database"):
        keys.unlock_with_passphrase(db, "passphrase of twelve")


def test_a_changed_header_cannot_make_keel_allocate_gigabytes(tmp_path: Path) -> None:
    db = tmp_path / "keel.db"
    db.write_bytes(os.urandom(4096))
    entry = keys.wrap(keys.new_data_key(), "passphrase of twelve", keys.db_salt_of(db), n=FAST)
    body = json.loads(keys.key_file_bytes([entry]))
    body.pop("checksum")
    body["entries"][0]["n"] = 2**24
    data = json.dumps({**body, "checksum": keys._checksum_of(body)}).encode()
    with pytest.raises(KeyFileError, match="damaged"):
        keys.parse_key_file(data)
