"""Publishing a team's facts to the service's PostgreSQL: one-way, idempotent, resumable.

How a publish decides what to send:

* The server holds, for this team, a watermark: the sequence number of the last change it has
  and a token. When this file knows that token (``publish_acks``), the server's copy is this
  file's history up to that number, and only the changes after it are sent: each changed row
  is upserted by its UUID, or deleted when this file no longer has it. One local change sends
  one row.
* Otherwise (the first publish, a restore from an older backup, a server rebuilt) every row is
  compared by its hash with the server's: what differs is sent, what the server has and this
  file does not is deleted. The server then matches the file exactly.
* Batches are committed one at a time with the watermark they reach, so a connection cut in
  the middle keeps what arrived, and the next publish carries on from there. Upserts make a
  batch sent twice harmless: nothing is ever stored twice.

Everything sent is read in one read transaction, so it agrees with the watermark sent with it
even while Keel keeps writing. Connecting, the password, the server schema and the team's login
are all checked before anything local is written: a failure there changes nothing here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app import __version__
from app.errors import KeelError, ServiceError, StorageError
from app.server.connection import connect, translated
from app.server.publish import Batch, TeamState, open_team, row_hash, send, server_hashes
from app.server.schema import require_current
from app.server.target import ServiceTarget, parse_target
from app.services.bound import BoundService, bound
from app.services.publish_status import (
    PUBLISHED_AT_KEY,
    PUBLISHED_TEAM_KEY,
    PublishState,
    publish_state,
    save_url,
    saved_url,
    saved_url_of,
)
from app.services.service_login import resolve_password, target_from
from app.storage import publishing as local
from app.storage.db import Database, close_database, open_database, transaction
from app.storage.identity import database_id

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]

BATCH_ROWS = 1000


@dataclass(frozen=True)
class PublishResult:
    team: str
    sent: int
    deleted: int
    compared: bool  # every row compared (first publish, or the server's copy unknown)
    at: datetime

    @property
    def nothing_new(self) -> bool:
        return self.sent == 0 and self.deleted == 0

    def summary(self) -> str:
        if self.nothing_new:
            return f"Nothing new to publish: the service already has every change of “{self.team}”."
        what = f"{self.sent:,} row{'' if self.sent == 1 else 's'} sent"
        if self.deleted:
            what += f", {self.deleted:,} deleted"
        how = (
            "every row compared with the service's copy"
            if self.compared
            else "only what changed since the last publish"
        )
        return f"Published “{self.team}” to the service: {what} ({how})."


class PublishCancelled(KeelError):
    """The publish was stopped between two batches."""

    def __init__(self) -> None:
        super().__init__(
            "The publish was stopped: what reached the service is complete, and the next "
            "publish carries on from there."
        )


def _check(cancelled: Cancelled | None) -> None:
    if cancelled is not None and cancelled():
        raise PublishCancelled()


def _plan_incremental(
    db: Database, since: int
) -> tuple[int, list[tuple[local.Change, tuple[Any, ...] | None]]]:
    """The changes after ``since`` with each row as it is now (None: deleted)."""
    changes = local.changes_since(db, since)
    top = local.latest_seq(db)
    by_kind: dict[str, list[str]] = {}
    for c in changes:
        by_kind.setdefault(c.kind, []).append(c.row_id)
    rows = {kind: local.rows_by_id(db, kind, ids) for kind, ids in by_kind.items()}
    return top, [(c, rows[c.kind].get(c.row_id)) for c in changes]


def _all_local(db: Database) -> tuple[int, dict[str, list[tuple[Any, ...]]]]:
    top = local.latest_seq(db)
    return top, {kind: list(local.all_rows(db, kind)) for kind in local.KINDS}


def publish_database(
    db: Database,
    conn: Any,
    target: ServiceTarget,
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    batch_rows: int = BATCH_ROWS,
) -> PublishResult:
    """Publish ``db`` over ``conn`` (a team's connection, its schema already checked)."""
    ident = database_id(db)
    if ident is None:
        raise StorageError("This database has no id yet: open it once in Keel, then publish.")
    with translated(target, "publishing"):
        team = open_team(conn, ident, __version__)
        acks = local.known_acks(db)
        known = team.token is not None and team.seq is not None and team.token in acks
        with local.snapshot(db):
            if known:
                assert team.seq is not None
                top, changes = _plan_incremental(db, team.seq)
                everything: dict[str, list[tuple[Any, ...]]] = {}
            else:
                top, everything = _all_local(db)
                changes = []
        _check(cancelled)
        if known and not changes:
            send(conn, team.id, Batch.empty(), watermark=None, finished=True)
            _after(db, team, top, 0, 0, target)
            return PublishResult(team.name, 0, 0, False, datetime.now(UTC))
        import uuid  # on a publish: not needed to open the window

        token = uuid.uuid4().hex
        with transaction(db, "record the publish"):
            local.remember_ack(db, token, top)
        if known:
            sent, deleted = _send_changes(conn, team, changes, top, token, progress, cancelled,
                                          batch_rows)  # fmt: skip
        else:
            sent, deleted = _send_compared(conn, team, everything, top, token, progress,
                                           cancelled, batch_rows)  # fmt: skip
    _after(db, team, top, sent, deleted, target)
    return PublishResult(team.name, sent, deleted, not known, datetime.now(UTC))


def _send_changes(
    conn: Any,
    team: TeamState,
    changes: list[tuple[local.Change, tuple[Any, ...] | None]],
    top: int,
    token: str,
    progress: Progress | None,
    cancelled: Cancelled | None,
    batch_rows: int,
) -> tuple[int, int]:
    sent = deleted = 0
    total = len(changes)
    for start in range(0, total, batch_rows):
        _check(cancelled)
        chunk = changes[start : start + batch_rows]
        batch = Batch.empty()
        for change, row in chunk:
            table = local.KINDS[change.kind][0]
            if row is None:
                batch.delete(table, change.row_id)
                deleted += 1
            else:
                batch.add(table, row)
                sent += 1
        last = start + batch_rows >= total
        seq = top if last else chunk[-1][0].seq
        send(conn, team.id, batch, watermark=(seq, token), finished=last)
        if progress is not None:
            progress(min(start + batch_rows, total), total)
    return sent, deleted


def _send_compared(
    conn: Any,
    team: TeamState,
    everything: dict[str, list[tuple[Any, ...]]],
    top: int,
    token: str,
    progress: Progress | None,
    cancelled: Cancelled | None,
    batch_rows: int,
) -> tuple[int, int]:
    work: list[tuple[str, tuple[Any, ...] | str]] = []  # (table, row to upsert | id to delete)
    for kind, rows in everything.items():
        table = local.KINDS[kind][0]
        theirs = server_hashes(conn, table, team.id)
        mine = set()
        for row in rows:
            mine.add(str(row[0]))
            if theirs.get(str(row[0])) != row_hash(row):
                work.append((table, row))
        work += [(table, gone) for gone in theirs.keys() - mine]
    sent = deleted = 0
    total = len(work)
    for start in range(0, max(total, 1), batch_rows):
        _check(cancelled)
        batch = Batch.empty()
        for table, item in work[start : start + batch_rows]:
            if isinstance(item, str):
                batch.delete(table, item)
                deleted += 1
            else:
                batch.add(table, item)
                sent += 1
        last = start + batch_rows >= total
        # The watermark only with the last batch: until every row is compared, the server's
        # copy is not yet this file's history (a cut publish compares again, sending the rest).
        send(conn, team.id, batch, watermark=(top, token) if last else None, finished=last)
        if progress is not None:
            progress(min(start + batch_rows, total), total)
    return sent, deleted


def _after(
    db: Database, team: TeamState, top: int, sent: int, deleted: int, target: ServiceTarget
) -> None:
    """The server has acknowledged ``top``: forget what it has, remember when (and audit a
    publish that sent something: data left the laptop)."""
    from app.storage import audit

    with transaction(db, "record the publish"):
        local.forget_published(db, top)
        local.set_meta(db, PUBLISHED_AT_KEY, datetime.now(UTC).isoformat(timespec="seconds"))
        local.set_meta(db, PUBLISHED_TEAM_KEY, team.name)
        if sent or deleted:
            audit.append(
                db, "publish", "service", team.name,
                {"to": target.display(), "sent": sent, "deleted": deleted},
            )  # fmt: skip


def connect_team(target: ServiceTarget, password: str | None) -> Any:
    """A team's connection, its server schema checked (nothing local is touched)."""
    # Autocommit: each batch is its own transaction (``conn.transaction()``), committed as it
    # ends, never a savepoint inside one long transaction that a cut connection would undo.
    conn = connect(target, password, autocommit=True)
    try:
        with translated(target, "checking the service's schema"):
            require_current(conn, f"{target.host}:{target.port}/{target.dbname}")
    except BaseException:
        conn.close()
        raise
    return conn


def publish_file(
    path: Path,
    url: str | None,
    *,
    ask: Callable[[str], str] | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> PublishResult:
    """``keel publish``: the URL from ``url``, KEEL_SERVICE_URL or the one saved in the file;
    the server is reached and checked before the file is opened (so a wrong password, an
    unreachable host, a TLS failure or a newer server schema leave the file untouched)."""
    saved = saved_url_of(path) if not url else None
    target = target_from(url, fallback=saved)
    conn = connect_team(target, resolve_password(target, ask))
    try:
        db = open_database(path, create=False)
        try:
            return publish_database(db, conn, target, progress=progress, cancelled=cancelled)
        finally:
            close_database(db)
    finally:
        conn.close()


def publish_with_saved_login(
    db: Database,
    *,
    password: str | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> PublishResult:
    """The window's publish (on a worker thread, with its own connection): the saved URL, the
    password given or the keyring's (never a prompt: the window asks in its own dialog)."""
    url = saved_url(db)
    if url is None:
        raise ServiceError("No service is set up: use Data → Publish to the service… first.")
    target = parse_target(url)
    conn = connect_team(target, password or resolve_password(target, None))
    try:
        return publish_database(db, conn, target, progress=progress, cancelled=cancelled)
    finally:
        conn.close()


__all__ = [
    "PublishCancelled",
    "PublishResult",
    "PublishState",
    "connect_team",
    "publish_database",
    "publish_file",
    "publish_state",
    "publish_with_saved_login",
    "save_url",
    "saved_url",
]


class PublishingService(BoundService):
    """Publishing this team's data to the service view. (The open database given: see ``app.services.bound``.)"""

    publish_with_saved_login = bound(publish_with_saved_login)
