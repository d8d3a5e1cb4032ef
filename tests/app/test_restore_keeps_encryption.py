"""A plain backup (made before the database was encrypted) restored over a missing or damaged
*encrypted* database never quietly yields a plain database: it is rebuilt encrypted with the
database's own data key (the recovery key keeps working), its key file wrapped by the
database's passphrase; without that passphrase nothing is restored and nothing is moved.
Tried from outside with the command line, and through the service."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from app.services import encryption
from app.services.backup import RestoreError, backup_database, restore_into_file
from app.storage import keys
from app.storage.db import SQLITE_HEADER, close_database, open_database, read_only_connection
from tests.app.backup_support import dump, populate
from tests.app.test_encryption_cli import (
    PASS,
    encrypt,
    keel,
    plain_demo,
    sha256,
    work,
    worker_names,
)

__all__ = ["plain_demo", "work"]  # the fixtures, used by the command-line tests below


def restored(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows of a restored database, read with the key this process holds for it
    (none: plain), less the restore's own audit entry (which must be the last)."""
    conn = read_only_connection(path, key=keys.key_for(path))
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "ORDER BY name"
            )
        ]
        data = {n: sorted(conn.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}
    finally:
        conn.close()
    entries = sorted(data["audit_log"], key=lambda r: r[0])
    assert entries and entries[-1][4] == "restore", "the restore is not in the audit trail"
    data["audit_log"] = sorted(entries[:-1], key=repr)
    return data


def _plain_backup_then_encrypt(work: Path) -> tuple[Path, list[str], str]:
    names = worker_names(work / "keel.db")
    done = keel("--db", "keel.db", "backup", "--to", str(work / "old"), cwd=work)
    assert done.returncode == 0, done.stderr
    backup = Path(done.stdout.split(" written to ")[1].split(" (")[0])
    assert backup.read_bytes()[:16] == SQLITE_HEADER  # a plain database's plain backup
    recovery = encrypt(work).strip()
    return backup, names, recovery


def _damage(db: Path) -> None:
    with open(db, "r+b") as fh:
        fh.seek(8192)
        fh.write(b"\x00" * 40960)


def _is_encrypted_and_opens(work: Path, names: list[str], recovery: str) -> None:
    db = work / "keel.db"
    assert db.read_bytes()[:16] != SQLITE_HEADER
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        worker_names(db)
    done = keel("--db", "keel.db", "check", cwd=work, env={"KEEL_DB_PASSPHRASE": PASS})
    assert done.returncode == 0, done.stdout + done.stderr
    # The same data key: the recovery key from before the damage opens a bare copy.
    bare = work / "bare"
    bare.mkdir()
    shutil.copy(db, bare / "keel.db")
    env = {"KEEL_DB_RECOVERY_KEY": recovery, "KEEL_DB_NEW_PASSPHRASE": "a passphrase for the copy"}
    done = keel("--db", "keel.db", "unlock-with-recovery-key", cwd=bare, env=env)
    assert done.returncode == 0, done.stderr
    out = keel("--db", "keel.db", "decrypt", cwd=bare,
               env={"KEEL_DB_PASSPHRASE": "a passphrase for the copy"})  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert sorted(worker_names(bare / "keel.db")) == sorted(names)


def test_cli_a_damaged_encrypted_database_restored_from_a_plain_backup_stays_encrypted(
    work: Path,
) -> None:
    backup, names, recovery = _plain_backup_then_encrypt(work)
    _damage(work / "keel.db")
    done = keel("--db", "keel.db", "restore", "--yes", str(backup), cwd=work,
                env={"KEEL_DB_PASSPHRASE": PASS})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "moved to" in done.stdout
    _is_encrypted_and_opens(work, names, recovery)


def test_cli_a_missing_encrypted_database_needs_its_passphrase_and_stays_encrypted(
    work: Path,
) -> None:
    backup, names, recovery = _plain_backup_then_encrypt(work)
    (work / "keel.db").unlink()  # lost; its key file is still beside it
    key_file = keys.key_file_for(work / "keel.db").read_bytes()
    # No passphrase (and no terminal to ask on): refused, in words, nothing made.
    done = keel("--db", "keel.db", "restore", "--yes", str(backup), cwd=work)
    assert done.returncode == 1
    assert "was encrypted" in done.stderr and "KEEL_DB_PASSPHRASE" in done.stderr
    assert not (work / "keel.db").exists()
    # The wrong passphrase: refused the same way.
    done = keel("--db", "keel.db", "restore", "--yes", str(backup), cwd=work,
                env={"KEEL_DB_PASSPHRASE": "not the passphrase of it"})  # fmt: skip
    assert done.returncode == 1 and "does not open its key file" in done.stderr
    assert not (work / "keel.db").exists()
    assert keys.key_file_for(work / "keel.db").read_bytes() == key_file
    # The passphrase: restored, encrypted with the same key.
    done = keel("--db", "keel.db", "restore", "--yes", str(backup), cwd=work,
                env={"KEEL_DB_PASSPHRASE": PASS})  # fmt: skip
    assert done.returncode == 0, done.stderr
    _is_encrypted_and_opens(work, names, recovery)


def test_cli_a_plain_database_restored_from_a_plain_backup_stays_plain(work: Path) -> None:
    names = worker_names(work / "keel.db")
    done = keel("--db", "keel.db", "backup", "--to", str(work / "old"), cwd=work)
    backup = Path(done.stdout.split(" written to ")[1].split(" (")[0])
    _damage(work / "keel.db")
    done = keel("--db", "keel.db", "restore", "--yes", str(backup), cwd=work)
    assert done.returncode == 0, done.stderr
    assert sorted(worker_names(work / "keel.db")) == sorted(names)


@pytest.fixture
def encrypted_after_plain_backup(
    tmp_path: Path, fast_kdf: None
) -> tuple[Path, Path, dict[str, list[object]], str]:
    path = tmp_path / "team.db"
    db = open_database(path)
    populate(db)
    made = backup_database(db, tmp_path / "old")
    close_database(db)
    expected = dump(path)
    recovery = encryption.encrypt_database(path, PASS)
    keys.forget_key(path)  # as in a new process
    return path, made.path, expected, recovery


def test_service_a_damaged_encrypted_database_is_rebuilt_with_its_key_or_left_alone(
    encrypted_after_plain_backup: tuple[Path, Path, dict[str, list[object]], str],
    tmp_path: Path,
) -> None:
    path, backup, expected, recovery = encrypted_after_plain_backup
    _damage(path)
    before = sha256(path)
    asked: list[int] = []

    def ask() -> str | None:
        asked.append(1)
        return None

    with pytest.raises(RestoreError, match="was encrypted"):
        restore_into_file(path, backup, tmp_path / "safety", ask_db_passphrase=ask)
    assert asked == [1]
    assert sha256(path) == before and keys.key_file_for(path).exists()  # nothing moved
    with pytest.raises(RestoreError, match="does not open its key file"):
        restore_into_file(path, backup, tmp_path / "safety", db_passphrase="wrong wrong wrong")
    assert sha256(path) == before

    result = restore_into_file(path, backup, tmp_path / "safety", ask_db_passphrase=lambda: PASS)
    assert "moved to" in result.summary()
    assert path.read_bytes()[:16] != SQLITE_HEADER
    keys.forget_key(path)
    encryption.unlock(path, PASS)  # the key file beside it: the same passphrase opens it
    assert restored(path) == expected
    keys.forget_key(path)
    keys.key_file_for(path).unlink()  # a bare copy: the old recovery key opens it
    encryption.unlock_with_recovery_key(path, recovery, "another passphrase for it")
    conn = read_only_connection(path, key=keys.key_for(path))
    try:
        workers = sorted(conn.execute("SELECT * FROM workers").fetchall(), key=repr)
    finally:
        conn.close()
    assert workers == expected["workers"]


def test_service_never_asks_when_the_database_was_never_encrypted(
    tmp_path: Path, fast_kdf: None
) -> None:
    path = tmp_path / "team.db"
    db = open_database(path)
    populate(db)
    made = backup_database(db, tmp_path / "old")
    close_database(db)
    expected = dump(path)
    path.unlink()

    def ask() -> str | None:
        raise AssertionError("asked for a passphrase a plain database does not have")

    restore_into_file(path, made.path, tmp_path / "safety", ask_db_passphrase=ask)
    assert path.read_bytes()[:16] == SQLITE_HEADER
    assert restored(path) == expected
    assert not keys.key_file_for(path).exists()


def test_service_with_the_key_known_in_the_process_the_passphrase_must_match_it(
    encrypted_after_plain_backup: tuple[Path, Path, dict[str, list[object]], str],
    tmp_path: Path,
) -> None:
    path, backup, expected, _recovery = encrypted_after_plain_backup
    encryption.unlock(path, PASS)
    path.unlink()
    result = restore_into_file(path, backup, tmp_path / "safety", db_passphrase=PASS)
    assert result.safety_backup is None
    assert path.read_bytes()[:16] != SQLITE_HEADER
    assert restored(path) == expected
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        worker_names(path)
