"""Manage themes: add, rename, retire (history kept) and restore through the dialog."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.domain.records import Decision
from app.services import themes as theme_service
from app.services.themes import themes_for_tagging
from app.storage.db import Database
from ui.context import AppContext
from ui.forms import themes_dialog
from ui.forms.themes_dialog import ThemesDialog, ThemeUsageModel
from ui.main_window import MainWindow

from .records_helpers import Staff, held, make_staff


class Answers:
    """Stands in for QInputDialog and QMessageBox: records the questions, answers in turn."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, bool]] = []
        self.questions: list[str] = []
        self.warnings: list[str] = []
        self.yes = True

    def get_text(self, _parent: Any, _title: str, label: str, _echo: Any, text: str) -> Any:
        self.questions.append(f"{label}|{text}")
        return self.texts.pop(0)

    def question(self, _parent: Any, _title: str, text: str, *_a: Any) -> Any:
        self.questions.append(text)
        return QMessageBox.StandardButton.Yes if self.yes else QMessageBox.StandardButton.Cancel

    def warning(self, _parent: Any, _title: str, text: str, *_a: Any) -> Any:
        self.warnings.append(text)
        return QMessageBox.StandardButton.Ok


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Answers:
    a = Answers()
    monkeypatch.setattr(themes_dialog.QInputDialog, "getText", a.get_text)
    monkeypatch.setattr(themes_dialog.QMessageBox, "question", a.question)
    monkeypatch.setattr(themes_dialog.QMessageBox, "warning", a.warning)
    return a


@pytest.fixture
def ctx(db: Database, db_path: Path, today: date) -> AppContext:
    return AppContext.for_database(db, db_path, today=lambda: today)


@pytest.fixture
def staff(ctx: AppContext) -> Staff:
    return make_staff(ctx)


@pytest.fixture
def dialog(qtbot: QtBot, ctx: AppContext) -> ThemesDialog:
    d = ThemesDialog(ctx)
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    return d


def shown(dialog: ThemesDialog) -> dict[str, list[str]]:
    """Every row as the user sees it, by theme name."""
    out = {}
    for r in range(dialog.proxy.rowCount()):
        cells = [dialog.proxy.index(r, c).data() for c in range(dialog.proxy.columnCount())]
        out[cells[0]] = cells[1:]
    return out


def theme_id(ctx: AppContext, name: str) -> str:
    return next(u.theme.id for u in theme_service.theme_usage(ctx.db) if u.theme.name == name)


def test_the_model_passes_the_model_tester(qtmodeltester: Any, dialog: ThemesDialog) -> None:
    assert isinstance(dialog.model, ThemeUsageModel)
    assert dialog.model.rowCount() == 11  # the seeded list
    qtmodeltester.check(dialog.model)


def test_usage_counts_show(qtbot: QtBot, ctx: AppContext, staff: Staff) -> None:
    crisis = theme_id(ctx, "Delayed crisis response")
    workload = theme_id(ctx, "Workload pressure")
    held(ctx, staff.zoe, date(2026, 11, 2), supervisor=staff.lead, theme_ids=[crisis])
    held(
        ctx, staff.aisha, date(2026, 11, 9), supervisor=staff.lead, theme_ids=[crisis],
        decisions=[Decision("Escalate to duty senior", "Two delays", theme_ids=[crisis, workload])],
    )  # fmt: skip
    dialog = ThemesDialog(ctx)
    qtbot.addWidget(dialog)
    rows = shown(dialog)
    assert rows["Delayed crisis response"] == ["In use (seeded)", "2", "1", "9 Nov 2026"]
    assert rows["Workload pressure"] == ["In use (seeded)", "1", "1", "9 Nov 2026"]
    assert rows["Boundary issue"] == ["In use (seeded)", "0", "0", "never"]


def test_add_rename_retire_and_restore(
    qtbot: QtBot, dialog: ThemesDialog, ctx: AppContext, answers: Answers
) -> None:
    changes: list[None] = []
    dialog.themes_changed.connect(lambda: changes.append(None))

    answers.texts.append(("  Interpreter   <access> & delays ", True))
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    name = "Interpreter <access> & delays"
    assert shown(dialog)[name][0] == "In use (added here)"
    assert dialog.selected() is not None and dialog.selected().name == name  # type: ignore[union-attr]
    assert name in [t.name for t in themes_for_tagging(ctx.db)]

    answers.texts.append(("Interpreter access", True))
    qtbot.mouseClick(dialog.rename_button, Qt.MouseButton.LeftButton)
    assert "Interpreter access" in shown(dialog) and name not in shown(dialog)

    assert dialog.retire_button.isEnabled() and not dialog.restore_button.isEnabled()
    qtbot.mouseClick(dialog.retire_button, Qt.MouseButton.LeftButton)
    assert "no longer be offered for new records" in answers.questions[-1]
    assert shown(dialog)["Interpreter access"][0] == "Retired 26 Nov 2026"
    assert "Interpreter access" not in [t.name for t in themes_for_tagging(ctx.db)]
    assert dialog.restore_button.isEnabled() and not dialog.retire_button.isEnabled()

    dialog.show_retired.setChecked(False)
    assert "Interpreter access" not in shown(dialog)
    dialog.show_retired.setChecked(True)
    dialog.select(theme_id(ctx, "Interpreter access"))
    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    assert shown(dialog)["Interpreter access"][0] == "In use (added here)"
    assert "Interpreter access" in [t.name for t in themes_for_tagging(ctx.db)]
    assert len(changes) == 4
    assert answers.warnings == []


def test_retiring_keeps_history(
    qtbot: QtBot, dialog: ThemesDialog, ctx: AppContext, staff: Staff, answers: Answers
) -> None:
    boundary = theme_id(ctx, "Boundary issue")
    session = held(ctx, staff.zoe, date(2026, 11, 2), supervisor=staff.lead, theme_ids=[boundary])
    dialog.reload()
    dialog.select(boundary)
    qtbot.mouseClick(dialog.retire_button, Qt.MouseButton.LeftButton)
    assert "It stays on the 1 session that used it" in answers.questions[-1]
    assert shown(dialog)["Boundary issue"] == ["Retired 26 Nov 2026", "1", "0", "2 Nov 2026"]
    row = dialog.model.row_of(boundary)
    assert dialog.model.index(row, 0).data(Qt.ItemDataRole.ForegroundRole) == QColor("#666666")
    active = dialog.model.row_of(theme_id(ctx, "Moral distress"))
    assert dialog.model.index(active, 0).data(Qt.ItemDataRole.ForegroundRole) is None
    record = ctx.sessions.get(session)
    assert record is not None and record.theme_ids == [boundary]


def test_a_cancelled_retire_changes_nothing(
    qtbot: QtBot, dialog: ThemesDialog, ctx: AppContext, answers: Answers
) -> None:
    answers.yes = False
    dialog.select(theme_id(ctx, "Boundary issue"))
    qtbot.mouseClick(dialog.retire_button, Qt.MouseButton.LeftButton)
    assert shown(dialog)["Boundary issue"][0] == "In use (seeded)"


def test_bad_names_are_explained(
    qtbot: QtBot, dialog: ThemesDialog, ctx: AppContext, answers: Answers
) -> None:
    answers.texts += [("   ", True), ("workload PRESSURE", True), ("x" * 81, True)]
    for _ in range(3):
        qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    assert answers.warnings[0] == "A theme needs a name."
    assert "already a theme called “Workload pressure”" in answers.warnings[1]
    assert "under 80 characters" in answers.warnings[2]
    assert dialog.model.rowCount() == 11
    answers.texts.append(("Ignored", False))  # Cancel
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    assert dialog.model.rowCount() == 11


def test_the_main_window_menu_opens_the_dialog(
    qtbot: QtBot, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[ThemesDialog] = []
    monkeypatch.setattr(ThemesDialog, "exec", lambda self: opened.append(self) or 0)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.themes_action.trigger()
    assert len(opened) == 1 and opened[0].model.rowCount() == 11
