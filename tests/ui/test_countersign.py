"""Quality assurance at the window (issue 16): a worker is marked as a QA reviewer in the worker
dialog, and a QA reviewer countersigns a signed record from its (read-only) session form —
never the record's own supervisor or supervisee, and the dialog says why."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.storage.db import Database
from tests.ui.test_session_forms import Team, click, make_team, type_text
from tests.ui.test_signoff import Dialogs, drive, held, open_form, saved
from ui.context import AppContext
from ui.forms.countersign_dialog import NO_REVIEWERS, CountersignDialog
from ui.forms.worker_dialog import WorkerDialog


@pytest.fixture
def ctx(db: Database, db_path: Path, today: date) -> AppContext:
    return AppContext.for_database(db, db_path, today=lambda: today)


@pytest.fixture
def team(ctx: AppContext) -> Team:
    return make_team(ctx)


@pytest.fixture
def messages(monkeypatch: pytest.MonkeyPatch) -> Dialogs:
    d = Dialogs()
    from ui.forms import countersign_dialog, record_evidence, worker_dialog

    for module in (countersign_dialog, record_evidence, worker_dialog):
        for name in ("question", "warning", "critical", "information"):
            monkeypatch.setattr(module.QMessageBox, name, getattr(d, name, d.warning))
    return d


def signed(ctx: AppContext, team: Team) -> str:
    sid = saved(ctx, held(team))
    ctx.records.sign_off(sid, "Priya Nair", confirmed=True)
    return sid


def test_the_worker_dialog_marks_and_unmarks_a_qa_reviewer(
    qtbot: QtBot, ctx: AppContext, team: Team, messages: Dialogs
) -> None:
    dialog = WorkerDialog(ctx, ctx.workers.get(team.psych.id))
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.qa_check.isChecked()
    click(qtbot, dialog.qa_check)
    dialog.accept()
    assert ctx.qa.is_reviewer(team.psych.id)
    assert ctx.workers.get(team.psych.id) == team.psych  # nothing else changed

    again = WorkerDialog(ctx, ctx.workers.get(team.psych.id))
    qtbot.addWidget(again)
    again.show()
    assert again.qa_check.isChecked()  # shown as stored
    click(qtbot, again.qa_check)
    again.accept()
    assert not ctx.qa.is_reviewer(team.psych.id)


def test_a_new_worker_is_added_as_a_qa_reviewer(
    qtbot: QtBot, ctx: AppContext, team: Team, messages: Dialogs
) -> None:
    dialog = WorkerDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    type_text(qtbot, dialog.name_edit, "Grace Mensah")
    type_text(qtbot, dialog.role_edit, "Service manager")
    click(qtbot, dialog.qa_check)
    dialog.accept()
    assert dialog.saved_worker is not None
    assert ctx.qa.is_reviewer(dialog.saved_worker.id)
    assert [w.name for w in ctx.qa.reviewers()] == ["Grace Mensah"]


def test_a_qa_reviewer_countersigns_a_signed_record_from_its_form(
    qtbot: QtBot, ctx: AppContext, team: Team, messages: Dialogs, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = signed(ctx, team)
    ctx.qa.set_reviewer(team.lead.id, True)  # the record's own supervisor
    ctx.qa.set_reviewer(team.psych.id, True)
    fingerprint = ctx.records.state(sid).fingerprint
    form = open_form(qtbot, ctx, sid)
    evidence = form.evidence
    assert evidence.countersign_button.isVisible()
    assert "not yet quality-assured" in evidence.banner.text()
    seen: dict[str, object] = {}

    def script(dialog: CountersignDialog) -> None:
        # The record's supervisor is listed, cannot countersign, and the dialog says why.
        names = [dialog.reviewer.itemText(n) for n in range(dialog.reviewer.count())]
        seen["names"] = names
        supervisor = next(n for n, t in enumerate(names) if t.startswith("Priya Nair"))
        dialog.reviewer.setCurrentIndex(supervisor)
        click(qtbot, dialog.confirm)
        seen["why"] = dialog.why_not.text()
        seen["why_shown"] = dialog.why_not.isVisible()
        seen["enabled_for_supervisor"] = dialog.countersign_button.isEnabled()
        dialog.reviewer.setCurrentIndex(next(n for n, t in enumerate(names)
                                             if t.startswith("Tom Okafor")))  # fmt: skip
        assert not dialog.why_not.isVisible()
        type_text(qtbot, dialog.comments, "Sampled: decisions reasoned, risk followed up.")
        qtbot.mouseClick(dialog.countersign_button, Qt.MouseButton.LeftButton)

    drive(monkeypatch, CountersignDialog, script)
    qtbot.mouseClick(evidence.countersign_button, Qt.MouseButton.LeftButton)

    assert "Tom Okafor, Psychologist" in seen["names"]  # type: ignore[operator]
    assert "Priya Nair supervised and signed this session" in str(seen["why"])
    assert seen["why_shown"] is True and seen["enabled_for_supervisor"] is False
    stored = ctx.qa.countersignature(sid)
    assert stored is not None
    assert (stored.reviewer_name, stored.reviewer_role) == ("Tom Okafor", "Psychologist")
    assert stored.comments == "Sampled: decisions reasoned, risk followed up."
    assert ctx.records.state(sid).fingerprint == fingerprint  # the record is unchanged
    text = evidence.banner.text()
    assert "countersigned by Tom Okafor (Psychologist)" in text
    assert stored.hash in text and fingerprint in text
    assert not evidence.countersign_button.isVisible()  # countersigned once


def test_an_unsigned_record_offers_no_countersignature(
    qtbot: QtBot, ctx: AppContext, team: Team
) -> None:
    form = open_form(qtbot, ctx, saved(ctx, held(team)))
    assert not form.evidence.countersign_button.isVisible()
    assert form.evidence.countersign() is False


def test_with_no_qa_reviewer_the_dialog_says_how_to_mark_one(
    qtbot: QtBot, ctx: AppContext, team: Team, messages: Dialogs
) -> None:
    dialog = CountersignDialog(ctx, signed(ctx, team), title="Line record")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.why_not.isVisible() and dialog.why_not.text() == NO_REVIEWERS
    click(qtbot, dialog.confirm)
    assert not dialog.countersign_button.isEnabled()


def test_a_refusal_from_the_service_is_shown_and_nothing_is_stored(
    qtbot: QtBot, ctx: AppContext, team: Team, messages: Dialogs
) -> None:
    sid = signed(ctx, team)
    ctx.qa.set_reviewer(team.psych.id, True)
    dialog = CountersignDialog(ctx, sid, title="Line record")
    qtbot.addWidget(dialog)
    dialog.show()
    click(qtbot, dialog.confirm)
    qtbot.mouseClick(dialog.countersign_button, Qt.MouseButton.LeftButton)  # no comments
    assert "Write the QA comments" in messages.texts("warning")[-1]
    assert dialog.isVisible() and ctx.qa.countersignature(sid) is None


# The scheduler's summary line ---------------------------------------------------------------


def test_the_scheduler_line_shows_awaiting_qa_and_the_sampling_rate_per_team(
    qtbot: QtBot, ctx: AppContext, team: Team, messages: Dialogs, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui.main_window import MainWindow

    north = signed(ctx, team)  # Zoë (North), 20 Nov 2026
    south = saved(ctx, held(team, worker_id=team.ben.id, session_date=date(2026, 11, 18)))
    ctx.records.sign_off(south, "Priya Nair", confirmed=True)
    saved(ctx, held(team, worker_id=team.aisha.id))  # not signed: not counted
    ctx.qa.set_reviewer(team.psych.id, True)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    screen = window.scheduler
    assert screen.counts.text().endswith(" · 2 awaiting QA · QA Nov 2026: 0 of 2 (0%)")

    # Countersigned from the record's form, opened from the window: the line follows at once.
    window.open_session(north)
    [form] = window._forms

    def script(dialog: CountersignDialog) -> None:
        type_text(qtbot, dialog.comments, "Good record.")
        click(qtbot, dialog.confirm)
        qtbot.mouseClick(dialog.countersign_button, Qt.MouseButton.LeftButton)

    drive(monkeypatch, CountersignDialog, script)
    qtbot.mouseClick(form.evidence.countersign_button, Qt.MouseButton.LeftButton)
    assert screen.counts.text().endswith(" · 1 awaiting QA · QA Nov 2026: 1 of 2 (50%)")
    tip = screen.counts.toolTip()
    assert "North: 1 of 1 (100%), 0 awaiting QA" in tip
    assert "South: 0 of 1 (0%), 1 awaiting QA" in tip

    # Filtered to a team, the line gives that team's figures.
    screen.team_combo.setCurrentIndex(screen.team_combo.findData("South"))
    assert screen.counts.text().endswith(" · 1 awaiting QA · QA Nov 2026: 0 of 1 (0%)")

    # Early in a month nothing of it is signed yet: the month before is shown, named.
    screen.team_combo.setCurrentIndex(0)
    screen.set_as_of(date(2026, 12, 3))
    qtbot.waitUntil(lambda: "3 Dec 2026" in screen.counts.text(), timeout=3000)
    assert screen.counts.text().endswith(" · 1 awaiting QA · QA Nov 2026: 1 of 2 (50%)")

    # A month with no signed record says nothing about QA rather than a rate of nothing.
    screen.set_as_of(date(2027, 2, 10))
    qtbot.waitUntil(lambda: "10 Feb 2027" in screen.counts.text(), timeout=3000)
    assert "QA" not in screen.counts.text()
    assert "no signed records yet" in screen.counts.toolTip()


def test_the_workers_page_marks_a_qa_reviewer_from_the_edit_dialog_by_keyboard(
    qtbot: QtBot, ctx: AppContext, team: Team
) -> None:
    from tests.ui.test_workers import make_screen, run_modal

    screen = make_screen(qtbot, ctx)
    screen.show_worker(team.dan.id)
    assert screen.profile_fields["qa"].text() == "No"

    def tick(dialog: WorkerDialog) -> None:
        qtbot.keyClick(dialog.qa_check, Qt.Key.Key_Space)
        qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)

    run_modal(qtbot, WorkerDialog, screen.edit_worker, tick)
    assert ctx.qa.is_reviewer(team.dan.id)
    assert screen.profile_fields["qa"].text().startswith("Yes — countersigns signed records")
