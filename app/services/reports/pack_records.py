"""The compliance pack's parts about what records say (issue 16): whether supervisees were
given their copy of the signed record within the policy's deadline, and how many concerns were
escalated, and where to — counted, never named."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from reportlab.platypus import Flowable

from app.domain.records import Escalation
from app.domain.rows import SignOff
from app.services.record_facts import CopyTiming, copy_deadline
from app.services.reports.base import markup, para, section, styles, table
from app.storage.db import Database
from app.storage.policies import policy_history

if TYPE_CHECKING:
    from app.services.reports.compliance import PackContext


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
    every held one-to-one record."""
    history = policy_history(db)
    copies: Counter[CopyTiming] = Counter()
    rows = db.execute(
        "SELECT signed_at, supervisee_response, supervisee_copy_received, copy_given_on "
        "FROM sessions s JOIN supervision_types t ON t.key = s.type "
        "WHERE s.status = 'held' AND s.signed_at IS NOT NULL AND t.kind = 'one-to-one' "
        "AND s.worker_id IS NOT NULL AND s.session_date BETWEEN ? AND ?",
        [date_from.isoformat(), until.isoformat()],
    ).fetchall()
    for signed_at, response, received, given in rows:
        state = SignOff(
            signed_at, "", None, "", response, "", "", None,
            supervisee_copy_received=None if received is None else bool(received),
            copy_given_on=None if given is None else date.fromisoformat(given),
        )  # fmt: skip
        policy = history.in_force(date.fromisoformat(str(signed_at)[:10])).policy
        found = copy_deadline(state, policy, today)
        if found is not None:
            copies[found.timing] += 1
    escalations: Counter[Escalation] = Counter(
        {
            Escalation(kind): int(n)
            for kind, n in db.execute(
                "SELECT escalation, count(*) FROM sessions WHERE status = 'held' "
                "AND escalation IS NOT NULL AND session_date BETWEEN ? AND ? "
                "GROUP BY escalation",
                [date_from.isoformat(), until.isoformat()],
            )
        }
    )
    policy = history.in_force(until).policy
    return RecordCounts(
        copies,
        escalations,
        sum(escalations.values()),
        policy.copy_deadline_working_days,
        policy.bank_holiday_nation,
    )


def _counts(ctx: PackContext) -> RecordCounts:
    d = ctx.data
    return record_counts(ctx.db, d.date_from, d.until, d.today)


def copies_section(ctx: PackContext) -> list[Flowable]:
    """Supervisees' copies of the signed records held in the period, against the deadline."""
    st = styles()
    counts = _counts(ctx)
    story: list[Flowable] = section("Supervisees' copies of signed records")
    story.append(
        para(
            f"Policy: the supervisee is given a copy within {counts.deadline_days} working days "
            f"of sign-off ({counts.nation}'s bank holidays are not working days). Signed "
            "one-to-one records held in the period:",
            st["body"],
        )
    )
    rows: list[list[Flowable | str]] = [
        [markup("<b>Copy</b>", st["cell"]), markup("<b>Records</b>", st["cell"])]
    ]
    for timing, words in (
        (CopyTiming.ON_TIME, "Given within the deadline"),
        (CopyTiming.LATE, "Given late"),
        (CopyTiming.NOT_YET, "Not given yet (deadline not passed)"),
        (CopyTiming.OVERDUE, "Not given yet, deadline passed"),
        (CopyTiming.NOT_RECORDED, "Date not recorded (responded before Keel kept it)"),
    ):
        rows.append([para(words, st["cell"]), para(f"{counts.copies[timing]:,}", st["num"])])
    story.append(table(rows, [ctx.width * 0.7, ctx.width * 0.3]))
    return story


def escalations_section(ctx: PackContext) -> list[Flowable]:
    """How many concerns from one-to-one records held in the period were escalated, by where
    to (counts only: the pack names nobody)."""
    st = styles()
    counts = _counts(ctx)
    story: list[Flowable] = section("Escalations from supervision")
    if not counts.escalation_records:
        story.append(para("No record held in the period answered the escalation question.",
                          st["body"]))  # fmt: skip
        return story
    escalated = counts.escalation_records - counts.escalations[Escalation.NONE]
    story.append(
        para(
            f"{escalated:,} of {counts.escalation_records:,} records that answered the question "
            "escalated a concern. Counts only: the people are not named here.",
            st["body"],
        )
    )
    rows: list[list[Flowable | str]] = [
        [markup("<b>Escalated to</b>", st["cell"]), markup("<b>Records</b>", st["cell"])]
    ]
    for kind in Escalation:
        rows.append(
            [para(kind.label, st["cell"]), para(f"{counts.escalations[kind]:,}", st["num"])]
        )
    story.append(table(rows, [ctx.width * 0.7, ctx.width * 0.3]))
    return story
