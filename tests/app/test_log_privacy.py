"""Logs and exports: keel.log holds no personal data — no worker's name, no path (a home folder
or an export's file name holds names) — and the log folder and file are owner-only, as is a
backup folder `backup --to` creates. A backup written and verified exits 0 even when noting it
in the database fails afterwards."""

from __future__ import annotations

import io
import os
import sqlite3
import stat
import sys
from pathlib import Path

import pytest

from app.errors import StorageError
from app.logging_setup import configure_logging
from app.paths import log_dir
from tests.app.test_cli import keel

NAMES = ("Amira", "Haddad", "Zoë", "Hartley")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _worker_id(db: Path, name: str) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("SELECT id FROM workers WHERE name = ?", [name]).fetchone()[0])
    finally:
        conn.close()


def test_the_log_names_no_one_and_no_path(tmp_path: Path, isolated_user_folders: Path) -> None:
    home = tmp_path / "Amira Haddad"  # a folder named after a person, as a home folder is
    home.mkdir()
    db = home / "team.db"
    out = home / "exports"
    out.mkdir()
    assert keel("--db", str(db), "demo", cwd=home).returncode == 0
    zoe = _worker_id(db, "Zoë Hartley")
    session = (
        sqlite3.connect(db)
        .execute("SELECT id FROM sessions WHERE worker_id = ? AND status = 'held' LIMIT 1", [zoe])
        .fetchone()[0]
    )
    steps = [
        ("export-pdf", "worker", zoe, "--from", "2026-01-01", "--to", "2026-11-26",
         "--out", str(out / "Zoë Hartley history.pdf")),
        ("export-pdf", "record", session, "--out", str(out / "2026 Clinical - Zoë Hartley.pdf")),
        ("export-pdf", "record", session, "--out", str(home / "no such folder" / "Zoë.pdf")),
        ("export-ics", "--from", "2026-11-01", "--to", "2026-12-31",
         "--out", str(out / "Amira Haddad calendar.ics")),
        ("backup", "--to", str(home / "Amira Haddad backups")),
        ("check",),
    ]  # fmt: skip
    for args in steps:
        keel("--db", str(db), *args, cwd=home)
    assert (out / "Zoë Hartley history.pdf").is_file()  # the exports did happen
    backups = home / "Amira Haddad backups"
    assert _mode(backups) == 0o700  # a folder `backup --to` made is owner-only
    folder = log_dir()
    log = folder / "keel.log"
    text = log.read_text(encoding="utf-8")
    assert "exported" in text and "backup of database" in text  # it does log what happened
    assert [n for n in NAMES if n in text] == []
    assert str(home) not in text and str(isolated_user_folders) not in text
    assert _mode(folder) == 0o700 and _mode(log) == 0o600


def test_a_log_folder_an_older_keel_made_is_made_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / "log"
    folder.mkdir(mode=0o755)
    (folder / "keel.log").write_text("old\n", encoding="utf-8")
    os.chmod(folder, 0o755)
    os.chmod(folder / "keel.log", 0o644)
    import logging

    path = configure_logging(folder)
    try:
        assert path is not None
        assert _mode(folder) == 0o700 and _mode(path) == 0o600
    finally:
        root = logging.getLogger()
        for handler in list(root.handlers):
            if getattr(handler, "baseFilename", None) == str(path):
                root.removeHandler(handler)
                handler.close()


def test_a_written_backup_exits_0_when_noting_it_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import cli, commands
    from app.services import autobackup
    from app.storage.db import close_database, open_database

    db = tmp_path / "team.db"
    close_database(open_database(db))

    def refuse(*_args: object) -> None:
        raise StorageError("The database is read-only: your last change was not saved.")

    monkeypatch.setattr(autobackup, "record_backup", refuse)
    stderr, out = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    code = commands.run(cli.parse(["--db", str(db), "backup", "--to", str(tmp_path / "b")]), out)
    assert code == 0, stderr.getvalue()
    assert "Backup written to" in out.getvalue()
    assert "warning: the backup was written and verified" in stderr.getvalue()
    assert len(list((tmp_path / "b").iterdir())) == 1
