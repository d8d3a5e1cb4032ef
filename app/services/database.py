"""The open database, for the composition roots (ui.app, the command line): opening,
checking, closing, the background integrity check, and the scheduler summary's repair.

Screens and commands never reach app.storage themselves (import-linter's contract): they open
the database here and hand the handle to the other services. The handle is the only storage
type that crosses this line (tests/app/test_layers.py).
"""

from __future__ import annotations

from dataclasses import dataclass

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
    transaction,
    wait_for_check,
)
from app.storage.schedule_facts import rebuild_schedule_cache, schedule_cache_drift

__all__ = [
    "Database",
    "IntegrityCheck",
    "SummaryRebuilt",
    "close_database",
    "confirm_checked",
    "connect",
    "inspect_file",
    "open_database",
    "pending_check",
    "rebuild_summary",
    "set_waiting_feedback",
    "wait_for_check",
]


@dataclass(frozen=True, slots=True)
class SummaryRebuilt:
    """What ``rebuild_summary`` corrected, and whether the summary now matches the records."""

    wrong_before: int
    still_wrong: int


def rebuild_summary(db: Database) -> SummaryRebuilt:
    """Recompute the scheduler's summary tables (latest held session and risk assessment per
    worker) from the records in one transaction; the records themselves are not touched."""
    before = schedule_cache_drift(db)
    with transaction(db, "rebuild the scheduler's summary"):
        rebuild_schedule_cache(db)
    after = schedule_cache_drift(db)
    return SummaryRebuilt(sum(before.values()), sum(after.values()))
