"""The scheduler, Keel's home screen: who is overdue or due soon, and why.

One row per worker in post, a cell per supervision type coloured by due status and spelled out
in words. The table is a ``ScheduleModel`` behind a ``ScheduleFilter``: filters, search and
sorting never recompute the schedule; only a new as-of date or a save does (and a save
recomputes just the workers it touched). The details pane is in ``scheduler_details``.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QByteArray,
    QModelIndex,
    QPoint,
    QSettings,
    QSignalBlocker,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.dates import uk, weekday
from app.domain.catalogue import TypeSpec
from app.domain.model import DueStatus, StaffEntry, TypeKey
from app.domain.qa import QaFigures
from app.errors import KeelError
from app.services.scheduling import ScheduleRow
from ui.context import AppContext
from ui.models.schedule_model import (
    FIRST_TYPE_COLUMN,
    Column,
    ScheduleFilter,
    ScheduleModel,
)
from ui.screens.qa_summary import TIP as QA_TIP
from ui.screens.qa_summary import qa_text, qa_tooltip
from ui.screens.scheduler_details import DetailsPane, plain_label
from ui.widgets.dates import DateEdit
from ui.widgets.focus import set_tab_order
from ui.widgets.status_style import BACKGROUND, FOREGROUND, status_text

if TYPE_CHECKING:  # annotations only: Qt's event types are not created at start-up
    from PySide6.QtGui import QHideEvent

    from ui.forms.booking_dialog import Booking

log = logging.getLogger(__name__)

WEEK_DAYS = 7
""""Due this week" = not overdue, next due within the 7 days starting on the as-of date."""

FILTER_STATUSES = (
    DueStatus.OVERDUE,
    DueStatus.DUE_SOON,
    DueStatus.ON_TRACK,
    DueStatus.PAUSED,
)
AGREEMENT_DUE = "agreement_review"
"""Item data of the status filter's "Agreement review due" entry."""
ALL = ""
"""Item data of the "All …" filter entries. Not None: PySide6 6.12 on Python 3.11 loses a
reference to None each time Qt hands an empty QVariant back (see ``schedule_model``)."""
_AS_OF_DELAY_MS = 250  # typing a date fires a change per keystroke: recompute once at the end
_SPLITTER_KEY = "scheduler/splitter"
# Column widths as the user left them. Version 2: widths saved before the columns were sized to
# fit a 1366-pixel screen (team and tier cut) are not brought back.
_HEADER_KEY = "scheduler/header-v2"


def ask_booking(
    parent: QWidget, worker_name: str, spec: TypeSpec, default: date, earliest: date
) -> Booking | None:
    """Ask for the date, start time, length, mode and place of a session to book; None when
    the user cancels."""
    from ui.forms.booking_dialog import BookingDialog  # with the first booking

    dialog = BookingDialog(worker_name, spec, default, earliest, parent)
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    chosen = dialog.booking() if accepted else None
    dialog.deleteLater()
    return chosen


def confirm_second_session(
    parent: QWidget, worker_name: str, spec: TypeSpec, on: date, others: list[Any]
) -> bool:
    """A second session of one type for one worker on one day is most often a slip: ask."""
    from app.services.sessions import same_day_words

    what = same_day_words(others)
    answer = QMessageBox.question(
        parent,
        "A second session that day?",
        f"{worker_name} already has a {spec.name.lower()} session on {uk(on)} ({what}). "
        "Book a second one that day?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def counts_text(model: ScheduleModel, today: date) -> str:
    """ "45 workers · 4 overdue · 6 due this week · compliance 82%"."""
    schedule = model.schedule()
    as_of = schedule.as_of
    rows = schedule.rows
    overdue = schedule.count(DueStatus.OVERDUE)
    week_end = as_of + timedelta(days=WEEK_DAYS - 1)
    this_week = sum(
        1
        for r in rows
        if r.status.overall in (DueStatus.DUE_SOON, DueStatus.ON_TRACK)
        and (due := r.status.next_due) is not None
        and as_of <= due <= week_end
    )
    percent = schedule.compliance().percent
    compliance = "compliance —" if percent is None else f"compliance {percent:.0f}%"
    noun = "worker" if len(rows) == 1 else "workers"
    text = f"{len(rows)} {noun} · {overdue} overdue · {this_week} due this week · {compliance}"
    reviews = len(model.agreements())
    if reviews:
        text += f" · {reviews} agreement review{'s' if reviews != 1 else ''} due"
    if as_of != today:
        text = f"On {weekday(as_of)} {uk(as_of)}: {text}"
    return text


class SchedulerScreen(QWidget):
    """Every worker in post with a cell per supervision type, worst first."""

    session_requested = Signal(str, str)
    """(worker_id, type value): open a new session of that type for that worker."""
    worker_requested = Signal(str)
    """worker_id: open the worker's page."""
    booking_open_requested = Signal(str)
    """session id: record a booked (planned) session — it becomes the record."""
    booking_made = Signal(str)
    """worker_id: a planned session was booked for this worker."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._as_of = ctx.today()
        self._names: dict[str, str] = {}
        self._qa: QaFigures | None = None
        self.model = ScheduleModel(self)
        self.proxy = ScheduleFilter(self.model, self)
        self._as_of_timer = QTimer(self)
        self._as_of_timer.setSingleShot(True)
        self._as_of_timer.setInterval(_AS_OF_DELAY_MS)
        self._build()
        self._connect()
        self._restore_layout()
        self.table.sortByColumn(Column.OVERALL, Qt.SortOrder.AscendingOrder)  # worst first
        self.refresh()

    # Building ------------------------------------------------------------------------------

    def _build(self) -> None:
        self.counts = plain_label()
        self.counts.setAccessibleDescription("Schedule counts")
        self._counts_tip = (
            "Overdue: workers with at least one overdue type. Due this week: workers not "
            f"overdue whose next due date falls within {WEEK_DAYS} days from the as-of date. "
            "Compliance: share of required, not paused (worker, type) pairs that are not overdue. "
            "Agreement reviews due: supervision agreements whose review date has passed or is "
            "near (Status → Agreement review due lists them)."
        )
        self.counts.setToolTip(self._counts_tip)
        # The line grows a second line rather than hiding its end (QA, agreement reviews) on
        # a laptop's screen.
        self.counts.setWordWrap(True)
        font = QFont(self.counts.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.counts.setFont(font)

        self.as_of_edit = DateEdit(self._as_of)
        self.as_of_edit.setAccessibleName("Show the schedule as of this date")
        self.as_of_edit.setToolTip("Look ahead: who will be due by this date?")
        self.today_button = QPushButton("&Today")
        self.today_button.setAccessibleName("Show the schedule as of today")
        as_of_label = QLabel("&As of:")
        as_of_label.setBuddy(self.as_of_edit)

        top = QHBoxLayout()
        top.addWidget(self.counts, 1)
        top.addWidget(as_of_label)
        top.addWidget(self.as_of_edit)
        top.addWidget(self.today_button)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search name, role or team")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search workers by name, role or team")
        self.team_combo = QComboBox()
        self.team_combo.setAccessibleName("Filter by team")
        self.supervisor_combo = QComboBox()
        self.supervisor_combo.setAccessibleName("Filter by line or clinical supervisor")
        self.status_combo = QComboBox()
        self.status_combo.setAccessibleName("Filter by overall status")
        self.status_combo.addItem("All statuses", ALL)
        for status in FILTER_STATUSES:
            self.status_combo.addItem(status_text(status), status)
        self.status_combo.addItem("Agreement review due", AGREEMENT_DUE)
        for combo in (self.team_combo, self.supervisor_combo):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.setMinimumContentsLength(12)
        self.shown = plain_label()
        self.shown.setAccessibleDescription("Workers shown")

        filters = QHBoxLayout()
        search_label = QLabel("&Search:")
        search_label.setBuddy(self.search)
        filters.addWidget(search_label)
        filters.addWidget(self.search, 2)
        for text, combo in (
            ("T&eam:", self.team_combo),
            ("Su&pervisor:", self.supervisor_combo),
            ("Stat&us:", self.status_combo),
        ):
            label = QLabel(text)
            label.setBuddy(combo)
            filters.addSpacing(8)
            filters.addWidget(label)
            filters.addWidget(combo)
        filters.addSpacing(8)
        filters.addWidget(self.shown, 1)

        self.table = QTableView()
        self.table.setTabKeyNavigation(False)  # one Tab stop, not ~190: arrows move inside
        self.table.setModel(self.proxy)
        self.table.setAccessibleName("Supervision schedule")
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.verticalHeader().setVisible(False)
        # Hold the headers' Python wrappers for the table's life. A wrapper fetched for a moment
        # and later freed by Python's cycle collector (not by its reference count) took the
        # C++ header with it under PySide6 6.11: the next horizontalHeader() — saving the
        # column widths as the window closed — then crashed the process (seen in the tests
        # after a few windows; held, it never crashed in 12 runs).
        self._headers = (self.table.horizontalHeader(), self.table.verticalHeader())
        self._tint_selection()
        self._size_columns()

        self.empty_label = plain_label()
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAccessibleDescription("Schedule message")
        self.clear_button = QPushButton("&Clear filters")
        self.clear_button.setAccessibleName("Clear the search and the filters")
        empty = QWidget()
        empty_layout = QVBoxLayout(empty)
        empty_layout.addStretch(1)
        empty_layout.addWidget(self.empty_label)
        empty_layout.addWidget(self.clear_button, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_layout.addStretch(1)
        self.table_stack = QStackedWidget()
        self.table_stack.addWidget(self.table)
        self.table_stack.addWidget(empty)

        self.details = DetailsPane()
        self.details.setAccessibleName("Details of the selected worker")
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table_stack)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([430, 230])

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self._legend())
        layout.addWidget(self.splitter, 1)

        # Tab follows the page: the As of row above the filters, then the table.
        set_tab_order(
            self.as_of_edit,
            self.today_button,
            self.search,
            self.team_combo,
            self.supervisor_combo,
            self.status_combo,
            self.table,
            self.clear_button,
        )

    def _legend(self) -> QWidget:
        legend = QWidget()
        legend.setAccessibleName("Legend")
        row = QHBoxLayout(legend)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Legend:"))
        for status in DueStatus:
            chip = plain_label(status_text(status))
            chip.setAutoFillBackground(True)
            chip.setContentsMargins(6, 1, 6, 1)
            palette = chip.palette()
            palette.setColor(chip.backgroundRole(), BACKGROUND[status])
            palette.setColor(chip.foregroundRole(), FOREGROUND[status])
            chip.setPalette(palette)
            chip.setAccessibleName(f"Legend: {status.label}")
            row.addWidget(chip)
        hint = plain_label(
            "· “booked 3 Dec” = a planned session · double-click or Enter on a cell records "
            "a session · right-click to book"
        )
        hint.setEnabled(False)
        row.addWidget(hint, 1)
        return legend

    def _tint_selection(self) -> None:
        """A selected cell keeps its status colour under a light tint and black text.

        Done with the palette, not a Python delegate: painting stays in C++ (fast, and under
        PySide6 6.12.0 on Python 3.11 each Qt call from Python that returns nothing costs a
        reference to None — a Python paint() lost ~500 per repaint of this table).
        """
        palette = self.table.palette()
        for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
            highlight = palette.color(group, QPalette.ColorRole.Highlight)
            highlight.setAlpha(70)
            palette.setColor(group, QPalette.ColorRole.Highlight, highlight)
            palette.setColor(group, QPalette.ColorRole.HighlightedText, QColor("black"))
        self.table.setPalette(palette)

    def _size_columns(self) -> None:
        """Every column shows its longest text whole on a 1366-pixel laptop screen: names,
        "Crisis & Home Treatment", "Not assessed" and "✖ Overdue · 99 days · booked 30 Nov".
        The team column takes what is left, never less than its longest team (a longer one
        elides, its full text in the tooltip and the details pane)."""
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(Column.TEAM, QHeaderView.ResizeMode.Stretch)
        metrics = QFontMetrics(self.table.font())
        pad = 12
        widths = {
            int(Column.WORKER): metrics.horizontalAdvance("Graham Whitfield-Okafor") + pad,
            int(Column.TIER): metrics.horizontalAdvance("Not assessed") + pad,
            int(Column.OVERALL): metrics.horizontalAdvance("▲ Due soon") + pad + 4,
            self.model.next_due_column: metrics.horizontalAdvance("30 Nov 2026") + pad,
        }
        # Wide enough for an overdue booked cell ("✖ Overdue · 99 days · booked 30 Nov"); with
        # more than three types, narrower so every type still fits a 1366-pixel screen (the
        # cell's full text is then in the tooltip and the details pane).
        type_width = metrics.horizontalAdvance("✖ Overdue · 99 days · booked 30 Nov") + pad
        shown = len(self.model.types)
        if shown > 3:
            floor = metrics.horizontalAdvance("✖ Overdue · 99 days") + pad
            type_width = max(floor, type_width * 3 // shown)
        for type_ in self.model.types:
            widths[FIRST_TYPE_COLUMN + self.model.types.index(type_)] = type_width
        for column, width in widths.items():
            self.table.setColumnWidth(column, width)
        header.setMinimumSectionSize(metrics.horizontalAdvance("Worker") + pad)
        self.table.verticalHeader().setDefaultSectionSize(metrics.height() + 12)

    def _connect(self) -> None:
        self.search.textChanged.connect(self._search_changed)
        self.team_combo.currentIndexChanged.connect(self._team_changed)
        self.supervisor_combo.currentIndexChanged.connect(self._supervisor_changed)
        self.status_combo.currentIndexChanged.connect(self._status_changed)
        self.as_of_edit.dateChanged.connect(lambda _d: self._as_of_timer.start())
        self._as_of_timer.timeout.connect(lambda: self.set_as_of(self.as_of_edit.value()))
        self.today_button.clicked.connect(lambda: self.set_as_of(self._ctx.today()))
        self.clear_button.clicked.connect(self.clear_filters)
        self.table.activated.connect(self._activated)
        self.table.customContextMenuRequested.connect(self._show_context_menu)
        self.table.selectionModel().currentChanged.connect(lambda *_: self._show_details())
        self.proxy.rowsInserted.connect(self._update_shown)
        self.proxy.rowsRemoved.connect(self._update_shown)
        self.proxy.modelReset.connect(self._update_shown)
        self.proxy.layoutChanged.connect(self._update_shown)

    def _restore_layout(self) -> None:
        """The splitter as the user left it (the columns: see ``_restore_columns``)."""
        state = QSettings().value(_SPLITTER_KEY)
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.splitter.restoreState(state)

    def _header_key(self) -> str:
        """Column widths are kept per set of type columns: a policy that adds or retires a
        type gets fresh columns, never another layout's widths."""
        return f"{_HEADER_KEY}/{','.join(self.model.types)}"

    def _restore_columns(self) -> None:
        """Size the columns for the types shown, then apply the widths the user left."""
        header = self.table.horizontalHeader()
        section, order = header.sortIndicatorSection(), header.sortIndicatorOrder()
        self._size_columns()
        state = QSettings().value(self._header_key())
        if isinstance(state, QByteArray) and not state.isEmpty():
            # The widths only: the sort stays. Quietly, so that the rows (already in this
            # order) are not sorted again: ≈15 ms of the start on the reference database.
            with QSignalBlocker(header):
                header.restoreState(state)
                header.setSortIndicator(section, order)
            self.table.updateGeometries()
            self.table.viewport().update()

    def hideEvent(self, event: QHideEvent) -> None:
        settings = QSettings()
        settings.setValue(_SPLITTER_KEY, self.splitter.saveState())
        settings.setValue(self._header_key(), self.table.horizontalHeader().saveState())
        super().hideEvent(event)

    # Public API ----------------------------------------------------------------------------

    def as_of(self) -> date:
        return self._as_of

    def set_as_of(self, day: date) -> None:
        """Show the schedule as it will stand on ``day`` (recomputes every row)."""
        self._as_of_timer.stop()
        if self.as_of_edit.value() != day:
            with QSignalBlocker(self.as_of_edit):
                self.as_of_edit.set_date(day)
        if day != self._as_of:
            self._as_of = day
            self.refresh()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def refresh(self, worker_ids: list[str] | None = None) -> None:
        """Recompute the schedule: every row, or only these workers' rows."""
        selected = self.selected_worker_id()
        try:
            self.model.set_agreements(self._ctx.agreements.agreements_due(self._as_of))
            if worker_ids is None:
                schedule = self._ctx.schedule.compute_schedule(self._as_of)
                staff = {s.id: s for s in self._ctx.workers.staff()}
                self._names = {wid: s.name for wid, s in staff.items()}
                columns = self.model.types
                self.model.set_schedule(schedule, staff)
                if self.model.types != columns:
                    self._restore_columns()
                catalogue = self.model.catalogue
                self.details.set_types([catalogue.spec(t) for t in self.model.types])
            else:
                schedule = self._ctx.schedule.compute_schedule(self._as_of, worker_ids=worker_ids)
                changed = {
                    w.id: StaffEntry.of(w)
                    for wid in worker_ids
                    if (w := self._ctx.workers.get(wid))
                }
                self._names.update({wid: w.name for wid, w in changed.items()})
                self.model.update_rows(schedule.rows, changed)
                returned = {r.worker_id for r in schedule.rows}
                self.model.remove_workers(wid for wid in worker_ids if wid not in returned)
        except KeelError as exc:
            log.warning("could not compute the schedule: %s", exc)
            QMessageBox.warning(self, "Keel could not read the schedule", str(exc))
            return
        self._fill_filter_combos()
        self._qa = self._ctx.qa.month(self._as_of)
        self._show_counts()
        if selected is not None and not self.selected_worker_id():
            self.select_worker(selected)
        if not self.table.currentIndex().isValid() and self.proxy.rowCount():
            # The worst case's details show at once, and the keyboard has a place to start.
            self.table.setCurrentIndex(self.proxy.index(0, Column.WORKER))
        self._update_shown()
        self._show_details()

    # Selection -----------------------------------------------------------------------------

    def selected_worker_id(self) -> str | None:
        row = self._row_for(self.table.currentIndex())
        return None if row is None else row.worker_id

    def select_worker(self, worker_id: str, column: int = Column.WORKER) -> bool:
        """Make this worker's cell current (if the filters show it)."""
        source_row = self.model.row_of(worker_id)
        if source_row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(source_row, column))
        if not index.isValid():
            return False
        self.table.setCurrentIndex(index)
        self.table.scrollTo(index)
        return True

    def _row_for(self, index: QModelIndex) -> ScheduleRow | None:
        if not index.isValid():
            return None
        source = self.proxy.mapToSource(index)
        return self.model.row_at(source.row()) if source.isValid() else None

    def _show_details(self) -> None:
        row = self._row_for(self.table.currentIndex())
        worker = None if row is None else self.model.worker(row.worker_id)
        agreement = None if row is None else self.model.agreement_for(row.worker_id)
        self.details.show_row(row, worker, self._as_of, self._names, agreement)

    # Filters -------------------------------------------------------------------------------

    def clear_filters(self) -> None:
        self.search.clear()
        self.team_combo.setCurrentIndex(0)
        self.supervisor_combo.setCurrentIndex(0)
        self.status_combo.setCurrentIndex(0)

    def _search_changed(self, text: str) -> None:
        self.proxy.set_search(text)
        self._update_shown()

    def _team_changed(self, _index: int) -> None:
        self.proxy.set_team(self.team_combo.currentData() or None)
        self._update_shown()
        self._show_counts()

    def refresh_qa(self) -> None:
        """Count the QA figures again (after a countersignature) and show them."""
        try:
            self._qa = self._ctx.qa.month(self._as_of)
        except KeelError as exc:
            log.warning("could not count the QA figures: %s", exc)
            return
        self._show_counts()

    def _show_counts(self) -> None:
        """The summary line: the schedule's counts, then QA (for the team filtered to)."""
        if self._qa is None:
            return
        team = self.team_combo.currentData() or None
        self.counts.setText(counts_text(self.model, self._ctx.today()) + qa_text(self._qa, team))
        self.counts.setToolTip(f"{self._counts_tip}\n\n{QA_TIP}\n{qa_tooltip(self._qa)}")

    def _supervisor_changed(self, _index: int) -> None:
        self.proxy.set_supervisor(self.supervisor_combo.currentData() or None)
        self._update_shown()

    def _status_changed(self, _index: int) -> None:
        value = self.status_combo.currentData()
        self.proxy.set_agreement_due(value == AGREEMENT_DUE)
        self.proxy.set_status(DueStatus(value) if value and value != AGREEMENT_DUE else None)
        self._update_shown()

    def _fill_filter_combos(self) -> None:
        rows = self.model.rows()
        teams = sorted({r.facts.team for r in rows if r.facts.team}, key=str.casefold)
        team_items = [("All teams", ALL), *((t, t) for t in teams)]
        supervisor_ids: set[str] = set()
        for r in rows:
            worker = self.model.worker(r.worker_id)
            if worker is not None:
                supervisor_ids.update(
                    i for i in (worker.line_supervisor_id, worker.clinical_supervisor_id) if i
                )
        supervisors = sorted(
            ((self._names.get(i, "(unknown)"), i) for i in supervisor_ids),
            key=lambda item: item[0].casefold(),
        )
        if self._refill(self.team_combo, team_items):
            self.proxy.set_team(None)
        if self._refill(self.supervisor_combo, [("All supervisors", ALL), *supervisors]):
            self.proxy.set_supervisor(None)

    @staticmethod
    def _refill(combo: QComboBox, items: list[tuple[str, str]]) -> bool:
        """Replace the items, keeping the choice if it still exists; True when the choice
        had to fall back to "All" (so the filter must be lifted)."""
        current = combo.currentData() if combo.count() else ALL
        wanted = [data for _text, data in items]
        if [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())] == items:
            return False
        with QSignalBlocker(combo):
            combo.clear()
            for text, data in items:
                combo.addItem(text, data)
            keep = current in wanted
            combo.setCurrentIndex(wanted.index(current) if keep else 0)
        return current != ALL and not keep

    def _update_shown(self) -> None:
        total = self.model.rowCount()
        shown = self.proxy.rowCount()
        self.shown.setText(f"Showing {shown} of {total}" if shown != total else "")
        self.details.setVisible(shown > 0)
        if total == 0:
            self.empty_label.setText(
                "No workers yet. Add your first worker or import a staff list "
                "(File → Import staff CSV…) and they will appear here with their due dates."
            )
            self.clear_button.hide()
            self.table_stack.setCurrentIndex(1)
        elif shown == 0:
            self.empty_label.setText("No worker matches the search and filters.")
            self.clear_button.show()
            self.table_stack.setCurrentIndex(1)
        else:
            self.table_stack.setCurrentIndex(0)

    # Acting on cells -----------------------------------------------------------------------

    def _activated(self, index: QModelIndex) -> None:
        """Double-click or Enter: a type cell opens a new session, other cells the worker."""
        row = self._row_for(index)
        if row is None:
            return
        type_ = self.model.type_at(index.column())
        if type_ is None:
            self.worker_requested.emit(row.worker_id)
            return
        booking = self._ctx.sessions.booking_to_record(row.worker_id, type_, self._ctx.today())
        if booking is not None:  # the booking becomes the record, not a second session
            self.booking_open_requested.emit(booking.id)
        else:
            self.session_requested.emit(row.worker_id, type_)

    def context_menu(self, index: QModelIndex) -> QMenu | None:
        """The menu for a cell (built, not shown): record, book, open the worker; export the
        booked sessions as a calendar file."""
        row = self._row_for(index)
        if row is None:
            return None
        wid = row.worker_id
        menu = QMenu(self)
        type_ = self.model.type_at(index.column())
        types = [type_] if type_ is not None else list(self.model.types)
        today = self._ctx.today()
        for t in types:
            name = self.model.catalogue.spec(t).name.lower()
            label = "" if type_ is not None else f" ({name})"
            booking = self._ctx.sessions.booking_to_record(wid, t, today)
            if booking is not None:
                when = f"{weekday(booking.session_date)} {uk(booking.session_date)}"
                booked = menu.addAction(f"&Record the booked session{label}, {when}…")
                booked.triggered.connect(
                    lambda _=False, sid=booking.id: self.booking_open_requested.emit(sid)
                )
            now = "Record a &new session now" if booking is not None else "&Record a session now"
            record = menu.addAction(f"{now}{label}…")
            record.triggered.connect(lambda _=False, t=t: self.session_requested.emit(wid, t))
            book = menu.addAction(f"&Book a session{label}…")
            book.triggered.connect(lambda _=False, t=t: self.book_session(wid, t))
        menu.addSeparator()
        open_worker = menu.addAction("&Open worker")
        open_worker.triggered.connect(lambda: self.worker_requested.emit(wid))
        menu.addSeparator()
        from ui.calendar_export import ACTION_TEXT  # with the menu: not needed at start-up

        calendar = menu.addAction(ACTION_TEXT)
        calendar.triggered.connect(lambda _=False: self.export_calendar())
        return menu

    def export_calendar(self) -> None:
        """Every booked session of a period (not only this worker's) as an .ics file."""
        from ui.calendar_export import export_calendar_file

        export_calendar_file(self._ctx, self)

    def _show_context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        menu = self.context_menu(index)
        if menu is None:
            return
        self.table.setCurrentIndex(index)
        menu.exec(self.table.viewport().mapToGlobal(pos))
        menu.deleteLater()

    def book_session(self, worker_id: str, type_: TypeKey) -> bool:
        """Ask for the date, time, length, mode and place, and book a planned session; True
        when one was booked. A second one that day for the same worker and type asks first."""
        source_row = self.model.row_of(worker_id)
        if source_row is None:
            return False
        row = self.model.row_at(source_row)
        today = self._ctx.today()
        due = row.status.by_type[type_].due
        default = due if due is not None and due >= today else today
        spec = self.model.catalogue.spec(type_)
        chosen = ask_booking(self, row.facts.name, spec, default, today)
        if chosen is None:
            return False
        if chosen.on < today:
            QMessageBox.warning(
                self,
                "Book a session",
                "A booking is for today or a later date. To record a session that has "
                "already happened, use “Record a session now…” instead.",
            )
            return False
        others = self._ctx.sessions.same_day(worker_id, type_, chosen.on)
        if others and not confirm_second_session(self, row.facts.name, spec, chosen.on, others):
            return False
        try:
            self._ctx.sessions.book(
                worker_id, type_, chosen.on, start_time=chosen.start_time,
                duration_minutes=chosen.duration_minutes, mode=chosen.mode,
                location=chosen.location,
            )  # fmt: skip
        except KeelError as exc:
            QMessageBox.warning(self, "The session was not booked", str(exc))
            return False
        self.refresh([worker_id])
        self.select_worker(worker_id, self.model.column_of(type_) or Column.WORKER)
        self.booking_made.emit(worker_id)
        return True
