"""The actions view: every open action across the team, overdue first.

A team lead filters by worker or owner, completes an action with a note, drops one with a
reason, or jumps to the session it came from. Closing goes through ``SessionService``; the
screen never runs SQL.
"""

from __future__ import annotations

import logging
from datetime import date

from PySide6.QtCore import (
    QModelIndex,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.dates import uk
from app.domain.records import ActionStatus
from app.domain.rows import ActionRow
from app.errors import KeelError
from ui.context import AppContext
from ui.models.actions_model import (
    OWNER_LABELS,
    SORT_ROLE,
    ActionsModel,
    Column,
    Urgency,
    default_order,
    urgency,
)
from ui.models.sorting import SourceSortProxy
from ui.widgets.focus import set_tab_order

log = logging.getLogger(__name__)

ALL = "__all__"
NO_OWNER = "__none__"


def _plain_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    return label


class CloseActionDialog(QDialog):
    """Asks for the completion note (done) or the reason (dropped) before closing an action.

    A dropped action always needs a reason; a completed one needs a note when the action named
    the evidence needed to close it.
    """

    def __init__(
        self,
        row: ActionRow,
        status: ActionStatus,
        parent: QWidget | None = None,
        *,
        type_name: str = "",
    ):
        super().__init__(parent)
        self.status = status
        dropping = status is ActionStatus.DROPPED
        self.setWindowTitle("Drop action" if dropping else "Complete action")
        self.setAccessibleName(self.windowTitle())
        self.setMinimumWidth(520)

        what = _plain_label(row.description.strip())
        what.setAccessibleName("Action")
        font = what.font()
        font.setBold(True)
        what.setFont(font)
        context = _plain_label(
            f"For {row.worker_name} · agreed in "
            f"{(type_name or row.session_type).lower()} supervision on "
            f"{_unbroken(uk(row.session_date))}"
            + (f" · due {_unbroken(uk(row.due_date))}" if row.due_date else "")
        )
        self.note_required = dropping or bool(row.evidence.strip())
        if dropping:
            prompt = "Why is it being dropped? (required — it stays in the record)"
        elif row.evidence.strip():
            prompt = (
                f"Evidence needed: {row.evidence.strip()}\n"
                "Say what was done and where the evidence is (required)."
            )
        else:
            prompt = "What was done? (a short note for the record)"
        self.prompt = _plain_label(prompt)
        self.note_edit = QPlainTextEdit()
        self.note_edit.setTabChangesFocus(True)
        self.note_edit.setAccessibleName("Reason for dropping" if dropping else "Completion note")
        self.note_edit.setPlaceholderText(
            "For example: no longer needed because the case closed on 20 Nov"
            if dropping
            else "For example: caseload review held 24 Nov; notes on the shared drive"
        )
        self.note_edit.setFixedHeight(110)
        self.prompt.setBuddy(self.note_edit)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Drop action" if dropping else "Mark as done")
        self.ok_button.setAccessibleName(self.ok_button.text())
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.note_edit.textChanged.connect(self._update_ok)

        layout = QVBoxLayout(self)
        layout.addWidget(what)
        layout.addWidget(context)
        layout.addSpacing(6)
        layout.addWidget(self.prompt)
        layout.addWidget(self.note_edit)
        layout.addWidget(self.buttons)
        self._update_ok()
        self.note_edit.setFocus()

    def note(self) -> str:
        return self.note_edit.toPlainText().strip()

    @Slot()
    def _update_ok(self) -> None:
        self.ok_button.setEnabled(bool(self.note()) or not self.note_required)

    def accept(self) -> None:
        if self.note_required and not self.note():
            return  # the button is disabled; this also stops Enter from closing the dialog
        super().accept()

    @classmethod
    def ask(
        cls, row: ActionRow, status: ActionStatus, parent: QWidget | None, type_name: str = ""
    ) -> str | None:
        """The note the user typed, or None when they cancelled."""
        dialog = cls(row, status, parent, type_name=type_name)
        try:
            return dialog.note() if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()


class ActionsScreen(QWidget):
    """Every action across the team, filtered by worker, owner and (optionally) closed ones."""

    session_open_requested = Signal(str)
    """The id of the session an action came from, to open it."""
    actions_changed = Signal(list)
    """Worker ids whose actions were closed here (their forms and history may need a refresh)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._all_rows: list[ActionRow] = []

        title = QLabel("Actions")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        title.setFont(font)
        self.counts_label = _plain_label()
        self.counts_label.setAccessibleDescription("Action counts")

        self.worker_combo = QComboBox()
        self.worker_combo.setAccessibleName("Filter by worker")
        self.worker_combo.setMinimumContentsLength(18)
        self.worker_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.owner_combo = QComboBox()
        self.owner_combo.setAccessibleName("Filter by owner")
        self.owner_combo.addItem("Any owner", ALL)
        for owner, label in OWNER_LABELS.items():
            self.owner_combo.addItem(label, owner.value)
        self.owner_combo.addItem("No owner set", NO_OWNER)
        self.show_closed = QCheckBox("Show &closed actions")
        self.show_closed.setAccessibleName("Show closed actions")
        worker_label = QLabel("Wor&ker:")
        worker_label.setBuddy(self.worker_combo)
        owner_label = QLabel("Ow&ner:")
        owner_label.setBuddy(self.owner_combo)

        self.model = ActionsModel(self)
        self.model.set_catalogue(ctx.catalogue)
        self.proxy = SourceSortProxy(self)  # sorting is the model's own
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setTabKeyNavigation(False)  # one Tab stop: arrows move inside
        self.table.setModel(self.proxy)
        self.table.setAccessibleName("Actions")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        # Until the user clicks a heading, rows keep default_order (overdue first).
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(Column.ACTION, QHeaderView.ResizeMode.Stretch)
        header.setSortIndicatorShown(True)
        for column, width in (
            (Column.DUE, 255),
            (Column.FOR, 150),
            (Column.OWNER, 135),
            (Column.EVIDENCE, 185),
            (Column.SESSION, 160),
            (Column.STATUS, 105),
        ):
            self.table.setColumnWidth(column, width)
        self.empty_label = _plain_label()
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setAccessibleDescription("No actions")

        self.complete_button = QPushButton("Co&mplete…")
        self.complete_button.setAccessibleName("Complete action")
        self.complete_button.setToolTip("Mark the selected action as done, with a note")
        self.drop_button = QPushButton("&Drop…")
        self.drop_button.setAccessibleName("Drop action")
        self.drop_button.setToolTip("Close the selected action without doing it (needs a reason)")
        self.open_button = QPushButton("&Open session")
        self.open_button.setAccessibleName("Open session")
        self.open_button.setToolTip("Open the session this action was agreed in (Enter)")

        filters = QHBoxLayout()
        filters.addWidget(worker_label)
        filters.addWidget(self.worker_combo)
        filters.addSpacing(12)
        filters.addWidget(owner_label)
        filters.addWidget(self.owner_combo)
        filters.addSpacing(12)
        filters.addWidget(self.show_closed)
        filters.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.complete_button)
        buttons.addWidget(self.drop_button)
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        heading = QHBoxLayout()
        heading.addWidget(title)
        heading.addSpacing(16)
        heading.addWidget(self.counts_label, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(heading)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label)
        layout.addLayout(buttons)

        set_tab_order(
            self.worker_combo,
            self.owner_combo,
            self.show_closed,
            self.table,
            self.complete_button,
            self.drop_button,
            self.open_button,
        )

        self.worker_combo.currentIndexChanged.connect(self._apply_filters)
        self.owner_combo.currentIndexChanged.connect(self._apply_filters)
        self.show_closed.toggled.connect(self.refresh)
        self.table.activated.connect(self._open_index)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.complete_button.clicked.connect(self.complete_selected)
        self.drop_button.clicked.connect(self.drop_selected)
        self.open_button.clicked.connect(self.open_selected)

        # Read when first shown: a big service has thousands of actions, and start-up should
        # not wait for a screen nobody is looking at yet.
        self._stale = True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def _ensure_loaded(self) -> None:
        if self._stale:
            self.refresh()

    # Public API -----------------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        """Read the actions again (after a session is saved, or an action closed)."""
        self._stale = False
        status = None if self.show_closed.isChecked() else ActionStatus.OPEN
        self._all_rows = self._ctx.sessions.actions(status=status)
        self._fill_worker_combo()
        self._apply_filters()

    def selected_action(self) -> ActionRow | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        action: ActionRow = self.model.action_at(self.proxy.mapToSource(rows[0]).row())
        return action

    def select_action(self, action_id: str) -> bool:
        """Select the row of ``action_id`` if it is shown."""
        self._ensure_loaded()
        row = self.model.find(action_id)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.table.selectRow(index.row())
        self.table.scrollTo(index)
        return True

    def visible_actions(self) -> list[ActionRow]:
        """The actions as shown, top to bottom (after sorting)."""
        self._ensure_loaded()
        return [
            self.model.action_at(self.proxy.mapToSource(self.proxy.index(r, 0)).row())
            for r in range(self.proxy.rowCount())
        ]

    @Slot()
    def complete_selected(self) -> None:
        self._close_selected(ActionStatus.DONE)

    @Slot()
    def drop_selected(self) -> None:
        self._close_selected(ActionStatus.DROPPED)

    @Slot()
    def open_selected(self) -> None:
        action = self.selected_action()
        if action is not None:
            self.session_open_requested.emit(action.session_id)

    # Filtering ------------------------------------------------------------------------------

    def _fill_worker_combo(self) -> None:
        current = self.worker_combo.currentData()
        names = sorted({(r.worker_name, r.worker_id) for r in self._all_rows}, key=_name_key)
        self.worker_combo.blockSignals(True)
        try:
            self.worker_combo.clear()
            self.worker_combo.addItem("All workers", ALL)
            for name, worker_id in names:
                self.worker_combo.addItem(name, worker_id)
            found = self.worker_combo.findData(current) if current else 0
            self.worker_combo.setCurrentIndex(max(0, found))
        finally:
            self.worker_combo.blockSignals(False)

    def _matches(self, row: ActionRow) -> bool:
        worker = self.worker_combo.currentData()
        if worker not in (None, ALL) and row.worker_id != worker:
            return False
        owner = self.owner_combo.currentData()
        if owner == NO_OWNER:
            return row.owner is None
        return owner in (None, ALL) or (row.owner is not None and row.owner.value == owner)

    @Slot()
    def _apply_filters(self) -> None:
        keep = self.selected_action()
        today = self._ctx.today()
        shown = default_order((r for r in self._all_rows if self._matches(r)), today)
        self.model.set_rows(shown, today)
        if keep is not None:
            self.select_action(keep.id)
        self._update_counts(shown, today)
        self._update_buttons()

    def _update_counts(self, shown: list[ActionRow], today: date) -> None:
        levels = [urgency(r, today) for r in shown]
        open_count = sum(1 for r in shown if r.status is ActionStatus.OPEN)
        overdue = levels.count(Urgency.OVERDUE)
        soon = levels.count(Urgency.DUE_SOON)
        parts = [f"{open_count} open action{'' if open_count == 1 else 's'}"]
        parts.append(f"{overdue} overdue")
        if soon:
            parts.append(f"{soon} due within a week")
        closed = len(shown) - open_count
        if self.show_closed.isChecked():
            parts.append(f"{closed} closed")
        filtered = self.worker_combo.currentIndex() > 0 or self.owner_combo.currentIndex() > 0
        if filtered:
            parts.append("filtered")
        self.counts_label.setText(" · ".join(parts))
        if shown:
            self.empty_label.hide()
        else:
            self.empty_label.setText(
                "No actions match these filters."
                if filtered
                else "No open actions. Actions agreed in supervision sessions appear here "
                "until they are done or dropped."
            )
            self.empty_label.show()

    def _update_buttons(self, *_args: object) -> None:
        action = self.selected_action()
        is_open = action is not None and action.status is ActionStatus.OPEN
        self.complete_button.setEnabled(is_open)
        self.drop_button.setEnabled(is_open)
        self.open_button.setEnabled(action is not None)

    # Closing and opening --------------------------------------------------------------------

    def _close_selected(self, status: ActionStatus) -> None:
        action = self.selected_action()
        if action is None or action.status is not ActionStatus.OPEN:
            return
        name = self._ctx.catalogue.name(action.session_type)
        note = CloseActionDialog.ask(action, status, self, name)
        if note is None:
            return
        try:
            self._ctx.sessions.close_action(action.id, status, note, self._ctx.today())
        except KeelError as exc:
            QMessageBox.warning(self, "Keel", str(exc))
            return
        log.info("action %s closed as %s", action.id, status.value)
        self.refresh()
        self.actions_changed.emit([action.worker_id])

    @Slot(QModelIndex)
    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid():
            action = self.model.action_at(self.proxy.mapToSource(index).row())
            self.session_open_requested.emit(action.session_id)


def _unbroken(text: str) -> str:
    """Keep "17 Oct 2026" on one line when a label wraps."""
    return text.replace(" ", "\u00a0")


def _name_key(item: tuple[str, str]) -> tuple[str, str]:
    return (item[0].casefold(), item[1])
