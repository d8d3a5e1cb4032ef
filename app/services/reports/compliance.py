"""The team compliance pack for commissioners and inspectors, for a period: laid out from the
figures ``app.services.compliance_data.gather_compliance`` gathered (this module reads no
database).

The policy in force (how often each type is due, per tier), headcount per team, compliance per
type and per team at each month end (the month-end value, never averaged), who is overdue at
the end of the period and by how long, cancellations and their reasons, what became of the
actions agreed, records awaiting sign-off or the supervisee's response, record quality, team
wellbeing as aggregates (no names), the themes raised with a heat map by month, and the
learning log of what supervision changed.

A period that ends after today is cut at today (``ComplianceData.until``) and the first page
says so.

The pack is laid out section by section from ``SECTIONS`` (the figures' sections are in
``compliance_sections``). To add a part: give ``ComplianceData`` a field, fill it in a
``GatherStep`` of ``compliance_data.GATHER_STEPS``, and lay it out in a ``PackSection`` placed
in ``SECTIONS``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from app.dates import uk
from app.domain.model import Tier
from app.services.compliance_data import (
    LAYOUT_STEPS,
    MIN_WORKERS_SHOWN,
    ActionCounts,
    ComplianceData,
    gathered_steps,
)
from app.services.reports.base import (
    BODY_WIDTH,
    RULE,
    KeelDocument,
    KeelTable,
    markup,
    para,
    section,
    styles,
    table,
)
from app.services.reports.common import Cancelled, Progress
from app.services.reports.compliance_sections import (
    TABLE_NEED,
    PackContext,
    PackSection,
    all_actions,
    cancellations_section,
    compliance_section,
    head_row,
    opening,
    overdue_section,
    plural,
    quality_section,
    share,
    sign_off_section,
    summary_section,
)
from app.services.reports.governance import learning_log_section, theme_heatmap_section
from app.services.reports.pack_records import copies_section, escalations_section
from app.services.reports.qa_pack import qa_section


def _cut_notice(d: ComplianceData, width: float) -> KeelTable:
    """The first page's statement that the period asked for runs past today."""
    st = styles()
    words = (
        f"<b>The period asked for ends on {uk(d.date_to)}, after today ({uk(d.today)}).</b> "
        f"Every figure in this pack is counted to {uk(d.until)}: nothing can be overdue before "
        "its due date has passed, so a due date after today is never counted as overdue, and "
        f"the last point of each chart and table is {uk(d.until)}, not {uk(d.date_to)}."
    )
    box = KeelTable([[markup(words, st["body"])]], colWidths=[width])
    box.setStyle(
        [("BOX", (0, 0), (-1, -1), 0.8, RULE), ("LEFTPADDING", (0, 0), (-1, -1), 6),
         ("RIGHTPADDING", (0, 0), (-1, -1), 6), ("TOPPADDING", (0, 0), (-1, -1), 5),
         ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]
    )  # fmt: skip
    return box


def _caps_words(caps: Sequence[tuple[int, int]]) -> str:
    if not caps:
        return "—"
    return "; ".join(f"every {cap} days up to {days} days in post" for days, cap in caps)


def _policy(ctx: PackContext) -> list[Flowable]:
    """The policy behind the figures: each version in force over the period (when it took
    effect, who saved it and why) and its frequencies per risk tier and type."""
    st = styles()
    d = ctx.data
    w = ctx.width
    story = section("The policy in force", need=TABLE_NEED)
    if len(d.policies) <= 1:
        intro = "One version of the service's supervision policy was in force over the period."
    else:
        intro = (
            f"{len(d.policies)} versions of the service's supervision policy were in force over "
            "the period; the compliance table's last row says which one each month end used."
        )
    story.append(para(intro, st["body"]))
    effective = [v.effective_from for v in d.policies[1:]]
    for n, v in enumerate(d.policies):
        until = effective[n] if n < len(effective) else None
        span = v.since
        if until is not None:
            span += f" until {uk(date.fromordinal(until.toordinal() - 1))}"
        saved = v.created_at[:10] if v.created_at else "—"
        who = v.created_by or "not recorded"
        block: list[Flowable] = [
            markup(f"<b>Version {v.version}</b>, in force {escape(span)}", st["h3"]),
            para(f"Saved {saved} by {who}. Reason: {v.reason or 'not given'}.", st["small"]),
            Spacer(1, 1 * mm),
        ]
        policy = v.policy
        rows: list[list[Flowable | str]] = [
            head_row("Type", "High", "Standard", "Low", "First session", "New starters",
                  nums=(1, 2, 3, 4))
        ]  # fmt: skip
        for t in policy.catalogue.active:
            rows.append(
                [para(t.label, st["cell"]),
                 *(para(f"{t.interval(tier)} days", st["num"]) for tier in
                   (Tier.HIGH, Tier.STANDARD, Tier.LOW)),
                 para(f"{t.first_window_days} days", st["num"]),
                 para(_caps_words(policy.caps(t.key)), st["small"])]
            )  # fmt: skip
        block.append(
            table(rows, [w * 0.24, w * 0.1, w * 0.11, w * 0.1, w * 0.13, w * 0.32], zebra=True)
        )
        block.append(
            para(
                f"Intervals are the longest gap between held sessions for each risk tier. "
                f"High tier: at least {policy.high_min_factors_at_3} factors at 3 or a total of "
                f"at least {policy.high_min_total}; low: a total of at most "
                f"{policy.low_max_total} with no factor at 3. Due soon: within "
                f"max({policy.due_soon_min_days}, interval ÷ {policy.due_soon_divisor}) days.",
                st["small"],
            )
        )
        story.append(KeepTogether(block))
        story.append(Spacer(1, 2 * mm))
    return story


def _headcount(ctx: PackContext) -> list[Flowable]:
    st = styles()
    d = ctx.data
    w = ctx.width
    story = opening("Headcount per team", bool(d.headcount), "No worker is recorded.")
    if not d.headcount:
        return story
    rows: list[list[Flowable | str]] = [
        head_row("Team", f"In post on {uk(d.date_from)}", "Joined", "Left",
              f"In post on {uk(d.until)}", "On leave then", nums=(1, 2, 3, 4, 5))
    ]  # fmt: skip
    total = [0, 0, 0, 0, 0]
    for h in d.headcount:
        figures = (h.at_start, h.joined, h.left, h.at_end, h.on_leave)
        total = [a + b for a, b in zip(total, figures, strict=True)]
        rows.append([para(h.team or "(no team)", st["cell"]),
                     *(para(f"{n:,}", st["num"]) for n in figures)])  # fmt: skip
    rows.append([para("All teams", st["label"]), *(para(f"{n:,}", st["num"]) for n in total)])
    story.append(
        table(rows, [w * 0.3, w * 0.15, w * 0.11, w * 0.11, w * 0.18, w * 0.15], zebra=True)
    )
    story.append(
        para(
            "Workers by the team recorded for them now; joined and left count start and leaving "
            "dates within the period.",
            st["small"],
        )
    )
    return story


def _actions(ctx: PackContext) -> list[Flowable]:
    st = styles()
    d = ctx.data
    w = ctx.width
    total = all_actions(d)
    story = opening(
        "What became of the actions agreed",
        bool(total.agreed),
        "No action was agreed in a session in the period.",
        f"{plural(total.agreed, 'action')} agreed in sessions in the period, as they stood on "
        f"{uk(d.until)}: {share(total.on_time, total.agreed)} closed on time, "
        f"{share(total.late, total.agreed)} closed late, {total.dropped:,} dropped, "
        f"{share(total.overdue, total.agreed)} still open after their due date.",
    )
    if not total.agreed:
        return story
    rows: list[list[Flowable | str]] = [
        head_row("Team", "Agreed", "Closed on time", "Closed late", "Dropped", "Open, not yet due",
              "Open and overdue", nums=(1, 2, 3, 4, 5, 6))
    ]  # fmt: skip

    def cells(label: Flowable, c: ActionCounts) -> list[Flowable | str]:
        return [label, *(para(f"{n:,}", st["num"]) for n in
                         (c.agreed, c.on_time, c.late, c.dropped, c.open_not_due, c.overdue))]  # fmt: skip

    for team, counts in d.actions.items():
        rows.append(cells(para(team or "(no team)", st["cell"]), counts))
    rows.append(cells(para("All teams", st["label"]), total))
    story.append(
        table(rows, [w * 0.25, w * 0.1, w * 0.13, w * 0.12, w * 0.11, w * 0.14, w * 0.15],
              zebra=True)
    )  # fmt: skip
    story.append(
        para(
            "On time: closed as done by its due date (or with no due date set). Overdue: still "
            f"open on {uk(d.until)} with a due date before it. An action closed after "
            f"{uk(d.until)} counts as open.",
            st["small"],
        )
    )
    return story


def _wellbeing(ctx: PackContext) -> list[Flowable]:
    st = styles()
    d = ctx.data
    w = ctx.width
    story = opening(
        "Team wellbeing (no names)",
        bool(d.wellbeing),
        "No wellbeing pulse was recorded in the period.",
        "The wellbeing pulse of one-to-one sessions held in the period, per team: counts and an "
        f"average only. A team with pulses from fewer than {MIN_WORKERS_SHOWN} workers is not "
        "shown, so no one can be recognised from the figures.",
    )
    if not d.wellbeing:
        return story
    rows: list[list[Flowable | str]] = [
        head_row("Team", "Sessions", "Workers", "Average wellbeing (1–10)", "Scores of 4 or less",
              "Workload excessive", "Moral distress", "Support offered",
              nums=(1, 2, 3, 4, 5, 6, 7))
    ]  # fmt: skip
    for t in d.wellbeing:
        label = para("All teams", st["label"]) if t.team is None else para(
            t.team or "(no team)", st["cell"])  # fmt: skip
        if not t.shown:
            rows.append([label, para(f"Fewer than {MIN_WORKERS_SHOWN} workers: not shown",
                                     st["small"]), "", "", "", "", "", ""])  # fmt: skip
            continue
        mean = "—" if t.mean is None else f"{t.mean:.1f}"
        rows.append(
            [label, para(f"{t.sessions:,}", st["num"]), para(f"{t.workers:,}", st["num"]),
             para(mean, st["num"]), para(share(t.low, t.scored), st["num"]),
             para(share(t.excessive, t.workload_recorded), st["num"]),
             para(share(t.distress, t.distress_recorded), st["num"]),
             para(f"{t.support:,}", st["num"])]
        )  # fmt: skip
    hidden = [n for n, t in enumerate(d.wellbeing, start=1) if not t.shown]
    spans = [("SPAN", (1, r), (-1, r)) for r in hidden]
    story.append(
        table(rows, [w * 0.2, w * 0.1, w * 0.09, w * 0.13, w * 0.12, w * 0.12, w * 0.12, w * 0.12],
              zebra=True, extra=spans)
    )  # fmt: skip
    story.append(
        para(
            "Shares are of the sessions that recorded that item. Workers by the team recorded "
            "for them now.",
            st["small"],
        )
    )
    return story


def _themes(ctx: PackContext) -> list[Flowable]:
    st = styles()
    d = ctx.data
    w = ctx.width
    story = opening(
        "Themes raised over the period",
        bool(d.themes),
        "No theme was raised in a held session in the period.",
        f"Themes raised in held supervision sessions from {uk(d.date_from)} to {uk(d.until)}, "
        "most raised first: the sessions that raised each (on the session or one of its "
        "decisions) and how many workers and teams they involved.",
    )
    if not d.themes:
        return story
    rows: list[list[Flowable | str]] = [
        head_row("Theme", "Sessions", "Workers", "Teams", nums=(1, 2, 3))
    ]
    for t in d.themes:
        rows.append(
            [para(t.name + (" (retired)" if t.retired else ""), st["cell"]),
             para(f"{t.sessions:,}", st["num"]), para(f"{t.workers:,}", st["num"]),
             para(f"{t.teams:,}", st["num"])]
        )  # fmt: skip
    story.append(table(rows, [w * 0.55, w * 0.15, w * 0.15, w * 0.15], zebra=True))
    return story


def _heat_map(ctx: PackContext) -> list[Flowable]:
    d = ctx.data
    assert d.heat_map is not None, "gather_compliance fills the heat map"
    return theme_heatmap_section(d.heat_map, width=ctx.width, title="Themes by month (heat map)")


def _learning_log(ctx: PackContext) -> list[Flowable]:
    d = ctx.data
    return learning_log_section(d.learning, d.date_from, d.until, width=ctx.width)


# The pack's sections, in order. Each is a ``PackSection``: a function of ``PackContext``
# (gathered data, page width) returning flowables that start with
# ``section(title)``. Callers can also pass their own list to ``build_compliance_pdf``.
SECTIONS: tuple[PackSection, ...] = (
    summary_section,
    _policy,
    _headcount,
    compliance_section,
    overdue_section,
    cancellations_section,
    _actions,
    sign_off_section,
    # The record's QA and copy fields (issue 16): QA sampling, the supervisee's copy on
    # time, escalations.
    qa_section,
    copies_section,
    escalations_section,
    quality_section,
    _wellbeing,
    _themes,
    _heat_map,
    _learning_log,
)


def compliance_story(
    data: ComplianceData,
    *,
    width: float = BODY_WIDTH,
    sections: Sequence[PackSection] = SECTIONS,
) -> list[Flowable]:
    """The pack's flowables, laid out from ``data`` alone."""
    st = styles()
    ctx = PackContext(data, width)
    story: list[Flowable] = [
        markup("Supervision compliance pack", st["title"]),
        para(
            f"{data.service_name}"
            + (f" (registration {data.registration_number})" if data.registration_number else "")
            + f" · {uk(data.date_from)} to {uk(data.until)} · "
            f"{plural(len(data.teams), 'team')}",
            st["subtitle"],
        ),
        Spacer(1, 2 * mm),
    ]
    if data.cut:
        story += [_cut_notice(data, width), Spacer(1, 2 * mm)]
    for build in sections:
        story += build(ctx)
    return story


def build_compliance_pdf(
    data: ComplianceData,
    out: Path,
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    sections: Sequence[PackSection] = SECTIONS,
) -> Path:
    """Write the gathered pack to ``out`` (A4 PDF). ``app.services.compliance_data.
    write_compliance_pack`` gathers and writes in one call.

    ``progress(done, total)`` goes on from where the gathering's stopped; when ``cancelled()``
    turns true the export stops with ``ExportCancelled`` and no file is left at ``out``
    (unless one was there before: it is left as it was).
    """
    existed = out.exists()
    try:
        gathered = gathered_steps(data)
        total = gathered + LAYOUT_STEPS

        def layout_progress(done: int, of: int) -> None:
            if progress is not None:
                progress(gathered + (done * LAYOUT_STEPS) // max(of, 1), total)

        doc = KeelDocument(
            out,
            title="Supervision compliance pack",
            service_name=data.service_name,
            subject=f"{uk(data.date_from)} to {uk(data.until)}",
            time_zone=data.policy.zone(),
        )
        doc.build(
            compliance_story(data, width=doc.width, sections=sections),
            progress=layout_progress,
            cancelled=cancelled,
        )
    except BaseException:
        if not existed:
            with contextlib.suppress(OSError):
                out.unlink()
        raise
    return out


__all__ = [
    "SECTIONS",
    "ComplianceData",
    "PackContext",
    "PackSection",
    "build_compliance_pdf",
    "compliance_story",
]
