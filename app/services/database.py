"""The open database, for the composition roots (ui.app, the command line): opening,
checking, closing, the background integrity check, and the scheduler summary's repair.

Screens and commands never reach app.storage themselves (import-linter's contract): they open
the database here and hand the handle to the other services. The handle is the only storage
type that crosses this line (tests/app/test_layers.py).
"""

from __future__ import annotations

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
