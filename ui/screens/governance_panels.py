"""The Governance screen's insight tabs: the theme heat map, the MDT agenda (on screen and as
PDF), supervisors' workload and team wellbeing; and the small widget helpers the screen shares.

Each panel reads its figures from ``app.services`` when refreshed and shows them; none runs SQL.
Team wellbeing shows aggregates only — never a name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QStandardPaths,
    Qt,
    QUrl,
    Signal,
    Slot,
)
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QStackedWidget,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.dates import month_year, uk
from app.domain.catalogue import Catalogue
from app.domain.governance import Forum, ItemStatus
from app.errors import KeelError
from app.services.agenda import AgendaItem, MdtAgenda
from app.services.context import Services
from app.services.insight import SupervisorMonth, TeamWellbeingMonth
from app.services.themes import Bucket
from ui.context import AppContext
from ui.models.governance_models import (
    HeatMapModel,
    WellbeingModel,
    WorkloadModel,
    crowded_reason,
    plural,
)
from ui.tasks import BackgroundRead, TaskHandle, run_task
from ui.widgets.dates import DateEdit
from ui.widgets.focus import set_tab_order
from ui.widgets.heatmap import HeatMapWidget

if TYPE_CHECKING:
    from app.services.reports.common import Cancelled, Progress

log = logging.getLogger(__name__)

ALL = "__all__"


# Helpers the screen shares -----------------------------------------------------------------


def plain_label(text: str = "") -> QLabel:
    """A wrapping label that shows user text as typed (no rich-text interpretation)."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    return label


def heading(text: str) -> QLabel:
    label = plain_label(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


def table_view(
    model: QAbstractItemModel, name: str, *, stretch: int = -1, sortable: bool = False
) -> QTableView:
    """A read-only, row-selecting table; column ``stretch`` takes the spare width."""
    table = QTableView()
    table.setModel(model)
    table.setAccessibleName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 10)
    table.setTabKeyNavigation(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setHighlightSections(False)
    if stretch >= 0:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    if sortable:
        table.setSortingEnabled(True)
        table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the order given, until clicked
    return table


def fit_columns(table: QTableView, skip: int = -1) -> None:
    """Size every column but ``skip`` to its contents (the tables here are short)."""
    for column in range(table.model().columnCount()):
        if column != skip:
            table.resizeColumnToContents(column)


def teams_of(ctx: AppContext) -> list[str]:
    return sorted({w.team for w in ctx.workers.all() if w.team.strip()}, key=str.casefold)


def fill_teams(combo: QComboBox, teams: list[str]) -> None:
    """Refill a team filter, keeping the choice when it still exists."""
    current = combo.currentData()
    combo.blockSignals(True)
    try:
        combo.clear()
        combo.addItem("All teams", ALL)
        for team in teams:
            combo.addItem(team, team)
        combo.setCurrentIndex(max(0, combo.findData(current)) if current else 0)
    finally:
        combo.blockSignals(False)


def team_choice(combo: QComboBox) -> str | None:
    value = combo.currentData()
    return None if value in (None, ALL) else str(value)


def months_back(day: date, months: int) -> date:
    """The first day of the month ``months`` before ``day``'s month."""
    total = day.year * 12 + day.month - 1 - months
    return date(total // 12, total % 12 + 1, 1)


def _team_combo(name: str) -> QComboBox:
    combo = QComboBox()
    combo.setAccessibleName(name)
    combo.setMinimumContentsLength(14)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    return combo


def _labelled(text: str, field: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(field)
    return label


# Theme heat map ----------------------------------------------------------------------------


class HeatMapPanel(QWidget):
    """Themes × the last 13 weeks or 12 months, drawn as a heat map or shown as numbers."""

    WEEKS = 13
    MONTHS = 12

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.weeks_button = QRadioButton("&Weeks (last 13)")
        self.weeks_button.setAccessibleName("By week")
        self.months_button = QRadioButton("&Months (last 12)")
        self.months_button.setAccessibleName("By month")
        self.weeks_button.setChecked(True)
        self._group = QButtonGroup(self)
        self._group.addButton(self.weeks_button)
        self._group.addButton(self.months_button)
        self.team_combo = _team_combo("Team")
        self.as_table = QCheckBox("Show as a &table")
        self.as_table.setAccessibleName("Show the heat map as a table")
        self.as_table.setToolTip("The same counts in a table (for screen readers and copying)")
        self.period_label = plain_label()
        self.period_label.setAccessibleDescription("Period")

        self.model = HeatMapModel(self)
        self.heat_widget = HeatMapWidget(self.model)
        self.heat_scroll = QScrollArea()
        self.heat_scroll.setWidget(self.heat_widget)
        self.heat_scroll.setWidgetResizable(True)
        self.heat_scroll.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.table = table_view(self.model, "Theme counts")
        self.table.verticalHeader().show()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.heat_scroll)
        self.stack.addWidget(self.table)

        controls = QHBoxLayout()
        controls.addWidget(QLabel("Count by:"))
        controls.addWidget(self.weeks_button)
        controls.addWidget(self.months_button)
        controls.addSpacing(16)
        controls.addWidget(_labelled("T&eam:", self.team_combo))
        controls.addWidget(self.team_combo)
        controls.addSpacing(16)
        controls.addWidget(self.as_table)
        controls.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.period_label)
        layout.addWidget(self.stack, 1)

        self.weeks_button.toggled.connect(self.refresh)
        self.team_combo.currentIndexChanged.connect(self.refresh)
        self.as_table.toggled.connect(self._show_table)

    def bucket(self) -> Bucket:
        return "week" if self.weeks_button.isChecked() else "month"

    def period(self) -> tuple[date, date]:
        today = self._ctx.today()
        if self.bucket() == "week":
            monday = today - timedelta(days=today.weekday())
            return monday - timedelta(weeks=self.WEEKS - 1), today
        return months_back(today, self.MONTHS - 1), today

    def refresh(self) -> None:
        fill_teams(self.team_combo, teams_of(self._ctx))
        start, end = self.period()
        counts = self._ctx.themes.theme_counts(
            start,
            end,
            self.bucket(),
            team=team_choice(self.team_combo),
            include_unused=True,
        )
        self.model.set_counts(counts)
        unit = f"{self.WEEKS} weeks" if self.bucket() == "week" else f"{self.MONTHS} months"
        who = team_choice(self.team_combo) or "all teams"
        self.period_label.setText(
            f"Held sessions raising each theme, {unit} from {uk(start)} to {uk(end)} "
            f"({who}). Hover or use the arrow keys on a cell to read it out."
        )
        fit_columns(self.table)

    @Slot(bool)
    def _show_table(self, checked: bool) -> None:
        self.stack.setCurrentWidget(self.table if checked else self.heat_scroll)


# MDT agenda --------------------------------------------------------------------------------

_ASK = {
    ItemStatus.RAISED: "To consider and decide",
    ItemStatus.TABLED: "Carried over: to decide",
    ItemStatus.DECIDED: "Decided: report the change made, then close",
}
_OWNER = {"supervisor": "Supervisor", "other": "Other"}
_STYLE = (
    "<style>"
    "h2 { margin: 0 0 2px 0; } h3 { margin: 14px 0 4px 0; }"
    "table.t { border-collapse: collapse; }"
    "table.t th { background: #e9edf1; text-align: left; padding: 3px 6px; }"
    "table.t td { padding: 3px 6px; border-bottom: 1px solid #d5dbe1; vertical-align: top; }"
    ".muted { color: #555555; } .num { text-align: right; }"
    "</style>"
)


def html_text(text: str) -> str:
    """User text made safe for the agenda's markup; newlines kept."""
    return escape(text).replace("\n", "<br/>")


def _source_links(a: AgendaItem, cat: Catalogue) -> str:
    if not a.sources:
        return f"<span class='muted'>{html_text(a.item.source.label)}; no session linked.</span>"
    links = []
    for s in a.sources:
        who = s.worker_name or f"group of {s.attendees}"
        text = f"{uk(s.session_date)} · {cat.name(s.type).lower()} · {who}"
        links.append(f"<a href='session:{escape(s.session_id)}'>{html_text(text)}</a>")
    line = "<br/>".join(links)
    if a.case_refs:
        line += (
            f"<br/><span class='muted'>Case references: {html_text(', '.join(a.case_refs))}</span>"
        )
    return line


def _table(
    headers: list[str],
    rows: list[list[str]],
    widths: list[int],
    numeric: frozenset[int] = frozenset(),
) -> str:
    """An HTML table; ``widths`` are percentages of the page, one per column."""
    head = "".join(
        f"<th width='{w}%'" + (" align='right'" if n in numeric else "") + f">{escape(h)}</th>"
        for n, (h, w) in enumerate(zip(headers, widths, strict=True))
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td class='num' align='right'>{cell}</td>" if n in numeric else f"<td>{cell}</td>"
            for n, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return (
        "<table class='t' width='99%' cellspacing='0' cellpadding='3'>"
        f"<tr>{head}</tr>{body}</table>"
    )


def _items_part(agenda: MdtAgenda) -> str:
    out = f"<h3>1. Governance items for the {escape(agenda.forum.label)}</h3>"
    if not agenda.items:
        return out + f"<p>No open item for the {escape(agenda.forum.label)}.</p>"
    rows = []
    for n, a in enumerate(agenda.items, start=1):
        item = a.item
        lines = [f"<b>{html_text(item.title)}</b>"]
        if item.theme_name and item.theme_name != item.title:
            lines.append(f"<i>Theme: {html_text(item.theme_name)}</i>")
        if item.description:
            lines.append(html_text(item.description))
        if item.decision:
            lines.append(f"<b>Decision:</b> {html_text(item.decision)}")
        if item.change_made:
            lines.append(f"<b>Change made:</b> {html_text(item.change_made)}")
        rows.append(
            [
                str(n),
                "<br/>".join(lines),
                _source_links(a, agenda.catalogue),
                escape(_ASK[item.status]),
            ]
        )
    return out + _table(["#", "Item", "From supervision", "Asked"], rows, [3, 50, 28, 19])


def _trends_part(agenda: MdtAgenda) -> str:
    out = f"<h3>2. Themes from supervision {escape(agenda.since_words)}</h3>"
    if not agenda.trends:
        return out + "<p>No theme was raised in held supervision in this period.</p>"
    rows = [
        [
            html_text(t.name),
            t.sessions_text,
            str(t.workers),
            html_text(f"Yes: {t.alert_text}") if t.alert else "—",
        ]
        for t in agenda.trends
    ]
    return out + _table(
        ["Theme", "Sessions", "Workers", "Trend alert"], rows, [28, 9, 9, 54], frozenset({1, 2})
    )


# The most rows a list on the screen shows (most overdue first); the PDF lists every one. A
# QTextBrowser takes seconds to lay out a table of thousands of rows (20 s for 21,743 on the
# 10,000-worker stress database), with the window frozen, and nobody reads that many at a
# meeting.
SCREEN_ROWS = 200


def _more_than_shown(total: int, what: str) -> str:
    if total <= SCREEN_ROWS:
        return ""
    return (
        f"<p class='muted'>The {SCREEN_ROWS} most overdue of {total:,} {what} are shown here. "
        "Export the PDF for the full list.</p>"
    )


def _actions_part(agenda: MdtAgenda) -> str:
    out = "<h3>3. Overdue actions that need the team</h3>"
    out += f"<p class='muted'>{escape(agenda.counted_words)}</p>"
    if not agenda.overdue_actions:
        return out + "<p>No action owned by a supervisor or someone else is overdue.</p>"
    rows = []
    for a in agenda.overdue_actions[:SCREEN_ROWS]:
        owner = _OWNER.get(a.owner.value, "") if a.owner else ""
        if a.owner_name:
            owner = f"{owner} ({a.owner_name})" if owner else a.owner_name
        source = (
            f"{a.worker_name}, {agenda.catalogue.name(a.session_type).lower()} {uk(a.session_date)}"
        )
        rows.append(
            [
                html_text(a.description),
                html_text(owner or "—"),
                escape(f"{uk(a.due_date)} ({plural(a.days_overdue, 'day')} overdue)"),
                f"<a href='session:{escape(a.session_id)}'>{html_text(source)}</a>",
                html_text(a.evidence or "—"),
            ]
        )
    return (
        out
        + _table(
            ["Action", "Owner", "Due", "From supervision of", "Evidence"],
            rows,
            [28, 17, 16, 19, 20],
        )
        + _more_than_shown(len(agenda.overdue_actions), "overdue actions")
    )


def _workers_part(agenda: MdtAgenda) -> str:
    out = "<h3>4. Overdue clinical supervision with a high-risk caseload</h3>"
    out += f"<p class='muted'>{escape(agenda.counted_words)}</p>"
    if not agenda.overdue_high_risk:
        return out + (
            "<p>No worker with a high-risk caseload is overdue for clinical supervision.</p>"
        )
    rows = [
        [
            html_text(w.name),
            html_text(f"{w.team} · {w.role}".strip(" ·")),
            escape(uk(w.last_held, "None on record")),
            escape(uk(w.due)),
            escape(plural(w.days_overdue, "day")),
            escape(uk(w.booked, "Not booked")),
        ]
        for w in agenda.overdue_high_risk[:SCREEN_ROWS]
    ]
    return (
        out
        + _table(
            ["Worker", "Team and role", "Last clinical", "Was due", "Overdue by", "Booked"],
            rows,
            [20, 26, 14, 14, 12, 14],
        )
        + _more_than_shown(len(agenda.overdue_high_risk), "high-risk workers overdue")
    )


def _closed_part(agenda: MdtAgenda) -> str:
    if not agenda.closed_since:
        return ""
    rows = [
        [
            html_text(i.title),
            escape(uk(i.closed_on)),
            html_text(i.change_made or "No change needed."),
        ]
        for i in agenda.closed_since
    ]
    return "<h3>For information: items closed since the last meeting</h3>" + _table(
        ["Item", "Closed", "Change made"], rows, [35, 15, 50]
    )


def agenda_html(agenda: MdtAgenda) -> str:
    """The agenda as the screen shows it: the same four parts as the PDF, sessions as links
    (``session:<id>``). Every piece of user text is escaped."""
    alerts = sum(1 for t in agenda.trends if t.alert)
    figures = " · ".join(
        [
            plural(len(agenda.items), "open governance item"),
            plural(alerts, "theme trend alert"),
            plural(len(agenda.overdue_actions), "overdue action") + " that need the team",
            plural(len(agenda.overdue_high_risk), "high-risk worker")
            + " overdue for clinical supervision",
        ]
    )
    scope = agenda.team or "All teams"
    return (
        _STYLE
        + f"<h2>{escape(agenda.forum.label)} — agenda for {escape(uk(agenda.meeting_date))}</h2>"
        + f"<p class='muted'>{html_text(scope)} · last meeting: "
        + f"{escape(uk(agenda.last_meeting, 'none recorded'))}</p>"
        + f"<p><b>{escape(figures)}</b></p>"
        + _items_part(agenda)
        + _trends_part(agenda)
        + _actions_part(agenda)
        + _workers_part(agenda)
        + _closed_part(agenda)
        + "<p class='muted'>Drawn from supervision records. No confidential reflective notes; "
        "people who use the service appear by case reference only.</p>"
    )


def _documents() -> Path:
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    folder = Path(location) if location else Path.home()
    return folder if folder.is_dir() else Path.home()


class AgendaPanel(QWidget):
    """Choose a meeting date and forum, read the agenda, export it as PDF."""

    session_open_requested = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._agenda: MdtAgenda | None = None
        self.last_export: TaskHandle[Any] | None = None  # the latest PDF export
        self.date_edit = DateEdit(ctx.today())
        self.date_edit.setAccessibleName("Meeting date")
        self.forum_combo = QComboBox()
        self.forum_combo.setAccessibleName("Forum")
        for forum in Forum:
            self.forum_combo.addItem(forum.label, forum.value)
        self.team_combo = _team_combo("Team")
        self.export_button = QPushButton("E&xport PDF…")
        self.export_button.setAccessibleName("Export the agenda as PDF")
        self.export_button.setToolTip("Save the agenda as a PDF for the meeting and open it")
        self.status_label = plain_label()
        self.status_label.setAccessibleDescription("Export status")
        self.view = QTextBrowser()
        self.view.setAccessibleName("Agenda")
        self.view.setOpenLinks(False)
        self.view.setOpenExternalLinks(False)

        controls = QHBoxLayout()
        controls.addWidget(_labelled("Meeting &date:", self.date_edit))
        controls.addWidget(self.date_edit)
        controls.addSpacing(12)
        controls.addWidget(_labelled("F&orum:", self.forum_combo))
        controls.addWidget(self.forum_combo)
        controls.addSpacing(12)
        controls.addWidget(_labelled("T&eam:", self.team_combo))
        controls.addWidget(self.team_combo)
        controls.addStretch(1)
        controls.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.status_label)
        self.status_label.hide()
        set_tab_order(
            self.date_edit,
            self.forum_combo,
            self.team_combo,
            self.export_button,
            self.view,
        )

        self._reader = BackgroundRead(
            self,
            ctx.db_path,
            "Reading the agenda…",
            self._agenda_reader,
            self._agenda_read,
            self._agenda_failed,
        )
        self.date_edit.dateChanged.connect(self._show_agenda)
        self.forum_combo.currentIndexChanged.connect(self._show_agenda)
        self.team_combo.currentIndexChanged.connect(self._show_agenda)
        self.view.anchorClicked.connect(self._link)
        self.export_button.clicked.connect(self.export_pdf)

    def forum(self) -> Forum:
        return Forum(self.forum_combo.currentData())

    def set_meeting(self, on: date, forum: Forum) -> None:
        self.date_edit.set_date(on)
        self.forum_combo.setCurrentIndex(self.forum_combo.findData(forum.value))
        self._show_agenda()

    @property
    def reading(self) -> bool:
        """The agenda is being read (it shows when it comes)."""
        return self._reader.busy

    def agenda(self) -> MdtAgenda | None:
        """The agenda on screen."""
        return self._agenda

    def text(self) -> str:
        return self.view.toPlainText()

    def refresh(self) -> None:
        fill_teams(self.team_combo, teams_of(self._ctx))
        self._show_agenda()

    @Slot()
    def _show_agenda(self) -> None:
        self._reader.request()

    def _agenda_reader(self) -> Callable[[Services], tuple[MdtAgenda, str]]:
        meeting, forum, team = self.date_edit.value(), self.forum(), team_choice(self.team_combo)
        today = self._ctx.today()

        def read(services: Services) -> tuple[MdtAgenda, str]:
            agenda = services.agenda.mdt_agenda(meeting, forum, team=team, today=today)
            return agenda, agenda_html(agenda)

        return read

    def _agenda_read(self, result: tuple[MdtAgenda, str]) -> None:
        self._agenda, html = result
        scroll = self.view.verticalScrollBar().value()
        self.view.setHtml(html)
        self.view.verticalScrollBar().setValue(scroll)

    def _agenda_failed(self, exc: KeelError) -> None:
        self._agenda = None
        self.view.setPlainText(f"The agenda could not be gathered: {exc}")

    @Slot()
    def export_pdf(self) -> Path | None:
        """Ask where to save the agenda, then write it on a worker thread (a very large
        service's agenda runs to hundreds of pages) and open it. Returns the chosen file, or
        None when the user chose none."""
        meeting, forum, team = self.date_edit.value(), self.forum(), team_choice(self.team_combo)
        suggested = _documents() / f"{forum.label} agenda {meeting.isoformat()}.pdf"
        chosen, _filter = QFileDialog.getSaveFileName(
            self, "Export the agenda as PDF", str(suggested), "PDF documents (*.pdf)"
        )
        if not chosen:
            return None
        out = Path(chosen)
        if out.suffix.lower() != ".pdf":
            out = out.with_name(out.name + ".pdf")

        today = self._ctx.today()

        def write(services: Services, progress: Progress, cancelled: Cancelled) -> Path:
            return services.exports.mdt_agenda(
                meeting, forum, out, team=team, progress=progress, cancelled=cancelled
            )

        self.last_export = run_task(
            self,
            "Writing the agenda…",
            write,
            db_path=self._ctx.db_path,
            on_success=lambda written: self._exported(forum, meeting, Path(written)),
            on_failure=self._export_failed,
            today=lambda: today,
        )
        self.last_export.cancelled.connect(self._export_cancelled)
        return out

    def _export_cancelled(self) -> None:
        self.status_label.setText("Export cancelled: no file was written.")
        self.status_label.show()

    def _exported(self, forum: Forum, meeting: date, written: Path) -> None:
        log.info("agenda for %s on %s exported", forum.value, meeting)
        opened = QDesktopServices.openUrl(QUrl.fromLocalFile(str(written)))
        self.status_label.setText(
            f"Saved the agenda to {written}" + ("" if opened else " (open it from that folder).")
        )
        self.status_label.show()

    def _export_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, KeelError):
            raise exc  # a bug: the crash handler reports it
        QMessageBox.warning(self, "Agenda not exported", str(exc))

    @Slot(QUrl)
    def _link(self, url: QUrl) -> None:
        target = url.toString()
        if target.startswith("session:"):
            self.session_open_requested.emit(target.removeprefix("session:"))


# Supervisors' workload ---------------------------------------------------------------------


class WorkloadPanel(QWidget):
    """Per supervisor per month: supervisees, held, cancelled by reason, did not attend, the
    longest gap, and whether supervision was crowded out."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.months_combo = QComboBox()
        self.months_combo.setAccessibleName("Months shown")
        for months in (3, 6, 12):
            self.months_combo.addItem(f"This month and the {months - 1} before", months)
        self.months_combo.setCurrentIndex(1)
        self.rule_label = plain_label()
        self.rule_label.setAccessibleDescription("Crowded-out rule")
        self.rule_label.setStyleSheet("color: #444444;")
        self.summary_label = plain_label()
        self.summary_label.setAccessibleDescription("Crowded-out summary")
        font = self.summary_label.font()
        font.setBold(True)
        self.summary_label.setFont(font)
        self.model = WorkloadModel(parent=self)
        self.table = table_view(self.model, "Supervisor workload", stretch=5)

        controls = QHBoxLayout()
        controls.addWidget(_labelled("&Months:", self.months_combo))
        controls.addWidget(self.months_combo)
        controls.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.rule_label)
        layout.addWidget(self.table, 1)
        self._reader = BackgroundRead(
            self,
            ctx.db_path,
            "Reading supervisors' workload…",
            self._workload_reader,
            self._workload_read,
        )
        self.months_combo.currentIndexChanged.connect(self.refresh)

    @property
    def reading(self) -> bool:
        """The figures are being read (they show when they come)."""
        return self._reader.busy

    def refresh(self) -> None:
        """Read the figures again (on a worker thread; they show when they come)."""
        policy = self._ctx.workers.policy
        self.rule_label.setText(
            "“Supervision crowded out” means that in one month a supervisor cancelled "
            f"{policy.crowded_out_cancellations} or more sessions because of workload, or at "
            f"least 2 that were {policy.crowded_out_share:.0%} or more of the sessions planned "
            "that month. Longest gap: the longest time any of their supervisees has gone "
            "without a held session of the type they give (leave not counted)."
        )
        self._reader.request()

    def _workload_reader(self) -> Callable[[Services], list[SupervisorMonth]]:
        policy = self._ctx.workers.policy
        today = self._ctx.today()
        start = months_back(today, int(self.months_combo.currentData()) - 1)

        def read(services: Services) -> list[SupervisorMonth]:
            rows = services.insight.supervisor_workload(start, today, policy, as_of=today)
            rows.sort(key=lambda m: (-m.month.toordinal(), m.supervisor_name.casefold()))
            return rows

        return read

    def _workload_read(self, rows: list[SupervisorMonth]) -> None:
        self.model.set_rows(rows)
        crowded = [m for m in rows if m.crowded_out]
        if crowded:
            self.summary_label.setText(
                "Supervision crowded out: "
                + "; ".join(
                    f"{m.supervisor_name} in {month_year(m.month)} ({crowded_reason(m)})"
                    for m in crowded
                )
                + "."
            )
        else:
            self.summary_label.setText(
                "No supervisor's supervision was crowded out by workload in these months."
            )
        fit_columns(self.table, skip=5)


# Team wellbeing ----------------------------------------------------------------------------


class WellbeingPanel(QWidget):
    """Month by month aggregates of the wellbeing pulse: counts and an average, no names."""

    MONTHS = 12

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.team_combo = _team_combo("Team")
        self.note_label = plain_label(
            "Team level shows aggregates only: counts and an average, never names. A month "
            "with fewer than 3 readings shows no average, so a figure cannot point to one "
            "person. Each worker's own pulse and any gentle flags are on their page."
        )
        self.note_label.setAccessibleDescription("About these figures")
        self.model = WellbeingModel(parent=self)
        self.table = table_view(self.model, "Team wellbeing by month")
        controls = QHBoxLayout()
        controls.addWidget(_labelled("T&eam:", self.team_combo))
        controls.addWidget(self.team_combo)
        controls.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.note_label)
        layout.addWidget(self.table, 1)
        self._reader = BackgroundRead(
            self,
            ctx.db_path,
            "Reading team wellbeing…",
            self._wellbeing_reader,
            self._wellbeing_read,
        )
        self.team_combo.currentIndexChanged.connect(self.refresh)

    @property
    def reading(self) -> bool:
        """The figures are being read (they show when they come)."""
        return self._reader.busy

    def refresh(self) -> None:
        """Read the figures again (on a worker thread; they show when they come)."""
        fill_teams(self.team_combo, teams_of(self._ctx))
        self._reader.request()

    def _wellbeing_reader(self) -> Callable[[Services], list[TeamWellbeingMonth]]:
        today = self._ctx.today()
        start = months_back(today, self.MONTHS - 1)
        team = team_choice(self.team_combo)
        return lambda services: services.insight.team_wellbeing(start, today, team=team)

    def _wellbeing_read(self, rows: list[TeamWellbeingMonth]) -> None:
        self.model.set_rows(list(reversed(rows)))
        fit_columns(self.table)


__all__ = [
    "AgendaPanel",
    "HeatMapPanel",
    "WellbeingPanel",
    "WorkloadPanel",
    "agenda_html",
    "fit_columns",
    "heading",
    "html_text",
    "plain_label",
    "table_view",
]
