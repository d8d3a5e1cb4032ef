"""Benchmark: the PDF reports (issue 4, "Performance"). Prints a table; not a test.

* One session record (the demo service's fullest clinical record): median of ``--runs``
  builds after a warm-up. Goal ≤ 0.3 s.
* The team compliance pack for 500 workers over 12 months (a reference database from
  ``generate.py``: ``--workers`` workers, ``--years`` years of history), end to end: the
  schedule on each month end, the queries, the layout and the file. Beside it, in the same
  run, a BARE ReportLab document with the same text: the same paragraphs, tables and charts
  built directly with ReportLab (no Keel code is timed: Keel's story is turned into plain
  strings and widths first, untimed). Goals: ≤ 10 s and ≤ 1.5× the bare document.

The two compliance builds alternate so both see the same caches; each figure is a median.

    python tests/benchmarks/bench_reports.py                  # generate, measure, print
    python tests/benchmarks/bench_reports.py --db ref.db      # reuse (generated if missing)
    python tests/benchmarks/bench_reports.py --quick          # 50 workers, small runs
    python tests/benchmarks/bench_reports.py --profile        # add a cProfile of the pack
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from app.paths import resource_path
from app.services.compliance_data import gather_compliance, write_compliance_pack
from app.services.demo import load_demo
from app.services.record_view import build_record_pdf
from app.services.reports.base import KeelDocument
from app.services.reports.compliance import compliance_story
from app.storage.db import close_database, open_database
from tests.benchmarks.generate import generate_reference

GOAL_RECORD_S = 0.3
GOAL_PACK_S = 10.0
GOAL_RATIO = 1.5


# --------------------------------------------------------------------------- the bare document


@dataclass
class Bare:
    """Keel's story as plain data: what a bare ReportLab script would start from."""

    items: list[tuple[Any, ...]]


def _style_of(p: Paragraph) -> tuple[str, float, float, int]:
    s = p.style
    return (s.fontName, float(s.fontSize), float(s.leading), int(s.alignment))


def to_bare(story: list[Flowable]) -> Bare:
    """Untimed: Keel's flowables as strings, styles as numbers, tables as cell text + widths."""

    def cell(value: Any) -> Any:
        if isinstance(value, Paragraph):
            return ("p", value.text, _style_of(value))
        if isinstance(value, (list, tuple)):
            return [cell(v) for v in value]
        if isinstance(value, Flowable):
            return ("spacer", float(getattr(value, "height", 0) or 0))
        return str(value)

    def item(f: Flowable) -> list[tuple[Any, ...]]:
        if isinstance(f, Paragraph):
            return [("p", f.text, _style_of(f))]
        if isinstance(f, Table):
            rows = [[cell(v) for v in row] for row in f._cellvalues]
            return [("table", rows, list(f._colWidths), f.repeatRows)]
        if isinstance(f, KeepTogether):
            inner: list[tuple[Any, ...]] = []
            for g in f._content:
                inner += item(g)
            return [("keep", inner)]
        if isinstance(f, CondPageBreak):
            return [("cond", float(f.height))]
        if isinstance(f, Spacer):
            return [("spacer", float(f.height))]
        if isinstance(f, Drawing):
            return [("drawing", copy.deepcopy(f))]
        raise TypeError(f"no bare form for {type(f).__name__}")

    out: list[tuple[Any, ...]] = []
    for f in story:
        out += item(f)
    return Bare(out)


_BARE_STYLES: dict[tuple[str, float, float, int], ParagraphStyle] = {}


def _bare_fonts() -> None:
    """The same TTF files, registered under other names, straight with ReportLab."""
    if "BareSans" in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(TTFont("BareSans", str(resource_path("fonts/DejaVuSans.ttf"))))
    pdfmetrics.registerFont(
        TTFont("BareSans-Bold", str(resource_path("fonts/DejaVuSans-Bold.ttf")))
    )
    pdfmetrics.registerFontFamily("BareSans", normal="BareSans", bold="BareSans-Bold",
                                  italic="BareSans", boldItalic="BareSans-Bold")  # fmt: skip


def _bare_style(key: tuple[str, float, float, int]) -> ParagraphStyle:
    style = _BARE_STYLES.get(key)
    if style is None:
        font, size, leading, align = key
        style = ParagraphStyle(
            f"s{len(_BARE_STYLES)}",
            fontName="BareSans-Bold" if font.endswith("Bold") else "BareSans",
            fontSize=size,
            leading=leading,
            alignment=align,
        )
        _BARE_STYLES[key] = style
    return style


def build_bare(bare: Bare, out: Path) -> int:
    """Timed: the same text laid out by ReportLab directly. Returns the page count."""
    _bare_fonts()

    def cell(value: Any) -> Any:
        if isinstance(value, tuple) and value and value[0] == "p":
            return Paragraph(value[1], _bare_style(value[2]))
        if isinstance(value, tuple) and value and value[0] == "spacer":
            return Spacer(1, value[1])
        if isinstance(value, list):
            return [cell(v) for v in value]
        return value

    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.4, "#9a9a9a"),
                       ("VALIGN", (0, 0), (-1, -1), "TOP")])  # fmt: skip

    def flow(entry: tuple[Any, ...]) -> Flowable:
        kind = entry[0]
        if kind == "p":
            return Paragraph(entry[1], _bare_style(entry[2]))
        if kind == "table":
            t = Table([[cell(v) for v in row] for row in entry[1]], colWidths=entry[2],
                      repeatRows=entry[3], splitByRow=1, splitInRow=1, hAlign="LEFT")  # fmt: skip
            t.setStyle(grid)
            return t
        if kind == "keep":
            return KeepTogether([flow(e) for e in entry[1]])
        if kind == "cond":
            return CondPageBreak(entry[1])
        if kind == "spacer":
            return Spacer(1, entry[1])
        return entry[1]  # a Drawing

    pages = [0]

    def footer(canvas: Any, doc: Any) -> None:
        pages[0] = doc.page
        canvas.setFont("BareSans", 8)
        canvas.drawString(18 * mm, 10 * mm, f"Page {doc.page}")

    doc = SimpleDocTemplate(str(out), pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=26 * mm, bottomMargin=22 * mm, invariant=1)  # fmt: skip
    doc.build([flow(e) for e in bare.items], onFirstPage=footer, onLaterPages=footer)
    return pages[0]


# --------------------------------------------------------------------------- measuring


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def _timed(job: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = job()
    return time.perf_counter() - started, result


def _pages(path: Path) -> int:
    data = path.read_bytes()
    return data.count(b"/Type /Page\n") or data.count(b"/Type /Page ")


def measure_record(folder: Path, runs: int) -> dict[str, Any]:
    db = open_database(folder / "demo.db")
    try:
        load_demo(db, today=date.today())
        sid = db.execute(
            "SELECT s.id FROM sessions s WHERE s.status = 'held' AND s.type = 'clinical' "
            "ORDER BY length(s.issues) + (SELECT count(*) FROM actions a "
            "WHERE a.session_id = s.id) * 200 DESC LIMIT 1"
        ).fetchone()[0]
        out = folder / "record.pdf"
        first, _ = _timed(lambda: build_record_pdf(db, sid, out))
        samples = [_timed(lambda: build_record_pdf(db, sid, out))[0] for _ in range(runs)]
    finally:
        close_database(db)
    return {"first": first, "median": _median(samples), "pages": _pages(out)}


def measure_pack(
    path: Path, folder: Path, date_from: date, date_to: date, runs: int, profile: bool
) -> dict[str, Any]:
    db = open_database(path)
    try:
        out_keel = folder / "compliance.pdf"
        out_bare = folder / "bare.pdf"
        # Warm-up, and the bare document's input (untimed).
        write_compliance_pack(db, date_from, date_to, out_keel)
        data = gather_compliance(db, date_from, date_to)
        bare = to_bare(compliance_story(data))
        build_bare(bare, out_bare)
        keel: list[float] = []
        plain: list[float] = []
        gather: list[float] = []
        layout: list[float] = []

        def keel_layout() -> None:
            doc = KeelDocument(out_keel, title="Supervision compliance pack", service_name="S")
            doc.build(compliance_story(data, width=doc.width))

        for i in range(runs):
            jobs = [("keel", lambda: write_compliance_pack(db, date_from, date_to, out_keel)),
                    ("bare", lambda: build_bare(bare, out_bare))]  # fmt: skip
            for name, job in jobs if i % 2 == 0 else jobs[::-1]:
                (keel if name == "keel" else plain).append(_timed(job)[0])
            gather.append(_timed(lambda: gather_compliance(db, date_from, date_to))[0])
            layout.append(_timed(keel_layout)[0])
        profile_text = ""
        if profile:
            prof = cProfile.Profile()
            prof.enable()
            write_compliance_pack(db, date_from, date_to, out_keel)
            prof.disable()
            buf = io.StringIO()
            pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(30)
            profile_text = buf.getvalue()
        in_post = len(data.points[-1].table) and data.points[-1].table[(None, None)].counted
    finally:
        close_database(db)
    return {
        "keel": _median(keel),
        "bare": _median(plain),
        "gather": _median(gather),
        "layout": _median(layout),
        "keel_pages": _pages(out_keel),
        "bare_pages": _pages(out_bare),
        "months": len(data.points),
        "pairs": in_post,
        "profile": profile_text,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--db", type=Path, help="reference database (generated if missing)")
    parser.add_argument("--workers", type=int, default=500)
    parser.add_argument("--years", type=int, default=2, help="years of history (≥ 1)")
    parser.add_argument("--runs", type=int, default=10, help="record builds to take a median of")
    parser.add_argument("--pack-runs", type=int, default=5, help="compliance builds (median)")
    parser.add_argument("--quick", action="store_true", help="50 workers, 3 runs")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.workers, args.runs, args.pack_runs = 50, 3, 1
    with tempfile.TemporaryDirectory(prefix="keel-bench-reports-") as tmp:
        folder = Path(tmp)
        db_path = args.db or folder / "reference.db"
        if not db_path.exists():
            figures = generate_reference(db_path, workers=args.workers, years=args.years)
            print(f"  generated {figures['workers']:,} workers, {figures['sessions']:,} sessions "
                  f"in {figures['seconds']:.1f} s")  # fmt: skip
        conn = open_database(db_path)
        try:
            last = conn.execute("SELECT max(session_date) FROM sessions "
                                "WHERE status <> 'planned'").fetchone()[0]  # fmt: skip
            workers = conn.execute("SELECT count(*) FROM workers").fetchone()[0]
            sessions = conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
        finally:
            close_database(conn)
        date_to = date.fromisoformat(last)
        date_from = date_to - timedelta(days=365)
        record = measure_record(folder, args.runs)
        pack = measure_pack(db_path, folder, date_from, date_to, args.pack_runs, args.profile)
    ratio = pack["keel"] / pack["bare"]
    rec_ok = record["median"] <= GOAL_RECORD_S
    pack_ok = pack["keel"] <= GOAL_PACK_S and ratio <= GOAL_RATIO
    print(
        f"  {workers:,} workers, {sessions:,} sessions; pack {date_from} to {date_to} "
        f"({pack['months']} month-end points, {pack['pairs']:,} worker-type pairs at the end)"
    )
    print()
    print(f"  {'measure':<52} {'seconds':>8} {'pages':>6} {'goal':>12}")
    print(
        f"  {'one record PDF, first build (fonts, imports)':<52} {record['first']:>8.3f}"
        f" {record['pages']:>6}"
    )
    print(
        f"  {'one record PDF, median of ' + str(args.runs):<52} {record['median']:>8.3f}"
        f" {record['pages']:>6} {'≤ 0.3 s':>12} {'ok' if rec_ok else 'MISSED'}"
    )
    print(
        f"  {'compliance pack, Keel end to end':<52} {pack['keel']:>8.3f}"
        f" {pack['keel_pages']:>6} {'≤ 10 s':>12}"
    )
    print(f"  {'  gathering alone (schedule × months, queries)':<52} {pack['gather']:>8.3f}")
    print(f"  {'  story and layout alone (KeelDocument)':<52} {pack['layout']:>8.3f}")
    print(
        f"  {'compliance pack, bare ReportLab, same text':<52} {pack['bare']:>8.3f}"
        f" {pack['bare_pages']:>6}"
    )
    print(
        f"  {'ratio Keel / bare (end to end)':<52} {ratio:>8.2f} {'':>6} {'≤ 1.5×':>12}"
        f" {'ok' if pack_ok else 'MISSED'}"
    )
    print(
        f"  {'ratio Keel layout only / bare (same data)':<52} {pack['layout'] / pack['bare']:>8.2f}"
    )
    if pack["profile"]:
        print(pack["profile"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
