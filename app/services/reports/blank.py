"""Blank paper forms, one per supervision type, for sessions held away from the laptop.

The same sections, in the same order, as the on-screen form: details, attendees (group), the
agenda checklist, actions carried forward, case discussion (group), issues discussed,
decisions with rationale, actions, risk and safeguarding, themes, the wellbeing pulse
(one-to-one types), confidential reflective notes and both signature blocks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import tzinfo
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from app.domain.catalogue import TypeSpec
from app.domain.records import (
    SUPERVISEE_DECLARATION,
    SUPERVISOR_DECLARATION,
    Escalation,
    SupportKind,
)
from app.domain.themes import SEEDED_THEMES
from app.services.reports.base import (
    BODY_WIDTH,
    INK,
    RULE,
    SHADE,
    KeelDocument,
    KeelTable,
    heading,
    markup,
    signature_block,
    styles,
    text,
)

BOX = '<font size="11">☐</font>'  # U+2610, drawn by the bundled font, a little larger
LINE_H = 8 * mm  # handwriting line height


def _boxes(labels: Sequence[str]) -> str:
    """Tick boxes in a row, as markup (labels are Keel's own or escaped)."""
    return "&nbsp;&nbsp;&nbsp;".join(f"{BOX}&nbsp;{escape(label)}" for label in labels)


def writing_lines(count: int, width: float, *, label: str = "") -> Table:
    """Ruled lines to write on."""
    st = styles()
    rows: list[list[Flowable | str]] = [[""] for _ in range(count)]
    if label:
        rows[0] = [markup(f"<b>{escape(label)}</b>", st["small"])]
    t = KeelTable(rows, colWidths=[width], rowHeights=[LINE_H] * count, hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return t


def _fields(pairs: Sequence[tuple[str, str]], width: float, cols: int = 2) -> Table:
    """Label + a line to write on (or Keel's own tick-box markup), ``cols`` pairs a row."""
    st = styles()
    cells: list[list[Flowable | str]] = []
    row: list[Flowable | str] = []
    for label, trusted in pairs:
        row += [markup(f"<b>{escape(label)}</b>", st["label"]), markup(trusted, st["cell"])]
        if len(row) == 2 * cols:
            cells.append(row)
            row = []
    if row:
        row += [""] * (2 * cols - len(row))
        cells.append(row)
    label_w = 30 * mm
    value_w = width / cols - label_w
    t = KeelTable(cells, colWidths=[label_w, value_w] * cols,
              rowHeights=[LINE_H] * len(cells))  # fmt: skip
    styles_: list[tuple[object, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    for c in range(cols):
        styles_.append(("LINEBELOW", (2 * c + 1, 0), (2 * c + 1, -1), 0.4, RULE))
    t.setStyle(TableStyle(styles_))
    return t


def _grid(headers: Sequence[str], widths: Sequence[float], rows: int, height: float) -> Table:
    """An empty table to fill in by hand."""
    st = styles()
    head: list[Flowable | str] = [markup(f"<b>{escape(h)}</b>", st["head_small"])
                                  for h in headers]  # fmt: skip
    data: list[list[Flowable | str]] = [head, *([[""] * len(headers)] * rows)]
    t = KeelTable(data, colWidths=list(widths), rowHeights=[None, *([height] * rows)],
              repeatRows=1, hAlign="LEFT")  # fmt: skip
    t.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, INK),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return t


def _tick_grid(labels: Sequence[str], width: float, cols: int = 2) -> Table:
    """Tick boxes laid out in ``cols`` columns."""
    st = styles()
    cells: list[list[Flowable | str]] = []
    for start in range(0, len(labels), cols):
        chunk = labels[start : start + cols]
        row: list[Flowable | str] = [
            markup(f"{BOX}&nbsp;&nbsp;{escape(label)}", st["body"]) for label in chunk
        ]
        row += [""] * (cols - len(row))
        cells.append(row)
    t = KeelTable(cells, colWidths=[width / cols] * cols, hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ]
        )
    )
    return t


def _details(spec: TypeSpec, w: float) -> list[Flowable]:
    pairs: list[tuple[str, str]] = (
        [("Facilitator", ""), ("Job title", ""), ("Date", ""), ("Session no.", "____ of ____ this year"),
         ("Start time", ""), ("End time", ""), ("Total (min)", ""), ("Location", ""),
         ("Attendees (no.)", "")]
        if spec.is_group
        else [("Supervisee", ""), ("Employed since", ""), ("Supervisor", ""),
              ("Job title", ""), ("Date", ""), ("Session no.", "____ of ____ this year"),
              ("Start time", ""), ("End time", ""), ("Total (min)", ""), ("Location", "")]
    )  # fmt: skip
    story: list[Flowable] = [_fields(pairs, w)]
    st = styles()
    story.append(Spacer(1, 2 * mm))
    story.append(markup(f"<b>Mode:</b>&nbsp;&nbsp;{_boxes(['In person', 'Video', 'Phone'])}",
                        st["body"]))  # fmt: skip
    story.append(Spacer(1, 1.5 * mm))
    story.append(
        markup(
            "<b>Status:</b>&nbsp;&nbsp;"
            + _boxes(["Held", "Cancelled", "Did not attend"])
            + "&nbsp;&nbsp;&nbsp;(a cancelled session needs its reason)",
            st["body"],
        )
    )
    story.append(writing_lines(1, w, label="Reason if cancelled"))
    return story


def _block(title: str, *content: Flowable) -> KeepTogether:
    """A section: its heading and everything to fill in, on one page."""
    return KeepTogether([heading(title), *content])


def _note(trusted: str) -> Paragraph:
    return markup(trusted, styles()["small"])


def _words(label: str) -> tuple[str, ...]:
    """A label's words for comparison: case, punctuation and plural -s ignored."""
    words = re.findall(r"[^\W_]+", label.casefold())
    return tuple(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words)


def _group_themes(spec: TypeSpec, themes: Sequence[str], w: float) -> KeepTogether:
    """What the group surfaced and the service's themes as one set of boxes: a theme that says
    the same as an item of the group's list ("Repeated crisis trigger" beside "Repeated crisis
    triggers") gets no box of its own — the item's box, marked †, stands for both."""
    items = [label for _key, label in spec.agenda]
    same = {_words(label) for label in items}
    doubled = {_words(t) for t in themes if _words(t) in same}
    labels = [f"{label} †" if _words(label) in doubled else label for label in items]
    rest = [t for t in themes if _words(t) not in same]
    content: list[Flowable] = (
        [_note(escape(spec.agenda_intro)), _tick_grid(labels, w)] if labels else []
    )
    if rest:
        more = "More themes from the service's list:" if labels else "Themes from the list:"
        content += [Spacer(1, 1.5 * mm), _note(more), _tick_grid(rest, w)]
    if doubled:
        content.append(
            _note("† Also a theme on the service's list: when entering this record in Keel, "
                  "tick it in both lists.")
        )  # fmt: skip
    return _block("Themes surfaced", *content)


def blank_form_story(
    spec: TypeSpec,
    *,
    themes: Sequence[str] = SEEDED_THEMES,
    width: float = BODY_WIDTH,
    copy_days: int = 5,
    footer: Sequence[str] | None = None,
) -> list[Flowable]:
    """The form for the catalogue entry ``spec``: its title, kind and agenda come from it.
    ``footer``: the service, distribution and retention lines (the default policy's when
    not given)."""
    if footer is None:
        from app.domain.policy import Policy
        from app.services.reports.record import record_footer

        footer = record_footer(Policy())
    st = styles()
    w = width
    group = spec.is_group
    agenda = [label for _key, label in spec.agenda]
    story: list[Flowable] = [
        markup(f"{text(spec.label)} record — paper form", st["title"]),
        markup(
            "For a session held away from the laptop. Write clearly; use case codes "
            "(e.g. C-1042), never a person's name. Enter this record into Keel within 5 "
            "working days and keep or destroy this paper as your service's policy says.",
            st["subtitle"],
        ),
        Spacer(1, 2 * mm),
        _block("Session", *_details(spec, w)),
    ]
    if group:
        story.append(
            _block("Attendees (at least two)",
                   _grid(["Name", "Team", "Name", "Team"], [w * 0.3, w * 0.2, w * 0.3, w * 0.2],
                         5, LINE_H))
        )  # fmt: skip
    else:
        if agenda:
            story.append(
                _block(spec.agenda_title, _note(escape(spec.agenda_intro)), _tick_grid(agenda, w))
            )
        story.append(
            _block("Previous actions reviewed",
                   _grid(["Action", "Agreed in (type, date)", "Status", "Note (why if dropped)"],
                         [w * 0.34, w * 0.2, w * 0.2, w * 0.26], 4, 11 * mm),
                   markup("Status: " + _boxes(["Complete", "In progress", "Not started",
                                               "Dropped"]), st["cell"]),
                   _fields([("Still unresolved", "")], w))
        )  # fmt: skip
    if group:
        story.append(
            _block("Case discussion",
                   _note("The case presented (by its code, never a name), the questions the "
                         "group worked on, and what it concluded."),
                   writing_lines(7, w))
        )  # fmt: skip
    story.append(
        _block("Issues discussed",
               _note("What was discussed: cases (by code), pressures, concerns, learning."),
               writing_lines(9, w))
    )  # fmt: skip
    story.append(
        _block("Decisions and guidance",
               _grid(["Decision or guidance", "Rationale (why)"], [w * 0.5, w * 0.5], 4, 16 * mm))
    )  # fmt: skip
    owner = (
        "Responsibility: "
        + _boxes(["Staff member", "Supervisor", "Both", "Other (name)"])
        + (" — and the attendee it is for" if group else "")
    )
    story.append(
        _block("Actions agreed",
               _grid(["Action", "Responsibility", "Target date", "Review date", "Evidence to close"],
                     [w * 0.32, w * 0.18, w * 0.12, w * 0.12, w * 0.26], 5, 12 * mm),
               markup(owner, st["cell"]))
    )  # fmt: skip
    story.append(
        _block("Risk and safeguarding",
               markup("<b>Did this session discuss risk?</b>"
                      f"&nbsp;&nbsp;&nbsp;{_boxes(['Yes', 'No'])}", st["body"]),
               Spacer(1, 1 * mm),
               markup("<b>Safeguarding concerns?</b>"
                      f"&nbsp;&nbsp;&nbsp;{_boxes(['Yes', 'No'])}", st["body"]),
               writing_lines(2, w, label="Safeguarding notes"),
               _fields([("Case refs", ""), ("Referral refs", "")], w),
               _note("Pseudonymous case and referral codes only, never names."))
    )  # fmt: skip
    story.append(
        _block("Incidents since the last session",
               _grid(["Case code", "Learning"], [w * 0.2, w * 0.8], 3, 11 * mm),
               _note("By case code, never a name."))
    )  # fmt: skip
    if group:
        story.append(_group_themes(spec, themes, w))
    else:
        theme_grid = _tick_grid(list(themes), w)
        story.append(_block("Themes", _note("Tick the themes this session touched on."),
                            theme_grid))  # fmt: skip
        scale = "&nbsp;&nbsp;".join(f"{BOX}&nbsp;{n}" for n in range(1, 11))
        story.append(
            _block("Wellbeing pulse",
                   markup(f"<b>Wellbeing:</b>&nbsp;&nbsp;{scale}", st["body"]),
                   _note("1 = struggling, 10 = thriving"),
                   Spacer(1, 1.5 * mm),
                   markup("<b>Workload:</b>&nbsp;&nbsp;"
                          + _boxes(["Manageable", "Challenging", "Excessive"]), st["body"]),
                   writing_lines(1, w, label="Support measures agreed"),
                   Spacer(1, 1.5 * mm),
                   markup(f"<b>Moral distress:</b>&nbsp;&nbsp;{_boxes(['Yes', 'No'])}",
                          st["body"]),
                   Spacer(1, 1.5 * mm),
                   markup("<b>Sickness absence since the last session:</b> ______ days"
                          f"&nbsp;&nbsp;&nbsp;<b>Return to work done:</b>&nbsp;"
                          f"{_boxes(['Yes', 'No', 'n/a'])}", st["body"]),
                   writing_lines(2, w, label="Stress or wellbeing concerns raised"),
                   markup("<b>Support offered:</b>&nbsp;&nbsp;"
                          + _boxes([k.label for k in SupportKind]), st["body"]),
                   writing_lines(2, w, label="Support notes"))
        )  # fmt: skip
        story.append(
            _block("The staff member's comments", writing_lines(3, w))
        )  # fmt: skip
        story.append(
            _block("Escalation",
                   markup(_boxes([e.label for e in Escalation]), st["body"]),
                   writing_lines(1, w, label="Notes"))
        )  # fmt: skip
    story.append(
        _block("Next session",
               _fields([("Date", ""), ("Time", ""), ("Place", ""),
                        ("Frequency", "the worker's interval")], w),
               writing_lines(2, w, label="Focus areas"))
    )  # fmt: skip
    story.append(
        _block("Confidential reflective notes",
               _note("Confidential — left out of reports and exports unless asked for. "
                     "Optional."),
               writing_lines(4, w))
    )  # fmt: skip
    half = (w - 6 * mm) / 2
    signatures = KeelTable(
        [[signature_block("Facilitator" if group else "Supervisor", "", "Signed on paper", st,
                          half), "",
          signature_block("Attendee (for the group)" if group else "Supervisee", "",
                          "Acknowledged ☐   Disagrees ☐ (see comment)", st, half)]],
        colWidths=[half, 6 * mm, half], hAlign="LEFT",
    )  # fmt: skip
    signatures.setStyle(
        TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)])
    )
    declarations = [_note(f"<b>Supervisor's declaration:</b> “{escape(SUPERVISOR_DECLARATION)}.”")]
    if not group:
        declarations += [
            _note(f"<b>Supervisee's declaration:</b> “{escape(SUPERVISEE_DECLARATION)}.”"),
            _fields([("Copy given on", ""), ("Due by", f"{copy_days} working days")], w),
        ]
    story.append(
        _block("Declarations and sign-off",
               *declarations,
               _note(("The facilitator signs that this record is accurate; an attendee may "
                      "write here what they disagree with.") if group else
                     ("The supervisor signs that this record is accurate. The supervisee "
                      "acknowledges it, or writes here what they disagree with.")),
               writing_lines(2, w, label="Comment or disagreement" if group
                             else "Supervisee's comment or disagreement"),
               Spacer(1, 3 * mm), signatures,
               Spacer(1, 3 * mm), *(_note(escape(line)) for line in footer))
    )  # fmt: skip
    return story


def build_blank_form_pdf(
    spec: TypeSpec,
    out: Path,
    *,
    service_name: str,
    themes: Sequence[str] = SEEDED_THEMES,
    time_zone: tzinfo | None = None,
    copy_days: int = 5,
    footer: Sequence[str] | None = None,
) -> Path:
    """Write a blank paper form for the type ``spec`` to ``out`` (A4 PDF). ``themes``
    defaults to the seeded list; pass the service's own list to match its screens."""
    doc = KeelDocument(
        out,
        title=f"{spec.label} — paper form",
        service_name=service_name,
        time_zone=time_zone,
    )
    doc.build(
        blank_form_story(spec, themes=themes, width=doc.width, copy_days=copy_days, footer=footer)
    )
    return out
