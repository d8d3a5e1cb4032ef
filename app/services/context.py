"""The services over one open database: what the screens (and a worker thread's task) hold.

Built once by the composition root (``ui.app``) and passed down. A screen asks it for a
service object — ``ctx.themes.theme_usage()``, ``ctx.schedule.compute_schedule(as_of)`` — and
never for the database handle (tests/ui/test_no_handle_in_ui.py); what the services hand back
are rows made for the screens, defined outside ``app.storage`` (tests/app/test_layers.py).
Each service is made (and its module imported) the first time it is asked for, so opening the
window pays only for the ones the scheduler uses.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Self

from app.services.database import Database, DatabaseService, connect, open_database
from app.services.workers import WorkerService

if TYPE_CHECKING:
    from app.domain.catalogue import Catalogue
    from app.services.agenda import AgendaService
    from app.services.agreements import AgreementService
    from app.services.autobackup import BackupService
    from app.services.calendar import CalendarService
    from app.services.demo import DemoService
    from app.services.encryption import EncryptionService
    from app.services.exports import ExportService
    from app.services.governance import GovernanceService
    from app.services.importing import ImportService
    from app.services.insight import InsightService
    from app.services.policy import PolicyService
    from app.services.publish_status import PublishStatusService
    from app.services.publishing import PublishingService
    from app.services.qa import QaService
    from app.services.records import RecordService
    from app.services.scheduling import ScheduleService
    from app.services.search import SearchService
    from app.services.selftest import SelfTestService
    from app.services.sessions import SessionService
    from app.services.themes import ThemeService


class Services:
    def __init__(
        self,
        db: Database,
        db_path: Path,
        today: Callable[[], date] = date.today,
    ) -> None:
        self._db = db
        self.db_path = db_path
        self.today = today
        self.workers = WorkerService(db)
        self._catalogue: Catalogue | None = None

    @classmethod
    def for_database(
        cls, db: Database, db_path: Path, today: Callable[[], date] = date.today
    ) -> Self:
        return cls(db, db_path, today)

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        check_in_background: bool = False,
        today: Callable[[], date] = date.today,
    ) -> Self:
        """Open (or create, migrating if older) the database at ``path``; raises
        ``StorageError`` for a file Keel cannot use (see ``app.storage.db.open_database``)."""
        return cls(open_database(path, check_in_background=check_in_background), path, today)

    @classmethod
    def connect(
        cls, path: Path, *, read_only: bool = False, today: Callable[[], date] = date.today
    ) -> Self:
        """Another connection to an open database, for a worker thread's task."""
        return cls(connect(path, read_only=read_only), path, today)

    @property
    def db(self) -> Database:
        """The handle itself: for the command line's composition root and for tests, never
        for the screens (tests/ui/test_no_handle_in_ui.py)."""
        return self._db

    def close_connection(self) -> None:
        """Close a worker thread's connection (the window's closes through ``database``)."""
        self._db.close()

    @cached_property
    def database(self) -> DatabaseService:
        return DatabaseService(self._db)

    @cached_property
    def sessions(self) -> SessionService:
        from app.services.sessions import SessionService

        return SessionService(self._db)

    @cached_property
    def records(self) -> RecordService:
        from app.services.records import RecordService

        return RecordService(self._db, self.sessions)

    @cached_property
    def exports(self) -> ExportService:
        from app.services.exports import ExportService

        return ExportService(self._db, today=self.today)

    @cached_property
    def policies(self) -> PolicyService:
        from app.services.policy import PolicyService

        return PolicyService(self._db)

    @cached_property
    def governance(self) -> GovernanceService:
        from app.services.governance import GovernanceService

        return GovernanceService(self._db)

    @cached_property
    def themes(self) -> ThemeService:
        from app.services.themes import ThemeService

        return ThemeService(self._db)

    @cached_property
    def agreements(self) -> AgreementService:
        from app.services.agreements import AgreementService

        return AgreementService(self._db)

    @cached_property
    def qa(self) -> QaService:
        from app.services.qa import QaService

        return QaService(self._db)

    @cached_property
    def schedule(self) -> ScheduleService:
        from app.services.scheduling import ScheduleService

        return ScheduleService(self._db)

    @cached_property
    def search(self) -> SearchService:
        from app.services.search import SearchService

        return SearchService(self._db)

    @cached_property
    def insight(self) -> InsightService:
        from app.services.insight import InsightService

        return InsightService(self._db)

    @cached_property
    def agenda(self) -> AgendaService:
        from app.services.agenda import AgendaService

        return AgendaService(self._db)

    @cached_property
    def calendar(self) -> CalendarService:
        from app.services.calendar import CalendarService

        return CalendarService(self._db)

    @cached_property
    def publish_status(self) -> PublishStatusService:
        from app.services.publish_status import PublishStatusService

        return PublishStatusService(self._db)

    @cached_property
    def publishing(self) -> PublishingService:
        from app.services.publishing import PublishingService

        return PublishingService(self._db)

    @cached_property
    def encryption(self) -> EncryptionService:
        from app.services.encryption import EncryptionService

        return EncryptionService(self._db)

    @cached_property
    def backups(self) -> BackupService:
        from app.services.autobackup import BackupService

        return BackupService(self._db)

    @cached_property
    def self_test(self) -> SelfTestService:
        from app.services.selftest import SelfTestService

        return SelfTestService(self._db)

    @cached_property
    def demo(self) -> DemoService:
        from app.services.demo import DemoService

        return DemoService(self._db)

    @cached_property
    def importing(self) -> ImportService:
        from app.services.importing import ImportService

        return ImportService(self._db)

    @property
    def catalogue(self) -> Catalogue:
        """The supervision types as the policy in force today words them (and any retired
        type a record may name), read once until the policy changes."""
        if self._catalogue is None:
            self._catalogue = self.workers.catalogue(self.today())
        return self._catalogue

    def policy_changed(self) -> None:
        """Forget the catalogue read: a new policy version was saved."""
        self._catalogue = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.db_path})"
