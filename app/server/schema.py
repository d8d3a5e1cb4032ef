"""The service's PostgreSQL schema, its roles and row-level security, and its migrations.

Everything lives in the schema ``keel`` of the service's database:

* ``keel.schema_version`` — one row: the server schema's version. ``SERVER_MIGRATIONS`` is
  append-only like the laptop's; ``service init`` applies the missing steps, and a Keel meets
  a server schema newer than it knows with a sentence (exit 1), never a guess.
* ``keel.settings`` — the names of the service's two group roles (reader, publishers).
* ``keel.teams`` — one row per team database: its name, its login role, the database's id
  (bound on its first publish), and the watermark the server acknowledged.
* one table per published fact (``PUBLISHED_TABLES``), each row keyed by (team, UUID).

Roles: the *reader* (managers, BI tools) logs in and may read every row of every table and
write none. Each team has a login role, member of the *publishers* group: row-level security
lets it see, insert, update and delete only rows whose ``team_id`` is its own team's, and read
only its own ``teams`` row. Table owners (the administrator) are not limited.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from base64 import b64encode
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.errors import ServiceRefusedError, ServiceSchemaError, UsageError

SCHEMA = "keel"

# The published facts: table → its columns after (team_id, id), with their SQL types. The
# laptop's rows (app.storage.publishing) come in exactly this order. Data minimisation: only
# what the service view needs (see the README); never issue text, decisions, notes,
# confidential reflective notes, wellbeing or case codes.
PUBLISHED_TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "workers": (
        ("staff_id", "text"), ("name", "text NOT NULL"), ("role", "text NOT NULL"),
        ("team", "text NOT NULL"), ("start_date", "date"), ("left_on", "date"),
        ("requires", "text[] NOT NULL"),
    ),
    "risk_assessments": (
        ("worker_id", "text NOT NULL"), ("assessed_on", "date NOT NULL"),
        ("cohort_risk", "smallint NOT NULL"), ("decision_complexity", "smallint NOT NULL"),
        ("support_need", "smallint NOT NULL"), ("volatility", "smallint NOT NULL"),
        ("tier", "text NOT NULL"), ("recorded_at", "text NOT NULL"),
    ),
    "leave_periods": (
        ("worker_id", "text NOT NULL"), ("start_date", "date NOT NULL"), ("end_date", "date"),
    ),
    "overrides": (
        ("worker_id", "text NOT NULL"), ("type", "text NOT NULL"),
        ("interval_days", "integer NOT NULL"), ("reason", "text NOT NULL"),
        ("starts_on", "date"), ("expires_on", "date NOT NULL"),
    ),
    "trigger_events": (
        ("worker_id", "text NOT NULL"), ("kind", "text NOT NULL"),
        ("event_date", "date NOT NULL"), ("type", "text NOT NULL"),
        ("response_days", "integer NOT NULL"),
    ),
    "sessions": (
        ("type", "text NOT NULL"), ("status", "text NOT NULL"),
        ("session_date", "date NOT NULL"), ("worker_id", "text"), ("supervisor_id", "text"),
        ("attendees", "text[] NOT NULL"), ("themes", "text[] NOT NULL"),
        ("signed_at", "text"), ("supervisee_response", "text"),
    ),
    "actions": (
        ("session_id", "text NOT NULL"), ("worker_id", "text NOT NULL"), ("owner", "text"),
        ("due_date", "date"), ("status", "text NOT NULL"), ("closed_on", "date"),
    ),
    "themes": (("name", "text NOT NULL"), ("retired_on", "date")),
    "governance_items": (
        ("forum", "text NOT NULL"), ("title", "text NOT NULL"), ("status", "text NOT NULL"),
        ("theme_id", "text"), ("raised_on", "date NOT NULL"), ("tabled_on", "date"),
        ("decided_on", "date"), ("closed_on", "date"), ("change_made", "text NOT NULL"),
        ("change_made_on", "date"),
    ),
    "policies": (
        ("version", "integer NOT NULL"), ("created_at", "text NOT NULL"),
        ("data", "jsonb NOT NULL"), ("effective_from", "date"),
    ),
    # Server schema 3 (issue 16): a signed record's QA countersignature — which record, by
    # whom, when; never its comments.
    "qa_countersignatures": (
        ("session_id", "text NOT NULL"), ("reviewer_id", "text NOT NULL"),
        ("countersigned_at", "text NOT NULL"),
    ),
}  # fmt: skip

# Columns a team's login may set on its own ``teams`` row (the watermark, and the database id
# it publishes from, bound once); never its name or role.
TEAM_WRITABLE = ("database_id", "published_at", "published_seq", "published_token",
                 "keel_version")  # fmt: skip


@dataclass(frozen=True)
class Roles:
    reader: str
    publishers: str


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _v1(roles: Roles) -> list[str]:
    r, p = _ident(roles.reader), _ident(roles.publishers)
    out = [
        f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
        f"GRANT USAGE ON SCHEMA {SCHEMA} TO {r}, {p}",
        f"CREATE TABLE {SCHEMA}.schema_version (version integer NOT NULL)",
        f"CREATE TABLE {SCHEMA}.settings (key text PRIMARY KEY, value text NOT NULL)",
        f"""CREATE TABLE {SCHEMA}.teams (
            id serial PRIMARY KEY,
            name text NOT NULL UNIQUE CHECK (btrim(name) <> ''),
            role_name text NOT NULL UNIQUE,
            database_id text UNIQUE,
            created_at timestamptz NOT NULL DEFAULT now(),
            published_at timestamptz,
            published_seq bigint,
            published_token text,
            keel_version text)""",
        # The team of the logged-in role (NULL for any other role).
        f"""CREATE FUNCTION {SCHEMA}.current_team() RETURNS integer LANGUAGE sql STABLE
            AS $$ SELECT id FROM {SCHEMA}.teams WHERE role_name = current_user $$""",
        f"ALTER TABLE {SCHEMA}.teams ENABLE ROW LEVEL SECURITY",
        f"""CREATE POLICY team_self ON {SCHEMA}.teams TO {p}
            USING (role_name = current_user) WITH CHECK (role_name = current_user)""",
        f"CREATE POLICY reader_all ON {SCHEMA}.teams FOR SELECT TO {r} USING (true)",
        f"GRANT SELECT ON {SCHEMA}.teams, {SCHEMA}.schema_version TO {r}, {p}",
        f"GRANT UPDATE ({', '.join(TEAM_WRITABLE)}) ON {SCHEMA}.teams TO {p}",
    ]
    for table in PUBLISHED_TABLES:
        out += _published_table(table, roles)
    out += [
        f"""CREATE INDEX sessions_worker ON {SCHEMA}.sessions
            (team_id, worker_id, type, status, session_date)""",
        f"CREATE INDEX sessions_date ON {SCHEMA}.sessions (session_date)",
        f"CREATE INDEX risk_assessments_worker ON {SCHEMA}.risk_assessments "
        "(team_id, worker_id, assessed_on)",
    ]
    return out


def _published_table(table: str, roles: Roles, *, again: bool = False) -> list[str]:
    """A published table with its row-level security and grants. ``again``: for a later step,
    on a server whose step 1 may already have made it (step 1 makes every table as it is now):
    nothing fails, nothing is made twice."""
    r, p = _ident(roles.reader), _ident(roles.publishers)
    cols = ",\n".join(f"{name} {kind}" for name, kind in PUBLISHED_TABLES[table])
    qualified = f"{SCHEMA}.{table}"
    drop = (
        [f"DROP POLICY IF EXISTS team_own ON {qualified}",
         f"DROP POLICY IF EXISTS reader_all ON {qualified}"]
        if again else []
    )  # fmt: skip
    return [
        f"""CREATE TABLE {"IF NOT EXISTS " if again else ""}{qualified} (
                team_id integer NOT NULL DEFAULT {SCHEMA}.current_team()
                    REFERENCES {SCHEMA}.teams (id) ON DELETE CASCADE,
                id text NOT NULL,
                {cols},
                row_hash text NOT NULL,
                PRIMARY KEY (team_id, id))""",
        f"ALTER TABLE {qualified} ENABLE ROW LEVEL SECURITY",
        *drop,
        f"""CREATE POLICY team_own ON {qualified} TO {p}
                USING (team_id = {SCHEMA}.current_team())
                WITH CHECK (team_id = {SCHEMA}.current_team())""",
        f"CREATE POLICY reader_all ON {qualified} FOR SELECT TO {r} USING (true)",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {qualified} TO {p}",
        f"GRANT SELECT ON {qualified} TO {r}",
    ]


def _v2(_roles: Roles) -> list[str]:
    """Each policy version's effective date, so the service view uses the version in force
    on its as-of date (a server made at v1 has none: NULL reads as "from the start"). Every
    team's next publish compares all its rows (its watermark is forgotten), which sends the
    dates of the versions already published."""
    return [
        f"ALTER TABLE {SCHEMA}.policies ADD COLUMN IF NOT EXISTS effective_from date",
        f"UPDATE {SCHEMA}.teams SET published_token = NULL",
    ]


def _v3(roles: Roles) -> list[str]:
    """Issue 16: QA countersignatures, so the service view counts awaiting QA and the
    sampling rate per team (made here on a server set up before; already made by step 1 on a
    new one)."""
    return [
        *_published_table("qa_countersignatures", roles, again=True),
        f"CREATE INDEX IF NOT EXISTS qa_countersignatures_session ON "
        f"{SCHEMA}.qa_countersignatures (team_id, session_id)",
    ]


# Append-only, like app.storage.schema.MIGRATIONS: step i takes the server schema from
# version i to i + 1. Each step gets the service's role names (grants name them). (Step 1
# makes the tables of PUBLISHED_TABLES as they are now: a later step adds a column with
# IF NOT EXISTS, or a table with ``_published_table(..., again=True)``.)
SERVER_MIGRATIONS: tuple[Callable[[Roles], list[str]], ...] = (_v1, _v2, _v3)
SERVER_SCHEMA_VERSION = len(SERVER_MIGRATIONS)


# Roles ------------------------------------------------------------------------------------


def role_base(dbname: str) -> str:
    """``keel_<database>``, made of lower-case letters, digits and underscores: PostgreSQL's
    roles belong to the whole server, so the service's database names its roles."""
    slug = re.sub(r"[^a-z0-9_]+", "_", dbname.casefold()).strip("_") or "db"
    base = f"keel_{slug}"
    if len(base) > 40:
        digest = hashlib.sha256(dbname.encode()).hexdigest()[:8]
        base = f"{base[:31]}_{digest}"
    return base


def team_role(base: str, team_id: int, name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_")[:16].strip("_")
    return f"{base}_t{team_id}" + (f"_{slug}" if slug else "")


def new_password() -> str:
    """A generated password: 32 URL-safe characters (192 bits)."""
    return secrets.token_urlsafe(24)


def scram_verifier(password: str, iterations: int = 4096) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for ``password``: sent instead of the
    password itself, so the password never reaches the server's logs or statistics."""
    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    return (
        f"SCRAM-SHA-256${iterations}:{b64encode(salt).decode()}"
        f"${b64encode(stored_key).decode()}:{b64encode(server_key).decode()}"
    )


# Version ----------------------------------------------------------------------------------


def server_version(conn: Any) -> int | None:
    """The server schema's version, or None when ``service init`` has not been run."""
    row = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [SCHEMA]).fetchone()
    if row is None:
        return None
    exists = conn.execute("SELECT to_regclass(%s)", [f"{SCHEMA}.schema_version"]).fetchone()
    if exists is None or exists[0] is None:
        return None
    found = conn.execute(f"SELECT version FROM {SCHEMA}.schema_version").fetchone()
    return None if found is None else int(found[0])


def require_current(conn: Any, where: str) -> None:
    """Refuse a server schema this Keel cannot use (missing, older or newer), in a sentence."""
    version = server_version(conn)
    if version is None:
        raise ServiceSchemaError(
            f"The service's database at {where} is not set up for Keel: the administrator runs "
            "`keel service init --url ADMIN_URL` first."
        )
    if version > SERVER_SCHEMA_VERSION:
        raise ServiceSchemaError(
            f"The service's database at {where} was set up by a newer Keel (server schema "
            f"{version}; this Keel knows up to {SERVER_SCHEMA_VERSION}): install the newer "
            "Keel. Nothing was changed."
        )
    if version < SERVER_SCHEMA_VERSION:
        raise ServiceSchemaError(
            f"The service's database at {where} uses an older server schema ({version}; this "
            f"Keel needs {SERVER_SCHEMA_VERSION}): the administrator runs `keel service init "
            "--url ADMIN_URL` with this Keel to upgrade it. Nothing was changed."
        )


# Set-up (the administrator) -----------------------------------------------------------------


@dataclass(frozen=True)
class InitResult:
    created: bool
    from_version: int
    to_version: int
    roles: Roles
    reader_password: str | None  # only when the reader was created now


def _role_exists(conn: Any, name: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name]).fetchone() is not None


def _settings(conn: Any) -> Roles:
    rows = dict(conn.execute(f"SELECT key, value FROM {SCHEMA}.settings").fetchall())
    return Roles(rows["reader_role"], rows["publishers_role"])


def initialise(conn: Any) -> InitResult:
    """Create (or upgrade) the schema, the reader and publishers roles and row-level security,
    in one transaction. ``conn`` is the administrator's, not in autocommit."""
    from psycopg import sql

    dbname = conn.info.dbname
    version = server_version(conn)
    if version is not None and version > SERVER_SCHEMA_VERSION:
        require_current(conn, dbname)
    created = version is None
    password = None
    if created:
        base = role_base(dbname)
        roles = Roles(f"{base}_reader", f"{base}_publishers")
        for name in (roles.reader, roles.publishers):
            if _role_exists(conn, name):
                raise ServiceRefusedError(
                    f"The role {name} already exists on this server but the database "
                    f"{dbname} has no Keel schema: drop that role, or use another database."
                )
        password = new_password()
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(roles.reader), sql.Literal(scram_verifier(password))
            )
        )
        conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(roles.publishers)))
        start = 0
    else:
        assert version is not None
        roles = _settings(conn)
        start = version
    for step in SERVER_MIGRATIONS[start:]:
        for statement in step(roles):
            conn.execute(statement)
    if created:
        conn.execute(
            f"INSERT INTO {SCHEMA}.settings (key, value) VALUES "
            "('reader_role', %s), ('publishers_role', %s)",
            [roles.reader, roles.publishers],
        )
        conn.execute(f"INSERT INTO {SCHEMA}.schema_version (version) VALUES (%s)",
                     [SERVER_SCHEMA_VERSION])  # fmt: skip
    else:
        conn.execute(f"UPDATE {SCHEMA}.schema_version SET version = %s", [SERVER_SCHEMA_VERSION])
    return InitResult(created, version or 0, SERVER_SCHEMA_VERSION, roles, password)


@dataclass(frozen=True)
class NewTeam:
    name: str
    role: str
    password: str


MAX_TEAM_NAME = 100


def check_team_name(name: str) -> str:
    clean = " ".join(name.split())
    if not clean:
        raise UsageError("The team's name is empty: give the name the service knows it by.")
    if len(clean) > MAX_TEAM_NAME:
        raise UsageError(f"The team's name is too long ({len(clean)} characters; at most "
                         f"{MAX_TEAM_NAME}).")  # fmt: skip
    if any(ord(c) < 32 for c in clean):
        raise UsageError("The team's name contains control characters: type it plainly.")
    return clean


def add_team(conn: Any, name: str) -> NewTeam:
    """A team row and its login role (a member of the publishers group), in one transaction."""
    from psycopg import sql

    name = check_team_name(name)
    require_current(conn, conn.info.dbname)
    roles = _settings(conn)
    taken = conn.execute(
        f"SELECT name FROM {SCHEMA}.teams WHERE lower(name) = lower(%s)", [name]
    ).fetchone()
    if taken is not None:
        raise ServiceRefusedError(
            f"The service already has a team called “{taken[0]}”: choose another name (each "
            "team database gets its own login)."
        )
    team_id = int(conn.execute(f"SELECT nextval('{SCHEMA}.teams_id_seq')").fetchone()[0])
    role = team_role(role_base(conn.info.dbname), team_id, name)
    if _role_exists(conn, role):
        raise ServiceRefusedError(f"The role {role} already exists on this server: try again.")
    password = new_password()
    conn.execute(
        sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE {}").format(
            sql.Identifier(role), sql.Literal(scram_verifier(password)),
            sql.Identifier(roles.publishers),
        )
    )  # fmt: skip
    conn.execute(
        f"INSERT INTO {SCHEMA}.teams (id, name, role_name) VALUES (%s, %s, %s)",
        [team_id, name, role],
    )
    return NewTeam(name, role, password)
