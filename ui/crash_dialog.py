"""The crash dialog: a friendly apology, the report in a read-only box, and a way to copy it.

Shown by ``ui.crash.handle_exception``, which imports it only when a bug has happened.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
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

from ui.widgets.focus import set_tab_order


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
        self.log_label.setAccessibleDescription("Log file location")

        self.copy_button = QPushButton("&Copy report")
        self.copy_button.setAccessibleName("Copy report")
        self.copy_button.clicked.connect(self.copy_report)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName("Close")
        self.copied_label = QLabel("")
        self.copied_label.setAccessibleDescription("Copy status")

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
