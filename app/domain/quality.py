"""The record-quality check (DOMAIN.md §6): what a record lacks before it can be signed off.

"Case discussed, plan agreed" is not a record: the check names each gap in plain words.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.catalogue import TypeSpec
from app.domain.model import SessionStatus
from app.domain.records import SessionRecord


@dataclass(frozen=True, slots=True)
class QualityGap:
    code: str
    message: str


def quality_gaps(
    record: SessionRecord, spec: TypeSpec, *, supervisor_qualified: bool | None
) -> list[QualityGap]:
    """Gaps in a held session's record (``spec`` is its type's catalogue entry). Planned,
    cancelled and DNA sessions need no content."""
    if record.status is not SessionStatus.HELD:
        return []
    gaps: list[QualityGap] = []
    if not record.issues.strip() and not record.case_discussion.strip():
        gaps.append(QualityGap("issues", "Issues discussed is empty."))
    if not any(d.text.strip() for d in record.decisions):
        gaps.append(QualityGap("decision", "No decision or guidance is recorded."))
    elif any(d.text.strip() and not d.rationale.strip() for d in record.decisions):
        gaps.append(QualityGap("rationale", "A decision has no rationale."))
    for n, action in enumerate(record.actions, start=1):
        missing = []
        if action.owner is None:
            missing.append("an owner")
        if action.due_date is None:
            missing.append("a due date")
        if missing:
            what = action.description.strip()[:40] or f"Action {n}"
            gaps.append(QualityGap("action", f"Action “{what}” lacks {' and '.join(missing)}."))
    if record.risk_link is None:
        gaps.append(QualityGap("risk", "The risk / safeguarding question is unanswered."))
    elif record.risk_link and not (record.case_refs.strip() or record.referral_refs.strip()):
        gaps.append(
            QualityGap("risk_refs", "Risk or safeguarding is linked but no case reference given.")
        )
    if spec.qualified_supervisor and supervisor_qualified is False:
        gaps.append(
            QualityGap(
                "qualified",
                "The supervisor is not marked as qualified to give clinical supervision.",
            )
        )
    if spec.is_group and len(set(record.attendees)) < 2:
        gaps.append(QualityGap("attendees", "A group session needs at least two attendees."))
    if record.supervisor_id is None:
        gaps.append(QualityGap("supervisor", "No supervisor is recorded."))
    return gaps
