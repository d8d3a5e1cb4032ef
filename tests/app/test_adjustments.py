"""Leave, overrides and triggers: friendly refusals in the service, the database as backstop."""

from __future__ import annotations

from datetime import date

import pytest

from app import dbapi
from app.domain.catalogue import CLINICAL, LINE
from app.domain.model import LeaveKind, TriggerKind, Worker
from app.errors import UsageError
from app.services.workers import WorkerService
from app.storage import adjustments
from app.storage.db import Database


@pytest.fixture
def worker(db: Database) -> Worker:
    return WorkerService(db).save(Worker(id="", name="Ada"))


def test_service_refuses_with_a_sentence_and_writes_nothing(db: Database, worker: Worker) -> None:
    service = WorkerService(db)
    with pytest.raises(UsageError, match="cannot end before it starts"):
        service.add_leave(worker.id, date(2026, 5, 2), date(2026, 5, 1), LeaveKind.SICKNESS)
    with pytest.raises(UsageError, match="needs a reason"):
        service.add_override(worker.id, LINE, 14, "  ", date(2027, 1, 1))
    with pytest.raises(UsageError, match="at least 1 day"):
        service.add_override(worker.id, LINE, 0, "Probation", date(2027, 1, 1))
    with pytest.raises(UsageError, match="cannot be negative"):
        service.add_trigger(worker.id, TriggerKind.INCIDENT, date(2026, 5, 1), CLINICAL, -1)
    for table in ("leave_periods", "overrides", "trigger_events"):
        assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0


def test_the_database_refuses_what_slips_past_the_service(db: Database, worker: Worker) -> None:
    with pytest.raises(dbapi.IntegrityError):
        adjustments.add_leave(db, worker.id, date(2026, 5, 2), date(2026, 5, 1))
    with pytest.raises(dbapi.IntegrityError):
        adjustments.add_override(db, worker.id, LINE, 14, " ", date(2027, 1, 1))
    with pytest.raises(dbapi.IntegrityError):
        adjustments.add_override(db, worker.id, LINE, 0, "Probation", date(2027, 1, 1))
    with pytest.raises(dbapi.IntegrityError):
        adjustments.add_trigger(db, worker.id, TriggerKind.INCIDENT, date(2026, 5, 1), CLINICAL, -1)
