"""One session record as a PDF: what was discussed, decided and agreed, signed or not."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from app.dates import uk
from app.domain.policy import Policy
from app.domain.records import SUPERVISEE_DECLARATION, SUPERVISOR_DECLARATION
from app.services.reports.base import (
    CONFIDENTIAL_MARK,
    KeelDocument,
    heading,
    key_values,
    markup,
    para,
    paras,
    section,
    side_by_side,
    signature_block,
    stamp,
    styles,
    table,
    text,
)
from app.services.reports.countersign import qa_story

if TYPE_CHECKING:
    from app.services.record_view import RecordView

STATUS_WORDS = {
    "planned": "Planned",
    "held": "Held",
    "cancelled": "Cancelled",
    "dna": "Did not attend",
}
OWNER_WORDS = {
    "supervisee": "Staff member",
    "supervisor": "Supervisor",
    "other": "Other",
    "both": "Both (staff member and supervisor)",
}
STATUS_OF_ACTION = {"open": "Open", "done": "Complete", "dropped": "Dropped"}


def record_story(view: RecordView, *, width: float) -> list[Flowable]:
    """The flowables of one record (gathered by ``app.services.record_view.gather_record``).
    Signature and addendum times are shown in the service's time zone (``view.zone``)."""
    st = styles()
    rec, spec, worker = view.record, view.spec, view.worker
    supervisor = view.supervisor_name
    story: list[Flowable] = [
        markup(f"{text(spec.label)} record", st["title"]),
        para(
            f"{worker.name if worker else 'Group session'} · {uk(rec.session_date)} · "
            f"{STATUS_WORDS[rec.status.value]} · {_state_words(view)}",
            st["subtitle"],
        ),
        Spacer(1, 3 * mm),
    ]
    duration = f"{rec.duration_minutes} minutes" if rec.duration_minutes else ""
    count = view.year_count
    pairs: list[tuple[str, object]] = [
        ("Worker", worker.name if worker else "Group (see attendees)"),
        ("Role", worker.role if worker else ""),
    ]
    if worker is not None:
        pairs.append(("Employed since", uk(worker.employment_start, "Not recorded")))
        pairs.append(("Start in post", uk(worker.start_date, "Not recorded")))
    pairs += [
        ("Supervisor", supervisor),
        ("Job title", view.supervisor_title),
        ("Type", spec.label),
        ("Session", count.words if count else ""),
        ("Date", uk(rec.session_date)),
        ("Start time", rec.start_time or ""),
        ("End time", rec.end_time or ""),
        ("Total time", duration),
        ("Mode", rec.mode.label if rec.mode else ""),
        ("Location", rec.location),
        ("Status", STATUS_WORDS[rec.status.value]),
    ]
    if rec.cancel_reason:
        pairs.append(("Reason", rec.cancel_reason))
    story.append(key_values(pairs, width, st))

    story += _discussion(view, width)
    story += _actions(view, width)
    story += _risk_themes_wellbeing(view, width)
    story += _template_sections(view, width)
    story += _declarations(view, worker.name if worker else "", supervisor)
    story += _sign_off(view, width, worker.name if worker else "(attendees)", supervisor)
    story += qa_story(view.countersignature, held=view.held, width=width, zone=view.zone)
    story += _distribution(view.policy, width)
    if view.notes_left_out:
        story.append(
            para(
                "Confidential reflective notes are held in Keel and left out of this copy.",
                st["small"],
            )
        )
    return story


def _discussion(view: RecordView, width: float) -> list[Flowable]:
    st = styles()
    rec, spec = view.record, view.spec
    story: list[Flowable] = []
    if rec.attendees:
        story += section("Attendees and their acknowledgement")
        story.append(_acknowledgements(view, width))

    covered = [label for key, label in spec.agenda if rec.checklist.get(key)]
    missed = [label for key, label in spec.agenda if not rec.checklist.get(key)]
    story += section("Agenda")
    story.append(
        para("Covered: " + ("; ".join(covered) if covered else "none recorded"), st["body"])
    )
    if missed:
        story.append(para("Not covered: " + "; ".join(missed), st["small"]))

    story += section("Issues discussed")
    story += paras(rec.issues or "Not recorded.", st["body"])
    if rec.case_discussion:
        story += section("Case discussion")
        story += paras(rec.case_discussion, st["body"])

    story += section("Decisions and guidance")
    if rec.decisions:
        rows: list[list[Flowable | str]] = [
            [
                markup("<b>Decision or guidance</b>", st["cell"]),
                markup("<b>Rationale</b>", st["cell"]),
            ]
        ]
        rows += [[para(d.text, st["cell"]), para(d.rationale, st["cell"])] for d in rec.decisions]
        story.append(table(rows, [width * 0.5, width * 0.5]))
    else:
        story.append(para("No decision recorded.", st["body"]))
    return story


def _state_words(view: RecordView) -> str:
    """The record's sign-off in words; a signed group record's says how many attendees have
    acknowledged it (each responds in their own name)."""
    rec, state = view.record, view.sign_off
    if not rec.attendees or not state.signed:
        return state.label
    said = view.responses
    acknowledged = sum(1 for w in rec.attendees if w in said and said[w].response == "acknowledged")
    disagreed = sum(1 for w in rec.attendees if w in said and said[w].response == "disagreed")
    words = f"Signed by supervisor; {acknowledged} of {len(rec.attendees)} attendees acknowledged"
    if disagreed:
        words += f", {disagreed} recorded disagreement"
    waiting = len(rec.attendees) - acknowledged - disagreed
    return words + (f"; awaiting {waiting}" if waiting else "")


def _acknowledgements(view: RecordView, width: float) -> Flowable:
    """Each attendee by name with their own response to the signed record (acknowledged or
    disagreed, the date, their comments and copy), or "Not yet"."""
    st = styles()
    rec, said_by = view.record, view.responses
    rows: list[list[Flowable | str]] = [
        [markup("<b>Attendee</b>", st["cell"]), markup("<b>Acknowledgement</b>", st["cell"])]
    ]
    for worker_id in rec.attendees:
        name = view.attendee_names.get(worker_id, "")
        said = "Not yet"
        if not view.sign_off.signed_at:
            said = "Not yet (the record is not signed)"
        elif (found := said_by.get(worker_id)) is not None:
            verb = "Acknowledged" if found.response == "acknowledged" else "Disagreed"
            when = found.responded_at[:10]
            said = f"{verb} on {uk(date.fromisoformat(when))}" if when else verb
            if found.comment:
                said += f": “{found.comment}”"
            if found.copy_given_on is not None:
                said += f". Copy given on {uk(found.copy_given_on)}"
        rows.append([para(name, st["cell"]), para(said, st["cell"])])
    done = sum(1 for w in rec.attendees if w in said_by)
    rows.append(
        [markup("<b>Responded</b>", st["cell"]),
         para(f"{done} of {len(rec.attendees)} attendees", st["cell"])]
    )  # fmt: skip
    return table(rows, [width * 0.5, width * 0.5])


def _actions(view: RecordView, width: float) -> list[Flowable]:
    st = styles()
    rec = view.record
    story: list[Flowable] = section("Actions agreed")
    rows: list[list[Flowable | str]]
    if rec.actions:
        head = ["Action", "Responsibility", "Target date", "Review date", "Evidence to close",
                "Status"]  # fmt: skip
        rows = [[markup(f"<b>{h}</b>", st["cell"]) for h in head]]
        for a in rec.actions:
            owner = OWNER_WORDS.get(a.owner.value, "") if a.owner else "Not set"
            if a.owner_name:
                owner += f" ({a.owner_name})"
            status = STATUS_OF_ACTION.get(a.status.value, a.status.value.capitalize())
            if a.completion_note:
                status += f": {a.completion_note}"
            rows.append(
                [para(a.description, st["cell"]), para(owner, st["cell"]),
                 para(uk(a.due_date, "Not set"), st["cell"]),
                 para(uk(a.review_date, "Not set"), st["cell"]), para(a.evidence, st["cell"]),
                 para(status, st["cell"])]
            )  # fmt: skip
        widths = [width * f for f in (0.28, 0.14, 0.11, 0.11, 0.2, 0.16)]
        story.append(table(rows, widths))
    else:
        story.append(para("No actions agreed.", st["body"]))

    if view.reviewed:
        story += section("Previous actions reviewed")
        head = ["Action", "Agreed in", "Status", "Note"]
        rows = [[markup(f"<b>{h}</b>", st["cell"]) for h in head]]
        for r in view.reviewed:
            origin = r.agreed_in
            if r.another_type:
                origin += " (another type)"
            if r.agreed_on is not None:
                origin += f" · {uk(r.agreed_on)}"
            rows.append(
                [para(r.description, st["cell"]), para(origin, st["cell"]),
                 para(r.review.label, st["cell"]), para(r.review.note, st["cell"])]
            )  # fmt: skip
        story.append(table(rows, [width * f for f in (0.38, 0.22, 0.13, 0.27)]))
        unresolved = sum(1 for r in view.reviewed if r.review.outcome.value == "open")
        story.append(
            para(f"{unresolved} of {len(view.reviewed)} reviewed still unresolved.", st["small"])
        )
    return story


def _risk_themes_wellbeing(view: RecordView, width: float) -> list[Flowable]:
    st = styles()
    rec = view.record
    story: list[Flowable] = section("Risk and safeguarding")
    answer = {None: "Not answered", True: "Yes", False: "No"}
    story.append(
        key_values(
            [
                ("Risk issues discussed", answer[rec.risk_link]),
                ("Case refs", rec.case_refs),
                ("Safeguarding concerns", answer[rec.safeguarding]),
                ("Referral refs", rec.referral_refs),
            ],
            width,
            st,
        )
    )
    if rec.safeguarding_notes.strip():
        story.append(para("Safeguarding notes", st["label"]))
        story += paras(rec.safeguarding_notes, st["body"])
    story += section("Themes")
    story.append(para(", ".join(view.theme_names) or "None", st["body"]))

    empty = not (
        rec.wellbeing or rec.workload or rec.moral_distress is not None
        or rec.workload_support.strip() or rec.sickness_days is not None
        or rec.return_to_work is not None or rec.wellbeing_concerns.strip()
        or rec.support_kinds or rec.support_offered.strip()
    )  # fmt: skip
    if not view.spec.is_group and empty:
        story += section("Wellbeing")
        story.append(para("Nothing recorded.", st["body"]))
    elif not view.spec.is_group:
        story += section("Wellbeing")
        distress = {None: "Not recorded", True: "Yes", False: "No"}[rec.moral_distress]
        story.append(
            key_values(
                [
                    ("Wellbeing", f"{rec.wellbeing} / 10" if rec.wellbeing else "Not recorded"),
                    ("Workload", rec.workload.label if rec.workload else "Not recorded"),
                    ("Moral distress", distress),
                    ("Workload support", rec.workload_support),
                    (
                        "Sickness absence",
                        "Not recorded"
                        if rec.sickness_days is None
                        else f"{rec.sickness_days} day{'s' if rec.sickness_days != 1 else ''}"
                        " since the last session",
                    ),
                    (
                        "Return to work",
                        "Not applicable"
                        if rec.sickness_days == 0 and rec.return_to_work is None
                        else {None: "Not recorded", True: "Yes", False: "No"}[rec.return_to_work],
                    ),
                    ("Concerns raised", rec.wellbeing_concerns or "None raised"),
                    (
                        "Support offered",
                        "; ".join(k.label for k in rec.support_kinds) or "None recorded",
                    ),
                    ("Support notes", rec.support_offered),
                ],
                width,
                st,
            )
        )
    if view.include_confidential and rec.confidential_notes:
        story += section("Confidential reflective notes (included on request)")
        story += paras(rec.confidential_notes, st["body"])
    return story


def _sign_off(view: RecordView, width: float, supervisee: str, supervisor: str) -> list[Flowable]:
    st = styles()
    rec, state, zone = view.record, view.sign_off, view.zone
    story: list[Flowable] = []
    if view.addenda:
        story += section("Addenda")
        for add in view.addenda:
            story.append(
                para(
                    f"{stamp(add.created_at, zone)} — {add.author} — reason: {add.reason}",
                    st["label"],
                )
            )
            story += paras(add.text, st["body"])
            story.append(Spacer(1, 2 * mm))

    half = (width - 6 * mm) / 2
    sup_line = (
        f"Signed electronically {stamp(state.signed_at, zone)} as “{state.signed_by_name}”"
        if state.signed_at
        else "Not yet signed in Keel"
    )
    if rec.attendees and state.signed_at:
        sv_line = (
            f"Each attendee responds in their own name: {len(view.responses)} of "
            f"{len(rec.attendees)} have (see “Attendees and their acknowledgement”)"
        )
    elif state.supervisee_response:
        when = stamp(state.supervisee_responded_at, zone)
        verb = "Acknowledged" if state.supervisee_response == "acknowledged" else "Disagreed"
        sv_line = f"{verb} electronically {when} as “{state.supervisee_name}”"
        if state.supervisee_comment:
            sv_line += f" — “{state.supervisee_comment}”"
    else:
        sv_line = "Not yet acknowledged in Keel"
    sup_block = signature_block("Supervisor", supervisor, sup_line, st, half)
    sv_block = signature_block("Supervisee", supervisee, sv_line, st, half)
    # The heading, the status, both signature blocks and the fingerprint stay together, on
    # the same page as what comes before when they fit (one KeepTogether, nothing nested).
    block: list[Flowable] = [
        heading("Sign-off"),
        para(_state_words(view), st["body"]),
        side_by_side(sup_block, sv_block, width),
        Spacer(1, 3 * mm),
        para(
            f"Record {rec.id} · fingerprint (SHA-256): {state.fingerprint or 'assigned at sign-off'}",
            st["small"],
        ),
    ]
    story.append(KeepTogether(block))
    return story


def _template_sections(view: RecordView, width: float) -> list[Flowable]:
    """Incidents, the staff member's comments, escalation and the next session (one line
    when none is recorded: a record made before Keel asked for them stays short)."""
    st = styles()
    rec, spec = view.record, view.spec
    if not (rec.incidents or rec.staff_comments.strip() or rec.escalation or rec.next_date
            or rec.next_place.strip() or rec.next_focus.strip()):  # fmt: skip
        what = (
            "Incidents, next session"
            if spec.is_group
            else ("Incidents, the staff member's comments, escalation, next session")
        )
        return [*section(what), para("None recorded.", st["body"])]
    story: list[Flowable] = section("Incidents since the last session")
    if rec.incidents:
        rows: list[list[Flowable | str]] = [
            [markup("<b>Case code</b>", st["cell"]), markup("<b>Learning</b>", st["cell"])]
        ]
        rows += [[para(i.case_ref, st["cell"]), para(i.learning, st["cell"])]
                 for i in rec.incidents]  # fmt: skip
        story.append(table(rows, [width * 0.2, width * 0.8]))
    else:
        story.append(para("None recorded.", st["body"]))
    if not spec.is_group:
        story += section("The staff member's comments")
        story += paras(rec.staff_comments or "None recorded.", st["body"])
        story += section("Escalation")
        story.append(
            key_values(
                [
                    ("Escalated to", rec.escalation.label if rec.escalation else "Not recorded"),
                    ("Notes", rec.escalation_notes),
                ],
                width,
                st,
            )
        )
    story += section("Next session")
    interval = view.year_count.interval_days if view.year_count else None
    story.append(
        key_values(
            [
                ("Date", uk(rec.next_date, "Not booked")),
                ("Time", rec.next_time or ""),
                ("Place", rec.next_place),
                ("Frequency", f"Every {interval} days (the worker's interval)" if interval else ""),
                ("Focus", rec.next_focus),
            ],
            width,
            st,
        )
    )
    return story


def _declarations(view: RecordView, supervisee: str, supervisor: str) -> list[Flowable]:
    """The supervisor's and the supervisee's declarations, with the supervisee's copy against
    the policy's deadline (the signatures themselves are in the sign-off below)."""
    st = styles()
    rec, state = view.record, view.sign_off
    story: list[Flowable] = section("Declarations")
    story.append(
        para(f"Supervisor ({supervisor or 'not named'}): “{SUPERVISOR_DECLARATION}.”", st["body"])
    )
    if state.signed_at:
        story.append(para(f"Declared by signing on {uk(view.declared_on)}.", st["small"]))
    if rec.worker_id:
        story.append(para(f"Supervisee ({supervisee}): “{SUPERVISEE_DECLARATION}.”", st["body"]))
        if state.supervisee_response == "acknowledged":
            made = "Declared"
        elif state.supervisee_response == "disagreed":
            made = "Not declared accurate: the supervisee recorded disagreement (see sign-off)"
        else:
            made = "Not yet declared"
        received = {True: "a copy received", False: "no copy received", None: ""}[
            state.supervisee_copy_received
        ]
        line = made + (f"; {received}" if received and state.supervisee_response else "")
        if view.copy is not None:
            line += f". {view.copy.words}"
        story.append(para(line + ".", st["small"]))
    return story


def record_footer(policy: Policy) -> list[str]:
    """The service with its registration number, who holds copies, and how long the record
    is kept (the policy's words): printed at the end of every record and paper form."""
    number = policy.registration_number.strip()
    return [
        f"Service: {policy.service_name} (registration number {number or 'not set in the policy'})",
        f"Distribution: {policy.record_distribution}",
        f"Retention: kept for the supervisee's employment plus {policy.retention_years} "
        "years, then destroyed securely.",
    ]


def _distribution(policy: Policy, width: float) -> list[Flowable]:
    st = styles()
    return [Spacer(1, 3 * mm), *(para(line, st["small"]) for line in record_footer(policy))]


def write_record_pdf(view: RecordView, out: Path) -> Path:
    """Write one gathered record (``app.services.record_view.gather_record``) to ``out`` (A4
    PDF). A copy that includes confidential reflective notes says so at the top of every
    page."""
    rec = view.record
    # Every page names whose record it is and when: a loose printed page is still identifiable.
    who = (view.worker.name if view.worker else "") if rec.worker_id else "Group session"
    doc = KeelDocument(
        out,
        title=f"{view.spec.label} record — {who}, {uk(rec.session_date)}",
        service_name=view.service_name,
        time_zone=view.zone,
        marking=CONFIDENTIAL_MARK
        if view.include_confidential and rec.confidential_notes.strip()
        else "",
    )
    doc.build(record_story(view, width=doc.width))
    return out
