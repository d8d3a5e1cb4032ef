"""Dialogs of encryption at rest: the passphrase asked at start and by the lock (attempts after
the third are delayed), a new passphrase (rules, strength, a generator), the recovery key shown
once (with its recovery sheet), and the recovery key typed to set a new passphrase.

The work is done by ``app.services.encryption``; these only ask and show.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import KeelError, RecoveryKeyFormatError, WrongPassphraseError
from app.services import encryption

FREE_ATTEMPTS = 3
MAX_DELAY_S = 30


def delay_after(failures: int) -> int:
    """Seconds to wait before the next attempt: none for the first three, then 2, 4, 8 … 30."""
    if failures < FREE_ATTEMPTS:
        return 0
    return int(min(MAX_DELAY_S, 2 ** (failures - FREE_ATTEMPTS + 1)))


class PassphrasePrompt(QWidget):
    """A passphrase field and an Unlock button. ``check(passphrase)`` raises
    ``WrongPassphraseError`` for a wrong one; after the third wrong attempt each next one waits
    (the button and field are disabled, with a countdown)."""

    accepted = Signal()

    def __init__(
        self, check: Callable[[str], None], parent: QWidget | None = None, *, button: str = "Unlock"
    ) -> None:
        super().__init__(parent)
        self._check = check
        self.failures = 0
        self._ready_at = 0.0
        self.field = QLineEdit()
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setAccessibleName("Passphrase")
        self.field.setPlaceholderText("Passphrase")
        self.field.setMinimumWidth(320)
        self.button = QPushButton(button)
        self.button.setDefault(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleDescription("Passphrase message")
        self.message.setStyleSheet("color: #8a1010;")
        row = QHBoxLayout()
        row.addWidget(self.field, 1)
        row.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.message)
        self.button.clicked.connect(self.submit)
        self.field.returnPressed.connect(self.submit)
        self._timer = QTimer(self)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self._tick)

    def submit(self) -> None:
        if time.monotonic() < self._ready_at:
            return
        typed = self.field.text()
        if not typed:
            self.message.setText("Type the passphrase.")
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self._check(typed)
        except WrongPassphraseError:
            self.failures += 1
            self.field.clear()
            wait = delay_after(self.failures)
            self.message.setText(f"The passphrase is wrong ({self.failures} wrong so far).")
            if wait:
                self._ready_at = time.monotonic() + wait
                self._set_waiting(True)
                self._tick()
                self._timer.start()
            return
        except KeelError as exc:
            self.message.setText(str(exc))
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.field.clear()
        self.failures = 0
        self.message.clear()
        self.accepted.emit()

    def _set_waiting(self, waiting: bool) -> None:
        self.field.setEnabled(not waiting)
        self.button.setEnabled(not waiting)

    def _tick(self) -> None:
        left = self._ready_at - time.monotonic()
        if left <= 0:
            self._timer.stop()
            self._set_waiting(False)
            self.message.setText(f"The passphrase was wrong {self.failures} times. Try again.")
            self.field.setFocus()
            return
        self.message.setText(
            f"The passphrase was wrong {self.failures} times. Wait {int(left) + 1} s before "
            "the next try."
        )


class UnlockDialog(QDialog):
    """Asked at start for an encrypted database: its passphrase, or its recovery key."""

    def __init__(self, db_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db_path = db_path
        self.setWindowTitle("Keel — encrypted database")
        title = QLabel(f"<b>{_escape(db_path.name)}</b> is encrypted.")
        hint = QLabel("Type its passphrase to open it.")
        self.prompt = PassphrasePrompt(lambda p: encryption.unlock(db_path, p), self)
        self.prompt.accepted.connect(self.accept)
        recovery = QPushButton("Use the recovery key…")
        recovery.setAutoDefault(False)
        recovery.clicked.connect(self._use_recovery_key)
        quit_button = QPushButton("Quit")
        quit_button.setAutoDefault(False)
        quit_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(recovery)
        buttons.addStretch(1)
        buttons.addWidget(quit_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addWidget(self.prompt)
        layout.addLayout(buttons)
        self.prompt.field.setFocus()

    def _use_recovery_key(self) -> None:
        dialog = RecoveryUnlockDialog(self.db_path, self)
        if dialog.exec():
            self.accept()


class NewPassphraseDialog(QDialog):
    """A new passphrase, typed twice: the rules (12 characters, or four words), its strength,
    and a generator. ``warning`` is shown above (what encrypting means)."""

    def __init__(
        self, title: str, intro: str, parent: QWidget | None = None, *, ok_text: str = "OK"
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        text = QLabel(intro)
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        self.first = QLineEdit()
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        self.first.setAccessibleName("New passphrase")
        self.second = QLineEdit()
        self.second.setEchoMode(QLineEdit.EchoMode.Password)
        self.second.setAccessibleName("New passphrase again")
        self.show_box = QCheckBox("Show")
        self.show_box.toggled.connect(self._show)
        generate = QPushButton("Suggest a passphrase")
        generate.setAutoDefault(False)
        generate.clicked.connect(self.suggest)
        self.meter = QProgressBar()
        self.meter.setRange(0, 4)
        self.meter.setTextVisible(False)
        self.meter.setMaximumHeight(8)
        self.meter.setAccessibleName("Passphrase strength")
        self.strength_label = QLabel()
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #8a1010;")
        form = QFormLayout()
        row = QHBoxLayout()
        row.addWidget(self.first, 1)
        row.addWidget(self.show_box)
        form.addRow("New passphrase:", row)
        form.addRow("Type it again:", self.second)
        strength_row = QHBoxLayout()
        strength_row.addWidget(self.meter, 1)
        strength_row.addWidget(self.strength_label)
        form.addRow("Strength:", strength_row)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(ok_text)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(form)
        layout.addWidget(generate, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.first.textChanged.connect(self._update)
        self.second.textChanged.connect(self._update)
        self._update()

    def _show(self, on: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password
        self.first.setEchoMode(mode)
        self.second.setEchoMode(mode)

    def suggest(self) -> None:
        words = encryption.generate_passphrase()
        self.first.setText(words)
        self.second.setText(words)
        self.show_box.setChecked(True)

    def _update(self) -> None:
        first, second = self.first.text(), self.second.text()
        guess = encryption.strength(first)
        self.meter.setValue(guess.score if first else 0)
        self.strength_label.setText(guess.label if first else "")
        colour = ("#b00020", "#c05000", "#a08000", "#2e7d32", "#1b5e20")[guess.score]
        self.meter.setStyleSheet(f"QProgressBar::chunk {{ background: {colour}; }}")
        problem = encryption.passphrase_problem(first) if first else None
        if problem is None and second and first != second:
            problem = "The two passphrases differ."
        self.problem.setText(problem or "")
        self.ok.setEnabled(bool(first) and problem is None and first == second)

    def passphrase(self) -> str:
        return self.first.text()


class RecoveryKeyDialog(QDialog):
    """The recovery key, shown once: copy it, save the recovery sheet (PDF), and confirm it is
    kept before closing."""

    def __init__(
        self,
        recovery_key: str,
        save_sheet: Callable[[Path], Path],
        parent: QWidget | None = None,
        *,
        default_folder: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Your recovery key")
        self.setMinimumWidth(620)
        self._save_sheet = save_sheet
        self._folder = default_folder or Path.home()
        self.saved_to: Path | None = None
        intro = QLabel(
            "This is the database's <b>recovery key</b>. It opens the database if the "
            "passphrase is forgotten or its key file is lost. Keel shows it <b>only now</b>: "
            "save the recovery sheet and print it, or write the key down, and lock it away."
        )
        intro.setWordWrap(True)
        groups = recovery_key.split("-")
        half = (len(groups) + 1) // 2
        shown = "  ".join(groups[:half]) + "\n" + "  ".join(groups[half:])
        self.key_label = QLabel(shown)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSize(mono.pointSize() + 5)
        mono.setWeight(QFont.Weight.Bold)
        self.key_label.setFont(mono)
        self.key_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.key_label.setAccessibleDescription("Recovery key")
        self.key_label.setStyleSheet(
            "QLabel { background: #f4f4f4; border: 1px solid #888; padding: 12px; }"
        )
        save = QPushButton("Save the recovery sheet (PDF)…")
        save.clicked.connect(self._save)
        copy = QPushButton("Copy")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(recovery_key))
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.kept = QCheckBox("I have saved, printed or written down the recovery key")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.close_button = self.buttons.button(QDialogButtonBox.StandardButton.Close)
        self.close_button.setEnabled(False)
        self.kept.toggled.connect(self.close_button.setEnabled)
        self.buttons.rejected.connect(self.accept)
        row = QHBoxLayout()
        row.addWidget(save)
        row.addWidget(copy)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.key_label)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.kept)
        layout.addWidget(self.buttons)

    def _save(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(
            self,
            "Save the recovery sheet",
            str(self._folder / "Keel recovery sheet.pdf"),
            "PDF (*.pdf)",
        )
        if chosen:
            self.save_to(Path(chosen))

    def save_to(self, path: Path) -> None:
        try:
            self.saved_to = self._save_sheet(path)
        except (KeelError, OSError) as exc:
            QMessageBox.warning(self, "Recovery sheet", f"The sheet was not saved: {exc}")
            return
        self.status.setText(
            f"Saved to {self.saved_to}. Print it, then delete the file (or keep it only on a "
            "USB stick that is locked away)."
        )

    def reject(self) -> None:  # Escape: only once the key is kept
        if self.kept.isChecked():
            super().reject()


class RecoveryKeyForm(QWidget):
    """The recovery key typed in, and a new passphrase typed twice: on ``submit()`` the key
    file is written anew (``encryption.unlock_with_recovery_key``) and ``accepted`` is emitted;
    a wrong key or passphrase is said under the fields. Used at start-up
    (:class:`RecoveryUnlockDialog`) and on the lock screen, the same way."""

    accepted = Signal()

    def __init__(self, db_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db_path = db_path
        intro = QLabel(
            "Type the recovery key from the recovery sheet (capitals or not, with dashes or "
            "spaces), then choose a new passphrase."
        )
        intro.setWordWrap(True)
        self.key = QLineEdit()
        self.key.setAccessibleName("Recovery key")
        self.key.setPlaceholderText("XXXX-XXXX-XXXX-…")
        self.new = NewPassphraseDialog("", "", self)
        self.new.hide()  # only its fields, rules and strength are used, in this form
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleDescription("Recovery key message")
        self.message.setStyleSheet("color: #8a1010;")
        form = QFormLayout()
        form.addRow("Recovery key:", self.key)
        form.addRow("New passphrase:", self.new.first)
        form.addRow("Type it again:", self.new.second)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.new.problem)
        layout.addWidget(self.message)

    def submit(self) -> None:
        first, second = self.new.first.text(), self.new.second.text()
        if first != second:
            self.message.setText("The two passphrases differ.")
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            encryption.unlock_with_recovery_key(self.db_path, self.key.text(), first)
        except (RecoveryKeyFormatError, WrongPassphraseError, KeelError) as exc:
            self.message.setText(str(exc))
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.key.clear()
        self.new.first.clear()
        self.new.second.clear()
        self.message.clear()
        self.accepted.emit()


class RecoveryUnlockDialog(QDialog):
    """Start-up: the recovery key typed in, and a new passphrase (:class:`RecoveryKeyForm`)."""

    def __init__(self, db_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db_path = db_path
        self.setWindowTitle("Open with the recovery key")
        self.setMinimumWidth(560)
        self.form = RecoveryKeyForm(db_path, self)
        self.form.accepted.connect(self.accept)
        self.key, self.new, self.message = self.form.key, self.form.new, self.form.message
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(buttons)

    def _submit(self) -> None:
        self.form.submit()


def _escape(value: str) -> str:
    from html import escape

    return escape(value)
