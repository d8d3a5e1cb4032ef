"""Flag to governance from a session form: the item links to the session and the form lists
the items it fed; decision theme tags and retired themes survive a re-save."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox
from pytestqt.qtbot import QtBot

from app.domain.catalogue import LINE
from app.domain.governance import Forum, ItemSource, ItemStatus
from app.domain.records import Decision
from app.services import governance
from app.services import themes as theme_service
from app.storage.db import Database
from ui.context import AppContext
from ui.forms import flag_dialog
from ui.forms.flag_dialog import FlagDialog, link_text
from ui.forms.session_form import SessionForm
from ui.forms.themes_dialog import DecisionThemesDialog

from .records_helpers import Staff, held, make_staff


@pytest.fixture
def ctx(db: Database, db_path: Path, today: date) -> AppContext:
    return AppContext.for_database(db, db_path, today=lambda: today)


@pytest.fixture
def staff(ctx: AppContext) -> Staff:
    return make_staff(ctx)


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    said: list[str] = []

    def warning(_parent: Any, _title: str, text: str, *_a: Any) -> Any:
        said.append(text)
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(flag_dialog.QMessageBox, "warning", warning)
    return said


def theme_id(ctx: AppContext, name: str) -> str:
    return next(u.theme.id for u in theme_service.theme_usage(ctx.db) if u.theme.name == name)


def open_form(qtbot: QtBot, ctx: AppContext, session_id: str) -> SessionForm:
    form = SessionForm.for_existing(ctx, session_id)
    qtbot.addWidget(form, before_close_func=lambda w: setattr(w, "_quitting", True))
    form.show()
    qtbot.waitExposed(form)
    return form


def answer_flag_dialog(
    monkeypatch: pytest.MonkeyPatch, qtbot: QtBot, fill: Callable[[FlagDialog], None]
) -> list[FlagDialog]:
    """Replace the dialog's exec with a user who fills it in and clicks the flag button."""
    seen: list[FlagDialog] = []

    def run(dialog: FlagDialog) -> int:
        seen.append(dialog)
        fill(dialog)
        qtbot.mouseClick(dialog.flag_button, Qt.MouseButton.LeftButton)
        return int(dialog.result())

    monkeypatch.setattr(FlagDialog, "exec", run)
    return seen


def test_flag_from_a_form_creates_a_linked_item_and_the_form_lists_it(
    qtbot: QtBot, ctx: AppContext, staff: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    crisis = theme_id(ctx, "Delayed crisis response")
    session = held(
        ctx, staff.zoe, date(2026, 11, 20), supervisor=staff.lead,
        issues="Two late call-backs from the crisis line.",
        decisions=[Decision("Escalate to the duty senior", "Delays", theme_ids=[crisis])],
    )  # fmt: skip
    form = open_form(qtbot, ctx, session)
    assert not form.governance.label.isVisible()
    assert form.governance.flag_button.text() == "Flag to &governance…"

    def fill(d: FlagDialog) -> None:
        assert d.theme.currentData() == crisis  # suggested from the record's tags
        assert d.raised_by.text() == "Priya Nair"  # the supervisor
        d.forum.setCurrentIndex(d.forum.findData(Forum.MDT.value))
        qtbot.keyClicks(d.title, "Duty cover <gaps> & late call-backs")
        qtbot.keyClicks(d.description, "Two delays in November")

    dialogs = answer_flag_dialog(monkeypatch, qtbot, fill)
    flagged: list[str] = []
    form.governance.item_flagged.connect(flagged.append)
    qtbot.mouseClick(form.governance.flag_button, Qt.MouseButton.LeftButton)
    assert len(dialogs) == 1

    (item,) = governance.items_for_session(ctx.db, session)
    assert flagged == [item.id]
    assert (item.forum, item.title, item.source) == (
        Forum.MDT, "Duty cover <gaps> & late call-backs", ItemSource.SESSION,
    )  # fmt: skip
    assert (item.description, item.theme_id, item.raised_by) == (
        "Two delays in November", crisis, "Priya Nair",
    )  # fmt: skip
    assert item.session_ids == (session,) and item.raised_on == date(2026, 11, 26)
    assert form.governance.label.isVisible()
    assert form.governance.label.text() == (
        "Flagged to MDT meeting: Duty cover <gaps> & late call-backs (raised 26 Nov 2026)"
    )
    assert form.governance.label.textFormat() == Qt.TextFormat.PlainText

    # The forum decides; the record shows it when next opened.
    governance.table_item(ctx.db, item.id, date(2026, 11, 27))
    governance.decide_item(ctx.db, item.id, "Second duty worker", date(2026, 11, 27))
    form.close()
    again = open_form(qtbot, ctx, session)
    assert again.governance.lines() == [
        "Flagged to MDT meeting: Duty cover <gaps> & late call-backs (decided 27 Nov 2026)"
    ]
    assert not again.has_unsaved_changes()  # flagging never changes the record


def test_a_new_record_is_saved_before_it_is_flagged(
    qtbot: QtBot, ctx: AppContext, staff: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = SessionForm.for_new(ctx, LINE, staff.aisha.id, date(2026, 11, 26))
    qtbot.addWidget(form, before_close_func=lambda w: setattr(w, "_quitting", True))
    form.show()
    form.discussion.issues.setPlainText("Safeguarding threshold unclear for case AB12.")
    form.details.supervisor.setCurrentIndex(form.details.supervisor.findData(staff.lead.id))
    assert form.session_id == ""

    def fill(d: FlagDialog) -> None:
        d.forum.setCurrentIndex(d.forum.findData(Forum.SAFEGUARDING.value))
        qtbot.keyClicks(d.title, "Threshold for AB12")

    answer_flag_dialog(monkeypatch, qtbot, fill)
    qtbot.mouseClick(form.governance.flag_button, Qt.MouseButton.LeftButton)
    assert form.session_id  # saved first
    (item,) = governance.items_for_session(ctx.db, form.session_id)
    assert item.forum is Forum.SAFEGUARDING and item.status is ItemStatus.RAISED
    assert form.governance.lines() == [
        "Flagged to Safeguarding meeting: Threshold for AB12 (raised 26 Nov 2026)"
    ]


def test_a_flag_without_a_title_is_explained_and_nothing_raised(
    qtbot: QtBot,
    ctx: AppContext,
    staff: Staff,
    monkeypatch: pytest.MonkeyPatch,
    warnings: list[str],
) -> None:
    session = held(ctx, staff.zoe, date(2026, 11, 20), supervisor=staff.lead)
    form = open_form(qtbot, ctx, session)
    dialogs = answer_flag_dialog(monkeypatch, qtbot, lambda d: d.title.setText("   "))
    assert form.governance.flag() is None
    assert warnings == ["Give the item a title: what the forum will see."]
    assert dialogs[0].item is None
    assert governance.items_for_session(ctx.db, session) == []
    assert not form.governance.label.isVisible()


def test_a_signed_record_can_still_be_flagged(
    qtbot: QtBot, ctx: AppContext, staff: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = held(ctx, staff.zoe, date(2026, 11, 20), supervisor=staff.lead)
    form = open_form(qtbot, ctx, session)
    form.lock()  # what signing does to the form
    assert form.governance.flag_button.isEnabled()
    answer_flag_dialog(monkeypatch, qtbot, lambda d: d.title.setText("Recording backlog"))
    qtbot.mouseClick(form.governance.flag_button, Qt.MouseButton.LeftButton)
    assert len(governance.items_for_session(ctx.db, session)) == 1


def test_link_text_names_the_change_made(ctx: AppContext, staff: Staff) -> None:
    session = held(ctx, staff.zoe, date(2026, 11, 2), supervisor=staff.lead)
    item = governance.flag_session(
        ctx.db, session, forum=Forum.QUALITY, title="Escalation protocol",
        raised_on=date(2026, 11, 3),
    )  # fmt: skip
    governance.table_item(ctx.db, item.id, date(2026, 11, 10))
    governance.decide_item(ctx.db, item.id, "Revise it", date(2026, 11, 10))
    governance.record_change(ctx.db, item.id, "Escalation protocol revised", date(2026, 11, 20))
    closed = governance.close_item(ctx.db, item.id, date(2026, 11, 24))
    assert link_text(closed) == (
        "Flagged to Quality and governance meeting: Escalation protocol (closed 24 Nov 2026)"
        " — change made: Escalation protocol revised"
    )


# Theme tags survive a re-save ----------------------------------------------------------------


def test_decision_theme_tags_survive_a_re_save(qtbot: QtBot, ctx: AppContext, staff: Staff) -> None:
    crisis = theme_id(ctx, "Delayed crisis response")
    workload = theme_id(ctx, "Workload pressure")
    session = held(
        ctx, staff.zoe, date(2026, 11, 20), supervisor=staff.lead, theme_ids=[workload],
        decisions=[Decision("Escalate", "Two delays", theme_ids=[crisis, workload]),
                   Decision("Protected admin time", "Backlog")],
    )  # fmt: skip
    form = open_form(qtbot, ctx, session)
    form.discussion.issues.setPlainText("Two delays, and the backlog is growing.")
    assert form.save()
    record = ctx.sessions.get(session)
    assert record is not None
    assert record.issues == "Two delays, and the backlog is growing."
    assert [sorted(d.theme_ids) for d in record.decisions] == [sorted([crisis, workload]), []]
    assert record.theme_ids == [workload]


def test_a_retired_theme_on_a_record_survives_a_re_save(
    qtbot: QtBot, ctx: AppContext, staff: Staff
) -> None:
    boundary = theme_id(ctx, "Boundary issue")
    session = held(ctx, staff.zoe, date(2026, 11, 2), supervisor=staff.lead, theme_ids=[boundary])
    theme_service.retire_theme(ctx.db, boundary, date(2026, 11, 10))
    form = open_form(qtbot, ctx, session)
    assert dict(form.themes.themes.model._items)[boundary] == "Boundary issue (retired)"
    form.discussion.issues.setPlainText("Boundaries revisited.")
    assert form.save()
    record = ctx.sessions.get(session)
    assert record is not None and record.theme_ids == [boundary]
    # A new record is not offered the retired theme.
    new = SessionForm.for_new(ctx, LINE, staff.ben.id, date(2026, 11, 26))
    qtbot.addWidget(new, before_close_func=lambda w: setattr(w, "_quitting", True))
    assert boundary not in dict(new.themes.themes.model._items)


def test_the_decisions_table_shows_and_edits_a_decisions_themes(
    qtbot: QtBot, ctx: AppContext, staff: Staff, monkeypatch: pytest.MonkeyPatch, qtmodeltester: Any
) -> None:
    crisis = theme_id(ctx, "Delayed crisis response")
    lone = theme_id(ctx, "Lone working safety")
    session = held(
        ctx, staff.zoe, date(2026, 11, 20), supervisor=staff.lead,
        decisions=[Decision("Escalate", "Two delays", theme_ids=[crisis]),
                   Decision("Pair visits after 6pm", "Lone working")],
    )  # fmt: skip
    form = open_form(qtbot, ctx, session)
    model = form.decisions.model
    column = model.column_of("theme_ids")
    assert model.headerData(column, Qt.Orientation.Horizontal) == "Themes"
    assert [model.index(r, column).data() for r in range(2)] == ["Delayed crisis response", "—"]
    qtmodeltester.check(model)

    button = form.decisions.themes_button
    form.decisions.table.view.setCurrentIndex(model.index(1, 0))
    assert button.isEnabled()

    def tick(dialog: DecisionThemesDialog) -> int:
        assert "Pair visits after 6pm" in dialog.findChildren(QLabel)[0].text()
        assert dialog.chosen() == []
        dialog.list.toggle(lone)
        dialog.list.toggle(crisis)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        return int(dialog.result())

    monkeypatch.setattr(DecisionThemesDialog, "exec", tick)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert model.index(1, column).data() == "Delayed crisis response, Lone working safety"
    assert form.has_unsaved_changes()
    assert form.save()
    record = ctx.sessions.get(session)
    assert record is not None
    assert [sorted(d.theme_ids) for d in record.decisions] == [[crisis], sorted([crisis, lone])]

    # Cancel changes nothing; a signed record's decisions cannot be re-tagged.
    def cancel(dialog: DecisionThemesDialog) -> int:
        dialog.list.toggle(lone)
        dialog.reject()
        return int(dialog.result())

    monkeypatch.setattr(DecisionThemesDialog, "exec", cancel)
    form.decisions.table.view.setCurrentIndex(model.index(0, 0))
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert model.index(0, column).data() == "Delayed crisis response"
    assert not form.has_unsaved_changes()
    form.lock()
    assert not button.isEnabled()
