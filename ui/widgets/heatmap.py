"""The theme heat map: themes down the side, weeks or months across, one shaded cell each.

Drawn with QPainter in one ``paintEvent`` from a ``HeatMapModel`` (no per-cell delegate, no web
view). It reads without colour: every cell shows its number, the shading is one hue getting
darker (so it also prints in grey), and the busiest cells are bold. A legend says what the
shades mean. Arrow keys move a current cell whose meaning is the widget's accessible
description; hovering a cell shows the same words as a tooltip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ui.models.governance_models import HeatMapModel, cell_words

# A sequential blue ramp (ColorBrewer "Blues"): lightness falls steadily, so the order of the
# shades survives greyscale printing and colour-blindness.
RAMP = (
    QColor("#ffffff"),
    QColor("#deebf7"),
    QColor("#c6dbef"),
    QColor("#9ecae1"),
    QColor("#6baed6"),
    QColor("#4292c6"),
    QColor("#2171b5"),
    QColor("#08519c"),
    QColor("#08306b"),
)
LEVELS = len(RAMP) - 1
_GRID = QColor("#b8c2cc")
_ZERO_INK = QColor("#6b6b6b")
_INK = QColor("#1a1a1a")
_TOTAL_FILL = QColor("#f1f1f1")
_MARGIN = 8
_NAME_MAX = 300


def level(count: int, highest: int) -> int:
    """The shade (0 to 8) of a count when the busiest cell holds ``highest``."""
    if count <= 0 or highest <= 0:
        return 0
    return max(1, min(LEVELS, math.ceil(count * LEVELS / highest)))


def legend_steps(highest: int) -> list[tuple[int, str]]:
    """(shade, label) pairs for the legend: every count when there are few, else ranges."""
    steps: list[tuple[int, str]] = [(0, "0")]
    if highest <= 0:
        return steps
    groups: dict[int, list[int]] = {}
    for n in range(1, highest + 1):
        groups.setdefault(level(n, highest), []).append(n)
    for shade, ns in sorted(groups.items()):
        label = str(ns[0]) if len(ns) == 1 else f"{ns[0]}–{ns[-1]}"
        steps.append((shade, label))
    return steps


@dataclass(frozen=True, slots=True)
class _Metrics:
    name_width: int
    cell_width: int
    total_width: int
    row_height: int
    header_height: int
    legend_height: int


class HeatMapWidget(QWidget):
    """Paints ``model`` as a grid; see the module docstring."""

    current_changed = Signal(str)
    """The words for the newly current cell (also the accessible description)."""

    def __init__(self, model: HeatMapModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._current: tuple[int, int] | None = None
        self._metrics = self._measure()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(False)
        self.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Minimum)
        self.setAccessibleName("Theme heat map")
        self.setAutoFillBackground(False)
        model.modelReset.connect(self._model_reset)
        self._model_reset()

    # Public ---------------------------------------------------------------------------------

    def model(self) -> HeatMapModel:
        return self._model

    def count_at(self, theme_name: str, column: int) -> int:
        """The number shown for ``theme_name`` in ``column`` (the last column is the total)."""
        for r, row in enumerate(self._model.theme_rows):
            if row.name == theme_name:
                return self._model.count(r, column)
        raise KeyError(theme_name)

    def current_cell(self) -> tuple[int, int] | None:
        return self._current

    def set_current_cell(self, row: int, column: int) -> None:
        rows, columns = self._model.rowCount(), self._model.columnCount()
        if rows == 0 or columns == 0:
            return
        cell = (max(0, min(rows - 1, row)), max(0, min(columns - 1, column)))
        if cell == self._current:
            return
        self._current = cell
        words = self.cell_text(*cell)
        self.setAccessibleDescription(words)
        self.current_changed.emit(words)
        self.update()

    def cell_text(self, row: int, column: int) -> str:
        counts = self._model.counts()
        if counts is None:
            return ""
        return cell_words(counts, self._model.theme_rows[row], column)

    def cell_rect(self, row: int, column: int) -> QRect:
        m = self._metrics
        x = _MARGIN + m.name_width + column * m.cell_width
        if column == self._model.buckets:
            x += 6  # a gap before the total column
        width = m.total_width if column == self._model.buckets else m.cell_width
        y = _MARGIN + m.header_height + row * m.row_height
        return QRect(x, y, width, m.row_height)

    def cell_at(self, point: QPoint) -> tuple[int, int] | None:
        for r in range(self._model.rowCount()):
            for c in range(self._model.columnCount()):
                if self.cell_rect(r, c).contains(point):
                    return r, c
        return None

    # Layout ---------------------------------------------------------------------------------

    def _measure(self) -> _Metrics:
        fm = QFontMetrics(self.font())
        bold = QFont(self.font())
        bold.setBold(True)
        fmb = QFontMetrics(bold)
        names = [
            fm.horizontalAdvance(self._model.headerData(r, Qt.Orientation.Vertical) or "")
            for r in range(self._model.rowCount())
        ]
        name_width = min(_NAME_MAX, max([fm.horizontalAdvance("Theme"), *names]) + 16)
        counts = self._model.counts()
        labels = list(counts.labels) if counts else []
        widest = max([fmb.horizontalAdvance("888"), *(fm.horizontalAdvance(t) for t in labels)])
        cell_width = max(40, widest + 14)
        total_width = max(cell_width, fmb.horizontalAdvance("Total") + 16)
        row_height = fm.height() + 12
        return _Metrics(
            name_width, cell_width, total_width, row_height, fm.height() + 14, fm.height() * 3 + 20
        )

    def _grid_size(self) -> QSize:
        m = self._metrics
        columns = self._model.buckets
        width = _MARGIN * 2 + m.name_width + columns * m.cell_width + 6 + m.total_width
        height = _MARGIN * 2 + m.header_height + self._model.rowCount() * m.row_height
        return QSize(width, height + m.legend_height)

    def sizeHint(self) -> QSize:
        return self._grid_size()

    def minimumSizeHint(self) -> QSize:
        return self._grid_size()

    def _model_reset(self) -> None:
        self._metrics = self._measure()
        rows, columns = self._model.rowCount(), self._model.columnCount()
        if self._current is not None and (self._current[0] >= rows or self._current[1] >= columns):
            self._current = None
        self.setMinimumSize(self._grid_size())
        self.updateGeometry()
        self.update()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:
            self._model_reset()
        super().changeEvent(event)

    # Painting -------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            painter.fillRect(self.rect(), self.palette().base())
            counts = self._model.counts()
            if counts is None or not counts.rows:
                painter.setPen(_ZERO_INK)
                painter.drawText(
                    self.rect().adjusted(_MARGIN, _MARGIN, -_MARGIN, -_MARGIN),
                    int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop),
                    "No theme was raised in held supervision in this period.",
                )
                return
            self._paint_headers(painter)
            self._paint_cells(painter, counts.max_count)
            self._paint_legend(painter, counts.max_count)
        finally:
            painter.end()

    def _paint_headers(self, painter: QPainter) -> None:
        m = self._metrics
        fm = painter.fontMetrics()
        painter.setPen(_INK)
        top = QRect(_MARGIN, _MARGIN, m.name_width - 8, m.header_height - 4)
        painter.drawText(
            top, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom), "Theme"
        )
        for c in range(self._model.columnCount()):
            label = self._model.headerData(c, Qt.Orientation.Horizontal) or ""
            cell = self.cell_rect(0, c)
            rect = QRect(cell.x(), _MARGIN, cell.width(), m.header_height - 4)
            if c == self._model.buckets:
                painter.save()
                font = painter.font()
                font.setBold(True)
                painter.setFont(font)
            painter.drawText(
                rect, int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom), label
            )
            if c == self._model.buckets:
                painter.restore()
        for r in range(self._model.rowCount()):
            name = self._model.headerData(r, Qt.Orientation.Vertical) or ""
            y = _MARGIN + m.header_height + r * m.row_height
            rect = QRect(_MARGIN, y, m.name_width - 8, m.row_height)
            shown = fm.elidedText(name, Qt.TextElideMode.ElideRight, rect.width())
            painter.drawText(
                rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), shown
            )

    def _paint_cells(self, painter: QPainter, highest: int) -> None:
        normal = QFont(self.font())
        bold = QFont(self.font())
        bold.setBold(True)
        total_column = self._model.buckets
        for r in range(self._model.rowCount()):
            for c in range(self._model.columnCount()):
                rect = self.cell_rect(r, c)
                n = self._model.count(r, c)
                if c == total_column:
                    fill, ink, font = _TOTAL_FILL, _INK, bold
                else:
                    shade = level(n, highest)
                    fill = RAMP[shade]
                    ink = QColor("#ffffff") if shade >= 5 else (_ZERO_INK if n == 0 else _INK)
                    font = bold if shade >= LEVELS - 1 else normal
                painter.fillRect(rect, fill)
                painter.setPen(QPen(_GRID, 1))
                painter.drawRect(rect.adjusted(0, 0, -1, -1))
                painter.setFont(font)
                painter.setPen(ink)
                painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), str(n))
        painter.setFont(normal)
        if self._current is not None and self.hasFocus():
            rect = self.cell_rect(*self._current).adjusted(1, 1, -2, -2)
            painter.setPen(QPen(QColor("#e8a400"), 3))
            painter.drawRect(rect)

    def _paint_legend(self, painter: QPainter, highest: int) -> None:
        m = self._metrics
        fm = painter.fontMetrics()
        y = _MARGIN + m.header_height + self._model.rowCount() * m.row_height + 12
        painter.setPen(_INK)
        intro = "Held sessions raising the theme (darker = more):"
        painter.drawText(QPoint(_MARGIN, y + fm.ascent()), intro)
        x = _MARGIN + fm.horizontalAdvance(intro) + 10
        box_h = fm.height() + 6
        for shade, label in legend_steps(highest):
            width = max(30, fm.horizontalAdvance(label) + 12)
            rect = QRect(x, y - 3, width, box_h)
            painter.fillRect(rect, RAMP[shade])
            painter.setPen(QPen(_GRID, 1))
            painter.drawRect(rect.adjusted(0, 0, -1, -1))
            painter.setPen(QColor("#ffffff") if shade >= 5 else _INK)
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), label)
            x += width + 2
        counts = self._model.counts()
        if counts is not None:
            painter.setPen(_ZERO_INK)
            note = (
                f"Each cell counts the held sessions of one {counts.bucket} that raised the "
                "theme (a session counts once per theme); Total is the whole period."
            )
            painter.drawText(QPoint(_MARGIN, y + box_h + 6 + fm.ascent()), note)

    # Interaction ----------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            cell = self.cell_at(event.pos())
            if cell is None:
                QToolTip.hideText()
                event.ignore()
            else:
                QToolTip.showText(event.globalPos(), self.cell_text(*cell), self)
            return True
        return super().event(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        cell = self.cell_at(event.position().toPoint())
        if cell is not None:
            self.set_current_cell(*cell)
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        moves = {
            Qt.Key.Key_Left: (0, -1),
            Qt.Key.Key_Right: (0, 1),
            Qt.Key.Key_Up: (-1, 0),
            Qt.Key.Key_Down: (1, 0),
        }
        step = moves.get(Qt.Key(event.key()))
        if step is None or self._model.rowCount() == 0:
            super().keyPressEvent(event)
            return
        row, column = self._current or (0, 0)
        if self._current is not None:
            row, column = row + step[0], column + step[1]
        self.set_current_cell(row, column)

    def focusInEvent(self, event: QFocusEvent) -> None:
        if self._current is None and self._model.rowCount():
            self.set_current_cell(0, 0)
        super().focusInEvent(event)
        self.update()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.update()
