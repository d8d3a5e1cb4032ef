"""Drafts of session forms: kept as the user types, restored after the app (or laptop) dies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from app.domain.catalogue import CLINICAL, GROUP, LINE
from app.domain.model import SessionStatus, TypeKey
from app.domain.records import (
    Action,
    ActionOwner,
    ActionReview,
    ActionStatus,
    Decision,
    Mode,
    SessionRecord,
    Workload,
)
from app.errors import SaveError
from app.storage.db import close_database, open_database
from tests.ui.test_session_forms import (
    Dialogs,
    Team,
    add_decision,
    click,
    make_team,
    show,
    type_text,
)
from ui.context import AppContext
from ui.forms import session_form
from ui.forms.form_state import record_from_state, record_to_state
from ui.forms.session_form import SessionForm

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def ctx(db: Any, db_path: Path, today: date) -> AppContext:
    return AppContext.for_database(db, db_path, today=lambda: today)


@pytest.fixture
def team(ctx: AppContext) -> Team:
    return make_team(ctx)


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> Dialogs:
    d = Dialogs()
    for name in ("question", "warning", "critical"):
        monkeypatch.setattr(session_form.QMessageBox, name, getattr(d, name))
    return d


def _draft(ctx: AppContext, worker_id: str | None, type_: TypeKey) -> Any:
    return ctx.sessions.draft_for(session_id=None, worker_id=worker_id, type_=type_)


def _wait_for_draft(qtbot: Any, ctx: AppContext, worker_id: str, type_: TypeKey) -> Any:
    qtbot.waitUntil(lambda: _draft(ctx, worker_id, type_) is not None, timeout=3000)
    return _draft(ctx, worker_id, type_)


def test_a_draft_is_kept_shortly_after_typing_stops(
    qtbot: Any, ctx: AppContext, team: Team, today: date, dialogs: Dialogs
) -> None:
    form = show(qtbot, SessionForm.for_new(ctx, LINE, team.zoe.id, today))
    qtbot.keyClicks(form.discussion.issues, "Caseload pressures")
    assert _draft(ctx, team.zoe.id, LINE) is None  # debounced, not per key
    assert form.status_line.text() == "Unsaved changes — keeping a draft…"
    draft = _wait_for_draft(qtbot, ctx, team.zoe.id, LINE)
    assert draft.data["issues"] == "Caseload pressures"
    assert json.loads(json.dumps(draft.data)) == draft.data
    assert draft.id == form.draft_id and draft.session_id is None
    assert form.status_line.text().startswith("Unsaved changes — kept as a draft")


def test_a_draft_is_kept_at_once_when_a_field_loses_focus(
    qtbot: Any, ctx: AppContext, team: Team, today: date, dialogs: Dialogs
) -> None:
    form = show(qtbot, SessionForm.for_new(ctx, CLINICAL, team.zoe.id, today))
    qtbot.keyClicks(form.risk.case_refs, "C-77")
    assert _draft(ctx, team.zoe.id, CLINICAL) is None
    QApplication.sendEvent(
        form.risk.case_refs, QFocusEvent(QEvent.Type.FocusOut, Qt.FocusReason.TabFocusReason)
    )
    draft = _draft(ctx, team.zoe.id, CLINICAL)
    assert draft is not None and draft.data["case_refs"] == "C-77"


def test_an_unsaved_draft_survives_closing_the_form_and_reopening_the_app(
    qtbot: Any, ctx: AppContext, team: Team, today: date, db_path: Path, dialogs: Dialogs
) -> None:
    form = show(qtbot, SessionForm.for_new(ctx, LINE, team.zoe.id, today))
    type_text(qtbot, form.discussion.issues, "Zoë: caseload & <b>lone working</b> 😊")
    add_decision(qtbot, form, "Joint visits for C-1042", "Escalating risk")
    click(qtbot, form.risk.answer.button(True))
    form.close_keeping_draft()  # the app is quitting: no question, the draft stays
    assert not form.isVisible() and dialogs.calls == []
    close_database(ctx.db)

    db2 = open_database(db_path)
    try:
        ctx2 = AppContext.for_database(db2, db_path, today=lambda: today)
        again = show(qtbot, SessionForm.for_new(ctx2, LINE, team.zoe.id, today))
        assert again.discussion.issues.toPlainText() == "Zoë: caseload & <b>lone working</b> 😊"
        assert [(d.text, d.rationale) for d in again.record().decisions] == [
            ("Joint visits for C-1042", "Escalating risk")
        ]
        assert again.risk.answer.value() is True
        assert again.info_banner.isVisible()
        assert again.info_banner.text().startswith("Restored your unsaved draft from ")
        assert again.has_unsaved_changes()
        # Another type for the same worker has no draft to restore.
        other = show(qtbot, SessionForm.for_new(ctx2, CLINICAL, team.zoe.id, today))
        assert not other.info_banner.isVisible() and other.record().issues == ""
        # Saving writes the record and discards the draft.
        assert again.save()
        assert _draft(ctx2, team.zoe.id, LINE) is None
        stored = ctx2.sessions.get(again.session_id)
        assert stored is not None and stored.issues == "Zoë: caseload & <b>lone working</b> 😊"
    finally:
        close_database(db2)


def test_a_draft_survives_the_form_being_destroyed_without_closing(
    qtbot: Any, ctx: AppContext, team: Team, today: date, dialogs: Dialogs
) -> None:
    form = SessionForm.for_new(ctx, GROUP, team.zoe.id, today)
    form.show()
    qtbot.waitExposed(form)
    assert form.case_discussion is not None
    qtbot.keyClicks(form.case_discussion.text, "C-2210 discussed")
    _wait_for_draft(qtbot, ctx, team.zoe.id, GROUP)
    form.deleteLater()
    qtbot.waitSignal(form.destroyed)
    again = show(qtbot, SessionForm.for_new(ctx, GROUP, team.zoe.id, today))
    assert again.case_discussion is not None
    assert again.case_discussion.text.toPlainText() == "C-2210 discussed"


CRASHING_APP = """
import os, sys
from datetime import date
from pathlib import Path
from PySide6.QtWidgets import QApplication
from PySide6.QtTest import QTest
from app.domain.catalogue import CLINICAL
from app.storage.db import open_database
from ui.context import AppContext
from ui.forms.session_form import SessionForm

path, worker_id = Path(sys.argv[1]), sys.argv[2]
app = QApplication([])
db = open_database(path)
ctx = AppContext.for_database(db, path, today=lambda: date(2026, 11, 26))
form = SessionForm.for_new(ctx, CLINICAL, worker_id, date(2026, 11, 26))
form.show()
QTest.keyClicks(form.discussion.issues, "Typed just before the battery died")
QTest.qWait(1500)  # the user pauses; the draft is kept
os._exit(9)  # the laptop dies: no close, no clean-up
"""


def test_a_draft_survives_the_app_dying_mid_session(
    ctx: AppContext, team: Team, today: date, db_path: Path, tmp_path: Path
) -> None:
    script = tmp_path / "crash.py"
    script.write_text(textwrap.dedent(CRASHING_APP))
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, str(script), str(db_path), team.zoe.id],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 9, done.stderr.decode()
    draft = _draft(ctx, team.zoe.id, CLINICAL)
    assert draft is not None
    assert draft.data["issues"] == "Typed just before the battery died"


def _every_field(team: Team, today: date) -> SessionRecord:
    tricky = "<b>R&D</b> 😊 مرحبا\nsecond line\ttab"
    return SessionRecord(
        type=LINE,
        status=SessionStatus.HELD,
        session_date=today,
        worker_id=team.zoe.id,
        supervisor_id=team.lead.id,
        start_time="14:30",
        duration_minutes=75,
        mode=Mode.VIDEO,
        location=f"Room {tricky}",
        checklist={"caseload": True, "recording": False, "safety": True, "attendance": True},
        issues=tricky,
        decisions=[Decision(tricky, f"why {tricky}"), Decision("Second", "")],
        actions=[
            Action(tricky, ActionOwner.OTHER, date(2026, 12, 24), "évidence", owner_name="Dr Ng"),
            Action("No date yet", ActionOwner.SUPERVISEE, None, ""),
            Action("No owner", None, date(2027, 1, 2), "x"),
        ],
        risk_link=True,
        case_refs="C-1, C-2",
        referral_refs="SG-<9>",
        wellbeing=4,
        workload=Workload.EXCESSIVE,
        moral_distress=True,
        support_offered=tricky,
        confidential_notes=tricky,
    )


def test_the_form_state_restores_every_field_exactly(
    qtbot: Any, ctx: AppContext, team: Team, today: date, dialogs: Dialogs
) -> None:
    themes = ctx.workers.themes()
    record = _every_field(team, today)
    record.theme_ids = [themes[1].id, themes[4].id]
    form = show(qtbot, SessionForm.for_new(ctx, LINE, team.zoe.id, today))
    form._load(record)
    state = form.state()
    assert json.loads(json.dumps(state)) == state
    restored = record_from_state(json.loads(json.dumps(state)))
    assert restored == form.record()
    assert restored.issues == record.issues and restored.actions[0].owner_name == "Dr Ng"
    assert restored.decisions == record.decisions and restored.mode is Mode.VIDEO
    assert restored.start_time == "14:30" and restored.duration_minutes == 75
    assert sorted(restored.theme_ids) == sorted(record.theme_ids)
    second = show(qtbot, SessionForm.for_new(ctx, LINE, team.zoe.id, today))
    second._load(restored)
    assert second.state() == state
    # And blanks stay blank: unanswered questions are not turned into answers.
    blank = replace(record, risk_link=None, wellbeing=None, workload=None, moral_distress=None,
                    mode=None, start_time=None, duration_minutes=None)  # fmt: skip
    second._load(blank)
    assert record_from_state(second.state()) == blank


def test_state_conversion_keeps_reviews_attendees_and_unknown_checklist_keys() -> None:
    record = SessionRecord(
        type=GROUP,
        status=SessionStatus.CANCELLED,
        session_date=date(2026, 11, 26),
        cancel_reason="Snow",
        attendees=["a", "b"],
        checklist={"old_key": True},
        reviews=[ActionReview("x", ActionStatus.DROPPED, "moved")],
        id="s1",
    )
    assert record_from_state(json.loads(json.dumps(record_to_state(record)))) == record


def test_discard_on_close_deletes_the_draft_only_after_confirmation(
    qtbot: Any, ctx: AppContext, team: Team, today: date, dialogs: Dialogs
) -> None:
    form = show(qtbot, SessionForm.for_new(ctx, LINE, team.zoe.id, today))
    qtbot.keyClicks(form.discussion.issues, "Not needed")
    _wait_for_draft(qtbot, ctx, team.zoe.id, LINE)
    discard, cancel = QMessageBox.StandardButton.Discard, QMessageBox.StandardButton.Cancel
    dialogs.answers = [discard, cancel]  # Discard, then "no, keep it" at the confirmation
    assert form.close() is False
    assert form.isVisible()
    assert _draft(ctx, team.zoe.id, LINE) is not None
    assert [c[1] for c in dialogs.calls] == ["Unsaved changes", "Discard changes?"]
    dialogs.answers = [discard, discard]
    assert form.close() is True
    assert _draft(ctx, team.zoe.id, LINE) is None
    fresh = show(qtbot, SessionForm.for_new(ctx, LINE, team.zoe.id, today))
    assert fresh.record().issues == "" and not fresh.info_banner.isVisible()


def test_undoing_every_change_removes_the_draft(
    qtbot: Any, ctx: AppContext, team: Team, today: date, dialogs: Dialogs
) -> None:
    form = show(qtbot, SessionForm.for_new(ctx, LINE, team.zoe.id, today))
    qtbot.keyClicks(form.details.location, "X")
    _wait_for_draft(qtbot, ctx, team.zoe.id, LINE)
    qtbot.keyClick(form.details.location, Qt.Key.Key_Backspace)
    qtbot.waitUntil(lambda: _draft(ctx, team.zoe.id, LINE) is None, timeout=3000)
    assert not form.has_unsaved_changes()
    assert form.close() and dialogs.calls == []


def test_a_newer_draft_of_a_saved_session_is_restored(
    qtbot: Any, ctx: AppContext, team: Team, today: date, dialogs: Dialogs
) -> None:
    form = show(qtbot, SessionForm.for_new(ctx, CLINICAL, team.zoe.id, today))
    qtbot.keyClicks(form.discussion.issues, "First version")
    assert form.save()
    session_id = form.session_id
    qtbot.keyClicks(form.discussion.issues, ", then more")
    assert form.keep_draft()
    form.close_keeping_draft()
    assert ctx.sessions.get(session_id).issues == "First version"  # type: ignore[union-attr]
    draft = ctx.sessions.draft_for(session_id=session_id, worker_id=None, type_=CLINICAL)
    assert draft is not None and draft.session_id == session_id
    # A new session for the worker does not pick up the saved session's draft.
    new = show(qtbot, SessionForm.for_new(ctx, CLINICAL, team.zoe.id, today))
    assert new.record().issues == ""
    again = show(qtbot, SessionForm.for_existing(ctx, session_id))
    assert again.discussion.issues.toPlainText() == "First version, then more"
    assert again.info_banner.text().startswith("Restored your unsaved draft from ")
    with qtbot.waitSignal(again.session_saved):
        assert again.save()
    assert ctx.sessions.get(session_id).issues == "First version, then more"  # type: ignore[union-attr]
    assert ctx.sessions.draft_for(session_id=session_id, worker_id=None, type_=CLINICAL) is None


def test_a_draft_that_cannot_be_written_says_so(
    qtbot: Any,
    ctx: AppContext,
    team: Team,
    today: date,
    dialogs: Dialogs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    form = show(qtbot, SessionForm.for_new(ctx, LINE, team.zoe.id, today))

    def read_only(*_a: Any, **_k: Any) -> None:
        raise SaveError("Could not save the draft: the database file or its folder is read-only.")

    monkeypatch.setattr(ctx.sessions, "save_draft", read_only)
    qtbot.keyClicks(form.discussion.issues, "Keep me")
    assert form.keep_draft() is False
    assert form.error_banner.isVisible()
    assert form.error_banner.text() == (
        "Your last change was not saved: Could not save the draft: the database file or its "
        "folder is read-only."
    )
    assert form.discussion.issues.toPlainText() == "Keep me"
    monkeypatch.undo()
    assert form.keep_draft() is True
    assert not form.error_banner.isVisible()


def test_closing_with_save_saves_and_closes(
    qtbot: Any, ctx: AppContext, team: Team, today: date, dialogs: Dialogs
) -> None:
    form = show(qtbot, SessionForm.for_new(ctx, LINE, team.zoe.id, today))
    qtbot.keyClicks(form.discussion.issues, "Saved on close")
    dialogs.answers = [QMessageBox.StandardButton.Save]
    with qtbot.waitSignal(form.session_saved):
        assert form.close() is True
    assert ctx.sessions.get(form.session_id).issues == "Saved on close"  # type: ignore[union-attr]
    assert _draft(ctx, team.zoe.id, LINE) is None
