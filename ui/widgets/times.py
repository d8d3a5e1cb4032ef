"""Times in the UI: a time field that is one Tab stop and takes a time as people type it.

Qt's ``QTimeEdit`` treats Tab as "next section" (hours → minutes), so a time took two Tabs to
leave; and while it showed its "not set" text, Tab never left it at all and typed digits were
appended to the words ("not set430"). :class:`TimeEdit` leaves on Tab (what was typed is taken
first), and typing a digit into "not set" starts a time: ``1430``, ``14:30`` and ``9`` all work.
Arrow keys still step the section the cursor is in.
"""

from __future__ import annotations

from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractSpinBox, QTimeEdit


class TimeEdit(QTimeEdit):
    """A ``HH:mm`` time field; Tab leaves it, digits typed into its "not set" text start a time."""

    def focusNextPrevChild(self, next: bool) -> bool:
        self.interpretText()  # what was typed counts before the focus moves on
        # QAbstractSpinBox's (that is, QWidget's) focus chain, not QDateTimeEdit's sections.
        return QAbstractSpinBox.focusNextPrevChild(self, next)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        special = self.specialValueText()
        if special and self.lineEdit().text() == special and event.text().isdigit():
            # Start from the blank time, hours selected: the digit typed replaces them.
            self.lineEdit().setText(self.minimumTime().toString(self.displayFormat()))
            self.setCurrentSectionIndex(0)
            self.lineEdit().setSelection(0, 2)
        super().keyPressEvent(event)
