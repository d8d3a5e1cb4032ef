"""The compliance pack's quality-assurance section (issue 16), for the team pack and the service
pack alike: signed records dated in the period, how many a QA reviewer countersigned and how
many await QA, per team and month, with the sampling rate (countersigned / signed). A period
with no signed record says so — never a rate of 0% made of nothing.

The team pack gathers its figures from the team's file
(``app.services.pack_record_data.gather_pack_records``); the service pack from the published
facts (app.services.reports.service_pack). Either way this module only lays them out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from app.dates import month_year, uk
from app.domain.qa import QaCell, QaFigures, rate_words
from app.services.reports.base import markup, para, section, styles, table

if TYPE_CHECKING:
    from app.services.reports.compliance import PackContext

TITLE = "Quality assurance: countersigned records"
NO_SIGNED = (
    "No signed records in the period: there was nothing for a QA reviewer to sample, so no "
    "sampling rate is given."
)


def _rate(cell: QaCell) -> str:
    return "—" if cell.rate is None else f"{cell.rate:.0f}%"


def qa_section(ctx: PackContext) -> list[Flowable]:
    st = styles()
    d = ctx.data
    w = ctx.width
    figures: QaFigures | None = d.qa
    story = section(TITLE, need=60 * mm)
    if figures is None or not figures.signed:
        story.append(para(NO_SIGNED, st["body"]))
        return story
    story.append(
        para(
            f"Signed records dated {uk(figures.date_from)} to {uk(figures.date_to)}: "
            f"{figures.signed:,}. Countersigned by a QA reviewer: "
            f"{rate_words(figures.countersigned, figures.signed)}. Awaiting QA on {uk(d.today)}: "
            f"{figures.awaiting:,}. A QA reviewer — a manager, never the record's own supervisor "
            "or supervisee — samples signed records and countersigns them with comments.",
            st["body"],
        )
    )
    story.append(Spacer(1, 1.5 * mm))
    head = ("Team", "Month", "Signed", "Countersigned", "Awaiting QA", "Sampling rate")
    nums = (2, 3, 4, 5)
    rows: list[list[Flowable | str]] = [
        [markup(escape(h), st["num_head" if n in nums else "head_small"])
         for n, h in enumerate(head)]
    ]  # fmt: skip
    for team in figures.teams:
        cells = [c for c in figures.cells if c.team == team]
        for cell in cells:
            rows.append(_row(team or "(no team)", month_year(cell.month), cell))
        if len(cells) > 1:
            rows.append(_row(team or "(no team)", "Period", figures.team_total(team), total=True))
    total = QaCell("", figures.date_from, figures.signed, figures.countersigned)
    rows.append(_row("All teams", "Period", total, total=True))
    story.append(table(rows, [w * 0.26, w * 0.14, w * 0.12, w * 0.17, w * 0.15, w * 0.16],
                       zebra=True))  # fmt: skip
    return story


def _row(team: str, month: str, cell: QaCell, *, total: bool = False) -> list[Flowable | str]:
    st = styles()
    first = markup(f"<b>{escape(team)}</b>", st["cell"]) if total else para(team, st["cell"])
    return [
        first, para(month, st["cell"]), para(f"{cell.signed:,}", st["num"]),
        para(f"{cell.countersigned:,}", st["num"]), para(f"{cell.awaiting:,}", st["num"]),
        para(_rate(cell), st["num"]),
    ]  # fmt: skip
