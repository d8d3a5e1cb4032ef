"""The one SQLite driver Keel uses for every database file, encrypted or not: SQLCipher 4.

``sqlcipher3`` is Python's ``sqlite3`` module built against SQLCipher. Without a key it reads and
writes ordinary SQLite files; with ``PRAGMA key`` it reads and writes encrypted ones. Keel uses it
for every file because the backup API cannot copy between a stdlib connection and a SQLCipher
one, and because its exception classes are its own: code that caught ``sqlite3.Error`` would
miss every error of a SQLCipher connection. So the rest of Keel imports this module, never
``sqlite3`` (ruff's banned-api rule enforces it), and catches ``dbapi.Error`` and its subclasses.

sqlite-utils picks its driver at import: it uses ``pysqlite3`` when that module can be imported.
This module registers ``sqlcipher3`` under that name before sqlite-utils is ever imported, so its
``alter=True``, ``drop(ignore=True)`` and friends catch the errors this driver raises.

SQLCipher logs to stderr by itself (a wrong key prints "hmac check failed" lines): ``connect``
silences that on every connection with ``PRAGMA cipher_log_level = NONE``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import sqlcipher3
from sqlcipher3 import dbapi2

# sqlite-utils imports `pysqlite3` (and `pysqlite3.dbapi2`) when it can: make that this driver.
sys.modules.setdefault("pysqlite3", sqlcipher3)
sys.modules.setdefault("pysqlite3.dbapi2", dbapi2)

__all__ = [
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "Connection",
    "Cursor",
    "DatabaseError",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "cipher_version",
    "complete_statement",
    "connect",
    "sqlite_version",
]

if TYPE_CHECKING:
    # sqlcipher3 ships no type information; its API is the stdlib module's, so type with that.
    from sqlite3 import (  # noqa: TID251
        Connection,
        Cursor,
        DatabaseError,
        Error,
        IntegrityError,
        InterfaceError,
        NotSupportedError,
        OperationalError,
        ProgrammingError,
    )
else:
    Connection = dbapi2.Connection
    Cursor = dbapi2.Cursor
    Error = dbapi2.Error
    DatabaseError = dbapi2.DatabaseError
    OperationalError = dbapi2.OperationalError
    IntegrityError = dbapi2.IntegrityError
    ProgrammingError = dbapi2.ProgrammingError
    NotSupportedError = dbapi2.NotSupportedError
    InterfaceError = dbapi2.InterfaceError
SQLITE_BUSY: int = dbapi2.SQLITE_BUSY
SQLITE_LOCKED: int = dbapi2.SQLITE_LOCKED
complete_statement = dbapi2.complete_statement
sqlite_version: str = dbapi2.sqlite_version


def connect(database: str, **kwargs: Any) -> Connection:
    """``sqlite3.connect`` through SQLCipher, with SQLCipher's own logging turned off."""
    conn: Connection = dbapi2.connect(database, **kwargs)
    conn.execute("PRAGMA cipher_log_level = NONE")
    return conn


def cipher_version() -> str:
    """SQLCipher's version (e.g. "4.19.0 community"), for the self-test and the log."""
    conn = dbapi2.connect(":memory:")
    try:
        row = conn.execute("PRAGMA cipher_version").fetchone()
    finally:
        conn.close()
    return str(row[0]) if row else ""
