"""File → Open service view…: every team of the service, read from its PostgreSQL (read-only).

The same screens as a laptop's: the scheduler's table and filters (``ScheduleModel``, worst
first) over every team's workers, whose statuses the same engine computed from the published
facts with each team's own policy; each team's last publish (stale ones flagged); the theme
heat map across teams; and the service compliance pack. Nothing here writes anywhere but the
PDF a manager asks for. Reads run on a worker thread: a slow server never freezes the window.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.dates import uk
from app.domain.model import DueStatus
from app.errors import KeelError
from app.server.target import ServiceTarget
from app.services.service_view import ServiceSchedule, ServiceViewData, load_service_view
from ui.models.governance_models import HeatMapModel
from ui.models.schedule_model import Column, ScheduleFilter, ScheduleModel
from ui.screens.qa_summary import TIP as QA_TIP
from ui.screens.qa_summary import qa_text, qa_tooltip
from ui.tasks import run_task
from ui.widgets.dates import DateEdit
from ui.widgets.heatmap import HeatMapWidget

log = logging.getLogger(__name__)

URL_SETTING = "service/reader_url"
ALL_TEAMS = ""
_STALE_FILL = QColor("#fbe3c0")


def open_service_view(parent: QWidget, *, today: date) -> ServiceViewWindow | None:
    """Ask for the reader's URL and password, then open the window (None when cancelled)."""
    from app.services import service_login
    from ui.service_login_dialog import LoginDialog

    settings = QSettings()
    remembered = settings.value(URL_SETTING, "", type=str)
    dialog = LoginDialog(
        parent,
        title="Open the service view",
        intro=(
            "The service view reads every team's published facts from the service's "
            "database and computes their statuses here, with each team's own policy. Use the "
            "reader's URL that `keel service init` printed (read-only)."
        ),
        url=remembered if isinstance(remembered, str) and remembered else None,
        action="Open",
    )
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.target is None:
        dialog.deleteLater()
        return None
    target, password = dialog.target, dialog.password or None
    if dialog.remember.isChecked() and password:
        service_login.save_to_keyring(target, password)
    dialog.deleteLater()
    settings.setValue(URL_SETTING, target.url_without_password())
    window = ServiceViewWindow(target, password, today=today)
    window.show()
    window.refresh()
    return window


class ServiceViewWindow(QMainWindow):
    """The whole service, read-only."""

    def __init__(
        self,
        target: ServiceTarget,
        password: str | None,
        *,
        today: date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._target = target
        self._password = password
        self._today = today
        self._data: ServiceViewData | None = None
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(f"Keel — Service view (read-only) — {target.dbname} on {target.host}")
        self.resize(1340, 720)
        self._build()

    # Layout -----------------------------------------------------------------------------------

    def _build(self) -> None:
        self.counts = QLabel("Reading the service…")
        self.counts.setAccessibleDescription("Service counts")
        font = QFont(self.counts.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.counts.setFont(font)
        self.as_of_edit = DateEdit(self._today)
        self.as_of_edit.setAccessibleName("Show the service as of this date")
        as_of_label = QLabel("&As of:")
        as_of_label.setBuddy(self.as_of_edit)
        self.team_combo = QComboBox()
        self.team_combo.setAccessibleName("Filter by team database")
        self.team_combo.setMinimumContentsLength(18)
        self.team_combo.addItem("All teams", ALL_TEAMS)
        team_label = QLabel("T&eam:")
        team_label.setBuddy(self.team_combo)
        self.refresh_button = QPushButton("&Refresh")
        self.pack_button = QPushButton("Service compliance &pack…")
        self.pack_button.setAccessibleName("Export the service compliance pack as PDF")
        top = QHBoxLayout()
        top.addWidget(self.counts, 1)
        top.addWidget(team_label)
        top.addWidget(self.team_combo)
        top.addSpacing(8)
        top.addWidget(as_of_label)
        top.addWidget(self.as_of_edit)
        top.addWidget(self.refresh_button)
        top.addWidget(self.pack_button)

        self.teams = QTableWidget(0, 4)
        self.teams.setTabKeyNavigation(False)  # one Tab stop: arrows move inside
        self.teams.setHorizontalHeaderLabels(["Team database", "Last published", "Workers",
                                              "Compliance"])  # fmt: skip
        self.teams.setAccessibleName("Teams and their last publish")
        self.teams.verticalHeader().setVisible(False)
        self.teams.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.teams.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.teams.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.teams.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 112), (2, 62), (3, 84)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            self.teams.setColumnWidth(column, width)
        self.teams.setWordWrap(True)

        self.model = ScheduleModel(self)
        self.proxy = ScheduleFilter(self.model, self)
        self.table = QTableView()
        self.table.setTabKeyNavigation(False)  # one Tab stop: arrows move inside
        self.table.setModel(self.proxy)
        self.table.setAccessibleName("Supervision schedule across the service")
        self.table.setSortingEnabled(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.sortByColumn(int(Column.OVERALL), Qt.SortOrder.AscendingOrder)
        th = self.table.horizontalHeader()
        th.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in ((Column.WORKER, 130), (Column.TEAM, 120), (Column.TIER, 75),
                              (Column.OVERALL, 85)):  # fmt: skip
            self.table.setColumnWidth(int(column), width)

        self.heat_model = HeatMapModel(self)
        self.heat_map = HeatMapWidget(self.heat_model)
        self.heat_map.setAccessibleName("Themes raised across teams, by month")
        scroll = QScrollArea()
        scroll.setWidget(self.heat_map)
        scroll.setWidgetResizable(True)
        self.heat_caption = QLabel()
        self.heat_caption.setWordWrap(True)
        heat_page = QWidget()
        heat_layout = QVBoxLayout(heat_page)
        heat_layout.addWidget(self.heat_caption)
        heat_layout.addWidget(scroll, 1)

        self.tabs = QTabWidget()
        self.tabs.addTab(self.table, "&Scheduler")
        self.tabs.addTab(heat_page, "T&heme heat map")

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        caption = QLabel("<b>Teams</b> — ⚠ stale: no publish for 7 days or more")
        left_layout.addWidget(caption)
        left_layout.addWidget(self.teams, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([380, 960])

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.statusBar().showMessage(
            f"Read-only: {self._target.display()} · statuses computed here from what each "
            "team published"
        )

        self.refresh_button.clicked.connect(self.refresh)
        self.as_of_edit.dateChanged.connect(lambda _d: self.refresh())
        self.team_combo.currentIndexChanged.connect(self._team_changed)
        self.teams.itemSelectionChanged.connect(self._team_row_chosen)
        self.pack_button.clicked.connect(self.export_pack)

    # Reading ----------------------------------------------------------------------------------

    def refresh(self) -> None:
        target, password, as_of = self._target, self._password, self.as_of_edit.value()
        self.refresh_button.setEnabled(False)

        def work(_db: Any, _progress: Any, _cancelled: Any) -> ServiceViewData:
            return load_service_view(target, password, as_of)

        run_task(
            self, "Reading the service…", work, db_path=None, on_success=self.show_data,
            on_failure=self._failed, cancellable=False,
        )  # fmt: skip

    def _failed(self, exc: BaseException) -> None:
        self.refresh_button.setEnabled(True)
        if not isinstance(exc, KeelError):
            raise exc
        self.counts.setText("The service could not be read")
        QMessageBox.warning(self, "Service view", str(exc))

    def show_data(self, data: ServiceViewData) -> None:
        self.refresh_button.setEnabled(True)
        self._data = data
        schedule = data.schedule
        self.model.set_schedule(schedule.for_screen())
        # One column per type any team uses, then the next due date.
        for type_ in self.model.types:
            self.table.setColumnWidth(self.model.column_of(type_) or 0, 150)
        self.table.setColumnWidth(self.model.next_due_column, 90)
        self._fill_teams(schedule)
        chosen = self.team_combo.currentData()
        self.team_combo.blockSignals(True)
        self.team_combo.clear()
        self.team_combo.addItem("All teams", ALL_TEAMS)
        for team in schedule.teams:
            self.team_combo.addItem(team.name, team.name)
        index = self.team_combo.findData(chosen)
        self.team_combo.setCurrentIndex(max(index, 0))
        self.team_combo.blockSignals(False)
        self._apply_team()

    def _fill_teams(self, schedule: ServiceSchedule) -> None:
        table = schedule.compliance_table()
        workers: dict[str, int] = {}
        for r in schedule.rows:
            workers[r.source] = workers.get(r.source, 0) + 1
        self.teams.setRowCount(len(schedule.teams))
        order = sorted(schedule.teams, key=lambda t: (not t.stale, t.name.casefold()))
        for row, team in enumerate(order):
            c = table.get((team.name, None))
            pct = "—" if c is None or c.percent is None else f"{c.percent:.0f}%"
            when = team.last_publish_words.replace("last published ", "")
            cells = [team.name, ("⚠ " if team.stale else "") + when,
                     str(workers.get(team.name, 0)), pct]  # fmt: skip
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, team.name)
                if column >= 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if team.stale:
                    item.setBackground(_STALE_FILL)
                    item.setToolTip(
                        f"{team.name} has not published for 7 days or more: its figures may be "
                        "out of date."
                    )
                self.teams.setItem(row, column, item)

    def _team_changed(self, _index: int) -> None:
        self._apply_team()

    def _team_row_chosen(self) -> None:
        items = self.teams.selectedItems()
        if not items:
            return
        index = self.team_combo.findData(items[0].data(Qt.ItemDataRole.UserRole))
        if index >= 0:
            self.team_combo.setCurrentIndex(index)

    def _apply_team(self) -> None:
        team = self.team_combo.currentData() or None
        self.proxy.set_team(team)
        data = self._data
        if data is None:
            return
        schedule = data.schedule
        rows = [r for r in schedule.rows if team is None or r.source == team]
        overdue = sum(1 for r in rows if r.status.overall is DueStatus.OVERDUE)
        due_soon = sum(1 for r in rows if r.status.overall is DueStatus.DUE_SOON)
        key = (team, None)
        c = schedule.compliance_table().get(key)
        pct = "—" if c is None or c.percent is None else f"{c.percent:.0f}%"
        teams = 1 if team else len(schedule.teams)
        stale = sum(1 for t in schedule.teams if t.stale and (team is None or t.name == team))
        self.counts.setText(
            f"{teams} team{'' if teams == 1 else 's'} · {len(rows)} workers · {overdue} overdue "
            f"· {due_soon} due soon · compliance {pct}"
            + (f" · {stale} stale" if stale else "")
            + (qa_text(data.qa, team) if data.qa is not None else "")
        )
        if data.qa is not None:
            self.counts.setToolTip(f"{QA_TIP}\n{qa_tooltip(data.qa)}")
        counts = data.themes.counts(team)
        self.heat_model.set_counts(counts)
        where = team or "every team"
        self.heat_caption.setText(
            f"Held sessions raising each theme, by month, {uk(counts.date_from)} to "
            f"{uk(counts.date_to)} — {where}."
        )

    # The pack ---------------------------------------------------------------------------------

    def export_pack(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        from ui.exporting import DateRangeDialog, documents_folder, safe_file_name

        dialog = DateRangeDialog(
            "Export the service compliance pack",
            "Every team on one report, from what each team published: compliance at each "
            "month end by type and team, who is overdue, cancellations by team, records "
            "awaiting sign-off, the learning log, themes across teams and when each team "
            "last published.",
            self._today,
            parent=self,
        )
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        start, end = dialog.period()
        name = safe_file_name(f"Service compliance pack {start.isoformat()} to {end.isoformat()}")
        chosen, _filter = QFileDialog.getSaveFileName(
            self, "Export the service compliance pack as PDF",
            str(documents_folder() / f"{name}.pdf"), "PDF documents (*.pdf)",
        )  # fmt: skip
        if not chosen:
            return
        out = Path(chosen) if chosen.lower().endswith(".pdf") else Path(chosen + ".pdf")
        target, password, today = self._target, self._password, self._today

        def work(_db: Any, progress: Any, cancelled: Any) -> Path:
            from app.services.service_view import export_service_pack

            return export_service_pack(
                target, start, end, out, today=today, password=password, progress=progress,
                cancelled=cancelled,
            )  # fmt: skip

        run_task(
            self, "Writing the service compliance pack…", work, db_path=None,
            on_success=lambda path: self.statusBar().showMessage(f"Wrote {path}", 15000),
        )  # fmt: skip
