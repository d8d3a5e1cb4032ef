"""Keyboard traps: every form and screen walked by Tab alone — every field reached, in visual
order, and every table one Tab stop (arrows move inside it, Tab leaves it)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from PySide6.QtWidgets import QAbstractItemView, QApplication

from app.domain.catalogue import BUILTIN_KEYS, CLINICAL, DEFAULT_CATALOGUE
from app.domain.model import TypeKey
from tests.ui.tabwalk import check_walk, describe
from tests.ui.test_session_forms import _earlier_session, make_team, show
from ui.context import AppContext
from ui.forms.session_form import SessionForm


@pytest.fixture
def ctx(db: Any, db_path: Any, today: date) -> AppContext:
    return AppContext.for_database(db, db_path, today=lambda: today)


@pytest.mark.parametrize("type_", BUILTIN_KEYS)
def test_each_session_form_is_walked_by_tab_alone(
    qtbot: Any, ctx: AppContext, today: date, type_: TypeKey
) -> None:
    team = make_team(ctx)
    _earlier_session(ctx, team)  # three carried-forward actions, each with an Outcome choice
    worker = None if DEFAULT_CATALOGUE[type_].is_group else team.zoe.id
    form = show(qtbot, SessionForm.for_new(ctx, type_, worker, today))
    order = check_walk(
        form,
        form.scroll_area,
        must_reach=[form.details.date, form.discussion.issues, form.save_button],
    )
    print([describe(w) for w in order])


@pytest.fixture
def demo_window(qtbot: Any, tmp_path: Any, today: date) -> Any:
    """The main window on the demo service, active, on a 1366×768 laptop screen."""
    from app.services.demo import load_demo
    from app.storage.db import close_database, open_database
    from ui.main_window import MainWindow

    db = open_database(tmp_path / "demo.db")
    load_demo(db, today=today)
    window = MainWindow(AppContext.for_database(db, tmp_path / "demo.db", today=lambda: today))
    qtbot.addWidget(window)
    window.resize(1366, 740)
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitActive(window):
        window.activateWindow()
    yield window
    window.close()
    close_database(db)


@pytest.mark.parametrize("tab", [0, 1, 2, 3])
def test_each_screen_is_walked_by_tab_alone_and_each_table_is_one_stop(
    qtbot: Any, demo_window: Any, tab: int
) -> None:
    window = demo_window
    window.tabs.setCurrentIndex(tab)
    screen = window.tabs.currentWidget()
    qtbot.waitUntil(lambda: screen.isVisible())
    QApplication.processEvents()
    bar = window.tabs.tabBar()
    order = check_walk(window, bar)
    tables = [w for w in order if isinstance(w, QAbstractItemView)]
    assert tables, "a screen without a table?"
    for table in tables:
        assert not table.tabKeyNavigation(), describe(table)
    # The window remembers its tab when it closes (QSettings, shared by the tests): leave the
    # scheduler's, as a first start has.
    window.tabs.setCurrentIndex(0)


def _dialogs(ctx: AppContext, today: date, worker_id: str) -> dict[str, Any]:
    from ui.calendar_export import CalendarRangeDialog
    from ui.exporting import DateRangeDialog
    from ui.forms.adjustment_dialogs import LeaveDialog, OverrideDialog, TriggerDialog
    from ui.forms.booking_dialog import BookingDialog
    from ui.forms.governance_dialogs import DismissAlertDialog
    from ui.forms.new_session_dialog import NewSessionDialog
    from ui.forms.themes_dialog import ThemesDialog
    from ui.forms.worker_dialog import LeftDateDialog, WorkerDialog
    from ui.screens.search import SearchDialog

    return {
        "new session": lambda: NewSessionDialog(ctx),
        "add worker": lambda: WorkerDialog(ctx),
        "edit worker": lambda: WorkerDialog(ctx, ctx.workers.get(worker_id)),
        "leave": lambda: LeaveDialog(ctx, worker_id),
        "override": lambda: OverrideDialog(ctx, worker_id),
        "trigger event": lambda: TriggerDialog(ctx, worker_id),
        "themes": lambda: ThemesDialog(ctx),
        "search": lambda: SearchDialog(ctx),
        "calendar range": lambda: CalendarRangeDialog(today),
        "report period": lambda: DateRangeDialog(
            "Pack", "A period", today, confidential_option=True
        ),
        "dismiss alert": lambda: DismissAlertDialog("Workload pressure: 4 sessions"),
        "left date": lambda: LeftDateDialog("Zoë Adams", today),
        "book a session": lambda: BookingDialog(
            "Zoë Adams", DEFAULT_CATALOGUE[CLINICAL], today, today
        ),
    }


@pytest.mark.parametrize(
    "name",
    ["new session", "add worker", "edit worker", "leave", "override", "trigger event",
     "themes", "search", "calendar range", "report period", "dismiss alert", "left date",
     "book a session"],
)  # fmt: skip
def test_each_dialog_is_walked_by_tab_alone(
    qtbot: Any, ctx: AppContext, today: date, name: str
) -> None:
    team = make_team(ctx)
    dialog = _dialogs(ctx, today, team.zoe.id)[name]()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    with qtbot.waitActive(dialog):
        dialog.activateWindow()
    check_walk(dialog)
