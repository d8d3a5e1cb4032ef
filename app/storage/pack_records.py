"""Reads for the compliance pack's record-level parts (issue 16): the sign-off of each signed
one-to-one record held in a period (for its supervisee's copy against the deadline), and how
many held records escalated a concern, by where to. Counts and sign-off states only: no names.
"""

from __future__ import annotations

from datetime import date

from app.domain.records import Escalation
from app.domain.rows import SignOff
from app.storage.db import Database


def signed_one_to_one(db: Database, date_from: date, until: date) -> list[SignOff]:
    """The sign-off of every signed one-to-one record held from ``date_from`` to ``until``
    (when signed, the supervisee's response and their copy; nothing else is filled in)."""
    rows = db.execute(
        "SELECT signed_at, supervisee_response, supervisee_copy_received, copy_given_on "
        "FROM sessions s JOIN supervision_types t ON t.key = s.type "
        "WHERE s.status = 'held' AND s.signed_at IS NOT NULL AND t.kind = 'one-to-one' "
        "AND s.worker_id IS NOT NULL AND s.session_date BETWEEN ? AND ?",
        [date_from.isoformat(), until.isoformat()],
    ).fetchall()
    return [
        SignOff(
            signed_at,
            "",
            None,
            "",
            response,
            "",
            "",
            None,
            supervisee_copy_received=None if received is None else bool(received),
            copy_given_on=None if given is None else date.fromisoformat(given),
        )
        for signed_at, response, received, given in rows
    ]


def escalations(db: Database, date_from: date, until: date) -> dict[Escalation, int]:
    """How many held records from ``date_from`` to ``until`` answered the escalation question,
    by the answer."""
    return {
        Escalation(kind): int(n)
        for kind, n in db.execute(
            "SELECT escalation, count(*) FROM sessions WHERE status = 'held' "
            "AND escalation IS NOT NULL AND session_date BETWEEN ? AND ? "
            "GROUP BY escalation",
            [date_from.isoformat(), until.isoformat()],
        )
    }
