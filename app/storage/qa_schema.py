"""The schema step of quality assurance (issue 16): QA reviewers and countersignatures.

Kept in a module of its own (``app.storage.schema`` appends it to ``MIGRATIONS``) so the step's
SQL reads in one place:

* ``qa_reviewers`` — the workers (managers) marked as QA reviewers, one row each; unmarking
  deletes the row. Each change is an audit entry (``app.services.qa``).
* ``countersignatures`` — a QA reviewer's countersignature of a signed record, with comments:
  evidence of its own (``app.storage.countersign``), append-only (never changed, never
  deleted), one per record, only on a signed record. ``record_fingerprint`` is the record's
  printed fingerprint when it was countersigned; ``hash`` is the countersignature's own
  SHA-256 over its content, that fingerprint included. The record itself is not touched: its
  fingerprint stays what was printed.
* countersignatures are published to the service (``publish_log``): the service view counts
  awaiting QA and the sampling rate from them.
"""

from __future__ import annotations


def _log(kind: str, row_id: str) -> str:
    """As ``app.storage.schema._log_change``: the row's entry in the publish log."""
    return f"""
    INSERT INTO publish_log (kind, row_id, seq)
        SELECT '{kind}', {row_id}, (SELECT coalesce(max(seq), 0) + 1 FROM publish_log)
         WHERE {row_id} IS NOT NULL
        ON CONFLICT (kind, row_id) DO UPDATE SET seq = excluded.seq;"""


QA_COUNTERSIGNATURES = f"""
CREATE TABLE qa_reviewers (
    worker_id TEXT PRIMARY KEY REFERENCES workers(id) ON DELETE CASCADE,
    marked_at TEXT NOT NULL
) STRICT;

CREATE TABLE countersignatures (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL UNIQUE REFERENCES sessions(id),
    reviewer_id TEXT NOT NULL REFERENCES workers(id),
    reviewer_name TEXT NOT NULL CHECK (trim(reviewer_name) <> ''),
    reviewer_role TEXT NOT NULL,
    comments TEXT NOT NULL CHECK (trim(comments) <> ''),
    record_fingerprint TEXT NOT NULL,
    countersigned_at TEXT NOT NULL,
    hash TEXT NOT NULL
) STRICT;

CREATE TRIGGER countersignatures_signed_only BEFORE INSERT ON countersignatures
WHEN (SELECT signed_at FROM sessions WHERE id = NEW.session_id) IS NULL
BEGIN
    SELECT RAISE(ABORT, 'only a signed record can be countersigned');
END;
CREATE TRIGGER countersignatures_never_updated BEFORE UPDATE ON countersignatures
BEGIN
    SELECT RAISE(ABORT, 'a countersignature cannot be changed');
END;
CREATE TRIGGER countersignatures_never_deleted BEFORE DELETE ON countersignatures
BEGIN
    SELECT RAISE(ABORT, 'a countersignature cannot be deleted');
END;

CREATE TRIGGER publish_countersignatures_insert AFTER INSERT ON countersignatures
BEGIN{_log("countersignature", "NEW.id")}
END;
CREATE TRIGGER publish_countersignatures_delete AFTER DELETE ON countersignatures
BEGIN{_log("countersignature", "OLD.id")}
END;
"""
