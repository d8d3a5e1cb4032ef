"""The workers screen: add, edit, leave the service; leave, overrides, triggers; history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from app.domain.catalogue import CLINICAL, GROUP, LINE
from app.domain.model import (
    DueStatus,
    LeaveKind,
    RiskFactors,
    SessionStatus,
    Tier,
    TriggerKind,
    TypeKey,
    Worker,
)
from app.domain.records import SessionRecord
from app.services.scheduling import compute_schedule
from app.storage.db import Database
from ui.context import AppContext
from ui.forms.adjustment_dialogs import LeaveDialog, OverrideDialog, TriggerDialog
from ui.forms.worker_dialog import NONE_LABEL, WorkerDialog
from ui.models.worker_models import (
    AssessmentHistoryModel,
    LeaveModel,
    LeaveRow,
    OverrideModel,
    OverrideRow,
    SessionHistoryModel,
    TriggerModel,
    TriggerRow,
    WorkerListModel,
    WorkerRow,
)
from ui.screens import workers as workers_module
from ui.screens.workers import WorkersScreen, time_in_post

D = TypeVar("D", bound=QDialog)


@pytest.fixture
def ctx(db: Database, db_path: Path, today: date) -> AppContext:
    return AppContext.for_database(db, db_path, today=lambda: today)


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every QMessageBox.warning shown (none blocks)."""
    shown: list[str] = []

    def fake(_parent: object, _title: str, text: str, *_a: object) -> QMessageBox.StandardButton:
        shown.append(text)
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(fake))
    return shown


def add(ctx: AppContext, name: str, days_in_post: int = 800, **kw: Any) -> Worker:
    start = ctx.today() - timedelta(days=days_in_post)
    return ctx.workers.save(Worker(id="", name=name, start_date=start, **kw))


def held(ctx: AppContext, worker_id: str, type_: TypeKey, on: date) -> str:
    record = SessionRecord(
        type=type_, status=SessionStatus.HELD, session_date=on, worker_id=worker_id
    )
    return ctx.sessions.save(record).record.id


def status_of(ctx: AppContext, worker_id: str) -> Any:
    rows = compute_schedule(ctx.db, ctx.today(), worker_ids=[worker_id]).rows
    assert len(rows) == 1
    return rows[0].status


def run_modal(
    qtbot: Any, kind: type[D], open_it: Callable[[], object], interact: Callable[[D], None]
) -> None:
    """Open a modal dialog with ``open_it`` and drive it with ``interact`` while it runs.

    Whatever ``interact`` does, the dialog is closed afterwards so a failing test never hangs.
    """
    seen: list[QDialog] = []
    errors: list[BaseException] = []

    def poke() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, kind):
            QTimer.singleShot(10, poke)
            return
        seen.append(dialog)
        try:
            interact(dialog)
        except BaseException as exc:  # re-raised below, after the dialog is closed
            errors.append(exc)
        finally:
            if dialog.isVisible():
                dialog.reject()

    QTimer.singleShot(0, poke)
    open_it()
    if errors:
        raise errors[0]
    assert seen, f"no {kind.__name__} was opened"


def names_listed(screen: WorkersScreen) -> list[str]:
    proxy = screen.proxy
    return [proxy.index(r, 0).data() for r in range(proxy.rowCount())]


def make_screen(qtbot: Any, ctx: AppContext) -> WorkersScreen:
    screen = WorkersScreen(ctx)
    qtbot.addWidget(screen)
    screen.resize(1366, 768)
    screen.show()
    return screen


# Adding and editing ------------------------------------------------------------------------


def test_add_worker_with_the_keyboard(qtbot: Any, ctx: AppContext) -> None:
    lead = add(ctx, "Priya Raman", qualified_clinical=True)
    screen = make_screen(qtbot, ctx)

    def fill(dialog: WorkerDialog) -> None:
        assert dialog.line_combo.itemText(0) == NONE_LABEL
        qtbot.keyClicks(dialog.name_edit, "Ana Kowalska")
        qtbot.keyClicks(dialog.staff_id_edit, "E1001")
        qtbot.keyClicks(dialog.role_edit, "Support worker")
        qtbot.keyClicks(dialog.team_combo.lineEdit(), "North CMHT")
        qtbot.keyClicks(dialog.line_combo, "Priya")
        qtbot.keyClick(dialog.requires_checks[GROUP], Qt.Key.Key_Space)  # untick group
        qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)

    with qtbot.waitSignal(screen.workers_changed) as changed:
        run_modal(qtbot, WorkerDialog, screen.add_worker, fill)

    saved = [w for w in ctx.workers.all() if w.name == "Ana Kowalska"]
    assert len(saved) == 1
    ana = saved[0]
    assert (ana.staff_id, ana.role, ana.team) == ("E1001", "Support worker", "North CMHT")
    assert ana.line_supervisor_id == lead.id
    assert ana.clinical_supervisor_id is None
    assert ana.requires == frozenset({LINE, CLINICAL})
    assert ana.start_date == ctx.today()
    assert changed.args == [[ana.id]]
    assert "Ana Kowalska" in names_listed(screen)
    assert screen.current_worker_id == ana.id
    assert screen.name_label.text() == "Ana Kowalska"
    assert "in post 0 days" in screen.details_label.text()


def test_cancelling_the_add_dialog_saves_nothing(qtbot: Any, ctx: AppContext) -> None:
    screen = make_screen(qtbot, ctx)

    def type_then_cancel(dialog: WorkerDialog) -> None:
        qtbot.keyClicks(dialog.name_edit, "Not saved")
        qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Escape)

    run_modal(qtbot, WorkerDialog, screen.add_worker, type_then_cancel)
    assert ctx.workers.all() == []
    assert names_listed(screen) == []


def test_dialog_refuses_a_blank_name_with_a_message(
    qtbot: Any, ctx: AppContext, warnings: list[str]
) -> None:
    dialog = WorkerDialog(ctx)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.name_edit, "   ")
    dialog.accept()
    assert warnings == ["Type the worker's name."]
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert ctx.workers.count() == 0


def test_dialog_shows_the_service_refusal_for_a_duplicate_staff_id(
    qtbot: Any, ctx: AppContext, warnings: list[str]
) -> None:
    add(ctx, "Ben Carter", staff_id="E7")
    dialog = WorkerDialog(ctx)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.name_edit, "Someone Else")
    qtbot.keyClicks(dialog.staff_id_edit, "E7")
    dialog.accept()
    assert len(warnings) == 1 and "E7 already belongs to Ben Carter" in warnings[0]
    assert ctx.workers.count() == 1


def test_dialog_needs_at_least_one_type(qtbot: Any, ctx: AppContext, warnings: list[str]) -> None:
    dialog = WorkerDialog(ctx)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.name_edit, "Nobody")
    for check in dialog.requires_checks.values():
        check.setChecked(False)
    dialog.accept()
    assert warnings and "at least one type" in warnings[0]
    assert ctx.workers.count() == 0


def test_supervisor_choices_exclude_the_worker_and_keep_a_left_supervisor(
    qtbot: Any, ctx: AppContext
) -> None:
    old = add(ctx, "Old Supervisor")
    ana = add(ctx, "Ana", line_supervisor_id=old.id)
    ctx.workers.mark_left(old.id, ctx.today())
    other = add(ctx, "Other")
    dialog = WorkerDialog(ctx, ctx.workers.get(ana.id))
    qtbot.addWidget(dialog)
    choices = [dialog.line_combo.itemData(i) for i in range(dialog.line_combo.count())]
    assert choices[0] is None
    assert ana.id not in choices
    assert other.id in choices and old.id in choices
    assert dialog.line_combo.currentData() == old.id
    assert dialog.line_combo.currentText() == "Old Supervisor (left)"


def test_edit_changes_the_worker_and_announces_it(qtbot: Any, ctx: AppContext) -> None:
    ana = add(ctx, "Ana Kowalska", role="Support worker", team="North")
    screen = make_screen(qtbot, ctx)
    screen.show_worker(ana.id)

    def change(dialog: WorkerDialog) -> None:
        assert dialog.name_edit.text() == "Ana Kowalska"
        dialog.role_edit.clear()
        qtbot.keyClicks(dialog.role_edit, "Senior support worker")
        qtbot.keyClick(dialog.qualified_check, Qt.Key.Key_Space)
        qtbot.keyClick(dialog.role_edit, Qt.Key.Key_Return)

    with qtbot.waitSignal(screen.workers_changed) as changed:
        run_modal(qtbot, WorkerDialog, screen.edit_button.click, change)
    stored = ctx.workers.get(ana.id)
    assert stored is not None
    assert stored.role == "Senior support worker" and stored.qualified_clinical
    assert changed.args == [[ana.id]]
    assert screen.details_label.text().startswith("Senior support worker · North")
    assert screen.profile_fields["qualified"].text().startswith("Yes")


def test_mark_as_left_hides_the_worker_and_the_checkbox_shows_them(
    qtbot: Any, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = add(ctx, "Ana")
    add(ctx, "Ben")
    screen = make_screen(qtbot, ctx)
    screen.show_worker(ana.id)
    left_on = ctx.today() - timedelta(days=3)
    monkeypatch.setattr(workers_module, "ask_left_date", lambda *_a: left_on)

    with qtbot.waitSignal(screen.workers_changed) as changed:
        qtbot.mouseClick(screen.left_button, Qt.MouseButton.LeftButton)
    assert changed.args == [[ana.id]]
    stored = ctx.workers.get(ana.id)
    assert stored is not None and stored.left_on == left_on
    assert names_listed(screen) == ["Ben"]
    assert [r.worker_id for r in compute_schedule(ctx.db, ctx.today()).rows] != [ana.id]
    assert screen.status_label.text() == f"Left {left_on.day} Nov 2026"

    screen.show_left_check.setChecked(True)
    assert names_listed(screen) == ["Ana", "Ben"]
    assert screen.proxy.index(0, 4).data() == "Left"

    with qtbot.waitSignal(screen.workers_changed):
        qtbot.mouseClick(screen.reinstate_button, Qt.MouseButton.LeftButton)
    stored = ctx.workers.get(ana.id)
    assert stored is not None and stored.left_on is None


def test_cancelling_mark_as_left_changes_nothing(
    qtbot: Any, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = add(ctx, "Ana")
    screen = make_screen(qtbot, ctx)
    screen.show_worker(ana.id)
    monkeypatch.setattr(workers_module, "ask_left_date", lambda *_a: None)
    with qtbot.assertNotEmitted(screen.workers_changed):
        screen.left_button.click()
    stored = ctx.workers.get(ana.id)
    assert stored is not None and stored.left_on is None


def test_show_worker_of_someone_who_left_ticks_the_checkbox(qtbot: Any, ctx: AppContext) -> None:
    ana = add(ctx, "Ana")
    ctx.workers.mark_left(ana.id, ctx.today())
    screen = make_screen(qtbot, ctx)
    assert names_listed(screen) == []
    screen.show_worker(ana.id)
    assert screen.show_left_check.isChecked()
    assert names_listed(screen) == ["Ana"]
    assert screen.current_worker_id == ana.id
    assert screen.reinstate_button.isVisibleTo(screen)
    assert not screen.left_button.isVisibleTo(screen)


def test_search_filters_by_name_role_or_team(qtbot: Any, ctx: AppContext) -> None:
    add(ctx, "Ana", role="Support worker", team="North")
    add(ctx, "Ben", role="Nurse", team="South")
    add(ctx, "Chloé", role="Social worker", team="North")
    screen = make_screen(qtbot, ctx)
    qtbot.keyClicks(screen.search_edit, "north")
    assert names_listed(screen) == ["Ana", "Chloé"]
    screen.search_edit.clear()
    qtbot.keyClicks(screen.search_edit, "NURSE")
    assert names_listed(screen) == ["Ben"]


def test_selecting_a_row_shows_the_worker(qtbot: Any, ctx: AppContext) -> None:
    add(ctx, "Ana")
    ben = add(ctx, "Ben", role="Nurse", team="South")
    screen = make_screen(qtbot, ctx)
    screen.list_view.selectRow(1)
    assert screen.current_worker_id == ben.id
    assert screen.name_label.text() == "Ben"


def test_user_text_is_shown_as_typed(qtbot: Any, ctx: AppContext) -> None:
    name = "R&D <b>Lead</b> 🌱 دانا"
    worker = add(ctx, name, team="<i>North</i> & co")
    screen = make_screen(qtbot, ctx)
    screen.show_worker(worker.id)
    assert screen.name_label.text() == name
    assert screen.name_label.textFormat() == Qt.TextFormat.PlainText
    assert "<i>North</i> & co" in screen.details_label.text()
    assert screen.details_label.textFormat() == Qt.TextFormat.PlainText


def test_time_in_post_reads_naturally() -> None:
    today = date(2026, 11, 26)
    assert time_in_post(date(2026, 11, 6), today) == "in post 20 days"
    assert time_in_post(date(2026, 11, 25), today) == "in post 1 day"
    assert time_in_post(date(2024, 8, 26), today) == "in post 2 years 3 months"
    assert time_in_post(date(2026, 5, 27), today) == "in post 5 months"
    assert time_in_post(date(2026, 12, 1), today) == "starts 1 Dec 2026"


# Leave, overrides, triggers -----------------------------------------------------------------


def test_leave_added_through_the_dialog_pauses_the_worker(qtbot: Any, ctx: AppContext) -> None:
    ana = add(ctx, "Ana")
    held(ctx, ana.id, LINE, ctx.today() - timedelta(days=10))
    assert status_of(ctx, ana.id).by_type[LINE].status is DueStatus.ON_TRACK
    screen = make_screen(qtbot, ctx)
    screen.show_worker(ana.id)
    screen.tabs.setCurrentWidget(screen.leave_tab)

    def fill(dialog: LeaveDialog) -> None:
        dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData(LeaveKind.SICKNESS.value))
        dialog.start_edit.set_date(ctx.today() - timedelta(days=2))
        qtbot.keyClick(dialog.ongoing_check, Qt.Key.Key_Space)
        assert not dialog.end_edit.isEnabled()
        qtbot.keyClicks(dialog.note_edit, "Flu")
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()

    with qtbot.waitSignal(screen.workers_changed) as changed:
        run_modal(qtbot, LeaveDialog, screen.leave_tab.add_button.click, fill)
    assert changed.args == [[ana.id]]
    leave = ctx.workers.leave(ana.id)
    assert len(leave) == 1 and leave[0].end is None and leave[0].kind is LeaveKind.SICKNESS
    model = screen.leave_tab.model
    assert model.rowCount() == 1
    assert model.index(0, 0).data() == "Sickness"
    assert model.index(0, 2).data() == "Still on leave"
    assert model.index(0, 4).data() == "On leave now"
    status = status_of(ctx, ana.id)
    assert {s.status for s in status.by_type.values()} == {DueStatus.PAUSED}
    assert screen.tabs.tabText(screen.tabs.indexOf(screen.leave_tab)) == "L&eave (1)"


def test_leave_that_ends_before_it_starts_is_refused(
    qtbot: Any, ctx: AppContext, warnings: list[str]
) -> None:
    ana = add(ctx, "Ana")
    dialog = LeaveDialog(ctx, ana.id)
    qtbot.addWidget(dialog)
    dialog.start_edit.set_date(ctx.today())
    dialog.end_edit.set_date(ctx.today() - timedelta(days=1))
    dialog.accept()
    assert warnings and "ends" in warnings[0] and "before it starts" in warnings[0]
    assert ctx.workers.leave(ana.id) == []


def test_override_needs_a_reason(qtbot: Any, ctx: AppContext, warnings: list[str]) -> None:
    ana = add(ctx, "Ana")
    screen = make_screen(qtbot, ctx)
    screen.show_worker(ana.id)

    def no_reason(dialog: OverrideDialog) -> None:
        dialog.interval_spin.setValue(10)
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
        assert dialog.isVisible()  # still open: nothing was saved

    with qtbot.assertNotEmitted(screen.workers_changed):
        run_modal(qtbot, OverrideDialog, screen.override_tab.add_button.click, no_reason)
    assert len(warnings) == 1 and "reason" in warnings[0]
    assert ctx.workers.overrides(ana.id) == []
    assert screen.override_tab.model.rowCount() == 0


def test_override_expiring_before_it_starts_is_refused(
    qtbot: Any, ctx: AppContext, warnings: list[str]
) -> None:
    ana = add(ctx, "Ana")
    dialog = OverrideDialog(ctx, ana.id)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.reason_edit, "Probation")
    dialog.expires_edit.set_date(ctx.today() - timedelta(days=1))
    dialog.accept()
    assert warnings and "expiry date" in warnings[0]
    assert ctx.workers.overrides(ana.id) == []


def test_override_added_through_the_dialog_changes_the_interval(
    qtbot: Any, ctx: AppContext
) -> None:
    ana = add(ctx, "Ana")
    held(ctx, ana.id, LINE, ctx.today() - timedelta(days=5))
    assert status_of(ctx, ana.id).by_type[LINE].interval_days == 42
    screen = make_screen(qtbot, ctx)
    screen.show_worker(ana.id)
    expires = ctx.today() + timedelta(days=60)

    def fill(dialog: OverrideDialog) -> None:
        dialog.type_combo.setCurrentIndex(dialog.type_combo.findData(LINE))
        dialog.interval_spin.setValue(14)
        qtbot.keyClicks(dialog.reason_edit, "Fortnightly during probation")
        dialog.expires_edit.set_date(expires)
        qtbot.keyClick(dialog.reason_edit, Qt.Key.Key_Return)

    with qtbot.waitSignal(screen.workers_changed):
        run_modal(qtbot, OverrideDialog, screen.override_tab.add_button.click, fill)
    (override,) = ctx.workers.overrides(ana.id)
    assert (override.interval_days, override.expires_on) == (14, expires)
    assert screen.override_tab.model.index(0, 1).data() == "14 days"
    assert screen.override_tab.model.index(0, 4).data() == "Yes"
    line = status_of(ctx, ana.id).by_type[LINE]
    assert line.interval_days == 14
    assert line.due == ctx.today() + timedelta(days=9)


def test_trigger_defaults_per_kind_and_moves_the_due_date(qtbot: Any, ctx: AppContext) -> None:
    ana = add(ctx, "Ana")
    held(ctx, ana.id, LINE, ctx.today() - timedelta(days=5))
    assert status_of(ctx, ana.id).by_type[LINE].due == ctx.today() + timedelta(days=37)
    screen = make_screen(qtbot, ctx)
    screen.show_worker(ana.id)
    event = ctx.today() - timedelta(days=1)

    def fill(dialog: TriggerDialog) -> None:
        assert dialog.days_spin.value() == 7  # incident, the first kind
        dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData(TriggerKind.BOUNDARY.value))
        assert dialog.days_spin.value() == 3
        assert dialog.type_combo.currentData() == LINE
        dialog.date_edit.set_date(event)
        assert dialog.due_label.text() == "→ due by 28 Nov 2026"
        qtbot.keyClicks(dialog.note_edit, "Gave personal number to a client (case NC-12)")
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()

    with qtbot.waitSignal(screen.workers_changed):
        run_modal(qtbot, TriggerDialog, screen.trigger_tab.add_button.click, fill)
    (trigger,) = ctx.workers.triggers(ana.id)
    assert (trigger.kind, trigger.response_days, trigger.event_date) == (
        TriggerKind.BOUNDARY,
        3,
        event,
    )
    model = screen.trigger_tab.model
    assert model.index(0, 0).data() == "Boundary or ethical concern"
    assert model.index(0, 4).data() == "28 Nov 2026"
    assert model.index(0, 5).data() == "Open"
    line = status_of(ctx, ana.id).by_type[LINE]
    assert line.due == event + timedelta(days=3)
    assert line.status is DueStatus.DUE_SOON


def test_trigger_shows_closed_once_a_session_is_held(qtbot: Any, ctx: AppContext) -> None:
    ana = add(ctx, "Ana")
    ctx.workers.add_trigger(
        ana.id, TriggerKind.INCIDENT, ctx.today() - timedelta(days=6), CLINICAL, 7
    )
    held(ctx, ana.id, CLINICAL, ctx.today() - timedelta(days=2))
    screen = make_screen(qtbot, ctx)
    screen.show_worker(ana.id)
    assert screen.trigger_tab.model.index(0, 5).data() == "Closed by session 24 Nov 2026"


@pytest.mark.parametrize("tab_name", ["leave_tab", "override_tab", "trigger_tab"])
def test_remove_asks_then_removes(
    qtbot: Any, ctx: AppContext, monkeypatch: pytest.MonkeyPatch, tab_name: str
) -> None:
    ana = add(ctx, "Ana")
    today = ctx.today()
    ctx.workers.add_leave(ana.id, today - timedelta(days=1), None, LeaveKind.OTHER)
    ctx.workers.add_override(ana.id, LINE, 7, "Reason", today + timedelta(days=7))
    ctx.workers.add_trigger(ana.id, TriggerKind.OTHER, today, CLINICAL, 3)
    screen = make_screen(qtbot, ctx)
    screen.show_worker(ana.id)
    tab = getattr(screen, tab_name)
    assert not tab.remove_button.isEnabled()
    tab.view.selectRow(0)
    assert tab.remove_button.isEnabled()

    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *_a: answers.pop(0)))
    tab.remove_button.click()  # "No": kept
    assert tab.model.rowCount() == 1
    tab.view.selectRow(0)
    with qtbot.waitSignal(screen.workers_changed):
        tab.remove_button.click()
    assert tab.model.rowCount() == 0
    remaining = {
        "leave_tab": ctx.workers.leave,
        "override_tab": ctx.workers.overrides,
        "trigger_tab": ctx.workers.triggers,
    }[tab_name](ana.id)
    assert remaining == []


# Risk profile on the screen -----------------------------------------------------------------


def test_saving_an_assessment_on_the_screen_updates_history_and_announces_it(
    qtbot: Any, ctx: AppContext
) -> None:
    ana = add(ctx, "Ana")
    first = ctx.workers.add_assessment(
        ana.id,
        ctx.today() - timedelta(days=30),
        RiskFactors(1, 1, 1, 1),
        assessed_by="Priya",
        rationale="Stable caseload",
    )
    screen = make_screen(qtbot, ctx)
    screen.show_worker(ana.id)
    screen.tabs.setCurrentIndex(1)
    assert screen.assessment_model.rowCount() == 1
    assert screen.tier_header_label.text().startswith("Tier: Low")
    editor = screen.risk_editor
    qtbot.mouseClick(editor.factor_buttons["cohort_risk"][3], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(editor.factor_buttons["volatility"][3], Qt.MouseButton.LeftButton)
    qtbot.keyClicks(editor.rationale, "Two people now under crisis team care")
    with qtbot.waitSignal(screen.workers_changed) as changed:
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert changed.args == [[ana.id]]
    assert screen.assessment_model.rowCount() == 2
    assert screen.assessment_model.index(0, 5).data() == "High"
    assert screen.assessment_model.row_at(1) == first
    assert screen.tier_header_label.text().startswith("Tier: High")
    assert screen.proxy.index(0, 3).data() == "High"
    assert status_of(ctx, ana.id).tier is Tier.HIGH


# Session history ------------------------------------------------------------------------------


def test_session_history_opens_a_record_on_double_click(qtbot: Any, ctx: AppContext) -> None:
    ana = add(ctx, "Ana")
    lead = add(ctx, "Priya Raman")
    record = SessionRecord(
        type=CLINICAL,
        status=SessionStatus.HELD,
        session_date=ctx.today() - timedelta(days=3),
        worker_id=ana.id,
        supervisor_id=lead.id,
    )
    session_id = ctx.sessions.save(record).record.id
    cancelled = SessionRecord(
        type=LINE,
        status=SessionStatus.CANCELLED,
        session_date=ctx.today() - timedelta(days=9),
        worker_id=ana.id,
        cancel_reason="Crisis on the ward",
    )
    ctx.sessions.save(cancelled)
    screen = make_screen(qtbot, ctx)
    screen.show_worker(ana.id)
    screen.tabs.setCurrentIndex(5)
    model = screen.session_model
    assert model.rowCount() == 2
    assert [model.index(0, c).data() for c in range(4)] == [
        "Clinical",
        "23 Nov 2026",
        "Held",
        "Priya Raman",
    ]
    assert model.index(1, 2).data() == "Cancelled"
    assert model.index(1, 4).data() == "Crisis on the ward"

    view = screen.session_view
    rect = view.visualRect(model.index(0, 0))
    # A real double-click is a click followed by a double-click event.
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(screen.session_open_requested) as opened:
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened.args == [session_id]

    view.setFocus()
    with qtbot.waitSignal(screen.session_open_requested) as opened:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert opened.args == [session_id]

    view.selectRow(0)
    with qtbot.waitSignal(screen.session_open_requested) as opened:
        screen.open_session_button.click()
    assert opened.args == [session_id]


def test_new_session_buttons_ask_for_a_form(qtbot: Any, ctx: AppContext) -> None:
    ana = add(ctx, "Ana")
    screen = make_screen(qtbot, ctx)
    screen.show_worker(ana.id)
    for type_ in (LINE, CLINICAL, GROUP):
        with qtbot.waitSignal(screen.new_session_requested) as asked:
            screen.new_session_buttons[type_].click()
        assert asked.args == [ana.id, type_]


def test_group_sessions_attended_show_in_history(qtbot: Any, ctx: AppContext) -> None:
    ana = add(ctx, "Ana")
    ben = add(ctx, "Ben")
    ctx.sessions.save(
        SessionRecord(
            type=GROUP,
            status=SessionStatus.HELD,
            session_date=ctx.today(),
            attendees=[ana.id, ben.id],
        )
    )
    screen = make_screen(qtbot, ctx)
    screen.show_worker(ben.id)
    assert screen.session_model.rowCount() == 1
    assert screen.session_model.index(0, 0).data() == "Reflective / group"


# Models -----------------------------------------------------------------------------------------


def test_every_model_passes_the_model_tester(qtmodeltester: Any, ctx: AppContext) -> None:
    today = ctx.today()
    ana = add(ctx, "Ana")
    gone = add(ctx, "Gone")
    ctx.workers.mark_left(gone.id, today)
    ctx.workers.add_assessment(
        ana.id, today, RiskFactors(3, 2, 3, 1), assessed_by="P", rationale="x"
    )
    ctx.workers.add_leave(ana.id, today, None, LeaveKind.PARENTAL)
    ctx.workers.add_override(ana.id, LINE, 7, "Reason", today + timedelta(days=7))
    ctx.workers.add_trigger(ana.id, TriggerKind.SAFEGUARDING, today, CLINICAL, 7)
    held(ctx, ana.id, CLINICAL, today)
    statuses = {r.worker_id: r.status for r in compute_schedule(ctx.db, today).rows}

    models: list[Any] = [
        WorkerListModel(
            [WorkerRow(w, statuses.get(w.id)) for w in ctx.workers.all(include_left=True)]
        ),
        AssessmentHistoryModel(ctx.workers.assessments(ana.id)),
        SessionHistoryModel(ctx.sessions.history(ana.id)),
        LeaveModel([LeaveRow(lv, today) for lv in ctx.workers.leave(ana.id)]),
        OverrideModel([OverrideRow(o, today) for o in ctx.workers.overrides(ana.id)]),
        TriggerModel([TriggerRow(t, None) for t in ctx.workers.triggers(ana.id)]),
        WorkerListModel(),
    ]
    for model in models:
        qtmodeltester.check(model)
        if model.rowCount():
            model.set_rows(model.rows())
            qtmodeltester.check(model)


def test_worker_list_model_formats_rows(ctx: AppContext) -> None:
    today = ctx.today()
    add(ctx, "Ana", role="Nurse", team="North")
    gone = add(ctx, "Gone")
    ctx.workers.mark_left(gone.id, today - timedelta(days=1))
    statuses = {r.worker_id: r.status for r in compute_schedule(ctx.db, today).rows}
    model = WorkerListModel(
        [WorkerRow(w, statuses.get(w.id)) for w in ctx.workers.all(include_left=True)]
    )
    assert [model.index(0, c).data() for c in range(5)] == [
        "Ana",
        "Nurse",
        "North",
        "Not assessed",
        "✖",
    ]
    assert model.index(0, 4).data(Qt.ItemDataRole.ToolTipRole).startswith("✖ Overdue")
    assert model.index(1, 4).data() == "Left"
    assert model.index(1, 4).data(Qt.ItemDataRole.ToolTipRole) == "Left 25 Nov 2026"
    assert model.index(1, 0).data(Qt.ItemDataRole.FontRole).italic()
    assert model.row_of(gone.id) == 1 and model.row_of("nope") == -1


def test_no_worker_shows_a_placeholder(qtbot: Any, ctx: AppContext) -> None:
    screen = make_screen(qtbot, ctx)
    assert screen._right.currentWidget() is screen.placeholder
    assert isinstance(screen.placeholder, QWidget)


def _unnamed_controls(root: QWidget) -> list[str]:
    """Input controls a screen reader could not name (inner parts of composite ones skipped)."""
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QAbstractSpinBox,
        QComboBox,
        QLineEdit,
        QPlainTextEdit,
        QTabBar,
    )

    kinds = (QLineEdit, QComboBox, QAbstractButton, QAbstractSpinBox, QPlainTextEdit,
             QAbstractItemView)  # fmt: skip
    missing = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, kinds) or widget.window() is not root.window():
            continue  # popups (a combo's list) belong to their combo
        parent = widget.parentWidget()
        inner = QComboBox | QAbstractSpinBox | QTabBar | QAbstractItemView | QLineEdit
        if isinstance(parent, inner):
            continue
        if widget.accessibleName():
            continue
        if isinstance(widget, QAbstractButton) and widget.text().replace("&", "").strip():
            continue
        missing.append(f"{type(widget).__name__} {widget.objectName()!r}")
    return missing


def test_every_control_has_an_accessible_name(qtbot: Any, ctx: AppContext) -> None:
    ana = add(ctx, "Ana")
    screen = make_screen(qtbot, ctx)
    screen.show_worker(ana.id)
    roots: list[QWidget] = [
        screen,
        WorkerDialog(ctx, ctx.workers.get(ana.id)),
        LeaveDialog(ctx, ana.id),
        OverrideDialog(ctx, ana.id),
        TriggerDialog(ctx, ana.id),
    ]
    for root in roots[1:]:
        qtbot.addWidget(root)
    for root in roots:
        assert _unnamed_controls(root) == [], type(root).__name__


def test_time_in_post_stops_when_someone_leaves(qtbot: Any, ctx: AppContext) -> None:
    ana = add(ctx, "Ana", days_in_post=400)
    ctx.workers.mark_left(ana.id, ctx.today() - timedelta(days=300))
    screen = make_screen(qtbot, ctx)
    screen.show_worker(ana.id)
    assert "(in post 100 days)" in screen.details_label.text()


def test_searching_keeps_the_shown_worker(qtbot: Any, ctx: AppContext) -> None:
    ana = add(ctx, "Ana", team="North")
    add(ctx, "Ben", team="South")
    add(ctx, "Cleo", team="North")
    screen = make_screen(qtbot, ctx)
    screen.show_worker(ana.id)
    qtbot.keyClicks(screen.search_edit, "south")
    assert names_listed(screen) == ["Ben"]
    assert screen.current_worker_id == ana.id
    assert not screen.list_view.selectionModel().hasSelection()
    screen.search_edit.clear()
    assert screen.current_worker_id == ana.id
    assert [i.row() for i in screen.list_view.selectionModel().selectedRows()] == [0]


def test_a_hidden_screen_loads_when_shown(qtbot: Any, ctx: AppContext) -> None:
    screen = WorkersScreen(ctx)
    qtbot.addWidget(screen)
    add(ctx, "Ana")
    screen.refresh()  # hidden: nothing is loaded yet
    assert screen.list_model.rowCount() == 0
    screen.show()
    assert names_listed(screen) == ["Ana"]
    add(ctx, "Ben")
    screen.hide()
    screen.refresh()
    assert names_listed(screen) == ["Ana"]
    screen.show()
    assert names_listed(screen) == ["Ana", "Ben"]


def test_an_unsaved_assessment_is_not_lost_silently(
    qtbot: Any, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = add(ctx, "Ana")
    ben = add(ctx, "Ben")
    screen = make_screen(qtbot, ctx)
    screen.show_worker(ana.id)
    qtbot.mouseClick(screen.risk_editor.factor_buttons["cohort_risk"][3], Qt.MouseButton.LeftButton)
    asked: list[str] = []
    answer = [QMessageBox.StandardButton.Cancel]

    def question(_p: object, _t: str, text: str, *_a: object) -> QMessageBox.StandardButton:
        asked.append(text)
        return answer[0]

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    screen.list_view.selectRow(1)
    assert asked == ["The risk assessment you started for Ana is not saved. Discard it?"]
    assert screen.current_worker_id == ana.id
    assert screen.risk_editor.factors().cohort_risk == 3
    assert screen.has_unsaved_changes()
    assert [i.row() for i in screen.list_view.selectionModel().selectedRows()] == [0]

    answer[0] = QMessageBox.StandardButton.Discard
    screen.show_worker(ben.id)
    assert screen.current_worker_id == ben.id
    assert len(asked) == 2
    screen.show_worker(ana.id)  # nothing typed for Ben: no question
    assert len(asked) == 2


def test_the_worker_list_sorts_in_python_as_qt_s_proxy_did(
    ctx: AppContext, qtmodeltester: Any
) -> None:
    """WorkerListModel sorts itself (a proxy's sort of 10,000 workers took a second): every
    column, both ways, orders the keys as the QSortFilterProxyModel did, and rows with equal
    keys keep the order they were given in (Qt's proxy left them in an order that depended on
    the sorts before)."""
    from dataclasses import replace

    from PySide6.QtCore import QSortFilterProxyModel

    from ui.models.sorting import SourceSortProxy
    from ui.models.worker_models import OBJECT_ROLE, SORT_ROLE

    today = ctx.today()
    for name, team in [("ana", "North"), ("Ana", "South"), ("Zoë 🙂", "North"),
                       ("كمال حداد", ""), ("Ben", "North"), ("ben", "East")]:  # fmt: skip
        add(ctx, name, team=team)
    first = ctx.workers.all()[0]
    ctx.workers.add_assessment(first.id, today, RiskFactors(3, 3, 3, 3), assessed_by="P",
                               rationale="x")  # fmt: skip
    gone = add(ctx, "Ana", team="North")
    ctx.workers.mark_left(gone.id, today)
    held(ctx, ctx.workers.all()[1].id, LINE, today)
    statuses = {r.worker_id: r.status for r in compute_schedule(ctx.db, today).rows}
    rows = [WorkerRow(w, statuses.get(w.id)) for w in ctx.workers.all(include_left=True)]

    def keys(proxy: QSortFilterProxyModel, column: int) -> list[Any]:
        return [proxy.index(r, column).data(SORT_ROLE) for r in range(proxy.rowCount())]

    given = [r.worker.id for r in rows]

    ours = SourceSortProxy()
    model = WorkerListModel(rows)
    ours.setSourceModel(model)
    for column in range(5):
        for way in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            reference = QSortFilterProxyModel()
            reference.setSourceModel(WorkerListModel(rows))
            reference.setSortRole(SORT_ROLE)
            reference.sort(column, way)
            ours.sort(column, way)
            assert keys(ours, column) == keys(reference, column), (column, way)
            shown = [ours.index(r, 0).data(OBJECT_ROLE) for r in range(ours.rowCount())]
            ties: dict[Any, list[int]] = {}
            for key, row in zip(keys(ours, column), shown, strict=True):
                ties.setdefault(key, []).append(given.index(row.worker.id))
            assert all(v == sorted(v) for v in ties.values()), (column, way, ties)
    # Kept in order as a row changes, and after a reload.
    ours.sort(0, Qt.SortOrder.AscendingOrder)
    renamed = replace(rows[0].worker, name="Aaron")
    model.upsert(WorkerRow(renamed, rows[0].status))
    assert model.row_at(0).worker.name == "Aaron"
    model.set_rows(list(reversed(model.rows())))
    assert model.row_at(0).worker.name == "Aaron"
    qtmodeltester.check(model)
