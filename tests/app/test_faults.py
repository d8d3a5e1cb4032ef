"""Faults a laptop meets: a crash in the middle of saving, a full disk, a second Keel.

* kill -9 of a process saving sessions in a loop (through ``SessionService.save``), at random
  moments: the database opens, passes ``integrity_check``, every save the child acknowledged
  (it prints the id after ``save`` returned) is there, and no record is half-written.
  ``KEEL_KILL_ROUNDS`` sets the number of rounds (default 30).
* a full disk during a save and during a backup: a tiny tmpfs when this machine lets the test
  mount one (CI runs as root), and always also a file-size limit (``RLIMIT_FSIZE``) in a child
  process, so the protection is exercised even where mounting is refused.
* two instances on one database, in one process and across processes; a lock left by a
  ``kill -9``-ed holder is taken over automatically.
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import signal
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from app import dbapi
from app.errors import SaveError, StorageError
from app.services import instance
from app.services.backup import BackupError, backup_database
from app.services.backup_files import list_backups
from app.services.instance import AlreadyRunningError, InstanceLock
from app.services.records import RecordService
from app.services.sessions import SessionService
from app.storage.db import close_database, open_database
from tests.app.backup_support import (
    BACKUP_UNDER_LIMIT,
    HOLD_LOCK,
    SAVE_UNTIL_FULL,
    forked_saver,
    held,
    integrity_check,
    listing,
    make_db,
    read_all,
    read_only_bind,
    run_child,
    session_ids,
    sha256,
    start_child,
    tmpfs,
)

KILL_ROUNDS = int(os.environ.get("KEEL_KILL_ROUNDS", "30"))


# --------------------------------------------------------------------------- kill -9


def _kill_round(db_path: Path, lead: str, worker: str, rng: random.Random) -> list[str]:
    """Fork a saving child, kill -9 it at a random moment; the ids it acknowledged."""
    pid, pipe = forked_saver(db_path, lead, worker)
    try:
        first = os.read(pipe, 6)
        assert first == b"ready\n", first
        time.sleep(rng.uniform(0.0, 0.2))
        os.kill(pid, signal.SIGKILL)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    out = read_all(pipe)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (status, out[-200:])
    # A last line without its newline was being written when the kill came: not acknowledged.
    lines = out.split("\n")
    return [line for line in lines[:-1] if line]


def test_kill_9_while_saving_loses_no_acknowledged_save(tmp_path: Path) -> None:
    db_path = tmp_path / "keel.db"
    info = make_db(db_path, sessions=1)
    rng = random.Random(20261126)
    acknowledged: list[str] = []
    for round_no in range(KILL_ROUNDS):
        acked = _kill_round(db_path, info["lead"], info["worker"], rng)
        acknowledged += acked
        # The database opens as Keel opens it (defensive checks, WAL replay, migrations).
        db = open_database(db_path)
        try:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)], round_no
            present = {r[0] for r in db.execute("SELECT id FROM sessions")}
            missing = set(acknowledged) - present
            assert not missing, f"round {round_no}: acknowledged saves lost: {sorted(missing)}"
            # No half-written record: every session has its decision, its action and its
            # audit entry (they are saved in the same transaction), and the chain is intact.
            partial = db.execute(
                "SELECT s.id FROM sessions s WHERE NOT EXISTS "
                "(SELECT 1 FROM decisions d WHERE d.session_id = s.id) OR NOT EXISTS "
                "(SELECT 1 FROM actions a WHERE a.session_id = s.id) OR NOT EXISTS "
                "(SELECT 1 FROM audit_log l WHERE l.entity_id = s.id)"
            ).fetchall()
            assert partial == [], f"round {round_no}: half-written records {partial}"
            assert RecordService(db).verify().ok, round_no
        finally:
            close_database(db)
    assert len(acknowledged) >= KILL_ROUNDS, "the children hardly saved anything"
    print(f"\nkill -9: {KILL_ROUNDS} rounds, {len(acknowledged)} acknowledged saves checked")


# --------------------------------------------------------------------------- full disk


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    with tmpfs(tmp_path / "tiny", "2m") as mounted:
        if mounted is None:
            pytest.skip("mounting a tmpfs is not permitted here (the RLIMIT_FSIZE tests run)")
        yield mounted


def _assert_save_refused_cleanly(db_path: Path, before: set[str], saved: list[str]) -> None:
    assert integrity_check(db_path) == [("ok",)]
    after = session_ids(db_path)
    assert before <= after, "earlier data lost"
    assert after == before | set(saved), "the refused save left something behind"
    db = open_database(db_path)
    try:
        assert RecordService(db).verify().ok
    finally:
        close_database(db)


def test_disk_full_during_a_save_on_a_tiny_filesystem(tiny_fs: Path) -> None:
    db_path = tiny_fs / "keel.db"
    info = make_db(db_path)
    before = session_ids(db_path)
    db = open_database(db_path)
    saved: list[str] = []
    try:
        service = SessionService(db)
        with pytest.raises(SaveError) as refused:
            for _ in range(1000):
                rec = held(info["worker"], info["lead"], date(2026, 1, 5), "z" * 60_000)
                saved.append(service.save(rec).record.id)
        message = str(refused.value)
        assert "Could not save" in message and "disk is full" in message, message
        assert not db.conn.in_transaction  # rolled back: the connection is usable again
    finally:
        close_database(db)
    assert saved, "nothing fitted before the disk was full"
    _assert_save_refused_cleanly(db_path, before, saved)


def test_disk_full_during_a_save_under_a_file_size_limit(tmp_path: Path) -> None:
    db_path = tmp_path / "keel.db"
    info = make_db(db_path)
    before = session_ids(db_path)
    limit = db_path.stat().st_size + 400_000
    result = run_child(SAVE_UNTIL_FULL, str(db_path), info["lead"], info["worker"], str(limit))
    assert result["error"] is not None, "the limit was never reached"
    assert result["error"].startswith("SaveError: Could not save your change"), result["error"]
    assert result["saved"], "nothing fitted under the limit"
    _assert_save_refused_cleanly(db_path, before, result["saved"])


def _backup_fault_setup(tmp_path: Path, folder: Path) -> tuple[Path, Path, str]:
    """A database of about 1 MB and one earlier backup of it already in ``folder``."""
    db_path = tmp_path / "keel.db"
    make_db(db_path, sessions=40, note_size=10_000)
    db = open_database(db_path)
    try:
        first = backup_database(db, folder)
    finally:
        close_database(db)
    return db_path, first.path, sha256(first.path)


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_disk_full_during_a_backup_on_a_tiny_filesystem(
    tmp_path: Path, encrypted: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.services import crypto

    monkeypatch.setattr(crypto, "SCRYPT_N", 2**14)
    db_path = tmp_path / "keel.db"
    make_db(db_path, sessions=40, note_size=10_000)
    size = db_path.stat().st_size
    # Room for one backup and a half: the second one cannot fit.
    with tmpfs(tmp_path / "stick", f"{size * 3 // 2 // 1024}k") as stick:
        if stick is None:
            pytest.skip("mounting a tmpfs is not permitted here (the RLIMIT_FSIZE test runs)")
        db = open_database(db_path)
        try:
            first = backup_database(db, stick).path
            first_sha = sha256(first)
            with pytest.raises(BackupError) as refused:
                backup_database(db, stick, passphrase="correct horse" if encrypted else None)
        finally:
            close_database(db)
        message = str(refused.value)
        assert "not made" in message and "not enough space" in message, message
        assert listing(stick) == [first.name], "a temporary file was left behind"
        assert sha256(first) == first_sha, "the previous backup changed"
        assert integrity_check(db_path) == [("ok",)]
        assert listing(tmp_path) == ["home", "keel.db", "stick"], "a working copy was left behind"


def test_disk_full_during_a_backup_under_a_file_size_limit(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    db_path, first, first_sha = _backup_fault_setup(tmp_path, folder)
    before = session_ids(db_path)
    result = run_child(BACKUP_UNDER_LIMIT, str(db_path), str(folder), "300000")
    assert result["error"] is not None and result["error"].startswith(
        "BackupError: The backup was not made"
    )
    assert listing(folder) == [first.name], "a temporary file was left behind"
    assert sha256(first) == first_sha
    assert integrity_check(db_path) == [("ok",)] and session_ids(db_path) == before
    assert list_backups(folder) == [first]


# --------------------------------------------------------------------------- one instance


def test_a_second_instance_in_the_same_process_is_refused(tmp_path: Path) -> None:
    db_path = tmp_path / "keel.db"
    with InstanceLock(db_path) as first:
        assert first.held
        with pytest.raises(AlreadyRunningError, match="already has this database open"):
            InstanceLock(db_path).acquire()
        # The same file reached through a symlink and a relative path finds the same lock.
        link = tmp_path / "link.db"
        link.symlink_to(db_path)
        with pytest.raises(AlreadyRunningError):
            InstanceLock(link).acquire()
    with InstanceLock(db_path):  # released: taken again
        pass
    assert not (tmp_path / "keel.db.lock").exists()


def test_a_second_instance_in_another_process_is_refused_and_a_killed_one_recovered(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "keel.db"
    child = start_child(HOLD_LOCK, str(db_path))
    assert child.stdout is not None
    try:
        assert child.stdout.readline().strip() == "locked"
        with pytest.raises(AlreadyRunningError) as refused:
            InstanceLock(db_path).acquire()
        assert f"(process {child.pid})" in str(refused.value)
        os.kill(child.pid, signal.SIGKILL)  # crashes: the lock file stays behind
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate()
    assert (tmp_path / "keel.db.lock").exists()
    with InstanceLock(db_path) as recovered:  # the stale lock is recovered automatically
        assert recovered.held
        assert (tmp_path / "keel.db.lock").read_text() == str(os.getpid())


def test_a_lock_file_removed_while_another_process_waits_is_not_a_second_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The holder releases (and removes the file) between a newcomer's open and its lock: the
    newcomer must not end up holding a lock on the removed file while a third Keel locks a new
    one."""
    db_path = tmp_path / "keel.db"
    holder = InstanceLock(db_path)
    holder.acquire()
    real_lock = instance._lock
    calls = []

    def release_first_then_lock(fh):  # type: ignore[no-untyped-def]
        calls.append(fh)
        if len(calls) == 1:
            holder.release()
        real_lock(fh)

    monkeypatch.setattr(instance, "_lock", release_first_then_lock)
    newcomer = InstanceLock(db_path)
    newcomer.acquire()
    monkeypatch.setattr(instance, "_lock", real_lock)
    try:
        with pytest.raises(AlreadyRunningError):
            InstanceLock(db_path).acquire()
    finally:
        newcomer.release()


def test_a_folder_that_cannot_hold_the_lock_file_gives_a_sentence(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(Exception) as refused:
        InstanceLock(blocker / "keel.db").acquire()
    assert "cannot create its lock file" in str(refused.value)
    assert not isinstance(refused.value, dbapi.Error)


# --------------------------------------------------------------------------- read-only places


def test_a_read_only_backup_folder_gives_a_clear_error_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    """A write-protected USB stick (a read-only bind mount: chmod means nothing to root)."""
    db_path = tmp_path / "keel.db"
    make_db(db_path)
    stick = tmp_path / "stick"
    stick.mkdir()
    # Named "full…": the reason comes from the error, not from words in the folder's name.
    with read_only_bind(stick, tmp_path / "fullerton-stick") as ro:
        if ro is None:
            pytest.skip("mounting is not permitted here")
        db = open_database(db_path)
        try:
            with pytest.raises(BackupError) as refused:
                backup_database(db, ro)
        finally:
            close_database(db)
        assert "cannot be written to" in str(refused.value)
        assert listing(stick) == []
    assert integrity_check(db_path) == [("ok",)]


def test_a_database_on_a_read_only_disk_is_refused_with_a_sentence(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    make_db(folder / "keel.db")
    before = sha256(folder / "keel.db")
    with read_only_bind(folder, tmp_path / "ro-data") as ro:
        if ro is None:
            pytest.skip("mounting is not permitted here")
        with pytest.raises(StorageError) as refused:
            close_database(open_database(ro / "keel.db"))
        assert "read-only" in str(refused.value) or "could not be opened" in str(refused.value)
        with pytest.raises(StorageError, match="lock file"):
            InstanceLock(ro / "keel.db").acquire()
    assert sha256(folder / "keel.db") == before


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (OSError(errno.EROFS, "Read-only file system", "/media/fullerton/keel.db"),
         "cannot be written to"),
        (OSError(errno.ENOSPC, "No space left on device", "/media/readonly-archive/keel.db"),
         "there is not enough space"),
        (dbapi.OperationalError("database or disk is full"), "there is not enough space"),
        (dbapi.OperationalError("attempt to write a readonly database"), "cannot be written to"),
    ],
)  # fmt: skip
def test_a_backup_failure_is_explained_by_the_error_not_by_the_folders_name(
    error: BaseException, reason: str
) -> None:
    from app.services.backup import _why

    assert reason in _why(error, Path("/media/stick"))
