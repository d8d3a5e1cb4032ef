"""Encryption at rest in the window: the Data menu's *Encrypt this database…*, *Change
passphrase…*, *New recovery key…*, *Remove encryption…* and *Lock Keel* (Ctrl+L), the offer
made when a database is new, and the status-bar reminder while it is not encrypted.

Each conversion closes the window's connection, lets ``app.services.encryption`` build, verify
and swap in the converted copy on a worker thread (``ui.tasks.run_task``, an exclusive task: its
progress dialog is modal to every window, and the window keeps painting and answering), then
reopens the same handle on the converted file: every screen and open form carries on, and
nothing typed is lost. Changing the passphrase (a key derivation and the key file) runs on the
runner too.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QMessageBox

from app.errors import KeelError
from app.services import encryption
from ui.context import AppContext
from ui.tasks import ProgressFn, TaskHandle, run_task, running_tasks

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
        self.lock.recovered.connect(
            lambda: window.statusBar().showMessage(
                "Unlocked with the recovery key. The new passphrase opens the database from now "
                "on; the recovery key stays the same.",
                20000,
            )
        )
        self.lock_action = QAction("&Lock Keel", window)
        self.lock_action.setShortcut(QKeySequence("Ctrl+L"))
        self.lock_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.lock_action.triggered.connect(self.lock_now)
        window.addAction(self.lock_action)
        self.encrypt_action = QAction("Encrypt this &database…", window)
        self.encrypt_action.triggered.connect(lambda _checked=False: self.encrypt())
        self.change_action = QAction("Change the &passphrase…", window)
        self.change_action.triggered.connect(self.change_passphrase)
        self.recovery_action = QAction("New &recovery key…", window)
        self.recovery_action.triggered.connect(self.new_recovery_key)
        self.remove_action = QAction("Remove encr&yption…", window)
        self.remove_action.triggered.connect(self.remove)
        self.converting = False
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
        self.encrypt_action.setEnabled(not on and not self.converting)
        for action in (self.change_action, self.recovery_action, self.remove_action):
            action.setEnabled(on and not self.converting)
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
        """The offer made once, when Keel has just created this database. True if encrypting
        started (it runs in the background)."""
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

    def _convert(
        self,
        doing: str,
        work: Callable[[ProgressFn], T],
        done: Callable[[T], None],
        *,
        suspend: bool = True,
        failed_title: str = "Nothing was changed",
    ) -> TaskHandle[T] | None:
        """Run ``work(progress)`` through the one background runner, never on the GUI thread;
        ``done(result)`` on the GUI thread once the window has its database again. With
        ``suspend`` (a conversion of the file) the window's connection is closed first and
        reopened on the converted file afterwards. None when it could not start."""
        if running_tasks():
            QMessageBox.information(
                self._window, "Keel is busy", "Wait for the task in progress to finish first."
            )
            return None
        if not self._file_checked():
            return None
        if suspend:
            self._ctx.encryption.suspend()
        self._set_converting(True)
        self._window.statusBar().showMessage(doing)

        def finish() -> bool:
            """The window gets its database back; False (said) when it cannot."""
            self._set_converting(False)
            self._window.statusBar().clearMessage()
            if suspend:
                try:
                    self._ctx.encryption.reopen(self._ctx.db_path)
                except KeelError as exc:
                    QMessageBox.critical(
                        self._window,
                        "Keel cannot reopen the database",
                        f"{exc}\n\nClose Keel and open it again.",
                    )
                    return False
            self.update()
            self.changed.emit()
            return True

        def succeeded(result: T) -> None:
            if finish():
                done(result)

        def failed(exc: BaseException) -> None:
            if not finish():
                return
            if isinstance(exc, KeelError):
                log.warning("%s failed: %s", doing, type(exc).__name__)
                QMessageBox.warning(self._window, failed_title, str(exc))
            else:
                sys.excepthook(type(exc), exc, exc.__traceback__)

        return run_task(
            self._window,
            doing,
            lambda _db, progress, _cancelled: work(progress),
            db_path=None,  # the work opens the file itself, once the window has let go of it
            on_success=succeeded,
            on_failure=failed,
            cancellable=False,  # a conversion ends with an atomic swap: it is never half done
            exclusive=True,
            progress_words=lambda d, t: f"{d * 100 // max(t, 1)}%",
        )

    def _set_converting(self, on: bool) -> None:
        self.converting = on
        self.lock.paused = on  # the idle lock waits: the conversion has the database
        if on:
            for action in self._actions():
                action.setEnabled(False)
            self.lock_action.setEnabled(False)
        else:
            self.lock_action.setEnabled(True)

    def _actions(self) -> list[QAction]:
        return [self.encrypt_action, self.change_action, self.recovery_action, self.remove_action]

    def encrypt(self, then: Callable[[], Any] | None = None) -> bool:
        """Ask for a passphrase and start encrypting; ``then`` runs once it is encrypted.
        False when nothing was started."""
        if self.encrypted:
            if then is not None:
                then()
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
        path = self._ctx.db_path

        def encrypted(recovery: str) -> None:
            self.show_recovery_key(recovery)
            old = _unencrypted_backups_note(self._ctx)
            QMessageBox.information(
                self._window,
                "The database is encrypted",
                "The database is encrypted; its backups from now on are encrypted too." + old,
            )
            if then is not None:
                then()

        started = self._convert(
            "Encrypting the database…",
            lambda progress: encryption.encrypt_database(path, passphrase, progress=progress),
            encrypted,
        )
        return started is not None

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
        path = self._ctx.db_path
        self._convert(
            "Changing the passphrase…",
            lambda _progress: encryption.change_passphrase(path, passphrase),
            lambda _result: self._window.statusBar().showMessage(
                "The passphrase was changed.", 10000
            ),
            suspend=False,  # only the key file changes: the database stays open
            failed_title="The passphrase was not changed",
        )

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
        path = self._ctx.db_path
        self._convert(
            "Re-encrypting the database…",
            lambda progress: encryption.new_recovery_key(path, passphrase, progress=progress),
            self.show_recovery_key,
        )

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
        path = self._ctx.db_path
        self._convert(
            "Removing the encryption…",
            lambda progress: encryption.decrypt_database(path, progress=progress),
            lambda _result: self._window.statusBar().showMessage(
                "The database is no longer encrypted.", 10000
            ),
        )

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
        if box.clickedButton() is encrypt:
            self.encrypt(then=self.lock.lock)


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
