"""The record PDF's quality-assurance part (issue 16): the QA countersignature — reviewer, job
title, date, comments and the countersignature's own hash, which names the record's
fingerprint — or "Not yet quality-assured"."""

from __future__ import annotations

from datetime import tzinfo

from reportlab.platypus import Flowable, KeepTogether

from app.domain.qa import Countersignature
from app.services.reports.base import heading, key_values, para, paras, stamp, styles

NOT_YET = "Not yet quality-assured."


def qa_story(
    found: Countersignature | None, *, held: bool, width: float, zone: tzinfo | None
) -> list[Flowable]:
    """The "Quality assurance" block of a held record, from its countersignature (``found``,
    None when it has none); nothing for a record that was not held."""
    if not held:
        return []
    st = styles()
    if found is None:  # one line: a record that fitted on one page still does
        return [para(f"Quality assurance: {NOT_YET}", st["small"])]
    block: list[Flowable] = [heading("Quality assurance")]
    block.append(
        key_values(
            [
                ("Reviewer", found.reviewer_name),
                ("Job title", found.reviewer_role or "Not recorded"),
                ("Date", stamp(found.countersigned_at, zone)),
            ],
            width,
            st,
            cols=3,
        )
    )
    block.append(para("QA comments", st["label"]))
    block += paras(found.comments, st["body"])
    block.append(
        para(
            f"Countersignature {found.id} of the record with fingerprint "
            f"{found.record_fingerprint} · the countersignature's own hash (SHA-256), over its "
            f"comments, reviewer, date and that fingerprint: {found.hash}",
            st["small"],
        )
    )
    return [KeepTogether(block)]
