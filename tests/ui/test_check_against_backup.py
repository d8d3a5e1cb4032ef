"""Data → Check…: a choice between the database alone and the database against one of its
backups (listed, newest first, or any other file), run on the task runner's worker thread (the
window keeps processing events), the findings shown in words — the same sentences as
``keel check --against``: an untouched database passes, a trail cut or rewritten since the
backup is named."""

from __future__ import annotations

import os
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from app.domain.model import Worker
from app.services import autobackup, integrity
from app.services.backup_files import list_backups
from app.storage.db import Database
from tests.ui.test_encryption_ui import wait_for_tasks
from ui import data_dialogs
from ui.check_dialog import CheckDialog
from ui.context import AppContext
from ui.data_actions import DataActions
from ui.tasks import running_tasks

SHOTS = Path(os.environ.get("KEEL_SHOTS", "/work/notes/harden-backup"))


@pytest.fixture
def ctx(db: Database, db_path: Path, today: date) -> AppContext:
    return AppContext.for_database(db, db_path, today=lambda: today)


@pytest.fixture
def data(qtbot: QtBot, ctx: AppContext, tmp_path: Path) -> DataActions:
    window = QMainWindow()
    qtbot.addWidget(window)
    window.resize(900, 600)
    window.show()
    actions = DataActions(ctx, window)
    autobackup.set_backup_folder(ctx.db, tmp_path / "stick")
    return actions


def _backed_up_then_changed(ctx: AppContext, tmp_path: Path) -> Path:
    """Two workers, a backup, then a third worker: the backup's trail is the beginning."""
    ctx.workers.save(Worker(id="", name="Ada Lovelace"))
    ctx.workers.save(Worker(id="", name="Grace Hopper"))
    autobackup.make_backup(ctx.db, tmp_path / "stick")
    ctx.workers.save(Worker(id="", name="Zoë Adams"))
    [backup] = list_backups(tmp_path / "stick")
    return backup


def _run_check(
    qtbot: QtBot, data: DataActions, monkeypatch: pytest.MonkeyPatch, pick: Path | None
) -> tuple[str, str, list[Path | None]]:
    """Data → Check…, choosing ``pick`` (None: the database alone) as a person would; the
    report's title and text once the background check has finished."""
    offered: list[Path | None] = []

    def choose(dialog: CheckDialog) -> int:
        offered.extend(dialog._backups)
        if pick is not None:
            dialog.against.setChecked(True)
            if pick not in dialog._backups:
                dialog.choose(pick)
            dialog.table.selectRow(dialog._backups.index(pick))
        assert dialog.backup() == pick
        return CheckDialog.DialogCode.Accepted

    monkeypatch.setattr(CheckDialog, "exec", choose)
    seen: list[tuple[str, str]] = []
    monkeypatch.setattr(
        data_dialogs.ReportDialog,
        "exec",
        lambda self: seen.append((self.windowTitle(), self.text.toPlainText())) or 0,
    )
    handle = data.check()
    assert handle is not None and handle in running_tasks()  # on the runner, not inline
    wait_for_tasks()
    [(title, text)] = seen
    return title, text, offered


def test_check_against_a_backup_of_an_untouched_database_passes_in_the_background(
    qtbot: QtBot,
    data: DataActions,
    ctx: AppContext,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backup = _backed_up_then_changed(ctx, tmp_path)
    # The check is held on the worker thread while the window's event loop runs.
    real = integrity.compare_with_backup
    ticks: list[int] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(5)

    def slow(*args: object, **kwargs: object) -> None:
        import time

        time.sleep(0.4)
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(integrity, "compare_with_backup", slow)
    title, text, offered = _run_check(qtbot, data, monkeypatch, backup)
    timer.stop()
    assert len(ticks) >= 10, "the window did not process events while the check ran"
    assert offered == [backup]  # this database's own backups are offered
    assert title == "Database check: no problems"
    assert f"against {backup.name}: its audit trail (entries #1–#" in text
    assert text.rstrip().endswith("OK: no problems found.")


def test_check_against_a_backup_names_a_trail_cut_since_the_backup(
    qtbot: QtBot,
    data: DataActions,
    ctx: AppContext,
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backup = _backed_up_then_changed(ctx, tmp_path)
    # Behind Keel's back: the audit entries from the second worker on are deleted.
    conn = sqlite3.connect(db_path)
    try:
        conn.execute("DROP TRIGGER audit_log_never_deleted")
        first = conn.execute(
            "SELECT min(seq) FROM audit_log WHERE action = 'create' AND entity = 'worker' "
            "AND seq > (SELECT min(seq) FROM audit_log WHERE entity = 'worker')"
        ).fetchone()[0]
        conn.execute("DELETE FROM audit_log WHERE seq >= ?", [first])
        conn.commit()
    finally:
        conn.close()
    title, text, _ = _run_check(qtbot, data, monkeypatch, backup)
    assert title == "Database check: problems found"
    assert f"The backup {backup.name} holds audit entries up to #" in text
    assert f"the database's trail stops at #{first - 1}" in text
    assert "deleted from the database's trail after the backup was made" in text
    # The database alone: its witness still says entries are missing, but no backup is named.
    title_alone, text_alone, _ = _run_check(qtbot, data, monkeypatch, None)
    assert title_alone == "Database check: problems found"
    assert f"The backup {backup.name}" not in text_alone


def test_check_against_another_file_chosen_and_the_dialog_as_seen(
    qtbot: QtBot,
    data: DataActions,
    ctx: AppContext,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backup = _backed_up_then_changed(ctx, tmp_path)
    elsewhere = tmp_path / "usb"
    elsewhere.mkdir()
    moved = elsewhere / backup.name
    backup.rename(moved)
    dialog = CheckDialog(
        autobackup.own_backups(ctx.db, tmp_path / "stick"), tmp_path / "stick", "keel.db"
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.backup() is None and dialog.check_button.isEnabled()
    dialog.against.setChecked(True)
    assert not dialog.check_button.isEnabled()  # against what? nothing listed yet
    assert dialog.none_label.isVisible()
    dialog.choose(moved)
    assert dialog.backup() == moved and dialog.check_button.isEnabled()
    if SHOTS.is_dir():
        dialog.grab().save(str(SHOTS / "check-dialog.png"))
    title, text, _ = _run_check(qtbot, data, monkeypatch, moved)
    assert title == "Database check: no problems", text
    if SHOTS.is_dir():
        report = data_dialogs.ReportDialog(title, text)
        qtbot.addWidget(report)
        report.show()
        qtbot.waitExposed(report)
        report.grab().save(str(SHOTS / "check-report.png"))
