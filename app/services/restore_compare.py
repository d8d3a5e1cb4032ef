"""What a restore confirmation shows: the backup and the current data side by side — the
database's name, workers, sessions, signed records and last change — and whether the backup is
of another database (its id is not the current database's).

Every restore compares the same way: the Data menu's, the offer made at start-up when a file
cannot be opened, and the ``restore`` command. Restoring onto a missing, empty or unreadable
database is not restoring "another database": there is no current data to lose, and the
comparison says what is there instead. A backup made before databases had an id cannot say
which database it is of; the comparison says so, and it is not treated as another database's.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app import dbapi
from app.errors import StorageError
from app.services.backup import PreparedBackup
from app.services.backup_files import ANOTHER_DATABASE, DATABASE_ID_KEY, format_when
from app.storage.db import Database, inspect_file, read_only_connection

# The columns whose latest value is when the data last changed (where the table has them).
_CHANGE_COLUMNS = (
    ("audit_log", "at"),
    ("sessions", "updated_at"),
    ("workers", "updated_at"),
    ("actions", "updated_at"),
    ("risk_assessments", "created_at"),
    ("addenda", "created_at"),
)


@dataclass(frozen=True)
class DataSummary:
    """What one database holds, in the terms a person compares two of them by."""

    name: str
    database_id: str | None
    workers: int
    sessions: int
    signed: int
    last_change: datetime | None


def summarize(conn: dbapi.Connection, name: str) -> DataSummary:
    """Count what ``conn``'s database holds (a read: nothing changes)."""
    tables = {
        r[0]: {c[1] for c in conn.execute(f'PRAGMA table_info("{r[0]}")')}
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }

    def count(table: str, where: str = "") -> int:
        if table not in tables:
            return 0
        return int(conn.execute(f"SELECT count(*) FROM {table} {where}").fetchone()[0])

    found_id = None
    if "meta" in tables:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", [DATABASE_ID_KEY]).fetchone()
        found_id = str(row[0]) if row and row[0] else None
    signed = count("sessions", "WHERE signed_at IS NOT NULL") if "signed_at" in tables.get(
        "sessions", set()
    ) else 0  # fmt: skip
    return DataSummary(
        name=name,
        database_id=found_id,
        workers=count("workers"),
        sessions=count("sessions"),
        signed=signed,
        last_change=_last_change(conn, tables),
    )


def _last_change(conn: dbapi.Connection, tables: dict[str, set[str]]) -> datetime | None:
    latest: datetime | None = None
    for table, column in _CHANGE_COLUMNS:
        if column not in tables.get(table, set()):
            continue
        value = conn.execute(f'SELECT max("{column}") FROM {table}').fetchone()[0]
        if not isinstance(value, str):
            continue
        with contextlib.suppress(ValueError):
            when = datetime.fromisoformat(value)
            when = when if when.tzinfo else when.replace(tzinfo=UTC)
            if latest is None or when > latest:
                latest = when
    return latest


@dataclass(frozen=True)
class Comparison:
    """A backup beside the data it would replace."""

    backup: DataSummary
    current: DataSummary | None
    """None: there is no current data to compare (``current_note`` says why)."""
    current_note: str = ""

    @property
    def another_database(self) -> bool:
        """The backup is of another database than the current one (both ids known), which
        holds data of its own (a new, empty database has nothing to lose)."""
        return (
            self.current is not None
            and (self.current.workers > 0 or self.current.sessions > 0)
            and self.backup.database_id is not None
            and self.current.database_id is not None
            and self.backup.database_id != self.current.database_id
        )

    def rows(self) -> list[tuple[str, str, str]]:
        """(what, the backup's, the current data's), in the order a person reads them."""
        b, c = self.backup, self.current
        if c is None:
            note = self.current_note or "nothing to compare"
            return [("Database", b.name, note)] + [
                (label, value, "—") for label, value, _ in self._rows(b, b)[1:]
            ]
        return self._rows(b, c)

    @staticmethod
    def _rows(b: DataSummary, c: DataSummary) -> list[tuple[str, str, str]]:
        return [
            ("Database", b.name, c.name),
            ("Workers", f"{b.workers:,}", f"{c.workers:,}"),
            ("Sessions", f"{b.sessions:,}", f"{c.sessions:,}"),
            ("Signed records", f"{b.signed:,}", f"{c.signed:,}"),
            ("Last change", _when(b.last_change), _when(c.last_change)),
        ]

    def warning(self) -> str | None:
        """What must be said before anything else, or None."""
        if self.another_database:
            assert self.current is not None
            return (
                f"Warning: {ANOTHER_DATABASE} ({self.backup.name}), not of "
                f"{self.current.name}. Restoring it replaces all of {self.current.name}'s "
                f"data with {self.backup.name}'s."
            )
        if self.backup.database_id is None:
            return (
                "This backup was made by an older Keel and does not say which database it is "
                "of: compare the two columns before you restore it."
            )
        return None

    def table(self) -> str:
        """The comparison as text for a terminal: a header row, then one row per figure."""
        rows = [("", "this backup", "your data now"), *self.rows()]
        first = max(len(r[0]) for r in rows)
        second = max(len(r[1]) for r in rows)
        return "\n".join(f"  {a:<{first}}  {b:<{second}}  {c}".rstrip() for a, b, c in rows)


def _when(when: datetime | None) -> str:
    return format_when(when) if when is not None else "never"


def backup_summary(prepared: PreparedBackup) -> DataSummary:
    name = prepared.info.database_name or "(not named)"
    conn = read_only_connection(prepared.plain)
    try:
        return summarize(conn, name)
    finally:
        conn.close()


def compare_with_open(prepared: PreparedBackup, db: Database, db_path: Path) -> Comparison:
    """The backup beside the database Keel has open."""
    return Comparison(backup_summary(prepared), summarize(db.conn, db_path.stem))


def compare_with_file(prepared: PreparedBackup, db_path: Path) -> Comparison:
    """The backup beside the database file at ``db_path``, which is not open: missing, empty
    or unreadable files have no data to compare (and are never "another database")."""
    backup = backup_summary(prepared)
    try:
        info = inspect_file(db_path, integrity=False)
    except StorageError as exc:
        return Comparison(backup, None, f"cannot be read ({_short(exc)})")
    if not info.exists:
        return Comparison(backup, None, "no database yet")
    try:
        conn = read_only_connection(db_path)
        try:
            return Comparison(backup, summarize(conn, db_path.stem))
        finally:
            conn.close()
    except dbapi.Error as exc:
        return Comparison(backup, None, f"cannot be read ({exc})")


def _short(exc: BaseException) -> str:
    text = str(exc)
    end = text.find(". ")
    return (text if end < 0 else text[:end]).rstrip(".")
