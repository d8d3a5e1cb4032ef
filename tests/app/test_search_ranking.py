"""Search that is not noisy: "housing" once found 181 sessions, nearly all because they were
held at "Ashcroft House". What was discussed, decided or agreed ranks above references and
notes, which rank above places; places are searched only when asked; recent first among
equals; each snippet says where its matched words are."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

from app.domain.catalogue import LINE
from app.domain.model import SessionStatus, Worker
from app.domain.records import Action, ActionOwner, Decision, SessionRecord
from app.services.search import DISCUSSION, NOTES, PLACE, search_sessions
from app.services.sessions import SessionService
from app.services.workers import WorkerService
from app.storage.db import Database, close_database, open_database
from app.storage.schema import SCHEMA_VERSION


def _held(db: Database, worker: str, on: date, **fields: object) -> str:
    record = SessionRecord(type=LINE, status=SessionStatus.HELD, session_date=on,
                           worker_id=worker, risk_link=False)  # fmt: skip
    for name, value in fields.items():
        setattr(record, name, value)
    return SessionService(db).save(record).record.id


def _service(db: Database) -> dict[str, str]:
    worker = WorkerService(db).save(Worker(id="", name="Zoë Adams")).id
    start = date(2026, 1, 5)
    for n in range(30):  # a year of sessions held at Ashcroft House, about other things
        _held(db, worker, start + timedelta(days=7 * n), location="Ashcroft House, room 4",
              issues=f"Caseload review {n}; lone working.")  # fmt: skip
    return {
        "issues_old": _held(db, worker, date(2026, 3, 2), location="Ashcroft House",
                            issues="Client lost their housing; emergency accommodation."),
        "decision": _held(db, worker, date(2026, 10, 5), issues="Caseload.",
                          decisions=[Decision("Refer to the housing officer", "Risk of eviction")]),
        "action": _held(db, worker, date(2026, 9, 7), issues="Caseload.",
                        actions=[Action("Chase the housing application", ActionOwner.SUPERVISEE,
                                        date(2026, 9, 30), "Letter on file")]),
        "notes": _held(db, worker, date(2026, 11, 2), issues="Caseload.",
                       support_offered="Signposted to the housing advice line."),
    }  # fmt: skip


def test_a_place_name_no_longer_floods_the_results(db: Database) -> None:
    ids = _service(db)
    hits = search_sessions(db, "housing")
    assert [h.session_id for h in hits] == [
        ids["decision"],
        ids["action"],
        ids["issues_old"],  # discussed: recent first
        ids["notes"],  # then references and notes, although it is the most recent
    ]
    assert [h.found_in for h in hits] == [DISCUSSION, DISCUSSION, DISCUSSION, NOTES]


def test_places_are_searched_only_when_asked_and_rank_last(db: Database) -> None:
    ids = _service(db)
    assert search_sessions(db, "Ashcroft") == []
    hits = search_sessions(db, "housing", include_places=True)
    assert len(hits) == 34
    assert [h.session_id for h in hits[:4]] == [
        ids["decision"], ids["action"], ids["issues_old"], ids["notes"],
    ]  # fmt: skip
    rest = hits[4:]
    assert {h.found_in for h in rest} == {PLACE}
    assert [h.session_date for h in rest] == sorted((h.session_date for h in rest), reverse=True)
    assert "Ashcroft House" in rest[0].snippet


def test_each_snippet_marks_its_matched_words(db: Database) -> None:
    _service(db)
    for hit in search_sessions(db, "housing", include_places=True):
        assert hit.highlights, hit.snippet
        for start, end in hit.highlights:
            assert hit.snippet[start:end].casefold().startswith(("housing", "house")), hit.snippet
    decision = search_sessions(db, "housing officer")[0]
    marked = [decision.snippet[a:b] for a, b in decision.highlights]
    assert marked == ["housing", "officer"]


def test_an_older_database_is_upgraded_to_the_ranked_search(tmp_path: Path) -> None:
    """A schema 1 file opened by this Keel: its search index is rebuilt in the new columns."""
    copy = tmp_path / "v1.db"
    shutil.copy(Path(__file__).parents[1] / "fixtures" / "schema-v1.db", copy)
    db = open_database(copy)
    try:
        assert int(db.execute("PRAGMA user_version").fetchone()[0]) == SCHEMA_VERSION
        columns = [r[1] for r in db.execute("PRAGMA table_info(session_text)")]
        assert columns == ["session_id", "body", "other", "place", "confidential"]
        indexed = db.execute("SELECT count(*) FROM session_text").fetchone()[0]
        assert indexed == db.execute("SELECT count(*) FROM sessions").fetchone()[0] > 0
        # New records are indexed by the new triggers.
        worker = WorkerService(db).save(Worker(id="", name="Ada")).id
        sid = _held(db, worker, date(2026, 11, 20), issues="Zanzibar handover",
                    location="Quayside")  # fmt: skip
        assert [h.session_id for h in search_sessions(db, "zanzibar")] == [sid]
        assert search_sessions(db, "quayside") == []
        assert [h.session_id for h in search_sessions(db, "quayside", include_places=True)] == [sid]
    finally:
        close_database(db)
