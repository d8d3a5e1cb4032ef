"""Export calendar (.ics)… from the scheduler's context menu: the period asked (next eight weeks
by default), the file written through the calendar service, audited, and what the user is told."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import icalendar
import pytest
from PySide6.QtWidgets import QMessageBox

from app.domain.catalogue import BUILTIN_KEYS, LINE
from app.domain.model import SessionStatus, Worker
from app.domain.records import SessionRecord
from app.storage.db import Database
from ui import calendar_export
from ui.calendar_export import CalendarRangeDialog
from ui.context import AppContext
from ui.models.schedule_model import FIRST_TYPE_COLUMN
from ui.screens.scheduler import SchedulerScreen


def type_column(type_: str) -> int:
    """The scheduler column of a built-in type under the default policy (its order)."""
    return FIRST_TYPE_COLUMN + BUILTIN_KEYS.index(type_)


@pytest.fixture
def ctx(db: Database, db_path: Path, today: date) -> AppContext:
    context = AppContext.for_database(db, db_path, today=lambda: today)
    lead = context.workers.save(Worker(id="", name="Amara Okafor", team="North"))
    zoe = context.workers.save(Worker(id="", name="Zoë Hartley", team="North",
                                      line_supervisor_id=lead.id))  # fmt: skip
    for day, notes in ((date(2026, 12, 3), "Confidential: partner unwell"),
                       (date(2027, 3, 1), "")):  # fmt: skip
        context.sessions.save(
            SessionRecord(type=LINE, status=SessionStatus.PLANNED,
                          session_date=day, worker_id=zoe.id, supervisor_id=lead.id,
                          start_time="10:00", duration_minutes=60, confidential_notes=notes)
        )  # fmt: skip
    return context


@pytest.fixture
def screen(qtbot, ctx: AppContext) -> SchedulerScreen:  # type: ignore[no-untyped-def]
    widget = SchedulerScreen(ctx)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_dialog_defaults_to_the_next_eight_weeks_and_refuses_a_reversed_period(qtbot) -> None:
    dialog = CalendarRangeDialog(date(2026, 11, 26))
    qtbot.addWidget(dialog)
    assert dialog.period() == (date(2026, 11, 26), date(2027, 1, 20))
    assert dialog.ok.isEnabled()
    dialog.date_from.set_date(date(2027, 2, 1))
    assert not dialog.ok.isEnabled()
    assert dialog.problem.text() == "The first day is after the last day."


def test_context_menu_exports_booked_sessions_and_audits_it(
    screen: SchedulerScreen, ctx: AppContext, tmp_path: Path, monkeypatch
) -> None:
    out = tmp_path / "team"  # no extension typed: .ics is added
    periods: list[date] = []
    told: list[str] = []
    monkeypatch.setattr(
        calendar_export, "ask_period", lambda parent, today: periods.append(today) or
        (date(2026, 11, 26), date(2027, 1, 20)),
    )  # fmt: skip
    monkeypatch.setattr(calendar_export.QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(out), "Calendar file (*.ics)"))  # fmt: skip
    monkeypatch.setattr(calendar_export.QMessageBox, "information",
                        lambda parent, title, text: told.append(text))  # fmt: skip
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: pytest.fail(f"warning: {a}"))
    index = screen.proxy.index(0, type_column(LINE))
    menu = screen.context_menu(index)
    assert menu is not None
    (action,) = [a for a in menu.actions() if a.text() == "Export &calendar (.ics)…"]
    action.trigger()

    assert periods == [date(2026, 11, 26)]
    written = tmp_path / "team.ics"
    events = icalendar.Calendar.from_ical(written.read_bytes()).walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == ["Line management supervision — Zoë Hartley"]
    assert b"partner unwell" not in written.read_bytes()
    assert told and told[0].startswith(f"Wrote 1 booked session to {written}")
    (detail,) = ctx.db.execute(
        "SELECT detail FROM audit_log WHERE action = 'export' AND entity = 'calendar'"
    ).fetchone()
    assert json.loads(detail)["file"] == "team.ics"


def test_a_failed_export_says_why_and_writes_nothing(
    screen: SchedulerScreen, tmp_path: Path, monkeypatch
) -> None:
    warned: list[str] = []
    monkeypatch.setattr(calendar_export, "ask_period",
                        lambda parent, today: (date(2026, 11, 26), date(2027, 1, 20)))  # fmt: skip
    monkeypatch.setattr(calendar_export, "ask_file",
                        lambda parent, first, last: tmp_path / "gone" / "team.ics")  # fmt: skip
    monkeypatch.setattr(calendar_export.QMessageBox, "warning",
                        lambda parent, title, text: warned.append(text))  # fmt: skip
    assert screen.export_calendar() is None
    assert warned == [
        f"The folder {tmp_path / 'gone'} does not exist: create it or choose another."
    ]
