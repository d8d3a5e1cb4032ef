"""Setting up the service's PostgreSQL: `service init`, `service add-team`, the roles and the
row-level security that keeps each team to its own rows — against a real PostgreSQL cluster
(tests/pg_cluster.py), run the way an administrator runs Keel: in a separate process."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from app.server.schema import SCHEMA, SERVER_SCHEMA_VERSION, scram_verifier
from tests.app.test_cli import error_lines, keel
from tests.pg_cluster import Cluster


def init_service(cluster: Cluster, dbname: str, work: Path) -> str:
    done = keel("service", "init", "--url", cluster.url(dbname), cwd=work)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def add_team(cluster: Cluster, dbname: str, name: str, work: Path) -> str:
    done = keel("service", "add-team", name, "--url", cluster.url(dbname), cwd=work)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture
def work(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def test_init_prints_the_readers_url_last_and_it_reads_but_never_writes(
    pg_cluster: Cluster, service_db: str, work: Path
) -> None:
    reader_url = init_service(pg_cluster, service_db, work)
    assert reader_url.startswith("postgresql://keel_")
    assert f"/{service_db}" in reader_url
    with psycopg.connect(reader_url) as conn:
        assert conn.execute(f"SELECT version FROM {SCHEMA}.schema_version").fetchone() == (
            SERVER_SCHEMA_VERSION,
        )
        assert conn.execute(f"SELECT count(*) FROM {SCHEMA}.workers").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"INSERT INTO {SCHEMA}.teams (name, role_name) VALUES ('x', 'y')")
    # Running it again changes nothing and prints no new password.
    again = keel("service", "init", "--url", pg_cluster.url(service_db), cwd=work)
    assert again.returncode == 0, again.stderr
    assert "already current" in again.stdout
    assert "postgresql://" not in again.stdout


def test_add_team_prints_a_login_that_sees_only_its_own_rows(
    pg_cluster: Cluster, service_db: str, work: Path
) -> None:
    """The row-level-security test: a team role reading or writing another team's rows is
    refused by the server; the reader reads both teams and writes neither."""
    reader_url = init_service(pg_cluster, service_db, work)
    north = add_team(pg_cluster, service_db, "North CMHT", work)
    south = add_team(pg_cluster, service_db, "South CMHT — Tîm y De", work)
    assert north != south and north.startswith("postgresql://")

    with psycopg.connect(north) as conn:
        conn.execute(
            f"INSERT INTO {SCHEMA}.workers (id, name, role, team, requires, row_hash) "
            "VALUES ('w-north', 'Nia North', 'Nurse', 'North', '{line}', 'h')"
        )
        conn.commit()
    with psycopg.connect(south) as conn:
        conn.execute(
            f"INSERT INTO {SCHEMA}.workers (id, name, role, team, requires, row_hash) "
            "VALUES ('w-south', 'Sam South', 'OT', 'South', '{line}', 'h')"
        )
        conn.commit()
        # South sees only its own worker and its own team row.
        assert conn.execute(f"SELECT id FROM {SCHEMA}.workers").fetchall() == [("w-south",)]
        assert [r[0] for r in conn.execute(f"SELECT name FROM {SCHEMA}.teams")] == [
            "South CMHT — Tîm y De"
        ]
        # Updating or deleting North's row touches nothing (it is invisible to South) …
        assert (
            conn.execute(
                f"UPDATE {SCHEMA}.workers SET name = 'hacked' WHERE id = 'w-north'"
            ).rowcount
            == 0
        )
        assert conn.execute(f"DELETE FROM {SCHEMA}.workers WHERE id = 'w-north'").rowcount == 0
        conn.commit()
        # … and writing a row into North's team is refused by the server.
        north_id = _team_id(pg_cluster, service_db, "North CMHT")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(
                f"INSERT INTO {SCHEMA}.workers (team_id, id, name, role, team, requires, "
                "row_hash) VALUES (%s, 'w-fake', 'Fake', '', '', '{}', 'h')",
                [north_id],
            )
        conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"UPDATE {SCHEMA}.workers SET team_id = %s", [north_id])
        conn.rollback()
        # A team login cannot rename itself or take another team's role.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"UPDATE {SCHEMA}.teams SET name = 'North CMHT'")
        conn.rollback()
    with psycopg.connect(reader_url) as conn:
        names = sorted(r[0] for r in conn.execute(f"SELECT name FROM {SCHEMA}.workers"))
        assert names == ["Nia North", "Sam South"]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"DELETE FROM {SCHEMA}.workers")


def _team_id(cluster: Cluster, dbname: str, name: str) -> int:
    with psycopg.connect(cluster.url(dbname)) as conn:
        row = conn.execute(f"SELECT id FROM {SCHEMA}.teams WHERE name = %s", [name]).fetchone()
    assert row is not None
    return int(row[0])


def test_add_team_twice_and_bad_names_are_refused(
    pg_cluster: Cluster, service_db: str, work: Path
) -> None:
    init_service(pg_cluster, service_db, work)
    add_team(pg_cluster, service_db, "East", work)
    again = keel("service", "add-team", "east", "--url", pg_cluster.url(service_db), cwd=work)
    assert again.returncode == 1
    assert len(error_lines(again.stderr)) == 1 and "already has a team" in again.stderr
    assert "postgresql://" not in again.stdout
    empty = keel("service", "add-team", "  ", "--url", pg_cluster.url(service_db), cwd=work)
    assert empty.returncode == 2 and "empty" in empty.stderr


def test_add_team_before_init_says_to_run_init(
    pg_cluster: Cluster, service_db: str, work: Path
) -> None:
    done = keel("service", "add-team", "West", "--url", pg_cluster.url(service_db), cwd=work)
    assert done.returncode == 1
    assert len(error_lines(done.stderr)) == 1
    assert "keel service init" in done.stderr


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("", "No service URL"),
        ("http://example.org/db", "not a PostgreSQL URL"),
        ("postgresql://u@db.example.org:99999/keel", "bad port"),
        ("postgresql://u@db.example.org:5432", "names no database"),
        ("postgresql://u@db.example.org/keel?sslmode=disable", "verify-full"),
        ("postgresql://u@db.example.org/keel?nonsense=1", "not a valid PostgreSQL URL"),
    ],
)
def test_a_malformed_or_missing_url_exits_2(url: str, says: str, work: Path) -> None:
    args = ["service", "init"] + (["--url", url] if url else [])
    done = keel(*args, cwd=work)
    assert done.returncode == 2
    assert len(error_lines(done.stderr)) == 1
    assert says in done.stderr


def test_wrong_password_and_unreachable_host_exit_1_in_one_sentence(
    pg_cluster: Cluster, service_db: str, work: Path
) -> None:
    wrong = keel("service", "init", "--url", pg_cluster.url(service_db, password="nope"),
                 cwd=work)  # fmt: skip
    assert wrong.returncode == 1
    assert len(error_lines(wrong.stderr)) == 1
    assert "password is wrong" in wrong.stderr and "nope" not in wrong.stderr
    closed = f"postgresql://keel_admin:x@127.0.0.1:{_closed_port()}/{service_db}"
    down = keel("service", "init", "--url", closed, cwd=work)
    assert down.returncode == 1
    assert len(error_lines(down.stderr)) == 1 and "Could not reach" in down.stderr


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_tls_is_verify_full_for_a_remote_host(
    pg_cluster: Cluster, service_db: str, work: Path
) -> None:
    """keel.test is not local: Keel insists on verify-full. Against the system's roots the
    test authority is unknown (exit 1, one sentence); with the URL naming the authority, the
    same server is accepted."""
    trusted = pg_cluster.url(service_db, tls=True)
    untrusted = trusted.split("&sslrootcert=")[0]
    done = keel("service", "init", "--url", untrusted, cwd=work)
    assert done.returncode == 1, done.stderr
    assert len(error_lines(done.stderr)) == 1 and "TLS" in done.stderr
    ok = keel("service", "init", "--url", trusted, cwd=work)
    assert ok.returncode == 0, ok.stderr


def test_a_newer_server_schema_is_refused(pg_cluster: Cluster, service_db: str, work: Path) -> None:
    init_service(pg_cluster, service_db, work)
    pg_cluster.admin_sql(
        f"UPDATE {SCHEMA}.schema_version SET version = {SERVER_SCHEMA_VERSION + 1}", service_db
    )
    done = keel("service", "init", "--url", pg_cluster.url(service_db), cwd=work)
    assert done.returncode == 1
    assert len(error_lines(done.stderr)) == 1 and "newer Keel" in done.stderr


def test_passwords_are_sent_as_scram_verifiers() -> None:
    verifier = scram_verifier("secret")
    assert verifier.startswith("SCRAM-SHA-256$4096:") and "secret" not in verifier


def test_init_upgrades_an_older_server_schema_step_by_step(
    pg_cluster: Cluster, service_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Server migrations are versioned like the laptop's: a Keel with a newer step refuses an
    older server (in a sentence) until `service init` applies the missing steps."""
    from app.errors import ServiceSchemaError
    from app.server import schema

    with psycopg.connect(pg_cluster.url(service_db)) as conn:
        schema.initialise(conn)

    def v2(roles: schema.Roles) -> list[str]:
        return [f"ALTER TABLE {SCHEMA}.teams ADD COLUMN contact text"]

    monkeypatch.setattr(schema, "SERVER_MIGRATIONS", (*schema.SERVER_MIGRATIONS, v2))
    monkeypatch.setattr(schema, "SERVER_SCHEMA_VERSION", SERVER_SCHEMA_VERSION + 1)
    with psycopg.connect(pg_cluster.url(service_db)) as conn:
        with pytest.raises(ServiceSchemaError, match="older server schema"):
            schema.require_current(conn, service_db)
        conn.rollback()
        result = schema.initialise(conn)
    assert (result.created, result.from_version, result.to_version) == (
        False, SERVER_SCHEMA_VERSION, SERVER_SCHEMA_VERSION + 1,
    )  # fmt: skip
    assert result.reader_password is None
    with psycopg.connect(pg_cluster.url(service_db)) as conn:
        schema.require_current(conn, service_db)
        conn.execute(f"SELECT contact FROM {SCHEMA}.teams")
