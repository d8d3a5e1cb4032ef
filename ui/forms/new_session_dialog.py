"""Ctrl+N: choose who and which type of supervision to record."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QWidget,
)

from app.domain.model import TypeKey
from ui.context import AppContext


class NewSessionDialog(QDialog):
    """A small chooser: supervisee (or the first attendee of a group) and the type."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New session")
        self.worker_combo = QComboBox()
        self.worker_combo.setAccessibleName("Supervisee")
        for worker in ctx.workers.all():
            label = f"{worker.name} — {worker.team}" if worker.team else worker.name
            self.worker_combo.addItem(label, worker.id)
        self.type_combo = QComboBox()
        self.type_combo.setAccessibleName("Supervision type")
        for spec in ctx.catalogue.active:
            self.type_combo.addItem(spec.name, spec.key)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Open form")
        ok.setEnabled(self.worker_combo.count() > 0)
        layout = QFormLayout(self)
        layout.addRow("&Supervisee", self.worker_combo)
        layout.addRow("&Type", self.type_combo)
        layout.addRow(buttons)

    def choice(self) -> tuple[str, TypeKey]:
        return str(self.worker_combo.currentData()), str(self.type_combo.currentData())
