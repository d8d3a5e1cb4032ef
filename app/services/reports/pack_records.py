"""The compliance pack's parts about what records say (issue 16): whether supervisees were
given their copy of the signed record within the policy's deadline, and how many concerns were
escalated, and where to — counted, never named. Laid out from the counts gathered before
(``app.services.pack_record_data``): nothing here reads the database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reportlab.platypus import Flowable

from app.domain.records import Escalation
from app.services.record_facts import CopyTiming
from app.services.reports.base import markup, para, section, styles, table

if TYPE_CHECKING:
    from app.services.pack_record_data import RecordCounts
    from app.services.reports.compliance import PackContext


def _counts(ctx: PackContext) -> RecordCounts:
    found = ctx.data.record_counts
    if found is None:
        raise ValueError("The pack's record counts were not gathered (gather_pack_records).")
    return found


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
