"""Issue 16: a group record takes one response per attendee, each in their own name; the
compliance pack counts a group record as awaiting while any attendee has not responded."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from app import dbapi
from app.domain.catalogue import GROUP
from app.domain.model import SessionStatus, Worker
from app.domain.records import Decision, SessionRecord
from app.errors import UsageError
from app.services.compliance_data import write_compliance_pack
from app.services.demo import load_demo
from app.services.records import RecordService
from app.services.sessions import SessionService
from app.services.workers import WorkerService
from app.storage.db import Database
from app.storage.evidence_registry import verify
from tests.app.pdfcheck import pdf_text

TODAY = date(2026, 11, 20)
START = date(2026, 4, 1)


def _group(db: Database) -> tuple[str, dict[str, str]]:
    workers = WorkerService(db)
    lead = workers.save(Worker("", "Priya Nair", "Team lead", "North", date(2015, 1, 1)))
    people = {
        name: workers.save(Worker("", name, "CPN", "North", date(2019, 1, 1))).id
        for name in ("Ana Silva", "Ben Carter", "Chidi Okoro")
    }
    rec = SessionRecord(
        type=GROUP, status=SessionStatus.HELD, session_date=date(2026, 11, 2),
        supervisor_id=lead.id, attendees=list(people.values())[:2], issues="Reflective group.",
        risk_link=False, decisions=[Decision("Share the learning", "Useful")],
    )  # fmt: skip
    sid = SessionService(db).save(rec).record.id
    return sid, {**people, "lead": lead.id}


def test_each_attendee_responds_once_in_their_own_name(db: Database) -> None:
    sid, ids = _group(db)
    records = RecordService(db)
    with pytest.raises(UsageError, match="signs first"):
        records.respond(sid, agree=True, name="Ana Silva", attendee_id=ids["Ana Silva"])
    records.sign_off(sid, "Priya Nair", confirmed=True, accept_gaps=True)
    with pytest.raises(UsageError, match="Choose the attendee"):
        records.respond(sid, agree=True, name="Ana Silva")
    with pytest.raises(UsageError, match="Choose the attendee"):  # not at this group
        records.respond(sid, agree=True, name="Chidi Okoro", attendee_id=ids["Chidi Okoro"])
    with pytest.raises(UsageError, match="nobody responds for them"):
        records.respond(sid, agree=True, name="Ben Carter", attendee_id=ids["Ana Silva"])
    with pytest.raises(UsageError, match="disagrees with"):
        records.respond(sid, agree=False, name="Ana Silva", attendee_id=ids["Ana Silva"])
    records.respond(sid, agree=True, name="  ana   SILVA ", attendee_id=ids["Ana Silva"])
    with pytest.raises(UsageError, match="already responded"):
        records.respond(sid, agree=True, name="Ana Silva", attendee_id=ids["Ana Silva"])
    records.respond(sid, agree=False, name="Ben Carter", comment="Not my words.",
                    attendee_id=ids["Ben Carter"])  # fmt: skip
    said = records.attendee_responses(sid)
    assert {w: (r.response, r.name, r.comment) for w, r in said.items()} == {
        ids["Ana Silva"]: ("acknowledged", "Ana Silva", ""),
        ids["Ben Carter"]: ("disagreed", "Ben Carter", "Not my words."),
    }
    # The record's own (one-to-one) response is untouched: each attendee's is their own.
    assert records.state(sid).supervisee_response is None
    # Each is evidence: audited with its hash, and check finds nothing.
    entries = db.execute(
        "SELECT action, entity_id FROM audit_log WHERE entity = 'session' "
        'AND detail LIKE \'%"kind": "attendee_response"%\''
    ).fetchall()
    assert sorted(entries) == [("acknowledged", sid), ("disagreed", sid)]
    assert [f.sentence for f in verify(db)] == []
    # Never changed, never deleted; never for someone not at the group.
    with pytest.raises(dbapi.IntegrityError, match="cannot be changed"):
        db.execute("UPDATE attendee_responses SET response = 'acknowledged'")
    with pytest.raises(dbapi.IntegrityError, match="cannot be deleted"):
        db.execute("DELETE FROM attendee_responses")
    with pytest.raises(dbapi.IntegrityError, match="own name, after sign-off"):
        db.execute(
            "INSERT INTO attendee_responses (id, session_id, worker_id, response, name, "
            "responded_at) VALUES ('x', ?, ?, 'acknowledged', 'Chidi Okoro', '2026-11-03')",
            [sid, ids["Chidi Okoro"]],
        )


def test_a_response_before_sign_off_is_refused_by_the_database(db: Database) -> None:
    sid, ids = _group(db)
    with pytest.raises(dbapi.IntegrityError, match="after sign-off"):
        db.execute(
            "INSERT INTO attendee_responses (id, session_id, worker_id, response, name, "
            "responded_at) VALUES ('x', ?, ?, 'acknowledged', 'Ana Silva', '2026-11-03')",
            [sid, ids["Ana Silva"]],
        )


def _awaiting_in_the_database(db: Database) -> tuple[int, int]:
    """(one-to-one, group) signed held records in the period still awaiting a response,
    counted straight from the tables."""
    one, group = db.execute(
        """SELECT
             sum(t.kind = 'one-to-one' AND s.supervisee_response IS NULL),
             sum(t.kind = 'group' AND EXISTS (
                 SELECT 1 FROM session_attendees a WHERE a.session_id = s.id AND NOT EXISTS (
                     SELECT 1 FROM attendee_responses r
                     WHERE r.session_id = a.session_id AND r.worker_id = a.worker_id)))
           FROM sessions s JOIN supervision_types t ON t.key = s.type
           WHERE s.status = 'held' AND s.signed_at IS NOT NULL
             AND s.session_date BETWEEN ? AND ?""",
        [START.isoformat(), TODAY.isoformat()],
    ).fetchone()
    return int(one), int(group)


def test_the_pack_s_awaiting_supervisee_agrees_with_the_records(
    db: Database, tmp_path: Path
) -> None:
    load_demo(db, today=TODAY)
    records = RecordService(db)
    # The demo's attendees respond to most group records; some are still to respond.
    assert db.execute("SELECT count(*) FROM attendee_responses").fetchone()[0] > 0
    waiting = db.execute(
        "SELECT s.id FROM sessions s JOIN supervision_types t ON t.key = s.type "
        "WHERE t.kind = 'group' AND s.status = 'held' AND s.signed_at IS NOT NULL "
        "AND s.session_date BETWEEN ? AND ? AND EXISTS (SELECT 1 FROM session_attendees a "
        "WHERE a.session_id = s.id AND NOT EXISTS (SELECT 1 FROM attendee_responses r "
        "WHERE r.session_id = a.session_id AND r.worker_id = a.worker_id)) "
        "ORDER BY s.session_date, s.id",
        [START.isoformat(), TODAY.isoformat()],
    ).fetchall()
    assert len(waiting) >= 6
    one_before, group_before = _awaiting_in_the_database(db)
    assert group_before == len(waiting)
    # Every attendee still to respond to three groups does; only one attendee of two more.
    for n, (sid,) in enumerate(waiting[:5]):
        pending = db.execute(
            "SELECT w.id, w.name FROM session_attendees a JOIN workers w ON w.id = a.worker_id "
            "WHERE a.session_id = ? AND NOT EXISTS (SELECT 1 FROM attendee_responses r "
            "WHERE r.session_id = a.session_id AND r.worker_id = a.worker_id) ORDER BY w.name",
            [sid],
        ).fetchall()
        if n >= 3 and len(pending) < 2:
            continue  # answering its only one would complete it
        for worker_id, name in pending if n < 3 else pending[:1]:
            records.respond(sid, agree=True, name=name, attendee_id=worker_id)
    one, group = _awaiting_in_the_database(db)
    assert (one, group) == (one_before, group_before - 3) and group > 0
    text = " ".join(
        pdf_text(
            write_compliance_pack(db, START, TODAY, tmp_path / "pack.pdf", today=TODAY)
        ).split()
    )
    assert f"Signed records awaiting the supervisee {one + group:,}" in text
    assert f"{one + group:,} signed records awaiting the supervisee's acknowledgement" in text
    assert "a group record counts once, as awaiting, while any of its attendees" in text
    assert "yet to respond" in text  # a group listed names how many attendees are still to go


def test_a_worker_s_history_shows_their_own_response_to_a_group_record(
    db: Database, tmp_path: Path
) -> None:
    from app.services.history_data import build_worker_history_pdf

    sid, ids = _group(db)
    records = RecordService(db)
    records.sign_off(sid, "Priya Nair", confirmed=True, accept_gaps=True)
    records.respond(sid, agree=True, name="Ana Silva", attendee_id=ids["Ana Silva"])
    period = (date(2026, 10, 1), date(2026, 11, 30))
    ana = " ".join(pdf_text(build_worker_history_pdf(
        db, ids["Ana Silva"], *period, tmp_path / "ana.pdf", today=TODAY)).split())  # fmt: skip
    ben = " ".join(pdf_text(build_worker_history_pdf(
        db, ids["Ben Carter"], *period, tmp_path / "ben.pdf", today=TODAY)).split())  # fmt: skip
    assert "Signed; acknowledged" in ana and "awaiting supervisee" not in ana
    assert "Signed; awaiting supervisee" in ben
