"""Booking a session: its date, start time, length, mode and place — what the scheduler's cell
shows and what the calendar export sends to Outlook.

Imported when a session is booked, not to show the main window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import Qt, QTime
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.domain.catalogue import TypeSpec
from app.domain.records import Mode
from ui.widgets.dates import DateEdit, to_qdate
from ui.widgets.times import TimeEdit

DEFAULT_START = QTime(10, 0)


@dataclass(frozen=True)
class Booking:
    """What the team lead chose."""

    on: date
    start_time: str
    duration_minutes: int
    mode: Mode
    location: str


class BookingDialog(QDialog):
    """Date, start time, duration, mode and place of a session to book."""

    def __init__(
        self,
        worker_name: str,
        spec: TypeSpec,
        default: date,
        earliest: date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Book a session")
        what = f"Book a {spec.name.lower()} session for {worker_name}"
        self.setAccessibleName(what)
        intro = QLabel(f"{what}.")
        intro.setTextFormat(Qt.TextFormat.PlainText)  # a name with < or & shows as typed
        intro.setWordWrap(True)
        self.date_edit = DateEdit(default, self, today=lambda: earliest)
        self.date_edit.setMinimumDate(to_qdate(earliest))
        self.date_edit.setAccessibleName("Date of the booked session")
        self.start_edit = TimeEdit(DEFAULT_START, self)
        self.start_edit.setDisplayFormat("HH:mm")
        self.start_edit.setAccessibleName("Start time")
        self.duration = QSpinBox(self)
        self.duration.setRange(15, 480)
        self.duration.setSingleStep(15)
        self.duration.setSuffix(" min")
        self.duration.setValue(spec.duration_minutes)  # the type's usual length (policy)
        self.duration.setAccessibleName("Duration in minutes")
        self.mode = QComboBox(self)
        for mode in Mode:
            self.mode.addItem(mode.label, mode.value)
        self.mode.setAccessibleName("Mode")
        self.place = QLineEdit(self)
        self.place.setPlaceholderText("e.g. Team base, room 2 (no names: it goes to calendars)")
        self.place.setAccessibleName("Place")
        form = QFormLayout()
        for text, field in (
            ("&Date:", self.date_edit),
            ("&Start time:", self.start_edit),
            ("D&uration:", self.duration),
            ("&Mode:", self.mode),
            ("&Place:", self.place),
        ):
            label = QLabel(text)
            label.setBuddy(field)  # Alt+letter goes to the field
            form.addRow(label, field)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Book")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)

    def _accept(self) -> None:
        self.date_edit.commit_typing()  # Enter on the date field: what was typed counts
        self.accept()

    def booking(self) -> Booking:
        return Booking(
            on=self.date_edit.value(),
            start_time=self.start_edit.time().toString("HH:mm"),
            duration_minutes=self.duration.value(),
            mode=Mode(self.mode.currentData()),  # stored as its text value by Qt
            location=self.place.text().strip(),
        )
