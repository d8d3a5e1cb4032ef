"""Dialogs of the Governance screen: raise an item (from an alert or by hand), dismiss an
alert with a reason, and move an item on — tabled at a meeting, the forum's decision, the
change made and closing.

Each dialog asks only for what its step needs, says what is missing next to the OK button
(which stays disabled until the step can be saved) and returns plain values; the screen calls
the governance service, whose rules stay the final word.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.dates import uk
from app.domain.governance import Forum, ItemStatus
from app.services.governance import GovernanceItem
from ui.widgets.dates import DateEdit, to_qdate

__all__ = [
    "ChangeDialog",
    "DecideItemDialog",
    "DismissAlertDialog",
    "RaiseItemDialog",
    "RaiseRequest",
    "TableItemDialog",
]


def _plain(text: str = "", *, bold: bool = False) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    if bold:
        font = label.font()
        font.setBold(True)
        label.setFont(font)
    return label


def _text_box(name: str, placeholder: str, height: int = 96) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setAccessibleName(name)
    box.setPlaceholderText(placeholder)
    box.setTabChangesFocus(True)
    box.setFixedHeight(height)
    return box


def _date_field(name: str, day: date, earliest: date | None = None) -> DateEdit:
    field = DateEdit(max(day, earliest) if earliest else day)
    field.setAccessibleName(name)
    if earliest is not None:
        field.setMinimumDate(to_qdate(earliest))
    return field


class _StepDialog(QDialog):
    """A titled form with an intro, a hint saying what is missing, and OK / Cancel."""

    def __init__(self, title: str, intro: str, ok_text: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setMinimumWidth(560)
        self.intro = _plain(intro)
        self.intro.setAccessibleName("About this step")
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.hint = _plain()
        self.hint.setAccessibleName("What is missing")
        self.hint.setStyleSheet("color: #7a1010;")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        self.ok_button.setAccessibleName(ok_text.rstrip("…"))
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addSpacing(4)
        layout.addLayout(self.form)
        layout.addWidget(self.hint)
        layout.addWidget(self.buttons)

    def add_row(self, label: str, field: QWidget) -> None:
        text = QLabel(label)
        text.setBuddy(field)
        self.form.addRow(text, field)

    def problem(self) -> str:
        """What stops the step being saved ('' when nothing does)."""
        return ""

    @Slot()
    def update_state(self) -> None:
        problem = self.problem()
        self.hint.setText(problem)
        self.hint.setVisible(bool(problem))
        self.ok_button.setEnabled(not problem)

    def accept(self) -> None:
        if self.problem():
            self.update_state()
            return  # the button is disabled; this also stops Enter from closing the dialog
        super().accept()


# Raising and dismissing --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RaiseRequest:
    forum: Forum
    title: str
    description: str
    raised_on: date
    raised_by: str


class RaiseItemDialog(_StepDialog):
    """A new governance item: forum, title, description, when and by whom it was raised."""

    def __init__(
        self,
        today: date,
        *,
        title: str = "",
        description: str = "",
        forum: Forum = Forum.MDT,
        intro: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            "Raise a governance item",
            intro
            or "Take a matter from supervision to a governance forum. It starts as raised, is "
            "tabled at a meeting, decided, and closed with the change it led to.",
            "Raise item",
            parent,
        )
        self.forum_combo = QComboBox()
        self.forum_combo.setAccessibleName("Forum")
        for choice in Forum:
            self.forum_combo.addItem(choice.label, choice.value)
        self.forum_combo.setCurrentIndex(self.forum_combo.findData(forum.value))
        self.title_edit = QLineEdit(title)
        self.title_edit.setAccessibleName("Title")
        self.title_edit.setPlaceholderText("For example: Delayed crisis response out of hours")
        self.description_edit = _text_box(
            "Description",
            "What supervision keeps raising, and what the forum is asked to consider",
            120,
        )
        self.description_edit.setPlainText(description)
        self.raised_on = _date_field("Raised on", today)
        self.raised_by = QLineEdit()
        self.raised_by.setAccessibleName("Raised by")
        self.raised_by.setPlaceholderText("Your name (optional)")
        self.add_row("&Forum:", self.forum_combo)
        self.add_row("&Title:", self.title_edit)
        self.add_row("&Description:", self.description_edit)
        self.add_row("Raised &on:", self.raised_on)
        self.add_row("Raised &by:", self.raised_by)
        self.title_edit.textChanged.connect(self.update_state)
        self.update_state()
        self.title_edit.setFocus()

    def problem(self) -> str:
        return "" if self.title_edit.text().strip() else "Give the item a title."

    def request(self) -> RaiseRequest:
        return RaiseRequest(
            forum=Forum(self.forum_combo.currentData()),
            title=self.title_edit.text().strip(),
            description=self.description_edit.toPlainText().strip(),
            raised_on=self.raised_on.value(),
            raised_by=self.raised_by.text().strip(),
        )


class DismissAlertDialog(_StepDialog):
    """Dismissing an alert needs a reason; it is kept, and the alert returns only when a new
    session raises the theme."""

    def __init__(self, alert_text: str, parent: QWidget | None = None) -> None:
        super().__init__(
            "Dismiss a trend alert",
            "The reason is kept with the alert. It comes back only if a new session raises "
            "the theme.",
            "Dismiss alert",
            parent,
        )
        self.alert_label = _plain(alert_text, bold=True)
        self.alert_label.setAccessibleDescription("Alert")
        self.form.addRow(self.alert_label)
        self.reason_edit = _text_box(
            "Reason for dismissing",
            "For example: already on the risk register and reviewed monthly",
        )
        self.by_edit = QLineEdit()
        self.by_edit.setAccessibleName("Dismissed by")
        self.by_edit.setPlaceholderText("Your name (optional)")
        self.add_row("&Reason:", self.reason_edit)
        self.add_row("Dismissed &by:", self.by_edit)
        self.reason_edit.textChanged.connect(self.update_state)
        self.update_state()
        self.reason_edit.setFocus()

    def problem(self) -> str:
        if self.reason_edit.toPlainText().strip():
            return ""
        return "Say why the alert is dismissed: the reason is required and kept with it."

    def reason(self) -> str:
        return self.reason_edit.toPlainText().strip()

    def by(self) -> str:
        return self.by_edit.text().strip()


# Moving an item on -------------------------------------------------------------------------


def _item_label(item: GovernanceItem) -> QLabel:
    label = _plain(f"{item.title}\n{item.forum.label} · {item.status.label.lower()}", bold=True)
    label.setAccessibleDescription("Item")
    return label


class TableItemDialog(_StepDialog):
    """Table a raised item at a meeting of its forum."""

    def __init__(self, item: GovernanceItem, today: date, parent: QWidget | None = None) -> None:
        super().__init__(
            "Table the item",
            f"Put the item on the agenda of a {item.forum.label} (raised {uk(item.raised_on)}). "
            "The meeting is recorded too: the next agenda's themes start after it.",
            "Table item",
            parent,
        )
        self.form.addRow(_item_label(item))
        self.on_edit = _date_field("Meeting date", today, item.raised_on)
        self.add_row("&Meeting date:", self.on_edit)
        self.update_state()
        self.on_edit.setFocus()

    def on(self) -> date:
        return self.on_edit.value()


class DecideItemDialog(_StepDialog):
    """Record what the forum decided."""

    def __init__(self, item: GovernanceItem, today: date, parent: QWidget | None = None) -> None:
        super().__init__(
            "Record the decision",
            f"What did the {item.forum.label} decide? The change it leads to is recorded when "
            "it has been made.",
            "Record decision",
            parent,
        )
        self.form.addRow(_item_label(item))
        self.decision_edit = _text_box(
            "Decision",
            "For example: revise the escalation protocol and clarify on-call cover",
            110,
        )
        self.decision_edit.setPlainText(item.decision)
        self.on_edit = _date_field("Decided on", today, item.tabled_on or item.raised_on)
        self.add_row("&Decision:", self.decision_edit)
        self.add_row("Decided &on:", self.on_edit)
        self.decision_edit.textChanged.connect(self.update_state)
        self.update_state()
        self.decision_edit.setFocus()

    def problem(self) -> str:
        if self.decision_edit.toPlainText().strip():
            return ""
        return "Write down what the forum decided."

    def decision(self) -> str:
        return self.decision_edit.toPlainText().strip()

    def on(self) -> date:
        return self.on_edit.value()


class ChangeDialog(_StepDialog):
    """The change made because of the decision — and, when ``closing``, closing the item.

    Closing without a change needs "No change was needed" ticked: only items closed with a
    change reach the learning log ("what supervision changed").
    """

    def __init__(
        self,
        item: GovernanceItem,
        today: date,
        *,
        closing: bool,
        parent: QWidget | None = None,
    ) -> None:
        self.closing = closing
        super().__init__(
            "Close the item" if closing else "Record the change made",
            (
                "Say what changed because of the decision, and when. A closed item with a "
                "change made is listed in the learning log: what supervision changed."
                if closing
                else "Say what changed because of the decision, and when. The item stays "
                "open until the forum closes it."
            ),
            "Close item" if closing else "Save change",
            parent,
        )
        self.form.addRow(_item_label(item))
        if item.decision:
            decision = _plain(f"Decision ({uk(item.decided_on)}): {item.decision}")
            decision.setAccessibleName("Decision")
            self.form.addRow(decision)
        self.change_edit = _text_box(
            "Change made",
            "For example: escalation protocol revised; on-call rota clarified",
            100,
        )
        self.change_edit.setPlainText(item.change_made)
        self.change_on = _date_field("Change made on", item.change_made_on or today, item.raised_on)
        self.add_row("&Change made:", self.change_edit)
        self.add_row("Change made &on:", self.change_on)
        self.no_change = QCheckBox("&No change was needed")
        self.no_change.setAccessibleName("No change was needed")
        self.closed_on = _date_field("Closed on", today, item.decided_on or item.raised_on)
        self.note_edit = _text_box("Closing note", "Optional: how the change was checked", 70)
        if closing:
            self.form.addRow("", self.no_change)
            self.add_row("Closed o&n:", self.closed_on)
            self.add_row("Closing no&te:", self.note_edit)
        else:
            for widget in (self.no_change, self.closed_on, self.note_edit):
                widget.hide()
        self.change_edit.textChanged.connect(self.update_state)
        self.no_change.toggled.connect(self._no_change_toggled)
        self.update_state()
        self.change_edit.setFocus()

    @Slot(bool)
    def _no_change_toggled(self, checked: bool) -> None:
        self.change_edit.setEnabled(not checked)
        self.change_on.setEnabled(not checked)
        self.update_state()

    def problem(self) -> str:
        if self.change_edit.toPlainText().strip():
            return ""
        if self.closing and self.no_change.isChecked():
            return ""
        if self.closing:
            return "Describe the change that was made, or tick “No change was needed”."
        return "Describe the change that was made."

    def change(self) -> str:
        """The change made ('' when closing with no change needed)."""
        if self.closing and self.no_change.isChecked():
            return ""
        return self.change_edit.toPlainText().strip()

    def change_date(self) -> date:
        return self.change_on.value()

    def closed(self) -> date:
        return self.closed_on.value()

    def note(self) -> str:
        return self.note_edit.toPlainText().strip()


NEXT_STEP_TEXT = {
    ItemStatus.RAISED: "&Table at a meeting…",
    ItemStatus.TABLED: "Record the &decision…",
    ItemStatus.DECIDED: "&Close with the change made…",
}
