"""The Data menu: back up, restore (with confirmation and a safety copy), check, status line;
and the start-up offer to restore the latest backup when the database cannot be opened."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMainWindow, QMessageBox
from pytestqt.qtbot import QtBot

from app.domain.model import Worker
from app.services import autobackup
from app.services.backup_files import list_backups
from app.storage.db import Database, close_database, open_database
from ui import app as ui_app
from ui import data_dialogs
from ui.context import AppContext
from ui.data_actions import DataActions
from ui.tasks import running_tasks


@pytest.fixture
def ctx(db: Database, db_path: Path, today: date) -> AppContext:
    return AppContext.for_database(db, db_path, today=lambda: today)


@pytest.fixture
def data(qtbot: QtBot, ctx: AppContext, tmp_path: Path) -> DataActions:
    window = QMainWindow()
    qtbot.addWidget(window)
    actions = DataActions(ctx, window)
    window.statusBar().addPermanentWidget(actions.status_label)
    autobackup.set_backup_folder(ctx.db, tmp_path / "stick")
    return actions


@pytest.fixture
def quiet(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    for name in ("information", "warning", "critical"):
        monkeypatch.setattr(
            QMessageBox, name, lambda _p, title, text, *a, **k: shown.append(f"{title}: {text}")
        )
    return shown


def test_status_line_warns_when_there_is_data_and_no_backup(
    data: DataActions, ctx: AppContext
) -> None:
    ctx.workers.save(Worker(id="", name="Ada"))
    data.update_status()
    assert data.status_label.text().startswith("⚠ No backup yet.")


def test_back_up_now_writes_a_backup_and_updates_the_status_line(
    qtbot: QtBot, data: DataActions, ctx: AppContext, tmp_path: Path, quiet: list[str]
) -> None:
    ctx.workers.save(Worker(id="", name="Ada"))
    data.back_up_now()
    qtbot.waitUntil(lambda: not running_tasks(), timeout=20000)
    (backup,) = list_backups(tmp_path / "stick")
    assert backup.stat().st_mode & 0o777 == 0o600
    assert "Last backup today" in data.status_label.text()
    assert any(m.startswith("Backup made: Backup written to") for m in quiet)


def test_restore_asks_first_keeps_a_safety_copy_and_replaces_the_data(
    qtbot: QtBot,
    data: DataActions,
    ctx: AppContext,
    tmp_path: Path,
    quiet: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ctx.workers.save(Worker(id="", name="Ada"))
    backup = autobackup.make_backup(ctx.db, tmp_path / "stick").path
    ctx.workers.save(Worker(id="", name="Bea, added after the backup"))
    replaced: list[bool] = []
    data.data_replaced.connect(lambda: replaced.append(True))

    monkeypatch.setattr(DataActions, "confirm_restore", lambda *_a: False)
    assert not data.restore_file(backup)
    assert len(ctx.workers.all()) == 2 and not replaced

    monkeypatch.setattr(DataActions, "confirm_restore", lambda *_a: True)
    assert data.restore_file(backup)
    assert [w.name for w in ctx.workers.all()] == ["Ada"]
    assert replaced == [True]
    assert any(p.name.startswith("keel-before-restore-") for p in (tmp_path / "stick").iterdir())
    assert any(m.startswith("Restored: Restored the backup of") for m in quiet)


def test_a_file_that_is_not_a_backup_is_refused_and_nothing_changes(
    data: DataActions, ctx: AppContext, tmp_path: Path, quiet: list[str], db_path: Path
) -> None:
    ctx.workers.save(Worker(id="", name="Ada"))
    ctx.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    text = tmp_path / "notes.db"
    text.write_text("not a database & <b>really</b>", encoding="utf-8")
    assert not data.restore_file(text)
    ctx.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before
    assert len(quiet) == 1 and quiet[0].startswith("This backup cannot be restored")


def test_check_reports_a_sound_database(data: DataActions, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    monkeypatch.setattr(
        data_dialogs.ReportDialog, "exec", lambda self: seen.append(self.text.toPlainText()) or 0
    )
    from tests.ui.test_encryption_ui import wait_for_tasks
    from ui.check_dialog import CheckDialog

    monkeypatch.setattr(CheckDialog, "exec", lambda _d: CheckDialog.DialogCode.Accepted)
    assert data.check() is not None
    wait_for_tasks()
    assert seen and seen[0].endswith("OK: no problems found.")


def test_start_up_restores_the_latest_backup_over_a_damaged_file(
    qtbot: QtBot, tmp_path: Path, quiet: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui.restore_dialogs import RestoreConfirmation

    shown: list[list[str]] = []

    def accept(dialog: RestoreConfirmation) -> int:
        table = dialog.table
        shown.append([table.item(r, 2).text() for r in range(table.rowCount())])
        return RestoreConfirmation.DialogCode.Accepted

    monkeypatch.setattr(RestoreConfirmation, "exec", accept)
    path = tmp_path / "team.db"
    db = open_database(path)
    from app.services.workers import WorkerService

    WorkerService(db).save(Worker(id="", name="Ada"))
    autobackup.set_backup_folder(db, tmp_path / "stick")
    autobackup.make_backup(db, tmp_path / "stick")
    close_database(db)
    path.write_bytes(b"")  # an interrupted copy left the database empty
    assert ui_app._restore_latest(path, list_backups(tmp_path / "stick")[0], None) == path
    db = open_database(path)
    try:
        assert [w.name for w in WorkerService(db).all()] == ["Ada"]
    finally:
        close_database(db)
    assert any(p.name.startswith("team.db.damaged-") for p in tmp_path.iterdir())
    # The same confirmation as every restore: the current data column says why it is empty.
    [current] = shown
    assert current[0].startswith("cannot be read") and "empty (0 bytes)" in current[0]
