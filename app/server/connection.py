"""Connecting to the service's PostgreSQL, every failure turned into one sentence.

A wrong password, an unreachable host, a TLS failure: each is a ``ServiceError`` subclass
(app.errors) whose message says what happened and what to do. Nothing is ever retried with a
weaker TLS mode.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from app.errors import (
    ServiceAuthError,
    ServiceError,
    ServiceRefusedError,
    ServiceTLSError,
    ServiceUnreachableError,
)
from app.server.target import ServiceTarget

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

_AUTH = ("password authentication failed", "no password supplied", "authentication failed",
         "role \"", "no pg_hba.conf entry")  # fmt: skip
_TLS = ("ssl", "certificate", "tls")


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split("\n")[0].split())
    for prefix in ("connection failed: ", "FATAL:  ", "FATAL: "):
        text = text.replace(prefix, "")
    return text.rstrip(".")


def connection_error(exc: BaseException, target: ServiceTarget) -> ServiceError:
    """The sentence for a failure to connect (or a connection lost while working)."""
    text = str(exc)
    lower = text.casefold()
    where = f"{target.host}:{target.port}"
    reason = _first_line(exc)
    if "no password supplied" in lower:
        return ServiceAuthError(
            f"No password for {target.user or '(no login)'} on {where}: put it in the URL, set "
            "KEEL_SERVICE_PASSWORD, or run Keel in a terminal to be asked. Nothing was changed."
        )
    if any(a in lower for a in _AUTH) and "does not exist" not in lower.split("database")[0]:
        return ServiceAuthError(
            f"The service refused the login {target.user or '(none)'} on {where}: the password "
            "is wrong or the login does not exist. Check the URL and the password; nothing was "
            "changed."
        )
    if "database" in lower and "does not exist" in lower:
        return ServiceRefusedError(
            f"The service's server at {where} has no database {target.dbname}: check the URL; "
            "nothing was changed."
        )
    if any(t in lower for t in _TLS) and "timeout" not in lower:
        return ServiceTLSError(
            f"Could not verify the service's server {target.host} over TLS ({reason}): Keel "
            "only talks to a server whose certificate this computer trusts. Ask the "
            "administrator for the server's certificate authority; nothing was sent."
        )
    return ServiceUnreachableError(
        f"Could not reach the service's database at {where} ({reason}). Check the address and "
        "the network, then try again; nothing was changed."
    )


def connect(
    target: ServiceTarget, password: str | None, *, autocommit: bool = False
) -> psycopg.Connection[Any]:
    """A connection to the service, or a ``ServiceError`` that says why not."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    try:
        conninfo = make_conninfo("", **target.connect_params(password))
        return psycopg.connect(conninfo, autocommit=autocommit)
    except psycopg.Error as exc:
        log.info("could not connect to %s: %s", target.display(), exc)
        raise connection_error(exc, target) from None


def lost_connection(exc: BaseException, target: ServiceTarget, doing: str) -> ServiceError:
    """The sentence for a connection that broke in the middle of ``doing``."""
    return ServiceUnreachableError(
        f"The connection to the service at {target.host}:{target.port} was lost while "
        f"{doing} ({_first_line(exc)}). Try again when the server is back: what it has is "
        "complete, and the next attempt carries on from there."
    )


@contextmanager
def translated(target: ServiceTarget, doing: str) -> Iterator[None]:
    """Turn the driver's errors while ``doing`` into ``ServiceError`` sentences."""
    import psycopg

    try:
        yield
    except ServiceError:
        raise
    except psycopg.errors.InsufficientPrivilege as exc:
        raise ServiceRefusedError(
            f"The service refused this login while {doing} ({_first_line(exc)}): a team "
            "login may only write its own database's rows. Check that you use the URL made "
            "for this team."
        ) from None
    except psycopg.OperationalError as exc:
        if getattr(exc, "sqlstate", None) is None or str(exc.sqlstate).startswith("08"):
            raise lost_connection(exc, target, doing) from None
        raise ServiceError(
            f"The service's database could not finish {doing} ({_first_line(exc)}). Try "
            "again; if it keeps failing, tell the administrator."
        ) from None
    except psycopg.Error as exc:
        log.warning("service error while %s: %s", doing, exc)
        raise ServiceError(
            f"The service's database refused {doing} ({_first_line(exc)}). Tell the "
            "administrator; nothing more was changed."
        ) from None
