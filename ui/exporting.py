"""Export and print, as the session form, the workers screen and the main window offer them.

One ``Exporter`` per window asks what it must (a period, whether to include confidential notes,
where to save), writes through ``ExportService`` — the compliance pack and a worker's history on
the background runner, with progress and cancel — opens the finished PDF in the user's viewer
and reports where it went (``status_message``). Printing writes a print copy and opens it, so
the user prints from their PDF viewer; it is audited as a print.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSettings, QStandardPaths, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from app.dates import uk
from app.domain.catalogue import TypeSpec
from app.domain.model import TypeKey
from app.errors import KeelError
from app.logging_setup import error_kind
from app.services.context import Services
from ui.context import AppContext
from ui.tasks import TaskHandle, run_task
from ui.widgets.dates import DateEdit

if TYPE_CHECKING:
    from app.domain.records import SessionRecord

log = logging.getLogger(__name__)

_FOLDER_KEY = "exports/folder"
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')


# File names and folders -------------------------------------------------------------------


def safe_file_name(name: str) -> str:
    """``name`` with what Windows, macOS or Linux refuse in a file name replaced."""
    cleaned = _UNSAFE.sub("-", name)
    cleaned = " ".join(cleaned.split()).strip(" .")
    return cleaned or "Keel export"


def record_file_name(record: SessionRecord, spec: TypeSpec, who: str) -> str:
    """ "2026-11-20 Clinical supervision - Zoë Hartley.pdf" (``spec``: the record's type)."""
    return safe_file_name(f"{record.session_date.isoformat()} {spec.label} - {who}") + ".pdf"


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (the month's last day when it is shorter)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    for candidate in range(day.day, 27, -1):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    return date(year, month, min(day.day, 28))


def last_months(today: date, months: int) -> tuple[date, date]:
    """The ``months`` months up to and including ``today`` (27 Nov 2025 to 26 Nov 2026)."""
    return months_before(today, months) + timedelta(days=1), today


def documents_folder() -> Path:
    """The user's Documents folder (their home folder if there is none)."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    folder = Path(location) if location else Path.home()
    return folder if folder.is_dir() else Path.home()


def print_folder() -> Path:
    """Where print copies go: a folder of their own in the user's cache."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.CacheLocation)
    base = Path(location) if location else Path.home() / ".cache" / "Keel"
    return base / "print"


# Dialogs ----------------------------------------------------------------------------------


class ConfidentialDialog(QDialog):
    """Asked before exporting or printing a record that holds confidential reflective notes."""

    def __init__(self, action: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{action} the record")
        self.setAccessibleName(f"{action} the record")
        self.setMinimumWidth(460)
        text = QLabel(
            "This record has confidential reflective notes. They are left out of the PDF "
            "unless you include them for this copy."
        )
        text.setWordWrap(True)
        self.include = QCheckBox("Include &confidential notes")
        self.include.setAccessibleName("Include confidential notes")
        buttons = QDialogButtonBox()
        ok = buttons.addButton(f"{action}…", QDialogButtonBox.ButtonRole.AcceptRole)
        ok.setAccessibleName(action)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.include)
        layout.addWidget(buttons)


class DateRangeDialog(QDialog):
    """A period for a report: presets (last 12 months by default) or two dates."""

    PRESETS: tuple[tuple[str, int | str], ...] = (
        ("Last 12 months", 12),
        ("Last 6 months", 6),
        ("Last 3 months", 3),
        ("This financial year (from 1 April)", "fy"),
        ("Last financial year (April to March)", "last_fy"),
        ("Custom dates", "custom"),
    )

    def __init__(
        self,
        title: str,
        intro: str,
        today: date,
        *,
        confidential_option: bool = False,
        ok_text: str = "Export…",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._today = today
        self._setting = False
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setMinimumWidth(500)
        text = QLabel(intro)
        text.setTextFormat(Qt.TextFormat.PlainText)
        text.setWordWrap(True)
        self.preset = QComboBox()
        self.preset.setAccessibleName("Period")
        for label, _ in self.PRESETS:
            self.preset.addItem(label)
        self.date_from = DateEdit(last_months(today, 12)[0])
        self.date_from.setAccessibleName("From")
        self.date_to = DateEdit(today)
        self.date_to.setAccessibleName("To")
        dates = QHBoxLayout()
        dates.addWidget(self.date_from)
        to_label = QLabel("&to")
        to_label.setBuddy(self.date_to)
        dates.addWidget(to_label)
        dates.addWidget(self.date_to)
        dates.addStretch(1)
        self.length = QLabel()
        self.length.setAccessibleName("Length of the period")
        self.length.setStyleSheet("color: #444444;")
        form = QFormLayout()
        period_label = QLabel("&Period:")
        period_label.setBuddy(self.preset)
        form.addRow(period_label, self.preset)
        from_label = QLabel("&From:")
        from_label.setBuddy(self.date_from)
        form.addRow(from_label, dates)
        form.addRow("", self.length)
        self.include_confidential: QCheckBox | None = None
        if confidential_option:
            self.include_confidential = QCheckBox("Include &confidential reflective notes")
            self.include_confidential.setAccessibleName("Include confidential notes")
            self.include_confidential.setToolTip("Left out unless you tick this for this export")
            form.addRow("", self.include_confidential)
        buttons = QDialogButtonBox()
        ok = buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        ok.setAccessibleName(ok_text.rstrip("…"))
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addSpacing(4)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.preset.currentIndexChanged.connect(self._preset_chosen)
        self.date_from.dateChanged.connect(self._dates_edited)
        self.date_to.dateChanged.connect(self._dates_edited)
        self._show_length()

    def period(self) -> tuple[date, date]:
        return self.date_from.value(), self.date_to.value()

    def include_confidential_notes(self) -> bool:
        box = self.include_confidential
        return box is not None and box.isChecked()

    def accept(self) -> None:
        start, end = self.period()
        if start > end:
            QMessageBox.warning(
                self,
                "Check the dates",
                f"The period starts ({uk(start)}) after it ends ({uk(end)}). "
                "Swap the dates or choose a period from the list.",
            )
            return
        super().accept()

    def _preset_chosen(self, index: int) -> None:
        kind = self.PRESETS[index][1]
        today = self._today
        april = date(today.year if today.month >= 4 else today.year - 1, 4, 1)
        if kind == "custom":
            return
        if isinstance(kind, int):
            start, end = last_months(today, kind)
        elif kind == "fy":
            start, end = april, today
        else:
            start, end = date(april.year - 1, 4, 1), april - timedelta(days=1)
        self._setting = True
        try:
            self.date_from.set_date(start)
            self.date_to.set_date(end)
        finally:
            self._setting = False
        self._show_length()

    def _dates_edited(self) -> None:
        if not self._setting:
            self.preset.blockSignals(True)
            self.preset.setCurrentIndex(len(self.PRESETS) - 1)
            self.preset.blockSignals(False)
        self._show_length()

    def _show_length(self) -> None:
        start, end = self.period()
        if start > end:
            self.length.setText("The start is after the end.")
            return
        days = (end - start).days + 1
        self.length.setText(f"{uk(start)} to {uk(end)} — {days} day{'s' if days != 1 else ''}")


# The flows --------------------------------------------------------------------------------


class Exporter(QObject):
    """Export and print flows for one window; ``status_message`` says what happened."""

    status_message = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._window = parent
        self.last_task: TaskHandle[Any] | None = None

    # One record ---------------------------------------------------------------------------

    def export_record(self, session_id: str) -> Path | None:
        """Ask where (and about confidential notes), write the record's PDF and open it."""
        record = self._ctx.sessions.get(session_id)
        if record is None:
            self._refuse("That record no longer exists.")
            return None
        include = self._ask_confidential(record, "Export")
        if include is None:
            return None
        out = self._ask_path(
            "Export the record as PDF",
            record_file_name(record, self._ctx.catalogue.spec(record.type), self._who(record)),
        )
        if out is None:
            return None
        written = self._quietly(
            lambda: self._ctx.exports.record(session_id, out, include_confidential=include)
        )
        if written is not None:
            self._done("the record", written)
        return written

    def print_record(self, session_id: str) -> Path | None:
        """Write a print copy and open it in the PDF viewer, from which the user prints."""
        record = self._ctx.sessions.get(session_id)
        if record is None:
            self._refuse("That record no longer exists.")
            return None
        include = self._ask_confidential(record, "Print")
        if include is None:
            return None
        written = self._quietly(
            lambda: self._ctx.exports.print_copy(
                session_id, print_folder(), include_confidential=include
            )
        )
        if written is None:
            return None
        if self._open(written):
            self.status_message.emit("Opened a print copy in your PDF viewer: print it from there.")
        else:
            self.status_message.emit(
                f"A print copy is ready at {written}. Open it in a PDF viewer to print it."
            )
        return written

    def export_blank(self, type_: TypeKey) -> Path | None:
        """A blank paper form for one type, for sessions away from the laptop."""
        spec = self._ctx.catalogue.spec(type_)
        name = safe_file_name(f"Blank form - {spec.label}") + ".pdf"
        out = self._ask_path(f"Save a blank {spec.name.lower()} form", name)
        if out is None:
            return None
        written = self._quietly(lambda: self._ctx.exports.blank(type_, out))
        if written is not None:
            self._done("the blank form", written)
        return written

    # Long exports, on the runner ----------------------------------------------------------

    def export_worker_history(self, worker_id: str) -> TaskHandle[Any] | None:
        """Ask a period, then write the worker's history pack in the background."""
        worker = self._ctx.workers.get(worker_id)
        if worker is None:
            self._refuse("That worker no longer exists.")
            return None
        dialog = DateRangeDialog(
            "Export a worker's history",
            f"A history pack for {worker.name}: profile and risk assessments, every session "
            "in the period summarised, open and closed actions, and wellbeing over time — for "
            "appraisals and HR.",
            self._ctx.today(),
            confidential_option=True,
            parent=self._window,
        )
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        start, end = dialog.period()
        include = dialog.include_confidential_notes()
        name = safe_file_name(
            f"Supervision history - {worker.name} - {start.isoformat()} to {end.isoformat()}"
        )
        out = self._ask_path("Export the history pack as PDF", name + ".pdf")
        if out is None:
            return None

        def work(services: Services, progress: Any, cancelled: Any) -> Path:
            return services.exports.worker_history(
                worker_id, start, end, out, include, progress=progress, cancelled=cancelled
            )

        return self._run(f"Writing the history pack for {worker.name}…", work, "the history pack")

    def export_compliance(self) -> TaskHandle[Any] | None:
        """Ask a period, then write the team compliance pack in the background."""
        dialog = DateRangeDialog(
            "Export the compliance pack",
            "The team compliance pack for commissioners and inspectors: the policy in force, "
            "headcount, compliance at each month end by type and team, who is overdue and by "
            "how long, cancellations and their reasons, what became of the actions agreed, "
            "records awaiting sign-off, record quality, team wellbeing (no names), the themes "
            "raised and the learning log. A period that ends after today is counted to today. "
            "Confidential notes are never included.",
            self._ctx.today(),
            parent=self._window,
        )
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        start, end = dialog.period()
        name = safe_file_name(f"Compliance pack {start.isoformat()} to {end.isoformat()}")
        out = self._ask_path("Export the compliance pack as PDF", name + ".pdf")
        if out is None:
            return None

        def work(services: Services, progress: Any, cancelled: Any) -> Path:
            return services.exports.compliance(
                start, end, out, progress=progress, cancelled=cancelled
            )

        return self._run("Writing the compliance pack…", work, "the compliance pack")

    # Internals ----------------------------------------------------------------------------

    def _who(self, record: SessionRecord) -> str:
        if record.worker_id:
            worker = self._ctx.workers.get(record.worker_id)
            if worker is not None:
                return worker.name
        n = len(record.attendees)
        return f"{n} attendee{'s' if n != 1 else ''}"

    def _ask_confidential(self, record: SessionRecord, action: str) -> bool | None:
        """False when there are no notes; None when the user cancels."""
        if not record.confidential_notes.strip():
            return False
        dialog = ConfidentialDialog(action, self._window)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
            return dialog.include.isChecked()
        finally:
            dialog.deleteLater()

    def _ask_path(self, caption: str, suggested: str) -> Path | None:
        settings = QSettings()
        remembered = settings.value(_FOLDER_KEY, "", type=str)
        folder = Path(remembered) if isinstance(remembered, str) and remembered else None
        if folder is None or not folder.is_dir():
            folder = documents_folder()
        chosen, _filter = QFileDialog.getSaveFileName(
            self._window, caption, str(folder / suggested), "PDF documents (*.pdf)"
        )
        if not chosen:
            return None
        out = Path(chosen)
        if out.suffix.lower() != ".pdf":
            out = out.with_name(out.name + ".pdf")
        settings.setValue(_FOLDER_KEY, str(out.parent))
        return out

    def _quietly(self, write: Callable[[], Path]) -> Path | None:
        """Write on the GUI thread (one record: well under a second) with a busy cursor."""
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        problem = ""
        try:
            return write()
        except KeelError as exc:
            problem = str(exc)
            return None
        finally:
            QApplication.restoreOverrideCursor()
            if problem:
                self._refuse(problem)

    def _run(
        self,
        title: str,
        work: Callable[[Services, Any, Any], Path],
        what: str,
    ) -> TaskHandle[Any]:
        handle = run_task(
            self._window,
            title,
            work,
            db_path=self._ctx.db_path,
            on_success=lambda path: self._done(what, Path(path)),
            on_failure=self._failed,
            today=self._ctx.today,
        )
        handle.cancelled.connect(
            lambda: self.status_message.emit("Export cancelled: no file was written.")
        )
        self.last_task = handle
        return handle

    def _done(self, what: str, path: Path) -> None:
        opened = self._open(path)
        where = f"Saved {what} to {path}"
        self.status_message.emit(where if opened else f"{where} (open it from that folder).")

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, KeelError):
            log.warning("export failed (%s)", error_kind(exc))
            self._refuse(str(exc))
        else:
            sys.excepthook(type(exc), exc, exc.__traceback__)

    def _refuse(self, text: str) -> None:
        QMessageBox.warning(self._window, "Not exported", text)

    @staticmethod
    def _open(path: Path) -> bool:
        return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))
