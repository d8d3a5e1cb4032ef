"""The background runner (ui.tasks) and the crash handler (ui.crash)."""

from __future__ import annotations

import logging
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QThread, qWarning
from PySide6.QtWidgets import QApplication, QWidget

import ui.crash as crash
import ui.crash_dialog as crash_dialog
from app import dbapi
from app.domain.model import Worker
from app.errors import UsageError
from app.services.context import Services
from app.storage.db import Database
from app.storage.workers import insert_worker
from ui.context import AppContext
from ui.tasks import TaskHandle, run_task, running_tasks


@pytest.fixture
def ctx(db: Database, db_path: Path, today: date) -> AppContext:
    return AppContext.for_database(db, db_path, today=lambda: today)


@pytest.fixture
def parent(qtbot: Any) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


def _gui_thread() -> QThread:
    app = QApplication.instance()
    assert app is not None
    return app.thread()


def test_success_arrives_on_the_gui_thread_with_the_workers_own_connection(
    qtbot: Any, ctx: AppContext, parent: QWidget
) -> None:
    seen: dict[str, Any] = {}

    def work(services: Services, progress: Any, cancelled: Any) -> int:
        db = services.db
        seen["db"] = db
        seen["work_thread"] = QThread.currentThread()
        insert_worker(db, Worker(id="", name="Ada Ahmed"))
        db.conn.commit()
        return int(db.execute("SELECT count(*) FROM workers").fetchone()[0])

    def on_success(count: int) -> None:
        seen["count"] = count
        seen["callback_thread"] = QThread.currentThread()

    handle = run_task(parent, "Adding", work, db_path=ctx.db_path, on_success=on_success)
    with qtbot.waitSignal(handle.finished, timeout=5000):
        pass
    assert seen["count"] == 1
    assert seen["db"] is not ctx.db
    assert seen["work_thread"] != _gui_thread()
    assert seen["callback_thread"] == _gui_thread()
    # The worker's connection is closed before the result is delivered …
    with pytest.raises(dbapi.ProgrammingError):
        seen["db"].execute("SELECT 1")
    # … and what it wrote is visible to the GUI's own connection.
    assert ctx.workers.count() == 1
    assert handle not in running_tasks()
    assert not handle.is_running()


def test_progress_is_shown_in_the_dialog(qtbot: Any, ctx: AppContext, parent: QWidget) -> None:
    def work(services: Services, progress: Any, cancelled: Any) -> str:
        for done in range(0, 41):
            progress(done, 40)
        return "ok"

    handle: TaskHandle[str] = run_task(
        parent, "Counting", work, db_path=ctx.db_path, on_success=lambda _r: None
    )
    reports: list[tuple[int, int]] = []
    handle.progressed.connect(lambda d, t: reports.append((d, t)))
    bar = handle.dialog.bar
    with qtbot.waitSignal(handle.finished, timeout=5000):
        pass
    assert reports, "no progress reached the GUI"
    assert reports[-1] == (40, 40)  # the final report always goes through
    assert bar.maximum() == 40
    assert bar.value() == 40


def test_a_keel_error_goes_to_on_failure_on_the_gui_thread(
    qtbot: Any, ctx: AppContext, parent: QWidget
) -> None:
    failures: list[tuple[BaseException, QThread]] = []
    successes: list[object] = []

    def work(services: Services, progress: Any, cancelled: Any) -> None:
        raise UsageError("line 3: name: missing. Fill it in and try again.")

    handle = run_task(
        parent,
        "Importing",
        work,
        db_path=ctx.db_path,
        on_success=successes.append,
        on_failure=lambda exc: failures.append((exc, QThread.currentThread())),
    )
    with qtbot.waitSignal(handle.finished, timeout=5000):
        pass
    assert successes == []
    [(exc, thread)] = failures
    assert isinstance(exc, UsageError)
    assert "line 3" in str(exc)
    assert thread == _gui_thread()


def test_a_keel_error_is_shown_as_a_message_by_default(
    qtbot: Any, ctx: AppContext, parent: QWidget, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr("ui.tasks.QMessageBox.warning", lambda _p, _title, text: shown.append(text))

    def work(services: Services, progress: Any, cancelled: Any) -> None:
        raise UsageError("The disk is full. Free some space, then try again.")

    handle = run_task(parent, "Saving", work, db_path=ctx.db_path, on_success=print)
    with qtbot.waitSignal(handle.finished, timeout=5000):
        pass
    assert shown == ["The disk is full. Free some space, then try again."]


def test_a_bug_goes_to_the_crash_handler(
    qtbot: Any, ctx: AppContext, parent: QWidget, monkeypatch: pytest.MonkeyPatch
) -> None:
    hooked: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda _t, exc, _tb: hooked.append(exc))
    monkeypatch.setattr("ui.tasks.QMessageBox.warning", lambda *a: pytest.fail("no message"))

    def work(services: Services, progress: Any, cancelled: Any) -> None:
        raise ZeroDivisionError("division by zero")

    handle = run_task(parent, "Computing", work, db_path=ctx.db_path, on_success=print)
    with qtbot.waitSignal(handle.finished, timeout=5000):
        pass
    [exc] = hooked
    assert isinstance(exc, ZeroDivisionError)
    assert exc.__traceback__ is not None


class _Stopped(Exception):
    pass


def _loop_until_cancelled(started: threading.Event) -> Any:
    def work(services: Services, progress: Any, cancelled: Any) -> str:
        for i in range(2_000_000):
            if cancelled():
                raise _Stopped
            if i == 0:
                started.set()
            progress(i, 0)
            time.sleep(0.001)
        return "ran to the end"

    return work


def test_cancel_button_stops_the_work_and_nothing_is_reported_as_success(
    qtbot: Any, ctx: AppContext, parent: QWidget, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "excepthook", lambda *a: pytest.fail("cancel is not a crash"))
    started = threading.Event()
    successes: list[str] = []
    handle = run_task(
        parent,
        "Importing",
        _loop_until_cancelled(started),
        db_path=ctx.db_path,
        on_success=successes.append,
    )
    assert started.wait(5)
    dialog = handle.dialog
    qtbot.waitUntil(dialog.isVisible, timeout=3000)
    assert dialog.cancel_button is not None
    with qtbot.waitSignals([handle.cancelled, handle.finished], timeout=5000):
        dialog.cancel_button.click()
        # While the work winds down the dialog stays up and says so.
        assert dialog.isVisible()
        assert "Stopping" in dialog.labelText()
        assert not dialog.cancel_button.isEnabled()
    assert successes == []
    assert handle.cancel_requested


def test_escape_asks_to_cancel_instead_of_hiding_the_dialog(
    qtbot: Any, ctx: AppContext, parent: QWidget
) -> None:
    started = threading.Event()
    handle = run_task(
        parent, "Importing", _loop_until_cancelled(started), db_path=ctx.db_path, on_success=print
    )
    assert started.wait(5)
    with qtbot.waitSignal(handle.finished, timeout=5000):
        handle.dialog.reject()  # what Escape does
        assert handle.cancel_requested
    assert not handle.is_running()


def test_work_that_finishes_despite_cancel_is_a_success(
    qtbot: Any, ctx: AppContext, parent: QWidget
) -> None:
    results: list[str] = []
    handle = run_task(
        parent,
        "Quick",
        lambda db, progress, cancelled: "done anyway",
        db_path=ctx.db_path,
        on_success=results.append,
    )
    handle.cancel()
    with qtbot.waitSignal(handle.finished, timeout=5000):
        pass
    assert results == ["done anyway"]


# Crash handler -------------------------------------------------------------------------------


def _raised() -> tuple[type[BaseException], BaseException, Any]:
    try:
        {}["missing key"]
    except KeyError as exc:
        return type(exc), exc, exc.__traceback__
    raise AssertionError("unreachable")


def test_crash_dialog_shows_the_traceback_and_copy_puts_it_on_the_clipboard(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: Any
) -> None:
    shown: list[crash_dialog.CrashDialog] = []

    def fake_exec(dialog: crash_dialog.CrashDialog) -> int:
        qtbot.addWidget(dialog)
        shown.append(dialog)
        return 0

    monkeypatch.setattr(crash_dialog.CrashDialog, "exec", fake_exec)
    monkeypatch.setattr(crash._State, "log_path", tmp_path / "keel.log")
    exc_type, exc, tb = _raised()
    with caplog.at_level(logging.CRITICAL, logger="ui.crash"):
        crash.handle_exception(exc_type, exc, tb)

    [dialog] = shown
    report = dialog.report()
    assert "Traceback (most recent call last)" in report
    assert "KeyError: 'missing key'" in report
    assert "_raised" in report  # the frame where it happened
    assert report.startswith("Keel ")
    assert "Python " in report and "Qt " in report
    assert str(tmp_path / "keel.log") in dialog.log_label.text()
    assert dialog.report_box.isReadOnly()
    assert "KeyError" in caplog.text  # logged as well as shown

    QApplication.clipboard().clear()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == report
    assert "Copied" in dialog.copied_label.text()


def test_crash_hook_off_the_gui_thread_only_logs(
    monkeypatch: pytest.MonkeyPatch, capsys: Any, qapp: QApplication
) -> None:
    monkeypatch.setattr(
        crash_dialog.CrashDialog, "exec", lambda _d: pytest.fail("no dialog off the GUI thread")
    )
    exc_type, exc, tb = _raised()
    thread = threading.Thread(target=crash.handle_exception, args=(exc_type, exc, tb))
    thread.start()
    thread.join(5)
    assert "KeyError: 'missing key'" in capsys.readouterr().err


def test_install_excepthook_routes_exceptions_and_qt_messages(
    monkeypatch: pytest.MonkeyPatch, caplog: Any, qapp: QApplication
) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    crash.install_excepthook(None)
    assert sys.excepthook is crash.handle_exception
    with caplog.at_level(logging.WARNING, logger="qt"):
        qWarning("a message from Qt")
    assert "a message from Qt" in caplog.text
    assert any(r.name == "qt" and r.levelno == logging.WARNING for r in caplog.records)


def test_crash_dialog_without_a_log_file_says_so(qtbot: Any) -> None:
    dialog = crash_dialog.CrashDialog("report text", None)
    qtbot.addWidget(dialog)
    assert "No log file" in dialog.log_label.text()
    assert dialog.report() == "report text"


def test_crash_hook_without_a_qapplication_prints_and_exits(tmp_path: Path) -> None:
    """Before the GUI exists (or in a script) the hook must not try to show a dialog."""
    import os
    import subprocess

    root = Path(__file__).resolve().parents[2]
    code = (
        "from ui.crash import install_excepthook\n"
        "install_excepthook(None)\n"
        "raise ValueError('boom before any window')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(root), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 1
    assert "Traceback (most recent call last)" in done.stderr
    assert "ValueError: boom before any window" in done.stderr
