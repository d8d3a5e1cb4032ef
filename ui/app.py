"""The GUI's composition root: QApplication, the database (checked before use), MainWindow."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QLocale, QObject, Qt, QTimer
from PySide6.QtGui import QFontDatabase, QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox, QWidget

from app import APP_NAME, __version__, dbapi
from app.errors import (
    DamagedDatabaseError,
    ForeignDatabaseError,
    KeelError,
    KeyFileError,
    NewerSchemaError,
    NotADatabaseError,
    StorageError,
)
from app.paths import log_dir, resource_path
from app.services.database import IntegrityCheck, pending_check, set_waiting_feedback
from app.services.instance import AlreadyRunningError, InstanceLock
from ui.context import AppContext

if TYPE_CHECKING:
    from ui.main_window import MainWindow
    from ui.single_instance import InstanceServer

log = logging.getLogger(__name__)


def _application() -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QCoreApplication.setOrganizationName(APP_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication(sys.argv[:1])
    # Month and day names in English whatever the machine's language, as in the PDFs.
    from ui.widgets.dates import uk_english

    QLocale.setDefault(uk_english())
    icon = resource_path("icons/keel.svg")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    load_bundled_fonts()
    return app


def load_bundled_fonts() -> list[str]:
    """Register the bundled DejaVu fonts so every name (Łukasz, Zoë, Arabic, Hebrew) draws,
    even on a machine with few fonts. Returns the families added."""
    families: list[str] = []
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        font_id = QFontDatabase.addApplicationFont(str(resource_path(f"fonts/{name}")))
        if font_id >= 0:
            families += QFontDatabase.applicationFontFamilies(font_id)
    return families


def ask_for_database(path: Path, error: StorageError, parent: QWidget | None = None) -> Path | None:
    """Explain why ``path`` cannot be opened; offer to restore the latest backup (when that
    can help), to open another file, or to quit. Returns the file to try next (None: quit)."""
    gc.enable()  # main() pauses it to build the first window; no window comes before this answer
    from app.services.autobackup import latest_backup_for_file
    from app.services.backup_files import backup_time, format_when

    latest = None
    if not isinstance(error, (ForeignDatabaseError, NewerSchemaError)):
        latest = latest_backup_for_file(path)
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("Keel cannot open this database")
    box.setText(str(error))
    box.setInformativeText("Keel has not changed the file. What would you like to do?")
    restore = None
    if latest is not None:
        when = backup_time(latest)
        label = f"Restore the latest backup ({format_when(when)})"
        restore = box.addButton(label, QMessageBox.ButtonRole.AcceptRole)
    recovery = None
    if isinstance(error, (NotADatabaseError, KeyFileError)):
        recovery = box.addButton("Open with the recovery key…", QMessageBox.ButtonRole.ActionRole)
    other = box.addButton("Open another file…", QMessageBox.ButtonRole.ActionRole)
    box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    clicked = box.clickedButton()
    if restore is not None and clicked is restore and latest is not None:
        return _restore_latest(path, latest, parent)
    if recovery is not None and clicked is recovery:
        from ui.encryption_dialogs import RecoveryUnlockDialog

        return path if RecoveryUnlockDialog(path, parent).exec() else None
    if clicked is not other:
        return None
    from PySide6.QtWidgets import QFileDialog  # only when a file could not be opened

    chosen, _ = QFileDialog.getOpenFileName(
        parent, "Open a Keel database", str(path.parent), "Keel database (*.db);;All files (*)"
    )
    return Path(chosen) if chosen else None


def _restore_latest(path: Path, backup: Path, parent: QWidget | None) -> Path | None:
    """Restore ``backup`` as the database at ``path`` (the damaged file is moved aside, never
    deleted) after the same confirmation as every restore; returns ``path`` to open it, or
    None to quit."""
    from app.services.autobackup import backup_folder_for_file
    from app.services.backup import needs_passphrase, prepared_backup, restore_into_file
    from app.services.restore_compare import compare_with_file
    from ui.restore_dialogs import RestoreConfirmation

    passphrase = None
    if needs_passphrase(backup):
        from ui.data_dialogs import ask_passphrase

        passphrase = ask_passphrase(parent or QWidget(), confirm=False)
        if passphrase is None:
            return None
    try:
        workdir = path.parent if os.access(path.parent, os.W_OK) else None
        with prepared_backup(backup, passphrase=passphrase, workdir=workdir, into=path) as prepared:
            comparison = compare_with_file(prepared, path)
            confirm = RestoreConfirmation(
                comparison, prepared.info.created_at, prepared.info.source, parent
            )
            if confirm.exec() != RestoreConfirmation.DialogCode.Accepted:
                return None
            result = restore_into_file(
                path, prepared, backup_folder_for_file(path),
                another_database=comparison.another_database,
            )  # fmt: skip
    except KeelError as exc:
        QMessageBox.warning(parent, "Nothing was restored", str(exc))
        return None
    QMessageBox.information(parent, "Restored", result.summary())
    return path


def _report_ready_and_quit(app: QApplication) -> None:
    started = os.environ.get("KEEL_START_TIME")
    if started:
        import resource

        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        sys.stdout.write(f"keel-ready {time.time() - float(started):.4f} {peak_mb:.0f}\n")
        sys.stdout.flush()
    app.quit()


# app.exit() code that means "the file failed its background integrity check".
_FAILED_CHECK = 70


class IntegrityWatcher(QObject):
    """Waits, without blocking the window, for the background integrity check of the open file
    (see ``app.storage.db.open_database``). When it passes, writes are allowed; when it fails,
    the window goes and the user is asked what to do, exactly as when a damaged file is
    refused before opening."""

    def __init__(self, check: IntegrityCheck, ctx: AppContext, window: QMainWindow) -> None:
        super().__init__(window)
        self.check = check
        self.error: StorageError | None = None
        self._ctx = ctx
        self._window = window
        self._timer = QTimer(self)
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._poll)
        self._timer.start()
        window.statusBar().showMessage("Checking the database file…")

    def _poll(self) -> None:
        if not self.check.done:
            return
        self._timer.stop()
        self._window.statusBar().clearMessage()
        try:
            self._ctx.database.confirm_checked()
        except StorageError as exc:
            log.error("the database failed its integrity check (%s)", type(exc).__name__)
            self.error = exc
            for widget in QApplication.topLevelWidgets():
                widget.hide()
            QCoreApplication.exit(_FAILED_CHECK)
        else:
            log.info("the database passed its integrity check")
            # Writes are allowed from now: load sqlite-utils, which they use, so the first
            # save does not wait for its import (≈70 ms, kept off the start-up).
            self._ctx.database.prepare_for_writes()
            restore_protections_and_say_so(self._ctx, self._window)


def restore_protections_and_say_so(ctx: AppContext, window: QWidget) -> list[str]:
    """Put back any protection (trigger) removed or changed outside Keel — recorded in the
    audit trail — and tell the person, who may need to look into it. A file opened without a
    background check had this done as it opened. Returns what was said."""
    repaired = ctx.database.restore_protections()
    if repaired:
        box = QMessageBox(window)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("This database was changed outside Keel")
        box.setText(
            "Some of the protections that keep signed records, risk assessments and the audit "
            "trail from being changed were removed or altered by another program. Keel has put "
            "them back and recorded this in the audit trail."
        )
        box.setInformativeText(
            "Run Data → Check the database to see whether any record was changed while they were "
            "missing. What was found:\n\n" + "\n".join(f"• {line}" for line in repaired)
        )
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        box.open()  # not modal to the start-up: the window is usable behind it
    return repaired


def _open(path: Path) -> tuple[InstanceLock, AppContext] | Path | None:
    """Lock and open ``path``: the lock and the services over the open database, or the next
    file to try (None: quit)."""
    lock = InstanceLock(path)
    try:
        lock.acquire()
    except AlreadyRunningError as exc:
        from ui.single_instance import ask_running_instance_to_show

        if not ask_running_instance_to_show(path):
            gc.enable()  # paused by main() to build a window that will not be built
            QMessageBox.information(None, "Keel is already open", str(exc))
        return None
    created = not path.exists()
    if not _unlocked(path):
        lock.release()
        return None
    try:
        ctx = AppContext.open(path, check_in_background=True, today=date.today)
    except StorageError as exc:
        lock.release()
        log.warning("could not open the database (%s)", type(exc).__name__)
        return ask_for_database(path, exc)
    if created:
        _new_databases.add(str(path))
    return lock, ctx


# Databases this run of Keel created: the window offers to encrypt them once it is up.
_new_databases: set[str] = set()


def _unlocked(path: Path) -> bool:
    """An encrypted database's passphrase asked for (its key derived once for the process);
    True at once for a plain database. False: the person chose to quit."""
    from app.services.encryption import needs_key

    if not needs_key(path):
        return True
    gc.enable()  # a question comes before any window
    from ui.encryption_dialogs import UnlockDialog

    return bool(UnlockDialog(path).exec())


@contextlib.contextmanager
def _busy_cursor() -> Iterator[None]:
    """Shown while a save waits for the background integrity check (seconds, at most, on a
    very large database, and only in the first moments after opening it)."""
    QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        yield
    finally:
        QGuiApplication.restoreOverrideCursor()


def _clean_stale_temporaries(path: Path) -> None:
    """What an interrupted Keel left behind (never a running one's): see
    ``app.services.temporaries``. After the window is up, off the start-up's path."""
    from app.services.temporaries import clean_for_database

    clean_for_database(path)


def _listen_for_later_launches(path: Path, window: MainWindow) -> InstanceServer:
    """Bring ``window`` forward when Keel is launched again on ``path``. Started once the
    window is up (QtNetwork's import, ≈10 ms, is not needed to show it); a launch in that
    moment is told Keel is already open, without the window coming forward."""
    from ui.single_instance import InstanceServer

    server = InstanceServer(path)
    server.show_requested.connect(window.bring_to_front)
    return server


def run_gui(db_path: Path) -> int:
    """Open the main window on ``db_path`` and run until the user quits."""
    from ui.crash import install_excepthook

    app = _application()
    install_excepthook(log_dir() / "keel.log")
    set_waiting_feedback(_busy_cursor)
    path: Path | None = db_path
    while path is not None:
        opened = _open(path)
        if opened is None:
            return 1
        if isinstance(opened, Path):
            path = opened
            continue
        lock, ctx = opened
        code, failure = _run_window(app, path, ctx, lock)
        if failure is None:
            return code
        path = ask_for_database(path, failure)
    return 1


def _run_window(
    app: QApplication, path: Path, ctx: AppContext, lock: InstanceLock
) -> tuple[int, StorageError | None]:
    """Show the main window on the open database (``ctx``) until the user quits (exit code, None) or the
    file fails its background integrity check (code, why)."""
    from ui.main_window import MainWindow

    try:
        window = MainWindow(ctx)
    except dbapi.DatabaseError as exc:
        # A damaged page was read before the background check reached it: its verdict (or
        # this error) is the answer, given the way a file refused before opening is.
        check = pending_check(path)
        if check is not None:
            check.wait()
        ctx.database.close()
        lock.release()
        failure = check.error if check is not None else None
        return 1, failure or DamagedDatabaseError(
            f"{path} is damaged and cannot be read ({exc}). Restore the latest backup."
        )
    check = pending_check(path)
    watcher = IntegrityWatcher(check, ctx, window) if check is not None else None
    window.show()
    if check is None and ctx.database.repaired_on_opening:  # after a migration or a crash
        QTimer.singleShot(0, lambda: restore_protections_and_say_so(ctx, window))
    QTimer.singleShot(1500, lambda: _clean_stale_temporaries(path))
    # main() paused the cyclic garbage collector while the window was built. It resumes on the
    # event loop's second pass, once the window has been drawn: its first pass then looks at
    # every object the start-up made (≈15 ms on the reference database), which is not needed
    # to show the window.
    QTimer.singleShot(0, lambda: QTimer.singleShot(0, gc.enable))
    if os.environ.get("KEEL_QUIT_WHEN_READY"):
        # For the start-up benchmark: once the first event-loop pass has shown the window, say
        # how long it took since the launcher's clock (KEEL_START_TIME), then quit.
        QTimer.singleShot(0, lambda: _report_ready_and_quit(app))
    servers: list[InstanceServer] = []
    QTimer.singleShot(0, lambda: servers.append(_listen_for_later_launches(path, window)))
    if str(path) in _new_databases:
        _new_databases.discard(str(path))
        # A database Keel has just made: offer to encrypt it (recommended), once.
        QTimer.singleShot(300, window.encryption.offer)
    try:
        code = int(app.exec())
    finally:
        for server in servers:
            server.close()
        window.deleteLater()
        ctx.database.close()
        lock.release()
    failure = watcher.error if watcher is not None and code == _FAILED_CHECK else None
    return code, failure
