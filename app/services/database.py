"""The open database, for the composition roots (ui.app, the command line): opening,
checking, closing, the background integrity check, and the scheduler summary's repair.

Screens and commands never reach app.storage themselves (import-linter's contract): they open
the database here and hand the handle to the other services. The handle is the only storage
type that crosses this line (tests/app/test_layers.py).
"""

from __future__ import annotations

import logging

from app import dbapi
from app.errors import KeelError
from app.storage.db import (
    Database,
    IntegrityCheck,
    close_database,
    confirm_checked,
    connect,
    inspect_file,
    open_database,
    pending_check,
    set_waiting_feedback,
    wait_for_check,
)

log = logging.getLogger(__name__)

__all__ = [
    "Database",
    "IntegrityCheck",
    "close_database",
    "confirm_checked",
    "connect",
    "inspect_file",
    "open_database",
    "pending_check",
    "set_waiting_feedback",
    "wait_for_check",
]


class DatabaseService:
    """The open database itself, for the screens: its background integrity check, warming up
    for writes, putting back protections changed outside Keel, closing. (The screens hold
    this, never the handle: tests/ui/test_no_handle_in_ui.py.)"""

    def __init__(self, db: Database) -> None:
        self._db = db

    def confirm_checked(self) -> bool:
        """Lift the read-only guard once the file passed its background check (see
        ``app.storage.db.confirm_checked``); raises the check's error when it failed."""
        return confirm_checked(self._db)

    def wait_for_check(self) -> None:
        """Before a write: wait for the file's background integrity check, if running."""
        wait_for_check(self._db)

    def prepare_for_writes(self) -> None:
        """Load what writes use (sqlite-utils, ≈70 ms) so the first save does not wait."""
        _ = self._db.utils

    def restore_protections(self) -> list[str]:
        """Put back any protection changed outside Keel (recorded in the audit trail): what
        was found, in sentences — including any put back as the file opened."""
        from app.services.integrity import restore_protections

        repaired = list(self._db.repaired)
        self._db.repaired = []
        try:
            repaired += restore_protections(self._db)
        except (KeelError, dbapi.Error) as exc:
            log.warning("could not restore the database's protections: %s", exc)
        return repaired

    @property
    def repaired_on_opening(self) -> bool:
        """Protections were put back as the file opened (after a migration or a crash)."""
        return bool(self._db.repaired)

    def commit(self) -> None:
        self._db.conn.commit()

    def close(self) -> None:
        """Checkpoint and close: the database is one self-contained file again."""
        close_database(self._db)
