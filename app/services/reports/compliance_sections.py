"""The compliance pack's figures, laid out (``app.services.reports.compliance`` puts them in
order): the summary, compliance at each month end (charts and tables), who is overdue at the
end, cancellations and their reasons, records awaiting sign-off and record quality. The
service pack (``service_pack``) lays its figures out with the same sections.

Each section is a ``PackSection``: a function of ``PackContext`` (the gathered
``ComplianceData`` and the page width) returning flowables that start with ``section(title)``.
Nothing here reads a database: the figures are gathered by ``app.services.compliance_data``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from app.dates import uk
from app.domain.model import TypeKey
from app.domain.rows import SessionLine
from app.domain.schedule import Compliance
from app.services.compliance_data import ActionCounts, ComplianceData, MonthPoint
from app.services.reports.base import clean, markup, para, section, styles, table, truncate
from app.services.reports.charts import (
    Series,
    balanced_blocks,
    bar_chart,
    bar_label_width,
    line_chart,
)

# Lists longer than this print their first (oldest or worst) entries and say how many more.
LIST_LIMIT = 150
# Up to this many teams the team chart shows each team's line over the months; beyond it, a
# bar per team at the end of the period (forty lines on one chart read as nothing).
TEAM_LINES_MAX = 6
# A large service's team bars are cut into charts of at most this many teams, each on the same
# axis and balanced: 84 teams print as two charts of 42, each filling most of a page. 50 bars
# and the heading take 637 pt of the frame's 694 (a chart taller than the frame cannot print).
TEAM_BARS_PER_CHART = 50
# A heading, an introduction and a table's first rows start on the same page.
TABLE_NEED = 60 * mm
MONTHS_PER_TABLE = 13  # a year of month ends and the period's end fit one table

GAP_LABELS = {
    "issues": "Issues discussed is empty",
    "decision": "No decision or guidance recorded",
    "rationale": "A decision has no rationale",
    "action": "An action lacks an owner or due date",
    "risk": "Risk / safeguarding question unanswered",
    "risk_refs": "Risk linked but no case reference",
    "qualified": "Clinical supervisor not marked qualified",
    "attendees": "Group with fewer than two attendees",
    "supervisor": "No supervisor recorded",
}


@dataclass(frozen=True, slots=True)
class PackContext:
    """What a section needs: the gathered data and the width of the page's frame."""

    data: ComplianceData
    width: float


PackSection = Callable[[PackContext], list[Flowable]]


# Sections --------------------------------------------------------------------------------


def head_row(*labels: str, nums: Sequence[int] = ()) -> list[Flowable | str]:
    """A header row; the columns in ``nums`` hold numbers and are right-aligned."""
    st = styles()
    return [
        markup(escape(h), st["num_head" if n in nums else "head_small"])
        for n, h in enumerate(labels)
    ]


def pct(c: Compliance | None) -> str:
    if c is None or c.percent is None:
        return "—"
    return f"{c.percent:.0f}%"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else many or word + 's'}"


def summary_section(ctx: PackContext) -> list[Flowable]:
    st = styles()
    d = ctx.data
    end = d.points[-1]
    first = d.points[0]
    overall = end.table.get((None, None), Compliance(0, 0))
    start_overall = first.table.get((None, None), Compliance(0, 0))
    scheduled = d.held + len(d.cancelled) + d.dna
    with_gaps = sum(1 for _team, gaps in d.quality if gaps)
    rows: list[list[Flowable | str]] = [
        head_row("Measure", "Figure"),
        [para(f"Compliance on {uk(end.on)} (all types)", st["cell"]),
         para(f"{pct(overall)} ({overall.compliant:,} of {overall.counted:,} worker–type "
              f"pairs not overdue)", st["cell"])],
        [para(f"Compliance on {uk(first.on)} (first point)", st["cell"]),
         para(pct(start_overall), st["cell"])],
        [para(f"Overdue on {uk(end.on)}", st["cell"]),
         para(f"{plural(len(d.overdue), 'pair')} for {plural(d.overdue_workers, 'worker')}",
              st["cell"])],
        [para("Sessions held in the period", st["cell"]), para(f"{d.held:,}", st["cell"])],
        [para("Cancelled / did not attend", st["cell"]),
         para(f"{len(d.cancelled):,} cancelled, {d.dna:,} did not attend"
              + (f" ({100 * (len(d.cancelled) + d.dna) / scheduled:.0f}% of "
                 f"{scheduled:,} sessions)" if scheduled else ""), st["cell"])],
        [para("Records awaiting the supervisor's sign-off", st["cell"]),
         para(f"{len(d.unsigned):,}", st["cell"])],
        [para("Signed records awaiting the supervisee", st["cell"]),
         para(f"{len(d.awaiting):,}", st["cell"])],
        [para("Held records with a quality gap", st["cell"]),
         para(f"{with_gaps:,} of {d.held:,}"
              + (f" ({100 * with_gaps / d.held:.0f}%)" if d.held else ""), st["cell"])],
    ]  # fmt: skip
    in_post = sum(h.at_end for h in d.headcount)
    actions = all_actions(d)
    rows.insert(1, [para(f"Workers in post on {uk(end.on)}", st["cell"]),
                    para(f"{in_post:,} in {plural(len(d.headcount), 'team')}", st["cell"])])  # fmt: skip
    if actions.agreed:
        rows.append(
            [para("Actions agreed in the period", st["cell"]),
             para(f"{actions.agreed:,}: {share(actions.on_time, actions.agreed)} closed on time, "
                  f"{actions.overdue:,} open and overdue on {uk(end.on)}", st["cell"])]
        )  # fmt: skip
    w = ctx.width
    return [
        *section("Summary"),
        table(rows, [w * 0.45, w * 0.55]),
        Spacer(1, 2 * mm),
        para(
            "Compliance on a date is the share of (worker in post, supervision type their role "
            "requires, not on leave) pairs that are not overdue under the service's policy. "
            "Each point is the value on that month end, never an average. "
            + (
                f"* {uk(end.on)} is the end of the period, not a month end."
                if not end.month_end
                else ""
            ),
            st["small"],
        ),
    ]


def _series(
    points: Sequence[MonthPoint], key: tuple[str | None, TypeKey | None]
) -> list[tuple[float, float | None]]:
    return [
        (float(n), p.table[key].percent if key in p.table else None) for n, p in enumerate(points)
    ]


def compliance_section(ctx: PackContext) -> list[Flowable]:
    st = styles()
    d = ctx.data
    w = ctx.width
    points = d.points
    x_labels = [(float(n), p.label) for n, p in enumerate(points)]
    story: list[Flowable] = section("Compliance at each month end")
    type_series = [Series("All types", _series(points, (None, None)))] + [
        Series(d.catalogue.name(t), _series(points, (None, t))) for t in d.types
    ]
    chart_args = {
        "width": w,
        "height": 56 * mm,
        "y_range": (0.0, 100.0),
        "y_ticks": [0, 25, 50, 75, 100],
        "y_format": "{:.0f}%",
        "x_range": (-0.3, max(len(points) - 1, 1) + 0.3),
    }
    story.append(
        KeepTogether(
            [
                markup("<b>By supervision type</b>", st["h3"]),
                line_chart(type_series, x_labels, **chart_args),
            ]
        )
    )
    story.append(Spacer(1, 3 * mm))
    if len(d.teams) <= TEAM_LINES_MAX:
        team_series = [Series(t or "(no team)", _series(points, (t, None))) for t in d.teams]
        chart = line_chart(team_series, x_labels, **chart_args)
        story.append(KeepTogether([markup("<b>By team (all types)</b>", st["h3"]), chart]))
    else:
        story += _team_bars(ctx)
    story += _compliance_tables(ctx)
    return story


def _team_bars(ctx: PackContext) -> list[Flowable]:
    """A bar per team on the last point, lowest first: one chart, or for a large service
    several charts of at most ``TEAM_BARS_PER_CHART`` bars (each fits a page, all on the same
    axis), headed "(1 of 2, teams 1–42 of 84)" and so on."""
    st = styles()
    end = ctx.data.points[-1]
    bars = sorted(
        ((t or "(no team)", end.table[(t, None)].percent) for t in ctx.data.teams
         if (t, None) in end.table),
        key=lambda b: (b[1] is None, b[1] if b[1] is not None else 0.0, b[0].casefold()),
    )  # fmt: skip
    title = f"By team on {uk(end.on)} (all types), lowest first"
    blocks = balanced_blocks(bars, TEAM_BARS_PER_CHART)
    label_w = bar_label_width(bars, ctx.width)  # one label column and axis for every block
    story: list[Flowable] = []
    first = 1
    for n, block in enumerate(blocks, start=1):
        heading = title
        if len(blocks) > 1:
            last = first + len(block) - 1
            heading += f" ({n} of {len(blocks)}, teams {first}–{last} of {len(bars)})"
            first = last + 1
        chart = bar_chart(block, width=ctx.width, label_width=label_w)
        story.append(KeepTogether([markup(f"<b>{escape(heading)}</b>", st["h3"]), chart]))
    return story


def _compliance_tables(ctx: PackContext) -> list[Flowable]:
    st = styles()
    d = ctx.data
    w = ctx.width
    story: list[Flowable] = []
    keys: list[tuple[str, tuple[str | None, TypeKey | None], bool]] = [
        ("All types, all teams", (None, None), True),
        *((d.catalogue.name(t), (None, t), False) for t in d.types),
        *((f"{team or '(no team)'}", (team, None), False) for team in d.teams),
    ]
    tables = -(-len(d.points) // MONTHS_PER_TABLE)  # ceil: balanced tables, no stub of one
    per_table = -(-len(d.points) // tables)
    for start in range(0, len(d.points), per_table):
        chunk = d.points[start : start + per_table]
        label_w = w * 0.22
        col_w = (w - label_w) / max(len(chunk), 6)
        rows: list[list[Flowable | str]] = [
            [markup("<b>Month end</b>", st["head_small"]),
             *(markup("<b>" + "<br/>".join(escape(w) for w in p.label.split()) + "</b>",
                      st["num_head"]) for p in chunk)]
        ]  # fmt: skip
        for n, (label, key, bold) in enumerate(keys):
            if n == 1:
                rows.append([markup("<i>By type</i>", st["small"]), *("" for _ in chunk)])
            if n == 1 + len(d.types):
                rows.append([markup("<i>By team (all types)</i>", st["small"]),
                             *("" for _ in chunk)])  # fmt: skip
            cell_style = st["label"] if bold else st["cell"]
            rows.append(
                [para(label, cell_style),
                 *(para(pct(p.table.get(key)), st["num_small"]) for p in chunk)]
            )  # fmt: skip
        # Which policy version each point was computed under (they may differ in a period).
        rows.append(
            [para("Policy version", st["small"]),
             *(para(f"v{p.policy_version}" if p.policy_version else "—", st["num_small"])
               for p in chunk)]
        )  # fmt: skip
        title = "Compliance table"
        if tables > 1:
            title += f" ({chunk[0].label} to {chunk[-1].label})"
        story += section(title)
        tight = [("LEFTPADDING", (1, 0), (-1, -1), 1.5), ("RIGHTPADDING", (1, 0), (-1, -1), 2.5)]
        story.append(table(rows, [label_w, *([col_w] * len(chunk))], zebra=True, extra=tight))
    # Team × type on the last point, with the counts behind each percentage.
    end = d.points[-1]
    story += section(f"By team and type on {uk(end.on)}")
    n_types = len(d.types)
    rows = [
        head_row(
            "Team",
            *(d.catalogue.name(t) for t in d.types),
            "All types",
            nums=tuple(range(1, n_types + 2)),
        )
    ]
    for team in [None, *d.teams]:
        label = "All teams" if team is None else team or "(no team)"
        cells: list[Flowable | str] = [para(label, st["label"] if team is None else st["cell"])]
        for type_ in [*d.types, None]:
            c = end.table.get((team, type_))
            cells.append(
                para(f"{pct(c)} ({c.compliant}/{c.counted})" if c and c.counted else "—",
                     st["num"])
            )  # fmt: skip
        rows.append(cells)
    story.append(table(rows, [w * 0.32, *([w * 0.68 / (n_types + 1)] * (n_types + 1))], zebra=True))
    story.append(
        para(
            "Each cell: compliance (pairs not overdue / pairs counted). "
            "Pairs for workers on leave or not required to have that type are not counted.",
            st["small"],
        )
    )
    return story


def overdue_section(ctx: PackContext) -> list[Flowable]:
    st = styles()
    d = ctx.data
    w = ctx.width
    story = section(f"Overdue on {uk(d.until)}, worst first", need=TABLE_NEED)
    if not d.overdue:
        story.append(para("No one was overdue at the end of the period.", st["body"]))
        return story
    story.append(
        para(
            f"{plural(len(d.overdue), 'supervision')} overdue for "
            f"{plural(d.overdue_workers, 'worker')}. Days overdue are counted to "
            f"{uk(d.until)}; “no evidence” means none was ever recorded.",
            st["body"],
        )
    )
    story.append(Spacer(1, 1.5 * mm))
    rows: list[list[Flowable | str]] = [
        head_row("Worker", "Team", "Type", "Was due", "Days", "Why", nums=(4,))
    ]
    shown = d.overdue[: LIST_LIMIT * 2]
    for o in shown:
        rows.append(
            [para(o.worker, st["cell"]), para(o.team or "—", st["cell"]),
             para(d.catalogue.name(o.type), st["cell"]), para(uk(o.due, "—"), st["cell"]),
             para("no evidence" if o.days is None else f"{o.days:,}", st["num"]),
             para(truncate(o.reason, 220), st["small"])]
        )  # fmt: skip
    story.append(
        table(rows, [w * 0.16, w * 0.17, w * 0.145, w * 0.12, w * 0.075, w * 0.33], zebra=True)
    )
    story += _more(len(d.overdue) - len(shown), "overdue supervision")
    return story


def _more(hidden: int, what: str) -> list[Flowable]:
    if hidden <= 0:
        return []
    return [
        para(
            f"… and {plural(hidden, 'more ' + what, 'more ' + what + 's')}, not listed here "
            "(the list stops at the first ones, in the order shown).",
            styles()["small"],
        )
    ]


def _reason_key(reason: str) -> str:
    return " ".join(clean(reason).split()).casefold()


def cancellations_section(ctx: PackContext) -> list[Flowable]:
    st = styles()
    d = ctx.data
    w = ctx.width
    story = section("Cancellations and their reasons", need=TABLE_NEED)
    scheduled = d.held + len(d.cancelled) + d.dna
    if not d.cancelled:
        story.append(para("No session was cancelled in the period.", st["body"]))
        if d.dna:
            story.append(para(f"{plural(d.dna, 'session')} did not take place because "
                              "the supervisee did not attend.", st["body"]))  # fmt: skip
        return story
    story.append(
        para(
            f"{plural(len(d.cancelled), 'session')} cancelled and {d.dna:,} not attended, of "
            f"{scheduled:,} sessions dated in the period (planned sessions not counted).",
            st["body"],
        )
    )
    story.append(Spacer(1, 1.5 * mm))
    counts: dict[str, Counter[TypeKey]] = defaultdict(Counter)
    spelling: dict[str, Counter[str]] = defaultdict(Counter)
    for c in d.cancelled:
        key = _reason_key(c.cancel_reason)
        counts[key][c.type] += 1
        spelling[key][" ".join(clean(c.cancel_reason).split())] += 1
    order = sorted(counts, key=lambda k: (-sum(counts[k].values()), k))
    # The types of the pack, and any other type a cancelled session has (a retired one).
    kinds = [*d.types, *sorted({c.type for c in d.cancelled} - set(d.types))]
    rows: list[list[Flowable | str]] = [
        head_row(
            "Reason",
            *(d.catalogue.name(t) for t in kinds),
            "Total",
            "Share",
            nums=tuple(range(1, len(kinds) + 3)),
        )
    ]
    for key in order:
        total = sum(counts[key].values())
        rows.append(
            [para(spelling[key].most_common(1)[0][0], st["cell"]),
             *(para(f"{counts[key][t]:,}", st["num"]) for t in kinds),
             para(f"{total:,}", st["num"]),
             para(f"{100 * total / len(d.cancelled):.0f}%", st["num"])]
        )  # fmt: skip
    per_type = w * 0.39 / len(kinds) if kinds else 0
    story.append(
        table(rows, [w * 0.37, *([per_type] * len(kinds)), w * 0.12, w * 0.12], zebra=True)
    )
    story += section("Cancelled sessions")
    rows = [head_row("Date", "Type", "Supervisee", "Supervisor", "Reason")]
    shown = d.cancelled[: LIST_LIMIT * 2]
    for c in shown:
        who = c.worker_name or f"Group ({plural(c.attendees, 'attendee')})"
        rows.append(
            [para(uk(c.session_date), st["cell"]), para(d.catalogue.name(c.type), st["cell"]),
             para(who, st["cell"]), para(c.supervisor_name or "—", st["cell"]),
             para(truncate(c.cancel_reason, 200), st["cell"])]
        )  # fmt: skip
    story.append(table(rows, [w * 0.13, w * 0.15, w * 0.2, w * 0.2, w * 0.32], zebra=True))
    story += _more(len(d.cancelled) - len(shown), "cancelled session")
    return story


def sign_off_section(ctx: PackContext) -> list[Flowable]:
    st = styles()
    d = ctx.data
    w = ctx.width
    story = section("Records awaiting sign-off", need=TABLE_NEED)
    if not d.unsigned and not d.awaiting:
        story.append(
            para(
                "Every record held in the period is signed by the supervisor and answered by "
                "the supervisee.",
                st["body"],
            )
        )
        return story
    story.append(
        para(
            f"Held in the period and, on {uk(d.today)}: {plural(len(d.unsigned), 'record')} "
            f"not yet signed by the supervisor; {plural(len(d.awaiting), 'signed record')} "
            "awaiting the supervisee's acknowledgement (a group record counts once, as "
            "awaiting, while any of its attendees has not yet acknowledged it or recorded "
            "disagreement in their own name). Policy: the supervisee has a copy within "
            f"{d.policy.copy_deadline_working_days} working days.",
            st["body"],
        )
    )
    by_sup: dict[str, list[SessionLine]] = defaultdict(list)
    by_sup_awaiting: Counter[str] = Counter()
    for line in d.unsigned:
        by_sup[line.supervisor_name or "No supervisor recorded"].append(line)
    for line in d.awaiting:
        by_sup_awaiting[line.supervisor_name or "No supervisor recorded"] += 1
    rows: list[list[Flowable | str]] = [
        head_row(
            "Supervisor", "Awaiting sign-off", "Oldest unsigned", "Awaiting supervisee", nums=(1, 3)
        )
    ]
    for name in sorted(set(by_sup) | set(by_sup_awaiting), key=lambda n: (-len(by_sup[n]), n)):
        lines = by_sup.get(name, [])
        oldest = min((x.session_date for x in lines), default=None)
        rows.append(
            [para(name, st["cell"]), para(f"{len(lines):,}", st["num"]),
             para(uk(oldest, "—"), st["cell"]), para(f"{by_sup_awaiting[name]:,}", st["num"])]
        )  # fmt: skip
    story.append(Spacer(1, 1.5 * mm))
    story.append(table(rows, [w * 0.4, w * 0.2, w * 0.2, w * 0.2], zebra=True))
    for title, lines, what in (
        ("Not yet signed by the supervisor, oldest first", d.unsigned, "unsigned record"),
        ("Signed, awaiting the supervisee, oldest first", d.awaiting, "record"),
    ):
        if not lines:
            continue
        story += section(title)
        rows = [head_row("Session", "Type", "Supervisee", "Supervisor", "Days waiting", nums=(4,))]
        shown = lines[:LIST_LIMIT]
        for x in shown:
            who = x.worker_name or f"Group ({plural(x.attendees, 'attendee')})"
            if x.id in d.group_waiting:
                who = f"Group: {d.group_waiting[x.id]:,} of {x.attendees:,} yet to respond"
            rows.append(
                [para(uk(x.session_date), st["cell"]), para(d.catalogue.name(x.type), st["cell"]),
                 para(who, st["cell"]), para(x.supervisor_name or "—", st["cell"]),
                 para(f"{max((d.today - x.session_date).days, 0):,}", st["num"])]
            )  # fmt: skip
        story.append(table(rows, [w * 0.15, w * 0.19, w * 0.25, w * 0.25, w * 0.16], zebra=True))
        story += _more(len(lines) - len(shown), what)
    return story


def quality_section(ctx: PackContext) -> list[Flowable]:
    st = styles()
    d = ctx.data
    w = ctx.width
    story = section("Record quality", need=TABLE_NEED)
    if not d.held:
        story.append(para("No session was held in the period.", st["body"]))
        return story
    with_gaps = [(team, gaps) for team, gaps in d.quality if gaps]
    story.append(
        para(
            f"{plural(len(with_gaps), 'held record')} of {d.held:,} "
            f"({100 * len(with_gaps) / d.held:.0f}%) lack something the record-quality check "
            "asks for: “case discussed, plan agreed” is not a record.",
            st["body"],
        )
    )
    story.append(Spacer(1, 1.5 * mm))
    by_kind: Counter[str] = Counter()
    for _team, gaps in with_gaps:
        by_kind.update(set(gaps))
    rows: list[list[Flowable | str]] = [
        head_row("Gap", "Records", "Share of held records", nums=(1, 2))
    ]
    for code, label in GAP_LABELS.items():
        if by_kind[code]:
            rows.append(
                [para(label, st["cell"]), para(f"{by_kind[code]:,}", st["num"]),
                 para(f"{100 * by_kind[code] / d.held:.0f}%", st["num"])]
            )  # fmt: skip
    for code in sorted(set(by_kind) - set(GAP_LABELS)):
        rows.append([para(code, st["cell"]), para(f"{by_kind[code]:,}", st["num"]),
                     para(f"{100 * by_kind[code] / d.held:.0f}%", st["num"])])  # fmt: skip
    if len(rows) > 1:
        story.append(table(rows, [w * 0.6, w * 0.2, w * 0.2], zebra=True))
    held_by_team: Counter[str] = Counter(team for team, _g in d.quality)
    gaps_by_team: Counter[str] = Counter(team for team, _g in with_gaps)
    story += section("Record quality by team")
    rows = [head_row("Team", "Held records", "With a gap", "Share", nums=(1, 2, 3))]
    for team in sorted(held_by_team, key=lambda t: (-gaps_by_team[t] / held_by_team[t], t)):
        rows.append(
            [para(team or "(no team)", st["cell"]), para(f"{held_by_team[team]:,}", st["num"]),
             para(f"{gaps_by_team[team]:,}", st["num"]),
             para(f"{100 * gaps_by_team[team] / held_by_team[team]:.0f}%", st["num"])]
        )  # fmt: skip
    story.append(table(rows, [w * 0.49, w * 0.17, w * 0.17, w * 0.17], zebra=True))
    return story


def share(part: int, whole: int) -> str:
    return f"{part:,} ({100 * part / whole:.0f}%)" if whole else f"{part:,}"


def all_actions(d: ComplianceData) -> ActionCounts:
    total = ActionCounts()
    for counts in d.actions.values():
        total.add(counts)
    return total


def opening(title: str, present: bool, empty: str, intro: str = "") -> list[Flowable]:
    """A section's heading, then its introduction when it has something to show, else the
    sentence that says there is nothing."""
    st = styles()
    story = section(title, need=TABLE_NEED)
    if not present:
        story.append(para(empty, st["body"]))
    elif intro:
        story += [para(intro, st["body"]), Spacer(1, 1.5 * mm)]
    return story
