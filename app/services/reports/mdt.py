"""The agenda of a governance forum's meeting as a PDF, laid out from the ``MdtAgenda`` that
``app.services.agenda.mdt_agenda`` gathered (this module reads no database;
``app.services.agenda.write_mdt_agenda`` gathers and writes in one call).

Built for the meeting room: numbered parts, each item with what the forum is asked to do and
ruled space to write its outcome, owner and date, and a table for the actions the meeting
agrees. Overdue actions and workers are counted to the meeting date or today, whichever is
earlier, and the page says which. It holds no confidential reflective notes and no session
narrative: sources are dates, types and case references only.
"""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle

from app.dates import uk
from app.domain.catalogue import Catalogue
from app.domain.governance import ItemStatus
from app.services.agenda import AgendaItem, MdtAgenda
from app.services.reports.base import (
    BODY_WIDTH,
    RULE,
    SHADE,
    KeelDocument,
    KeelTable,
    markup,
    para,
    section,
    styles,
    table,
    text,
    truncate,
)
from app.services.reports.common import Cancelled, Progress

_ASK = {
    ItemStatus.RAISED: "To consider and decide",
    ItemStatus.TABLED: "Carried over: to decide",
    ItemStatus.DECIDED: "Decided: report the change made, then close",
}
_OWNER = {"supervisor": "Supervisor", "other": "Other"}


def _head(*labels: str) -> list[Flowable | str]:
    st = styles()
    return [markup(f"<b>{escape(h)}</b>", st["cell"]) for h in labels]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _status_line(a: AgendaItem) -> str:
    item = a.item
    if item.status is ItemStatus.RAISED:
        return f"Raised {uk(item.raised_on)}"
    line = f"raised {uk(item.raised_on)}"
    if item.status is ItemStatus.TABLED:
        return f"Tabled {uk(item.tabled_on)} ({line})"
    return f"Decided {uk(item.decided_on)} ({line}, tabled {uk(item.tabled_on)})"


def _sources_line(a: AgendaItem, cat: Catalogue) -> str:
    if not a.sources:
        return f"{a.item.source.label}; no session linked."
    dates = sorted(s.session_date for s in a.sources)
    span = uk(dates[0]) if dates[0] == dates[-1] else f"{uk(dates[0])} to {uk(dates[-1])}"
    types = sorted({cat.name(s.type).lower() for s in a.sources})
    line = f"{_plural(len(a.sources), 'session')} ({', '.join(types)}), {span}."
    refs = a.case_refs
    if refs:
        shown = ", ".join(refs[:12]) + (f" and {len(refs) - 12} more" if len(refs) > 12 else "")
        line += f" Case references: {shown}."
    return line


OUTCOME_LINE = 6.5 * mm


def outcome_space(width: float) -> KeelTable:
    """Ruled lines to write an item's outcome on, then its owner and date."""
    st = styles()
    labels = ["Outcome:", "", "", "Owner:", "By:"]
    rows: list[list[Flowable | str]] = [
        [markup(escape(label), st["small"]) if label else ""] for label in labels
    ]
    t = KeelTable(rows, colWidths=[width], rowHeights=[OUTCOME_LINE] * len(rows))
    t.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return t


def _items(agenda: MdtAgenda, width: float) -> list[Flowable]:
    st = styles()
    story = section(f"1. Governance items for the {agenda.forum.label}", need=60 * mm)
    if not agenda.items:
        story.append(para(f"No open item for the {agenda.forum.label}.", st["body"]))
        return story
    widths = [width * 0.05, width * 0.35, width * 0.22, width * 0.12, width * 0.26]
    rows: list[list[Flowable | str]] = [
        _head("#", "Item", "From supervision", "Asked", "Outcome (write here)")
    ]
    for n, a in enumerate(agenda.items, start=1):
        item = a.item
        lines = [f"<b>{text(item.title)}</b>"]
        if item.theme_name and item.theme_name != item.title:
            lines.append(f"<i>Theme: {text(item.theme_name)}</i>")
        if item.description:
            lines.append(text(truncate(item.description, 600)))
        if item.decision:
            lines.append(f"<b>Decision:</b> {text(item.decision)}")
        if item.change_made:
            lines.append(f"<b>Change made:</b> {text(item.change_made)}")
        lines.append(f'<font size="7.5" color="#555555">{text(_status_line(a))}</font>')
        rows.append(
            [para(str(n), st["cell"]), markup("<br/>".join(lines), st["cell"]),
             para(_sources_line(a, agenda.catalogue), st["cell"]),
             para(_ASK[item.status], st["cell"]),
             outcome_space(widths[4] - 8)]
        )  # fmt: skip
    story.append(table(rows, widths))
    return story


def _trends(agenda: MdtAgenda, width: float) -> list[Flowable]:
    st = styles()
    story = section(f"2. Themes from supervision {agenda.since_words}")
    if not agenda.trends:
        story.append(para("No theme was raised in held supervision in this period.", st["body"]))
        return story
    rows: list[list[Flowable | str]] = [_head("Theme", "Sessions", "Workers", "Trend alert")]
    for t in agenda.trends:
        rows.append(
            [para(t.name, st["cell"]), para(t.sessions_text, st["num"]),
             para(str(t.workers), st["num"]),
             para(f"Yes: {t.alert_text}" if t.alert else "—", st["cell"])]
        )  # fmt: skip
    story.append(table(rows, [width * 0.30, width * 0.11, width * 0.11, width * 0.48], zebra=True))
    story.append(
        para(
            f"Sessions and workers count held sessions from {uk(agenda.since)} to "
            f"{uk(agenda.meeting_date)}; a group session counts once, and its attendees as one "
            "worker. A trend alert follows the service's rule on the meeting date (its window "
            "may be longer), as the Governance screen shows it that day.",
            st["small"],
        )
    )
    return story


def _actions(agenda: MdtAgenda, width: float) -> list[Flowable]:
    st = styles()
    cat = agenda.catalogue
    story = section("3. Overdue actions that need the team", need=60 * mm)
    story.append(para(agenda.counted_words, st["small"]))
    if not agenda.overdue_actions:
        story.append(
            para("No action owned by a supervisor or someone else is overdue.", st["body"])
        )
        return story
    rows: list[list[Flowable | str]] = [
        _head("Action", "Owner", "Due", "From supervision of", "Evidence to close")
    ]
    for a in agenda.overdue_actions:
        owner = _OWNER.get(a.owner.value, "") if a.owner else ""
        if a.owner_name:
            owner = f"{owner} ({a.owner_name})" if owner else a.owner_name
        rows.append(
            [para(a.description, st["cell"]), para(owner or "—", st["cell"]),
             para(f"{uk(a.due_date)} ({_plural(a.days_overdue, 'day')} overdue)", st["cell"]),
             para(f"{a.worker_name}, {cat.name(a.session_type).lower()} {uk(a.session_date)}",
                  st["cell"]),
             para(a.evidence or "—", st["cell"])]
        )  # fmt: skip
    story.append(
        table(rows, [width * 0.31, width * 0.16, width * 0.15, width * 0.18, width * 0.20])
    )
    return story


def _workers(agenda: MdtAgenda, width: float) -> list[Flowable]:
    st = styles()
    story = section("4. Overdue clinical supervision with a high-risk caseload", need=60 * mm)
    story.append(para(agenda.counted_words, st["small"]))
    if not agenda.overdue_high_risk:
        story.append(
            para("No worker with a high-risk caseload is overdue for clinical supervision.",
                 st["body"])
        )  # fmt: skip
        return story
    rows: list[list[Flowable | str]] = [
        _head("Worker", "Team and role", "Last clinical", "Was due", "Overdue by", "Booked")
    ]
    # With more than one type of a clinical nature, each row says which one is overdue.
    several = sum(1 for t in agenda.catalogue.active if t.qualified_supervisor) > 1
    for w in agenda.overdue_high_risk:
        name = f"{w.name} ({agenda.catalogue.name(w.type).lower()})" if several else w.name
        rows.append(
            [para(name, st["cell"]), para(f"{w.team} · {w.role}".strip(" ·"), st["cell"]),
             para(uk(w.last_held, "None on record"), st["cell"]), para(uk(w.due), st["cell"]),
             para(_plural(w.days_overdue, "day"), st["cell"]),
             para(uk(w.booked, "Not booked"), st["cell"])]
        )  # fmt: skip
    story.append(
        table(
            rows,
            [width * 0.2, width * 0.27, width * 0.14, width * 0.13, width * 0.12, width * 0.14],
        )
    )
    return story


def _agreed(width: float) -> list[Flowable]:
    """A table to write the actions the meeting agrees in."""
    story = section("5. Actions agreed at this meeting", need=60 * mm)
    rows: list[list[Flowable | str]] = [_head("Action", "Owner", "By when", "Item #")]
    rows += [["", "", "", ""] for _ in range(6)]
    t = KeelTable(
        rows,
        colWidths=[width * 0.55, width * 0.2, width * 0.15, width * 0.1],
        rowHeights=[None, *([9 * mm] * 6)],
        repeatRows=1,
    )
    t.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, RULE),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(t)
    return story


def _closed(agenda: MdtAgenda, width: float) -> list[Flowable]:
    st = styles()
    if not agenda.closed_since:
        return []
    story = section("For information: items closed since the last meeting")
    rows: list[list[Flowable | str]] = [_head("Item", "Closed", "Change made")]
    for item in agenda.closed_since:
        rows.append(
            [para(item.title, st["cell"]), para(uk(item.closed_on), st["cell"]),
             para(item.change_made or "No change needed.", st["cell"])]
        )  # fmt: skip
    story.append(table(rows, [width * 0.35, width * 0.15, width * 0.5]))
    return story


def _summary(agenda: MdtAgenda, width: float) -> Table:
    """Four figures in a row, each with what it counts."""
    st = styles()
    figure = ParagraphStyle("figure", parent=st["title"], fontSize=15, leading=18, spaceAfter=0)
    alerts = sum(1 for t in agenda.trends if t.alert)
    cells = [
        (len(agenda.items), "open governance items" if len(agenda.items) != 1 else
         "open governance item"),
        (alerts, "theme trend alerts" if alerts != 1 else "theme trend alert"),
        (len(agenda.overdue_actions), "overdue actions that need the team"),
        (len(agenda.overdue_high_risk), "high-risk workers overdue for clinical supervision"),
    ]  # fmt: skip
    row = [[para(str(n), figure), para(label, st["small"])] for n, label in cells]
    t = KeelTable([row], colWidths=[width / 4] * 4, hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.4, RULE),
                ("INNERGRID", (0, 0), (-1, -1), 0.4, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return t


def mdt_agenda_story(
    agenda: MdtAgenda, *, service_name: str, width: float = BODY_WIDTH
) -> list[Flowable]:
    """The agenda's flowables (title, summary, the four parts, closing note)."""
    st = styles()
    scope = agenda.team or "All teams"
    story: list[Flowable] = [
        markup(f"{escape(agenda.forum.label)} — agenda", st["title"]),
        para(
            f"{service_name} · {scope} · meeting on {uk(agenda.meeting_date)} · last meeting: "
            f"{uk(agenda.last_meeting, 'none recorded')}",
            st["subtitle"],
        ),
        Spacer(1, 3 * mm),
        _summary(agenda, width),
    ]
    story += _items(agenda, width)
    story += _trends(agenda, width)
    story += _actions(agenda, width)
    story += _workers(agenda, width)
    story += _agreed(width)
    story += _closed(agenda, width)
    story.append(Spacer(1, 4 * mm))
    story.append(
        KeepTogether(
            [
                para(
                    "Drawn from supervision records in Keel. No confidential reflective notes "
                    "are included, and people who use the service appear by case reference "
                    "only.",
                    st["small"],
                ),
            ]
        )
    )
    return story


def build_mdt_agenda_pdf(
    agenda: MdtAgenda,
    out: Path,
    *,
    service_name: str,
    time_zone: tzinfo,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> Path:
    """Write the gathered agenda to ``out`` (A4 PDF), headed with ``service_name``; the
    "Printed" time is shown in ``time_zone`` (the policy's)."""
    doc = KeelDocument(
        out,
        title=f"{agenda.forum.label} agenda",
        service_name=service_name,
        subject=f"Agenda for {uk(agenda.meeting_date)}",
        time_zone=time_zone,
    )
    doc.build(
        mdt_agenda_story(agenda, service_name=service_name, width=doc.width),
        progress=progress,
        cancelled=cancelled,
    )
    return out
