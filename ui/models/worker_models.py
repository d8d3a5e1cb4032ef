"""Table models for the workers screen: the list of workers and each worker's histories.

Every model formats the rows it is given (plain dataclasses from the services) and never
queries anything itself. Each exposes the row object under ``OBJECT_ROLE`` and a sortable
value under ``SORT_ROLE`` so a ``QSortFilterProxyModel`` sorts dates as dates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor, QFont

from app.dates import uk
from app.domain.catalogue import Catalogue
from app.domain.model import (
    DueStatus,
    StoredAssessment,
    Tier,
    TriggerKind,
    Worker,
)
from app.domain.rows import SessionSummary, StoredLeave, StoredOverride, StoredTrigger
from app.domain.schedule import WorkerStatus
from ui.widgets.status_style import BACKGROUND, FOREGROUND, SYMBOL, status_text

OBJECT_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
# What the search box matches (name, role and team in one string), on column 0.
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 3

# Roles as plain ints: ``data()`` runs thousands of times while sorting and filtering, and
# comparing an int with an enum member is far slower than comparing two ints.
_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_TOOLTIP = Qt.ItemDataRole.ToolTipRole.value
_ACCESSIBLE = Qt.ItemDataRole.AccessibleTextRole.value
_ALIGN = Qt.ItemDataRole.TextAlignmentRole.value
_FOREGROUND = Qt.ItemDataRole.ForegroundRole.value
_BACKGROUND = Qt.ItemDataRole.BackgroundRole.value
_FONT = Qt.ItemDataRole.FontRole.value
_SORT = int(SORT_ROLE)
_OBJECT = int(OBJECT_ROLE)
_SEARCH = int(SEARCH_ROLE)
_RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
_CENTRE = int(Qt.AlignmentFlag.AlignCenter.value)

T = TypeVar("T")
_Index = QModelIndex | QPersistentModelIndex

TIER_LABELS = {Tier.HIGH: "High", Tier.STANDARD: "Standard", Tier.LOW: "Low"}
LEAVE_LABELS = {"sickness": "Sickness", "parental": "Parental", "other": "Other"}
TRIGGER_LABELS = {
    TriggerKind.INCIDENT: "Incident",
    TriggerKind.SAFEGUARDING: "Safeguarding concern",
    TriggerKind.COMPLAINT: "Complaint",
    TriggerKind.BOUNDARY: "Boundary or ethical concern",
    TriggerKind.RETURN_FROM_LEAVE: "Return from leave",
    TriggerKind.OTHER: "Other",
}
SESSION_STATUS_LABELS = {
    "planned": "Planned",
    "held": "Held",
    "cancelled": "Cancelled",
    "dna": "Did not attend",
}


def tier_label(tier: Tier, assessed: bool = True) -> str:
    """ "High", "Standard", "Low" — or "Not assessed" when no profile exists yet."""
    return TIER_LABELS[tier] if assessed else "Not assessed"


def _date_key(day: date | None) -> str:
    return day.isoformat() if day else ""


@dataclass(frozen=True)
class Column(Generic[T]):
    """One column: its header, how a row shows in it, and (optionally) how it sorts."""

    header: str
    text: Callable[[T], str]
    sort: Callable[[T], Any] | None = None
    align_right: bool = False
    # A fuller text for the tooltip and screen readers (a symbol column spells itself out).
    spelled: Callable[[T], str] | None = None
    # ``text`` gives a supervision type's key, shown by its name (``set_type_names``).
    names_type: bool = False


def type_column(header: str, key: Callable[[T], str]) -> Column[T]:
    """A column showing a row's supervision type by the name the policy gives it."""
    return Column(header, key, names_type=True)


class RowTableModel(QAbstractTableModel, Generic[T]):
    """A read-only table over a list of rows, one column per ``Column``."""

    columns: Sequence[Column[T]] = ()

    def __init__(self, rows: Sequence[T] = (), parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[T] = list(rows)
        self._type_names: dict[str, str] = {}

    def set_type_names(self, catalogue: Catalogue) -> None:
        """The names type columns show (the policy's catalogue; a key it lacks shows as is)."""
        self._type_names = {t.key: t.name for t in catalogue}
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._rows) - 1, len(self.columns) - 1)
            )

    def _text(self, column: Column[T], row: T) -> str:
        text = column.text(row)
        return self._type_names.get(text, text) if column.names_type else text

    def set_rows(self, rows: Sequence[T]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[T]:
        return list(self._rows)

    def row_at(self, row: int) -> T:
        return self._rows[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation is Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.columns)
        ):
            return self.columns[section].header
        return None

    def data(self, index: _Index, role: int = _DISPLAY) -> Any:
        r, c = index.row(), index.column()
        if r < 0 or c < 0 or r >= len(self._rows) or c >= len(self.columns):
            return None  # also covers an invalid index (row and column -1)
        row = self._rows[r]
        column = self.columns[c]
        if role == _DISPLAY:
            return self._text(column, row)
        if role == _SORT:
            return (
                column.sort(row) if column.sort is not None else self._text(column, row).casefold()
            )
        if role == _OBJECT:
            return row
        if role in (_TOOLTIP, _ACCESSIBLE):
            return column.spelled(row) if column.spelled is not None else self._text(column, row)
        if role == _ALIGN and column.align_right:
            return _RIGHT
        return self.extra_data(row, c, role)

    def replace_row(self, position: int, row: T) -> None:
        """Show a changed row in place (no reset: selection and scroll stay)."""
        self._rows[position] = row
        self.dataChanged.emit(self.index(position, 0), self.index(position, len(self.columns) - 1))

    def append_row(self, row: T) -> None:
        position = len(self._rows)
        self.beginInsertRows(QModelIndex(), position, position)
        self._rows.append(row)
        self.endInsertRows()

    def remove_row(self, position: int) -> None:
        self.beginRemoveRows(QModelIndex(), position, position)
        del self._rows[position]
        self.endRemoveRows()

    def extra_data(self, row: T, column: int, role: int) -> Any:
        """Colours and fonts; subclasses override."""
        return None


# Workers list ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerRow:
    """A worker as listed: the stored record and, for those in post, the engine's answer."""

    worker: Worker
    status: WorkerStatus | None = None

    @property
    def tier_text(self) -> str:
        if self.status is None:
            return ""
        return tier_label(self.status.tier, self.status.assessed)

    @property
    def status_text(self) -> str:
        if self.worker.left_on is not None:
            return f"Left {uk(self.worker.left_on)}"
        if self.status is None:
            return ""
        return status_text(self.status.overall)

    @property
    def status_symbol(self) -> str:
        if self.worker.left_on is not None:
            return "Left"
        if self.status is None:
            return ""
        return SYMBOL[self.status.overall]


_LEFT_COLOUR = QColor("#777777")
_ITALIC = QFont()
_ITALIC.setItalic(True)

_TIER_ORDER = {"High": 0, "Not assessed": 1, "Standard": 2, "Low": 3, "": 4}
_STATUS_ORDER = {s: i for i, s in enumerate(DueStatus)}


def _status_tip(r: WorkerRow) -> str:
    if r.status is None or r.worker.left_on is not None:
        return r.status_text
    due = f", next due {uk(r.status.next_due)}" if r.status.next_due else ""
    return f"{r.status_text}{due}"


def _status_sort(r: WorkerRow) -> int:
    if r.worker.left_on is not None or r.status is None:
        return 99
    return _STATUS_ORDER[r.status.overall]


class WorkerListModel(RowTableModel[WorkerRow]):
    """Name, role, team, tier and overall status; people who have left are greyed.

    Sorted here, in one Python sort on each row's key (``ui.models.sorting.SourceSortProxy`` forwards the view's
    sort): a QSortFilterProxyModel sort calls ``data()`` twice per comparison, which took about
    a second for 10,000 workers. As with the proxy, rows with equal keys keep the order they
    were given in (not the order a previous sort left), and the order is kept as rows are
    added, changed or removed.
    """

    columns = (
        Column[WorkerRow]("Name", lambda r: r.worker.name),
        Column[WorkerRow]("Role", lambda r: r.worker.role),
        Column[WorkerRow]("Team", lambda r: r.worker.team),
        Column[WorkerRow]("Tier", lambda r: r.tier_text, lambda r: _TIER_ORDER[r.tier_text]),
        Column[WorkerRow]("Due", lambda r: r.status_symbol, _status_sort, spelled=_status_tip),
    )

    def __init__(self, rows: Sequence[WorkerRow] = (), parent: Any = None) -> None:
        super().__init__(rows, parent)
        self._given: list[WorkerRow] = list(rows)  # in the order given: ties keep it
        self._sort: tuple[int, Qt.SortOrder] | None = None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        ids = [r.worker.id for r in self._rows]
        self._rows = self._sorted(self._given)
        position = {r.worker.id: i for i, r in enumerate(self._rows)}
        moved = [self.index(position[ids[p.row()]], p.column()) for p in persistent]
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

    def _sorted(self, rows: Sequence[WorkerRow]) -> list[WorkerRow]:
        if self._sort is None:
            return list(rows)
        number, order = self._sort
        column = self.columns[number]
        text = column.text
        key = column.sort or (lambda r: text(r).casefold())
        return sorted(rows, key=key, reverse=order is Qt.SortOrder.DescendingOrder)

    def set_rows(self, rows: Sequence[WorkerRow]) -> None:
        self._given = list(rows)
        super().set_rows(self._sorted(self._given))

    def extra_data(self, row: WorkerRow, column: int, role: int) -> Any:
        if role == _SEARCH:
            w = row.worker
            return f"{w.name}\n{w.role}\n{w.team}" if column == 0 else None
        left = row.worker.left_on is not None
        if role == _ALIGN and column == 4:
            return _CENTRE
        if role == _FOREGROUND:
            if left:
                return _LEFT_COLOUR
            if column == 4 and row.status is not None:
                return FOREGROUND[row.status.overall]
        if role == _BACKGROUND and column == 4 and row.status and not left:
            return BACKGROUND[row.status.overall]
        if role == _FONT and left:
            return _ITALIC
        return None

    def upsert(self, row: WorkerRow) -> None:
        """Update the worker's row, or add it when not listed yet."""
        given = next((i for i, r in enumerate(self._given) if r.worker.id == row.worker.id), -1)
        if given < 0:
            self._given.append(row)
        else:
            self._given[given] = row
        position = self.row_of(row.worker.id)
        if position < 0:
            self.append_row(row)
        else:
            self.replace_row(position, row)
        if self._sort is not None:
            self.sort(*self._sort)

    def remove_worker(self, worker_id: str) -> None:
        self._given = [r for r in self._given if r.worker.id != worker_id]
        position = self.row_of(worker_id)
        if position >= 0:
            self.remove_row(position)

    def row_of(self, worker_id: str) -> int:
        """The row showing ``worker_id``, or -1."""
        for i, r in enumerate(self._rows):
            if r.worker.id == worker_id:
                return i
        return -1


# A worker's histories --------------------------------------------------------------------


class AssessmentHistoryModel(RowTableModel[StoredAssessment]):
    """Risk assessments, as given (the service returns newest first)."""

    columns = (
        Column[StoredAssessment](
            "Assessed on", lambda a: uk(a.assessed_on), lambda a: _date_key(a.assessed_on)
        ),
        Column[StoredAssessment](
            "Cohort risk", lambda a: str(a.factors.cohort_risk), lambda a: a.factors.cohort_risk
        ),
        Column[StoredAssessment](
            "Complexity",
            lambda a: str(a.factors.decision_complexity),
            lambda a: a.factors.decision_complexity,
        ),
        Column[StoredAssessment](
            "Support need", lambda a: str(a.factors.support_need), lambda a: a.factors.support_need
        ),
        Column[StoredAssessment](
            "Volatility", lambda a: str(a.factors.volatility), lambda a: a.factors.volatility
        ),
        Column[StoredAssessment]("Tier", lambda a: TIER_LABELS[a.tier]),
        Column[StoredAssessment]("Assessed by", lambda a: a.assessed_by),
        Column[StoredAssessment](
            "Rationale", lambda a: a.rationale if a.source == "manual" else _sourced(a)
        ),
    )

    def extra_data(self, row: StoredAssessment, column: int, role: int) -> Any:
        if role == _ALIGN and 1 <= column <= 4:
            return _CENTRE
        return None


def _sourced(a: StoredAssessment) -> str:
    note = f"({a.source})"
    return f"{a.rationale} {note}" if a.rationale else note


class SessionHistoryModel(RowTableModel[SessionSummary]):
    """A worker's sessions (one-to-one and attended groups), as given: newest first."""

    columns = (
        type_column("Type", lambda s: s.type),
        Column[SessionSummary](
            "Date", lambda s: uk(s.session_date), lambda s: _date_key(s.session_date)
        ),
        Column[SessionSummary](
            "Status",
            lambda s: (
                SESSION_STATUS_LABELS.get(s.status.value, s.status.value)
                + (" (imported)" if s.imported else "")
            ),
        ),
        Column[SessionSummary]("Supervisor", lambda s: s.supervisor_name),
        Column[SessionSummary]("Cancel reason", lambda s: s.cancel_reason),
    )


def _leave_end(lv: StoredLeave) -> str:
    return uk(lv.end) if lv.end else "Still on leave"


def _leave_days(lv: StoredLeave, today: date) -> int:
    end = lv.end or today
    return max((end - lv.start).days + 1, 0)


@dataclass(frozen=True)
class LeaveRow:
    leave: StoredLeave
    today: date

    @property
    def days(self) -> int:
        return _leave_days(self.leave, self.today)

    @property
    def current(self) -> bool:
        lv = self.leave
        return lv.start <= self.today and (lv.end is None or self.today <= lv.end)


class LeaveModel(RowTableModel[LeaveRow]):
    columns = (
        Column[LeaveRow]("Kind", lambda r: LEAVE_LABELS.get(r.leave.kind.value, r.leave.kind)),
        Column[LeaveRow]("From", lambda r: uk(r.leave.start), lambda r: _date_key(r.leave.start)),
        Column[LeaveRow]("To", lambda r: _leave_end(r.leave), lambda r: _date_key(r.leave.end)),
        Column[LeaveRow]("Days", lambda r: str(r.days), lambda r: r.days, align_right=True),
        Column[LeaveRow]("Now", lambda r: "On leave now" if r.current else ""),
        Column[LeaveRow]("Note", lambda r: r.leave.note),
    )


@dataclass(frozen=True)
class OverrideRow:
    override: StoredOverride
    today: date

    @property
    def in_force(self) -> bool:
        o = self.override
        return (o.starts_on is None or o.starts_on <= self.today) and self.today <= o.expires_on


class OverrideModel(RowTableModel[OverrideRow]):
    columns = (
        type_column("Type", lambda r: r.override.type),
        Column[OverrideRow](
            "Every",
            lambda r: f"{r.override.interval_days} days",
            lambda r: r.override.interval_days,
            align_right=True,
        ),
        Column[OverrideRow](
            "From",
            lambda r: uk(r.override.starts_on, "—"),
            lambda r: _date_key(r.override.starts_on),
        ),
        Column[OverrideRow](
            "Expires",
            lambda r: uk(r.override.expires_on),
            lambda r: _date_key(r.override.expires_on),
        ),
        Column[OverrideRow](
            "In force",
            lambda r: (
                "Yes"
                if r.in_force
                else ("Expired" if r.today > r.override.expires_on else "Not yet")
            ),
        ),
        Column[OverrideRow]("Reason", lambda r: r.override.reason),
    )


@dataclass(frozen=True)
class TriggerRow:
    """A trigger event and, when a held session of its type on or after it exists, when."""

    trigger: StoredTrigger
    closed_on: date | None = None

    @property
    def respond_by(self) -> date:
        return self.trigger.event_date + timedelta(days=self.trigger.response_days)


class TriggerModel(RowTableModel[TriggerRow]):
    columns = (
        Column[TriggerRow]("Kind", lambda r: TRIGGER_LABELS[r.trigger.kind]),
        Column[TriggerRow](
            "Date", lambda r: uk(r.trigger.event_date), lambda r: _date_key(r.trigger.event_date)
        ),
        type_column("Type", lambda r: r.trigger.type),
        Column[TriggerRow](
            "Respond within",
            lambda r: f"{r.trigger.response_days} days",
            lambda r: r.trigger.response_days,
            align_right=True,
        ),
        Column[TriggerRow]("Due by", lambda r: uk(r.respond_by), lambda r: _date_key(r.respond_by)),
        Column[TriggerRow](
            "State",
            lambda r: f"Closed by session {uk(r.closed_on)}" if r.closed_on else "Open",
        ),
        Column[TriggerRow]("Note", lambda r: r.trigger.note),
    )
