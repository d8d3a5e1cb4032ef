"""Restoring a backup: the list of this database's backups, and the confirmation that shows the
backup beside the current data.

The list holds only the open database's own backups (and the safety copies made before its
restores), newest first; *Choose another file…* opens any file. The confirmation is the same
for every restore: the backup and the current data side by side (name, workers, sessions,
signed records, last change). A backup of another database is said in red, and Restore stays
disabled until a second, explicit confirmation is ticked.

Imported when a restore is asked for, not to show the main window.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.backup_files import (
    ENCRYPTED_SUFFIX,
    SAFETY_PREFIX,
    backup_time,
    format_when,
)
from app.services.restore_compare import Comparison


def _size(path: Path) -> str:
    try:
        size = path.stat().st_size
    except OSError:
        return "?"
    return f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{max(1, size // 1024)} KB"


def _kind(path: Path) -> str:
    kind = "Safety copy before a restore" if path.name.startswith(SAFETY_PREFIX) else "Backup"
    return kind + (", encrypted" if path.name.endswith(ENCRYPTED_SUFFIX) else "")


def _read_only_table(rows: int, headers: list[str], name: str) -> QTableWidget:
    table = QTableWidget(rows, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setAccessibleName(name)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setTabKeyNavigation(False)  # one Tab stop: arrows move inside, Tab leaves
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class RestoreChooser(QDialog):
    """This database's backups, newest first; ``chosen`` is the file to restore."""

    def __init__(
        self, backups: list[Path], folder: Path, database: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Restore from a backup")
        self.setAccessibleName("Restore from a backup")
        self.resize(640, 380)
        self.chosen: Path | None = None
        self._backups = backups
        intro = QLabel(
            f"Backups of {database} in {folder}, newest first."
            if backups
            else f"There is no backup of {database} in {folder} yet."
        )
        intro.setWordWrap(True)
        self.table = _read_only_table(
            len(backups), ["Made", "Kind", "Size"], f"Backups of {database}"
        )
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        for row, path in enumerate(backups):
            for column, text in enumerate(
                (format_when(backup_time(path)), _kind(path), _size(path))
            ):
                item = QTableWidgetItem(text)
                item.setToolTip(str(path))
                self.table.setItem(row, column, item)
        self.table.doubleClicked.connect(lambda _index: self._restore_selected())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.restore_button = QPushButton("&Restore…")
        self.other_button = QPushButton("Choose another &file…")
        buttons.addButton(self.restore_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.other_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.restore_button.clicked.connect(self._restore_selected)
        self.other_button.clicked.connect(self._choose_other)
        buttons.rejected.connect(self.reject)
        self.restore_button.setEnabled(bool(backups))
        self.restore_button.setDefault(bool(backups))
        self._folder = folder
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        if backups:
            self.table.selectRow(0)
            self.table.setFocus()

    def _restore_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.chosen = self._backups[rows[0].row()]
            self.accept()

    def _choose_other(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        chosen, _ = QFileDialog.getOpenFileName(
            self,
            "Restore from a backup",
            str(self._folder),
            "Keel backups (*.db *.keelenc);;All files (*)",
        )
        if chosen:
            self.chosen = Path(chosen)
            self.accept()


class RestoreConfirmation(QDialog):
    """The backup beside the current data; Restore needs a second confirmation when the backup
    is of another database."""

    def __init__(
        self,
        comparison: Comparison,
        made: datetime | None,
        source: Path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Restore this backup?")
        self.setAccessibleName("Restore this backup?")
        self.setMinimumWidth(600)
        self.comparison = comparison
        question = QLabel(
            f"Replace all the data in Keel with the backup of {format_when(made)}?\n{source}"
        )
        question.setWordWrap(True)
        question.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        rows = comparison.rows()
        self.table = _read_only_table(
            len(rows), ["", "This backup", "Your data now"], "The backup beside your data now"
        )
        for row, (what, backup, current) in enumerate(rows):
            for column, text in enumerate((what, backup, current)):
                item = QTableWidgetItem(text)
                if column == 0:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, column, item)
        self.table.setFixedHeight(
            self.table.horizontalHeader().height()
            + sum(self.table.rowHeight(r) for r in range(len(rows)))
            + 2 * self.table.frameWidth()
        )
        layout = QVBoxLayout(self)
        layout.addWidget(question)
        layout.addWidget(self.table)
        self.warning_label: QLabel | None = None
        self.second_confirmation: QCheckBox | None = None
        warning = comparison.warning()
        if warning:
            self.warning_label = QLabel(warning)
            self.warning_label.setWordWrap(True)
            self.warning_label.setAccessibleName(warning)
            if comparison.another_database:
                self.warning_label.setStyleSheet("color: #7a1010; font-weight: bold;")
            layout.addWidget(self.warning_label)
        safety = QLabel("A safety copy of your current data is made first, in the backup folder.")
        safety.setWordWrap(True)
        layout.addWidget(safety)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.restore_button = QPushButton("&Restore")
        buttons.addButton(self.restore_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.restore_button.clicked.connect(self.accept)
        buttons.rejected.connect(self.reject)
        if comparison.another_database:
            assert comparison.current is not None
            self.second_confirmation = QCheckBox(
                f"Yes, replace the data of {comparison.current.name} with this backup of "
                f"another database ({comparison.backup.name})"
            )
            self.second_confirmation.toggled.connect(self.restore_button.setEnabled)
            self.restore_button.setEnabled(False)
            layout.addWidget(self.second_confirmation)
        layout.addWidget(buttons)
        # Cancel is the default: Enter never replaces data by itself.
        cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.restore_button.setAutoDefault(False)
        cancel.setDefault(True)
        cancel.setFocus()
