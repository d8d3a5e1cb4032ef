"""A worker's wellbeing pulse over time: a small line chart drawn with QPainter, a table of the
same readings, and the worker page's "Wellbeing" panel with the gentle flag.

The chart reads without colour: every point carries its score as a number, workload is a bar
whose height says manageable (1), stretched (2) or excessive (3), and a recorded moral
distress is a filled diamond ("no" a hollow one). The table beside it holds the same values
for screen readers and for copying. Rules for the flags are in ``app.domain.insight``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.dates import day_month, uk
from app.domain.records import Workload
from app.errors import KeelError
from ui.context import AppContext
from ui.models.worker_models import Column, RowTableModel

SCALE_MIN, SCALE_MAX = 1, 10  # the pulse is scored 1 (struggling) to 10 (thriving)
WORKLOAD_LEVEL = {Workload.MANAGEABLE: 1, Workload.STRETCHED: 2, Workload.EXCESSIVE: 3}
WORKLOAD_WORDS = {
    Workload.MANAGEABLE: "Manageable",
    Workload.STRETCHED: "Stretched",
    Workload.EXCESSIVE: "Excessive",
}
LINE_COLOUR = QColor("#1f5f99")
INK = QColor("#333333")
GRID = QColor("#d6d6d6")


@dataclass(frozen=True, slots=True)
class Reading:
    """One held one-to-one session's pulse (any part may be unrecorded)."""

    on: date
    wellbeing: int | None
    workload: Workload | None
    moral_distress: bool | None


def readings_from(
    series: list[tuple[date, int | None, Workload | None, bool | None]],
) -> list[Reading]:
    """``WorkerWellbeing.series()`` as ``Reading``s, oldest first."""
    return [Reading(*entry) for entry in series]


def distress_word(value: bool | None) -> str:
    return "—" if value is None else ("Yes" if value else "No")


class PulseModel(RowTableModel[Reading]):
    """The readings as a table, newest first."""

    columns = (
        Column[Reading]("Date", lambda r: uk(r.on), lambda r: r.on.isoformat()),
        Column[Reading](
            "Wellbeing",
            lambda r: "—" if r.wellbeing is None else f"{r.wellbeing}/10",
            lambda r: -1 if r.wellbeing is None else r.wellbeing,
            align_right=True,
        ),
        Column[Reading]("Workload", lambda r: WORKLOAD_WORDS[r.workload] if r.workload else "—"),
        Column[Reading]("Moral distress", lambda r: distress_word(r.moral_distress)),
    )


@dataclass(frozen=True, slots=True)
class ChartPoint:
    """Where a reading is drawn."""

    reading: Reading
    x: float
    y: float | None  # None when no wellbeing score was recorded


class WellbeingChart(QWidget):
    """The pulse over time: scores as a line of numbered points, workload bars and distress
    marks beneath, dates along the bottom. Readings are evenly spaced, oldest on the left."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._readings: list[Reading] = []
        self.setAccessibleName("Wellbeing pulse chart")
        self.setMinimumSize(320, 220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(560, 260)

    # Data -----------------------------------------------------------------------------------

    def set_readings(self, readings: list[Reading]) -> None:
        self._readings = list(readings)
        self.setAccessibleDescription(self.describe())
        self.update()

    def readings(self) -> list[Reading]:
        return list(self._readings)

    def describe(self) -> str:
        """The chart in words (for screen readers)."""
        scores = [f"{uk(r.on)}: {r.wellbeing}" for r in self._readings if r.wellbeing is not None]
        if not scores:
            return "No wellbeing scores recorded."
        return "Wellbeing scores, oldest first — " + "; ".join(scores)

    # Geometry -------------------------------------------------------------------------------

    def _metrics(self) -> QFontMetrics:
        return QFontMetrics(self.font())

    def _rows(self) -> tuple[float, float, float]:
        """Heights of the workload, distress and date rows under the line."""
        height = self._metrics().height()
        return height * 2.0, height + 4.0, height + 4.0

    def plot_rect(self) -> QRectF:
        """Where the line is drawn (leaves room for the axis, the marks and the dates)."""
        m = self._metrics()
        left = m.horizontalAdvance("Workload") + 14
        top = m.height() + 6  # room for the number above a point at 10
        bottom = self.height() - (sum(self._rows()) + 12)
        return QRectF(left, top, max(self.width() - left - 16, 10), max(bottom - top, 10))

    def points(self) -> list[ChartPoint]:
        """Each reading's position in the current size."""
        rect = self.plot_rect()
        n = len(self._readings)
        step = rect.width() / max(n, 1)
        out = []
        for i, reading in enumerate(self._readings):
            x = rect.left() + step * (i + 0.5)
            y = None if reading.wellbeing is None else self._y(reading.wellbeing, rect)
            out.append(ChartPoint(reading, x, y))
        return out

    @staticmethod
    def _y(score: int, rect: QRectF) -> float:
        clamped = min(max(score, SCALE_MIN), SCALE_MAX)
        share = (clamped - SCALE_MIN) / (SCALE_MAX - SCALE_MIN)
        return rect.bottom() - share * rect.height()

    # Painting -------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.fillRect(self.rect(), QColor("white"))
            if not self._readings:
                painter.setPen(INK)
                painter.drawText(
                    QRectF(self.rect()),
                    Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                    "No wellbeing pulse recorded yet.\nIt is recorded in line and clinical "
                    "supervision.",
                )
                return
            rect = self.plot_rect()
            self._draw_axis(painter, rect)
            points = self.points()
            self._draw_line(painter, points)
            self._draw_marks(painter, rect, points)
            self._draw_dates(painter, rect, points)
        finally:
            painter.end()

    def _draw_axis(self, painter: QPainter, rect: QRectF) -> None:
        m = self._metrics()
        for score in (SCALE_MIN, 5, SCALE_MAX):
            y = self._y(score, rect)
            painter.setPen(QPen(GRID, 1, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
            painter.setPen(INK)
            label = QRectF(0, y - m.height() / 2, rect.left() - 6, m.height())
            painter.drawText(label, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             str(score))  # fmt: skip

    def _draw_line(self, painter: QPainter, points: list[ChartPoint]) -> None:
        scored = [p for p in points if p.y is not None]
        if len(scored) > 1:
            path = QPainterPath(QPointF(scored[0].x, scored[0].y or 0.0))
            for p in scored[1:]:
                path.lineTo(QPointF(p.x, p.y or 0.0))
            painter.setPen(QPen(LINE_COLOUR, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(path)
        bold = QFont(self.font())
        bold.setBold(True)
        m = QFontMetrics(bold)
        for p in scored:
            assert p.y is not None
            painter.setPen(QPen(LINE_COLOUR, 2))
            painter.setBrush(QColor("white"))
            painter.drawEllipse(QPointF(p.x, p.y), 4.5, 4.5)
            painter.setFont(bold)
            painter.setPen(INK)
            text = str(p.reading.wellbeing)
            width = m.horizontalAdvance(text) + 4
            painter.drawText(QRectF(p.x - width / 2, p.y - m.height() - 5, width, m.height()),
                             Qt.AlignmentFlag.AlignCenter, text)  # fmt: skip
        painter.setFont(self.font())

    def _draw_marks(self, painter: QPainter, rect: QRectF, points: list[ChartPoint]) -> None:
        workload_row, distress_row, _dates = self._rows()
        workload_top = rect.bottom() + 8
        distress_top = workload_top + workload_row
        painter.setPen(INK)
        for text, top, row in (
            ("Workload", workload_top, workload_row),
            ("Distress", distress_top, distress_row),
        ):
            painter.drawText(QRectF(0, top, rect.left() - 6, row),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)  # fmt: skip
        base = workload_top + workload_row - 2
        unit = (workload_row - 4) / 3
        painter.setPen(QPen(GRID, 1))
        painter.drawLine(QPointF(rect.left(), base), QPointF(rect.right(), base))
        for p in points:
            if p.reading.workload is not None:
                level = WORKLOAD_LEVEL[p.reading.workload]
                bar = QRectF(p.x - 5, base - unit * level, 10, unit * level)
                painter.setPen(QPen(INK, 1))
                painter.setBrush(QColor("#8a8a8a"))
                painter.drawRect(bar)
            if p.reading.moral_distress is not None:
                centre = QPointF(p.x, distress_top + distress_row / 2)
                diamond = QPainterPath()
                r = distress_row / 2 - 2
                diamond.moveTo(centre.x(), centre.y() - r)
                diamond.lineTo(centre.x() + r, centre.y())
                diamond.lineTo(centre.x(), centre.y() + r)
                diamond.lineTo(centre.x() - r, centre.y())
                diamond.closeSubpath()
                painter.setPen(QPen(INK, 1.2))
                painter.setBrush(INK if p.reading.moral_distress else QColor("white"))
                painter.drawPath(diamond)

    def _draw_dates(self, painter: QPainter, rect: QRectF, points: list[ChartPoint]) -> None:
        m = self._metrics()
        workload_row, distress_row, _dates = self._rows()
        top = rect.bottom() + 8 + workload_row + distress_row + 2
        painter.setPen(INK)
        last_right = -1e9
        for i, p in enumerate(points):
            text = day_month(p.reading.on)
            if i in (0, len(points) - 1) or p.reading.on.month == 1:
                text += f" {p.reading.on.strftime('%y')}"
            width = m.horizontalAdvance(text) + 6
            left = p.x - width / 2
            # The last date always shows; others only where they do not touch a neighbour.
            if left <= last_right and i != len(points) - 1:
                continue
            painter.drawText(QRectF(left, top, width, m.height()), Qt.AlignmentFlag.AlignCenter,
                             text)  # fmt: skip
            last_right = left + width


class WellbeingPanel(QWidget):
    """The worker page's "Wellbeing" tab: the chart, the readings and any gentle flag."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.worker_id: str | None = None
        self.flag_label = QLabel()
        self.flag_label.setObjectName("wellbeingFlag")
        self.flag_label.setAccessibleDescription("Wellbeing prompt")
        self.flag_label.setTextFormat(Qt.TextFormat.PlainText)
        self.flag_label.setWordWrap(True)
        self.flag_label.setStyleSheet(
            "#wellbeingFlag { background: #fff4d6; color: #4a3600; border: 1px solid #e3c77a;"
            " border-radius: 4px; padding: 6px; }"
        )
        self.flag_label.hide()
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Wellbeing summary")
        self.chart = WellbeingChart()
        self.model = PulseModel(parent=self)
        self.table = QTableView()
        self.table.setTabKeyNavigation(False)  # one Tab stop: arrows move inside
        self.table.setModel(self.model)
        self.table.setAccessibleName("Wellbeing readings")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        metrics = self.table.fontMetrics()
        self.table.setFixedWidth(
            sum(metrics.horizontalAdvance(t) for t in ("26 Nov 2026", "Wellbeing", "Manageable",
                                                       "Moral distress")) + 4 * 18 + 24
        )  # fmt: skip
        legend = QLabel(
            "Numbers are the wellbeing score (1 = struggling, 10 = thriving). Workload bars: "
            "short = manageable, middle = stretched, tall = excessive. Moral distress: "
            "◆ yes, ◇ no."
        )
        legend.setWordWrap(True)
        legend.setEnabled(False)
        left = QVBoxLayout()
        left.addWidget(self.chart, 1)
        left.addWidget(legend)
        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addWidget(self.table)
        layout = QVBoxLayout(self)
        layout.addWidget(self.flag_label)
        layout.addWidget(self.summary)
        layout.addLayout(body, 1)
        note = QLabel("Team-level views show only aggregates; this page is for this worker's "
                      "supervisors.")  # fmt: skip
        note.setWordWrap(True)
        note.setEnabled(False)
        layout.addWidget(note)

    def set_worker(self, worker_id: str | None) -> None:
        """Show this worker's pulse (None clears the panel)."""
        self.worker_id = worker_id
        if worker_id is None:
            self._show([], [])
            return
        try:
            wellbeing = self._ctx.insight.worker_wellbeing(worker_id, date_to=self._ctx.today())
        except KeelError as exc:
            self._show([], [])
            self.summary.setText(f"The wellbeing pulse could not be read: {exc}")
            return
        self._show(readings_from(wellbeing.series()), [f.message for f in wellbeing.current])

    def flag_messages(self) -> list[str]:
        """The gentle prompts shown (empty when none applies)."""
        text = self.flag_label.text()
        return text.split("\n\n") if self.flag_label.isVisibleTo(self) and text else []

    def _show(self, readings: list[Reading], messages: list[str]) -> None:
        self.chart.set_readings(readings)
        self.model.set_rows(list(reversed(readings)))
        self.flag_label.setText("\n\n".join(messages))
        self.flag_label.setVisible(bool(messages))
        scored = [r.wellbeing for r in readings if r.wellbeing is not None]
        if not readings:
            self.summary.setText(
                "No wellbeing pulse recorded yet. It is asked in line and clinical supervision."
            )
        elif not scored:
            self.summary.setText(f"{len(readings)} readings, none with a wellbeing score.")
        else:
            first, last = readings[0].on, readings[-1].on
            self.summary.setText(
                f"{len(scored)} wellbeing score{'s' if len(scored) != 1 else ''} from "
                f"{uk(first)} to {uk(last)}; latest {scored[-1]}/10."
            )
