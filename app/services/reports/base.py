"""The shared shape of every Keel PDF: A4, the service name in the header, "Confidential" and
"Page n of m" in the footer, a bundled font that prints every name, and user text escaped.

User text never becomes markup: ``text()`` escapes it (``<``, ``&``…), strips control
characters and characters the font cannot draw (emoji), and turns newlines into breaks.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

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
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from app.dates import uk
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
    """Holds pages back until the end so each footer can say "Page n of m"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._saved: list[dict[str, Any]] = []

    def showPage(self) -> None:
        state = dict(self.__dict__)
        # The page's drawing operators as one string (the text the page's stream is made of:
        # ReportLab joins them with newlines): tens of thousands of small strings in 41 lists
        # would otherwise be walked by every garbage collection until the file is written.
        if self._code:
            state["_code"] = ["\n".join(self._code)]
        self._saved.append(state)
        self._startPage()

    def save(self) -> None:
        total = len(self._saved)
        for state in self._saved:
            self.__dict__.update(state)
            self._draw_page_count(total)
            super().showPage()
        super().save()

    def _draw_page_count(self, total: int) -> None:
        self.setFont(FONT, 8)
        self.setFillColor(MUTED)
        self.drawRightString(PAGE_W - MARGIN, 10 * mm, f"Page {self._pageNumber} of {total}")


class KeelDocument:
    """A4 document with Keel's header and footer. ``build(story)`` writes the file."""

    def __init__(self, path: Path, *, title: str, service_name: str, subject: str = "") -> None:
        register_fonts()
        self.path = path
        self.title = clean(title)
        self.service_name = clean(service_name)
        self._title_shown = display(title)
        self._service_shown = display(service_name)
        now = datetime.now(UTC).astimezone()
        self.generated = f"{uk(now)} {now:%H:%M}"
        self.pages = 0
        self._doc = BaseDocTemplate(
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
            invariant=1,
        )
        frame = Frame(
            MARGIN, MARGIN + 4 * mm, PAGE_W - 2 * MARGIN, PAGE_H - 2 * MARGIN - 12 * mm, id="body"
        )
        self._doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self._decorate)])

    @property
    def width(self) -> float:
        return float(PAGE_W - 2 * MARGIN)

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


def section(title: str, *, need: float = 30 * mm) -> list[Flowable]:
    """A section heading that never sits alone at the foot of a page: it starts a new page
    unless ``need`` is left (more for a heading followed by an introduction and a table)."""
    return [CondPageBreak(need), Paragraph(escape(title), styles()["h2"])]


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


def table(
    rows: Sequence[Sequence[Flowable | str]],
    widths: Sequence[float],
    *,
    header: bool = True,
    zebra: bool = False,
    extra: Sequence[tuple[Any, ...]] = (),
) -> Table:
    """A grid that may split across pages, even inside a long row. ``extra``: more
    TableStyle commands (applied last)."""
    t = Table(
        [list(r) for r in rows],
        colWidths=list(widths),
        repeatRows=1 if header else 0,
        splitByRow=1,
        splitInRow=1,
        hAlign="LEFT",
    )
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
    t = Table(cells, colWidths=[label_w, value_w] * cols, hAlign="LEFT", splitInRow=1)
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
    t = Table(rows, colWidths=[width], hAlign="LEFT")
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


def side_by_side(left: Flowable, right: Flowable, width: float) -> KeepTogether:
    """Two blocks next to each other, kept on one page."""
    gap = 6 * mm
    half = (width - gap) / 2
    t = Table([[left, "", right]], colWidths=[half, gap, half], hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return KeepTogether([t, Spacer(1, 3 * mm)])
