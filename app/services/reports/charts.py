"""Small charts for the reports, drawn with reportlab.graphics primitives.

Every series differs by marker shape and line pattern as well as colour, and every bar carries
its value as text, so a chart reads printed in black and white and for colour-blind readers.
Labels passed in may be user text (team names): they are cleaned, and graphics strings are
never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from reportlab.graphics.shapes import (
    Circle,
    Drawing,
    Group,
    Line,
    Polygon,
    PolyLine,
    Rect,
    String,
)
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from app.services.reports.base import FONT, INK, MUTED, RULE, display, register_fonts

T = TypeVar("T")

# Okabe–Ito colours (distinguishable with colour-blindness), darkened enough to print grey.
_COLOURS = (
    colors.HexColor("#0b5d91"),
    colors.HexColor("#c1440e"),
    colors.HexColor("#1a7a55"),
    colors.HexColor("#7a3b8f"),
    colors.HexColor("#8a6d00"),
    colors.HexColor("#333333"),
)
_DASHES: tuple[tuple[float, ...] | None, ...] = (None, (4, 2), (1.2, 1.6), (6, 2, 1.5, 2), (2, 2))
_MARKERS = ("circle", "square", "triangle", "diamond", "open-circle", "open-square")


@dataclass(frozen=True, slots=True)
class Series:
    """One line: a name for the legend and (x, y) points; ``y`` None breaks the line."""

    name: str
    points: Sequence[tuple[float, float | None]]


def _style(n: int) -> tuple[colors.Color, tuple[float, ...] | None, str]:
    return _COLOURS[n % len(_COLOURS)], _DASHES[n % len(_DASHES)], _MARKERS[n % len(_MARKERS)]


def marker(kind: str, x: float, y: float, colour: colors.Color, size: float = 3.2) -> list[object]:
    """A marker shape centred on (x, y)."""
    r = float(size)
    fill = colors.white if kind.startswith("open") else colour
    if kind.endswith("circle"):
        return [Circle(x, y, r * 0.9, fillColor=fill, strokeColor=colour, strokeWidth=0.9)]
    if kind.endswith("square"):
        return [
            Rect(x - r * 0.8, y - r * 0.8, r * 1.6, r * 1.6, fillColor=fill, strokeColor=colour,
                 strokeWidth=0.9)
        ]  # fmt: skip
    if kind == "triangle":
        pts = [x - r, y - r * 0.8, x + r, y - r * 0.8, x, y + r]
    else:  # diamond
        pts = [x, y + r * 1.1, x + r, y, x, y - r * 1.1, x - r, y]
    return [Polygon(pts, fillColor=fill, strokeColor=colour, strokeWidth=0.9)]


def _fit(label: str, size: float, width: float) -> str:
    """A label shortened with "…" so it fits ``width`` points."""
    label = display(label).replace("\n", " ")
    if stringWidth(label, FONT, size) <= width:
        return label
    while label and stringWidth(label + "…", FONT, size) > width:
        label = label[:-1]
    return label.rstrip() + "…"


def _legend(
    drawing: Drawing, names: Sequence[str], x0: float, y0: float, width: float, size: float
) -> float:
    """Legend rows under the plot; returns the height used. Each entry shows the line pattern
    and marker exactly as drawn in the plot."""
    entry_w = 30.0 + max((stringWidth(display(n), FONT, size) for n in names), default=0.0)
    entry_w = min(entry_w, width)
    per_row = max(1, int(width // entry_w))
    row_h = size + 5
    for n, name in enumerate(names):
        colour, dash, kind = _style(n)
        col, row = n % per_row, n // per_row
        x = x0 + col * entry_w
        y = y0 - row * row_h
        drawing.add(
            Line(x, y + size * 0.35, x + 14, y + size * 0.35, strokeColor=colour, strokeWidth=1.3,
                 strokeDashArray=dash)
        )  # fmt: skip
        for shape in marker(kind, x + 7, y + size * 0.35, colour, 2.6):
            drawing.add(shape)
        drawing.add(
            String(x + 18, y, _fit(name, size, entry_w - 22), fontName=FONT, fontSize=size,
                   fillColor=INK)
        )  # fmt: skip
    rows = (len(names) + per_row - 1) // per_row
    return rows * row_h


@dataclass(frozen=True, slots=True)
class _Plot:
    """The plot area and the mapping from data to points on the page."""

    left: float
    bottom: float
    width: float
    height: float
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    pad: float

    def px(self, x: float) -> float:
        lo, hi = self.x_range
        return self.left + self.pad + (x - lo) / (hi - lo) * (self.width - 2 * self.pad)

    def py(self, y: float) -> float:
        lo, hi = self.y_range
        return self.bottom + (y - lo) / (hi - lo) * self.height


_SIZE = 7.5


def _y_axis(drawing: Drawing, plot: _Plot, ticks: Sequence[float], fmt: str, title: str) -> None:
    drawing.add(Rect(plot.left, plot.bottom, plot.width, plot.height, fillColor=None,
                     strokeColor=RULE, strokeWidth=0.5))  # fmt: skip
    for tick in ticks:
        y = plot.py(tick)
        drawing.add(Line(plot.left, y, plot.left + plot.width, y,
                         strokeColor=colors.HexColor("#dddddd"), strokeWidth=0.4))  # fmt: skip
        drawing.add(String(plot.left - 3, y - 2.5, fmt.format(tick), fontName=FONT,
                           fontSize=_SIZE, fillColor=MUTED, textAnchor="end"))  # fmt: skip
    if title:
        label = String(0, 0, title, fontName=FONT, fontSize=_SIZE, fillColor=MUTED,
                       textAnchor="middle")  # fmt: skip
        group = Group(label)
        group.transform = (0, 1, -1, 0, 8, plot.bottom + plot.height / 2)
        drawing.add(group)


def _x_axis(drawing: Drawing, plot: _Plot, labels: Sequence[tuple[float, str]]) -> None:
    """Tick marks for every label; the labels thinned out so they never overlap."""
    widest = max((stringWidth(display(lbl), FONT, _SIZE) for _x, lbl in labels), default=0)
    step = 1
    if len(labels) > 1:
        room = abs(plot.px(labels[1][0]) - plot.px(labels[0][0]))
        while room * step < widest + 2:
            step += 1
    for n, (x, lbl) in enumerate(labels):
        drawing.add(Line(plot.px(x), plot.bottom, plot.px(x), plot.bottom - 2,
                         strokeColor=RULE, strokeWidth=0.5))  # fmt: skip
        if n % step == 0:
            drawing.add(String(plot.px(x), plot.bottom - 11, display(lbl), fontName=FONT,
                               fontSize=_SIZE, fillColor=INK, textAnchor="middle"))  # fmt: skip


def _runs(plot: _Plot, points: Sequence[tuple[float, float | None]]) -> list[list[float]]:
    """Page coordinates of each unbroken stretch of a series (None breaks a line)."""
    runs: list[list[float]] = [[]]
    for x, y in points:
        if y is None:
            runs.append([])
        else:
            runs[-1] += [plot.px(x), plot.py(y)]
    return [r for r in runs if r]


def line_chart(
    series: Sequence[Series],
    x_labels: Sequence[tuple[float, str]],
    *,
    width: float,
    height: float,
    y_range: tuple[float, float],
    y_ticks: Sequence[float],
    y_format: str = "{:g}",
    y_title: str = "",
    x_range: tuple[float, float] | None = None,
) -> Drawing:
    """A line chart with a marker on every point and, for two or more series, a legend
    beneath that shows each line's pattern and marker."""
    register_fonts()
    names = [s.name for s in series]
    plot_w = width - 34.0 - 10.0
    legend_h = _legend(Drawing(width, 10), names, 0, 0, plot_w, _SIZE) if len(series) > 1 else 0
    drawing = Drawing(width, height + legend_h)
    xs = [x for s in series for x, _y in s.points] + [x for x, _l in x_labels]
    x_lo, x_hi = x_range or ((min(xs), max(xs)) if xs else (0.0, 1.0))
    if x_hi <= x_lo:
        x_lo, x_hi = x_lo - 1, x_hi + 1
    bottom = 20.0 + legend_h
    plot = _Plot(34.0, bottom, plot_w, height + legend_h - bottom - 8.0, (x_lo, x_hi), y_range,
                 min(plot_w * 0.04, 12))  # fmt: skip
    _y_axis(drawing, plot, y_ticks, y_format, y_title)
    _x_axis(drawing, plot, x_labels)
    for n, s in enumerate(series):
        colour, dash, kind = _style(n)
        for pts in _runs(plot, s.points):
            if len(pts) >= 4:
                drawing.add(PolyLine(pts, strokeColor=colour, strokeWidth=1.3,
                                     strokeDashArray=dash))  # fmt: skip
            for i in range(0, len(pts), 2):
                for shape in marker(kind, pts[i], pts[i + 1], colour):
                    drawing.add(shape)
    if len(series) > 1:
        _legend(drawing, names, plot.left, legend_h - _SIZE - 3, plot_w, _SIZE)
    return drawing


_BAR_SIZE = 7.5
_BAR_GAP = 3.0
_BAR_PADS = (4.0, 14.0)  # above the first bar; below the last (the value axis)


def bar_label_width(bars: Sequence[tuple[str, float | None]], width: float) -> float:
    """Room for the bars' labels: the widest label, at most 38% of ``width``."""
    return float(
        min(
            max((stringWidth(display(lbl), FONT, _BAR_SIZE) for lbl, _v in bars), default=0) + 6,
            width * 0.38,
        )
    )


def bar_chart(
    bars: Sequence[tuple[str, float | None]],
    *,
    width: float,
    value_max: float = 100.0,
    value_format: str = "{:.0f}%",
    bar_height: float = 9.0,
    label_width: float | None = None,
) -> Drawing:
    """Horizontal bars, one per (label, value), each with its value written beside it.

    A value of None (nothing to count) is written as "no data" with no bar. ``label_width``
    (default: room for these labels) lets several charts share one value axis.
    """
    register_fonts()
    size = _BAR_SIZE
    gap = _BAR_GAP
    label_w = bar_label_width(bars, width) if label_width is None else label_width
    value_w = 34.0
    plot_w = width - label_w - value_w
    top_pad, bottom_pad = _BAR_PADS
    height = top_pad + bottom_pad + len(bars) * (bar_height + gap)
    drawing = Drawing(width, height)
    x0 = label_w
    y_top = height - top_pad
    for tick in (0, 25, 50, 75, 100):
        x = x0 + tick / 100 * plot_w
        drawing.add(Line(x, bottom_pad, x, y_top, strokeColor=colors.HexColor("#dddddd"),
                         strokeWidth=0.4))  # fmt: skip
        drawing.add(String(x, bottom_pad - 9, value_format.format(tick * value_max / 100),
                           fontName=FONT, fontSize=size, fillColor=MUTED,
                           textAnchor="middle"))  # fmt: skip
    for n, (lbl, value) in enumerate(bars):
        y = y_top - (n + 1) * (bar_height + gap) + gap / 2
        drawing.add(String(x0 - 4, y + bar_height / 2 - 2.6, _fit(lbl, size, label_w - 6),
                           fontName=FONT, fontSize=size, fillColor=INK,
                           textAnchor="end"))  # fmt: skip
        if value is None:
            drawing.add(String(x0 + 3, y + bar_height / 2 - 2.6, "no data", fontName=FONT,
                               fontSize=size, fillColor=MUTED))  # fmt: skip
            continue
        w = max(0.0, min(value, value_max)) / value_max * plot_w
        drawing.add(Rect(x0, y, w, bar_height, fillColor=colors.HexColor("#9db8cf"),
                         strokeColor=colors.HexColor("#0b5d91"), strokeWidth=0.6))  # fmt: skip
        drawing.add(String(x0 + w + 3, y + bar_height / 2 - 2.6, value_format.format(value),
                           fontName=FONT, fontSize=size, fillColor=INK))  # fmt: skip
    return drawing


def balanced_blocks(items: Sequence[T], most: int) -> list[Sequence[T]]:
    """``items`` cut, in order, into as few blocks of at most ``most`` as possible, balanced
    (84 at 50 a block: 42 + 42, not 50 + 34): for charts that must each fit a page."""
    if len(items) <= most:
        return [items]
    blocks = -(-len(items) // max(most, 1))
    size = -(-len(items) // blocks)
    return [items[start : start + size] for start in range(0, len(items), size)]
