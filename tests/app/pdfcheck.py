"""Reading a PDF the way an inspector's tools would, with pypdf only (no system tools): the text
of each page, the outline, the fonts and whether each is embedded, the document's language and
dates, and where on the page lines and filled boxes were drawn."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ContentStream, DictionaryObject, IndirectObject

from tests.app.reportdata import flat


def page_texts(path: Path) -> list[str]:
    """Each page's text, whitespace collapsed."""
    return [flat(page.extract_text() or "") for page in PdfReader(path).pages]


def pdf_text(path: Path) -> str:
    """The whole document's text, whitespace collapsed."""
    return " ".join(page_texts(path))


def outline(path: Path) -> list[tuple[int, str, int]]:
    """(level, title, page number from 1) of every outline entry, in order."""
    reader = PdfReader(path)
    found: list[tuple[int, str, int]] = []

    def walk(items: list[Any], level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                found.append((level, str(item.title), reader.get_destination_page_number(item) + 1))

    walk(reader.outline, 0)
    return found


def _resolve(obj: Any) -> Any:
    return obj.get_object() if isinstance(obj, IndirectObject) else obj


def _fonts_in(resources: Any, seen: set[int]) -> Iterator[tuple[str, DictionaryObject]]:
    resources = _resolve(resources)
    if not resources or id(resources) in seen:
        return
    seen.add(id(resources))
    for font in (_resolve(resources.get("/Font")) or {}).values():
        font = _resolve(font)
        yield str(font.get("/BaseFont")), font
    for xobject in (_resolve(resources.get("/XObject")) or {}).values():
        xobject = _resolve(xobject)
        if xobject.get("/Subtype") == "/Form":
            yield from _fonts_in(xobject.get("/Resources"), seen)


def fonts(path: Path) -> dict[str, bool]:
    """Every font any page uses (page and form resources), and whether its file is embedded."""
    reader = PdfReader(path)
    out: dict[str, bool] = {}
    seen: set[int] = set()
    for page in reader.pages:
        for name, font in _fonts_in(page.get("/Resources"), seen):
            described = font
            if font.get("/Subtype") == "/Type0":
                described = _resolve(_resolve(font["/DescendantFonts"])[0])
            descriptor = _resolve(described.get("/FontDescriptor")) or {}
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            out[name] = out.get(name, True) and embedded
    return out


def language(path: Path) -> str | None:
    lang = PdfReader(path).trailer["/Root"].get("/Lang")
    return None if lang is None else str(lang)


def created(path: Path) -> datetime | None:
    meta = PdfReader(path).metadata
    return None if meta is None else meta.creation_date


@dataclass(frozen=True, slots=True)
class Mark:
    """A line or a rectangle as drawn, in page coordinates (points from the bottom left)."""

    page: int
    kind: str  # "line" or "rect"
    x0: float
    y0: float
    x1: float
    y1: float


def _mul(a: list[float], b: list[float]) -> list[float]:
    """The product a × b of two PDF matrices [a b c d e f]."""
    return [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]


def _apply(m: list[float], x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def marks(path: Path) -> list[Mark]:
    """Every straight line (m … l) and rectangle (re) each page's content stream draws, with the
    current transformation applied (q/Q/cm followed)."""
    reader = PdfReader(path)
    out: list[Mark] = []
    for n, page in enumerate(reader.pages, start=1):
        ctm = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
        stack: list[list[float]] = []
        here: tuple[float, float] | None = None
        for operands, op in ContentStream(page.get_contents(), reader).operations:
            if op == b"q":
                stack.append(ctm)
            elif op == b"Q":
                ctm = stack.pop() if stack else ctm
            elif op == b"cm":
                ctm = _mul([float(v) for v in operands], ctm)
            elif op == b"m":
                here = _apply(ctm, float(operands[0]), float(operands[1]))
            elif op == b"l" and here is not None:
                to = _apply(ctm, float(operands[0]), float(operands[1]))
                out.append(Mark(n, "line", here[0], here[1], to[0], to[1]))
                here = to
            elif op == b"re":
                x, y, w, h = (float(v) for v in operands)
                a, b = _apply(ctm, x, y), _apply(ctm, x + w, y + h)
                out.append(
                    Mark(n, "rect", min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]),
                         max(a[1], b[1]))
                )  # fmt: skip
    return out


def text_starts(path: Path) -> list[tuple[int, float, float, str]]:
    """(page, x, y, text) where each run of text starts, in page coordinates."""
    reader = PdfReader(path)
    found: list[tuple[int, float, float, str]] = []
    for n, page in enumerate(reader.pages, start=1):

        def visit(text: str, cm: list[float], tm: list[float], *_: Any, page_no: int = n) -> None:
            if text.strip():
                x, y = _apply([float(v) for v in cm], float(tm[4]), float(tm[5]))
                found.append((page_no, x, y, text))

        page.extract_text(visitor_text=visit)
    return found
