"""`backup`, `restore` and `check` as an administrator (or cron) runs them: in a separate
process, with exit codes 0 ok / 1 problem / 2 usage, one sentence on error, never a traceback.
"""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from app.dates import uk
from app.services.backup import backup_database
from app.services.backup_files import list_backups
from app.storage.db import close_database, open_database
from tests.app.backup_support import (
    HOLD_LOCK,
    PYTHON,
    REPO,
    checkpoint,
    child_env,
    dump,
    listing,
    make_db,
    restored,
    sha256,
    stand_in_backup,
    start_child,
)

PASSPHRASE = "correct horse battery staple"


def keel(
    *args: str, stdin: str = "", passphrase: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``python main.py ARGS`` in its own session (no terminal: prompts read stdin)."""
    env = child_env()
    if passphrase is not None:
        env["KEEL_BACKUP_PASSPHRASE"] = passphrase
    done = subprocess.run(
        [PYTHON, str(REPO / "main.py"), *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert "Traceback" not in done.stdout, done.stdout
    return done


def database_id_of(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("SELECT value FROM meta WHERE key = 'database_id'").fetchone()[0])
    finally:
        conn.close()


def data_of(path: Path, *, restored_file: bool = False) -> dict[str, object]:
    """Every table, without the two settings a backup records in the database afterwards (and
    without the restore's own audit entry, for a file a backup was restored into)."""
    tables = dict(restored(path) if restored_file else dump(path))
    tables["meta"] = [r for r in tables["meta"] if not str(r[0]).startswith("last_backup")]
    return tables


def backup_in_process(db_file: Path, folder: Path) -> Path:
    db = open_database(db_file)
    try:
        return backup_database(db, folder).path
    finally:
        close_database(db)


def one_sentence(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "keel.db"
    path.parent.mkdir()
    make_db(path)
    return path


@pytest.fixture
def backups(tmp_path: Path) -> Path:
    return tmp_path / "backups"


def _backup(db_file: Path, backups: Path, *extra: str, **kw: str) -> Path:
    done = keel("--db", str(db_file), "backup", "--to", str(backups), *extra, **kw)
    assert done.returncode == 0, done.stderr
    match = re.search(r"written to (\S+) \(", done.stdout)
    assert match, done.stdout
    return Path(match.group(1))


# --------------------------------------------------------------------------- backup


def test_backup_prints_the_path_and_counts(db_file: Path, backups: Path) -> None:
    done = keel("--db", str(db_file), "backup", "--to", str(backups))
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(
        r"Backup written to \S+keel-backup-keel-\d{8}-\d{6}\.db \(2 workers, 0 risk assessments, "
        r"3 sessions, 3 actions, 0 addenda, \d+ audit entries\)\.\n",
        done.stdout,
    ), done.stdout
    made = list_backups(backups)
    assert len(made) == 1 and stat.S_IMODE(made[0].stat().st_mode) == 0o600
    checkpoint(db_file)
    assert data_of(made[0]) == data_of(db_file)
    assert listing(db_file.parent) == ["keel.db"], "the lock file or a -wal was left behind"


def test_encrypted_backup_with_the_environment_passphrase_and_restore(
    db_file: Path, backups: Path
) -> None:
    made = _backup(db_file, backups, "--encrypt", passphrase=PASSPHRASE)
    assert made.suffix == ".keelenc" and b"SQLite format 3" not in made.read_bytes()
    checkpoint(db_file)
    expected = data_of(db_file)
    db_file.write_bytes(b"")  # the database is lost
    done = keel("--db", str(db_file), "restore", str(made), "--yes", passphrase=PASSPHRASE)
    assert done.returncode == 0, done.stderr
    assert "Restored the backup of" in done.stdout and "3 sessions" in done.stdout
    assert data_of(db_file, restored_file=True) == expected

    wrong = keel("--db", str(db_file), "restore", str(made), "--yes", passphrase="not the one!")
    assert wrong.returncode == 1
    assert "passphrase is wrong" in one_sentence(wrong.stderr)


def test_encrypt_asks_twice_and_refuses_different_passphrases(db_file: Path, backups: Path) -> None:
    differ = keel(
        "--db", str(db_file), "backup", "--to", str(backups), "--encrypt",
        stdin="first passphrase\nsecond passphrase\n",
    )  # fmt: skip
    assert differ.returncode == 2 and "differ" in differ.stderr
    assert listing(backups) == []


def test_backup_while_keel_is_open_still_backs_up(
    db_file: Path, isolated_user_folders: Path
) -> None:
    """A scheduled backup must not fail because Keel was left open: it copies what is saved
    (here into the default folder: no --to)."""
    holder = start_child(HOLD_LOCK, str(db_file))
    assert holder.stdout is not None
    try:
        assert holder.stdout.readline().strip() == "locked"
        done = keel("--db", str(db_file), "backup")
        assert done.returncode == 0, done.stderr
        default = isolated_user_folders / ".local" / "share" / "Keel" / "backups"
        made = list_backups(default)
        assert len(made) == 1 and dump(made[0])["sessions"] == dump(db_file)["sessions"]
    finally:
        holder.kill()
        holder.communicate()


def test_backup_refusals(db_file: Path, backups: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(db_file.read_bytes()[:5000])
    before = sha256(damaged)
    refused = keel("--db", str(damaged), "backup", "--to", str(backups))
    assert refused.returncode == 1 and "truncated" in one_sentence(refused.stderr)
    assert sha256(damaged) == before

    stick = tmp_path / "media" / "USB" / "backups"
    absent = keel("--db", str(db_file), "backup", "--to", str(stick))
    assert absent.returncode == 1 and "not available" in one_sentence(absent.stderr)
    assert not (tmp_path / "media").exists()
    assert listing(backups) == []


# --------------------------------------------------------------------------- restore


def test_restore_yes_replaces_the_data_and_names_the_safety_copy(
    db_file: Path, backups: Path, isolated_user_folders: Path
) -> None:
    made = backup_in_process(db_file, backups)
    expected = dump(made)
    conn = sqlite3.connect(str(db_file))
    try:
        conn.execute("UPDATE workers SET role = 'Changed after the backup'")
        conn.commit()
    finally:
        conn.close()
    checkpoint(db_file)
    changed = dump(db_file)
    done = keel("--db", str(db_file), "restore", str(made), "--yes")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "holds the backup of" in out and "2 workers" in out and "3 sessions" in out
    match = re.search(r"The data you had before is kept in (\S+keel-before-restore-\S+\.db)\.", out)
    assert match, out
    assert dump(Path(match.group(1))) == changed
    assert restored(db_file) == expected
    assert Path(match.group(1)).parent == isolated_user_folders / ".local/share/Keel/backups"


def test_restore_answered_no_changes_nothing(db_file: Path, backups: Path) -> None:
    made = backup_in_process(db_file, backups)
    conn = sqlite3.connect(str(db_file))
    try:
        conn.execute("UPDATE workers SET role = 'Changed after the backup'")
        conn.commit()
    finally:
        conn.close()
    checkpoint(db_file)
    before = sha256(db_file)
    for answer in ("n\n", ""):
        done = keel("--db", str(db_file), "restore", str(made), stdin=answer)
        assert done.returncode == 1, done.stderr
        assert "Replace all the data" in done.stdout
        assert one_sentence(done.stderr) == "Nothing was restored."
        assert sha256(db_file) == before
    assert listing(db_file.parent) == ["keel.db"]


def test_restore_of_a_bad_file_exits_1_and_changes_nothing(db_file: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"name,role\nAmara,Lead\n" * 100)
    checkpoint(db_file)
    before = sha256(db_file)
    done = keel("--db", str(db_file), "restore", str(bad), "--yes")
    assert done.returncode == 1
    assert "not a Keel backup" in one_sentence(done.stderr)
    assert sha256(db_file) == before and listing(db_file.parent) == ["keel.db"]


def test_restore_usage_errors_exit_2(db_file: Path, tmp_path: Path) -> None:
    checkpoint(db_file)
    before = sha256(db_file)
    missing = keel("--db", str(db_file), "restore", str(tmp_path / "nope.db"), "--yes")
    assert missing.returncode == 2 and "no file" in one_sentence(missing.stderr)
    assert sha256(db_file) == before


def test_restore_is_refused_while_keel_has_the_database_open(db_file: Path, backups: Path) -> None:
    made = backup_in_process(db_file, backups)
    checkpoint(db_file)
    before = sha256(db_file)
    holder = start_child(HOLD_LOCK, str(db_file))
    assert holder.stdout is not None
    try:
        assert holder.stdout.readline().strip() == "locked"
        done = keel("--db", str(db_file), "restore", str(made), "--yes")
    finally:
        holder.kill()
        holder.communicate()
    assert done.returncode == 1
    assert f"already has this database open (process {holder.pid})" in one_sentence(done.stderr)
    assert sha256(db_file) == before


# --------------------------------------------------------------------------- check


def test_check_verifies_the_audit_chain_and_signed_records(db_file: Path) -> None:
    checkpoint(db_file)
    before = sha256(db_file)
    ok = keel("--db", str(db_file), "check")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "hash chain intact" in ok.stdout and "1 signed records" in ok.stdout
    assert sha256(db_file) == before, "check must not change the file"
    assert listing(db_file.parent) == ["keel.db"]


def _out_of_band(db_file: Path, *statements: str) -> None:
    """Someone edits the file with another tool, dropping the triggers that protect it."""
    conn = sqlite3.connect(str(db_file))
    try:
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def test_check_names_what_was_edited_out_of_band(db_file: Path) -> None:
    """A signed record's note and an audit entry changed with another tool (its triggers
    dropped): check exits 1 and names the record (id, date, worker) and the entry."""
    conn = sqlite3.connect(str(db_file))
    try:
        signed_id, on = conn.execute(
            "SELECT id, session_date FROM sessions WHERE signed_at IS NOT NULL"
        ).fetchone()
    finally:
        conn.close()
    _out_of_band(
        db_file,
        "DROP TRIGGER sessions_locked",
        f"UPDATE sessions SET issues = 'Nothing of concern discussed.' WHERE id = '{signed_id}'",
        "DROP TRIGGER audit_log_never_updated",
        "UPDATE audit_log SET actor = 'someone else' WHERE seq = 2",
    )
    done = keel("--db", str(db_file), "check")
    assert done.returncode == 1
    problems = [line for line in done.stdout.splitlines() if "PROBLEM" in line]
    assert len(problems) == 4, done.stdout
    assert "Audit entry #2" in problems[0] and "changed after it was written" in problems[0]
    record = problems[1]
    assert signed_id in record and uk(date.fromisoformat(on)) in record
    assert "Łukasz Nowak" in record and "was changed outside Keel" in record
    assert "printed fingerprint no longer matches its content" in record
    # The two protections dropped to make the changes are named too.
    assert "“audit_log_never_updated”" in problems[2] and "missing" in problems[2]
    assert "“sessions_locked”" in problems[3] and "missing" in problems[3]
    assert done.stdout.rstrip().endswith("4 problem(s) found.")


def test_no_command_prints_a_traceback_when_the_database_folder_is_unusable(
    tmp_path: Path, backups: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    good = tmp_path / "good.db"
    make_db(good)
    made = backup_in_process(good, backups)
    done = keel("--db", str(blocker / "keel.db"), "restore", str(made), "--yes")
    assert done.returncode in (1, 2)
    assert "lock file" in one_sentence(done.stderr)
    assert os.path.isfile(blocker)


def test_scheduled_backups_into_the_backup_folder_rotate(tmp_path: Path) -> None:
    db_path = tmp_path / "keel.db"
    make_db(db_path)
    db = open_database(db_path)
    try:
        from app.services.autobackup import set_backup_folder

        set_backup_folder(db, tmp_path / "nightly")
    finally:
        close_database(db)
    folder = tmp_path / "nightly"
    folder.mkdir()
    start = date(2024, 1, 1)
    own_id = database_id_of(db_path)
    stale = [
        stand_in_backup(folder / f"keel-backup-keel-{start + timedelta(days=n):%Y%m%d}-020000.db",
                        own_id)
        for n in range(90)
    ]  # fmt: skip
    # Another database's backups in the same folder: not this database's to rotate.
    others = [
        stand_in_backup(folder / f"keel-backup-keel-{start + timedelta(days=n):%Y%m%d}-030000.db",
                        "another-database-id")
        for n in range(30)
    ]  # fmt: skip
    done = keel("--db", str(db_path), "backup")
    assert done.returncode == 0, done.stderr
    removed = int(re.search(r"Rotation removed (\d+) older backup", done.stdout).group(1))  # type: ignore[union-attr]
    kept = [p for p in list_backups(folder) if p not in others]
    assert removed == 90 + 1 - len(kept) and removed > 0
    assert all(p.exists() for p in others), "another database's backups were rotated"
    assert len(kept) <= 1 + 7 + 4 + 12, "today's, then at most 7 daily, 4 weekly, 12 monthly"
    assert stale[-1].exists(), "the newest older backup is kept"
    other = tmp_path / "usb"
    (other).mkdir()
    (other / "keel-backup-20240115-020000.db").write_bytes(b"old")
    assert keel("--db", str(db_path), "backup", "--to", str(other)).returncode == 0
    assert (other / "keel-backup-20240115-020000.db").exists(), "--to folders are left alone"
