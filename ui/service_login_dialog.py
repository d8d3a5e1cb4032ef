"""The dialog that asks for a service URL and its password (publishing, the service view)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.errors import UsageError
from app.server.target import ServiceTarget, parse_target
from app.services import service_login


class LoginDialog(QDialog):
    """A service URL and its password. A URL pasted with its password in it (as `keel service
    add-team` prints it) is split: the password moves to the password field."""

    def __init__(
        self,
        parent: QWidget | None,
        *,
        title: str,
        intro: str,
        url: str | None,
        action: str,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        text = QLabel(intro)
        text.setWordWrap(True)
        layout.addWidget(text)
        form = QFormLayout()
        self.url_edit = QLineEdit(url or "")
        self.url_edit.setPlaceholderText("postgresql://LOGIN@SERVER:5432/DATABASE")
        self.url_edit.setAccessibleName("Service URL")
        self.url_edit.editingFinished.connect(self._split_password)
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setAccessibleName("Password")
        form.addRow("Service &URL:", self.url_edit)
        form.addRow("&Password:", self.password_edit)
        layout.addLayout(form)
        self.has_keyring = service_login.keyring_available()
        self.remember = QCheckBox("&Keep the password in this computer's keyring")
        self.remember.setChecked(self.has_keyring)
        self.remember.setEnabled(self.has_keyring)
        layout.addWidget(self.remember)
        note = (
            "The password is kept only in the operating system's keyring, never in Keel's "
            "database or settings."
            if self.has_keyring
            else "This computer has no keyring: Keel keeps the password until it closes and "
            "asks again next time."
        )
        self.note = QLabel(note)
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #555;")
        layout.addWidget(self.note)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #7a1010;")
        self.error.setAccessibleName("Problem")
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(action)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.target: ServiceTarget | None = None
        if url:
            self._split_password()
            self.password_edit.setFocus()

    def _split_password(self) -> None:
        text = self.url_edit.text().strip()
        try:
            target = parse_target(text)
        except UsageError:
            return
        if target.url_password:
            self.url_edit.setText(target.url_without_password())
            self.password_edit.setText(target.url_password)
        elif not self.password_edit.text():
            kept = service_login.keyring_password(target)
            if kept:
                self.password_edit.setText(kept)

    def _accept(self) -> None:
        self._split_password()
        try:
            self.target = parse_target(self.url_edit.text())
        except UsageError as exc:
            self.error.setText(str(exc))
            self.error.show()
            self.url_edit.setFocus()
            return
        self.accept()

    @property
    def password(self) -> str:
        return self.password_edit.text()
