"""Writes that never fail through a stale snapshot, exports that never destroy a file, and
encrypted backups that leave nothing readable behind when killed.

* Another process holds a write transaction for 3 s, then commits; meanwhile each audited
  command (an export, a save through the service, an import, a calendar export) waits for it
  and succeeds.
* A write that still cannot proceed after the busy timeout says "another program is writing to
  this database; try again" — and an export onto an existing file, with the database locked for
  longer than the timeout or read-only, leaves that file's bytes exactly as they were.
* ``kill -9`` of an encrypted backup at 20 random moments: straight after each kill — Keel
  not started again — no file in the database's folder, the backup folder or the temporary
  folder starts with the SQLite header, except the database itself. (The next start's clean-up
  of what a killed backup leaves, and of an older Keel's unencrypted working copies, is tested
  apart.)
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from app.errors import StorageError
from app.services import crypto, encrypted_backup
from app.services.backup import backup_database
from app.services.calendar import CalendarExportFailed, export_calendar
from app.services.exports import ExportFailed, ExportService
from app.services.sessions import SessionService
from app.storage import db as storage_db
from app.storage import keys
from app.storage.db import SQLITE_HEADER, close_database, connect, open_database
from tests.app.backup_support import PYTHON, child_env, held, make_db, read_only_bind

HOLD_WRITE = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO meta (key, value) VALUES ('held by another program', 'yes') "
             "ON CONFLICT (key) DO UPDATE SET value = value || '!'")
print("writing", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
print("committed", flush=True)
"""


@contextlib.contextmanager
def another_program_writing(path: Path, seconds: float) -> Iterator[subprocess.Popen[str]]:
    """Another program in the middle of a write transaction on ``path`` for ``seconds``."""
    child = subprocess.Popen(
        [PYTHON, "-c", HOLD_WRITE, str(path), str(seconds)],
        env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "writing", child.stderr
        yield child
    finally:
        if child.poll() is None:
            child.wait(timeout=60)
        _, err = child.communicate()
        assert child.returncode == 0, err


def keel_cli(db_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, str(Path(__file__).resolve().parents[2] / "main.py"), "--db", str(db_path), *args],
        env=child_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def data(tmp_path: Path) -> tuple[Path, dict[str, object]]:
    path = tmp_path / "data" / "keel.db"
    path.parent.mkdir()
    return path, make_db(path, sessions=4)


STAFF_CSV = "name,staff_id,team,role\nAna Silva,S-1,North,Nurse\nBen Adeyemi,S-2,North,Nurse\n"


# --------------------------------------------------------------------------- two processes


def test_every_audited_command_waits_for_another_programs_write(
    data: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    path, info = data
    staff = tmp_path / "staff.csv"
    staff.write_text(STAFF_CSV, encoding="utf-8")
    commands = {
        "export-pdf": ("export-pdf", "record", str(info["signed"]), "--out", str(tmp_path / "r.pdf")),
        "export-ics": ("export-ics", "--from", "2026-01-01", "--to", "2026-12-31", "--out",
                       str(tmp_path / "s.ics")),
        "import-staff": ("import-staff", str(staff)),
    }  # fmt: skip
    for name, args in commands.items():
        with another_program_writing(path, 3):
            started = time.monotonic()
            done = keel_cli(path, *args)
            took = time.monotonic() - started
        assert done.returncode == 0, f"{name}: {done.stderr}"
        assert took >= 1.5, f"{name} did not wait for the other program ({took:.1f} s)"
    # A save through the service, in this process.
    db = open_database(path)
    try:
        with another_program_writing(path, 3):
            saved = SessionService(db).save(
                held(str(info["worker"]), str(info["lead"]), date(2026, 2, 2))
            )
        assert db.execute("SELECT 1 FROM sessions WHERE id = ?", [saved.record.id]).fetchone()
        value = db.execute("SELECT value FROM meta WHERE key = 'held by another program'")
        assert value.fetchone()[0].startswith("yes"), "the other program's write was lost"
    finally:
        close_database(db)
    exported = [r for r in _audit(path) if r[0] == "export"]
    assert len(exported) == 2 and any(r[0] == "import" for r in _audit(path))


def _audit(path: Path) -> list[tuple[str, str]]:
    db = connect(path, read_only=True)
    try:
        return [(r[0], r[1]) for r in db.execute("SELECT action, entity FROM audit_log").fetchall()]
    finally:
        db.close()


def test_a_write_that_cannot_wait_long_enough_says_another_program_is_writing(
    data: tuple[Path, dict[str, object]], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, info = data
    monkeypatch.setattr(storage_db, "BUSY_TIMEOUT_S", 0.5)
    db = open_database(path)
    try:
        with another_program_writing(path, 3), pytest.raises(StorageError) as refused:
            SessionService(db).save(held(str(info["worker"]), str(info["lead"]), date(2026, 2, 3)))
    finally:
        close_database(db)
    assert "another program is writing to this database; try again" in str(refused.value)


# --------------------------------------------------------------------------- exports


def test_an_export_onto_an_existing_file_with_the_database_locked_leaves_it_intact(
    data: tuple[Path, dict[str, object]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, info = data
    out, ics = tmp_path / "record.pdf", tmp_path / "sessions.ics"
    out.write_bytes(b"%PDF-1.4 the inspector's copy")
    ics.write_bytes(b"BEGIN:VCALENDAR the team's calendar")
    before = sha256(out), sha256(ics)
    monkeypatch.setattr(storage_db, "BUSY_TIMEOUT_S", 0.5)
    db = open_database(path)
    try:
        with another_program_writing(path, 3):
            with pytest.raises(ExportFailed) as refused:
                ExportService(db).record(str(info["signed"]), out)
            with pytest.raises(CalendarExportFailed) as cal_refused:
                export_calendar(db, date(2026, 1, 1), date(2026, 12, 31), ics)
    finally:
        close_database(db)
    for message in (str(refused.value), str(cal_refused.value)):
        assert "another program is writing to this database; try again" in message, message
        assert "as it was" in message and "Could not save your change" not in message
    assert (sha256(out), sha256(ics)) == before
    assert not [p for p in tmp_path.iterdir() if "keel-" in p.name], "a temporary was left"


def test_an_export_onto_an_existing_file_with_the_database_read_only_leaves_it_intact(
    data: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    path, _ = data
    out = tmp_path / "blank.pdf"
    out.write_bytes(b"%PDF-1.4 last week's form")
    before = sha256(out)
    db = connect(path, read_only=True)
    try:
        with pytest.raises(ExportFailed) as refused:
            ExportService(db).blank("line", out)
    finally:
        db.close()
    assert "read-only" in str(refused.value) and "blank.pdf is as it was" in str(refused.value)
    assert sha256(out) == before
    assert not [p for p in tmp_path.iterdir() if "keel-" in p.name]


def test_the_command_line_export_on_a_read_only_mount_leaves_the_file_intact(
    data: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    path, _ = data
    close_wal = connect(path)
    close_wal.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    close_wal.close()
    out = tmp_path / "blank.pdf"
    out.write_bytes(b"%PDF-1.4 last week's form")
    before = sha256(out)
    with read_only_bind(path.parent, tmp_path / "ro") as mounted:
        if mounted is None:
            pytest.skip("mounting is not permitted here (the in-process read-only test runs)")
        done = keel_cli(mounted / "keel.db", "export-pdf", "blank", "line", "--out", str(out))
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert sha256(out) == before, done.stderr


@pytest.mark.slow
def test_the_command_line_export_waits_the_full_ten_seconds_then_leaves_the_file(
    data: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    path, _ = data
    out = tmp_path / "blank.pdf"
    out.write_bytes(b"%PDF-1.4 last week's form")
    before = sha256(out)
    with another_program_writing(path, 13):
        started = time.monotonic()
        done = keel_cli(path, "export-pdf", "blank", "line", "--out", str(out))
        took = time.monotonic() - started
    assert done.returncode == 1
    assert "another program is writing to this database; try again" in done.stderr
    assert "blank.pdf is as it was" in done.stderr
    assert took >= 9.5, f"gave up after {took:.1f} s, before the 10 s busy timeout"
    assert sha256(out) == before


# --------------------------------------------------------------------------- kill -9


BACKUP_FOREVER = """
import sys, tempfile
from pathlib import Path
tempfile.tempdir = sys.argv[3]
from app.services import crypto
from app.storage import keys
crypto.SCRYPT_N = keys.SCRYPT_N = 2 ** 14
from app.services.backup import backup_database
from app.storage.db import open_database
db = open_database(Path(sys.argv[1]))
print("ready", flush=True)
while True:
    backup_database(db, Path(sys.argv[2]), passphrase="correct horse battery staple")
    print("made", flush=True)
"""


def _readable_copies(folders: list[Path], database: Path) -> list[Path]:
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and path.resolve() != database.resolve():
                with path.open("rb") as fh:
                    if fh.read(16) == SQLITE_HEADER:
                        found.append(path)
    return found


def test_kill_9_of_an_encrypted_backup_leaves_no_unencrypted_copy(tmp_path: Path) -> None:
    """Killed at a random moment, an encrypted backup of a plain database leaves nothing
    readable: checked straight after each kill, before anything could clean up."""
    from app.services.temporaries import clean_stale

    path = tmp_path / "data" / "keel.db"
    path.parent.mkdir()
    make_db(path, sessions=60, note_size=20_000)
    backups, temp = tmp_path / "backups", tmp_path / "tmp"
    backups.mkdir()
    temp.mkdir()
    rng = random.Random(20261126)
    folders = [path.parent, backups, temp]
    left_behind = 0
    for round_no in range(20):
        child = subprocess.Popen(
            [PYTHON, "-c", BACKUP_FOREVER, str(path), str(backups), str(temp)],
            env=child_env(TMPDIR=str(temp)), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready", child.stderr
            time.sleep(rng.uniform(0.0, 0.6))
            os.kill(child.pid, signal.SIGKILL)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
            child.communicate()
        readable = _readable_copies(folders, path)
        assert readable == [], f"round {round_no}: readable copies left by a kill: {readable}"
        left_behind += len([p for p in backups.iterdir() if p.name.startswith(".keel-backup-")])
        clean_stale([backups])  # the next start (tested apart): the temporaries go
    made = [p for p in backups.iterdir() if p.suffix == ".keelenc"]
    assert made, "no backup ever completed: the kills all came too early to test much"
    for backup in made:
        assert encrypted_backup.is_encrypted_database_backup(backup.read_bytes()[:16])
    assert [p for p in backups.iterdir() if p.name.startswith(".keel-backup-")] == []
    assert sorted(p for p in backups.iterdir()) == sorted(made)
    print(f"\nkill -9: 20 rounds, {len(made)} backups completed, {left_behind} encrypted "
          "temporaries left by a kill (none readable)")  # fmt: skip


def test_the_next_start_removes_what_killed_backups_and_older_keels_left(tmp_path: Path) -> None:
    """What a kill -9 leaves (an encrypted backup's temporaries) and what an older Keel left
    (its unencrypted working copy beside the database, a decrypted restore folder) is removed
    by the next start — only once the process that made it is gone."""
    from app.services.temporaries import clean_for_database, owned_name

    path = tmp_path / "data" / "keel.db"
    path.parent.mkdir()
    make_db(path)
    dead = _dead_pid()
    tag = owned_name("keel-backup-").split("-")[2]  # this computer's tag
    plain = path.parent / f"keel-backup-{tag}-{dead}-0a1b2c3d4e5f" / "plain.db"
    plain.parent.mkdir()
    shutil.copy(path, plain)
    legacy = path.parent / "keel-backup-ab12CD34"  # an older Keel's: no owner, by age
    legacy.mkdir()
    shutil.copy(path, legacy / "plain.db")
    old = time.time() - 2 * 24 * 3600
    os.utime(legacy, (old, old))
    restoring = path.parent / f"keel-restore-{tag}-{dead}-0a1b2c3d4e5f"
    restoring.mkdir()
    shutil.copy(path, restoring / "backup.db")
    mine = path.parent / owned_name("keel-restore-")  # this process: still working
    mine.mkdir()
    assert len(_readable_copies([path.parent], path)) == 3
    assert clean_for_database(path) == 3
    assert _readable_copies([path.parent], path) == []
    assert mine.exists() and path.exists()


def _dead_pid() -> int:
    child = subprocess.Popen([PYTHON, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_running_backups_temporaries_are_never_removed(tmp_path: Path) -> None:
    """The window's clean-up while a backup runs beside it: the backup's temporary stays."""
    from app.services.temporaries import clean_stale, owned_name

    mine = tmp_path / owned_name(".keel-backup-", ".enc.tmp")
    mine.write_bytes(b"being written")
    assert clean_stale([tmp_path]) == 0 and mine.exists()
    tempfile.gettempdir()  # (the real temporary folder is never listed by this test)


def test_a_backup_leaves_no_temporary_and_names_its_owner_while_it_runs(
    data: tuple[Path, dict[str, object]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.services import encrypted_backup as module
    from app.services.temporaries import owner

    path, _ = data
    monkeypatch.setattr(crypto, "SCRYPT_N", 2**14)
    monkeypatch.setattr(keys, "SCRYPT_N", 2**14)
    seen: list[tuple[str, str, bytes]] = []
    real = module.write_container

    def spy(body: Path, target: Path, *args: object) -> None:
        seen.append((body.name, target.name, body.read_bytes()[:16]))
        real(body, target, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "write_container", spy)
    db = open_database(path)
    try:
        made = backup_database(db, tmp_path / "backups", passphrase="correct horse battery")
    finally:
        close_database(db)
    ((body, temporary, head),) = seen
    assert body.startswith(f".keel-backup-{owner()}-") and body.endswith(".tmp")
    assert temporary.startswith(f".keel-backup-{owner()}-")
    assert head != SQLITE_HEADER  # the working copy is encrypted as it is written
    assert [p.name for p in (tmp_path / "backups").iterdir()] == [made.path.name]
    assert not [p for p in path.parent.iterdir() if p.name.startswith("keel-backup-")]
