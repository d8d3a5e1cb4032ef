"""Manage the service's themes: the seeded list plus its own (add, rename, retire, restore).

Retiring keeps history: a retired theme stays on every record that used it and in past
counts, but is no longer offered for new tagging. Renaming changes the label everywhere (the
same concept); when the meaning changes, retire the theme and add a new one. The rules live
in ``app.services.themes``; this dialog asks and shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.dates import uk
from app.errors import KeelError
from app.services.themes import Theme, ThemeUsage
from ui.context import AppContext
from ui.forms.common_sections import CheckList
from ui.models.worker_models import OBJECT_ROLE, SORT_ROLE, Column, RowTableModel


def _status(u: ThemeUsage) -> str:
    if u.theme.active:
        return "In use (seeded)" if u.theme.seeded else "In use (added here)"
    return f"Retired {uk(u.theme.retired_on)}"


class ThemeUsageModel(RowTableModel[ThemeUsage]):
    """Themes with how often they are used. ``OBJECT_ROLE`` gives the ``ThemeUsage``."""

    columns = (
        Column[ThemeUsage]("Theme", lambda u: u.theme.name, lambda u: u.theme.name.casefold()),
        Column[ThemeUsage](
            "Status", _status, lambda u: f"{not u.theme.active:d}{u.theme.name.casefold()}"
        ),
        Column[ThemeUsage](
            "Sessions", lambda u: str(u.sessions), lambda u: u.sessions, align_right=True
        ),
        Column[ThemeUsage](
            "Decisions", lambda u: str(u.decisions), lambda u: u.decisions, align_right=True
        ),
        Column[ThemeUsage](
            "Last used",
            lambda u: uk(u.last_used, "never"),
            lambda u: u.last_used.isoformat() if u.last_used else "",
        ),
    )

    def row_of(self, theme_id: str) -> int:
        return next((n for n, u in enumerate(self.rows()) if u.theme.id == theme_id), -1)

    def extra_data(self, row: ThemeUsage, column: int, role: int) -> Any:
        """Retired themes in grey (the Status column says so in words)."""
        if role == Qt.ItemDataRole.ForegroundRole and not row.theme.active:
            return QColor("#666666")
        return None


class ThemesDialog(QDialog):
    """The controlled list of themes, with usage counts; add, rename, retire and restore."""

    themes_changed = Signal()
    """A theme was added, renamed, retired or restored (forms and filters may refresh)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._themes = ctx.themes
        self._today = ctx.today
        self.setWindowTitle("Manage themes")
        self.setAccessibleName("Manage themes")
        self.model = ThemeUsageModel(parent=self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self._build()
        self._connect()
        self.reload()
        self.resize(760, 520)

    def _build(self) -> None:
        intro = QLabel(
            "Themes tag sessions and single decisions, and feed trend alerts and the MDT "
            "agenda. Retiring a theme keeps it on every record that used it and in past "
            "counts; it is just no longer offered for new records."
        )
        intro.setWordWrap(True)
        self.show_retired = QCheckBox("Show &retired themes")
        self.show_retired.setAccessibleName("Show retired themes")
        self.show_retired.setChecked(True)
        self.view = QTableView()
        self.view.setTabKeyNavigation(False)  # one Tab stop: arrows move inside
        self.view.setModel(self.proxy)
        self.view.setAccessibleName("Themes")
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().hide()
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        metrics = self.view.fontMetrics()
        for column, sample in enumerate(
            ("", "Retired 26 Nov 2026", "Sessions", "Decisions", "26 Nov 2026"), start=0
        ):
            if sample:
                header.resizeSection(column, metrics.horizontalAdvance(sample) + 24)

        self.add_button = QPushButton("&Add…")
        self.add_button.setAccessibleName("Add a theme")
        self.rename_button = QPushButton("Re&name…")
        self.rename_button.setAccessibleName("Rename the selected theme")
        self.retire_button = QPushButton("Re&tire")
        self.retire_button.setAccessibleName("Retire the selected theme")
        self.restore_button = QPushButton("Re&store")
        self.restore_button.setAccessibleName("Restore the selected theme")
        self.close_button = QPushButton("Close")
        self.close_button.setAccessibleName("Close")
        buttons = QHBoxLayout()
        for button in (self.add_button, self.rename_button, self.retire_button,
                       self.restore_button):  # fmt: skip
            button.setAutoDefault(False)
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.show_retired)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    def _connect(self) -> None:
        self.show_retired.toggled.connect(lambda _on: self.reload())
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.proxy.modelReset.connect(self._update_buttons)
        self.view.activated.connect(lambda _i: self.rename_selected())
        self.add_button.clicked.connect(self.add)
        self.rename_button.clicked.connect(self.rename_selected)
        self.retire_button.clicked.connect(self.retire_selected)
        self.restore_button.clicked.connect(self.restore_selected)
        self.close_button.clicked.connect(self.accept)

    # Public -------------------------------------------------------------------------------

    def reload(self, select: str | None = None) -> None:
        """Read the themes and their usage again; keep (or move) the selection."""
        chosen = self.selected()
        keep = select or (chosen.id if chosen is not None else None)
        try:
            rows = self._themes.theme_usage(
                include_retired=self.show_retired.isChecked(),
            )
        except KeelError as exc:
            QMessageBox.warning(self, "Themes", f"The themes could not be read: {exc}")
            return
        self.model.set_rows(rows)
        if keep:
            self.select(keep)

    def select(self, theme_id: str) -> bool:
        row = self.model.row_of(theme_id)
        if row < 0:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index)
        return True

    def selected(self) -> Theme | None:
        index = self.view.currentIndex()
        if not index.isValid() or not self.view.selectionModel().hasSelection():
            return None
        usage = index.siblingAtColumn(0).data(OBJECT_ROLE)
        return usage.theme if isinstance(usage, ThemeUsage) else None

    def add(self) -> None:
        name, ok = QInputDialog.getText(
            self, "Add a theme", "Name of the new theme:", QLineEdit.EchoMode.Normal, ""
        )
        if not ok:
            return
        theme = self._try(lambda: self._themes.add_theme(name))
        if isinstance(theme, Theme):
            self._changed(theme.id)

    def rename_selected(self) -> None:
        theme = self.selected()
        if theme is None:
            return
        name, ok = QInputDialog.getText(
            self,
            "Rename a theme",
            "New name (every record tagged with it shows the new name; if the meaning "
            "changes, retire it and add a new theme instead):",
            QLineEdit.EchoMode.Normal,
            theme.name,
        )
        if not ok or name.strip() == theme.name:
            return
        renamed = self._try(lambda: self._themes.rename_theme(theme.id, name))
        if isinstance(renamed, Theme):
            self._changed(theme.id)

    def retire_selected(self) -> None:
        theme = self.selected()
        if theme is None or not theme.active:
            return
        usage = self.model.row_at(self.model.row_of(theme.id))
        used = (
            f"It stays on the {usage.sessions} session{'s' if usage.sessions != 1 else ''} "
            "that used it and in past counts"
            if usage.sessions
            else "It has not been used yet"
        )
        answer = QMessageBox.question(
            self,
            "Retire a theme",
            f"Retire “{theme.name}”? {used}, but it will no longer be offered for new "
            "records. You can restore it later.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        today = self._today()
        retired = self._try(lambda: self._themes.retire_theme(theme.id, today))
        if isinstance(retired, Theme):
            self._changed(theme.id)

    def restore_selected(self) -> None:
        theme = self.selected()
        if theme is None or theme.active:
            return
        restored = self._try(lambda: self._themes.restore_theme(theme.id))
        if isinstance(restored, Theme):
            self._changed(theme.id)

    # Internals ----------------------------------------------------------------------------

    def _try(self, work: Callable[[], object]) -> object | None:
        try:
            return work()
        except KeelError as exc:
            QMessageBox.warning(self, "Themes", str(exc))
            return None

    def _changed(self, theme_id: str) -> None:
        self.reload(select=theme_id)
        self.themes_changed.emit()

    def _update_buttons(self) -> None:
        theme = self.selected()
        self.rename_button.setEnabled(theme is not None)
        self.retire_button.setEnabled(theme is not None and theme.active)
        self.restore_button.setEnabled(theme is not None and not theme.active)


class DecisionThemesDialog(QDialog):
    """Tick the themes one decision or piece of guidance raises (the session form's
    decisions table). ``themes`` are (id, name) pairs: the active themes plus retired ones the
    record already carries."""

    def __init__(
        self,
        decision_text: str,
        themes: Sequence[tuple[str, str]],
        checked: Sequence[str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Themes of this decision")
        self.setAccessibleName("Themes of this decision")
        what = QLabel(
            f"Which themes does this decision raise?\n“{decision_text.strip() or 'No text yet'}”"
        )
        what.setTextFormat(Qt.TextFormat.PlainText)
        what.setWordWrap(True)
        self.list = CheckList("Themes of this decision", parent=self)
        self.list.model.set_items(list(themes))
        self.list.model.set_checked(list(checked))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        layout = QVBoxLayout(self)
        layout.addWidget(what)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)
        self.resize(460, 420)

    def chosen(self) -> list[str]:
        """The ticked theme ids, in list order."""
        return self.list.model.checked()


def ask_decision_themes(
    parent: QWidget, decision_text: str, themes: Sequence[tuple[str, str]], checked: Sequence[str]
) -> list[str] | None:
    """The themes chosen for one decision, or None when the user cancels."""
    dialog = DecisionThemesDialog(decision_text, themes, checked, parent)
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    chosen = dialog.chosen()
    dialog.deleteLater()
    return chosen if accepted else None
