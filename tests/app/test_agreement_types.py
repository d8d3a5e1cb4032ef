"""Supervision agreements per type of the catalogue: the migration that turns the three fixed
pairs of columns (line/clinical/reflective supervisor and frequency) into one row per type
keeps every value."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from app import dbapi
from app.domain.agreements import AgreedType, Agreement
from app.services.agreements import agreement_history, current_agreement, save_agreement
from app.storage import db as store
from app.storage.db import Database, close_database, open_database
from app.storage.schema import AGREEMENT_TYPES, MIGRATIONS


def test_the_migration_keeps_each_agreements_supervisors_and_frequencies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "keel.db"
    before = MIGRATIONS.index(AGREEMENT_TYPES)
    with monkeypatch.context() as m:
        m.setattr(store, "MIGRATIONS", MIGRATIONS[:before])
        m.setattr(store, "SCHEMA_VERSION", before)
        db = store.connect(path)
        store.migrate(db)
        now = "2026-01-01T00:00:00Z"
        db.execute(
            "INSERT INTO workers (id, name, team, created_at, updated_at) VALUES "
            "('w1', 'Ada Okafor', 'N', ?, ?), ('w2', 'Ben Price', 'N', ?, ?), "
            "('w3', 'Cy Dee', 'N', ?, ?)",
            [now] * 6,
        )
        db.execute(
            "INSERT INTO supervision_agreements (id, worker_id, line_supervisor_id, "
            "clinical_supervisor_id, reflective_supervisor_id, line_every_days, "
            "clinical_every_days, reflective_every_days, duration_minutes, location, starts_on, "
            "review_on, ended_on, created_at, updated_at) VALUES "
            "('a1', 'w1', 'w2', 'w3', 'w2', 28, 14, 42, 60, 'Room 2', '2025-01-01', "
            "'2026-01-01', '2025-06-01', ?, ?), "
            "('a2', 'w1', 'w2', NULL, NULL, NULL, 21, NULL, NULL, '', '2025-06-01', "
            "'2026-06-01', NULL, ?, ?), "
            "('a3', 'w3', NULL, NULL, NULL, NULL, NULL, NULL, 30, '', '2025-06-01', "
            "'2026-06-01', NULL, ?, ?)",
            [now] * 6,
        )
        db.conn.commit()
        close_database(db)
    db = open_database(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        ended, current = sorted(agreement_history(db, "w1"), key=lambda a: a.starts_on)
        assert set(ended.types) == {
            AgreedType("line", "w2", 28),
            AgreedType("clinical", "w3", 14),
            AgreedType("group", "w2", 42),
        }
        assert (ended.duration_minutes, ended.location) == (60, "Room 2")
        assert set(current.types) == {AgreedType("line", "w2"), AgreedType("clinical", None, 21)}
        assert current_agreement(db, "w3").types == ()  # nothing agreed per type: no rows
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        # The database refuses what the agreement cannot mean.
        with pytest.raises(dbapi.IntegrityError, match="FOREIGN KEY"):
            db.execute("INSERT INTO agreement_types VALUES ('a2', 'weekly', NULL, 7)")
        with pytest.raises(dbapi.IntegrityError, match="CHECK"):
            db.execute("INSERT INTO agreement_types VALUES ('a3', 'line', NULL, 0)")
    finally:
        close_database(db)


def test_an_agreement_of_a_type_the_service_does_not_have_is_refused(db: Database) -> None:
    from app.domain.model import Worker
    from app.errors import UsageError
    from app.storage.workers import insert_worker

    wid = insert_worker(db, Worker(id="", name="Ada Okafor")).id
    with pytest.raises(UsageError, match="no supervision type weekly"):
        save_agreement(db, _agreement(wid, (AgreedType("weekly", None, 7),)))
    with pytest.raises(UsageError, match="only once"):
        save_agreement(db, _agreement(wid, (AgreedType("line", None, 7),
                                            AgreedType("line", None, 14))))  # fmt: skip


def _agreement(worker_id: str, types: tuple[AgreedType, ...]) -> Agreement:
    return Agreement(worker_id, date(2026, 1, 1), date(2027, 1, 1), types)
