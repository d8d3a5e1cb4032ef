"""Smaller things a team lead noticed in a day at the window: a decision's themes count for its
session; overdue cells say by how much; overdue carried-forward actions stand out; the Actions
table's Due column has room for a date; the scheduler shows whole teams and tiers at 1366 px;
loading the demo lands on the Scheduler; a signature is stored as the supervisor's name."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QFontMetrics
from pytestqt.qtbot import QtBot

from app.domain.catalogue import BUILTIN_KEYS, CLINICAL, LINE
from app.domain.model import DueStatus
from app.domain.records import Decision
from app.services.demo import load_demo
from app.services.governance import detect_trends
from app.services.themes import themes_for_tagging
from app.storage.db import Database
from tests.ui.test_session_forms import _earlier_session, make_team, show
from ui.context import AppContext
from ui.forms.session_form import SessionForm
from ui.main_window import MainWindow
from ui.models.schedule_model import FIRST_TYPE_COLUMN, Column
from ui.screens.scheduler import SchedulerScreen
from ui.widgets.status_style import BACKGROUND


@pytest.fixture
def ctx(db: Database, db_path: Path, today: date) -> AppContext:
    return AppContext.for_database(db, db_path, today=lambda: today)


def test_a_theme_ticked_on_a_decision_shows_as_the_sessions_own(
    qtbot: QtBot, ctx: AppContext, today: date
) -> None:
    team = make_team(ctx)
    theme = themes_for_tagging(ctx.db)[0]
    form = show(qtbot, SessionForm.for_new(ctx, LINE, team.zoe.id, today))
    form.decisions.model.set_rows([Decision("Cap the caseload", "Over the norm")])
    form.decisions.model.set_theme_ids(0, [theme.id])
    qtbot.waitUntil(lambda: theme.id in form.themes.themes.model.elsewhere())
    box = form.themes.themes.view.boxes[theme.id]  # type: ignore[attr-defined]
    assert box.isChecked() and not box.isEnabled()  # ticked by the decision: no second tick
    assert box.text() == f"{theme.name} (on a decision)"
    assert form.record().theme_ids == []  # stored once, on the decision
    # The session counts once for the theme.
    form.discussion.issues.setPlainText("Caseload of 32.")
    form.risk.answer.set_value(False)
    assert form.save()
    for worker in (team.aisha, team.ben):
        record = ctx.sessions.new_record(LINE, worker.id, today - timedelta(days=3))
        record.theme_ids = [theme.id]
        ctx.sessions.save(record)
    [alert] = [a for a in detect_trends(ctx.db, today) if a.theme_id == theme.id]
    assert alert.sessions == 3
    # Untagging the decision gives the box back.
    form.decisions.model.set_theme_ids(0, [])
    qtbot.waitUntil(lambda: box.isEnabled())
    assert not box.isChecked() and box.text() == theme.name


def test_overdue_carried_forward_actions_stand_out(
    qtbot: QtBot, ctx: AppContext, today: date
) -> None:
    team = make_team(ctx)
    _earlier_session(ctx, team)  # due 10 Nov (overdue on 26 Nov), 30 Nov (not), none
    form = show(qtbot, SessionForm.for_new(ctx, CLINICAL, team.zoe.id, today))
    assert form.carried is not None
    model = form.carried.model
    due = model.column_of("due_date")
    assert model.index(0, due).data() == "✖ 10 Nov 2026\noverdue 16 days"
    assert model.index(0, due).data(Qt.ItemDataRole.BackgroundRole) == BACKGROUND[DueStatus.OVERDUE]
    assert model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert model.index(1, due).data() == "30 Nov 2026"
    assert model.index(1, due).data(Qt.ItemDataRole.BackgroundRole) is None
    assert model.index(2, due).data() == "no date"


def test_the_actions_due_column_has_room_for_a_date(
    qtbot: QtBot, ctx: AppContext, today: date
) -> None:
    team = make_team(ctx)
    form = show(qtbot, SessionForm.for_new(ctx, LINE, team.zoe.id, today))
    table = form.actions_section.table
    column = table.model.column_of("due_date")
    metrics = QFontMetrics(table.view.font())
    assert table.view.columnWidth(column) >= metrics.horizontalAdvance("30 Sept 2026") + 40
    table.add_row()
    assert table.view.columnWidth(column) >= metrics.horizontalAdvance("— set a date")


def test_overdue_cells_say_by_how_much(ctx: AppContext, today: date) -> None:
    team = make_team(ctx)
    record = ctx.sessions.new_record(LINE, team.aisha.id, today - timedelta(days=70))
    ctx.sessions.save(record)
    screen = SchedulerScreen(ctx)
    row = screen.model.row_of(team.aisha.id)
    text = screen.model.index(row, FIRST_TYPE_COLUMN + BUILTIN_KEYS.index(LINE)).data()
    due = today - timedelta(days=70) + timedelta(days=42)  # standard: every 42 days
    assert text == f"✖ Overdue · {(today - due).days} days · {due.day} {due:%b}"


def test_the_scheduler_shows_whole_teams_tiers_and_cells_at_1366_px(
    qtbot: QtBot, ctx: AppContext, today: date
) -> None:
    load_demo(ctx.db, today=today)
    QSettings().remove("scheduler")  # no widths a person dragged: the ones Keel chooses
    screen = SchedulerScreen(ctx)
    qtbot.addWidget(screen)
    screen.resize(1366 - 2 * 9, 700)  # the maximised window's central area
    screen.show()
    qtbot.waitExposed(screen)
    table = screen.table
    metrics = QFontMetrics(table.font())
    types = [FIRST_TYPE_COLUMN + n for n in range(len(BUILTIN_KEYS))]
    next_due = screen.model.next_due_column
    cut = []
    for row in range(screen.proxy.rowCount()):
        for column in (Column.WORKER, Column.TEAM, Column.TIER, *types, next_due):
            text = str(screen.proxy.index(row, column).data())
            if metrics.horizontalAdvance(text) + 8 > table.columnWidth(column):
                heading = screen.model.headerData(column, Qt.Orientation.Horizontal)
                cut.append(f"{text!r} in {heading} ({table.columnWidth(column)} px)")
    assert cut == []
    assert table.horizontalScrollBar().maximum() == 0  # nothing off to the right either


def test_loading_the_demo_lands_on_the_scheduler(qtbot: QtBot, ctx: AppContext) -> None:
    QSettings().setValue("main/tab", 1)  # Workers was the last tab used (another database)
    try:
        window = MainWindow(ctx)
        qtbot.addWidget(window)
        window.show()
        window.load_demo()
        qtbot.waitUntil(lambda: window.stack.currentWidget() is window.tabs, timeout=30000)
        assert window.current_screen() is window.scheduler
    finally:
        QSettings().remove("main/tab")


def test_a_signature_is_stored_as_the_supervisors_recorded_name(
    ctx: AppContext, today: date, monkeypatch: Any
) -> None:
    team = make_team(ctx)
    record = ctx.sessions.new_record(LINE, team.zoe.id, today)
    record.issues = "Caseload"
    record.risk_link = False
    record.decisions = [Decision("Carry on", "Stable")]
    sid = ctx.sessions.save(record).record.id
    ctx.records.sign_off(sid, " priya  nair ", confirmed=True, accept_gaps=True)
    ctx.records.respond(sid, agree=True, name="zoë   ADAMS ")
    state = ctx.records.state(sid)
    assert (state.signed_by_name, state.supervisee_name) == ("Priya Nair", "Zoë Adams")
