"""Export calendar (.ics)…: ask a period (the next eight weeks by default) and a file name, then
write the booked sessions through ``app.services.calendar`` (which audits the export).

Writing a few hundred events takes milliseconds, so this runs on the GUI thread.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QStandardPaths, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.dates import uk
from app.errors import KeelError
from ui.context import AppContext
from ui.widgets.dates import DateEdit

if TYPE_CHECKING:  # the calendar service is imported when a calendar is exported
    from app.services.calendar import CalendarExport

ACTION_TEXT = "Export &calendar (.ics)…"
_FOLDER_KEY = "calendar/folder"
_INTRO = (
    "Booked sessions in this period go into a calendar file that Outlook, Google and Apple "
    "calendars can import: the date and time, the supervisee (or the number attending a "
    "group), the place and the supervisor, at the service's local time. A booking since "
    "cancelled is marked cancelled. Nothing from the records is included."
)
_HOW_TO_IMPORT = (
    "In Outlook: File → Open & Export → Import/Export → “Import an iCalendar (.ics) file”. "
    "Importing a newer export again updates the same events."
)


class CalendarRangeDialog(QDialog):
    """Two dates, from today to eight weeks ahead unless changed."""

    def __init__(self, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export calendar")
        self.setAccessibleName("Export calendar")
        self.setMinimumWidth(460)
        from app.services.calendar import default_range

        first, last = default_range(today)
        intro = QLabel(_INTRO)
        intro.setTextFormat(Qt.TextFormat.PlainText)
        intro.setWordWrap(True)
        self.date_from = DateEdit(first)
        self.date_from.setAccessibleName("From")
        self.date_to = DateEdit(last)
        self.date_to.setAccessibleName("To")
        self.problem = QLabel()
        self.problem.setAccessibleName("Problem with the period")
        self.problem.setStyleSheet("color: #a00000;")
        form = QFormLayout()
        from_label = QLabel("&From:")
        from_label.setBuddy(self.date_from)
        to_label = QLabel("&To:")
        to_label.setBuddy(self.date_to)
        form.addRow(from_label, self.date_from)
        form.addRow(to_label, self.date_to)
        form.addRow("", self.problem)
        buttons = QDialogButtonBox()
        self.ok: QPushButton = buttons.addButton("Export…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setAccessibleName("Export")
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.date_from.dateChanged.connect(self._check)
        self.date_to.dateChanged.connect(self._check)
        self._check()

    def period(self) -> tuple[date, date]:
        return self.date_from.value(), self.date_to.value()

    def _check(self) -> None:
        first, last = self.period()
        wrong = first > last
        self.problem.setText("The first day is after the last day." if wrong else "")
        self.ok.setEnabled(not wrong)


def ask_period(parent: QWidget, today: date) -> tuple[date, date] | None:
    """The period to export; None when the user cancels."""
    dialog = CalendarRangeDialog(today, parent)
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.period()
    finally:
        dialog.deleteLater()


def _start_folder() -> Path:
    remembered = QSettings().value(_FOLDER_KEY, "", str)
    if remembered and Path(str(remembered)).is_dir():
        return Path(str(remembered))
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    folder = Path(documents) if documents else Path.home()
    return folder if folder.is_dir() else Path.home()


def ask_file(parent: QWidget, first: date, last: date) -> Path | None:
    """Where to save the .ics file; None when the user cancels."""
    suggested = _start_folder() / f"Keel sessions {first.isoformat()} to {last.isoformat()}.ics"
    chosen, _ = QFileDialog.getSaveFileName(
        parent, "Export calendar", str(suggested), "Calendar file (*.ics);;All files (*)"
    )
    if not chosen:
        return None
    path = Path(chosen)
    # Linux file dialogs do not add the extension that calendars look for.
    return path if path.suffix else path.with_suffix(".ics")


def export_calendar_file(ctx: AppContext, parent: QWidget) -> CalendarExport | None:
    """The whole action: period, file, export, and what happened. None if nothing was written."""
    period = ask_period(parent, ctx.today())
    if period is None:
        return None
    first, last = period
    out = ask_file(parent, first, last)
    if out is None:
        return None
    try:
        result = ctx.calendar.export_calendar(first, last, out)
    except KeelError as exc:
        QMessageBox.warning(parent, "The calendar was not exported", str(exc))
        return None
    QSettings().setValue(_FOLDER_KEY, str(out.parent))
    if result.events == 0 and result.cancelled == 0:
        text = f"There are no booked sessions from {uk(first)} to {uk(last)}: the file is empty."
    else:
        text = f"{result.summary()}.\n\n{_HOW_TO_IMPORT}"
    QMessageBox.information(parent, "Calendar exported", text)
    return result
