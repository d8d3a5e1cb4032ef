"""Dialogs that add what moves a worker's due dates: leave, an override, a trigger event.

Each saves through ``WorkerService`` on OK, shows a message and stays open when something is
missing or wrong, and keeps what it saved in ``saved`` for the caller.
"""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.dates import uk
from app.domain.adjustment_rows import StoredLeave, StoredOverride, StoredTrigger
from app.domain.catalogue import Catalogue
from app.domain.model import LeaveKind, TriggerKind
from app.errors import KeelError
from ui.context import AppContext
from ui.models.worker_models import LEAVE_LABELS, TRIGGER_LABELS
from ui.widgets.dates import DateEdit
from ui.widgets.focus import set_tab_order


def _labelled(form: QFormLayout, text: str, field: QWidget | QHBoxLayout, buddy: QWidget) -> None:
    label = QLabel(text)
    label.setBuddy(buddy)
    form.addRow(label, field)


def _intro(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setStyleSheet("color: #444444;")
    return label


def _type_combo(name: str, catalogue: Catalogue) -> QComboBox:
    """The supervision types in use, by name (the policy's catalogue)."""
    combo = QComboBox()
    combo.setAccessibleName(name)
    for spec in catalogue.active:
        combo.addItem(spec.name, spec.key)
    return combo


def _note_edit(name: str) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setAccessibleName(name)
    edit.setTabChangesFocus(True)
    edit.setFixedHeight(64)
    return edit


class _AdjustmentDialog(QDialog):
    """Shared frame: a title, an intro, a form, Save/Cancel, and messages that keep it open."""

    def __init__(
        self,
        ctx: AppContext,
        worker_id: str,
        title: str,
        intro: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._worker_id = worker_id
        worker = ctx.workers.get(worker_id)
        name = worker.name if worker else "this worker"
        self.setWindowTitle(f"{title} — {name}")
        self.setMinimumWidth(460)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(_intro(intro))
        layout.addLayout(self.form)
        layout.addWidget(self.buttons)

    def _refuse(self, message: str, field: QWidget | None = None) -> None:
        QMessageBox.warning(self, "Not saved", message)
        if field is not None:
            field.setFocus()

    def _save(self) -> bool:
        raise NotImplementedError

    def accept(self) -> None:
        try:
            saved = self._save()
        except KeelError as exc:
            self._refuse(str(exc))
            return
        if saved:
            super().accept()


class LeaveDialog(_AdjustmentDialog):
    """Sickness, parental or other leave: the due-date clock stops while it lasts."""

    def __init__(self, ctx: AppContext, worker_id: str, parent: QWidget | None = None) -> None:
        super().__init__(
            ctx,
            worker_id,
            "Add leave",
            "The due-date clock stops during leave, and the worker shows as paused while on it.",
            parent,
        )
        self.saved: StoredLeave | None = None
        today = ctx.today()
        self.kind_combo = QComboBox()
        self.kind_combo.setAccessibleName("Kind of leave")
        for kind in LeaveKind:
            self.kind_combo.addItem(LEAVE_LABELS[kind.value], kind.value)
        self.start_edit = DateEdit(today)
        self.start_edit.setAccessibleName("Leave starts")
        self.end_edit = DateEdit(today + timedelta(days=13))
        self.end_edit.setAccessibleName("Leave ends")
        self.ongoing_check = QCheckBox("Still on leave (no end date yet)")
        self.ongoing_check.setAccessibleName("Still on leave")
        self.ongoing_check.toggled.connect(lambda on: self.end_edit.setEnabled(not on))
        self.note_edit = _note_edit("Leave note")
        self.note_edit.setPlaceholderText("Optional (no medical details are needed)")
        end_row = QHBoxLayout()
        end_row.addWidget(self.end_edit, 1)
        end_row.addWidget(self.ongoing_check)
        _labelled(self.form, "&Kind", self.kind_combo, self.kind_combo)
        _labelled(self.form, "&From", self.start_edit, self.start_edit)
        _labelled(self.form, "&To (last day)", end_row, self.end_edit)
        _labelled(self.form, "&Note", self.note_edit, self.note_edit)
        set_tab_order(
            self.kind_combo,
            self.start_edit,
            self.end_edit,
            self.ongoing_check,
            self.note_edit,
            self.buttons,
        )

    def _save(self) -> bool:
        start = self.start_edit.value()
        end = None if self.ongoing_check.isChecked() else self.end_edit.value()
        if end is not None and end < start:
            self._refuse(
                f"The leave ends ({uk(end)}) before it starts ({uk(start)}). "
                "Correct the dates, or tick “Still on leave”.",
                self.end_edit,
            )
            return False
        self.saved = self._ctx.workers.add_leave(
            self._worker_id,
            start,
            end,
            LeaveKind(self.kind_combo.currentData()),
            self.note_edit.toPlainText().strip(),
        )
        return True


class OverrideDialog(_AdjustmentDialog):
    """A per-type interval for this worker, with a reason and an expiry date (both required)."""

    def __init__(self, ctx: AppContext, worker_id: str, parent: QWidget | None = None) -> None:
        super().__init__(
            ctx,
            worker_id,
            "Add override",
            "An override replaces the tier's interval for one type of supervision until it "
            "expires. The new-starter limit still applies.",
            parent,
        )
        self.saved: StoredOverride | None = None
        today = ctx.today()
        self.type_combo = _type_combo("Override type", ctx.catalogue)
        self.interval_spin = QSpinBox()
        self.interval_spin.setRange(1, 365)
        self.interval_spin.setValue(14)
        self.interval_spin.setSuffix(" days")
        self.interval_spin.setAccessibleName("Interval in days")
        self.reason_edit = QLineEdit()
        self.reason_edit.setAccessibleName("Override reason")
        self.reason_edit.setPlaceholderText("Required, e.g. returning from a serious incident")
        self.expires_edit = DateEdit(today + timedelta(weeks=12))
        self.expires_edit.setAccessibleName("Override expires")
        self.expires_edit.setToolTip(
            "Required: the override ends on this date and the tier's interval resumes"
        )
        self.start_check = QCheckBox("From a later date")
        self.start_check.setAccessibleName("Override starts later")
        self.start_edit = DateEdit(today)
        self.start_edit.setAccessibleName("Override starts")
        self.start_edit.setEnabled(False)
        self.start_check.toggled.connect(self.start_edit.setEnabled)
        self.expires_hint = QLabel("then the tier's interval resumes")
        self.expires_hint.setStyleSheet("color: #555555;")
        expires_row = QHBoxLayout()
        expires_row.addWidget(self.expires_edit, 1)
        expires_row.addWidget(self.expires_hint)
        start_row = QHBoxLayout()
        start_row.addWidget(self.start_check)
        start_row.addWidget(self.start_edit, 1)
        _labelled(self.form, "&Type", self.type_combo, self.type_combo)
        _labelled(self.form, "&Every", self.interval_spin, self.interval_spin)
        _labelled(self.form, "&Reason", self.reason_edit, self.reason_edit)
        _labelled(self.form, "E&xpires on", expires_row, self.expires_edit)
        _labelled(self.form, "St&arts", start_row, self.start_check)
        set_tab_order(
            self.type_combo,
            self.interval_spin,
            self.reason_edit,
            self.expires_edit,
            self.start_check,
            self.start_edit,
            self.buttons,
        )

    def _save(self) -> bool:
        reason = self.reason_edit.text().strip()
        if not reason:
            self._refuse("Give a reason for the override: it is the evidence for the change.",
                         self.reason_edit)  # fmt: skip
            return False
        expires = self.expires_edit.value()
        starts = self.start_edit.value() if self.start_check.isChecked() else None
        if expires < (starts or self._ctx.today()):
            when = "it starts" if starts else "today, so it would never apply"
            self._refuse(
                f"The expiry date ({uk(expires)}) is before {when}. Pick a later expiry date.",
                self.expires_edit,
            )
            return False
        self.saved = self._ctx.workers.add_override(
            self._worker_id,
            str(self.type_combo.currentData()),
            self.interval_spin.value(),
            reason,
            expires,
            starts,
        )
        return True


class TriggerDialog(_AdjustmentDialog):
    """An event that makes a supervision of one type due within a response time."""

    def __init__(self, ctx: AppContext, worker_id: str, parent: QWidget | None = None) -> None:
        super().__init__(
            ctx,
            worker_id,
            "Add trigger event",
            "A trigger makes a supervision of the chosen type due within the response time. "
            "It closes itself when a session of that type is held on or after the event date.",
            parent,
        )
        self.saved: StoredTrigger | None = None
        self.kind_combo = QComboBox()
        self.kind_combo.setAccessibleName("Trigger kind")
        for kind in TriggerKind:
            self.kind_combo.addItem(TRIGGER_LABELS[kind], kind.value)
        self.date_edit = DateEdit(ctx.today())
        self.date_edit.setAccessibleName("Event date")
        self.type_combo = _type_combo("Supervision type needed", ctx.catalogue)
        self.days_spin = QSpinBox()
        self.days_spin.setRange(0, 90)
        self.days_spin.setSuffix(" days")
        self.days_spin.setAccessibleName("Response days")
        self.due_label = QLabel()
        self.due_label.setAccessibleDescription("Respond by")
        self.note_edit = _note_edit("Trigger note")
        self.note_edit.setPlaceholderText("What happened (no client names: use case references)")
        days_row = QHBoxLayout()
        days_row.addWidget(self.days_spin)
        days_row.addWidget(self.due_label, 1)
        _labelled(self.form, "&Kind", self.kind_combo, self.kind_combo)
        _labelled(self.form, "&Date of event", self.date_edit, self.date_edit)
        _labelled(self.form, "Supervision &type", self.type_combo, self.type_combo)
        _labelled(self.form, "&Respond within", days_row, self.days_spin)
        _labelled(self.form, "&Note", self.note_edit, self.note_edit)
        set_tab_order(
            self.kind_combo,
            self.date_edit,
            self.type_combo,
            self.days_spin,
            self.note_edit,
            self.buttons,
        )
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        self.days_spin.valueChanged.connect(self._show_due)
        self.date_edit.dateChanged.connect(self._show_due)
        self._kind_changed()

    def kind(self) -> TriggerKind:
        return TriggerKind(self.kind_combo.currentData())

    def _kind_changed(self, _index: int = 0) -> None:
        # The policy's response time and type for this kind (DOMAIN.md §7's by default: a
        # boundary concern within 3 days, clinical uncertainty within a week).
        kind = self.kind()
        policy = self._ctx.policies.in_force(self._ctx.today()).policy
        self.days_spin.setValue(policy.response_days(kind.value))
        type_ = policy.trigger_type(kind.value)
        found = self.type_combo.findData(type_) if type_ else -1
        self.type_combo.setCurrentIndex(max(found, 0))
        self._show_due()

    def _show_due(self, *_args: object) -> None:
        due: date = self.date_edit.value() + timedelta(days=self.days_spin.value())
        self.due_label.setText(f"→ due by {uk(due)}")

    def _save(self) -> bool:
        self.saved = self._ctx.workers.add_trigger(
            self._worker_id,
            self.kind(),
            self.date_edit.value(),
            str(self.type_combo.currentData()),
            self.days_spin.value(),
            self.note_edit.toPlainText().strip(),
        )
        return True
