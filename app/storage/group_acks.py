"""Each attendee's response to a signed group record (schema: app.storage.group_ack_schema),
and the ``attendee_response`` kind of evidence (app.storage.evidence_registry): append-only
rows, each audited with the hash of its content and replayed by ``check``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from app.domain.rows import AttendeeResponse
from app.storage.db import Database, new_id, utc_now
from app.storage.evidence_registry import Labels, day, register, table_kind, whose

COLUMNS = (
    "id", "session_id", "worker_id", "response", "name", "comment", "responded_at",
    "copy_received", "copy_given_on",
)  # fmt: skip


def responses_for(db: Database, session_id: str) -> dict[str, AttendeeResponse]:
    """{attendee's worker id: their response} for one record."""
    out: dict[str, AttendeeResponse] = {}
    for row in db.execute(
        f"SELECT {', '.join(COLUMNS)} FROM attendee_responses WHERE session_id = ?",
        [session_id],
    ):
        copy = None if row[7] is None else bool(row[7])
        given = date.fromisoformat(row[8]) if row[8] else None
        out[str(row[2])] = AttendeeResponse(
            str(row[0]), str(row[1]), str(row[2]), str(row[3]), str(row[4]), str(row[5]),
            str(row[6]), copy, given,
        )  # fmt: skip
    return out


def insert_response(
    db: Database,
    session_id: str,
    worker_id: str,
    response: str,
    name: str,
    comment: str,
    copy_received: bool | None,
    copy_given_on: date | None,
) -> str:
    """Store one attendee's response (call in a transaction, then record its evidence)."""
    row_id = new_id()
    db.execute(
        f"INSERT INTO attendee_responses ({', '.join(COLUMNS)}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            row_id, session_id, worker_id, response, name.strip(), comment.strip(), utc_now(),
            None if copy_received is None else int(copy_received),
            None if copy_given_on is None else copy_given_on.isoformat(),
        ],
    )  # fmt: skip
    return row_id


def _title(labels: Labels, names: Mapping[str, str]) -> str:
    attendee = names.get(str(labels.get("attendee") or ""), "an attendee")
    of = f" of {whose(labels, names)}" if labels.get("worker") else ""
    return (
        f"the response of {attendee} to the signed {labels.get('type') or 'group'} record{of} "
        f"dated {day(labels.get('date'))}"
    )


ATTENDEE_RESPONSE = register(
    table_kind(
        "attendee_response",
        entity="session",
        noun="attendee's response",
        table="attendee_responses",
        columns=COLUMNS,
        joins="LEFT JOIN sessions s ON s.id = t.session_id",
        labels={
            "worker": "s.worker_id",
            "attendee": "t.worker_id",
            "date": "s.session_date",
            "type": "s.type",
        },
        title=_title,
    )
)


def begin_attendee_responses(db: Database, schema: int) -> None:
    """The schema step's Python part: baseline evidence of the responses it copied."""
    from app.storage.evidence_registry import begin_tracking

    begin_tracking(db, ["attendee_response"], schema)


def yet_to_respond(db: Database, session_ids: list[str]) -> dict[str, int]:
    """{group record id: how many of its attendees have not yet responded} for the given
    records (records every attendee has answered are left out)."""
    import json

    rows = db.execute(
        "SELECT a.session_id, count(*) FROM session_attendees a "
        "WHERE a.session_id IN (SELECT value FROM json_each(?)) AND NOT EXISTS "
        "(SELECT 1 FROM attendee_responses r WHERE r.session_id = a.session_id "
        "AND r.worker_id = a.worker_id) GROUP BY a.session_id",
        [json.dumps(session_ids)],
    )
    return {str(sid): int(n) for sid, n in rows}
