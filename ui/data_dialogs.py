"""The Data menu's dialogs: the passphrase of an encrypted backup, and a copyable report.

Imported when one is needed (by ``ui.data_actions``, and when a damaged database is restored
at start-up), not to show the main window.
"""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)


def ask_passphrase(parent: QWidget, *, confirm: bool) -> str | None:
    """A passphrase typed twice (for a new encrypted backup) or once (to open one)."""
    first, ok = QInputDialog.getText(
        parent,
        "Passphrase",
        "Passphrase for the encrypted backup (at least 8 characters).\n"
        "Keep it safe: without it the backup cannot be opened."
        if confirm
        else "Passphrase of this encrypted backup:",
        QLineEdit.EchoMode.Password,
    )
    if not ok or not first:
        return None
    if not confirm:
        return first
    if len(first) < 8:
        QMessageBox.warning(parent, "Passphrase", "Use at least 8 characters.")
        return None
    second, ok = QInputDialog.getText(
        parent, "Passphrase", "Type the passphrase again:", QLineEdit.EchoMode.Password
    )
    if not ok:
        return None
    if second != first:
        QMessageBox.warning(parent, "Passphrase", "The two passphrases differ. Nothing was done.")
        return None
    return first


class ReportDialog(QDialog):
    """A read-only, copyable report (the result of a check)."""

    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(720, 420)
        self.text = QPlainTextEdit(text)
        self.text.setReadOnly(True)
        self.text.setAccessibleName(title)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton("Copy", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(text))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
