"""Encryption at rest in the window: the Data menu's *Encrypt this database…*, *Change
passphrase…*, *New recovery key…*, *Remove encryption…* and *Lock Keel* (Ctrl+L), the offer
made when a database is new, and the status-bar reminder while it is not encrypted.

Each conversion closes the window's connection, lets ``app.services.encryption`` build, verify
and swap in the converted copy, then reopens the same handle on the converted file: every
screen and open form carries on, and nothing typed is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QMessageBox

from app.errors import KeelError
from app.services import encryption
from ui.context import AppContext
from ui.tasks import running_tasks

log = logging.getLogger(__name__)
T = TypeVar("T")

GONE_WARNING = (
    "Without the passphrase <b>and</b> the recovery key the data cannot be recovered by "
    "anyone — not IT, not Keel's makers."
)


class EncryptionActions(QObject):
    """The encryption actions and the lock of one main window."""

    changed = Signal()  # the database was encrypted, decrypted or re-keyed

    def __init__(
        self,
        ctx: AppContext,
        window: QMainWindow,
        *,
        file_checked: Callable[[], bool],
        before_lock: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(window)
        self._ctx = ctx
        self._window = window
        self._file_checked = file_checked
        self.reminder = QLabel()
        self.reminder.setAccessibleDescription("Encryption")
        self.reminder.setTextFormat(Qt.TextFormat.RichText)
        self.reminder.setOpenExternalLinks(False)
        self.reminder.linkActivated.connect(lambda _link: self.encrypt())
        from ui.lock import LockController

        self.lock = LockController(
            window,
            ctx.db_path,
            lambda: ctx.encryption.lock_minutes(),
            before_lock=before_lock,
        )
        self.lock_action = QAction("&Lock Keel", window)
        self.lock_action.setShortcut(QKeySequence("Ctrl+L"))
        self.lock_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.lock_action.triggered.connect(self.lock_now)
        window.addAction(self.lock_action)
        self.encrypt_action = QAction("Encrypt this &database…", window)
        self.encrypt_action.triggered.connect(self.encrypt)
        self.change_action = QAction("Change the &passphrase…", window)
        self.change_action.triggered.connect(self.change_passphrase)
        self.recovery_action = QAction("New &recovery key…", window)
        self.recovery_action.triggered.connect(self.new_recovery_key)
        self.remove_action = QAction("Remove encr&yption…", window)
        self.remove_action.triggered.connect(self.remove)
        self.update()

    @property
    def encrypted(self) -> bool:
        return encryption.encryption_status(self._ctx.db_path)

    def build_menu(self, menu: QMenu) -> None:
        menu.addSeparator()
        for action in (
            self.encrypt_action,
            self.change_action,
            self.recovery_action,
            self.remove_action,
        ):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.lock_action)

    def update(self) -> None:
        on = self.encrypted
        self.encrypt_action.setEnabled(not on)
        for action in (self.change_action, self.recovery_action, self.remove_action):
            action.setEnabled(on)
        if on:
            self.reminder.setText("Encrypted · Ctrl+L locks")
            self.reminder.setToolTip(
                "This database is encrypted. Ctrl+L locks Keel; it also locks itself after "
                "the idle minutes set in the policy."
            )
            self.reminder.setStyleSheet("")
        else:
            self.reminder.setText('⚠ Not encrypted — <a href="encrypt">Encrypt…</a>')
            self.reminder.setToolTip(
                "Anyone who copies this database file can read it. Data → Encrypt this "
                "database… protects it with a passphrase."
            )
            self.reminder.setStyleSheet("color: #7a1010;")

    # First run ------------------------------------------------------------------------------

    def offer(self) -> bool:
        """The offer made once, when Keel has just created this database. True if encrypted."""
        box = QMessageBox(self._window)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Protect this database with a passphrase?")
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(
            "<b>Encrypt this new database (recommended).</b><br><br>Keel will keep staff "
            "wellbeing, sickness and safeguarding notes in it. Encrypted, the file cannot be "
            "read without its passphrase if the laptop is lost or the file is copied, and Keel "
            "locks itself when you step away."
        )
        box.setInformativeText(
            "You choose a passphrase and receive a recovery key to print and lock away. "
            + GONE_WARNING
        )
        encrypt = box.addButton("Encrypt…", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(encrypt)
        box.exec()
        if box.clickedButton() is encrypt:
            return self.encrypt()
        self._window.statusBar().showMessage(
            "Not encrypted. You can encrypt it at any time: Data → Encrypt this database…", 15000
        )
        return False

    # Conversions ----------------------------------------------------------------------------

    def _convert(self, doing: str, work: Callable[[], T]) -> T | None:
        if running_tasks():
            QMessageBox.information(
                self._window, "Keel is busy", "Wait for the task in progress to finish first."
            )
            return None
        if not self._file_checked():
            return None
        self._window.statusBar().showMessage(doing)
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self._ctx.encryption.suspend()
            try:
                return work()
            finally:
                self._ctx.encryption.reopen(self._ctx.db_path)
        except KeelError as exc:
            QGuiApplication.restoreOverrideCursor()
            QMessageBox.warning(self._window, "Nothing was changed", str(exc))
            return None
        finally:
            if QGuiApplication.overrideCursor() is not None:
                QGuiApplication.restoreOverrideCursor()
            self._window.statusBar().clearMessage()
            self.update()
            self.changed.emit()

    def encrypt(self) -> bool:
        if self.encrypted:
            return True
        from ui.encryption_dialogs import NewPassphraseDialog

        dialog = NewPassphraseDialog(
            "Encrypt this database",
            "Choose a passphrase for <b>"
            + _escape(self._ctx.db_path.name)
            + "</b>: 12 characters or more, or four words or more. Keel asks for it when it "
            "starts and when it is locked (Ctrl+L, or after the idle minutes set in the "
            "policy).<br><br>You will then receive a <b>recovery key</b> to print and lock "
            "away. " + GONE_WARNING,
            self._window,
            ok_text="Encrypt",
        )
        if not dialog.exec():
            return False
        passphrase = dialog.passphrase()
        recovery = self._convert(
            "Encrypting the database…",
            lambda: encryption.encrypt_database(self._ctx.db_path, passphrase),
        )
        if recovery is None:
            return False
        self.show_recovery_key(recovery)
        old = _unencrypted_backups_note(self._ctx)
        QMessageBox.information(
            self._window,
            "The database is encrypted",
            "The database is encrypted; its backups from now on are encrypted too." + old,
        )
        return True

    def show_recovery_key(self, recovery: str) -> None:
        from ui.encryption_dialogs import RecoveryKeyDialog

        service = _service_name(self._ctx)
        dialog = RecoveryKeyDialog(
            recovery,
            lambda path: encryption.recovery_sheet(self._ctx.db_path, path, service),
            self._window,
            default_folder=self._ctx.backups.backup_folder(),
        )
        dialog.exec()

    def change_passphrase(self) -> None:
        from ui.encryption_dialogs import NewPassphraseDialog

        if not self._confirm_current():
            return
        dialog = NewPassphraseDialog(
            "Change the passphrase",
            "Choose the new passphrase. The recovery key stays the same.",
            self._window,
            ok_text="Change",
        )
        if not dialog.exec():
            return
        passphrase = dialog.passphrase()
        try:
            encryption.change_passphrase(self._ctx.db_path, passphrase)
        except KeelError as exc:
            QMessageBox.warning(self._window, "The passphrase was not changed", str(exc))
            return
        self._window.statusBar().showMessage("The passphrase was changed.", 10000)

    def new_recovery_key(self) -> None:
        from ui.encryption_dialogs import NewPassphraseDialog

        if not self._confirm_current():
            return
        dialog = NewPassphraseDialog(
            "New recovery key",
            "Keel re-encrypts the database with a new key: the old recovery key (and its "
            "sheet) will no longer open it. Choose the passphrase to use from now on (it may be "
            "the same as now).",
            self._window,
            ok_text="Re-encrypt",
        )
        if not dialog.exec():
            return
        passphrase = dialog.passphrase()
        recovery = self._convert(
            "Re-encrypting the database…",
            lambda: encryption.new_recovery_key(self._ctx.db_path, passphrase),
        )
        if recovery is not None:
            self.show_recovery_key(recovery)

    def remove(self) -> None:
        if not self._confirm_current():
            return
        answer = QMessageBox.warning(
            self._window,
            "Remove encryption?",
            "Without encryption anyone who copies the database file can read every record, "
            "and Keel no longer locks itself. Its backups from now on are not encrypted "
            "either.\n\nRemove the encryption?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return

        def decrypt() -> bool:
            encryption.decrypt_database(self._ctx.db_path)
            return True

        if self._convert("Removing the encryption…", decrypt):
            self._window.statusBar().showMessage("The database is no longer encrypted.", 10000)

    def _confirm_current(self) -> bool:
        """The current passphrase, asked before changing anything about the encryption."""
        from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout

        from ui.encryption_dialogs import PassphrasePrompt

        dialog = QDialog(self._window)
        dialog.setWindowTitle("The current passphrase")
        prompt = PassphrasePrompt(
            lambda p: encryption.verify_passphrase(self._ctx.db_path, p), dialog, button="OK"
        )
        prompt.accepted.connect(dialog.accept)
        layout = QVBoxLayout(dialog)
        layout.addWidget(QLabel("Type the database's current passphrase:"))
        layout.addWidget(prompt)
        return bool(dialog.exec())

    # The lock -------------------------------------------------------------------------------

    def lock_now(self) -> None:
        if self.lock.lock():
            return
        box = QMessageBox(self._window)
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle("The lock needs encryption")
        box.setText(
            "Keel can lock itself only when its database is encrypted: otherwise anyone at this "
            "laptop could simply open the file with another program."
        )
        box.setInformativeText("Encrypt this database now?")
        encrypt = box.addButton("Encrypt…", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        if box.clickedButton() is encrypt and self.encrypt():
            self.lock.lock()


def _service_name(ctx: AppContext) -> str:
    try:
        return ctx.encryption.service_name()
    except (KeelError, ValueError):
        return "Keel"


def _unencrypted_backups_note(ctx: AppContext) -> str:
    from app.services.backup_files import list_backups

    folder = ctx.backups.backup_folder()
    plain = [p for p in list_backups(folder) if p.suffix == ".db"]
    if not plain:
        return ""
    return (
        f"\n\n{len(plain)} earlier backup(s) in {folder} are not encrypted: delete them, or "
        "keep them somewhere as safe as the laptop."
    )


def _escape(value: str) -> str:
    from html import escape

    return escape(value)
