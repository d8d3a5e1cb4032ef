"""Automatic backups: the backup folder setting, a daily backup when something changed, and
what the status bar says about the last backup.

The GUI calls ``auto_backup_if_due`` on start and on exit, and shows ``last_backup_info``.

*Something changed* is decided by a change marker: a SHA-256 over, for every data table, its
row count, its largest rowid and the latest of its time-stamp columns, plus the ``meta``
settings (except the keys this module writes). Every write Keel makes inserts or deletes a row
or stamps ``updated_at`` (sessions, workers, actions, drafts), and every service writes an
audit entry, so a change moves the marker; an import or the demo (which write no audit entry)
add rows. It costs one scan per table, a fraction of a second on a large database. The marker
of the last backup is stored in ``meta`` (key ``last_backup_marker``), with its time
(``last_backup_at``). Days are UTC days, as in the backup names.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from app import dbapi
from app.paths import default_backup_dir
from app.services.backup_files import (
    backup_time,
    backups_of,
    database_stem,
    format_when,
    prune_backups,
)
from app.services.bound import BoundService, bound
from app.services.location import location_warning
from app.storage.db import Database, transaction
from app.storage.identity import database_id

if TYPE_CHECKING:
    # Making a backup is imported when one is made: the status bar's "last backup" line,
    # shown at start-up, needs only the folder's file names (app.services.backup_files).
    from app.services.backup import BackupResult, PreparedBackup, RestoreResult
    from app.services.restore_compare import Comparison

BACKUP_DIR_KEY = "backup_dir"
LAST_BACKUP_AT_KEY = "last_backup_at"
LAST_MARKER_KEY = "last_backup_marker"
_OWN_KEYS = (LAST_BACKUP_AT_KEY, LAST_MARKER_KEY)
WARN_AFTER = timedelta(days=7)
_TIME_COLUMNS = (
    "updated_at",
    "created_at",
    "at",
    "closed_on",
    "retired_on",
    "signed_at",
    "supervisee_responded_at",
)
_DATA_TABLES = ("workers", "sessions", "risk_assessments", "actions")


# --------------------------------------------------------------------------- the setting


def _meta(db: Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def _set_meta(db: Database, values: dict[str, str | None]) -> None:
    with transaction(db, "save the backup settings"):
        for key, value in values.items():
            if value is None:
                db.execute("DELETE FROM meta WHERE key = ?", [key])
            else:
                db.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    [key, value],
                )


def backup_folder(db: Database) -> Path:
    """The folder chosen for backups, else ``backups`` in the user data folder."""
    value = _meta(db, BACKUP_DIR_KEY)
    return Path(value) if value else default_backup_dir()


def backup_folder_for_file(db_path: Path) -> Path:
    """The backup folder setting of a database file that is not open (read-only look; the
    default when the file cannot be read, e.g. because it is damaged)."""
    from app.services.backup_files import meta_value_of_file

    value = meta_value_of_file(db_path, BACKUP_DIR_KEY)
    return Path(value) if value else default_backup_dir()


def latest_backup_for_file(db_path: Path) -> Path | None:
    """The newest backup of the database file at ``db_path``, which is not open (it may be
    damaged): in its backup folder, named with its stem, and holding its id when the id can
    still be read from it."""
    from app.services.backup_files import backup_database_id, latest_backup_of, safe_stem

    return latest_backup_of(
        backup_folder_for_file(db_path), safe_stem(db_path.name), backup_database_id(db_path)
    )


def ensure_folder(folder: Path) -> None:
    """Create the default backup folder (and the data folder above it) when missing. A chosen
    folder is only created if its parent exists (see ``backup_database``)."""
    if folder == default_backup_dir():
        with contextlib.suppress(OSError):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)


def set_backup_folder(db: Database, folder: Path | None) -> str | None:
    """Choose the backup folder (None: back to the default). Returns a location warning to
    show, or None."""
    if folder is None:
        _set_meta(db, {BACKUP_DIR_KEY: None})
        return None
    folder = folder.expanduser().absolute()
    _set_meta(db, {BACKUP_DIR_KEY: str(folder)})
    return folder_warning(folder)


def folder_warning(folder: Path) -> str | None:
    """The risk of keeping backups in ``folder`` (a synced folder, a network share), or None."""
    return location_warning(folder, what="backup folder")


# --------------------------------------------------------------------------- change marker


def change_marker(db: Database) -> str:
    """A fingerprint of the data that moves whenever Keel changes anything (see the module)."""
    import hashlib  # at backup time: its import is not needed to show the schedule

    tables = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    ).fetchall()
    virtual = [name for name, sql in tables if str(sql or "").upper().startswith("CREATE VIRTUAL")]
    parts: list[object] = []
    for name, _sql in tables:
        if name == "meta" or name in virtual or any(name.startswith(f"{v}_") for v in virtual):
            continue  # derived data (full-text search) follows the tables it indexes
        columns = {r[1] for r in db.execute(f'PRAGMA table_info("{name}")')}
        stamps = [c for c in _TIME_COLUMNS if c in columns]
        select = ["count(*)"] + [f'max("{c}")' for c in stamps]
        try:
            row = db.execute(f'SELECT {", ".join([*select, "max(rowid)"])} FROM "{name}"')
            values = list(row.fetchone())
        except dbapi.OperationalError:  # WITHOUT ROWID
            values = list(db.execute(f'SELECT {", ".join(select)} FROM "{name}"').fetchone())
        parts.append([name, *values])
    own = ", ".join("?" for _ in _OWN_KEYS)
    settings = db.execute(
        f"SELECT key, value FROM meta WHERE key NOT IN ({own}) ORDER BY key", list(_OWN_KEYS)
    ).fetchall()
    parts.append(["meta", [list(r) for r in settings]])
    payload = json.dumps(parts, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _has_data(db: Database) -> bool:
    names = set(db.table_names())
    return any(
        db.execute(f"SELECT EXISTS (SELECT 1 FROM {t})").fetchone()[0]
        for t in _DATA_TABLES
        if t in names
    )


def record_backup(db: Database, result: BackupResult, marker: str) -> None:
    """Remember a backup (its time and the change marker of the data it holds)."""
    _set_meta(
        db,
        {
            LAST_BACKUP_AT_KEY: result.created_at.astimezone(UTC).isoformat(),
            LAST_MARKER_KEY: marker,
        },
    )


def make_backup(
    db: Database,
    folder: Path,
    *,
    passphrase: str | None = None,
    now: datetime | None = None,
) -> BackupResult:
    """A backup made on request (Data → Back up now, the ``backup`` command), remembered for
    the status bar and for the daily backup."""
    marker = change_marker(db)
    ensure_folder(folder)
    from app.services.backup import backup_database

    result = backup_database(db, folder, passphrase=passphrase, now=now)
    record_backup(db, result, marker)
    return result


# --------------------------------------------------------------------------- daily backup


@dataclass(frozen=True)
class AutoBackupOutcome:
    made: BackupResult | None
    reason: str
    removed: list[Path] = field(default_factory=list)
    warning: str | None = None


def own_backups(db: Database, folder: Path, *, include_safety: bool = False) -> list[Path]:
    """This database's backups in ``folder``, newest first (another database's backups in the
    same folder are not this one's: see ``app.services.backup_files``); with
    ``include_safety``, also the safety copies made before its restores."""
    return backups_of(folder, database_stem(db), database_id(db), include_safety=include_safety)


def rotate(db: Database, folder: Path, today: date) -> list[Path]:
    """Rotate this database's backups in ``folder`` (never another database's)."""
    return prune_backups(folder, today, stem=database_stem(db), database_id=database_id(db))


def auto_backup_if_due(
    db: Database, folder: Path | None = None, now: datetime | None = None
) -> AutoBackupOutcome:
    """Back up at most once a (UTC) day, only when something changed since this database's
    last backup, then rotate its backups. Raises ``BackupError`` when a due backup fails."""
    now = now or datetime.now(UTC)
    folder = folder or backup_folder(db)
    warning = folder_warning(folder)
    existing = own_backups(db, folder)
    newest = backup_time(existing[0]) if existing else None
    if newest is not None and newest.date() >= now.astimezone(UTC).date():
        return AutoBackupOutcome(None, "There is already a backup from today.", warning=warning)
    marker = change_marker(db)
    previous = _meta(db, LAST_MARKER_KEY)
    if existing and previous == marker:
        return AutoBackupOutcome(None, "Nothing changed since the last backup.", warning=warning)
    if previous is None and not existing and not _has_data(db):
        return AutoBackupOutcome(None, "There is nothing to back up yet.", warning=warning)
    ensure_folder(folder)
    from app.services.backup import backup_database

    result = backup_database(db, folder, now=now)
    record_backup(db, result, marker)
    removed = rotate(db, folder, now.astimezone(UTC).date())
    return AutoBackupOutcome(result, "Backed up.", removed, warning)


# --------------------------------------------------------------------------- status bar


@dataclass(frozen=True)
class LastBackupInfo:
    when: datetime | None
    path: Path | None
    warn: bool
    message: str
    folder_warning: str | None = None


def last_backup_info(
    db: Database, folder: Path | None = None, now: datetime | None = None
) -> LastBackupInfo:
    """When this database's last backup was made (its newest in the folder, or the last one
    recorded, made elsewhere) and whether to warn: no backup for ``WARN_AFTER`` while there
    is data. Another database's backups in the same folder do not count."""
    now = now or datetime.now(UTC)
    folder = folder or backup_folder(db)
    backups = own_backups(db, folder)
    path = backups[0] if backups else None
    when = backup_time(path) if path is not None else None
    recorded = _meta(db, LAST_BACKUP_AT_KEY)
    if recorded:
        with contextlib.suppress(ValueError):
            at = datetime.fromisoformat(recorded)
            if when is None or at > when:
                when, path = at, None
    if when is None:
        warn = _has_data(db)
        message = "No backup yet." + (" Make one: Data → Back up now." if warn else "")
    else:
        warn = now - when >= WARN_AFTER
        days = (now.astimezone().date() - when.astimezone().date()).days
        ago = "today" if days < 1 else ("yesterday" if days == 1 else f"{days} days ago")
        message = f"Last backup {ago} ({format_when(when)})."
        if warn:
            message += " Make a backup: Data → Back up now."
    return LastBackupInfo(when, path, warn, message, folder_warning(folder))


class BackupService(BoundService):
    """Backups of the open database: its folder, making one, the automatic one, restoring.
    (The open database given: see ``app.services.bound``.)"""

    backup_folder = bound(backup_folder)
    set_backup_folder = bound(set_backup_folder)
    own_backups = bound(own_backups)
    auto_backup_if_due = bound(auto_backup_if_due)
    last_backup_info = bound(last_backup_info)
    make_backup = bound(make_backup)

    def compare_with_open(self, prepared: PreparedBackup, db_path: Path) -> Comparison:
        """The backup beside the open database's data (see ``restore_compare``)."""
        from app.services.restore_compare import compare_with_open

        return compare_with_open(prepared, self._db, db_path)

    def restore(
        self,
        candidate: Path | PreparedBackup,
        safety_folder: Path,
        *,
        passphrase: str | None = None,
        another_database: bool = False,
    ) -> RestoreResult:
        """Replace the open database's data with a backup's (see ``backup.restore_database``)."""
        from app.services.backup import restore_database

        return restore_database(
            self._db,
            candidate,
            safety_folder,
            passphrase=passphrase,
            another_database=another_database,
        )
