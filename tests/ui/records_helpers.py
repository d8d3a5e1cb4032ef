"""Records for the search, themes, governance, wellbeing and agreement UI tests, made through
the services (never the demo loader, which others change)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from app.domain.catalogue import CLINICAL as CLINICAL
from app.domain.catalogue import GROUP as GROUP
from app.domain.catalogue import LINE as LINE
from app.domain.model import SessionStatus, TypeKey, Worker
from app.domain.records import Decision, Workload
from ui.context import AppContext


@dataclass
class Staff:
    lead: Worker  # line and clinical supervisor
    zoe: Worker
    aisha: Worker
    ben: Worker


def make_staff(ctx: AppContext) -> Staff:
    save = ctx.workers.save
    lead = save(
        Worker("", "Priya Nair", "Team lead", "North", date(2019, 3, 1), qualified_clinical=True)
    )

    def member(name: str, role: str, started: date) -> Worker:
        return save(
            Worker(
                "", name, role, "North", started,
                line_supervisor_id=lead.id, clinical_supervisor_id=lead.id,
            )
        )  # fmt: skip

    return Staff(
        lead,
        member("Zoë Adams", "Support worker", date(2024, 1, 8)),
        member("Aisha Rahman", "CPN", date(2022, 1, 1)),
        member("Ben Carter", "Social worker", date(2021, 6, 1)),
    )


def held(
    ctx: AppContext,
    worker: Worker,
    on: date,
    *,
    supervisor: Worker,
    type_: TypeKey = LINE,
    issues: str = "Caseload review.",
    decisions: list[Decision] | None = None,
    **fields: Any,
) -> str:
    """Save a held one-to-one session; returns its id."""
    record = ctx.sessions.new_record(type_, worker.id, on)
    record.status = SessionStatus.HELD
    record.supervisor_id = supervisor.id
    record.issues = issues
    record.decisions = decisions if decisions is not None else [Decision("Carry on", "Stable")]
    record.risk_link = False
    for name, value in fields.items():
        setattr(record, name, value)
    return ctx.sessions.save(record).record.id


def pulse(
    ctx: AppContext,
    staff: Staff,
    worker: Worker,
    readings: list[tuple[date, int | None, Workload | None, bool | None]],
) -> list[str]:
    """One held line session per reading (wellbeing, workload, moral distress)."""
    return [
        held(ctx, worker, on, supervisor=staff.lead, wellbeing=score, workload=load,
             moral_distress=distress)
        for on, score, load, distress in readings
    ]  # fmt: skip
