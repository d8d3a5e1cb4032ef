"""The scheduler screen: its model, filters, counts, details, and what a cell does."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, QPoint, QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QMessageBox

from app.domain.catalogue import BUILTIN_KEYS, CLINICAL, GROUP, LINE
from app.domain.model import (
    DueStatus,
    LeaveKind,
    RiskFactors,
    SessionStatus,
    TriggerKind,
    TypeKey,
    Worker,
)
from app.domain.records import Mode, SessionRecord
from app.services.scheduling import compute_schedule
from app.storage.db import Database
from ui.context import AppContext
from ui.forms.booking_dialog import Booking
from ui.models.schedule_model import (
    FIRST_TYPE_COLUMN,
    OBJECT_ROLE,
    SORT_ROLE,
    STATUS_ROLE,
    Column,
    ScheduleFilter,
    ScheduleModel,
)
from ui.screens import scheduler as scheduler_module
from ui.screens.scheduler import SchedulerScreen


def type_column(type_: str) -> int:
    """The scheduler column of a built-in type under the default policy (its order)."""
    return FIRST_TYPE_COLUMN + BUILTIN_KEYS.index(type_)


ALL = frozenset({LINE, CLINICAL, GROUP})
LOW = RiskFactors(1, 2, 1, 1)
STANDARD = RiskFactors(2, 2, 2, 2)
HIGH = RiskFactors(3, 3, 2, 2)


@dataclass
class Staff:
    """Ids of the seeded workers, by first name."""

    ids: dict[str, str]

    def __getitem__(self, first_name: str) -> str:
        return self.ids[first_name]


def held(ctx: AppContext, worker_id: str, type_: TypeKey, on: date) -> None:
    ctx.sessions.save(
        SessionRecord(type=type_, status=SessionStatus.HELD, session_date=on, worker_id=worker_id)
    )


def seed_varied(ctx: AppContext, today: date) -> Staff:
    """~15 workers covering every state a cell can be in (DOMAIN.md §5)."""
    ago = lambda days: today - timedelta(days=days)  # noqa: E731
    ids: dict[str, str] = {}

    def add(name: str, role: str, team: str, start: date, **kw: object) -> str:
        worker = ctx.workers.save(Worker(id="", name=name, role=role, team=team,
                                         start_date=start, **kw))  # type: ignore[arg-type]  # fmt: skip
        ids[name.split()[0]] = worker.id
        return worker.id

    east, west, crisis = "Community East", "Community West", "Crisis & Home Treatment"
    priya = add("Priya Sharma", "Team lead", east, ago(2000), qualified_clinical=True)
    marcus = add("Marcus Webb", "Clinical psychologist", west, ago(1500), qualified_clinical=True)
    sup = {"line_supervisor_id": priya, "clinical_supervisor_id": marcus}
    add("Alex Morgan", "Community psychiatric nurse", east, ago(900), **sup)
    add("Jo Bennett", "Social worker", east, ago(800), **sup)
    add("Sam Okafor", "Occupational therapist", west, ago(700), **sup)
    add("Fatima Hussain", "Support worker", west, ago(600), **sup)
    add("Ben Carter", "Peer support worker", crisis, ago(500),
        requires=frozenset({LINE, CLINICAL}), **sup)  # fmt: skip
    add("Chloe Evans", "Support worker", crisis, ago(10), line_supervisor_id=priya)
    add("Daniel Kim", "Mental health nurse", east, ago(1200), **sup)
    add("سارة أحمد", "Crisis practitioner", crisis, ago(400), **sup)
    add("Liam O'Connor", "Support worker", west, ago(1000), line_supervisor_id=marcus)
    add("Grace Liu", "Mental health nurse", crisis, ago(650), **sup)
    add("Hannah Price", "Social worker", west, ago(1100), **sup)
    add("Owen Davies", "Bank support worker", east, ago(300), **sup)
    add("Ruth Adeyemi", "Senior practitioner", west, ago(1800), **sup)

    for first, factors in (
        ("Priya", LOW), ("Marcus", LOW), ("Alex", STANDARD), ("Jo", STANDARD),
        ("Sam", STANDARD), ("Fatima", STANDARD), ("Ben", STANDARD), ("Daniel", STANDARD),
        ("سارة", HIGH), ("Liam", STANDARD), ("Grace", STANDARD), ("Hannah", STANDARD),
        ("Owen", STANDARD), ("Ruth", LOW),
    ):  # fmt: skip
        ctx.workers.add_assessment(
            ids[first], ago(60), factors, assessed_by="Priya Sharma", rationale="Annual review"
        )
    for first in ("Priya", "Marcus", "Sam", "Ruth", "Ben", "Grace", "Hannah"):
        held(ctx, ids[first], LINE, ago(10))
        held(ctx, ids[first], CLINICAL, ago(5))
    held(ctx, ids["Daniel"], LINE, ago(10))
    held(ctx, ids["Alex"], LINE, ago(20))
    held(ctx, ids["Alex"], CLINICAL, ago(60))  # standard 28 days: overdue
    held(ctx, ids["Jo"], LINE, ago(36))  # due in 6 days: due soon
    held(ctx, ids["Jo"], CLINICAL, ago(3))
    held(ctx, ids["Daniel"], CLINICAL, ago(22))  # due in 6 days, booked in 3
    ctx.sessions.book(ids["Daniel"], CLINICAL, today + timedelta(days=3))
    held(ctx, ids["سارة"], LINE, ago(7))
    held(ctx, ids["سارة"], CLINICAL, ago(10))  # high: every 14 days, due soon
    held(ctx, ids["Liam"], LINE, ago(50))  # overdue, booked late
    held(ctx, ids["Liam"], CLINICAL, ago(8))
    ctx.sessions.book(ids["Liam"], LINE, today + timedelta(days=2))
    held(ctx, ids["Fatima"], LINE, ago(30))
    held(ctx, ids["Fatima"], CLINICAL, ago(25))
    ctx.workers.add_leave(ids["Fatima"], ago(12), None, LeaveKind.SICKNESS)
    ctx.workers.add_trigger(ids["Grace"], TriggerKind.INCIDENT, ago(2), CLINICAL, 5)
    ctx.workers.add_override(
        ids["Hannah"], CLINICAL, 14, "Complex caseload <& safeguarding>", today + timedelta(90)
    )
    attendees = [ids[n] for n in ("Priya", "Sam", "Ruth", "Ben", "Daniel", "سارة", "Grace")]
    attendees += [ids["Hannah"], ids["Jo"], ids["Alex"], ids["Liam"], ids["Marcus"]]
    ctx.sessions.save(
        SessionRecord(
            type=GROUP, status=SessionStatus.HELD, session_date=ago(15), attendees=attendees
        )
    )
    return Staff(ids)


@pytest.fixture
def ctx(db: Database, db_path: Path, today: date) -> AppContext:
    return AppContext.for_database(db, db_path, today=lambda: today)


@pytest.fixture
def staff(ctx: AppContext, today: date) -> Staff:
    return seed_varied(ctx, today)


@pytest.fixture
def screen(qtbot, ctx: AppContext, staff: Staff) -> SchedulerScreen:  # type: ignore[no-untyped-def]
    widget = SchedulerScreen(ctx)
    qtbot.addWidget(widget)
    widget.resize(1366, 768)
    widget.show()
    return widget


def shown_names(screen: SchedulerScreen) -> list[str]:
    proxy = screen.proxy
    return [proxy.index(r, Column.WORKER).data() for r in range(proxy.rowCount())]


def cell(screen: SchedulerScreen, worker_id: str, column: Column) -> QModelIndex:
    source_row = screen.model.row_of(worker_id)
    assert source_row is not None
    return screen.proxy.mapFromSource(screen.model.index(source_row, column))


# The model ---------------------------------------------------------------------------------


def test_model_passes_qtmodeltester(qtmodeltester, ctx: AppContext, staff: Staff, today: date):
    model = ScheduleModel()
    model.set_schedule(compute_schedule(ctx.db, today), {s.id: s for s in ctx.workers.staff()})
    assert model.rowCount() == 15
    qtmodeltester.check(model)
    proxy = ScheduleFilter(model)
    proxy.sort(type_column(CLINICAL), Qt.SortOrder.DescendingOrder)
    proxy.set_search("a")
    qtmodeltester.check(proxy)


def test_model_formats_cells_with_word_date_booking_and_roles(
    ctx: AppContext, staff: Staff, today: date
):
    model = ScheduleModel()
    model.set_schedule(compute_schedule(ctx.db, today), {s.id: s for s in ctx.workers.staff()})

    def index(first: str, column: Column) -> QModelIndex:
        row = model.row_of(staff[first])
        assert row is not None
        return model.index(row, column)

    alex = index("Alex", type_column(CLINICAL))
    # Held 27 Sep, standard: every 28 days: due 25 Oct, 32 days ago — how late comes first.
    assert alex.data() == "✖ Overdue · 32 days · 25 Oct"
    status = alex.data(OBJECT_ROLE)
    assert status.status is DueStatus.OVERDUE and alex.data(STATUS_ROLE) == DueStatus.OVERDUE
    assert alex.data(Qt.ItemDataRole.BackgroundRole).name() == "#f4c7c3"
    assert index("Daniel", type_column(CLINICAL)).data() == "▲ Due soon · 2 Dec · booked 29 Nov"
    assert index("Liam", type_column(LINE)).data() == "✖ Overdue · 8 days · booked 28 Nov"
    assert index("Fatima", type_column(LINE)).data() == "‖ Paused"
    assert index("Ben", type_column(GROUP)).data() == "– Not required"
    assert index("Chloe", Column.TIER).data() == "Not assessed"
    assert index("Chloe", Column.TIER).data(Qt.ItemDataRole.AccessibleTextRole) == (
        "Tier: Standard until assessed (not assessed)"
    )
    assert index("سارة", Column.TIER).data() == "High"
    assert index("Ruth", Column.TIER).data() == "Low"
    assert index("Sam", Column.OVERALL).data() == "✔ On track"
    assert index("Alex", Column.WORKER).data(OBJECT_ROLE).worker_id == staff["Alex"]
    # The override's reason is user text: shown literally, not as markup.
    tip = index("Hannah", type_column(CLINICAL)).data(Qt.ItemDataRole.ToolTipRole)
    assert "Complex caseload &lt;&amp; safeguarding&gt;" in tip
    assert index("Alex", type_column(CLINICAL)).data(SORT_ROLE) < index(
        "Sam", type_column(CLINICAL)
    ).data(SORT_ROLE)


def test_a_booking_after_the_due_date_is_shown_as_late(ctx: AppContext, staff: Staff, today: date):
    ctx.sessions.book(staff["Sam"], LINE, date(2027, 1, 5))  # line due 28 Dec 2026
    model = ScheduleModel()
    model.set_schedule(compute_schedule(ctx.db, today))
    row = model.row_of(staff["Sam"])
    assert row is not None
    assert model.index(row, type_column(LINE)).data() == "✔ On track · 28 Dec · booked 5 Jan (late)"


def test_update_rows_replaces_only_the_given_workers(
    qtbot, ctx: AppContext, staff: Staff, today: date
):
    model = ScheduleModel()
    model.set_schedule(compute_schedule(ctx.db, today), {s.id: s for s in ctx.workers.staff()})
    row = model.row_of(staff["Alex"])
    held(ctx, staff["Alex"], CLINICAL, today)
    fresh = compute_schedule(ctx.db, today, worker_ids=[staff["Alex"]])
    with qtbot.waitSignal(model.dataChanged) as blocker:
        model.update_rows(fresh.rows)
    top_left, bottom_right = blocker.args[0], blocker.args[1]
    assert top_left.row() == bottom_right.row() == row
    assert model.index(row, type_column(CLINICAL)).data().startswith("✔ On track")
    assert model.rowCount() == 15


# The screen --------------------------------------------------------------------------------


def test_worst_first_by_default(screen: SchedulerScreen, staff: Staff):
    names = shown_names(screen)
    # Overdue (earliest due first), then due soon, on track, paused last.
    assert names[:4] == ["Owen Davies", "Alex Morgan", "Liam O'Connor", "Chloe Evans"]
    assert names[4:8] == ["Grace Liu", "سارة أحمد", "Daniel Kim", "Jo Bennett"]
    assert names[-1] == "Fatima Hussain"
    overall = [
        DueStatus(screen.proxy.index(r, Column.OVERALL).data(STATUS_ROLE))
        for r in range(screen.proxy.rowCount())
    ]
    order = [DueStatus.OVERDUE, DueStatus.DUE_SOON, DueStatus.ON_TRACK, DueStatus.PAUSED]
    assert overall == sorted(overall, key=order.index)


def test_clicking_a_header_sorts_by_that_column(qtbot, screen: SchedulerScreen):
    header = screen.table.horizontalHeader()
    x = header.sectionViewportPosition(Column.WORKER) + 10
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    names = shown_names(screen)
    assert names[:3] == ["Alex Morgan", "Ben Carter", "Chloe Evans"]
    assert names == sorted(names, key=str.casefold)


def test_counts_label(screen: SchedulerScreen):
    # Overdue: Owen, Alex, Liam, Chloe. Due within 7 days and not overdue: Grace (29 Nov),
    # سارة (30 Nov), Daniel and Jo (2 Dec). Compliance: 35 of 41 counted pairs not overdue
    # (Owen has 3 overdue, Alex, Liam and Chloe 1 each; Ben's group and Fatima's 3 not counted).
    assert screen.counts.text() == "15 workers · 4 overdue · 4 due this week · compliance 85%"


def test_a_held_session_turns_the_cell_from_overdue_to_on_track(
    screen: SchedulerScreen, ctx: AppContext, staff: Staff, today: date
):
    index = cell(screen, staff["Alex"], type_column(CLINICAL))
    assert index.data().startswith("✖ Overdue")
    held(ctx, staff["Alex"], CLINICAL, today)
    screen.refresh([staff["Alex"]])
    index = cell(screen, staff["Alex"], type_column(CLINICAL))
    assert index.data() == "✔ On track · 24 Dec 2026"
    assert cell(screen, staff["Alex"], Column.OVERALL).data() == "✔ On track"
    assert screen.counts.text().startswith("15 workers · 3 overdue")
    # The worker moved out of the overdue block (the order stays worst first).
    assert shown_names(screen)[:3] == ["Owen Davies", "Liam O'Connor", "Chloe Evans"]


def test_team_status_and_supervisor_filters(qtbot, screen: SchedulerScreen):
    screen.team_combo.setCurrentIndex(screen.team_combo.findText("Crisis & Home Treatment"))
    assert sorted(shown_names(screen)) == ["Ben Carter", "Chloe Evans", "Grace Liu", "سارة أحمد"]
    assert screen.shown.text() == "Showing 4 of 15"
    screen.status_combo.setCurrentIndex(screen.status_combo.findData(DueStatus.DUE_SOON))
    assert sorted(shown_names(screen)) == ["Grace Liu", "سارة أحمد"]
    screen.team_combo.setCurrentIndex(0)
    assert shown_names(screen) == ["Grace Liu", "سارة أحمد", "Daniel Kim", "Jo Bennett"]
    screen.status_combo.setCurrentIndex(0)
    screen.supervisor_combo.setCurrentIndex(screen.supervisor_combo.findText("Marcus Webb"))
    names = shown_names(screen)
    assert "Liam O'Connor" in names and "Chloe Evans" not in names and len(names) == 12
    screen.supervisor_combo.setCurrentIndex(screen.supervisor_combo.findText("Priya Sharma"))
    assert "Chloe Evans" in shown_names(screen) and "Liam O'Connor" not in shown_names(screen)


def test_search_matches_name_role_and_team_case_insensitively(qtbot, screen: SchedulerScreen):
    screen.focus_search()
    qtbot.keyClicks(screen.search, "SOCIAL")
    assert sorted(shown_names(screen)) == ["Hannah Price", "Jo Bennett"]
    screen.search.clear()
    qtbot.keyClicks(screen.search, "o'con")
    assert shown_names(screen) == ["Liam O'Connor"]
    screen.search.clear()
    qtbot.keyClicks(screen.search, "home nurse")
    assert shown_names(screen) == ["Grace Liu"]
    screen.search.clear()
    screen.search.insert("سارة")  # QTest cannot type non-Latin keys
    assert shown_names(screen) == ["سارة أحمد"]


def test_filtering_everything_away_shows_a_message_and_clear_restores(
    qtbot, screen: SchedulerScreen
):
    qtbot.keyClicks(screen.search, "nobody by this name")
    assert screen.proxy.rowCount() == 0
    assert screen.table_stack.currentIndex() == 1
    assert "No worker matches" in screen.empty_label.text()
    qtbot.mouseClick(screen.clear_button, Qt.MouseButton.LeftButton)
    assert screen.proxy.rowCount() == 15
    assert screen.table_stack.currentIndex() == 0


def test_as_of_date_looks_ahead(qtbot, screen: SchedulerScreen, today: date):
    screen.status_combo.setCurrentIndex(screen.status_combo.findData(DueStatus.OVERDUE))
    assert len(shown_names(screen)) == 4
    friday = date(2026, 12, 4)
    screen.as_of_edit.set_date(friday)  # as typed or picked in the calendar
    qtbot.waitUntil(lambda: screen.as_of() == friday, timeout=2000)
    # By Friday Grace, سارة, Daniel and Jo are overdue too.
    assert len(shown_names(screen)) == 8
    assert "Grace Liu" in shown_names(screen)
    assert screen.counts.text().startswith("On Fri 4 Dec 2026: 15 workers · 8 overdue")
    qtbot.mouseClick(screen.today_button, Qt.MouseButton.LeftButton)
    assert screen.as_of() == today and screen.as_of_edit.value() == today
    assert len(shown_names(screen)) == 4


def test_tooltip_and_details_pane_give_the_engines_reason(
    screen: SchedulerScreen, ctx: AppContext, staff: Staff, today: date
):
    reason = compute_schedule(ctx.db, today, worker_ids=[staff["Hannah"]]).rows[0]
    reason_text = reason.status.by_type[CLINICAL].reason
    assert "override → every 14 days" in reason_text
    index = cell(screen, staff["Hannah"], type_column(CLINICAL))
    tip = index.data(Qt.ItemDataRole.ToolTipRole)
    assert html.escape(reason_text) in tip
    screen.table.setCurrentIndex(index)
    box = screen.details.types[CLINICAL]
    assert screen.details.title.text() == "Hannah Price"
    assert box.reason.text() == reason_text  # in full, as plain text
    assert box.reason.textFormat() is Qt.TextFormat.PlainText
    assert box.interval.text() == "14 days"
    assert box.due.text() == "5 Dec 2026"
    assert "Line supervisor: Priya Sharma" in screen.details.subtitle.text()


def test_the_details_boxes_share_the_whole_width(qtbot, screen: SchedulerScreen, staff: Staff):
    """Three types: each box takes a third of the pane (no empty quarter on the right, where a
    fourth type would go), so the values do not wrap for want of room."""
    screen.table.setCurrentIndex(cell(screen, staff["Hannah"], type_column(CLINICAL)))
    qtbot.waitUntil(lambda: screen.details.types[GROUP].isVisible())
    boxes = [screen.details.types[key] for key in BUILTIN_KEYS]
    body = boxes[0].parentWidget()
    right = boxes[-1].mapTo(body, boxes[-1].rect().topRight()).x()
    assert right >= body.width() - 12, (right, body.width())
    widths = [box.width() for box in boxes]
    assert max(widths) - min(widths) <= 2, widths


def test_enter_and_double_click_on_a_clinical_cell_request_a_session(
    qtbot, screen: SchedulerScreen, staff: Staff
):
    index = cell(screen, staff["Alex"], type_column(CLINICAL))
    screen.table.setFocus()
    screen.table.setCurrentIndex(index)
    with qtbot.waitSignal(screen.session_requested) as blocker:
        qtbot.keyClick(screen.table, Qt.Key.Key_Return)
    assert blocker.args == [staff["Alex"], "clinical"]

    index = cell(screen, staff["Jo"], type_column(CLINICAL))
    pos = screen.table.visualRect(index).center()
    with qtbot.waitSignal(screen.session_requested) as blocker:
        double_click(qtbot, screen, pos)
    assert blocker.args == [staff["Jo"], "clinical"]

    index = cell(screen, staff["Jo"], Column.WORKER)
    pos = screen.table.visualRect(index).center()
    with qtbot.waitSignal(screen.worker_requested) as blocker:
        double_click(qtbot, screen, pos)
    assert blocker.args == [staff["Jo"]]


def double_click(qtbot, screen: SchedulerScreen, pos: QPoint) -> None:  # type: ignore[no-untyped-def]
    """What a real double-click delivers: QTest's mouseDClick alone sends no press first."""
    qtbot.mouseClick(screen.table.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(screen.table.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def _menu_action(menu: QMenu, text: str) -> QAction:
    for action in menu.actions():
        if action.text().replace("&", "") == text:
            return action
    raise AssertionError(f"{text!r} not in {[a.text() for a in menu.actions()]}")


def test_context_menu_books_a_session_and_the_cell_shows_it(
    qtbot, screen: SchedulerScreen, ctx: AppContext, staff: Staff, monkeypatch
):
    asked: list[tuple[str, TypeKey, date, date]] = []

    def fake_ask(parent, name, type_, default, earliest):  # type: ignore[no-untyped-def]
        asked.append((name, type_.key, default, earliest))
        return Booking(date(2026, 11, 30), "14:30", 45, Mode.VIDEO, "Team base, room 2")

    monkeypatch.setattr(scheduler_module, "ask_booking", fake_ask)
    index = cell(screen, staff["Jo"], type_column(LINE))
    menu = screen.context_menu(index)
    assert menu is not None
    assert [a.text().replace("&", "") for a in menu.actions() if a.text()] == [
        "Record a session now…",
        "Book a session…",
        "Open worker",
        "Export calendar (.ics)…",
    ]
    with qtbot.waitSignal(screen.booking_made) as blocker:
        _menu_action(menu, "Book a session…").trigger()
    assert blocker.args == [staff["Jo"]]
    # The dialog was offered the due date (2 Dec), not today, since Jo is not overdue.
    assert asked == [("Jo Bennett", LINE, date(2026, 12, 2), date(2026, 11, 26))]
    assert (
        cell(screen, staff["Jo"], type_column(LINE)).data() == "▲ Due soon · 2 Dec · booked 30 Nov"
    )
    planned = [s for s in ctx.sessions.history(staff["Jo"]) if s.status is SessionStatus.PLANNED]
    assert len(planned) == 1
    booked = ctx.sessions.get(planned[0].id)
    assert booked is not None
    assert (booked.start_time, booked.duration_minutes, booked.mode, booked.location) == (
        "14:30", 45, Mode.VIDEO, "Team base, room 2",
    )  # fmt: skip

    with qtbot.waitSignal(screen.session_requested) as blocker:
        _menu_action(screen.context_menu(cell(screen, staff["Jo"], type_column(GROUP))),
                     "Record a session now…").trigger()  # fmt: skip
    assert blocker.args == [staff["Jo"], "group"]


def test_booking_an_overdue_worker_defaults_to_today_and_refuses_the_past(
    screen: SchedulerScreen, ctx: AppContext, staff: Staff, today: date, monkeypatch
):
    asked: list[date] = []
    warnings: list[str] = []
    monkeypatch.setattr(
        scheduler_module,
        "ask_booking",
        lambda parent, name, type_, default, earliest: (
            asked.append(default) or Booking(date(2026, 11, 1), "10:00", 60, Mode.IN_PERSON, "")
        ),
    )
    monkeypatch.setattr(
        QMessageBox, "warning", lambda parent, title, text, *a: warnings.append(text)
    )
    assert screen.book_session(staff["Alex"], CLINICAL) is False
    assert asked == [today]
    assert warnings and "today or a later date" in warnings[0]
    assert not [s for s in ctx.sessions.history(staff["Alex"]) if s.status is SessionStatus.PLANNED]


def test_empty_database_shows_a_friendly_line(qtbot, ctx: AppContext):
    widget = SchedulerScreen(ctx)
    qtbot.addWidget(widget)
    assert widget.model.rowCount() == 0
    assert widget.table_stack.currentIndex() == 1
    assert widget.empty_label.text().startswith("No workers yet.")
    assert widget.clear_button.isHidden()
    assert widget.counts.text() == "0 workers · 0 overdue · 0 due this week · compliance —"


def test_selection_survives_a_full_refresh(screen: SchedulerScreen, staff: Staff):
    assert screen.select_worker(staff["Grace"], type_column(CLINICAL))
    screen.refresh()
    assert screen.selected_worker_id() == staff["Grace"]
    assert screen.details.title.text() == "Grace Liu"


def test_every_control_has_an_accessible_name(screen: SchedulerScreen):
    for widget in (screen.search, screen.team_combo, screen.supervisor_combo,
                   screen.status_combo, screen.as_of_edit, screen.today_button,
                   screen.table, screen.clear_button):  # fmt: skip
        assert widget.accessibleName(), widget


def test_painting_the_table_does_not_cost_references_to_none(qtbot, screen: SchedulerScreen):
    """Under PySide6 6.12.0 on Python 3.11 each Qt call from Python that returns nothing drops
    a reference to None; ~10,000 of them abort the interpreter. Painting must stay in C++
    (a Python delegate lost ~500 per repaint of this table)."""
    import sys

    screen.table.viewport().repaint()
    before = sys.getrefcount(None)
    for _ in range(5):
        screen.table.viewport().repaint()
    assert sys.getrefcount(None) >= before - 20


def test_details_pane_hides_when_no_row_is_shown(qtbot, screen: SchedulerScreen):
    assert screen.details.isVisible()
    qtbot.keyClicks(screen.search, "nobody")
    assert not screen.details.isVisible()
    screen.search.clear()
    assert screen.details.isVisible()


def test_splitter_and_column_widths_are_remembered_but_not_the_sort(
    qtbot, ctx: AppContext, staff: Staff
):
    first = SchedulerScreen(ctx)
    qtbot.addWidget(first)
    first.resize(1366, 768)
    first.show()
    first.splitter.setSizes([500, 160])
    sizes = first.splitter.sizes()
    first.table.setColumnWidth(Column.WORKER, 222)
    first.table.sortByColumn(Column.WORKER, Qt.SortOrder.AscendingOrder)
    first.hide()

    try:
        second = SchedulerScreen(ctx)
        qtbot.addWidget(second)
        second.resize(1366, 768)
        second.show()
        assert second.table.columnWidth(Column.WORKER) == 222
        assert second.splitter.sizes() == sizes
        assert shown_names(second)[0] == "Owen Davies"  # still worst first
    finally:
        QSettings().remove("scheduler")  # Qt caches the settings path for the whole run


@pytest.mark.slow
def test_filtering_and_sorting_1000_workers_keeps_every_row(qtbot, ctx: AppContext, today):
    """Every sort and filter on 1,000 workers, then clearing the filters, shows all of them
    again. How long each step takes is measured by tests/benchmarks/bench_gui.py (goal: none
    over 100 ms on the GUI thread), not here: a timed test fails on a busy machine."""
    import random

    from app.storage.db import transaction
    from app.storage.workers import insert_worker

    rng = random.Random(3)
    with transaction(ctx.db):
        for i in range(1000):
            insert_worker(
                ctx.db,
                Worker(
                    id="",
                    name=f"{rng.choice(['Sam', 'Mei', 'Łukasz', 'Jo'])} Worker{i:04d}",
                    role=rng.choice(["Nurse", "Social worker", "Support worker"]),
                    team=f"Team {i % 84}",
                    start_date=today - timedelta(days=rng.randint(0, 2000)),
                    requires=frozenset(rng.sample([LINE, CLINICAL, GROUP], rng.randint(1, 3))),
                ),
            )
    screen = SchedulerScreen(ctx)
    qtbot.addWidget(screen)
    screen.resize(1366, 768)
    screen.show()
    assert screen.model.rowCount() == 1000
    steps = [
        lambda c=c: screen.table.sortByColumn(c, Qt.SortOrder.DescendingOrder)
        for c in range(screen.model.columnCount())
    ]
    steps += [
        lambda: screen.table.sortByColumn(Column.OVERALL, Qt.SortOrder.AscendingOrder),
        lambda: screen.team_combo.setCurrentIndex(3),
        lambda: screen.status_combo.setCurrentIndex(1),
        lambda: screen.supervisor_combo.setCurrentIndex(0),
        lambda: screen.search.setText("sam"),
        lambda: screen.search.setText("sam worker00"),
        screen.clear_filters,
    ]
    shown = []
    for step in steps:
        step()
        screen.table.viewport().repaint()
        shown.append(screen.proxy.rowCount())
    assert shown[: screen.model.columnCount() + 1] == [1000] * (screen.model.columnCount() + 1)
    sorts = screen.model.columnCount() + 1
    assert 0 < shown[sorts] < 1000  # one team of 84
    assert shown[-1] == 1000  # cleared: every worker again
