"""What happens when Keel meets a bug: a logged traceback and a dialog with a copyable report.

``install_excepthook`` is called once by the GUI's composition root. It also routes Qt's own
messages into Python logging, so they reach the log file instead of a console nobody sees.
Keel's expected problems (``KeelError``: a full disk, a bad file) never come here: they are
shown where they happen as a sentence that says what to do.
"""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path
from types import TracebackType

import PySide6
from PySide6.QtCore import (
    QMessageLogContext,
    Qt,
    QThread,
    QtMsgType,
    qInstallMessageHandler,
    qVersion,
)
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from ui.widgets.focus import set_tab_order

log = logging.getLogger(__name__)
qt_log = logging.getLogger("qt")

_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


class _State:
    log_path: Path | None = None
    showing = False  # a bug inside the crash dialog must not open another one, forever


def crash_report(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> str:
    """The text a user copies: versions and the traceback (no database content)."""
    import platform  # only when something has gone wrong (its import is not free at start-up)

    lines = [
        f"Keel {__version__}",
        f"Python {platform.python_version()} ({platform.python_implementation()})",
        f"Qt {qVersion()} · PySide6 {PySide6.__version__}",
        f"OS {platform.platform()}",
        "",
        "".join(traceback.format_exception(exc_type, exc, tb)).rstrip(),
    ]
    return "\n".join(lines)


class CrashDialog(QDialog):
    """A friendly apology, the report in a read-only box, and a way to copy it."""

    def __init__(self, report: str, log_path: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keel hit a problem")
        self.setAccessibleName("Keel hit a problem")
        self.resize(640, 460)

        headline = QLabel(
            "Sorry — Keel ran into a problem it did not expect. Work you saved before this is "
            "safe in the database; the last thing you did may not have been saved, so please "
            "check it."
        )
        headline.setWordWrap(True)
        headline.setTextFormat(Qt.TextFormat.PlainText)
        advice = QLabel(
            "Please copy the report below and send it to whoever looks after Keel for your "
            "service. It holds version numbers and where in Keel the problem happened; read it "
            "first, as its last line can quote something you typed."
        )
        advice.setWordWrap(True)
        advice.setTextFormat(Qt.TextFormat.PlainText)

        self.report_box = QPlainTextEdit(report)
        self.report_box.setReadOnly(True)
        self.report_box.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.report_box.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.report_box.setAccessibleName("Crash report")

        where = (
            f"A copy is in the log file: {log_path}"
            if log_path is not None
            else "No log file is being written, so copy the report now."
        )
        self.log_label = QLabel(where)
        self.log_label.setWordWrap(True)
        self.log_label.setTextFormat(Qt.TextFormat.PlainText)
        self.log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.log_label.setAccessibleName("Log file location")

        self.copy_button = QPushButton("&Copy report")
        self.copy_button.setAccessibleName("Copy report")
        self.copy_button.clicked.connect(self.copy_report)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName("Close")
        self.copied_label = QLabel("")
        self.copied_label.setAccessibleName("Copy status")

        layout = QVBoxLayout(self)
        layout.addWidget(headline)
        layout.addWidget(advice)
        layout.addWidget(self.report_box, 1)
        layout.addWidget(self.log_label)
        layout.addWidget(self.copied_label)
        layout.addWidget(buttons)
        set_tab_order(self.report_box, self.copy_button, close)
        self.copy_button.setFocus()

    def report(self) -> str:
        return self.report_box.toPlainText()

    def copy_report(self) -> None:
        QApplication.clipboard().setText(self.report())
        self.copied_label.setText("Copied — paste it into an email or a support ticket.")


def handle_exception(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    """``sys.excepthook``: log the traceback, then show the crash dialog when a GUI exists."""
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    log.critical("unexpected error", exc_info=(exc_type, exc, tb))
    app = QApplication.instance()
    on_gui_thread = isinstance(app, QApplication) and QThread.currentThread() == app.thread()
    if not on_gui_thread or _State.showing:
        # No GUI (or not its thread, or already showing one): the log and stderr must do.
        sys.__excepthook__(exc_type, exc, tb)
        return
    _State.showing = True
    try:
        dialog = CrashDialog(crash_report(exc_type, exc, tb), _State.log_path)
        dialog.exec()
        dialog.deleteLater()
    except Exception:  # the crash dialog itself failed: fall back to the log and stderr
        log.exception("the crash dialog could not be shown")
        sys.__excepthook__(exc_type, exc, tb)
    finally:
        _State.showing = False


def qt_message_handler(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Qt's warnings go to the log file like everything else."""
    where = f" ({context.file}:{context.line})" if context.file else ""
    qt_log.log(_QT_LEVELS.get(mode, logging.WARNING), "%s%s", message, where)


def install_excepthook(log_path: Path | None) -> None:
    """Route uncaught exceptions to ``handle_exception`` and Qt messages into logging.

    ``log_path`` is only shown to the user (the log itself is set up by
    ``app.logging_setup``). Safe to call before a QApplication exists.
    """
    _State.log_path = log_path
    sys.excepthook = handle_exception
    qInstallMessageHandler(qt_message_handler)
