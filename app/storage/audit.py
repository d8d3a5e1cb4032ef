"""The append-only audit trail, each entry chained to the previous one by SHA-256.

Triggers stop UPDATE and DELETE; the chain makes an out-of-band edit (with the triggers dropped)
visible to ``verify_chain``. Entries deleted from the *end* leave a sound chain behind, so every
audited write also updates a witness of the chain's head kept outside the database
(``app.storage.witness``), once the transaction has committed.

Evidence (signed records, risk assessments, leave…) is recorded through
``app.storage.evidence_registry.record``, which calls :func:`append` with a hash of the row.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from json.encoder import encode_basestring as _quote
from typing import Any

from app.storage.db import Database, new_id, utc_now

GENESIS = "0" * 64


def _payload(fields: list[Any]) -> str:
    """Exactly ``json.dumps(fields, sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)`` for an entry's fields (integers, text and None), written directly:
    dumps builds an encoder for every call, most of the time ``check`` spends on a long trail
    (``tests/app/test_evidence.py`` compares the two on awkward text)."""
    parts = []
    for value in fields:
        if isinstance(value, str):
            parts.append(_quote(value))
        elif value is None:
            parts.append("null")
        elif isinstance(value, int) and not isinstance(value, bool):
            parts.append(str(value))
        else:
            return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "[" + ",".join(parts) + "]"


def _entry_hash(prev_hash: str, fields: list[Any]) -> str:
    from hashlib import sha256  # on the first write: not needed to show the schedule

    return sha256(f"{prev_hash}\n{_payload(fields)}".encode()).hexdigest()


_INSERT = (
    "INSERT INTO audit_log (seq, id, at, actor, action, entity, entity_id, detail, "
    "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def head(db: Database) -> tuple[int, str] | None:
    """The last entry's sequence number and hash (None for an empty trail)."""
    last = db.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return None if last is None else (int(last[0]), str(last[1]))


def append(
    db: Database,
    action: str,
    entity: str,
    entity_id: str | None,
    detail: dict[str, Any] | None = None,
    *,
    actor: str = "",
) -> str:
    """Append one entry (inside the transaction that made the change; one is begun when none
    is open). Returns its hash."""
    return append_many(db, [(action, entity, entity_id, detail or {}, actor)])


Entry = tuple[str, str, str | None, dict[str, Any], str]
"""What :func:`append_many` appends: action, entity, entity id, detail, actor."""


def append_many(db: Database, entries: list[Entry]) -> str:
    """Append entries in order, chained, with one statement; returns the last one's hash.

    The witness outside the database is brought up to the new head once the transaction
    commits (``app.storage.witness``).
    """
    if not db.conn.in_transaction:
        with db.atomic():
            return append_many(db, entries)
    last = head(db)
    seq, prev = (0, GENESIS) if last is None else last
    at = utc_now()
    rows: list[tuple[Any, ...]] = []
    for action, entity, entity_id, detail, actor in entries:
        seq += 1
        entry_id = new_id()
        detail_text = json.dumps(detail, sort_keys=True, ensure_ascii=False)
        digest = _entry_hash(
            prev, [seq, entry_id, at, actor, action, entity, entity_id, detail_text]
        )
        rows.append(
            (seq, entry_id, at, actor, action, entity, entity_id, detail_text, prev, digest)
        )
        prev = digest
    db.conn.executemany(_INSERT, rows)
    from app.storage import witness  # not needed to show the schedule

    witness.update_after_commit(db)
    return prev


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str | None
    detail: dict[str, Any]


def entries_for(db: Database, entity_id: str) -> list[AuditEntry]:
    rows = db.execute(
        "SELECT seq, at, actor, action, entity, entity_id, detail FROM audit_log "
        "WHERE entity_id = ? ORDER BY seq",
        [entity_id],
    ).fetchall()
    return [AuditEntry(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6])) for r in rows]


_FIELDS = ("seq", "id", "at", "actor", "action", "entity", "entity_id", "detail")
# An entry's payload as SQLite writes it (``json_array``), for an entry whose fields are all
# text, integers or NULL — every entry Keel writes; NULL for any other (a value put there
# outside Keel), which is then written in Python. Made in C, off the interpreter's lock, while
# the evidence is checked on another thread: half the chain's time on a long trail.
_PAYLOAD_SQL = (
    "CASE WHEN "
    + " AND ".join(f"typeof({f}) IN ('text', 'integer', 'null')" for f in _FIELDS)
    + f" THEN json_array({', '.join(_FIELDS)}) END"
)


@functools.cache
def sqlite_writes_payloads(version: str) -> bool:
    """Whether this SQLite's ``json_array`` writes an entry exactly as :func:`_payload` does
    (escapes, control characters, non-ASCII), checked once per SQLite ``version`` on every
    ASCII character and some awkward text; if not, the chain's payloads are written in
    Python."""
    from app import dbapi

    probe: list[Any] = [
        "".join(map(chr, range(128))) + "\u2028\u2029 Zoë 🙂 ܫ עברית \ufeff\U0010ffff",
        "",
        None,
        -7,
        2**62,
    ]
    conn = dbapi.connect(":memory:")
    try:
        row = conn.execute("SELECT json_array(?, ?, ?, ?, ?)", probe).fetchone()
    except dbapi.Error:
        return False
    finally:
        conn.close()
    return bool(row) and row[0] == _payload(probe)


def verify_chain(db: Database) -> list[str]:
    """Problems found in the chain, naming each entry that does not match (empty when sound)."""
    from hashlib import sha256

    from app import dbapi

    problems: list[str] = []
    prev = GENESIS
    expected_seq = 1
    # SQLite writes each payload (NULL for an entry it cannot: its fields follow, read only
    # then); where its JSON is not Keel's, every entry's fields are read and written here.
    in_sql = sqlite_writes_payloads(dbapi.sqlite_version)
    fields_sql = ", ".join(_FIELDS)
    payload_sql = _PAYLOAD_SQL if in_sql else "NULL"
    rows = db.execute(
        f"SELECT seq, prev_hash, hash, {payload_sql}"
        + ("" if in_sql else f", {fields_sql}")
        + " FROM audit_log ORDER BY seq"
    )
    for seq, prev_hash, digest, payload, *fields in rows:
        if seq != expected_seq:
            problems.append(f"audit entries #{expected_seq}–#{seq - 1} are missing")
        if prev_hash != prev:
            problems.append(
                f"audit entry #{seq} ({_named(db, seq)}) does not follow the entry before it "
                "(chain broken)"
            )
        if payload is None:
            if not fields:  # SQLite could not write this one: a value put there outside Keel
                fields = list(
                    db.execute(f"SELECT {fields_sql} FROM audit_log WHERE seq = ?", [seq])
                    .fetchone()
                )  # fmt: skip
            try:
                payload = _payload(fields)
            except TypeError:  # a value JSON cannot hold (a blob): not what Keel wrote
                payload = ""
        if sha256(f"{prev_hash}\n{payload}".encode()).hexdigest() != digest:
            problems.append(
                f"audit entry #{seq} ({_named(db, seq)}) was changed after it was written "
                "(hash mismatch)"
            )
        prev = digest
        expected_seq = seq + 1
    return problems


def _named(db: Database, seq: int) -> str:
    """An entry as a finding names it: "sign session at 2026-11-26T10:00:00Z"."""
    row = db.execute("SELECT action, entity, at FROM audit_log WHERE seq = ?", [seq]).fetchone()
    return f"{row[0]} {row[1]} at {row[2]}" if row else "an entry that cannot be read"
