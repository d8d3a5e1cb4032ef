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
from PySide6.QtCore import QMessageLogContext, QThread, QtMsgType, qInstallMessageHandler, qVersion
from PySide6.QtWidgets import QApplication

from app import __version__

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
        from ui.crash_dialog import CrashDialog  # only when needed: its widgets cost start-up

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
