"""Importing staff from a spreadsheet tracker: choose a CSV, see every row and every problem,
then import on the background runner. Nothing is written before the user confirms.

Both the preview and the import run through ``ui.tasks.run_task`` (a big file takes a while to
read, and the GUI thread never blocks on it). The checking itself is ``app.services.importing``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    QStringListModel,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.dates import uk
from app.domain.catalogue import Catalogue
from app.domain.model import TypeKey
from app.domain.policy import Policy
from app.domain.schedule import tier_for
from app.errors import KeelError
from app.services.context import Services
from app.services.importing import (
    ImportFailed,
    ImportPreview,
    ImportResult,
    StaffRow,
    preview_staff,
)
from ui.context import AppContext
from ui.tasks import CancelledFn, ProgressFn, TaskHandle, run_task
from ui.widgets.focus import set_tab_order

log = logging.getLogger(__name__)

_Index = QModelIndex | QPersistentModelIndex

SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 1
OBJECT_ROLE = int(Qt.ItemDataRole.UserRole) + 2


def columns_help(catalogue: Catalogue) -> str:
    """What the file may hold: the type columns are the policy's types in use."""
    keys = [t.key for t in catalogue.active]
    last = ", ".join(t.csv_column for t in catalogue.active)
    return (
        "One row per worker, with a heading row. Only name is required; Keel also reads "
        "staff_id, role, team, start_date (YYYY-MM-DD or DD/MM/YYYY), employment, the four risk "
        "factors (cohort_risk, decision_complexity, support_need, volatility: 1–3 or "
        f"low/medium/high), assessed_on, requires ({';'.join(keys)}) and {last} (the last held "
        "session of each type). Nothing is written until you press Import."
    )


class PreviewColumn(IntEnum):
    LINE = 0
    NAME = 1
    TEAM = 2
    ROLE = 3
    START = 4
    TIER = 5
    REQUIRES = 6


PREVIEW_HEADERS = {
    PreviewColumn.LINE: "Line",
    PreviewColumn.NAME: "Name",
    PreviewColumn.TEAM: "Team",
    PreviewColumn.ROLE: "Role",
    PreviewColumn.START: "Start date",
    PreviewColumn.TIER: "Tier it will get",
    PreviewColumn.REQUIRES: "Requires",
}


def _requires_text(requires: frozenset[TypeKey] | None, catalogue: Catalogue) -> str:
    if requires is None:
        return "The policy's default"
    return ", ".join(t.short_label for t in catalogue if t.key in requires) or "None"


@dataclass(frozen=True, slots=True)
class _PreviewCells:
    row: StaffRow
    display: tuple[str, ...]
    sort: tuple[Any, ...]
    tier_tip: str


def _format_row(row: StaffRow, policy: Policy) -> _PreviewCells:
    if row.factors is None:
        tier, tip = (
            "Not assessed",
            "No risk factors in this row: a new worker is scheduled at the standard tier and "
            "shown as not assessed until a risk profile is added; a worker already in Keel "
            "keeps their profile.",
        )
    else:
        level, reason = tier_for(row.factors, policy)
        on = uk(row.assessed_on) if row.assessed_on else "today"
        tier, tip = level.value.capitalize(), f"{reason} (assessed {on})"
    display = (
        str(row.line),
        row.name,
        row.team or "—",
        row.role or "—",
        uk(row.start_date, "—"),
        tier,
        _requires_text(row.requires, policy.catalogue),
    )
    sort = (
        row.line,
        row.name.casefold(),
        (row.team or "").casefold(),
        (row.role or "").casefold(),
        row.start_date.isoformat() if row.start_date else "9999-12-31",
        tier,
        display[PreviewColumn.REQUIRES],
    )
    return _PreviewCells(row, display, sort, tip)


class ImportPreviewModel(QAbstractTableModel):
    """The rows a file will import, formatted; never reads the file or the database."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[_PreviewCells] = []

    def set_rows(self, rows: Iterable[StaffRow], policy: Policy) -> None:
        self.beginResetModel()
        self._rows = [_format_row(r, policy) for r in rows]
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(PreviewColumn)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        cells = self._rows[index.row()]
        column = PreviewColumn(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return cells.display[column]
        if role == SORT_ROLE:
            return cells.sort[column]
        if role == OBJECT_ROLE:
            return cells.row
        if role == Qt.ItemDataRole.ToolTipRole:
            return cells.tier_tip if column == PreviewColumn.TIER else cells.display[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column == PreviewColumn.LINE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(PreviewColumn):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return PREVIEW_HEADERS[PreviewColumn(section)]
        if role == Qt.ItemDataRole.ToolTipRole and section == PreviewColumn.LINE:
            return "The row number your spreadsheet shows (the heading row is line 1)"
        return None


def _plain(text: str = "", *, wrap: bool = True) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    return label


def _message_list(name: str) -> tuple[QListView, QStringListModel]:
    model = QStringListModel()
    view = QListView()
    view.setModel(model)
    view.setAccessibleName(name)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setWordWrap(True)
    view.setUniformItemSizes(False)
    view.setAlternatingRowColors(True)
    return view, model


def _fit_lines(view: QListView, count: int, *, most: int) -> None:
    """As tall as its messages (up to ``most`` lines, then it scrolls), so the preview table
    keeps the room."""
    line = view.fontMetrics().lineSpacing() + 2
    view.setFixedHeight(min(max(count, 1), most) * line + 2 * view.frameWidth() + 6)


class ImportDialog(QDialog):
    """Choose a staff CSV, check it, and import it only when it is clean and confirmed."""

    imported = Signal(list)
    """After a successful import. The list is empty: an import may touch many workers, so
    whoever listens should refresh everything."""
    preview_shown = Signal()
    """A file was read and its preview (rows, errors, warnings) is on screen."""

    def __init__(
        self, ctx: AppContext, path: Path | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._path: Path | None = None
        self._preview: ImportPreview | None = None
        self._task: TaskHandle[Any] | None = None
        self.result_summary: ImportResult | None = None
        self.setWindowTitle("Import staff from a CSV file")
        self.setAccessibleName("Import staff")
        self.resize(1080, 660)

        heading = QLabel("Import staff from your spreadsheet tracker")
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        heading.setFont(font)
        help_text = _plain(columns_help(self._ctx.catalogue))
        help_text.setAccessibleName("What the file should hold")

        self.path_edit = QLineEdit()
        self.path_edit.setReadOnly(True)
        self.path_edit.setPlaceholderText("No file chosen yet")
        self.path_edit.setAccessibleName("CSV file")
        self.choose_button = QPushButton("&Choose CSV file…")
        self.choose_button.setAccessibleName("Choose CSV file")
        self.reload_button = QPushButton("&Reload")
        self.reload_button.setAccessibleName("Reload the file")
        self.reload_button.setToolTip("Read the file again after fixing it in your spreadsheet")
        file_label = QLabel("&File:")
        file_label.setBuddy(self.path_edit)

        self.status_label = _plain("Choose the CSV file to see what it holds.")
        self.status_label.setAccessibleDescription("Import status")
        status_font = self.status_label.font()
        status_font.setBold(True)
        self.status_label.setFont(status_font)

        self.model = ImportPreviewModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setTabKeyNavigation(False)  # one Tab stop: arrows move inside
        self.table.setModel(self.proxy)
        self.table.setAccessibleName("Rows to import")
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in (
            (PreviewColumn.LINE, 50),
            (PreviewColumn.NAME, 190),
            (PreviewColumn.TEAM, 190),
            (PreviewColumn.ROLE, 250),
            (PreviewColumn.START, 110),
            (PreviewColumn.TIER, 120),
        ):
            self.table.setColumnWidth(column, width)

        self.errors_title = QLabel("Errors — fix these in your spreadsheet, save, then Reload:")
        self.errors_title.setStyleSheet("color: #7a1010; font-weight: bold;")
        self.errors_view, self.errors_model = _message_list("Errors")
        self.errors_title.setBuddy(self.errors_view)
        self.warnings_title = QLabel("Warnings — the import can still go ahead:")
        self.warnings_title.setStyleSheet("font-weight: bold;")
        self.warnings_view, self.warnings_model = _message_list("Warnings")
        self.warnings_title.setBuddy(self.warnings_view)

        self.import_button = QPushButton("&Import")
        self.import_button.setAccessibleName("Import workers")
        self.import_button.setDefault(True)
        self.close_button = QPushButton("Cancel")
        self.close_button.setAccessibleName("Close")
        self.close_button.setAutoDefault(False)

        file_row = QHBoxLayout()
        file_row.addWidget(file_label)
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(self.choose_button)
        file_row.addWidget(self.reload_button)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(help_text)
        layout.addLayout(file_row)
        layout.addWidget(self.status_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.errors_title)
        layout.addWidget(self.errors_view)
        layout.addWidget(self.warnings_title)
        layout.addWidget(self.warnings_view)
        layout.addLayout(buttons)

        set_tab_order(
            self.choose_button,
            self.reload_button,
            self.table,
            self.errors_view,
            self.warnings_view,
            self.import_button,
            self.close_button,
        )

        self.choose_button.clicked.connect(self.choose_file)
        self.reload_button.clicked.connect(self.reload)
        self.import_button.clicked.connect(self.start_import)
        self.close_button.clicked.connect(self.reject)

        self._show_messages([], [])
        self._update_buttons()
        self.choose_button.setFocus()
        if path is not None:
            self.load(path)

    # Public API -----------------------------------------------------------------------------

    @Slot()
    def choose_file(self) -> None:
        start = str(self._path.parent) if self._path else str(Path.home())
        chosen, _ = QFileDialog.getOpenFileName(
            self, "Choose the staff CSV file", start, "CSV files (*.csv *.txt);;All files (*)"
        )
        if chosen:
            self.load(Path(chosen))

    @Slot()
    def reload(self) -> None:
        if self._path is not None:
            self.load(self._path)

    def load(self, path: Path) -> None:
        """Read and check ``path`` on the background runner; nothing is written."""
        self._path = path
        self._preview = None
        self.result_summary = None
        self.path_edit.setText(str(path))
        self.status_label.setText(f"Reading {path.name}…")
        self.model.set_rows([], self._ctx.workers.policy)
        self._show_messages([], [])
        today = self._ctx.today()
        catalogue = self._ctx.catalogue

        def work(_services: Services, _p: ProgressFn, _c: CancelledFn) -> ImportPreview:
            return preview_staff(path, today=today, catalogue=catalogue)

        self._start(
            "Reading the file…",
            work,
            on_success=self._show_preview,
            on_failure=self._preview_failed,
            cancellable=False,
        )

    def preview(self) -> ImportPreview | None:
        return self._preview

    @Slot()
    def start_import(self) -> None:
        """Import the previewed file (only when it has rows and no errors)."""
        preview = self._preview
        if preview is None or not preview.ok or not preview.rows or self._path is None:
            return
        path, today = self._path, self._ctx.today()

        def work(services: Services, progress: ProgressFn, cancelled: CancelledFn) -> Any:
            return services.importing.import_staff(
                path, today=today, progress=progress, cancelled=cancelled
            )

        self.status_label.setText(f"Importing {_workers(len(preview.rows))}…")
        handle = self._start(
            "Importing staff…",
            work,
            on_success=self._import_done,
            on_failure=self._import_failed,
            cancellable=True,
        )
        handle.cancelled.connect(self._import_cancelled)

    def is_busy(self) -> bool:
        return self._task is not None

    # Running work ---------------------------------------------------------------------------

    def _start(
        self,
        title: str,
        work: Any,
        *,
        on_success: Any,
        on_failure: Any,
        cancellable: bool,
    ) -> TaskHandle[Any]:
        handle: TaskHandle[Any] = run_task(
            self,
            title,
            work,
            db_path=self._ctx.db_path,
            on_success=on_success,
            on_failure=on_failure,
            cancellable=cancellable,
        )
        self._task = handle
        handle.finished.connect(self._task_finished)
        self._update_buttons()
        return handle

    @Slot()
    def _task_finished(self) -> None:
        self._task = None
        self._update_buttons()

    # Outcomes -------------------------------------------------------------------------------

    def _show_preview(self, preview: ImportPreview) -> None:
        self._preview = preview
        self.model.set_rows(preview.rows, self._ctx.workers.policy)
        self._show_messages(preview.problems, preview.warnings)
        rows = _workers(len(preview.rows))
        if preview.problems:
            errors = len(preview.problems)
            self.status_label.setText(
                f"{errors} error{'s' if errors != 1 else ''} to fix before anything can be "
                f"imported ({rows} read without problems). Nothing has been written."
            )
        elif not preview.rows:
            self.status_label.setText("The file holds no workers to import.")
        else:
            warned = f", {len(preview.warnings)} warning(s)" if preview.warnings else ""
            self.status_label.setText(
                f"Ready: {rows} to import{warned}. Nothing is written until you press Import."
            )
        self._update_buttons()
        self.preview_shown.emit()

    def _preview_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, KeelError):
            sys.excepthook(type(exc), exc, exc.__traceback__)
            return
        self._preview = None
        self.status_label.setText("The file could not be read. Nothing has been written.")
        self._show_messages([str(exc)], [])
        self._update_buttons()
        self.preview_shown.emit()

    def _import_done(self, result: ImportResult) -> None:
        log.info("staff import finished: %s", result.summary())
        self.result_summary = result
        self._preview = None
        self.status_label.setText(result.summary())
        self._show_messages([], result.warnings)
        self.close_button.setText("Close")
        self._update_buttons()
        self.imported.emit([])

    def _import_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ImportFailed):
            # Found only when writing (the file changed, or a name matches two workers).
            self._preview = None
            self.status_label.setText(str(exc))
            self._show_messages(exc.problems, [])
        elif isinstance(exc, KeelError):
            self.status_label.setText("Nothing was imported.")
            QMessageBox.warning(self, "Import staff", str(exc))
        else:
            sys.excepthook(type(exc), exc, exc.__traceback__)
        self._update_buttons()

    def _import_cancelled(self) -> None:
        self.status_label.setText("The import was cancelled: nothing was changed.")
        self._update_buttons()

    # Showing --------------------------------------------------------------------------------

    def _show_messages(self, problems: list[str], warnings: list[str]) -> None:
        self.errors_model.setStringList(problems)
        self.warnings_model.setStringList(warnings)
        for widget in (self.errors_title, self.errors_view):
            widget.setVisible(bool(problems))
        for widget in (self.warnings_title, self.warnings_view):
            widget.setVisible(bool(warnings))
        _fit_lines(self.errors_view, len(problems), most=7)
        _fit_lines(self.warnings_view, len(warnings), most=4)

    def _update_buttons(self) -> None:
        busy = self._task is not None
        preview = self._preview
        ready = preview is not None and preview.ok and bool(preview.rows)
        count = len(preview.rows) if preview is not None else 0
        self.import_button.setText(f"&Import {_workers(count)}" if ready else "&Import")
        self.import_button.setAccessibleName(self.import_button.text().replace("&", ""))
        self.import_button.setEnabled(ready and not busy)
        self.choose_button.setEnabled(not busy)
        self.reload_button.setEnabled(not busy and self._path is not None)
        self.close_button.setEnabled(not busy)

    # Closing --------------------------------------------------------------------------------

    def reject(self) -> None:
        if self._task is not None:
            return  # the progress dialog's Cancel stops an import; the window stays till then
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._task is not None:
            event.ignore()
            return
        super().closeEvent(event)


def _workers(n: int) -> str:
    return f"{n} worker{'' if n == 1 else 's'}"
