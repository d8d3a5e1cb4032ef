"""The backup folder's files: how backups are named, found, dated and rotated.

Kept apart from making and restoring backups (``app.services.backup``) so that the status bar
can say when the last backup was made without loading the backup machinery at start-up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path

from app.dates import uk

PREFIX = "keel-backup-"
SAFETY_PREFIX = "keel-before-restore-"
PLAIN_SUFFIX = ".db"
ENCRYPTED_SUFFIX = ".keelenc"
TEMP_PREFIX = ".keel-backup-"
_NAME = re.compile(
    rf"^(?:{PREFIX}|{SAFETY_PREFIX})(\d{{8}})-(\d{{6}})(?:-(\d+))?(\{PLAIN_SUFFIX}|\{ENCRYPTED_SUFFIX})$"
)


def format_when(when: datetime | None) -> str:
    """A date and time a person reads, in local time (portable: no ``%-d``)."""
    if when is None:
        return "an unknown date"
    local = when.astimezone() if when.tzinfo else when
    return f"{uk(local)} {local:%H:%M}"


def backup_name(now: datetime, *, encrypted: bool, prefix: str = PREFIX) -> str:
    suffix = ENCRYPTED_SUFFIX if encrypted else PLAIN_SUFFIX
    return f"{prefix}{now.astimezone(UTC).strftime('%Y%m%d-%H%M%S')}{suffix}"


def backup_time(path: Path) -> datetime | None:
    """When a backup was made, from its name (UTC)."""
    m = _NAME.match(path.name)
    if not m:
        return None
    day, clock = m.group(1), m.group(2)  # "20261126", "174205" (strptime costs an import)
    try:
        return datetime(
            int(day[:4]), int(day[4:6]), int(day[6:]),
            int(clock[:2]), int(clock[2:4]), int(clock[4:]), tzinfo=UTC,
        )  # fmt: skip
    except ValueError:
        return None


def list_backups(folder: Path, *, include_safety: bool = True) -> list[Path]:
    """Keel backups in ``folder``, newest first."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    found = [
        p
        for p in entries
        if backup_time(p) is not None and (include_safety or p.name.startswith(PREFIX))
    ]
    return sorted(found, key=_order, reverse=True)


def _order(path: Path) -> tuple[datetime, int, str]:
    """Oldest first: time from the name, then the counter of backups made in one second."""
    m = _NAME.match(path.name)
    counter = int(m.group(3)) if m and m.group(3) else 0
    return (backup_time(path) or datetime.min.replace(tzinfo=UTC), counter, path.name)


def latest_backup(folder: Path, *, include_safety: bool = True) -> Path | None:
    backups = list_backups(folder, include_safety=include_safety)
    return backups[0] if backups else None


def backups_to_keep(
    backups: Iterable[Path], today: date, *, daily: int = 7, weekly: int = 4, monthly: int = 12
) -> set[Path]:
    """Rotation like Anki's: keep every backup from today and yesterday (and any dated in the
    future: a clock set wrong is no reason to delete); then, going back in time, the newest
    backup of each of the next ``daily`` days that have one, then of ``weekly`` ISO weeks older
    than the last kept backup, then of ``monthly`` months older than that. Days are UTC days,
    as in the names. Files whose names are not Keel's are never considered."""
    dated = sorted(
        ((when, p) for p in backups if (when := backup_time(p)) is not None),
        key=lambda item: _order(item[1]),
        reverse=True,
    )
    keep: set[Path] = set()
    left = {"daily": daily, "weekly": weekly, "monthly": monthly}
    last_day: date | None = None
    for when, path in dated:
        day = when.date()
        if day >= date.fromordinal(today.toordinal() - 1):
            keep.add(path)
            continue
        week = day.isocalendar()[:2]
        month = (day.year, day.month)
        stage = None
        if left["daily"] > 0 and (last_day is None or day < last_day):
            stage = "daily"
        elif left["weekly"] > 0 and (last_day is None or week < last_day.isocalendar()[:2]):
            stage = "weekly"
        elif left["monthly"] > 0 and (last_day is None or month < (last_day.year, last_day.month)):
            stage = "monthly"
        if stage is not None:
            left[stage] -= 1
            last_day = day
            keep.add(path)
    return keep


def prune_backups(folder: Path, today: date) -> list[Path]:
    """Delete rotated-out backups; safety copies made before a restore are kept. Also removes
    temporary files left by a backup that was interrupted (a crash, a pulled USB stick)."""
    backups = list_backups(folder, include_safety=False)
    keep = backups_to_keep(backups, today)
    removed = []
    for path in backups:
        if path not in keep:
            try:
                path.unlink()
            except OSError:
                continue
            removed.append(path)
    from app.services.temporaries import clean_stale  # its owner gone, or over a day old

    clean_stale([folder])
    return removed
