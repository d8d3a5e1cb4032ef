"""The first page of an empty database: what Keel is, and three ways in.

It only asks for things through signals; ``MainWindow`` loads the demo, opens the import
dialog or the new-worker form.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ui.context import AppContext
from ui.widgets.focus import set_tab_order

WHAT_KEEL_DOES = (
    "Keel helps you plan, record and evidence staff supervision. It works out when each "
    "person is due for line management, clinical and reflective supervision from their risk "
    "profile, and keeps a record of what was discussed, decided and agreed — on this computer, "
    "with no network needed."
)
DEMO_TEXT = (
    "Explore a realistic service of three teams: workers who are overdue, due soon and on "
    "track, past sessions and open actions. Keep demo data out of your real records by using "
    "a separate database file for it."
)
IMPORT_TEXT = (
    "Bring your team in from your spreadsheet tracker: one row per worker with a name and, if "
    "you have them, staff_id, role, team, start_date, the four risk factors and the dates of "
    "the last sessions. You see every row and any errors first; nothing is written until you "
    "confirm."
)
ADD_TEXT = (
    "Start from scratch: enter one worker's name, role, team and start date, then give them a "
    "risk profile. You can import the rest of the team later."
)


class WelcomeScreen(QWidget):
    """Shown while the database has no workers."""

    demo_requested = Signal()
    import_requested = Signal()
    add_worker_requested = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx

        title = QLabel("Welcome to Keel")
        title.setAccessibleName("Welcome to Keel")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 2.2)
        font.setBold(True)
        title.setFont(font)
        intro = self._text(WHAT_KEEL_DOES, 1.1)
        intro.setAccessibleName("What Keel does")
        prompt = self._text("How would you like to start?", 1.1)
        prompt_font = prompt.font()
        prompt_font.setBold(True)
        prompt.setFont(prompt_font)

        ways = QGridLayout()
        ways.setHorizontalSpacing(18)
        ways.setVerticalSpacing(14)
        ways.setColumnStretch(1, 1)
        self.demo_button = self._way_in(ways, 0, "&Load demo data", DEMO_TEXT)
        self.import_button = self._way_in(ways, 1, "&Import a staff CSV…", IMPORT_TEXT)
        self.add_button = self._way_in(ways, 2, "&Add the first worker…", ADD_TEXT)
        self.demo_button.clicked.connect(self.demo_requested)
        self.import_button.clicked.connect(self.import_requested)
        self.add_button.clicked.connect(self.add_worker_requested)

        self.where_label = self._text(
            f"Your records are kept in {ctx.db_path}. Back it up like any important file.", 0.95
        )
        self.where_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.where_label.setAccessibleDescription("Database location")
        self.where_label.setStyleSheet("color: palette(placeholder-text);")

        column = QVBoxLayout()
        column.setSpacing(10)
        column.addWidget(title)
        column.addWidget(intro)
        column.addSpacing(14)
        column.addWidget(prompt)
        column.addLayout(ways)
        column.addSpacing(14)
        column.addWidget(self.where_label)

        card = QFrame()
        card.setLayout(column)
        card.setMaximumWidth(860)

        centred = QHBoxLayout()
        centred.addStretch(1)
        centred.addWidget(card, 4)
        centred.addStretch(1)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(centred)
        outer.addStretch(2)

        set_tab_order(self.demo_button, self.import_button, self.add_button)

    @staticmethod
    def _text(text: str, scale: float) -> QLabel:
        label = QLabel(text)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setWordWrap(True)
        font = label.font()
        font.setPointSizeF(font.pointSizeF() * scale)
        label.setFont(font)
        return label

    def _way_in(self, grid: QGridLayout, row: int, text: str, description: str) -> QPushButton:
        """A big button with its explanation beside it (read out by screen readers too)."""
        button = QPushButton(text)
        name = text.replace("&", "").rstrip("…")
        button.setAccessibleName(name)
        button.setAccessibleDescription(description)
        font = button.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        button.setFont(font)
        button.setMinimumSize(250, 52)
        button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        explanation = self._text(description, 1.0)
        explanation.setAccessibleName(f"About {name.lower()}")
        grid.addWidget(button, row, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(explanation, row, 1, Qt.AlignmentFlag.AlignTop)
        return button
