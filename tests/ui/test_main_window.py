"""MainWindow: the right page for the database, routing between screens and forms, menus."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.domain.catalogue import CLINICAL, LINE
from app.domain.model import DueStatus, RiskFactors, SessionStatus, Worker
from app.domain.records import Decision, SessionRecord
from app.services.scheduling import compute_schedule
from app.storage.db import Database
from ui.context import AppContext
from ui.forms.session_form import SessionForm
from ui.main_window import MainWindow


@pytest.fixture
def ctx(db: Database, db_path: Path, today: date) -> AppContext:
    return AppContext.for_database(db, db_path, today=lambda: today)


@pytest.fixture
def window(qtbot: QtBot, ctx: AppContext) -> MainWindow:
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    return w


def _team(ctx: AppContext) -> tuple[Worker, Worker]:
    lead = ctx.workers.save(Worker(id="", name="Noa Ben-David", qualified_clinical=True))
    worker = ctx.workers.save(
        Worker(
            id="",
            name="Zoë Hartley",
            team="North",
            start_date=date(2023, 1, 9),
            line_supervisor_id=lead.id,
            clinical_supervisor_id=lead.id,
        )
    )
    ctx.workers.add_assessment(
        worker.id, date(2026, 1, 5), RiskFactors(2, 2, 2, 2), assessed_by="NB", rationale="Stable"
    )
    return lead, worker


def test_an_empty_database_opens_on_the_welcome_page(window: MainWindow) -> None:
    assert window.stack.currentWidget() is window.welcome_page
    assert window.welcome.isVisible()
    assert not window.new_session_action.isEnabled()


def test_loading_the_demo_from_the_welcome_page_shows_the_scheduler(
    qtbot: QtBot, window: MainWindow, ctx: AppContext
) -> None:
    window.welcome.demo_button.click()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.tabs, timeout=20000)
    assert ctx.workers.count() > 20
    assert window.scheduler.model.rowCount() == len(ctx.workers.all())
    assert window.new_session_action.isEnabled()


def test_a_database_with_workers_opens_on_the_scheduler(qtbot: QtBot, ctx: AppContext) -> None:
    _team(ctx)
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    assert w.stack.currentWidget() is w.tabs
    assert w.current_screen() is w.scheduler


def test_recording_a_session_from_the_scheduler_updates_its_cell(
    qtbot: QtBot, ctx: AppContext, today: date
) -> None:
    lead, worker = _team(ctx)
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    (row,) = [r for r in compute_schedule(ctx.db, today).rows if r.facts.worker_id == worker.id]
    assert row.status.by_type[LINE].status is DueStatus.OVERDUE
    w.scheduler.session_requested.emit(worker.id, "line")
    forms = [f for f in QApplication.topLevelWidgets() if isinstance(f, SessionForm)]
    assert len(forms) == 1
    form = forms[0]
    record = form.record()
    assert record.type == LINE and record.worker_id == worker.id
    form.close_keeping_draft()
    rec = SessionRecord(
        type=LINE,
        status=SessionStatus.HELD,
        session_date=today,
        worker_id=worker.id,
        supervisor_id=lead.id,
        issues="Caseload review",
        decisions=[Decision("Keep caseload at 25", "Two complex cases")],
        risk_link=False,
    )
    saved = ctx.sessions.save(rec)
    w._session_saved(list(saved.affected_workers))
    row = w.scheduler.model.row_of(worker.id)
    assert row is not None
    status = w.scheduler.model.rows()[row].status.by_type[LINE].status
    assert status is DueStatus.ON_TRACK
    assert w.statusBar().currentMessage() == "Session saved."


def test_opening_a_worker_from_the_scheduler_switches_to_their_page(
    qtbot: QtBot, ctx: AppContext
) -> None:
    _lead, worker = _team(ctx)
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.scheduler.worker_requested.emit(worker.id)
    assert w.current_screen() is w.workers


def test_view_menu_switches_screens_with_ctrl_number(qtbot: QtBot, ctx: AppContext) -> None:
    _team(ctx)
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    actions = {a.text(): a for a in w.findChildren(QAction)}
    assert actions["Actions"].shortcut() == QKeySequence("Ctrl+3")
    actions["Actions"].trigger()
    assert w.current_screen() is w.actions_screen
    assert actions["Scheduler"].shortcut() == QKeySequence("Ctrl+1")
    actions["Scheduler"].trigger()
    assert w.current_screen() is w.scheduler
    assert actions["&New session…"].shortcut() == QKeySequence(QKeySequence.StandardKey.New)


def test_window_size_and_screen_are_remembered(qtbot: QtBot, ctx: AppContext) -> None:
    _team(ctx)
    first = MainWindow(ctx)
    qtbot.addWidget(first)
    first.show()
    first.resize(1024, 650)
    first.tabs.setCurrentIndex(2)
    first.close()
    assert QSettings().value("main/tab", type=int) == 2
    second = MainWindow(ctx)
    qtbot.addWidget(second)
    second.show()
    assert second.tabs.currentIndex() == 2
    assert (second.width(), second.height()) == (1024, 650)


def test_quitting_with_a_form_open_keeps_what_was_typed_as_a_draft(
    qtbot: QtBot, ctx: AppContext, today: date
) -> None:
    _lead, worker = _team(ctx)
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    w.open_new_session(worker.id, "clinical")
    (form,) = [f for f in QApplication.topLevelWidgets() if isinstance(f, SessionForm)]
    form.discussion.issues.setPlainText("Half-typed note about C-1043 & <b>risk</b>")
    assert w.close()
    drafts = ctx.sessions.drafts()
    assert len(drafts) == 1
    assert "Half-typed note about C-1043 & <b>risk</b>" in str(drafts[0].data)
    again = SessionForm.for_new(ctx, CLINICAL, worker.id, today)
    qtbot.addWidget(again)
    assert again.discussion.issues.toPlainText() == "Half-typed note about C-1043 & <b>risk</b>"


def test_quitting_makes_the_daily_backup_and_the_data_menu_is_there(
    qtbot: QtBot, ctx: AppContext
) -> None:
    from app.services import autobackup
    from app.services.backup_files import list_backups

    _team(ctx)
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    menus = [a.text() for a in w.menuBar().actions()]
    assert "&Data" in menus
    assert w.data.status_label.text().startswith("⚠ No backup yet.")
    assert w.close()
    (backup,) = list_backups(autobackup.backup_folder(ctx.db))
    assert backup.name.startswith("keel-backup-")


def test_only_the_scheduler_is_built_at_start_the_other_screens_when_first_shown(
    qtbot: QtBot, ctx: AppContext
) -> None:
    _lead, worker = _team(ctx)
    QSettings().remove("main/tab")  # a first start: the scheduler is the tab shown
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    pages = (w.workers_page, w.actions_page, w.governance_page)
    assert [p.is_built for p in pages] == [False, False, False]
    assert w.scheduler.model.row_of(worker.id) is not None  # the scheduler has its data
    w.tabs.setCurrentWidget(w.actions_page)
    assert w.actions_page.is_built and not w.workers_page.is_built
    assert w.actions_screen.isVisible()  # built on show, and shown, not an empty frame
    w.scheduler.worker_requested.emit(worker.id)  # "open this worker" builds Workers
    assert w.current_screen() is w.workers and w.workers.isVisible()
    assert not w.governance_page.is_built


def test_help_opens_the_log_folder_in_the_file_manager(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from PySide6.QtGui import QDesktopServices

    import ui.main_window as main_window_module

    opened: list[str] = []
    monkeypatch.setattr(main_window_module, "log_dir", lambda: tmp_path / "logs")
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    window.open_log_folder()
    assert opened == [str(tmp_path / "logs")]
    assert (tmp_path / "logs").is_dir()


def test_a_first_start_on_a_laptop_screen_fills_the_screen_even_without_a_window_manager(
    qtbot: QtBot, ctx: AppContext
) -> None:
    """On a screen up to 1440 px wide the first window takes the whole available area, by its
    geometry and not only by asking to be maximised (a bare X session has no window manager to
    honour the request: the window stayed 1280 px wide and the scheduler's team column was cut).
    """
    QSettings().remove("main/geometry")
    QSettings().remove("main/state")
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    screen = w.screen().availableGeometry()
    assert screen.width() <= 1440  # the offscreen test screen is a laptop-sized one
    # Before any window manager could act: the screen's height, and its width unless that is
    # below the window's own minimum (the offscreen test screen is 800 px wide).
    assert w.geometry().height() == screen.height()
    assert w.geometry().width() == max(screen.width(), w.minimumWidth())
    assert w.isMaximized()
