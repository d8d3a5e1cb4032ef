"""Table models for the Governance screen: trend alerts, what was done with earlier alerts,
governance items and their source sessions, the learning log, the theme heat map's counts,
supervisors' workload and team wellbeing.

Each model formats the rows it is given (plain dataclasses from ``app.services``) and never
queries anything itself. They share ``RowTableModel`` from the workers screen: the row object
under ``OBJECT_ROLE``, a sortable value under ``SORT_ROLE``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from app.dates import day_month, month_name_year, month_year, uk
from app.domain.governance import Forum, ItemStatus, TrendAlert
from app.domain.model import SessionStatus
from app.domain.records import CancelCategory, Workload
from app.services.governance import AlertOutcome, GovernanceItem, LearningEntry, SourceSession
from app.services.insight import SupervisorMonth, TeamWellbeingMonth
from app.services.themes import ThemeCountRow, ThemeCounts
from ui.models.worker_models import OBJECT_ROLE, SORT_ROLE, Column, RowTableModel, type_column

__all__ = [
    "OBJECT_ROLE",
    "SORT_ROLE",
    "AlertHistoryModel",
    "AlertsModel",
    "HeatMapModel",
    "ItemsModel",
    "LearningLogModel",
    "SourcesModel",
    "WellbeingModel",
    "WorkloadModel",
    "crowded_reason",
    "crowded_text",
    "forum_short",
    "plural",
]

_BACKGROUND = Qt.ItemDataRole.BackgroundRole.value
_FOREGROUND = Qt.ItemDataRole.ForegroundRole.value
_RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
_Index = QModelIndex | QPersistentModelIndex

FORUM_SHORT = {Forum.MDT: "MDT", Forum.SAFEGUARDING: "Safeguarding", Forum.QUALITY: "Quality"}
STATUS_ORDER = {s: n for n, s in enumerate(ItemStatus)}
# Soft fills with dark text; the word carries the meaning, the fill only helps the eye.
STATUS_COLOURS = {
    ItemStatus.RAISED: (QColor("#fde7b0"), QColor("#6b4a00")),
    ItemStatus.TABLED: (QColor("#dbe8f6"), QColor("#1f3f66")),
    ItemStatus.DECIDED: (QColor("#cde8cf"), QColor("#1d5223")),
    ItemStatus.CLOSED: (QColor("#e3e3e3"), QColor("#444444")),
}
SESSION_STATUS = {
    SessionStatus.PLANNED: "Planned",
    SessionStatus.HELD: "Held",
    SessionStatus.CANCELLED: "Cancelled",
    SessionStatus.DID_NOT_ATTEND: "Did not attend",
}
CROWDED_FILL = (QColor("#f4c7c3"), QColor("#7a1010"))


def plural(n: int, word: str, many: str | None = None) -> str:
    """ "1 session", "3 sessions"."""
    return f"{n} {word}" if n == 1 else f"{n} {many or word + 's'}"


def forum_short(forum: Forum) -> str:
    return FORUM_SHORT[forum]


def one_line(text: str) -> str:
    return " ".join(text.split())


def _key(day: date | None) -> str:
    return day.isoformat() if day else ""


def _span(first: date, last: date) -> str:
    """ "2 Oct to 24 Nov 2026", or one date when they are the same."""
    if first == last:
        return uk(first)
    if first.year == last.year:
        return f"{day_month(first)} to {uk(last)}"
    return f"{uk(first)} to {uk(last)}"


# Trend alerts ------------------------------------------------------------------------------


def _alert_state(alert: TrendAlert) -> str:
    if alert.returning:
        new = len(alert.new_session_ids)
        return f"Back: {plural(new, 'new session')} since it was last handled"
    return "New"


class AlertsModel(RowTableModel[TrendAlert]):
    """Live theme trend alerts, strongest first (as the service orders them)."""

    columns = (
        Column[TrendAlert]("Trend alert", lambda a: a.text, lambda a: a.text.casefold()),
        Column[TrendAlert](
            "Held sessions", lambda a: _span(a.first_on, a.last_on), lambda a: _key(a.last_on)
        ),
        Column[TrendAlert]("Alert", _alert_state, lambda a: f"{int(a.returning)}|{a.sessions:06d}"),
    )


def _outcome(o: AlertOutcome) -> str:
    if o.outcome == "dismissed":
        return f"Dismissed: {one_line(o.reason)}"
    return "Turned into a governance item"


class AlertHistoryModel(RowTableModel[AlertOutcome]):
    """What the team did with earlier alerts, newest first."""

    columns = (
        Column[AlertOutcome]("Alert on", lambda o: uk(o.as_of), lambda o: _key(o.as_of)),
        Column[AlertOutcome]("Alert", lambda o: o.summary),
        Column[AlertOutcome]("What was done", _outcome),
        Column[AlertOutcome]("By", lambda o: o.decided_by or "—"),
    )


# Source sessions ---------------------------------------------------------------------------


def source_who(s: SourceSession) -> str:
    """The supervisee, or "Group · 5 attendees"."""
    if s.worker_name:
        return s.worker_name
    return f"Group · {plural(s.attendees, 'attendee')}"


class SourcesModel(RowTableModel[SourceSession]):
    """The sessions behind an alert or an item: dates, types and case references only."""

    columns = (
        Column[SourceSession]("Date", lambda s: uk(s.session_date), lambda s: _key(s.session_date)),
        type_column("Type", lambda s: s.type),
        Column[SourceSession]("Supervisee", source_who),
        Column[SourceSession]("Status", lambda s: SESSION_STATUS[s.status]),
        Column[SourceSession]("Case references", lambda s: one_line(s.case_refs) or "—"),
    )


# Governance items --------------------------------------------------------------------------


def _change_text(item: GovernanceItem) -> str:
    if not item.change_made.strip():
        return "—"
    when = f" ({uk(item.change_made_on)})" if item.change_made_on else ""
    return one_line(item.change_made) + when


def _sources_text(item: GovernanceItem) -> str:
    if not item.session_ids:
        return "By hand"
    return plural(len(item.session_ids), "session")


def status_text(item: GovernanceItem) -> str:
    """ "Decided", with the step it is at so the path reads without colour."""
    step = STATUS_ORDER[item.status] + 1
    return f"{item.status.label} ({step} of 4)"


class ItemsModel(RowTableModel[GovernanceItem]):
    """Governance items with where each stands."""

    columns = (
        Column[GovernanceItem](
            "Forum",
            lambda i: FORUM_SHORT[i.forum],
            spelled=lambda i: i.forum.label,
        ),
        Column[GovernanceItem]("Title", lambda i: one_line(i.title)),
        Column[GovernanceItem](
            "Status",
            status_text,
            lambda i: f"{STATUS_ORDER[i.status]}|{_key(i.raised_on)}",
            spelled=lambda i: (
                f"{i.status.label}: step {STATUS_ORDER[i.status] + 1} of 4 "
                "(raised, tabled, decided, closed)"
            ),
        ),
        Column[GovernanceItem]("Raised", lambda i: uk(i.raised_on), lambda i: _key(i.raised_on)),
        Column[GovernanceItem](
            "Tabled", lambda i: uk(i.tabled_on, "—"), lambda i: _key(i.tabled_on)
        ),
        Column[GovernanceItem]("Decision", lambda i: one_line(i.decision) or "—"),
        Column[GovernanceItem]("Change made", _change_text),
        Column[GovernanceItem](
            "Sources", _sources_text, lambda i: len(i.session_ids), align_right=True
        ),
    )

    def extra_data(self, row: GovernanceItem, column: int, role: int) -> Any:
        if column == 2 and role in (_BACKGROUND, _FOREGROUND):
            fill, ink = STATUS_COLOURS[row.status]
            return fill if role == _BACKGROUND else ink
        return None

    def find(self, item_id: str) -> int | None:
        for number, item in enumerate(self._rows):
            if item.id == item_id:
                return number
        return None


# Learning log ------------------------------------------------------------------------------


def _entry_sources(e: LearningEntry) -> str:
    if not e.sources:
        return "Raised by hand"
    dates = [s.session_date for s in e.sources]
    return (
        f"{plural(len(e.sources), 'session')} · {plural(e.workers, 'worker')} · "
        f"{_span(min(dates), max(dates))}"
    )


class LearningLogModel(RowTableModel[LearningEntry]):
    """ "What supervision changed": closed items with the change made, oldest change first."""

    columns = (
        Column[LearningEntry]("Changed", lambda e: uk(e.changed_on), lambda e: _key(e.changed_on)),
        Column[LearningEntry]("What supervision changed", lambda e: one_line(e.item.change_made)),
        Column[LearningEntry]("Item", lambda e: one_line(e.item.title)),
        Column[LearningEntry]("Forum", lambda e: FORUM_SHORT[e.item.forum]),
        Column[LearningEntry]("Decision", lambda e: one_line(e.item.decision) or "—"),
        Column[LearningEntry]("From supervision", _entry_sources),
    )


# Supervisors' workload ---------------------------------------------------------------------


def _reasons(m: SupervisorMonth) -> str:
    if not m.cancelled:
        return "—"
    parts = [
        f"{c.label} {m.cancelled_by[c]}" for c in CancelCategory if m.cancelled_by.get(c, 0) > 0
    ]
    return ", ".join(parts)


def _reasons_tip(m: SupervisorMonth) -> str:
    if not m.cancel_reasons:
        return "No session was cancelled."
    lines = [f"{n} × {reason}" for reason, n in m.cancel_reasons.items()]
    return "Reasons as recorded:\n" + "\n".join(lines)


def _gap(m: SupervisorMonth) -> str:
    if m.longest_gap_days is None:
        return "—"
    kind = f", {m.longest_gap_type_name.lower()}" if m.longest_gap_type_name else ""
    return f"{plural(m.longest_gap_days, 'day')} ({m.longest_gap_worker}{kind})"


def crowded_reason(m: SupervisorMonth) -> str:
    """ "4 of 10 planned sessions cancelled for workload"."""
    return (
        f"{m.workload_cancelled} of {plural(m.planned, 'planned session')} cancelled for workload"
    )


def crowded_text(m: SupervisorMonth) -> str:
    return f"Yes: {crowded_reason(m)}" if m.crowded_out else "No"


class WorkloadModel(RowTableModel[SupervisorMonth]):
    """One row per supervisor per month."""

    columns = (
        Column[SupervisorMonth]("Month", lambda m: month_year(m.month), lambda m: _key(m.month)),
        Column[SupervisorMonth]("Supervisor", lambda m: m.supervisor_name),
        Column[SupervisorMonth](
            "Supervisees", lambda m: str(m.supervisees), lambda m: m.supervisees, align_right=True
        ),
        Column[SupervisorMonth]("Held", lambda m: str(m.held), lambda m: m.held, align_right=True),
        Column[SupervisorMonth](
            "Cancelled", lambda m: str(m.cancelled), lambda m: m.cancelled, align_right=True
        ),
        Column[SupervisorMonth]("Cancelled because of", _reasons, spelled=_reasons_tip),
        Column[SupervisorMonth](
            "Did not attend",
            lambda m: str(m.did_not_attend),
            lambda m: m.did_not_attend,
            align_right=True,
        ),
        Column[SupervisorMonth](
            "Longest gap", _gap, lambda m: m.longest_gap_days if m.longest_gap_days else -1
        ),
        Column[SupervisorMonth](
            "Supervision crowded out?",
            crowded_text,
            lambda m: int(m.crowded_out) * 1000 + m.workload_cancelled,
        ),
    )

    def extra_data(self, row: SupervisorMonth, column: int, role: int) -> Any:
        if column == 8 and row.crowded_out and role in (_BACKGROUND, _FOREGROUND):
            return CROWDED_FILL[0] if role == _BACKGROUND else CROWDED_FILL[1]
        return None


# Team wellbeing ----------------------------------------------------------------------------


def _mean(m: TeamWellbeingMonth) -> str:
    if m.mean_wellbeing is None:
        return "— (too few readings)" if m.readings else "—"
    return f"{m.mean_wellbeing:.1f} / 10"


def _load(kind: Workload) -> Column[TeamWellbeingMonth]:
    return Column[TeamWellbeingMonth](
        kind.value.capitalize(),
        lambda m: str(m.workload.get(kind, 0)),
        lambda m: m.workload.get(kind, 0),
        align_right=True,
        spelled=lambda m: f"Workload recorded as {kind.value}: {m.workload.get(kind, 0)}",
    )


class WellbeingModel(RowTableModel[TeamWellbeingMonth]):
    """A team's months in aggregate: counts and a mean, never a name."""

    columns = (
        Column[TeamWellbeingMonth]("Month", lambda m: month_year(m.month), lambda m: _key(m.month)),
        Column[TeamWellbeingMonth](
            "Pulse readings", lambda m: str(m.readings), lambda m: m.readings, align_right=True
        ),
        Column[TeamWellbeingMonth](
            "Workers", lambda m: str(m.workers), lambda m: m.workers, align_right=True
        ),
        Column[TeamWellbeingMonth](
            "Average wellbeing",
            _mean,
            lambda m: m.mean_wellbeing if m.mean_wellbeing is not None else -1.0,
            align_right=True,
        ),
        _load(Workload.MANAGEABLE),
        _load(Workload.STRETCHED),
        _load(Workload.EXCESSIVE),
        Column[TeamWellbeingMonth](
            "Moral distress",
            lambda m: str(m.moral_distress),
            lambda m: m.moral_distress,
            align_right=True,
            spelled=lambda m: f"Sessions recording moral distress: {m.moral_distress}",
        ),
        Column[TeamWellbeingMonth](
            "Support flags",
            lambda m: str(m.flags),
            lambda m: m.flags,
            align_right=True,
            spelled=lambda m: f"Gentle flags suggesting support that arose: {m.flags}",
        ),
    )


# Theme heat map ----------------------------------------------------------------------------


def bucket_words(counts: ThemeCounts, column: int) -> str:
    """ "the week of 16 Nov 2026" or "Nov 2026"."""
    start = counts.starts[column]
    if counts.bucket == "week":
        return f"the week of {uk(start)}"
    return month_name_year(start)


def cell_words(counts: ThemeCounts, row: ThemeCountRow, column: int) -> str:
    """What one cell says, for tooltips and screen readers."""
    if column >= len(counts.starts):
        return f"{row.name}: {plural(row.total, 'session')} in the whole period"
    n = row.counts[column]
    return f"{row.name}: {plural(n, 'session')} in {bucket_words(counts, column)}"


class HeatMapModel(QAbstractTableModel):
    """Themes × weeks or months (and a total column): how many held sessions raised each
    theme in each bucket. ``HeatMapWidget`` draws it; a table view can show it as numbers."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._counts: ThemeCounts | None = None

    def set_counts(self, counts: ThemeCounts) -> None:
        self.beginResetModel()
        self._counts = counts
        self.endResetModel()

    def counts(self) -> ThemeCounts | None:
        return self._counts

    @property
    def theme_rows(self) -> Sequence[ThemeCountRow]:
        return self._counts.rows if self._counts else ()

    @property
    def buckets(self) -> int:
        return len(self._counts.starts) if self._counts else 0

    def count(self, row: int, column: int) -> int:
        """The count in a cell (the last column is the row's total)."""
        theme = self.theme_rows[row]
        return theme.total if column == self.buckets else theme.counts[column]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.theme_rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self._counts is None else self.buckets + 1

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        r, c = index.row(), index.column()
        if self._counts is None or not (0 <= r < self.rowCount() and 0 <= c < self.columnCount()):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return str(self.count(r, c))
        if role == SORT_ROLE:
            return self.count(r, c)
        if role == OBJECT_ROLE:
            return self.theme_rows[r]
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return cell_words(self._counts, self.theme_rows[r], c)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if self._counts is None or role != Qt.ItemDataRole.DisplayRole or section < 0:
            return None
        if orientation is Qt.Orientation.Horizontal:
            if section < self.buckets:
                return self._counts.labels[section]
            return "Total" if section == self.buckets else None
        if section < len(self.theme_rows):
            row = self.theme_rows[section]
            return f"{row.name} (retired)" if row.retired else row.name
        return None
