"""PDF sections about supervision feeding governance, for the compliance pack: the learning
log ("what supervision changed") and the theme heat map.

Each function lays out rows gathered beforehand (``app.services.governance.learning_log``,
``app.services.themes.theme_counts``; the compliance pack gathers both in
``app.services.compliance_data``) and reads no database. Each returns flowables that start
with a ``section`` heading, so a report can drop them in wherever it likes (the compliance
pack's ``SECTIONS``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, Table, TableStyle

from app.dates import uk
from app.services.governance import LearningEntry
from app.services.reports.base import (
    BODY_WIDTH,
    FONT,
    FONT_BOLD,
    RULE,
    SHADE,
    KeelTable,
    markup,
    para,
    section,
    styles,
    table,
    text,
)
from app.services.themes import ThemeCounts

# Grey bands, lightest to darkest: they read in black and white and for colour-blind readers,
# and every cell also prints its number.
BANDS = (
    colors.HexColor("#ffffff"),
    colors.HexColor("#e6e6e6"),
    colors.HexColor("#c2c2c2"),
    colors.HexColor("#a6a6a6"),
    colors.HexColor("#4d4d4d"),
)
_COLUMNS_PER_TABLE = 13


def _head(*labels: str) -> list[Flowable | str]:
    st = styles()
    return [markup(f"<b>{escape(h)}</b>", st["cell"]) for h in labels]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _span(first: date, last: date) -> str:
    return uk(first) if first == last else f"{uk(first)} to {uk(last)}"


# --- Learning log --------------------------------------------------------------------------


def _came_from(entry: LearningEntry) -> str:
    item = entry.item
    parts = [f"{item.source.label}"]
    if item.theme_name:
        parts[0] += f" ({item.theme_name})"
    if entry.sources:
        dates = [s.session_date for s in entry.sources]
        parts.append(
            f"{_plural(len(entry.sources), 'session')}, {_plural(entry.workers, 'worker')}, "
            f"{_span(min(dates), max(dates))}"
        )
    parts.append(f"raised {uk(item.raised_on)}")
    if item.tabled_on:
        parts.append(f"tabled {uk(item.tabled_on)}")
    return "; ".join(parts)


def learning_log_section(
    entries: Sequence[LearningEntry],
    date_from: date,
    date_to: date,
    *,
    width: float = BODY_WIDTH,
) -> list[Flowable]:
    """'What supervision changed': the governance items closed with a change made dated in
    the period (``learning_log(db, date_from, date_to)``) — the change, the forum's decision,
    and the supervision it came from (dates, counts and themes only: no case notes)."""
    st = styles()
    story: list[Flowable] = section("What supervision changed (learning log)")
    story.append(
        para(
            "Governance items raised from supervision and closed with a change made between "
            f"{uk(date_from)} and {uk(date_to)}: the line of sight from what supervision "
            "learned to a changed pathway.",
            st["small"],
        )
    )
    story.append(Spacer(1, 1.5 * mm))
    if not entries:
        story.append(
            para("No governance item was closed with a change made in this period.", st["body"])
        )
        return story
    rows: list[list[Flowable | str]] = [
        _head("Changed", "What changed", "Decision", "Came from supervision")
    ]
    for e in entries:
        item = e.item
        changed = f"<b>{text(item.title)}</b><br/>{text(item.change_made)}"
        decided = f"{item.forum.label}, {uk(item.decided_on)}: {item.decision}"
        rows.append(
            [para(uk(e.changed_on), st["cell"]), markup(changed, st["cell"]),
             para(decided, st["cell"]), para(_came_from(e), st["cell"])]
        )  # fmt: skip
    story.append(table(rows, [width * 0.13, width * 0.31, width * 0.30, width * 0.26], zebra=True))
    story.append(Spacer(1, 1 * mm))
    story.append(para(f"{_plural(len(entries), 'change')} in the period.", st["small"]))
    return story


# --- Theme heat map ------------------------------------------------------------------------


def band(count: int, max_count: int) -> int:
    """0 for an empty cell, then 1–4 by quarter of the largest count (4 = the busiest)."""
    if count <= 0 or max_count <= 0:
        return 0
    step = max(1, math.ceil(max_count / 4))
    return min(4, (count - 1) // step + 1)


def band_ranges(max_count: int) -> list[tuple[int, str]]:
    """(band, 'from–to') for the legend, for the bands that can occur."""
    step = max(1, math.ceil(max_count / 4))
    out = []
    for b in range(1, 5):
        low, high = (b - 1) * step + 1, min(b * step, max_count)
        if low > max_count:
            break
        out.append((b, str(low) if low == high else f"{low}–{high}"))
    return out


def _cell_style(name: str, bold: bool, white: bool, size: float = 8) -> ParagraphStyle:
    return ParagraphStyle(
        name,
        fontName=FONT_BOLD if bold else FONT,
        fontSize=size,
        leading=size + 2,
        alignment=1,
        textColor=colors.white if white else colors.black,
    )


def heatmap_tables(counts: ThemeCounts, width: float) -> list[Flowable]:
    """The counts as shaded tables of at most 13 buckets each (a year and a bit fits one)."""
    st = styles()
    plain, strong, inverse = (
        _cell_style("hm", False, False),
        _cell_style("hm_b", True, False),
        _cell_style("hm_w", True, True),
    )
    top = counts.max_count
    out: list[Flowable] = []
    n = len(counts.starts)
    tables = math.ceil(n / _COLUMNS_PER_TABLE)
    per_table = math.ceil(n / tables)  # balanced: 14 months print as 7 + 7, not 13 + 1
    for first in range(0, n, per_table):
        last = min(n, first + per_table)
        label_w = min(48 * mm, width * 0.3)
        total_w = 12 * mm
        cell_w = (width - label_w - total_w) / max(1, last - first)
        head = [markup("<b>Theme</b>", st["head_small"])] + [
            markup(
                "<b>" + "<br/>".join(escape(w) for w in lbl.split()) + "</b>",
                _cell_style("hm_h", True, False, 7),
            )
            for lbl in counts.labels[first:last]
        ]
        head.append(markup("<b>Total</b>", _cell_style("hm_h", True, False)))
        rows: list[list[Flowable | str]] = [head]
        shading: list[tuple[object, ...]] = []
        for r, row in enumerate(counts.rows, start=1):
            name = row.name + (" (retired)" if row.retired else "")
            cells: list[Flowable | str] = [para(name, st["cell"])]
            for c, count in enumerate(row.counts[first:last], start=1):
                level = band(count, top)
                style = inverse if level == 4 else strong if level >= 2 else plain
                cells.append(markup(str(count) if count else "·", style))
                if level:
                    shading.append(("BACKGROUND", (c, r), (c, r), BANDS[level]))
            cells.append(markup(f"<b>{row.total}</b>", _cell_style("hm_t", True, False)))
            rows.append(cells)
        t = KeelTable(
            rows,
            colWidths=[label_w] + [cell_w] * (last - first) + [total_w],
            repeatRows=1,
            hAlign="LEFT",
        )
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, RULE),
                    ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 2),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                    *shading,
                ]
            )
        )
        out += [t, Spacer(1, 2 * mm)]
    return out


def heatmap_legend(max_count: int) -> Table:
    """A row of shaded sample cells with the counts each shade stands for."""
    cells: list[Flowable | str] = [markup("Shading:", styles()["small"])]
    shading = []
    for i, (b, label) in enumerate(band_ranges(max_count), start=1):
        cells.append(markup(label, _cell_style(f"lg{b}", b >= 2, b == 4)))
        shading.append(("BACKGROUND", (i, 0), (i, 0), BANDS[b]))
    cells.append(markup("· = none", styles()["small"]))
    t = KeelTable([cells], colWidths=[18 * mm] + [14 * mm] * (len(cells) - 2) + [20 * mm])
    t.hAlign = "LEFT"
    t.setStyle(
        TableStyle(
            [
                ("BOX", (1, 0), (-2, 0), 0.4, RULE),
                ("INNERGRID", (1, 0), (-2, 0), 0.4, RULE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                *shading,
            ]
        )
    )
    return t


def theme_heatmap_section(
    counts: ThemeCounts,
    *,
    team: str | None = None,
    width: float = BODY_WIDTH,
    title: str = "Themes raised in supervision",
) -> list[Flowable]:
    """Themes × months (or weeks): how many held sessions raised each theme, the number in
    every cell and the cell shaded in grey by quarter of the busiest cell. ``counts`` is
    ``theme_counts(db, date_from, date_to, bucket, team=team)``; ``team`` names the team they
    were counted for, if any."""
    st = styles()
    story: list[Flowable] = section(title)
    scope = f" in {team}" if team else ""
    story.append(
        para(
            f"Held supervision sessions{scope} that raised each theme (on the session or on one "
            f"of its decisions), by {counts.bucket}, {uk(counts.date_from)} to "
            f"{uk(counts.date_to)}. A session counts once per theme.",
            st["small"],
        )
    )
    story.append(Spacer(1, 1.5 * mm))
    if not counts.rows:
        story.append(para("No theme was raised in a held session in this period.", st["body"]))
        return story
    story += heatmap_tables(counts, width)
    story.append(heatmap_legend(counts.max_count))
    return story
