"""QA state in the service's PostgreSQL (issue 16 with issue 19's publisher; a real throw-away
cluster): countersignatures are published (which record, by whom, when — never the comments),
and the service view and the service pack count awaiting QA and the sampling rate per team."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest

from app.server.schema import SCHEMA
from app.server.target import parse_target
from app.services.publishing import connect_team, publish_database
from app.services.service_view import export_service_pack, load_service_view
from app.storage.db import Database, close_database, open_database
from tests.app.service_support import Service, assert_server_matches, make_service
from tests.app.test_qa import Team
from tests.pg_cluster import Cluster

TODAY = date(2026, 11, 26)


def _publish(db: Database, url: str) -> object:
    target = parse_target(url)
    conn = connect_team(target, target.url_password)
    try:
        return publish_database(db, conn, target)
    finally:
        conn.close()


@pytest.fixture
def service(pg_cluster: Cluster, service_db: str) -> Service:
    return make_service(pg_cluster, service_db, "North", "South")


def test_countersignatures_reach_the_service_and_it_counts_qa_per_team(
    service: Service, tmp_path: Path
) -> None:
    north = open_database(tmp_path / "north.db")
    south = open_database(tmp_path / "south.db")
    try:
        n = Team(north)
        first = n.held(n.ana, date(2026, 11, 3))
        n.held(n.ana, date(2026, 11, 10))
        n.held(n.ben, date(2026, 11, 12))
        n.held(n.ben, date(2026, 11, 13), sign=False)
        made = n.qa.countersign(first, n.grace.id, "SECRET-QA-COMMENT: fine.")
        s = Team(south)
        s.held(s.ana, date(2026, 11, 4))
        _publish(north, service.team_urls["North"])
        _publish(south, service.team_urls["South"])
        assert_server_matches(service.reader_url, "North", north)

        with psycopg.connect(service.admin_url) as conn:
            rows = conn.execute(
                f"SELECT id, session_id, reviewer_id, countersigned_at "
                f"FROM {SCHEMA}.qa_countersignatures"
            ).fetchall()
            dump = str(conn.execute(f"SELECT * FROM {SCHEMA}.qa_countersignatures").fetchall())
        assert rows == [(made.id, first, n.grace.id, made.countersigned_at)]
        assert "SECRET" not in dump  # the comments never leave the laptop

        view = load_service_view(parse_target(service.reader_url), None, TODAY)
        assert view.qa is not None
        cells = {c.team: (c.countersigned, c.signed) for c in view.qa.cells}
        assert cells == {"North": (1, 3), "South": (0, 1)}

        # One more countersignature, published incrementally: one row.
        second = north.execute(
            "SELECT id FROM sessions WHERE signed_at IS NOT NULL AND id NOT IN "
            "(SELECT session_id FROM countersignatures) AND worker_id = ?", [n.ben.id]
        ).fetchone()[0]  # fmt: skip
        n.qa.countersign(second, n.grace.id, "Checked.")
        result = _publish(north, service.team_urls["North"])
        assert (result.sent, result.deleted) == (1, 0)  # type: ignore[attr-defined]
        assert_server_matches(service.reader_url, "North", north)
    finally:
        close_database(north)
        close_database(south)

    out = tmp_path / "service pack.pdf"
    export_service_pack(service.reader_url, date(2026, 11, 1), TODAY + timedelta(days=30), out,
                        today=TODAY)  # fmt: skip
    from tests.app.reportdata import flat, pdf_text

    text = flat(pdf_text(out, layout=True))
    part = text[text.index("Quality assurance: countersigned records") :][:1200]
    assert "Countersigned by a QA reviewer: 2 of 4 (50%)." in part
    assert "North Nov 2026 3 2 1 67%" in part
    assert "South Nov 2026 1 0 1 0%" in part
    assert "All teams Period 4 2 2 50%" in part


def test_a_team_login_sees_only_its_own_countersignatures(service: Service, tmp_path: Path) -> None:
    for name in ("North", "South"):
        db = open_database(tmp_path / f"{name}.db")
        try:
            team = Team(db)
            team.qa.countersign(team.held(team.ana), team.grace.id, "Fine.")
            _publish(db, service.team_urls[name])
        finally:
            close_database(db)
    with psycopg.connect(service.team_urls["South"]) as conn:
        seen = conn.execute(f"SELECT count(*) FROM {SCHEMA}.qa_countersignatures").fetchone()
    with psycopg.connect(service.reader_url) as conn:
        every = conn.execute(f"SELECT count(*) FROM {SCHEMA}.qa_countersignatures").fetchone()
    assert (seen, every) == ((1,), (2,))


def test_a_server_set_up_before_qa_is_upgraded_by_service_init(
    service: Service, pg_cluster: Cluster, service_db: str, tmp_path: Path
) -> None:
    """A server at the schema before QA (no countersignature table) refuses a publish from this
    Keel in a sentence; `service init` adds the table, and the next publish sends them."""
    from app.errors import ServiceSchemaError
    from app.server.schema import SERVER_SCHEMA_VERSION
    from tests.app.test_cli import keel

    pg_cluster.admin_sql(
        f"DROP TABLE {SCHEMA}.qa_countersignatures; "
        f"UPDATE {SCHEMA}.schema_version SET version = {SERVER_SCHEMA_VERSION - 1}",
        service_db,
    )
    db = open_database(tmp_path / "north.db")
    try:
        team = Team(db)
        made = team.qa.countersign(team.held(team.ana), team.grace.id, "Fine.")
        with pytest.raises(ServiceSchemaError, match="older server schema"):
            _publish(db, service.team_urls["North"])
        done = keel("service", "init", "--url", service.admin_url, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        _publish(db, service.team_urls["North"])
        assert_server_matches(service.reader_url, "North", db)
    finally:
        close_database(db)
    with psycopg.connect(service.team_urls["South"]) as conn:  # row-level security holds
        assert conn.execute(f"SELECT count(*) FROM {SCHEMA}.qa_countersignatures").fetchone() == (
            0,
        )
    with psycopg.connect(service.reader_url) as conn:
        ids = conn.execute(f"SELECT id FROM {SCHEMA}.qa_countersignatures").fetchall()
    assert ids == [(made.id,)]
