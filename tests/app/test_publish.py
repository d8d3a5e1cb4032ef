"""Publishing a team's file to the service's PostgreSQL (a real cluster, no mocks): the server
ends up holding exactly what the laptop has — after a first publish, one change, a deletion,
a server stopped in the middle, a restore from an older backup — and nothing more than the
service view needs."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest

from app.errors import ServiceRefusedError, ServiceUnreachableError
from app.server.schema import PUBLISHED_TABLES, SCHEMA
from app.server.target import parse_target
from app.services.demo import load_demo
from app.services.publishing import (
    connect_team,
    publish_database,
    publish_file,
    publish_state,
    save_url,
)
from app.storage.db import Database, close_database, open_database, transaction
from tests.app.service_support import (
    Service,
    assert_server_matches,
    local_rows,
    make_service,
    server_rows,
)
from tests.app.test_cli import error_lines, keel
from tests.pg_cluster import Cluster, start_cluster

TODAY = date(2026, 11, 26)


@pytest.fixture
def service(pg_cluster: Cluster, service_db: str) -> Service:
    return make_service(pg_cluster, service_db, "North", "South")


@pytest.fixture
def demo_db(tmp_path: Path) -> Iterator[Database]:
    db = open_database(tmp_path / "north.db")
    load_demo(db, today=TODAY)
    yield db
    close_database(db)


def publish(db: Database, url: str, **kwargs: object) -> object:
    target = parse_target(url)
    conn = connect_team(target, target.url_password)
    try:
        return publish_database(db, conn, target, **kwargs)  # type: ignore[arg-type]
    finally:
        conn.close()


def _write(db: Database, sql: str, params: list[object]) -> None:
    with transaction(db):
        db.execute(sql, params)


def _planned_session(db: Database) -> str:
    row = db.execute(
        "SELECT id FROM sessions WHERE status = 'planned' AND signed_at IS NULL LIMIT 1"
    ).fetchone()
    assert row is not None
    return str(row[0])


def test_first_publish_sends_everything_then_one_change_sends_one_row(
    service: Service, demo_db: Database
) -> None:
    url = service.team_urls["North"]
    first = publish(demo_db, url)
    assert first.compared and first.sent == sum(map(len, local_rows(demo_db).values()))  # type: ignore[attr-defined]
    assert_server_matches(service.reader_url, "North", demo_db)

    again = publish(demo_db, url)
    assert again.nothing_new  # type: ignore[attr-defined]

    session = _planned_session(demo_db)
    _write(demo_db, "UPDATE sessions SET session_date = '2026-12-03' WHERE id = ?", [session])
    one = publish(demo_db, url)
    assert (one.sent, one.deleted, one.compared) == (1, 0, False)  # type: ignore[attr-defined]
    assert server_rows(service.reader_url, "North")["sessions"][session][3] == "2026-12-03"

    # Text that is never published (the record's issues) sends nothing.
    _write(demo_db, "UPDATE sessions SET issues = 'Caseload review' WHERE id = ?", [session])
    assert publish(demo_db, url).nothing_new  # type: ignore[attr-defined]
    assert_server_matches(service.reader_url, "North", demo_db)


def test_a_deleted_row_leaves_the_server(service: Service, demo_db: Database) -> None:
    url = service.team_urls["North"]
    publish(demo_db, url)
    session = _planned_session(demo_db)
    _write(demo_db, "DELETE FROM sessions WHERE id = ?", [session])
    result = publish(demo_db, url)
    assert (result.sent, result.deleted) == (0, 1)  # type: ignore[attr-defined]
    assert session not in server_rows(service.reader_url, "North")["sessions"]
    assert_server_matches(service.reader_url, "North", demo_db)


def test_attendance_and_theme_tags_republish_their_session(
    service: Service, demo_db: Database
) -> None:
    url = service.team_urls["North"]
    publish(demo_db, url)
    group = demo_db.execute(
        "SELECT s.id FROM sessions s WHERE s.type = 'group' AND s.signed_at IS NULL "
        "AND EXISTS (SELECT 1 FROM session_attendees a WHERE a.session_id = s.id) LIMIT 1"
    ).fetchone()[0]
    _write(demo_db, "DELETE FROM session_attendees WHERE session_id = ? AND worker_id = "
           "(SELECT min(worker_id) FROM session_attendees WHERE session_id = ?)",
           [group, group])  # fmt: skip
    theme = demo_db.execute("SELECT id FROM themes LIMIT 1").fetchone()[0]
    _write(demo_db, "INSERT OR IGNORE INTO session_themes (session_id, theme_id) VALUES (?, ?)",
           [group, theme])  # fmt: skip
    result = publish(demo_db, url)
    assert (result.sent, result.deleted) == (1, 0)  # type: ignore[attr-defined]
    assert_server_matches(service.reader_url, "North", demo_db)


def test_only_what_the_service_view_needs_leaves_the_laptop(
    service: Service, demo_db: Database
) -> None:
    """Data minimisation: the record's words never reach the server."""
    secrets = {
        "issues": "SECRET-ISSUE-TEXT", "case_discussion": "SECRET-CASE-DISCUSSION",
        "case_refs": "SECRET-CASE-CODE", "referral_refs": "SECRET-REFERRAL",
        "support_offered": "SECRET-SUPPORT", "confidential_notes": "SECRET-CONFIDENTIAL",
        "cancel_reason": "SECRET-CANCEL", "location": "SECRET-LOCATION",
    }  # fmt: skip
    session = _planned_session(demo_db)
    sets = ", ".join(f"{k} = ?" for k in secrets)
    _write(demo_db, f"UPDATE sessions SET {sets}, wellbeing = 3 WHERE id = ?",
           [*secrets.values(), session])  # fmt: skip
    _write(demo_db, "INSERT INTO decisions (id, session_id, text, rationale) "
           "VALUES ('d-secret', ?, 'SECRET-DECISION', 'SECRET-RATIONALE')", [session])  # fmt: skip
    _write(demo_db, "UPDATE leave_periods SET note = 'SECRET-LEAVE-NOTE'", [])
    _write(demo_db, "UPDATE trigger_events SET note = 'SECRET-TRIGGER-NOTE'", [])
    # Open actions of records still in draft (a signed record's actions are locked).
    _write(demo_db, "UPDATE actions SET description = 'SECRET-ACTION', evidence = 'SECRET-EV' "
           "WHERE id IN (SELECT a.id FROM actions a JOIN sessions s ON s.id = a.session_id "
           "WHERE a.status = 'open' AND s.signed_at IS NULL LIMIT 3)", [])  # fmt: skip
    publish(demo_db, service.team_urls["North"])
    with psycopg.connect(service.admin_url) as conn:
        dump = "\n".join(
            str(row)
            for table in PUBLISHED_TABLES
            for row in conn.execute(f"SELECT * FROM {SCHEMA}.{table}")  # type: ignore[call-overload]
        )
        columns = {
            (r[0], r[1])
            for r in conn.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = %s", [SCHEMA]
            )
        }  # fmt: skip
    assert "SECRET" not in dump
    for banned in ("issues", "wellbeing", "case_refs", "confidential_notes", "note",
                   "description", "rationale", "decision", "cancel_reason", "assessed_by"):  # fmt: skip
        assert not any(col == banned for _t, col in columns), banned


def test_server_stopped_in_the_middle_then_published_again_matches_exactly(
    tmp_path: Path, demo_db: Database
) -> None:
    """The fault test: the server stops between two batches (of a first publish, then of an
    incremental one); it starts again; the next publish leaves it holding exactly what the
    laptop has, nothing twice."""
    cluster = start_cluster()  # its own cluster: this test stops it
    try:
        dbname = cluster.new_database()
        service = make_service(cluster, dbname, "North")
        url = service.team_urls["North"]

        def stop_after(batches: int):
            seen = []

            def progress(done: int, total: int) -> None:
                seen.append(done)
                if len(seen) == batches:
                    cluster.stop("immediate")

            return progress

        with pytest.raises(ServiceUnreachableError, match="lost"):
            publish(demo_db, url, progress=stop_after(2), batch_rows=200)
        cluster.start()
        partial = sum(map(len, server_rows(service.reader_url, "North").values()))
        assert 0 < partial < sum(map(len, local_rows(demo_db).values()))
        publish(demo_db, url)
        assert_server_matches(service.reader_url, "North", demo_db)

        # Now many changes, cut after the first batch: the watermark of the batches that
        # arrived lets the next publish carry on.
        _write(demo_db, "UPDATE actions SET status = 'done', completion_note = 'ok', "
               "closed_on = '2026-11-25' WHERE status = 'open'", [])  # fmt: skip
        _write(demo_db, "DELETE FROM sessions WHERE status = 'planned' AND signed_at IS NULL", [])
        with pytest.raises(ServiceUnreachableError):
            publish(demo_db, url, progress=stop_after(1), batch_rows=20)
        cluster.start()
        resumed = publish(demo_db, url)
        assert not resumed.compared  # type: ignore[attr-defined]
        assert_server_matches(service.reader_url, "North", demo_db)
    finally:
        cluster.destroy()


def test_restore_from_an_older_backup_then_publish_matches_the_backup(
    service: Service, tmp_path: Path
) -> None:
    path = tmp_path / "north.db"
    db = open_database(path)
    load_demo(db, today=TODAY)
    url = service.team_urls["North"]
    publish(db, url)
    close_database(db)
    backup = tmp_path / "backup.db"
    shutil.copyfile(path, backup)

    db = open_database(path)
    _write(db, "DELETE FROM sessions WHERE status = 'planned' AND signed_at IS NULL", [])
    _write(db, "INSERT INTO workers (id, name, created_at, updated_at) "
           "VALUES ('w-new', 'New Starter', 'x', 'x')", [])  # fmt: skip
    publish(db, url)
    assert "w-new" in server_rows(service.reader_url, "North")["workers"]
    close_database(db)

    shutil.copyfile(backup, path)  # the restore
    db = open_database(path)
    try:
        result = publish(db, url)
        assert result.compared  # type: ignore[attr-defined]
        assert_server_matches(service.reader_url, "North", db)
        assert "w-new" not in server_rows(service.reader_url, "North")["workers"]
    finally:
        close_database(db)


def test_a_login_publishes_one_database_only(
    service: Service, demo_db: Database, tmp_path: Path
) -> None:
    publish(demo_db, service.team_urls["North"])
    other = open_database(tmp_path / "other.db")
    try:
        with pytest.raises(ServiceRefusedError, match="another team database"):
            publish(other, service.team_urls["North"])
    finally:
        close_database(other)
    # The reader's URL is no team's login.
    with pytest.raises(ServiceRefusedError, match="not a team"):
        publish(demo_db, service.reader_url)


def test_two_teams_publish_side_by_side(service: Service, demo_db: Database,
                                        tmp_path: Path) -> None:  # fmt: skip
    south = open_database(tmp_path / "south.db")
    try:
        load_demo(south, today=TODAY)
        publish(demo_db, service.team_urls["North"])
        publish(south, service.team_urls["South"])
        assert_server_matches(service.reader_url, "North", demo_db)
        assert_server_matches(service.reader_url, "South", south)
    finally:
        close_database(south)


# The command line ---------------------------------------------------------------------------


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def team_file(tmp_path: Path) -> Path:
    path = tmp_path / "team.db"
    db = open_database(path)
    load_demo(db, today=TODAY)
    close_database(db)
    return path


def test_cli_publish_then_nothing_new(service: Service, team_file: Path, tmp_path: Path) -> None:
    url = service.team_urls["North"]
    done = keel("--db", str(team_file), "publish", "--url", url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Published “North”" in done.stdout and "every row compared" in done.stdout
    again = keel("--db", str(team_file), "publish", "--url", url, cwd=tmp_path)
    assert again.returncode == 0 and "Nothing new" in again.stdout


def test_cli_password_from_the_environment_and_url_from_keel_service_url(
    service: Service, team_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = parse_target(service.team_urls["North"])
    monkeypatch.setenv("KEEL_SERVICE_URL", target.url_without_password())
    monkeypatch.setenv("KEEL_SERVICE_PASSWORD", target.url_password or "")
    done = keel("--db", str(team_file), "publish", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    monkeypatch.setenv("KEEL_SERVICE_PASSWORD", "wrong")
    wrong = keel("--db", str(team_file), "publish", cwd=tmp_path)
    assert wrong.returncode == 1 and "password is wrong" in wrong.stderr


def test_cli_failures_exit_1_in_one_sentence_and_change_nothing_local(
    service: Service, team_file: Path, tmp_path: Path, pg_cluster: Cluster
) -> None:
    target = parse_target(service.team_urls["North"])
    before = _sha(team_file)
    no_password = target.url_without_password()
    port = pg_cluster.port
    untrusted = (
        f"postgresql://{target.user}:{target.url_password}@keel.test:{port}/{service.dbname}"
        "?hostaddr=127.0.0.1"
    )
    cases = {
        "password is wrong": target.url_for(target.user, "wrong"),
        "Could not reach": no_password.replace(f":{port}/", ":1/"),
        "TLS": untrusted,
    }
    for says, url in cases.items():
        done = keel("--db", str(team_file), "publish", "--url", url, cwd=tmp_path)
        assert done.returncode == 1, (says, done.stderr)
        assert len(error_lines(done.stderr)) == 1 and says in done.stderr, done.stderr
        assert _sha(team_file) == before
    with psycopg.connect(service.admin_url) as conn:
        conn.execute(f"UPDATE {SCHEMA}.schema_version SET version = version + 1")
    newer = keel("--db", str(team_file), "publish", "--url", service.team_urls["North"],
                 cwd=tmp_path)  # fmt: skip
    assert newer.returncode == 1 and "newer Keel" in newer.stderr
    assert len(error_lines(newer.stderr)) == 1
    assert _sha(team_file) == before


@pytest.mark.parametrize("url", [None, "http://nowhere", "postgresql://u@h:0/x"])
def test_cli_malformed_or_missing_url_exits_2(url: str | None, team_file: Path,
                                              tmp_path: Path) -> None:  # fmt: skip
    before = _sha(team_file)
    args = ["--db", str(team_file), "publish"] + (["--url", url] if url else [])
    done = keel(*args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert len(error_lines(done.stderr)) == 1
    assert _sha(team_file) == before


def test_the_saved_url_is_used_and_never_holds_the_password(
    service: Service, team_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = parse_target(service.team_urls["North"])
    db = open_database(team_file)
    save_url(db, target)
    close_database(db)
    raw = sqlite3.connect(team_file)
    stored = raw.execute("SELECT value FROM meta WHERE key = 'service_url'").fetchone()[0]
    raw.close()
    assert target.url_password not in stored and target.user in stored
    monkeypatch.setenv("KEEL_SERVICE_PASSWORD", target.url_password or "")
    result = publish_file(team_file, None)
    assert result.compared
    db = open_database(team_file)
    try:
        state = publish_state(db)
        assert state.team == "North" and state.published_at is not None
    finally:
        close_database(db)


def test_the_status_bar_words() -> None:
    from datetime import UTC, datetime, timedelta

    from app.services.publish_status import PublishState

    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    url = "postgresql://team@db.example.org/keel"
    assert PublishState(None, None, None).words(now) is None  # no service set up: no line
    assert PublishState(url, None, None).words(now) == "Not published yet"
    at = PublishState(url, now - timedelta(minutes=10), "North").words(now)
    assert at == "Published 10 min ago"
    assert PublishState(url, now - timedelta(days=9, hours=2), "North").words(now) == (
        "Not published for 9 days"
    )
