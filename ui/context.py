"""What the widgets are given: the services over one open database, and today's date.

Built once in ``ui.app`` (the GUI's composition root) and passed down; widgets never run SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import sqlite_utils

from app.services.exports import ExportService
from app.services.records import RecordService
from app.services.sessions import SessionService
from app.services.workers import WorkerService


@dataclass
class AppContext:
    db: sqlite_utils.Database
    db_path: Path
    workers: WorkerService
    sessions: SessionService
    records: RecordService
    exports: ExportService
    today: Callable[[], date] = field(default=date.today)

    @classmethod
    def for_database(
        cls, db: sqlite_utils.Database, db_path: Path, today: Callable[[], date] = date.today
    ) -> AppContext:
        sessions = SessionService(db)
        return cls(
            db,
            db_path,
            WorkerService(db),
            sessions,
            RecordService(db, sessions),
            ExportService(db, today=today),
            today,
        )
