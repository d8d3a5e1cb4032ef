"""Export and print from the session form, the workers screen and the main window's File menu."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, QUrl
from PySide6.QtWidgets import QDialog, QWidget
from pytestqt.qtbot import QtBot

from app.domain.catalogue import CLINICAL
from app.services.exports import ExportService
from app.storage.db import Database
from tests.app.reportdata import flat, pdf_text
from tests.ui.test_session_forms import Dialogs, Team, click, make_team, show
from tests.ui.test_signoff import CONFIDENTIAL, ISSUES, held, saved
from ui import exporting
from ui.context import AppContext
from ui.exporting import (
    ConfidentialDialog,
    DateRangeDialog,
    Exporter,
    months_before,
    record_file_name,
    safe_file_name,
)
from ui.forms.session_form import SessionForm
from ui.main_window import MainWindow


@pytest.fixture(autouse=True)
def fresh_settings(qapp: Any) -> Iterator[None]:
    """Qt keeps its settings path for the whole run: start and leave each test with none
    (a remembered export folder or main-window tab would leak into the next test)."""
    QSettings().clear()
    yield
    QSettings().clear()


@pytest.fixture
def ctx(db: Database, db_path: Path, today: date) -> AppContext:
    return AppContext.for_database(db, db_path, today=lambda: today)


@pytest.fixture
def team(ctx: AppContext) -> Team:
    return make_team(ctx, zoe_name="Zoë Hartley")


class Desktop:
    """Stands in for the file dialog and the desktop's "open this file"."""

    def __init__(self, save_as: Path) -> None:
        self.save_as = save_as
        self.cancel = False
        self.suggested: list[str] = []
        self.opened: list[Path] = []

    def get_save_file_name(
        self, _parent: QWidget, _caption: str, suggested: str, _filter: str
    ) -> tuple[str, str]:
        self.suggested.append(suggested)
        return ("", "") if self.cancel else (str(self.save_as), "PDF documents (*.pdf)")

    def open_url(self, url: QUrl) -> bool:
        self.opened.append(Path(url.toLocalFile()))
        return True


@pytest.fixture
def desktop(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Desktop:
    d = Desktop(tmp_path / "out" / "export.pdf")
    d.save_as.parent.mkdir()
    monkeypatch.setattr(exporting.QFileDialog, "getSaveFileName", d.get_save_file_name)
    monkeypatch.setattr(exporting.QDesktopServices, "openUrl", d.open_url)
    return d


@pytest.fixture
def messages(monkeypatch: pytest.MonkeyPatch) -> Dialogs:
    d = Dialogs()
    for name in ("question", "warning", "critical"):
        monkeypatch.setattr(exporting.QMessageBox, name, getattr(d, name))
    return d


def answer(
    monkeypatch: pytest.MonkeyPatch, cls: type[QDialog], setup: Any = None, accept: bool = True
) -> list[Any]:
    """Replace ``cls.exec``: the real dialog is built, ``setup`` may change it, then it is
    accepted (through its own ``accept``, so its checks run) or cancelled."""
    opened: list[Any] = []

    def exec_(self: QDialog) -> int:
        opened.append(self)
        if setup is not None:
            setup(self)
        if accept:
            self.accept()
        else:
            self.reject()
        return self.result()

    monkeypatch.setattr(cls, "exec", exec_)
    return opened


def audit(db: Database, action: str) -> list[dict[str, Any]]:
    rows = db.execute(
        "SELECT entity, entity_id, detail FROM audit_log WHERE action = ? ORDER BY seq", [action]
    ).fetchall()
    return [{"entity": r[0], "id": r[1], **json.loads(r[2])} for r in rows]


# File names and periods ---------------------------------------------------------------------


def test_suggested_names_are_readable_and_safe(ctx: AppContext, team: Team) -> None:
    record = held(team)
    assert record_file_name(record, ctx.catalogue.spec(record.type), "Zoë Hartley") == (
        "2026-11-20 Line management supervision - Zoë Hartley.pdf"
    )
    assert safe_file_name('A/B: "C" <D>?*|\\ e.') == "A-B- -C- -D----- e"
    assert safe_file_name(" \x00 ") == "-"
    assert months_before(date(2026, 11, 26), 12) == date(2025, 11, 26)
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2028, 5, 31), 3) == date(2028, 2, 29)


def test_the_period_dialog_defaults_to_the_last_12_months_and_refuses_a_reversed_period(
    qtbot: QtBot, today: date, messages: Dialogs
) -> None:
    dialog = DateRangeDialog("Export", "A period", today, confidential_option=True)
    qtbot.addWidget(dialog)
    assert dialog.period() == (date(2025, 11, 27), date(2026, 11, 26))
    assert dialog.length.text() == "27 Nov 2025 to 26 Nov 2026 — 365 days"
    assert dialog.include_confidential is not None
    assert not dialog.include_confidential_notes()
    dialog.preset.setCurrentIndex(4)  # last financial year
    assert dialog.period() == (date(2025, 4, 1), date(2026, 3, 31))
    dialog.preset.setCurrentIndex(3)  # this financial year
    assert dialog.period() == (date(2026, 4, 1), today)
    dialog.date_from.set_date(date(2026, 12, 1))
    assert dialog.preset.currentText() == "Custom dates"
    assert dialog.length.text() == "The start is after the end."
    dialog.accept()
    assert dialog.result() == 0 and dialog.isVisible() is False
    assert "starts (1 Dec 2026) after it ends (26 Nov 2026)" in messages.texts("warning")[0]
    dialog.date_from.set_date(date(2026, 1, 1))
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted


# One record, from the form ------------------------------------------------------------------


def test_export_from_the_form_writes_the_record_without_confidential_notes(
    qtbot: QtBot,
    ctx: AppContext,
    team: Team,
    desktop: Desktop,
    monkeypatch: pytest.MonkeyPatch,
    isolated_user_folders: Path,
) -> None:
    documents = isolated_user_folders / "Documents"
    documents.mkdir()
    sid = saved(ctx, held(team))
    form = show(qtbot, SessionForm.for_existing(ctx, sid))
    asked = answer(monkeypatch, ConfidentialDialog)  # "Export…" without ticking
    form.evidence.export_button.click()

    assert len(asked) == 1 and not asked[0].include.isChecked()
    assert desktop.suggested == [
        str(documents / "2026-11-20 Line management supervision - Zoë Hartley.pdf")
    ]
    assert desktop.opened == [desktop.save_as]
    text = flat(pdf_text(desktop.save_as))
    assert "Zoë Hartley" in text and "Priya Nair" in text
    assert ISSUES in text
    assert CONFIDENTIAL not in text
    assert str(desktop.save_as) in form.status_line.text()
    [entry] = audit(ctx.db, "export")
    assert entry["id"] == sid and entry["include_confidential"] is False

    answer(monkeypatch, ConfidentialDialog, lambda d: click(qtbot, d.include))
    form.evidence.export_button.click()
    assert CONFIDENTIAL in flat(pdf_text(desktop.save_as))
    assert audit(ctx.db, "export")[-1]["include_confidential"] is True


def test_export_saves_unsaved_changes_first_and_cancel_writes_nothing(
    qtbot: QtBot,
    ctx: AppContext,
    team: Team,
    desktop: Desktop,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sid = saved(ctx, held(team, confidential_notes=""))
    form = show(qtbot, SessionForm.for_existing(ctx, sid))
    asked = answer(monkeypatch, ConfidentialDialog)
    qtbot.keyClicks(form.risk.referral_refs, "SG-2026-118")
    desktop.cancel = True  # the user cancels the file dialog
    form.evidence.export_button.click()
    stored = ctx.sessions.get(sid)
    assert stored is not None and stored.referral_refs == "SG-2026-118"
    assert asked == []  # no confidential notes: nothing to ask
    assert desktop.opened == [] and audit(ctx.db, "export") == []


def test_print_opens_a_print_copy_and_is_audited_as_a_print(
    qtbot: QtBot,
    ctx: AppContext,
    team: Team,
    desktop: Desktop,
    monkeypatch: pytest.MonkeyPatch,
    isolated_user_folders: Path,
) -> None:
    sid = saved(ctx, held(team))
    form = show(qtbot, SessionForm.for_existing(ctx, sid))
    answer(monkeypatch, ConfidentialDialog)
    form.evidence.print_button.click()
    [copy] = desktop.opened
    assert copy.is_file() and copy.parent.name == "print"
    assert isolated_user_folders in copy.parents  # the user's cache, never the working folder
    assert desktop.suggested == []  # printing asks for no file name
    assert "Zoë Hartley" in flat(pdf_text(copy))
    assert "print copy" in form.status_line.text()
    [entry] = audit(ctx.db, "print")
    assert entry["id"] == sid and entry["include_confidential"] is False
    assert audit(ctx.db, "export") == []


def test_an_export_that_fails_says_why(
    qtbot: QtBot,
    ctx: AppContext,
    team: Team,
    desktop: Desktop,
    messages: Dialogs,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    sid = saved(ctx, held(team, confidential_notes=""))
    form = show(qtbot, SessionForm.for_existing(ctx, sid))
    desktop.save_as = tmp_path / "no such folder" / "record.pdf"
    form.evidence.export_button.click()
    [text] = messages.texts("warning")
    assert "does not exist: create it or choose another" in text
    assert desktop.opened == []


# Long exports, on the runner ----------------------------------------------------------------


@pytest.fixture
def window(qtbot: QtBot, ctx: AppContext, team: Team) -> MainWindow:
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    return w


def test_the_compliance_pack_runs_on_the_runner_and_opens_when_done(
    qtbot: QtBot,
    ctx: AppContext,
    team: Team,
    window: MainWindow,
    desktop: Desktop,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    saved(ctx, held(team))
    periods = answer(monkeypatch, DateRangeDialog)
    assert window.compliance_action.isEnabled()
    window.compliance_action.trigger()
    handle = window.exporter.last_task
    assert handle is not None
    with qtbot.waitSignal(handle.finished, timeout=30000):
        pass
    assert periods[0].period() == (date(2025, 11, 27), date(2026, 11, 26))
    assert Path(desktop.suggested[0]).name == "Compliance pack 2025-11-27 to 2026-11-26.pdf"
    assert desktop.opened == [desktop.save_as]
    assert "compliance" in flat(pdf_text(desktop.save_as)).casefold()
    assert window.statusBar().currentMessage() == (
        f"Saved the compliance pack to {desktop.save_as}"
    )
    [entry] = audit(ctx.db, "export")
    assert entry["report"] == "compliance" and entry["from"] == "2025-11-27"


def test_cancelling_the_compliance_pack_writes_nothing(
    qtbot: QtBot,
    ctx: AppContext,
    window: MainWindow,
    desktop: Desktop,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = ExportService.compliance

    def waits_for_cancel(self: ExportService, *args: Any, **kwargs: Any) -> Path:
        cancelled = kwargs["cancelled"]
        deadline = time.monotonic() + 10
        while not cancelled() and time.monotonic() < deadline:
            time.sleep(0.01)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ExportService, "compliance", waits_for_cancel)
    answer(monkeypatch, DateRangeDialog)
    window.compliance_action.trigger()
    handle = window.exporter.last_task
    assert handle is not None
    with qtbot.waitSignal(handle.finished, timeout=30000):
        handle.cancel()
    assert not desktop.save_as.exists() and desktop.opened == []
    assert list(desktop.save_as.parent.iterdir()) == []  # no temporary file left either
    assert window.statusBar().currentMessage() == "Export cancelled: no file was written."
    assert audit(ctx.db, "export") == []


def test_blank_forms_from_the_file_menu(
    qtbot: QtBot, ctx: AppContext, window: MainWindow, desktop: Desktop
) -> None:
    action = window.blank_form_actions[CLINICAL]
    assert action.text() == "Clinical supervision…"
    action.trigger()
    assert Path(desktop.suggested[0]).name == "Blank form - Clinical supervision.pdf"
    assert desktop.opened == [desktop.save_as]
    assert "clinical" in flat(pdf_text(desktop.save_as)).casefold()
    assert audit(ctx.db, "export")[0]["report"] == "blank_form"
    assert str(desktop.save_as) in window.statusBar().currentMessage()


def test_a_workers_history_from_the_workers_screen(
    qtbot: QtBot,
    ctx: AppContext,
    team: Team,
    window: MainWindow,
    desktop: Desktop,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    saved(ctx, held(team))
    window.tabs.setCurrentWidget(window.workers_page)
    window.workers.show_worker(team.zoe.id)
    button = window.workers.export_history_button
    assert button.isVisible() and button.text() == "E&xport history…"
    periods = answer(monkeypatch, DateRangeDialog, lambda d: d.preset.setCurrentIndex(1))
    button.click()
    handle = window.workers.exporter.last_task
    assert handle is not None
    with qtbot.waitSignal(handle.finished, timeout=30000):
        pass
    assert periods[0].include_confidential is not None  # the dialog offers the choice
    assert Path(desktop.suggested[0]).name == (
        "Supervision history - Zoë Hartley - 2026-05-27 to 2026-11-26.pdf"
    )
    text = flat(pdf_text(desktop.save_as))
    assert "Zoë Hartley" in text and CONFIDENTIAL not in text
    assert desktop.opened == [desktop.save_as]
    assert str(desktop.save_as) in window.statusBar().currentMessage()
    [entry] = audit(ctx.db, "export")
    assert entry["report"] == "worker_history" and entry["id"] == team.zoe.id
    assert entry["from"] == "2026-05-27" and entry["include_confidential"] is False


def test_exporter_refuses_a_worker_who_no_longer_exists(
    qtbot: QtBot, ctx: AppContext, messages: Dialogs
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    assert Exporter(ctx, parent).export_worker_history("gone") is None
    assert messages.texts("warning") == ["That worker no longer exists."]
