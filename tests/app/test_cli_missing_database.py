"""Command-line slips: a command given a database that does not exist exits 2 and creates
nothing (not even its folder) — only demo, import-staff, restore and policy import bring data
in and may make one, and they say so on stderr; a failed import leaves nothing behind.
`status --json` writes its output once."""

from __future__ import annotations

import argparse
import io
import json
from datetime import date
from pathlib import Path

import pytest

from app import commands
from app.storage.db import close_database, open_database
from tests.app.test_backup_cli import backup_in_process
from tests.app.test_cli import keel

REFUSING = [
    ("status",),
    ("status", "--json"),
    ("check",),
    ("rebuild-summary",),
    ("export-pdf", "blank", "line", "--out", "form.pdf"),
    ("export-ics", "--from", "2026-11-01", "--to", "2026-11-30", "--out", "s.ics"),
    ("backup",),
    ("encrypt",),
    ("publish", "--url", "postgresql://nobody@localhost:1/x"),
    ("policy", "show"),
    ("policy", "export", "policy.toml"),
]


@pytest.mark.parametrize("args", REFUSING, ids=lambda a: " ".join(a[:2]))
def test_a_missing_database_is_refused_with_exit_2_and_nothing_is_created(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    missing = tmp_path / "nonexist" / "demo.db"
    done = keel("--db", str(missing), *args, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"There is no database at {missing}" in done.stderr
    assert "Nothing was created" in done.stderr
    assert "0 workers" not in done.stdout
    assert not missing.parent.exists()


def test_demo_makes_the_database_and_says_so(tmp_path: Path) -> None:
    new = tmp_path / "nonexist" / "demo.db"
    done = keel("--db", str(new), "demo", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == f"Creating a new database at {new}.\n"
    assert new.is_file()
    again = keel("--db", str(new), "status", cwd=tmp_path)
    assert again.returncode == 0 and "24 workers" in again.stdout
    assert "Creating" not in again.stderr


def test_a_failed_import_leaves_no_database_and_no_folder(tmp_path: Path) -> None:
    bad = tmp_path / "staff.csv"
    bad.write_text("name,start_date\nZoë Adams,31/02/2026\n", encoding="utf-8")
    new = tmp_path / "team" / "keel.db"
    done = keel("--db", str(new), "import-staff", str(bad), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith(f"Creating a new database at {new}.\n")
    assert "Nothing was imported" in done.stderr
    assert not new.exists() and not new.parent.exists()
    good = tmp_path / "good.csv"
    good.write_text("name\nZoë Adams\n", encoding="utf-8")
    done = keel("--db", str(new), "import-staff", str(good), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert new.is_file() and "Creating a new database" in done.stderr


def test_restore_onto_a_missing_database_says_it_makes_one(tmp_path: Path) -> None:
    source = tmp_path / "source.db"
    db = open_database(source)
    close_database(db)
    backup = backup_in_process(source, tmp_path / "backups")
    new = tmp_path / "laptop" / "keel.db"
    new.parent.mkdir()
    done = keel("--db", str(new), "restore", "--yes", str(backup), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"Creating a new database at {new} from the backup." in done.stderr
    assert new.is_file()


class _CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def test_status_json_is_written_once(tmp_path: Path) -> None:
    from app.services.demo import load_demo

    path = tmp_path / "demo.db"
    db = open_database(path)
    load_demo(db, today=date(2026, 11, 26))
    close_database(db)
    out = _CountingStream()
    args = argparse.Namespace(as_of=date(2026, 11, 26), json=True)
    assert commands.cmd_status(path, args, out) == 0
    assert out.writes == 1
    records = json.loads(out.getvalue())
    assert len(records) == 24 * 3
