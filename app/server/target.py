"""Where the service's PostgreSQL is: a connection URL checked, its password kept apart.

A URL is ``postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?PARAMS]``. A host on another
computer is reached only with TLS that verifies the server (``sslmode=verify-full`` against the
system's root certificates, unless the URL names its own ``sslrootcert``); a local host
(localhost, a loopback address or a Unix socket) keeps libpq's default.
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from dataclasses import dataclass, field

from app.errors import UsageError

_SCHEMES = ("postgresql://", "postgres://")
# Parameters a URL may not set: Keel decides them (the password is asked separately; TLS is
# verify-full for a remote host).
_WEAK_TLS = {"disable", "allow", "prefer", "require", "verify-ca"}
CONNECT_TIMEOUT = 8


def is_local_host(host: str | None) -> bool:
    """True for no host (the local Unix socket), a socket folder, localhost or a loopback IP."""
    if not host:
        return True
    for one in host.split(","):
        one = one.strip().strip("[]")
        if not one or one.startswith(("/", "@")) or one.casefold() == "localhost":
            continue
        try:
            if ipaddress.ip_address(one).is_loopback:
                continue
        except ValueError:
            pass
        return False
    return True


@dataclass(frozen=True)
class ServiceTarget:
    """A checked service URL: libpq parameters (never the password) and the password the URL
    carried, if it carried one."""

    params: dict[str, str]
    url_password: str | None = field(default=None, repr=False)

    @property
    def user(self) -> str:
        return self.params.get("user", "")

    @property
    def host(self) -> str:
        return self.params.get("host", "") or "localhost"

    @property
    def port(self) -> str:
        return self.params.get("port", "5432")

    @property
    def dbname(self) -> str:
        return self.params["dbname"]

    @property
    def local(self) -> bool:
        return is_local_host(self.params.get("host"))

    def display(self) -> str:
        """``user@host:port/database``: for messages and the keyring (no password)."""
        who = f"{self.user}@" if self.user else ""
        return f"{who}{self.host}:{self.port}/{self.dbname}"

    def connect_params(self, password: str | None) -> dict[str, str]:
        """libpq's keyword parameters, with TLS as Keel requires it."""
        out = dict(self.params)
        out.setdefault("connect_timeout", str(CONNECT_TIMEOUT))
        out.setdefault("application_name", "Keel")
        if not self.local:
            out["sslmode"] = "verify-full"
            out.setdefault("sslrootcert", "system")
        if password is not None:
            out["password"] = password
        return out

    def url_without_password(self) -> str:
        return make_url(self.params, None)

    def url_for(self, user: str, password: str) -> str:
        """The same server and database for another login, password included (printed once
        by ``service init`` and ``service add-team``)."""
        params = dict(self.params)
        params["user"] = user
        return make_url(params, password)


def make_url(params: dict[str, str], password: str | None) -> str:
    """A ``postgresql://`` URL from libpq parameters (user, host, port, dbname, the rest as the
    query string)."""
    quote = urllib.parse.quote
    rest = {k: v for k, v in params.items() if k not in ("user", "host", "port", "dbname")}
    auth = quote(params.get("user", ""), safe="")
    if password is not None:
        auth += ":" + quote(password, safe="")
    host = params.get("host", "")
    if host.startswith("/"):
        rest["host"] = host
        host = ""
    elif ":" in host:
        host = f"[{host}]"
    port = f":{params['port']}" if params.get("port") and host else ""
    if not host and params.get("port"):
        rest["port"] = params["port"]
    query = f"?{urllib.parse.urlencode(rest)}" if rest else ""
    at = f"{auth}@" if auth else ""
    return f"postgresql://{at}{host}{port}/{quote(params.get('dbname', ''), safe='')}{query}"


def parse_target(url: str | None, *, what: str = "--url") -> ServiceTarget:
    """Check a service URL; a malformed or missing one raises ``UsageError`` (exit 2)."""
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    text = (url or "").strip()
    if not text:
        raise UsageError(
            f"No service URL: give {what} postgresql://USER@HOST/DATABASE "
            "(or set KEEL_SERVICE_URL)."
        )
    shown = _hide_password(text)
    if not text.startswith(_SCHEMES):
        raise UsageError(
            f"“{shown}” is not a PostgreSQL URL: it must start with postgresql:// "
            "(postgresql://USER@HOST:PORT/DATABASE)."
        )
    try:
        params = {k: str(v) for k, v in conninfo_to_dict(text).items()}
    except ProgrammingError as exc:
        reason = " ".join(str(exc).split())
        raise UsageError(f"“{shown}” is not a valid PostgreSQL URL ({reason}).") from None
    port = params.get("port")
    if port is not None and not all(p.isdigit() and 0 < int(p) < 65536 for p in port.split(",")):
        raise UsageError(f"“{shown}” has a bad port ({port}): use a number from 1 to 65535.")
    if not params.get("dbname"):
        raise UsageError(f"“{shown}” names no database: add it after the host (…:5432/DATABASE).")
    password = params.pop("password", None)
    target = ServiceTarget(params, password if password else None)
    mode = params.get("sslmode")
    if not target.local and mode in _WEAK_TLS:
        raise UsageError(
            f"Keel connects to a service on another computer only with TLS that verifies the "
            f"server: remove sslmode={mode} from the URL (Keel uses verify-full)."
        )
    return target


def _hide_password(url: str) -> str:
    """The URL as it may be shown in a message: any password replaced by ***."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "(unreadable URL)"
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))
