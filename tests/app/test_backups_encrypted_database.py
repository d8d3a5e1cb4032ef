"""An encrypted database's backups belong to it too: named after its file, its id in the
container's authenticated header (readable for listing without the passphrase), and refused
over another database without --yes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from app.services.backup_files import ANOTHER_DATABASE, backup_database_id
from tests.app import test_encryption_cli as enc
from tests.app.test_encryption_cli import PASS, _backup, encrypt, keel

# The encrypted-database fixtures of the encryption tests: a copied demo database.
plain_demo = enc.plain_demo
work = enc.work


def _id_of_plain(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("SELECT value FROM meta WHERE key = 'database_id'").fetchone()[0])
    finally:
        conn.close()


def test_an_encrypted_databases_backup_is_its_own(work: Path, tmp_path: Path) -> None:
    own_id = _id_of_plain(work / "keel.db")
    encrypt(work)
    backup = _backup(work)
    assert backup.name.startswith("keel-backup-keel-") and backup.suffix == ".keelenc"
    assert backup_database_id(backup) == own_id  # from the header, without the passphrase

    # Another database with data of its own: the backup is refused there without --yes.
    other = tmp_path / "other"
    other.mkdir()
    assert keel("--db", "team.db", "demo", cwd=other).returncode == 0
    done = keel("--db", "team.db", "restore", str(backup), cwd=other,
                env={"KEEL_DB_PASSPHRASE": PASS}, stdin="y\n")  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert ANOTHER_DATABASE in done.stdout and ANOTHER_DATABASE in done.stderr
