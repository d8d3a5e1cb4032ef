"""The local side of publishing to the service: the published rows, what changed since a
watermark (``publish_log``, kept by triggers, see app.storage.schema), and the tokens this file
gave the server (``publish_acks``).

Rows come out in the server's column order (app.server.schema.PUBLISHED_TABLES): the id, then
the published columns. Only what the service view needs leaves the laptop: never issue text,
decisions, notes, confidential reflective notes, wellbeing or case codes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from app.storage.db import Database, utc_now

# kind → (server table, the SELECT of its rows: id first, then the published columns; an
# ``{only}`` placeholder narrows it to listed ids).
_SESSION_ROW = """
SELECT s.id, s.type, s.status, s.session_date, s.worker_id, s.supervisor_id,
       (SELECT json_group_array(worker_id) FROM
           (SELECT worker_id FROM session_attendees WHERE session_id = s.id ORDER BY worker_id)),
       (SELECT json_group_array(theme_id) FROM
           (SELECT theme_id FROM session_raised_themes WHERE session_id = s.id
             ORDER BY theme_id)),
       s.signed_at, s.supervisee_response
  FROM sessions s {only}"""

KINDS: dict[str, tuple[str, str]] = {
    "worker": ("workers", "SELECT id, staff_id, name, role, team, start_date, left_on, "
               "(SELECT json_group_array(type) FROM (SELECT type FROM worker_required_types r "
               "WHERE r.worker_id = workers.id ORDER BY type)) FROM workers {only}"),
    "assessment": ("risk_assessments", "SELECT id, worker_id, assessed_on, cohort_risk, "
                   "decision_complexity, support_need, volatility, tier, created_at "
                   "FROM risk_assessments {only}"),
    "leave": ("leave_periods", "SELECT id, worker_id, start_date, end_date FROM leave_periods "
              "{only}"),
    "override": ("overrides", "SELECT id, worker_id, type, interval_days, reason, starts_on, "
                 "expires_on FROM overrides {only}"),
    "trigger": ("trigger_events", "SELECT id, worker_id, kind, event_date, type, "
                "response_days FROM trigger_events {only}"),
    "session": ("sessions", _SESSION_ROW),
    "action": ("actions", "SELECT id, session_id, worker_id, owner, due_date, status, "
               "closed_on FROM actions {only}"),
    "theme": ("themes", "SELECT id, name, retired_on FROM themes {only}"),
    "governance": ("governance_items", "SELECT id, forum, title, status, theme_id, raised_on, "
                   "tabled_on, decided_on, closed_on, change_made, change_made_on "
                   "FROM governance_items {only}"),
    "policy": ("policies", "SELECT id, version, created_at, data, effective_from FROM policies "
               "{only}"),
    "countersignature": ("qa_countersignatures", "SELECT id, session_id, reviewer_id, "
                         "countersigned_at FROM countersignatures {only}"),
}  # fmt: skip

_ALIAS = {"session": "s.id"}
_CHUNK = 500


def _shape(kind: str, row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A local row as the server stores it (lists for arrays, JSON for the policy)."""
    if kind == "worker":  # the keys of the types the role requires
        return (*row[:7], json.loads(row[7]))
    if kind == "session":
        return (*row[:6], json.loads(row[6]), json.loads(row[7]), *row[8:])
    if kind == "policy":
        return (*row[:3], json.loads(row[3]), row[4])
    return tuple(row)


def all_rows(db: Database, kind: str) -> Iterator[tuple[Any, ...]]:
    """Every published row of ``kind``, shaped for the server."""
    sql = KINDS[kind][1].format(only="")
    for row in db.execute(sql):
        yield _shape(kind, row)


def rows_by_id(db: Database, kind: str, ids: Iterable[str]) -> dict[str, tuple[Any, ...]]:
    """The published rows of ``kind`` with these ids (a missing id: the row was deleted)."""
    wanted = list(ids)
    found: dict[str, tuple[Any, ...]] = {}
    column = _ALIAS.get(kind, "id")
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        sql = KINDS[kind][1].format(only=f"WHERE {column} IN ({marks})")
        for row in db.execute(sql, chunk):
            found[str(row[0])] = _shape(kind, row)
    return found


@dataclass(frozen=True, slots=True)
class Change:
    kind: str
    row_id: str
    seq: int


def changes_since(db: Database, seq: int) -> list[Change]:
    """Every logged change newer than ``seq``, oldest first."""
    return [
        Change(kind, row_id, int(n))
        for kind, row_id, n in db.execute(
            "SELECT kind, row_id, seq FROM publish_log WHERE seq > ? ORDER BY seq", [seq]
        )
    ]


def latest_seq(db: Database) -> int:
    row = db.execute("SELECT coalesce(max(seq), 0) FROM publish_log").fetchone()
    return int(row[0])


@contextmanager
def snapshot(db: Database) -> Iterator[None]:
    """One read transaction: everything read inside sees the file as it was at its start, so
    the rows and the watermark published with them agree even while Keel keeps writing."""
    conn = db.conn
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.rollback()


def known_acks(db: Database) -> dict[str, int]:
    """Token → watermark, for every token this file gave the server (the newest few)."""
    return {str(t): int(s) for t, s in db.execute("SELECT token, seq FROM publish_acks")}


_ACKS_KEPT = 20


def remember_ack(db: Database, token: str, seq: int) -> None:
    """Before sending: the token the server will hold with this watermark (call in a
    transaction). Only the newest tokens are kept."""
    db.execute(
        "INSERT INTO publish_acks (token, seq, made_at) VALUES (?, ?, ?)", [token, seq, utc_now()]
    )
    db.execute(
        "DELETE FROM publish_acks WHERE token NOT IN "
        "(SELECT token FROM publish_acks ORDER BY made_at DESC, seq DESC LIMIT ?)",
        [_ACKS_KEPT],
    )


def forget_published(db: Database, seq: int) -> None:
    """After the server acknowledged ``seq``: drop the entries up to it (call in a
    transaction), keeping the newest so the sequence goes on growing."""
    db.execute(
        "DELETE FROM publish_log WHERE seq <= ? AND seq < (SELECT max(seq) FROM publish_log)",
        [seq],
    )


def get_meta(db: Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def set_meta(db: Database, key: str, value: str | None) -> None:
    """Set (or with None remove) a meta value (call in a transaction)."""
    if value is None:
        db.execute("DELETE FROM meta WHERE key = ?", [key])
    else:
        db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )
