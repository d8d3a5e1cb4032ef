"""Builders for the governance, search and insight tests (not collected as tests)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from app.domain.catalogue import CLINICAL as CLINICAL
from app.domain.catalogue import GROUP as GROUP
from app.domain.catalogue import LINE as LINE
from app.domain.model import RiskFactors, SessionStatus, TypeKey, Worker
from app.domain.records import (
    Action,
    ActionOwner,
    CancelCategory,
    Decision,
    SessionRecord,
    Workload,
)
from app.services.sessions import SessionService
from app.services.workers import WorkerService
from app.storage.db import Database
from app.storage.themes import theme_by_name
from tests.app import reportdata

HELD = SessionStatus.HELD


def person(
    db: Database,
    name: str,
    *,
    team: str = "North",
    start: date = date(2020, 1, 6),
    line_sup: str | None = None,
    clin_sup: str | None = None,
    qualified: bool = False,
    factors: tuple[int, int, int, int] | None = None,
    assessed_on: date = date(2025, 1, 6),
) -> Worker:
    """A worker (saved), optionally with a risk assessment."""
    worker = WorkerService(db).save(
        Worker(id="", name=name, role="Nurse", team=team, start_date=start,
               line_supervisor_id=line_sup, clinical_supervisor_id=clin_sup,
               qualified_clinical=qualified)
    )  # fmt: skip
    if factors is not None:
        WorkerService(db).add_assessment(
            worker.id, assessed_on, RiskFactors(*factors), assessed_by="Lead", rationale="Test"
        )
    return worker


def theme_id(db: Database, name: str) -> str:
    theme = theme_by_name(db, name)
    assert theme is not None, name
    return theme.id


def session(
    db: Database,
    worker: Worker | None,
    on: date,
    *,
    type_: TypeKey = LINE,
    status: SessionStatus = HELD,
    supervisor: Worker | None = None,
    themes: Sequence[str] = (),
    decision_themes: Sequence[str] = (),
    attendees: Sequence[Worker] = (),
    issues: str = "Caseload review.",
    decisions: Sequence[tuple[str, str]] = (("Agreed a plan.", "Because."),),
    actions: Sequence[Action] = (),
    cancel_reason: str = "",
    cancel_category: CancelCategory | None = None,
    wellbeing: int | None = None,
    workload: Workload | None = None,
    moral_distress: bool | None = None,
    confidential: str = "",
    case_refs: str = "",
    support_offered: str = "",
    case_discussion: str = "",
) -> str:
    """Save a session through the session service; theme names are looked up. Returns its id."""
    decs = [Decision(t, r) for t, r in decisions]
    if decision_themes and decs:
        decs[0].theme_ids = [theme_id(db, n) for n in decision_themes]
    rec = SessionRecord(
        type=type_,
        status=status,
        session_date=on,
        worker_id=None if type_ == GROUP else (worker.id if worker else None),
        supervisor_id=supervisor.id if supervisor else None,
        attendees=[a.id for a in attendees],
        issues=issues,
        case_discussion=case_discussion,
        decisions=decs if status is HELD else [],
        actions=list(actions),
        cancel_reason=cancel_reason,
        cancel_category=cancel_category,
        theme_ids=[theme_id(db, n) for n in themes],
        wellbeing=wellbeing,
        workload=workload,
        moral_distress=moral_distress,
        confidential_notes=confidential,
        case_refs=case_refs,
        support_offered=support_offered,
        risk_link=False,
    )
    return SessionService(db).save(rec).record.id


def action(description: str, owner: ActionOwner, due: date, evidence: str = "") -> Action:
    return Action(description=description, owner=owner, due_date=due, evidence=evidence)


def pdf_text(path: Path, *, layout: bool = False) -> str:
    """The text of a PDF (pypdf; ``layout`` keeps table rows on one line), runs of spaces made
    single."""
    return re.sub(r"[ \t]+", " ", reportdata.pdf_text(path, layout=layout))


def flat(text: str) -> str:
    """Text with all whitespace removed: wrapping cannot split what a test looks for."""
    return re.sub(r"\s+", "", text)
