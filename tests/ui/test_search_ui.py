"""Search records: stemmed words, safe quotes and operators, the confidential-notes choice,
filters, and opening a record from the results."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.domain.catalogue import CLINICAL
from app.errors import KeelError
from app.services import search as search_service
from app.services.themes import themes_for_tagging
from app.storage.db import Database
from ui.context import AppContext
from ui.main_window import MainWindow
from ui.screens import search as search_module
from ui.screens.search import (
    CONFIDENTIAL_MARK,
    SNIPPET_COLUMN,
    SearchDialog,
    SearchResultsModel,
)

from .records_helpers import Staff, held, make_staff


@pytest.fixture
def ctx(db: Database, db_path: Path, today: date) -> AppContext:
    return AppContext.for_database(db, db_path, today=lambda: today)


@pytest.fixture
def staff(ctx: AppContext) -> Staff:
    return make_staff(ctx)


@pytest.fixture
def records(ctx: AppContext, staff: Staff) -> dict[str, str]:
    theme = themes_for_tagging(ctx.db)[0]
    return {
        "delays": held(
            ctx, staff.zoe, date(2026, 11, 2), supervisor=staff.lead,
            issues="Two delays reaching the crisis line at night.",
            theme_ids=[theme.id],
        ),
        "rota": held(
            ctx, staff.aisha, date(2026, 11, 10), supervisor=staff.lead,
            type_=CLINICAL,
            issues="On-call rota gaps; the crisis line was not called.",
        ),
        "secret": held(
            ctx, staff.ben, date(2026, 11, 12), supervisor=staff.lead,
            issues="Caseload balance.",
            confidential_notes="Feels shame about the burnout last spring.",
        ),
        "odd": held(
            ctx, staff.ben, date(2026, 11, 20), supervisor=staff.lead,
            issues="R&D <pilot> with النص العربي 🙂 and \"quotes\"",
        ),
    }  # fmt: skip


@pytest.fixture
def dialog(qtbot: QtBot, ctx: AppContext, records: dict[str, str]) -> SearchDialog:
    d = SearchDialog(ctx)
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    return d


def type_text(qtbot: QtBot, widget: QWidget, text: str) -> None:
    """ASCII as key clicks; other characters (emoji, Arabic) as key events carrying their
    text, as an input method delivers them (QTest aborts on characters beyond U+FFFF)."""
    for ch in text:
        if ch.isascii():
            qtbot.keyClicks(widget, ch)
        else:
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(
                    widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch)
                )


def search_for(qtbot: QtBot, dialog: SearchDialog, text: str) -> list[str]:
    dialog.query_edit.clear()
    type_text(qtbot, dialog.query_edit, text)
    assert dialog.query_edit.text() == text
    qtbot.keyClick(dialog.query_edit, Qt.Key.Key_Return)
    return [hit.session_id for hit in dialog.hits()]


def test_results_model_passes_the_model_tester(
    qtmodeltester: Any, dialog: SearchDialog, qtbot: QtBot
) -> None:
    search_for(qtbot, dialog, "crisis")
    assert isinstance(dialog.model, SearchResultsModel)
    assert dialog.model.rowCount() == 2
    qtmodeltester.check(dialog.model)


def test_a_stemmed_word_finds_the_record_and_enter_opens_it(
    qtbot: QtBot, dialog: SearchDialog, records: dict[str, str]
) -> None:
    assert search_for(qtbot, dialog, "delayed") == [records["delays"]]  # "delays" in the text
    row = [dialog.proxy.index(0, c).data() for c in range(dialog.proxy.columnCount())]
    assert row[:4] == ["2 Nov 2026", "Line management", "Held", "Zoë Adams"]
    assert row[4] == "Discussion"
    assert "delays reaching the crisis line" in row[SNIPPET_COLUMN]
    assert "1 session mention “delayed”" in dialog.summary.text()
    dialog.view.setFocus()
    with qtbot.waitSignal(dialog.session_open_requested) as opened:
        qtbot.keyClick(dialog.view, Qt.Key.Key_Return)
    assert opened.args == [records["delays"]]


def test_double_click_opens_the_record_from_the_main_window(
    qtbot: QtBot, ctx: AppContext, records: dict[str, str]
) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    assert window.search_action.shortcut().toString() == "Ctrl+Shift+F"
    window.search_action.trigger()
    dialog = window.search_dialog
    assert dialog is not None and dialog.isVisible()
    assert search_for(qtbot, dialog, "rota") == [records["rota"]]
    rect = dialog.view.visualRect(dialog.proxy.index(0, 1))
    # QTest's double-click needs the first click sent separately (as a real one delivers).
    qtbot.mouseClick(dialog.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(dialog.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    forms = [f for f in window._forms if f.session_id == records["rota"]]
    assert len(forms) == 1 and forms[0].isVisible()
    for form in forms:
        form.close_keeping_draft()


@pytest.mark.parametrize(
    "query",
    ['"crisis line', 'crisis AND OR NOT', "crisis*", "-crisis", "(crisis", "NEAR(crisis line)",
     "crisis^", "line:crisis", '""', "'", "{body}: crisis", "🙂", "R&D <pilot>", "النص"],
)  # fmt: skip
def test_quotes_and_operators_never_error(qtbot: QtBot, dialog: SearchDialog, query: str) -> None:
    search_for(qtbot, dialog, query)
    assert not dialog.error_label.isVisibleTo(dialog)
    assert dialog.summary.text()


def test_a_quoted_phrase_is_a_phrase(
    qtbot: QtBot, dialog: SearchDialog, records: dict[str, str]
) -> None:
    assert set(search_for(qtbot, dialog, '"crisis line"')) == {records["delays"], records["rota"]}
    assert search_for(qtbot, dialog, '"line crisis"') == []
    assert "No session mentions" in dialog.summary.text()


def test_confidential_notes_are_found_only_when_ticked(
    qtbot: QtBot, dialog: SearchDialog, records: dict[str, str]
) -> None:
    assert not dialog.confidential_check.isChecked()
    assert search_for(qtbot, dialog, "burnout") == []
    qtbot.mouseClick(dialog.confidential_check, Qt.MouseButton.LeftButton)
    assert dialog.confidential_check.isChecked()
    assert [h.session_id for h in dialog.hits()] == [records["secret"]]
    snippet = dialog.proxy.index(0, SNIPPET_COLUMN).data()
    assert snippet.startswith(CONFIDENTIAL_MARK) and "burnout" in snippet
    assert "confidential notes included" in dialog.summary.text()


def test_user_text_shows_literally(
    qtbot: QtBot, dialog: SearchDialog, records: dict[str, str]
) -> None:
    assert search_for(qtbot, dialog, "pilot") == [records["odd"]]
    assert (
        dialog.proxy.index(0, SNIPPET_COLUMN)
        .data()
        .startswith('R&D <pilot> with النص العربي 🙂 and "quotes"')
    )


def test_filters_narrow_the_results(
    qtbot: QtBot, dialog: SearchDialog, staff: Staff, records: dict[str, str]
) -> None:
    assert len(search_for(qtbot, dialog, "crisis")) == 2
    dialog.type_combo.setCurrentIndex(dialog.type_combo.findData("clinical"))
    assert [h.session_id for h in dialog.hits()] == [records["rota"]]
    dialog.type_combo.setCurrentIndex(0)
    dialog.worker_combo.setCurrentIndex(dialog.worker_combo.findData(staff.zoe.id))
    assert [h.session_id for h in dialog.hits()] == [records["delays"]]
    dialog.worker_combo.setCurrentIndex(0)
    dialog.to_check.setChecked(True)
    dialog.to_edit.set_date(date(2026, 11, 5))
    dialog.run_search()
    assert [h.session_id for h in dialog.hits()] == [records["delays"]]
    dialog.to_check.setChecked(False)
    theme_index = dialog.theme_combo.findData(themes_for_tagging(dialog._ctx.db)[0].id)
    dialog.query_edit.clear()
    dialog.theme_combo.setCurrentIndex(theme_index)  # a filter alone lists what it selects
    assert [h.session_id for h in dialog.hits()] == [records["delays"]]


def test_a_from_date_after_the_to_date_is_explained(qtbot: QtBot, dialog: SearchDialog) -> None:
    dialog.from_check.setChecked(True)
    dialog.to_check.setChecked(True)
    dialog.from_edit.set_date(date(2026, 11, 20))
    dialog.to_edit.set_date(date(2026, 11, 1))
    search_for(qtbot, dialog, "crisis")
    assert dialog.error_label.isVisibleTo(dialog)
    assert "“From” date is after the “To” date" in dialog.error_label.text()
    assert dialog.model.rowCount() == 0


def test_a_search_that_fails_says_so(
    qtbot: QtBot, dialog: SearchDialog, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_a: Any, **_k: Any) -> Any:
        raise KeelError("The database is locked by another program. Close it and try again.")

    monkeypatch.setattr(search_service, "search_sessions", broken)
    search_for(qtbot, dialog, "crisis")
    assert dialog.error_label.isVisibleTo(dialog)
    assert "locked by another program" in dialog.error_label.text()


def test_empty_query_without_filters_lists_nothing(qtbot: QtBot, dialog: SearchDialog) -> None:
    search_for(qtbot, dialog, "   ")
    assert dialog.model.rowCount() == 0
    assert "Type words to find" in dialog.summary.text()


def test_typing_searches_after_a_pause(
    qtbot: QtBot, dialog: SearchDialog, records: dict[str, str]
) -> None:
    qtbot.keyClicks(dialog.query_edit, "rota")
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1, timeout=3000)
    assert dialog.hits()[0].session_id == records["rota"]


def test_places_need_the_tick_results_are_ranked_and_matches_highlighted(
    qtbot: QtBot, ctx: AppContext, staff: Staff
) -> None:
    """The team lead's "housing": a session at Ashcroft House is not a housing session."""
    place = held(ctx, staff.zoe, date(2026, 11, 20), supervisor=staff.lead,
                 issues="Caseload <b>review</b>.", location="Ashcroft House")  # fmt: skip
    older = held(ctx, staff.zoe, date(2026, 6, 1), supervisor=staff.lead,
                 issues="Client lost <their> housing & benefits.")  # fmt: skip
    newer_notes = held(ctx, staff.zoe, date(2026, 11, 1), supervisor=staff.lead,
                       support_offered="Housing advice line.")  # fmt: skip
    d = SearchDialog(ctx)
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    assert search_for(qtbot, d, "housing") == [older, newer_notes]  # discussion first
    assert "places" not in d.summary.text()
    qtbot.mouseClick(d.places_check, Qt.MouseButton.LeftButton)
    assert d.places_check.isChecked()
    assert [h.session_id for h in d.hits()] == [older, newer_notes, place]
    assert [d.proxy.index(r, 4).data() for r in range(3)] == [
        "Discussion", "Notes", "Place",
    ]  # fmt: skip
    assert "(places included)" in d.summary.text()
    # The snippet cell reads as plain text; what is drawn highlights the matched word, escaped.
    hit = d.hits()[0]
    assert d.proxy.index(0, SNIPPET_COLUMN).data() == hit.snippet
    drawn = search_module.snippet_html(hit)
    assert f'<span style="{search_module.HIGHLIGHT}">housing</span>' in drawn
    assert "&lt;their&gt;" in drawn and "&amp;" in drawn and "<their>" not in drawn
    assert isinstance(d.view.itemDelegateForColumn(SNIPPET_COLUMN), search_module.HighlightDelegate)
    image = d.view.viewport().grab().toImage()  # the delegate paints without error
    assert not image.isNull()
