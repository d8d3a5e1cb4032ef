"""The scheduler's table: one row per worker, formatted from the engine's answer.

The model formats the ``ScheduleRow``s it is given and never touches the database. Every
cell's text, colours, tooltip and sort key are worked out once when rows arrive, so ``data()``
is a lookup and sorting or filtering 1,000 workers stays far below 100 ms.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from app.dates import day_month, uk
from app.domain.catalogue import Catalogue
from app.domain.model import (
    STATUS_SEVERITY,
    DueStatus,
    SessionStatus,
    StaffEntry,
    Tier,
    TypeKey,
)
from app.domain.policy import DEFAULT_VERSION, PolicyVersion
from app.domain.schedule import TypeStatus
from app.services.agreements import AgreementDue
from app.services.scheduling import Schedule, ScheduleRow
from ui.models.sorting import SourceSortProxy
from ui.widgets.status_style import BACKGROUND, FOREGROUND, status_text

_Index = QModelIndex | QPersistentModelIndex

SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 1
"""A string that sorts the column sensibly: for statuses, severity then due date then name."""
OBJECT_ROLE = int(Qt.ItemDataRole.UserRole) + 2
"""The ``ScheduleRow`` (worker columns) or the ``TypeStatus`` (a type's cell)."""
STATUS_ROLE = int(Qt.ItemDataRole.UserRole) + 3
"""The cell's ``DueStatus`` value ("" outside the status columns). Qt hands a str enum back as
plain text, so read it as ``DueStatus(index.data(STATUS_ROLE))``."""
# Roles that Python code may read back through Qt are never left empty ("" means none): under
# PySide6 6.12.0 on Python 3.11 every None that Qt hands to Python costs a reference to None.
_ALWAYS_TEXT = frozenset({STATUS_ROLE})


class Column(IntEnum):
    """The columns before the types'. One column per supervision type in use follows (in the
    policy's order, from ``FIRST_TYPE_COLUMN``), then "Next due" (``next_due_column``)."""

    WORKER = 0
    TEAM = 1
    TIER = 2
    OVERALL = 3


FIRST_TYPE_COLUMN = len(Column)

HEADERS = {
    Column.WORKER: "Worker",
    Column.TEAM: "Team",
    Column.TIER: "Tier",
    Column.OVERALL: "Overall",
}
NEXT_DUE_HEADER = "Next due"
HEADER_TIPS = {
    Column.TIER: "Risk tier from the latest risk profile: it sets how often each type is due",
    Column.OVERALL: "The worst status of the types this worker's role requires",
}
NEXT_DUE_TIP = "The earliest due date of the required types"

TIER_WORDS = {Tier.HIGH: "High", Tier.STANDARD: "Standard", Tier.LOW: "Low"}
_TIER_ORDER = {Tier.HIGH: 0, Tier.STANDARD: 1, Tier.LOW: 3}
_NO_DATE = "0000-00-00"  # an overdue cell with no date at all is the most urgent of all
# Asked for on every paint, per cell: made once (a Python enum's | is slow).
_CELL_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole)


def tier_text(row: ScheduleRow) -> str:
    """ "High", "Standard", "Low", or "Not assessed" (a gap: standard intervals apply until a
    risk profile is scored; the tooltip and the screen reader say so)."""
    return TIER_WORDS[row.status.tier] if row.status.assessed else NOT_ASSESSED


NOT_ASSESSED = "Not assessed"


def tier_spoken(row: ScheduleRow) -> str:
    word = TIER_WORDS[row.status.tier]
    return word if row.status.assessed else f"{word} until assessed (not assessed)"


def short_date(day: date, as_of: date) -> str:
    """ "3 Dec" within about six months of the as-of date (unambiguous on a schedule that
    looks at the weeks around now), "3 Dec 2027" further away."""
    return day_month(day) if abs((day - as_of).days) <= 183 else uk(day)


def next_booking(row: ScheduleRow, type_: TypeKey, as_of: date) -> date | None:
    """The first planned session of this type on or after ``as_of``, even one after the due
    date (the engine marks a cell booked only when the booking is in time)."""
    planned = [
        s.on
        for s in row.facts.sessions
        if s.type == type_ and s.status is SessionStatus.PLANNED and s.on >= as_of
    ]
    return min(planned) if planned else None


def overdue_days(due: date, as_of: date) -> str:
    """ "12 days" (how long past the due date on the as-of date)."""
    days = (as_of - due).days
    return "1 day" if days == 1 else f"{days} days"


def cell_text(status: TypeStatus, booking: date | None, as_of: date) -> str:
    """ "✖ Overdue · 12 days · 14 Nov", "✔ On track · 12 Nov 2026", or with a booking
    "▲ Due soon · 2 Dec · booked 29 Nov" and "✖ Overdue · 12 days · booked 30 Nov".

    Readable without colour. A booked cell drops the year of dates near the as-of date so it
    fits a column at 1366 px (the tooltip and the details pane give full dates). A booking
    after the due date is marked "(late)" unless the cell is overdue (then it plainly is).
    """
    word = status_text(status.status)
    if status.status in (DueStatus.PAUSED, DueStatus.NOT_REQUIRED):
        return word
    booked = status.booked or booking
    if status.due is None:
        due = "no record"
    elif status.status is DueStatus.OVERDUE:
        # How late it is comes first; the due date follows while there is room.
        late_by = overdue_days(status.due, as_of)
        due = late_by if booked else f"{late_by} · {short_date(status.due, as_of)}"
    else:
        due = short_date(status.due, as_of) if booked else uk(status.due)
    if booked is None:
        return f"{word} · {due}"
    late = status.booked is None and status.status is not DueStatus.OVERDUE
    return f"{word} · {due} · booked {short_date(booked, as_of)}{' (late)' if late else ''}"


def rich_tooltip(title: str, body: str, note: str = "") -> str:
    """A tooltip that wraps long reasons and shows user text (<, &) literally; ``note`` is a
    last, smaller line (the policy version the statuses were computed under)."""
    last = f"<br><small>{_escaped(note)}</small>" if note else ""
    return f"<qt><b>{_escaped(title)}</b><br>{_escaped(body)}{last}</qt>"


def _escaped(text: str) -> str:
    """``text`` as rich-text content: &, < and > as entities, as QString.toHtmlEscaped does
    (``html.escape`` would load its 2,000-entry entity table while the first rows are drawn)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def tier_reason(row: ScheduleRow) -> str:
    """The engine's reason for the tier (the part of a type's reason before the arrow)."""
    for s in row.status.by_type.values():
        if s.status is not DueStatus.NOT_REQUIRED:
            return s.reason.split(" → ", 1)[0]
    return "No supervision type is required for this role"


class ScheduleModel(QAbstractTableModel):
    """Workers × supervision types, formatted for the scheduler. Read-only."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ScheduleRow] = []
        # Formatted lazily (the view asks only for the rows on screen); sort keys are made
        # for the sorted column only, when sorting.
        self._cells: list[list[dict[int, Any]] | None] = []
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._workers: dict[str, StaffEntry] = {}
        self._search: list[str] = []
        self._position: dict[str, int] = {}
        self._as_of = date.today()
        self._version: PolicyVersion = DEFAULT_VERSION
        self._types: tuple[TypeKey, ...] = ()
        self._columns = FIRST_TYPE_COLUMN + 1
        self._labels: dict[TypeKey, str] = {}  # each type's label (cell tooltips)
        self._names: dict[TypeKey, str] = {}  # … and name (the overall cell's tooltip)
        self._under = ""  # the tooltips' last line: the policy version used
        self._agreements: dict[str, AgreementDue] = {}

    # Feeding the model ---------------------------------------------------------------------

    def set_schedule(
        self, schedule: Schedule, workers: Mapping[str, StaffEntry] | None = None
    ) -> None:
        """Replace every row. ``workers`` adds what the engine does not carry (role,
        supervisors) for search and filters."""
        self.beginResetModel()
        self._as_of = schedule.as_of
        self._version = schedule.version
        self._types = schedule.types
        self._columns = FIRST_TYPE_COLUMN + len(self._types) + 1
        catalogue = schedule.catalogue
        self._labels = {t: catalogue.spec(t).label for t in self._types}
        self._names = {t: catalogue.spec(t).name for t in self._types}
        self._under = f"Under {schedule.version.label}."
        self._workers = dict(workers or {})
        self._rows = list(schedule.rows)
        self._cells = [None] * len(self._rows)
        self._search = [self._search_text(r) for r in self._rows]
        self._reorder()
        self.endResetModel()

    def set_agreements(self, dues: Iterable[AgreementDue]) -> None:
        """The agreement reviews overdue or due soon (``agreements_due``): named in their
        workers' tooltips, counted, and selectable with ``ScheduleFilter.set_agreement_due``."""
        self._agreements = {d.worker_id: d for d in dues}
        if not self._rows:
            return
        self._cells = [None] * len(self._rows)  # the worker cell's tooltip names the review
        self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, 0))

    def agreement_for(self, worker_id: str) -> AgreementDue | None:
        """The worker's agreement review, when it is overdue or due soon."""
        return self._agreements.get(worker_id)

    def agreements(self) -> list[AgreementDue]:
        """Reviews in sight for the workers listed."""
        return [d for wid, d in self._agreements.items() if wid in self._position]

    def update_rows(
        self, rows: Iterable[ScheduleRow], workers: Mapping[str, StaffEntry] | None = None
    ) -> None:
        """Replace the rows of these workers (adding any new ones); a save refreshes cheaply."""
        self._workers.update(workers or {})
        last = self._columns - 1
        for row in rows:
            pos = self._position.get(row.worker_id)
            if pos is None:
                pos = len(self._rows)
                self.beginInsertRows(QModelIndex(), pos, pos)
                self._rows.append(row)
                self._cells.append(None)
                self._search.append(self._search_text(row))
                self._position[row.worker_id] = pos
                self.endInsertRows()
                continue
            self._rows[pos] = row
            self._cells[pos] = None
            self._search[pos] = self._search_text(row)
            self.dataChanged.emit(self.index(pos, 0), self.index(pos, last))
        if self._sort is not None:
            self.sort(*self._sort)

    def remove_workers(self, worker_ids: Iterable[str]) -> None:
        """Drop these workers' rows (for example after they left)."""
        for wid in worker_ids:
            pos = self._position.get(wid)
            if pos is None:
                continue
            self.beginRemoveRows(QModelIndex(), pos, pos)
            del self._rows[pos], self._cells[pos], self._search[pos]
            self._position = {r.worker_id: i for i, r in enumerate(self._rows)}
            self.endRemoveRows()

    # Reading back --------------------------------------------------------------------------

    @property
    def as_of(self) -> date:
        return self._as_of

    @property
    def version(self) -> PolicyVersion:
        """The policy version the statuses were computed under."""
        return self._version

    @property
    def catalogue(self) -> Catalogue:
        return self._version.policy.catalogue

    @property
    def types(self) -> tuple[TypeKey, ...]:
        """The supervision types shown, one column each, in order."""
        return self._types

    def column_of(self, type_: TypeKey) -> int | None:
        """The column of a type, or None when it is not shown."""
        try:
            return FIRST_TYPE_COLUMN + self._types.index(type_)
        except ValueError:
            return None

    def type_at(self, column: int) -> TypeKey | None:
        """The type a column shows (None for the worker, team, tier, overall and next-due)."""
        n = column - FIRST_TYPE_COLUMN
        return self._types[n] if 0 <= n < len(self._types) else None

    @property
    def next_due_column(self) -> int:
        return FIRST_TYPE_COLUMN + len(self._types)

    def schedule(self) -> Schedule:
        """The rows as they stand now (after any ``update_rows``), for counts and compliance."""
        return Schedule(self._as_of, self._version, list(self._rows))

    def rows(self) -> list[ScheduleRow]:
        return list(self._rows)

    def row_at(self, row: int) -> ScheduleRow:
        return self._rows[row]

    def row_of(self, worker_id: str) -> int | None:
        return self._position.get(worker_id)

    def worker(self, worker_id: str) -> StaffEntry | None:
        return self._workers.get(worker_id)

    def search_text(self, row: int) -> str:
        """Name, role and team, case-folded, for the search box."""
        return self._search[row]

    def supervisor_ids(self, row: int) -> tuple[str | None, str | None]:
        worker = self._workers.get(self._rows[row].worker_id)
        if worker is None:
            return None, None
        return worker.line_supervisor_id, worker.clinical_supervisor_id

    # Qt's model interface ------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._columns

    def data(self, index: _Index, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if role == SORT_ROLE:
            return self._sort_key(self._rows[row], column)
        cells = self._cells[row]
        if cells is None:
            cells = self._cells[row] = self._format(self._rows[row])
        value = cells[column].get(int(role))
        if value is None and role in _ALWAYS_TEXT:
            return ""
        return value

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order the rows by the column's SORT_ROLE key (done here, in one Python sort,
        because a C++ proxy sort calls ``data()`` twice per comparison: ~100 ms for 1,000)."""
        if not 0 <= column < self._columns:
            return
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        old_ids = [r.worker_id for r in self._rows]
        self._reorder()
        persistent = self.persistentIndexList()
        moved = [self.index(self._position[old_ids[p.row()]], p.column()) for p in persistent]
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

    def _reorder(self) -> None:
        if self._sort is not None:
            column, order = self._sort
            keys = [self._sort_key(r, column) for r in self._rows]
            perm = sorted(
                range(len(self._rows)),
                key=keys.__getitem__,
                reverse=order is Qt.SortOrder.DescendingOrder,
            )
            self._rows = [self._rows[i] for i in perm]
            self._cells = [self._cells[i] for i in perm]
            self._search = [self._search[i] for i in perm]
        self._position = {r.worker_id: i for i, r in enumerate(self._rows)}

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation is not Qt.Orientation.Horizontal or not 0 <= section < self._columns:
            return None
        type_ = self.type_at(section)
        if type_ is not None:
            spec = self.catalogue.spec(type_)
            if role == _DISPLAY:
                return spec.short_label
            if role == _TOOLTIP:
                return f"{spec.label} ({self._version.label})"
            return None
        if section == self.next_due_column:
            return (
                NEXT_DUE_HEADER if role == _DISPLAY else NEXT_DUE_TIP if role == _TOOLTIP else None
            )
        column = Column(section)
        if role == _DISPLAY:
            return HEADERS[column]
        if role == _TOOLTIP:
            return HEADER_TIPS.get(column)
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        return _CELL_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    # Formatting ----------------------------------------------------------------------------

    def _search_text(self, row: ScheduleRow) -> str:
        worker = self._workers.get(row.worker_id)
        role = worker.role if worker else ""
        return f"{row.facts.name}\n{role}\n{row.facts.team}".casefold()

    def _format(self, row: ScheduleRow) -> list[dict[int, Any]]:
        name = row.facts.name
        worker = self._workers.get(row.worker_id)
        overall = row.status.overall
        next_due = row.status.next_due
        worker_tip = " · ".join(p for p in (worker.role if worker else "", row.facts.team) if p)
        agreement = self._agreements.get(row.worker_id)
        if agreement is not None:
            worker_tip = "\n".join(p for p in (worker_tip, agreement.reason) if p)
        cells: list[dict[int, Any]] = [
            {
                _DISPLAY: name,
                OBJECT_ROLE: row,
                _TOOLTIP: rich_tooltip(name, worker_tip) if worker_tip else None,
            },
            {
                _DISPLAY: row.facts.team,
                OBJECT_ROLE: row,
                _TOOLTIP: rich_tooltip("Team", row.facts.team) if row.facts.team else None,
            },
            {
                _DISPLAY: tier_text(row),
                OBJECT_ROLE: row,
                _TOOLTIP: rich_tooltip(f"Tier: {tier_spoken(row)}", tier_reason(row)),
                _ACCESSIBLE: f"Tier: {tier_spoken(row)}",
            },
            {
                _DISPLAY: status_text(overall),
                OBJECT_ROLE: row,
                STATUS_ROLE: overall,
                _BACKGROUND: BACKGROUND[overall],
                _FOREGROUND: FOREGROUND[overall],
                _TOOLTIP: rich_tooltip(
                    f"{name}: {overall.label}",
                    "; ".join(
                        f"{self._names.get(t, t)}: {s.status.label}"
                        for t, s in row.status.by_type.items()
                    ),
                    self._under,
                ),
                _ACCESSIBLE: f"Overall: {overall.label}",
            },
        ]
        for type_ in self._types:
            cells.append(self._type_cell(row, type_))
        cells.append(
            {
                _DISPLAY: uk(next_due, "—"),
                OBJECT_ROLE: row,
            }
        )
        return cells

    def _type_cell(self, row: ScheduleRow, type_: TypeKey) -> dict[int, Any]:
        s = row.status.by_type[type_]
        booking = next_booking(row, type_, self._as_of)
        text = cell_text(s, booking, self._as_of)
        label = self._labels[type_]
        return {
            _DISPLAY: text,
            OBJECT_ROLE: s,
            STATUS_ROLE: s.status,
            _BACKGROUND: BACKGROUND[s.status],
            _FOREGROUND: FOREGROUND[s.status],
            _TOOLTIP: rich_tooltip(f"{label} — {s.status.label}", s.reason, self._under),
            _ACCESSIBLE: f"{label}: {text}",
        }

    def _sort_key(self, row: ScheduleRow, column: int) -> str:
        """The string ``column`` sorts ``row`` by (ties broken by name, then id)."""
        name = f"{row.facts.name.casefold()}\n{row.worker_id}"
        status = row.status
        if column == Column.WORKER:
            return name
        if column == Column.TEAM:
            return f"{row.facts.team.casefold()}\n{name}"
        if column == Column.TIER:
            return f"{_TIER_ORDER[status.tier] + (not status.assessed)}{name}"
        if column == Column.OVERALL:
            return self._status_key(status.overall, status.next_due, name)
        type_ = self.type_at(column)
        if type_ is None:  # the next-due column
            next_due = status.next_due
            return f"{next_due.isoformat() if next_due else '9999-99-99'}\n{name}"
        by_type = status.by_type[type_]
        return self._status_key(by_type.status, by_type.due, name)

    @staticmethod
    def _status_key(status: DueStatus, due: date | None, key_name: str) -> str:
        return f"{STATUS_SEVERITY[status]}{due.isoformat() if due else _NO_DATE}\n{key_name}"


class ScheduleFilter(SourceSortProxy):
    """Team, supervisor, status and search filters over a ``ScheduleModel``.

    Sorting is forwarded to the source model (one Python sort on its keys) rather
    than done by Qt's proxy sort, which calls ``data()`` twice per comparison; the filter reads
    the model's precomputed search text directly. Both stay in single-digit milliseconds for
    1,000 workers.
    """

    def __init__(self, source: ScheduleModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._source = source
        self.setSourceModel(source)
        self.setSortRole(SORT_ROLE)
        self._team: str | None = None
        self._supervisor: str | None = None
        self._status: DueStatus | None = None
        self._agreement_due = False
        self._words: list[str] = []

    def set_team(self, team: str | None) -> None:
        self.beginFilterChange()
        self._team = team
        self._end_change()

    def set_supervisor(self, worker_id: str | None) -> None:
        self.beginFilterChange()
        self._supervisor = worker_id
        self._end_change()

    def set_status(self, status: DueStatus | None) -> None:
        self.beginFilterChange()
        self._status = status
        self._end_change()

    def set_agreement_due(self, only: bool) -> None:
        """Only workers whose supervision agreement review is overdue or due soon."""
        self.beginFilterChange()
        self._agreement_due = only
        self._end_change()

    def set_search(self, text: str) -> None:
        """Every word must appear in the name, role or team (case-insensitive)."""
        self.beginFilterChange()
        self._words = text.casefold().split()
        self._end_change()

    @property
    def filtering(self) -> bool:
        return bool(
            self._team is not None
            or self._supervisor
            or self._status
            or self._agreement_due
            or self._words
        )

    def _end_change(self) -> None:
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        source = self._source
        row = source.row_at(source_row)
        if self._team is not None and row.facts.team != self._team:
            return False
        if self._status is not None and row.status.overall is not self._status:
            return False
        if self._agreement_due and source.agreement_for(row.worker_id) is None:
            return False
        if self._supervisor and self._supervisor not in source.supervisor_ids(source_row):
            return False
        if self._words:
            text = source.search_text(source_row)
            return all(word in text for word in self._words)
        return True
