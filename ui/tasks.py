"""The one way Keel runs long work: on a worker thread, behind a cancellable progress dialog.

A service function takes plain ``progress(done, total)`` and ``cancelled() -> bool`` callables
and knows nothing of Qt; :func:`run_task` runs it on a ``QThread`` with its own database
connection (SQLite connections belong to the thread that opened them, and the GUI's connection
must stay free for the GUI) and brings the outcome back to the GUI thread through signals.

Outcomes, each delivered once on the GUI thread, then ``TaskHandle.finished``:

* success → ``on_success(result)`` (even when Cancel was pressed too late to stop the work:
  the work did happen, and saying otherwise would be a lie);
* an exception after Cancel was pressed → ``TaskHandle.cancelled`` (nothing to report: the user
  asked for it, and services undo their own partial writes);
* any other exception → ``on_failure(exc)`` if given; otherwise a ``KeelError`` is shown as a
  message (it is a sentence that says what to do) and anything else is a bug for the crash
  handler (``sys.excepthook``, which ``ui.crash`` installs).

:class:`BackgroundRead` builds on it for a screen whose figures can take seconds to read: the
latest request wins, and the window stays responsive.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from app.errors import KeelError
from app.services.context import Services

if TYPE_CHECKING:  # an annotation only: Qt's event types are not created at start-up
    from PySide6.QtGui import QCloseEvent

log = logging.getLogger(__name__)

T = TypeVar("T")
ProgressFn = Callable[[int, int], None]
CancelledFn = Callable[[], bool]
Work = Callable[[Services, ProgressFn, CancelledFn], T]

# Progress is reported to the GUI at most this often (a 10,000-row import would otherwise queue
# 10,000 repaints); the first and the final report always go through.
_PROGRESS_INTERVAL = 0.05
# Quick work finishes before the dialog appears, so it never flashes on screen.
_DIALOG_DELAY_MS = 300

# Handles of running tasks: a QThread must outlive its run(), whatever happens to the widget
# that started it, so the registry (not the widget) owns them until they finish.
_running: set[TaskHandle[Any]] = set()


class _WorkerThread(QThread):
    """Runs the work with its own connection; the outcome is read after the thread ends."""

    progressed = Signal(int, int)

    def __init__(
        self,
        work: Work[Any],
        db_path: Path | None,
        cancel_flag: threading.Event,
        read_only: bool,
        today: Callable[[], date],
    ) -> None:
        super().__init__()
        self._today = today
        self._work = work
        self._db_path = db_path
        self._read_only = read_only
        self._cancel_flag = cancel_flag
        self._last_report = 0.0
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        services: Services | None = None
        try:
            if self._db_path is not None:  # work with no local file (the service's server)
                services = Services.connect(
                    self._db_path, read_only=self._read_only, today=self._today
                )
            self.result = self._work(services, self._report, self._cancel_flag.is_set)  # type: ignore[arg-type]
        except BaseException as exc:  # every outcome goes back to the GUI
            self.error = exc
        finally:
            if services is not None:
                try:
                    services.close_connection()
                except Exception as exc:  # closing must not hide the outcome
                    log.warning("closing the worker's database connection failed: %s", exc)

    def _report(self, done: int, total: int) -> None:
        now = time.monotonic()
        if (
            (total <= 0 or done < total)
            and self._last_report
            and now - self._last_report < _PROGRESS_INTERVAL
        ):
            return
        self._last_report = now
        self.progressed.emit(done, total)


class TaskDialog(QDialog):
    """What a long task shows while it runs: its title, a progress bar and (when the work can
    stop) Cancel. It stays up after Cancel until the work has really stopped.

    A plain dialog, not a ``QProgressDialog``: that one starts a timer when it is made that
    shows it 4 s later unless a value was set, and hiding it does not stop that timer. A task
    that finished before its dialog appeared (a backup takes a second) then had its dialog
    come back over the "Backup made" box, modal, and the window froze. This dialog has no
    timer; the runner shows it, and once the task is over it refuses to be shown again.
    """

    canceled = Signal()

    def __init__(self, title: str, cancellable: bool, parent: QWidget | None) -> None:
        super().__init__(parent)
        self._cancellable = cancellable
        self._over = False
        self.label = QLabel(title)
        self.label.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # busy until the work reports a total
        self.bar.setAccessibleName("Progress")
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        self.cancel_button: QPushButton | None = None
        if cancellable:
            self.cancel_button = QPushButton("Cancel")
            self.cancel_button.setAccessibleName("Cancel")
            self.cancel_button.clicked.connect(self.canceled)
            row = QHBoxLayout()
            row.addStretch(1)
            row.addWidget(self.cancel_button)
            layout.addLayout(row)
        self.setWindowTitle("Keel")
        self.setAccessibleName(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumWidth(380)

    def labelText(self) -> str:
        return self.label.text()

    def setLabelText(self, text: str) -> None:
        self.label.setText(text)

    def finish(self) -> None:
        """The task is over: hide, and never show again."""
        self._over = True
        self.hide()

    def setVisible(self, visible: bool) -> None:
        if visible and self._over:
            return
        super().setVisible(visible)

    def reject(self) -> None:
        """Escape asks the work to stop (when it can); the dialog goes when the work ends."""
        if self._cancellable:
            self.canceled.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        event.ignore()
        self.reject()


class TaskHandle(QObject, Generic[T]):
    """A running task. Signals arrive on the GUI thread; ``finished`` always comes last."""

    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    finished = Signal()

    def __init__(
        self,
        parent: QWidget,
        title: str,
        work: Work[T],
        *,
        db_path: Path | None,
        cancellable: bool,
        read_only: bool = False,
        silent: bool = False,
        today: Callable[[], date] = date.today,
    ) -> None:
        super().__init__()
        self.title = title
        self._parent = parent
        self._cancel_flag = threading.Event()
        self._thread = _WorkerThread(work, db_path, self._cancel_flag, read_only, today)
        self._thread.progressed.connect(self._on_progress)
        self._thread.finished.connect(self._on_thread_finished)
        window = parent.window() if parent is not None else None
        self._silent = silent  # background work: no dialog ever shows
        self.dialog = TaskDialog(title, cancellable, window)
        self.dialog.canceled.connect(self.cancel)
        self._done = False

    # Public API ---------------------------------------------------------------------------

    def cancel(self) -> None:
        """Ask the work to stop at its next ``cancelled()`` check."""
        if self._done or self._cancel_flag.is_set():
            return
        log.info("cancel requested: %s", self.title)
        self._cancel_flag.set()
        if isValid(self.dialog):
            self.dialog.setLabelText(f"{self.title}\nStopping…")
            if self.dialog.cancel_button is not None:
                self.dialog.cancel_button.setEnabled(False)

    @property
    def cancel_requested(self) -> bool:
        return self._cancel_flag.is_set()

    def is_running(self) -> bool:
        return not self._done

    # Internals ----------------------------------------------------------------------------

    def _start(self) -> None:
        _running.add(self)
        self._thread.start()
        if not self._silent:
            QTimer.singleShot(_DIALOG_DELAY_MS, self, self._show_dialog)

    @Slot()
    def _show_dialog(self) -> None:
        if not self._done and isValid(self.dialog):
            self.dialog.show()

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        if self._done or not isValid(self.dialog):
            return
        if total > 0:
            self.dialog.bar.setRange(0, total)
            self.dialog.bar.setValue(min(done, total))
            if not self._cancel_flag.is_set():
                self.dialog.setLabelText(f"{self.title}\n{done:,} of {total:,}")
        self.progressed.emit(done, total)

    @Slot()
    def _on_thread_finished(self) -> None:
        self._thread.wait()  # finished is emitted just before run() has fully unwound
        self._done = True
        if isValid(self.dialog):
            self.dialog.finish()
            self.dialog.deleteLater()
        error, result = self._thread.error, self._thread.result
        try:
            if not isValid(self._parent):
                # The window that asked is gone; its callbacks would touch deleted widgets.
                log.info("%s finished after its window closed (error: %r)", self.title, error)
            elif error is None:
                self.succeeded.emit(result)
            elif self._cancel_flag.is_set():
                # Logged in full: after Cancel, a bug and a service's "stopped" look alike here.
                bug = None if isinstance(error, KeelError) else error
                log.info("%s: cancelled (%s)", self.title, type(error).__name__, exc_info=bug)
                self.cancelled.emit()
            else:
                self.failed.emit(error)
        finally:
            _running.discard(self)
            self.finished.emit()


def _default_failure(parent: QWidget, title: str) -> Callable[[BaseException], None]:
    """Keel's own errors are sentences for the user; anything else is a bug."""

    def show(exc: BaseException) -> None:
        if isinstance(exc, KeelError):
            log.warning("%s failed: %s", title, exc)
            QMessageBox.warning(parent, "Keel", str(exc))
        else:
            sys.excepthook(type(exc), exc, exc.__traceback__)

    return show


def run_task(
    parent: QWidget,
    title: str,
    work: Work[T],
    *,
    db_path: Path | None,
    on_success: Callable[[T], None],
    on_failure: Callable[[BaseException], None] | None = None,
    cancellable: bool = True,
    read_only: bool = False,
    silent: bool = False,
    today: Callable[[], date] = date.today,
) -> TaskHandle[T]:
    """Run ``work(services, progress, cancelled)`` on a worker thread with a progress dialog.

    ``work`` gets the services over its own connection to ``db_path`` (closed before any
    callback runs; ``today`` is their date) and must not touch widgets. ``on_success``/``on_failure`` run on the GUI thread. Wait for
    ``TaskHandle.finished`` (``qtbot.waitSignal(handle.finished)`` in tests). A connection that
    may write waits for the file's start-up integrity check; ``read_only`` work does not (it
    reads what the window's own connection already reads). With ``db_path`` None the work gets
    no connection (it reads elsewhere: the service's server). ``silent`` work (background
    publishing) never shows a dialog.
    """
    _install_quit_guard()
    handle: TaskHandle[T] = TaskHandle(
        parent, title, work, db_path=db_path, cancellable=cancellable, read_only=read_only,
        silent=silent, today=today,
    )  # fmt: skip
    handle.succeeded.connect(on_success)
    handle.failed.connect(on_failure or _default_failure(parent, title))
    handle._start()
    return handle


def running_tasks() -> list[TaskHandle[Any]]:
    """Tasks still running (for a window that wants to warn before quitting)."""
    return list(_running)


def stop_all_tasks() -> None:
    """Cancel every running task and wait for its thread: called once when the app quits."""
    for handle in list(_running):
        handle.cancel()
        handle._thread.wait()


_quit_guard_for: list[QCoreApplication] = []


def _install_quit_guard() -> None:
    """Once per application: on quit, stop running work before its threads are destroyed."""
    app = QCoreApplication.instance()
    if app is not None and app not in _quit_guard_for:
        app.aboutToQuit.connect(stop_all_tasks)
        _quit_guard_for.append(app)


class BackgroundRead(QObject):
    """Reads a panel's figures on a worker thread and shows them on the GUI thread.

    On a very large service (10,000 workers) a screen's figures (a governance tab's) can take seconds to read;
    the window stays responsive meanwhile, and after 0.3 s a progress dialog says what is being
    read (``run_task``, which gives the read its own read-only connection: it does not
    wait for the start-up integrity check, which only writes must). There is no Cancel: a read
    cannot be stopped part way, and it takes seconds at most.
    ``prepare()`` runs on the GUI thread when the read starts and returns the read itself, with
    the panel's choices (dates, team, forum) already taken. Requests made in one pass of the
    event loop become one read; a result overtaken by a newer request is dropped.
    """

    def __init__(
        self,
        panel: QWidget,
        db_path: Path,
        title: str,
        prepare: Callable[[], Callable[[Services], Any]],
        show: Callable[[Any], None],
        fail: Callable[[KeelError], None] | None = None,
    ) -> None:
        super().__init__(panel)
        self._panel, self._db_path, self._title = panel, db_path, title
        self._prepare, self._show, self._fail = prepare, show, fail
        self._latest = 0
        self._running = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._start)

    @property
    def busy(self) -> bool:
        """A read is asked for or running."""
        return self._timer.isActive() or self._running > 0

    def request(self) -> None:
        self._timer.start()

    @Slot()
    def _start(self) -> None:
        self._latest += 1
        number = self._latest
        read = self._prepare()
        self._running += 1
        handle = run_task(
            self._panel,
            self._title,
            lambda services, _progress, _cancelled: read(services),
            db_path=self._db_path,
            on_success=lambda result: self._deliver(number, result),
            on_failure=lambda exc: self._failed(number, exc),
            cancellable=False,
            read_only=True,
        )
        handle.finished.connect(self._finished)

    def _deliver(self, number: int, result: Any) -> None:
        if number == self._latest:
            self._show(result)

    def _failed(self, number: int, exc: BaseException) -> None:
        if number != self._latest:
            if not isinstance(exc, KeelError):
                log.error("an overtaken read failed", exc_info=exc)
            return
        if isinstance(exc, KeelError):
            if self._fail is not None:
                self._fail(exc)
            else:
                QMessageBox.warning(self._panel, self._title.rstrip("…"), str(exc))
            return
        raise exc  # a bug: the crash handler reports it

    @Slot()
    def _finished(self) -> None:
        self._running -= 1
