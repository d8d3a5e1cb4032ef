"""The store: migrations, refusing files that are not Keel's, pragmas, clean close, creation.

Every refusal also proves the file was left exactly as it was (same bytes, no -wal/-shm, no
backup copy): an administrator who points Keel at the wrong file must lose nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from app import dbapi
from app.domain.model import RiskFactors, Tier, Worker
from app.domain.policy import BEGINNING, Policy
from app.errors import (
    DamagedDatabaseError,
    EmptyFileError,
    ForeignDatabaseError,
    NewerSchemaError,
    NotADatabaseError,
    StorageError,
)
from app.services.integrity import check_database
from app.storage import db as store
from app.storage.db import (
    APPLICATION_ID,
    Database,
    close_database,
    inspect_file,
    migrate,
    new_id,
    open_database,
)
from app.storage.policies import current_policy, save_policy
from app.storage.schema import MIGRATIONS, SCHEMA_VERSION, SEEDED_THEMES
from app.storage.workers import add_assessment, insert_worker
from tests.fixtures import make_v1

REPO = Path(__file__).resolve().parents[2]
V1_FIXTURE = REPO / "tests" / "fixtures" / "schema-v1.db"


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """An empty folder of the test's own (tmp_path also holds the isolated home folder)."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def raw_query(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Read a closed file without leaving -wal/-shm files beside it."""
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def schema_of(path: Path) -> list[tuple[str, str, str, str]]:
    """sqlite_master, normalised: whitespace collapsed, sorted, SQLite's own rows dropped."""
    rows = raw_query(path, "SELECT type, name, tbl_name, sql FROM sqlite_master")
    return sorted(
        (str(t), str(n), str(tbl), " ".join(str(sql or "").split()))
        for t, n, tbl, sql in rows
        if not str(n).startswith("sqlite_stat")
    )


def header_numbers(path: Path) -> tuple[int, int]:
    """(user_version, application_id) read from the file header without SQLite."""
    header = path.read_bytes()[:100]
    return int.from_bytes(header[60:64], "big"), int.from_bytes(header[68:72], "big")


def build_v1_now(path: Path) -> Path:
    """A v1 database made from today's MIGRATIONS[0], with the same rows as the fixture."""
    return make_v1.build(path)


def make_keel_db_with_data(path: Path, workers: int = 200) -> Path:
    db = open_database(path)
    try:
        with db.atomic():
            for i in range(workers):
                insert_worker(
                    db,
                    Worker(
                        id="",
                        staff_id=f"STAFF-{i:04d}",
                        name=f"Worker {i:03d} " + "x" * 150,
                        team="North",
                        start_date=date(2024, 1, 1),
                    ),
                )
    finally:
        close_database(db)
    return path


def make_foreign_sqlite(path: Path) -> Path:
    conn = sqlite3.connect(str(path))
    try:
        conn.execute("CREATE TABLE bookmarks (id INTEGER PRIMARY KEY, url TEXT)")
        conn.execute("INSERT INTO bookmarks (url) VALUES ('https://example.org')")
        conn.commit()
    finally:
        conn.close()
    return path


# --------------------------------------------------------------------------- migrations


def test_checked_in_fixture_is_a_v1_keel_database() -> None:
    assert header_numbers(V1_FIXTURE) == (1, APPLICATION_ID)
    assert not Path(f"{V1_FIXTURE}-wal").exists()


def test_released_v1_step_has_not_been_edited(work: Path) -> None:
    """MIGRATIONS[0] must still build exactly the schema the checked-in v1 file has."""
    rebuilt = build_v1_now(work / "v1-now.db")
    assert schema_of(rebuilt) == schema_of(V1_FIXTURE)


def _required(type_: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM worker_required_types r "
        f"WHERE r.worker_id = workers.id AND r.type = '{type_}')"
    )


def _v1_rows(path: Path, *, migrated: bool = False) -> dict[str, list[tuple[object, ...]]]:
    """The v1 fixture's data; ``migrated``: read the same from a database at the head, whose
    required types are rows of worker_required_types instead of a column per type."""
    required = (
        ", ".join(_required(t) for t in ("line", "clinical", "group"))
        if migrated
        else "requires_line, requires_clinical, requires_group"
    )
    queries = {
        "workers": "SELECT id, staff_id, name, role, team, start_date, employment, "
        f"qualified_clinical, {required}, left_on "
        "FROM workers ORDER BY id",
        "risk_assessments": "SELECT id, worker_id, assessed_on, cohort_risk, "
        "decision_complexity, support_need, volatility, tier FROM risk_assessments ORDER BY id",
        "sessions": "SELECT id, type, status, session_date, supervisor_id, worker_id, "
        "cancel_reason, imported FROM sessions ORDER BY id",
        "session_attendees": "SELECT * FROM session_attendees ORDER BY 1, 2",
        "leave_periods": "SELECT id, worker_id, kind, start_date, end_date FROM leave_periods",
        "overrides": "SELECT id, worker_id, type, interval_days, reason, expires_on FROM overrides",
        "trigger_events": "SELECT id, worker_id, kind, event_date, type, response_days "
        "FROM trigger_events",
        "policies": "SELECT id, version, data FROM policies",
    }
    return {table: raw_query(path, sql) for table, sql in queries.items()}


@pytest.mark.parametrize("source", ["checked-in file", "built from MIGRATIONS[0] now"])
def test_oldest_schema_migrates_to_head_keeping_its_data(work: Path, source: str) -> None:
    path = work / "keel.db"
    if source == "checked-in file":
        shutil.copyfile(V1_FIXTURE, path)
    else:
        build_v1_now(path)
    before = _v1_rows(path)
    schema_before = schema_of(path)
    assert len(before["workers"]) == 3 and len(before["sessions"]) == 5

    db = open_database(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        themes = [r[0] for r in db.execute("SELECT name FROM themes WHERE seeded = 1")]
        assert sorted(themes) == sorted(SEEDED_THEMES)
        # New columns arrived with their defaults on the old rows.
        held = db.execute(
            "SELECT checklist, issues, risk_link FROM sessions WHERE id = ?",
            [make_v1.SESSIONS[0][0]],
        ).fetchone()
        assert held == ("{}", "", None)
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        # The migrated data is usable by the app, not only present.
        from app.services.scheduling import compute_schedule

        schedule = compute_schedule(db, date(2026, 3, 1))
        assert {r.facts.name for r in schedule.rows} >= {"Ada Okafor", "Ben Price"}
        assert current_policy(db).interval("clinical", Tier.HIGH) == 10
    finally:
        close_database(db)

    assert _v1_rows(path, migrated=True) == before
    backups = [n for n in listing(work) if n != "keel.db"]
    assert len(backups) == 1, listing(work)
    assert re.fullmatch(r"keel\.db\.pre-migration-v1-\d{8}T\d{6}Z\.bak", backups[0])
    backup = work / backups[0]
    assert header_numbers(backup) == (1, APPLICATION_ID)
    assert _v1_rows(backup) == before
    assert schema_of(backup) == schema_before
    # Opening again is quiet: no second backup once the file is at the head.
    close_database(open_database(path))
    assert listing(work) == sorted(["keel.db", backups[0]])


def test_fresh_schema_equals_a_fully_migrated_one(work: Path) -> None:
    fresh = work / "fresh" / "keel.db"
    close_database(open_database(fresh))
    migrated = work / "old" / "keel.db"
    migrated.parent.mkdir()
    shutil.copyfile(V1_FIXTURE, migrated)
    close_database(open_database(migrated))
    assert schema_of(fresh) == schema_of(migrated)
    assert header_numbers(fresh) == header_numbers(migrated) == (SCHEMA_VERSION, APPLICATION_ID)


def test_a_failing_migration_step_changes_nothing(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each step is one transaction: DDL before the failure is rolled back too."""
    path = work / "keel.db"
    close_database(open_database(path))
    broken_step = "CREATE TABLE half_done (x TEXT);\nINSERT INTO no_such_table VALUES (1);\n"
    monkeypatch.setattr(store, "MIGRATIONS", (*MIGRATIONS, broken_step))
    monkeypatch.setattr(store, "SCHEMA_VERSION", SCHEMA_VERSION + 1)

    with pytest.raises(StorageError, match="no_such_table"):
        open_database(path)

    assert header_numbers(path)[0] == SCHEMA_VERSION
    tables = {r[0] for r in raw_query(path, "SELECT name FROM sqlite_master")}
    assert "half_done" not in tables
    assert any(n.startswith(f"keel.db.pre-migration-v{SCHEMA_VERSION}-") for n in listing(work))


def test_migrate_refuses_a_newer_schema_on_an_open_connection(work: Path) -> None:
    conn = sqlite3.connect(str(work / "x.db"))
    db = Database(conn)
    try:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        with pytest.raises(NewerSchemaError):
            migrate(db)
    finally:
        db.close()


# --------------------------------------------------------------------------- refusals


def test_newer_version_database_is_refused_and_left_byte_for_byte(work: Path) -> None:
    path = make_keel_db_with_data(work / "keel.db", workers=3)
    conn = sqlite3.connect(str(path))
    try:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        conn.commit()
    finally:
        conn.close()
    assert listing(work) == ["keel.db"]
    digest = sha256(path)

    with pytest.raises(NewerSchemaError) as refused:
        open_database(path)
    message = str(refused.value)
    assert "newer version of Keel" in message
    assert f"schema {SCHEMA_VERSION + 1}" in message
    assert "not been changed" in message

    report = check_database(path)
    assert not report.ok and "newer version" in report.problems[0]

    assert sha256(path) == digest
    assert listing(work) == ["keel.db"]


def _text_file(path: Path) -> Path:
    path.write_text("name,team\nAda,North\n", encoding="utf-8")
    return path


def _empty_file(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _truncated_keel(path: Path) -> Path:
    source = make_keel_db_with_data(path.with_name("whole.db"))
    data = source.read_bytes()
    source.unlink()
    path.write_bytes(data[: len(data) // 2])
    return path


def _truncated_inside_header(path: Path) -> Path:
    source = make_keel_db_with_data(path.with_name("whole.db"), workers=1)
    data = source.read_bytes()
    source.unlink()
    path.write_bytes(data[:60])
    return path


def _damaged_page(path: Path) -> Path:
    """Scramble the b-tree header of the table page holding worker 100."""
    make_keel_db_with_data(path)
    data = bytearray(path.read_bytes())
    page = data.index(b"Worker 100 ") // 4096
    for offset in range(page * 4096, page * 4096 + 12):
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


def _folder(path: Path) -> Path:
    path.mkdir()
    (path / "notes.txt").write_text("not a database", encoding="utf-8")
    return path


REFUSALS: list[tuple[str, Callable[[Path], Path], type[StorageError], tuple[str, ...]]] = [
    ("another program's SQLite file", make_foreign_sqlite, ForeignDatabaseError,
     ("not one of Keel's", "another program", "has not changed")),
    ("a text file", _text_file, NotADatabaseError, ("not a Keel database", "not an SQLite file")),
    ("a 0-byte file", _empty_file, EmptyFileError, ("empty", "0 bytes", "backup")),
    ("a truncated Keel file", _truncated_keel, DamagedDatabaseError, ("truncated", "backup")),
    ("a file cut inside its header", _truncated_inside_header, DamagedDatabaseError,
     ("truncated", "header")),
    ("a Keel file with a damaged page", _damaged_page, DamagedDatabaseError,
     ("is damaged", "backup")),
    ("a folder", _folder, NotADatabaseError, ("is a folder",)),
]  # fmt: skip


def _fingerprint(path: Path) -> object:
    if path.is_dir():
        return sorted((p.name, sha256(p)) for p in path.iterdir())
    return sha256(path)


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [pytest.param(m, e, w, id=name) for name, m, e, w in REFUSALS],
)
def test_files_that_are_not_sound_keel_databases_are_refused_and_untouched(
    work: Path,
    make: Callable[[Path], Path],
    error: type[StorageError],
    words: tuple[str, ...],
) -> None:
    path = make(work / "keel.db")
    before = _fingerprint(path)
    folder_before = listing(work)

    with pytest.raises(error) as refused:
        open_database(path)
    message = str(refused.value)
    for word in words:
        assert word in message
    assert "\n" not in message and str(path) in message

    report = check_database(path)
    assert not report.ok and report.problems == [message]

    assert _fingerprint(path) == before
    assert listing(work) == folder_before  # no -wal, -shm, .bak or .creating


def test_each_refusal_has_its_own_message(work: Path) -> None:
    messages = []
    for i, (_, make, _, _) in enumerate(REFUSALS):
        folder = work / str(i)
        folder.mkdir()
        with pytest.raises(StorageError) as refused:
            inspect_file(make(folder / "keel.db"))
        messages.append(str(refused.value).replace(str(folder / "keel.db"), "FILE"))
    assert len(set(messages)) == len(messages)


def test_a_zero_byte_file_never_becomes_a_database(work: Path) -> None:
    path = _empty_file(work / "keel.db")
    for _ in range(2):
        with pytest.raises(EmptyFileError):
            open_database(path, create=True)
    assert path.stat().st_size == 0
    assert listing(work) == ["keel.db"]


def test_inspect_and_check_leave_a_good_file_alone(work: Path) -> None:
    path = make_keel_db_with_data(work / "keel.db", workers=2)
    digest = sha256(path)
    info = inspect_file(path)
    assert (info.exists, info.schema_version, info.application_id) == (
        True,
        SCHEMA_VERSION,
        APPLICATION_ID,
    )
    report = check_database(path)
    assert report.ok, report.lines()
    assert "2 workers" in " ".join(report.facts)
    assert sha256(path) == digest
    assert listing(work) == ["keel.db"]


def test_check_reads_changes_still_in_the_wal_of_an_open_database(work: Path) -> None:
    path = work / "keel.db"
    db = open_database(path)
    try:
        insert_worker(db, Worker(id="", name="Still in the WAL"))
        assert Path(f"{path}-wal").stat().st_size > 0
        report = check_database(path)
        assert report.ok, report.lines()
        assert "1 workers" in " ".join(report.facts)
    finally:
        close_database(db)


def test_a_locked_file_is_reported_as_locked_not_as_damaged(work: Path) -> None:
    """Advice to restore a backup over a file another program holds would do harm."""
    path = make_keel_db_with_data(work / "keel.db", workers=1)
    # Keel's own driver: two copies of SQLite in one process do not see each other's locks.
    holder = dbapi.connect(str(path), isolation_level=None)
    try:
        holder.execute("PRAGMA locking_mode = EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("INSERT INTO meta (key, value) VALUES ('held', 'by another program')")
        with pytest.raises(StorageError) as refused:
            inspect_file(path)  # waits for the lock (5 s), then gives up
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not isinstance(refused.value, DamagedDatabaseError)
    assert "locked" in str(refused.value) and "backup" not in str(refused.value)


def test_index_damage_that_quick_check_misses_is_found_by_check(work: Path) -> None:
    path = make_keel_db_with_data(work / "keel.db")
    data = path.read_bytes()
    # Change the value in one place only: the row and its index entry now disagree. (A first
    # copy may be a stale one in a page's free space: the first one SQLite notices is used.)
    at = data.index(b"STAFF-0007")
    while True:
        path.write_bytes(data[:at] + b"STAFF-7007" + data[at + 10 :])
        conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        try:
            if conn.execute("PRAGMA integrity_check").fetchall() != [("ok",)]:
                break
        finally:
            conn.close()
        at = data.index(b"STAFF-0007", at + 1)
    report = check_database(path)
    assert not report.ok
    assert any(p.startswith("integrity:") for p in report.problems), report.lines()


# --------------------------------------------------------------------------- the open file


def test_pragmas_are_set(db: Database) -> None:
    pragma = {
        name: db.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("foreign_keys", "journal_mode", "synchronous", "application_id")
    }
    assert pragma == {
        "foreign_keys": 1,
        "journal_mode": "wal",
        "synchronous": 2,
        "application_id": APPLICATION_ID,
    }
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(dbapi.IntegrityError, match="FOREIGN KEY"):
        db.execute(
            "INSERT INTO leave_periods (id, worker_id, start_date, created_at) "
            "VALUES (?, 'nobody', '2026-01-01', '2026-01-01T00:00:00Z')",
            [new_id()],
        )


def _unique_text_id(db: Database, table: str) -> bool:
    """True when ``table`` has an ``id TEXT NOT NULL`` column with a unique index of its own."""
    columns = {c[1]: c for c in db.execute(f"PRAGMA table_info({table})").fetchall()}
    if "id" not in columns or columns["id"][2] != "TEXT" or not columns["id"][3]:
        return False
    for index in db.execute(f"PRAGMA index_list({table})").fetchall():
        if index[2]:  # unique
            cols = [c[2] for c in db.execute(f"PRAGMA index_info({index[1]})").fetchall()]
            if cols == ["id"]:
                return True
    return False


def test_primary_keys_are_text_uuids(db: Database) -> None:
    """Records merge across laptops: every row is identified by text, never by a rowid alone.

    A table may keep a local integer sequence as its key (the audit log's hash chain) only if
    it also carries a unique text ``id``.
    """
    virtual = [
        r[0]
        for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%'"
        )
    ]
    for table in db.table_names():
        if any(table == v or table.startswith(f"{v}_") for v in virtual):
            continue  # a full-text index and SQLite's own tables for it: derived, never merged
        columns = db.execute(f"PRAGMA table_info({table})").fetchall()
        keys = [(name, kind) for _, name, kind, _, _, pk in columns if pk]
        assert keys, f"{table} has no primary key"
        text_key = all(kind == "TEXT" for _, kind in keys)
        assert text_key or _unique_text_id(db, table), (table, keys)
    worker = insert_worker(db, Worker(id="", name="Ada Okafor"))
    ids = [worker.id] + [r[0] for r in db.execute("SELECT id FROM themes")]
    assert all(uuid.UUID(i).version == 4 and str(uuid.UUID(i)) == i for i in ids)


def test_after_close_the_folder_holds_only_the_database(work: Path) -> None:
    path = work / "keel.db"
    db = open_database(path)
    insert_worker(db, Worker(id="", name="Ada Okafor"))
    assert Path(f"{path}-wal").exists()
    close_database(db)
    assert listing(work) == ["keel.db"]
    # Everything reached the main file: a copy of it alone holds the worker.
    copy = work / "copy" / "keel.db"
    copy.parent.mkdir()
    shutil.copyfile(path, copy)
    assert raw_query(copy, "SELECT name FROM workers") == [("Ada Okafor",)]


# --------------------------------------------------------------------------- creation


def test_a_new_database_is_created_in_a_missing_folder(work: Path) -> None:
    path = work / "not" / "there" / "yet" / "keel.db"
    close_database(open_database(path))
    assert listing(path.parent) == ["keel.db"]
    assert header_numbers(path) == (SCHEMA_VERSION, APPLICATION_ID)
    if os.name == "posix":
        assert path.stat().st_mode & 0o777 == 0o600


def test_a_folder_name_with_uri_characters_works(work: Path) -> None:
    """The read-only checks use a URI: '#', '?' and '%' in a path must not send them elsewhere."""
    path = work / "50% team #2? yes" / "keel.db"
    make_keel_db_with_data(path, workers=1)
    close_database(open_database(path))  # reopening goes through the read-only checks
    report = check_database(path)
    assert report.ok and "1 workers" in " ".join(report.facts), report.lines()
    assert listing(work) == ["50% team #2? yes"]
    assert listing(path.parent) == ["keel.db"]


def test_a_leftover_from_an_interrupted_creation_is_not_a_database(work: Path) -> None:
    path = work / "keel.db"
    (work / "keel.db.creating").write_bytes(b"SQLite format 3\x00" + b"\x00" * 500)
    (work / "keel.db.creating-wal").write_bytes(b"junk")
    assert not inspect_file(path).exists
    close_database(open_database(path))
    assert listing(work) == ["keel.db"]
    assert header_numbers(path) == (SCHEMA_VERSION, APPLICATION_ID)


def test_a_crash_while_creating_leaves_no_keel_db(work: Path) -> None:
    """Kill the process half-way through building the schema, as a power cut would."""
    path = work / "keel.db"
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from app.storage import db\n"
        "db._AFTER_STEP[2] = lambda _db: os._exit(9)\n"
        "db.open_database(Path(sys.argv[1]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 9, done.stderr
    assert not path.exists()
    assert not inspect_file(path).exists
    # The next start builds a sound database and clears the half-made one.
    close_database(open_database(path))
    assert listing(work) == ["keel.db"]


def test_an_error_while_creating_leaves_no_keel_db(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(_db: Database) -> None:
        raise dbapi.OperationalError("database or disk is full")

    monkeypatch.setitem(store._AFTER_STEP, 2, fail)
    path = work / "keel.db"
    with pytest.raises(StorageError, match="disk is full"):
        open_database(path)
    assert not path.exists()


# --------------------------------------------------------------------------- history


def test_risk_assessments_cannot_be_updated_or_deleted(db: Database) -> None:
    worker = insert_worker(db, Worker(id="", name="Ada Okafor"))
    stored = add_assessment(db, worker.id, date(2026, 1, 5), RiskFactors(3, 3, 1, 2), Tier.HIGH)
    with pytest.raises(dbapi.IntegrityError, match="add a new assessment"):
        db.execute("UPDATE risk_assessments SET cohort_risk = 1 WHERE id = ?", [stored.id])
    with pytest.raises(dbapi.IntegrityError, match="cannot be deleted"):
        db.execute("DELETE FROM risk_assessments WHERE id = ?", [stored.id])
    row = db.execute("SELECT cohort_risk, tier FROM risk_assessments").fetchall()
    assert row == [(3, "high")]


# --------------------------------------------------------------------------- policies


def test_default_policy_is_exactly_section_5() -> None:
    policy = Policy()
    intervals = {t.key: dict(t.intervals) for t in policy.types}
    assert intervals == {
        "clinical": {"high": 14, "standard": 28, "low": 42},
        "line": {"high": 28, "standard": 42, "low": 56},
        "group": {"high": 28, "standard": 42, "low": 56},
    }
    caps = {t.key: [list(c) for c in t.new_starter_caps] for t in policy.types}
    assert caps == {
        "clinical": [[42, 7], [182, 14]],
        "line": [[182, 28]],
        "group": [],
    }
    windows = {t.key: t.first_window_days for t in policy.types}
    assert windows == {"line": 7, "clinical": 14, "group": 28}
    assert [t.key for t in policy.types] == ["line", "clinical", "group"]
    assert [t.kind.value for t in policy.types] == ["one-to-one", "one-to-one", "group"]
    assert all(t.required_by_default and not t.retired for t in policy.types)
    assert (policy.high_min_factors_at_3, policy.high_min_total, policy.low_max_total) == (2, 10, 6)
    assert (policy.due_soon_min_days, policy.due_soon_divisor) == (3, 4)


def test_a_new_database_uses_the_default_policy(db: Database) -> None:
    assert current_policy(db) == Policy()
    # …saved as version 1, in force from the start, and in the audit trail.
    rows = db.execute("SELECT version, effective_from, created_by FROM policies").fetchall()
    assert rows == [(1, "0001-01-01", "Keel")]
    [(action, detail)] = db.execute(
        "SELECT action, detail FROM audit_log WHERE entity = 'policy'"
    ).fetchall()
    assert action == "create" and json.loads(detail)["version"] == 1


def _with_type(policy: Policy, key: str, **changes: object) -> Policy:
    spec = next(t for t in policy.types if t.key == key)
    return replace(policy, types=tuple(replace(spec, **changes) if t is spec else t
                                       for t in policy.types))  # fmt: skip


def test_saving_a_policy_adds_a_version_and_the_newest_is_in_force(
    db: Database,
) -> None:
    first = Policy()
    stricter = _with_type(first, "clinical", intervals={"high": 10, "standard": 21, "low": 35})
    assert save_policy(db, first, created_by="Team lead", effective_from=BEGINNING) == 2
    assert save_policy(db, stricter, created_by="Service manager", effective_from=BEGINNING) == 3
    assert current_policy(db) == stricter
    versions = db.execute("SELECT version, created_by FROM policies ORDER BY version").fetchall()
    assert versions == [(1, "Keel"), (2, "Team lead"), (3, "Service manager")]
    # Versions are never changed or deleted, even behind Keel's back.
    with pytest.raises(dbapi.IntegrityError, match="cannot be changed"):
        db.execute("UPDATE policies SET data = '{}' WHERE version = 2")
    with pytest.raises(dbapi.IntegrityError, match="cannot be deleted"):
        db.execute("DELETE FROM policies WHERE version = 1")


def test_an_invalid_policy_is_not_saved(db: Database) -> None:
    broken = _with_type(Policy(), "line", intervals={"high": 0, "standard": 42, "low": 56})
    with pytest.raises(ValueError, match="high-tier line management supervision interval"):
        save_policy(db, broken, effective_from=BEGINNING)
    assert db.execute("SELECT count(*) FROM policies").fetchone()[0] == 1
    assert current_policy(db) == Policy()


UUID_SHAPE = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def test_every_database_has_its_own_id_that_never_changes(work: Path) -> None:
    from app.storage.identity import database_id

    ids = []
    for name in ("a.db", "b.db"):
        db = open_database(work / name)
        try:
            ids.append(database_id(db))
        finally:
            close_database(db)
    assert all(i is not None and re.fullmatch(UUID_SHAPE, i) for i in ids), ids
    assert ids[0] != ids[1]
    # Opening again keeps it.
    db = open_database(work / "a.db")
    try:
        assert database_id(db) == ids[0]
    finally:
        close_database(db)


def test_an_upgraded_database_is_given_an_id(work: Path) -> None:
    from app.storage.identity import database_id

    path = work / "keel.db"
    shutil.copyfile(V1_FIXTURE, path)
    db = open_database(path)
    try:
        found = database_id(db)
        assert found is not None and re.fullmatch(UUID_SHAPE, found)
    finally:
        close_database(db)
