"""Keel's ``Database`` handle: reads go straight to sqlite3, writes through sqlite-utils.

What must hold for a user: a write is saved (committed) whether or not it is inside
``transaction()``, a refused write never leaves a transaction open that would swallow the
next save, and nested transactions undo only their own part. And opening the scheduler must
not pay for importing sqlite-utils (≈70 ms, a third of a blank window's start-up).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app import dbapi
from app.storage.db import Database, close_database, connect, open_database, transaction
from tests.app.test_store import make_keel_db_with_data

ROOT = Path(__file__).resolve().parents[2]


def _names(path: Path) -> list[str]:
    other = sqlite3.connect(path)
    try:
        return [r[0] for r in other.execute("SELECT name FROM themes ORDER BY name")]
    finally:
        other.close()


@pytest.fixture
def db(tmp_path: Path):  # type: ignore[no-untyped-def]
    handle = open_database(tmp_path / "keel.db")
    yield handle
    close_database(handle)


def test_reads_do_not_load_sqlite_utils(db: Database) -> None:
    db.execute("SELECT count(*) FROM workers").fetchone()
    db.execute("  pragma user_version").fetchone()
    db.execute("WITH t AS (SELECT 1 AS n) SELECT n FROM t").fetchone()
    assert {"workers", "sessions", "themes"} <= set(db.table_names())
    assert "utils" not in db.__dict__


def test_a_write_outside_a_transaction_is_saved_at_once(tmp_path: Path, db: Database) -> None:
    db.execute(
        "INSERT INTO themes (id, name, seeded, created_at) VALUES ('t1', 'Zoë & <b>', 0, 'x')"
    )
    assert "utils" in db.__dict__  # a write goes through sqlite-utils
    assert "Zoë & <b>" in _names(tmp_path / "keel.db")  # another connection sees it


def test_a_write_after_a_leading_comment_is_still_saved(tmp_path: Path, db: Database) -> None:
    db.execute(
        "-- a note\nINSERT INTO themes (id, name, seeded, created_at) VALUES (?, ?, 0, 'x')",
        ["t2", "Commented"],
    )
    assert not db.conn.in_transaction
    assert "Commented" in _names(tmp_path / "keel.db")


def test_a_refused_write_leaves_no_transaction_to_swallow_the_next(tmp_path: Path) -> None:
    path = make_keel_db_with_data(tmp_path / "keel.db", workers=3)
    db = connect(path)
    try:
        db.execute("PRAGMA query_only = ON")
        with pytest.raises(dbapi.OperationalError):
            db.execute("DELETE FROM workers")
        assert not db.conn.in_transaction
        db.execute("PRAGMA query_only = OFF")
        db.execute("UPDATE workers SET name = 'Renamed' WHERE rowid = 1")
    finally:
        close_database(db)
    other = sqlite3.connect(path)
    try:
        assert other.execute("SELECT count(*) FROM workers").fetchone()[0] == 3
        assert other.execute("SELECT name FROM workers WHERE rowid = 1").fetchone()[0] == "Renamed"
    finally:
        other.close()


def test_nested_transactions_undo_only_their_own_part(tmp_path: Path, db: Database) -> None:
    insert = "INSERT INTO themes (id, name, seeded, created_at) VALUES (?, ?, 0, 'x')"
    with transaction(db):
        db.execute(insert, ["o1", "Outer"])
        with pytest.raises(dbapi.IntegrityError), transaction(db):
            db.execute(insert, ["i1", "Inner"])
            db.execute(insert, ["i1", "Duplicate id"])
    names = _names(tmp_path / "keel.db")
    assert "Outer" in names and "Inner" not in names and "Duplicate id" not in names


# Modules a populated database's first window does without: sqlite-utils (writes), the backup
# machinery, hashing (audit chain, backup marker), uuid (new ids), html (tooltips), the crash
# dialog, the welcome page, the governance screens' domain, the export and calendar flows, and
# the service's PostgreSQL driver and keyring (publishing loads them when it first runs).
_NOT_NEEDED_TO_START = (
    "sqlite_utils", "app.services.backup", "hashlib", "uuid", "html", "ui.crash_dialog",
    "ui.screens.welcome", "app.domain.governance", "app.storage.themes", "ui.exporting",
    "ui.calendar_export", "ui.data_dialogs", "psycopg", "keyring", "app.server.publish",
    "app.storage.evidence_registry", "app.domain.rows",  # ≈30 ms: the QA line needs neither
)  # fmt: skip


def test_the_scheduler_opens_without_importing_what_it_does_not_need(tmp_path: Path) -> None:
    path = make_keel_db_with_data(tmp_path / "keel.db", workers=30)
    script = (
        "import sys, traceback\n"
        "class Tell:  # says who imports sqlite-utils\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'sqlite_utils': traceback.print_stack()\n"
        "sys.meta_path.insert(0, Tell())\n"
        "from datetime import date\n"
        "from pathlib import Path\n"
        "import app.cli, ui.app, ui.crash\n"
        "from app.storage.db import open_database\n"
        "from ui.context import AppContext\n"
        "from ui.main_window import MainWindow\n"
        "qt = ui.app._application()\n"
        f"db = open_database(Path({str(path)!r}), check_in_background=True)\n"
        f"w = MainWindow(AppContext.for_database(db, Path({str(path)!r}), today=date.today))\n"
        "w.show(); qt.processEvents()\n"
        f"loaded = [m for m in {_NOT_NEEDED_TO_START!r} if m in sys.modules]\n"
        "print(w.scheduler.model.rowCount(), loaded)\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    # None of these is loaded to show the scheduler (sqlite-utils alone is ≈70 ms).
    assert done.stdout.strip() == "30 []", done.stderr


def test_no_write_reads_rows_back_with_returning() -> None:
    """A write that returns rows (INSERT … RETURNING) outside transaction() would be left
    uncommitted (sqlite-utils commits only writes that return nothing): Keel has none."""
    import re

    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("app", "ui")
        for path in (ROOT / folder).rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\bRETURNING\b", line)  # Keel writes its SQL in capitals
    ]
    assert found == []
