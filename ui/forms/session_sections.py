"""Where the three forms differ (DOMAIN.md §2): each type's agenda checklist, the group's
attendees, case discussion and themes surfaced, and the one-to-one wellbeing pulse.

The clinical supervisor qualification warning sits beside the supervisor field it is about
(``DetailsSection``) and in the quality panel.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QListView,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.domain.catalogue import TypeSpec
from app.domain.model import Worker
from app.domain.records import SessionRecord, Workload
from app.domain.rows import Theme
from ui.forms.common_sections import (
    CheckList,
    RadioChoice,
    Section,
    plain_text,
    set_plain,
    show_decision_themes,
)


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


WORKLOAD_LABELS = {
    Workload.MANAGEABLE: "Manageable",
    Workload.STRETCHED: "Stretched",
    Workload.EXCESSIVE: "Excessive",
}


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
        self.support = plain_text(
            "Support offered",
            lines=2,
            placeholder="e.g. debrief with the psychologist; protected admin time on Fridays",
            parent=self,
        )
        form.addRow("Support offered:", self.support)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        for signal in (
            self.wellbeing.valueChanged,
            self.workload.changed,
            self.moral_distress.changed,
            self.support.textChanged,
        ):
            signal.connect(self.changed)

    def load(self, record: SessionRecord) -> None:
        self.wellbeing.setValue(record.wellbeing or 0)
        self.workload.set_value(record.workload)
        self.moral_distress.set_value(record.moral_distress)
        set_plain(self.support, record.support_offered)

    def fill(self, record: SessionRecord) -> None:
        record.wellbeing = self.wellbeing.value() or None
        workload = self.workload.value()
        record.workload = workload if isinstance(workload, Workload) else None
        distress = self.moral_distress.value()
        record.moral_distress = distress if isinstance(distress, bool) else None
        record.support_offered = self.support.toPlainText()
