"""Dates in the UI: shown the UK way (26 Nov 2026), stored as ISO ``datetime.date``."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QLocale
from PySide6.QtWidgets import QDateEdit, QWidget

UK_DISPLAY_FORMAT = "d MMM yyyy"


def uk_english() -> QLocale:
    """The locale Keel shows dates in, whatever the machine's: month names in English, as in
    every PDF and on the command line (``app.dates``)."""
    return QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom)


def to_qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def from_qdate(qdate: QDate) -> date:
    return date(qdate.year(), qdate.month(), qdate.day())


class DateEdit(QDateEdit):
    """A date field with a calendar pop-up, showing dates as 26 Nov 2026."""

    def __init__(self, day: date | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setLocale(uk_english())  # "MMM" follows the widget's locale: "Tach" on Welsh
        self.setCalendarPopup(True)
        self.setDisplayFormat(UK_DISPLAY_FORMAT)
        self.set_date(day or date.today())

    def set_date(self, day: date) -> None:
        self.setDate(to_qdate(day))

    def value(self) -> date:
        return from_qdate(self.date())
