"""The worker page's Wellbeing and Agreement tabs, and agreement reviews on the scheduler."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.domain.agreements import AgreedType, Agreement
from app.domain.records import Workload
from app.services import agreements as agreement_service
from app.storage.db import Database
from ui.context import AppContext
from ui.forms import agreement_dialog
from ui.forms.agreement_dialog import AgreementDialog, AgreementHistoryModel
from ui.main_window import MainWindow
from ui.models.schedule_model import Column
from ui.screens.scheduler import SchedulerScreen, counts_text
from ui.screens.workers import WorkersScreen
from ui.widgets.sparkline import PulseModel, Reading, WellbeingChart

from .records_helpers import Staff, make_staff, pulse

M, S, E = Workload.MANAGEABLE, Workload.STRETCHED, Workload.EXCESSIVE


@pytest.fixture
def ctx(db: Database, db_path: Path, today: date) -> AppContext:
    return AppContext.for_database(db, db_path, today=lambda: today)


@pytest.fixture
def staff(ctx: AppContext) -> Staff:
    return make_staff(ctx)


@pytest.fixture
def screen(qtbot: QtBot, ctx: AppContext, staff: Staff) -> WorkersScreen:
    s = WorkersScreen(ctx)
    qtbot.addWidget(s)
    s.resize(1366, 768)
    s.show()
    qtbot.waitExposed(s)
    return s


# Wellbeing -----------------------------------------------------------------------------------


def test_chart_points_hold_the_readings(qtbot: QtBot) -> None:
    chart = WellbeingChart()
    qtbot.addWidget(chart)
    chart.resize(600, 260)
    readings = [
        Reading(date(2026, 9, 1), 8, M, False),
        Reading(date(2026, 10, 1), None, S, None),
        Reading(date(2026, 10, 20), 5, E, True),
        Reading(date(2026, 11, 10), 10, M, False),
    ]
    chart.set_readings(readings)
    points = chart.points()
    assert [p.reading for p in points] == readings
    xs = [p.x for p in points]
    assert xs == sorted(xs) and len(set(xs)) == 4  # oldest on the left, evenly spread
    assert points[1].y is None  # no score: no point on the line
    y8, y5, y10 = points[0].y, points[2].y, points[3].y
    assert y8 is not None and y5 is not None and y10 is not None
    rect = chart.plot_rect()
    assert y10 == pytest.approx(rect.top()) and y5 > y8 > y10  # higher score, higher up
    assert chart.describe() == (
        "Wellbeing scores, oldest first — 1 Sep 2026: 8; 20 Oct 2026: 5; 10 Nov 2026: 10"
    )
    chart.grab()  # paints without error


def test_pulse_model_passes_the_model_tester(qtmodeltester: Any) -> None:
    model = PulseModel(
        [Reading(date(2026, 9, 1), 8, M, False), Reading(date(2026, 10, 1), None, None, True)]
    )
    assert [model.index(1, c).data() for c in range(4)] == ["1 Oct 2026", "—", "—", "Yes"]
    assert [model.index(0, c).data() for c in range(4)] == [
        "1 Sep 2026", "8/10", "Manageable", "No",
    ]  # fmt: skip
    qtmodeltester.check(model)


def test_a_falling_pulse_shows_the_gentle_flag(
    qtbot: QtBot, screen: WorkersScreen, ctx: AppContext, staff: Staff
) -> None:
    pulse(ctx, staff, staff.zoe, [
        (date(2026, 8, 20), 8, M, False),
        (date(2026, 9, 20), 7, S, False),
        (date(2026, 10, 20), 6, S, None),
        (date(2026, 11, 20), 5, E, False),
    ])  # fmt: skip
    screen.show_worker(staff.zoe.id)
    tab = screen.wellbeing_tab
    screen.tabs.setCurrentWidget(tab)
    assert screen.tabs.tabText(screen.tabs.currentIndex()) == "Well&being"
    assert [(r.on, r.wellbeing, r.workload) for r in tab.chart.readings()] == [
        (date(2026, 8, 20), 8, M), (date(2026, 9, 20), 7, S),
        (date(2026, 10, 20), 6, S), (date(2026, 11, 20), 5, E),
    ]  # fmt: skip
    assert tab.model.index(0, 1).data() == "5/10"  # newest first in the table
    messages = tab.flag_messages()
    assert len(messages) == 1
    assert messages[0].startswith("Wellbeing has fallen over three sessions (7 → 6 → 5).")
    assert "offering support" in messages[0]
    assert tab.flag_label.isVisible()
    assert "latest 5/10" in tab.summary.text()


def test_no_flag_when_the_pulse_recovers_and_distress_twice_flags(
    qtbot: QtBot, screen: WorkersScreen, ctx: AppContext, staff: Staff
) -> None:
    pulse(ctx, staff, staff.aisha, [
        (date(2026, 9, 1), 8, M, None),
        (date(2026, 10, 1), 7, M, None),
        (date(2026, 11, 1), 8, M, None),
    ])  # fmt: skip
    pulse(ctx, staff, staff.ben, [
        (date(2026, 10, 1), 6, S, True),
        (date(2026, 11, 1), 6, S, True),
    ])  # fmt: skip
    screen.show_worker(staff.aisha.id)
    assert screen.wellbeing_tab.flag_messages() == []
    assert not screen.wellbeing_tab.flag_label.isVisibleTo(screen)
    screen.show_worker(staff.ben.id)
    (message,) = screen.wellbeing_tab.flag_messages()
    assert message.startswith("Moral distress was recorded at two sessions in a row")
    screen.show_worker(staff.zoe.id)  # nothing recorded
    assert screen.wellbeing_tab.flag_messages() == []
    assert screen.wellbeing_tab.summary.text().startswith("No wellbeing pulse recorded yet")


# Agreement -----------------------------------------------------------------------------------


def fill_and_save(
    fill: Callable[[AgreementDialog], None], monkeypatch: pytest.MonkeyPatch, qtbot: QtBot
) -> list[AgreementDialog]:
    """Replace the dialog's exec with a user who fills it in and clicks Save."""
    seen: list[AgreementDialog] = []

    def run(dialog: AgreementDialog) -> int:
        seen.append(dialog)
        fill(dialog)
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        return int(dialog.result())

    monkeypatch.setattr(AgreementDialog, "exec", run)
    return seen


def test_an_agreement_saved_through_the_dialog_shows_on_the_page(
    qtbot: QtBot,
    screen: WorkersScreen,
    ctx: AppContext,
    staff: Staff,
    monkeypatch: pytest.MonkeyPatch,
    today: date,
) -> None:
    screen.show_worker(staff.zoe.id)
    tab = screen.agreement_tab
    screen.tabs.setCurrentWidget(tab)
    assert tab.empty_label.isVisible() and not tab.edit_button.isEnabled()

    def fill(d: AgreementDialog) -> None:
        line, line_every = d.type_rows["line"]
        assert line.currentData() == staff.lead.id  # from the worker's record
        assert line_every.value() > 0  # the interval the risk rules give now
        group, _group_every = d.type_rows["group"]
        group.setCurrentIndex(group.findData(staff.aisha.id))
        d.type_rows["clinical"][1].setValue(28)
        d.duration.setValue(90)
        qtbot.keyClicks(d.location, "Room 2 <Ashby> & video")
        qtbot.keyClicks(d.recorded, "Issues, decisions, actions in Keel")
        qtbot.keyClicks(d.access, "Supervisee and supervisors")
        d.starts.set_date(date(2026, 1, 5))
        d.review.set_date(date(2027, 1, 5))

    dialogs = fill_and_save(fill, monkeypatch, qtbot)
    saved: list[str] = []
    tab.agreement_saved.connect(saved.append)
    changed: list[list[str]] = []
    screen.workers_changed.connect(changed.append)
    qtbot.mouseClick(tab.new_button, Qt.MouseButton.LeftButton)
    assert len(dialogs) == 1 and saved == [staff.zoe.id] and changed == [[staff.zoe.id]]

    current = agreement_service.current_agreement(ctx.db, staff.zoe.id)
    assert current is not None
    assert current.agreed("group").supervisor_id == staff.aisha.id
    assert current.agreed("clinical").every_days == 28
    assert tab.details_box.isVisible() and not tab.empty_label.isVisible()
    lines = tab.field_text("types").splitlines()
    assert lines[0].startswith("Line management supervision: Priya Nair, every ")
    assert "Clinical supervision: " in lines[1] and lines[1].endswith("every 28 days (4 weeks)")
    assert lines[2].startswith("Reflective / group supervision: Aisha Rahman, ")
    assert tab.field_text("duration") == "90 minutes"
    assert tab.field_text("location") == "Room 2 <Ashby> & video"
    assert tab.field_text("access") == "Supervisee and supervisors"
    assert tab.field_text("dates") == "Started 5 Jan 2026 · review on 5 Jan 2027"
    assert tab.review_label.text() == "Review on 5 Jan 2027."

    # A new agreement replaces it; the first stays as history.
    def fill_again(d: AgreementDialog) -> None:
        assert d.location.text() == "Room 2 <Ashby> & video"  # starts from the current one
        d.starts.set_date(today)
        d.review.set_date(today + timedelta(days=10))

    fill_and_save(fill_again, monkeypatch, qtbot)
    qtbot.mouseClick(tab.new_button, Qt.MouseButton.LeftButton)
    assert tab.history_model.rowCount() == 2
    assert tab.history_model.index(1, 2).data() == "26 Nov 2026"  # the first ended
    assert tab.history_model.index(0, 2).data() == "In force"
    assert tab.review_label.text().startswith("▲ Due soon — Supervision agreement review due")


def test_a_bad_agreement_is_explained_and_nothing_saved(
    qtbot: QtBot,
    screen: WorkersScreen,
    ctx: AppContext,
    staff: Staff,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(
        agreement_dialog.QMessageBox,
        "warning",
        lambda _p, _t, text, *_a: warnings.append(text) or QMessageBox.StandardButton.Ok,
    )
    screen.show_worker(staff.zoe.id)

    def fill(d: AgreementDialog) -> None:
        d.starts.set_date(date(2026, 11, 1))
        d.review.set_date(date(2026, 10, 1))

    dialogs = fill_and_save(fill, monkeypatch, qtbot)
    qtbot.mouseClick(screen.agreement_tab.new_button, Qt.MouseButton.LeftButton)
    assert warnings == ["The review date must be on or after the start date."]
    assert dialogs[0].saved is None
    assert agreement_service.current_agreement(ctx.db, staff.zoe.id) is None


def test_history_model_passes_the_model_tester(
    qtmodeltester: Any, ctx: AppContext, staff: Staff
) -> None:
    agreement_service.save_agreement(
        ctx.db,
        Agreement(
            staff.zoe.id, date(2025, 1, 1), date(2026, 1, 1), (AgreedType("line", staff.lead.id),)
        ),
    )
    model = AgreementHistoryModel()
    model.names = {staff.lead.id: "Priya Nair"}
    model.set_rows(agreement_service.agreement_history(ctx.db, staff.zoe.id))
    assert [model.index(0, c).data() for c in range(4)] == [
        "1 Jan 2025", "1 Jan 2026", "In force", "Priya Nair",
    ]  # fmt: skip
    qtmodeltester.check(model)


def test_a_review_falling_due_shows_on_the_scheduler(
    qtbot: QtBot,
    ctx: AppContext,
    staff: Staff,
    monkeypatch: pytest.MonkeyPatch,
    today: date,
) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    scheduler: SchedulerScreen = window.scheduler
    assert "agreement review" not in scheduler.counts.text()

    def fill(d: AgreementDialog) -> None:
        d.starts.set_date(date(2025, 12, 1))
        d.review.set_date(date(2026, 12, 3))  # in 7 days: due soon

    fill_and_save(fill, monkeypatch, qtbot)
    window.show_worker(staff.zoe.id)
    qtbot.mouseClick(window.workers.agreement_tab.new_button, Qt.MouseButton.LeftButton)

    # The save refreshed the scheduler: counted, named in the tooltip, in the details pane.
    assert scheduler.counts.text().endswith("· 1 agreement review due")
    row = scheduler.model.row_of(staff.zoe.id)
    assert row is not None
    tip = scheduler.model.index(row, Column.WORKER).data(Qt.ItemDataRole.ToolTipRole)
    assert "Supervision agreement review due 3 Dec 2026 (in 7 days)" in tip
    assert scheduler.select_worker(staff.zoe.id)
    assert scheduler.details.agreement.isVisibleTo(scheduler)
    assert scheduler.details.agreement.text() == (
        "▲ Due soon — Supervision agreement review due 3 Dec 2026 (in 7 days)"
    )
    assert scheduler.select_worker(staff.aisha.id)
    assert not scheduler.details.agreement.isVisibleTo(scheduler)

    # The status filter lists exactly the workers with a review in sight.
    combo = scheduler.status_combo
    combo.setCurrentIndex(combo.findText("Agreement review due"))
    shown = [
        scheduler.proxy.index(r, Column.WORKER).data() for r in range(scheduler.proxy.rowCount())
    ]
    assert shown == ["Zoë Adams"]
    assert scheduler.shown.text() == "Showing 1 of 4"

    # Looking ahead past the review date shows it overdue, like any other due item.
    scheduler.set_as_of(today + timedelta(days=10))
    assert scheduler.select_worker(staff.zoe.id)
    assert scheduler.details.agreement.text().startswith(
        "✖ Overdue — Supervision agreement review was due 3 Dec 2026 (3 days ago)"
    )
    assert "1 agreement review due" in counts_text(scheduler.model, today)
    combo.setCurrentIndex(0)
    assert scheduler.proxy.rowCount() == 4


def test_reviews_not_yet_in_sight_do_not_show(qtbot: QtBot, ctx: AppContext, staff: Staff) -> None:
    agreement_service.save_agreement(
        ctx.db, Agreement(staff.zoe.id, date(2026, 6, 1), date(2027, 6, 1))
    )
    agreement_service.save_agreement(
        ctx.db, Agreement(staff.ben.id, date(2025, 11, 1), date(2026, 11, 1))
    )
    screen = SchedulerScreen(ctx)
    qtbot.addWidget(screen)
    assert [d.worker_id for d in screen.model.agreements()] == [staff.ben.id]
    assert screen.counts.text().endswith("· 1 agreement review due")
    screen.status_combo.setCurrentIndex(screen.status_combo.findText("Agreement review due"))
    assert screen.proxy.rowCount() == 1
    assert screen.proxy.index(0, Column.WORKER).data() == "Ben Carter"


def test_a_fourth_type_gets_its_own_agreement_row(
    qtbot: QtBot,
    screen: WorkersScreen,
    ctx: AppContext,
    staff: Staff,
    monkeypatch: pytest.MonkeyPatch,
    today: date,
) -> None:
    """A service that adds safeguarding supervision agrees who gives it and how often, like
    the built-in types: the dialog has its row, the agreement keeps it, the page shows it."""
    from tests.app.test_policy_types import with_safeguarding

    ctx.policies.save(
        with_safeguarding(ctx.policies.history().latest.policy, "safeguarding"),
        effective_from=today, reason="Children's service", by="Priya Nair", today=today,
    )  # fmt: skip
    ctx.policy_changed()
    screen.show_worker(staff.zoe.id)
    tab = screen.agreement_tab
    screen.tabs.setCurrentWidget(tab)

    def fill(d: AgreementDialog) -> None:
        assert list(d.type_rows) == ["line", "clinical", "group", "safeguarding"]
        who, every = d.type_rows["safeguarding"]
        assert who.accessibleName() == "Safeguarding supervision: supervisor"
        who.setCurrentIndex(who.findData(staff.aisha.id))
        every.setValue(91)

    fill_and_save(fill, monkeypatch, qtbot)
    qtbot.mouseClick(tab.new_button, Qt.MouseButton.LeftButton)
    current = ctx.agreements.current_agreement(staff.zoe.id)
    assert current is not None
    assert current.agreed("safeguarding") == AgreedType("safeguarding", staff.aisha.id, 91)
    assert current.agreed("line").supervisor_id == staff.lead.id  # the others kept
    assert tab.field_text("types").splitlines()[-1] == (
        "Safeguarding supervision: Aisha Rahman, every 91 days (13 weeks)"
    )
