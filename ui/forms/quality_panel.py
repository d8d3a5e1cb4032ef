"""The live record-quality panel (DOMAIN.md §6): what a record lacks before sign-off."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.domain.model import SessionStatus
from app.domain.quality import QualityGap

_READY = "✔ Ready for sign-off"
_INTRO = "What is missing before this record can be signed off. Click a line to go there."
_SIGNED_INTRO = (
    "This record is signed. Anything listed below was missing when it was signed; add an "
    "addendum to correct or complete it."
)
_NOT_HELD = {
    SessionStatus.PLANNED: "Planned: the record is filled in once the session is held.",
    SessionStatus.CANCELLED: "Cancelled: only the reason is needed.",
    SessionStatus.DID_NOT_ATTEND: "Did not attend: no record content is needed.",
}


class _GapLabel(QLabel):
    """One gap; clicking it (or Enter on it) goes to the part of the form it is about."""

    activated = Signal()

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setToolTip("Go to this part of the form")

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(
            event.position().toPoint()
        ):
            self.activated.emit()
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.activated.emit()
            return
        super().keyPressEvent(event)


class QualityPanel(QFrame):
    """Lists each gap in plain words; turns green when nothing is missing."""

    gap_activated = Signal(str)  # the gap's code: the form shows the field it is about

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("qualityPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Record quality")
        self.setStyleSheet(
            "#qualityPanel { background: palette(base); }"
            "QLabel#qualityReady { background: #cde8cf; color: #1d5223; border-radius: 4px;"
            " padding: 6px; font-weight: bold; }"
            "QLabel#qualitySummary { color: #7a1010; font-weight: bold; }"
            'QLabel[gap="true"] { color: #5a1a1a; }'
            'QLabel[gap="true"]:hover, QLabel[gap="true"]:focus { text-decoration: underline; }'
        )
        self._gaps: list[QualityGap] = []
        heading = QLabel("Record quality", self)
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        heading.setFont(font)
        self.intro = intro = QLabel(_INTRO, self)
        intro.setWordWrap(True)
        self.summary = QLabel(self)
        self.summary.setObjectName("qualitySummary")
        self.summary.setWordWrap(True)
        self.ready = QLabel(_READY, self)
        self.ready.setObjectName("qualityReady")
        self.ready.setAccessibleDescription("Record quality")
        self.not_held = QLabel(self)
        self.not_held.setWordWrap(True)
        self._list = QVBoxLayout()
        self._list.setSpacing(6)
        self.advice_heading = QLabel(self)
        self.advice_heading.setWordWrap(True)
        self.advice_heading.setObjectName("qualityAdvice")
        self.advice_heading.setStyleSheet("#qualityAdvice { color: #6b4a00; font-weight: bold; }")
        self._advice_list = QVBoxLayout()
        self._advice_list.setSpacing(6)
        self._advice: list[QualityGap] = []
        self._advice_blocks = False
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addSpacing(6)
        layout.addWidget(self.summary)
        layout.addWidget(self.ready)
        layout.addWidget(self.not_held)
        layout.addLayout(self._list)
        layout.addSpacing(6)
        layout.addWidget(self.advice_heading)
        layout.addLayout(self._advice_list)
        layout.addStretch(1)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.show_gaps([], SessionStatus.HELD)

    def show_gaps(self, gaps: Sequence[QualityGap], status: SessionStatus) -> None:
        """Show ``gaps`` (from ``SessionService.quality``) for a session with ``status``."""
        if list(gaps) == self._gaps and self.property("status") == status.value:
            return
        self._gaps = list(gaps)
        self.setProperty("status", status.value)
        while self._list.count():
            item = self._list.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        held = status is SessionStatus.HELD
        self.not_held.setVisible(not held)
        self.not_held.setText(_NOT_HELD.get(status, ""))
        self.ready.setVisible(
            held and not self._gaps and not (self._advice_blocks and self._advice)
        )
        self.summary.setVisible(bool(self._gaps))
        n = len(self._gaps)
        self.summary.setText(f"✖ {n} thing{'s' if n != 1 else ''} missing")
        for gap in self._gaps:
            label = _GapLabel(f"•  {gap.message}", self)
            label.setAccessibleName(f"Missing: {gap.message}")
            label.setProperty("gap", True)
            label.setProperty("code", gap.code)
            label.activated.connect(lambda code=gap.code: self.gap_activated.emit(code))
            self._list.addWidget(label)
        self.setAccessibleDescription(
            "; ".join(g.message for g in self._gaps) if self._gaps else _READY
        )

    def show_advice(self, gaps: Sequence[QualityGap], *, blocking: bool, held: bool) -> None:
        """What the inspection template also asks for (``SessionService.template_gaps``):
        advice, or missing items that block sign-off when the policy says so."""
        gaps = list(gaps) if held else []
        if gaps == self._advice and blocking == self._advice_blocks:
            return
        self._advice, self._advice_blocks = gaps, blocking
        while self._advice_list.count():
            item = self._advice_list.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        self.advice_heading.setVisible(bool(gaps))
        n = len(gaps)
        self.advice_heading.setText(
            f"✖ The policy also requires {n} more item{'s' if n != 1 else ''}:"
            if blocking
            else f"Also asked for by the inspection template ({n}):"
        )
        for gap in gaps:
            label = _GapLabel(f"•  {gap.message}", self)
            label.setAccessibleName(("Missing: " if blocking else "Advised: ") + gap.message)
            label.setProperty("gap", True)
            label.setProperty("code", gap.code)
            label.activated.connect(lambda code=gap.code: self.gap_activated.emit(code))
            self._advice_list.addWidget(label)
        held_now = self.property("status") in (None, SessionStatus.HELD.value)
        self.ready.setVisible(held_now and not self._gaps and not (blocking and gaps))

    def advice(self) -> list[str]:
        return [g.message for g in self._advice]

    def set_signed(self, signed: bool) -> None:
        """A signed record: the panel reports what it was signed with, not what to fix."""
        self.intro.setText(_SIGNED_INTRO if signed else _INTRO)
        self.ready.setText("✔ Signed — nothing was missing" if signed else _READY)

    def gaps(self) -> list[QualityGap]:
        """The gaps shown now."""
        return list(self._gaps)

    def gap_labels(self) -> list[QLabel]:
        """The labels listing the gaps, in order (what a user clicks)."""
        labels = [self._list.itemAt(n).widget() for n in range(self._list.count())]  # type: ignore[union-attr]
        labels += [
            self._advice_list.itemAt(n).widget()  # type: ignore[union-attr]
            for n in range(self._advice_list.count())
        ]
        return [w for w in labels if isinstance(w, QLabel)]

    def messages(self) -> list[str]:
        return [g.message for g in self._gaps]

    def is_ready(self) -> bool:
        """True when a held session's record lacks nothing."""
        return not self.ready.isHidden()
