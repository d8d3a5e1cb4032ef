"""Date fields as a team lead types them: every date field takes 11/12/2026, 11/12/26,
11 Dec 2026, 2026-12-11 and today, shows what it understood, and never changes silently —
not with the arrow keys, not with the mouse wheel, not with text it cannot read."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.domain.model import RiskFactors, Worker
from ui.context import AppContext
from ui.screens.scheduler import SchedulerScreen
from ui.widgets.dates import DateEdit

TODAY = date(2026, 11, 26)
DEC_11 = date(2026, 12, 11)


def _shown(qtbot: QtBot, widget: QWidget) -> None:
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    with qtbot.waitActive(widget):
        widget.activateWindow()


def _type(qtbot: QtBot, field: DateEdit, text: str) -> None:
    """Select what the field holds, type over it, press Enter."""
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)


@pytest.fixture
def field(qtbot: QtBot) -> DateEdit:
    edit = DateEdit(TODAY, today=lambda: TODAY)
    edit.setAccessibleName("As of")
    _shown(qtbot, edit)
    return edit


@pytest.mark.parametrize("typed", ["11/12/2026", "11/12/26", "11 Dec 2026", "2026-12-11"])
def test_typed_the_usual_ways_it_shows_what_it_understood(
    qtbot: QtBot, field: DateEdit, typed: str
) -> None:
    changes: list[Any] = []
    field.dateChanged.connect(changes.append)
    _type(qtbot, field, typed)
    assert field.value() == DEC_11
    assert field.text() == "11 Dec 2026"  # what it understood, written out
    assert field.message == "Understood as Friday 11 December 2026."
    assert field.toolTip() == field.message == field.accessibleDescription()
    assert len(changes) == 1


def test_today(qtbot: QtBot, field: DateEdit) -> None:
    field.set_date(DEC_11)
    _type(qtbot, field, "today")
    assert field.value() == TODAY and field.text() == "26 Nov 2026"


def test_arrow_keys_and_the_mouse_wheel_never_change_it(qtbot: QtBot, field: DateEdit) -> None:
    changes: list[Any] = []
    field.dateChanged.connect(changes.append)
    field.setFocus()
    for key in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
        for _ in range(3):
            qtbot.keyClick(field, key)
    wheel = QWheelEvent(
        QPointF(5, 5), QPointF(field.mapToGlobal(QPoint(5, 5))), QPoint(0, 0), QPoint(0, 120),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
        False,
    )  # fmt: skip
    for _ in range(5):
        QApplication.sendEvent(field, wheel)
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert field.value() == TODAY and field.text() == "26 Nov 2026"
    assert changes == []


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("32/12/2026", "There is no 32 December 2026"),
        ("11/13/26", "has no month 13"),
        ("next week", "is not a date Keel understands"),
    ],
)
def test_text_it_cannot_read_is_refused_and_the_date_kept(
    qtbot: QtBot, field: DateEdit, typed: str, says: str
) -> None:
    changes: list[Any] = []
    field.dateChanged.connect(changes.append)
    _type(qtbot, field, typed)
    assert field.value() == TODAY
    assert field.text() == "26 Nov 2026"
    assert says in field.message and "The date is still 26 Nov 2026." in field.message
    assert field.toolTip() == field.message
    assert "border" in field.styleSheet()  # marked, until a date is understood
    assert changes == []
    _type(qtbot, field, "11/12/26")
    assert field.value() == DEC_11 and field.styleSheet() == ""


def test_a_date_before_the_earliest_allowed_is_refused(qtbot: QtBot, field: DateEdit) -> None:
    from ui.widgets.dates import to_qdate

    field.setMinimumDate(to_qdate(TODAY))
    _type(qtbot, field, "1/11/2026")
    assert field.value() == TODAY
    assert field.message.startswith("Choose a date on or after 26 Nov 2026.")


def test_the_calendar_opens_with_alt_down_and_a_click_chooses(
    qtbot: QtBot, field: DateEdit
) -> None:
    qtbot.keyClick(field, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    calendar = field.calendar
    assert calendar is not None and calendar.isVisible()
    assert calendar.selectedDate().toPython() == TODAY
    calendar.setSelectedDate(calendar.selectedDate().addDays(15))
    calendar.activated.emit(calendar.selectedDate())
    assert not calendar.isVisible()
    assert field.value() == DEC_11 and field.message == "Understood as Friday 11 December 2026."


def test_the_scheduler_as_of_takes_a_typed_date(
    qtbot: QtBot, db: Any, db_path: Path, today: date
) -> None:
    ctx = AppContext.for_database(db, db_path, today=lambda: today)
    worker = ctx.workers.save(Worker(id="", name="Zoë Adams", start_date=date(2025, 1, 6)))
    ctx.workers.add_assessment(
        worker.id, date(2026, 1, 5), RiskFactors(2, 2, 2, 2), assessed_by="NB", rationale="x"
    )
    screen = SchedulerScreen(ctx)
    _shown(qtbot, screen)
    _type(qtbot, screen.as_of_edit, "11 Dec 2026")
    qtbot.waitUntil(lambda: screen.model.schedule().as_of == DEC_11)
    assert screen.counts.text().startswith("On Fri 11 Dec 2026:")
    # The arrow keys leave the schedule where it is (they once moved it to 2024).
    for _ in range(5):
        qtbot.keyClick(screen.as_of_edit, Qt.Key.Key_Up)
        qtbot.keyClick(screen.as_of_edit, Qt.Key.Key_Down)
    qtbot.wait(400)
    assert screen.model.schedule().as_of == DEC_11


def test_every_date_field_in_the_app_is_a_typed_date_field() -> None:
    """No Qt date spin box is left anywhere in the window's code."""
    ui_root = Path(__file__).resolve().parents[2] / "ui"
    spin_boxes = re.compile(r"\bQ(?:Date|DateTime)Edit\(")
    offenders = [
        str(path.relative_to(ui_root))
        for path in ui_root.rglob("*.py")
        if spin_boxes.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
