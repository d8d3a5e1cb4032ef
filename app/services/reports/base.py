"""The shared shape of every Keel PDF: A4, the service name in the header, "Confidential" and
"Page n of m" in the footer, a bundled font that prints every name, and user text escaped.

Every document is in British English (the PDF's /Lang), dated when it is made, uses only the
bundled font (embedded: no page starts in ReportLab's Helvetica), and has an outline (bookmarks)
of its section headings. The text frame has no padding, so body text, tables and charts start on
the margin the header starts on and end on the right margin. Tables keep their columns wide
enough for their longest words and split between pages cleanly (``KeelTable``).

User text never becomes markup: ``text()`` escapes it (``<``, ``&``…), strips control
characters and characters the font cannot draw (emoji), and turns newlines into breaks.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics import shapes
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    FrameBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from app.dates import moment
from app.paths import resource_path
from app.services.reports.bidi import visual
from app.services.reports.common import Cancelled, ExportCancelled, Progress

FONT = "KeelSans"
FONT_BOLD = "KeelSans-Bold"
PAGE_W, PAGE_H = A4
MARGIN = 18 * mm
BODY_WIDTH = float(PAGE_W - 2 * MARGIN)
INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#555555")
RULE = colors.HexColor("#9a9a9a")
SHADE = colors.HexColor("#eeeeee")
ZEBRA = colors.HexColor("#f7f7f7")
ALERT = colors.HexColor("#8b0000")
LANGUAGE = "en-GB"
CONFIDENTIAL_MARK = "Includes confidential reflective notes"

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _to_unicode_cmap(fontname: str, subset: Sequence[int]) -> str:
    """ReportLab's ToUnicode CMap, with characters beyond U+FFFF written as UTF-16 surrogate
    pairs as the PDF specification requires. ReportLab 5.1 writes them as five hex digits, so
    a copied or extracted 😀 (U+1F600) came back as ὠ (U+1F60), and 𝐀 as another letter."""

    def utf16(cp: int) -> str:
        return chr(cp).encode("utf-16-be", "surrogatepass").hex().upper()

    return "\n".join(
        [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            "/CIDSystemInfo",
            f"<< /Registry ({fontname})",
            f"/Ordering ({fontname})",
            "/Supplement 0",
            ">> def",
            f"/CMapName /{fontname} def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            f"<00> <{len(subset) - 1:02X}>",
            "endcodespacerange",
            f"{len(subset)} beginbfchar",
            *(f"<{i:02X}> <{utf16(cp)}>" for i, cp in enumerate(subset)),
            "endbfchar",
            "endcmap",
            "CMapName currentdict /CMap defineresource pop",
            "end",
            "end",
        ]
    )


@functools.cache
def register_fonts() -> frozenset[int]:
    """Register the bundled DejaVu Sans once; returns the code points both faces can draw."""
    ttfonts.makeToUnicodeCMap = _to_unicode_cmap  # see _to_unicode_cmap
    # Charts start in the bundled font too: ReportLab's graphics set their default font,
    # Helvetica (never embedded), at the start of every drawing.
    shapes.STATE_DEFAULTS["fontName"] = FONT
    regular = TTFont(FONT, str(resource_path("fonts/DejaVuSans.ttf")))
    bold = TTFont(FONT_BOLD, str(resource_path("fonts/DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFont(regular)
    pdfmetrics.registerFont(bold)
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
    )
    # Only what both faces draw: user text may be set in bold (labels, headings).
    return frozenset(regular.face.charToGlyph) & frozenset(bold.face.charToGlyph)


@functools.cache
def _undrawable() -> re.Pattern[str]:
    """Matches any character other than a newline that the bundled font cannot draw."""
    points = sorted(register_fonts() | {ord("\n")})
    ranges: list[str] = []
    start = prev = points[0]
    for cp in [*points[1:], -1]:
        if cp == prev + 1:
            prev = cp
            continue
        ranges.append(re.escape(chr(start)) + ("" if start == prev else "-" + re.escape(chr(prev))))
        start = prev = cp
    return re.compile(f"[^{''.join(ranges)}]")


def _replace_undrawable(match: re.Match[str]) -> str:
    return " " if unicodedata.category(match.group()) == "Zs" else ""


def clean(value: object) -> str:
    """User text made printable: control characters are removed, and so is every character the
    font cannot draw (emoji, invisible format marks such as the bidi isolates U+2066–U+2069
    that pasted text often carries), except that an unusual space becomes a plain space. What
    is left draws with a real glyph: never an empty box."""
    text = unicodedata.normalize("NFC", "" if value is None else str(value))
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    text = _CONTROL.sub("", text)
    if text.isascii():  # the common case: every printable ASCII character is in the font
        return text
    return _undrawable().sub(_replace_undrawable, text)


def fit(value: str, font: str, size: float, width: float) -> str:
    """``value`` on one line, shortened with "…" so it is at most ``width`` points wide."""
    line = " ".join(value.split())
    if pdfmetrics.stringWidth(line, font, size) <= width:
        return line
    while line and pdfmetrics.stringWidth(line + "…", font, size) > width:
        line = line[:-1]
    return line.rstrip() + "…"


def truncate(value: object, limit: int) -> str:
    """Cleaned user text on one line, cut near ``limit`` characters at a word, ending "…"."""
    flat = " ".join(clean(value).split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"


def _drawable(ch: str) -> bool:
    return ord(ch) in register_fonts()


def display(value: object) -> str:
    """Cleaned user text in drawing order: right-to-left runs reversed and Arabic joined (see
    ``bidi``), since ReportLab draws every string left to right."""
    return visual(clean(value), _drawable)


def text(value: object) -> str:
    """Escape user text for a Paragraph: never markup, newlines kept as line breaks."""
    return escape(display(value)).replace("\n", "<br/>")


def styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    base = ParagraphStyle(
        "body", fontName=FONT, fontSize=9.5, leading=12.5, textColor=INK, alignment=TA_LEFT
    )
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10, textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=11),
        "label": ParagraphStyle("label", parent=base, fontName=FONT_BOLD, fontSize=8.5, leading=11),
        "num": ParagraphStyle("num", parent=base, fontSize=8.5, leading=11, alignment=TA_RIGHT),
        "num_head": ParagraphStyle(
            "num_head",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=7.5,
            leading=9.5,
            alignment=TA_RIGHT,
        ),
        "num_small": ParagraphStyle(
            "num_small", parent=base, fontSize=7.5, leading=9.5, alignment=TA_RIGHT
        ),
        "head_small": ParagraphStyle(
            "head_small", parent=base, fontName=FONT_BOLD, fontSize=7.5, leading=9.5
        ),
        "title": ParagraphStyle(
            "title", parent=base, fontName=FONT_BOLD, fontSize=16, leading=20, spaceAfter=4
        ),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=10, textColor=MUTED),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=11.5,
            leading=15,
            spaceBefore=10,
            spaceAfter=3,
        ),
        "h3": ParagraphStyle(
            "h3",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=10,
            leading=13,
            spaceBefore=6,
            keepWithNext=1,
        ),
    }


class _NumberedCanvas(Canvas):  # type: ignore[misc]
    """Holds pages back until the end so each footer can say "Page n of m".

    Bookmarks are held back with their page: ReportLab points a bookmark at the page being
    written, which is only known when the held pages are written out."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._saved: list[dict[str, Any]] = []
        self._marks: list[str] = []

    def bookmarkPage(self, key: str, **kwargs: Any) -> None:
        self._marks.append(key)

    def showPage(self) -> None:
        state = dict(self.__dict__)
        # The page's drawing operators as one string (the text the page's stream is made of:
        # ReportLab joins them with newlines): tens of thousands of small strings in 41 lists
        # would otherwise be walked by every garbage collection until the file is written.
        if self._code:
            state["_code"] = ["\n".join(self._code)]
        self._saved.append(state)
        self._marks = []
        self._startPage()

    def save(self) -> None:
        total = len(self._saved)
        marked = False
        for state in self._saved:
            self.__dict__.update(state)
            for key in self._marks:
                super().bookmarkPage(key, fit="XYZ", top=PAGE_H)
                marked = True
            self._draw_page_count(total)
            super().showPage()
        if marked and total > 2:
            self.showOutline()  # a viewer opens a pack with its bookmarks shown
        super().save()

    def _draw_page_count(self, total: int) -> None:
        self.setFont(FONT, 8)
        self.setFillColor(MUTED)
        self.drawRightString(PAGE_W - MARGIN, 10 * mm, f"Page {self._pageNumber} of {total}")


class _Template(BaseDocTemplate):  # type: ignore[misc]
    """Adds an outline entry for every heading made by ``heading()``/``section()``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._outline_count = 0

    def afterFlowable(self, flowable: Flowable) -> None:
        entry = getattr(flowable, "outline_entry", None)
        if entry is None:
            return
        title, level = entry
        self._outline_count += 1
        key = f"s{self._outline_count}"
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(title, key, level=level)


class KeelDocument:
    """A4 document with Keel's header and footer. ``build(story)`` writes the file.

    ``time_zone``: the zone the "Printed" time is shown in (the service's; None: this
    computer's). ``marking``: a line printed at the top of every page, e.g.
    ``CONFIDENTIAL_MARK`` on a copy that includes confidential reflective notes."""

    def __init__(
        self,
        path: Path,
        *,
        title: str,
        service_name: str,
        subject: str = "",
        time_zone: tzinfo | None = None,
        marking: str = "",
    ) -> None:
        register_fonts()
        self.path = path
        self.title = clean(title)
        self.service_name = clean(service_name)
        self.marking = marking
        self._title_shown = display(title)
        self._service_shown = display(service_name)
        self.time_zone = time_zone
        now = datetime.now(UTC)
        self.generated = moment(now.isoformat(), time_zone, zone_name=True)
        self.pages = 0
        self._doc = _Template(
            str(path),
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN + 8 * mm,
            bottomMargin=MARGIN + 4 * mm,
            title=self.title,
            author=self.service_name,
            subject=clean(subject),
            creator="Keel",
            lang=LANGUAGE,
            # Every page's text starts in the bundled font: ReportLab's default, Helvetica, is
            # never embedded, and a PDF/A check or an inspector's preflight flags it.
            initialFontName=FONT,
        )
        # No side padding: text, tables and charts are laid out to the margins the header and
        # footer rules mark (a table as wide as the body then fits exactly). A marked copy keeps
        # the mark clear of the first line of each page.
        frame = Frame(
            MARGIN, MARGIN + 4 * mm, BODY_WIDTH, PAGE_H - 2 * MARGIN - 12 * mm, id="body",
            leftPadding=0, rightPadding=0, topPadding=3 * mm if marking else 0, bottomPadding=0,
        )  # fmt: skip
        self._doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self._decorate)])

    @property
    def width(self) -> float:
        return BODY_WIDTH

    def _decorate(self, canvas: Canvas, _doc: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(FONT_BOLD, 8.5)
        canvas.setFillColor(INK)
        service = fit(self._service_shown, FONT_BOLD, 8.5, BODY_WIDTH * 0.5)
        canvas.drawString(MARGIN, PAGE_H - MARGIN, service)
        canvas.setFont(FONT, 8.5)
        room = BODY_WIDTH - pdfmetrics.stringWidth(service, FONT_BOLD, 8.5) - 8 * mm
        canvas.drawRightString(
            PAGE_W - MARGIN, PAGE_H - MARGIN, fit(self._title_shown, FONT, 8.5, room)
        )
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, PAGE_H - MARGIN - 2.5 * mm, PAGE_W - MARGIN, PAGE_H - MARGIN - 2.5 * mm)
        canvas.line(MARGIN, 14 * mm, PAGE_W - MARGIN, 14 * mm)
        if self.marking:
            canvas.setFont(FONT_BOLD, 8.5)
            canvas.setFillColor(ALERT)
            canvas.drawCentredString(PAGE_W / 2, PAGE_H - MARGIN - 6.5 * mm, self.marking)
            canvas.setFillColor(INK)
        canvas.setFont(FONT_BOLD, 8)
        canvas.drawString(MARGIN, 10 * mm, "Confidential")
        canvas.setFont(FONT, 8)
        canvas.setFillColor(MUTED)
        canvas.drawCentredString(PAGE_W / 2, 10 * mm, f"Printed {self.generated} · Keel")
        canvas.restoreState()

    def build(
        self,
        story: Sequence[Flowable],
        *,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> None:
        """Lay out and write the file. ``progress(done, total)`` counts flowables laid out;
        ``cancelled()`` is asked as layout goes on and raises ``ExportCancelled`` (nothing is
        written: the canvas writes the file only at the end)."""
        flowables = list(story)
        total = len(flowables)
        # ReportLab counts flowables left to lay out; one split over a page break (a table,
        # a block kept together) adds one back. Progress never goes backwards.
        shown = 0

        def on_progress(kind: str, value: int) -> None:
            nonlocal shown
            if kind != "PROGRESS":
                return
            if cancelled is not None and cancelled():
                raise ExportCancelled()
            shown = max(shown, min(value, total))
            if progress is not None:
                progress(shown, total)

        self._doc.setProgressCallBack(on_progress)
        canvases: list[_NumberedCanvas] = []

        def canvasmaker(*args: Any, **kwargs: Any) -> _NumberedCanvas:
            canvas = _NumberedCanvas(*args, **kwargs)
            canvases.append(canvas)
            return canvas

        self._doc.build(flowables, canvasmaker=canvasmaker)
        self.pages = len(canvases[-1]._saved) if canvases else 0


def heading(title: str, style: ParagraphStyle | None = None, *, level: int = 0) -> Paragraph:
    """A heading (Keel's own words, escaped here) that is also an entry of the outline."""
    p = Paragraph(escape(title), style or styles()["h2"])
    p.outline_entry = (title, level)
    return p


def section(title: str, *, need: float = 30 * mm) -> list[Flowable]:
    """A section heading that never sits alone at the foot of a page: it starts a new page
    unless ``need`` is left (more for a heading followed by an introduction and a table).
    The heading is an entry of the document's outline."""
    return [CondPageBreak(need), heading(title)]


def para(value: object, style: ParagraphStyle) -> Paragraph:
    """A paragraph of user text (escaped)."""
    return Paragraph(text(value) or "—", style)


# Longer user text is laid out as several paragraphs: ReportLab re-wraps the whole remainder
# of a paragraph on every page it splits across, so one 200,000-character note would take
# minutes. Pieces end at line breaks where possible, else after a sentence, else at a space.
CHUNK = 3000
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*\s")


def _pieces(line: str, limit: int) -> list[str]:
    out: list[str] = []
    while len(line) > limit:
        window = line[:limit]
        cut = max((m.end() for m in _SENTENCE_END.finditer(window)), default=0)
        if cut < limit // 2:
            space = window.rfind(" ")
            cut = space + 1 if space >= limit // 2 else limit
        out.append(line[:cut].rstrip(" "))
        line = line[cut:]
    out.append(line)
    return out


def chunks(value: str, limit: int = CHUNK) -> list[str]:
    """``value`` cut into pieces of at most ``limit`` characters, at line breaks if possible."""
    if len(value) <= limit:
        return [value]
    out: list[str] = []
    current: list[str] = []
    size = 0
    for line in value.split("\n"):
        for piece in _pieces(line, limit):
            if current and size + len(piece) + 1 > limit:
                out.append("\n".join(current))
                current, size = [], 0
            current.append(piece)
            size += len(piece) + 1
    if current:
        out.append("\n".join(current))
    return out


def paras(value: object, style: ParagraphStyle) -> list[Flowable]:
    """User text (escaped) as one paragraph, or several for a long text, that flow across
    pages in time proportional to the text's length."""
    cleaned = clean(value)
    if len(cleaned) <= CHUNK:
        return [para(cleaned, style)]
    return [Paragraph(escape(visual(piece, _drawable)).replace("\n", "<br/>") or "&nbsp;", style)
            for piece in chunks(cleaned)]  # fmt: skip


def markup(trusted: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of Keel's own markup (never user text without ``text()``)."""
    return Paragraph(trusted, style)


# A split that would leave more than this much of a page empty splits inside the row instead.
SPLIT_WASTE = 110.0


class KeelTable(Table):  # type: ignore[misc]
    """ReportLab's Table, split across pages the way a reader expects.

    - The part after a split always starts on the next page, so the repeated header opens a
      page: ReportLab would try the rest in the space left on the same page, splitting the next
      row there and repeating the header mid-page.
    - A row taller than the space left is split inside the row (when ``splitInRow``) rather
      than leaving more than ``SPLIT_WASTE`` points of the page empty.
    - Every part keeps the table's alignment (ReportLab centred the parts of a row it split,
      which moved them left when the table was as wide as the frame).
    - Text in plain string cells is set in the bundled font, not Helvetica.
    """

    def __init__(self, data: Sequence[Sequence[Any]], *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("hAlign", "LEFT")
        super().__init__(data, *args, **kwargs)
        if len(data):
            self.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT)]))

    def onSplit(self, T: Table, byRow: int = 1) -> None:
        T.hAlign = self.hAlign

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        self._calc(availWidth, availHeight)
        parts: list[Flowable] = []
        if self.splitByRow:
            parts = self._splitRows(availHeight, doInRowSplit=0)
        if self.splitInRow:
            rows = len(parts[0]._cellvalues) if len(parts) == 2 else 0
            if availHeight - sum(self._rowHeights[:rows]) > SPLIT_WASTE:
                in_row = self._splitRows(availHeight, doInRowSplit=1)
                if len(in_row) == 2:
                    parts = in_row
        if len(parts) == 2 and getattr(self, "_frame", None) is not None:
            # Laid out in the page's frame (not inside another table's cell): the rest goes on.
            return [parts[0], FrameBreak, parts[1]]
        return parts


def _padding(style: Sequence[tuple[Any, ...]], columns: int) -> list[float]:
    """Left + right padding of each column, from TableStyle commands (the last one wins)."""
    left = [6.0] * columns
    right = [6.0] * columns
    for command in style:
        if command[0] not in ("LEFTPADDING", "RIGHTPADDING"):
            continue
        (c0, _r0), (c1, _r1), value = command[1], command[2], float(command[3])
        c0, c1 = c0 % columns, c1 % columns
        target = left if command[0] == "LEFTPADDING" else right
        for c in range(c0, c1 + 1):
            target[c] = value
    return [a + b for a, b in zip(left, right, strict=True)]


def _longest_word(cell: object) -> float:
    """The width of the longest word of a Paragraph or string cell (0 for anything else)."""
    if isinstance(cell, Paragraph):
        widest = 0.0
        for frag in cell.frags:
            words = getattr(frag, "text", "").split()
            for word in words:
                width = pdfmetrics.stringWidth(word, frag.fontName, frag.fontSize)
                widest = max(widest, width)
        return widest
    if isinstance(cell, str):
        return max((pdfmetrics.stringWidth(w, FONT, 10) for w in cell.split()), default=0.0)
    return 0.0


def fit_widths(
    rows: Sequence[Sequence[object]], widths: Sequence[float], padding: Sequence[float]
) -> list[float]:
    """``widths`` moved about so that each column holds its longest word on one line, taking
    the room from columns that have more than they need; the total is unchanged. A word wider
    than half the table is left to break (it could not fit beside the other columns)."""
    total = sum(widths)
    need = [0.0] * len(widths)
    for row in rows:
        for c, cell in enumerate(row):
            word = _longest_word(cell)
            if word and word + padding[c] <= total / 2:
                need[c] = max(need[c], word + padding[c] + 0.5)
    deficit = sum(max(0.0, n - w) for n, w in zip(need, widths, strict=True))
    if deficit <= 0:
        return list(widths)
    slack = [max(0.0, w - n) for n, w in zip(need, widths, strict=True)]
    spare = sum(slack)
    if spare < deficit:
        return list(widths)  # cannot be done: ReportLab breaks the longest words
    return [
        max(w, n) if n > w else w - s * deficit / spare
        for n, w, s in zip(need, widths, slack, strict=True)
    ]


def table(
    rows: Sequence[Sequence[Flowable | str]],
    widths: Sequence[float],
    *,
    header: bool = True,
    zebra: bool = False,
    extra: Sequence[tuple[Any, ...]] = (),
) -> Table:
    """A grid that may split across pages, even inside a long row. ``extra``: more
    TableStyle commands (applied last). Columns are widened for their longest word (never
    "Manageabl/e"), taking room from columns that can spare it."""
    style: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.4, RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), SHADE))
    if zebra:
        style += [
            ("BACKGROUND", (0, r), (-1, r), ZEBRA) for r in range(2 if header else 1, len(rows), 2)
        ]
    style += list(extra)
    t = KeelTable(
        [list(r) for r in rows],
        colWidths=fit_widths(rows, widths, _padding(style, len(widths))),
        repeatRows=1 if header else 0,
        splitByRow=1,
        splitInRow=1,
    )
    t.setStyle(TableStyle(style))
    return t


def key_values(
    pairs: Sequence[tuple[str, object]], width: float, st: dict[str, ParagraphStyle], cols: int = 2
) -> Table:
    """Label/value pairs laid out in ``cols`` columns (labels are Keel's, values escaped)."""
    cells: list[list[Flowable | str]] = []
    row: list[Flowable | str] = []
    for label, value in pairs:
        row += [markup(escape(label), st["label"]), para(value, st["cell"])]
        if len(row) == 2 * cols:
            cells.append(row)
            row = []
    if row:
        row += [""] * (2 * cols - len(row))
        cells.append(row)
    label_w = 27 * mm
    value_w = width / cols - label_w
    t = KeelTable(cells, colWidths=[label_w, value_w] * cols, splitInRow=1)
    t.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return t


def signature_block(
    role: str, name: str, status_line: str, st: dict[str, ParagraphStyle], width: float
) -> Table:
    """A box with the signer's name, the electronic status, and space for a wet signature."""
    rows = [
        [markup(f"<b>{escape(role)}</b>", st["body"])],
        [para(f"Name: {name}" if name else "Name: ________________________________", st["body"])],
        [para(status_line, st["small"])],
        [Spacer(1, 14 * mm)],
        [markup("Signature: ________________________________", st["body"])],
        [Spacer(1, 4 * mm)],
        [markup("Date: ____________________", st["body"])],
    ]  # fmt: skip
    t = KeelTable(rows, colWidths=[width])
    t.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.8, INK),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return t


def side_by_side(left: Flowable, right: Flowable, width: float) -> Table:
    """Two blocks next to each other (one table row: never split, so on one page). Put it in a
    ``KeepTogether`` with what belongs with it — never a KeepTogether inside another: ReportLab
    then measures the inner one as endless and always starts a new page."""
    gap = 6 * mm
    half = (width - gap) / 2
    t = KeelTable([[left, "", right]], colWidths=[half, gap, half])
    t.setStyle(
        TableStyle(
            [
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return t


def stamp(value: str | None, zone: tzinfo | None) -> str:
    """A stored UTC time in the one style every Keel PDF uses: '26 Nov 2026 at 14:32 GMT', in
    the service's time zone."""
    return moment(value, zone, zone_name=True)
