"""Sign-off, locking, addenda, the audit chain and fingerprints (issue: records as evidence)."""

from __future__ import annotations

from datetime import date

import pytest

from app import dbapi
from app.domain.catalogue import LINE
from app.domain.model import SessionStatus, Worker
from app.domain.records import Action, ActionOwner, Decision, SessionRecord
from app.errors import UsageError
from app.services.records import QualityGapsFound, RecordService
from app.services.sessions import SessionService
from app.services.workers import WorkerService
from app.storage.db import Database


@pytest.fixture
def people(db: Database) -> tuple[Worker, Worker]:
    workers = WorkerService(db)
    lead = workers.save(Worker(id="", name="Amara Okafor", qualified_clinical=True))
    worker = workers.save(
        Worker(id="", name="Łukasz Nowak", start_date=date(2024, 1, 8), line_supervisor_id=lead.id)
    )
    return lead, worker


def _held(worker: Worker, lead: Worker, **changes: object) -> SessionRecord:
    rec = SessionRecord(
        type=LINE,
        status=SessionStatus.HELD,
        session_date=date(2026, 11, 20),
        worker_id=worker.id,
        supervisor_id=lead.id,
        issues="Caseload of 32 with two new high-risk referrals <b>&</b> 🙂",
        decisions=[Decision("Cap new allocations for 4 weeks", "Caseload above team norm")],
        actions=[
            Action("Review C-1043 risk plan", ActionOwner.SUPERVISEE, date(2026, 12, 1), "Plan")
        ],
        risk_link=True,
        case_refs="C-1043",
        confidential_notes="Feels worn down after the inquest.",
    )
    for key, value in changes.items():
        setattr(rec, key, value)
    return rec


def _signed(db: Database, people: tuple[Worker, Worker]) -> str:
    lead, worker = people
    saved = SessionService(db).save(_held(worker, lead))
    RecordService(db).sign_off(saved.record.id, "amara okafor", confirmed=True)
    return saved.record.id


def test_signing_needs_confirmation_and_the_supervisors_name(db, people) -> None:
    lead, worker = people
    sid = SessionService(db).save(_held(worker, lead)).record.id
    records = RecordService(db)
    with pytest.raises(UsageError, match="confirmation"):
        records.sign_off(sid, "Amara Okafor", confirmed=False)
    with pytest.raises(UsageError, match="does not match the supervisor"):
        records.sign_off(sid, "Someone Else", confirmed=True)
    assert not records.state(sid).signed
    fingerprint = records.sign_off(sid, "  Amara   Okafor ", confirmed=True)
    state = records.state(sid)
    assert state.signed and state.fingerprint == fingerprint and len(fingerprint) == 64
    assert state.label == "Signed by supervisor; awaiting supervisee"


def test_quality_gaps_warn_unless_accepted(db, people) -> None:
    lead, worker = people
    sid = SessionService(db).save(_held(worker, lead, decisions=[], risk_link=None)).record.id
    records = RecordService(db)
    with pytest.raises(QualityGapsFound) as caught:
        records.sign_off(sid, "Amara Okafor", confirmed=True)
    assert not caught.value.blocking
    assert {g.code for g in caught.value.gaps} == {"decision", "risk"}
    records.sign_off(sid, "Amara Okafor", confirmed=True, accept_gaps=True)
    assert records.state(sid).signed


def test_a_signed_record_refuses_update_at_the_sql_level(db, people) -> None:
    sid = _signed(db, people)
    with pytest.raises(dbapi.IntegrityError, match="signed and locked"):
        db.execute("UPDATE sessions SET issues = 'rewritten' WHERE id = ?", [sid])
    with pytest.raises(dbapi.IntegrityError, match="signed and locked"):
        db.execute("DELETE FROM decisions WHERE session_id = ?", [sid])
    with pytest.raises(dbapi.IntegrityError):
        db.execute("DELETE FROM sessions WHERE id = ?", [sid])
    rec = SessionService(db).get(sid)
    assert rec is not None
    rec.issues = "changed in the form"
    with pytest.raises(UsageError, match="addendum"):
        SessionService(db).save(rec)
    assert SessionService(db).get(sid).issues.startswith("Caseload of 32")  # type: ignore[union-attr]


def test_actions_of_a_signed_record_can_still_be_completed(db, people) -> None:
    from app.domain.records import ActionStatus

    sid = _signed(db, people)
    action = SessionService(db).get(sid).actions[0]  # type: ignore[union-attr]
    SessionService(db).close_action(
        action.id, ActionStatus.DONE, "Plan updated", date(2026, 11, 25)
    )
    assert RecordService(db).verify().ok


def test_supervisee_responds_once_and_disagreement_needs_a_reason(db, people) -> None:
    sid = _signed(db, people)
    records = RecordService(db)
    with pytest.raises(UsageError, match="disagrees"):
        records.respond(sid, agree=False, name="Łukasz Nowak")
    records.respond(
        sid, agree=False, name="Łukasz Nowak", comment="The cap was my idea, not imposed."
    )
    state = records.state(sid)
    assert state.supervisee_response == "disagreed"
    assert state.label.endswith("recorded disagreement")
    with pytest.raises(UsageError, match="already responded"):
        records.respond(sid, agree=True, name="Łukasz Nowak")
    with pytest.raises(dbapi.IntegrityError):
        db.execute("UPDATE sessions SET supervisee_response = 'acknowledged' WHERE id = ?", [sid])


def test_addenda_are_kept_and_cannot_be_changed(db, people) -> None:
    sid = _signed(db, people)
    records = RecordService(db)
    records.add_addendum(
        sid, author="Amara Okafor", reason="Wrong case code", text="C-1034, not C-1043"
    )
    (addendum,) = records.addenda(sid)
    assert (addendum.author, addendum.reason, addendum.text) == (
        "Amara Okafor",
        "Wrong case code",
        "C-1034, not C-1043",
    )
    with pytest.raises(dbapi.IntegrityError):
        db.execute("UPDATE addenda SET text = 'x'")
    with pytest.raises(dbapi.IntegrityError):
        db.execute("DELETE FROM addenda")
    assert records.verify().ok


def test_audit_chain_verifies_after_normal_use(db, people) -> None:
    _signed(db, people)
    verification = RecordService(db).verify()
    assert verification.ok, verification
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log ORDER BY seq").fetchall()]
    assert actions[-1] == "sign" and "create" in actions


def test_audit_log_cannot_be_updated_or_deleted(db, people) -> None:
    _signed(db, people)
    with pytest.raises(dbapi.IntegrityError):
        db.execute("UPDATE audit_log SET actor = 'x' WHERE seq = 1")
    with pytest.raises(dbapi.IntegrityError):
        db.execute("DELETE FROM audit_log WHERE seq = 1")


def test_an_out_of_band_edit_of_the_audit_log_is_named(db, people) -> None:
    _signed(db, people)
    with db.atomic():
        db.execute("DROP TRIGGER audit_log_never_updated")
        db.execute("UPDATE audit_log SET actor = 'Mallory' WHERE seq = 2")
    problems = RecordService(db).verify().chain_problems
    assert len(problems) == 1
    assert problems[0].startswith("audit entry #2 ")
    assert "changed after it was written" in problems[0]


def test_a_changed_byte_in_a_signed_note_is_reported(db, people) -> None:
    sid = _signed(db, people)
    with db.atomic():
        db.execute("DROP TRIGGER sessions_locked")
        db.execute(
            "UPDATE sessions SET confidential_notes = replace(confidential_notes, 'worn', 'torn') "
            "WHERE id = ?",
            [sid],
        )
    problems = RecordService(db).verify().fingerprint_problems
    assert len(problems) == 1 and sid in problems[0]
    assert "does not match its fingerprint" in problems[0]


@pytest.mark.parametrize(
    "text",
    ["", "plain", 'quote " and \\ backslash', "line\nbreak\ttab\r\x00\x1f\x7f", "Zoë 🙂 ܫ עברית",
     "\u2028\u2029 separators", '{"json": [1, 2]}', "</script>&amp;"],
)  # fmt: skip
def test_an_entrys_payload_is_exactly_what_json_dumps_writes(text: str) -> None:
    import json

    from app.storage.audit import _payload

    for fields in ([7, text, "2026-11-26T10:00:00Z", text, "sign", "session", None, text],
                   [1, "id", "at", "", "a", "e", text, "{}"]):  # fmt: skip
        expected = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert _payload(fields) == expected
        # ``check`` has SQLite write it (json_array): the very same text.
        conn = dbapi.connect(":memory:")
        try:
            made = conn.execute("SELECT json_array(?, ?, ?, ?, ?, ?, ?, ?)", fields).fetchone()[0]
        finally:
            conn.close()
        assert made == expected


def test_quoted_rows_read_the_same_whichever_way_sqlite_joins_them() -> None:
    """``quoted`` uses ``concat_ws`` where SQLite has it: the text, and so every fingerprint
    and audit hash made from it, is exactly what ``||`` gives, for every kind of value."""
    from app import dbapi
    from app.storage.evidence_registry import quoted

    conn = dbapi.connect(":memory:")
    try:
        conn.execute("CREATE TABLE t (a, b, c, d)")
        values = [
            (None, 0, -1.5, 'it\'s "quoted" <b>&amp;</b>'),
            ("", 2**62, 1e-300, "emoji 🧠 and עברית, العربية\u200f"),
            (b"\x00\x01blob", "line\nbreak\ttab\x1e\x1f", None, "NULL"),
            ("'", "''", "'\u0000'", 3.0),
        ]
        conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", values)
        columns = ("a", "b", "c", "d")
        joined = " || ',' || ".join(f"quote(t.{c})" for c in columns)
        expected = conn.execute(f"SELECT {joined} FROM t t ORDER BY rowid").fetchall()
        got = conn.execute(f"SELECT {quoted(columns, 't')} FROM t t ORDER BY rowid").fetchall()
    finally:
        conn.close()
    assert got == expected
    assert len(got) == len(values) and all(row[0] for row in got)
