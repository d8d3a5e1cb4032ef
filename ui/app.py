"""The GUI's composition root: QApplication, the database (checked before use), MainWindow."""

from __future__ import annotations

import logging
import os
import sys
import time
from datetime import date
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtGui import QFontDatabase, QIcon
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget

from app import APP_NAME, __version__
from app.errors import ForeignDatabaseError, KeelError, NewerSchemaError, StorageError
from app.paths import log_dir, resource_path
from app.services.instance import AlreadyRunningError, InstanceLock
from app.storage.db import close_database, open_database
from ui.context import AppContext
from ui.single_instance import InstanceServer, ask_running_instance_to_show

log = logging.getLogger(__name__)


def _application() -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QCoreApplication.setOrganizationName(APP_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication(sys.argv[:1])
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
    from app.services.autobackup import backup_folder_for_file
    from app.services.backup import backup_time, format_when, latest_backup

    latest = None
    if not isinstance(error, (ForeignDatabaseError, NewerSchemaError)):
        latest = latest_backup(backup_folder_for_file(path), include_safety=False)
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
    other = box.addButton("Open another file…", QMessageBox.ButtonRole.ActionRole)
    box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    clicked = box.clickedButton()
    if restore is not None and clicked is restore and latest is not None:
        return _restore_latest(path, latest, parent)
    if clicked is not other:
        return None
    chosen, _ = QFileDialog.getOpenFileName(
        parent, "Open a Keel database", str(path.parent), "Keel database (*.db);;All files (*)"
    )
    return Path(chosen) if chosen else None


def _restore_latest(path: Path, backup: Path, parent: QWidget | None) -> Path | None:
    """Restore ``backup`` as the database at ``path`` (the damaged file is moved aside, never
    deleted); returns ``path`` to open it, or None to quit."""
    from app.services.autobackup import backup_folder_for_file
    from app.services.backup import restore_into_file
    from app.services.crypto import is_encrypted

    passphrase = None
    with backup.open("rb") as fh:
        if is_encrypted(fh.read(16)):
            from ui.data_actions import ask_passphrase

            passphrase = ask_passphrase(parent or QWidget(), confirm=False)
            if passphrase is None:
                return None
    try:
        result = restore_into_file(
            path, backup, backup_folder_for_file(path), passphrase=passphrase
        )
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


def run_gui(db_path: Path) -> int:
    """Open the main window on ``db_path`` and run until the user quits."""
    from ui.crash import install_excepthook
    from ui.main_window import MainWindow

    app = _application()
    install_excepthook(log_dir() / "keel.log")
    path: Path | None = db_path
    lock: InstanceLock | None = None
    while path is not None:
        lock = InstanceLock(path)
        try:
            lock.acquire()
        except AlreadyRunningError as exc:
            if not ask_running_instance_to_show(path):
                QMessageBox.information(None, "Keel is already open", str(exc))
            return 1
        try:
            db = open_database(path)
            break
        except StorageError as exc:
            lock.release()
            log.warning("could not open %s: %s", path, exc)
            path = ask_for_database(path, exc)
    else:
        return 1
    assert lock is not None
    ctx = AppContext.for_database(db, path, today=date.today)
    window = MainWindow(ctx)
    server = InstanceServer(path)
    server.show_requested.connect(window.bring_to_front)
    window.show()
    if os.environ.get("KEEL_QUIT_WHEN_READY"):
        # For the start-up benchmark: once the first event-loop pass has shown the window, say
        # how long it took since the launcher's clock (KEEL_START_TIME), then quit.
        QTimer.singleShot(0, lambda: _report_ready_and_quit(app))
    try:
        return int(app.exec())
    finally:
        server.close()
        window.deleteLater()
        close_database(db)
        lock.release()
