"""One session record as a PDF: what was discussed, decided and agreed, signed or not."""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from app.dates import uk
from app.domain.catalogue import TypeSpec
from app.domain.records import SessionRecord
from app.errors import UsageError
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
from app.storage.actions import descriptions as action_descriptions
from app.storage.db import Database
from app.storage.evidence import addenda_for, sign_off_state
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
OWNER_WORDS = {"supervisee": "Supervisee", "supervisor": "Supervisor", "other": "Other"}


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
            f"{STATUS_WORDS[rec.status.value]} · {state.label}",
            st["subtitle"],
        ),
        Spacer(1, 3 * mm),
    ]
    duration = f"{rec.duration_minutes} minutes" if rec.duration_minutes else ""
    pairs: list[tuple[str, object]] = [
        ("Worker", worker.name if worker else "Group (see attendees)"),
        ("Role", worker.role if worker else ""),
        ("Supervisor", supervisor),
        ("Type", spec.label),
        ("Date", uk(rec.session_date)),
        ("Time", rec.start_time or ""),
        ("Duration", duration),
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
    story += _sign_off(
        db, rec, width, worker.name if worker else "(attendees)", supervisor, time_zone
    )
    story += qa_story(db, rec, width, time_zone)
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
        story += section("Attendees")
        story.append(para(", ".join(_name(db, a) for a in rec.attendees), st["body"]))

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


def _actions(db: Database, rec: SessionRecord, width: float) -> list[Flowable]:
    st = styles()
    story: list[Flowable] = section("Actions agreed")
    rows: list[list[Flowable | str]]
    if rec.actions:
        head = ["Action", "Owner", "Due", "Evidence to close", "Status"]
        rows = [[markup(f"<b>{h}</b>", st["cell"]) for h in head]]
        for a in rec.actions:
            owner = OWNER_WORDS.get(a.owner.value, "") if a.owner else "Not set"
            if a.owner_name:
                owner += f" ({a.owner_name})"
            status = a.status.value.capitalize()
            if a.completion_note:
                status += f": {a.completion_note}"
            rows.append(
                [para(a.description, st["cell"]), para(owner, st["cell"]),
                 para(uk(a.due_date, "Not set"), st["cell"]), para(a.evidence, st["cell"]),
                 para(status, st["cell"])]
            )  # fmt: skip
        story.append(
            table(rows, [width * 0.34, width * 0.15, width * 0.12, width * 0.23, width * 0.16])
        )
    else:
        story.append(para("No actions agreed.", st["body"]))

    if rec.reviews:
        story += section("Previous actions reviewed")
        descriptions = action_descriptions(db, [r.action_id for r in rec.reviews])
        rows = [[markup(f"<b>{h}</b>", st["cell"]) for h in ("Action", "Outcome", "Note")]]
        outcome_words = {"done": "Done", "open": "Still open", "dropped": "Dropped"}
        rows += [
            [para(descriptions.get(r.action_id, ""), st["cell"]),
             para(outcome_words[r.outcome.value], st["cell"]), para(r.note, st["cell"])]
            for r in rec.reviews
        ]  # fmt: skip
        story.append(table(rows, [width * 0.5, width * 0.15, width * 0.35]))
    return story


def _risk_themes_wellbeing(
    db: Database, rec: SessionRecord, spec: TypeSpec, width: float, include_confidential: bool
) -> list[Flowable]:
    st = styles()
    story: list[Flowable] = section("Risk and safeguarding")
    answer = {None: "Not answered", True: "Yes", False: "No"}[rec.risk_link]
    story.append(
        key_values(
            [
                ("Linked", answer),
                ("Case refs", rec.case_refs),
                ("Referral refs", rec.referral_refs),
            ],
            width,
            st,
            cols=3,
        )
    )
    theme_names = {t.id: t.name for t in list_themes(db, include_retired=True)}
    story += section("Themes")
    story.append(
        para(", ".join(theme_names.get(t, "") for t in rec.theme_ids) or "None", st["body"])
    )

    if not spec.is_group:
        story += section("Wellbeing")
        distress = {None: "Not recorded", True: "Yes", False: "No"}[rec.moral_distress]
        story.append(
            key_values(
                [
                    ("Wellbeing", f"{rec.wellbeing} / 10" if rec.wellbeing else "Not recorded"),
                    (
                        "Workload",
                        rec.workload.value.capitalize() if rec.workload else "Not recorded",
                    ),
                    ("Moral distress", distress),
                    ("Support offered", rec.support_offered),
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
    if state.supervisee_response:
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
        para(state.label, st["body"]),
        side_by_side(sup_block, sv_block, width),
        Spacer(1, 3 * mm),
        para(
            f"Record {rec.id} · fingerprint (SHA-256): {state.fingerprint or 'assigned at sign-off'}",
            st["small"],
        ),
    ]
    story.append(KeepTogether(block))
    return story


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
