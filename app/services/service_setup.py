"""Setting up the service's PostgreSQL (the administrator, once): ``service init`` and
``service add-team``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.server.connection import connect, translated
from app.server.schema import SERVER_SCHEMA_VERSION, InitResult, NewTeam, add_team, initialise
from app.services.service_login import resolve_password, target_from


@dataclass(frozen=True)
class SetupOutcome:
    lines: list[str]
    url: str | None  # printed last, once


def init_service(url: str | None, ask: Callable[[str], str] | None = None) -> SetupOutcome:
    """Create (or upgrade) the service schema with the administrator's URL."""
    target = target_from(url)
    conn = connect(target, resolve_password(target, ask))
    try:
        with translated(target, "setting up the service schema"), conn.transaction():
            result: InitResult = initialise(conn)
    finally:
        conn.close()
    where = f"{target.dbname} on {target.host}:{target.port}"
    if result.created:
        assert result.reader_password is not None
        return SetupOutcome(
            [
                f"Set up Keel's service schema (server schema {result.to_version}) in {where}, "
                "with row-level security.",
                f"Managers' read-only login: {result.roles.reader} (reads every team's "
                "published facts, writes nothing).",
                "Add each team with `keel service add-team NAME --url ADMIN_URL`.",
                "The reader's connection URL, shown only this once:",
            ],
            target.url_for(result.roles.reader, result.reader_password),
        )
    if result.from_version < result.to_version:
        return SetupOutcome(
            [
                f"Upgraded Keel's service schema in {where} from server schema "
                f"{result.from_version} to {result.to_version}."
            ],
            None,
        )
    return SetupOutcome(
        [
            f"Keel's service schema in {where} is already current (server schema "
            f"{SERVER_SCHEMA_VERSION}): nothing to do."
        ],
        None,
    )


def add_service_team(
    url: str | None, name: str, ask: Callable[[str], str] | None = None
) -> SetupOutcome:
    """A login for one team database; its URL (with the generated password) is printed once."""
    from app.server.schema import check_team_name

    check_team_name(name)  # a bad name is refused before asking for any password
    target = target_from(url)
    conn = connect(target, resolve_password(target, ask))
    try:
        with translated(target, "adding the team"), conn.transaction():
            team: NewTeam = add_team(conn, name)
    finally:
        conn.close()
    return SetupOutcome(
        [
            f"Added the team “{team.name}” with its own login {team.role}: it can write only "
            "its own database's rows and read no other team's.",
            "Give this URL to the team lead (Data → Publish to the service… in Keel, or "
            "`keel publish --url URL`); it is shown only this once:",
        ],
        target.url_for(team.role, team.password),
    )
