"""Helpers for the service tests: a service set up on a real cluster, and comparisons of what a
team's file holds with what the server holds."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import psycopg

from app.server.schema import PUBLISHED_TABLES, SCHEMA, add_team, initialise
from app.server.target import parse_target
from app.storage import publishing as local
from app.storage.db import Database
from tests.pg_cluster import Cluster


@dataclass
class Service:
    cluster: Cluster
    dbname: str
    reader_url: str
    team_urls: dict[str, str]

    @property
    def admin_url(self) -> str:
        return self.cluster.url(self.dbname)

    def add(self, name: str) -> str:
        with psycopg.connect(self.admin_url) as conn:
            team = add_team(conn, name)
        url = parse_target(self.admin_url).url_for(team.role, team.password)
        self.team_urls[name] = url
        return url


def make_service(cluster: Cluster, dbname: str, *teams: str) -> Service:
    with psycopg.connect(cluster.url(dbname)) as conn:
        result = initialise(conn)
    assert result.reader_password is not None
    reader = parse_target(cluster.url(dbname)).url_for(result.roles.reader,
                                                       result.reader_password)  # fmt: skip
    service = Service(cluster, dbname, reader, {})
    for name in teams:
        service.add(name)
    return service


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def server_rows(url: str, team: str | None = None) -> dict[str, dict[str, tuple[Any, ...]]]:
    """Every published row on the server (of one team, by name, when given): table → id →
    the row as the laptop shapes it (id first)."""
    out: dict[str, dict[str, tuple[Any, ...]]] = {}
    with psycopg.connect(url) as conn:
        for table, columns in PUBLISHED_TABLES.items():
            names = ", ".join(["t.id", *(f"t.{c}" for c, _ in columns)])
            sql = (
                f"SELECT {names} FROM {SCHEMA}.{table} t JOIN {SCHEMA}.teams g ON g.id = t.team_id"
            )
            params: list[Any] = []
            if team is not None:
                sql += " WHERE g.name = %s"
                params.append(team)
            rows = conn.execute(sql, params).fetchall()  # type: ignore[arg-type]
            found = {str(r[0]): tuple(_plain(v) for v in r) for r in rows}
            assert len(found) == len(rows), f"{table}: a row is stored twice"
            out[table] = found
    return out


def local_rows(db: Database) -> dict[str, dict[str, tuple[Any, ...]]]:
    out: dict[str, dict[str, tuple[Any, ...]]] = {t: {} for t in PUBLISHED_TABLES}
    for kind, (table, _sql) in local.KINDS.items():
        out[table] = {str(r[0]): tuple(r) for r in local.all_rows(db, kind)}
    return out


def assert_server_matches(url: str, team: str, db: Database) -> None:
    """The server holds exactly what the laptop has for this team: no row missing, extra,
    different or twice."""
    theirs = server_rows(url, team)
    mine = local_rows(db)
    for table in PUBLISHED_TABLES:
        assert theirs[table].keys() == mine[table].keys(), table
        for row_id, row in mine[table].items():
            assert theirs[table][row_id] == row, (table, row_id)
