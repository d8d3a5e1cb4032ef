"""Quality assurance of signed records (issue 16): a QA reviewer — a manager marked as one —
samples signed records and countersigns them, with comments.

The countersignature is evidence of its own (app.storage.countersign): its hash covers its
content and names the record's fingerprint, which it never changes. This module holds what
screens, reports and the service view share: the countersignature as a row, the rule that says
who may countersign a record, and the sampling figures (signed records, countersigned ones, the
rate) per team and month.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

# The hash's form: its content is fixed by this number and never changes (a new form would
# get a new number, old countersignatures keep theirs).
HASH_FORM = 1


@dataclass(frozen=True, slots=True)
class Countersignature:
    id: str
    session_id: str
    reviewer_id: str
    reviewer_name: str
    reviewer_role: str
    comments: str
    record_fingerprint: str
    countersigned_at: str  # UTC, ISO 8601 with Z
    hash: str

    def content(self) -> dict[str, Any]:
        """What the hash covers: everything but the hash itself."""
        return {
            "id": self.id,
            "session_id": self.session_id,
            "reviewer_id": self.reviewer_id,
            "reviewer_name": self.reviewer_name,
            "reviewer_role": self.reviewer_role,
            "comments": self.comments,
            "record_fingerprint": self.record_fingerprint,
            "countersigned_at": self.countersigned_at,
        }


def countersignature_hash(content: dict[str, Any]) -> str:
    """SHA-256 of a countersignature's content (its form, then canonical JSON): the record's
    fingerprint is part of it, so the hash names the record as it was signed."""
    import hashlib  # when a countersignature is written or checked, never to show the schedule

    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"keel-countersignature\x1d{HASH_FORM}\x1d{text}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class RecordParties:
    """Who a signed record is about and by: a reviewer may be neither."""

    supervisor_id: str | None
    signed_by_id: str | None
    supervisees: frozenset[str]  # the worker, or a group's attendees


def why_not_reviewer(
    reviewer_id: str, reviewer_name: str, parties: RecordParties, *, is_reviewer: bool,
    left_on: date | None = None,
) -> str | None:  # fmt: skip
    """The sentence that says why this person may not countersign this record (None: they
    may). A countersignature is an independent check of someone else's supervision."""
    if not is_reviewer:
        return (
            f"{reviewer_name} is not a QA reviewer: a manager is marked as one in their worker "
            "details (Edit worker → QA reviewer)."
        )
    if left_on is not None:
        return f"{reviewer_name} has left the service: only staff in post countersign records."
    if reviewer_id in (parties.supervisor_id, parties.signed_by_id):
        return (
            f"{reviewer_name} supervised and signed this session: a countersignature is an "
            "independent check, so another QA reviewer countersigns it."
        )
    if reviewer_id in parties.supervisees:
        return (
            f"{reviewer_name} was supervised in this session: nobody quality-assures their own "
            "supervision, so another QA reviewer countersigns it."
        )
    return None


# Sampling figures -------------------------------------------------------------------------


def month_of(day: date) -> date:
    return day.replace(day=1)


@dataclass(frozen=True, slots=True)
class QaRow:
    """A signed record as the figures count it: its team, date and whether it is QA'd."""

    team: str
    on: date
    countersigned: bool


@dataclass(frozen=True, slots=True)
class QaCell:
    team: str
    month: date  # the first of the month
    signed: int
    countersigned: int

    @property
    def awaiting(self) -> int:
        return self.signed - self.countersigned

    @property
    def rate(self) -> float | None:
        """Countersigned / signed, as a percentage; None when nothing was signed."""
        return None if not self.signed else 100 * self.countersigned / self.signed


def rate_words(countersigned: int, signed: int) -> str:
    """ "2 of 14 (14%)", or "no signed records" — never a 0% made of nothing."""
    if not signed:
        return "no signed records"
    return f"{countersigned:,} of {signed:,} ({100 * countersigned / signed:.0f}%)"


@dataclass(frozen=True)
class QaFigures:
    """Signed records dated in [date_from, date_to] and how many are countersigned, per team
    and month (teams in name order, months in date order)."""

    date_from: date
    date_to: date
    cells: list[QaCell] = field(default_factory=list)

    @property
    def signed(self) -> int:
        return sum(c.signed for c in self.cells)

    @property
    def countersigned(self) -> int:
        return sum(c.countersigned for c in self.cells)

    @property
    def awaiting(self) -> int:
        return self.signed - self.countersigned

    @property
    def rate(self) -> float | None:
        return None if not self.signed else 100 * self.countersigned / self.signed

    @property
    def teams(self) -> list[str]:
        return sorted({c.team for c in self.cells}, key=str.casefold)

    def team_total(self, team: str) -> QaCell:
        mine = [c for c in self.cells if c.team == team]
        return QaCell(team, month_of(self.date_from), sum(c.signed for c in mine),
                      sum(c.countersigned for c in mine))  # fmt: skip


def qa_figures(rows: Iterable[QaRow], date_from: date, date_to: date) -> QaFigures:
    """The figures of the signed records ``rows`` (those outside the period are left out)."""
    signed: dict[tuple[str, date], int] = {}
    done: dict[tuple[str, date], int] = {}
    for row in rows:
        if not date_from <= row.on <= date_to:
            continue
        key = (row.team, month_of(row.on))
        signed[key] = signed.get(key, 0) + 1
        if row.countersigned:
            done[key] = done.get(key, 0) + 1
    cells = [
        QaCell(team, month, n, done.get((team, month), 0))
        for (team, month), n in sorted(signed.items(), key=lambda kv: (kv[0][0].casefold(),
                                                                        kv[0][0], kv[0][1]))
    ]  # fmt: skip
    return QaFigures(date_from, date_to, cells)
