"""A QA reviewer countersigns a signed record, with comments (issue 16).

The reviewer is chosen from the QA reviewers in post; one who supervised the session, or was
supervised in it, is listed but cannot countersign, and the dialog says why in words. The
countersignature is written through ``QaService`` (its own evidence: the record itself and its
fingerprint do not change).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.qa import Countersignature
from app.errors import KeelError, UsageError
from app.services.qa import Candidate
from ui.context import AppContext
from ui.forms.signoff_dialogs import heading_label, plain_label
from ui.widgets.focus import set_tab_order

CONFIRMATION = "I have reviewed this signed record and countersign it with these comments"
NO_REVIEWERS = (
    "Nobody is marked as a QA reviewer yet. A manager is marked as one in their worker details "
    "(Workers → Edit → QA reviewer); then they can countersign records."
)


class CountersignDialog(QDialog):
    """Choose the QA reviewer, write the comments, confirm, countersign."""

    def __init__(
        self, ctx: AppContext, session_id: str, *, title: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._session_id = session_id
        self.countersignature: Countersignature | None = None
        self.setWindowTitle("Countersign for quality assurance")
        self.setAccessibleName("Countersign for quality assurance")
        self.setMinimumWidth(600)
        self._candidates: list[Candidate] = ctx.qa.candidates(session_id)
        heading = heading_label(title, name="Record")
        intro = plain_label(
            "A QA reviewer samples signed records and countersigns them with comments. The "
            "countersignature is kept as evidence of its own, with its own fingerprint that "
            "names this record's; the record and its printed fingerprint do not change. The "
            "record's own supervisor and supervisees cannot countersign it.",
            name="About countersigning",
        )
        self.reviewer = QComboBox()
        self.reviewer.setAccessibleName("QA reviewer")
        self.reviewer.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.reviewer.setMinimumContentsLength(30)
        for c in self._candidates:
            role = f", {c.worker.role}" if c.worker.role else ""
            suffix = " — cannot countersign this record" if c.refusal else ""
            self.reviewer.addItem(f"{c.worker.name}{role}{suffix}", c.worker.id)
        self.why_not = plain_label(name="Why this reviewer cannot countersign")
        self.why_not.setStyleSheet(
            "background: #fde7b0; color: #5c3d00; border: 1px solid #e0b54a;"
            " border-radius: 4px; padding: 6px;"
        )
        self.comments = QPlainTextEdit()
        self.comments.setAccessibleName("QA comments")
        self.comments.setPlaceholderText(
            "What the review found: is the record clear, are decisions reasoned, risks followed "
            "up, actions specific?"
        )
        self.comments.setTabChangesFocus(True)
        self.comments.setFixedHeight(self.comments.fontMetrics().lineSpacing() * 6 + 14)
        self.confirm = QCheckBox(CONFIRMATION)
        self.confirm.setAccessibleName(CONFIRMATION)
        form = QFormLayout()
        for text, field in (("QA &reviewer:", self.reviewer), ("&Comments:", self.comments)):
            label = QLabel(text)
            label.setBuddy(field)
            form.addRow(label, field)
        self.buttons = QDialogButtonBox()
        self.countersign_button = self.buttons.addButton(
            "Countersign", QDialogButtonBox.ButtonRole.AcceptRole
        )
        assert isinstance(self.countersign_button, QPushButton)
        self.countersign_button.setAccessibleName("Countersign")
        self.countersign_button.setAutoDefault(False)
        cancel = self.buttons.addButton("Cancel", QDialogButtonBox.ButtonRole.RejectRole)
        cancel.setAccessibleName("Cancel")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.why_not)
        layout.addWidget(self.confirm)
        layout.addWidget(self.buttons)
        set_tab_order(self.reviewer, self.comments, self.confirm, self.buttons)
        self.reviewer.currentIndexChanged.connect(self._update)
        self.confirm.toggled.connect(self._update)
        # The first reviewer who may countersign is chosen for a start.
        first = next((n for n, c in enumerate(self._candidates) if c.refusal is None), 0)
        self.reviewer.setCurrentIndex(first)
        self._update()
        self.reviewer.setFocus()

    def _chosen(self) -> Candidate | None:
        n = self.reviewer.currentIndex()
        return self._candidates[n] if 0 <= n < len(self._candidates) else None

    def _update(self) -> None:
        chosen = self._chosen()
        if chosen is None:
            reason: str | None = NO_REVIEWERS
        else:
            reason = chosen.refusal
        self.why_not.setText(reason or "")
        self.why_not.setVisible(bool(reason))
        self.countersign_button.setEnabled(reason is None and self.confirm.isChecked())
        if reason:
            tip = reason
        elif not self.confirm.isChecked():
            tip = "Tick the confirmation to countersign"
        else:
            tip = ""
        self.countersign_button.setToolTip(tip)

    def accept(self) -> None:
        chosen = self._chosen()
        if chosen is None:
            QMessageBox.information(self, "Not countersigned", NO_REVIEWERS)
            return
        if not self.confirm.isChecked():
            self.confirm.setFocus()
            QMessageBox.warning(self, "Not countersigned", "Tick the confirmation to countersign.")
            return
        try:
            self.countersignature = self._ctx.qa.countersign(
                self._session_id, chosen.worker.id, self.comments.toPlainText()
            )
        except UsageError as exc:
            QMessageBox.warning(self, "Not countersigned", str(exc))
            if "comments" in str(exc):
                self.comments.setFocus()
            return
        except KeelError as exc:
            QMessageBox.critical(self, "Not countersigned", f"The countersignature was not "
                                 f"saved: {exc}")  # fmt: skip
            return
        super().accept()
