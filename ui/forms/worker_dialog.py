"""Add or edit a worker, and ask the date someone left."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from app.domain.model import Employment, TypeKey, Worker
from app.errors import KeelError
from ui.context import AppContext
from ui.widgets.dates import DateEdit
from ui.widgets.focus import set_tab_order

NONE_LABEL = "— none —"
EMPLOYMENT_LABELS = {
    Employment.PERMANENT: "Permanent",
    Employment.BANK: "Bank",
    Employment.AGENCY: "Agency",
    Employment.STUDENT: "Student",
}


def _label_for(field: QWidget, text: str) -> QLabel:
    label = QLabel(text)
    label.setBuddy(field)
    return label


class WorkerDialog(QDialog):
    """Add (``worker`` None) or edit a worker. On OK the worker is saved via the service."""

    def __init__(
        self, ctx: AppContext, worker: Worker | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._original = worker
        self.saved_worker: Worker | None = None
        self.setWindowTitle(f"Edit {worker.name}" if worker else "Add worker")
        self.setMinimumWidth(480)
        self._build()
        self._fill(worker)

    def _build(self) -> None:
        self.name_edit = QLineEdit()
        self.name_edit.setAccessibleName("Name")
        self.name_edit.setPlaceholderText("Required")
        self.staff_id_edit = QLineEdit()
        self.staff_id_edit.setAccessibleName("Staff ID")
        self.staff_id_edit.setPlaceholderText("Optional, must be unique")
        self.role_edit = QLineEdit()
        self.role_edit.setAccessibleName("Role")
        self.role_edit.setPlaceholderText("e.g. Community psychiatric nurse")
        self.team_combo = QComboBox()
        self.team_combo.setEditable(True)
        self.team_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.team_combo.setAccessibleName("Team")
        teams = sorted(
            {w.team for w in self._ctx.workers.all(include_left=True) if w.team}, key=str.casefold
        )
        self.team_combo.addItems(teams)
        self.start_edit = DateEdit(self._ctx.today())
        self.start_edit.setAccessibleName("Start date in post")
        self.start_unknown = QCheckBox("Not known")
        self.start_unknown.setAccessibleName("Start date not known")
        self.start_unknown.toggled.connect(lambda on: self.start_edit.setEnabled(not on))
        start_row = QHBoxLayout()
        start_row.addWidget(self.start_edit, 1)
        start_row.addWidget(self.start_unknown)
        self.employed_edit = DateEdit(self._ctx.today())
        self.employed_edit.setAccessibleName("Employment start date")
        self.employed_unknown = QCheckBox("Not recorded")
        self.employed_unknown.setAccessibleName("Employment start date not recorded")
        self.employed_unknown.toggled.connect(lambda on: self.employed_edit.setEnabled(not on))
        self.employed_unknown.setChecked(True)
        employed_row = QHBoxLayout()
        employed_row.addWidget(self.employed_edit, 1)
        employed_row.addWidget(self.employed_unknown)
        self.employment_combo = QComboBox()
        self.employment_combo.setAccessibleName("Employment")
        for employment, label in EMPLOYMENT_LABELS.items():
            self.employment_combo.addItem(label, employment.value)
        self.profession_edit = QLineEdit()
        self.profession_edit.setAccessibleName("Registered profession")
        self.profession_edit.setPlaceholderText("Optional, e.g. Nursing (NMC)")
        self.line_combo = QComboBox()
        self.line_combo.setAccessibleName("Line supervisor")
        self.clinical_combo = QComboBox()
        self.clinical_combo.setAccessibleName("Clinical supervisor")
        self.qualified_check = QCheckBox("May give clinical supervision (suitably qualified)")
        self.qualified_check.setAccessibleName("May give clinical supervision")
        self.qa_check = QCheckBox("QA reviewer (countersigns other people's signed records)")
        self.qa_check.setAccessibleName("QA reviewer")
        self.qa_check.setToolTip(
            "A manager who samples signed supervision records and countersigns them with "
            "comments, for quality assurance."
        )
        # One box per supervision type in use; a new worker starts with the policy's defaults.
        self.requires_checks: dict[TypeKey, QCheckBox] = {}
        requires_row = QGridLayout()
        for n, spec in enumerate(self._ctx.catalogue.active):
            check = QCheckBox(spec.name)
            check.setAccessibleName(f"Role requires {spec.name}")
            check.setChecked(spec.required_by_default)
            self.requires_checks[spec.key] = check
            requires_row.addWidget(check, n // 3, n % 3)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(_label_for(self.name_edit, "&Name"), self.name_edit)
        form.addRow(_label_for(self.staff_id_edit, "Staff &ID"), self.staff_id_edit)
        form.addRow(_label_for(self.role_edit, "&Role"), self.role_edit)
        form.addRow(_label_for(self.team_combo, "&Team"), self.team_combo)
        form.addRow(_label_for(self.start_edit, "&Start date in post"), start_row)
        form.addRow(_label_for(self.employed_edit, "Emplo&yed since"), employed_row)
        form.addRow(_label_for(self.employment_combo, "&Employment"), self.employment_combo)
        form.addRow(_label_for(self.profession_edit, "&Profession"), self.profession_edit)
        form.addRow(_label_for(self.line_combo, "&Line supervisor"), self.line_combo)
        form.addRow(_label_for(self.clinical_combo, "&Clinical supervisor"), self.clinical_combo)
        form.addRow("", self.qualified_check)
        form.addRow("", self.qa_check)
        form.addRow(QLabel("Role requires"), requires_row)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

        order: list[QWidget] = [
            self.name_edit, self.staff_id_edit, self.role_edit, self.team_combo,
            self.start_edit, self.start_unknown, self.employed_edit, self.employed_unknown,
            self.employment_combo, self.profession_edit,
            self.line_combo, self.clinical_combo, self.qualified_check, self.qa_check,
            *self.requires_checks.values(), self.buttons,
        ]  # fmt: skip
        set_tab_order(*order)

    def _fill(self, worker: Worker | None) -> None:
        own_id = worker.id if worker else None
        candidates = [w for w in self._ctx.workers.all() if w.id != own_id]
        # Keep a current supervisor who has since left, so editing does not silently drop them.
        for sup_id in (worker.line_supervisor_id, worker.clinical_supervisor_id) if worker else ():
            if sup_id and all(c.id != sup_id for c in candidates):
                sup = self._ctx.workers.get(sup_id)
                if sup is not None:
                    candidates.append(sup)
        for combo in (self.line_combo, self.clinical_combo):
            combo.addItem(NONE_LABEL, None)
            for c in candidates:
                suffix = " (left)" if c.left_on else ""
                combo.addItem(f"{c.name}{suffix}", c.id)
        if worker is None:
            self.team_combo.setCurrentIndex(-1)
            self.team_combo.setEditText("")
            return
        self.name_edit.setText(worker.name)
        self.staff_id_edit.setText(worker.staff_id or "")
        self.role_edit.setText(worker.role)
        self.team_combo.setEditText(worker.team)
        if worker.start_date is None:
            self.start_unknown.setChecked(True)
        else:
            self.start_edit.set_date(worker.start_date)
        self.employed_unknown.setChecked(worker.employment_start is None)
        if worker.employment_start is not None:
            self.employed_edit.set_date(worker.employment_start)
        self.employment_combo.setCurrentIndex(
            max(self.employment_combo.findData(worker.employment.value), 0)
        )
        self.profession_edit.setText(worker.profession)
        self.line_combo.setCurrentIndex(max(self.line_combo.findData(worker.line_supervisor_id), 0))
        self.clinical_combo.setCurrentIndex(
            max(self.clinical_combo.findData(worker.clinical_supervisor_id), 0)
        )
        self.qualified_check.setChecked(worker.qualified_clinical)
        self.qa_check.setChecked(self._ctx.qa.is_reviewer(worker.id))
        for type_, check in self.requires_checks.items():
            check.setChecked(type_ in worker.requires)

    def worker(self) -> Worker:
        """The worker as the form describes it (not yet saved)."""
        base = self._original or Worker(id="", name="")
        line = self.line_combo.currentData()
        clinical = self.clinical_combo.currentData()
        return replace(
            base,
            name=self.name_edit.text().strip(),
            staff_id=self.staff_id_edit.text().strip() or None,
            role=self.role_edit.text().strip(),
            team=self.team_combo.currentText().strip(),
            start_date=None if self.start_unknown.isChecked() else self.start_edit.value(),
            employment=Employment(self.employment_combo.currentData()),
            employment_start=(
                None if self.employed_unknown.isChecked() else self.employed_edit.value()
            ),
            profession=self.profession_edit.text().strip(),
            line_supervisor_id=line if isinstance(line, str) else None,
            clinical_supervisor_id=clinical if isinstance(clinical, str) else None,
            qualified_clinical=self.qualified_check.isChecked(),
            # A retired type the worker still has stays as it was (no box shows it).
            requires=frozenset(t for t, c in self.requires_checks.items() if c.isChecked())
            | (base.requires - set(self.requires_checks) if self._original else frozenset()),
        )

    def _problem(self, worker: Worker) -> tuple[str, QWidget] | None:
        if not worker.name:
            return "Type the worker's name.", self.name_edit
        if not worker.requires & set(self.requires_checks):
            first = next(iter(self.requires_checks.values()), self.name_edit)
            return "Tick at least one type of supervision the role requires.", first
        return None

    def accept(self) -> None:
        worker = self.worker()
        problem = self._problem(worker)
        if problem is not None:
            message, field = problem
            QMessageBox.warning(self, "Worker not saved", message)
            field.setFocus()
            return
        try:
            self.saved_worker = self._ctx.qa.save_worker(worker, reviewer=self.qa_check.isChecked())
        except KeelError as exc:
            QMessageBox.warning(self, "Worker not saved", str(exc))
            return
        super().accept()


class LeftDateDialog(QDialog):
    """Ask the date someone left the service."""

    def __init__(self, name: str, default: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Mark as left")
        text = QLabel(
            f"{name} will be hidden from the scheduler and the workers list from this date. "
            "Their records are kept, and you can reinstate them later."
        )
        text.setTextFormat(Qt.TextFormat.PlainText)
        text.setWordWrap(True)
        self.date_edit = DateEdit(default)
        self.date_edit.setAccessibleName("Date left")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Mark as left")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(_label_for(self.date_edit, "&Left on"), self.date_edit)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.setMinimumWidth(380)


def ask_left_date(name: str, default: date, parent: QWidget | None = None) -> date | None:
    """The date ``name`` left, or None if the user cancelled."""
    dialog = LeftDateDialog(name, default, parent)
    try:
        return dialog.date_edit.value() if dialog.exec() else None
    finally:
        dialog.deleteLater()
