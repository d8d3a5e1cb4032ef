"""Schema v11 (issue 16: the record an inspection template asks for) on a database written
before it: every signed record's fingerprint and evidence still verify, the new columns read
as "not recorded", and the new columns of a signed record are locked like the old ones.

``tests/fixtures/schema-v10-demo.db.xz`` is the demo service (418 signed records, 355
responses, addenda) written by Keel at schema 10, the commit before v11 (add565e), then
vacuumed and compressed. Never regenerate it to "fix" this test.
"""

from __future__ import annotations

import lzma
import shutil
from pathlib import Path

import pytest

from app import dbapi
from app.services.records import RecordService
from app.services.sessions import SessionService
from app.storage.db import open_database
from app.storage.evidence import verify_fingerprints
from app.storage.evidence_registry import verify
from app.storage.schema import MIGRATIONS, SCHEMA_VERSION

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "schema-v10-demo.db.xz"


@pytest.fixture
def v10(tmp_path: Path) -> Path:
    path = tmp_path / "keel.db"
    with lzma.open(FIXTURE) as src, path.open("wb") as out:
        shutil.copyfileobj(src, out)
    return path


def test_the_fixture_is_a_schema_10_database(v10: Path) -> None:
    conn = dbapi.connect(str(v10))
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 10
        assert SCHEMA_VERSION > 10 and len(MIGRATIONS) == SCHEMA_VERSION
        signed = conn.execute("SELECT count(*) FROM sessions WHERE signed_at IS NOT NULL")
        assert signed.fetchone()[0] == 418
    finally:
        conn.close()


def test_migrating_keeps_every_signed_record_verifying(v10: Path) -> None:
    conn = dbapi.connect(str(v10))
    before = dict(conn.execute("SELECT id, fingerprint FROM sessions WHERE signed_at IS NOT NULL"))
    conn.close()
    db = open_database(v10)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        after = dict(db.execute("SELECT id, fingerprint FROM sessions WHERE signed_at IS NOT NULL"))
        assert after == before and len(after) == 418
        assert verify_fingerprints(db) == []
        assert [f.sentence for f in verify(db)] == []
        # What an old record holds for the new items: "not recorded".
        sessions = SessionService(db)
        some = next(iter(before))
        rec = sessions.get(some)
        assert rec is not None
        assert (rec.sickness_days, rec.safeguarding, rec.escalation, rec.incidents) == (
            None,
            None,
            None,
            [],
        )
        state = RecordService(db, sessions).state(some)
        assert state.copy_given_on is None
        # The new columns of a signed record are locked like the others.
        for column, value in (("staff_comments", "'forged'"), ("sickness_days", "3"),
                              ("incidents", "'[]'"), ("next_place", "'x'")):  # fmt: skip
            with pytest.raises(dbapi.IntegrityError, match="signed and locked"):
                db.execute(f"UPDATE sessions SET {column} = {value} WHERE id = ?", [some])
        with pytest.raises(dbapi.IntegrityError, match="signed record"):
            db.execute(
                "UPDATE actions SET review_date = '2026-01-01' WHERE session_id IN "
                "(SELECT id FROM sessions WHERE signed_at IS NOT NULL)"
            )
        responded = db.execute(
            "SELECT id FROM sessions WHERE supervisee_response IS NOT NULL LIMIT 1"
        ).fetchone()[0]
        with pytest.raises(dbapi.IntegrityError, match="responds once"):
            db.execute("UPDATE sessions SET copy_given_on = '2026-01-01' WHERE id = ?", [responded])
    finally:
        db.close()


def test_a_group_record_s_single_response_becomes_that_attendee_s_acknowledgement(
    v10: Path,
) -> None:
    # The demo never responded to a group record: respond to two, as Keel before this step
    # did (one response, in one attendee's name), straight into the file.
    conn = dbapi.connect(str(v10))
    groups = conn.execute(
        "SELECT s.id, min(w.name) FROM sessions s JOIN session_attendees a ON a.session_id = s.id "
        "JOIN workers w ON w.id = a.worker_id WHERE s.type = 'group' AND s.signed_at IS NOT NULL "
        "GROUP BY s.id ORDER BY s.id LIMIT 2"
    ).fetchall()
    for sid, name in groups:
        conn.execute(
            "UPDATE sessions SET supervisee_response = 'acknowledged', supervisee_name = ?, "
            "supervisee_comment = '', supervisee_responded_at = '2026-11-02T10:00:00Z' "
            "WHERE id = ?",
            [f" {name.upper()} ", sid],
        )
    conn.commit()
    old = {
        sid: (response, name, at)
        for sid, response, name, at in conn.execute(
            "SELECT s.id, s.supervisee_response, s.supervisee_name, s.supervisee_responded_at "
            "FROM sessions s WHERE s.type = 'group' AND s.supervisee_response IS NOT NULL"
        )
    }
    conn.close()
    assert old, "the fixture has responded group records"
    db = open_database(v10)
    try:
        copied = {
            sid: (response, name, at, worker)
            for sid, response, name, at, worker in db.execute(
                "SELECT r.session_id, r.response, r.name, r.responded_at, w.name "
                "FROM attendee_responses r JOIN workers w ON w.id = r.worker_id"
            )
        }
        # Each one, to the attendee it names, as it was given; nothing else.
        assert set(copied) == set(old)
        for sid, (response, name, at) in old.items():
            # the name as the service records it, not as typed (" BEN ADEYEMI ")
            assert copied[sid] == (response, name.strip().title(), at, name.strip().title())
        # The copies are evidence from the start (check's only findings are the two responses
        # written above behind Keel's back), and a forged copy is named.
        before = {f.sentence for f in verify(db)}
        assert len(before) == 2 and all("supervisee's response" in f for f in before), before
        assert verify_fingerprints(db) == []
        with pytest.raises(dbapi.IntegrityError, match="cannot be changed"):
            db.execute("UPDATE attendee_responses SET response = 'disagreed'")
        db.execute("DROP TRIGGER attendee_responses_never_updated")
        some = next(iter(old))
        db.execute("UPDATE attendee_responses SET comment = 'forged' WHERE session_id = ?", [some])
        found = [f.sentence for f in verify(db) if f.sentence not in before]
        assert len(found) == 1 and found[0].startswith("The response of "), found
        assert "signed group record dated" in found[0] and "changed outside Keel" in found[0]
    finally:
        db.close()


def test_check_reads_each_signed_record_once_in_the_form_its_entry_recorded(
    v10: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the migration every signed record's entry is of form 1: `check` reads them all in
    that form, once — not all in form 2 and then all again in form 1 (that doubled its time on
    the reference database, 2.05× → 4.97× its floor)."""
    from collections.abc import Sequence
    from dataclasses import replace

    from app.storage import evidence_kinds, evidence_registry
    from app.storage.db import Database
    from app.storage.evidence_registry import Row

    db = open_database(v10)
    try:
        calls: list[tuple[int, int | None]] = []
        real = evidence_kinds._load_signed

        def spy(db_: Database, ids: Sequence[str] | None, form: int) -> dict[str, Row]:
            calls.append((form, None if ids is None else len(ids)))
            return real(db_, ids, form)

        kind = evidence_kinds.SIGNED_RECORD
        monkeypatch.setitem(evidence_registry._KINDS, kind.name, replace(kind, load=spy))
        assert [f.sentence for f in verify(db)] == []
        assert calls == [(1, None)], calls  # every row once, in form 1
        # A record signed now is of form 2: it alone is read in form 2, by id.
        sessions = SessionService(db)
        records = RecordService(db, sessions)
        unsigned = db.execute(
            "SELECT id FROM sessions WHERE signed_at IS NULL AND status = 'held' LIMIT 1"
        ).fetchone()[0]
        rec = sessions.get(unsigned)
        assert rec is not None
        supervisor = db.execute("SELECT name FROM workers WHERE id = ?", [rec.supervisor_id])
        records.sign_off(unsigned, supervisor.fetchone()[0], confirmed=True, accept_gaps=True)
        calls.clear()
        assert [f.sentence for f in verify(db)] == []
        assert calls == [(1, None), (2, 1)], calls
    finally:
        db.close()
