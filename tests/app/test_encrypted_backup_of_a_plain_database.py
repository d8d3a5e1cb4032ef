"""The encrypted backup of a plain database is written encrypted from its first page and is
restored without a readable intermediate file: into the open database, into a missing or
damaged file, into an encrypted database, and checked against with ``check --against``.

While the backup's pages are being copied into the database, every folder Keel could write a
temporary to is searched, as an outsider would, for a file that starts with SQLite's header.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import parse
from app.commands import run
from app.services import backup as backup_module
from app.services.backup import backup_database, inspect_backup, restore_database, restore_into_file
from app.services.integrity import check_database
from app.storage import keys
from app.storage.db import SQLITE_HEADER, Database, close_database, open_database
from tests.app.backup_support import dump, populate, restored

PASSPHRASE = "correct horse battery staple"


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keys, "SCRYPT_N", 2**12)


@pytest.fixture
def made(db: Database, db_path: Path, tmp_path: Path) -> tuple[Path, dict[str, list[object]]]:
    populate(db, sessions=5)
    backup = backup_database(db, tmp_path / "backups", passphrase=PASSPHRASE).path
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return backup, dump(db_path)  # type: ignore[return-value]


def readable_files(*folders: Path, allowed: tuple[Path, ...]) -> list[Path]:
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and not any(path.resolve() == a.resolve() for a in allowed):
                with path.open("rb") as fh:
                    if fh.read(16) == SQLITE_HEADER:
                        found.append(path)
    return found


@pytest.fixture
def watched_copy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[list[Path]]]:
    """Each time the restore copies pages, the readable files other than the databases and
    their side files, found in the test's folder at that moment (the temporary folder too)."""
    seen: list[list[Path]] = []
    real = backup_module._copy_pages
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr("tempfile.tempdir", str(temp))

    def spy(src: object, dst: object, doing: str) -> None:
        real(src, dst, doing)  # type: ignore[arg-type]
        found = readable_files(tmp_path, allowed=())
        seen.append(
            [
                p
                for p in found
                if not p.name.startswith(("keel.db", "fresh.db", "new.db", "keel-before-restore"))
                and "safety" not in p.parts
            ]
        )

    monkeypatch.setattr(backup_module, "_copy_pages", spy)
    yield seen


def test_restored_into_the_open_plain_database_it_is_decrypted_in_memory_only(
    made: tuple[Path, dict[str, list[object]]],
    tmp_path: Path,
    watched_copy: list[list[Path]],
) -> None:
    backup, expected = made
    fresh_path = tmp_path / "fresh.db"
    fresh = open_database(fresh_path)
    try:
        restore_database(fresh, backup, tmp_path / "safety", passphrase=PASSPHRASE)
    finally:
        close_database(fresh)
    assert restored(fresh_path) == expected
    assert watched_copy and all(found == [] for found in watched_copy), watched_copy


def test_restored_as_a_missing_or_damaged_file_it_becomes_the_plain_database_it_was(
    made: tuple[Path, dict[str, list[object]]],
    tmp_path: Path,
    watched_copy: list[list[Path]],
) -> None:
    backup, expected = made
    target = tmp_path / "new" / "new.db"
    target.parent.mkdir()
    result = restore_into_file(target, backup, tmp_path / "safety", passphrase=PASSPHRASE)
    assert result.safety_backup is None
    assert target.read_bytes()[:16] == SQLITE_HEADER
    assert restored(target) == expected
    assert not keys.key_file_for(target).exists()
    # Damaged: moved aside, rebuilt from the backup the same way.
    target.write_bytes(b"\x00" * 8192)
    result = restore_into_file(target, backup, tmp_path / "safety", passphrase=PASSPHRASE)
    assert "moved to" in result.summary()
    assert restored(target) == expected
    assert watched_copy and all(found == [] for found in watched_copy), watched_copy
    assert sorted(p.name for p in target.parent.iterdir() if "restor" in p.name) == []


def test_check_against_an_encrypted_backup_of_a_plain_database(
    made: tuple[Path, dict[str, list[object]]],
    db: Database,
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backup, _ = made
    report = check_database(db_path, against=backup, passphrase=PASSPHRASE)
    assert report.ok, report.lines()
    assert any(backup.name in line for line in report.lines())
    monkeypatch.setenv("KEEL_BACKUP_PASSPHRASE", PASSPHRASE)
    out = io.StringIO()
    assert run(parse(["--db", str(db_path), "check", "--against", str(backup)]), out) == 0, out
    monkeypatch.setenv("KEEL_BACKUP_PASSPHRASE", "the wrong passphrase entirely")
    assert run(parse(["--db", str(db_path), "check", "--against", str(backup)]), out) == 1


def test_a_changed_byte_in_the_body_is_refused(
    made: tuple[Path, dict[str, list[object]]], tmp_path: Path
) -> None:
    backup, _ = made
    data = bytearray(backup.read_bytes())
    data[len(data) // 2] ^= 1
    changed = tmp_path / "changed.keelenc"
    changed.write_bytes(bytes(data))
    with pytest.raises(backup_module.RestoreError, match="changed or damaged"):
        inspect_backup(changed, passphrase=PASSPHRASE)
