"""What the widgets are given: the services over one open database, and today's date.

Built once in ``ui.app`` (the GUI's composition root) and passed down; widgets never run SQL.
Each service is made (and its module imported) the first time a widget asks for it, so
opening the window pays only for the ones the scheduler uses.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from app.services.database import Database
from app.services.workers import WorkerService

if TYPE_CHECKING:
    from app.domain.catalogue import Catalogue
    from app.services.exports import ExportService
    from app.services.policy import PolicyService
    from app.services.qa import QaService
    from app.services.records import RecordService
    from app.services.sessions import SessionService


class AppContext:
    def __init__(
        self,
        db: Database,
        db_path: Path,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.db = db
        self.db_path = db_path
        self.today = today
        self.workers = WorkerService(db)
        self._catalogue: Catalogue | None = None

    @classmethod
    def for_database(
        cls, db: Database, db_path: Path, today: Callable[[], date] = date.today
    ) -> AppContext:
        return cls(db, db_path, today)

    @cached_property
    def sessions(self) -> SessionService:
        from app.services.sessions import SessionService

        return SessionService(self.db)

    @cached_property
    def records(self) -> RecordService:
        from app.services.records import RecordService

        return RecordService(self.db, self.sessions)

    @cached_property
    def exports(self) -> ExportService:
        from app.services.exports import ExportService

        return ExportService(self.db, today=self.today)

    @cached_property
    def policies(self) -> PolicyService:
        from app.services.policy import PolicyService

        return PolicyService(self.db)

    @cached_property
    def qa(self) -> QaService:
        from app.services.qa import QaService

        return QaService(self.db)

    @property
    def catalogue(self) -> Catalogue:
        """The supervision types as the policy in force today words them (and any retired
        type a record may name), read once until the policy changes."""
        if self._catalogue is None:
            self._catalogue = self.policies.catalogue(self.today())
        return self._catalogue

    def policy_changed(self) -> None:
        """Forget the catalogue read: a new policy version was saved."""
        self._catalogue = None

    def __repr__(self) -> str:
        return f"AppContext({self.db_path})"
