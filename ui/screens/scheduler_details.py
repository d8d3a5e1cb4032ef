"""The scheduler's details pane: the selected worker's every type in full, as plain text.

Status, interval, last held, due and booked dates, and the engine's reason word for word, so
a team lead can see why each date is what it is (DOMAIN.md §5).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QGroupBox,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.dates import uk
from app.domain.catalogue import TypeSpec
from app.domain.model import DueStatus, StaffEntry, TypeKey
from app.services.agreements import AgreementDue
from app.services.scheduling import ScheduleRow
from ui.models.schedule_model import next_booking, tier_reason
from ui.widgets.status_style import BACKGROUND, FOREGROUND, status_text

_PER_ROW = 4  # type boxes side by side; a fifth type starts a second row


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A label that shows user text literally (<, &, emoji, right-to-left)."""
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class _TypeDetails(QGroupBox):
    """One supervision type in the details pane: status, interval, dates and the reason."""

    def __init__(self, spec: TypeSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec.label, parent)
        self.type = spec.key
        self.status = plain_label()
        self.interval = plain_label()
        self.last_held = plain_label()
        self.due = plain_label()
        self.booked = plain_label()
        self.reason = plain_label()
        self.reason.setWordWrap(True)
        # Boxes share the pane's width (four types fit a 1366-pixel screen): long values wrap.
        for value in (self.due, self.booked, self.last_held, self.interval):
            value.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bold = QFont(self.status.font())
        bold.setBold(True)
        self.status.setFont(bold)
        self.status.setAutoFillBackground(True)
        self.status.setContentsMargins(4, 1, 4, 1)
        # Two facts a row keeps the pane short enough for a 768-pixel-high screen.
        grid = QGridLayout(self)
        grid.setVerticalSpacing(2)
        grid.setHorizontalSpacing(6)
        grid.addWidget(QLabel("Status:"), 0, 0)
        grid.addWidget(self.status, 0, 1, 1, 3)
        grid.addWidget(QLabel("Every:"), 1, 0)
        grid.addWidget(self.interval, 1, 1)
        grid.addWidget(QLabel("Last held:"), 1, 2)
        grid.addWidget(self.last_held, 1, 3)
        grid.addWidget(QLabel("Due:"), 2, 0)
        grid.addWidget(self.due, 2, 1)
        grid.addWidget(QLabel("Booked:"), 2, 2)
        grid.addWidget(self.booked, 2, 3)
        grid.addWidget(self.reason, 3, 0, 1, 4)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 2)
        grid.setRowStretch(3, 1)
        self.reason.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        for name, widget in (
            ("status", self.status),
            ("interval", self.interval),
            ("last held", self.last_held),
            ("due date", self.due),
            ("booked date", self.booked),
            ("reason", self.reason),
        ):
            widget.setAccessibleDescription(f"{spec.label} {name}")

    def show_row(self, row: ScheduleRow, as_of: date) -> None:
        s = row.status.by_type.get(self.type)
        if s is None:  # a row computed under a policy without this type
            for widget in (self.status, self.interval, self.last_held, self.due, self.booked):
                widget.setText("—")
            self.reason.setText("")
            return
        self.status.setText(status_text(s.status))
        palette = self.status.palette()
        palette.setColor(self.status.backgroundRole(), BACKGROUND[s.status])
        palette.setColor(self.status.foregroundRole(), FOREGROUND[s.status])
        self.status.setPalette(palette)
        required = s.status is not DueStatus.NOT_REQUIRED
        self.interval.setText(f"{s.interval_days} days" if s.interval_days else "—")
        self.last_held.setText(uk(s.last_held, "none recorded") if required else "—")
        self.due.setText(uk(s.due, "—"))
        booking = s.booked or next_booking(row, self.type, as_of)
        late = s.booked is None and booking is not None
        self.booked.setText(
            "not booked" if booking is None else uk(booking) + (" (after the due date)" * late)
        )
        self.reason.setText(s.reason)


class DetailsPane(QWidget):
    """Everything the scheduler knows about the selected worker, in full and in plain text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = plain_label()
        font = QFont(self.title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.title.setFont(font)
        self.subtitle = plain_label()
        self.subtitle.setWordWrap(True)
        self.title.setAccessibleDescription("Selected worker")
        self.agreement = plain_label()
        self.agreement.setAccessibleDescription("Supervision agreement review")
        self.agreement.setAutoFillBackground(True)
        self.agreement.setContentsMargins(4, 1, 4, 1)
        self.agreement.hide()
        self.subtitle.setAccessibleDescription("Selected worker's role, team, tier and supervisors")
        self.types: dict[TypeKey, _TypeDetails] = {}
        self._shown: tuple[tuple[str, str], ...] = ()
        self.placeholder = plain_label(
            "Select a worker to see each type's interval, dates and the reason for the due date."
        )
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)

        body = QWidget()
        self._grid = grid = QGridLayout(body)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.title, 0, 0, 1, _PER_ROW)
        grid.addWidget(self.subtitle, 1, 0, 1, _PER_ROW)
        grid.addWidget(self.agreement, 2, 0, 1, _PER_ROW)
        for column in range(_PER_ROW):
            grid.setColumnStretch(column, 1)
        scroll = QScrollArea()
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._stack = QStackedWidget()
        self._stack.addWidget(self.placeholder)
        self._stack.addWidget(scroll)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self._stack)

    def set_types(self, specs: Sequence[TypeSpec]) -> None:
        """One box per supervision type shown, in order (rebuilt only when they change)."""
        shown = tuple((s.key, s.label) for s in specs)
        if shown == self._shown:
            return
        self._shown = shown
        for box in self.types.values():
            self._grid.removeWidget(box)
            box.deleteLater()
        self.types = {}
        for n, spec in enumerate(specs):
            box = _TypeDetails(spec, self)
            self.types[spec.key] = box
            self._grid.addWidget(box, 3 + n // _PER_ROW, n % _PER_ROW)
        rows = max(1, -(-len(specs) // _PER_ROW))
        # The boxes share the whole width: three types take a third each, not three quarters
        # of it with an empty quarter on the right.
        across = max(1, min(len(specs), _PER_ROW))
        for column in range(_PER_ROW):
            self._grid.setColumnStretch(column, 1 if column < across else 0)
        for r in range(3, 3 + rows):
            self._grid.setRowStretch(r, 1)

    def show_row(self, row: ScheduleRow | None, worker: StaffEntry | None, as_of: date,
                 names: dict[str, str], agreement: AgreementDue | None = None) -> None:  # fmt: skip
        if row is None:
            self._stack.setCurrentIndex(0)
            return
        self._stack.setCurrentIndex(1)
        self.title.setText(row.facts.name)
        parts = [worker.role if worker else "", row.facts.team, f"Tier — {tier_reason(row)}"]
        line = " · ".join(p for p in parts if p)
        if worker is not None:
            line += (
                f"\nLine supervisor: {names.get(worker.line_supervisor_id or '', 'none')}"
                f" · Clinical supervisor: "
                f"{names.get(worker.clinical_supervisor_id or '', 'none')}"
            )
        self.subtitle.setText(line)
        self._show_agreement(agreement)
        for box in self.types.values():
            box.show_row(row, as_of)

    def _show_agreement(self, due: AgreementDue | None) -> None:
        """An agreement review overdue or due soon, in words and colour."""
        if due is None:
            self.agreement.hide()
            return
        self.agreement.setText(f"{status_text(due.status)} — {due.reason}")
        palette = self.agreement.palette()
        palette.setColor(self.agreement.backgroundRole(), BACKGROUND[due.status])
        palette.setColor(self.agreement.foregroundRole(), FOREGROUND[due.status])
        self.agreement.setPalette(palette)
        self.agreement.show()
