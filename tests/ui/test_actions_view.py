"""The actions view: every open action across the team, overdue first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPersistentModelIndex, Qt
from PySide6.QtWidgets import QDialog

from app.domain.catalogue import CLINICAL, LINE
from app.domain.model import SessionStatus, TypeKey, Worker
from app.domain.records import Action, ActionOwner, ActionStatus
from app.domain.rows import ActionRow
from app.storage.db import Database
from ui.context import AppContext
from ui.models.actions_model import (
    OBJECT_ROLE,
    SORT_ROLE,
    ActionsModel,
    Column,
    default_order,
)
from ui.screens.actions import ActionsScreen, CloseActionDialog


@pytest.fixture
def ctx(db: Database, db_path: Path, today: date) -> AppContext:
    return AppContext.for_database(db, db_path, today=lambda: today)


def _worker(ctx: AppContext, name: str, **kw: Any) -> str:
    return ctx.workers.save(Worker(id="", name=name, team="North CMHT", **kw)).id


def _session_with(
    ctx: AppContext,
    worker_id: str,
    on: date,
    actions: list[Action],
    type_: TypeKey = LINE,
) -> str:
    record = ctx.sessions.new_record(type_, worker_id, on, SessionStatus.HELD)
    record.issues = "Caseload and lone working"
    record.actions = actions
    return ctx.sessions.save(record).record.id


@pytest.fixture
def team(ctx: AppContext, today: date) -> dict[str, str]:
    """Three workers and six actions: two overdue, one due soon, one later, one undated."""
    lead = _worker(ctx, "Grace Lead", qualified_clinical=True)
    ada = _worker(ctx, "Ada Ahmed", line_supervisor_id=lead, clinical_supervisor_id=lead)
    ben = _worker(ctx, "Ben <Brown> & Co 🙂", line_supervisor_id=lead)
    ids = {"lead": lead, "ada": ada, "ben": ben}
    ids["ada_session"] = _session_with(
        ctx,
        ada,
        today - timedelta(days=30),
        [
            Action("Book lone-working refresher", ActionOwner.SUPERVISEE, today - timedelta(3)),
            Action(
                "Review caseload weighting",
                ActionOwner.SUPERVISOR,
                today + timedelta(days=20),
                evidence="Updated caseload tool",
            ),
            Action("Read the new escalation protocol", ActionOwner.SUPERVISEE, None),
        ],
    )
    ids["ben_session"] = _session_with(
        ctx,
        ben,
        today - timedelta(days=20),
        [
            Action(
                "Write up the <b>crisis</b> plan", ActionOwner.SUPERVISEE, today - timedelta(10)
            ),
            Action(
                "Ask duty team about cover", ActionOwner.OTHER, today + timedelta(2), "", "Duty"
            ),
        ],
        CLINICAL,
    )
    return ids


@pytest.fixture
def screen(qtbot: Any, ctx: AppContext, team: dict[str, str]) -> ActionsScreen:
    widget = ActionsScreen(ctx)
    qtbot.addWidget(widget)
    widget.resize(1366, 768)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _descriptions(screen: ActionsScreen) -> list[str]:
    return [a.description for a in screen.visible_actions()]


def _cell(screen: ActionsScreen, row: int, column: Column) -> str:
    return str(screen.proxy.index(row, column).data())


def _patch_dialog(
    monkeypatch: pytest.MonkeyPatch, qtbot: Any, act: Callable[[CloseActionDialog], None]
) -> list[CloseActionDialog]:
    """Replace exec() with a user who does ``act`` on the real dialog."""
    seen: list[CloseActionDialog] = []

    def fake_exec(dialog: CloseActionDialog) -> int:
        qtbot.addWidget(dialog)
        seen.append(dialog)
        dialog.show()
        act(dialog)
        return int(dialog.result())

    monkeypatch.setattr(CloseActionDialog, "exec", fake_exec)
    return seen


# The model ------------------------------------------------------------------------------------


def _rows(ctx: AppContext) -> list[ActionRow]:
    return ctx.sessions.actions(status=None)


def test_model_passes_qtmodeltester(
    qtmodeltester: Any, ctx: AppContext, team: dict[str, str], today: date
) -> None:
    model = ActionsModel()
    model.set_rows(default_order(_rows(ctx), today), today)
    assert model.rowCount() == 5
    qtmodeltester.check(model)


def test_model_formats_due_owner_session_and_status(
    ctx: AppContext, team: dict[str, str], today: date
) -> None:
    model = ActionsModel()
    model.set_rows(default_order(_rows(ctx), today), today)

    def text(row: int, column: Column) -> str:
        return str(model.index(row, column).data())

    # Overdue first, the longest overdue at the top.
    assert text(0, Column.ACTION) == "Write up the <b>crisis</b> plan"
    assert text(0, Column.DUE) == "16 Nov 2026 · overdue by 10 days"
    assert text(0, Column.STATUS) == "✖ Overdue"
    assert text(0, Column.FOR) == "Ben <Brown> & Co 🙂"
    assert text(0, Column.SESSION) == "Clinical · 6 Nov 2026"
    assert text(1, Column.DUE) == "23 Nov 2026 · overdue by 3 days"
    assert text(2, Column.STATUS) == "▲ Due soon"
    assert text(2, Column.OWNER) == "Other: Duty"
    assert text(3, Column.EVIDENCE) == "Updated caseload tool"
    assert text(3, Column.OWNER) == "Supervisor"
    assert text(4, Column.DUE) == "No due date"
    assert isinstance(model.index(4, Column.DUE).data(OBJECT_ROLE), ActionRow)
    # Dates sort as dates, undated last.
    keys = [str(model.index(r, Column.DUE).data(SORT_ROLE)) for r in range(5)]
    assert keys == sorted(keys)
    assert model.index(0, Column.STATUS).data(Qt.ItemDataRole.BackgroundRole) is not None


# The screen -----------------------------------------------------------------------------------


def test_open_actions_are_listed_overdue_first_with_counts(screen: ActionsScreen) -> None:
    assert _descriptions(screen) == [
        "Write up the <b>crisis</b> plan",
        "Book lone-working refresher",
        "Ask duty team about cover",
        "Review caseload weighting",
        "Read the new escalation protocol",
    ]
    assert screen.counts_label.text().startswith("5 open actions · 2 overdue")
    assert "1 due within a week" in screen.counts_label.text()
    assert screen.counts_label.textFormat() == Qt.TextFormat.PlainText


def test_filter_by_worker_and_owner_changes_rows(
    qtbot: Any, screen: ActionsScreen, team: dict[str, str]
) -> None:
    combo = screen.worker_combo
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "All workers",
        "Ada Ahmed",
        "Ben <Brown> & Co 🙂",
    ]
    combo.setCurrentIndex(combo.findData(team["ada"]))
    assert {a.worker_id for a in screen.visible_actions()} == {team["ada"]}
    assert len(screen.visible_actions()) == 3
    assert "filtered" in screen.counts_label.text()

    screen.owner_combo.setCurrentIndex(screen.owner_combo.findText("Supervisor"))
    assert _descriptions(screen) == ["Review caseload weighting"]

    combo.setCurrentIndex(0)
    screen.owner_combo.setCurrentIndex(screen.owner_combo.findText("Other"))
    assert _descriptions(screen) == ["Ask duty team about cover"]

    screen.owner_combo.setCurrentIndex(screen.owner_combo.findText("Supervisee"))
    combo.setCurrentIndex(combo.findData(team["ben"]))
    assert _descriptions(screen) == ["Write up the <b>crisis</b> plan"]


def test_sorting_by_a_column_survives_a_refresh(screen: ActionsScreen) -> None:
    screen.table.sortByColumn(Column.FOR, Qt.SortOrder.AscendingOrder)
    assert [a.worker_name for a in screen.visible_actions()][:3] == ["Ada Ahmed"] * 3
    screen.refresh()
    assert [a.worker_name for a in screen.visible_actions()][:3] == ["Ada Ahmed"] * 3
    # Sorting by status is by urgency: overdue first again.
    screen.table.sortByColumn(Column.STATUS, Qt.SortOrder.AscendingOrder)
    assert _descriptions(screen)[:2] == [
        "Write up the <b>crisis</b> plan",
        "Book lone-working refresher",
    ]


def test_completing_with_a_note_closes_the_action(
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
    screen: ActionsScreen,
    ctx: AppContext,
    team: dict[str, str],
    today: date,
) -> None:
    def user(dialog: CloseActionDialog) -> None:
        assert not dialog.ok_button.isEnabled()  # evidence is named, so a note is required
        qtbot.keyClicks(dialog.note_edit, "Tool updated 24 Nov; on the shared drive")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    seen = _patch_dialog(monkeypatch, qtbot, user)
    assert screen.select_action(_action_id(ctx, "Review caseload weighting"))
    with qtbot.waitSignal(screen.actions_changed) as changed:
        qtbot.mouseClick(screen.complete_button, Qt.MouseButton.LeftButton)
    assert changed.args == [[team["ada"]]]
    assert "Evidence needed: Updated caseload tool" in seen[0].prompt.text()

    [stored] = [a for a in ctx.sessions.actions(status=None) if a.description.startswith("Rev")]
    assert stored.status is ActionStatus.DONE
    assert stored.completion_note == "Tool updated 24 Nov; on the shared drive"
    assert "Review caseload weighting" not in _descriptions(screen)
    assert screen.counts_label.text().startswith("4 open actions")


def test_completing_without_evidence_needs_no_note(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch, screen: ActionsScreen, ctx: AppContext
) -> None:
    _patch_dialog(
        monkeypatch, qtbot, lambda d: qtbot.mouseClick(d.ok_button, Qt.MouseButton.LeftButton)
    )
    screen.select_action(_action_id(ctx, "Book lone-working refresher"))
    screen.complete_selected()
    [stored] = [a for a in _rows(ctx) if a.description == "Book lone-working refresher"]
    assert stored.status is ActionStatus.DONE


def test_dropping_without_a_reason_is_refused(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch, screen: ActionsScreen, ctx: AppContext
) -> None:
    def user(dialog: CloseActionDialog) -> None:
        qtbot.keyClicks(dialog.note_edit, "   ")
        assert not dialog.ok_button.isEnabled()
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        qtbot.keyClick(dialog, Qt.Key.Key_Return)  # Enter does not slip past either
        assert dialog.isVisible()
        dialog.reject()

    seen = _patch_dialog(monkeypatch, qtbot, user)
    screen.select_action(_action_id(ctx, "Book lone-working refresher"))
    qtbot.mouseClick(screen.drop_button, Qt.MouseButton.LeftButton)
    assert seen and seen[0].result() == QDialog.DialogCode.Rejected
    [stored] = [a for a in _rows(ctx) if a.description == "Book lone-working refresher"]
    assert stored.status is ActionStatus.OPEN
    assert "Book lone-working refresher" in _descriptions(screen)


def test_dropping_with_a_reason_closes_and_shows_with_closed(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch, screen: ActionsScreen, ctx: AppContext
) -> None:
    def user(dialog: CloseActionDialog) -> None:
        qtbot.keyClicks(dialog.note_edit, "Case closed on 20 Nov")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    _patch_dialog(monkeypatch, qtbot, user)
    screen.select_action(_action_id(ctx, "Book lone-working refresher"))
    screen.drop_selected()
    [stored] = [a for a in _rows(ctx) if a.description == "Book lone-working refresher"]
    assert stored.status is ActionStatus.DROPPED
    assert stored.completion_note == "Case closed on 20 Nov"
    assert "Book lone-working refresher" not in _descriptions(screen)

    qtbot.mouseClick(screen.show_closed, Qt.MouseButton.LeftButton)
    assert screen.show_closed.isChecked()
    assert _descriptions(screen)[-1] == "Book lone-working refresher"
    last = len(screen.visible_actions()) - 1
    assert _cell(screen, last, Column.STATUS) == "– Dropped"
    assert "Dropped: Case closed on 20 Nov" in str(
        screen.proxy.index(last, Column.ACTION).data(Qt.ItemDataRole.ToolTipRole)
    )
    screen.select_action(stored.id)
    assert not screen.complete_button.isEnabled()
    assert not screen.drop_button.isEnabled()
    assert screen.open_button.isEnabled()


def test_open_session_emits_the_session_id(
    qtbot: Any, screen: ActionsScreen, ctx: AppContext, team: dict[str, str]
) -> None:
    assert not screen.open_button.isEnabled()  # nothing selected yet
    screen.select_action(_action_id(ctx, "Write up the <b>crisis</b> plan"))
    with qtbot.waitSignal(screen.session_open_requested) as opened:
        qtbot.mouseClick(screen.open_button, Qt.MouseButton.LeftButton)
    assert opened.args == [team["ben_session"]]

    # A double-click on a row (QTest's double-click needs the first click sent separately).
    screen.select_action(_action_id(ctx, "Review caseload weighting"))
    centre = screen.table.visualRect(screen.table.currentIndex()).center()
    viewport = screen.table.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=centre)
    with qtbot.waitSignal(screen.session_open_requested) as opened:
        qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=centre)
    assert opened.args == [team["ada_session"]]

    # Enter on the selected row.
    screen.select_action(_action_id(ctx, "Ask duty team about cover"))
    screen.table.setFocus()
    with qtbot.waitSignal(screen.session_open_requested) as opened:
        qtbot.keyClick(screen.table, Qt.Key.Key_Return)
    assert opened.args == [team["ben_session"]]


def test_empty_database_says_where_actions_come_from(qtbot: Any, ctx: AppContext) -> None:
    screen = ActionsScreen(ctx)
    qtbot.addWidget(screen)
    assert screen.visible_actions() == []
    assert screen.counts_label.text().startswith("0 open actions · 0 overdue")
    assert "Actions agreed in supervision sessions appear here" in screen.empty_label.text()
    assert not screen.empty_label.isHidden()


def test_close_dialog_shows_user_text_as_plain_text(
    qtbot: Any, ctx: AppContext, team: dict[str, str]
) -> None:
    row = next(a for a in _rows(ctx) if "crisis" in a.description)
    dialog = CloseActionDialog(row, ActionStatus.DONE)
    qtbot.addWidget(dialog)
    labels = [w for w in dialog.findChildren(type(dialog.prompt)) if "crisis" in w.text()]
    assert labels and all(w.textFormat() == Qt.TextFormat.PlainText for w in labels)
    assert labels[0].text() == "Write up the <b>crisis</b> plan"


def _action_id(ctx: AppContext, description: str) -> str:
    return next(a.id for a in _rows(ctx) if a.description == description)


def test_mnemonics_do_not_clash_with_each_other_or_the_main_window(screen: ActionsScreen) -> None:
    from PySide6.QtWidgets import QAbstractButton, QLabel

    texts = [w.text() for w in screen.findChildren(QLabel) + screen.findChildren(QAbstractButton)]
    keys = [t[t.index("&") + 1].lower() for t in texts if "&" in t]
    assert len(keys) == len(set(keys)), keys
    # The main window uses Alt+S/W/A for its tabs and F/S/V/H for its menus.
    assert not set(keys) & set("swafvh")


def test_the_model_sorts_itself_as_qt_s_proxy_ordered_the_keys(
    qtmodeltester: Any, ctx: AppContext, team: dict[str, str], today: date
) -> None:
    """A proxy's sort of 42,736 actions froze the window for 6–9 s; the model sorts itself.
    Every column, both ways: keys in the proxy's order, equal keys in the order given, and no
    sort column gives back the order given (overdue first)."""
    from PySide6.QtCore import QSortFilterProxyModel

    from ui.models.sorting import SourceSortProxy

    given = default_order(_rows(ctx), today)
    model = ActionsModel()
    model.set_rows(given, today)
    ours = SourceSortProxy()
    ours.setSourceModel(model)
    for column in Column:
        for way in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            reference = QSortFilterProxyModel()
            plain = ActionsModel()
            plain.set_rows(given, today)
            reference.setSourceModel(plain)
            reference.setSortRole(SORT_ROLE)
            reference.sort(column, way)
            ours.sort(column, way)
            keys = [ours.index(r, column).data(SORT_ROLE) for r in range(ours.rowCount())]
            assert keys == [
                reference.index(r, column).data(SORT_ROLE) for r in range(reference.rowCount())
            ], (column, way)
            ties: dict[str, list[int]] = {}
            for key, row in zip(keys, model.rows(), strict=True):
                ties.setdefault(key, []).append(given.index(row))
            assert all(v == sorted(v) for v in ties.values()), (column, way)
    qtmodeltester.check(model)
    ours.sort(-1, Qt.SortOrder.AscendingOrder)
    assert model.rows() == given
    # The selected action stays selected through a sort (persistent indexes move with it).
    selected = QPersistentModelIndex(model.index(model.find(given[-1].id) or 0, 0))
    ours.sort(int(Column.ACTION), Qt.SortOrder.DescendingOrder)
    assert model.action_at(selected.row()) == given[-1]
