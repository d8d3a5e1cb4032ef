"""Sign-off, the supervisee's response, locking and addenda, driven through the session form."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QDialog,
    QLineEdit,
    QPlainTextEdit,
)
from pytestqt.qtbot import QtBot

from app.domain.catalogue import GROUP, LINE
from app.domain.model import SessionStatus
from app.domain.policy import BEGINNING
from app.domain.records import Action, ActionOwner, Decision, SessionRecord
from app.storage.db import Database
from app.storage.policies import current_policy, save_policy
from tests.app.reportdata import flat, pdf_text
from tests.ui.test_session_forms import Dialogs, Team, click, make_team, show, type_text
from ui.context import AppContext
from ui.forms import signoff_dialogs
from ui.forms.record_tables import RecordTable
from ui.forms.session_form import SessionForm
from ui.forms.signoff_dialogs import (
    CONFIRMATION,
    AddendumDialog,
    SignOffDialog,
    SuperviseeResponseDialog,
)

ISSUES = "Caseload of 32; two new high-risk referrals <b>R&D</b>"
CONFIDENTIAL = "Feels worn down after the inquest."


@pytest.fixture
def ctx(db: Database, db_path: Path, today: date) -> AppContext:
    return AppContext.for_database(db, db_path, today=lambda: today)


@pytest.fixture
def team(ctx: AppContext) -> Team:
    return make_team(ctx)


@pytest.fixture
def messages(monkeypatch: pytest.MonkeyPatch) -> Dialogs:
    """QMessageBox as the dialogs and the form use it, answering without blocking."""
    d = Dialogs()
    from ui.forms import record_evidence, session_form

    for module in (signoff_dialogs, session_form, record_evidence):
        for name in ("question", "warning", "critical"):
            monkeypatch.setattr(module.QMessageBox, name, getattr(d, name))
        monkeypatch.setattr(
            module.QMessageBox,
            "information",
            lambda _p, title, text, *_a, **_k: d.calls.append(("information", title, text)),
        )
    return d


def held(team: Team, **changes: Any) -> SessionRecord:
    """A complete held line session of Zoë's with Priya (no quality gaps)."""
    record = SessionRecord(
        type=LINE,
        status=SessionStatus.HELD,
        session_date=date(2026, 11, 20),
        worker_id=team.zoe.id,
        supervisor_id=team.lead.id,
        start_time="10:00",
        duration_minutes=60,
        issues=ISSUES,
        decisions=[Decision("Cap new allocations for four weeks", "Caseload above the norm")],
        actions=[
            Action("Review C-1043 risk plan", ActionOwner.SUPERVISEE, date(2026, 12, 4), "Plan")
        ],
        risk_link=True,
        case_refs="C-1043",
        confidential_notes=CONFIDENTIAL,
    )
    return replace(record, **changes)


def saved(ctx: AppContext, record: SessionRecord) -> str:
    return ctx.sessions.save(record).record.id


def open_form(qtbot: QtBot, ctx: AppContext, session_id: str) -> SessionForm:
    return show(qtbot, SessionForm.for_existing(ctx, session_id))


Script = Callable[[Any], None]


def drive(monkeypatch: pytest.MonkeyPatch, cls: type[QDialog], *scripts: Script) -> list[Any]:
    """Replace ``cls.exec`` so each opening of the dialog runs the next script against the real
    dialog (typing and clicking), then returns what the dialog decided. Returns the dialogs."""
    queue = list(scripts)
    opened: list[Any] = []

    def exec_(self: QDialog) -> int:
        opened.append(self)
        self.show()
        if queue:
            queue.pop(0)(self)
        else:
            self.reject()
        result = self.result()
        self.hide()
        return result

    monkeypatch.setattr(cls, "exec", exec_)
    return opened


def sign_as(qtbot: QtBot, name: str, *, confirm: bool = True, gaps: bool = False) -> Script:
    def script(dialog: SignOffDialog) -> None:
        type_text(qtbot, dialog.name_edit, name)
        if confirm:
            click(qtbot, dialog.confirm)
        if gaps:
            click(qtbot, dialog.accept_gaps)
        qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)

    return script


def audit_actions(db: Database, session_id: str) -> list[str]:
    rows = db.execute(
        "SELECT action FROM audit_log WHERE entity_id = ? ORDER BY seq", [session_id]
    ).fetchall()
    return [r[0] for r in rows]


# The sign-off dialog ------------------------------------------------------------------------


def make_dialog(qtbot: QtBot, ctx: AppContext, sid: str, supervisor: str) -> SignOffDialog:
    dialog = SignOffDialog(
        ctx, sid, title="Line management supervision", supervisor_name=supervisor
    )
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_sign_off_refuses_without_the_confirmation_tick(
    qtbot: QtBot, ctx: AppContext, team: Team, messages: Dialogs
) -> None:
    sid = saved(ctx, held(team))
    dialog = make_dialog(qtbot, ctx, sid, team.lead.name)
    assert "nothing is missing" in dialog.gap_box.text()
    assert not dialog.accept_gaps.isVisibleTo(dialog)
    sign_as(qtbot, "Priya Nair", confirm=False)(dialog)
    assert messages.texts("warning") == [f"Tick “{CONFIRMATION}” to sign."]
    assert dialog.isVisible() and dialog.result() == 0
    assert not ctx.records.state(sid).signed
    assert "sign" not in audit_actions(ctx.db, sid)


def test_sign_off_refuses_a_name_that_is_not_the_supervisors(
    qtbot: QtBot, ctx: AppContext, team: Team, messages: Dialogs
) -> None:
    sid = saved(ctx, held(team))
    dialog = make_dialog(qtbot, ctx, sid, team.lead.name)
    sign_as(qtbot, "Zoë Adams")(dialog)  # the supervisee cannot sign for the supervisor
    assert len(messages.texts("warning")) == 1
    assert (
        "does not match the supervisor on this record (Priya Nair)" in messages.texts("warning")[0]
    )
    assert not ctx.records.state(sid).signed
    dialog.name_edit.clear()
    qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    assert messages.texts("warning")[-1] == "Type your full name to sign."
    assert not ctx.records.state(sid).signed


def test_sign_off_with_the_right_name_and_the_tick_signs_and_audits(
    qtbot: QtBot, ctx: AppContext, team: Team, messages: Dialogs
) -> None:
    sid = saved(ctx, held(team))
    dialog = make_dialog(qtbot, ctx, sid, team.lead.name)
    sign_as(qtbot, "  priya   NAIR ")(dialog)  # spacing and case do not matter
    assert messages.calls == []
    assert dialog.result() == QDialog.DialogCode.Accepted
    state = ctx.records.state(sid)
    # Stored as the service records the supervisor's name, not as typed.
    assert state.signed and state.signed_by_name == "Priya Nair"
    assert dialog.fingerprint == state.fingerprint and len(state.fingerprint) == 64
    assert audit_actions(ctx.db, sid)[-1] == "sign"


def test_gaps_are_shown_first_and_need_their_own_tick(
    qtbot: QtBot, ctx: AppContext, team: Team, messages: Dialogs
) -> None:
    sid = saved(ctx, held(team, decisions=[], risk_link=None))
    dialog = make_dialog(qtbot, ctx, sid, team.lead.name)
    shown = dialog.gap_box.text()
    assert "2 things are missing" in shown
    assert "No decision or guidance is recorded." in shown
    assert "The risk / safeguarding question is unanswered." in shown
    assert dialog.accept_gaps.isVisible() and dialog.sign_button.isEnabled()
    sign_as(qtbot, "Priya Nair")(dialog)
    assert "Tick “Sign with these gaps”" in messages.texts("warning")[0]
    assert not ctx.records.state(sid).signed
    click(qtbot, dialog.accept_gaps)
    qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    assert ctx.records.state(sid).signed
    row = ctx.db.execute(
        "SELECT detail FROM audit_log WHERE entity_id = ? AND action = 'sign'", [sid]
    ).fetchone()
    assert json.loads(row[0])["gaps"] == 2


def test_a_policy_that_blocks_on_gaps_disables_signing_and_says_why(
    qtbot: QtBot, ctx: AppContext, team: Team, messages: Dialogs
) -> None:
    save_policy(
        ctx.db,
        replace(current_policy(ctx.db), quality_blocks_sign_off=True),
        effective_from=BEGINNING,
    )
    sid = saved(ctx, held(team, risk_link=None))
    dialog = make_dialog(qtbot, ctx, sid, team.lead.name)
    assert "policy does not allow a record with gaps to be signed" in dialog.gap_box.text()
    assert not dialog.sign_button.isEnabled()
    assert not dialog.name_edit.isEnabled() and not dialog.confirm.isEnabled()
    assert not dialog.accept_gaps.isVisibleTo(dialog)
    dialog.accept()  # even if reached another way, nothing is signed
    assert not ctx.records.state(sid).signed
    assert messages.texts("warning")


# The form -----------------------------------------------------------------------------------


def test_sign_off_is_offered_only_for_a_saved_held_record(
    qtbot: QtBot, ctx: AppContext, team: Team, today: date
) -> None:
    new = show(qtbot, SessionForm.for_new(ctx, LINE, team.zoe.id, today))
    button = new.evidence.sign_button
    assert button.isVisible() and not button.isEnabled()
    assert button.toolTip() == "Save the session first"
    assert not new.evidence.export_button.isEnabled()
    sid = saved(ctx, held(team, status=SessionStatus.PLANNED))
    planned = open_form(qtbot, ctx, sid)
    assert not planned.evidence.sign_button.isEnabled()
    click(qtbot, planned.details.status.button(SessionStatus.HELD))
    assert planned.evidence.sign_button.isEnabled()


def test_signing_from_the_form_saves_changes_first_then_locks_everything(
    qtbot: QtBot,
    ctx: AppContext,
    team: Team,
    messages: Dialogs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sid = saved(ctx, held(team))
    form = open_form(qtbot, ctx, sid)
    form.discussion.issues.moveCursor(QTextCursor.MoveOperation.End)
    type_text(qtbot, form.discussion.issues, " Agreed protected admin time.")
    drive(monkeypatch, SignOffDialog, sign_as(qtbot, "Priya Nair"))
    responses = drive(monkeypatch, SuperviseeResponseDialog)  # "Later"
    qtbot.mouseClick(form.evidence.sign_button, Qt.MouseButton.LeftButton)

    stored = ctx.sessions.get(sid)
    assert stored is not None and stored.issues == ISSUES + " Agreed protected admin time."
    state = ctx.records.state(sid)
    assert state.signed and state.supervisee_response is None
    assert len(responses) == 1  # the supervisee's part was offered straight away

    # What the user sees: a banner, no Save or Sign buttons, every field read-only.
    banner = form.evidence.banner
    assert banner.isVisible()
    text = banner.text()
    assert "Signed by Priya Nair on " in text
    assert "— locked. Corrections are addenda." in text
    assert state.fingerprint in text
    assert "not yet responded" in text
    assert not form.save_button.isVisible() and not form.evidence.sign_button.isVisible()
    assert form.evidence.addendum_button.isVisible()
    assert form.evidence.respond_button.isVisible()
    content = form.content
    for edit in content.findChildren(QLineEdit) + content.findChildren(QPlainTextEdit):
        assert edit.isReadOnly(), edit.accessibleName()
    for spin in content.findChildren(QAbstractSpinBox):
        assert spin.isReadOnly(), spin.accessibleName()
    for choice in content.findChildren(QComboBox) + content.findChildren(QAbstractButton):
        assert not choice.isEnabled() or not choice.isVisibleTo(form), choice.accessibleName()
    for table in content.findChildren(RecordTable):
        model = table.model
        for row in range(model.rowCount()):
            for col in range(model.columnCount()):
                flags = model.flags(model.index(row, col))
                assert not flags & Qt.ItemFlag.ItemIsEditable
        assert table.add_button is None or not table.add_button.isVisibleTo(form)

    # Typing goes nowhere, and saving (Ctrl+S) is refused with a message.
    type_text(qtbot, form.discussion.issues, "tampered")
    qtbot.keyClicks(form.risk.case_refs, "X")
    form.activateWindow()
    qtbot.waitUntil(form.isActiveWindow)
    qtbot.keyClick(form, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not form.has_unsaved_changes()
    assert any("signed and locked" in t for t in messages.texts("warning"))
    assert form.save() is False
    after = ctx.sessions.get(sid)
    assert after is not None and after.issues == stored.issues and after.case_refs == "C-1043"
    assert ctx.records.verify().ok


def test_a_signed_record_opens_locked_with_its_addenda(
    qtbot: QtBot, ctx: AppContext, team: Team
) -> None:
    sid = saved(ctx, held(team))
    ctx.records.sign_off(sid, "Priya Nair", confirmed=True)
    ctx.records.add_addendum(sid, author="Priya Nair", reason="Typo", text="C-1043 not C-1034.")
    form = open_form(qtbot, ctx, sid)
    assert form.locked and form.discussion.issues.isReadOnly()
    assert form.evidence.addenda.isVisible()
    assert "C-1043 not C-1034." in form.evidence.addenda.text()
    assert "1 addendum below." in form.evidence.banner.text()


def test_an_addendum_added_in_the_dialog_shows_in_the_form_and_the_pdf(
    qtbot: QtBot,
    ctx: AppContext,
    team: Team,
    messages: Dialogs,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    sid = saved(ctx, held(team))
    ctx.records.sign_off(sid, "Priya Nair", confirmed=True)
    form = open_form(qtbot, ctx, sid)
    assert not form.evidence.addenda.isVisible()
    text = "Due date of the C-1043 review is 4 Dec, <b>not</b> 14 Dec & R&D — مراجعة 🙂"

    def incomplete(dialog: AddendumDialog) -> None:
        type_text(qtbot, dialog.author, "Priya Nair")
        qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
        assert messages.texts("warning")[-1] == (
            "An addendum needs its author, a reason and the text. Fill in why it is needed "
            "(Reason) and the addendum itself (Text)."
        )
        dialog.reject()

    def complete(dialog: AddendumDialog) -> None:
        type_text(qtbot, dialog.author, "Priya Nair")
        type_text(qtbot, dialog.reason, "Due date typed wrongly")
        type_text(qtbot, dialog.text, text)
        qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)

    drive(monkeypatch, AddendumDialog, incomplete, complete)
    qtbot.mouseClick(form.evidence.addendum_button, Qt.MouseButton.LeftButton)
    assert ctx.records.addenda(sid) == []
    qtbot.mouseClick(form.evidence.addendum_button, Qt.MouseButton.LeftButton)

    [addendum] = ctx.records.addenda(sid)
    assert (addendum.author, addendum.reason, addendum.text) == (
        "Priya Nair",
        "Due date typed wrongly",
        text,
    )
    shown = form.evidence.addenda.text()
    assert form.evidence.addenda.isVisible()
    assert "Addendum 1 — Priya Nair, " in shown
    assert "Reason: Due date typed wrongly" in shown and text in shown
    assert "1 addendum below." in form.evidence.banner.text()
    assert "addendum" in audit_actions(ctx.db, sid)

    out = ctx.exports.record(sid, tmp_path / "record.pdf")
    pdf = flat(pdf_text(out))
    assert "Due date typed wrongly" in pdf
    assert "Due date of the C-1043 review is 4 Dec, <b>not</b> 14 Dec & R&D" in pdf
    assert ctx.records.verify().ok


def test_the_supervisee_disagrees_with_a_reason_in_their_own_name(
    qtbot: QtBot,
    ctx: AppContext,
    team: Team,
    messages: Dialogs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sid = saved(ctx, held(team))
    ctx.records.sign_off(sid, "Priya Nair", confirmed=True)
    form = open_form(qtbot, ctx, sid)
    reason = "The cap was my idea, not imposed; «C-1043» was discussed first."

    def no_reason(dialog: SuperviseeResponseDialog) -> None:
        click(qtbot, dialog.disagree)
        assert dialog.reason.isEnabled()
        type_text(qtbot, dialog.name_edit, "Zoë Adams")
        qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
        assert messages.texts("warning")[-1] == (
            "Say what the supervisee disagrees with: a disagreement needs its reason."
        )
        assert ctx.records.state(sid).supervisee_response is None
        # The supervisor cannot respond for the supervisee.
        type_text(qtbot, dialog.reason, reason)
        dialog.name_edit.clear()
        type_text(qtbot, dialog.name_edit, "Priya Nair")
        qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
        assert "nobody responds for them" in messages.texts("warning")[-1]
        assert ctx.records.state(sid).supervisee_response is None
        dialog.name_edit.clear()
        type_text(qtbot, dialog.name_edit, "Zoë Adams")
        qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)

    drive(monkeypatch, SuperviseeResponseDialog, no_reason)
    qtbot.mouseClick(form.evidence.respond_button, Qt.MouseButton.LeftButton)
    state = ctx.records.state(sid)
    assert state.supervisee_response == "disagreed"
    assert (state.supervisee_name, state.supervisee_comment) == ("Zoë Adams", reason)
    assert "Zoë Adams recorded disagreement on " in form.evidence.banner.text()
    assert reason in form.evidence.banner.text()
    assert not form.evidence.respond_button.isVisible()
    assert audit_actions(ctx.db, sid)[-1] == "disagreed"


def test_the_supervisee_acknowledges(
    qtbot: QtBot,
    ctx: AppContext,
    team: Team,
    messages: Dialogs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sid = saved(ctx, held(team))
    ctx.records.sign_off(sid, "Priya Nair", confirmed=True)
    form = open_form(qtbot, ctx, sid)

    def acknowledge(dialog: SuperviseeResponseDialog) -> None:
        qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
        assert "Choose whether" in messages.texts("warning")[-1]
        click(qtbot, dialog.acknowledge)
        assert not dialog.reason.isEnabled()
        type_text(qtbot, dialog.name_edit, "zoë adams")
        qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)

    drive(monkeypatch, SuperviseeResponseDialog, acknowledge)
    qtbot.mouseClick(form.evidence.respond_button, Qt.MouseButton.LeftButton)
    assert ctx.records.state(sid).supervisee_response == "acknowledged"
    assert "acknowledged by Zoë Adams" in form.evidence.banner.text()
    assert ctx.records.state(sid).supervisee_name == "Zoë Adams"


def test_a_draft_left_for_a_record_signed_since_is_not_applied(
    qtbot: QtBot, ctx: AppContext, team: Team
) -> None:
    sid = saved(ctx, held(team))
    first = open_form(qtbot, ctx, sid)
    type_text(qtbot, first.discussion.issues, " typed in another window")
    assert first.keep_draft()
    first.close_keeping_draft()
    ctx.records.sign_off(sid, "Priya Nair", confirmed=True)
    again = open_form(qtbot, ctx, sid)
    assert again.locked
    assert again.discussion.issues.toPlainText() == ISSUES
    assert "were not applied" in again.info_banner.text()
    assert ctx.sessions.draft_for(session_id=sid, worker_id=None, type_=LINE) is None


def test_dialogs_have_accessible_names(qtbot: QtBot, ctx: AppContext, team: Team) -> None:
    sid = saved(ctx, held(team))
    sign = make_dialog(qtbot, ctx, sid, team.lead.name)
    ctx.records.sign_off(sid, "Priya Nair", confirmed=True)
    respond = SuperviseeResponseDialog(ctx, sid, supervisee_names=["Zoë Adams"])
    add = AddendumDialog(ctx, sid, title="Record")
    for dialog in (sign, respond, add):
        qtbot.addWidget(dialog)
        for widget in dialog.findChildren(QLineEdit) + dialog.findChildren(QPlainTextEdit):
            assert widget.accessibleName(), widget
        for widget in dialog.findChildren(QAbstractButton):
            assert widget.accessibleName() or widget.text(), widget


def test_the_footer_buttons_come_after_the_fields_in_tab_order(
    qtbot: QtBot, ctx: AppContext, team: Team
) -> None:
    form = open_form(qtbot, ctx, saved(ctx, held(team)))
    chain = []
    widget = form.nextInFocusChain()
    while widget is not form and len(chain) < 2000:
        chain.append(widget)
        widget = widget.nextInFocusChain()
    footer = [*form.evidence.buttons(), form.save_button, form.close_button]
    positions = [chain.index(button) for button in footer]
    assert positions == sorted(positions)
    assert chain.index(form.details.date) < positions[0]
    assert chain.index(form.confidential.notes) < positions[0]


def test_a_group_record_is_signed_by_its_facilitator_and_answered_by_an_attendee(
    qtbot: QtBot,
    ctx: AppContext,
    team: Team,
    messages: Dialogs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    group = held(
        team,
        type=GROUP,
        worker_id=None,
        supervisor_id=team.psych.id,
        attendees=[team.zoe.id, team.aisha.id, team.ben.id],
        actions=[],
        case_discussion="C-2210: repeated crisis presentations at weekends",
    )
    sid = saved(ctx, group)
    form = open_form(qtbot, ctx, sid)

    def answer_as_attendee(dialog: SuperviseeResponseDialog) -> None:
        assert dialog.attendee is not None
        # Nobody chosen yet: the dialog asks who is responding.
        click(qtbot, dialog.acknowledge)
        type_text(qtbot, dialog.name_edit, "Aisha Rahman")
        qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
        assert "Choose the attendee who is responding" in messages.texts("warning")[-1]
        # Choose Aisha with the keyboard; someone else's name is refused.
        dialog.attendee.setFocus()
        qtbot.keyClicks(dialog.attendee, "Aisha")
        assert dialog.attendee.currentText() == "Aisha Rahman"
        dialog.name_edit.clear()
        type_text(qtbot, dialog.name_edit, "Zoë Adams")
        qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
        assert "(Aisha Rahman)" in messages.texts("warning")[-1]
        dialog.name_edit.clear()
        type_text(qtbot, dialog.name_edit, "Aisha Rahman")
        qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)

    def ben_disagrees(dialog: SuperviseeResponseDialog) -> None:
        assert dialog.attendee is not None
        # Only those yet to respond are offered.
        offered = [dialog.attendee.itemText(i) for i in range(dialog.attendee.count())]
        assert offered == ["Ben Carter", "Zoë Adams"]
        dialog.attendee.setCurrentIndex(0)
        click(qtbot, dialog.disagree)
        type_text(qtbot, dialog.reason, "The weekend rota was not agreed.")
        type_text(qtbot, dialog.name_edit, "Ben Carter")
        qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)

    drive(monkeypatch, SignOffDialog, sign_as(qtbot, "Tom Okafor"))
    drive(monkeypatch, SuperviseeResponseDialog, answer_as_attendee, ben_disagrees)
    qtbot.mouseClick(form.evidence.sign_button, Qt.MouseButton.LeftButton)
    state = ctx.records.state(sid)
    assert state.signed_by_name == "Tom Okafor"
    said = ctx.records.attendee_responses(sid)
    assert {w: (r.response, r.name) for w, r in said.items()} == {
        team.aisha.id: ("acknowledged", "Aisha Rahman")
    }
    assert state.supervisee_response is None  # each attendee's response is their own
    assert form.locked and not form.attendees.list.view.isEnabled()  # type: ignore[union-attr]
    text = form.evidence.banner.text()
    assert "Attendees: 1 of 3 acknowledged; not yet responded: Ben Carter, Zoë Adams." in text
    assert form.evidence.respond_button.isVisible()
    qtbot.mouseClick(form.evidence.respond_button, Qt.MouseButton.LeftButton)
    said = ctx.records.attendee_responses(sid)
    assert (said[team.ben.id].response, said[team.ben.id].comment) == (
        "disagreed", "The weekend rota was not agreed."
    )  # fmt: skip
    text = form.evidence.banner.text()
    assert (
        "Attendees: 1 of 3 acknowledged; 1 recorded disagreement (Ben Carter); not yet "
        "responded: Zoë Adams." in text
    )
    assert form.evidence.respond_button.isVisible()  # Zoë is still to respond
