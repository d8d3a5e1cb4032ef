"""Supervision agreements on the worker page: the current one, its history, and the dialog
that records a new one or corrects the current one.

An agreement names the line, clinical and reflective supervisors, the agreed frequency of
each type, how long a session lasts, where it happens, what is recorded and who can see it,
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
from app.domain.agreements import Agreement, review_reason, review_status
from app.domain.catalogue import SupervisorRole
from app.domain.model import TypeKey, Worker
from app.errors import KeelError
from app.services import agreements as agreement_service
from app.services.scheduling import compute_schedule
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
        self.line = self._person_combo("Line supervisor", people)
        self.clinical = self._person_combo("Clinical supervisor", people)
        self.reflective = self._person_combo("Reflective supervisor or group facilitator", people)
        self.line_every = _spin("Agreed line management frequency in days", " days", 365,
                                "not agreed")  # fmt: skip
        self.clinical_every = _spin("Agreed clinical supervision frequency in days", " days",
                                    365, "not agreed")  # fmt: skip
        self.reflective_every = _spin("Agreed reflective supervision frequency in days", " days",
                                      365, "not agreed")  # fmt: skip
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

        people_box = QGroupBox("Supervisors")
        people_form = QFormLayout(people_box)
        people_form.addRow("&Line:", self.line)
        people_form.addRow("&Clinical:", self.clinical)
        people_form.addRow("Re&flective / group:", self.reflective)
        often_box = QGroupBox("How often and how long")
        often = QGridLayout(often_box)
        for row, (text, spin) in enumerate(
            (("Line e&very:", self.line_every), ("Clinical ever&y:", self.clinical_every),
             ("Reflective every:", self.reflective_every))
        ):  # fmt: skip
            label = QLabel(text)
            label.setBuddy(spin)
            often.addWidget(label, row, 0)
            often.addWidget(spin, row, 1)
        duration_label = QLabel("&Duration:")
        duration_label.setBuddy(self.duration)
        often.addWidget(duration_label, 0, 2)
        often.addWidget(self.duration, 0, 3)
        often.setColumnStretch(4, 1)
        often.setColumnMinimumWidth(2, 80)
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
            self._choose(self.line, start_from.line_supervisor_id)
            self._choose(self.clinical, start_from.clinical_supervisor_id)
            self._choose(self.reflective, start_from.reflective_supervisor_id)
            self.line_every.setValue(start_from.line_every_days or 0)
            self.clinical_every.setValue(start_from.clinical_every_days or 0)
            self.reflective_every.setValue(start_from.reflective_every_days or 0)
            self.duration.setValue(start_from.duration_minutes or 0)
            self.location.setText(start_from.location)
            self.recorded.setPlainText(start_from.recorded)
            self.access.setPlainText(start_from.access)
            return
        self._choose(self.line, self._worker.line_supervisor_id)
        self._choose(self.clinical, self._worker.clinical_supervisor_id)
        self.duration.setValue(60)
        # The agreement's three frequencies start from the rules' intervals of the types that
        # fit them: line management (one-to-one, led by the line supervisor), clinical (its
        # supervisor must be qualified) and reflective (a group type).
        active = self._ctx.catalogue.active
        fits = (
            [t for t in active if not t.is_group and not t.qualified_supervisor
             and t.supervisor is SupervisorRole.LINE],
            [t for t in active if not t.is_group and t.qualified_supervisor],
            [t for t in active if t.is_group],
        )  # fmt: skip
        for candidates, spin in zip(
            fits, (self.line_every, self.clinical_every, self.reflective_every), strict=True
        ):
            spin.setValue(self._rule_interval(candidates[0].key) or 0 if candidates else 0)

    def _rule_interval(self, type_: TypeKey) -> int | None:
        """The interval the risk rules give this worker now (a sensible starting point)."""
        if type_ not in self._worker.requires:
            return None
        try:
            schedule = compute_schedule(
                self._ctx.db, self._ctx.today(), worker_ids=[self._worker.id]
            )
        except KeelError:
            return None
        for row in schedule.rows:
            found = row.status.by_type.get(type_)
            return found.interval_days if found is not None and found.interval_days else None
        return None

    def agreement(self) -> Agreement:
        """The agreement as the dialog holds it (nothing is written)."""
        return Agreement(
            worker_id=self._worker.id,
            starts_on=self.starts.value(),
            review_on=self.review.value(),
            line_supervisor_id=self.line.currentData() or None,
            clinical_supervisor_id=self.clinical.currentData() or None,
            reflective_supervisor_id=self.reflective.currentData() or None,
            line_every_days=self.line_every.value() or None,
            clinical_every_days=self.clinical_every.value() or None,
            reflective_every_days=self.reflective_every.value() or None,
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
                self.saved = agreement_service.update_agreement(
                    self._ctx.db, replace(agreement, ended_on=self._original.ended_on)
                )
            else:
                self.saved = agreement_service.save_agreement(self._ctx.db, agreement)
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
            Column[Agreement]("Line", lambda a: self._name(a.line_supervisor_id)),
            Column[Agreement]("Clinical", lambda a: self._name(a.clinical_supervisor_id)),
            Column[Agreement]("Reflective", lambda a: self._name(a.reflective_supervisor_id)),
        )

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
            ("line", "Line supervisor:"),
            ("clinical", "Clinical supervisor:"),
            ("reflective", "Reflective / group:"),
            ("frequency", "Agreed frequency:"),
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
                history = agreement_service.agreement_history(self._ctx.db, worker.id)
                current = agreement_service.current_agreement(self._ctx.db, worker.id)
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
        f["line"].setText(self._name(a.line_supervisor_id))
        f["clinical"].setText(self._name(a.clinical_supervisor_id))
        f["reflective"].setText(self._name(a.reflective_supervisor_id))
        f["frequency"].setText(
            f"Line {every_text(a.line_every_days)} · clinical {every_text(a.clinical_every_days)}"
            f" · reflective {every_text(a.reflective_every_days)}"
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
