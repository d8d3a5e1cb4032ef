"""An adversary with sqlite3 and a copy of the demo database: every change to what Keel treats
as evidence is found by ``check`` (exit 1), in a sentence that names the record, the worker and
the date. One test per tampering, each on a fresh copy of the demo, and a control on an
untouched one.

The copy is used by Keel where it lies before it is tampered with (its witness is written, as
Keel writes it after every audited change), as a database on a team lead's laptop would be.
"""

from __future__ import annotations

import io
import json
import sqlite3
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from app.cli import parse
from app.commands import run
from app.dates import uk
from app.domain.policy import Policy
from app.services.demo import load_demo
from app.storage import witness
from app.storage.audit import GENESIS, _entry_hash
from app.storage.db import close_database, connect, open_database
from app.storage.evidence import canonical_content, fingerprint_of
from tests.app.evidence_support import built_once, used_copy
from tests.conftest import TODAY


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo, loaded once."""
    return built_once(tmp_path_factory.mktemp("demo"), lambda db: load_demo(db, today=TODAY))


@pytest.fixture
def demo(template: Path, tmp_path: Path) -> Path:
    """A copy of the demo, as Keel leaves a database it has used there (witness written)."""
    return used_copy(template, tmp_path / "data" / "keel.db")


def sql(path: Path, *statements: str, params: list[object] | None = None) -> None:
    """Someone edits the file with sqlite3 (foreign keys off, as its shell has them)."""
    conn = sqlite3.connect(str(path))
    try:
        for n, statement in enumerate(statements, start=1):
            conn.execute(statement, (params or []) if n == len(statements) else [])
        conn.commit()
    finally:
        conn.close()


def one(path: Path, query: str, params: list[object] | None = None) -> tuple[object, ...]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = conn.execute(query, params or []).fetchone()
    finally:
        conn.close()
    assert row is not None, query
    return tuple(row)


def keel(path: Path, *args: str) -> tuple[int, str]:
    """A command, run as the command line runs it: exit code and what it printed."""
    out = io.StringIO()
    code = run(parse(["--db", str(path), *args]), out)
    return code, out.getvalue()


def problems(text: str) -> list[str]:
    return [line.split("PROBLEM: ", 1)[1] for line in text.splitlines() if "PROBLEM: " in line]


def named(text: str, *words: str) -> str:
    """The one problem that names every word (the record's id, its worker, its date)."""
    found = [p for p in problems(text) if all(w in p for w in words)]
    assert found, f"no problem names {words}:\n{text}"
    return found[0]


def signed_record(path: Path, where: str = "1 = 1") -> tuple[str, str, str, str]:
    """id, worker's name, date as people read it, type of a signed one-to-one record."""
    sid, name, on, type_ = one(
        path,
        "SELECT s.id, w.name, s.session_date, s.type FROM sessions s JOIN workers w "
        f"ON w.id = s.worker_id WHERE s.signed_at IS NOT NULL AND {where} "
        "ORDER BY s.session_date, s.id LIMIT 1",
    )
    return str(sid), str(name), uk(date.fromisoformat(str(on))), str(type_)


# --------------------------------------------------------------------------- the control


def test_the_untouched_demo_passes(demo: Path) -> None:
    code, text = keel(demo, "check")
    assert code == 0, text
    assert "OK: no problems found." in text and "WARNING" not in text
    assert "hash chain intact" in text and "as its witness outside the database" in text
    signed = one(demo, "SELECT count(*) FROM sessions WHERE signed_at IS NOT NULL")[0]
    assert f"evidence: {signed} signed records" in text


# --------------------------------------------------------------------------- the audit trail


def test_deleting_the_newest_audit_entries(demo: Path) -> None:
    (last,) = one(demo, "SELECT max(seq) FROM audit_log")
    sql(
        demo,
        "DROP TRIGGER audit_log_never_deleted",
        f"DELETE FROM audit_log WHERE seq > {last} - 5",
    )
    code, text = keel(demo, "check")
    assert code == 1
    assert "hash chain intact" in text  # what is left is a sound chain: only the witness knows
    finding = named(text, f"ends at entry #{last - 5}", f"#{last - 4}–#{last}")
    assert "deleted from its end outside Keel" in finding


def test_deleting_every_audit_entry(demo: Path) -> None:
    (last,) = one(demo, "SELECT max(seq) FROM audit_log")
    signed_record(demo)  # there is one to lose
    sql(demo, "DROP TRIGGER audit_log_never_deleted", "DELETE FROM audit_log")
    code, text = keel(demo, "check")
    assert code == 1
    assert named(text, "The audit trail is empty", f"entry #{last}")
    # And every piece of evidence is now without the entry that recorded it: the first ones
    # named one by one, the rest counted.
    signed = [p for p in problems(text) if p.startswith("The signed")]
    assert len(signed) == 20 and all("was added outside Keel" in p for p in signed)
    (count,) = one(demo, "SELECT count(*) FROM sessions WHERE signed_at IS NOT NULL")
    assert named(text, f"{count - 20} more signed records added outside Keel")


def test_rechaining_the_audit_trail_after_changing_an_entry(demo: Path) -> None:
    """The full attack: a disagreement turned into an acknowledgement, its audit entry rewritten
    to match (with the right evidence hash), and every later entry re-chained. The chain and the
    evidence then agree; the witness outside the database does not."""
    sid, *_ = signed_record(demo, "s.supervisee_response = 'disagreed'")
    sql(
        demo,
        "DROP TRIGGER sessions_response_final",
        "UPDATE sessions SET supervisee_response = 'acknowledged' WHERE id = ?",
        params=[sid],
    )
    # Keel's own code, used by the adversary, on Keel's driver (its SQL needs SQLite 3.44).
    from app import dbapi

    conn = dbapi.connect(str(demo))
    try:
        from app.storage.db import Database
        from app.storage.evidence_registry import kind_named

        kind = kind_named("response")
        content = kind.load(Database(conn), [sid], 1)[sid][0]
        (seq,) = conn.execute(
            "SELECT seq FROM audit_log WHERE entity_id = ? AND action = 'disagreed'", [sid]
        ).fetchone()
        conn.execute("DROP TRIGGER audit_log_never_updated")
        rows = conn.execute(
            "SELECT seq, id, at, actor, action, entity, entity_id, detail FROM audit_log "
            "WHERE seq >= ? ORDER BY seq",
            [seq],
        ).fetchall()
        (prev,) = conn.execute(
            "SELECT coalesce((SELECT hash FROM audit_log WHERE seq = ?), ?)", [seq - 1, GENESIS]
        ).fetchone()
        for s, entry_id, at, actor, action, entity, entity_id, detail in rows:
            if s == seq:
                data = json.loads(detail)
                data["evidence"]["hash"] = kind.digest(content, 1)
                action, detail = "acknowledged", json.dumps(data, sort_keys=True)
            digest = _entry_hash(prev, [s, entry_id, at, actor, action, entity, entity_id, detail])
            conn.execute(
                "UPDATE audit_log SET action = ?, detail = ?, prev_hash = ?, hash = ? "
                "WHERE seq = ?",
                [action, detail, prev, digest, s],
            )
            prev = digest
        conn.commit()
    finally:
        conn.close()
    code, text = keel(demo, "check")
    assert code == 1
    assert "hash chain intact" in text
    assert "the audit trail was rewritten outside Keel" in named(text, "is not the entry")


# --------------------------------------------------------------------------- signed records


def test_changing_disagreed_into_acknowledged(demo: Path) -> None:
    sid, name, on, type_ = signed_record(demo, "s.supervisee_response = 'disagreed'")
    sql(
        demo,
        "DROP TRIGGER sessions_response_final",
        "UPDATE sessions SET supervisee_response = 'acknowledged', supervisee_comment = '' "
        "WHERE id = ?",
        params=[sid],
    )
    code, text = keel(demo, "check")
    assert code == 1
    finding = named(text, sid, name, on)
    assert finding.startswith(f"The supervisee's response to the signed {type_} record of {name}")
    assert "was changed outside Keel" in finding


def test_editing_an_addendum(demo: Path) -> None:
    aid, sid = one(demo, "SELECT id, session_id FROM addenda ORDER BY created_at LIMIT 1")
    _, name, on, _ = signed_record(demo, f"s.id = '{sid}'")
    sql(
        demo,
        "DROP TRIGGER addenda_never_updated",
        f"UPDATE addenda SET text = 'Nothing.' WHERE id = '{aid}'",
    )
    code, text = keel(demo, "check")
    assert code == 1
    assert "was changed outside Keel" in named(text, str(aid), "addendum", name, on)


def test_deleting_an_addendum(demo: Path) -> None:
    aid, sid = one(demo, "SELECT id, session_id FROM addenda ORDER BY created_at LIMIT 1")
    _, name, on, _ = signed_record(demo, f"s.id = '{sid}'")
    sql(demo, "DROP TRIGGER addenda_never_deleted", f"DELETE FROM addenda WHERE id = '{aid}'")
    code, text = keel(demo, "check")
    assert code == 1
    assert "was deleted outside Keel" in named(text, str(aid), "addendum", name, on)


def test_unsigning_a_signed_record(demo: Path) -> None:
    sid, name, on, _ = signed_record(demo)
    sql(
        demo,
        "DROP TRIGGER sessions_locked",
        "UPDATE sessions SET signed_at = NULL, signed_by_name = '', signed_by_id = NULL, "
        "fingerprint = '' WHERE id = ?",
        params=[sid],
    )
    code, text = keel(demo, "check")
    assert code == 1
    assert "is no longer signed" in named(text, sid, name, on)


def test_deleting_a_signed_record(demo: Path) -> None:
    sid, name, on, _ = signed_record(demo)
    triggers = [r[0] for r in sqlite3.connect(str(demo)).execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%locked%' "
        "OR name = 'sessions_signed_never_deleted'")]  # fmt: skip
    sql(demo, *(f"DROP TRIGGER {t}" for t in triggers), f"DELETE FROM sessions WHERE id = '{sid}'")
    code, text = keel(demo, "check")
    assert code == 1
    assert "was deleted outside Keel" in named(text, sid, name, on, "signed")


def test_editing_signed_text_and_recomputing_its_fingerprint(demo: Path) -> None:
    sid, name, on, _ = signed_record(demo)
    sql(
        demo,
        "DROP TRIGGER sessions_locked",
        "UPDATE sessions SET issues = 'Nothing of concern was discussed.' WHERE id = ?",
        params=[sid],
    )
    db = connect(demo)
    try:
        fingerprint = fingerprint_of(canonical_content(db, sid))
    finally:
        db.close()
    sql(demo, "UPDATE sessions SET fingerprint = ? WHERE id = ?", params=[fingerprint, sid])
    code, text = keel(demo, "check")
    assert code == 1
    finding = named(text, sid, name, on)
    assert "was changed outside Keel" in finding
    assert "fingerprint no longer matches" not in finding  # the forger got that part right


def test_changing_a_decision_of_a_signed_record(demo: Path) -> None:
    sid, name, on, _ = signed_record(
        demo, "EXISTS (SELECT 1 FROM decisions d WHERE d.session_id = s.id)"
    )
    sql(
        demo,
        "DROP TRIGGER decisions_locked_update",
        "UPDATE decisions SET rationale = 'Because I said so.' WHERE session_id = ?",
        params=[sid],
    )
    code, text = keel(demo, "check")
    assert code == 1
    finding = named(text, sid, name, on)
    assert "was changed outside Keel" in finding and "printed fingerprint" in finding


# --------------------------------------------------------------------------- what moves due dates


def _assessments(path: Path, latest: bool) -> tuple[str, str, str]:
    order = "DESC" if latest else "ASC"
    aid, name, on = one(
        path,
        "SELECT r.id, w.name, r.assessed_on FROM risk_assessments r JOIN workers w "
        "ON w.id = r.worker_id WHERE (SELECT count(*) FROM risk_assessments x "
        "WHERE x.worker_id = r.worker_id) > 1 "
        f"ORDER BY r.worker_id, r.assessed_on {order} LIMIT 1",
    )
    return str(aid), str(name), uk(date.fromisoformat(str(on)))


def test_rewriting_an_older_risk_assessment(demo: Path) -> None:
    aid, name, on = _assessments(demo, latest=False)
    sql(
        demo,
        "DROP TRIGGER risk_assessments_never_updated",
        "UPDATE risk_assessments SET cohort_risk = CASE cohort_risk WHEN 3 THEN 1 ELSE cohort_risk + 1 END WHERE id = ?",
        params=[aid],
    )
    code, text = keel(demo, "check")
    assert code == 1
    finding = named(text, aid, name, on)
    assert finding.startswith(f"The risk assessment of {name} dated {on}")


def test_changing_the_current_risk_assessment_and_rebuild_summary_refuses(demo: Path) -> None:
    """Before: reported only as 'scheduler summary wrong', and the rebuild-summary check
    recommended would have hidden the change for good."""
    aid, name, on = _assessments(demo, latest=True)
    sql(
        demo,
        "DROP TRIGGER risk_assessments_never_updated",
        "UPDATE risk_assessments SET cohort_risk = CASE cohort_risk WHEN 3 THEN 1 ELSE cohort_risk + 1 END, tier = 'low' WHERE id = ?",
        params=[aid],
    )
    code, text = keel(demo, "check")
    assert code == 1
    assert "was changed outside Keel" in named(text, aid, name, on)
    summary = named(text, "scheduler's summary")
    assert "rebuild-summary" not in summary and "do not rebuild it" in summary
    before = demo.read_bytes()
    code, said = keel(demo, "rebuild-summary")
    assert code == 1 and said == ""
    assert demo.read_bytes() == before, "the summary must not be rebuilt"


def test_rebuild_summary_refusal_says_why(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    aid, _, _ = _assessments(demo, latest=True)
    sql(
        demo,
        "DROP TRIGGER risk_assessments_never_updated",
        "UPDATE risk_assessments SET volatility = CASE volatility WHEN 3 THEN 1 ELSE volatility + 1 END WHERE id = ?",
        params=[aid],
    )
    code, _ = keel(demo, "rebuild-summary")
    err = capsys.readouterr().err
    assert code == 1
    assert "was not rebuilt" in err and "changed outside Keel" in err and "keel check" in err


def test_adding_leave_outside_keel(demo: Path) -> None:
    wid, name = one(demo, "SELECT id, name FROM workers ORDER BY name LIMIT 1")
    sql(
        demo,
        "INSERT INTO leave_periods (id, worker_id, kind, start_date, end_date, note, created_at) "
        "VALUES ('forged-leave', ?, 'sickness', '2026-09-01', '2026-11-20', '', "
        "'2026-09-01T09:00:00Z')",
        params=[wid],
    )
    code, text = keel(demo, "check")
    assert code == 1
    finding = named(text, "forged-leave", str(name), "1 Sept 2026".replace("Sept", "Sep"))
    assert finding.startswith(f"The sick leave of {name}") and "was added outside Keel" in finding


def test_deleting_an_override_outside_keel(demo: Path) -> None:
    oid, name = one(
        demo, "SELECT o.id, w.name FROM overrides o JOIN workers w ON w.id = o.worker_id"
    )
    sql(demo, f"DELETE FROM overrides WHERE id = '{oid}'")
    code, text = keel(demo, "check")
    assert code == 1
    assert "was deleted outside Keel" in named(text, str(oid), str(name), "override")


def test_moving_a_trigger_event_outside_keel(demo: Path) -> None:
    tid, name = one(
        demo,
        "SELECT t.id, w.name FROM trigger_events t JOIN workers w ON w.id = t.worker_id "
        "WHERE t.kind = 'safeguarding'",
    )
    sql(demo, f"UPDATE trigger_events SET event_date = '2025-01-01' WHERE id = '{tid}'")
    code, text = keel(demo, "check")
    assert code == 1
    assert "was changed outside Keel" in named(text, str(tid), str(name), "safeguarding")


def test_a_policy_row_that_lifts_compliance_to_100_percent(demo: Path) -> None:
    from app.services.scheduling import compute_schedule

    def compliance() -> float | None:
        db = connect(demo, read_only=True)
        try:
            return compute_schedule(db, TODAY).compliance().percent
        finally:
            db.close()

    before = compliance()
    lenient = replace(
        Policy(),
        types=tuple(
            replace(t, intervals={tier: 3650 for tier in t.intervals}, new_starter_caps=(),
                    first_window_days=3650)
            for t in Policy().types
        ),
    )  # fmt: skip
    (version,) = one(demo, "SELECT max(version) + 1 FROM policies")
    sql(
        demo,
        "INSERT INTO policies (id, version, created_at, created_by, data) VALUES "
        "('forged-policy', ?, '2026-11-01T09:00:00Z', '', ?)",
        params=[version, json.dumps(lenient.to_dict(), sort_keys=True)],
    )
    after = compliance()
    assert before is not None and before < 100 and after == 100, (before, after)
    code, text = keel(demo, "check")
    assert code == 1
    finding = named(text, f"Policy version {version}", "forged-policy", uk(date(2026, 11, 1)))
    assert "was added outside Keel" in finding


# --------------------------------------------------------------------------- protections


def test_dropping_the_lock_triggers(demo: Path) -> None:
    sql(demo, "DROP TRIGGER sessions_locked", "DROP TRIGGER risk_assessments_never_updated")
    code, text = keel(demo, "check")
    assert code == 1
    assert "is missing: it was removed outside Keel" in named(text, "“sessions_locked”")
    assert named(text, "“risk_assessments_never_updated”", "risk assessments are history")


def test_weakening_a_lock_trigger(demo: Path) -> None:
    sql(
        demo,
        "DROP TRIGGER addenda_never_updated",
        "CREATE TRIGGER addenda_never_updated BEFORE UPDATE ON addenda WHEN 0 BEGIN "
        "SELECT RAISE(ABORT, 'an addendum cannot be changed'); END",
    )
    code, text = keel(demo, "check")
    assert code == 1
    assert "was changed outside Keel" in named(text, "“addenda_never_updated”")


def test_adding_a_trigger_keel_did_not_create(demo: Path) -> None:
    sql(
        demo,
        "CREATE TRIGGER quietly AFTER INSERT ON audit_log BEGIN "
        "DELETE FROM meta WHERE key = 'nothing'; END",
    )
    code, text = keel(demo, "check")
    assert code == 1
    assert "Keel did not create" in named(text, "“quietly”")


# --------------------------------------------------------------------------- the witness


def test_a_deleted_witness_is_a_warning_not_a_finding(demo: Path) -> None:
    db = connect(demo, read_only=True)
    try:
        from app.storage.identity import database_id

        kept = witness.witness_file(str(database_id(db)), demo)
    finally:
        db.close()
    assert kept.exists()
    kept.unlink()
    code, text = keel(demo, "check")
    assert code == 0, text
    assert "WARNING: There is no witness of the audit trail's end" in text
    assert "PROBLEM" not in text and "OK: no problems found." in text


def test_a_tail_deleted_then_written_over_stays_visible(demo: Path) -> None:
    """Entries deleted from the end, then Keel writes again (new entries with the same numbers):
    the witness keeps the head it lost, so check still says so after any number of writes."""
    from app.domain.model import Worker
    from app.services.workers import WorkerService

    (last,) = one(demo, "SELECT max(seq) FROM audit_log")
    sql(
        demo,
        "DROP TRIGGER audit_log_never_deleted",
        f"DELETE FROM audit_log WHERE seq > {last} - 3",
    )
    db = open_database(demo)
    try:
        service = WorkerService(db)
        for n in range(5):
            service.save(Worker(id="", name=f"New starter {n}"))
    finally:
        close_database(db)
    code, text = keel(demo, "check")
    assert code == 1
    assert "was no longer in the trail" in named(text, f"audit entry #{last}")


# --------------------------------------------------------------------------- references


def test_a_reference_to_a_missing_worker_is_named(demo: Path) -> None:
    """Not evidence, but damage all the same: a planned session whose supervisor is no longer
    on the staff list (the row was edited with foreign keys off, as sqlite3 has them)."""
    (session_id,) = one(demo, "SELECT id FROM sessions WHERE status = 'planned' LIMIT 1")
    sql(demo, "UPDATE sessions SET supervisor_id = 'nobody' WHERE id = ?", params=[session_id])
    code, text = keel(demo, "check")
    assert code == 1, text
    assert any(p.startswith("broken reference in sessions") for p in problems(text)), text
    assert "references between records: ok" not in text


# --------------------------------------------------------------------------- the chain's two paths


def test_an_entry_given_a_value_json_cannot_hold_is_named_not_a_crash(demo: Path) -> None:
    """The trail rebuilt as a loose table (its STRICT types gone) and an entry's detail
    replaced by a blob: the chain check names that entry as changed, and check still runs to
    its end."""
    (seq,) = one(demo, "SELECT max(seq) - 3 FROM audit_log")
    sql(
        demo,
        "CREATE TABLE loose AS SELECT * FROM audit_log",
        "DROP TABLE audit_log",
        "ALTER TABLE loose RENAME TO audit_log",
        "UPDATE audit_log SET detail = x'00ff' WHERE seq = ?",
        params=[seq],
    )
    code, text = keel(demo, "check")
    assert code == 1, text
    finding = named(text, f"#{seq}", "was changed after it was written")
    assert "hash mismatch" in finding


@pytest.mark.parametrize("in_sql", [True, False])
def test_the_chain_reads_the_same_whoever_writes_its_payloads(
    demo: Path, in_sql: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The payloads are written by SQLite where its JSON matches Keel's, else in Python: both
    pass the untouched trail and name the one entry changed outside Keel."""
    from app.storage import audit

    monkeypatch.setattr(audit, "sqlite_writes_payloads", lambda version: in_sql)
    code, text = keel(demo, "check")
    assert code == 0 and "hash chain intact" in text, text
    (seq,) = one(demo, "SELECT max(seq) - 2 FROM audit_log")
    sql(
        demo,
        "DROP TRIGGER audit_log_never_updated",
        "UPDATE audit_log SET actor = actor || ' (edited)' WHERE seq = ?",
        params=[seq],
    )
    code, text = keel(demo, "check")
    assert code == 1
    assert "hash mismatch" in named(text, f"#{seq}", "was changed after it was written")
