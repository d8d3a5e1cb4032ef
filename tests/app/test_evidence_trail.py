"""The audit trail around the evidence: restores and their entries, the witness inside every
backup, ``check --against BACKUP``, protections put back on open, the baseline a migration
writes, and fingerprints that keep verifying across migrations."""

from __future__ import annotations

import io
import json
import logging
import sqlite3
from pathlib import Path

import pytest

from app import dbapi
from app.cli import parse
from app.commands import run
from app.services import crypto
from app.services.backup import (
    backup_database,
    open_backup_read_only,
    restore_database,
    restore_into_file,
)
from app.services.integrity import check_database
from app.storage import witness
from app.storage.db import (
    _AFTER_STEP,
    APPLICATION_ID,
    Database,
    close_database,
    connect,
    open_database,
    split_sql,
)
from app.storage.evidence import fingerprint_of
from app.storage.identity import database_id
from app.storage.schema import MIGRATIONS, SCHEMA_VERSION
from tests.app.backup_support import make_db

PASSPHRASE = "correct horse battery staple"


@pytest.fixture(autouse=True)
def fast_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crypto, "SCRYPT_N", 2**14)


def keel(path: Path, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = run(parse(["--db", str(path), *args]), out)
    return code, out.getvalue()


def sql(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(str(path))
    try:
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def entries(path: Path, action: str) -> list[dict[str, object]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT detail FROM audit_log WHERE action = ? ORDER BY seq", [action]
        ).fetchall()
    finally:
        conn.close()
    return [json.loads(r[0]) for r in rows]


def head(path: Path) -> tuple[int, str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    return int(row[0]), str(row[1])


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "keel.db"
    path.parent.mkdir()
    make_db(path)
    return path


def _backup(path: Path, folder: Path, passphrase: str | None = None) -> Path:
    db = open_database(path)
    try:
        return backup_database(db, folder, passphrase=passphrase).path
    finally:
        close_database(db)


# --------------------------------------------------------------------------- restores


def test_a_restore_is_an_audit_entry_naming_the_backup_and_its_chain_head(
    db_path: Path, tmp_path: Path
) -> None:
    backup = _backup(db_path, tmp_path / "backups")
    backup_head = head(backup)
    make_db(tmp_path / "other.db")  # unrelated work elsewhere, then more work here
    before = head(db_path)
    db = open_database(db_path)
    try:
        result = restore_database(db, backup, tmp_path / "safety")
    finally:
        close_database(db)
    (entry,) = entries(db_path, "restore")
    assert entry["backup"] == backup.name
    assert entry["backup_head"] == {"seq": backup_head[0], "hash": backup_head[1]}
    assert entry["replaced_head"] == {"seq": before[0], "hash": before[1]}
    assert entry["safety_copy"] == result.safety_backup.name  # type: ignore[union-attr]
    assert head(db_path)[0] == backup_head[0] + 1, "the restore entry follows the backup's trail"
    # The witness was rewritten from the restored trail: check is clean, without a warning.
    report = check_database(db_path)
    assert report.ok and not report.warnings, report.lines()


def test_restoring_a_missing_database_is_audited_too(db_path: Path, tmp_path: Path) -> None:
    backup = _backup(db_path, tmp_path / "backups")
    target = tmp_path / "new" / "keel.db"
    target.parent.mkdir()
    restore_into_file(target, backup, tmp_path / "safety")
    (entry,) = entries(target, "restore")
    assert entry["backup"] == backup.name and entry["safety_copy"] is None
    report = check_database(target)
    assert report.ok and not report.warnings, report.lines()


def test_every_backup_carries_the_witness_of_its_trail(db_path: Path, tmp_path: Path) -> None:
    plain = _backup(db_path, tmp_path / "backups")
    encrypted = _backup(db_path, tmp_path / "backups", PASSPHRASE)
    seq, digest = head(db_path)
    conn = sqlite3.connect(f"file:{plain}?mode=ro", uri=True)
    try:
        (carried,) = conn.execute("SELECT value FROM meta WHERE key = 'audit_witness'").fetchone()
    finally:
        conn.close()
    inside = json.loads(carried)
    assert (inside["seq"], inside["hash"]) == (seq, digest)
    assert inside["witness"]["seq"] == seq  # the witness outside, as it was
    with open_backup_read_only(encrypted, passphrase=PASSPHRASE) as inside_encrypted:
        (carried,) = inside_encrypted.execute(
            "SELECT value FROM meta WHERE key = 'audit_witness'"
        ).fetchone()
    assert json.loads(carried)["hash"] == digest


def test_restoring_a_backup_whose_trail_was_cut_says_so(db_path: Path, tmp_path: Path) -> None:
    backup = _backup(db_path, tmp_path / "backups")
    seq, _ = head(backup)
    sql(
        backup,
        "DROP TRIGGER audit_log_never_deleted",
        f"DELETE FROM audit_log WHERE seq > {seq - 2}",
    )
    result = restore_into_file(db_path, backup, tmp_path / "safety")
    assert any("deleted from its end" in m for m in result.messages), result.messages
    (entry,) = entries(db_path, "restore")
    assert any("deleted from its end" in f for f in entry["backup_findings"])  # type: ignore[union-attr]


# --------------------------------------------------------------------------- check --against


def test_check_against_a_backup_whose_trail_is_a_prefix(db_path: Path, tmp_path: Path) -> None:
    backup = _backup(db_path, tmp_path / "backups")
    make_db(tmp_path / "unused.db")
    db = open_database(db_path)
    try:
        from app.services.sessions import SessionService
        from tests.app.backup_support import held

        ids = db.execute("SELECT worker_id, supervisor_id FROM sessions LIMIT 1").fetchone()
        from datetime import date

        SessionService(db).save(held(ids[0], ids[1], date(2026, 3, 1)))
    finally:
        close_database(db)
    code, text = keel(db_path, "check", "--against", str(backup))
    assert code == 0, text
    assert f"against {backup.name}: its audit trail" in text and "is the beginning" in text


def test_check_against_finds_entries_deleted_since_the_backup(
    db_path: Path, tmp_path: Path
) -> None:
    backup = _backup(db_path, tmp_path / "backups")
    seq, _ = head(db_path)
    sql(
        db_path,
        "DROP TRIGGER audit_log_never_deleted",
        f"DELETE FROM audit_log WHERE seq > {seq - 3}",
    )
    code, text = keel(db_path, "check", "--against", str(backup))
    assert code == 1
    assert f"holds audit entries up to #{seq}" in text
    assert f"entries #{seq - 2}–#{seq} were deleted from the database's trail" in text


def test_check_against_an_encrypted_backup_with_the_environment_passphrase(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup = _backup(db_path, tmp_path / "backups", PASSPHRASE)
    monkeypatch.setenv("KEEL_BACKUP_PASSPHRASE", PASSPHRASE)
    code, text = keel(db_path, "check", "--against", str(backup))
    assert code == 0, text
    assert "is the beginning of the database's" in text
    # The backup was read in memory: no decrypted copy anywhere near the database.
    assert sorted(p.name for p in db_path.parent.iterdir() if "restore" in p.name) == []
    monkeypatch.setenv("KEEL_BACKUP_PASSPHRASE", "not the passphrase")
    code, _ = keel(db_path, "check", "--against", str(backup))
    assert code == 1


def test_check_against_another_databases_backup(db_path: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    make_db(other)
    backup = _backup(other, tmp_path / "backups")
    code, text = keel(db_path, "check", "--against", str(backup))
    assert code == 1
    assert "is a backup of another database" in text


# --------------------------------------------------------------------------- protections


def test_opening_a_file_puts_a_removed_protection_back_and_records_it(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sql(db_path, "DROP TRIGGER addenda_never_deleted")
    report = check_database(db_path)
    assert any("“addenda_never_deleted”" in p for p in report.problems)
    code, _ = keel(db_path, "status")
    assert code == 0
    err = capsys.readouterr().err
    assert "“addenda_never_deleted”" in err and "Keel has restored it" in err
    (entry,) = entries(db_path, "restore_protection")
    assert entry["trigger"] == "addenda_never_deleted" and entry["was"] == "missing"
    from app.storage.protections import expected_triggers

    conn = sqlite3.connect(str(db_path))
    try:
        (back,) = conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'addenda_never_deleted'"
        ).fetchone()
    finally:
        conn.close()
    assert back == expected_triggers()["addenda_never_deleted"]
    # The repair stays visible: check passes, and says a protection was restored.
    report = check_database(db_path)
    assert report.ok, report.lines()
    assert any("restored 1 protection" in w for w in report.warnings)


def test_a_trigger_keel_did_not_create_is_removed_on_open_with_its_sql_kept(db_path: Path) -> None:
    evil = "CREATE TRIGGER quietly AFTER INSERT ON audit_log BEGIN DELETE FROM meta; END"
    sql(db_path, evil)
    db = open_database(db_path)
    try:
        assert db.repaired and "Keel did not create" in db.repaired[0]
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
        assert "quietly" not in names
    finally:
        close_database(db)
    (entry,) = entries(db_path, "restore_protection")
    assert entry["was"] == "foreign" and entry["sql_found"] == evil


def test_the_expected_triggers_are_those_of_a_new_database(tmp_path: Path) -> None:
    from app.storage.protections import differences, expected_triggers

    db = open_database(tmp_path / "fresh.db")
    try:
        assert differences(db) == []
        assert (
            len(expected_triggers())
            == db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'").fetchone()[0]
        )
    finally:
        close_database(db)


# --------------------------------------------------------------------------- migrating


# A signed record as Keel 6 stored it, with the fingerprint Keel printed on it then (computed
# once, frozen here): upgrading must never change what it verifies against.
FROZEN_FINGERPRINT = "72191ab7f51a4318caac4da81c9f9ebf5fc453debe4f4a48f820e969abbc3f43"


def _schema_6(path: Path) -> Database:
    db = Database(dbapi.connect(str(path)))  # Keel's driver: the migrations' SQL needs it
    for version, script in enumerate(MIGRATIONS[:6], start=1):
        with db.atomic():
            for statement in split_sql(script):
                db.execute(statement)
            if version in _AFTER_STEP and version < 7:
                _AFTER_STEP[version](db)
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {version}")
    return db


def _signed_at_schema_6(db: Database) -> tuple[str, str]:
    """A worker, a risk assessment, a signed and acknowledged record with an addendum, written
    with Keel 6's statements (no evidence hashes in its audit entries)."""
    with db.atomic():
        db.execute(
            "INSERT INTO workers (id, name, created_at, updated_at) VALUES "
            "('w1', 'Ana Silva', '2026-01-01T09:00:00Z', '2026-01-01T09:00:00Z'), "
            "('w2', 'Amara Okafor', '2026-01-01T09:00:00Z', '2026-01-01T09:00:00Z')"
        )
        db.execute(
            "INSERT INTO risk_assessments (id, worker_id, assessed_on, cohort_risk, "
            "decision_complexity, support_need, volatility, tier, created_at) VALUES "
            "('r1', 'w1', '2026-01-02', 2, 2, 2, 2, 'standard', '2026-01-02T09:00:00Z')"
        )
        db.execute(
            "INSERT INTO sessions (id, type, status, session_date, supervisor_id, worker_id, "
            "created_at, updated_at, issues, risk_link) VALUES ('s1', 'line', 'held', "
            "'2026-01-05', 'w2', 'w1', '2026-01-05T10:00:00Z', '2026-01-05T10:00:00Z', "
            "'Caseload of 31.', 1)"
        )
        db.execute(
            "INSERT INTO decisions (id, session_id, position, text, rationale) VALUES "
            "('d1', 's1', 0, 'Cap allocations', 'Over the norm')"
        )
    from app.storage.evidence import canonical_content

    content = canonical_content(db, "s1")
    content.update(signed_at="2026-01-05T16:00:00Z", signed_by_name="Amara Okafor",
                   signed_by_id="w2")  # fmt: skip
    printed = fingerprint_of(content)
    with db.atomic():
        db.execute(
            "UPDATE sessions SET signed_at = '2026-01-05T16:00:00Z', signed_by_name = "
            "'Amara Okafor', signed_by_id = 'w2', fingerprint = ? WHERE id = 's1'",
            [printed],
        )
        db.execute(
            "UPDATE sessions SET supervisee_response = 'acknowledged', supervisee_name = "
            "'Ana Silva', supervisee_responded_at = '2026-01-06T09:00:00Z' WHERE id = 's1'"
        )
        db.execute(
            "INSERT INTO addenda (id, session_id, author, reason, text, created_at) VALUES "
            "('a1', 's1', 'Amara Okafor', 'Correction', 'C-1043, not C-1034.', "
            "'2026-01-07T09:00:00Z')"
        )
        from app.storage import audit

        audit.append(db, "sign", "session", "s1", {"by": "Amara Okafor", "fingerprint": printed})
    return "s1", printed


def test_migrating_writes_one_baseline_entry_per_row_and_fingerprints_still_verify(
    tmp_path: Path,
) -> None:
    path = tmp_path / "keel.db"
    db = _schema_6(path)
    try:
        sid, printed = _signed_at_schema_6(db)
    finally:
        db.close()
    assert printed == FROZEN_FINGERPRINT
    db = open_database(path)  # migrates to the current schema
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        stored = db.execute("SELECT fingerprint FROM sessions WHERE id = ?", [sid]).fetchone()[0]
        baseline = db.execute(
            "SELECT json_extract(detail, '$.evidence.kind'), json_extract(detail, '$.note') "
            "FROM audit_log WHERE action = 'baseline' ORDER BY seq"
        ).fetchall()
    finally:
        close_database(db)
    assert stored == printed, "a migration changed a signed record's stored fingerprint"
    kinds = sorted(k for k, _ in baseline)
    assert kinds == ["addendum", "response", "risk_assessment", "signed_record"]
    assert all("baseline" in note and "cannot be verified" in note for _, note in baseline)
    # One summary per step that began keeping a kind: the evidence step, then the step that
    # gave each group attendee their own response (none to copy here).
    summary, attendees = entries(path, "begin_evidence")
    assert summary["baseline"]["signed_record"] == 1  # type: ignore[index]
    assert attendees["baseline"] == {"attendee_response": 0}
    report = check_database(path)
    assert report.ok, report.lines()


def test_a_fingerprint_made_by_an_earlier_keel_still_verifies(tmp_path: Path) -> None:
    """The fingerprint of a fixed record, computed when this test was written: if this fails,
    a change to the canonical content (or to a stored value) broke every printed fingerprint."""
    db = _schema_6(tmp_path / "keel.db")
    try:
        _sid, printed = _signed_at_schema_6(db)
    finally:
        db.close()
    assert printed == FROZEN_FINGERPRINT


# --------------------------------------------------------------------------- witness on file


def test_the_witness_is_kept_in_the_state_folder_by_database_id_and_path(
    db_path: Path, isolated_user_folders: Path
) -> None:
    db = connect(db_path)
    try:
        db_id = database_id(db)
    finally:
        db.close()
    found = witness.read(str(db_id), db_path)
    assert found is not None and (found.seq, found.hash) == head(db_path)
    assert witness.witness_file(str(db_id), db_path).is_relative_to(
        isolated_user_folders / ".local/state/Keel/witness"
    )
    # A copy of the file elsewhere has no witness of its own until Keel writes to it there.
    assert witness.read(str(db_id), db_path.with_name("copy.db")) is None


def test_the_witness_follows_every_audited_write(db_path: Path) -> None:
    from datetime import date

    from app.services.sessions import SessionService
    from tests.app.backup_support import held

    db = open_database(db_path)
    try:
        ids = db.execute("SELECT worker_id, supervisor_id FROM sessions LIMIT 1").fetchone()
        SessionService(db).save(held(ids[0], ids[1], date(2026, 4, 1)))
        now = witness.current(db)
    finally:
        close_database(db)
    assert now is not None and (now.seq, now.hash) == head(db_path)


def test_the_logged_cleaning_names_no_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from app.services.temporaries import clean_stale

    folder = tmp_path / "Ana Silva's backups"
    folder.mkdir()
    old = folder / ".keel-backup-0123.tmp"
    old.write_bytes(b"SQLite format 3\x00")
    import os
    import time

    stamp = time.time() - 2 * 86400
    os.utime(old, (stamp, stamp))
    with caplog.at_level(logging.INFO, logger="app.services.temporaries"):
        assert clean_stale([folder]) == 1
    assert not old.exists()
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "removed 1 stale temporary item" in logged
    assert "Ana" not in logged and str(folder) not in logged and ".keel-backup" not in logged


def test_an_evidence_entry_in_another_json_layout_is_still_read(tmp_path: Path) -> None:
    """The trail is read with a pattern that matches the layout Keel writes; an entry laid out
    otherwise (compact JSON, keys in another order) is parsed in full, not skipped."""
    from app.storage.audit import GENESIS
    from app.storage.evidence_registry import _last_entries

    db = open_database(tmp_path / "k.db")
    try:
        detail = {"evidence": {"kind": "leave", "id": "L1", "hash": "ab" * 32, "form": 1}}
        top = db.execute("SELECT coalesce(max(seq), 0) FROM audit_log").fetchone()[0]
        layouts = [json.dumps(detail, separators=(",", ":")), json.dumps(detail, sort_keys=True)]
        for n, text in enumerate(layouts, start=1):
            db.execute(
                "INSERT INTO audit_log (seq, id, at, actor, action, entity, entity_id, detail, "
                "prev_hash, hash) VALUES (?, ?, '2026-01-01T00:00:00Z', 'x', 'create', "
                "'leave', ?, ?, ?, ?)",
                [top + n, f"e{n}", f"L{n}", text.replace("L1", f"L{n}"), GENESIS, GENESIS],
            )
        last = _last_entries(db)["leave"]
        assert (last["L1"].seq, last["L1"].hash, last["L1"].form) == (top + 1, "ab" * 32, 1)
        assert (last["L2"].seq, last["L2"].hash, last["L2"].form) == (top + 2, "ab" * 32, 1)
    finally:
        close_database(db)
