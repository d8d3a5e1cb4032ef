"""One session record as a PDF: what was discussed, decided and agreed, signed or not."""

from __future__ import annotations

from datetime import date, tzinfo
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from app.dates import uk
from app.domain.catalogue import TypeSpec
from app.domain.policy import Policy
from app.domain.records import SUPERVISEE_DECLARATION, SUPERVISOR_DECLARATION, SessionRecord
from app.domain.rows import SignOff
from app.errors import UsageError
from app.services.record_facts import YearCount, copy_deadline, signed_on, year_count
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
from app.storage.actions import origins as action_origins
from app.storage.db import Database
from app.storage.evidence import addenda_for, sign_off_state
from app.storage.group_acks import responses_for
from app.storage.policies import current_policy, policy_history
from app.storage.sessions import get_session
from app.storage.themes import list_themes
from app.storage.workers import get_worker

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


def _name(db: Database, worker_id: str | None) -> str:
    if not worker_id:
        return ""
    worker = get_worker(db, worker_id)
    return worker.name if worker else ""


def record_story(
    db: Database,
    rec: SessionRecord,
    *,
    include_confidential: bool,
    width: float,
    time_zone: tzinfo | None = None,
) -> list[Flowable]:
    """The flowables of one record. Signature and addendum times are shown in ``time_zone``
    (the service's; None: this computer's)."""
    st = styles()
    spec = _spec(db, rec)
    worker = get_worker(db, rec.worker_id) if rec.worker_id else None
    supervisor = _name(db, rec.supervisor_id)
    state = sign_off_state(db, rec.id)
    story: list[Flowable] = [
        markup(f"{text(spec.label)} record", st["title"]),
        para(
            f"{worker.name if worker else 'Group session'} · {uk(rec.session_date)} · "
            f"{STATUS_WORDS[rec.status.value]} · {_state_words(db, rec, state)}",
            st["subtitle"],
        ),
        Spacer(1, 3 * mm),
    ]
    duration = f"{rec.duration_minutes} minutes" if rec.duration_minutes else ""
    policy = current_policy(db, rec.session_date)
    count = year_count(db, rec, policy)
    pairs: list[tuple[str, object]] = [
        ("Worker", worker.name if worker else "Group (see attendees)"),
        ("Role", worker.role if worker else ""),
    ]
    if worker is not None:
        pairs.append(("Employed since", uk(worker.employment_start, "Not recorded")))
        pairs.append(("Start in post", uk(worker.start_date, "Not recorded")))
    pairs += [
        ("Supervisor", supervisor),
        ("Job title", rec.supervisor_title or _role(db, rec.supervisor_id)),
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

    story += _discussion(db, rec, spec, width)
    story += _actions(db, rec, width)
    story += _risk_themes_wellbeing(db, rec, spec, width, include_confidential)
    story += _template_sections(db, rec, spec, width, count)
    story += _declarations(db, rec, policy, worker.name if worker else "", supervisor)
    story += _sign_off(
        db, rec, width, worker.name if worker else "(attendees)", supervisor, time_zone
    )
    story += qa_story(db, rec, width, time_zone)
    story += _distribution(policy, width)
    if not include_confidential and rec.confidential_notes:
        story.append(
            para(
                "Confidential reflective notes are held in Keel and left out of this copy.",
                st["small"],
            )
        )
    return story


def _spec(db: Database, rec: SessionRecord) -> TypeSpec:
    """The record's type as the policy in force on its date words it."""
    return policy_history(db).display_catalogue(rec.session_date).spec(rec.type)


def _discussion(db: Database, rec: SessionRecord, spec: TypeSpec, width: float) -> list[Flowable]:
    st = styles()
    story: list[Flowable] = []
    if rec.attendees:
        story += section("Attendees and their acknowledgement")
        story.append(_acknowledgements(db, rec, width))

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


def _state_words(db: Database, rec: SessionRecord, state: SignOff) -> str:
    """The record's sign-off in words; a signed group record's says how many attendees have
    acknowledged it (each responds in their own name)."""
    if not rec.attendees or not state.signed:
        return state.label
    said = responses_for(db, rec.id)
    acknowledged = sum(1 for w in rec.attendees if w in said and said[w].response == "acknowledged")
    disagreed = sum(1 for w in rec.attendees if w in said and said[w].response == "disagreed")
    words = f"Signed by supervisor; {acknowledged} of {len(rec.attendees)} attendees acknowledged"
    if disagreed:
        words += f", {disagreed} recorded disagreement"
    waiting = len(rec.attendees) - acknowledged - disagreed
    return words + (f"; awaiting {waiting}" if waiting else "")


def _acknowledgements(db: Database, rec: SessionRecord, width: float) -> Flowable:
    """Each attendee by name with their own response to the signed record (acknowledged or
    disagreed, the date, their comments and copy), or "Not yet"."""
    st = styles()
    state = sign_off_state(db, rec.id)
    said_by = responses_for(db, rec.id)
    rows: list[list[Flowable | str]] = [
        [markup("<b>Attendee</b>", st["cell"]), markup("<b>Acknowledgement</b>", st["cell"])]
    ]
    for worker_id in rec.attendees:
        name = _name(db, worker_id)
        said = "Not yet"
        if not state.signed_at:
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


def _actions(db: Database, rec: SessionRecord, width: float) -> list[Flowable]:
    st = styles()
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

    if rec.reviews:
        story += section("Previous actions reviewed")
        found = action_origins(db, [r.action_id for r in rec.reviews])
        catalogue = policy_history(db).display_catalogue(rec.session_date)
        head = ["Action", "Agreed in", "Status", "Note"]
        rows = [[markup(f"<b>{h}</b>", st["cell"]) for h in head]]
        # Oldest first, each action once (a review is per action and session).
        ordered = sorted(
            {r.action_id: r for r in rec.reviews}.values(),
            key=lambda r: (found.get(r.action_id, ("", "", ""))[2], r.action_id),
        )
        for r in ordered:
            description, type_, on = found.get(r.action_id, ("", "", ""))
            origin = catalogue.name(type_) if type_ else ""
            if type_ and type_ != rec.type:
                origin += " (another type)"
            if on:
                origin += f" · {uk(date.fromisoformat(on))}"
            rows.append(
                [para(description, st["cell"]), para(origin, st["cell"]),
                 para(r.label, st["cell"]), para(r.note, st["cell"])]
            )  # fmt: skip
        story.append(table(rows, [width * f for f in (0.38, 0.22, 0.13, 0.27)]))
        unresolved = sum(1 for r in ordered if r.outcome.value == "open")
        story.append(
            para(f"{unresolved} of {len(ordered)} reviewed still unresolved.", st["small"])
        )
    return story


def _risk_themes_wellbeing(
    db: Database, rec: SessionRecord, spec: TypeSpec, width: float, include_confidential: bool
) -> list[Flowable]:
    st = styles()
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
    theme_names = {t.id: t.name for t in list_themes(db, include_retired=True)}
    story += section("Themes")
    story.append(
        para(", ".join(theme_names.get(t, "") for t in rec.theme_ids) or "None", st["body"])
    )

    empty = not (
        rec.wellbeing or rec.workload or rec.moral_distress is not None
        or rec.workload_support.strip() or rec.sickness_days is not None
        or rec.return_to_work is not None or rec.wellbeing_concerns.strip()
        or rec.support_kinds or rec.support_offered.strip()
    )  # fmt: skip
    if not spec.is_group and empty:
        story += section("Wellbeing")
        story.append(para("Nothing recorded.", st["body"]))
    elif not spec.is_group:
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
    if include_confidential and rec.confidential_notes:
        story += section("Confidential reflective notes (included on request)")
        story += paras(rec.confidential_notes, st["body"])
    return story


def _sign_off(
    db: Database,
    rec: SessionRecord,
    width: float,
    supervisee: str,
    supervisor: str,
    zone: tzinfo | None,
) -> list[Flowable]:
    st = styles()
    story: list[Flowable] = []
    state = sign_off_state(db, rec.id)
    addenda = addenda_for(db, rec.id)
    if addenda:
        story += section("Addenda")
        for add in addenda:
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
    said = responses_for(db, rec.id) if rec.attendees else {}
    if rec.attendees and state.signed_at:
        sv_line = (
            f"Each attendee responds in their own name: {len(said)} of {len(rec.attendees)} "
            "have (see “Attendees and their acknowledgement”)"
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
        para(_state_words(db, rec, state), st["body"]),
        side_by_side(sup_block, sv_block, width),
        Spacer(1, 3 * mm),
        para(
            f"Record {rec.id} · fingerprint (SHA-256): {state.fingerprint or 'assigned at sign-off'}",
            st["small"],
        ),
    ]
    story.append(KeepTogether(block))
    return story


def _role(db: Database, worker_id: str | None) -> str:
    worker = get_worker(db, worker_id) if worker_id else None
    return worker.role if worker else ""


def _template_sections(
    db: Database, rec: SessionRecord, spec: TypeSpec, width: float, count: YearCount | None
) -> list[Flowable]:
    """Incidents, the staff member's comments, escalation and the next session (one line
    when none is recorded: a record made before Keel asked for them stays short)."""
    st = styles()
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
    interval = count.interval_days if count else None
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


def _declarations(
    db: Database, rec: SessionRecord, policy: Policy, supervisee: str, supervisor: str
) -> list[Flowable]:
    """The supervisor's and the supervisee's declarations, with the supervisee's copy against
    the policy's deadline (the signatures themselves are in the sign-off below)."""
    st = styles()
    state = sign_off_state(db, rec.id)
    story: list[Flowable] = section("Declarations")
    story.append(
        para(f"Supervisor ({supervisor or 'not named'}): “{SUPERVISOR_DECLARATION}.”", st["body"])
    )
    if state.signed_at:
        story.append(para(f"Declared by signing on {uk(signed_on(state, policy.zone()))}.",
                          st["small"]))  # fmt: skip
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
        deadline = copy_deadline(state, policy, date.today())
        line = made + (f"; {received}" if received and state.supervisee_response else "")
        if deadline is not None:
            line += f". {deadline.words}"
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


def build_record_pdf(
    db: Database, session_id: str, out: Path, *, include_confidential: bool = False
) -> Path:
    """Write one session record to ``out`` (A4 PDF). A copy that includes confidential
    reflective notes says so at the top of every page."""
    rec = get_session(db, session_id)
    if rec is None:
        raise UsageError(f"There is no session record with id {session_id}.")
    policy = current_policy(db)
    # Every page names whose record it is and when: a loose printed page is still identifiable.
    who = _name(db, rec.worker_id) if rec.worker_id else "Group session"
    zone = policy.zone()
    doc = KeelDocument(
        out,
        title=f"{_spec(db, rec).label} record — {who}, {uk(rec.session_date)}",
        service_name=policy.service_name,
        time_zone=zone,
        marking=CONFIDENTIAL_MARK
        if include_confidential and rec.confidential_notes.strip()
        else "",
    )
    doc.build(
        record_story(
            db, rec, include_confidential=include_confidential, width=doc.width, time_zone=zone
        )
    )
    return out
