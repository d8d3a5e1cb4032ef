"""The workers screen: a searchable list on the left, the selected worker's page on the right.

The page shows the worker's details, risk profile (editor and history), leave, overrides,
triggers and session history. Every change is saved through ``WorkerService`` and announced
with ``workers_changed`` so the scheduler updates at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QItemSelection,
    QModelIndex,
    QObject,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.dates import uk
from app.domain.model import SessionStatus, TypeKey, Worker
from app.domain.rows import SessionSummary
from app.domain.schedule import WorkerStatus
from app.errors import KeelError
from ui.context import AppContext
from ui.exporting import Exporter
from ui.forms.adjustment_dialogs import LeaveDialog, OverrideDialog, TriggerDialog
from ui.forms.agreement_dialog import AgreementPanel
from ui.forms.risk_editor import RiskEditor
from ui.forms.worker_dialog import EMPLOYMENT_LABELS, WorkerDialog, ask_left_date
from ui.models.sorting import SourceSortProxy
from ui.models.worker_models import (
    OBJECT_ROLE,
    SEARCH_ROLE,
    SORT_ROLE,
    AssessmentHistoryModel,
    LeaveModel,
    LeaveRow,
    OverrideModel,
    OverrideRow,
    RowTableModel,
    SessionHistoryModel,
    TriggerModel,
    TriggerRow,
    WorkerListModel,
    WorkerRow,
    tier_label,
)
from ui.widgets.sparkline import WellbeingPanel
from ui.widgets.status_style import BACKGROUND, FOREGROUND, status_text


def time_in_post(start: date, today: date) -> str:
    """ "in post 20 days", "in post 5 months", "in post 2 years 3 months"; or "starts on …"."""
    days = (today - start).days
    if days < 0:
        return f"starts {uk(start)}"
    if days < 120:
        return f"in post {days} day{'s' if days != 1 else ''}"
    months = (today.year - start.year) * 12 + today.month - start.month
    if today.day < start.day:
        months -= 1
    years, months = divmod(months, 12)
    parts = []
    if years:
        parts.append(f"{years} year{'s' if years != 1 else ''}")
    if months:
        parts.append(f"{months} month{'s' if months != 1 else ''}")
    return "in post " + " ".join(parts)


def _table(name: str, model: QAbstractItemModel) -> QTableView:
    view = QTableView()
    view.setTabKeyNavigation(False)  # one Tab stop: arrows move inside
    view.setAccessibleName(name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(24)
    header = view.horizontalHeader()
    header.setStretchLastSection(True)
    header.setHighlightSections(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return view


def _with_mnemonic(text: str, used: set[str], *, skip: int = 0) -> str:
    """``text`` with "&" before its first letter (from ``skip`` on) not in ``used``, which
    then is; unchanged when every letter is taken."""
    for n, char in enumerate(text):
        letter = char.casefold()
        if n >= skip and char.isalpha() and letter not in used:
            used.add(letter)
            return f"{text[:n]}&{text[n:]}"
    return text


def _plain(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class _FittingScrollArea(QScrollArea):
    """A scroll area that asks for its content's full height, so a splitter gives it that
    first and only scrolls when the window is too short."""

    def sizeHint(self) -> QSize:
        inner = self.widget()
        if inner is None:
            return super().sizeHint()
        hint = inner.sizeHint()
        return QSize(hint.width(), hint.height() + 2 * self.frameWidth())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # QScrollArea watches its widget already; pass its re-layouts on to our own layout.
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()
        return super().eventFilter(watched, event)


class _AdjustmentTab(QWidget):
    """A table with an explanation and Add…/Remove buttons (leave, overrides, triggers)."""

    def __init__(self, name: str, intro: str, model: RowTableModel[Any]) -> None:
        super().__init__()
        self.model = model
        self.view = _table(name, model)
        self.add_button = QPushButton(f"A&dd {name.lower()}…")
        self.add_button.setAccessibleName(f"Add {name.lower()}")
        self.remove_button = QPushButton("Re&move")
        self.remove_button.setAccessibleName(f"Remove {name.lower()}")
        self.remove_button.setEnabled(False)
        text = QLabel(intro)
        text.setWordWrap(True)
        text.setStyleSheet("color: #555555;")
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        model.modelReset.connect(self._selection_changed)

    def _selection_changed(self, *_args: object) -> None:
        self.remove_button.setEnabled(self.view.selectionModel().hasSelection())

    def selected(self) -> object | None:
        rows = self.view.selectionModel().selectedRows()
        return rows[0].data(OBJECT_ROLE) if rows else None


class WorkersScreen(QWidget):
    """Add, edit and look after workers: profile, risk profile, leave, overrides, triggers."""

    workers_changed = Signal(list)
    session_open_requested = Signal(str)
    new_session_requested = Signal(str, str)
    export_reported = Signal(str)  # a sentence for the status bar: where an export went

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._worker: Worker | None = None
        self._statuses: dict[str, WorkerStatus] = {}
        self._stale = True  # loaded when first shown (or asked for a worker)
        self._history: list[SessionSummary] = []
        self.exporter = Exporter(ctx, self)
        self._build_list()
        self._build_page()
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self._list_panel)
        splitter.addWidget(self._right)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([440, 926])
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(splitter)
        self._connect()

    # Building -------------------------------------------------------------------------------

    def _build_list(self) -> None:
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search name, role or team")
        self.search_edit.setAccessibleName("Search workers")
        self.search_edit.setClearButtonEnabled(True)
        self.list_model = WorkerListModel()
        self.proxy = SourceSortProxy(self)
        self.proxy.setSourceModel(self.list_model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setFilterKeyColumn(0)
        self.proxy.setFilterRole(SEARCH_ROLE)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.list_view = _table("Workers", self.proxy)
        self.list_view.setSortingEnabled(True)
        self.list_view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        header = self.list_view.horizontalHeader()
        for column, width in enumerate((150, 95, 96, 72, 34)):
            header.resizeSection(column, width)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # Names come first and must be readable: the role is on the worker's page (and in the
        # search), so the narrow list leaves it out.
        self.list_view.setColumnHidden(1, True)
        self.show_left_check = QCheckBox("Show people who have left")
        self.show_left_check.setAccessibleName("Show people who have left")
        self.add_button = QPushButton("Add wor&ker…")
        self.add_button.setAccessibleName("Add worker")
        self.count_label = QLabel()
        bottom = QHBoxLayout()
        bottom.addWidget(self.show_left_check)
        bottom.addStretch(1)
        bottom.addWidget(self.add_button)
        self._list_panel = QWidget()
        self._list_panel.setMinimumWidth(380)
        layout = QVBoxLayout(self._list_panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search_edit)
        layout.addWidget(self.list_view, 1)
        layout.addWidget(self.count_label)
        layout.addLayout(bottom)

    def _build_page(self) -> None:
        self._right = QStackedWidget()
        self.placeholder = QLabel("Choose a worker on the left, or add one with “Add worker…”.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: #666666;")
        self._right.addWidget(self.placeholder)

        self.page = QWidget()
        self._build_header()
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Worker details")
        self.tabs.addTab(self._build_profile_tab(), "&Profile")
        self.tabs.addTab(self._build_risk_tab(), "&Risk profile")
        self.leave_tab = _AdjustmentTab(
            "Leave",
            "Leave stops the due-date clock; while it lasts the worker shows as paused.",
            LeaveModel(),
        )
        self.override_tab = _AdjustmentTab(
            "Override",
            "An override sets this worker's interval for one type until it expires "
            "(the new-starter limit still applies).",
            OverrideModel(),
        )
        self.trigger_tab = _AdjustmentTab(
            "Trigger",
            "An incident, concern or return from leave makes a supervision due within the "
            "response time. A held session of that type on or after the event closes it.",
            TriggerModel(),
        )
        self.tabs.addTab(self.leave_tab, "L&eave")
        self.tabs.addTab(self.override_tab, "&Overrides")
        self.tabs.addTab(self.trigger_tab, "&Triggers")
        self.tabs.addTab(self._build_sessions_tab(), "Sess&ions")
        self.wellbeing_tab = WellbeingPanel(self._ctx)
        self.agreement_tab = AgreementPanel(self._ctx)
        self.tabs.addTab(self.wellbeing_tab, "Well&being")
        self.tabs.addTab(self.agreement_tab, "A&greement")
        layout = QVBoxLayout(self.page)
        layout.setContentsMargins(6, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(self.tabs, 1)
        self._right.addWidget(self.page)

    def _build_header(self) -> None:
        self.header = QWidget()
        self.name_label = _plain()
        self.name_label.setAccessibleDescription("Worker name")
        font = QFont()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.5)
        self.name_label.setFont(font)
        self.details_label = _plain()
        self.details_label.setAccessibleDescription("Role, team, start date and employment")
        self.supervisors_label = _plain()
        self.supervisors_label.setAccessibleDescription("Supervisors")
        self.status_label = QLabel()
        self.status_label.setAccessibleDescription("Overall status")
        self.status_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.tier_header_label = _plain()
        self.tier_header_label.setAccessibleDescription("Tier")
        self.tier_header_label.setAlignment(Qt.AlignmentFlag.AlignRight)
        left = QVBoxLayout()
        left.setSpacing(1)
        left.addWidget(self.name_label)
        left.addWidget(self.details_label)
        left.addWidget(self.supervisors_label)
        right = QVBoxLayout()
        right.addWidget(self.status_label)
        right.addWidget(self.tier_header_label)
        right.addStretch(1)
        row = QHBoxLayout(self.header)
        row.setContentsMargins(0, 0, 0, 4)
        row.addLayout(left, 1)
        row.addLayout(right)

    def _build_profile_tab(self) -> QWidget:
        tab = QWidget()
        self.profile_fields: dict[str, QLabel] = {}
        form = QFormLayout()
        for key, text in (
            ("name", "Name"),
            ("staff_id", "Staff ID"),
            ("role", "Role"),
            ("team", "Team"),
            ("start", "Start date in post"),
            ("employment", "Employment"),
            ("profession", "Profession"),
            ("line", "Line supervisor"),
            ("clinical", "Clinical supervisor"),
            ("qualified", "Gives clinical supervision"),
            ("qa", "QA reviewer"),
            ("requires", "Role requires"),
            ("left", "In post"),
        ):
            label = _plain()
            label.setAccessibleDescription(text)
            label.setWordWrap(True)
            self.profile_fields[key] = label
            form.addRow(f"{text}:", label)
        self.edit_button = QPushButton("E&dit…")
        self.edit_button.setAccessibleName("Edit worker")
        self.left_button = QPushButton("&Mark as left…")
        self.left_button.setAccessibleName("Mark as left")
        self.reinstate_button = QPushButton("Rei&nstate")
        self.reinstate_button.setAccessibleName("Reinstate")
        self.export_history_button = QPushButton("E&xport history…")
        self.export_history_button.setAccessibleName("Export history")
        self.export_history_button.setToolTip(
            "A PDF history pack for this worker over a period you choose (for appraisals and HR)"
        )
        buttons = QHBoxLayout()
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.left_button)
        buttons.addWidget(self.reinstate_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_history_button)
        layout = QVBoxLayout(tab)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addStretch(1)
        return tab

    def _build_risk_tab(self) -> QWidget:
        self.risk_editor = RiskEditor(self._ctx)
        scroll = _FittingScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.risk_editor)
        self._risk_scroll = scroll
        self.assessment_model = AssessmentHistoryModel()
        self.assessment_view = _table("Assessment history", self.assessment_model)
        self.assessment_view.setWordWrap(False)
        for column, width in enumerate((95, 80, 80, 85, 75, 75, 110)):
            self.assessment_view.horizontalHeader().resizeSection(column, width)
        self.history_title = QLabel("Assessment history")
        self.history_box = QWidget()
        box_layout = QVBoxLayout(self.history_box)
        box_layout.setContentsMargins(0, 4, 0, 0)
        box_layout.setSpacing(2)
        box_layout.addWidget(self.history_title)
        box_layout.addWidget(self.assessment_view)
        # The editor gets its full height first; the history takes what is left (at least
        # two rows) and all the extra on a tall screen.
        self.history_box.setMinimumHeight(96)
        self.history_box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(scroll, 0)
        layout.addWidget(self.history_box, 1)
        return tab

    def _build_sessions_tab(self) -> QWidget:
        tab = QWidget()
        self.session_model = SessionHistoryModel()
        self.session_model.set_type_names(self._ctx.catalogue)
        self.session_view = _table("Session history", self.session_model)
        for column, width in enumerate((140, 100, 120, 160)):
            self.session_view.horizontalHeader().resizeSection(column, width)
        self.open_session_button = QPushButton("Open re&cord")
        self.open_session_button.setAccessibleName("Open session record")
        self.open_session_button.setEnabled(False)
        self.new_session_buttons: dict[TypeKey, QPushButton] = {}
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_session_button)
        buttons.addStretch(1)
        # One button per type in use; each gets a free Alt+letter (letters the screen's other
        # controls use are skipped).
        used = set("bcdeikmoprtx")
        for spec in self._ctx.catalogue.active:
            text = _with_mnemonic(f"New {spec.short_label.lower()} session", used, skip=4)
            button = QPushButton(text)
            button.setAccessibleName(text.replace("&", ""))
            self.new_session_buttons[spec.key] = button
            buttons.addWidget(button)
        self.sessions_summary = QLabel()
        layout = QVBoxLayout(tab)
        layout.addWidget(self.sessions_summary)
        layout.addWidget(self.session_view, 1)
        layout.addLayout(buttons)
        return tab

    def _connect(self) -> None:
        self.search_edit.textChanged.connect(self._filter)
        self.show_left_check.toggled.connect(lambda _on: self._reload_list())
        self.add_button.clicked.connect(self.add_worker)
        self.list_view.selectionModel().selectionChanged.connect(self._list_selection_changed)
        self.edit_button.clicked.connect(self.edit_worker)
        self.left_button.clicked.connect(self.mark_left)
        self.reinstate_button.clicked.connect(self.reinstate)
        self.export_history_button.clicked.connect(self.export_history)
        self.exporter.status_message.connect(self.export_reported)
        self.risk_editor.assessment_saved.connect(self._assessment_saved)
        self.leave_tab.add_button.clicked.connect(lambda: self._add_with(LeaveDialog))
        self.override_tab.add_button.clicked.connect(lambda: self._add_with(OverrideDialog))
        self.trigger_tab.add_button.clicked.connect(lambda: self._add_with(TriggerDialog))
        self.leave_tab.remove_button.clicked.connect(self._remove_leave)
        self.override_tab.remove_button.clicked.connect(self._remove_override)
        self.trigger_tab.remove_button.clicked.connect(self._remove_trigger)
        self.session_view.activated.connect(self._session_activated)
        self.agreement_tab.agreement_saved.connect(lambda wid: self.workers_changed.emit([wid]))
        self.session_view.selectionModel().selectionChanged.connect(
            lambda *_: self.open_session_button.setEnabled(
                self.session_view.selectionModel().hasSelection()
            )
        )
        self.session_model.modelReset.connect(lambda: self.open_session_button.setEnabled(False))
        self.open_session_button.clicked.connect(self._open_selected_session)
        for type_, button in self.new_session_buttons.items():
            button.clicked.connect(lambda _=False, t=type_: self._request_new_session(t))

    # Public ---------------------------------------------------------------------------------

    @property
    def current_worker_id(self) -> str | None:
        return self._worker.id if self._worker else None

    def has_unsaved_changes(self) -> bool:
        """A risk assessment started and not saved (for a prompt before the window closes)."""
        return self.risk_editor.has_unsaved_changes()

    def refresh(self) -> None:
        """Reload the list and the page shown after changes made elsewhere.

        While the screen is hidden this only marks it stale: the work is done when it shows.
        """
        if self.isVisible():
            self._load_all()
        else:
            self._stale = True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self._load_all()

    def show_worker(self, worker_id: str) -> None:
        """Select ``worker_id`` in the list (showing people who have left if need be)."""
        self._ensure_loaded()
        worker = self._ctx.workers.get(worker_id)
        if worker is None or not self._may_leave(worker_id):
            return
        if worker.left_on is not None and not self.show_left_check.isChecked():
            self.show_left_check.setChecked(True)
        if self.list_model.row_of(worker_id) < 0:
            self._reload_list()
        if not self._select_in_list(worker_id):
            self.search_edit.clear()
            self._select_in_list(worker_id)
        self._show_page(worker_id)

    def add_worker(self) -> None:
        """Open the add-worker dialog; a saved worker is selected and announced."""
        self._ensure_loaded()
        dialog = WorkerDialog(self._ctx, None, self)
        saved = self._run_worker_dialog(dialog)
        if saved is not None:
            self._update_status(saved.id)
            self._list_row_changed(saved.id)
            self.show_worker(saved.id)
            self.workers_changed.emit([saved.id])

    def edit_worker(self) -> None:
        if self._worker is None:
            return
        dialog = WorkerDialog(self._ctx, self._worker, self)
        saved = self._run_worker_dialog(dialog)
        if saved is not None:
            self._changed(saved.id)

    def mark_left(self) -> None:
        worker = self._worker
        if worker is None:
            return
        on = ask_left_date(worker.name, self._ctx.today(), self)
        if on is None:
            return
        if self._try(lambda: self._ctx.workers.mark_left(worker.id, on)):
            self._changed(worker.id)

    def reinstate(self) -> None:
        worker = self._worker
        if worker is None:
            return
        if self._try(lambda: self._ctx.workers.reinstate(worker.id)):
            self._changed(worker.id)

    def export_history(self) -> None:
        """Export the selected worker's history pack for a period (on the background runner)."""
        if self._worker is not None:
            self.exporter.export_worker_history(self._worker.id)

    # Internals: list ------------------------------------------------------------------------

    def _ensure_loaded(self) -> None:
        if self._stale:
            self._load_all()

    def _load_all(self) -> None:
        """Everyone's status (one schedule run), the list, and the page shown."""
        self._stale = False
        schedule = self._ctx.schedule.compute_schedule(self._ctx.today())
        self._statuses = {row.worker_id: row.status for row in schedule.rows}
        self._reload_list()
        if self._worker is not None:
            self._show_page(self._worker.id)

    def _update_status(self, worker_id: str) -> None:
        """Recompute one worker's status after a change about them (gone if they left)."""
        schedule = self._ctx.schedule.compute_schedule(self._ctx.today(), worker_ids=[worker_id])
        self._statuses.pop(worker_id, None)
        for row in schedule.rows:
            self._statuses[row.worker_id] = row.status

    def _reload_list(self) -> None:
        selected = self.current_worker_id
        include_left = self.show_left_check.isChecked()
        workers = self._ctx.workers.all(include_left=include_left)
        statuses = self._statuses
        self.list_model.set_rows([WorkerRow(w, statuses.get(w.id)) for w in workers])
        self._show_count()
        if selected is not None:
            self._select_in_list(selected)

    def _filter(self, text: str) -> None:
        # Filtering moves the selection about; the page keeps showing the chosen worker.
        selection = self.list_view.selectionModel()
        selection.blockSignals(True)
        try:
            self.proxy.setFilterFixedString(text)
        finally:
            selection.blockSignals(False)
        if self._worker is None or not self._select_in_list(self._worker.id):
            self.list_view.clearSelection()

    def _list_row_changed(self, worker_id: str) -> None:
        """Show one worker's new state in the list without reloading everyone."""
        worker = self._ctx.workers.get(worker_id)
        listed = worker is not None and (worker.left_on is None or self.show_left_check.isChecked())
        if worker is None or not listed:
            self.list_model.remove_worker(worker_id)
        else:
            self.list_model.upsert(WorkerRow(worker, self._statuses.get(worker_id)))
        self._show_count()

    def _show_count(self) -> None:
        rows = self.list_model.rows()
        active = sum(1 for r in rows if r.worker.left_on is None)
        left = len(rows) - active
        self.count_label.setText(
            f"{active} in post"
            + (f" · {left} who {'has' if left == 1 else 'have'} left" if left else "")
        )

    def _select_in_list(self, worker_id: str) -> bool:
        row = self.list_model.row_of(worker_id)
        if row < 0:
            return False
        index = self.proxy.mapFromSource(self.list_model.index(row, 0))
        if not index.isValid():
            return False
        selection = self.list_view.selectionModel()
        selection.blockSignals(True)
        self.list_view.setCurrentIndex(index)
        selection.blockSignals(False)
        self.list_view.viewport().update()
        self.list_view.scrollTo(index)
        return True

    def _list_selection_changed(self, selected: QItemSelection, _old: QItemSelection) -> None:
        rows = self.list_view.selectionModel().selectedRows()
        if rows:
            row = rows[0].data(OBJECT_ROLE)
            # Filtering and sorting move the selection without changing who is selected.
            if isinstance(row, WorkerRow) and row.worker.id != self.current_worker_id:
                if self._may_leave(row.worker.id):
                    self._show_page(row.worker.id)
                elif self._worker is not None:
                    self._select_in_list(self._worker.id)

    def _may_leave(self, worker_id: str) -> bool:
        """Before showing someone else: ask about an assessment typed but not saved."""
        worker = self._worker
        if worker is None or worker.id == worker_id:
            return True
        if not self.risk_editor.has_unsaved_changes():
            return True
        answer = QMessageBox.question(
            self,
            "Unsaved risk assessment",
            f"The risk assessment you started for {worker.name} is not saved. Discard it?",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Discard

    # Internals: page ------------------------------------------------------------------------

    def _show_page(self, worker_id: str) -> None:
        worker = self._ctx.workers.get(worker_id)
        if worker is None:
            self._worker = None
            self._right.setCurrentWidget(self.placeholder)
            return
        same = self._worker is not None and self._worker.id == worker_id
        self._worker = worker
        self._fill_header(worker, self._statuses.get(worker_id))
        self._fill_profile(worker)
        if same and self.risk_editor.worker_id == worker_id:
            self.risk_editor.reload_facts()
        else:
            self.risk_editor.set_worker(worker_id)
        history = self._ctx.workers.assessments(worker_id)
        self.assessment_model.set_rows(history)
        self.history_title.setText(
            f"Assessment history: {len(history)}, newest first (saving adds one; none is "
            "ever overwritten)"
        )
        self._fill_adjustments(worker_id)
        self.wellbeing_tab.set_worker(worker_id)
        self.agreement_tab.set_worker(worker)
        self._right.setCurrentWidget(self.page)

    def _name_of(self, worker_id: str | None) -> str:
        if not worker_id:
            return "none"
        other = self._ctx.workers.get(worker_id)
        if other is None:
            return "unknown"
        return other.name + (" (left)" if other.left_on else "")

    def _in_post(self, worker: Worker) -> str:
        """Time in post up to today, or up to the day they left."""
        if worker.start_date is None:
            return ""
        return time_in_post(worker.start_date, worker.left_on or self._ctx.today())

    def _fill_header(self, worker: Worker, status: WorkerStatus | None) -> None:
        self.name_label.setText(worker.name)
        post = [p for p in (worker.role, worker.team) if p]
        if worker.start_date is not None:
            post.append(f"Started {uk(worker.start_date)} ({self._in_post(worker)})")
        else:
            post.append("Start date not known")
        post.append(EMPLOYMENT_LABELS[worker.employment])
        if worker.profession:
            post.append(worker.profession)
        self.details_label.setText(" · ".join(post))
        self.supervisors_label.setText(
            f"Line supervisor: {self._name_of(worker.line_supervisor_id)} · "
            f"Clinical supervisor: {self._name_of(worker.clinical_supervisor_id)}"
        )
        if worker.left_on is not None:
            self.status_label.setText(f"Left {uk(worker.left_on)}")
            self.status_label.setStyleSheet(
                "background: #e3e3e3; color: #444444; padding: 4px 10px; border-radius: 4px;"
            )
            self.tier_header_label.setText("Not on the scheduler")
        elif status is not None:
            overall = status.overall
            self.status_label.setText(status_text(overall))
            self.status_label.setStyleSheet(
                f"background: {BACKGROUND[overall].name()}; color: {FOREGROUND[overall].name()};"
                " padding: 4px 10px; border-radius: 4px; font-weight: bold;"
            )
            next_due = f" · next due {uk(status.next_due)}" if status.next_due else ""
            self.tier_header_label.setText(
                f"Tier: {tier_label(status.tier, status.assessed)}{next_due}"
            )
        else:
            self.status_label.setText("")
            self.status_label.setStyleSheet("")
            self.tier_header_label.setText("")

    def _fill_profile(self, worker: Worker) -> None:
        f = self.profile_fields
        f["name"].setText(worker.name)
        f["staff_id"].setText(worker.staff_id or "—")
        f["role"].setText(worker.role or "—")
        f["team"].setText(worker.team or "—")
        f["start"].setText(
            f"{uk(worker.start_date)} ({self._in_post(worker)})"
            if worker.start_date
            else "Not known"
        )
        f["employment"].setText(EMPLOYMENT_LABELS[worker.employment])
        f["profession"].setText(worker.profession or "—")
        f["line"].setText(self._name_of(worker.line_supervisor_id))
        f["clinical"].setText(self._name_of(worker.clinical_supervisor_id))
        f["qualified"].setText(
            "Yes — may give clinical supervision" if worker.qualified_clinical else "No"
        )
        f["qa"].setText(
            "Yes — countersigns signed records for quality assurance"
            if self._ctx.qa.is_reviewer(worker.id)
            else "No"
        )
        catalogue = self._ctx.catalogue
        f["requires"].setText(
            ", ".join(t.name for t in catalogue if t.key in worker.requires) or "None"
        )
        f["left"].setText(
            f"Left on {uk(worker.left_on)} (hidden from the scheduler; records kept)"
            if worker.left_on
            else "Yes"
        )
        self.left_button.setVisible(worker.left_on is None)
        self.reinstate_button.setVisible(worker.left_on is not None)
        for button in self.new_session_buttons.values():
            button.setEnabled(worker.left_on is None)

    def _fill_adjustments(self, worker_id: str) -> None:
        today = self._ctx.today()
        workers = self._ctx.workers
        for model in (self.session_model, self.override_tab.model, self.trigger_tab.model):
            model.set_type_names(self._ctx.catalogue)
        self.leave_tab.model.set_rows([LeaveRow(lv, today) for lv in workers.leave(worker_id)])
        self.override_tab.model.set_rows(
            [OverrideRow(o, today) for o in workers.overrides(worker_id)]
        )
        self._history = self._ctx.sessions.history(worker_id)
        self.trigger_tab.model.set_rows(
            [
                TriggerRow(t, self._closed_on(t.type, t.event_date))
                for t in workers.triggers(worker_id)
            ]
        )
        self.session_model.set_rows(self._history)
        held = sum(1 for s in self._history if s.status is SessionStatus.HELD)
        self.sessions_summary.setText(
            f"{len(self._history)} sessions, {held} held. Double-click a row (or press Enter) "
            "to open its record."
        )
        for tab, model, name in (
            (self.leave_tab, self.leave_tab.model, "L&eave"),
            (self.override_tab, self.override_tab.model, "&Overrides"),
            (self.trigger_tab, self.trigger_tab.model, "&Triggers"),
        ):
            count = model.rowCount()
            self.tabs.setTabText(self.tabs.indexOf(tab), f"{name} ({count})" if count else name)

    def _closed_on(self, type_: TypeKey, event: date) -> date | None:
        """The first held session of ``type_`` on or after ``event`` (up to today), if any."""
        today = self._ctx.today()
        dates = [
            s.session_date
            for s in self._history
            if s.type == type_
            and s.status is SessionStatus.HELD
            and event <= s.session_date <= today
        ]
        return min(dates) if dates else None

    # Internals: actions ---------------------------------------------------------------------

    def _run_worker_dialog(self, dialog: WorkerDialog) -> Worker | None:
        try:
            accepted = dialog.exec() == QDialog.DialogCode.Accepted
            return dialog.saved_worker if accepted else None
        finally:
            dialog.deleteLater()

    def _try(self, work: Callable[[], object]) -> bool:
        try:
            work()
        except KeelError as exc:
            QMessageBox.warning(self, "Not saved", str(exc))
            return False
        return True

    def _changed(self, worker_id: str) -> None:
        """After any save about one worker: show it everywhere and tell the scheduler."""
        self._update_status(worker_id)
        self._list_row_changed(worker_id)
        self._show_page(worker_id)
        self.workers_changed.emit([worker_id])

    def _assessment_saved(self, worker_id: str) -> None:
        self._changed(worker_id)

    def _add_with(self, dialog_class: type[LeaveDialog | OverrideDialog | TriggerDialog]) -> None:
        if self._worker is None:
            return
        worker_id = self._worker.id
        dialog = dialog_class(self._ctx, worker_id, self)
        try:
            accepted = dialog.exec() == QDialog.DialogCode.Accepted
        finally:
            dialog.deleteLater()
        if accepted:
            self._changed(worker_id)

    def _confirm_remove(self, what: str) -> bool:
        answer = QMessageBox.question(
            self,
            "Remove",
            f"Remove this {what}? The schedule will be worked out without it.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _remove_leave(self) -> None:
        row = self.leave_tab.selected()
        if isinstance(row, LeaveRow) and self._confirm_remove("leave period"):
            self._remove(lambda: self._ctx.workers.remove_leave(row.leave.id))

    def _remove_override(self) -> None:
        row = self.override_tab.selected()
        if isinstance(row, OverrideRow) and self._confirm_remove("override"):
            self._remove(lambda: self._ctx.workers.remove_override(row.override.id))

    def _remove_trigger(self) -> None:
        row = self.trigger_tab.selected()
        if isinstance(row, TriggerRow) and self._confirm_remove("trigger event"):
            self._remove(lambda: self._ctx.workers.remove_trigger(row.trigger.id))

    def _remove(self, work: Callable[[], object]) -> None:
        if self._worker is not None and self._try(work):
            self._changed(self._worker.id)

    def _session_activated(self, index: QModelIndex) -> None:
        row = index.data(OBJECT_ROLE)
        if isinstance(row, SessionSummary):
            self.session_open_requested.emit(row.id)

    def _open_selected_session(self) -> None:
        rows = self.session_view.selectionModel().selectedRows()
        if rows:
            self._session_activated(rows[0])

    def _request_new_session(self, type_: TypeKey) -> None:
        if self._worker is not None:
            self.new_session_requested.emit(self._worker.id, type_)
