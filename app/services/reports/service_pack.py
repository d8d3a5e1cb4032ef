"""The service compliance pack: every team on one report, from the service's PostgreSQL.

Gathered from the published facts (never from statuses frozen at publish time): compliance at
each month end by type and by team database, computed by the same engine with each team's own
policy; who is overdue at the end; cancellations and non-attendance by team and type; records
awaiting sign-off; the learning log (governance changes made); themes across teams; and when
each team last published. The team pack's compliance, overdue and sign-off sections lay the
same figures out the same way. Record quality and cancellation reasons are not in it: the
records' words never leave the laptops.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from app.dates import uk
from app.domain.model import DueStatus, SessionStatus, TypeKey
from app.domain.policy import zone_named
from app.domain.qa import QaRow, qa_figures
from app.domain.rows import SessionLine
from app.domain.schedule import Compliance
from app.errors import UsageError
from app.server import facts as published
from app.services.compliance_data import (
    ComplianceData,
    MonthPoint,
    OverdueLine,
    month_ends,
    point_label,
)
from app.services.reports.base import KeelDocument, markup, para, section, styles, table
from app.services.reports.common import Cancelled, ExportCancelled, Progress
from app.services.reports.compliance_sections import (
    PackContext,
    compliance_section,
    head_row,
    overdue_section,
    pct,
    plural,
    sign_off_section,
)
from app.services.reports.qa_pack import qa_section
from app.services.service_view import TeamPublish, schedule_from

_STATUSES = {s.value: s for s in SessionStatus}


@dataclass
class ServicePackData:
    pack: ComplianceData
    teams: list[TeamPublish] = field(default_factory=list)
    workers: dict[str, int] = field(default_factory=dict)  # in post at the end, per team
    cancelled: dict[str, Counter[TypeKey]] = field(default_factory=dict)
    dna: dict[str, int] = field(default_factory=dict)
    # The zone the "Printed" time is shown in: the one most teams' policies name.
    time_zone: str = "Europe/London"
    learning: list[tuple[str, published.LearningEntry]] = field(default_factory=list)
    themes: dict[str, Counter[str]] = field(default_factory=dict)  # theme → team → count
    cut_at_today: bool = False


def gather_service_pack(  # noqa: C901 - reads, then each section's figures
    conn: Any,
    date_from: date,
    date_to: date,
    *,
    today: date,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> ServicePackData:
    if date_from > date_to:
        raise UsageError(
            f"The period starts ({uk(date_from)}) after it ends ({uk(date_to)}): swap the dates."
        )
    cut = date_to > today
    if cut:  # a due date after today is not overdue yet: the pack stops at today
        date_to = max(today, date_from)
    ends = month_ends(date_from, date_to)
    total = len(ends) + 2
    done = 0

    def step() -> None:
        nonlocal done
        if cancelled is not None and cancelled():
            raise ExportCancelled()
        done += 1
        if progress is not None:
            progress(done, total)

    names = {t.id: t.name for t in published.read_teams(conn)}
    service_names = Counter[str]()
    zones = Counter[str]()
    data = ComplianceData(date_from, date_to, today, "")
    out = ServicePackData(data, cut_at_today=cut)
    last = None
    for day, is_end in ends:
        view = schedule_from(conn, day)
        data.points.append(
            MonthPoint(day, point_label(day, is_end), is_end, view.compliance_table())
        )
        last = view
        step()
    assert last is not None
    out.teams = last.teams
    # Every type some team uses, in the words of the first team that has it.
    union = last.union_policy()
    data.catalogue = union.catalogue
    data.types = union.catalogue.active_keys
    for policy in last.policies.values():
        service_names[policy.service_name] += 1
        zones[policy.time_zone] += 1
    data.service_name = service_names.most_common(1)[0][0] if service_names else "The service"
    if zones:
        out.time_zone = zones.most_common(1)[0][0]
    data.teams = sorted({t.name for t in last.teams}, key=str.casefold)
    overdue_workers: set[tuple[str, str]] = set()
    for r in last.rows:
        if not (r.facts.start_date is None or r.facts.start_date <= date_to):
            continue
        out.workers[r.source] = out.workers.get(r.source, 0) + 1
        for type_, s in r.status.by_type.items():
            if s.status is not DueStatus.OVERDUE:
                continue
            overdue_workers.add((r.source, r.facts.worker_id))
            days = None if s.due is None else (date_to - s.due).days
            data.overdue.append(OverdueLine(r.facts.name, r.source, type_, s.due, days, s.reason))
    data.overdue.sort(
        key=lambda o: (o.days is not None, -(o.days or 0), o.worker.casefold(), o.type)
    )
    data.overdue_workers = len(overdue_workers)

    people = published.read_worker_names(conn)
    for sess in published.read_sessions(conn, date_from, date_to):
        team = names.get(sess.team_id, "")
        kind = sess.type
        status = _STATUSES.get(sess.status)
        if status is None:
            continue
        group = data.catalogue.is_group(kind) or sess.attendees > 0
        if status is SessionStatus.CANCELLED:
            out.cancelled.setdefault(team, Counter())[kind] += 1
        elif status is SessionStatus.DID_NOT_ATTEND:
            out.dna[team] = out.dna.get(team, 0) + 1
        if status is not SessionStatus.HELD:
            continue
        data.held += 1
        who = "" if group else _name(people, sess.team_id, sess.worker_id)
        line = SessionLine(
            sess.id, kind, status, sess.on, who, sess.attendees,
            _name(people, sess.team_id, sess.supervisor_id), team, "", sess.signed_at,
            sess.supervisee_response,
        )  # fmt: skip
        if sess.signed_at is None:
            data.unsigned.append(line)
        elif sess.supervisee_response is None and not group:
            data.awaiting.append(line)
    data.dna = sum(out.dna.values())
    step()
    out.learning = [(names.get(e.team_id, ""), e)
                    for e in published.read_learning(conn, date_from, date_to)]  # fmt: skip
    for m in published.read_theme_mentions(conn, date_from, date_to):
        out.themes.setdefault(m.theme, Counter())[names.get(m.team_id, "")] += 1
    # QA per team database and month (issue 16): the same section as the team pack's.
    data.qa = qa_figures(
        (QaRow(names.get(t, ""), on, done) for t, on, done in published.read_qa(
            conn, date_from, date_to)),
        date_from, date_to,
    )  # fmt: skip
    step()
    return out


def _name(people: dict[tuple[int, str], tuple[str, str]], team: int, wid: str | None) -> str:
    if wid is None:
        return ""
    return people.get((team, wid), ("", ""))[0]


# Sections ---------------------------------------------------------------------------------


def _teams(ctx: PackContext, extra: ServicePackData) -> list[Flowable]:
    st = styles()
    w = ctx.width
    end = ctx.data.points[-1]
    story = section("Teams and when they last published")
    rows: list[list[Flowable | str]] = [
        head_row("Team database", "Last published", "Workers", "Compliance", nums=(2, 3))
    ]
    stale_rows = []
    for n, t in enumerate(extra.teams, start=1):
        when = "never" if t.published_at is None else uk(t.published_at.date())
        flag = " — stale" if t.stale else ""
        c = end.table.get((t.name, None))
        rows.append(
            [para(t.name, st["cell"]), para(when + flag, st["cell"]),
             para(f"{extra.workers.get(t.name, 0):,}", st["num"]), para(pct(c), st["num"])]
        )  # fmt: skip
        if t.stale:
            stale_rows.append(n)
    tint = [("BACKGROUND", (0, r), (-1, r), colors.HexColor("#fbe3c0")) for r in stale_rows]
    story.append(table(rows, [w * 0.42, w * 0.28, w * 0.14, w * 0.16], extra=tint))
    story.append(
        para(
            "Figures are computed from what each team last published, with that team's own "
            "policy. A team that has not published for a week or more is marked stale: its "
            "figures may be out of date.",
            st["small"],
        )
    )
    return story


def _summary(ctx: PackContext, extra: ServicePackData) -> list[Flowable]:
    st = styles()
    d = ctx.data
    end, first = d.points[-1], d.points[0]
    overall = end.table.get((None, None), Compliance(0, 0))
    cancelled = sum(sum(c.values()) for c in extra.cancelled.values())
    stale = sum(1 for t in extra.teams if t.stale)
    rows: list[list[Flowable | str]] = [
        head_row("Measure", "Figure"),
        [para("Team databases", st["cell"]),
         para(f"{len(extra.teams):,} ({stale:,} stale)", st["cell"])],
        [para(f"Compliance on {uk(end.on)} (all teams, all types)", st["cell"]),
         para(f"{pct(overall)} ({overall.compliant:,} of {overall.counted:,} worker–type "
              "pairs not overdue)", st["cell"])],
        [para(f"Compliance on {uk(first.on)} (first point)", st["cell"]),
         para(pct(first.table.get((None, None))), st["cell"])],
        [para(f"Overdue on {uk(end.on)}", st["cell"]),
         para(f"{plural(len(d.overdue), 'pair')} for {plural(d.overdue_workers, 'worker')}",
              st["cell"])],
        [para("Sessions held in the period", st["cell"]), para(f"{d.held:,}", st["cell"])],
        [para("Cancelled / did not attend", st["cell"]),
         para(f"{cancelled:,} cancelled, {d.dna:,} did not attend", st["cell"])],
        [para("Held records awaiting the supervisor's sign-off", st["cell"]),
         para(f"{len(d.unsigned):,}", st["cell"])],
        [para("Signed records awaiting the supervisee", st["cell"]),
         para(f"{len(d.awaiting):,}", st["cell"])],
        [para("Governance changes made (learning log)", st["cell"]),
         para(f"{len(extra.learning):,}", st["cell"])],
    ]  # fmt: skip
    story = [*section("Summary"), table(rows, [ctx.width * 0.5, ctx.width * 0.5])]
    note = (
        "Record quality and the reasons for cancellations are in each team's own pack: the "
        "records' words never leave the team's laptop."
    )
    if extra.cut_at_today:
        note = f"The period asked for ends after today: the pack stops at {uk(d.date_to)}. " + note
    story += [Spacer(1, 2 * mm), para(note, st["small"])]
    return story


def _cancellations(ctx: PackContext, extra: ServicePackData) -> list[Flowable]:
    st = styles()
    w = ctx.width
    story = section("Cancelled and not attended, by team and type")
    teams = sorted(set(extra.cancelled) | set(extra.dna), key=str.casefold)
    if not teams:
        story.append(para("No session was cancelled or missed in the period.", st["body"]))
        return story
    d = ctx.data
    kinds = [*d.types, *sorted({t for c in extra.cancelled.values() for t in c} - set(d.types))]
    rows: list[list[Flowable | str]] = [
        head_row("Team database", *(d.catalogue.name(t) for t in kinds), "Did not attend",
              nums=tuple(range(1, len(kinds) + 2)))
    ]  # fmt: skip
    for team in teams:
        counts = extra.cancelled.get(team, Counter())
        rows.append([para(team, st["cell"]),
                     *(para(f"{counts[t]:,}", st["num"]) for t in kinds),
                     para(f"{extra.dna.get(team, 0):,}", st["num"])])  # fmt: skip
    each = w * 0.64 / (len(kinds) + 1)
    story.append(table(rows, [w * 0.36, *([each] * (len(kinds) + 1))], zebra=True))
    return story


def _learning(ctx: PackContext, extra: ServicePackData) -> list[Flowable]:
    st = styles()
    w = ctx.width
    story = section("Learning log: what supervision changed")
    if not extra.learning:
        story.append(para("No governance item recorded a change made in the period.", st["body"]))
        return story
    rows: list[list[Flowable | str]] = [head_row("Made on", "Team", "Item", "Change made")]
    for team, e in extra.learning:
        rows.append([para(uk(e.change_made_on), st["cell"]), para(team, st["cell"]),
                     para(f"{e.title} ({e.forum.upper()})", st["cell"]),
                     para(e.change_made, st["cell"])])  # fmt: skip
    story.append(table(rows, [w * 0.14, w * 0.2, w * 0.3, w * 0.36], zebra=True))
    return story


_RAMP = ("#ffffff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6")


def _themes(ctx: PackContext, extra: ServicePackData) -> list[Flowable]:
    st = styles()
    w = ctx.width
    story = section("Themes across teams (held sessions raising each theme)")
    teams = ctx.data.teams
    if not extra.themes or not teams:
        story.append(para("No held session in the period raised a theme.", st["body"]))
        return story
    order = sorted(extra.themes, key=lambda t: (-sum(extra.themes[t].values()), t.casefold()))
    highest = max(max(c.values()) for c in extra.themes.values())
    shown_teams = teams[:8]
    name_w = w * 0.3
    cell_w = (w - name_w - w * 0.1) / max(len(shown_teams), 1)
    rows: list[list[Flowable | str]] = [
        [markup("<b>Theme</b>", st["head_small"]),
         *(para(t, st["num_head"]) for t in shown_teams), markup("<b>All</b>", st["num_head"])]
    ]  # fmt: skip
    shades: list[tuple[Any, ...]] = []
    for r, theme in enumerate(order, start=1):
        counts = extra.themes[theme]
        rows.append([para(theme, st["cell"]),
                     *(para(f"{counts[t]:,}", st["num"]) for t in shown_teams),
                     para(f"{sum(counts.values()):,}", st["num"])])  # fmt: skip
        for c, t in enumerate(shown_teams, start=1):
            level = 0 if not counts[t] else max(1, round(counts[t] * 5 / highest))
            if level:
                shades.append(("BACKGROUND", (c, r), (c, r), colors.HexColor(_RAMP[level])))
    story.append(table(rows, [name_w, *([cell_w] * len(shown_teams)), w * 0.1], extra=shades))
    if len(teams) > len(shown_teams):
        story.append(para(f"The first {len(shown_teams)} teams of {len(teams)} are shown by "
                          "name; “All” counts every team.", st["small"]))  # fmt: skip
    return story


def build_service_pack(
    conn: Any,
    date_from: date,
    date_to: date,
    out: Path,
    *,
    today: date,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> Path:
    """Write the service compliance pack for the period to ``out`` (A4 PDF); no file is left
    behind when it fails or is cancelled."""
    existed = out.exists()
    try:
        extra = gather_service_pack(
            conn, date_from, date_to, today=today, progress=progress, cancelled=cancelled
        )
        data = extra.pack
        doc = KeelDocument(
            out,
            title="Service supervision compliance pack",
            service_name=data.service_name,
            subject=f"{uk(data.date_from)} to {uk(data.date_to)}",
            time_zone=zone_named(extra.time_zone),
        )
        ctx = PackContext(data, doc.width)
        st = styles()
        story: list[Flowable] = [
            markup("Service supervision compliance pack", st["title"]),
            para(
                f"{data.service_name} · {uk(data.date_from)} to {uk(data.date_to)} · "
                f"{plural(len(extra.teams), 'team database')}",
                st["subtitle"],
            ),
            Spacer(1, 2 * mm),
        ]
        for build in (_summary, _teams):
            story += build(ctx, extra)
        story += compliance_section(ctx)
        story += overdue_section(ctx)
        story += _cancellations(ctx, extra)
        story += sign_off_section(ctx)
        story += qa_section(ctx)
        for build in (_learning, _themes):
            story += build(ctx, extra)
        doc.build(story, cancelled=cancelled)
    except BaseException:
        if not existed:
            with contextlib.suppress(OSError):
                out.unlink()
        raise
    return out


__all__ = ["ServicePackData", "build_service_pack", "gather_service_pack"]
