"""What the compliance pack's record-level sections print, gathered before any layout
(``app.services.reports.qa_pack`` and ``app.services.reports.pack_records`` lay it out and read
nothing themselves): the QA sampling figures, the supervisees' copies against the deadline, and
the escalations — each read once, however many sections show it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from app.domain.qa import QaFigures, qa_figures
from app.domain.records import Escalation
from app.services.record_facts import CopyTiming, copy_deadline
from app.storage import pack_records as store
from app.storage.countersign import qa_rows
from app.storage.db import Database
from app.storage.policies import policy_history

if TYPE_CHECKING:
    from app.services.compliance_data import ComplianceData


@dataclass(frozen=True, slots=True)
class RecordCounts:
    copies: Counter[CopyTiming]
    escalations: Counter[Escalation]
    escalation_records: int  # held one-to-one records that answered the question
    deadline_days: int
    nation: str


def record_counts(db: Database, date_from: date, until: date, today: date) -> RecordCounts:
    """The signed one-to-one records held from ``date_from`` to ``until``: their copies
    against the deadline of the policy in force when each was signed; and the escalations of
    the held records that answered the question."""
    history = policy_history(db)
    copies: Counter[CopyTiming] = Counter()
    for state in store.signed_one_to_one(db, date_from, until):
        policy = history.in_force(date.fromisoformat(str(state.signed_at)[:10])).policy
        found = copy_deadline(state, policy, today)
        if found is not None:
            copies[found.timing] += 1
    escalations: Counter[Escalation] = Counter(store.escalations(db, date_from, until))
    policy = history.in_force(until).policy
    return RecordCounts(
        copies,
        escalations,
        sum(escalations.values()),
        policy.copy_deadline_working_days,
        policy.bank_holiday_nation,
    )


def team_qa(db: Database, date_from: date, until: date) -> QaFigures:
    """The team pack's QA figures: signed records dated from ``date_from`` to ``until``."""
    return qa_figures(qa_rows(db, date_from, until), date_from, until)


def gather_pack_records(db: Database, data: ComplianceData) -> None:
    """The compliance pack's gather step for its record-level sections (QA sampling, copies,
    escalations)."""
    data.qa = team_qa(db, data.date_from, data.until)
    data.record_counts = record_counts(db, data.date_from, data.until, data.today)
