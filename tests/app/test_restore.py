"""Restore: a bad candidate is refused and changes nothing (byte for byte); a good one replaces
the data exactly — even over a stale ``-wal`` — after a safety copy; a missing or damaged
database file is rebuilt from the backup and the damaged file kept."""

from __future__ import annotations

import base64
import json
import shutil
import sqlite3
import stat
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from app.services import crypto
from app.services.backup import RestoreError, backup_database, restore_database, restore_into_file
from app.services.backup_files import list_backups
from app.services.sessions import SessionService
from app.storage.db import APPLICATION_ID, close_database, connect, open_database
from app.storage.schema import SCHEMA_VERSION
from tests.app.backup_support import (
    checkpoint,
    dump,
    held,
    integrity_check,
    listing,
    make_db,
    restored,
    save_then_crash,
    session_ids,
    sha256,
    tmpfs,
)

PASSPHRASE = "correct horse battery staple"


@pytest.fixture(autouse=True)
def fast_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crypto, "SCRYPT_N", 2**14)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, object]]:
    """Built once: a database (two workers, three sessions, one signed), a backup of it, then
    two more sessions saved — so the database and the backup differ."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "keel.db"
    info = make_db(path)
    db = open_database(path)
    try:
        made = backup_database(db, folder / "backups").path
        service = SessionService(db)
        for day in (1, 2):
            service.save(held(str(info["worker"]), str(info["lead"]), date(2026, 6, day)))
    finally:
        close_database(db)
    return path, made, info


@pytest.fixture
def live(
    template: tuple[Path, Path, dict[str, object]], tmp_path: Path
) -> tuple[Path, dict[str, object]]:
    """The live database (a copy of the template's, closed and checkpointed)."""
    path = tmp_path / "live" / "keel.db"
    path.parent.mkdir()
    shutil.copyfile(template[0], path)
    return path, template[2]


@pytest.fixture
def good_backup(template: tuple[Path, Path, dict[str, object]], tmp_path: Path) -> Path:
    """A backup of the live database as it was before two more sessions were saved."""
    folder = tmp_path / "backups"
    folder.mkdir()
    path = folder / template[1].name
    shutil.copyfile(template[1], path)
    return path


# --------------------------------------------------------------------------- good restores


def test_restore_into_the_open_database_replaces_the_data_exactly(
    live: tuple[Path, dict[str, object]], good_backup: Path, tmp_path: Path
) -> None:
    path, _ = live
    before = dump(path)
    expected = dump(good_backup)
    assert before != expected
    safety = tmp_path / "safety"
    db = connect(path)
    try:
        result = restore_database(db, good_backup, safety)
    finally:
        close_database(db)
    assert restored(path) == expected and integrity_check(path) == [("ok",)]
    assert result.counts["sessions"] == 3 and result.backup_date is not None
    assert result.safety_backup is not None and result.safety_backup.parent == safety
    assert dump(result.safety_backup) == before, "the safety copy must hold the data replaced"
    assert "Restored the backup of" in result.summary()
    assert str(result.safety_backup) in result.summary()


def test_restore_over_a_stale_wal_equals_the_backup_exactly(
    live: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    """Sessions saved after the backup are still only in the -wal (the process died without
    closing). A restore that copied the backup over the file would have SQLite replay them
    onto it — and integrity_check would still say ok. Through the backup API the result is
    exactly the backup, and the crashed-but-committed sessions are in the safety copy."""
    path, info = live
    db = open_database(path)
    try:
        backup = backup_database(db, tmp_path / "backups").path
    finally:
        close_database(db)
    later = save_then_crash(path, str(info["lead"]), str(info["worker"]), 3)
    wal = Path(f"{path}-wal")
    assert wal.exists() and wal.stat().st_size > 0, "the test needs a -wal with frames"
    expected = dump(backup)
    result = restore_into_file(path, backup, tmp_path / "safety")
    assert restored(path) == expected
    # Opened again as Keel opens it: nothing is replayed later either.
    db = open_database(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        close_database(db)
    assert restored(path) == expected
    assert result.safety_backup is not None
    assert set(later) <= session_ids(result.safety_backup)


def test_restore_into_an_open_connection_over_a_stale_wal(
    live: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    path, info = live
    db = open_database(path)
    try:
        backup = backup_database(db, tmp_path / "backups").path
    finally:
        close_database(db)
    save_then_crash(path, str(info["lead"]), str(info["worker"]), 3)
    assert Path(f"{path}-wal").stat().st_size > 0
    db = connect(path)
    try:
        restore_database(db, backup, tmp_path / "safety")
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        assert "sessions" in tables
    finally:
        close_database(db)
    assert restored(path) == dump(backup)


def test_restore_of_an_encrypted_backup_and_of_an_older_schema(
    live: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    path, _ = live
    db = open_database(path)
    try:
        encrypted = backup_database(db, tmp_path / "b", passphrase=PASSPHRASE).path
    finally:
        close_database(db)
    expected = dump(path)
    # Restore something else first, then the encrypted backup back.
    v1 = Path(__file__).parents[1] / "fixtures" / "schema-v1.db"
    result = restore_into_file(path, v1, tmp_path / "safety")
    assert result.counts["workers"] > 0
    raw = path.read_bytes()[:100]
    assert int.from_bytes(raw[60:64], "big") == SCHEMA_VERSION  # migrated after the restore
    assert int.from_bytes(raw[68:72], "big") == APPLICATION_ID
    restore_into_file(path, encrypted, tmp_path / "safety", passphrase=PASSPHRASE)
    assert restored(path) == expected


def test_restore_creates_a_missing_database(tmp_path: Path, good_backup: Path) -> None:
    """A new laptop: no database yet. Built beside, then renamed into place, private."""
    target = tmp_path / "new" / "keel.db"
    target.parent.mkdir()
    result = restore_into_file(target, good_backup, tmp_path / "safety")
    assert result.safety_backup is None
    assert restored(target) == dump(good_backup)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert listing(target.parent) == ["keel.db"]


def test_an_orphan_wal_beside_a_missing_database_is_never_replayed(
    tmp_path: Path, good_backup: Path, live: tuple[Path, dict[str, object]]
) -> None:
    """A -wal left from an earlier database (its file deleted): it must not be replayed onto
    the database rebuilt from the backup."""
    path, info = live
    save_then_crash(path, str(info["lead"]), str(info["worker"]), 2)
    target = tmp_path / "other" / "keel.db"
    target.parent.mkdir()
    Path(f"{target}-wal").write_bytes(Path(f"{path}-wal").read_bytes())
    orphan = sha256(Path(f"{target}-wal"))
    restore_into_file(target, good_backup, tmp_path / "safety")
    assert restored(target) == dump(good_backup)
    kept = [p for p in target.parent.iterdir() if p.name.endswith("-wal") and "orphan" in p.name]
    assert len(kept) == 1 and sha256(kept[0]) == orphan, "the orphan must be kept, not replayed"


@pytest.mark.parametrize("damage", ["empty", "zeroed header", "truncated"])
def test_restore_over_a_damaged_database_keeps_the_damaged_file(
    live: tuple[Path, dict[str, object]], good_backup: Path, tmp_path: Path, damage: str
) -> None:
    path, _ = live
    data = path.read_bytes()
    if damage == "empty":
        path.write_bytes(b"")
    elif damage == "zeroed header":
        path.write_bytes(b"\0" * 100 + data[100:])
    else:
        path.write_bytes(data[: len(data) // 2])
    damaged = sha256(path)
    result = restore_into_file(path, good_backup, tmp_path / "safety")
    assert restored(path) == dump(good_backup)
    assert result.safety_backup is not None and sha256(result.safety_backup) == damaged
    assert "damaged" in result.summary()


# --------------------------------------------------------------------------- refusals


def _zero_byte(folder: Path, backup: Path) -> Path:
    path = folder / "keel-backup-20261101-120000.db"
    path.write_bytes(b"")
    return path


def _text_file(folder: Path, backup: Path) -> Path:
    path = folder / "notes.db"
    path.write_text("Supervision notes, typed in a text editor.\n" * 50)
    return path


def _foreign_sqlite(folder: Path, backup: Path) -> Path:
    path = folder / "photos.db"
    conn = sqlite3.connect(str(path))
    try:
        conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO photos (name) VALUES ('beach.jpg')")
        conn.commit()
    finally:
        conn.close()
    return path


def _truncated(folder: Path, backup: Path) -> Path:
    path = folder / "half.db"
    data = backup.read_bytes()
    path.write_bytes(data[: len(data) // 2 // 4096 * 4096])  # cut at a page boundary
    return path


def _newer_schema(folder: Path, backup: Path) -> Path:
    path = folder / "from-the-future.db"
    path.write_bytes(backup.read_bytes())
    conn = sqlite3.connect(str(path))
    try:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        conn.commit()
    finally:
        conn.close()
    return path


def _damaged_inside(folder: Path, backup: Path) -> Path:
    """Garbage over the sessions table's root page: the header and size are right."""
    path = folder / "bitrot.db"
    path.write_bytes(backup.read_bytes())
    conn = sqlite3.connect(str(path))
    try:
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'sessions'")
        page = root.fetchone()[0]
    finally:
        conn.close()
    data = bytearray(path.read_bytes())
    start = (page - 1) * 4096
    data[start : start + 64] = b"\xa5" * 64
    path.write_bytes(bytes(data))
    return path


def _encrypted(folder: Path, backup: Path) -> bytes:
    return crypto.encrypt(backup.read_bytes(), PASSPHRASE, meta={"created": "2026-11-01"})


def _wrong_passphrase(folder: Path, backup: Path) -> Path:
    path = folder / "wrong.keelenc"
    path.write_bytes(crypto.encrypt(backup.read_bytes(), "another passphrase entirely"))
    return path


def _tampered_header_salt(folder: Path, backup: Path) -> Path:
    blob = _encrypted(folder, backup)
    header = crypto.read_header(blob)
    salt = bytearray(base64.b64decode(header.params["salt"]))
    salt[0] ^= 0x01
    params = {**header.params, "salt": base64.b64encode(bytes(salt)).decode()}
    raw = json.dumps(params, sort_keys=True).encode()
    assert len(raw) == len(header.raw)
    path = folder / "tampered-header.keelenc"
    path.write_bytes(
        crypto.MAGIC + len(raw).to_bytes(4, "big") + raw + blob[header.prefix_length :]
    )
    return path


def _tampered_header_byte(folder: Path, backup: Path) -> Path:
    blob = bytearray(_encrypted(folder, backup))
    blob[20] ^= 0x01  # one bit inside the JSON header
    path = folder / "tampered-header-byte.keelenc"
    path.write_bytes(bytes(blob))
    return path


def _tampered_body(folder: Path, backup: Path) -> Path:
    blob = bytearray(_encrypted(folder, backup))
    blob[len(blob) // 2] ^= 0x01
    path = folder / "tampered-body.keelenc"
    path.write_bytes(bytes(blob))
    return path


def _truncated_encrypted(folder: Path, backup: Path) -> Path:
    blob = _encrypted(folder, backup)
    path = folder / "cut.keelenc"
    path.write_bytes(blob[: len(blob) - 5000])
    return path


def _no_passphrase(folder: Path, backup: Path) -> Path:
    path = folder / "encrypted.keelenc"
    path.write_bytes(_encrypted(folder, backup))
    return path


REFUSALS: dict[str, tuple[Callable[[Path, Path], Path], str | None, str]] = {
    "zero-byte file": (_zero_byte, None, "empty (0 bytes)"),
    "text file": (_text_file, None, "not a Keel backup"),
    "another program's SQLite": (_foreign_sqlite, None, "another program's SQLite database"),
    "truncated backup": (_truncated, None, "truncated"),
    "newer schema": (_newer_schema, None, "newer version of Keel"),
    "damaged pages": (_damaged_inside, None, "failed Keel's checks"),
    "wrong passphrase": (_wrong_passphrase, PASSPHRASE, "passphrase is wrong"),
    "tampered header (salt)": (_tampered_header_salt, PASSPHRASE, "changed or damaged"),
    "tampered header (a byte)": (_tampered_header_byte, PASSPHRASE, "damaged"),
    "tampered body": (_tampered_body, PASSPHRASE, "changed or damaged"),
    "truncated encrypted": (_truncated_encrypted, PASSPHRASE, "changed or damaged"),
    "encrypted, no passphrase": (_no_passphrase, None, "give its passphrase"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refused_restore_changes_nothing(
    case: str, live: tuple[Path, dict[str, object]], good_backup: Path, tmp_path: Path
) -> None:
    make, passphrase, words = REFUSALS[case]
    path, _ = live
    candidates = tmp_path / "candidates"
    candidates.mkdir()
    candidate = make(candidates, good_backup)
    candidate_sha = sha256(candidate)
    checkpoint(path)
    before_sha, before = sha256(path), dump(path)
    before_files = listing(path.parent)
    safety = tmp_path / "safety"

    db = connect(path)
    try:
        with pytest.raises(RestoreError) as refused:
            restore_database(db, candidate, safety, passphrase=passphrase)
    finally:
        close_database(db)
    assert words in str(refused.value), str(refused.value)
    assert "Nothing was restored" in str(refused.value) or "give its passphrase" in words

    with pytest.raises(RestoreError) as again:
        restore_into_file(path, candidate, safety, passphrase=passphrase)
    assert words in str(again.value)

    assert sha256(path) == before_sha, "the live database changed"
    assert dump(path) == before
    assert listing(path.parent) == before_files, "files appeared beside the database"
    assert list_backups(safety) == [], "a refused restore made a safety copy"
    assert sha256(candidate) == candidate_sha, "the candidate was changed"


def test_restore_refuses_to_replace_another_programs_database(
    tmp_path: Path, good_backup: Path
) -> None:
    target = _foreign_sqlite(tmp_path, good_backup)
    before = sha256(target)
    with pytest.raises(RestoreError, match="another program"):
        restore_into_file(target, good_backup, tmp_path / "safety")
    assert sha256(target) == before


def test_a_restore_that_fails_half_way_leaves_the_database_as_it_was(
    tmp_path: Path, live: tuple[Path, dict[str, object]]
) -> None:
    """The live database on a nearly full disk, a much bigger backup: the copy fails part way
    (SQLITE_FULL) and is rolled back — the file is byte for byte what it was."""
    path, _ = live
    big = tmp_path / "big.db"
    make_db(big, sessions=60, note_size=10_000)
    bdb = open_database(big)
    try:
        backup = backup_database(bdb, tmp_path / "backups").path
    finally:
        close_database(bdb)
    size = path.stat().st_size
    with tmpfs(tmp_path / "tiny", f"{(size * 3) // 1024}k") as tiny:
        if tiny is None:
            pytest.skip("mounting a tmpfs is not permitted here")
        small = tiny / "keel.db"
        small.write_bytes(path.read_bytes())
        assert backup.stat().st_size > 3 * size
        before_sha, before = sha256(small), dump(small)
        db = connect(small)
        try:
            with pytest.raises(RestoreError, match="restore failed"):
                restore_database(db, backup, tmp_path / "safety", another_database=True)
            assert not db.conn.in_transaction
        finally:
            close_database(db)
        assert sha256(small) == before_sha and dump(small) == before
        assert integrity_check(small) == [("ok",)]


def test_restore_refuses_the_open_database_itself(
    live: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    path, _ = live
    db = connect(path)
    try:
        with pytest.raises(RestoreError, match="database Keel has open"):
            restore_database(db, path, tmp_path / "safety")
    finally:
        close_database(db)
