"""A small service with known content, and PDF helpers, for the report and export tests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pypdf import PdfReader

from app.domain.catalogue import CLINICAL as CLINICAL
from app.domain.catalogue import GROUP as GROUP
from app.domain.catalogue import LINE as LINE
from app.domain.model import RiskFactors, SessionStatus, Worker
from app.domain.records import (
    Action,
    ActionOwner,
    ActionReview,
    ActionStatus,
    Decision,
    Mode,
    SessionRecord,
    Workload,
)
from app.services.sessions import SessionService
from app.services.workers import WorkerService
from app.storage.db import Database
from app.storage.themes import theme_by_name


@dataclass(frozen=True)
class Service:
    lead: Worker
    worker: Worker
    other: Worker
    first: str  # a held line session, 2 Oct 2026, its action reviewed later
    second: str  # a held clinical session, 20 Nov 2026, with everything filled in
    cancelled: str  # a cancelled line session, 5 Nov 2026
    gappy: str  # a held line session of the other worker with quality gaps, 12 Nov 2026


ISSUES = "Caseload of 32 with two new high-risk referrals; R&D <b>pilot</b> discussed."
DECISION = "Cap new allocations for four weeks"
RATIONALE = "Caseload is above the team norm of 28"
ACTION = "Review C-1043 risk plan with the duty worker"
EVIDENCE = "Updated plan on the record"
CONFIDENTIAL = "Feels worn down after the inquest; partner unwell."
CANCEL_REASON = "Supervisor called to a Mental Health Act assessment"
ASSESSMENT_RATIONALE = "Two high-risk referrals and new to the crisis pathway"


def make_service(db: Database) -> Service:
    """Three people in two teams and four sessions whose content the tests look for."""
    workers = WorkerService(db)
    lead = workers.save(
        Worker(id="", name="Amara Okafor", role="Team Lead", team="North Community Team",
               start_date=date(2019, 4, 1), qualified_clinical=True)
    )  # fmt: skip
    worker = workers.save(
        Worker(id="", name="Łukasz Nowak", role="Community Mental Health Nurse",
               team="North Community Team", staff_id="KL1003", start_date=date(2024, 1, 8),
               profession="Registered mental health nurse", line_supervisor_id=lead.id,
               clinical_supervisor_id=lead.id)
    )  # fmt: skip
    other = workers.save(
        Worker(id="", name="Zoë Hartley", role="Social Worker", team="South Community Team",
               start_date=date(2023, 3, 1), line_supervisor_id=lead.id)
    )  # fmt: skip
    workers.add_assessment(
        worker.id, date(2026, 6, 1), RiskFactors(3, 3, 2, 2), assessed_by="Amara Okafor",
        rationale=ASSESSMENT_RATIONALE,
    )  # fmt: skip
    workers.add_assessment(
        worker.id, date(2025, 12, 1), RiskFactors(2, 2, 2, 2), assessed_by="Amara Okafor",
        rationale="Stable caseload",
    )  # fmt: skip
    sessions = SessionService(db)
    first = sessions.save(
        SessionRecord(
            type=LINE, status=SessionStatus.HELD, session_date=date(2026, 10, 2),
            worker_id=worker.id, supervisor_id=lead.id, start_time="10:00", duration_minutes=60,
            mode=Mode.IN_PERSON, issues="Annual leave planning and lone working.",
            decisions=[Decision("Pair up for evening visits", "Two incidents this quarter")],
            actions=[Action("Book lone-working refresher", ActionOwner.SUPERVISEE,
                            date(2026, 10, 30), "Certificate")],
            risk_link=False, wellbeing=5, workload=Workload.STRETCHED, moral_distress=False,
        )
    ).record  # fmt: skip
    theme = theme_by_name(db, "Workload pressure")
    assert theme is not None
    second = sessions.save(
        SessionRecord(
            type=CLINICAL, status=SessionStatus.HELD,
            session_date=date(2026, 11, 20), worker_id=worker.id, supervisor_id=lead.id,
            start_time="14:30", duration_minutes=75, mode=Mode.VIDEO, location="Team base",
            checklist={"risk_formulation": True, "reflection": True}, issues=ISSUES,
            decisions=[Decision(DECISION, RATIONALE)],
            actions=[Action(ACTION, ActionOwner.SUPERVISEE, date(2026, 12, 4), EVIDENCE)],
            reviews=[ActionReview(first.actions[0].id, ActionStatus.DONE, "Attended 28 Oct")],
            risk_link=True, case_refs="C-1043", referral_refs="SG-2026-118",
            theme_ids=[theme.id], wellbeing=7, workload=Workload.EXCESSIVE,
            moral_distress=True, support_offered="EAP details given",
            confidential_notes=CONFIDENTIAL,
        )
    ).record  # fmt: skip
    cancelled = sessions.save(
        SessionRecord(
            type=LINE, status=SessionStatus.CANCELLED,
            session_date=date(2026, 11, 5), worker_id=worker.id, supervisor_id=lead.id,
            cancel_reason=CANCEL_REASON,
        )
    ).record  # fmt: skip
    gappy = sessions.save(
        SessionRecord(
            type=LINE, status=SessionStatus.HELD,
            session_date=date(2026, 11, 12), worker_id=other.id, supervisor_id=lead.id,
            issues="Case discussed, plan agreed.",
        )
    ).record  # fmt: skip
    return Service(lead, worker, other, first.id, second.id, cancelled.id, gappy.id)


def pdf_text(path: Path, *, layout: bool = False) -> str:
    """The PDF's text, read with pypdf (no system tool): what a person copying from it gets.
    ``layout`` keeps the page's arrangement (a table row on one line). Pages are separated by
    a form feed, as poppler's ``pdftotext`` does."""
    mode = "layout" if layout else "plain"
    reader = PdfReader(path)
    return "\f".join(page.extract_text(extraction_mode=mode) for page in reader.pages)


# The name the tests used when they read PDFs with poppler's pdftotext; it reads with pypdf now.
pdftotext = pdf_text


def flat(text: str) -> str:
    """Whitespace collapsed to single spaces: table cells and wrapped lines read as one."""
    return " ".join(text.split())


def page_count(path: Path) -> int:
    return len(PdfReader(path).pages)


def links_and_images(path: Path) -> list[str]:
    """Link annotations and image XObjects anywhere in the PDF (there should be none)."""
    found: list[str] = []
    reader = PdfReader(path)
    for n, page in enumerate(reader.pages, start=1):
        for annot in page.get("/Annots") or []:
            obj = annot.get_object()
            found.append(f"page {n}: annotation {obj.get('/Subtype')}")
        resources = page.get("/Resources") or {}
        xobjects = resources.get_object().get("/XObject") if resources else None
        for name, ref in (xobjects.get_object() if xobjects else {}).items():
            if ref.get_object().get("/Subtype") == "/Image":
                found.append(f"page {n}: image {name}")
    # The file's own dictionaries, without the streams' bytes: a compressed, ASCII85-encoded
    # page stream can hold "/URI" by chance (seen once in a compliance pack).
    raw = re.sub(rb"stream\r?\n.*?endstream", b"", path.read_bytes(), flags=re.S)
    for marker in (rb"/Subtype\s*/Link", rb"/Subtype\s*/Image", rb"/URI"):
        if re.search(marker, raw):
            found.append(f"raw: {marker!r}")
    return found
