"""The Data menu: back up (plain or encrypted), restore, check, choose the backup folder, and
the status-bar line that says when the last backup was made.

All the work is done by ``app.services.backup`` / ``autobackup`` / ``integrity``; this module
only asks the questions and shows the answers.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QMessageBox

from app import dbapi
from app.errors import KeelError
from app.logging_setup import error_kind
from app.services import autobackup
from app.services.database import pending_check
from ui.context import AppContext
from ui.tasks import run_task

if TYPE_CHECKING:
    from app.services.backup import BackupInfo, BackupResult
    from app.services.restore_compare import Comparison

log = logging.getLogger(__name__)


class DataActions(QObject):
    """Owns the Data menu's behaviour for one main window."""

    data_replaced = Signal()  # after a restore: every screen must reload

    def __init__(self, ctx: AppContext, window: QMainWindow) -> None:
        super().__init__(window)
        self._ctx = ctx
        self._window = window
        self.status_label = QLabel()
        self.status_label.setAccessibleDescription("Last backup")
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def build_menu(self, menu: QMenu) -> None:
        menu.addAction("&Back up now", self.back_up_now)
        menu.addAction("Back up &encrypted (for a USB stick or to send)…", self.back_up_encrypted)
        menu.addSeparator()
        menu.addAction("&Restore from a backup…", self.restore)
        menu.addAction("&Check the database", self.check)
        menu.addSeparator()
        menu.addAction("Choose the backup &folder…", self.choose_folder)
        menu.addAction("&Open the backup folder", self.open_folder)

    # Backups -----------------------------------------------------------------------------

    def folder(self) -> Path:
        return self._ctx.backups.backup_folder()

    def file_checked(self) -> bool:
        """Wait for the open file's background integrity check, if it is still running (it
        takes about a second on a 200 MB file, so only a backup asked for in the first
        moments waits; the busy cursor is the storage layer's waiting feedback). False when
        the file failed it: the window is about to go, and nothing is copied or written."""
        try:
            self._ctx.database.wait_for_check()
        except KeelError:
            return False
        return True

    def back_up_now(self) -> None:
        self._back_up(None)

    def back_up_encrypted(self) -> None:
        from ui.data_dialogs import ask_passphrase  # dialogs load when first needed

        passphrase = ask_passphrase(self._window, confirm=True)
        if passphrase:
            self._back_up(passphrase)

    def _back_up(self, passphrase: str | None) -> None:
        if not self.file_checked():
            return
        folder = self.folder()
        run_task(
            self._window,
            "Backing up…",
            lambda services, _p, _c: services.backups.make_backup(folder, passphrase=passphrase),
            db_path=self._ctx.db_path,
            on_success=self._backed_up,
            cancellable=False,
        )

    def _backed_up(self, result: BackupResult) -> None:
        self.update_status()
        self._window.statusBar().showMessage(result.summary(), 10000)
        QMessageBox.information(self._window, "Backup made", result.summary())

    def auto_backup_when_checked(self) -> None:
        """The daily backup at start-up, once the file has passed its background integrity
        check: on a large database the check can take several seconds, and the window must
        not freeze waiting for it, so the backup is tried again a little later instead."""
        check = pending_check(self._ctx.db_path)
        if check is not None and not check.done:
            QTimer.singleShot(500, self, self.auto_backup_when_checked)
            return
        self.auto_backup()

    def auto_backup(self) -> None:
        """The daily backup (on start and on exit): quiet unless it fails."""
        if not self.file_checked():
            return
        try:
            outcome = self._ctx.backups.auto_backup_if_due(self.folder())
        except (KeelError, dbapi.Error) as exc:
            log.warning("automatic backup failed (%s)", error_kind(exc))
            self._window.statusBar().showMessage(f"The automatic backup failed: {exc}", 15000)
        else:
            if outcome.made is not None:
                log.info("automatic backup made (%d bytes)", outcome.made.size)
        self.update_status()

    def update_status(self) -> None:
        try:
            info = self._ctx.backups.last_backup_info(self.folder())
        except dbapi.Error as exc:  # the database went away (closing): nothing to show
            log.debug("no backup status: %s", exc)
            return
        self.status_label.setText(("⚠ " if info.warn else "") + info.message)
        tip = f"Backups go to {self.folder()}."
        if info.folder_warning:
            tip += "\n\n" + info.folder_warning
        self.status_label.setToolTip(tip)
        self.status_label.setStyleSheet("color: #7a1010; font-weight: bold;" if info.warn else "")

    def choose_folder(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        chosen = QFileDialog.getExistingDirectory(
            self._window, "Choose where backups go (a USB stick, a share…)", str(self.folder())
        )
        if not chosen:
            return
        try:
            warning = self._ctx.backups.set_backup_folder(Path(chosen))
        except KeelError as exc:
            QMessageBox.warning(self._window, "Backup folder", str(exc))
            return
        if warning:
            QMessageBox.warning(self._window, "A risky place for backups", warning)
        self.update_status()

    def open_folder(self) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        folder = self.folder()
        autobackup.ensure_folder(folder)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    # Restore and check --------------------------------------------------------------------

    def restore(self) -> None:
        """Data → Restore: this database's backups (and any other file, on request), then the
        same confirmation as every restore."""
        from ui.restore_dialogs import RestoreChooser

        folder = self.folder()
        chooser = RestoreChooser(
            self._ctx.backups.own_backups(folder, include_safety=True),
            folder,
            self._ctx.db_path.name,
            self._window,
        )
        if chooser.exec() == RestoreChooser.DialogCode.Accepted and chooser.chosen is not None:
            self.restore_file(chooser.chosen)

    def confirm_restore(self, comparison: Comparison, info: BackupInfo) -> bool:
        """The backup beside the current data; True when the person chose to restore (for a
        backup of another database, after ticking the second confirmation)."""
        from ui.restore_dialogs import RestoreConfirmation

        dialog = RestoreConfirmation(comparison, info.created_at, info.source, self._window)
        return dialog.exec() == RestoreConfirmation.DialogCode.Accepted

    def restore_file(self, candidate: Path) -> bool:
        from app.services.backup import needs_passphrase, prepared_backup

        passphrase = None
        if not candidate.is_file():
            QMessageBox.warning(self._window, "Restore", f"Cannot read {candidate}.")
            return False
        if needs_passphrase(candidate):
            from ui.data_dialogs import ask_passphrase

            passphrase = ask_passphrase(self._window, confirm=False)
            if passphrase is None:
                return False
        folder = self._ctx.db_path.parent
        workdir = folder if os.access(folder, os.W_OK) else None
        try:
            with prepared_backup(
                candidate, passphrase=passphrase, workdir=workdir, into=self._ctx.db_path
            ) as prepared:
                comparison = self._ctx.backups.compare_with_open(prepared, self._ctx.db_path)
                if not self.confirm_restore(comparison, prepared.info):
                    return False
                self.file_checked()  # a damaged file may be replaced; a sound one is never mid-check
                try:
                    result = self._ctx.backups.restore(
                        prepared, self.folder(),
                        another_database=comparison.another_database,
                    )  # fmt: skip
                except KeelError as exc:
                    QMessageBox.warning(self._window, "Nothing was restored", str(exc))
                    return False
        except KeelError as exc:
            QMessageBox.warning(self._window, "This backup cannot be restored", str(exc))
            return False
        self.data_replaced.emit()
        self.update_status()
        QMessageBox.information(self._window, "Restored", result.summary())
        return True

    def check(self) -> None:
        from app.services.integrity import check_database

        report = check_database(self._ctx.db_path)
        title = "Database check: no problems" if report.ok else "Database check: problems found"
        from ui.data_dialogs import ReportDialog

        dialog = ReportDialog(title, "\n".join(report.lines()), self._window)
        dialog.exec()
