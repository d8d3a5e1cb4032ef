"""Schema 10's Python part: the tables whose CHECK named the three types are rebuilt to
reference ``supervision_types`` instead, and the schedule cache's triggers learn the kinds.

SQLite cannot drop a CHECK constraint in place, so each table is rebuilt the way its
documentation describes (foreign keys off, in one transaction): renamed aside, created again
from its own stored definition with the CHECK replaced, filled with every row as it was,
then its indexes and triggers are made again from their stored text. Row ids and every
value are copied unchanged, so signed records keep their fingerprints and nothing is lost.
"""

from __future__ import annotations

import json

from app.errors import StorageError
from app.storage.db import Database, new_id

_TYPE_CHECK = "CHECK (type IN ('line', 'clinical', 'group'))"
_TYPE_REFERENCE = "REFERENCES supervision_types(key)"
_SUPERVISEE_CHECK = "    CHECK (type = 'group' OR worker_id IS NOT NULL),\n"

# Table → the edits to its stored CREATE TABLE text (each must be found exactly once).
_REBUILT: dict[str, tuple[tuple[str, str], ...]] = {
    "sessions": ((_TYPE_CHECK, _TYPE_REFERENCE), (_SUPERVISEE_CHECK, "")),
    "overrides": ((_TYPE_CHECK, _TYPE_REFERENCE),),
    "trigger_events": ((_TYPE_CHECK, _TYPE_REFERENCE),),
    "drafts": ((_TYPE_CHECK, _TYPE_REFERENCE),),
}


def types_as_data(db: Database) -> None:
    """Rebuild the tables, make the cache's triggers again and record the first policy
    version. Runs inside the migration's transaction, with foreign keys off."""
    from app.storage.db import split_sql
    from app.storage.schema import SCHEDULE_CACHE_V10

    for table, edits in _REBUILT.items():
        _rebuild(db, table, edits)
    for statement in split_sql(SCHEDULE_CACHE_V10):
        db.execute(statement)
    _policy_versions_into_audit(db)


def _rebuild(db: Database, table: str, edits: tuple[tuple[str, str], ...]) -> None:
    row = db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]
    ).fetchone()
    if row is None:
        raise StorageError(f"The database has no {table} table: it cannot be upgraded.")
    sql = str(row[0])
    for old, new in edits:
        if sql.count(old) != 1:
            raise StorageError(
                f"The {table} table is not as Keel made it ({old.strip()!r} not found once): "
                "the database cannot be upgraded. Restore the latest backup."
            )
        sql = sql.replace(old, new)
    # Its indexes and triggers (the cache's are made again separately), to be made again.
    kept = [
        str(r[0])
        for r in db.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') "
            "AND sql IS NOT NULL AND name NOT LIKE 'latest\\_held\\_%' ESCAPE '\\' "
            "ORDER BY type, name",
            [table],
        ).fetchall()
    ]
    aside = f"{table}__before_v10"
    db.execute("PRAGMA legacy_alter_table = ON")
    try:
        db.execute(f"ALTER TABLE {table} RENAME TO {aside}")
        db.execute(sql)
        db.execute(f"INSERT INTO {table} SELECT * FROM {aside}")
        db.execute(f"DROP TABLE {aside}")
    finally:
        db.execute("PRAGMA legacy_alter_table = OFF")
    for statement in kept:
        db.execute(statement)


def _policy_versions_into_audit(db: Database) -> None:
    """Every policy version is evidence: the built-in defaults become version 1 of a database
    that never saved one, recorded in the audit trail (versions saved before are there
    already, from the evidence step's baseline)."""
    from app.domain.policy import BEGINNING, Policy
    from app.storage.policies import record_version

    count = int(db.execute("SELECT count(*) FROM policies").fetchone()[0])
    if count == 0:
        data = json.dumps(Policy().to_dict(), sort_keys=True)
        policy_id = new_id()
        reason = "The built-in policy (DOMAIN.md §5)"
        db.execute(
            "INSERT INTO policies (id, version, created_at, created_by, data, effective_from, "
            "reason) VALUES (?, 1, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), 'Keel', ?, ?, ?)",
            [policy_id, data, BEGINNING.isoformat(), reason],
        )
        record_version(db, policy_id, 1, "Keel", BEGINNING, reason)
