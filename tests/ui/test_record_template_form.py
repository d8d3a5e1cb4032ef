"""Issue 16: the items an inspection template's supervision record asks for, filled in the
session forms by keyboard and mouse, then checked in the database and in the record's PDF."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTime

from app.dates import uk
from app.domain.catalogue import GROUP, LINE
from app.domain.policy import Policy
from app.domain.records import ActionOwner, Escalation, SupportKind, Workload
from app.domain.working_days import add_working_days
from app.services.record_facts import signed_on
from app.services.record_view import build_record_pdf
from app.services.scheduling import compute_schedule
from tests.app.pdfcheck import pdf_text
from tests.ui.test_session_forms import (
    Dialogs,
    Team,
    _tick_attendee,
    add_action,
    add_decision,
    click,
    fill_core,
    focused,
    make_team,
    next_cell,
    show,
    type_into_cell,
    type_text,
)
from ui.context import AppContext
from ui.forms import session_form
from ui.forms.session_form import SessionForm


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
    team = make_team(ctx)
    team.zoe = ctx.workers.save(replace(team.zoe, employment_start=date(2024, 6, 3)))
    return team


def _add_incident(qtbot: Any, form: SessionForm, code: str, learning: str) -> None:
    table = form.incidents.table
    assert table.add_button is not None
    qtbot.mouseClick(table.add_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(focused(form), code)
    next_cell(qtbot, form, table.view)
    type_into_cell(qtbot, form, table.view, learning)
    qtbot.keyClick(focused(form), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: any(i.learning == learning for i in table.model.rows()))


def test_line_form_keeps_every_new_item_and_the_pdf_prints_them(
    qtbot: Any,
    ctx: AppContext,
    team: Team,
    today: date,
    dialogs: Dialogs,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    form = show(qtbot, SessionForm.for_new(ctx, LINE, team.zoe.id, today))
    details = form.details
    # The job title comes from the supervisor's role; the end time sets the duration.
    assert details.supervisor_title.text() == "Team lead"
    details.supervisor_title.selectAll()
    qtbot.keyClicks(details.supervisor_title, "Team leader, North")
    details.start.setFocus()
    details.start.setTime(QTime(9, 30))
    details.end.setFocus()
    details.end.setTime(QTime(10, 45))
    assert details.duration.value() == 75
    fill_core(qtbot, form, "Caseload of 14; sickness and a return to work.")
    assert form.agenda is not None and form.wellbeing is not None
    click(qtbot, form.agenda.checklist.boxes["caseload"])
    add_decision(qtbot, form, "Cap caseload at 12", "Back from sickness")
    add_action(qtbot, form, "Transfer two cases", "Both", "Cases moved")
    # Safeguarding apart from risk.
    click(qtbot, form.risk.safeguarding.button(True))
    qtbot.keyClicks(form.risk.safeguarding_notes, "Concern for C-1042's child; referral SG-9.")
    wellbeing = form.wellbeing
    for _ in range(6):
        qtbot.keyClick(wellbeing.wellbeing, Qt.Key.Key_Up)
    click(qtbot, wellbeing.workload.button(Workload.STRETCHED))
    assert wellbeing.workload.button(Workload.STRETCHED).text() == "Challenging"
    click(qtbot, wellbeing.moral_distress.button(False))
    qtbot.keyClicks(wellbeing.workload_support, "No new allocations for four weeks")
    wellbeing.sickness_days.setFocus()
    qtbot.keyClick(wellbeing.sickness_days, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(wellbeing.sickness_days, "4")
    click(qtbot, wellbeing.return_to_work.button(True))
    qtbot.keyClicks(wellbeing.concerns, "Sleeping badly since the incident.")
    click(qtbot, wellbeing.support_kinds[SupportKind.OCCUPATIONAL_HEALTH])
    click(qtbot, wellbeing.support_kinds[SupportKind.EMPLOYEE_ASSISTANCE])
    qtbot.keyClicks(wellbeing.support, "EAP number given")
    _add_incident(qtbot, form, "C-1042", "Check the crisis plan before a home visit")
    assert form.staff_view is not None
    qtbot.keyClicks(form.staff_view.comments, "I feel supported; the cap helps.")
    click(qtbot, form.staff_view.escalation.button(Escalation.OCCUPATIONAL_HEALTH))
    qtbot.keyClicks(form.staff_view.escalation_notes, "Referral sent 26 Nov")
    nxt = form.next_session
    assert "Every" in nxt.frequency.text() and "current interval" in nxt.frequency.text()
    click(qtbot, nxt.book)
    nxt.date.setFocus()
    nxt.date.set_date(today + timedelta(days=28))
    nxt.time.setTime(QTime(14, 0))
    qtbot.keyClicks(nxt.place, "Team base, room 3")
    qtbot.keyClicks(nxt.focus, "Caseload review; wellbeing")
    assert form.quality.is_ready(), form.quality_messages()
    with qtbot.waitSignal(form.session_saved):
        qtbot.keyClick(form, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    stored = ctx.sessions.get(form.session_id)
    assert stored is not None
    assert stored.supervisor_title == "Team leader, North"
    assert (stored.start_time, stored.duration_minutes, stored.end_time) == ("09:30", 75, "10:45")
    assert stored.safeguarding is True and stored.risk_link is True
    assert stored.safeguarding_notes == "Concern for C-1042's child; referral SG-9."
    assert stored.workload is Workload.STRETCHED  # the stored value; shown as "Challenging"
    assert stored.workload_support == "No new allocations for four weeks"
    assert (stored.sickness_days, stored.return_to_work) == (4, True)
    assert stored.wellbeing_concerns == "Sleeping badly since the incident."
    assert stored.support_kinds == [SupportKind.OCCUPATIONAL_HEALTH,
                                    SupportKind.EMPLOYEE_ASSISTANCE]  # fmt: skip
    assert [(i.case_ref, i.learning) for i in stored.incidents] == [
        ("C-1042", "Check the crisis plan before a home visit")
    ]
    assert stored.staff_comments == "I feel supported; the cap helps."
    assert stored.escalation is Escalation.OCCUPATIONAL_HEALTH
    assert stored.escalation_notes == "Referral sent 26 Nov"
    assert (stored.next_date, stored.next_time) == (today + timedelta(days=28), "14:00")
    assert (stored.next_place, stored.next_focus) == ("Team base, room 3",
                                                      "Caseload review; wellbeing")  # fmt: skip
    # The next session is the scheduler's next booking (no override made for its frequency).
    booking = ctx.sessions.booking_to_record(team.zoe.id, LINE, today)
    assert booking is not None and booking.session_date == today + timedelta(days=28)
    planned = ctx.sessions.get(booking.id)
    assert planned is not None
    assert (planned.start_time, planned.location) == ("14:00", "Team base, room 3")
    assert ctx.db.execute("SELECT count(*) FROM overrides").fetchone()[0] == 0
    schedule = compute_schedule(ctx.db, today)
    zoe = next(r for r in schedule.rows if r.worker_id == team.zoe.id)
    assert zoe.status.by_type[LINE].booked == today + timedelta(days=28)
    # Saving again books nothing more.
    with qtbot.waitSignal(form.session_saved):
        qtbot.keyClick(form, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert len([s for s in ctx.sessions.history(team.zoe.id) if s.status.value == "planned"]) == 1
    (action,) = stored.actions
    assert action.owner is ActionOwner.BOTH
    assert action.review_date == action.due_date - timedelta(days=7)  # type: ignore[operator]
    row = ctx.db.execute("SELECT owner, shared FROM actions WHERE id = ?", [action.id]).fetchone()
    assert tuple(row) == (None, 1)

    # Signed on the session's day (Keel stamps a signature with the clock: it is set to that
    # day), with the supervisee's copy given a working day after the policy's five.
    from app.storage import evidence

    monkeypatch.setattr(evidence, "utc_now", lambda: f"{today.isoformat()}T16:00:00Z")
    ctx.records.sign_off(stored.id, "Priya Nair", confirmed=True)
    signed = signed_on(ctx.records.state(stored.id), Policy().zone())
    assert signed is not None
    due = add_working_days(signed, 5, "England and Wales")
    given = add_working_days(signed, 6, "England and Wales")
    ctx.records.respond(
        stored.id, agree=True, name="Zoë Adams", copy_received=True, copy_given_on=given
    )
    pdf = build_record_pdf(ctx.db, stored.id, tmp_path / "record.pdf")
    text = pdf_text(pdf)
    for expected in (
        "Employed since 3 Jun 2024",
        "Job title Team leader, North",
        "Session 1 of ",
        "this service year (from 1 Apr 2026)",
        "Start time 09:30",
        "End time 10:45",
        "Total time 75 minutes",
        "Safeguarding concerns Yes",
        "Concern for C-1042's child; referral SG-9.",
        "Workload Challenging",
        "No new allocations for four weeks",
        "4 days since the last session",
        "Return to work Yes",
        "Sleeping badly since the incident.",
        "Occupational health; Employee assistance programme",
        "C-1042 Check the crisis plan before a home visit",
        "I feel supported; the cap helps.",
        "Occupational health referral",
        "Referral sent 26 Nov",
        "Team base, room 3",
        "Caseload review; wellbeing",
        "Both (staff member and supervisor)",
        "I confirm this record is an accurate account of the session, and I have received",
        f"Copy given late on {uk(given)} (due by {uk(due)})",
        "Service: Community Mental Health Service (registration number not set in the policy)",
        "Distribution: Supervisee; supervisor; personnel file",
        "employment plus 6 years",
    ):
        assert expected in text, expected


def test_group_form_gets_what_fits_a_group(
    qtbot: Any, ctx: AppContext, team: Team, today: date, dialogs: Dialogs, tmp_path: Path
) -> None:
    form = show(qtbot, SessionForm.for_new(ctx, GROUP, team.zoe.id, today))
    # No single supervisee: no wellbeing, sickness, staff comments or escalation.
    assert form.wellbeing is None and form.staff_view is None
    assert form.next_session.frequency.text() == "As the group meets"
    _tick_attendee(qtbot, form, "Aisha")
    assert form.case_discussion is not None
    qtbot.keyClicks(form.case_discussion.text, "C-2210: third crisis presentation.")
    click(qtbot, form.risk.answer.button(False))
    click(qtbot, form.risk.safeguarding.button(False))
    add_decision(qtbot, form, "Raise crisis line delays", "Three teams report it")
    _add_incident(qtbot, form, "C-2210", "Crisis line waits: escalate at 30 minutes")
    click(qtbot, form.next_session.book)
    form.next_session.date.set_date(today + timedelta(days=42))
    qtbot.keyClicks(form.next_session.place, "Large meeting room")
    with qtbot.waitSignal(form.session_saved):
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    stored = ctx.sessions.get(form.session_id)
    assert stored is not None
    assert stored.safeguarding is False
    assert [i.case_ref for i in stored.incidents] == ["C-2210"]
    assert stored.next_date == today + timedelta(days=42)
    assert stored.next_place == "Large meeting room"
    text = pdf_text(build_record_pdf(ctx.db, stored.id, tmp_path / "group.pdf"))
    assert "Crisis line waits: escalate at 30 minutes" in text
    assert "Large meeting room" in text
    assert "The staff member's comments" not in text and "Escalated to" not in text
    assert "Safeguarding concerns No" in text


def test_the_supervisee_declares_the_copy_and_its_date_in_the_response_dialog(
    qtbot: Any, ctx: AppContext, team: Team, today: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.domain.model import SessionStatus
    from app.domain.records import Decision, SessionRecord
    from ui.forms import signoff_dialogs
    from ui.forms.signoff_dialogs import SuperviseeResponseDialog

    warnings: list[str] = []
    monkeypatch.setattr(
        signoff_dialogs.QMessageBox, "warning", lambda *a, **k: warnings.append(a[2])
    )
    record = SessionRecord(
        type=LINE, status=SessionStatus.HELD, session_date=today, worker_id=team.zoe.id,
        supervisor_id=team.lead.id, issues="Caseload.", risk_link=False,
        decisions=[Decision("Cap", "High")],
    )  # fmt: skip
    sid = ctx.sessions.save(record).record.id
    ctx.records.sign_off(sid, "Priya Nair", confirmed=True, accept_gaps=True)
    signed = signed_on(ctx.records.state(sid), Policy().zone())
    assert signed is not None
    dialog = SuperviseeResponseDialog(ctx, sid, supervisee_names=["Zoë Adams"])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert not dialog.copy_date.isEnabled()
    assert "not given yet" in dialog.copy_deadline.text()
    click(qtbot, dialog.acknowledge)
    click(qtbot, dialog.copy_received)
    assert dialog.copy_date.isEnabled()
    dialog.copy_date.set_date(signed)
    assert "Copy given within the deadline" in dialog.copy_deadline.text()
    assert "5 working days after sign-off, counting England and Wales's bank holidays" in (
        dialog.copy_deadline.text()
    )
    type_text(qtbot, dialog.name_edit, "Zoë Adams")
    qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
    assert warnings == []
    state = ctx.records.state(sid)
    assert state.supervisee_response == "acknowledged"
    assert (state.supervisee_copy_received, state.copy_given_on) == (True, signed)


def test_the_quality_panel_lists_the_template_items_and_the_policy_decides_if_they_block(
    qtbot: Any, ctx: AppContext, team: Team, today: date, dialogs: Dialogs
) -> None:
    from PySide6.QtWidgets import QLabel

    from app.services.records import QualityGapsFound

    form = show(qtbot, SessionForm.for_new(ctx, LINE, team.zoe.id, today))
    fill_core(qtbot, form, "Caseload review.")
    add_decision(qtbot, form, "Cap caseload at 12", "High")
    assert form.quality.is_ready(), form.quality_messages()  # the core is complete
    advice = form.quality.advice()
    assert "The safeguarding question is unanswered." in advice
    assert "The next session is not booked." in advice
    assert "The escalation question is unanswered." in advice
    click(qtbot, form.risk.safeguarding.button(False))
    assert "The safeguarding question is unanswered." not in form.quality.advice()
    # Clicking an item goes to its field.
    label = next(w for w in form.quality.findChildren(QLabel) if w.property("code") == "escalation")
    qtbot.mouseClick(label, Qt.MouseButton.LeftButton)
    assert form.staff_view is not None
    assert form.focusWidget() is form.staff_view.escalation.button(Escalation.NONE)
    with qtbot.waitSignal(form.session_saved):
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    sid = form.session_id

    # With the policy's "block" on, they block sign-off (and the panel says so).
    policy = replace(ctx.policies.in_force(today).policy, template_items_block_sign_off=True)
    ctx.policies.save(
        policy, effective_from=today, reason="Inspection template items are required",
        by="Service manager", today=today,
    )  # fmt: skip
    with pytest.raises(QualityGapsFound) as refused:
        ctx.records.sign_off(sid, "Priya Nair", confirmed=True, accept_gaps=True)
    assert refused.value.blocking
    assert "The next session is not booked." in str(refused.value)
    blocked = show(qtbot, SessionForm.for_existing(ctx, sid))
    assert not blocked.quality.is_ready()
    assert "The next session is not booked." in blocked.quality.advice()
