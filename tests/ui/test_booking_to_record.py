"""A booking becomes the record: booked with a date, start time, duration, mode and place (which
the calendar export sends on); Enter on the booked cell opens that booking, not a new record
dated today; a second session of one type for one worker on one day asks first."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import icalendar
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.domain.catalogue import BUILTIN_KEYS, CLINICAL, LINE
from app.domain.model import RiskFactors, SessionStatus, Worker
from app.domain.records import Mode
from app.services.calendar import export_calendar
from ui.context import AppContext
from ui.forms.booking_dialog import BookingDialog
from ui.forms.session_form import SessionForm
from ui.main_window import MainWindow
from ui.models.schedule_model import FIRST_TYPE_COLUMN

CLINICAL_COLUMN = FIRST_TYPE_COLUMN + BUILTIN_KEYS.index(CLINICAL)
DEC_9 = date(2026, 12, 9)


@pytest.fixture
def ctx(db: Any, db_path: Path, today: date) -> AppContext:
    return AppContext.for_database(db, db_path, today=lambda: today)


@pytest.fixture
def zoe(ctx: AppContext) -> Worker:
    lead = ctx.workers.save(Worker(id="", name="Priya Nair", qualified_clinical=True))
    zoe = ctx.workers.save(
        Worker(id="", name="Zoë Adams", team="North", start_date=date(2024, 1, 8),
               line_supervisor_id=lead.id, clinical_supervisor_id=lead.id)
    )  # fmt: skip
    ctx.workers.add_assessment(
        zoe.id, date(2026, 6, 1), RiskFactors(2, 2, 2, 2), assessed_by="PN", rationale="Stable"
    )
    return zoe


@pytest.fixture
def window(qtbot: QtBot, ctx: AppContext, zoe: Worker) -> MainWindow:
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    with qtbot.waitActive(w):
        w.activateWindow()
    return w


def _fill_the_booking_dialog_by_keyboard(qtbot: QtBot, done: list[str]) -> None:
    """Type 9/12/26, 14:30, 45 min, Video and a place, then Enter."""

    def act() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, BookingDialog):
            QTimer.singleShot(20, act)
            return
        dialog.activateWindow()
        QApplication.processEvents()
        dialog.date_edit.setFocus()
        dialog.date_edit.selectAll()
        qtbot.keyClicks(dialog.date_edit, "9/12/26")
        qtbot.keyClick(dialog.date_edit, Qt.Key.Key_Tab)
        qtbot.keyClicks(dialog.start_edit, "1430")
        dialog.duration.selectAll()
        qtbot.keyClicks(dialog.duration, "45")
        qtbot.keyClicks(dialog.mode, "Video")
        qtbot.keyClicks(dialog.place, "Team base, room 2")
        done.append(dialog.date_edit.message)
        qtbot.keyClick(dialog.place, Qt.Key.Key_Return)

    QTimer.singleShot(0, act)


def _cell(window: MainWindow, worker_id: str, column: int) -> Any:
    screen = window.scheduler
    source = screen.model.index(screen.model.row_of(worker_id), column)
    return screen.proxy.mapFromSource(source)


def test_a_booked_cell_opens_the_booking_and_recording_it_leaves_no_planned_session(
    qtbot: QtBot, window: MainWindow, ctx: AppContext, zoe: Worker, tmp_path: Path
) -> None:
    said: list[str] = []
    _fill_the_booking_dialog_by_keyboard(qtbot, said)
    assert window.scheduler.book_session(zoe.id, CLINICAL)
    assert said == ["Understood as Wednesday 9 December 2026."]
    (booking,) = [s for s in ctx.sessions.history(zoe.id) if s.status is SessionStatus.PLANNED]
    record = ctx.sessions.get(booking.id)
    assert record is not None
    assert (record.session_date, record.start_time, record.duration_minutes, record.mode,
            record.location) == (DEC_9, "14:30", 45, Mode.VIDEO, "Team base, room 2")  # fmt: skip
    assert "booked 9 Dec" in _cell(window, zoe.id, CLINICAL_COLUMN).data()

    # The calendar export sends the booking's time, length and place.
    exported = export_calendar(ctx.db, date(2026, 12, 1), date(2026, 12, 31), tmp_path / "s.ics")
    (event,) = icalendar.Calendar.from_ical(exported.path.read_bytes()).walk("VEVENT")
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert (start.date(), start.hour, start.minute) == (DEC_9, 14, 30)
    assert (end - start).total_seconds() == 45 * 60
    assert str(event["LOCATION"]) == "Team base, room 2"

    # Enter on the booked cell: the booking opens (not a new record dated today).
    table = window.scheduler.table
    table.setFocus()
    table.setCurrentIndex(_cell(window, zoe.id, CLINICAL_COLUMN))
    qtbot.keyClick(table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(window._forms) == 1)
    (form,) = window._forms
    assert isinstance(form, SessionForm)
    assert form.session_id == booking.id
    assert form.details.date.value() == DEC_9
    assert form.details.location.text() == "Team base, room 2"

    # Recorded as held: one clinical session that day, nothing left planned beside it.
    form.details.status.set_value(SessionStatus.HELD)
    form.discussion.issues.setPlainText("Two complex referrals.")
    form.risk.answer.set_value(False)
    with qtbot.waitSignal(form.session_saved):
        assert form.save()
    history = [s for s in ctx.sessions.history(zoe.id) if s.type == CLINICAL]
    assert [(s.id, s.status, s.session_date) for s in history] == [
        (booking.id, SessionStatus.HELD, DEC_9)
    ]
    assert "booked" not in _cell(window, zoe.id, CLINICAL_COLUMN).data()


def test_the_menu_offers_the_booking_and_a_new_session(
    window: MainWindow, ctx: AppContext, zoe: Worker
) -> None:
    ctx.sessions.book(zoe.id, CLINICAL, DEC_9)
    window.scheduler.refresh([zoe.id])
    menu = window.scheduler.context_menu(_cell(window, zoe.id, CLINICAL_COLUMN))
    assert menu is not None
    texts = [a.text().replace("&", "") for a in menu.actions() if a.text()]
    assert texts[:3] == [
        "Record the booked session, Wed 9 Dec 2026…",
        "Record a new session now…",
        "Book a session…",
    ]


def test_a_second_booking_that_day_asks_first(
    qtbot: QtBot, window: MainWindow, ctx: AppContext, zoe: Worker, monkeypatch: Any
) -> None:
    ctx.sessions.book(zoe.id, CLINICAL, DEC_9)
    asked: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "question",
        lambda _p, _title, text, *a: asked.append(text) or QMessageBox.StandardButton.No,
    )  # fmt: skip
    said: list[str] = []
    _fill_the_booking_dialog_by_keyboard(qtbot, said)
    assert not window.scheduler.book_session(zoe.id, CLINICAL)
    assert asked == [
        "Zoë Adams already has a clinical session on 9 Dec 2026 (booked). "
        "Book a second one that day?"
    ]
    planned = [s for s in ctx.sessions.history(zoe.id) if s.status is SessionStatus.PLANNED]
    assert len(planned) == 1


def test_recording_a_second_session_that_day_asks_first(
    qtbot: QtBot, ctx: AppContext, zoe: Worker, today: date, monkeypatch: Any
) -> None:
    first = ctx.sessions.new_record(CLINICAL, zoe.id, today)
    first.issues = "Caseload"
    first.risk_link = False
    ctx.sessions.save(first)
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    asked: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "question",
        lambda _p, _title, text, *a: asked.append(text) or answers.pop(0),
    )  # fmt: skip
    form = SessionForm.for_new(ctx, CLINICAL, zoe.id, today)
    qtbot.addWidget(form, before_close_func=lambda w: setattr(w, "_quitting", True))
    form.discussion.issues.setPlainText("A second look at the referrals.")
    form.risk.answer.set_value(False)
    assert not form.save()  # answered No: nothing saved
    assert len([s for s in ctx.sessions.history(zoe.id) if s.type == CLINICAL]) == 1
    assert "already has a clinical session on 26 Nov 2026 (held)" in asked[0]
    assert form.save()  # answered Yes
    assert len([s for s in ctx.sessions.history(zoe.id) if s.type == CLINICAL]) == 2
    assert form.save() and len(asked) == 2  # asked once for that date, not at every save


def test_the_booking_to_record_is_the_one_whose_day_has_come(
    ctx: AppContext, zoe: Worker, today: date
) -> None:
    later = ctx.sessions.book(zoe.id, CLINICAL, DEC_9).record
    assert ctx.sessions.booking_to_record(zoe.id, CLINICAL, today).id == later.id  # type: ignore[union-attr]
    missed = ctx.sessions.book(zoe.id, CLINICAL, date(2026, 11, 20)).record
    # Booked for last week and never recorded: that one is recorded first.
    assert ctx.sessions.booking_to_record(zoe.id, CLINICAL, today).id == missed.id  # type: ignore[union-attr]
    assert ctx.sessions.booking_to_record(zoe.id, LINE, today) is None
