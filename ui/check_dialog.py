"""Data → Check…: check the database alone, or also against one of its backups.

Against a backup, the backup's audit trail must be the beginning of the database's: entries
deleted from the end of the database's trail, or rewritten, since the backup was made are named
(``keel check --against BACKUP`` on the command line). The list holds this database's own
backups, newest first; *Choose another file…* adds any other file.

Imported when the check is asked for, not to show the main window.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.backup_files import backup_time, format_when
from ui.restore_dialogs import _kind, _read_only_table, _size


class CheckDialog(QDialog):
    """What to check; ``backup()`` is the backup chosen to check against (None: the database
    alone)."""

    def __init__(
        self, backups: list[Path], folder: Path, database: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Check the database")
        self.setAccessibleName("Check the database")
        self.resize(680, 440)
        self._backups = list(backups)
        self._folder = folder
        intro = QLabel(
            f"Keel reads every page of {database}, the references between records, the audit "
            "trail and its witness, the signed records and every other piece of evidence, and "
            "the protections. Nothing is changed."
        )
        intro.setWordWrap(True)
        self.alone = QRadioButton("Check this &database")
        self.against = QRadioButton("Check it &against a backup too")
        self.against.setToolTip(
            "The backup's audit trail must be the beginning of the database's: entries "
            "deleted or rewritten since the backup was made are named."
        )
        group = QButtonGroup(self)
        group.addButton(self.alone)
        group.addButton(self.against)
        self.alone.setChecked(True)
        explain = QLabel(
            "A backup shows whether audit entries were deleted from the end of the trail, or "
            "rewritten, after it was made — something the database alone cannot show."
        )
        explain.setWordWrap(True)
        self.table = _read_only_table(0, ["Made", "Kind", "Size"], f"Backups of {database}")
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.other_button = QPushButton("Choose another &file…")
        self.other_button.clicked.connect(self._choose_other)
        self.none_label = QLabel(f"There is no backup of {database} in {folder} yet.")
        self.none_label.setWordWrap(True)
        for path in self._backups:
            self._add_row(path)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.check_button = QPushButton("&Check")
        self.check_button.setDefault(True)
        buttons.addButton(self.check_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.check_button.clicked.connect(self.accept)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.none_label, 1)
        row.addWidget(self.other_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.alone)
        layout.addWidget(self.against)
        layout.addWidget(explain)
        layout.addWidget(self.table)
        layout.addLayout(row)
        layout.addWidget(buttons)
        self.against.toggled.connect(self._update)
        self.table.itemSelectionChanged.connect(self._update)
        self.table.doubleClicked.connect(lambda _index: self._pick_and_check())
        if self._backups:
            self.table.selectRow(0)
        self._update()

    def _add_row(self, path: Path, row: int | None = None) -> None:
        row = self.table.rowCount() if row is None else row
        self.table.insertRow(row)
        when = backup_time(path)
        made = format_when(when) if when is not None else path.name
        for column, text in enumerate((made, _kind(path), _size(path))):
            item = QTableWidgetItem(text)
            item.setToolTip(str(path))
            self.table.setItem(row, column, item)

    def _update(self) -> None:
        on = self.against.isChecked()
        self.table.setEnabled(on)
        self.other_button.setEnabled(on)
        self.none_label.setVisible(on and not self._backups)
        self.check_button.setEnabled(not on or self.backup() is not None)

    def _pick_and_check(self) -> None:
        if self.backup() is not None:
            self.accept()

    def choose(self, path: Path) -> None:
        """Check against ``path`` (a file chosen elsewhere): added to the list and selected."""
        if path not in self._backups:
            self._backups.insert(0, path)
            self._add_row(path, 0)
        self.against.setChecked(True)
        self.table.selectRow(self._backups.index(path))
        self._update()

    def _choose_other(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        chosen, _ = QFileDialog.getOpenFileName(
            self,
            "Check against a backup",
            str(self._folder),
            "Keel backups (*.db *.keelenc);;All files (*)",
        )
        if chosen:
            self.choose(Path(chosen))

    def backup(self) -> Path | None:
        """The backup to check against, or None for the database alone."""
        if not self.against.isChecked():
            return None
        rows = self.table.selectionModel().selectedRows()
        return self._backups[rows[0].row()] if rows else None
