"""Time fields are one Tab stop and take a time as people type it (ui.widgets.times).

Qt's own time field took two Tabs to leave (hours, then minutes), never let Tab leave while it
showed "not set", and appended digits typed there to the words ("not set430")."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTime
from PySide6.QtWidgets import QApplication

from app.domain.catalogue import CLINICAL, DEFAULT_CATALOGUE
from tests.ui.test_session_forms import click, dialogs, make_team, show  # noqa: F401 - fixture
from ui.context import AppContext
from ui.forms.booking_dialog import BookingDialog
from ui.forms.session_form import SessionForm


@pytest.fixture
def ctx(db: Any, db_path: Any, today: date) -> AppContext:
    return AppContext.for_database(db, db_path, today=lambda: today)


def _tab(qtbot: Any, backwards: bool = False) -> None:
    key = Qt.Key.Key_Backtab if backwards else Qt.Key.Key_Tab
    qtbot.keyClick(QApplication.focusWidget(), key)


@pytest.mark.usefixtures("dialogs")  # a message box would wait for a click
def test_the_session_forms_start_time_is_typed_and_left_with_one_tab(
    qtbot: Any, ctx: AppContext, today: date
) -> None:
    team = make_team(ctx)
    form = show(qtbot, SessionForm.for_new(ctx, CLINICAL, team.zoe.id, today))
    start, duration = form.details.start, form.details.duration
    start.setTime(start.minimumTime())  # as a record saved without a time shows it
    assert start.text() == "not set"
    form.details.date.setFocus()
    _tab(qtbot)
    assert QApplication.focusWidget() is start
    _tab(qtbot)  # "not set" used to hold the focus for ever
    assert QApplication.focusWidget() is duration
    _tab(qtbot, backwards=True)
    assert QApplication.focusWidget() is start

    qtbot.keyClicks(start, "1430")
    _tab(qtbot)  # one Tab, not one per section
    assert QApplication.focusWidget() is duration
    assert start.time() == QTime(14, 30)

    click(qtbot, form.risk.answer.button(False))
    with qtbot.waitSignal(form.session_saved):
        assert form.save() is True
    stored = ctx.sessions.get(form.session_id)
    assert stored is not None and stored.start_time == "14:30"


@pytest.mark.parametrize(
    ("typed", "expected"), [("0915", time(9, 15)), ("9:15", time(9, 15)), ("14", time(14, 0))]
)
def test_the_booking_dialogs_start_time_takes_what_is_typed_and_one_tab_leaves_it(
    qtbot: Any, today: date, typed: str, expected: time
) -> None:
    dialog = BookingDialog("Zoë Adams", DEFAULT_CATALOGUE[CLINICAL], today, today)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    with qtbot.waitActive(dialog):
        dialog.activateWindow()
    dialog.date_edit.setFocus()
    _tab(qtbot)
    assert QApplication.focusWidget() is dialog.start_edit  # its section is selected on entry
    qtbot.keyClicks(dialog.start_edit, typed)
    _tab(qtbot)
    assert QApplication.focusWidget() is dialog.duration
    assert dialog.start_edit.time().toPython() == expected
