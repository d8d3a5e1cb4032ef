"""Dates in the UI: shown the UK way (26 Nov 2026), stored as ISO ``datetime.date``.

Every date field is a :class:`DateEdit`: a text field people type into as they write dates —
``11/12/2026``, ``11/12/26``, ``11 Dec 2026``, ``2026-12-11``, ``today`` (``app.dates``) — with
a calendar one click (or Alt+Down) away. When the typing is done (Enter, Tab, a click
elsewhere) the field shows what it understood, written out (``11 Dec 2026``), and says so in
its tooltip. It never changes on its own: arrow keys and the mouse wheel do nothing to it, and
text it cannot read is refused with a sentence, the date staying what it was.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cache

from PySide6.QtCore import QDate, QLocale, QPoint, QRect, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QKeyEvent, QPainter, QPixmap, QWheelEvent
from PySide6.QtWidgets import QCalendarWidget, QLineEdit, QToolButton, QToolTip, QWidget

from app.dates import parse_typed_date, uk

UK_DISPLAY_FORMAT = "d MMM yyyy"
Day = date  # inside DateEdit, ``date`` is QDateEdit's method of that name
_LONG_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_LONG_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def uk_english() -> QLocale:
    """The locale Keel shows dates in, whatever the machine's: month names in English, as in
    every PDF and on the command line (``app.dates``)."""
    return QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom)


def to_qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def from_qdate(qdate: QDate) -> date:
    return date(qdate.year(), qdate.month(), qdate.day())


def spelled_out(day: date) -> str:
    """Friday 11 December 2026: what a field says it understood."""
    return f"{_LONG_WEEKDAYS[day.weekday()]} {day.day} {_LONG_MONTHS[day.month - 1]} {day.year}"


@cache
def _calendar_icon() -> QIcon:
    """A small calendar page (drawn: Keel ships no icon set)."""
    pixmap = QPixmap(16, 16)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setPen(QColor("#444444"))
    painter.drawRect(QRect(1, 2, 13, 12))
    painter.fillRect(QRect(2, 3, 12, 3), QColor("#7a1010"))
    for x in (4, 7, 10):
        for y in (8, 11):
            painter.fillRect(QRect(x, y, 2, 2), QColor("#444444"))
    painter.end()
    return QIcon(pixmap)


class _CalendarPopup(QCalendarWidget):
    """The calendar under a date field: a click or Enter chooses, Escape closes."""

    def __init__(self, field: DateEdit) -> None:
        super().__init__(field)
        self.setWindowFlags(Qt.WindowType.Popup)
        self.setLocale(uk_english())
        self.setGridVisible(True)
        self.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
        self.setAccessibleName(f"Calendar: {field.accessibleName() or 'choose a date'}")
        self._field = field
        self.activated.connect(self._choose)
        self.clicked.connect(self._choose)

    def _choose(self, chosen: QDate) -> None:
        self.close()
        self._field.choose(from_qdate(chosen))
        self._field.setFocus(Qt.FocusReason.PopupFocusReason)


class DateEdit(QLineEdit):
    """A date field: typed the way people write dates, or chosen from a calendar."""

    dateChanged = Signal(QDate)
    """The date changed: typed, chosen from the calendar, or set by the program."""

    def __init__(
        self,
        day: Day | None = None,
        parent: QWidget | None = None,
        *,
        allow_empty: bool = False,
        today: Callable[[], Day] = date.today,
        suggest: Callable[[], Day] | None = None,
    ) -> None:
        """``allow_empty``: the field may hold no date (a table's optional due date), and
        ``suggest`` gives the date its calendar opens on while it is empty."""
        super().__init__(parent)
        self._today = today
        self._suggest = suggest or today
        self._allow_empty = allow_empty
        self._date: Day | None = None
        self._earliest: Day | None = None
        self._latest: Day | None = None
        self.message = ""
        """What the field last said about the typing: what it understood, or why it refused."""
        self.touched = False
        """The person typed or chose a date (a table's empty cell stays empty otherwise)."""
        self.setLocale(uk_english())
        self.setPlaceholderText("e.g. 11/12/2026, 11 Dec 2026 or today")
        self._calendar_action = self.addAction(
            _calendar_icon(), QLineEdit.ActionPosition.TrailingPosition
        )
        self._calendar_action.setToolTip("Choose from a calendar (Alt+Down)")
        self._calendar_action.triggered.connect(self.show_calendar)
        for button in self.findChildren(QToolButton):  # the action's button, drawn in the field
            button.setAccessibleName("Choose from a calendar")
        self.editingFinished.connect(self.commit_typing)
        self.textEdited.connect(lambda _text: setattr(self, "touched", True))
        self.calendar: _CalendarPopup | None = None
        if day is not None or not allow_empty:
            self._show(day or today())

    # The value ----------------------------------------------------------------------------

    def value(self) -> Day:
        """The date shown (a field that may be empty: see ``optional_value``)."""
        if self._date is None:
            raise ValueError("the date field is empty")
        return self._date

    def optional_value(self) -> Day | None:
        return self._date

    def set_date(self, day: Day | None) -> None:
        """Show ``day`` (None: empty, where allowed). Emits ``dateChanged`` if it changed."""
        if day is None and not self._allow_empty:
            raise ValueError("this date field cannot be empty")
        changed = day != self._date
        self._show(day)
        if changed and day is not None:
            self.dateChanged.emit(to_qdate(day))

    def date(self) -> QDate:
        return to_qdate(self.value()) if self._date is not None else QDate()

    def setDate(self, qdate: QDate) -> None:
        self.set_date(from_qdate(qdate))

    def setMinimumDate(self, qdate: QDate) -> None:
        self._earliest = from_qdate(qdate)
        if self._date is not None and self._date < self._earliest:
            self.set_date(self._earliest)

    def setMaximumDate(self, qdate: QDate) -> None:
        self._latest = from_qdate(qdate)
        if self._date is not None and self._date > self._latest:
            self.set_date(self._latest)

    def choose(self, day: Day) -> None:
        """A date the person chose (from the calendar): shown, and said so."""
        self.touched = True
        self._take(day)

    def _take(self, day: Day) -> None:
        """Show ``day`` and say so, or refuse it (outside the allowed range)."""
        refusal = self._out_of_range(day)
        if refusal:
            self._refuse(refusal)
            return
        self.set_date(day)
        self._say(f"Understood as {spelled_out(day)}.")

    # Typing -------------------------------------------------------------------------------

    def commit_typing(self) -> None:
        """Read what was typed (Enter, Tab or a click elsewhere): show the date understood,
        or refuse with a sentence and keep the date as it was."""
        text = self.text().strip()
        if self._date is not None and text == uk(self._date):
            return  # nothing was typed
        if not text:
            if self._allow_empty:
                self._date = None
                self._say("No date.")
                return
            self._refuse(f"A date is needed here; it is still {uk(self._date)}.")
            return
        try:
            day = parse_typed_date(text, self._today())
        except ValueError as exc:
            self._refuse(f"{exc}{self._kept()}")
            return
        self._take(day)

    def _kept(self) -> str:
        return f" The date is still {uk(self._date)}." if self._date is not None else ""

    def _out_of_range(self, day: Day) -> str | None:
        if self._earliest is not None and day < self._earliest:
            return f"Choose a date on or after {uk(self._earliest)}.{self._kept()}"
        if self._latest is not None and day > self._latest:
            return f"Choose a date on or before {uk(self._latest)}.{self._kept()}"
        return None

    def _show(self, day: Day | None) -> None:
        self._date = day
        self.setText(uk(day))
        self.setCursorPosition(0)

    def _say(self, message: str) -> None:
        self.message = message
        self.setToolTip(message)
        self.setAccessibleDescription(message)
        self.setStyleSheet("")

    def _refuse(self, message: str) -> None:
        self._show(self._date)
        self.message = message
        self.setToolTip(message)
        self.setAccessibleDescription(message)
        self.setStyleSheet("DateEdit { border: 2px solid #b00020; }")
        if self.isVisible():
            QToolTip.showText(self.mapToGlobal(QPoint(0, self.height())), message, self)

    def setReadOnly(self, read_only: bool) -> None:
        """A locked (signed) record's date: no calendar either."""
        super().setReadOnly(read_only)
        self._calendar_action.setVisible(not read_only)

    # Keys and the calendar ----------------------------------------------------------------

    def show_calendar(self) -> None:
        if self.isReadOnly():
            return
        if self.calendar is None:
            self.calendar = _CalendarPopup(self)
        if self._earliest is not None:
            self.calendar.setMinimumDate(to_qdate(self._earliest))
        if self._latest is not None:
            self.calendar.setMaximumDate(to_qdate(self._latest))
        self.calendar.setSelectedDate(to_qdate(self._date or self._suggest()))
        self.calendar.adjustSize()
        self.calendar.move(self.mapToGlobal(QPoint(0, self.height())))
        self.calendar.show()
        self.calendar.setFocus(Qt.FocusReason.PopupFocusReason)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, alt = event.key(), bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
        if key == Qt.Key.Key_F4 or (alt and key == Qt.Key.Key_Down):
            self.show_calendar()
            return
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
            event.accept()  # a date never steps by itself
            return
        super().keyPressEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        event.ignore()  # the page scrolls; the date stays
