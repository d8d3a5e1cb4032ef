"""The theme heat map: the right counts for hand-built sessions (by week, by month, by team),
a number in every cell, shading that darkens with the count, keyboard and table access."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.domain.model import SessionStatus
from app.services import themes
from app.storage.db import Database
from tests.app.governance_support import CLINICAL, GROUP, person, session
from ui.context import AppContext
from ui.models.governance_models import HeatMapModel
from ui.screens.governance_panels import HeatMapPanel
from ui.widgets.heatmap import LEVELS, RAMP, HeatMapWidget, legend_steps, level

A = "Delayed crisis response"
B = "Workload pressure"


@pytest.fixture
def ctx(db: Database, db_path: Path, today: date) -> AppContext:
    return AppContext.for_database(db, db_path, today=lambda: today)


@pytest.fixture
def sessions(db: Database) -> None:
    """Theme A: once in the week of 31 Aug, once (a group) in the week of 16 Nov, twice in the
    week of 23 Nov (one session tagged on itself and on a decision counts once); theme B once
    in the week of 16 Nov. A cancelled session and one before the 13 weeks do not count."""
    lead = person(db, "Grace Lead", qualified=True, team="North")
    ada = person(db, "Ada Ahmed", line_sup=lead.id, team="North")
    ben = person(db, "Ben Brown", line_sup=lead.id, clin_sup=lead.id, team="South")
    session(db, ada, date(2026, 9, 1), supervisor=lead, themes=[A])
    session(db, ada, date(2026, 11, 17), supervisor=lead, themes=[B])
    session(db, None, date(2026, 11, 18), type_=GROUP, supervisor=lead, themes=[A],
            attendees=[ada, ben], case_discussion="Case C-1")  # fmt: skip
    session(db, ada, date(2026, 11, 24), supervisor=lead, themes=[A])
    session(db, ben, date(2026, 11, 23), type_=CLINICAL, supervisor=lead, themes=[A],
            decision_themes=[A])  # fmt: skip
    session(db, ada, date(2026, 11, 10), supervisor=lead, themes=[A],
            status=SessionStatus.CANCELLED, cancel_reason="Sick")  # fmt: skip
    session(db, ada, date(2026, 8, 1), supervisor=lead, themes=[A])


@pytest.fixture
def panel(qtbot: QtBot, ctx: AppContext, sessions: None) -> HeatMapPanel:
    p = HeatMapPanel(ctx)
    qtbot.addWidget(p)
    p.resize(1366, 700)
    p.show()
    p.refresh()
    return p


def _row(model: HeatMapModel, name: str) -> list[int]:
    for r, row in enumerate(model.theme_rows):
        if row.name == name:
            return [model.count(r, c) for c in range(model.columnCount())]
    raise KeyError(name)


def test_weeks_hold_the_right_counts(panel: HeatMapPanel) -> None:
    model = panel.model
    counts = model.counts()
    assert counts is not None and counts.bucket == "week"
    assert model.columnCount() == 14  # 13 weeks and the total
    assert counts.labels[0] == "31 Aug" and counts.labels[-1] == "23 Nov"
    assert _row(model, A) == [1] + [0] * 10 + [1, 2] + [4]
    assert _row(model, B) == [0] * 11 + [1, 0] + [1]
    # Every active theme has a row (zeros included), busiest first.
    assert [r.name for r in model.theme_rows][:2] == [A, B]
    assert all(sum(_row(model, r.name)[:-1]) == 0 for r in model.theme_rows[2:])
    # The widget draws the same numbers, and the display role says them.
    assert panel.heat_widget.count_at(A, 12) == 2
    assert panel.heat_widget.count_at(A, 13) == 4
    assert model.index(0, 12).data() == "2"
    assert model.headerData(13, Qt.Orientation.Horizontal) == "Total"
    assert model.index(0, 12).data(Qt.ItemDataRole.ToolTipRole) == (
        f"{A}: 2 sessions in the week of 23 Nov 2026"
    )
    assert "13 weeks from 31 Aug 2026 to 26 Nov 2026 (all teams)" in panel.period_label.text()


def test_months_and_teams(panel: HeatMapPanel) -> None:
    panel.months_button.click()
    model = panel.model
    counts = model.counts()
    assert counts is not None and counts.bucket == "month"
    assert counts.labels[0] == "Dec 2025" and counts.labels[-1] == "Nov 2026"
    # Aug (the one before the 13 weeks), Sep, and three in Nov; the cancelled one never.
    assert _row(model, A) == [0] * 8 + [1, 1, 0, 3] + [5]
    assert _row(model, B) == [0] * 11 + [1] + [1]

    panel.weeks_button.click()
    panel.team_combo.setCurrentIndex(panel.team_combo.findData("South"))
    # Ben's clinical session and the group he attended.
    assert _row(panel.model, A) == [0] * 11 + [1, 1] + [2]
    assert B not in [r.name for r in panel.model.theme_rows if r.total]
    assert "(South)" in panel.period_label.text()


def test_the_heat_map_model_passes_the_model_tester(
    qtmodeltester: ModelTester, panel: HeatMapPanel
) -> None:
    qtmodeltester.check(panel.model, force_py=True)
    empty = HeatMapModel()
    qtmodeltester.check(empty, force_py=True)


def test_shading_darkens_with_the_count_and_every_cell_shows_its_number(
    panel: HeatMapPanel,
) -> None:
    widget = panel.heat_widget
    image: QImage = widget.grab().toImage()
    model = panel.model
    highest = model.counts().max_count  # type: ignore[union-attr]
    assert highest == 2
    for r in range(model.rowCount()):
        for c in range(model.columnCount()):
            rect = widget.cell_rect(r, c)
            fill = image.pixelColor(rect.left() + 3, rect.top() + 3)
            if c < model.buckets:
                assert fill == RAMP[level(model.count(r, c), highest)], (r, c)
            # Some pixels in the middle of the cell are ink, not fill: the number is drawn.
            inner = [
                image.pixelColor(x, y)
                for x in range(rect.center().x() - 6, rect.center().x() + 7)
                for y in range(rect.center().y() - 5, rect.center().y() + 6)
            ]
            assert any(p != fill for p in inner), (r, c)
    assert RAMP[level(2, 2)] == RAMP[LEVELS]
    # Lighter means fewer, also in grey.
    greys = [QColor(c).lightness() for c in RAMP]
    assert greys == sorted(greys, reverse=True)


def test_levels_and_legend() -> None:
    assert [level(n, 3) for n in range(4)] == [0, 3, 6, 8]
    assert level(0, 0) == 0 and level(5, 0) == 0
    assert legend_steps(0) == [(0, "0")]
    assert legend_steps(2) == [(0, "0"), (4, "1"), (8, "2")]
    steps = legend_steps(20)
    assert steps[0] == (0, "0") and steps[-1][0] == LEVELS
    assert steps[1] == (1, "1–2") and steps[-1][1] == "18–20"


def test_keyboard_and_tooltips_read_the_cells(qtbot: QtBot, panel: HeatMapPanel) -> None:
    widget = panel.heat_widget
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus)
    assert widget.current_cell() == (0, 0)
    for _ in range(12):
        qtbot.keyClick(widget, Qt.Key.Key_Right)
    assert widget.current_cell() == (0, 12)
    assert widget.accessibleDescription() == f"{A}: 2 sessions in the week of 23 Nov 2026"
    qtbot.keyClick(widget, Qt.Key.Key_Right)
    qtbot.keyClick(widget, Qt.Key.Key_Right)  # stops at the total
    assert widget.accessibleDescription() == f"{A}: 4 sessions in the whole period"
    qtbot.keyClick(widget, Qt.Key.Key_Down)
    assert widget.accessibleDescription() == f"{B}: 1 session in the whole period"
    centre = widget.cell_rect(1, 11).center()
    assert widget.cell_at(centre) == (1, 11)
    assert widget.cell_at(QPoint(1, 1)) is None
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=centre)
    assert widget.accessibleDescription() == f"{B}: 1 session in the week of 16 Nov 2026"


def test_show_as_a_table(qtbot: QtBot, panel: HeatMapPanel) -> None:
    assert panel.stack.currentWidget() is panel.heat_scroll
    panel.as_table.click()
    assert panel.stack.currentWidget() is panel.table
    assert panel.table.model().index(0, 13).data() == "4"
    assert panel.table.model().headerData(0, Qt.Orientation.Vertical) == A


def test_an_empty_period_says_so(qtbot: QtBot, ctx: AppContext) -> None:
    model = HeatMapModel()
    widget = HeatMapWidget(model)
    qtbot.addWidget(widget)
    model.set_counts(themes.theme_counts(ctx.db, date(2026, 11, 1), date(2026, 11, 26)))
    assert model.rowCount() == 0
    widget.grab()  # paints the "nothing raised" sentence without error
    assert widget.current_cell() is None
    widget.set_current_cell(0, 0)  # nothing to move to
    assert widget.current_cell() is None
