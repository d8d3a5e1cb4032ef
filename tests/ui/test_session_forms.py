"""The three session forms, driven with the keyboard and mouse like a team lead would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QMessageBox,
    QWidget,
)

from app.domain.catalogue import BUILTIN_KEYS, CLINICAL, GROUP, LINE
from app.domain.model import DueStatus, SessionStatus, TypeKey, Worker
from app.domain.records import Action, ActionOwner, ActionStatus, Decision
from app.errors import SaveError
from app.services.scheduling import compute_schedule
from ui.context import AppContext
from ui.forms import session_form
from ui.forms.common_sections import CheckListModel
from ui.forms.record_tables import ActionsModel, CarriedAction, DecisionsModel, ReviewsModel
from ui.forms.session_form import SessionForm

# Helpers shared with test_drafts.py --------------------------------------------------------


@dataclass
class Team:
    lead: Worker  # line supervisor, qualified for clinical
    psych: Worker  # qualified clinical supervisor
    dan: Worker  # not qualified for clinical
    zoe: Worker
    aisha: Worker
    ben: Worker


def make_team(ctx: AppContext, zoe_name: str = "Zoë Adams") -> Team:
    save = ctx.workers.save
    lead = save(
        Worker("", "Priya Nair", "Team lead", "North", date(2019, 3, 1), qualified_clinical=True)
    )
    psych = save(
        Worker("", "Tom Okafor", "Psychologist", "North", date(2018, 1, 1), qualified_clinical=True)
    )
    dan = save(Worker("", "Dan Smith", "Senior practitioner", "North", date(2020, 1, 1)))
    zoe = save(
        Worker(
            "", zoe_name, "Support worker", "North", date(2026, 1, 5),
            line_supervisor_id=lead.id, clinical_supervisor_id=dan.id,
        )
    )  # fmt: skip
    aisha = save(
        Worker("", "Aisha Rahman", "CPN", "North", date(2022, 1, 1), line_supervisor_id=lead.id)
    )
    ben = save(
        Worker(
            "", "Ben Carter", "Social worker", "South", date(2022, 1, 1), line_supervisor_id=lead.id
        )
    )
    return Team(lead, psych, dan, zoe, aisha, ben)


class Dialogs:
    """Stands in for QMessageBox: records what was asked, answers from a queue."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.answers: list[QMessageBox.StandardButton] = []

    def question(self, _parent: Any, title: str, text: str, *_a: Any, **_k: Any) -> Any:
        self.calls.append(("question", title, text))
        return self.answers.pop(0) if self.answers else QMessageBox.StandardButton.Cancel

    def warning(self, _parent: Any, title: str, text: str, *_a: Any, **_k: Any) -> Any:
        self.calls.append(("warning", title, text))
        return QMessageBox.StandardButton.Ok

    def critical(self, _parent: Any, title: str, text: str, *_a: Any, **_k: Any) -> Any:
        self.calls.append(("critical", title, text))
        return QMessageBox.StandardButton.Ok

    def texts(self, kind: str) -> list[str]:
        return [text for k, _title, text in self.calls if k == kind]


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> Dialogs:
    d = Dialogs()
    for name in ("question", "warning", "critical"):
        monkeypatch.setattr(session_form.QMessageBox, name, getattr(d, name))
    return d


@pytest.fixture
def ctx(db: Any, db_path: Any, today: date) -> AppContext:
    return AppContext.for_database(db, db_path, today=lambda: today)


@pytest.fixture
def team(ctx: AppContext) -> Team:
    return make_team(ctx)


def show(qtbot: Any, form: SessionForm) -> SessionForm:
    """Show the form; at the end of the test it closes the way quitting the app does."""
    qtbot.addWidget(form, before_close_func=lambda w: setattr(w, "_quitting", True))
    form.show()
    qtbot.waitExposed(form)
    with qtbot.waitActive(form):  # as on a desktop: the window just opened has the keyboard
        form.activateWindow()
    return form


def click(qtbot: Any, button: QAbstractButton) -> None:
    """Click a check box or radio button on its indicator, as a user would."""
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(8, button.height() // 2))


def type_text(qtbot: Any, widget: QWidget, text: str) -> None:
    """Type like a keyboard with an input method: ASCII as key clicks, other characters
    (accents, Arabic, emoji) as key events carrying their text."""
    for ch in text:
        if ch.isascii():
            qtbot.keyClicks(widget, ch)
        else:
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(
                    widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch)
                )


def focused(form: QWidget) -> QWidget:
    widget = form.focusWidget()
    assert widget is not None
    return widget


def next_cell(qtbot: Any, form: SessionForm, view: QWidget) -> None:
    """Keep what was typed in the cell (Enter) and move to the cell on its right (→): a table
    is one Tab stop, so inside it the arrows move."""
    qtbot.keyClick(focused(form), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: focused(form) is view)  # the editor closes on the next pass
    qtbot.keyClick(view, Qt.Key.Key_Right)


def type_into_cell(qtbot: Any, form: SessionForm, view: QWidget, text: str) -> None:
    """Type into the current cell: the first key opens its editor, the rest go to it."""
    type_text(qtbot, view, text[:1])
    type_text(qtbot, focused(form), text[1:])


def add_decision(qtbot: Any, form: SessionForm, text: str, rationale: str) -> None:
    table = form.decisions.table
    rows = table.model.rowCount()
    assert table.add_button is not None
    qtbot.mouseClick(table.add_button, Qt.MouseButton.LeftButton)
    type_text(qtbot, focused(form), text)
    next_cell(qtbot, form, table.view)
    type_into_cell(qtbot, form, table.view, rationale)
    qtbot.keyClick(focused(form), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: form.decisions.model.rows()[rows].rationale == rationale)


def add_action(
    qtbot: Any,
    form: SessionForm,
    description: str,
    owner: str,
    evidence: str,
    *,
    for_name: str | None = None,
) -> None:
    """Add an action with the keyboard; the due date is the suggested one plus a day, typed
    the way people write dates."""
    table = form.actions_section.table
    view = table.view
    rows = table.model.rowCount()
    assert table.add_button is not None
    qtbot.mouseClick(table.add_button, Qt.MouseButton.LeftButton)
    type_text(qtbot, focused(form), description)
    next_cell(qtbot, form, view)  # → owner: its drop-down opens with F2
    qtbot.keyClick(view, Qt.Key.Key_F2)
    combo = focused(form)
    assert isinstance(combo, QComboBox)
    qtbot.keyClicks(combo, owner)
    qtbot.keyClick(combo, Qt.Key.Key_Escape)  # back to the table
    qtbot.waitUntil(lambda: focused(form) is view)
    qtbot.keyClick(view, Qt.Key.Key_Right)  # → name (if other)
    qtbot.keyClick(view, Qt.Key.Key_Right)  # → due date
    due = form._default_due() + timedelta(days=1)
    type_into_cell(qtbot, form, view, f"{due.day}/{due.month}/{due.year % 100}")
    next_cell(qtbot, form, view)  # → evidence
    type_into_cell(qtbot, form, view, evidence)
    qtbot.keyClick(focused(form), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: form.actions_section.model.rows()[rows].evidence == evidence)
    if for_name is not None:
        col = form.actions_section.model.column_of("worker_id")
        index = form.actions_section.model.index(rows, col)
        for_combo = table.view.indexWidget(index)
        assert isinstance(for_combo, QComboBox)
        for_combo.setFocus()
        qtbot.keyClicks(for_combo, for_name)


def type_in_cell(qtbot: Any, form: SessionForm, table: Any, row: int, col: int, text: str) -> None:
    """Select a cell, press F2 to edit it, type, press Enter."""
    view = table.view
    view.setCurrentIndex(table.model.index(row, col))
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_F2)
    qtbot.keyClicks(focused(form), text)
    qtbot.keyClick(focused(form), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: table.model.index(row, col).data(Qt.ItemDataRole.EditRole) == text)


def status_of(ctx: AppContext, worker_id: str, type_: TypeKey, today: date) -> DueStatus:
    schedule = compute_schedule(ctx.db, today)
    row = next(r for r in schedule.rows if r.worker_id == worker_id)
    return row.status.by_type[type_].status


def fill_core(qtbot: Any, form: SessionForm, issues: str) -> None:
    """Issues, the risk question, a theme and the confidential notes, by keyboard and mouse."""
    qtbot.keyClicks(form.discussion.issues, issues)
    click(qtbot, form.risk.answer.button(True))
    qtbot.keyClicks(form.risk.case_refs, "C-1042")
    qtbot.keyClicks(form.confidential.notes, "Felt shaken after the visit.")


# The three forms ----------------------------------------------------------------------------


def test_line_form_filled_and_saved_puts_the_worker_on_track(
    qtbot: Any, ctx: AppContext, team: Team, today: date, dialogs: Dialogs
) -> None:
    assert status_of(ctx, team.zoe.id, LINE, today) is DueStatus.OVERDUE
    form = show(qtbot, SessionForm.for_new(ctx, LINE, team.zoe.id, today))
    assert form.windowTitle() == "Line management supervision — Zoë Adams — 26 Nov 2026"
    assert form.details.supervisee.text().startswith("Zoë Adams")
    assert form.details.supervisor.currentText() == "Priya Nair"
    assert form.agenda is not None and form.wellbeing is not None

    click(qtbot, form.agenda.checklist.boxes["caseload"])
    click(qtbot, form.agenda.checklist.boxes["safety"])
    click(qtbot, form.details.mode.button(next(iter(form.details.mode._values.values()))))
    qtbot.keyClicks(form.details.location, "Team base, room 2")
    fill_core(qtbot, form, "Caseload of 14 feels heavy; two complex referrals.")
    add_decision(qtbot, form, "Cap caseload at 12 until January", "New in post; support need high")
    add_action(qtbot, form, "Transfer two cases to Ben", "Supervisor", "Cases show new worker")
    theme_box = next(iter(form.themes.themes.view.boxes.values()))  # type: ignore[attr-defined]
    click(qtbot, theme_box)
    for _ in range(7):
        qtbot.keyClick(form.wellbeing.wellbeing, Qt.Key.Key_Up)
    click(
        qtbot, form.wellbeing.workload.button(next(iter(form.wellbeing.workload._values.values())))
    )
    click(qtbot, form.wellbeing.moral_distress.button(False))
    qtbot.keyClicks(form.wellbeing.support, "Protected admin time on Fridays")
    assert form.quality.is_ready(), form.quality_messages()

    with qtbot.waitSignal(form.session_saved) as saved:
        qtbot.keyClick(form, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert saved.args == [[team.zoe.id]]
    assert dialogs.calls == []

    stored = ctx.sessions.get(form.session_id)
    assert stored is not None
    assert stored.type == LINE and stored.status is SessionStatus.HELD
    assert stored.worker_id == team.zoe.id and stored.supervisor_id == team.lead.id
    assert stored.checklist == {
        "caseload": True, "recording": False, "safety": True, "attendance": False,
    }  # fmt: skip
    assert stored.location == "Team base, room 2"
    assert stored.issues == "Caseload of 14 feels heavy; two complex referrals."
    assert [(d.text, d.rationale) for d in stored.decisions] == [
        ("Cap caseload at 12 until January", "New in post; support need high")
    ]
    (action,) = stored.actions
    assert action.description == "Transfer two cases to Ben"
    assert action.owner is ActionOwner.SUPERVISOR
    assert action.due_date == today + timedelta(days=15)
    assert action.evidence == "Cases show new worker" and action.worker_id == team.zoe.id
    assert stored.risk_link is True and stored.case_refs == "C-1042"
    assert len(stored.theme_ids) == 1
    assert stored.wellbeing == 7 and stored.moral_distress is False
    assert stored.workload is not None
    assert stored.support_offered == "Protected admin time on Fridays"
    assert stored.confidential_notes == "Felt shaken after the visit."
    assert status_of(ctx, team.zoe.id, LINE, today) is DueStatus.ON_TRACK
    assert not form.has_unsaved_changes()
    assert form.status_line.text().startswith("Saved at")


def test_clinical_form_warns_about_an_unqualified_supervisor(
    qtbot: Any, ctx: AppContext, team: Team, today: date, dialogs: Dialogs
) -> None:
    assert status_of(ctx, team.zoe.id, CLINICAL, today) is DueStatus.OVERDUE
    form = show(qtbot, SessionForm.for_new(ctx, CLINICAL, team.zoe.id, today))
    assert form.windowTitle() == "Clinical supervision — Zoë Adams — 26 Nov 2026"
    warning = form.details.qualification_warning
    assert form.details.supervisor.currentData() == team.dan.id
    assert warning.isVisible()
    assert "Dan Smith is not marked as qualified" in warning.text()
    assert any("not marked as qualified" in m for m in form.quality_messages())

    qtbot.keyClicks(form.details.supervisor, "Tom")
    assert form.details.supervisor.currentData() == team.psych.id
    assert not warning.isVisible()
    assert not any("qualified" in m for m in form.quality_messages())

    assert form.agenda is not None
    click(qtbot, form.agenda.checklist.boxes["risk_formulation"])
    click(qtbot, form.agenda.checklist.boxes["reflection"])
    fill_core(qtbot, form, "Risk formulation for C-1042 after a missed depot.")
    add_decision(qtbot, form, "Refer C-1042 to the MDT", "Escalating risk, two missed depots")
    add_action(qtbot, form, "Update the risk plan", "Supervisee", "Plan dated on the record")
    with qtbot.waitSignal(form.session_saved):
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)

    stored = ctx.sessions.get(form.session_id)
    assert stored is not None and stored.type == CLINICAL
    assert stored.supervisor_id == team.psych.id
    assert stored.checklist["risk_formulation"] and stored.checklist["reflection"]
    assert not stored.checklist["safeguarding"]
    assert stored.actions[0].owner is ActionOwner.SUPERVISEE
    assert status_of(ctx, team.zoe.id, CLINICAL, today) is DueStatus.ON_TRACK


def _tick_attendee(qtbot: Any, form: SessionForm, name: str) -> None:
    """Filter the list by name, click the first row and press Space to tick it."""
    assert form.attendees is not None
    attendees = form.attendees.list
    assert attendees.filter is not None
    attendees.filter.clear()
    qtbot.keyClicks(attendees.filter, name)
    view = attendees.view
    index = attendees.proxy.index(0, 0)
    rect = view.visualRect(index)  # type: ignore[attr-defined]
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # type: ignore[attr-defined]
    qtbot.keyClick(view, Qt.Key.Key_Space)
    attendees.filter.clear()


def test_group_form_updates_every_attendees_group_status(
    qtbot: Any, ctx: AppContext, team: Team, today: date, dialogs: Dialogs
) -> None:
    people = (team.zoe, team.aisha, team.ben)
    for worker in people:
        assert status_of(ctx, worker.id, GROUP, today) is DueStatus.OVERDUE
    form = show(qtbot, SessionForm.for_new(ctx, GROUP, team.zoe.id, today))
    assert form.attendees is not None and form.case_discussion is not None
    assert form.wellbeing is None and form.carried is None
    assert any("at least two attendees" in m for m in form.quality_messages())
    assert form.windowTitle() == "Reflective / group supervision — 1 attendee — 26 Nov 2026"

    _tick_attendee(qtbot, form, "Aisha")
    _tick_attendee(qtbot, form, "South")  # Ben, found by his team
    assert form.attendees.list.model.checked() == [team.aisha.id, team.ben.id, team.zoe.id]
    assert form.windowTitle() == "Reflective / group supervision — 3 attendees — 26 Nov 2026"
    assert form.attendees.count.text() == "3 attendees ticked: Aisha Rahman, Ben Carter, Zoë Adams"
    assert not any("attendees" in m for m in form.quality_messages())

    qtbot.keyClicks(form.case_discussion.text, "C-2210: third crisis presentation this month.")
    themes = form.themes
    click(qtbot, themes.checklist.boxes["crisis_triggers"])  # type: ignore[attr-defined]
    click(qtbot, themes.checklist.boxes["system_blockages"])  # type: ignore[attr-defined]
    click(qtbot, form.risk.answer.button(False))
    add_decision(qtbot, form, "Raise crisis line delays at the MDT", "Three teams report it")
    add_action(qtbot, form, "Draft escalation note", "Attendee", "Note sent", for_name="Aisha")
    assert form.actions_section.model.rows()[0].worker_id == team.aisha.id
    assert form.quality.is_ready(), form.quality_messages()

    with qtbot.waitSignal(form.session_saved) as saved:
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert sorted(saved.args[0]) == sorted(w.id for w in people)
    stored = ctx.sessions.get(form.session_id)
    assert stored is not None
    assert sorted(stored.attendees) == sorted(w.id for w in people)
    assert stored.case_discussion == "C-2210: third crisis presentation this month."
    assert stored.checklist["crisis_triggers"] and stored.checklist["system_blockages"]
    assert stored.actions[0].worker_id == team.aisha.id
    assert stored.actions[0].owner is ActionOwner.SUPERVISEE
    assert stored.wellbeing is None
    for worker in people:
        assert status_of(ctx, worker.id, GROUP, today) is DueStatus.ON_TRACK
    assert status_of(ctx, team.lead.id, GROUP, today) is DueStatus.OVERDUE


def test_group_action_must_say_who_it_is_for(
    qtbot: Any, ctx: AppContext, team: Team, today: date, dialogs: Dialogs
) -> None:
    form = show(qtbot, SessionForm.for_new(ctx, GROUP, team.zoe.id, today))
    _tick_attendee(qtbot, form, "Aisha")
    add_action(qtbot, form, "Share the protocol", "Supervisor", "Email sent")
    assert form.save() is False
    assert dialogs.texts("warning") == [
        "Choose who the action “Share the protocol” is for (the For column)."
    ]
    assert form.session_id == ""


# Carried-forward actions --------------------------------------------------------------------


def _earlier_session(ctx: AppContext, team: Team) -> list[Action]:
    record = ctx.sessions.new_record(LINE, team.zoe.id, date(2026, 10, 15))
    record.issues = "Caseload"
    record.risk_link = False
    record.decisions = [Decision("Reduce caseload", "New in post")]
    record.actions = [
        Action("Lone-working training", ActionOwner.SUPERVISEE, date(2026, 11, 10), "Certificate"),
        Action("Book crisis-team shadowing", ActionOwner.SUPERVISOR, date(2026, 11, 30)),
        Action("Catch up on case notes", ActionOwner.SUPERVISEE, None, "Audit clean"),
    ]
    return ctx.sessions.save(record).record.actions


def _choose_outcome(qtbot: Any, form: SessionForm, row: int, label: str) -> None:
    assert form.carried is not None
    model = form.carried.model
    combo = form.carried.table.view.indexWidget(model.index(row, model.column_of("outcome")))
    assert isinstance(combo, QComboBox)
    combo.setFocus()
    qtbot.keyClicks(combo, label)


def test_carried_forward_actions_are_reviewed_and_closed(
    qtbot: Any, ctx: AppContext, team: Team, today: date, dialogs: Dialogs
) -> None:
    training, shadowing, notes = _earlier_session(ctx, team)
    form = show(qtbot, SessionForm.for_new(ctx, CLINICAL, team.zoe.id, today))
    assert form.carried is not None
    rows = form.carried.model.rows()
    assert [r.description for r in rows] == [
        "Lone-working training", "Book crisis-team shadowing", "Catch up on case notes",
    ]  # fmt: skip
    assert rows[0].origin == "Line management · 15 Oct 2026"
    shown = form.carried.model.index(0, 0).data()
    assert shown == "Lone-working training\nEvidence: Certificate"
    assert form.carried.model.index(2, 2).data() == "no date"

    _choose_outcome(qtbot, form, 0, "Done")
    _choose_outcome(qtbot, form, 2, "Dropped")
    assert form.save() is False  # dropped needs a reason
    assert "Say why the action “Catch up on case notes” is dropped" in dialogs.texts("warning")[0]

    note = form.carried.model.column_of("note")
    type_in_cell(qtbot, form, form.carried.table, 2, note, "Cases moved to Ben")
    click(qtbot, form.risk.answer.button(False))
    with qtbot.waitSignal(form.session_saved):
        assert form.save() is True

    by_id = {a.id: a for a in ctx.sessions.actions(status=None, worker_id=team.zoe.id)}
    assert by_id[training.id].status is ActionStatus.DONE
    assert by_id[shadowing.id].status is ActionStatus.OPEN
    assert by_id[notes.id].status is ActionStatus.DROPPED
    assert by_id[notes.id].completion_note == "Cases moved to Ben"
    stored = ctx.sessions.get(form.session_id)
    assert stored is not None
    outcomes = {r.action_id: (r.outcome, r.note) for r in stored.reviews}
    assert outcomes[notes.id] == (ActionStatus.DROPPED, "Cases moved to Ben")
    assert outcomes[training.id][0] is ActionStatus.DONE

    # The saved session still shows what it reviewed; the next session only what is open.
    assert [r.outcome for r in form.carried.model.rows()] == [
        ActionStatus.DONE, ActionStatus.OPEN, ActionStatus.DROPPED,
    ]  # fmt: skip
    later = show(qtbot, SessionForm.for_new(ctx, LINE, team.zoe.id, today))
    assert later.carried is not None
    assert [r.action_id for r in later.carried.model.rows()] == [shadowing.id]


def test_resaving_an_older_session_never_reopens_an_action_closed_later(
    qtbot: Any, ctx: AppContext, team: Team, today: date, dialogs: Dialogs
) -> None:
    training, _shadowing, _notes = _earlier_session(ctx, team)
    older = show(qtbot, SessionForm.for_new(ctx, LINE, team.zoe.id, today))
    qtbot.keyClicks(older.discussion.issues, "Reviewed actions, all still open")
    assert older.save()
    newer = show(qtbot, SessionForm.for_new(ctx, CLINICAL, team.zoe.id, today))
    _choose_outcome(qtbot, newer, 0, "Done")
    assert newer.save()
    status = {a.id: a.status for a in ctx.sessions.actions(status=None, worker_id=team.zoe.id)}
    assert status[training.id] is ActionStatus.DONE
    # Editing the older session again must not undo the newer session's decision.
    again = show(qtbot, SessionForm.for_existing(ctx, older.session_id))
    assert again.carried is not None
    assert training.id not in [r.action_id for r in again.carried.model.rows()]
    qtbot.keyClicks(again.discussion.issues, " (edited)")
    assert again.save()
    status = {a.id: a.status for a in ctx.sessions.actions(status=None, worker_id=team.zoe.id)}
    assert status[training.id] is ActionStatus.DONE
    # The session that closed an action can undo its own mistake.
    fix = show(qtbot, SessionForm.for_existing(ctx, newer.session_id))
    _choose_outcome(qtbot, fix, 0, "Still open")
    assert fix.save()
    status = {a.id: a.status for a in ctx.sessions.actions(status=None, worker_id=team.zoe.id)}
    assert status[training.id] is ActionStatus.OPEN


def test_actions_agreed_in_a_session_are_carried_into_the_next(
    qtbot: Any, ctx: AppContext, team: Team, today: date, dialogs: Dialogs
) -> None:
    first = show(qtbot, SessionForm.for_new(ctx, LINE, team.zoe.id, today))
    add_action(qtbot, first, "Read the lone-working policy", "Supervisee", "Signed sheet")
    assert first.save()
    second = show(qtbot, SessionForm.for_new(ctx, CLINICAL, team.zoe.id, today))
    assert second.carried is not None
    (row,) = second.carried.model.rows()
    assert row.description == "Read the lone-working policy"
    assert row.owner == "Supervisee" and row.due_date == today + timedelta(days=15)
    # The first session, reopened, does not review its own action.
    again = show(qtbot, SessionForm.for_existing(ctx, first.session_id))
    assert again.carried is not None and again.carried.model.rows() == []


# Status, quality and text --------------------------------------------------------------------


def test_cancelled_without_a_reason_is_refused_with_a_message(
    qtbot: Any, ctx: AppContext, team: Team, today: date, dialogs: Dialogs
) -> None:
    form = show(qtbot, SessionForm.for_new(ctx, LINE, team.zoe.id, today))
    reason = form.details.cancel_reason
    assert not reason.isVisible()
    click(qtbot, form.details.status.button(SessionStatus.CANCELLED))
    assert reason.isVisible()
    assert form.quality.not_held.isVisible() and form.quality_messages() == []
    assert form.save() is False
    assert dialogs.texts("warning") == [
        "A cancelled session needs a reason. Type why it was cancelled."
    ]
    assert form.session_id == ""
    qtbot.keyClicks(reason, "Supervisor off sick")
    with qtbot.waitSignal(form.session_saved):
        assert form.save()
    stored = ctx.sessions.get(form.session_id)
    assert stored is not None
    assert stored.status is SessionStatus.CANCELLED
    assert stored.cancel_reason == "Supervisor off sick"
    assert status_of(ctx, team.zoe.id, LINE, today) is DueStatus.OVERDUE


def test_quality_panel_lists_gaps_and_clears_them_as_fields_are_filled(
    qtbot: Any, ctx: AppContext, team: Team, today: date, dialogs: Dialogs
) -> None:
    form = show(qtbot, SessionForm.for_new(ctx, LINE, team.zoe.id, today))
    assert form.quality_messages() == [
        "Issues discussed is empty.",
        "No decision or guidance is recorded.",
        "The risk / safeguarding question is unanswered.",
    ]
    assert form.quality.summary.text() == "✖ 3 things missing"
    assert not form.quality.is_ready()
    # Clicking a gap goes to the field it is about.
    risk_gap = form.quality.gap_labels()[2]
    qtbot.mouseClick(risk_gap, Qt.MouseButton.LeftButton)
    assert form.focusWidget() is form.risk.answer.button(True)
    qtbot.keyClick(form.quality.gap_labels()[0], Qt.Key.Key_Return)
    assert form.focusWidget() is form.discussion.issues
    qtbot.keyClicks(form.discussion.issues, "Workload")
    assert "Issues discussed is empty." not in form.quality_messages()
    click(qtbot, form.risk.answer.button(True))
    assert "Risk or safeguarding is linked but no case reference given." in form.quality_messages()
    qtbot.keyClicks(form.risk.referral_refs, "SG-2026-118")
    assert form.quality_messages() == ["No decision or guidance is recorded."]
    table = form.decisions.table
    assert table.add_button is not None
    qtbot.mouseClick(table.add_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(focused(form), "Keep caseload at 12")
    qtbot.keyClick(focused(form), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: form.quality_messages() == ["A decision has no rationale."])
    qtbot.mouseClick(form.actions_section.table.add_button, Qt.MouseButton.LeftButton)  # type: ignore[arg-type]
    qtbot.keyClicks(focused(form), "Book training")
    qtbot.keyClick(focused(form), Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: "Action “Book training” lacks an owner and a due date." in form.quality_messages()
    )
    assert form.quality.summary.text() == "✖ 2 things missing"
    form.actions_section.table.remove_selected()
    type_in_cell(qtbot, form, form.decisions.table, 0, 1, "Agreed at the last review")
    qtbot.waitUntil(form.quality.is_ready)
    assert form.quality.ready.text() == "✔ Ready for sign-off"
    assert form.quality_messages() == []


def test_text_with_markup_emoji_and_arabic_round_trips_exactly(
    qtbot: Any, ctx: AppContext, today: date, dialogs: Dialogs
) -> None:
    team = make_team(ctx, zoe_name="Zoë <b>Adams</b> & co")
    form = show(qtbot, SessionForm.for_new(ctx, LINE, team.zoe.id, today))
    assert form.windowTitle() == "Line management supervision — Zoë <b>Adams</b> & co — 26 Nov 2026"
    assert form.details.supervisee.text() == "Zoë <b>Adams</b> & co — Support worker, North"
    assert form.details.supervisee.textFormat() is Qt.TextFormat.PlainText
    tricky = "<b>bold?</b> R&D & <i>x</i> 😊 مرحبا بالعالم"
    type_text(qtbot, form.discussion.issues, tricky)
    type_text(qtbot, form.confidential.notes, tricky)
    qtbot.keyClicks(form.risk.case_refs, "C-<1>&2")
    add_decision(qtbot, form, tricky, "سبب & <why>")
    add_action(qtbot, form, "Action <a href='x'>", "Supervisee", "😊 & دليل")
    assert form.save()
    stored = ctx.sessions.get(form.session_id)
    assert stored is not None
    assert stored.issues == tricky and stored.confidential_notes == tricky
    assert stored.case_refs == "C-<1>&2"
    assert (stored.decisions[0].text, stored.decisions[0].rationale) == (tricky, "سبب & <why>")
    assert stored.actions[0].description == "Action <a href='x'>"
    assert stored.actions[0].evidence == "😊 & دليل"
    assert form.decisions.model.index(0, 0).data() == tricky


# Keyboard, accessibility, errors -------------------------------------------------------------


def test_every_control_has_an_accessible_name_and_tab_goes_top_to_bottom(
    qtbot: Any, ctx: AppContext, team: Team, today: date, dialogs: Dialogs
) -> None:
    for type_ in BUILTIN_KEYS:
        form = show(qtbot, SessionForm.for_new(ctx, type_, team.zoe.id, today))
        content = form.scroll_area.widget()
        focusable = [
            w
            for w in content.findChildren(QWidget)
            if w.focusPolicy() & Qt.FocusPolicy.TabFocus
            and w.isVisibleTo(form)
            and not isinstance(w.parentWidget(), QAbstractSpinBox)  # the box itself is named
        ]
        assert focusable
        unnamed = [w for w in focusable if not w.accessibleName()]
        assert unnamed == [], [type(w).__name__ for w in unnamed]
        # Follow the tab chain from the date field: sections are visited in page order.
        order: list[QWidget] = []
        widget: QWidget = form.details.date
        for _ in range(200):
            if widget.isVisibleTo(form) and widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
                order.append(widget)
            widget = widget.nextInFocusChain()
            if widget is form.details.date:
                break
        tops = [
            section.mapTo(content, QPoint(0, 0)).y()
            for w in order
            for section in form.sections
            if section.isAncestorOf(w)
        ]
        assert len(tops) > 20
        assert tops == sorted(tops)
        assert order.index(form.save_button) > order.index(form.confidential.notes)
        # It fits a 1366×768 laptop screen: the content scrolls, the quality panel stays.
        form.resize(1366, 768)
        hint = form.minimumSizeHint()
        assert hint.width() <= 1366 and hint.height() <= 700
        assert form.scroll_area.verticalScrollBar().maximum() > 0
        assert not form.scroll_area.isAncestorOf(form.quality)


def test_escape_asks_before_closing_and_cancel_keeps_the_form_open(
    qtbot: Any, ctx: AppContext, team: Team, today: date, dialogs: Dialogs
) -> None:
    form = show(qtbot, SessionForm.for_new(ctx, LINE, team.zoe.id, today))
    qtbot.keyClicks(form.discussion.issues, "Something")
    dialogs.answers = [QMessageBox.StandardButton.Cancel]
    qtbot.keyClick(form, Qt.Key.Key_Escape)
    assert dialogs.calls[0][:2] == ("question", "Unsaved changes")
    assert form.isVisible()
    dialogs.answers = [QMessageBox.StandardButton.Save]
    with qtbot.waitSignal(form.session_saved):
        qtbot.keyClick(form, Qt.Key.Key_Escape)
    assert not form.isVisible()
    stored = ctx.sessions.get(form.session_id)
    assert stored is not None and stored.issues == "Something"


def test_a_form_without_changes_closes_without_asking(
    qtbot: Any, ctx: AppContext, team: Team, today: date, dialogs: Dialogs
) -> None:
    form = show(qtbot, SessionForm.for_new(ctx, CLINICAL, team.zoe.id, today))
    qtbot.mouseClick(form.close_button, Qt.MouseButton.LeftButton)
    assert not form.isVisible()
    assert dialogs.calls == []


def test_a_save_error_says_so_and_keeps_what_was_typed(
    qtbot: Any,
    ctx: AppContext,
    team: Team,
    today: date,
    dialogs: Dialogs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    form = show(qtbot, SessionForm.for_new(ctx, LINE, team.zoe.id, today))
    qtbot.keyClicks(form.discussion.issues, "Important notes")

    def disk_full(*_a: Any, **_k: Any) -> Any:
        raise SaveError(
            "Could not save your change: the disk is full. Free some space, then try again."
        )

    monkeypatch.setattr(ctx.sessions, "save", disk_full)
    assert form.save() is False
    expected = (
        "Your last change was not saved: Could not save your change: the disk is full. "
        "Free some space, then try again."
    )
    assert form.error_banner.isVisible() and form.error_banner.text() == expected
    assert dialogs.calls[0][0] == "critical" and expected in dialogs.calls[0][2]
    assert form.discussion.issues.toPlainText() == "Important notes"
    assert form.has_unsaved_changes()
    monkeypatch.undo()
    assert form.save() is True
    assert not form.error_banner.isVisible()


def test_an_existing_session_opens_with_its_record(
    qtbot: Any, ctx: AppContext, team: Team, today: date, dialogs: Dialogs
) -> None:
    _earlier_session(ctx, team)
    (summary,) = ctx.sessions.history(team.zoe.id)
    form = show(qtbot, SessionForm.for_existing(ctx, summary.id))
    assert form.windowTitle() == "Line management supervision — Zoë Adams — 15 Oct 2026"
    assert form.record().issues == "Caseload"
    assert [a.description for a in form.record().actions] == [
        "Lone-working training", "Book crisis-team shadowing", "Catch up on case notes",
    ]  # fmt: skip
    assert not form.has_unsaved_changes()
    assert not form.info_banner.isVisible()


# Models ---------------------------------------------------------------------------------------


def test_table_models_pass_the_model_tester(qtmodeltester: Any) -> None:
    decisions = DecisionsModel()
    decisions.set_rows([Decision("Cap caseload", "New"), Decision("Joint visits", "")])
    qtmodeltester.check(decisions)
    actions = ActionsModel(group=True)
    actions.set_attendees([("w1", "Zoë"), ("w2", "Aisha")])
    actions.set_rows(
        [Action("Do it", ActionOwner.OTHER, date(2026, 12, 1), owner_name="GP", worker_id="w1")]
    )
    qtmodeltester.check(actions)
    assert actions.index(0, 0).data() == "Zoë"
    assert actions.index(0, actions.column_of("owner")).data() == "Other (name it)"
    assert actions.index(0, actions.column_of("due_date")).data() == "1 Dec 2026"
    reviews = ReviewsModel()
    reviews.set_rows([CarriedAction("a1", "Training", "Supervisee", None, "Line · 1 Oct 2026")])
    qtmodeltester.check(reviews)
    assert reviews.index(0, reviews.column_of("outcome")).data() == "Still open"
    checklist = CheckListModel()
    checklist.set_items([("t1", "Workload pressure"), ("t2", "Boundary issue")])
    checklist.set_checked(["t2"])
    qtmodeltester.check(checklist)
    assert checklist.checked() == ["t2"]


def test_an_empty_due_date_stays_empty_when_tabbed_past(
    qtbot: Any, ctx: AppContext, team: Team, today: date, dialogs: Dialogs
) -> None:
    """Tab leaves the table from the cell being typed in: what was typed is kept, the due
    date left alone stays empty, and the focus goes to the field after the table."""
    form = show(qtbot, SessionForm.for_new(ctx, LINE, team.zoe.id, today))
    table = form.actions_section.table
    qtbot.mouseClick(table.add_button, Qt.MouseButton.LeftButton)  # type: ignore[arg-type]
    qtbot.keyClicks(focused(form), "Read the policy")
    qtbot.keyClick(focused(form), Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: table.view.state() is not table.view.State.EditingState)
    assert focused(form) is table.add_button
    (action,) = form.record().actions
    assert action.description == "Read the policy"
    assert action.due_date is None
    due = form.actions_section.model.index(0, form.actions_section.model.column_of("due_date"))
    assert due.data() == "— set a date"


def test_a_second_group_session_that_day_for_its_attendees_asks_first(
    qtbot: Any, ctx: AppContext, team: Team, today: date, dialogs: Dialogs
) -> None:
    first = ctx.sessions.new_record(GROUP, team.zoe.id, today)
    first.attendees = [team.zoe.id, team.aisha.id]
    first.case_discussion = "C-1001: discharge planning."
    first.risk_link = False
    ctx.sessions.save(first)

    form = show(qtbot, SessionForm.for_new(ctx, GROUP, team.ben.id, today))
    _tick_attendee(qtbot, form, "Aisha")
    qtbot.keyClicks(form.case_discussion.text, "C-2210: third crisis presentation this month.")  # type: ignore[union-attr]
    click(qtbot, form.risk.answer.button(False))
    dialogs.answers = [QMessageBox.StandardButton.No]
    assert form.save() is False  # answered No: nothing saved
    (asked,) = dialogs.texts("question")
    assert asked.startswith(
        "Aisha Rahman already has a reflective / group session on 26 Nov 2026 (held)."
    )
    assert sum(1 for s in ctx.sessions.history(team.ben.id) if s.type == GROUP) == 0

    dialogs.answers = [QMessageBox.StandardButton.Yes]
    with qtbot.waitSignal(form.session_saved):
        assert form.save() is True
    assert sum(1 for s in ctx.sessions.history(team.aisha.id) if s.type == GROUP) == 2
