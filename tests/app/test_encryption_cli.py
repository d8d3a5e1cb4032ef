"""Encryption at rest, tried from outside: the command line in its own process, the file read
with the stdlib's sqlite3 and searched for names as ``strings`` would, a wrong passphrase, a
bare copy of the file without its key file, and the log read afterwards."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.app.test_cli import PYTHON, REPO

PASS = "correct horse battery staple"
NEW_PASS = "purple elephant sings opera"
NAME = re.compile(rb"[\x20-\x7e]{4,}")


def keel(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    for var in ("KEEL_DB", "KEEL_DB_PASSPHRASE", "KEEL_DB_NEW_PASSPHRASE", "KEEL_DB_RECOVERY_KEY"):
        full.pop(var, None)
    full.update(env or {})
    done = subprocess.run(
        [PYTHON, str(REPO / "main.py"), *args],
        cwd=cwd,
        env=full,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def printable_strings(path: Path) -> str:
    """What ``strings`` prints: every run of 4 or more printable ASCII characters."""
    return "\n".join(m.group().decode() for m in NAME.finditer(path.read_bytes()))


def worker_names(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [r[0] for r in conn.execute("SELECT name FROM workers")]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def plain_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    db = folder / "keel.db"
    done = keel("--db", str(db), "demo", cwd=folder)
    assert done.returncode == 0, done.stderr
    return db


@pytest.fixture
def work(tmp_path: Path, plain_demo: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    shutil.copy(plain_demo, folder / "keel.db")
    return folder


def encrypt(work: Path) -> str:
    done = keel("--db", "keel.db", "encrypt", cwd=work, env={"KEEL_DB_PASSPHRASE": PASS})
    assert done.returncode == 0, done.stderr
    return done.stdout


def status(
    work: Path, passphrase: str | None, db: str = "keel.db"
) -> subprocess.CompletedProcess[str]:
    env = {"KEEL_DB_PASSPHRASE": passphrase} if passphrase else {}
    return keel("--db", db, "status", "--json", "--as-of", "2026-11-26", cwd=work, env=env)


def test_an_encrypted_database_hides_every_name_and_keeps_every_status(work: Path) -> None:
    names = worker_names(work / "keel.db")
    assert len(names) == 25
    before = status(work, None)
    assert before.returncode == 0
    stdout = encrypt(work)

    # The recovery key, once, on stdout, and nothing else there.
    assert re.fullmatch(r"([0-9A-Z]{4}-){13}[0-9A-Z]{4}\n", stdout), stdout
    # The stdlib's sqlite3, without the key, cannot read it.
    with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
        sqlite3.connect(work / "keel.db").execute("SELECT * FROM workers").fetchall()
    text = printable_strings(work / "keel.db")
    assert not [n for n in names if n in text]
    assert "SQLite format" not in text

    after = status(work, PASS)
    assert after.returncode == 0, after.stderr
    assert after.stdout == before.stdout  # every row, every key, every value

    # While Keel writes to it, the write-ahead log is encrypted too.
    writer = (
        "import sys; from pathlib import Path; from app.services.encryption import unlock;"
        "from app.storage.db import connect;"
        "p = Path(sys.argv[1]); unlock(p, sys.argv[2]); db = connect(p);"
        "db.execute(\"UPDATE workers SET name = name || ' Jr'\");"
        "import os; print(os.path.getsize(str(p) + '-wal')); os._exit(0)"
    )
    done = subprocess.run(
        [PYTHON, "-c", writer, str(work / "keel.db"), PASS],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    wal = work / "keel.db-wal"
    assert wal.stat().st_size > 4096
    wal_text = printable_strings(wal)
    assert not [n for n in names if n in wal_text]
    assert not [n for n in names if n.split()[0] in wal_text and len(n.split()[0]) > 4]


def test_a_wrong_passphrase_exits_2_and_never_changes_the_file(work: Path) -> None:
    encrypt(work)
    digest, key_digest = sha256(work / "keel.db"), sha256(work / "keel.db.key")
    for command in (["status"], ["check"], ["backup"], ["decrypt"], ["change-passphrase"]):
        done = keel(
            "--db", "keel.db", *command, cwd=work,
            env={"KEEL_DB_PASSPHRASE": "not the passphrase", "KEEL_DB_NEW_PASSPHRASE": NEW_PASS},
        )  # fmt: skip
        assert done.returncode == 2, (command, done.stderr)
        assert done.stderr.strip().splitlines()[-1].startswith("The passphrase is wrong")
        assert done.stdout == ""
    assert sha256(work / "keel.db") == digest and sha256(work / "keel.db.key") == key_digest
    assert sorted(p.name for p in work.iterdir()) == ["keel.db", "keel.db.key"]


def test_without_a_passphrase_or_a_terminal_it_exits_2_and_says_what_to_do(work: Path) -> None:
    encrypt(work)
    done = status(work, None)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "this database is encrypted: set KEEL_DB_PASSPHRASE or run in a terminal"
    )


def test_a_damaged_file_is_told_apart_from_a_wrong_passphrase(work: Path) -> None:
    encrypt(work)
    data = bytearray((work / "keel.db").read_bytes())
    for offset in range(5000, 5100):  # inside page 2 (its authentication code fails)
        data[offset] ^= 0x55
    (work / "keel.db").write_bytes(bytes(data))
    done = status(work, PASS)
    assert done.returncode == 1, done.stderr
    assert "damaged" in done.stderr and "passphrase is wrong" not in done.stderr
    check = keel("--db", "keel.db", "check", cwd=work, env={"KEEL_DB_PASSPHRASE": PASS})
    assert check.returncode == 1 and "PROBLEM" in check.stdout

    # A damaged key file: exit 1, and the recovery key is the way in.
    key_file = work / "keel.db.key"
    key_file.write_bytes(key_file.read_bytes().replace(b'"n": 131072', b'"n": 131073'))
    done = status(work, PASS)
    assert done.returncode == 1
    assert "key file" in done.stderr and "recovery key" in done.stderr


def test_a_bare_copy_opens_with_the_recovery_key_alone(work: Path, tmp_path: Path) -> None:
    recovery = encrypt(work).strip()
    before = status(work, PASS).stdout
    bare = tmp_path / "usb"
    bare.mkdir()
    shutil.copy(work / "keel.db", bare / "copy.db")  # the file only, not its key file

    done = status(bare, PASS, db="copy.db")
    assert done.returncode == 1
    assert "recovery key" in done.stderr

    # A mistyped recovery key is caught by its checksum; another database's key is refused.
    typo = recovery[:-1] + ("A" if recovery[-1] != "A" else "B")
    done = keel(
        "--db", "copy.db", "unlock-with-recovery-key", cwd=bare,
        env={"KEEL_DB_RECOVERY_KEY": typo, "KEEL_DB_NEW_PASSPHRASE": NEW_PASS},
    )  # fmt: skip
    assert done.returncode == 2 and "mistyped" in done.stderr
    assert not (bare / "copy.db.key").exists()

    done = keel(
        "--db", "copy.db", "unlock-with-recovery-key", cwd=bare,
        env={"KEEL_DB_RECOVERY_KEY": recovery.lower(), "KEEL_DB_NEW_PASSPHRASE": NEW_PASS},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert status(bare, NEW_PASS, db="copy.db").stdout == before
    assert status(bare, PASS, db="copy.db").returncode == 2


def test_change_passphrase_keeps_the_recovery_key_and_a_new_one_replaces_it(
    work: Path, tmp_path: Path
) -> None:
    recovery = encrypt(work).strip()
    before = status(work, PASS).stdout
    done = keel(
        "--db", "keel.db", "change-passphrase", cwd=work,
        env={"KEEL_DB_PASSPHRASE": PASS, "KEEL_DB_NEW_PASSPHRASE": NEW_PASS},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert status(work, PASS).returncode == 2
    assert status(work, NEW_PASS).stdout == before

    def opens_with(key: str) -> bool:
        bare = tmp_path / f"bare-{key[:4]}"
        bare.mkdir(exist_ok=True)
        shutil.copy(work / "keel.db", bare / "keel.db")
        return (
            keel(
                "--db", "keel.db", "unlock-with-recovery-key", cwd=bare,
                env={"KEEL_DB_RECOVERY_KEY": key, "KEEL_DB_NEW_PASSPHRASE": NEW_PASS},
            ).returncode
            == 0
        )  # fmt: skip

    assert opens_with(recovery)  # unchanged by the new passphrase

    done = keel(
        "--db", "keel.db", "new-recovery-key", cwd=work, env={"KEEL_DB_PASSPHRASE": NEW_PASS}
    )
    assert done.returncode == 0, done.stderr
    fresh = done.stdout.strip()
    assert re.fullmatch(r"([0-9A-Z]{4}-){13}[0-9A-Z]{4}", fresh) and fresh != recovery
    assert status(work, NEW_PASS).stdout == before
    assert not opens_with(recovery)
    assert opens_with(fresh)


def test_decrypt_gives_back_a_plain_file_with_the_same_statuses(work: Path) -> None:
    before = status(work, None).stdout
    encrypt(work)
    done = keel("--db", "keel.db", "decrypt", cwd=work, env={"KEEL_DB_PASSPHRASE": PASS})
    assert done.returncode == 0, done.stderr
    assert (work / "keel.db").read_bytes()[:16] == b"SQLite format 3\x00"
    assert not (work / "keel.db.key").exists()
    assert status(work, None).stdout == before


def test_passphrase_rules_and_no_passphrase_on_the_command_line(work: Path) -> None:
    digest = sha256(work / "keel.db")
    done = keel("--db", "keel.db", "encrypt", cwd=work, env={"KEEL_DB_PASSPHRASE": "short"})
    assert done.returncode == 2 and "12 characters" in done.stderr
    done = keel("--db", "keel.db", "encrypt", "--passphrase", PASS, cwd=work)
    assert done.returncode == 2  # there is no such option: a passphrase is never an argument
    done = keel("--db", "keel.db", "encrypt", cwd=work)  # no variable, no terminal
    assert done.returncode == 2 and "KEEL_DB_PASSPHRASE" in done.stderr
    assert sha256(work / "keel.db") == digest
    assert not (work / "keel.db.key").exists()


def test_the_log_holds_no_passphrase_and_no_key(work: Path, isolated_user_folders: Path) -> None:
    recovery = encrypt(work).strip()
    status(work, PASS)
    keel(
        "--db", "keel.db", "change-passphrase", cwd=work,
        env={"KEEL_DB_PASSPHRASE": PASS, "KEEL_DB_NEW_PASSPHRASE": NEW_PASS},
    )  # fmt: skip
    status(work, "a wrong passphrase here")
    logs = list(isolated_user_folders.rglob("keel.log*"))
    assert logs, "the commands wrote no log at all"
    text = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in logs)
    assert "encrypted" in text or "unlocked" in text
    from app.storage.keys import parse_recovery_key

    key = parse_recovery_key(recovery)
    for secret in (PASS, NEW_PASS, "a wrong passphrase here", recovery, key.hex(), "horse"):
        assert secret not in text


# --------------------------------------------------------------------------- backups, restore


def _backup(work: Path, *extra: str, env: dict[str, str] | None = None) -> Path:
    done = keel(
        "--db", "keel.db", "backup", "--to", str(work / "backups"), *extra, cwd=work,
        env={"KEEL_DB_PASSPHRASE": PASS, **(env or {})},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.split(" written to ")[1].split(" (")[0])


def test_an_encrypted_databases_backups_are_encrypted_and_restore(
    work: Path, tmp_path: Path
) -> None:
    names = worker_names(work / "keel.db")
    plain_backup = keel("--db", "keel.db", "backup", "--to", str(work / "old"), cwd=work)
    assert plain_backup.returncode == 0
    encrypt(work)
    before = status(work, PASS).stdout

    backup = _backup(work)  # no --encrypt: encrypted all the same
    assert backup.suffix == ".keelenc"
    text = printable_strings(backup)
    assert not [n for n in names if n in text]
    assert [p.name for p in (work / "backups").iterdir()] == [backup.name]  # no temporary left

    # Restored into the encrypted database: it stays encrypted, with the same statuses.
    done = keel("--db", "keel.db", "restore", "--yes", str(backup), cwd=work,
                env={"KEEL_DB_PASSPHRASE": PASS})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (work / "keel.db").read_bytes()[:16] != b"SQLite format 3\x00"
    assert status(work, PASS).stdout == before
    safety = [p for p in (tmp_path / "home").rglob("keel-before-restore-*")]
    assert safety and all(p.suffix == ".keelenc" for p in safety)

    # A plain backup from before the encryption restores into it, still encrypted.
    old = next((work / "old").iterdir())
    done = keel("--db", "keel.db", "restore", "--yes", str(old), cwd=work,
                env={"KEEL_DB_PASSPHRASE": PASS})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (work / "keel.db").read_bytes()[:16] != b"SQLite format 3\x00"
    assert not [n for n in names if n in printable_strings(work / "keel.db")]
    assert status(work, PASS).stdout == before

    # A new laptop: no database, the backup and its passphrase.
    laptop = tmp_path / "laptop"
    laptop.mkdir()
    done = keel("--db", "keel.db", "restore", "--yes", str(backup), cwd=laptop,
                env={"KEEL_DB_PASSPHRASE": PASS})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in laptop.iterdir()) == ["keel.db", "keel.db.key"]
    assert status(laptop, PASS).stdout == before


def test_a_backup_opens_with_its_own_passphrase_or_the_recovery_key_and_refuses_changes(
    work: Path, tmp_path: Path
) -> None:
    recovery = encrypt(work).strip()
    backup = _backup(work, "--encrypt", env={"KEEL_BACKUP_PASSPHRASE": "the backup's own words"})
    for secret in ("the backup's own words", recovery):
        laptop = tmp_path / f"laptop-{secret[:3]}"
        laptop.mkdir()
        db = laptop / "keel.db"
        db.write_bytes((work / "keel.db").read_bytes())  # any encrypted target to restore into
        shutil.copy(work / "keel.db.key", laptop / "keel.db.key")
        done = keel("--db", "keel.db", "restore", "--yes", str(backup), cwd=laptop,
                    env={"KEEL_DB_PASSPHRASE": PASS, "KEEL_BACKUP_PASSPHRASE": secret})  # fmt: skip
        assert done.returncode == 0, done.stderr
    wrong = keel("--db", "keel.db", "restore", "--yes", str(backup), cwd=tmp_path / "laptop-the",
                 env={"KEEL_DB_PASSPHRASE": PASS, "KEEL_BACKUP_PASSPHRASE": "not it at all"})  # fmt: skip
    # (the database's own key opens its backup: unlocked, so the wrong words are not needed)
    assert wrong.returncode == 0
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    refused = keel("--db", "keel.db", "restore", "--yes", str(backup), cwd=stranger,
                   env={"KEEL_BACKUP_PASSPHRASE": "not it at all"})  # fmt: skip
    assert refused.returncode == 1 and "does not open this backup" in refused.stderr
    assert list(stranger.iterdir()) == []

    data = bytearray(backup.read_bytes())
    data[len(data) // 2] ^= 1
    changed = tmp_path / "changed.keelenc"
    changed.write_bytes(bytes(data))
    done = keel("--db", "keel.db", "restore", "--yes", str(changed), cwd=stranger,
                env={"KEEL_BACKUP_PASSPHRASE": PASS})  # fmt: skip
    assert done.returncode == 1 and "changed or damaged" in done.stderr
    assert list(stranger.iterdir()) == []


def test_a_passphrase_backup_made_before_encrypting_restores_into_the_encrypted_database(
    work: Path,
) -> None:
    """The encrypted backup of the plain database (its own passphrase) restores into the
    database after it was encrypted: it stays encrypted, and no readable file appears."""
    old = keel("--db", "keel.db", "backup", "--encrypt", "--to", str(work / "old"), cwd=work,
               env={"KEEL_BACKUP_PASSPHRASE": "an old backup passphrase"})  # fmt: skip
    assert old.returncode == 0, old.stderr
    names = worker_names(work / "keel.db")
    encrypt(work)
    backup = next((work / "old").iterdir())
    done = keel("--db", "keel.db", "restore", "--yes", str(backup), cwd=work,
                env={"KEEL_DB_PASSPHRASE": PASS, "KEEL_BACKUP_PASSPHRASE": "an old backup passphrase"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (work / "keel.db").read_bytes()[:16] != b"SQLite format 3\x00"
    readable = [
        p for p in work.rglob("*") if p.is_file() and p.read_bytes()[:16] == b"SQLite format 3\x00"
    ]
    assert readable == []
    status = keel("--db", "keel.db", "status", "--json", cwd=work, env={"KEEL_DB_PASSPHRASE": PASS})
    assert status.returncode == 0 and all(n in status.stdout for n in names[:3])


def test_an_old_passphrase_backup_is_not_decrypted_onto_disk_for_an_encrypted_database(
    work: Path,
) -> None:
    """A ``KEELENC1`` backup (Keel's earlier format) decrypts only to a whole plain file: it is
    refused for an encrypted database, which is left as it was."""
    from app.services import crypto

    plain = keel("--db", "keel.db", "backup", "--to", str(work / "old"), cwd=work)
    assert plain.returncode == 0, plain.stderr
    made = next((work / "old").iterdir())
    backup = made.with_suffix(".keelenc")
    backup.write_bytes(crypto.encrypt(made.read_bytes(), "an old backup passphrase"))
    made.unlink()
    encrypt(work)
    digest = sha256(work / "keel.db")
    done = keel("--db", "keel.db", "restore", "--yes", str(backup), cwd=work,
                env={"KEEL_DB_PASSPHRASE": PASS, "KEEL_BACKUP_PASSPHRASE": "an old backup passphrase"})  # fmt: skip
    assert done.returncode == 1
    assert "unencrypted content" in done.stderr and "encrypt that file" in done.stderr
    assert sha256(work / "keel.db") == digest


def test_every_change_of_encryption_is_in_the_audit_trail_without_secrets(work: Path) -> None:
    recovery = encrypt(work).strip()
    keel("--db", "keel.db", "change-passphrase", cwd=work,
         env={"KEEL_DB_PASSPHRASE": PASS, "KEEL_DB_NEW_PASSPHRASE": NEW_PASS})  # fmt: skip
    done = keel("--db", "keel.db", "decrypt", cwd=work, env={"KEEL_DB_PASSPHRASE": NEW_PASS})
    assert done.returncode == 0, done.stderr
    conn = sqlite3.connect(work / "keel.db")
    try:
        rows = conn.execute(
            # (begin_evidence: the entry a new database starts its evidence with, issue 14)
            "SELECT action, detail FROM audit_log WHERE entity = 'database' "
            "AND action <> 'begin_evidence' ORDER BY seq"
        ).fetchall()
    finally:
        conn.close()
    assert [r[0] for r in rows] == ["encrypt", "change_passphrase", "decrypt"]
    assert all(recovery not in r[1] and PASS not in r[1] for r in rows)
    check = keel("--db", "keel.db", "check", cwd=work)
    assert check.returncode == 0 and "hash chain intact" in check.stdout


def test_exports_check_and_the_single_instance_lock_work_on_an_encrypted_file(work: Path) -> None:
    from pypdf import PdfReader

    from app.services.instance import InstanceLock

    encrypt(work)
    env = {"KEEL_DB_PASSPHRASE": PASS}
    done = keel("--db", "keel.db", "export-pdf", "compliance", "--from", "2026-01-01",
                "--to", "2026-11-26", "--out", "pack.pdf", cwd=work, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "compliance" in PdfReader(str(work / "pack.pdf")).pages[0].extract_text().lower()
    done = keel("--db", "keel.db", "export-ics", "--from", "2026-11-01", "--to", "2027-01-31",
                "--out", "cal.ics", cwd=work, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (work / "cal.ics").read_text().startswith("BEGIN:VCALENDAR")
    digest = sha256(work / "keel.db")
    with InstanceLock(work / "keel.db"):  # Keel has it open
        for command in ("decrypt", "change-passphrase", "new-recovery-key"):
            done = keel("--db", "keel.db", command, cwd=work,
                        env={**env, "KEEL_DB_NEW_PASSPHRASE": NEW_PASS})  # fmt: skip
            assert done.returncode == 1 and "already has this database open" in done.stderr
    assert sha256(work / "keel.db") == digest
    assert status(work, PASS).returncode == 0
