"""`keel restore` of a backup of another database: both shown side by side, and refused unless
--yes is given — at a terminal too (exit 2) — with "this backup is of another database"."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from pathlib import Path

import pytest

from app.services.backup_files import ANOTHER_DATABASE
from tests.app.backup_support import PYTHON, REPO, checkpoint, child_env, make_db, sha256
from tests.app.test_backup_cli import backup_in_process, database_id_of, keel


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path, Path]:
    """team.db with its data, other.db (another database) and a backup of other.db."""
    team = tmp_path / "data" / "team.db"
    other = tmp_path / "elsewhere" / "other.db"
    team.parent.mkdir()
    other.parent.mkdir()
    make_db(team, sessions=3)
    make_db(other, sessions=5)
    backup = backup_in_process(other, tmp_path / "backups")
    checkpoint(team)
    return team, other, backup


def test_without_yes_it_is_refused_with_exit_2_and_both_side_by_side(
    pair: tuple[Path, Path, Path],
) -> None:
    team, _other, backup = pair
    before = sha256(team)
    done = keel("--db", str(team), "restore", str(backup), stdin="y\n")
    assert done.returncode == 2, done.stderr
    assert ANOTHER_DATABASE in done.stdout
    assert ANOTHER_DATABASE in done.stderr and "--yes" in done.stderr
    lines = done.stdout.splitlines()
    header = next(line for line in lines if "this backup" in line and "your data now" in line)
    assert header.index("this backup") < header.index("your data now")
    rows = {line.split()[0]: line.split()[1:] for line in lines if line.startswith("  ")}
    assert rows["Database"] == ["other", "team"]
    assert rows["Sessions"] == ["5", "3"]
    assert rows["Workers"] == ["2", "2"]
    assert "Signed" in rows and "Last" in rows
    assert "Replace all the data" not in done.stdout  # never asked: refused outright
    assert sha256(team) == before


def test_at_a_terminal_it_is_refused_too(pair: tuple[Path, Path, Path]) -> None:
    """A person at a terminal typing y is not the second confirmation: --yes is."""
    team, _other, backup = pair
    before = sha256(team)
    controller, terminal = pty.openpty()
    child = subprocess.Popen(
        [PYTHON, str(REPO / "main.py"), "--db", str(team), "restore", str(backup)],
        stdin=terminal, stdout=terminal, stderr=terminal, env=child_env(),
        start_new_session=True,
    )  # fmt: skip
    os.close(terminal)
    os.write(controller, b"y\n")
    said = b""
    deadline = time.monotonic() + 120
    while child.poll() is None and time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.5)
        if ready:
            try:
                said += os.read(controller, 4096)
            except OSError:
                break
    code = child.wait(timeout=60)
    os.close(controller)
    assert code == 2, said.decode(errors="replace")
    assert ANOTHER_DATABASE in said.decode()
    assert sha256(team) == before


def test_with_yes_it_restores_and_still_says_so(pair: tuple[Path, Path, Path]) -> None:
    team, other, backup = pair
    done = keel("--db", str(team), "restore", str(backup), "--yes")
    assert done.returncode == 0, done.stderr
    assert ANOTHER_DATABASE in done.stdout
    assert "Restored the backup of" in done.stdout
    assert database_id_of(team) == database_id_of(other)


def test_its_own_backup_is_compared_the_same_way_and_asked_once(
    pair: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    team, _other, _backup = pair
    own = backup_in_process(team, tmp_path / "backups")
    done = keel("--db", str(team), "restore", str(own), stdin="y\n")
    assert done.returncode == 0, done.stderr
    assert ANOTHER_DATABASE not in done.stdout + done.stderr
    assert "your data now" in done.stdout and "Replace all the data" in done.stdout
    rows = {line.split()[0]: line.split()[1:] for line in done.stdout.splitlines()
            if line.startswith("  ")}  # fmt: skip
    assert rows["Database"] == ["team", "team"]


def test_onto_a_missing_database_it_is_not_another_database(
    pair: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    _team, _other, backup = pair
    target = tmp_path / "new-laptop" / "keel.db"
    target.parent.mkdir()
    done = keel("--db", str(target), "restore", str(backup), stdin="y\n")
    assert done.returncode == 0, done.stderr
    assert ANOTHER_DATABASE not in done.stdout + done.stderr
    assert "no database yet" in done.stdout
