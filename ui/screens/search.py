"""Search every session record: "find every session mentioning crisis line".

A non-modal dialog: a query box, filters (type, worker, period, theme), choices to search the
places sessions were held and the confidential reflective notes too (both off by default), and
the sessions found, best first — what was discussed, decided or agreed above references and
notes, above places; recent first among equals — each with a snippet whose matched words are
highlighted. Enter or a double-click on a result asks for the record to be opened
(``session_open_requested``); the main window opens the form. Whatever is typed is handed to
the search service as it is: the service reads quotes and operators as plain words, so a query
never fails on its syntax.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, timedelta

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QSignalBlocker,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QKeyEvent,
    QPainter,
    QShowEvent,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.dates import uk
from app.domain.model import TypeKey
from app.errors import KeelError
from app.services.search import DISCUSSION, NOTES, PLACE, SearchHit
from ui.context import AppContext
from ui.models.worker_models import OBJECT_ROLE, SORT_ROLE, Column, RowTableModel, type_column
from ui.widgets.dates import DateEdit
from ui.widgets.focus import set_tab_order

SEARCH_DELAY_MS = 300  # typing searches once the keys stop, not at every keystroke
ANY = ""  # item data of the "All …" entries (never None: see ui/models/schedule_model.py)
CONFIDENTIAL_MARK = "[Confidential notes] "

STATUS_WORDS = {"planned": "Planned", "held": "Held", "cancelled": "Cancelled", "dna": "DNA"}


def snippet_text(hit: SearchHit) -> str:
    """The snippet as shown: plain text, marked when the match is in the confidential notes."""
    return (CONFIDENTIAL_MARK if hit.in_confidential else "") + hit.snippet


HIGHLIGHT = "background-color: #ffe58a; font-weight: bold;"


def snippet_html(hit: SearchHit) -> str:
    """The snippet with each matched word highlighted (every piece of record text escaped:
    what a team lead typed never becomes markup)."""
    text, parts, at = hit.snippet, [], 0
    for start, end in hit.highlights:
        parts.append(html.escape(text[at:start]))
        parts.append(f'<span style="{HIGHLIGHT}">{html.escape(text[start:end])}</span>')
        at = end
    parts.append(html.escape(text[at:]))
    mark = f"<i>{html.escape(CONFIDENTIAL_MARK)}</i>" if hit.in_confidential else ""
    return mark + "".join(parts)


class HighlightDelegate(QStyledItemDelegate):
    """Draws a result's snippet with its matched words highlighted (the cell's text, which
    screen readers read, stays plain)."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        hit = index.data(OBJECT_ROLE)
        if not isinstance(hit, SearchHit):
            super().paint(painter, option, index)
            return
        self.initStyleOption(option, index)
        style = option.widget.style() if option.widget is not None else None
        text = option.text
        option.text = ""
        if style is not None:  # the background, selection and focus, without the text
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        option.text = text
        document = QTextDocument()
        document.setDefaultFont(option.font)
        document.setDocumentMargin(2)
        document.setHtml(f"<span style='white-space: pre'>{snippet_html(hit)}</span>")
        painter.save()
        rect = option.rect.adjusted(2, 0, -2, 0)
        painter.translate(rect.left(), rect.top() + (rect.height() - document.size().height()) / 2)
        painter.setClipRect(0, 0, rect.width(), rect.height())
        context = QAbstractTextDocumentLayout.PaintContext()
        if option.state & QStyle.StateFlag.State_Selected:
            context.palette.setColor(
                context.palette.ColorRole.Text,
                option.palette.color(option.palette.ColorRole.HighlightedText),
            )
        document.documentLayout().draw(painter, context)
        painter.restore()


_RANK = {DISCUSSION: 0, NOTES: 1, PLACE: 2}
FOUND_IN = {DISCUSSION: "Discussion", NOTES: "Notes", PLACE: "Place"}
SNIPPET_COLUMN = 5


class SearchResultsModel(RowTableModel[SearchHit]):
    """Sessions found, one row each: date, type, status, worker and the snippet (plain text).

    ``OBJECT_ROLE`` gives the ``SearchHit``; ``SORT_ROLE`` sorts dates as dates.
    """

    columns = (
        Column[SearchHit](
            "Date", lambda h: uk(h.session_date), lambda h: h.session_date.isoformat()
        ),
        type_column("Type", lambda h: h.type),
        Column[SearchHit]("Status", lambda h: STATUS_WORDS.get(h.status.value, h.status.value)),
        Column[SearchHit]("Worker", lambda h: h.worker_name),
        Column[SearchHit](
            "Found in",
            lambda h: FOUND_IN.get(h.found_in, h.found_in),
            lambda h: _RANK.get(h.found_in, 9),
            spelled=lambda h: f"found in the {h.found_in}",
        ),
        Column[SearchHit]("Where it is mentioned", snippet_text),
    )


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """What the dialog asks the service for (the query and every filter)."""

    query: str
    type_: TypeKey | None = None
    worker_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    theme_id: str | None = None
    include_confidential: bool = False
    include_places: bool = False

    @property
    def filtered(self) -> bool:
        return any(
            v is not None
            for v in (self.type_, self.worker_id, self.date_from, self.date_to, self.theme_id)
        )


class _ResultsView(QTableView):
    """Enter opens the current result (a table view would otherwise move down a row)."""

    open_requested = Signal(QModelIndex)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_requested.emit(self.currentIndex())
            return
        super().keyPressEvent(event)


class SearchDialog(QDialog):
    """Search across all session records; results open the record."""

    session_open_requested = Signal(str)
    """session_id: the user asked to open this record."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.setWindowTitle("Search records")
        self.setAccessibleName("Search records")
        self.setModal(False)
        self.model = SearchResultsModel(parent=self)
        self.model.set_type_names(ctx.catalogue)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._build()
        self._connect()
        self.reload_choices()
        self.resize(1100, 620)

    # Building -------------------------------------------------------------------------------

    def _build(self) -> None:
        self.query_edit = QLineEdit()
        self.query_edit.setAccessibleName("Words to search for")
        self.query_edit.setPlaceholderText(
            'Words to find, e.g. crisis line — use "double quotes" for an exact phrase'
        )
        self.query_edit.setClearButtonEnabled(True)
        self.search_button = QPushButton("&Search")
        self.search_button.setAccessibleName("Search now")
        query_label = QLabel("&Find:")
        query_label.setBuddy(self.query_edit)

        self.type_combo = QComboBox()
        self.type_combo.setAccessibleName("Supervision type")
        self.type_combo.addItem("All types", ANY)
        for spec in self._ctx.catalogue:  # retired types too: their records can be searched
            self.type_combo.addItem(spec.name, spec.key)
        self.worker_combo = QComboBox()
        self.worker_combo.setAccessibleName("Worker (supervisee or group attendee)")
        self.worker_combo.setMinimumContentsLength(16)
        self.worker_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.theme_combo = QComboBox()
        self.theme_combo.setAccessibleName("Theme raised")
        self.theme_combo.setMinimumContentsLength(18)
        self.theme_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        today = self._ctx.today()
        self.from_check = QCheckBox("F&rom:")
        self.from_check.setAccessibleName("Only sessions on or after a date")
        self.from_edit = DateEdit(today - timedelta(days=365))
        self.from_edit.setAccessibleName("Earliest session date")
        self.to_check = QCheckBox("&To:")
        self.to_check.setAccessibleName("Only sessions on or before a date")
        self.to_edit = DateEdit(today)
        self.to_edit.setAccessibleName("Latest session date")
        for edit in (self.from_edit, self.to_edit):
            edit.setEnabled(False)
        self.confidential_check = QCheckBox("Include &confidential notes")
        self.confidential_check.setAccessibleName("Include confidential reflective notes")
        self.confidential_check.setToolTip(
            "Confidential reflective notes are searched only when this is ticked."
        )
        self.places_check = QCheckBox("Include &places")
        self.places_check.setAccessibleName("Search the places sessions were held too")
        self.places_check.setToolTip(
            "Where a session was held (“Ashcroft House”) is searched only when this is ticked."
        )

        top = QHBoxLayout()
        top.addWidget(query_label)
        top.addWidget(self.query_edit, 1)
        top.addWidget(self.search_button)

        filters = QGridLayout()
        filters.setHorizontalSpacing(6)
        for column, (text, combo) in enumerate(
            (("T&ype:", self.type_combo), ("&Worker:", self.worker_combo),
             ("T&heme:", self.theme_combo))
        ):  # fmt: skip
            label = QLabel(text)
            label.setBuddy(combo)
            filters.addWidget(label, 0, column * 2)
            filters.addWidget(combo, 0, column * 2 + 1)
        period = QHBoxLayout()
        period.addWidget(self.from_check)
        period.addWidget(self.from_edit)
        period.addSpacing(10)
        period.addWidget(self.to_check)
        period.addWidget(self.to_edit)
        period.addSpacing(16)
        period.addWidget(self.places_check)
        period.addSpacing(10)
        period.addWidget(self.confidential_check)
        period.addStretch(1)
        filters.addLayout(period, 1, 0, 1, 6)
        filters.setColumnStretch(3, 1)
        filters.setColumnStretch(5, 1)

        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Search result summary")
        self.error_label = QLabel()
        self.error_label.setObjectName("searchError")
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(
            "#searchError { background: #f4c7c3; color: #7a1010; border: 1px solid #d98b84;"
            " border-radius: 4px; padding: 4px; }"
        )
        self.error_label.hide()

        self.view = _ResultsView()
        self.view.setTabKeyNavigation(False)  # one Tab stop: arrows move inside
        self.view.setModel(self.proxy)
        self.view.setAccessibleName("Sessions found")
        self.view.setSortingEnabled(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)  # the snippet is short; its tooltip holds it whole
        self.view.verticalHeader().hide()
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.view.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        metrics = self.view.fontMetrics()
        # The type column fits the longest type name of the service's policy.
        type_sample = max((spec.name for spec in self._ctx.catalogue), key=len, default="Type")
        for column, sample in enumerate(
            ("26 Nov 2026", type_sample, "Cancelled", "Zoë Hartley-Ward", "discussion, decisions")
        ):
            header.resizeSection(column, metrics.horizontalAdvance(sample) + 24)
        self.view.verticalHeader().setDefaultSectionSize(metrics.height() + 12)
        # Best first, as the search ranks them; a click on a header sorts by that column.
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.proxy.sort(-1)
        self.view.setItemDelegateForColumn(SNIPPET_COLUMN, HighlightDelegate(self.view))

        self.open_button = QPushButton("&Open record")
        self.open_button.setAccessibleName("Open the selected record")
        self.open_button.setEnabled(False)
        self.close_button = QPushButton("Close")
        self.close_button.setAccessibleName("Close search")
        for button in (self.search_button, self.open_button, self.close_button):
            button.setAutoDefault(False)  # Enter belongs to the query box and the results
        buttons = QHBoxLayout()
        hint = QLabel("Enter or double-click a result to open the record.")
        hint.setEnabled(False)
        buttons.addWidget(hint, 1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.error_label)
        layout.addWidget(self.summary)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)

        order = (
            self.query_edit, self.search_button, self.type_combo, self.worker_combo,
            self.theme_combo, self.from_check, self.from_edit, self.to_check, self.to_edit,
            self.places_check, self.confidential_check, self.view, self.open_button,
            self.close_button,
        )  # fmt: skip
        set_tab_order(*order)

    def _connect(self) -> None:
        self._timer.timeout.connect(self.run_search)
        self.query_edit.textEdited.connect(lambda _t: self._timer.start())
        self.query_edit.returnPressed.connect(self.run_search)
        self.search_button.clicked.connect(self.run_search)
        for combo in (self.type_combo, self.worker_combo, self.theme_combo):
            combo.currentIndexChanged.connect(lambda _i: self.run_search())
        for check, edit in ((self.from_check, self.from_edit), (self.to_check, self.to_edit)):
            check.toggled.connect(edit.setEnabled)
            check.toggled.connect(lambda _on: self.run_search())
            edit.dateChanged.connect(lambda _d: self._timer.start())
        self.confidential_check.toggled.connect(lambda _on: self.run_search())
        self.places_check.toggled.connect(lambda _on: self.run_search())
        self.view.activated.connect(self._open_index)
        self.view.open_requested.connect(self._open_index)
        self.view.selectionModel().selectionChanged.connect(
            lambda *_: self.open_button.setEnabled(self.view.selectionModel().hasSelection())
        )
        self.proxy.modelReset.connect(lambda: self.open_button.setEnabled(False))
        self.open_button.clicked.connect(lambda: self._open_index(self.view.currentIndex()))
        self.close_button.clicked.connect(self.close)

    # Public -------------------------------------------------------------------------------

    def reload_choices(self) -> None:
        """Refill the worker and theme filters (workers or themes may have changed)."""
        workers = sorted(self._ctx.workers.all(include_left=True), key=lambda w: w.name.casefold())
        self._refill(
            self.worker_combo,
            [("All workers", ANY)]
            + [(w.name + (" (left)" if w.left_on else ""), w.id) for w in workers],
        )
        themes = self._ctx.themes.theme_usage()
        self._refill(
            self.theme_combo,
            [("All themes", ANY)]
            + [
                (u.theme.name + ("" if u.theme.active else " (retired)"), u.theme.id)
                for u in themes
            ],
        )

    def request(self) -> SearchRequest:
        """The query and filters as they stand in the dialog."""
        type_value = self.type_combo.currentData()
        return SearchRequest(
            query=self.query_edit.text(),
            type_=str(type_value) if type_value else None,
            worker_id=self.worker_combo.currentData() or None,
            date_from=self.from_edit.value() if self.from_check.isChecked() else None,
            date_to=self.to_edit.value() if self.to_check.isChecked() else None,
            theme_id=self.theme_combo.currentData() or None,
            include_confidential=self.confidential_check.isChecked(),
            include_places=self.places_check.isChecked(),
        )

    def run_search(self) -> None:
        """Search now with what the dialog holds, and show what was found."""
        self._timer.stop()
        request = self.request()
        self.error_label.hide()
        if not request.query.strip() and not request.filtered:
            self.model.set_rows([])
            self.summary.setText(
                "Type words to find in the records (issues, decisions, actions, references…), "
                "or choose a filter."
            )
            return
        if request.date_from and request.date_to and request.date_from > request.date_to:
            self.model.set_rows([])
            self._show_error("The “From” date is after the “To” date. Change one of them.")
            return
        try:
            hits = self._ctx.search.search_sessions(
                request.query,
                type_=request.type_,
                worker_id=request.worker_id,
                date_from=request.date_from,
                date_to=request.date_to,
                theme_id=request.theme_id,
                include_confidential=request.include_confidential,
                include_places=request.include_places,
            )
        except KeelError as exc:
            self.model.set_rows([])
            self._show_error(f"The search could not run: {exc}")
            return
        self.model.set_rows(hits)
        self.summary.setText(self._summary(request, len(hits)))
        if hits:
            self.view.setCurrentIndex(self.proxy.index(0, 0))

    def hits(self) -> list[SearchHit]:
        """The results in the order shown."""
        return [self.proxy.index(r, 0).data(OBJECT_ROLE) for r in range(self.proxy.rowCount())]

    def focus_query(self) -> None:
        self.query_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.query_edit.selectAll()

    # Internals ------------------------------------------------------------------------------

    def _summary(self, request: SearchRequest, found: int) -> str:
        words = request.query.strip()
        asked = [
            what
            for what, on in (
                ("places", request.include_places),
                ("confidential notes", request.include_confidential),
            )
            if on
        ]
        where = f" ({' and '.join(asked)} included)" if asked else ""
        if found == 0:
            if words:
                hint = "" if request.include_places else " or tick Include places"
                return (
                    f"No session mentions “{words}”{where}. Try fewer or shorter words{hint}, "
                    "or clear a filter."
                )
            return "No session matches these filters."
        noun = "session" if found == 1 else "sessions"
        if words:
            return (
                f"{found} {noun} mention “{words}”{where}: what was discussed, decided or agreed "
                "first, recent first."
            )
        return f"{found} {noun} match the filters, newest first."

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()
        self.summary.setText("")

    def _open_index(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        hit = index.siblingAtColumn(0).data(OBJECT_ROLE)
        if isinstance(hit, SearchHit):
            self.session_open_requested.emit(hit.session_id)

    @staticmethod
    def _refill(combo: QComboBox, items: list[tuple[str, str]]) -> None:
        """Replace the items, keeping the current choice when it still exists."""
        current = combo.currentData() if combo.count() else ANY
        with QSignalBlocker(combo):
            combo.clear()
            for text, data in items:
                combo.addItem(text, data)
            found = combo.findData(current)
            combo.setCurrentIndex(max(found, 0))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.focus_query()
