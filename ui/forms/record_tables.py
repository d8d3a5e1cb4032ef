"""The editable tables of a session record: decisions, actions, and carried-forward actions.

Each table is a ``QAbstractTableModel`` over a list of plain rows the form gives it (it never
reads the database), shown by ``RecordTable``: a view sized to its rows, with add and remove
buttons, combo boxes always visible for choice columns and a calendar for dates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, ClassVar

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QApplication,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.dates import uk
from app.domain.model import DueStatus
from app.domain.records import (
    Action,
    ActionOwner,
    ActionReview,
    ActionStatus,
    Decision,
    Incident,
    Progress,
    SessionRecord,
)
from app.services.themes import Theme
from ui.forms.common_sections import Section
from ui.forms.themes_dialog import ask_decision_themes
from ui.widgets.dates import DateEdit
from ui.widgets.status_style import BACKGROUND, FOREGROUND

ObjectRole = Qt.ItemDataRole.UserRole
SortRole = Qt.ItemDataRole.UserRole + 1

Index = QModelIndex | QPersistentModelIndex
Choices = Callable[[], Sequence[tuple[str, str]]]  # (stored value, label shown)

_NO_DATE = "— set a date"


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    editable: bool = True
    kind: str = "text"  # text | choice | date
    stretch: bool = False
    tooltip: str = ""


class _RowsModel(QAbstractTableModel):
    """Shared plumbing: a list of rows, fixed columns, text/choice/date cells."""

    columns: ClassVar[tuple[Column, ...]] = ()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []
        self._columns: tuple[Column, ...] = self.columns
        self.read_only = False  # a signed record: nothing is editable

    # Qt API -------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation is Qt.Orientation.Horizontal and 0 <= section < len(self._columns):
            col = self._columns[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return col.title
            if role == Qt.ItemDataRole.ToolTipRole and col.tooltip:
                return col.tooltip
        if orientation is Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self._columns[index.column()].editable and not self.read_only:
            base |= Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        col = self._columns[index.column()]
        value = self._value(row, col.key)
        if role == ObjectRole:
            return row
        if role == Qt.ItemDataRole.EditRole:
            return "" if value is None and col.kind == "text" else value
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._display(row, col, value)
        if role == SortRole:
            return value.isoformat() if isinstance(value, date) else str(value or "")
        if role == Qt.ItemDataRole.ForegroundRole and col.kind == "date" and value is None:
            return QApplication.palette().placeholderText()
        if role == Qt.ItemDataRole.AccessibleTextRole:
            # What a screen reader hears for the cell: what it is and what it holds, and for
            # a drop-down that it is one (its combo box sits over the cell).
            shown = self._display(row, col, value).replace("\n", ", ") or "empty"
            kind = ", drop-down" if col.kind == "choice" and col.editable else ""
            return f"{col.title}: {shown}{kind}"
        if role == Qt.ItemDataRole.AccessibleDescriptionRole and col.editable:
            if self.read_only:
                return None
            return "Enter or F2 to change" if col.kind == "choice" else "Enter or F2 to edit"
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.EditRole:
            return False
        col = self._columns[index.column()]
        if not col.editable or self.read_only:
            return False
        if col.kind == "date" and value is not None and not isinstance(value, date):
            return False
        if col.kind != "date" and value is not None and not isinstance(value, str):
            return False
        row = self._rows[index.row()]
        if self._value(row, col.key) == value:
            return False
        self._rows[index.row()] = self._with(row, col.key, value)
        self.dataChanged.emit(
            self.index(index.row(), 0), self.index(index.row(), self.columnCount() - 1)
        )
        return True

    # For the form -------------------------------------------------------------------------

    def column_of(self, key: str) -> int:
        return next(n for n, c in enumerate(self._columns) if c.key == key)

    def column(self, n: int) -> Column:
        return self._columns[n]

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[Any]:
        return list(self._rows)

    def append(self, row: Any) -> int:
        n = len(self._rows)
        self.beginInsertRows(QModelIndex(), n, n)
        self._rows.append(row)
        self.endInsertRows()
        return n

    def remove(self, n: int) -> None:
        if 0 <= n < len(self._rows):
            self.beginRemoveRows(QModelIndex(), n, n)
            del self._rows[n]
            self.endRemoveRows()

    def choices(self, key: str) -> Sequence[tuple[str, str]]:
        """(value, label) pairs for a choice column."""
        return ()

    def blank(self) -> Any:
        raise NotImplementedError

    # For subclasses -----------------------------------------------------------------------

    def _value(self, row: Any, key: str) -> Any:
        value = getattr(row, key)
        return value.value if hasattr(value, "value") and not isinstance(value, date) else value

    def _with(self, row: Any, key: str, value: Any) -> Any:
        return replace(row, **{key: value})

    def _display(self, row: Any, col: Column, value: Any) -> str:
        if col.kind == "date":
            return uk(value, _NO_DATE)
        if col.kind == "choice":
            labels = dict(self.choices(col.key))
            return labels.get(value or "", "—") if value else "—"
        return "" if value is None else str(value)


class DecisionsModel(_RowsModel):
    """Decisions and guidance, each with its rationale and the themes it raises."""

    columns = (
        Column("text", "Decision or guidance", stretch=True),
        Column("rationale", "Rationale (why)", stretch=True),
        Column(
            "theme_ids",
            "Themes",
            editable=False,
            tooltip="Themes this decision raises: select it, then “Themes of this decision…”",
        ),
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme_names: dict[str, str] = {}  # id → name, for the Themes column

    def decisions(self) -> list[Decision]:
        return [replace(d, theme_ids=list(d.theme_ids)) for d in self._rows]

    def set_theme_ids(self, row: int, theme_ids: Sequence[str]) -> None:
        """Tag one decision with these themes."""
        if 0 <= row < len(self._rows) and list(theme_ids) != self._rows[row].theme_ids:
            self._rows[row] = replace(self._rows[row], theme_ids=list(theme_ids))
            self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def _display(self, row: Any, col: Column, value: Any) -> str:
        if col.key == "theme_ids":
            names = [self.theme_names.get(t, "Unknown theme") for t in value or ()]
            return ", ".join(names) or "—"
        return super()._display(row, col, value)

    def blank(self) -> Decision:
        return Decision(text="")


OWNER_LABELS = {
    ActionOwner.SUPERVISEE.value: "Supervisee",
    ActionOwner.SUPERVISOR.value: "Supervisor",
    ActionOwner.BOTH.value: "Both",
    ActionOwner.OTHER.value: "Other (name it)",
}


class ActionsModel(_RowsModel):
    """Actions agreed in this session. In a group session each belongs to an attendee."""

    one_to_one_columns = (
        Column("description", "Action", stretch=True),
        Column("owner", "Owner", kind="choice"),
        Column("owner_name", "Name (if other)"),
        Column("due_date", "Due", kind="date", tooltip="The target date"),
        Column("review_date", "Review", kind="date", tooltip="When progress is reviewed"),
        Column("evidence", "Evidence needed to close", stretch=True),
    )

    def __init__(self, *, group: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._group = group
        self._attendees: list[tuple[str, str]] = []
        self._columns = (
            (
                Column("worker_id", "For", kind="choice", tooltip="The attendee this is for"),
                *self.one_to_one_columns,
            )
            if group
            else self.one_to_one_columns
        )

    def set_attendees(self, attendees: Sequence[tuple[str, str]]) -> None:
        """(worker id, name) of the group's attendees: what the "For" column offers."""
        if list(attendees) == self._attendees:
            return
        self._attendees = list(attendees)
        if self._rows and self._group:
            col = self.column_of("worker_id")
            self.dataChanged.emit(self.index(0, col), self.index(len(self._rows) - 1, col))

    def choices(self, key: str) -> Sequence[tuple[str, str]]:
        if key == "worker_id":
            return self._attendees
        if key == "owner":
            labels = dict(OWNER_LABELS)
            if self._group:
                labels[ActionOwner.SUPERVISEE.value] = "Attendee"
            return list(labels.items())
        return ()

    def _with(self, row: Any, key: str, value: Any) -> Any:
        if key == "owner":
            return replace(row, owner=ActionOwner(value) if value else None)
        dated = key in ("due_date", "review_date")
        return replace(row, **{key: value if value is not None or dated else ""})

    def _display(self, row: Any, col: Column, value: Any) -> str:
        if col.key == "owner_name" and row.owner is not ActionOwner.OTHER and not value:
            return ""
        text = super()._display(row, col, value)
        if col.key == "description" and row.status is not ActionStatus.OPEN:
            text += f" ({row.status.value})"
        return text

    def actions(self) -> list[Action]:
        return [replace(a) for a in self._rows]

    def blank(self) -> Action:
        return Action(description="")


class IncidentsModel(_RowsModel):
    """Incidents since the last session: the case code (never a name) and the learning."""

    columns = (
        Column("case_ref", "Case code", tooltip="A case code, never a name — e.g. C-1042"),
        Column("learning", "Learning", stretch=True),
    )

    def _with(self, row: Any, key: str, value: Any) -> Any:
        return replace(row, **{key: value or ""})

    def incidents(self) -> list[Incident]:
        return [replace(i) for i in self._rows]

    def blank(self) -> Incident:
        return Incident(case_ref="")


class IncidentsSection(Section):
    """Incidents since the last session, each with its learning."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Incidents since the last session", parent)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Each incident by its case code (never a name), and what was learned from it.", self
        )
        intro.setWordWrap(True)
        self.model = IncidentsModel(self)
        self.table = RecordTable(
            self.model, noun="incident", empty_text="No incidents recorded.", parent=self
        )
        layout.addWidget(intro)
        layout.addWidget(self.table)
        self.table.changed.connect(self.changed)

    def load(self, record: SessionRecord) -> None:
        if self.model.incidents() != record.incidents:
            self.model.set_rows([replace(i) for i in record.incidents])

    def fill(self, record: SessionRecord) -> None:
        record.incidents = [i for i in self.model.incidents() if i.case_ref.strip()]


@dataclass(frozen=True, slots=True)
class CarriedAction:
    """An open action from an earlier session, as reviewed in this one."""

    action_id: str
    description: str
    owner: str
    due_date: date | None
    origin: str  # "Clinical · 12 Oct 2026"
    evidence: str = ""
    outcome: ActionStatus = ActionStatus.OPEN
    note: str = ""
    status: ActionStatus = ActionStatus.OPEN  # the action's status in the database now
    closed_here: bool = False  # this (saved) session is the one that closed it
    progress: Progress | None = None  # of an open action: in progress, or not started

    def review(self) -> ActionReview | None:
        """The review to store, or None when storing one would tell nothing or undo a
        later session's decision (re-saving an old session must not reopen an action a
        newer session closed)."""
        if self.outcome is not ActionStatus.OPEN:
            return ActionReview(self.action_id, self.outcome, self.note)
        if (
            self.closed_here
            or self.progress is not None
            or (self.note.strip() and self.status is ActionStatus.OPEN)
        ):
            return ActionReview(self.action_id, self.outcome, self.note, self.progress)
        return None

    @property
    def unresolved(self) -> bool:
        return self.outcome is ActionStatus.OPEN


OUTCOME_LABELS = {
    ActionStatus.OPEN.value: "Still open",
    Progress.IN_PROGRESS.value: "In progress",
    Progress.NOT_STARTED.value: "Not started",
    ActionStatus.DONE.value: "Complete",
    ActionStatus.DROPPED.value: "Dropped",
}


class ReviewsModel(_RowsModel):
    """Carried-forward actions: each marked done, still open, or dropped with a reason."""

    columns = (
        Column("description", "Action", editable=False, stretch=True),
        Column("owner", "Owner", editable=False),
        Column("due_date", "Was due", editable=False, kind="date"),
        Column("origin", "Agreed in", editable=False),
        Column("outcome", "Outcome", kind="choice"),
        Column("note", "Note (reason if dropped)", stretch=True),
    )

    def choices(self, key: str) -> Sequence[tuple[str, str]]:
        return list(OUTCOME_LABELS.items()) if key == "outcome" else ()

    def _with(self, row: Any, key: str, value: Any) -> Any:
        if key == "outcome":
            if value in (Progress.IN_PROGRESS.value, Progress.NOT_STARTED.value):
                return replace(row, outcome=ActionStatus.OPEN, progress=Progress(value))
            return replace(row, outcome=ActionStatus(value or "open"), progress=None)
        return replace(row, **{key: value or ""})

    def _value(self, row: Any, key: str) -> Any:
        if key == "outcome" and row.outcome is ActionStatus.OPEN and row.progress is not None:
            return row.progress.value
        return super()._value(row, key)

    as_of: date | None = None
    """The session's date: a carried action still open and due before it is overdue."""

    def set_as_of(self, day: date) -> None:
        if day != self.as_of:
            self.as_of = day
            if self._rows:
                last = self.index(len(self._rows) - 1, self.columnCount() - 1)
                self.dataChanged.emit(self.index(0, 0), last)

    def overdue_days(self, row: CarriedAction) -> int:
        """How long past its due date an open carried action is, on the session's date."""
        due: date | None = row.due_date
        if self.as_of is None or due is None or row.outcome is not ActionStatus.OPEN:
            return 0
        return max(0, (self.as_of - due).days)

    def _display(self, row: Any, col: Column, value: Any) -> str:
        if col.key == "due_date":
            late = self.overdue_days(row)
            if late:
                return f"✖ {uk(value)}\noverdue {late} day{'s' if late != 1 else ''}"
            return uk(value, "no date")
        if col.key == "description" and row.evidence:
            return f"{value}\nEvidence: {row.evidence}"
        return super()._display(row, col, value)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        key = self._columns[index.column()].key
        if key in ("due_date", "description") and role in (
            Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.BackgroundRole,
        ):  # fmt: skip
            if not self.overdue_days(self._rows[index.row()]):
                return None
            overdue = DueStatus.OVERDUE
            return (FOREGROUND if role == Qt.ItemDataRole.ForegroundRole else BACKGROUND)[overdue]
        return super().data(index, role)

    def missing_reasons(self) -> list[CarriedAction]:
        return [r for r in self._rows if r.outcome is ActionStatus.DROPPED and not r.note.strip()]


# Delegates -----------------------------------------------------------------------------------


class _LeavesOnTab(QStyledItemDelegate):
    """Tab (Shift+Tab) in a cell's editor keeps what was typed and leaves the table — to the
    next (previous) field of the form — instead of editing the next cell: a table is one Tab
    stop; the arrow keys move inside it. Escape in a drop-down goes back to the table."""

    def eventFilter(self, editor: QObject, event: QEvent) -> bool:
        if isinstance(editor, QWidget) and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
                forward = key == Qt.Key.Key_Tab and not (
                    event.modifiers() & Qt.KeyboardModifier.ShiftModifier
                )
                self._leave(editor, forward)
                return True
            if key == Qt.Key.Key_Escape and isinstance(editor, QComboBox):
                view = self.parent()
                if isinstance(view, QAbstractItemView):
                    view.setFocus(Qt.FocusReason.OtherFocusReason)
                    return True
        return super().eventFilter(editor, event)

    def _leave(self, editor: QWidget, forward: bool) -> None:
        view = self.parent()
        if isinstance(editor, DateEdit):
            editor.commit_typing()
        self.commitData.emit(editor)
        self.closeEditor.emit(editor, QStyledItemDelegate.EndEditHint.NoHint)
        if isinstance(view, QAbstractItemView):
            view.setFocus(Qt.FocusReason.TabFocusReason)
            leave_table(view, forward)


def leave_table(view: QAbstractItemView, forward: bool) -> None:
    """Move the focus from ``view`` to the next (previous) field outside it."""
    step = QWidget.nextInFocusChain if forward else QWidget.previousInFocusChain
    widget = step(view)
    for _ in range(1000):
        if widget is None or widget is view:
            return
        if (
            not view.isAncestorOf(widget)
            and widget.focusPolicy() & Qt.FocusPolicy.TabFocus
            and widget.isVisible()
            and widget.isEnabled()
            and widget.focusProxy() is None
        ):
            widget.setFocus(
                Qt.FocusReason.TabFocusReason if forward else Qt.FocusReason.BacktabFocusReason
            )
            return
        widget = step(widget)


class TextDelegate(_LeavesOnTab):
    """A plain text cell's editor, as Qt makes it, leaving the table on Tab."""


class ChoiceDelegate(_LeavesOnTab):
    """A combo box for a choice column, kept open as a persistent editor; commits at once.
    It is reached from its cell (Enter, F2 or typing, or a click), not by Tab: the table is
    one Tab stop."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        combo = QComboBox(parent)
        combo.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        model = index.model()
        key = _column_key(index)
        combo.addItem("—", "")
        for value, label in _choices(model, key):
            combo.addItem(label, value)
        header = model.headerData(index.column(), Qt.Orientation.Horizontal)
        combo.setAccessibleName(f"{header}, row {index.row() + 1}")
        combo.currentIndexChanged.connect(lambda _n, c=combo: self.commitData.emit(c))
        return combo

    def updateEditorGeometry(
        self, editor: QWidget, option: QStyleOptionViewItem, index: Index
    ) -> None:
        """Keep the combo box its natural height, centred in a tall (wrapped) row."""
        rect = option.rect
        height = min(rect.height(), editor.sizeHint().height())
        top = rect.top() + (rect.height() - height) // 2
        editor.setGeometry(rect.left() + 2, top, rect.width() - 4, height)

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        assert isinstance(editor, QComboBox)
        key = _column_key(index)
        wanted = [("", "—"), *_choices(index.model(), key)]
        current = [(editor.itemData(n), editor.itemText(n)) for n in range(editor.count())]
        editor.blockSignals(True)
        if current != wanted:  # the attendees changed
            editor.clear()
            for value, label in wanted:
                editor.addItem(label, value)
        found = editor.findData(index.data(Qt.ItemDataRole.EditRole) or "")
        editor.setCurrentIndex(max(found, 0))
        editor.blockSignals(False)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentData() or None, Qt.ItemDataRole.EditRole)


class DateDelegate(_LeavesOnTab):
    """A date field typed the way people write dates (or chosen from its calendar); an
    empty cell stays empty until the user types or picks a date."""

    def __init__(self, default: Callable[[], date], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._default = default

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        editor = DateEdit(None, parent, allow_empty=True, suggest=self._default)
        header = index.model().headerData(index.column(), Qt.Orientation.Horizontal)
        editor.setAccessibleName(f"{header} date, row {index.row() + 1}")
        return editor

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        assert isinstance(editor, DateEdit)
        value = index.data(Qt.ItemDataRole.EditRole)
        editor.set_date(value if isinstance(value, date) else None)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        assert isinstance(editor, DateEdit)
        editor.commit_typing()
        if index.data(Qt.ItemDataRole.EditRole) is None and not editor.touched:
            return
        model.setData(index, editor.optional_value(), Qt.ItemDataRole.EditRole)


def _column_key(index: Index) -> str:
    model = index.model()
    assert isinstance(model, _RowsModel)
    return model.column(index.column()).key


def _choices(model: QAbstractItemModel, key: str) -> Sequence[tuple[str, str]]:
    assert isinstance(model, _RowsModel)
    return model.choices(key)


# The widget -----------------------------------------------------------------------------------


class _TableView(QTableView):
    """Tab leaves the table (so a form can be tabbed through); Delete clears a cell."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        index = self.currentIndex()
        if (
            event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
            and index.isValid()
            and self.state() is not QAbstractItemView.State.EditingState
            and index.flags() & Qt.ItemFlag.ItemIsEditable
        ):
            model = self.model()
            assert isinstance(model, _RowsModel)
            kind = model.column(index.column()).kind
            model.setData(index, None if kind != "text" else "", Qt.ItemDataRole.EditRole)
            return
        super().keyPressEvent(event)


class RecordTable(QWidget):
    """A table of rows with "Add …" and "Remove" buttons, sized to show every row."""

    changed = Signal()

    def __init__(
        self,
        model: _RowsModel,
        *,
        noun: str,
        add: bool = True,
        empty_text: str = "",
        default_date: Callable[[], date] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self._noun = noun
        self.view = _TableView(self)
        self.view.setModel(model)
        self.view.setAccessibleName(f"{noun.capitalize()}s")
        self.view.setTabKeyNavigation(False)
        self.view.setWordWrap(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self._edit_triggers = (
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.SelectedClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.view.setEditTriggers(self._edit_triggers)
        self.view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setMinimumSectionSize(QComboBox().sizeHint().height() + 6)
        self.view.setItemDelegate(TextDelegate(self.view))
        self._choice_delegate = ChoiceDelegate(self.view)
        when = default_date or (lambda: date.today() + timedelta(days=14))
        self._date_delegate = DateDelegate(when, self.view)
        header = self.view.horizontalHeader()
        for n in range(model.columnCount()):
            col = model.column(n)
            if col.kind == "choice":
                self.view.setItemDelegateForColumn(n, self._choice_delegate)
            elif col.kind == "date":
                self.view.setItemDelegateForColumn(n, self._date_delegate)
            if col.stretch:
                header.setSectionResizeMode(n, QHeaderView.ResizeMode.Stretch)
            elif col.kind == "date" and col.editable:
                # Sized for a date and the field's calendar button, even while every cell is
                # empty (a column sized to its contents was 30 px: "Due" and nothing else).
                texts = ("— set a date", "30 Sept 2026", col.title)
                width = max(self.fontMetrics().horizontalAdvance(t) for t in texts)
                header.setSectionResizeMode(n, QHeaderView.ResizeMode.Interactive)
                header.resizeSection(n, width + 56)
            elif col.kind == "choice" and col.editable:
                # Persistent combo boxes do not size their column: size it for the labels.
                labels = [label for _, label in model.choices(col.key)] or ["A long name here"]
                width = max(self.fontMetrics().horizontalAdvance(t) for t in [*labels, col.title])
                header.setSectionResizeMode(n, QHeaderView.ResizeMode.Fixed)
                header.resizeSection(n, width + 48)
            else:
                header.setSectionResizeMode(n, QHeaderView.ResizeMode.ResizeToContents)
        self.empty_label = QLabel(empty_text, self)
        self.empty_label.setWordWrap(True)
        self.empty_label.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        layout.addWidget(self.empty_label)
        self.add_button: QPushButton | None = None
        self.remove_button: QPushButton | None = None
        if add:
            buttons = QHBoxLayout()
            self.add_button = QPushButton(f"Add {noun}", self)
            self.add_button.setAccessibleName(f"Add {noun}")
            self.remove_button = QPushButton(f"Remove selected {noun}", self)
            self.remove_button.setAccessibleName(f"Remove selected {noun}")
            buttons.addWidget(self.add_button)
            buttons.addWidget(self.remove_button)
            buttons.addStretch(1)
            layout.addLayout(buttons)
            self.add_button.clicked.connect(self.add_row)
            self.remove_button.clicked.connect(self.remove_selected)
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self._fit)
        header.sectionResized.connect(self._fit_timer.start)
        model.rowsInserted.connect(self._on_rows_inserted)
        model.rowsRemoved.connect(self._on_rows_changed)
        model.modelReset.connect(self._on_reset)
        model.dataChanged.connect(self._on_data_changed)
        self._on_reset()

    # Public -------------------------------------------------------------------------------

    def add_row(self) -> None:
        """Append a blank row and start typing in its first editable cell."""
        row = self.model.append(self.model.blank())
        first = next(
            n
            for n in range(self.model.columnCount())
            if self.model.column(n).editable and self.model.column(n).kind == "text"
        )
        index = self.model.index(row, first)
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)
        self.view.setCurrentIndex(index)
        self.view.edit(index)

    def remove_selected(self) -> None:
        index = self.view.currentIndex()
        if index.isValid():
            self.commit_pending()
            self.model.remove(index.row())

    def commit_pending(self) -> None:
        """Write a cell being edited into the model (before saving, for example)."""
        if self.view.state() is not QAbstractItemView.State.EditingState:
            return
        editor = QApplication.focusWidget()
        index = self.view.currentIndex()
        if editor is None or not self.view.viewport().isAncestorOf(editor) or not index.isValid():
            return
        while editor.parentWidget() is not self.view.viewport():
            parent = editor.parentWidget()
            if parent is None:
                return
            editor = parent
        delegate = self.view.itemDelegateForIndex(index)
        delegate.commitData.emit(editor)
        delegate.closeEditor.emit(editor, QStyledItemDelegate.EndEditHint.NoHint)

    def set_read_only(self, read_only: bool) -> None:
        """Show the rows as plain text that cannot be changed (a signed record)."""
        if self.model.read_only == read_only:
            return
        self.model.read_only = read_only
        if read_only:
            self.commit_pending()
            for row in range(self.model.rowCount()):
                for col in range(self.model.columnCount()):
                    self.view.closePersistentEditor(self.model.index(row, col))
            self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        else:
            self.view.setEditTriggers(self._edit_triggers)
            self._open_editors(0, self.model.rowCount() - 1)
        for button in (self.add_button, self.remove_button):
            if button is not None:
                button.setVisible(not read_only)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()  # wrapped rows change height with the width

    # Private ------------------------------------------------------------------------------

    def _choice_columns(self) -> list[int]:
        return [
            n
            for n in range(self.model.columnCount())
            if self.model.column(n).kind == "choice"
            and self.model.column(n).editable
            and not self.model.read_only
        ]

    def _open_editors(self, first: int, last: int) -> None:
        for row in range(first, last + 1):
            for col in self._choice_columns():
                self.view.openPersistentEditor(self.model.index(row, col))

    def _on_reset(self) -> None:
        self._open_editors(0, self.model.rowCount() - 1)
        self._on_rows_changed()

    def _on_rows_inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        self._open_editors(first, last)
        self._on_rows_changed()

    def _on_rows_changed(self) -> None:
        has_rows = self.model.rowCount() > 0
        self.empty_label.setVisible(not has_rows and bool(self.empty_label.text()))
        if self.remove_button is not None:
            self.remove_button.setEnabled(has_rows)
        self._fit()
        self.changed.emit()

    def _on_data_changed(self) -> None:
        self._fit()
        self.changed.emit()

    def _fit(self) -> None:
        """Grow the view to show every row: the form scrolls, the table does not."""
        self.view.resizeRowsToContents()
        for row in range(self.model.rowCount()):  # a little air around wrapped text
            self.view.setRowHeight(row, self.view.rowHeight(row) + 6)
        height = self.view.horizontalHeader().height() + 2 * self.view.frameWidth()
        height += sum(self.view.rowHeight(r) for r in range(self.model.rowCount()))
        if self.model.rowCount() == 0:
            height += 4
        scrollbar = self.view.horizontalScrollBar()
        if scrollbar.isVisible():
            height += scrollbar.height()
        if height != self.view.height() or self.view.minimumHeight() != height:
            self.view.setFixedHeight(height)
            self._relayout_ancestors()

    def _relayout_ancestors(self) -> None:
        """Apply the new height up the form now rather than one posted event per level, so
        the page never shows a table overlapping (or far from) the section below it."""
        widget: QWidget | None = self
        while widget is not None:
            layout = widget.layout()
            if layout is not None:
                layout.activate()
            parent = widget.parentWidget()
            if isinstance(parent, QWidget) and isinstance(
                parent.parentWidget(), QAbstractScrollArea
            ):
                area = parent.parentWidget()
                assert area is not None
                QApplication.sendEvent(area, QEvent(QEvent.Type.LayoutRequest))
                return
            widget = parent


# The sections of the form that hold these tables ------------------------------------------


class DecisionsSection(Section):
    """Decisions and guidance, each with its rationale."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Decisions and guidance", parent)
        layout = QVBoxLayout(self)
        intro = QLabel("Each decision or piece of guidance, with why it was decided.", self)
        intro.setWordWrap(True)
        self.model = DecisionsModel(self)
        self.table = RecordTable(
            self.model,
            noun="decision",
            empty_text="No decision recorded yet. “Case discussed, plan agreed” is not a record.",
            parent=self,
        )
        header = self.table.view.horizontalHeader()
        themes_column = self.model.column_of("theme_ids")
        header.setSectionResizeMode(themes_column, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(themes_column, self.fontMetrics().horizontalAdvance("x" * 28))
        self.themes_button = QPushButton("T&hemes of this decision…", self)
        self.themes_button.setAccessibleName("Themes of the selected decision")
        self.themes_button.setToolTip(
            "Tag the selected decision with the themes it raises (for trends and the MDT agenda)"
        )
        self._themes: list[tuple[str, str]] = []
        layout.addWidget(intro)
        layout.addWidget(self.table)
        layout.addWidget(self.themes_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.table.changed.connect(self.changed)
        self.table.changed.connect(self._update_themes_button)
        self.table.view.selectionModel().currentChanged.connect(self._update_themes_button)
        self.themes_button.clicked.connect(self.edit_themes)
        self._update_themes_button()

    def set_themes(self, themes: Sequence[Theme]) -> None:
        """The themes a decision may be tagged with (the form's list)."""
        self._themes = [(t.id, t.name) for t in themes]
        self.model.theme_names = dict(self._themes)

    def edit_themes(self) -> None:
        """Ask which themes the selected decision raises."""
        index = self.table.view.currentIndex()
        if not index.isValid() or self.model.read_only:
            return
        self.table.commit_pending()
        decision: Decision = self.model.rows()[index.row()]
        chosen = ask_decision_themes(self, decision.text, self._themes, decision.theme_ids)
        if chosen is not None:
            self.model.set_theme_ids(index.row(), chosen)

    def _update_themes_button(self, *_args: object) -> None:
        self.themes_button.setEnabled(
            self.table.view.currentIndex().isValid() and not self.model.read_only
        )

    def load(self, record: SessionRecord) -> None:
        if self.model.decisions() != record.decisions:
            self.model.set_rows([replace(d, theme_ids=list(d.theme_ids)) for d in record.decisions])

    def fill(self, record: SessionRecord) -> None:
        record.decisions = self.model.decisions()


class ActionsSection(Section):
    """Actions agreed: what, who, by when, and the evidence that closes each."""

    def __init__(
        self,
        *,
        group: bool,
        default_date: Callable[[], date],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Actions", parent)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Each action needs an owner and a due date; say what evidence will close it."
            + (" In a group, each action is for one attendee." if group else ""),
            self,
        )
        intro.setWordWrap(True)
        self.model = ActionsModel(group=group, parent=self)
        self.table = RecordTable(
            self.model,
            noun="action",
            empty_text="No actions agreed yet.",
            default_date=default_date,
            parent=self,
        )
        layout.addWidget(intro)
        layout.addWidget(self.table)
        self.table.changed.connect(self.changed)

    def load(self, record: SessionRecord) -> None:
        if self.model.actions() != record.actions:
            self.model.set_rows([replace(a) for a in record.actions])

    def fill(self, record: SessionRecord) -> None:
        record.actions = self.model.actions()


class CarriedForwardSection(Section):
    """Open actions from earlier sessions of this supervisee, reviewed in this one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Actions carried forward", parent)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Open actions from earlier sessions of any type (“Agreed in” says which). Mark each "
            "complete, in progress, not started, or dropped (say why).",
            self,
        )
        intro.setWordWrap(True)
        self.model = ReviewsModel(self)
        self.table = RecordTable(
            self.model,
            noun="carried-forward action",
            add=False,
            empty_text="No open actions to review.",
            parent=self,
        )
        self.unresolved = QLabel(self)
        self.unresolved.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(intro)
        layout.addWidget(self.table)
        layout.addWidget(self.unresolved)
        self.table.changed.connect(self.changed)
        self.table.changed.connect(self._count)
        self._base: list[CarriedAction] = []

    def set_actions(self, actions: Sequence[CarriedAction]) -> None:
        """The actions to review (outcomes come from the record in ``load``)."""
        self._base = list(actions)
        self.model.set_rows(self._base)

    def load(self, record: SessionRecord) -> None:
        reviews = {r.action_id: r for r in record.reviews}
        rows = [
            replace(
                a,
                outcome=reviews[a.action_id].outcome
                if a.action_id in reviews
                else ActionStatus.OPEN,
                note=reviews[a.action_id].note if a.action_id in reviews else "",
                progress=reviews[a.action_id].progress if a.action_id in reviews else None,
            )
            for a in self._base
        ]
        if rows != self.model.rows():
            self.model.set_rows(rows)
        self._count()

    def _count(self) -> None:
        rows = self.model.rows()
        open_ = sum(1 for r in rows if r.unresolved)
        self.unresolved.setText(
            f"{open_} of {len(rows)} still unresolved" if rows else "Nothing to review."
        )

    def fill(self, record: SessionRecord) -> None:
        reviews = (row.review() for row in self.model.rows())
        record.reviews = [r for r in reviews if r is not None]
