"""A long task's progress dialog never comes back after the task finished.

The freeze a team lead hit: Data → Back up now → "Backup made"; about 4 s later, with no click,
the "Backing up…" dialog showed itself again on top of the box and nothing responded any more.
(QProgressDialog starts a forced-show timer when it is made; hiding it does not stop it, and
the box's own event loop kept the dialog from being deleted.) These tests open a modal box
right after each kind of task, wait past that moment, and press a key on the box.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from shiboken6 import isValid

from app.domain.model import Worker
from app.errors import UsageError
from app.services import autobackup
from app.services.context import Services
from app.storage.db import Database
from ui.context import AppContext
from ui.main_window import MainWindow
from ui.tasks import TaskHandle, run_task, running_tasks

# QProgressDialog's forced show comes 4 s after the dialog is made: look well after it.
LOOK_AFTER_MS = 6000


@pytest.fixture
def ctx(db: Database, db_path: Path, today: date) -> AppContext:
    return AppContext.for_database(db, db_path, today=lambda: today)


def _progress_dialogs_shown() -> list[QWidget]:
    return [
        w
        for w in QApplication.topLevelWidgets()
        if isValid(w)
        and w.isVisible()
        and isinstance(w, QDialog)
        and not isinstance(w, QMessageBox)
    ]


def _look_at_the_box_later(seen: dict[str, Any], after_ms: int) -> None:
    """Once a message box is up, wait ``after_ms``, note what is on screen, press Enter on the
    box (a person dismissing it) and note whether it went."""

    def look() -> None:
        box = QApplication.activeModalWidget()
        seen["modal"] = box
        seen["box_text"] = box.text() if isinstance(box, QMessageBox) else None
        seen["progress_shown"] = [w.windowTitle() for w in _progress_dialogs_shown()]
        if isinstance(box, QMessageBox):
            QTest.keyClick(box, Qt.Key.Key_Return)
        seen["box_closed"] = isinstance(box, QMessageBox) and not box.isVisible()
        # Whatever happened, leave nothing modal behind (a failing test must not hang).
        for widget in QApplication.topLevelWidgets():
            if isValid(widget) and widget.isVisible() and isinstance(widget, QDialog):
                widget.hide()
                if isinstance(widget, QMessageBox):
                    widget.done(0)

    def wait_for_box() -> None:
        if isinstance(QApplication.activeModalWidget(), QMessageBox):
            QTimer.singleShot(after_ms, look)
        else:
            QTimer.singleShot(20, wait_for_box)

    QTimer.singleShot(0, wait_for_box)


def test_the_backup_box_still_responds_six_seconds_after_the_backup(
    qtbot: QtBot, ctx: AppContext, tmp_path: Path
) -> None:
    ctx.workers.save(Worker(id="", name="Ada Ahmed"))
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    autobackup.set_backup_folder(ctx.db, tmp_path / "stick")
    seen: dict[str, Any] = {}
    _look_at_the_box_later(seen, LOOK_AFTER_MS)
    window.data.back_up_now()
    qtbot.waitUntil(lambda: "box_closed" in seen, timeout=LOOK_AFTER_MS + 20000)
    assert str(seen["box_text"]).startswith("Backup written to")
    assert seen["progress_shown"] == []
    assert seen["box_closed"] is True
    assert QApplication.activeModalWidget() is None
    assert not running_tasks()


def _quick(services: Services, progress: Any, cancelled: Any) -> str:
    return "done"


def _slow(services: Services, progress: Any, cancelled: Any) -> str:
    for n in range(8):
        progress(n, 8)
        time.sleep(0.1)  # long enough for the dialog to be shown first
    return "done"


def _fails(services: Services, progress: Any, cancelled: Any) -> str:
    raise UsageError("The disk is full. Free some space, then try again.")


@pytest.mark.parametrize(
    ("work", "cancellable", "outcome"),
    [
        (_quick, False, "success"),  # over before the dialog appears (the backup's case)
        (_quick, True, "success"),
        (_slow, False, "success"),  # the dialog was on screen, then hidden
        (_fails, False, "failure"),  # the default failure message is the box
    ],
)
def test_no_task_dialog_comes_back_after_its_task_finished(
    qtbot: QtBot,
    ctx: AppContext,
    work: Callable[[Services, Any, Any], str],
    cancellable: bool,
    outcome: str,
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    seen: dict[str, Any] = {}
    _look_at_the_box_later(seen, LOOK_AFTER_MS)

    def finished_box(_result: object) -> None:
        QMessageBox.information(parent, "Done", "The task finished.")

    handle: TaskHandle[str] = run_task(
        parent, "Working…", work, db_path=ctx.db_path, on_success=finished_box,
        cancellable=cancellable,
    )  # fmt: skip
    qtbot.waitUntil(lambda: "box_closed" in seen, timeout=LOOK_AFTER_MS + 20000)
    assert seen["progress_shown"] == []
    assert seen["box_closed"] is True
    assert outcome == "success" or "disk is full" in str(seen["box_text"])
    assert not handle.is_running()


def test_a_finished_tasks_dialog_refuses_to_show_again(qtbot: QtBot, ctx: AppContext) -> None:
    """Whatever asks (a timer, a parent shown again, a stray show()), the finished dialog stays
    hidden; it has no timer of its own."""
    parent = QWidget()
    qtbot.addWidget(parent)
    started = threading.Event()

    def work(services: Services, progress: Any, cancelled: Any) -> str:
        started.set()
        time.sleep(0.5)
        return "done"

    handle = run_task(parent, "Working…", work, db_path=ctx.db_path, on_success=lambda _r: None)
    dialog = handle.dialog
    assert isinstance(dialog, QDialog)
    assert dialog.findChildren(QTimer) == []
    with qtbot.waitSignal(handle.finished, timeout=10000):
        pass
    if isValid(dialog):
        dialog.show()
        assert not dialog.isVisible()


def test_every_long_task_goes_through_the_runner() -> None:
    """The fix is in the runner: no screen makes a QProgressDialog (with its forced-show timer)
    of its own, and every module that runs long work uses ``run_task`` or ``BackgroundRead``."""
    ui_root = Path(__file__).resolve().parents[2] / "ui"
    own_threads = re.compile(r"QProgressDialog|\(QThread\)|moveToThread|QThreadPool|QRunnable")
    offenders = [
        str(path.relative_to(ui_root))
        for path in ui_root.rglob("*.py")
        if path.name != "tasks.py" and own_threads.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
