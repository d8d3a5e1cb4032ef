"""The actions table: every action it is given, formatted for the actions view.

The model formats ``ActionRow``s and never touches the database. Each cell's text, colours,
tooltip and sort key are worked out when rows arrive, so ``data()`` is a lookup. Rows are
shown in the order given; :func:`default_order` is the order a team lead wants first
(overdue at the top).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from app.dates import uk
from app.domain.catalogue import DEFAULT_CATALOGUE, Catalogue
from app.domain.model import DueStatus
from app.domain.records import ActionOwner, ActionStatus
from app.domain.rows import ActionRow
from ui.widgets.status_style import BACKGROUND, FOREGROUND, SYMBOL

_Index = QModelIndex | QPersistentModelIndex

SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 1
"""A string that sorts the column sensibly (dates as dates, statuses by urgency)."""
OBJECT_ROLE = int(Qt.ItemDataRole.UserRole) + 2
"""The row's ``ActionRow``."""

# An open action due within this many days is flagged "due soon".
DUE_SOON_DAYS = 7


class Column(IntEnum):
    DUE = 0
    ACTION = 1
    FOR = 2
    OWNER = 3
    EVIDENCE = 4
    SESSION = 5
    STATUS = 6


HEADERS = {
    Column.DUE: "Due",
    Column.ACTION: "Action",
    Column.FOR: "For",
    Column.OWNER: "Owner",
    Column.EVIDENCE: "Evidence needed",
    Column.SESSION: "From session",
    Column.STATUS: "Status",
}
HEADER_TIPS = {
    Column.FOR: "The supervisee whose session agreed the action",
    Column.OWNER: "Who has to do it",
    Column.EVIDENCE: "What shows the action is done",
    Column.SESSION: "The session the action was agreed in (double-click to open it)",
}
OWNER_LABELS = {
    ActionOwner.SUPERVISEE: "Supervisee",
    ActionOwner.SUPERVISOR: "Supervisor",
    ActionOwner.OTHER: "Other",
}


class Urgency(IntEnum):
    """How pressing an action is; lower sorts first."""

    OVERDUE = 0
    DUE_SOON = 1
    OPEN = 2
    DONE = 3
    DROPPED = 4


def urgency(row: ActionRow, today: date) -> Urgency:
    if row.status is ActionStatus.DONE:
        return Urgency.DONE
    if row.status is ActionStatus.DROPPED:
        return Urgency.DROPPED
    if row.due_date is None:
        return Urgency.OPEN
    if row.due_date < today:
        return Urgency.OVERDUE
    if (row.due_date - today).days <= DUE_SOON_DAYS:
        return Urgency.DUE_SOON
    return Urgency.OPEN


def default_order(rows: Iterable[ActionRow], today: date) -> list[ActionRow]:
    """Open before closed, overdue first (longest overdue at the top), then by due date;
    actions with no due date after dated ones; ties by worker name."""

    def key(row: ActionRow) -> tuple[bool, bool, bool, date, str]:
        closed = row.status is not ActionStatus.OPEN
        overdue = row.overdue_on(today)
        return (
            closed,
            not overdue,
            row.due_date is None,
            row.due_date or date.max,
            row.worker_name.casefold(),
        )

    return sorted(rows, key=key)


def owner_text(row: ActionRow) -> str:
    """ "Supervisor", "Other: duty team", or "No owner" (a gap in the record)."""
    if row.owner is None:
        return f"Not set: {row.owner_name}" if row.owner_name else "No owner"
    label = OWNER_LABELS[row.owner]
    return f"{label}: {row.owner_name}" if row.owner_name else label


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


def due_text(row: ActionRow, today: date) -> str:
    if row.due_date is None:
        return "No due date"
    shown = uk(row.due_date)
    if row.status is not ActionStatus.OPEN:
        return shown
    if row.due_date < today:
        return f"{shown} · overdue by {_days((today - row.due_date).days)}"
    if row.due_date == today:
        return f"{shown} · due today"
    return shown


_STATUS_TEXT = {
    Urgency.OVERDUE: f"{SYMBOL[DueStatus.OVERDUE]} Overdue",
    Urgency.DUE_SOON: f"{SYMBOL[DueStatus.DUE_SOON]} Due soon",
    Urgency.OPEN: "○ Open",
    Urgency.DONE: "✔ Done",
    Urgency.DROPPED: "– Dropped",
}
_STATUS_COLOURS: dict[Urgency, tuple[QColor, QColor]] = {
    Urgency.OVERDUE: (BACKGROUND[DueStatus.OVERDUE], FOREGROUND[DueStatus.OVERDUE]),
    Urgency.DUE_SOON: (BACKGROUND[DueStatus.DUE_SOON], FOREGROUND[DueStatus.DUE_SOON]),
    Urgency.DONE: (BACKGROUND[DueStatus.ON_TRACK], FOREGROUND[DueStatus.ON_TRACK]),
    Urgency.DROPPED: (BACKGROUND[DueStatus.NOT_REQUIRED], FOREGROUND[DueStatus.NOT_REQUIRED]),
}
_CLOSED_TEXT = QColor("#666666")


def _one_line(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class _Formatted:
    row: ActionRow
    urgency: Urgency
    display: tuple[str, ...]
    sort: tuple[str, ...]
    tooltip: str


def _format(row: ActionRow, today: date, catalogue: Catalogue) -> _Formatted:
    level = urgency(row, today)
    due_key = row.due_date.isoformat() if row.due_date else "9999-12-31"
    name_key = row.worker_name.casefold()
    # The type's short label: the column is narrow and the tooltip and the session say more.
    spec = catalogue.spec(row.session_type)
    session = f"{spec.short_label} · {uk(row.session_date)}"
    display = (
        due_text(row, today),
        _one_line(row.description),
        row.worker_name,
        owner_text(row),
        _one_line(row.evidence) or "—",
        session,
        _STATUS_TEXT[level],
    )
    sort = (
        f"{due_key}|{name_key}",
        row.description.casefold(),
        f"{name_key}|{due_key}",
        f"{owner_text(row).casefold()}|{due_key}",
        row.evidence.casefold(),
        f"{row.session_date.isoformat()}|{row.session_type}|{name_key}",
        f"{int(level)}|{due_key}|{name_key}",
    )
    tip = [row.description.strip()]
    tip.append(
        f"For {row.worker_name}, agreed in {spec.name.lower()} supervision on "
        f"{uk(row.session_date)}"
    )
    if row.evidence.strip():
        tip.append(f"Evidence needed: {row.evidence.strip()}")
    if row.status is not ActionStatus.OPEN and row.completion_note.strip():
        verb = "Done" if row.status is ActionStatus.DONE else "Dropped"
        tip.append(f"{verb}: {row.completion_note.strip()}")
    return _Formatted(row, level, display, sort, "\n".join(tip))


class ActionsModel(QAbstractTableModel):
    """Formats the action rows it is given, and sorts them itself (``SourceSortProxy``
    forwards the view's sort): a proxy's sort calls ``data()`` twice per comparison, which
    froze the window for 6–9 s with 42,736 open actions. Rows with equal keys keep the order
    they were given in; no sort column (-1) shows them as given."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._given: list[ActionRow] = []
        # Formatted when first asked for (by index in _given): the view asks for the rows on
        # screen, and a very large service has tens of thousands of open actions (42,736
        # took 0.7 s to format).
        self._formatted: list[_Formatted | None] = []
        self._order: list[int] = []  # shown row → index in _given
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._today = date.today()
        self._catalogue = DEFAULT_CATALOGUE

    def set_catalogue(self, catalogue: Catalogue) -> None:
        """The policy's types, whose words the session column and tooltips use."""
        self._catalogue = catalogue
        self._formatted = [None] * len(self._given)

    def set_rows(self, rows: Iterable[ActionRow], today: date) -> None:
        """Show ``rows`` in the order given (or the sort chosen), judged against ``today``."""
        self.beginResetModel()
        self._given = list(rows)
        self._formatted = [None] * len(self._given)
        self._today = today
        self._order = self._ordered()
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort = (column, order) if 0 <= column < len(Column) else None
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        before = [self._order[p.row()] for p in persistent]
        self._order = self._ordered()
        shown_at = {given: row for row, given in enumerate(self._order)}
        moved = [
            self.index(shown_at[g], p.column()) for g, p in zip(before, persistent, strict=True)
        ]
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

    def _ordered(self) -> list[int]:
        given = range(len(self._given))
        if self._sort is None:
            return list(given)
        column, order = self._sort
        keys = [self._formatted_given(i).sort[column] for i in given]
        return sorted(given, key=keys.__getitem__, reverse=order is Qt.SortOrder.DescendingOrder)

    def action_at(self, row: int) -> ActionRow:
        return self._given[self._order[row]]

    def rows(self) -> list[ActionRow]:
        """The rows in the order shown."""
        return [self._given[i] for i in self._order]

    def find(self, action_id: str) -> int | None:
        """The row showing ``action_id``, if any."""
        for number, given in enumerate(self._order):
            if self._given[given].id == action_id:
                return number
        return None

    def _formatted_given(self, given: int) -> _Formatted:
        formatted = self._formatted[given]
        if formatted is None:
            formatted = self._formatted[given] = _format(
                self._given[given], self._today, self._catalogue
            )
        return formatted

    def _format_row(self, number: int) -> _Formatted:
        return self._formatted_given(self._order[number])

    # QAbstractTableModel ------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._order)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._order):
            return None
        formatted = self._format_row(index.row())
        column = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return formatted.display[column]
        if role == SORT_ROLE:
            return formatted.sort[column]
        if role == OBJECT_ROLE:
            return formatted.row
        if role == Qt.ItemDataRole.ToolTipRole:
            return formatted.tooltip
        if role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole):
            return self._colour(formatted, column, role)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{HEADERS[column]}: {formatted.display[column]}"
        return None

    def _colour(self, formatted: _Formatted, column: Column, role: int) -> QColor | None:
        colours = _STATUS_COLOURS.get(formatted.urgency)
        background = role == Qt.ItemDataRole.BackgroundRole
        if column == Column.STATUS or (
            column == Column.DUE and formatted.urgency is Urgency.OVERDUE
        ):
            if colours is not None:
                return colours[0] if background else colours[1]
            return None
        if not background and formatted.urgency in (Urgency.DONE, Urgency.DROPPED):
            return _CLOSED_TEXT
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[Column(section)]
        if role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS.get(Column(section))
        return None
