"""First run: the welcome page and the staff CSV import (preview, errors, import, cancel)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from app.domain.catalogue import CLINICAL, LINE
from app.domain.model import Tier
from app.storage.db import Database
from ui.context import AppContext
from ui.forms.import_dialog import ImportDialog, ImportPreviewModel, PreviewColumn
from ui.screens.welcome import WelcomeScreen

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "samples" / "staff-example.csv"

BAD_CSV = """staff_id,name,role,team,start_date,cohort_risk,decision_complexity,support_need,volatility,requires,extra
A1,Ada <Ahmed> & Co,Nurse,North,2020-01-05,3,3,1,2,line;clinical,x
A2,,Support Worker,North,2021-02-01,1,1,1,1,,
A3,Ben Brown,Social Worker,North,31/02/2021,2,2,2,2,,
A4,Cara Diaz,OT,South,2019-05-05,2,7,2,2,lines,
A5,Dev Patel,Nurse,South,2018-01-01,,,,,,
"""

GOOD_CSV = """staff_id,name,role,team,start_date,cohort_risk,decision_complexity,support_need,volatility,requires,extra
A1,Ada <Ahmed> & Co,Nurse,North,2020-01-05,3,3,1,2,line;clinical,x
A5,Dev Patel,Nurse,South,2018-01-01,,,,,,
A6,Łukasz Nowak 🙂,Support Worker,South,14/09/2026,1,1,3,1,,
"""


@pytest.fixture
def ctx(db: Database, db_path: Path, today: date) -> AppContext:
    return AppContext.for_database(db, db_path, today=lambda: today)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _cell(dialog: ImportDialog, row: int, column: PreviewColumn) -> str:
    return str(dialog.proxy.index(row, column).data())


def _choose(monkeypatch: pytest.MonkeyPatch, path: Path | None) -> list[str]:
    """Patch the file picker where the dialog uses it; returns the captions it was shown."""
    asked: list[str] = []

    def fake(_parent: Any, caption: str, _start: str, _filter: str) -> tuple[str, str]:
        asked.append(caption)
        return (str(path) if path else "", "")

    monkeypatch.setattr("ui.forms.import_dialog.QFileDialog.getOpenFileName", fake)
    return asked


@pytest.fixture
def dialog(qtbot: Any, ctx: AppContext) -> ImportDialog:
    widget = ImportDialog(ctx)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


# Welcome ------------------------------------------------------------------------------------


def test_welcome_buttons_emit_their_signals(qtbot: Any, ctx: AppContext) -> None:
    screen = WelcomeScreen(ctx)
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitExposed(screen)
    for button, signal in (
        (screen.demo_button, screen.demo_requested),
        (screen.import_button, screen.import_requested),
        (screen.add_button, screen.add_worker_requested),
    ):
        with qtbot.waitSignal(signal, timeout=1000):
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    # The keyboard works too: Space on the focused button.
    screen.import_button.setFocus()
    with qtbot.waitSignal(screen.import_requested, timeout=1000):
        qtbot.keyClick(screen.import_button, Qt.Key.Key_Space)


def test_welcome_says_what_keel_does_and_how_to_start(qtbot: Any, ctx: AppContext) -> None:
    screen = WelcomeScreen(ctx)
    qtbot.addWidget(screen)
    texts = [label.text() for label in screen.findChildren(QLabel)]
    assert "Welcome to Keel" in texts
    assert any("plan, record and evidence staff supervision" in t for t in texts)
    assert any("nothing is written until you confirm" in t for t in texts)
    assert any("staff_id" in t and "start_date" in t for t in texts)
    assert any(str(ctx.db_path) in t for t in texts)
    buttons = [screen.demo_button, screen.import_button, screen.add_button]
    assert [b.accessibleName() for b in buttons] == [
        "Load demo data",
        "Import a staff CSV",
        "Add the first worker",
    ]
    assert all(b.accessibleDescription() for b in buttons)
    # Tab moves through the three ways in, in order.
    screen.show()
    qtbot.waitExposed(screen)
    screen.demo_button.setFocus()
    assert screen.focusWidget() is screen.demo_button
    for expected in (screen.import_button, screen.add_button):
        assert screen.focusNextChild()
        assert screen.focusWidget() is expected


# Import: a bad file -------------------------------------------------------------------------


def test_bad_csv_shows_errors_and_writes_nothing(
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
    dialog: ImportDialog,
    ctx: AppContext,
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, "staff.csv", BAD_CSV)
    asked = _choose(monkeypatch, path)
    assert ctx.workers.count() == 0
    with qtbot.waitSignal(dialog.preview_shown, timeout=5000):
        qtbot.mouseClick(dialog.choose_button, Qt.MouseButton.LeftButton)
    assert asked == ["Choose the staff CSV file"]
    assert dialog.path_edit.text() == str(path)

    errors = dialog.errors_model.stringList()
    assert "line 3: name: is empty; every row needs the worker's name" in errors
    assert "line 4: start_date: '31/02/2021' is not a real date" in errors
    assert any(e.startswith("line 5: decision_complexity:") for e in errors)
    assert dialog.errors_view.isVisible()
    assert dialog.warnings_model.stringList() == ["Ignored 1 column Keel does not use: extra."]
    assert "4 errors to fix" in dialog.status_label.text()
    assert "Nothing has been written" in dialog.status_label.text()

    # The good rows are previewed, but nothing can be imported while there are errors.
    assert dialog.proxy.rowCount() == 2
    assert _cell(dialog, 0, PreviewColumn.NAME) == "Ada <Ahmed> & Co"
    assert not dialog.import_button.isEnabled()
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    dialog.start_import()  # even when called directly
    assert not dialog.is_busy()
    assert ctx.workers.count() == 0


def test_fixing_the_file_and_reloading_enables_import(
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
    dialog: ImportDialog,
    ctx: AppContext,
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, "staff.csv", BAD_CSV)
    _choose(monkeypatch, path)
    with qtbot.waitSignal(dialog.preview_shown, timeout=5000):
        dialog.choose_file()
    assert not dialog.import_button.isEnabled()
    path.write_text(GOOD_CSV, encoding="utf-8")
    with qtbot.waitSignal(dialog.preview_shown, timeout=5000):
        qtbot.mouseClick(dialog.reload_button, Qt.MouseButton.LeftButton)
    assert dialog.errors_model.stringList() == []
    assert not dialog.errors_view.isVisible()
    assert dialog.import_button.isEnabled()
    assert dialog.import_button.text() == "&Import 3 workers"


def test_a_file_that_cannot_be_read_is_explained(
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
    dialog: ImportDialog,
    ctx: AppContext,
    tmp_path: Path,
) -> None:
    _choose(monkeypatch, tmp_path)  # a folder, not a file
    with qtbot.waitSignal(dialog.preview_shown, timeout=5000):
        dialog.choose_file()
    [problem] = dialog.errors_model.stringList()
    assert "is a folder" in problem
    assert "could not be read" in dialog.status_label.text()
    assert not dialog.import_button.isEnabled()
    assert ctx.workers.count() == 0


def test_cancelling_the_file_picker_changes_nothing(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch, dialog: ImportDialog
) -> None:
    _choose(monkeypatch, None)
    dialog.choose_file()
    assert dialog.path_edit.text() == ""
    assert not dialog.is_busy()
    assert not dialog.reload_button.isEnabled()


# Import: a good file ------------------------------------------------------------------------


def test_good_csv_previews_then_imports_after_confirm(
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
    dialog: ImportDialog,
    ctx: AppContext,
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, "staff.csv", GOOD_CSV)
    _choose(monkeypatch, path)
    with qtbot.waitSignal(dialog.preview_shown, timeout=5000):
        dialog.choose_file()
    # The preview: line, name, team, role, start date, tier, requires.
    assert dialog.proxy.rowCount() == 3
    assert [_cell(dialog, 0, c) for c in PreviewColumn] == [
        "2",
        "Ada <Ahmed> & Co",
        "North",
        "Nurse",
        "5 Jan 2020",
        "High",
        "Line, Clinical",
    ]
    assert _cell(dialog, 1, PreviewColumn.TIER) == "Not assessed"
    assert _cell(dialog, 1, PreviewColumn.REQUIRES) == "The policy's default"
    assert _cell(dialog, 2, PreviewColumn.NAME) == "Łukasz Nowak 🙂"
    assert _cell(dialog, 2, PreviewColumn.START) == "14 Sep 2026"
    assert "two factors at 3" in str(
        dialog.proxy.index(0, PreviewColumn.TIER).data(Qt.ItemDataRole.ToolTipRole)
    )
    assert dialog.status_label.text().startswith("Ready: 3 workers to import")
    assert ctx.workers.count() == 0  # previewing wrote nothing

    with qtbot.waitSignal(dialog.imported, timeout=10000) as imported:
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert imported.args == [[]]
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=5000)

    workers = {w.name: w for w in ctx.workers.all()}
    assert set(workers) == {"Ada <Ahmed> & Co", "Dev Patel", "Łukasz Nowak 🙂"}
    assert workers["Ada <Ahmed> & Co"].requires == {LINE, CLINICAL}
    [assessment] = ctx.workers.assessments(workers["Ada <Ahmed> & Co"].id)
    assert assessment.tier is Tier.HIGH
    assert dialog.status_label.text().startswith("Imported 3 workers (3 new)")
    assert dialog.result_summary is not None and dialog.result_summary.created == 3
    assert not dialog.import_button.isEnabled()  # the same preview is not imported twice
    assert dialog.close_button.text() == "Close"
    assert dialog.close_button.isEnabled()


def test_importing_the_sample_file_given_to_the_constructor(
    qtbot: Any, ctx: AppContext, tmp_path: Path
) -> None:
    path = tmp_path / "sample.csv"
    shutil.copy(SAMPLE, path)
    dialog = ImportDialog(ctx, path)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.preview() is not None, timeout=5000)
    preview = dialog.preview()
    assert preview is not None and preview.ok
    assert dialog.import_button.isEnabled()
    with qtbot.waitSignal(dialog.imported, timeout=10000):
        dialog.start_import()
    assert ctx.workers.count() == len(preview.rows)


def test_cancelling_an_import_writes_nothing(
    qtbot: Any, dialog: ImportDialog, ctx: AppContext, tmp_path: Path
) -> None:
    rows = "\n".join(f"S{i},Person {i},Nurse,North,2020-01-01,2,2,2,2" for i in range(3000))
    path = _write(
        tmp_path,
        "big.csv",
        "staff_id,name,role,team,start_date,cohort_risk,decision_complexity,support_need,"
        f"volatility\n{rows}\n",
    )
    with qtbot.waitSignal(dialog.preview_shown, timeout=10000):
        dialog.load(path)
    assert dialog.import_button.text() == "&Import 3000 workers"
    dialog.start_import()
    task = dialog._task
    assert task is not None
    assert not dialog.close_button.isEnabled()  # the dialog stays while writing
    with qtbot.waitSignal(task.finished, timeout=20000):
        task.cancel()  # what the progress dialog's Cancel button does
    assert dialog.status_label.text() == "The import was cancelled: nothing was changed."
    assert ctx.workers.count() == 0
    assert dialog.import_button.isEnabled()  # the user may try again


def test_preview_model_passes_qtmodeltester(
    qtmodeltester: Any, ctx: AppContext, tmp_path: Path
) -> None:
    from app.services.importing import preview_staff

    preview = preview_staff(_write(tmp_path, "s.csv", GOOD_CSV), today=date(2026, 11, 26))
    model = ImportPreviewModel()
    model.set_rows(preview.rows, ctx.workers.policy)
    assert model.rowCount() == 3
    qtmodeltester.check(model)
