"""Where the three forms differ (DOMAIN.md §2): each type's agenda checklist, the group's
attendees, case discussion and themes surfaced, and the one-to-one wellbeing pulse.

The clinical supervisor qualification warning sits beside the supervisor field it is about
(``DetailsSection``) and in the quality panel.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import QSize, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListView,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.domain.catalogue import TypeSpec
from app.domain.model import Worker
from app.domain.records import Escalation, SessionRecord, SupportKind, Workload
from app.domain.rows import Theme
from ui.forms.common_sections import (
    CheckList,
    RadioChoice,
    Section,
    line_edit,
    plain_text,
    set_line,
    set_plain,
    show_decision_themes,
)
from ui.widgets.dates import DateEdit
from ui.widgets.times import TimeEdit


class AgendaChecklist(QWidget):
    """The type's agenda (its catalogue entry's checklist) as check boxes in two columns."""

    changed = Signal()

    def __init__(self, spec: TypeSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.boxes: dict[str, QCheckBox] = {}
        for n, (key, label) in enumerate(spec.agenda):
            box = QCheckBox(label, self)
            box.setAccessibleName(label)
            box.toggled.connect(self.changed)
            grid.addWidget(box, n // 2, n % 2)
            self.boxes[key] = box

    def load(self, checklist: dict[str, bool]) -> None:
        for key, box in self.boxes.items():
            box.setChecked(bool(checklist.get(key, False)))

    def values(self, previous: dict[str, bool]) -> dict[str, bool]:
        """Ticks by key; keys this form does not show are kept as they were."""
        out = {k: v for k, v in previous.items() if k not in self.boxes}
        out.update({k: b.isChecked() for k, b in self.boxes.items()})
        return out


class AgendaSection(Section):
    """A one-to-one type: the areas the session covered."""

    def __init__(self, spec: TypeSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec.agenda_title, parent)
        layout = QVBoxLayout(self)
        intro = QLabel(spec.agenda_intro, self)
        intro.setWordWrap(True)
        self.checklist = AgendaChecklist(spec, self)
        layout.addWidget(intro)
        layout.addWidget(self.checklist)
        self.checklist.changed.connect(self.changed)
        self._previous: dict[str, bool] = {}

    def load(self, record: SessionRecord) -> None:
        self._previous = dict(record.checklist)
        self.checklist.load(record.checklist)

    def fill(self, record: SessionRecord) -> None:
        record.checklist = self.checklist.values(self._previous)


class AttendeesSection(Section):
    """Group: who attended (two or more), picked from the workers with a filter box."""

    def __init__(self, workers: Sequence[Worker], parent: QWidget | None = None) -> None:
        super().__init__("Attendees", parent)
        layout = QVBoxLayout(self)
        intro = QLabel("Tick everyone who attended (at least two).", self)
        self.list = CheckList(
            "Attendees", filter_placeholder="Filter by name or team…", parent=self
        )
        view = self.list.view
        if isinstance(view, QListView):  # names in columns: a team fits without much scrolling
            view.setFlow(QListView.Flow.LeftToRight)
            view.setWrapping(True)
            view.setResizeMode(QListView.ResizeMode.Adjust)
            view.setUniformItemSizes(True)
            view.setGridSize(QSize(320, view.fontMetrics().height() + 8))
        view.setMinimumHeight(130)
        view.setMaximumHeight(190)
        self.count = QLabel(self)
        self.count.setTextFormat(Qt.TextFormat.PlainText)
        self.count.setWordWrap(True)
        self.count.setAccessibleName("Attendees ticked")
        layout.addWidget(intro)
        layout.addWidget(self.list)
        layout.addWidget(self.count)
        self._names: dict[str, str] = {}
        self.set_workers(workers)
        self.list.changed.connect(self._count)
        self.list.changed.connect(self.changed)
        self._count()

    def set_workers(self, workers: Sequence[Worker]) -> None:
        self._names = {w.id: w.name for w in workers}
        self.list.model.set_items(
            [(w.id, f"{w.name} — {w.team}" if w.team else w.name) for w in workers]
        )

    def _count(self) -> None:
        ticked = self.attendees()
        n = len(ticked)
        more = "" if n >= 2 else " — at least two are needed"
        names = ": " + ", ".join(name for _, name in ticked) if ticked else ""
        self.count.setText(f"{n} attendee{'s' if n != 1 else ''} ticked{more}{names}")

    def attendees(self) -> list[tuple[str, str]]:
        """(worker id, name) of the ticked attendees."""
        return [(i, self._names.get(i, i)) for i in self.list.model.checked()]

    def load(self, record: SessionRecord) -> None:
        self.list.model.set_checked(record.attendees)

    def fill(self, record: SessionRecord) -> None:
        record.attendees = self.list.model.checked()


class CaseDiscussionSection(Section):
    """Group: the case the group discussed (by code, never by name)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Case discussion", parent)
        layout = QVBoxLayout(self)
        self.text = plain_text(
            "Case discussion",
            lines=5,
            placeholder="The case presented (by its code, never a name), the questions the "
            "group worked on, and what it concluded…",
            parent=self,
        )
        layout.addWidget(self.text)
        self.text.textChanged.connect(self.changed)

    def load(self, record: SessionRecord) -> None:
        set_plain(self.text, record.case_discussion)

    def fill(self, record: SessionRecord) -> None:
        record.case_discussion = self.text.toPlainText()


class GroupThemesSection(Section):
    """Group: themes surfaced — the group checklist plus the service's themes."""

    def __init__(
        self, themes: Sequence[Theme], spec: TypeSpec, parent: QWidget | None = None
    ) -> None:
        super().__init__("Themes surfaced", parent)
        layout = QVBoxLayout(self)
        intro = QLabel(spec.agenda_intro, self)
        intro.setWordWrap(True)
        self.checklist = AgendaChecklist(spec, self)
        more = QLabel("Themes from the service's list:", self)
        self.themes = CheckList("Themes", grid=True, parent=self)
        self.themes.model.set_items([(t.id, t.name) for t in themes])
        for widget in (intro, self.checklist, more, self.themes):
            layout.addWidget(widget)
        self.checklist.changed.connect(self.changed)
        self.themes.changed.connect(self.changed)
        self._previous: dict[str, bool] = {}

    def load(self, record: SessionRecord) -> None:
        self._previous = dict(record.checklist)
        self.checklist.load(record.checklist)
        self.themes.model.set_checked(record.theme_ids)

    def fill(self, record: SessionRecord) -> None:
        record.checklist = self.checklist.values(self._previous)
        record.theme_ids = self.themes.model.checked()

    def set_decision_themes(self, theme_ids: Sequence[str]) -> None:
        show_decision_themes(self.themes, theme_ids)


# The stored "stretched" is shown as "Challenging" (the inspection template's word).
WORKLOAD_LABELS = {w: w.label for w in Workload}


class WellbeingSection(Section):
    """One-to-one: the wellbeing pulse."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Wellbeing pulse", parent)
        form = QFormLayout(self)
        self.wellbeing = QSpinBox(self)
        self.wellbeing.setRange(0, 10)
        self.wellbeing.setSpecialValueText("Not recorded")
        self.wellbeing.setAccessibleName("Wellbeing from 1 to 10")
        self.wellbeing.setMinimumWidth(130)
        hint = QLabel("1 = struggling, 10 = thriving", self)
        hint.setEnabled(False)
        row = QWidget(self)
        row_layout = QGridLayout(row)
        row_layout.setContentsMargins(0, 0, 0, 0)
        row_layout.addWidget(self.wellbeing, 0, 0)
        row_layout.addWidget(hint, 0, 1)
        row_layout.setColumnStretch(2, 1)
        form.addRow("Wellbeing (1–10):", row)
        self.workload = RadioChoice("Workload", list(WORKLOAD_LABELS.items()), self)
        form.addRow("Workload:", self.workload)
        self.moral_distress = RadioChoice("Moral distress", [(True, "Yes"), (False, "No")], self)
        form.addRow("Moral distress:", self.moral_distress)
        self.workload_support = line_edit(
            "Workload support measures agreed",
            "e.g. no new allocations for four weeks; admin time on Fridays",
            self,
        )
        form.addRow("Workload support agreed:", self.workload_support)
        self.sickness_days = QSpinBox(self)
        self.sickness_days.setRange(-1, 3660)
        self.sickness_days.setSpecialValueText("Not recorded")
        self.sickness_days.setSuffix(" days")
        self.sickness_days.setAccessibleName("Sickness absence days since the last session")
        self.sickness_days.setMinimumWidth(130)
        self.sickness_days.setValue(-1)
        self.return_to_work = RadioChoice(
            "Return-to-work conversation done", [(True, "Yes"), (False, "No")], self
        )
        absence = QWidget(self)
        absence_row = QHBoxLayout(absence)
        absence_row.setContentsMargins(0, 0, 0, 0)
        absence_row.addWidget(self.sickness_days)
        absence_row.addWidget(QLabel("Return to work done:", self))
        absence_row.addWidget(self.return_to_work)
        absence_row.addStretch(1)
        form.addRow("Sickness absence since last session:", absence)
        self.concerns = plain_text(
            "Stress or wellbeing concerns raised",
            lines=2,
            placeholder="Concerns the staff member raised (none: leave empty)",
            parent=self,
        )
        form.addRow("Stress or wellbeing concerns:", self.concerns)
        kinds = QWidget(self)
        kinds_row = QHBoxLayout(kinds)
        kinds_row.setContentsMargins(0, 0, 0, 0)
        self.support_kinds: dict[SupportKind, QCheckBox] = {}
        for kind in SupportKind:
            box = QCheckBox(kind.label, self)
            box.setAccessibleName(f"Support offered: {kind.label}")
            kinds_row.addWidget(box)
            self.support_kinds[kind] = box
            box.toggled.connect(self.changed)
        kinds_row.addStretch(1)
        form.addRow("Support offered:", kinds)
        self.support = plain_text(
            "Support offered notes",
            lines=2,
            placeholder="e.g. debrief with the psychologist; protected admin time on Fridays",
            parent=self,
        )
        form.addRow("Support notes:", self.support)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        for signal in (
            self.wellbeing.valueChanged,
            self.workload.changed,
            self.moral_distress.changed,
            self.support.textChanged,
            self.workload_support.textChanged,
            self.sickness_days.valueChanged,
            self.return_to_work.changed,
            self.concerns.textChanged,
        ):
            signal.connect(self.changed)

    def load(self, record: SessionRecord) -> None:
        self.wellbeing.setValue(record.wellbeing or 0)
        self.workload.set_value(record.workload)
        self.moral_distress.set_value(record.moral_distress)
        set_plain(self.support, record.support_offered)
        set_line(self.workload_support, record.workload_support)
        self.sickness_days.setValue(-1 if record.sickness_days is None else record.sickness_days)
        self.return_to_work.set_value(record.return_to_work)
        set_plain(self.concerns, record.wellbeing_concerns)
        for kind, box in self.support_kinds.items():
            box.setChecked(kind in record.support_kinds)

    def fill(self, record: SessionRecord) -> None:
        record.wellbeing = self.wellbeing.value() or None
        workload = self.workload.value()
        record.workload = workload if isinstance(workload, Workload) else None
        distress = self.moral_distress.value()
        record.moral_distress = distress if isinstance(distress, bool) else None
        record.support_offered = self.support.toPlainText()
        record.workload_support = self.workload_support.text()
        days = self.sickness_days.value()
        record.sickness_days = None if days < 0 else days
        back = self.return_to_work.value()
        record.return_to_work = back if isinstance(back, bool) else None
        record.wellbeing_concerns = self.concerns.toPlainText()
        record.support_kinds = [k for k, box in self.support_kinds.items() if box.isChecked()]


class StaffViewSection(Section):
    """One-to-one: the staff member's own comments, and any escalation."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Staff member's comments and escalation", parent)
        form = QFormLayout(self)
        self.comments = plain_text(
            "The staff member's comments",
            lines=3,
            placeholder="In the staff member's own words",
            parent=self,
        )
        form.addRow("Staff member's comments:", self.comments)
        self.escalation = RadioChoice("Escalation", [(e, e.label) for e in Escalation], self)
        form.addRow("Escalation:", self.escalation)
        self.escalation_notes = line_edit(
            "Escalation notes", "What was escalated, to whom, and when", self
        )
        form.addRow("Escalation notes:", self.escalation_notes)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        for signal in (
            self.comments.textChanged,
            self.escalation.changed,
            self.escalation_notes.textChanged,
        ):
            signal.connect(self.changed)

    def load(self, record: SessionRecord) -> None:
        set_plain(self.comments, record.staff_comments)
        self.escalation.set_value(record.escalation)
        set_line(self.escalation_notes, record.escalation_notes)

    def fill(self, record: SessionRecord) -> None:
        record.staff_comments = self.comments.toPlainText()
        value = self.escalation.value()
        record.escalation = value if isinstance(value, Escalation) else None
        record.escalation_notes = self.escalation_notes.text()


class NextSessionSection(Section):
    """The next session: date, time, place and focus; its frequency is the worker's interval
    for the type (shown, never changed here). A date books it on the scheduler when saved."""

    def __init__(self, frequency: str, parent: QWidget | None = None) -> None:
        super().__init__("Next session", parent)
        form = QFormLayout(self)
        self.book = QCheckBox("Book the next session", self)
        self.book.setAccessibleName("Book the next session")
        self.date = DateEdit(date.today(), self)
        self.date.setAccessibleName("Next session date")
        self.time = TimeEdit(self)
        self.time.setDisplayFormat("HH:mm")
        self.time.setAccessibleName("Next session time")
        when = QWidget(self)
        row = QHBoxLayout(when)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.book)
        row.addWidget(self.date)
        row.addWidget(QLabel("Time:", self))
        row.addWidget(self.time)
        row.addStretch(1)
        form.addRow("Date:", when)
        self.place = line_edit("Next session place", "e.g. Team base, room 2", self)
        form.addRow("Place:", self.place)
        self.frequency = QLabel(frequency, self)
        self.frequency.setTextFormat(Qt.TextFormat.PlainText)
        form.addRow("Frequency:", self.frequency)
        self.focus = plain_text(
            "Next session focus areas", lines=2, placeholder="What the next session will focus on",
            parent=self,
        )  # fmt: skip
        form.addRow("Focus areas:", self.focus)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        for signal in (
            self.book.toggled,
            self.date.dateChanged,
            self.time.timeChanged,
            self.place.textChanged,
            self.focus.textChanged,
        ):
            signal.connect(self.changed)
        self.book.toggled.connect(self._enable)
        self._enable()

    def _enable(self) -> None:
        on = self.book.isChecked()
        self.date.setEnabled(on)
        self.time.setEnabled(on)

    def load(self, record: SessionRecord) -> None:
        self.book.setChecked(record.next_date is not None)
        if record.next_date is not None:
            self.date.set_date(record.next_date)
        else:
            self.date.set_date(record.session_date)
        time = QTime.fromString(record.next_time or record.start_time or "10:00", "HH:mm")
        self.time.setTime(time if time.isValid() else QTime(10, 0))
        set_line(self.place, record.next_place)
        set_plain(self.focus, record.next_focus)
        self._enable()

    def fill(self, record: SessionRecord) -> None:
        booked = self.book.isChecked()
        record.next_date = self.date.value() if booked else None
        record.next_time = self.time.time().toString("HH:mm") if booked else None
        record.next_place = self.place.text()
        record.next_focus = self.focus.toPlainText()
