"""The triggers that protect Keel's records, compared with the schema Keel would create.

Signed records are locked, risk assessments, addenda and the audit trail are append-only, a
closed governance item is final: triggers enforce all of it, and other triggers keep the search
index and the scheduler's summary true. Someone with sqlite3 can drop or rewrite them. So
``check`` compares every trigger in the file with the ones a fresh database of the same schema
has (:func:`differences`), and Keel, when it opens such a file for writing, puts Keel's own back
and records each repair in the audit trail (:func:`restore`), so the removal stays visible.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from app import dbapi
from app.storage.db import Database, migrate

_RAISE = re.compile(r"RAISE\s*\(\s*ABORT\s*,\s*'([^']*)'", re.IGNORECASE)


def _normal(sql: str) -> str:
    return " ".join(sql.split())


@functools.cache
def expected_triggers() -> dict[str, str]:
    """Every trigger of a freshly made database at this schema: name -> its SQL."""
    db = Database(dbapi.connect(":memory:"))
    try:
        migrate(db)
        return {
            str(name): str(sql)
            for name, sql in db.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
            )
        }
    finally:
        db.close()


def _purpose(name: str, sql: str) -> str:
    found = _RAISE.search(sql)
    if found:
        return f"the protection “{name}” ({found.group(1)})"
    if "_search_" in name:
        return f"the trigger “{name}” that keeps the search index up to date"
    if name.startswith("latest_"):
        return f"the trigger “{name}” that keeps the scheduler's summary up to date"
    return f"Keel's trigger “{name}”"


@dataclass(frozen=True)
class Difference:
    name: str
    state: str  # "missing", "changed" or "foreign"
    sentence: str
    found_sql: str | None  # what the file holds (None when missing)


def differences(db: Database) -> list[Difference]:
    """Triggers missing, changed or added, compared with what Keel creates."""
    expected = expected_triggers()
    found = {
        str(name): str(sql or "")
        for name, sql in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    }
    out: list[Difference] = []
    for name, sql in sorted(expected.items()):
        what = _purpose(name, sql)
        if name not in found:
            out.append(Difference(name, "missing", f"{_cap(what)} is missing: it was removed "
                                  "outside Keel.", None))  # fmt: skip
        elif _normal(found[name]) != _normal(sql):
            out.append(Difference(name, "changed", f"{_cap(what)} was changed outside Keel.",
                                  found[name]))  # fmt: skip
    for name in sorted(set(found) - set(expected)):
        out.append(
            Difference(name, "foreign", f"The database has a trigger Keel did not create "
                       f"(“{name}”): it was added outside Keel.", found[name])
        )  # fmt: skip
    return out


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def restore(db: Database) -> list[Difference]:
    """Put Keel's triggers back as Keel creates them (and remove any it did not create), each
    repair recorded in the audit trail, in one transaction. Returns what was repaired."""
    from app.storage import audit
    from app.storage.identity import database_id

    found = differences(db)
    if not found:
        return []
    expected = expected_triggers()
    with db.atomic():
        db_id = database_id(db)
        for diff in found:
            quoted = diff.name.replace('"', '""')
            db.execute(f'DROP TRIGGER IF EXISTS "{quoted}"')
            if diff.state != "foreign":
                db.execute(expected[diff.name])
            detail = {"trigger": diff.name, "was": diff.state, "finding": diff.sentence}
            if diff.found_sql is not None:
                detail["sql_found"] = diff.found_sql
            audit.append(db, "restore_protection", "database", db_id, detail)
    return found
