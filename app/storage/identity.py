"""The database's identity: a random id made once, when the file was created or upgraded."""

from __future__ import annotations

from app.storage.db import Database

DATABASE_ID_KEY = "database_id"


def database_id(db: Database) -> str | None:
    """The id of the open database, or None for a file older than schema 6 (not yet upgraded)."""
    if "meta" not in db.table_names():
        return None
    row = db.execute("SELECT value FROM meta WHERE key = ?", [DATABASE_ID_KEY]).fetchone()
    return None if row is None else str(row[0])
