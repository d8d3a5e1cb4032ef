"""A worker's supervision history for a period, for appraisals and HR: who they are, how their
risk profile changed, every session summarised, their actions, wellbeing over time, and where
they stand now."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from app.dates import month_short_year, uk
from app.domain.catalogue import Catalogue
from app.domain.model import FACTORS, DueStatus, SessionStatus
from app.domain.records import ActionStatus, SessionRecord
from app.domain.rows import SignOff, WorkerAction
from app.services.history_data import HistoryData
from app.services.reports.base import (
    BODY_WIDTH,
    CONFIDENTIAL_MARK,
    KeelDocument,
    key_values,
    markup,
    para,
    paras,
    section,
    stamp,
    styles,
    table,
    truncate,
)
from app.services.reports.charts import Series, line_chart
from app.services.reports.common import Cancelled, Progress
from app.services.reports.record import OWNER_WORDS, STATUS_WORDS

ISSUES_LIMIT = 320
TABLE_NEED = 60 * mm  # a heading, its introduction and a table's first rows stay together
DECISION_LIMIT = 150
DECISIONS_SHOWN = 4
EMPLOYMENT_WORDS = {"permanent": "Permanent", "bank": "Bank", "agency": "Agency",
                    "student": "Student"}  # fmt: skip
# The stored "stretched" is shown in the inspection template's word.
WORKLOAD_WORDS = {"manageable": "Manageable", "stretched": "Challenging", "excessive": "Excessive"}


def _head(*labels: str, style: str = "cell") -> list[Flowable | str]:
    st = styles()
    return [markup(f"<b>{escape(h)}</b>", st[style]) for h in labels]


def _years_in_post(start: date, on: date) -> str:
    months = (on.year - start.year) * 12 + on.month - start.month - (on.day < start.day)
    if months < 0:
        return "not yet started"
    if months < 1:
        days = (on - start).days
        return f"{days} day{'s' if days != 1 else ''} in post"
    years, rest = divmod(months, 12)
    parts = []
    if years:
        parts.append(f"{years} year{'s' if years != 1 else ''}")
    if rest:
        parts.append(f"{rest} month{'s' if rest != 1 else ''}")
    return " ".join(parts) + " in post"


def _profile(data: HistoryData) -> list[Flowable]:
    st = styles()
    worker, as_of, cat = data.worker, data.as_of, data.catalogue

    def name_of(wid: str | None) -> str:
        return data.names.get(wid, "Not set") if wid else "Not set"

    start = (
        f"{uk(worker.start_date)} ({_years_in_post(worker.start_date, as_of)} on {uk(as_of)})"
        if worker.start_date
        else "Not recorded"
    )
    status = f"Left on {uk(worker.left_on)}" if worker.left_on else "In post"
    pairs: list[tuple[str, object]] = [
        ("Name", worker.name),
        ("Staff ID", worker.staff_id or "—"),
        ("Role", worker.role or "—"),
        ("Team", worker.team or "—"),
        ("Profession", worker.profession or "—"),
        ("Employment", EMPLOYMENT_WORDS.get(worker.employment.value, worker.employment.value)),
        ("Start date", start),
        ("Employed since", uk(worker.employment_start, "Not recorded")),
        ("Status", status),
        ("Line supervisor", name_of(worker.line_supervisor_id)),
        ("Clinical supervisor", name_of(worker.clinical_supervisor_id)),
        ("Requires", ", ".join(cat.name(t) for t in cat.keys if t in worker.requires) or "None"),
        ("Gives clinical supervision", "Yes (qualified)" if worker.qualified_clinical else "No"),
    ]
    return [*section("Profile"), key_values(pairs, BODY_WIDTH, st)]


def _due_status(data: HistoryData) -> list[Flowable]:
    st = styles()
    worker, as_of, cat, status = data.worker, data.as_of, data.catalogue, data.status
    story = section(f"Due status on {uk(as_of)}", need=TABLE_NEED)
    if status is None:
        story.append(para(f"{worker.name} was not in post on {uk(as_of)}.", st["body"]))
        return story
    tier = status.tier.value.capitalize() if status.assessed else "Not assessed (standard)"
    story.append(para(f"Risk tier: {tier}. Overall: {status.overall.label}.", st["body"]))
    story.append(Spacer(1, 1.5 * mm))
    rows: list[list[Flowable | str]] = [_head("Type", "Status", "Due", "Last held", "Why")]
    for type_, s in status.by_type.items():
        word = s.status.label
        if s.status is DueStatus.OVERDUE and s.due is not None:
            days = (as_of - s.due).days
            word += f" by {days} day{'s' if days != 1 else ''}"
        if s.booked:
            word += f"; booked {uk(s.booked)}"
        rows.append(
            [para(cat.name(type_), st["cell"]), para(word, st["cell"]),
             para(uk(s.due, "—"), st["cell"]), para(uk(s.last_held, "None"), st["cell"]),
             para(s.reason, st["small"])]
        )  # fmt: skip
    w = BODY_WIDTH
    story.append(table(rows, [w * 0.14, w * 0.16, w * 0.12, w * 0.12, w * 0.46]))
    return story


def _assessments(data: HistoryData) -> list[Flowable]:
    st = styles()
    story = section("Risk assessment history", need=TABLE_NEED)
    history = data.assessments
    if not history:
        story.append(
            para("Never assessed: the schedule treats this worker as standard tier.", st["body"])
        )
        return story
    story.append(
        para(
            "Each factor from 1 (low) to 3 (high); support need 3 means new or low in "
            "confidence. Newest first; earlier assessments are kept as history.",
            st["small"],
        )
    )
    story.append(Spacer(1, 1.5 * mm))
    rows: list[list[Flowable | str]] = [
        _head("Date", "Cohort risk", "Decision complexity", "Support need", "Volatility",
              "Tier", "By", "Rationale", style="head_small")
    ]  # fmt: skip
    for a in history:
        values = [str(getattr(a.factors, name)) for name in FACTORS]
        rows.append(
            [para(uk(a.assessed_on), st["cell"]), *(para(v, st["cell"]) for v in values),
             para(f"{a.tier.value.capitalize()} (total {a.factors.total})", st["cell"]),
             para(a.assessed_by or "—", st["cell"]), para(a.rationale or "—", st["cell"])]
        )  # fmt: skip
    w = BODY_WIDTH
    story.append(
        table(rows, [w * 0.115, w * 0.085, w * 0.115, w * 0.085, w * 0.095, w * 0.13, w * 0.13,
                     w * 0.245])
    )  # fmt: skip
    return story


def _sign_off_word(state: SignOff, addenda: int) -> str:
    if not state.signed:
        word = "Draft, not signed"
    elif state.supervisee_response == "acknowledged":
        word = "Signed; acknowledged"
    elif state.supervisee_response == "disagreed":
        word = "Signed; supervisee disagreed"
    else:
        word = "Signed; awaiting supervisee"
    if addenda:
        word += f"; {addenda} addend{'um' if addenda == 1 else 'a'}"
    return word


def _sessions(data: HistoryData) -> list[Flowable]:
    st = styles()
    records, date_from, date_to, cat = data.records, data.date_from, data.date_to, data.catalogue
    story = section("Sessions", need=TABLE_NEED)
    if not records:
        story.append(para("No sessions in this period.", st["body"]))
        return story
    counts = Counter(r.status for r in records)
    held = Counter(r.type for r in records if r.status is SessionStatus.HELD)
    held_words = ", ".join(f"{cat.name(t).lower()} {held[t]}" for t in cat.keys if held[t])
    summary = (
        f"{uk(date_from)} to {uk(date_to)}: {counts[SessionStatus.HELD]} held"
        + (f" ({held_words})" if held_words else "")
        + f", {counts[SessionStatus.CANCELLED]} cancelled, "
        f"{counts[SessionStatus.DID_NOT_ATTEND]} did not attend, "
        f"{counts[SessionStatus.PLANNED]} planned."
    )
    story.append(para(summary, st["body"]))
    story.append(
        para(
            "Issues and decisions are shortened here (…); the full record of any session "
            "prints on its own with its signature blocks.",
            st["small"],
        )
    )
    story.append(Spacer(1, 1.5 * mm))
    rows: list[list[Flowable | str]] = [
        _head("Date and type", "Status and supervisor", "Key issues", "Decisions", "Sign-off")
    ]
    for rec in records:
        supervisor = data.names.get(rec.supervisor_id, "") if rec.supervisor_id else ""
        status = STATUS_WORDS[rec.status.value]
        if rec.status is SessionStatus.HELD and rec.duration_minutes:
            status += f", {rec.duration_minutes} min"
        who = f"{status}\n{supervisor or 'No supervisor recorded'}"
        if rec.status is SessionStatus.CANCELLED:
            issues = f"Cancelled: {truncate(rec.cancel_reason, ISSUES_LIMIT)}"
        elif rec.status is not SessionStatus.HELD:
            issues = "—"
        else:
            issues = truncate(rec.issues or rec.case_discussion, ISSUES_LIMIT) or "Not recorded"
        decisions = [d for d in rec.decisions if d.text.strip()]
        dec_text = "\n".join(f"• {truncate(d.text, DECISION_LIMIT)}"
                             for d in decisions[:DECISIONS_SHOWN])  # fmt: skip
        if len(decisions) > DECISIONS_SHOWN:
            dec_text += f"\n+ {len(decisions) - DECISIONS_SHOWN} more"
        if not decisions:
            dec_text = "None recorded" if rec.status is SessionStatus.HELD else "—"
        signed = (
            _sign_off_word(data.sign_offs[rec.id], len(data.addenda.get(rec.id, [])))
            if rec.status is SessionStatus.HELD
            else "—"
        )
        rows.append(
            [para(f"{uk(rec.session_date)}\n{cat.name(rec.type)}", st["cell"]),
             para(who, st["cell"]), para(issues, st["cell"]), para(dec_text, st["cell"]),
             para(signed, st["cell"])]
        )  # fmt: skip
    w = BODY_WIDTH
    story.append(table(rows, [w * 0.155, w * 0.17, w * 0.31, w * 0.235, w * 0.13], zebra=True))
    return story


def _actions(
    actions: list[WorkerAction], date_from: date, date_to: date, as_of: date, cat: Catalogue
) -> list[Flowable]:
    """Open and closed actions. "(past due)" marks an action due before ``as_of`` (the end of
    the period or today, whichever is earlier): one due next week is not yet past due."""
    st = styles()
    w = BODY_WIDTH
    story = section("Open actions")
    still_open = sorted(
        (a for a in actions if a.status is ActionStatus.OPEN and a.session_date <= date_to),
        key=lambda a: (a.due_date is None, a.due_date or date.max, a.session_date),
    )
    if still_open:
        rows: list[list[Flowable | str]] = [
            _head("Action", "Owner", "Due", "Evidence to close", "Agreed")
        ]
        for a in still_open:
            owner = OWNER_WORDS.get(a.owner.value, "") if a.owner else "Not set"
            if a.owner_name:
                owner += f" ({a.owner_name})"
            due = uk(a.due_date, "Not set")
            if a.due_date is not None and a.due_date < as_of:
                due += " (past due)"
            rows.append(
                [para(a.description, st["cell"]), para(owner, st["cell"]),
                 para(due, st["cell"]), para(a.evidence or "—", st["cell"]),
                 para(f"{uk(a.session_date)}, {cat.name(a.session_type).lower()}", st["cell"])]
            )  # fmt: skip
        story.append(table(rows, [w * 0.33, w * 0.14, w * 0.145, w * 0.22, w * 0.165]))
    else:
        story.append(para("No open actions.", st["body"]))

    story += section("Closed actions")
    closed = [
        a
        for a in actions
        if a.status is not ActionStatus.OPEN
        and (
            date_from <= a.session_date <= date_to
            or (a.closed_on is not None and date_from <= a.closed_on <= date_to)
        )
    ]
    if closed:
        rows = [_head("Action", "Outcome", "Closed", "Completion note", "Agreed")]
        for a in closed:
            outcome = "Done" if a.status is ActionStatus.DONE else "Dropped"
            rows.append(
                [para(a.description, st["cell"]), para(outcome, st["cell"]),
                 para(uk(a.closed_on, "—"), st["cell"]), para(a.completion_note or "—", st["cell"]),
                 para(f"{uk(a.session_date)}, {cat.name(a.session_type).lower()}", st["cell"])]
            )  # fmt: skip
        story.append(table(rows, [w * 0.33, w * 0.105, w * 0.13, w * 0.27, w * 0.165]))
    else:
        story.append(para("No action agreed or closed in this period is closed.", st["body"]))
    story.append(
        para(
            "Action status as held in Keel when this pack was printed; “past due” means due "
            f"before {uk(as_of)}.",
            st["small"],
        )
    )
    return story


def _wellbeing(
    records: list[SessionRecord], date_from: date, date_to: date, cat: Catalogue
) -> list[Flowable]:
    st = styles()
    story = section("Wellbeing over time", need=TABLE_NEED)
    pulses = [
        r
        for r in records
        if r.status is SessionStatus.HELD
        and not cat.is_group(r.type)
        and (r.wellbeing is not None or r.workload is not None or r.moral_distress is not None)
    ]
    if not pulses:
        story.append(para("No wellbeing pulse was recorded in this period.", st["body"]))
        return story
    w = BODY_WIDTH
    points = [(float(r.session_date.toordinal()), r.wellbeing) for r in pulses]
    chart_points: list[tuple[float, float | None]] = [
        (x, float(y)) for x, y in points if y is not None
    ]
    if chart_points:
        labels = _month_labels(date_from, date_to)
        chart = line_chart(
            [Series("Wellbeing (1 = struggling, 10 = thriving)", chart_points)],
            labels,
            width=w,
            height=52 * mm,
            y_range=(0.5, 10.5),
            y_ticks=[1, 4, 7, 10],
            y_title="Wellbeing",
            x_range=(float(date_from.toordinal()), float(date_to.toordinal())),
        )
        story.append(
            KeepTogether(
                [
                    para(
                        "Wellbeing score (1 = struggling, 10 = thriving) at each one-to-one "
                        "session; the numbers are in the table below.",
                        st["small"],
                    ),
                    chart,
                ]
            )
        )
        story.append(Spacer(1, 2 * mm))
    rows: list[list[Flowable | str]] = [
        _head(
            "Date",
            "Type",
            "Wellbeing",
            "Workload",
            "Moral distress",
            "Sickness (days)",
            "Support offered",
        )
    ]
    distress = {None: "—", True: "Yes", False: "No"}
    for r in pulses:
        support = "; ".join(k.label for k in r.support_kinds)
        if r.support_offered:
            support = f"{support}: {r.support_offered}" if support else r.support_offered
        sick = "—" if r.sickness_days is None else str(r.sickness_days)
        if r.sickness_days and r.return_to_work:
            sick += " (return to work done)"
        rows.append(
            [para(uk(r.session_date), st["cell"]), para(cat.name(r.type), st["cell"]),
             para(f"{r.wellbeing} / 10" if r.wellbeing else "—", st["cell"]),
             para(WORKLOAD_WORDS.get(r.workload.value, "") if r.workload else "—", st["cell"]),
             para(distress[r.moral_distress], st["cell"]), para(sick, st["cell"]),
             para(support or "—", st["cell"])]
        )  # fmt: skip
    scores = [r.wellbeing for r in pulses if r.wellbeing is not None]
    if scores:
        story.append(
            para(
                f"{len(scores)} score{'s' if len(scores) != 1 else ''}: lowest {min(scores)}, "
                f"highest {max(scores)}, latest {scores[-1]}.",
                st["body"],
            )
        )
        story.append(Spacer(1, 1.5 * mm))
    story.append(table(rows, [w * f for f in (0.12, 0.15, 0.1, 0.12, 0.1, 0.13, 0.28)]))
    return story


def _concerns(records: list[SessionRecord], cat: Catalogue) -> list[Flowable]:
    """Safeguarding concerns, incidents with their learning, escalations and the worker's own
    comments, record by record (what an inspector asks a supervision history to show)."""
    st = styles()
    story = section("Safeguarding, incidents, escalations and comments", need=TABLE_NEED)
    rows: list[list[Flowable | str]] = [_head("Date", "Type", "Recorded")]
    for r in records:
        if r.status is not SessionStatus.HELD:
            continue
        parts = []
        if r.safeguarding:
            parts.append(f"Safeguarding concern: {r.safeguarding_notes or 'no notes'}")
        parts += [f"Incident {i.case_ref}: {i.learning or 'no learning recorded'}"
                  for i in r.incidents]  # fmt: skip
        if r.escalation is not None and r.escalation.value != "none":
            parts.append(f"Escalated to {r.escalation.label}: {r.escalation_notes or '—'}")
        if r.staff_comments.strip():
            parts.append(f"Staff member's comments: {r.staff_comments.strip()}")
        if parts:
            rows.append(
                [para(uk(r.session_date), st["cell"]), para(cat.name(r.type), st["cell"]),
                 [para(part, st["cell"]) for part in parts]]
            )  # fmt: skip
    if len(rows) == 1:
        story.append(para("None recorded in this period.", st["body"]))
        return story
    w = BODY_WIDTH
    story.append(table(rows, [w * 0.13, w * 0.17, w * 0.7]))
    return story


def _month_labels(date_from: date, date_to: date) -> list[tuple[float, str]]:
    """Tick labels at the first of each month in the range (and the range's own ends)."""
    out: list[tuple[float, str]] = []
    day = date(date_from.year, date_from.month, 1)
    span = (date_to - date_from).days
    while day <= date_to:
        if day >= date_from:
            out.append((float(day.toordinal()), month_short_year(day)))
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    if not out or span < 45:
        out = [
            (float(date_from.toordinal()), uk(date_from)),
            (float(date_to.toordinal()), uk(date_to)),
        ]
    return out


def _addenda(data: HistoryData) -> list[Flowable]:
    st = styles()
    zone, cat = data.zone, data.catalogue
    story: list[Flowable] = []
    for rec in data.records:
        for add in data.addenda.get(rec.id, []):
            if not story:
                story += section("Addenda to these records")
            story.append(
                para(
                    f"Record of {uk(rec.session_date)} ({cat.name(rec.type).lower()}) — "
                    f"{stamp(add.created_at, zone)} — {add.author} — reason: {add.reason}",
                    st["label"],
                )
            )
            story += paras(add.text, st["body"])
            story.append(Spacer(1, 2 * mm))
    return story


def _confidential(records: list[SessionRecord], include: bool, cat: Catalogue) -> list[Flowable]:
    st = styles()
    noted = [r for r in records if r.confidential_notes.strip()]
    if not noted:
        return []
    if not include:
        return [
            Spacer(1, 3 * mm),
            para(
                f"Confidential reflective notes of {len(noted)} session"
                f"{'s are' if len(noted) != 1 else ' is'} held in Keel and left out of this pack.",
                st["small"],
            ),
        ]
    story = section("Confidential reflective notes (included on request)")
    for rec in noted:
        story.append(para(f"{uk(rec.session_date)} — {cat.name(rec.type)}", st["label"]))
        story += paras(rec.confidential_notes, st["body"])
        story.append(Spacer(1, 2 * mm))
    return story


def worker_history_story(data: HistoryData, *, include_confidential: bool) -> list[Flowable]:
    """The pack's flowables. Due status and "past due" are as on ``data.as_of`` (the end of
    the period or today, whichever is earlier): a due date after today is never past."""
    st = styles()
    worker, records, cat = data.worker, data.records, data.catalogue
    story: list[Flowable] = [
        markup("Supervision history", st["title"]),
        para(f"{worker.name} · {uk(data.date_from)} to {uk(data.date_to)}", st["subtitle"]),
        Spacer(1, 2 * mm),
    ]
    story += _profile(data)
    story += _due_status(data)
    story += _assessments(data)
    story += _sessions(data)
    story += _actions(data.actions, data.date_from, data.date_to, data.as_of, cat)
    story += _wellbeing(records, data.date_from, data.date_to, cat)
    story += _concerns(records, cat)
    story += _addenda(data)
    story += _confidential(records, include_confidential, cat)
    return story


def write_worker_history_pdf(
    data: HistoryData,
    out: Path,
    *,
    include_confidential: bool = False,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> Path:
    """Write the history pack of ``data`` (``app.services.history_data.gather_history``) to
    ``out`` (A4 PDF). ``progress`` and ``cancelled`` are passed to ``KeelDocument.build``
    (cancelling raises ``ExportCancelled``). A pack that includes confidential reflective
    notes says so at the top of every page."""
    noted = include_confidential and any(r.confidential_notes.strip() for r in data.records)
    doc = KeelDocument(
        out,
        title=f"Supervision history — {data.worker.name}",
        service_name=data.service_name,
        subject=f"{uk(data.date_from)} to {uk(data.date_to)}",
        time_zone=data.zone,
        marking=CONFIDENTIAL_MARK if noted else "",
    )
    doc.build(
        worker_history_story(data, include_confidential=include_confidential),
        progress=progress, cancelled=cancelled,
    )  # fmt: skip
    return out
