"""The fast backup: a byte copy of the checkpointed database file, taken under the write lock
and checked by length, header and counts; and when it is not safe to take (a reader or writer
blocks the checkpoint, a save lands in the WAL), the backup API with a full quick_check."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app import dbapi
from app.services import backup as backup_module
from app.services.backup import BackupError, backup_database
from app.services.sessions import SessionService
from app.storage.db import Database
from app.storage.schema import SCHEMA_VERSION
from tests.app.backup_support import dump, held, listing, populate, quick_check


@pytest.fixture
def data(db: Database) -> dict[str, object]:
    return populate(db, sessions=20, note_size=2_000)


class Ways:
    """Which way each backup was copied: the file's bytes or the backup API."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.used: list[str] = []
        real_bytes, real_api = backup_module._copy_bytes, backup_module._backup_api_copy

        def copy_bytes(*a: Any) -> Any:
            self.used.append("file copy")
            return real_bytes(*a)

        def api(*a: Any) -> Any:
            self.used.append("backup API")
            return real_api(*a)

        monkeypatch.setattr(backup_module, "_copy_bytes", copy_bytes)
        monkeypatch.setattr(backup_module, "_backup_api_copy", api)


def _without_journal_mode(raw: bytes) -> bytes:
    return raw[:18] + raw[20:]


def test_a_checkpointed_database_is_copied_byte_for_byte_as_a_rollback_journal_file(
    db: Database,
    db_path: Path,
    data: dict[str, object],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ways = Ways(monkeypatch)
    timeout = db.execute("PRAGMA busy_timeout").fetchone()[0]
    # Once verified, the copy gets the witness of its audit trail in its meta table (the one
    # change to it): its bytes are compared as they were before that.
    before_stamp: list[bytes] = []
    stamp = backup_module._carry_witness_into

    def seen(copy: Path, outside: object) -> None:
        before_stamp.append(copy.read_bytes())
        stamp(copy, outside)  # type: ignore[arg-type]

    monkeypatch.setattr(backup_module, "_carry_witness_into", seen)
    result = backup_database(db, tmp_path / "backups")
    assert ways.used == ["file copy"]
    assert not db.conn.in_transaction
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == timeout
    # The WAL was emptied into the main file, whose bytes the backup is (but the journal mode).
    assert os.path.getsize(f"{db_path}-wal") == 0
    (copy,) = before_stamp
    assert result.path.read_bytes()[18:20] == b"\x01\x01"
    assert copy[18:20] == b"\x01\x01" and db_path.read_bytes()[18:20] == b"\x02\x02"
    assert _without_journal_mode(copy) == _without_journal_mode(db_path.read_bytes())
    # It opens as an ordinary rollback-journal database that needs no -wal beside it.
    conn = sqlite3.connect(str(result.path))
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 20
    finally:
        conn.close()
    assert not Path(f"{result.path}-wal").exists()
    assert quick_check(result.path) == [("ok",)]
    assert dump(result.path) == dump(db_path)
    assert result.counts["sessions"] == 20


def test_the_copy_keeps_this_process_s_lock_on_the_database(
    db: Database, db_path: Path, data: dict[str, object], tmp_path: Path
) -> None:
    """Opening and closing a second descriptor on the file would drop SQLite's POSIX locks:
    another program could then take the database over (here: switch it out of WAL mode) while
    Keel still has it open."""
    backup_database(db, tmp_path / "backups")
    switch = (
        "import sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1], timeout=0)\n"
        "try:\n"
        "    print(c.execute('PRAGMA journal_mode = DELETE').fetchone()[0])\n"
        "except sqlite3.OperationalError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", switch, str(db_path)], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out in ("wal", "database is locked"), out
    SessionService(db).save(held(str(data["worker"]), str(data["lead"]), date(2026, 3, 1)))
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_reader_that_blocks_the_checkpoint_means_the_backup_api_at_once(
    db: Database,
    db_path: Path,
    data: dict[str, object],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ways = Ways(monkeypatch)
    db.execute("PRAGMA wal_autocheckpoint = 0")
    service = SessionService(db)
    saved = service.save(held(str(data["worker"]), str(data["lead"]), date(2026, 2, 1)))
    # Keel's own driver: two copies of SQLite in one process do not see each other's locks.
    reader = dbapi.connect(str(db_path), isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM sessions").fetchone()  # holds the WAL's frames
        started = time.monotonic()
        result = backup_database(db, tmp_path / "backups")
        took = time.monotonic() - started
    finally:
        reader.close()
    assert ways.used == ["backup API"]
    assert took < 3, "the backup waited for the busy timeout instead of falling back"
    assert saved.record.id in {r[0] for r in dump(result.path)["sessions"]}
    assert result.path.read_bytes()[18:20] == b"\x01\x01"
    assert result.counts["sessions"] == 21 and quick_check(result.path) == [("ok",)]


class SaveBeforeLock:
    """``db.conn``, except that another connection commits a save just before the backup's
    ``BEGIN IMMEDIATE``: the WAL is no longer empty when the lock is taken."""

    def __init__(self, conn: dbapi.Connection, path: Path) -> None:
        self._conn, self._path = conn, path

    def execute(self, sql: str, *args: Any) -> Any:
        if sql == "BEGIN IMMEDIATE":
            other = dbapi.connect(str(self._path))
            try:
                other.execute("PRAGMA wal_autocheckpoint = 0")
                other.execute(
                    "INSERT INTO workers (id, name, created_at, updated_at) "
                    "VALUES ('late', 'Saved Meanwhile', 'x', 'x')"
                )
                other.commit()
            finally:
                other.close()
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def test_a_save_that_lands_in_the_wal_before_the_lock_means_the_backup_api(
    db: Database,
    db_path: Path,
    data: dict[str, object],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ways = Ways(monkeypatch)
    db.execute("PRAGMA wal_autocheckpoint = 0")
    real = db.conn
    monkeypatch.setattr(db, "conn", SaveBeforeLock(real, db_path))
    result = backup_database(db, tmp_path / "backups")
    monkeypatch.setattr(db, "conn", real)
    assert os.path.getsize(f"{db_path}-wal") > 0
    assert ways.used == ["backup API"]
    assert "late" in {r[0] for r in dump(result.path)["workers"]}
    assert result.counts["workers"] == 3 and quick_check(result.path) == [("ok",)]


def test_uncommitted_changes_of_another_connection_are_not_in_the_backup(
    db: Database,
    db_path: Path,
    data: dict[str, object],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Even when they have spilled into the WAL (a big change in a small page cache)."""
    ways = Ways(monkeypatch)
    other = dbapi.connect(str(db_path), isolation_level=None)
    try:
        other.execute("PRAGMA cache_size = 1")
        other.execute("BEGIN IMMEDIATE")
        for n in range(300):
            other.execute(
                "INSERT INTO workers (id, name, created_at, updated_at) VALUES (?, ?, 'x', 'x')",
                [f"uncommitted-{n}", "Not Yet Saved " * 20],
            )
        assert os.path.getsize(f"{db_path}-wal") > 0, "the change did not spill: test is moot"
        result = backup_database(db, tmp_path / "backups")
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert ways.used == ["backup API"]
    workers = {r[0] for r in dump(result.path)["workers"]}
    assert workers == {str(data["lead"]), str(data["worker"])}
    assert result.counts["workers"] == 2 and quick_check(result.path) == [("ok",)]
    # Once the other connection is gone, the next backup is a byte copy again.
    backup_database(db, tmp_path / "backups")
    assert ways.used == ["backup API", "file copy"]


def _damage(fault: str, out: int, size: int) -> None:
    if fault == "truncated":
        os.ftruncate(out, size - 4096)
    elif fault == "header changed":
        os.pwrite(out, (SCHEMA_VERSION + 1).to_bytes(4, "big"), 60)  # user_version: another
    elif fault == "schema page damaged":
        os.pwrite(out, b"\xa5" * 16, 100)  # the b-tree header of sqlite_schema (page 1)
    else:
        os.pwrite(out, b"\x00" * 4096, size - 4096)  # a whole page zeroed at the end
        os.ftruncate(out, size + 4096)


@pytest.mark.parametrize(
    "fault", ["truncated", "header changed", "schema page damaged", "one page too many"]
)
def test_a_byte_copy_spoiled_before_verification_is_refused_and_not_kept(
    db: Database,
    data: dict[str, object],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
) -> None:
    real = backup_module._copy_bytes

    def spoiled(source: int, out: int, size: int) -> None:
        real(source, out, size)
        _damage(fault, out, size)

    monkeypatch.setattr(backup_module, "_copy_bytes", spoiled)
    monkeypatch.setattr(
        backup_module, "_verify_plain", lambda *a: pytest.fail("quick_check path used")
    )
    folder = tmp_path / "backups"
    with pytest.raises(BackupError, match="not kept"):
        backup_database(db, folder)
    assert listing(folder) == []


def test_every_way_of_copying_bytes_gives_the_same_file(tmp_path: Path) -> None:
    """copy_file_range, then sendfile, then pread/pwrite when the kernel refuses the others."""
    source = tmp_path / "source"
    source.write_bytes(os.urandom(3 * 2**20 + 123))
    size = source.stat().st_size
    made = []
    for refused in ([], ["copy_file_range"], ["copy_file_range", "sendfile"]):
        with pytest.MonkeyPatch.context() as mp:
            for name in refused:

                def no(*a: Any, _n: str = name) -> int:
                    raise OSError(95, f"{_n}: operation not supported")

                mp.setattr(os, name, no, raising=False)
            target = tmp_path / f"copy-{len(refused)}"
            src, out = os.open(source, os.O_RDONLY), os.open(target, os.O_WRONLY | os.O_CREAT)
            try:
                backup_module._copy_bytes(src, out, size)
                assert os.lseek(src, 0, os.SEEK_CUR) == 0, "the source's position moved"
            finally:
                os.close(src)
                os.close(out)
            made.append(target.read_bytes())
    assert made == [source.read_bytes()] * 3
