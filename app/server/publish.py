"""The server side of publishing: one team's rows upserted and deleted by UUID, in batches, each
batch committed with the watermark it reaches, so a cut connection loses nothing and the next
publish carries on (the services layer, app.services.publishing, decides what to send).

A publish holds a session-level advisory lock for its team, so two publishes of one database
(the window's background publish and a scheduled ``keel publish``) never interleave.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from app.errors import ServiceError, ServiceRefusedError
from app.server.schema import PUBLISHED_TABLES, SCHEMA

_LOCK_SPACE = 0x4B45454C  # "KEEL"


def row_hash(row: Sequence[Any]) -> str:
    """A fingerprint of a published row's values: equal rows, equal hashes."""
    text = json.dumps(list(row), ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class TeamState:
    id: int
    name: str
    database_id: str | None
    seq: int | None
    token: str | None


def open_team(conn: Any, database_id: str, keel_version: str) -> TeamState:
    """This login's team, bound to ``database_id`` (on its first publish), locked for this
    publish. Refuses a login that is no team's, or a team bound to another database."""
    row = conn.execute(
        f"SELECT id, name, database_id, published_seq, published_token FROM {SCHEMA}.teams "
        "WHERE role_name = current_user"
    ).fetchone()
    if row is None:
        raise ServiceRefusedError(
            f"The login {conn.info.user} is not a team's publishing login: use the URL that "
            "`keel service add-team` printed for this team."
        )
    team = TeamState(int(row[0]), str(row[1]), row[2], row[3], row[4])
    if team.database_id is not None and team.database_id != database_id:
        raise ServiceRefusedError(
            f"The login for “{team.name}” publishes another team database (id "
            f"{team.database_id}); this one is {database_id}. Ask the administrator for a "
            "login for this database (`keel service add-team`), or open the team's own file."
        )
    got = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_SPACE, team.id]).fetchone()
    if not got or not got[0]:
        raise ServiceError(f"Another publish of “{team.name}” is running: try again in a minute.")
    if team.database_id is None:
        with conn.transaction():
            conn.execute(
                f"UPDATE {SCHEMA}.teams SET database_id = %s, keel_version = %s WHERE id = %s",
                [database_id, keel_version, team.id],
            )
        team = TeamState(team.id, team.name, database_id, team.seq, team.token)
    return team


def server_hashes(conn: Any, table: str, team_id: int) -> dict[str, str]:
    """Every row of this team in ``table``: id → row hash."""
    return {
        str(i): str(h)
        for i, h in conn.execute(
            f"SELECT id, row_hash FROM {SCHEMA}.{table} WHERE team_id = %s", [team_id]
        )
    }


def _upsert_sql(table: str) -> str:
    columns = [name for name, _kind in PUBLISHED_TABLES[table]]
    names = ", ".join(["team_id", "id", *columns, "row_hash"])
    marks = ", ".join(["%s"] * (len(columns) + 3))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in [*columns, "row_hash"])
    return (
        f"INSERT INTO {SCHEMA}.{table} ({names}) VALUES ({marks}) "
        f"ON CONFLICT (team_id, id) DO UPDATE SET {updates}"
    )


_JSONB = {table for table, cols in PUBLISHED_TABLES.items() if any("jsonb" in k for _, k in cols)}


def _adapt(table: str, row: Sequence[Any]) -> list[Any]:
    if table in _JSONB:
        from psycopg.types.json import Jsonb

        return [Jsonb(v) if isinstance(v, (dict, list)) else v for v in row]
    return list(row)


@dataclass
class Batch:
    """Rows to upsert (table → rows, each its id first) and ids to delete (table → ids)."""

    upserts: dict[str, list[Sequence[Any]]]
    deletes: dict[str, list[str]]

    @classmethod
    def empty(cls) -> Batch:
        return cls({}, {})

    def add(self, table: str, row: Sequence[Any]) -> None:
        self.upserts.setdefault(table, []).append(row)

    def delete(self, table: str, row_id: str) -> None:
        self.deletes.setdefault(table, []).append(row_id)

    @property
    def size(self) -> int:
        return sum(map(len, self.upserts.values())) + sum(map(len, self.deletes.values()))


def send(
    conn: Any,
    team_id: int,
    batch: Batch,
    *,
    watermark: tuple[int, str] | None,
    finished: bool,
) -> None:
    """One transaction: the batch, then the watermark it reaches (when given) and, when the
    publish is complete, the publish time."""
    with conn.transaction(), conn.cursor() as cur:
        for table, rows in batch.upserts.items():
            cur.executemany(
                _upsert_sql(table),
                [[team_id, *_adapt(table, row), row_hash(row)] for row in rows],
            )
        for table, ids in batch.deletes.items():
            cur.execute(
                f"DELETE FROM {SCHEMA}.{table} WHERE team_id = %s AND id = ANY(%s)",
                [team_id, list(ids)],
            )
        if watermark is not None or finished:
            sets, params = [], []
            if watermark is not None:
                sets += ["published_seq = %s", "published_token = %s"]
                params += list(watermark)
            if finished:
                sets.append("published_at = now()")
            cur.execute(
                f"UPDATE {SCHEMA}.teams SET {', '.join(sets)} WHERE id = %s", [*params, team_id]
            )


def count_rows(conn: Any, team_id: int, tables: Iterable[str] = PUBLISHED_TABLES) -> int:
    return sum(
        int(conn.execute(f"SELECT count(*) FROM {SCHEMA}.{t} WHERE team_id = %s",
                         [team_id]).fetchone()[0])
        for t in tables
    )  # fmt: skip
