"""What the window says about publishing, read cheaply at start-up: the service URL saved in
the team's database (never its password) and when the server last acknowledged a publish."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from app.services.bound import BoundService, bound
from app.storage import publishing as local
from app.storage.db import Database, transaction

if TYPE_CHECKING:
    from app.server.target import ServiceTarget

# meta keys (never the password): the service URL this database publishes to, the last
# publish the server acknowledged, and the team it published as.
URL_KEY = "service_url"
PUBLISHED_AT_KEY = "service_published_at"
PUBLISHED_TEAM_KEY = "service_team"


def saved_url_of(path: Path) -> str | None:
    """The service URL saved in a database file (read-only; None if none or unreadable)."""
    from app.storage.db import connect as connect_local

    try:
        db = connect_local(path, read_only=True)
    except Exception:
        return None
    try:
        return saved_url(db)
    except Exception:
        return None
    finally:
        db.close()


def saved_url(db: Database) -> str | None:
    if "meta" not in db.table_names():
        return None
    return local.get_meta(db, URL_KEY)


def save_url(db: Database, target: ServiceTarget) -> None:
    """Remember the service URL for this database (without its password)."""
    with transaction(db, "save the service address"):
        local.set_meta(db, URL_KEY, target.url_without_password())


@dataclass(frozen=True)
class PublishState:
    """What the status bar says about publishing."""

    url: str | None
    published_at: datetime | None
    team: str | None

    def words(self, now: datetime) -> str | None:
        """ "Published 10 min ago" / "Not published for 9 days" (None: never set up)."""
        if self.url is None:
            return None
        if self.published_at is None:
            return "Not published yet"
        age = now - self.published_at
        minutes = int(age.total_seconds() // 60)
        days = age.days
        if days >= 1:
            return f"Not published for {days} day{'' if days == 1 else 's'}"
        if minutes < 1:
            return "Published just now"
        if minutes < 60:
            return f"Published {minutes} min ago"
        hours = minutes // 60
        return f"Published {hours} hour{'' if hours == 1 else 's'} ago"


def publish_state(db: Database) -> PublishState:
    if "meta" not in db.table_names():
        return PublishState(None, None, None)
    at = local.get_meta(db, PUBLISHED_AT_KEY)
    try:
        when = datetime.fromisoformat(at) if at else None
    except ValueError:
        when = None
    return PublishState(saved_url(db), when, local.get_meta(db, PUBLISHED_TEAM_KEY))


class PublishStatusService(BoundService):
    """Where this team publishes to the service view, and when it last did. (The open database given: see ``app.services.bound``.)"""

    saved_url = bound(saved_url)
    save_url = bound(save_url)
    publish_state = bound(publish_state)
