"""Opening with the integrity check on a background thread (the desktop app's start-up).

The window opens before SQLite's quick_check of every page has finished; until it passes the
connection must not write, every write must wait for the verdict, and a damaged file must be
left exactly as it was — the same promise as the synchronous check (tests/app/test_store.py).
"""

from __future__ import annotations

import hashlib
import threading
from datetime import date
from pathlib import Path

import pytest

from app import dbapi
from app.domain.model import Worker
from app.errors import DamagedDatabaseError
from app.services.backup import BackupError, backup_database
from app.services.workers import WorkerService
from app.storage import db as store
from app.storage.db import (
    close_database,
    confirm_checked,
    connect,
    open_database,
    pending_check,
    transaction,
)
from app.storage.schema import SCHEMA_VERSION
from tests.app.test_store import make_keel_db_with_data


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _damage_a_page(path: Path) -> None:
    """Scramble the b-tree header of the page holding worker 100: the header, length and
    schema are fine, so only the page-by-page check can tell."""
    data = bytearray(path.read_bytes())
    page = data.index(b"Worker 100 ") // 4096
    for offset in range(page * 4096, page * 4096 + 12):
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


class SlowCheck:
    """Hold the background check until the test releases it (a big file on a slow disk)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.release = threading.Event()
        real = store._quick_check

        def slow(path: Path) -> None:
            assert self.release.wait(10), "the test never released the check"
            real(path)

        monkeypatch.setattr(store, "_quick_check", slow)


def test_a_sound_file_opens_at_once_and_writes_wait_for_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_keel_db_with_data(tmp_path / "keel.db", workers=20)
    slow = SlowCheck(monkeypatch)
    db = open_database(path, check_in_background=True)
    try:
        check = pending_check(path)
        assert check is not None and not check.done
        assert db.execute("SELECT count(*) FROM workers").fetchone()[0] == 20  # reads work
        with pytest.raises(dbapi.OperationalError):  # nothing writes behind the guard
            db.execute("DELETE FROM workers")
        assert confirm_checked(db) is False  # still running: nothing lifted yet

        saved: list[Worker] = []
        writer = threading.Timer(0.2, slow.release.set)
        writer.start()
        # The save blocks until the check passes, then goes through.
        saved.append(WorkerService(db).save(Worker(id="", name="Ada Okafor", team="North")))
        writer.join()
        assert check.done and check.error is None
        assert db.execute("SELECT count(*) FROM workers").fetchone()[0] == 21
    finally:
        close_database(db)
    assert pending_check(path) is None
    assert not Path(f"{path}-wal").exists()  # closed as one self-contained file
    again = open_database(path)
    try:
        assert [w.name for w in WorkerService(again).all() if w.id == saved[0].id] == ["Ada Okafor"]
    finally:
        close_database(again)


def test_a_damaged_file_found_in_the_background_refuses_every_write_and_stays_untouched(
    tmp_path: Path,
) -> None:
    path = make_keel_db_with_data(tmp_path / "keel.db")
    _damage_a_page(path)
    before = _sha(path)
    db = open_database(path, check_in_background=True)  # header, length, schema: all fine
    try:
        check = pending_check(path)
        assert check is not None
        assert check.wait(30)
        assert isinstance(check.error, DamagedDatabaseError)
        assert "Restore the latest backup" in str(check.error)
        with pytest.raises(DamagedDatabaseError):
            confirm_checked(db)
        with pytest.raises(DamagedDatabaseError), transaction(db):
            db.execute("DELETE FROM workers")
        with pytest.raises(DamagedDatabaseError):
            connect(path)  # a background task's own connection is refused too
        with pytest.raises(DamagedDatabaseError):
            WorkerService(db).save(Worker(id="", name="Lost?", team="North"))
    finally:
        close_database(db)
    assert _sha(path) == before
    assert not Path(f"{path}-wal").exists()


def test_a_backup_waits_for_the_check_and_is_refused_for_a_damaged_file(
    tmp_path: Path,
) -> None:
    path = make_keel_db_with_data(tmp_path / "keel.db")
    _damage_a_page(path)
    db = open_database(path, check_in_background=True)
    try:
        with pytest.raises(BackupError, match=r"not made.*is damaged.*Restore the latest backup"):
            backup_database(db, tmp_path / "backups")
    finally:
        close_database(db)
    backups = tmp_path / "backups"
    assert not backups.exists() or not any(backups.iterdir())  # nothing half-made is left


def test_files_that_need_migrating_or_hold_a_crash_log_are_checked_before_opening(
    tmp_path: Path,
) -> None:
    damaged = make_keel_db_with_data(tmp_path / "keel.db")
    _damage_a_page(damaged)
    # A write-ahead log left by a crash would be copied into the file when the connection
    # closes, so such a file is checked first, as without the background option.
    Path(f"{damaged}-wal").write_bytes(b"\0" * 32)
    with pytest.raises(DamagedDatabaseError):
        open_database(damaged, check_in_background=True)
    assert pending_check(damaged) is None


def test_a_new_database_needs_no_check(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    db = open_database(path, check_in_background=True)
    try:
        assert pending_check(path) is None
        assert store.schema_version(db) == SCHEMA_VERSION
        WorkerService(db).save(Worker(id="", name="Ada", team="North", start_date=date(2025, 1, 6)))
    finally:
        close_database(db)


def test_a_write_that_has_to_wait_shows_the_waiting_feedback_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import contextlib
    from collections.abc import Iterator

    path = make_keel_db_with_data(tmp_path / "keel.db", workers=3)
    slow = SlowCheck(monkeypatch)
    shown: list[str] = []

    @contextlib.contextmanager
    def feedback() -> Iterator[None]:
        shown.append("busy")
        yield
        shown.append("done")

    store.set_waiting_feedback(feedback)
    db = open_database(path, check_in_background=True)
    try:
        threading.Timer(0.2, slow.release.set).start()
        WorkerService(db).save(Worker(id="", name="Ada", team="North"))
        WorkerService(db).save(Worker(id="", name="Bea", team="North"))  # no wait: no feedback
        assert shown == ["busy", "done"]
    finally:
        store.set_waiting_feedback(None)
        close_database(db)
