"""Supervision agreements on the worker page: the current one, its history, and the dialog
that records a new one or corrects the current one.

An agreement names, for each supervision type of the service's catalogue (a type the service
adds gets its own row), the supervisor or facilitator and the agreed frequency; how long a session lasts, where it happens, what is recorded and who can see it,
the start date and the review date. A new agreement ends the current one (kept as history);
"Edit" corrects the current one in place (for example to move its review date). A review
falling due shows on the scheduler. Rules: ``app.domain.agreements``,
``app.services.agreements``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.dates import uk
from app.domain.agreements import AgreedType, Agreement, review_reason, review_status
from app.domain.catalogue import SupervisorRole
from app.domain.model import TypeKey, Worker
from app.errors import KeelError
from ui.context import AppContext
from ui.models.worker_models import Column, RowTableModel
from ui.widgets.dates import DateEdit
from ui.widgets.status_style import BACKGROUND, FOREGROUND, status_text

NOBODY = ""  # item data of "Nobody named" (never None: see ui/models/schedule_model.py)
REVIEW_AFTER_DAYS = 365  # a new agreement's review date defaults to a year on


def every_text(days: int | None) -> str:
    """ "every 28 days (4 weeks)" or "not agreed"."""
    if days is None:
        return "not agreed"
    if days % 7 == 0:
        weeks = days // 7
        return f"every {days} days ({weeks} week{'s' if weeks != 1 else ''})"
    return f"every {days} day{'s' if days != 1 else ''}"


def _spin(name: str, suffix: str, maximum: int, special: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(0, maximum)
    spin.setSuffix(suffix)
    spin.setSpecialValueText(special)
    spin.setAccessibleName(name)
    spin.setMinimumWidth(130)
    return spin


def _plain_edit(name: str, placeholder: str) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setAccessibleName(name)
    edit.setPlaceholderText(placeholder)
    edit.setTabChangesFocus(True)
    edit.setFixedHeight(edit.fontMetrics().lineSpacing() * 3 + 14)
    return edit


class AgreementDialog(QDialog):
    """Record a new agreement for a worker, or correct the current one (``editing``)."""

    def __init__(
        self,
        ctx: AppContext,
        worker: Worker,
        *,
        start_from: Agreement | None = None,
        editing: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._worker = worker
        self._editing = editing and start_from is not None
        self._original = start_from if self._editing else None
        self.saved: Agreement | None = None
        title = (
            "Correct the supervision agreement" if self._editing else "New supervision agreement"
        )
        self.setWindowTitle(f"{title} — {worker.name}")
        self.setAccessibleName(title)
        self._build(start_from)
        self.resize(640, self.sizeHint().height())

    def _build(self, start_from: Agreement | None) -> None:
        today = self._ctx.today()
        intro = QLabel(
            "Correct the agreement in force (no new version is made)."
            if self._editing
            else "A new agreement replaces the current one, which is kept as history."
        )
        intro.setWordWrap(True)
        people = [w for w in self._ctx.workers.all() if w.id != self._worker.id]
        # One row per supervision type of the service's catalogue (and any retired type the
        # agreement already names): who supervises it, how often.
        catalogue = self._ctx.catalogue
        keys = list(catalogue.active_keys)
        if start_from is not None:
            keys += [t.type for t in start_from.types if t.type not in keys and not t.empty]
        self.type_rows: dict[TypeKey, tuple[QComboBox, QSpinBox]] = {}
        for key in keys:
            type_name = catalogue.spec(key).label
            lead = "facilitator" if catalogue.spec(key).is_group else "supervisor"
            self.type_rows[key] = (
                self._person_combo(f"{type_name}: {lead}", people),
                _spin(f"Agreed {type_name.lower()} frequency in days", " days", 365, "not agreed"),
            )
        self.duration = _spin("Agreed duration in minutes", " minutes", 480, "not agreed")
        self.location = QLineEdit()
        self.location.setAccessibleName("Where supervision happens")
        self.location.setPlaceholderText("e.g. Room 2, Ashby House; video when working remotely")
        self.recorded = _plain_edit(
            "What is recorded and where",
            "e.g. issues, decisions and actions in Keel; reflective notes kept confidential",
        )
        self.access = _plain_edit(
            "Who can see the record",
            "e.g. the supervisee, both supervisors and the service manager; confidential "
            "notes only the supervisee and clinical supervisor",
        )
        self.starts = DateEdit(today)
        self.starts.setAccessibleName("Start date")
        self.review = DateEdit(today + timedelta(days=REVIEW_AFTER_DAYS))
        self.review.setAccessibleName("Review date")

        people_box = QGroupBox("Supervisors and how often")
        people_grid = QGridLayout(people_box)
        for column, text in enumerate(("Type", "Supervisor or facilitator", "Every")):
            heading = QLabel(f"<b>{text}</b>")
            people_grid.addWidget(heading, 0, column)
        for row, (key, (combo, spin)) in enumerate(self.type_rows.items(), start=1):
            type_label = QLabel(catalogue.spec(key).label + ":")
            type_label.setTextFormat(Qt.TextFormat.PlainText)
            type_label.setBuddy(combo)
            people_grid.addWidget(type_label, row, 0)
            people_grid.addWidget(combo, row, 1)
            people_grid.addWidget(spin, row, 2)
        people_grid.setColumnStretch(1, 1)
        often_box = QGroupBox("How long")
        often = QGridLayout(often_box)
        duration_label = QLabel("&Duration:")
        duration_label.setBuddy(self.duration)
        often.addWidget(duration_label, 0, 0)
        often.addWidget(self.duration, 0, 1)
        often.setColumnStretch(2, 1)
        terms = QFormLayout()
        terms.addRow("&Where:", self.location)
        terms.addRow("What is &recorded:", self.recorded)
        terms.addRow("Who can &see it:", self.access)
        dates = QHBoxLayout()
        for text, edit in (("S&tarts:", self.starts), ("Re&view on:", self.review)):
            label = QLabel(text)
            label.setBuddy(edit)
            dates.addWidget(label)
            dates.addWidget(edit)
            dates.addSpacing(12)
        dates.addStretch(1)
        terms.addRow(dates)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setAccessibleName("Save the agreement")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(people_box)
        layout.addWidget(often_box)
        layout.addLayout(terms)
        layout.addWidget(self.buttons)
        self._fill(start_from)
        if self._editing and start_from is not None:
            self.starts.set_date(start_from.starts_on)
            self.review.set_date(start_from.review_on)

    def _person_combo(self, name: str, people: list[Worker]) -> QComboBox:
        combo = QComboBox()
        combo.setAccessibleName(name)
        combo.addItem("Nobody named", NOBODY)
        for person in sorted(people, key=lambda w: w.name.casefold()):
            combo.addItem(person.name, person.id)
        return combo

    def _choose(self, combo: QComboBox, worker_id: str | None) -> None:
        if worker_id and combo.findData(worker_id) < 0:
            person = self._ctx.workers.get(worker_id)
            if person is not None:  # named before they left: still shown
                combo.addItem(f"{person.name} (left)", person.id)
        combo.setCurrentIndex(max(combo.findData(worker_id or NOBODY), 0))

    def _fill(self, start_from: Agreement | None) -> None:
        """Start from the current agreement, else from the worker's record and the rules."""
        if start_from is not None:
            for key, (combo, spin) in self.type_rows.items():
                part = start_from.agreed(key)
                self._choose(combo, part.supervisor_id)
                spin.setValue(part.every_days or 0)
            self.duration.setValue(start_from.duration_minutes or 0)
            self.location.setText(start_from.location)
            self.recorded.setPlainText(start_from.recorded)
            self.access.setPlainText(start_from.access)
            return
        self.duration.setValue(60)
        # Each one-to-one type's supervisor starts from the worker's record (the supervisor
        # who leads that type); each frequency from the interval the risk rules give now.
        intervals = self._rule_intervals()
        catalogue = self._ctx.catalogue
        for key, (combo, spin) in self.type_rows.items():
            spec = catalogue.spec(key)
            if not spec.is_group:
                lead = (
                    self._worker.clinical_supervisor_id
                    if spec.supervisor is SupervisorRole.CLINICAL
                    else None
                ) or self._worker.line_supervisor_id
                self._choose(combo, lead)
            spin.setValue(intervals.get(key) or 0)

    def _rule_intervals(self) -> dict[TypeKey, int]:
        """The intervals the risk rules give this worker now, by the types the worker requires
        (a sensible starting point)."""
        try:
            schedule = self._ctx.schedule.compute_schedule(
                self._ctx.today(), worker_ids=[self._worker.id]
            )
        except KeelError:
            return {}
        return {
            key: found.interval_days
            for row in schedule.rows
            for key, found in row.status.by_type.items()
            if key in self._worker.requires and found.interval_days
        }

    def agreement(self) -> Agreement:
        """The agreement as the dialog holds it (nothing is written)."""
        return Agreement(
            worker_id=self._worker.id,
            starts_on=self.starts.value(),
            review_on=self.review.value(),
            types=tuple(
                part
                for key, (combo, spin) in self.type_rows.items()
                if not (
                    part := AgreedType(key, combo.currentData() or None, spin.value() or None)
                ).empty
            ),
            duration_minutes=self.duration.value() or None,
            location=self.location.text().strip(),
            recorded=self.recorded.toPlainText().strip(),
            access=self.access.toPlainText().strip(),
            id=self._original.id if self._original else "",
        )

    def save(self) -> None:
        """Store the agreement; on a problem say what to do and keep the dialog open."""
        agreement = self.agreement()
        try:
            if self._original is not None:
                self.saved = self._ctx.agreements.update_agreement(
                    replace(agreement, ended_on=self._original.ended_on)
                )
            else:
                self.saved = self._ctx.agreements.save_agreement(agreement)
        except KeelError as exc:
            QMessageBox.warning(self, "Agreement not saved", str(exc))
            return
        self.accept()


class AgreementHistoryModel(RowTableModel[Agreement]):
    """A worker's agreements, current first. Supervisor names come from ``names``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        self.names: dict[str, str] = {}
        self.columns = (
            Column[Agreement](
                "Starts", lambda a: uk(a.starts_on), lambda a: a.starts_on.isoformat()
            ),
            Column[Agreement](
                "Review", lambda a: uk(a.review_on), lambda a: a.review_on.isoformat()
            ),
            Column[Agreement]("Ended", lambda a: uk(a.ended_on, "In force")),
            Column[Agreement]("Supervisors", self._supervisors),
        )

    def _supervisors(self, a: Agreement) -> str:
        names = [self._name(i) for i in dict.fromkeys(a.supervisor_ids())]
        return ", ".join(names) or "—"

    def _name(self, worker_id: str | None) -> str:
        return self.names.get(worker_id, "unknown") if worker_id else "—"


class AgreementPanel(QWidget):
    """The worker page's "Agreement" tab: the agreement in force, its review, the history,
    and buttons for a new agreement or a correction."""

    agreement_saved = Signal(str)
    """worker_id: an agreement was saved (its review may now show on the scheduler)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.worker: Worker | None = None
        self.current: Agreement | None = None
        self._names: dict[str, str] = {}
        self.review_label = QLabel()
        self.review_label.setAccessibleDescription("Agreement review")
        self.review_label.setTextFormat(Qt.TextFormat.PlainText)
        self.review_label.setAutoFillBackground(True)
        self.review_label.setContentsMargins(6, 3, 6, 3)
        self.review_label.setWordWrap(True)
        self.fields: dict[str, QLabel] = {}
        details = QFormLayout()
        details.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        for key, text in (
            ("types", "Who and how often:"),
            ("duration", "Duration:"),
            ("location", "Where:"),
            ("recorded", "What is recorded:"),
            ("access", "Who can see it:"),
            ("dates", "Started / review:"),
        ):
            label = QLabel()
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setAccessibleDescription(text.rstrip(":"))
            self.fields[key] = label
            details.addRow(text, label)
        self.details_box = QGroupBox("Agreement in force")
        self.details_box.setLayout(details)
        self.empty_label = QLabel(
            "No supervision agreement recorded. An agreement sets out who supervises, how "
            "often, for how long, where, what is recorded and who can see it."
        )
        self.empty_label.setWordWrap(True)
        self.new_button = QPushButton("&New agreement…")
        self.new_button.setAccessibleName("New supervision agreement")
        self.edit_button = QPushButton("Correct the current &one…")
        self.edit_button.setAccessibleName("Correct the current agreement")
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.edit_button)
        buttons.addStretch(1)
        self.history_model = AgreementHistoryModel(self)
        self.history = QTableView()
        self.history.setTabKeyNavigation(False)  # one Tab stop: arrows move inside
        self.history.setModel(self.history_model)
        self.history.setAccessibleName("Agreement history")
        self.history.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history.verticalHeader().hide()
        self.history.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.history.setMaximumHeight(130)
        self.history_title = QLabel("History")
        layout = QVBoxLayout(self)
        layout.addWidget(self.review_label)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.details_box)
        layout.addLayout(buttons)
        layout.addWidget(self.history_title)
        layout.addWidget(self.history)
        layout.addStretch(1)
        self.new_button.clicked.connect(self.new_agreement)
        self.edit_button.clicked.connect(self.edit_agreement)

    def set_worker(self, worker: Worker | None) -> None:
        """Show this worker's agreement (None clears the panel)."""
        self.worker = worker
        self.reload()

    def reload(self) -> None:
        worker = self.worker
        history: list[Agreement] = []
        current = None
        if worker is not None:
            try:
                history = self._ctx.agreements.agreement_history(worker.id)
                current = self._ctx.agreements.current_agreement(worker.id)
            except KeelError as exc:
                QMessageBox.warning(self, "Agreement", f"The agreement could not be read: {exc}")
        self.current = current
        self._names = {w.id: w.name for w in self._ctx.workers.all(include_left=True)}
        self.history_model.names = self._names
        self.history_model.set_rows(history)
        self.history.setVisible(bool(history))
        self.history_title.setText(
            f"History: {len(history)} agreement{'s' if len(history) != 1 else ''}, current first"
        )
        self.history_title.setVisible(bool(history))
        self.new_button.setEnabled(worker is not None)
        self.edit_button.setEnabled(current is not None)
        self.empty_label.setVisible(current is None)
        self.details_box.setVisible(current is not None)
        self._show_review(current)
        if current is not None:
            self._fill(current)

    def field_text(self, key: str) -> str:
        return self.fields[key].text()

    def new_agreement(self) -> Agreement | None:
        if self.worker is None:
            return None
        return self._run(AgreementDialog(self._ctx, self.worker, start_from=self.current,
                                         parent=self))  # fmt: skip

    def edit_agreement(self) -> Agreement | None:
        if self.worker is None or self.current is None:
            return None
        return self._run(
            AgreementDialog(
                self._ctx, self.worker, start_from=self.current, editing=True, parent=self
            )
        )

    # Internals ------------------------------------------------------------------------------

    def _run(self, dialog: AgreementDialog) -> Agreement | None:
        dialog.exec()
        saved = dialog.saved
        dialog.deleteLater()
        if saved is not None:
            self.reload()
            self.agreement_saved.emit(saved.worker_id)
        return saved

    def _name(self, worker_id: str | None) -> str:
        if not worker_id:
            return "nobody named"
        return self._names.get(worker_id, "unknown")

    def _fill(self, a: Agreement) -> None:
        f = self.fields
        catalogue = self._ctx.catalogue
        keys = list(catalogue.active_keys)
        keys += [t.type for t in a.types if t.type not in keys and not t.empty]
        f["types"].setText(
            "\n".join(
                f"{catalogue.spec(key).label}: {self._name(part.supervisor_id)}, "
                f"{every_text(part.every_days)}"
                for key in keys
                for part in (a.agreed(key),)
            )
        )
        f["duration"].setText(
            f"{a.duration_minutes} minutes" if a.duration_minutes else "not agreed"
        )
        f["location"].setText(a.location or "not recorded")
        f["recorded"].setText(a.recorded or "not recorded")
        f["access"].setText(a.access or "not recorded")
        f["dates"].setText(f"Started {uk(a.starts_on)} · review on {uk(a.review_on)}")

    def _show_review(self, current: Agreement | None) -> None:
        if current is None:
            self.review_label.hide()
            return
        today = self._ctx.today()
        window = self._ctx.workers.policy.agreement_review_window_days
        status = review_status(current.review_on, today, window)
        palette = self.review_label.palette()
        if status is None:
            self.review_label.setText(f"Review on {uk(current.review_on)}.")
            palette.setColor(self.review_label.backgroundRole(), palette.window().color())
            palette.setColor(self.review_label.foregroundRole(), palette.windowText().color())
        else:
            self.review_label.setText(
                f"{status_text(status)} — {review_reason(current.review_on, today)}. "
                "Review it with the worker and record a new agreement."
            )
            palette.setColor(self.review_label.backgroundRole(), BACKGROUND[status])
            palette.setColor(self.review_label.foregroundRole(), FOREGROUND[status])
        self.review_label.setPalette(palette)
        self.review_label.show()
