"""The Governance screen: where supervision feeds the service's governance (DOMAIN.md §2).

Tabs: theme trend alerts (turn one into a governance item, or dismiss it with a reason),
governance items (raised → tabled → decided → closed, each with its source sessions), the
learning log ("what supervision changed"), the theme heat map, the MDT agenda, supervisors'
workload and team wellbeing (the last four are in ``governance_panels``).

Everything goes through ``app.services``; the screen never runs SQL. Tabs are refreshed when
shown, so a refresh costs only the tab on screen (and the alerts, counted for the tab's title),
and nothing at all while the screen itself is hidden behind another of the main window's tabs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from html import escape

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.dates import uk
from app.domain.governance import Forum, ItemStatus, TrendAlert
from app.errors import KeelError
from app.services.governance import GovernanceItem
from ui.context import AppContext
from ui.forms.governance_dialogs import (
    NEXT_STEP_TEXT,
    ChangeDialog,
    DecideItemDialog,
    DismissAlertDialog,
    RaiseItemDialog,
    TableItemDialog,
)
from ui.models.governance_models import (
    SORT_ROLE,
    AlertHistoryModel,
    AlertsModel,
    ItemsModel,
    LearningLogModel,
    SourcesModel,
    plural,
)
from ui.screens.governance_panels import (
    AgendaPanel,
    HeatMapPanel,
    WellbeingPanel,
    WorkloadPanel,
    fit_columns,
    heading,
    html_text,
    plain_label,
    table_view,
)
from ui.widgets.focus import set_tab_order

log = logging.getLogger(__name__)

ALL = "__all__"


def _accepted(dialog: QDialog) -> bool:
    return dialog.exec() == QDialog.DialogCode.Accepted


# Trend alerts ------------------------------------------------------------------------------


class AlertsPanel(QWidget):
    """Live trend alerts, the sessions behind the selected one, and what was done with
    earlier alerts."""

    session_open_requested = Signal(str)
    item_raised = Signal(str)
    """The id of a governance item just raised from an alert."""
    alerts_handled = Signal()
    """An alert was dismissed or turned into an item."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.rule_label = plain_label()
        self.rule_label.setAccessibleDescription("Trend rule")
        self.model = AlertsModel(parent=self)
        self.table = table_view(self.model, "Trend alerts", stretch=0)
        self.table.setMinimumHeight(120)
        self.empty_label = plain_label(
            "No theme trend at the moment. An alert appears here when a theme is raised often "
            "enough, by enough different workers, in the policy's window."
        )
        self.empty_label.setAccessibleDescription("No alerts")
        self.alert_label = plain_label()
        self.alert_label.setAccessibleDescription("Selected alert")
        font = self.alert_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.alert_label.setFont(font)
        self.sources_model = SourcesModel(parent=self)
        self.sources_model.set_type_names(self._ctx.catalogue)
        self.sources_table = table_view(self.sources_model, "Sessions behind the alert", stretch=4)
        self.raise_button = QPushButton("&Raise governance item…")
        self.raise_button.setAccessibleName("Raise governance item")
        self.raise_button.setToolTip("Take this trend to the MDT, safeguarding or quality meeting")
        self.dismiss_button = QPushButton("D&ismiss…")
        self.dismiss_button.setAccessibleName("Dismiss alert")
        self.dismiss_button.setToolTip("Dismiss the alert with a reason (kept)")
        self.open_button = QPushButton("&Open session")
        self.open_button.setAccessibleName("Open session")
        self.open_button.setToolTip("Open the selected session (or double-click it)")
        self.history_model = AlertHistoryModel(parent=self)
        self.history_table = table_view(self.history_model, "Handled alerts", stretch=2)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.rule_label)
        top_layout.addWidget(self.table, 1)
        top_layout.addWidget(self.empty_label)
        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.alert_label)
        detail_layout.addWidget(self.sources_table, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.raise_button)
        buttons.addWidget(self.dismiss_button)
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        detail_layout.addLayout(buttons)
        history = QWidget()
        history_layout = QVBoxLayout(history)
        history_layout.setContentsMargins(0, 0, 0, 0)
        history_layout.addWidget(heading("Handled earlier: dismissed or taken to governance"))
        history_layout.addWidget(self.history_table, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        for part, stretch in ((top, 2), (detail, 4), (history, 2)):
            self.splitter.addWidget(part)
            self.splitter.setStretchFactor(self.splitter.count() - 1, stretch)
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)

        set_tab_order(
            self.table,
            self.sources_table,
            self.raise_button,
            self.dismiss_button,
            self.open_button,
            self.history_table,
        )

        self.table.selectionModel().selectionChanged.connect(self._show_selected)
        self.sources_table.activated.connect(self._open_source)
        self.sources_table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.raise_button.clicked.connect(self.raise_selected)
        self.dismiss_button.clicked.connect(self.dismiss_selected)
        self.open_button.clicked.connect(self.open_selected_session)

    # Public ---------------------------------------------------------------------------------

    def refresh(self) -> None:
        policy = self._ctx.workers.policy
        weeks = policy.trend_window_days
        self.rule_label.setText(
            f"A theme raised in at least {plural(policy.trend_min_sessions, 'held session')} "
            f"by at least {plural(policy.trend_min_workers, 'different worker')} within "
            f"{plural(weeks, 'day')} raises an alert (the service's policy). Take it to a "
            "governance forum, or dismiss it with a reason."
        )
        keep = self.selected_alert()
        alerts = self._ctx.governance.detect_trends(self._ctx.today(), policy)
        self.model.set_rows(alerts)
        self.history_model.set_rows(self._ctx.governance.alert_history())
        fit_columns(self.table, skip=0)
        fit_columns(self.history_table, skip=2)
        self.empty_label.setVisible(not alerts)
        self.table.setVisible(bool(alerts))
        row = 0
        if keep is not None:
            row = next((n for n, a in enumerate(alerts) if a.theme_id == keep.theme_id), 0)
        if alerts:
            self.table.selectRow(row)
        self._show_selected()

    def alerts(self) -> list[TrendAlert]:
        return self.model.rows()

    def selected_alert(self) -> TrendAlert | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.row_at(rows[0].row())

    def select_alert(self, theme_name: str) -> bool:
        for n, alert in enumerate(self.model.rows()):
            if alert.theme_name == theme_name:
                self.table.selectRow(n)
                return True
        return False

    @Slot()
    def raise_selected(self) -> None:
        alert = self.selected_alert()
        if alert is None:
            return
        dialog = RaiseItemDialog(
            self._ctx.today(),
            title=alert.theme_name,
            description=(
                f"{alert.text} (held sessions from {uk(alert.first_on)} to {uk(alert.last_on)})."
            ),
            intro=f"Take this trend to a governance forum: {alert.text}. The item links to "
            f"all {plural(alert.sessions, 'session')} behind the alert.",
            parent=self,
        )
        try:
            if not _accepted(dialog):
                return
            request = dialog.request()
        finally:
            dialog.deleteLater()
        try:
            item = self._ctx.governance.alert_to_item(
                alert,
                forum=request.forum,
                title=request.title,
                description=request.description,
                raised_on=request.raised_on,
                raised_by=request.raised_by,
            )
        except KeelError as exc:
            QMessageBox.warning(self, "Not raised", str(exc))
            return
        log.info("alert %s turned into item %s", alert.theme_id, item.id)
        self.refresh()
        self.alerts_handled.emit()
        self.item_raised.emit(item.id)

    @Slot()
    def dismiss_selected(self) -> None:
        alert = self.selected_alert()
        if alert is None:
            return
        dialog = DismissAlertDialog(alert.text, parent=self)
        try:
            if not _accepted(dialog):
                return
            reason, by = dialog.reason(), dialog.by()
        finally:
            dialog.deleteLater()
        try:
            self._ctx.governance.dismiss_alert(alert, reason, by=by)
        except KeelError as exc:
            QMessageBox.warning(self, "Not dismissed", str(exc))
            return
        log.info("alert %s dismissed", alert.theme_id)
        self.refresh()
        self.alerts_handled.emit()

    @Slot()
    def open_selected_session(self) -> None:
        rows = self.sources_table.selectionModel().selectedRows()
        if rows:
            self._open_source(rows[0])

    # Internals ------------------------------------------------------------------------------

    def _show_selected(self, *_args: object) -> None:
        alert = self.selected_alert()
        if alert is None:
            self.alert_label.setText("")
            self.sources_model.set_rows([])
        else:
            self.alert_label.setText(alert.text)
            self.sources_model.set_rows(self._ctx.governance.sources(alert.session_ids))
            fit_columns(self.sources_table, skip=4)
            self.sources_table.selectRow(0)  # Open session works at once
        self._update_buttons()

    def _update_buttons(self, *_args: object) -> None:
        has_alert = self.selected_alert() is not None
        self.raise_button.setEnabled(has_alert)
        self.dismiss_button.setEnabled(has_alert)
        self.open_button.setEnabled(bool(self.sources_table.selectionModel().selectedRows()))

    @Slot(QModelIndex)
    def _open_source(self, index: QModelIndex) -> None:
        if index.isValid():
            self.session_open_requested.emit(self.sources_model.row_at(index.row()).session_id)


# Governance items --------------------------------------------------------------------------


class ItemsPanel(QWidget):
    """Every governance item, with a detail pane and the step each item can take next."""

    session_open_requested = Signal(str)
    items_changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.forum_combo = QComboBox()
        self.forum_combo.setAccessibleName("Filter by forum")
        self.forum_combo.addItem("All forums", ALL)
        for forum in Forum:
            self.forum_combo.addItem(forum.label, forum.value)
        forum_label = QLabel("&Forum:")
        forum_label.setBuddy(self.forum_combo)
        self.show_closed = QCheckBox("Show c&losed items")
        self.show_closed.setAccessibleName("Show closed items")
        self.counts_label = plain_label()
        self.counts_label.setAccessibleDescription("Item counts")

        self.model = ItemsModel(parent=self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = table_view(self.proxy, "Governance items", stretch=1, sortable=True)
        for column, width in ((0, 110), (2, 130), (3, 105), (4, 105), (5, 230), (6, 230), (7, 95)):
            self.table.setColumnWidth(column, width)
        self.new_button = QPushButton("&New item…")
        self.new_button.setAccessibleName("New item")
        self.new_button.setToolTip("Raise a governance item by hand")
        self.step_button = QPushButton(NEXT_STEP_TEXT[ItemStatus.RAISED])
        self.step_button.setAccessibleName("Next step")
        self.change_button = QPushButton("Record c&hange made…")
        self.change_button.setAccessibleName("Record change made")
        self.change_button.setToolTip(
            "Record the change the decision led to, without closing the item yet"
        )

        self.detail_view = QTextBrowser()
        self.detail_view.setAccessibleName("Selected item")
        self.detail_view.setOpenLinks(False)
        self.sources_model = SourcesModel(parent=self)
        self.sources_model.set_type_names(self._ctx.catalogue)
        self.sources_table = table_view(self.sources_model, "Source sessions", stretch=4)
        self.open_button = QPushButton("&Open session")
        self.open_button.setAccessibleName("Open source session")
        self.open_button.setToolTip("Open the selected source session (or double-click it)")
        sources_box = QWidget()
        sources_layout = QVBoxLayout(sources_box)
        sources_layout.setContentsMargins(6, 0, 0, 0)
        self.sources_heading = heading("Source sessions")
        sources_layout.addWidget(self.sources_heading)
        sources_layout.addWidget(self.sources_table, 1)
        open_row = QHBoxLayout()
        open_row.addStretch(1)
        open_row.addWidget(self.open_button)
        sources_layout.addLayout(open_row)
        detail = QSplitter(Qt.Orientation.Horizontal)
        detail.setChildrenCollapsible(False)
        detail.addWidget(self.detail_view)
        detail.addWidget(sources_box)
        detail.setStretchFactor(0, 3)
        detail.setStretchFactor(1, 2)

        filters = QHBoxLayout()
        filters.addWidget(forum_label)
        filters.addWidget(self.forum_combo)
        filters.addSpacing(12)
        filters.addWidget(self.show_closed)
        filters.addSpacing(16)
        filters.addWidget(self.counts_label, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addStretch(1)
        buttons.addWidget(self.step_button)
        buttons.addWidget(self.change_button)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(filters)
        top_layout.addWidget(self.table, 1)
        top_layout.addLayout(buttons)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(top)
        self.splitter.addWidget(detail)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)

        set_tab_order(
            self.forum_combo,
            self.show_closed,
            self.table,
            self.new_button,
            self.step_button,
            self.change_button,
            self.sources_table,
            self.open_button,
        )

        self.forum_combo.currentIndexChanged.connect(self.refresh)
        self.show_closed.toggled.connect(self.refresh)
        self.table.selectionModel().selectionChanged.connect(self._show_selected)
        self.sources_table.activated.connect(self._open_source)
        self.sources_table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.new_button.clicked.connect(self.new_item)
        self.step_button.clicked.connect(self.next_step)
        self.change_button.clicked.connect(self.record_change)
        self.open_button.clicked.connect(self.open_selected_session)

    # Public ---------------------------------------------------------------------------------

    def refresh(self) -> None:
        keep = self.selected_item()
        forum_value = self.forum_combo.currentData()
        forum = None if forum_value in (None, ALL) else Forum(forum_value)
        items = self._ctx.governance.list_items(
            forum=forum, open_only=not self.show_closed.isChecked()
        )
        # Open items first, furthest along first (decided items have a change to report).
        items.sort(key=lambda i: (i.status is ItemStatus.CLOSED, -list(ItemStatus).index(i.status)))
        self.model.set_rows(items)
        open_count = sum(1 for i in items if i.open)
        parts = [plural(open_count, "open item")]
        for status in (ItemStatus.RAISED, ItemStatus.TABLED, ItemStatus.DECIDED):
            n = sum(1 for i in items if i.status is status)
            if n:
                parts.append(f"{n} {status.label.lower()}")
        if self.show_closed.isChecked():
            parts.append(f"{len(items) - open_count} closed")
        self.counts_label.setText(" · ".join(parts))
        if (keep is None or not self.show_item(keep.id)) and items:
            self.table.selectRow(0)
        self._show_selected()

    def items(self) -> list[GovernanceItem]:
        """The items as shown, top to bottom."""
        return [
            self.model.row_at(self.proxy.mapToSource(self.proxy.index(r, 0)).row())
            for r in range(self.proxy.rowCount())
        ]

    def selected_item(self) -> GovernanceItem | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.row_at(self.proxy.mapToSource(rows[0]).row())

    def show_item(self, item_id: str) -> bool:
        """Select ``item_id`` (showing closed items or every forum if it needs to)."""
        row = self.model.find(item_id)
        if row is None:
            item = self._ctx.governance.get_item(item_id)
            if item is None:
                return False
            if not item.open and not self.show_closed.isChecked():
                self.show_closed.setChecked(True)  # refreshes
            forum = self.forum_combo.currentData()
            if forum not in (None, ALL) and forum != item.forum.value:
                self.forum_combo.setCurrentIndex(0)  # refreshes
            row = self.model.find(item_id)
            if row is None:
                return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.table.selectRow(index.row())
        self.table.scrollTo(index)
        return True

    @Slot()
    def new_item(self) -> None:
        forum_value = self.forum_combo.currentData()
        forum = Forum.MDT if forum_value in (None, ALL) else Forum(forum_value)
        dialog = RaiseItemDialog(self._ctx.today(), forum=forum, parent=self)
        try:
            if not _accepted(dialog):
                return
            request = dialog.request()
        finally:
            dialog.deleteLater()
        self._change(
            "Not raised",
            lambda: self._ctx.governance.raise_item(
                forum=request.forum,
                title=request.title,
                description=request.description,
                raised_on=request.raised_on,
                raised_by=request.raised_by,
            ),
        )

    @Slot()
    def next_step(self) -> None:
        """Table, decide or close the selected item, asking what that step needs."""
        item = self.selected_item()
        if item is None or item.status is ItemStatus.CLOSED:
            return
        today, service = self._ctx.today(), self._ctx.governance
        if item.status is ItemStatus.RAISED:
            table = TableItemDialog(item, today, self)
            if self._ask(table):
                on = table.on()
                self._change("Not tabled", lambda: service.table_item(item.id, on))
        elif item.status is ItemStatus.TABLED:
            decide = DecideItemDialog(item, today, self)
            if self._ask(decide):
                text, on = decide.decision(), decide.on()
                self._change("Not decided", lambda: service.decide_item(item.id, text, on))
        else:
            close = ChangeDialog(item, today, closing=True, parent=self)
            if self._ask(close):
                change, changed_on = close.change(), close.change_date()
                closed_on, note = close.closed(), close.note()
                self._change(
                    "Not closed",
                    lambda: service.close_item(
                        item.id,
                        closed_on,
                        change_made=change or None,
                        change_made_on=changed_on if change else None,
                        note=note,
                    ),
                )

    @Slot()
    def record_change(self) -> None:
        item = self.selected_item()
        if item is None or item.status is not ItemStatus.DECIDED:
            return
        dialog = ChangeDialog(item, self._ctx.today(), closing=False, parent=self)
        if self._ask(dialog):
            change, on = dialog.change(), dialog.change_date()
            self._change(
                "Not saved", lambda: self._ctx.governance.record_change(item.id, change, on)
            )

    @Slot()
    def open_selected_session(self) -> None:
        rows = self.sources_table.selectionModel().selectedRows()
        if rows:
            self._open_source(rows[0])

    # Internals ------------------------------------------------------------------------------

    @staticmethod
    def _ask(dialog: QDialog) -> bool:
        """Run a step dialog; its values stay readable until the event loop deletes it."""
        accepted = _accepted(dialog)
        dialog.deleteLater()
        return accepted

    def _change(self, failure_title: str, write: Callable[[], GovernanceItem]) -> None:
        try:
            item = write()
        except KeelError as exc:
            QMessageBox.warning(self, failure_title, str(exc))
            return
        log.info("governance item %s is %s", item.id, item.status.value)
        self.refresh()
        self.show_item(item.id)
        self.items_changed.emit()

    def _show_selected(self, *_args: object) -> None:
        item = self.selected_item()
        if item is None:
            self.detail_view.setPlainText("Select an item to see where it stands.")
            self.sources_model.set_rows([])
        else:
            self.detail_view.setHtml(item_html(item))
            self.sources_model.set_rows(self._ctx.governance.sources(item.session_ids))
            fit_columns(self.sources_table, skip=4)
            if item.session_ids:
                self.sources_table.selectRow(0)
        n = self.sources_model.rowCount()
        self.sources_heading.setText(
            f"Source sessions ({n})" if n else "Source sessions: none (raised by hand)"
        )
        self._update_buttons()

    def _update_buttons(self, *_args: object) -> None:
        item = self.selected_item()
        status = item.status if item is not None else None
        self.step_button.setEnabled(status is not None and status is not ItemStatus.CLOSED)
        text = NEXT_STEP_TEXT.get(status or ItemStatus.RAISED, "Closed")
        self.step_button.setText(text)
        self.step_button.setAccessibleName(text.replace("&", "").rstrip("…"))
        self.change_button.setEnabled(status is ItemStatus.DECIDED)
        self.open_button.setEnabled(bool(self.sources_table.selectionModel().selectedRows()))

    @Slot(QModelIndex)
    def _open_source(self, index: QModelIndex) -> None:
        if index.isValid():
            self.session_open_requested.emit(self.sources_model.row_at(index.row()).session_id)


def item_html(item: GovernanceItem) -> str:
    """The detail pane: where the item stands and what was decided and changed."""
    where = f"{item.forum.label} · {item.source.label.lower()}"
    if item.theme_name:
        where += f" · theme: {item.theme_name}"
    if item.raised_by:
        where += f" · raised by {item.raised_by}"
    rows = [
        ("Where", where),
        ("Progress", progress_text(item)),
        ("Description", item.description or "—"),
        (
            "Decision",
            f"{item.decision} ({uk(item.decided_on)})" if item.decision else "Not decided yet",
        ),
        (
            "Change made",
            f"{item.change_made} ({uk(item.change_made_on)})"
            if item.change_made
            else "None recorded yet",
        ),
    ]
    if item.closing_note:
        rows.append(("Closing note", item.closing_note))
    body = "".join(
        f"<tr><td style='color:#444444; padding:2px 10px 2px 0'><b>{escape(k)}</b></td>"
        f"<td style='padding:2px 0'>{html_text(v)}</td></tr>"
        for k, v in rows
    )
    return f"<h3 style='margin:0 0 6px 0'>{html_text(item.title)}</h3><table>{body}</table>"


def progress_text(item: GovernanceItem) -> str:
    """ "Raised 30 Oct 2026 → tabled 5 Nov 2026 → decided 5 Nov 2026 → not closed yet"."""
    steps = [f"Raised {uk(item.raised_on)}"]
    for word, day in (
        ("tabled", item.tabled_on),
        ("decided", item.decided_on),
        ("closed", item.closed_on),
    ):
        if day is None:
            steps.append(f"not {word} yet")
            break
        steps.append(f"{word} {uk(day)}")
    return " → ".join(steps)


# Learning log ------------------------------------------------------------------------------


class LearningPanel(QWidget):
    """ "What supervision changed": every closed item with the change it made."""

    item_requested = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        intro = plain_label(
            "What supervision changed: every governance item closed with a change made, and "
            "the supervision it came from. The same list is a section of the team compliance "
            "pack."
        )
        self.model = LearningLogModel(parent=self)
        self.table = table_view(self.model, "Learning log", stretch=4)
        self.table.setWordWrap(True)
        for column, width in ((0, 105), (1, 330), (2, 230), (3, 90), (5, 220)):
            self.table.setColumnWidth(column, width)
        self.empty_label = plain_label(
            "Nothing yet: an item closed with the change it made appears here."
        )
        self.empty_label.setAccessibleDescription("Learning log is empty")
        self.show_button = QPushButton("&Show the item")
        self.show_button.setAccessibleName("Show the item")
        self.show_button.setToolTip("Show the item and its source sessions (or double-click)")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.show_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label)
        layout.addLayout(buttons)
        self.table.activated.connect(self._show_index)
        self.show_button.clicked.connect(self.show_selected)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)

    def refresh(self) -> None:
        entries = self._ctx.governance.learning_log()
        self.model.set_rows(entries)
        self.table.resizeRowsToContents()
        for row in range(len(entries)):
            self.table.setRowHeight(row, self.table.rowHeight(row) + 8)  # breathing room
        if entries:
            self.table.selectRow(0)
        self.empty_label.setVisible(not entries)
        self._update_buttons()

    @Slot()
    def show_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self._show_index(rows[0])

    def _update_buttons(self, *_args: object) -> None:
        self.show_button.setEnabled(bool(self.table.selectionModel().selectedRows()))

    @Slot(QModelIndex)
    def _show_index(self, index: QModelIndex) -> None:
        if index.isValid():
            self.item_requested.emit(self.model.row_at(index.row()).item.id)


# The screen --------------------------------------------------------------------------------


class GovernanceScreen(QWidget):
    """Supervision feeding governance: alerts, items, learning, heat map, agenda, workload,
    wellbeing — one tab each."""

    session_open_requested = Signal(str)
    """The id of a session to open (a source of an alert or an item, or on the agenda)."""
    items_changed = Signal()
    """A governance item was raised, moved on or closed, or an alert was handled."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        title = QLabel("Governance")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        title.setFont(font)
        self.summary_label = plain_label()
        self.summary_label.setAccessibleDescription("Governance summary")

        self.alerts = AlertsPanel(ctx)
        self.items = ItemsPanel(ctx)
        self.learning = LearningPanel(ctx)
        self.heat_map = HeatMapPanel(ctx)
        self.agenda = AgendaPanel(ctx)
        self.workload = WorkloadPanel(ctx)
        self.wellbeing = WellbeingPanel(ctx)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Governance sections")
        for panel, label in (
            (self.alerts, "Trend alerts"),
            (self.items, "Governance items"),
            (self.learning, "Learning log"),
            (self.heat_map, "Theme heat map"),
            (self.agenda, "MDT agenda"),
            (self.workload, "Supervisor workload"),
            (self.wellbeing, "Team wellbeing"),
        ):
            self.tabs.addTab(panel, label)
        self._stale: set[QWidget] = set()
        self._summary_stale = True

        head = QHBoxLayout()
        head.addWidget(title)
        head.addSpacing(16)
        head.addWidget(self.summary_label, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.tabs, 1)

        for source in (self.alerts, self.items, self.agenda):
            source.session_open_requested.connect(self.session_open_requested)
        self.alerts.alerts_handled.connect(self._governance_changed)
        self.alerts.item_raised.connect(self.show_item)
        self.items.items_changed.connect(self._governance_changed)
        self.learning.item_requested.connect(self.show_item)
        self.tabs.currentChanged.connect(self._tab_shown)

        self.refresh()

    # Public ---------------------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        """Read everything again: the tab on screen now (nothing while the screen is hidden),
        the others when they are shown."""
        self._stale = set(self._panels())
        self._summary_stale = True
        if self.isVisible():
            self._refresh_shown()

    def show_item(self, item_id: str) -> bool:
        """Bring the Governance items tab forward with ``item_id`` selected."""
        self.tabs.setCurrentWidget(self.items)
        return self.items.show_item(item_id)

    def show_tab(self, panel: QWidget) -> None:
        self.tabs.setCurrentWidget(panel)

    # Internals ------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._refresh_shown()

    def _refresh_shown(self) -> None:
        if self._summary_stale:
            self._refresh_alerts()
        self._tab_shown(self.tabs.currentIndex())

    def _panels(self) -> list[QWidget]:
        return [w for i in range(self.tabs.count()) if (w := self.tabs.widget(i)) is not None]

    def _refresh_alerts(self) -> None:
        self._summary_stale = False
        self.alerts.refresh()
        self._stale.discard(self.alerts)
        n = len(self.alerts.alerts())
        self.tabs.setTabText(0, f"Trend alerts ({n})" if n else "Trend alerts")
        open_items = self._ctx.governance.list_items(open_only=True)
        decided = sum(1 for i in open_items if i.status is ItemStatus.DECIDED)
        parts = [plural(n, "trend alert"), plural(len(open_items), "open governance item")]
        if decided:
            parts.append(f"{decided} decided, awaiting close")
        self.summary_label.setText(" · ".join(parts))

    @Slot(int)
    def _tab_shown(self, index: int) -> None:
        panel = self.tabs.widget(index)
        if panel in self._stale:
            self._stale.discard(panel)
            # A tab reads its figures when shown: on a very large service (10,000 workers)
            # that takes a few seconds, so say so with the busy cursor.
            QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                panel.refresh()  # type: ignore[attr-defined]
            finally:
                QGuiApplication.restoreOverrideCursor()

    @Slot()
    def _governance_changed(self) -> None:
        current = self.tabs.currentWidget()
        self._stale = set(self._panels()) - {current}
        self._refresh_alerts()
        self.items_changed.emit()
