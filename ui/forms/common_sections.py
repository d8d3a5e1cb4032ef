"""Sections every session form has, and the small widgets the sections are built from.

A section is a titled group of fields that reads its part of a ``SessionRecord`` (``load``)
and writes it back (``fill``), and says when the user changed something (``changed``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTime,
    Signal,
)
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPlainTextEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.domain.catalogue import TypeSpec
from app.domain.model import SessionStatus, Worker
from app.domain.records import Mode, SessionRecord
from app.domain.rows import Theme
from ui.widgets.dates import DateEdit
from ui.widgets.times import TimeEdit

Index = QModelIndex | QPersistentModelIndex

STATUS_LABELS = {
    SessionStatus.PLANNED: "Planned",
    SessionStatus.HELD: "Held",
    SessionStatus.CANCELLED: "Cancelled",
    SessionStatus.DID_NOT_ATTEND: "Did not attend",
}


class Section(QGroupBox):
    """A titled part of the form that owns some fields of the record."""

    changed = Signal()

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.setAccessibleName(title)

    def load(self, record: SessionRecord) -> None:
        raise NotImplementedError

    def fill(self, record: SessionRecord) -> None:
        raise NotImplementedError


def plain_text(
    name: str, *, lines: int = 4, placeholder: str = "", parent: QWidget | None = None
) -> QPlainTextEdit:
    """A multi-line plain-text field where Tab moves on (it never inserts a tab)."""
    edit = QPlainTextEdit(parent)
    edit.setAccessibleName(name)
    edit.setTabChangesFocus(True)
    edit.setPlaceholderText(placeholder)
    height = edit.fontMetrics().lineSpacing() * lines + 14
    edit.setFixedHeight(height)
    return edit


def line_edit(name: str, placeholder: str = "", parent: QWidget | None = None) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setAccessibleName(name)
    edit.setPlaceholderText(placeholder)
    edit.setClearButtonEnabled(True)
    return edit


def set_plain(edit: QPlainTextEdit, text: str) -> None:
    """Replace the text only when it differs, so the cursor does not jump while typing."""
    if edit.toPlainText() != text:
        edit.setPlainText(text)


def set_line(edit: QLineEdit, text: str) -> None:
    if edit.text() != text:
        edit.setText(text)


class RadioChoice(QWidget):
    """Radio buttons for one answer that may also be left unanswered (value None)."""

    changed = Signal()

    def __init__(
        self, name: str, options: Sequence[tuple[object, str]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName(name)
        self._group = QButtonGroup(self)
        self._values: dict[int, object] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for n, (value, label) in enumerate(options):
            button = QRadioButton(label, self)
            button.setAccessibleName(f"{name}: {label}")
            self._group.addButton(button, n)
            self._values[n] = value
            layout.addWidget(button)
        layout.addStretch(1)
        self._group.idToggled.connect(self._toggled)

    def _toggled(self, _id: int, checked: bool) -> None:
        if checked:
            self.changed.emit()

    def button(self, value: object) -> QAbstractButton:
        n = next(k for k, v in self._values.items() if v == value)
        button = self._group.button(n)
        assert button is not None
        return button

    def value(self) -> object:
        n = self._group.checkedId()
        return None if n < 0 else self._values[n]

    def set_value(self, value: object) -> None:
        if self.value() == value:
            return
        if value is None:
            self._group.setExclusive(False)
            for button in self._group.buttons():
                button.setChecked(False)
            self._group.setExclusive(True)
            self.changed.emit()
        else:
            self.button(value).setChecked(True)


class CheckListModel(QAbstractListModel):
    """Items (id, label) a user ticks: themes, attendees."""

    changed = Signal()
    IdRole = Qt.ItemDataRole.UserRole

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._items: list[tuple[str, str]] = []
        self._checked: set[str] = set()
        # Ticked elsewhere (a theme ticked on a decision): shown ticked and locked here, with
        # the note, and not one of this list's own ticks.
        self._elsewhere: set[str] = set()
        self.elsewhere_note = ""

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.row() >= len(self._items):
            return None
        item_id, label = self._items[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return f"{label} ({self.elsewhere_note})" if item_id in self._elsewhere else label
        if role == Qt.ItemDataRole.CheckStateRole:
            ticked = item_id in self._checked or item_id in self._elsewhere
            return (Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked).value
        if role == self.IdRole:
            return item_id
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if self._items[index.row()][0] in self._elsewhere:
            return Qt.ItemFlag.ItemIsSelectable  # ticked by a decision: untick it there
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsUserCheckable
        )

    def set_elsewhere(self, ids: Sequence[str], note: str) -> None:
        """Show ``ids`` ticked and locked, labelled with ``note``, because they are ticked
        somewhere else that counts too (a theme on one of the session's decisions)."""
        wanted = set(ids)
        if wanted == self._elsewhere and note == self.elsewhere_note:
            return
        self._elsewhere = wanted
        self.elsewhere_note = note
        if self._items:
            self.dataChanged.emit(self.index(0), self.index(len(self._items) - 1))

    def elsewhere(self) -> set[str]:
        return set(self._elsewhere)

    def setData(self, index: Index, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.CheckStateRole:
            return False
        item_id = self._items[index.row()][0]
        raw = value.value if isinstance(value, Qt.CheckState) else value
        if raw == Qt.CheckState.Checked.value:
            self._checked.add(item_id)
        else:
            self._checked.discard(item_id)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self.changed.emit()
        return True

    def set_items(self, items: Sequence[tuple[str, str]]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self.endResetModel()

    def set_checked(self, ids: Sequence[str]) -> None:
        wanted = set(ids)
        if wanted == self._checked:
            return
        self._checked = wanted
        if self._items:
            self.dataChanged.emit(self.index(0), self.index(len(self._items) - 1))
        self.changed.emit()

    def checked(self) -> list[str]:
        """Ticked ids in list order (ids no longer listed are kept, at the end)."""
        listed = [i for i, _ in self._items if i in self._checked]
        return listed + sorted(self._checked - {i for i, _ in self._items})

    def label(self, item_id: str) -> str:
        return next((label for i, label in self._items if i == item_id), item_id)

    def row_of(self, item_id: str) -> int:
        return next(n for n, (i, _) in enumerate(self._items) if i == item_id)


class CheckGrid(QWidget):
    """A ``CheckListModel`` shown as check boxes in columns (short lists such as themes)."""

    def __init__(
        self, name: str, model: CheckListModel, columns: int = 3, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName(name)
        self._model = model
        self._columns = columns
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self.boxes: dict[str, QCheckBox] = {}
        model.modelReset.connect(self._rebuild)
        model.dataChanged.connect(self._sync)
        self._rebuild()

    def _rebuild(self) -> None:
        for box in self.boxes.values():
            self._grid.removeWidget(box)
            box.deleteLater()
        self.boxes = {}
        for row in range(self._model.rowCount()):
            index = self._model.index(row)
            item_id = str(self._model.data(index, CheckListModel.IdRole))
            label = str(self._model.data(index))
            box = QCheckBox(label, self)
            box.setAccessibleName(f"Theme: {label}")
            box.toggled.connect(lambda on, r=row: self._toggled(r, on))
            self._grid.addWidget(box, row // self._columns, row % self._columns)
            self.boxes[item_id] = box
        for col in range(self._columns):
            self._grid.setColumnStretch(col, 1)
        self._sync()

    def _toggled(self, row: int, on: bool) -> None:
        state = Qt.CheckState.Checked if on else Qt.CheckState.Unchecked
        self._model.setData(self._model.index(row), state.value, Qt.ItemDataRole.CheckStateRole)

    def _sync(self) -> None:
        checked = set(self._model.checked())
        elsewhere = self._model.elsewhere()
        for item_id, box in self.boxes.items():
            ticked = item_id in checked or item_id in elsewhere
            if box.isChecked() != ticked:
                box.blockSignals(True)
                box.setChecked(ticked)
                box.blockSignals(False)
            label = self._model.label(item_id)
            note = self._model.elsewhere_note if item_id in elsewhere else ""
            box.setText(f"{label} ({note})" if note else label)
            box.setAccessibleName(f"Theme: {label}" + (f" ({note})" if note else ""))
            box.setEnabled(item_id not in elsewhere)


class CheckList(QWidget):
    """A checkable list with an optional filter box and a count of what is ticked."""

    changed = Signal()

    def __init__(
        self,
        name: str,
        *,
        filter_placeholder: str | None = None,
        grid: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = CheckListModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.filter: QLineEdit | None = None
        if filter_placeholder is not None:
            self.filter = line_edit(f"Filter {name.lower()}", filter_placeholder, self)
            self.filter.textChanged.connect(self.proxy.setFilterFixedString)
            layout.addWidget(self.filter)
        self.view: QWidget
        if grid:
            self.view = CheckGrid(name, self.model, parent=self)
        else:
            view = QListView(self)
            view.setAccessibleName(name)
            view.setModel(self.proxy)
            self.view = view
        layout.addWidget(self.view)
        self.model.changed.connect(self.changed)

    def toggle(self, item_id: str) -> None:
        """Tick or untick one item as a click on its box would."""
        index = self.model.index(self.model.row_of(item_id))
        state = self.model.data(index, Qt.ItemDataRole.CheckStateRole)
        new = (
            Qt.CheckState.Unchecked
            if state == Qt.CheckState.Checked.value
            else Qt.CheckState.Checked
        )
        self.model.setData(index, new.value, Qt.ItemDataRole.CheckStateRole)


# The sections every form has ------------------------------------------------------------


class DetailsSection(Section):
    """When, how, who and whether it happened."""

    def __init__(
        self,
        spec: TypeSpec,
        supervisee: Worker | None,
        supervisors: Sequence[Worker],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Session", parent)
        self._spec = spec
        self._supervisors = {w.id: w for w in supervisors}
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.supervisee = QLabel(self)
        self.supervisee.setTextFormat(Qt.TextFormat.PlainText)
        self.supervisee.setAccessibleDescription("Supervisee")
        if not spec.is_group:
            self.supervisee.setText(_describe(supervisee) if supervisee else "—")
            form.addRow("Supervisee:", self.supervisee)
        self.date = DateEdit(date.today(), self)
        self.date.setAccessibleName("Session date")
        self.start = TimeEdit(self)
        self.start.setDisplayFormat("HH:mm")
        self.start.setSpecialValueText("not set")
        self.start.setAccessibleName("Start time")
        self.duration = QSpinBox(self)
        self.duration.setRange(0, 600)
        self.duration.setSingleStep(5)
        self.duration.setSuffix(" min")
        self.duration.setSpecialValueText("not set")
        self.duration.setAccessibleName("Duration in minutes")
        when = QHBoxLayout()
        when.addWidget(self.date)
        when.addWidget(QLabel("Start:", self))
        when.addWidget(self.start)
        when.addWidget(QLabel("Duration:", self))
        when.addWidget(self.duration)
        when.addStretch(1)
        form.addRow("Date:", when)
        self.mode = RadioChoice("Mode", [(m, m.label) for m in Mode], self)
        self.location = line_edit("Location", "e.g. Team base, room 2", self)
        form.addRow("Mode:", self.mode)
        form.addRow("Location:", self.location)
        self.supervisor = QComboBox(self)
        self.supervisor.setAccessibleName("Supervisor")
        self.supervisor.addItem("— Choose the supervisor —", None)
        for worker in supervisors:
            if supervisee is not None and worker.id == supervisee.id:
                continue
            suffix = ""
            if spec.qualified_supervisor:
                suffix = " (qualified)" if worker.qualified_clinical else " (not qualified)"
            self.supervisor.addItem(f"{worker.name}{suffix}", worker.id)
        label = "Facilitator:" if spec.is_group else "Supervisor:"
        form.addRow(label, self.supervisor)
        self.qualification_warning = QLabel(self)
        self.qualification_warning.setTextFormat(Qt.TextFormat.PlainText)
        self.qualification_warning.setWordWrap(True)
        self.qualification_warning.setObjectName("qualificationWarning")
        self.qualification_warning.setAccessibleName("Supervisor qualification warning")
        self.qualification_warning.setStyleSheet(
            "#qualificationWarning { background: #fde7b0; color: #6b4a00;"
            " border: 1px solid #e0b54a; border-radius: 4px; padding: 6px; }"
        )
        self.qualification_warning.hide()
        form.addRow(self.qualification_warning)
        self.status = RadioChoice("Status", [(s, STATUS_LABELS[s]) for s in STATUS_LABELS], self)
        form.addRow("Status:", self.status)
        self.cancel_reason = line_edit(
            "Reason for cancelling", "Required: why was it cancelled? e.g. supervisor off sick"
        )
        self._cancel_label = QLabel("Reason (required):", self)
        form.addRow(self._cancel_label, self.cancel_reason)
        self._form = form
        for signal in (
            self.date.dateChanged,
            self.start.timeChanged,
            self.duration.valueChanged,
            self.mode.changed,
            self.location.textChanged,
            self.supervisor.currentIndexChanged,
            self.status.changed,
            self.cancel_reason.textChanged,
        ):
            signal.connect(self.changed)
        self.status.changed.connect(self._show_reason)
        self.supervisor.currentIndexChanged.connect(self._check_qualified)
        self._show_reason()

    def _show_reason(self) -> None:
        cancelled = self.status.value() is SessionStatus.CANCELLED
        self._form.setRowVisible(self.cancel_reason, cancelled)

    def _check_qualified(self) -> None:
        worker = self._supervisors.get(self.supervisor.currentData() or "")
        warn = (
            self._spec.qualified_supervisor and worker is not None and not worker.qualified_clinical
        )
        if worker is not None and warn:
            self.qualification_warning.setText(
                f"⚠ {worker.name} is not marked as qualified to give clinical supervision. "
                "Choose a qualified supervisor, or mark them as qualified on the Workers screen."
            )
        self.qualification_warning.setVisible(warn)

    def add_supervisor(self, worker: Worker) -> None:
        """A supervisor the record names who is not in the list (left since, for example)."""
        if self.supervisor.findData(worker.id) < 0:
            self._supervisors[worker.id] = worker
            self.supervisor.addItem(worker.name, worker.id)

    def load(self, record: SessionRecord) -> None:
        self.date.set_date(record.session_date)
        time = QTime.fromString(record.start_time or "", "HH:mm")
        self.start.setTime(time if time.isValid() else self.start.minimumTime())
        self.duration.setValue(record.duration_minutes or 0)
        self.mode.set_value(record.mode)
        set_line(self.location, record.location)
        self.supervisor.setCurrentIndex(max(0, self.supervisor.findData(record.supervisor_id)))
        self.status.set_value(record.status)
        set_line(self.cancel_reason, record.cancel_reason)
        self._show_reason()
        self._check_qualified()

    def fill(self, record: SessionRecord) -> None:
        record.session_date = self.date.value()
        time = self.start.time()
        record.start_time = None if time == self.start.minimumTime() else time.toString("HH:mm")
        record.duration_minutes = self.duration.value() or None
        mode = self.mode.value()
        record.mode = mode if isinstance(mode, Mode) else None
        record.location = self.location.text()
        record.supervisor_id = self.supervisor.currentData() or None
        status = self.status.value()
        record.status = status if isinstance(status, SessionStatus) else SessionStatus.HELD
        record.cancel_reason = (
            self.cancel_reason.text() if record.status is SessionStatus.CANCELLED else ""
        )


def _describe(worker: Worker) -> str:
    extra = ", ".join(p for p in (worker.role, worker.team) if p)
    return f"{worker.name} — {extra}" if extra else worker.name


class DiscussionSection(Section):
    """Issues discussed, in the supervisor's words."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Issues discussed", parent)
        layout = QVBoxLayout(self)
        self.issues = plain_text(
            "Issues discussed",
            lines=5,
            placeholder="What was discussed: cases (by code), pressures, concerns, learning…",
            parent=self,
        )
        layout.addWidget(self.issues)
        self.issues.textChanged.connect(self.changed)

    def load(self, record: SessionRecord) -> None:
        set_plain(self.issues, record.issues)

    def fill(self, record: SessionRecord) -> None:
        record.issues = self.issues.toPlainText()


class RiskSection(Section):
    """The explicit risk and safeguarding question, with pseudonymous references."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Risk and safeguarding", parent)
        form = QFormLayout(self)
        question = QLabel("Did this session discuss risk or a safeguarding concern?", self)
        question.setWordWrap(True)
        self.answer = RadioChoice("Risk or safeguarding discussed", [(True, "Yes"), (False, "No")])
        self.unanswered = QLabel("Not answered yet", self)
        self.unanswered.setStyleSheet("color: #7a1010;")
        row = QHBoxLayout()
        row.addWidget(self.answer)
        row.addWidget(self.unanswered)
        row.addStretch(1)
        form.addRow(question)
        form.addRow(row)
        self.case_refs = line_edit(
            "Case references", "Pseudonymous case codes only, never names — e.g. C-1042, C-2210"
        )
        self.referral_refs = line_edit(
            "Referral references", "Referral codes only, never names — e.g. SG-2026-118"
        )
        form.addRow("Case references:", self.case_refs)
        form.addRow("Referral references:", self.referral_refs)
        for signal in (
            self.answer.changed,
            self.case_refs.textChanged,
            self.referral_refs.textChanged,
        ):
            signal.connect(self.changed)
        self.answer.changed.connect(self._update)

    def _update(self) -> None:
        self.unanswered.setVisible(self.answer.value() is None)

    def load(self, record: SessionRecord) -> None:
        self.answer.set_value(record.risk_link)
        set_line(self.case_refs, record.case_refs)
        set_line(self.referral_refs, record.referral_refs)
        self._update()

    def fill(self, record: SessionRecord) -> None:
        answer = self.answer.value()
        record.risk_link = answer if isinstance(answer, bool) else None
        record.case_refs = self.case_refs.text()
        record.referral_refs = self.referral_refs.text()


class ThemesSection(Section):
    """Themes from the service's controlled list; for groups, the group checklist too."""

    def __init__(
        self,
        themes: Sequence[Theme],
        title: str = "Themes",
        intro: str = "Tick the themes this session touched on.",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(title, parent)
        self._layout = QVBoxLayout(self)
        self.intro = QLabel(intro, self)
        self.intro.setWordWrap(True)
        self._layout.addWidget(self.intro)
        self.themes = CheckList("Themes", grid=True, parent=self)
        self.themes.model.set_items([(t.id, t.name) for t in themes])
        self._layout.addWidget(self.themes)
        self.themes.changed.connect(self.changed)

    def load(self, record: SessionRecord) -> None:
        self.themes.model.set_checked(record.theme_ids)

    def fill(self, record: SessionRecord) -> None:
        record.theme_ids = self.themes.model.checked()

    def set_decision_themes(self, theme_ids: Sequence[str]) -> None:
        show_decision_themes(self.themes, theme_ids)


def show_decision_themes(checklist: CheckList, theme_ids: Sequence[str]) -> None:
    """A theme ticked on a decision counts for the session: shown ticked here, locked."""
    checklist.model.set_elsewhere(theme_ids, "on a decision")


def lock_pixmap(size: int, colour: str = "#4b3b7a") -> QPixmap:
    """A padlock drawn with QPainter (emoji fonts are often missing on work laptops)."""
    ratio = 2
    pixmap = QPixmap(size * ratio, size * ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    pixmap.setDevicePixelRatio(ratio)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(QColor(colour))
    pen.setWidthF(max(1.5, size / 9))
    painter.setPen(pen)
    w = size * 0.5
    painter.drawArc(int(size * 0.25), int(size * 0.08), int(w), int(size * 0.6), 0, 180 * 16)
    painter.drawLine(int(size * 0.25), int(size * 0.38), int(size * 0.25), int(size * 0.48))
    painter.drawLine(int(size * 0.75), int(size * 0.38), int(size * 0.75), int(size * 0.48))
    painter.setBrush(QColor(colour))
    painter.drawRoundedRect(
        int(size * 0.14), int(size * 0.46), int(size * 0.72), int(size * 0.48), 2, 2
    )
    painter.end()
    return pixmap


class ConfidentialSection(Section):
    """Reflective notes kept out of reports and exports unless asked for."""

    NOTICE = "Confidential — left out of reports and exports unless asked for."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Confidential reflective notes", parent)
        self.setObjectName("confidentialSection")
        self.setStyleSheet(
            "#confidentialSection { background: #eeeaf6; border: 1px solid #b7a9d6;"
            " border-radius: 4px; margin-top: 1.2em; padding-top: 4px; }"
            "#confidentialSection::title { subcontrol-origin: margin; left: 2px;"
            " padding: 0 4px; }"
        )
        layout = QVBoxLayout(self)
        lock = QLabel(self)
        lock.setPixmap(lock_pixmap(self.fontMetrics().height() + 4))
        lock.setAccessibleName("Locked")
        self.notice = QLabel(self.NOTICE, self)
        self.notice.setWordWrap(True)
        self.notice.setAccessibleDescription("Confidentiality notice")
        self.notice.setStyleSheet("font-weight: bold; color: #4b3b7a;")
        notice_row = QHBoxLayout()
        notice_row.addWidget(lock)
        notice_row.addWidget(self.notice, 1)
        self.notes = plain_text(
            "Confidential reflective notes",
            lines=4,
            placeholder="Reflections, feelings, what the supervisee wants kept private…",
            parent=self,
        )
        self.notes.setAccessibleDescription(self.NOTICE)
        layout.addLayout(notice_row)
        layout.addWidget(self.notes)
        self.notes.textChanged.connect(self.changed)

    def load(self, record: SessionRecord) -> None:
        set_plain(self.notes, record.confidential_notes)

    def fill(self, record: SessionRecord) -> None:
        record.confidential_notes = self.notes.toPlainText()
