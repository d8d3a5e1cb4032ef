"""Backups per database in the window: the status-bar line, the restore list and the restore
confirmation that shows a backup of another database beside the current data and asks twice."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.domain.model import Worker
from app.services import autobackup
from app.services.backup_files import ANOTHER_DATABASE
from app.services.workers import WorkerService
from app.storage.db import Database, close_database, open_database
from app.storage.identity import database_id
from tests.app.backup_support import populate
from ui.context import AppContext
from ui.data_actions import DataActions
from ui.main_window import MainWindow
from ui.restore_dialogs import RestoreChooser, RestoreConfirmation


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "backups"


@pytest.fixture
def new(tmp_path: Path, folder: Path) -> Any:
    """new.db, with data, backed up today into the shared folder."""
    db = open_database(tmp_path / "new.db")
    populate(db)
    autobackup.set_backup_folder(db, folder)
    autobackup.make_backup(db, folder)
    yield db
    close_database(db)


@pytest.fixture
def ctx(tmp_path: Path, folder: Path, today: date) -> Any:
    """new2.db, open in the window: one worker, never backed up."""
    db = open_database(tmp_path / "new2.db")
    WorkerService(db).save(Worker(id="", name="Noa Ben-David"))
    autobackup.set_backup_folder(db, folder)
    yield AppContext.for_database(db, tmp_path / "new2.db", today=lambda: today)
    close_database(db)


@pytest.fixture
def quiet(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    for name in ("information", "warning"):
        monkeypatch.setattr(
            QMessageBox, name, lambda _p, title, text, *a, **k: shown.append(f"{title}: {text}")
        )
    return shown


def test_the_status_line_does_not_count_another_databases_backup(
    qtbot: QtBot, new: Database, ctx: AppContext
) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    assert window.data.status_label.text().startswith("⚠ No backup yet.")


def test_the_restore_list_holds_only_this_databases_backups(
    qtbot: QtBot, new: Database, ctx: AppContext, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = autobackup.make_backup(ctx.db, folder).path
    listed: list[list[str]] = []

    def look(dialog: RestoreChooser) -> int:
        table = dialog.table
        listed.append([table.item(r, 0).toolTip() for r in range(table.rowCount())])
        return RestoreChooser.DialogCode.Rejected

    monkeypatch.setattr(RestoreChooser, "exec", look)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.data.restore()
    assert listed == [[str(own)]]


def _answer(qtbot: QtBot, seen: dict[str, Any], tick: bool) -> None:
    """When the confirmation is up: note what it shows, try Restore, then (optionally) tick
    the second confirmation and press Restore; else Cancel."""

    def act() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, RestoreConfirmation):
            QTimer.singleShot(20, act)
            return
        table = dialog.table
        seen["rows"] = {
            table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text())
            for r in range(table.rowCount())
        }
        seen["warning"] = dialog.warning_label.text() if dialog.warning_label else None
        seen["enabled_before"] = dialog.restore_button.isEnabled()
        if not dialog.restore_button.isEnabled():
            dialog.restore_button.click()  # disabled: does nothing
            seen["still_open"] = dialog.isVisible()
        if not tick:
            dialog.reject()
            return
        if dialog.second_confirmation is not None:
            dialog.second_confirmation.setChecked(True)
            seen["enabled_after"] = dialog.restore_button.isEnabled()
        qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, act)


def test_another_databases_backup_is_shown_side_by_side_and_needs_a_second_confirmation(
    qtbot: QtBot, new: Database, ctx: AppContext, folder: Path, quiet: list[str]
) -> None:
    (theirs,) = autobackup.own_backups(new, folder)
    data = DataActions(ctx, MainWindow(ctx))
    seen: dict[str, Any] = {}
    _answer(qtbot, seen, tick=False)
    assert not data.restore_file(theirs)
    assert [w.name for w in ctx.workers.all()] == ["Noa Ben-David"]
    assert seen["rows"]["Database"] == ("new", "new2")
    assert seen["rows"]["Workers"] == (str(len(WorkerService(new).all())), "1")
    assert set(seen["rows"]) == {"Database", "Workers", "Sessions", "Signed records",
                                 "Last change"}  # fmt: skip
    assert ANOTHER_DATABASE in seen["warning"]
    assert seen["enabled_before"] is False and seen["still_open"] is True

    seen.clear()
    _answer(qtbot, seen, tick=True)
    assert data.restore_file(theirs)
    assert seen["enabled_after"] is True
    assert len(ctx.workers.all()) == len(WorkerService(new).all())
    assert database_id(ctx.db) == database_id(new)
    assert any(m.startswith("Restored: ") for m in quiet)


def test_its_own_backup_is_compared_the_same_way_without_a_second_confirmation(
    qtbot: QtBot, new: Database, ctx: AppContext, folder: Path, quiet: list[str]
) -> None:
    own = autobackup.make_backup(ctx.db, folder).path
    ctx.workers.save(Worker(id="", name="Added after the backup"))
    data = DataActions(ctx, MainWindow(ctx))
    seen: dict[str, Any] = {}
    _answer(qtbot, seen, tick=True)
    assert data.restore_file(own)
    assert seen["warning"] is None and seen["enabled_before"] is True
    assert seen["rows"]["Database"] == ("new2", "new2")
    assert seen["rows"]["Workers"] == ("1", "2")
    assert [w.name for w in ctx.workers.all()] == ["Noa Ben-David"]
