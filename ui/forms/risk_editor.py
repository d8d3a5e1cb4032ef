"""The risk profile editor: four factors in plain words, a live preview, a dated assessment.

The preview comes from ``WorkerService.preview`` — the engine itself — so what the team lead
sees before saving is exactly what the scheduler will say after.
"""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QMouseEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.dates import uk
from app.domain.model import (
    FACTORS,
    RiskFactors,
    StoredAssessment,
    TypeKey,
    WorkerFacts,
)
from app.domain.schedule import WorkerStatus, tier_for
from app.errors import KeelError
from ui.context import AppContext
from ui.models.worker_models import TIER_LABELS, tier_label
from ui.widgets.dates import DateEdit
from ui.widgets.status_style import BACKGROUND, FOREGROUND, status_text

# Workers this many days in post or fewer get the support-need hint (the new-starter window
# of DOMAIN.md §5, where the caps apply).
NEW_IN_POST_DAYS = 182

LEVEL_NAMES = {1: "Low", 2: "Medium", 3: "High"}

FACTOR_TEXT: dict[str, tuple[str, str, dict[int, str]]] = {
    "cohort_risk": (
        "Cohort risk",
        "How much risk the people on the caseload carry.",
        {
            1: "Stable caseload; people at low risk of harm to themselves or others. "
            "Crises are rare.",
            2: "Some people with fluctuating risk; occasional crisis or safeguarding work, "
            "usually planned.",
            3: "Daily contact with people at high risk of self-harm, harm to others or crisis.",
        },
    ),
    "decision_complexity": (
        "Decision complexity",
        "How hard the calls this worker has to make are.",
        {
            1: "Decisions follow clear protocols; senior colleagues make the difficult calls.",
            2: "Regular judgement calls on risk or care plans, with advice close at hand.",
            3: "Complex, uncertain calls on risk, capacity or safeguarding thresholds, "
            "often alone.",
        },
    ),
    "support_need": (
        "Support need",
        "Experience and confidence, turned round: 3 = most support.",
        {
            1: "Experienced and confident in this role; asks for help when it is needed.",
            2: "Settled, but still building confidence in some areas or new to this client group.",
            3: "New in post, newly qualified, back after a long absence, or low in confidence.",
        },
    ),
    "volatility": (
        "Volatility",
        "How quickly the people on the caseload change.",
        {
            1: "Presentations are predictable; plans rarely change between contacts.",
            2: "Presentations change from time to time; some weeks need re-planning.",
            3: "Fast, unpredictable change: frequent crises, admissions or urgent re-planning.",
        },
    ),
}

DEFAULT_FACTORS = RiskFactors(2, 2, 2, 2)


class _OptionCard(QFrame):
    """One level of one factor: a radio button beside its meaning; click anywhere on it."""

    def __init__(self, factor: str, level: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title, _, meanings = FACTOR_TEXT[factor]
        self.setObjectName("optionCard")
        self.radio = QRadioButton()
        self.radio.setAccessibleName(f"{title}: {level}, {LEVEL_NAMES[level]}")
        self.radio.setAccessibleDescription(meanings[level])
        self.radio.setToolTip(f"{level} · {LEVEL_NAMES[level]}: {meanings[level]}")
        # Our own fixed text (never user input), so a little markup is safe here.
        self.meaning = QLabel(f"<b>{level} · {LEVEL_NAMES[level]}</b> — {meanings[level]}")
        self.meaning.setTextFormat(Qt.TextFormat.RichText)
        self.meaning.setWordWrap(True)
        self.meaning.setObjectName("meaning")
        self.meaning.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.meaning.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(5, 3, 5, 3)
        layout.setSpacing(4)
        layout.addWidget(self.radio, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.meaning, 1)
        self.radio.toggled.connect(self._restyle)
        self._restyle(False)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.radio.setChecked(True)
        self.radio.setFocus(Qt.FocusReason.MouseFocusReason)
        event.accept()

    def _restyle(self, checked: bool) -> None:
        if checked:
            self.setStyleSheet(
                "#optionCard { background: #e4eefb; border: 1px solid #5b8bd0; border-radius: 4px; }"
                "#meaning { color: #1f2d3d; }"
            )
        else:
            self.setStyleSheet(
                "#optionCard { border: 1px solid #d6d6d6; border-radius: 4px; }"
                "#meaning { color: #555555; }"
            )


class RiskEditor(QWidget):
    """Edit one worker's risk profile as a new dated assessment, with a live preview."""

    assessment_saved = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._worker_id: str | None = None
        self._start_date: date | None = None
        self._history: list[StoredAssessment] = []
        self._preview: WorkerStatus | None = None
        # The worker's facts for the preview, loaded once per worker and date: every click
        # then costs only the engine's arithmetic.
        self._base: tuple[str, date, WorkerFacts] | None = None
        self._filling = False
        self._prefilled = DEFAULT_FACTORS
        self.factor_groups: dict[str, QButtonGroup] = {}
        self.factor_buttons: dict[str, dict[int, QRadioButton]] = {}
        self._build()
        self._connect()
        self.set_worker(None)

    # Layout ---------------------------------------------------------------------------------

    def _build(self) -> None:
        self.current_label = QLabel()
        self.current_label.setTextFormat(Qt.TextFormat.PlainText)
        self.current_label.setWordWrap(True)
        self.current_label.setAccessibleDescription("Current risk profile")

        grid = QGridLayout()
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(4)
        bold = QFont()
        bold.setBold(True)
        small = QFont()
        small.setPointSizeF(small.pointSizeF() * 0.9)
        for row, name in enumerate(FACTORS):
            title, about, _ = FACTOR_TEXT[name]
            heading = QLabel(title)
            heading.setFont(bold)
            about_label = QLabel(about)
            about_label.setWordWrap(True)
            about_label.setFont(small)
            about_label.setStyleSheet("color: #555555;")
            head = QVBoxLayout()
            head.setSpacing(0)
            head.addWidget(heading)
            head.addWidget(about_label)
            head.addStretch(1)
            grid.addLayout(head, row, 0)
            group = QButtonGroup(self)
            group.setExclusive(True)
            self.factor_groups[name] = group
            self.factor_buttons[name] = {}
            for level in (1, 2, 3):
                card = _OptionCard(name, level)
                group.addButton(card.radio, level)
                self.factor_buttons[name][level] = card.radio
                grid.addWidget(card, row, level)
        grid.setColumnMinimumWidth(0, 110)
        grid.setColumnStretch(0, 3)
        for level in (1, 2, 3):
            grid.setColumnStretch(level, 7)

        # Who, when and why.
        self.assessed_on = DateEdit(self._ctx.today())
        self.assessed_on.setAccessibleName("Assessed on")
        self.assessed_by = QLineEdit()
        self.assessed_by.setAccessibleName("Assessed by")
        self.assessed_by.setPlaceholderText("Your name")
        self.rationale = QPlainTextEdit()
        self.rationale.setAccessibleName("Rationale")
        self.rationale.setPlaceholderText(
            "Why these scores? e.g. new caseload includes two people under crisis team care"
        )
        self.rationale.setTabChangesFocus(True)
        self.rationale.setFixedHeight(52)
        self.hint_label = QLabel()
        self.hint_label.setTextFormat(Qt.TextFormat.PlainText)
        self.hint_label.setAccessibleDescription("New in post hint")
        self.hint_label.setStyleSheet(
            "background: #fff4d6; border: 1px solid #e0c36a; border-radius: 3px; padding: 3px;"
        )
        self.save_button = QPushButton("Save assess&ment")
        self.save_button.setAccessibleName("Save assessment")
        self.save_button.setToolTip(
            "Adds a new dated assessment; earlier ones stay in the history, unchanged."
        )
        self.save_button.setDefault(False)
        self.save_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        who = QHBoxLayout()
        who.addWidget(self.assessed_on)
        by_label = QLabel("&by")
        by_label.setBuddy(self.assessed_by)
        who.addWidget(by_label)
        who.addWidget(self.assessed_by, 1)
        on_label = QLabel("Assesse&d on")
        on_label.setBuddy(self.assessed_on)
        rationale_label = QLabel("Rationa&le")
        rationale_label.setBuddy(self.rationale)
        form.addRow(on_label, who)
        form.addRow(rationale_label, self.rationale)
        form.addRow("", self.save_button)
        left = QVBoxLayout()
        left.addLayout(form)
        left.addStretch(1)

        # Live preview.
        self.preview_box = QGroupBox("Preview if saved")
        self.tier_label = QLabel()
        self.tier_label.setAccessibleDescription("Tier preview")
        big = QFont()
        big.setBold(True)
        big.setPointSizeF(big.pointSizeF() * 1.15)
        self.tier_label.setFont(big)
        self.tier_reason = QLabel()
        self.tier_reason.setWordWrap(True)
        self.tier_reason.setAccessibleName("Tier reason")
        self.preview_note = QLabel()
        self.preview_note.setWordWrap(True)
        self.preview_note.setTextFormat(Qt.TextFormat.PlainText)
        self.preview_note.setStyleSheet("color: #7a4b00;")
        self.preview_note.setAccessibleName("Preview note")
        types = QGridLayout()
        types.setHorizontalSpacing(10)
        types.setVerticalSpacing(2)
        self.type_labels: dict[TypeKey, QLabel] = {}
        self.type_status: dict[TypeKey, QLabel] = {}
        self.type_reasons: dict[TypeKey, QLabel] = {}
        for i, spec in enumerate(self._ctx.catalogue.active):
            type_ = spec.key
            type_name = QLabel(spec.name)
            type_name.setFont(bold)
            interval = QLabel()
            interval.setAccessibleName(f"{spec.name} interval preview")
            status = QLabel()
            status.setAccessibleName(f"{spec.name} status preview")
            status.setAlignment(Qt.AlignmentFlag.AlignCenter)
            reason = QLabel()
            reason.setWordWrap(True)
            reason.setFont(small)
            reason.setStyleSheet("color: #555555;")
            reason.setAccessibleName(f"{spec.name} reason")
            reason.setTextFormat(Qt.TextFormat.PlainText)
            types.addWidget(type_name, 2 * i, 0)
            types.addWidget(interval, 2 * i, 1)
            types.addWidget(status, 2 * i, 2, Qt.AlignmentFlag.AlignRight)
            types.addWidget(reason, 2 * i + 1, 0, 1, 3)
            self.type_labels[type_] = interval
            self.type_status[type_] = status
            self.type_reasons[type_] = reason
        types.setColumnStretch(1, 1)
        preview_layout = QVBoxLayout(self.preview_box)
        preview_layout.setSpacing(3)
        tier_row = QHBoxLayout()
        tier_row.addWidget(self.tier_label)
        tier_row.addWidget(self.tier_reason, 1)
        preview_layout.addLayout(tier_row)
        preview_layout.addLayout(types)
        preview_layout.addWidget(self.preview_note)
        preview_layout.addStretch(1)

        columns = QHBoxLayout()
        columns.addLayout(left, 4)
        columns.addWidget(self.preview_box, 6)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        top = QHBoxLayout()
        top.addWidget(self.current_label, 1)
        top.addWidget(self.hint_label)
        layout.addLayout(top)
        layout.addLayout(grid)
        layout.addLayout(columns)

    def _connect(self) -> None:
        for group in self.factor_groups.values():
            group.idToggled.connect(self._on_factor_toggled)
        self.assessed_on.dateChanged.connect(lambda _d: self.update_preview())
        self.save_button.clicked.connect(self.save)

    def _on_factor_toggled(self, _level: int, checked: bool) -> None:
        if checked:
            self.update_preview()

    # Public ---------------------------------------------------------------------------------

    @property
    def worker_id(self) -> str | None:
        return self._worker_id

    def set_worker(self, worker_id: str | None) -> None:
        """Show ``worker_id``'s profile, pre-filled from their latest assessment."""
        self._worker_id = worker_id
        self._base = None
        worker = self._ctx.workers.get(worker_id) if worker_id else None
        self._start_date = worker.start_date if worker else None
        self._history = self._ctx.workers.assessments(worker_id) if worker_id else []
        latest = self._latest_in_force()
        self._prefilled = latest.factors if latest else DEFAULT_FACTORS
        self._filling = True
        try:
            self.set_factors(self._prefilled)
            self.assessed_on.set_date(self._ctx.today())
        finally:
            self._filling = False
        self.assessed_by.setText(latest.assessed_by if latest else "")
        self.rationale.clear()
        self._show_current(latest)
        self.setEnabled(worker_id is not None)
        self.update_preview()

    def reload_facts(self) -> None:
        """The worker's records changed (leave, a session…): preview again, keeping the choices."""
        if self._worker_id is None:
            return
        self._base = None
        self._history = self._ctx.workers.assessments(self._worker_id)
        self._show_current(self._latest_in_force())
        self.update_preview()

    def has_unsaved_changes(self) -> bool:
        """A rationale typed or a factor changed, and not saved yet."""
        if self._worker_id is None:
            return False
        return bool(self.rationale.toPlainText().strip()) or self.factors() != self._prefilled

    def factors(self) -> RiskFactors:
        values = {name: max(self.factor_groups[name].checkedId(), 1) for name in FACTORS}
        return RiskFactors(**values)

    def set_factors(self, factors: RiskFactors) -> None:
        for name, value in factors.as_dict().items():
            self.factor_buttons[name][value].setChecked(True)

    def current_preview(self) -> WorkerStatus | None:
        """The engine's answer shown in the preview right now."""
        return self._preview

    def days_in_post(self) -> int | None:
        if self._start_date is None:
            return None
        return (self._ctx.today() - self._start_date).days

    def update_preview(self) -> None:
        """Ask the engine what the schedule would say, and show it (every change calls this)."""
        if self._filling:
            return
        self._update_hint()
        if self._worker_id is None:
            self._preview = None
            self.tier_label.setText("Choose a worker")
            self.tier_reason.clear()
            for type_ in self.type_labels:
                self.type_labels[type_].clear()
                self.type_status[type_].clear()
                self.type_reasons[type_].clear()
            self.preview_note.hide()
            return
        factors = self.factors()
        today = self._ctx.today()
        on = self.assessed_on.value()
        as_of = max(today, on)
        status = self._ctx.workers.preview_with(self._base_facts(as_of), factors, as_of)
        self._preview = status
        _, tier_reason = tier_for(factors, self._ctx.workers.policy)
        self.tier_label.setText(f"Tier: {TIER_LABELS[status.tier]}")
        self.tier_reason.setText(tier_reason)
        for type_ in self.type_labels:
            self._show_type(status, type_, tier_reason)
        self._show_note(on, today)

    def save(self) -> bool:
        """Add the assessment (history is kept); False and a message when something is missing."""
        if self._worker_id is None:
            return False
        rationale = self.rationale.toPlainText().strip()
        assessed_by = self.assessed_by.text().strip()
        problem = ""
        if not rationale:
            problem = "Write a rationale: why these scores? It is the evidence for the tier."
            focus: QWidget = self.rationale
        elif not assessed_by:
            problem = "Say who made this assessment (Assessed by)."
            focus = self.assessed_by
        if problem:
            QMessageBox.warning(self, "Assessment not saved", problem)
            focus.setFocus()
            return False
        try:
            self._ctx.workers.add_assessment(
                self._worker_id,
                self.assessed_on.value(),
                self.factors(),
                assessed_by=assessed_by,
                rationale=rationale,
            )
        except KeelError as exc:
            QMessageBox.warning(self, "Assessment not saved", str(exc))
            return False
        worker_id = self._worker_id
        self.set_worker(worker_id)
        self.assessment_saved.emit(worker_id)
        return True

    # Internals ------------------------------------------------------------------------------

    def _base_facts(self, as_of: date) -> WorkerFacts:
        worker_id = self._worker_id or ""
        if self._base is None or self._base[:2] != (worker_id, as_of):
            self._base = (worker_id, as_of, self._ctx.workers.preview_base(worker_id, as_of))
        return self._base[2]

    def _latest_in_force(self) -> StoredAssessment | None:
        today = self._ctx.today()
        for a in self._history:  # newest first
            if a.assessed_on <= today:
                return a
        return self._history[-1] if self._history else None

    def _show_current(self, latest: StoredAssessment | None) -> None:
        if latest is None:
            self.current_label.setText(
                "Not assessed yet: the schedule treats this worker as standard until then. "
                "Choose a level for each factor, give your rationale and save."
            )
            return
        review_by = latest.assessed_on + timedelta(
            days=self._ctx.workers.policy.assessment_review_days
        )
        overdue = " — review overdue" if review_by < self._ctx.today() else ""
        by = f" by {latest.assessed_by}" if latest.assessed_by else ""
        self.current_label.setText(
            f"In force: {TIER_LABELS[latest.tier]}, assessed {uk(latest.assessed_on)}{by}; "
            f"review by {uk(review_by)}{overdue}."
        )

    def _show_type(self, status: WorkerStatus, type_: TypeKey, tier_reason: str) -> None:
        interval = self.type_labels[type_]
        chip = self.type_status[type_]
        ts = status.by_type.get(type_)
        if ts is None:  # not in the policy in force on the assessment's date
            interval.setText("not in the policy on this date")
            chip.clear()
            self.type_reasons[type_].clear()
            return
        reason = ts.reason
        prefix = f"{tier_reason} → "
        if reason.startswith(prefix):
            reason = reason[len(prefix) :]
        self.type_reasons[type_].setText(reason)
        if ts.interval_days is None:
            interval.setText("not required for this role")
        else:
            due = f", due {uk(ts.due)}" if ts.due else ", no due date"
            interval.setText(f"every {ts.interval_days} days{due}")
        chip.setText(status_text(ts.status))
        chip.setStyleSheet(
            f"background: {BACKGROUND[ts.status].name()}; color: {FOREGROUND[ts.status].name()};"
            " padding: 1px 6px; border-radius: 3px;"
        )

    def _show_note(self, on: date, today: date) -> None:
        notes = []
        later = [a for a in self._history if a.assessed_on > on]
        if later:
            notes.append(
                f"An assessment dated {uk(later[0].assessed_on)} is later than this one, so it "
                "stays in force; this one will be saved as history only."
            )
        elif on > today:
            notes.append(
                f"Dated in the future: this takes effect on {uk(on)}; the preview shows the "
                "schedule on that date."
            )
        self.preview_note.setText(" ".join(notes))
        self.preview_note.setVisible(bool(notes))

    def _update_hint(self) -> None:
        days = self.days_in_post()
        if days is None or days < 0 or days > NEW_IN_POST_DAYS:
            self.hint_label.hide()
            return
        extra = "" if self.factors().support_need == 3 else " Is a lower score really right?"
        self.hint_label.setText(f"New in post ({days} days): support need is usually 3.{extra}")
        self.hint_label.setToolTip(
            "In their first six months in post, workers usually need the most support."
        )
        self.hint_label.show()


__all__ = ["FACTOR_TEXT", "RiskEditor", "tier_label"]
