"""Keel's temporary files: named by the process that made them, removed once it is gone.

A temporary that may hold records — a backup being written (``.keel-backup-<owner>-….tmp``, in
the backup folder; an encrypted backup's is encrypted from its first page), a backup being
restored (``keel-restore-<owner>-…/``: still encrypted, except an old ``KEELENC1`` backup's
decrypted copy) — and, from Keel before encrypted backups were written encrypted, an encrypted
backup's unencrypted working copy (``keel-backup-<owner>-…/``, a private folder beside the
database) — carries its *owner* in its name: a short hash of the computer's name and the process
id. A process killed with ``kill -9`` or a power cut cannot remove its temporaries, so every
start of Keel (the window or any command) calls :func:`clean_stale`, which removes one only when
its owner is gone (made on this computer by a process that is no longer running) or when it is
older than a day, so a backup running beside the window is never disturbed. Older Keels' names
without an owner (``.keel-backup-<token>.tmp``, ``keel-backup-…/`` working folders,
``….restoring``) are removed by age alone. Each cleaning is logged without personal data: how
many temporaries of which kind, never their names or folders.

An encrypted backup never writes the database unencrypted (``app.services.encrypted_backup``):
what a killed one leaves is encrypted, and removed here at the next start.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
import socket
import tempfile
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

MAX_AGE_S = 24 * 3600
BACKUP_TEMP = ".keel-backup-"  # a backup being written, in the backup folder
PRIVATE_TEMP = "keel-backup-"  # an older Keel's unencrypted backup working copy (a folder)
RESTORE_TEMP = "keel-restore-"  # a decrypted backup being restored (a folder)
RESTORING = ".restoring"  # a database being rebuilt from a backup, beside it

_LEGACY_DIR = re.compile(r"^keel-backup-[A-Za-z0-9_]{8}$")  # tempfile.mkdtemp's names
_OWNED = re.compile(
    r"^(?:\.keel-backup-|keel-backup-|keel-restore-)(?P<host>[0-9a-f]{6})-(?P<pid>\d+)-"
)


def _host_tag() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:6]


def owner() -> str:
    """This process, as temporaries name it: ``<host hash>-<pid>``."""
    return f"{_host_tag()}-{os.getpid()}"


def owned_name(prefix: str, suffix: str = "") -> str:
    """A fresh temporary name that says who made it."""
    return f"{prefix}{owner()}-{uuid.uuid4().hex[:12]}{suffix}"


def _running(pid: int) -> bool:
    """True when a process with that id runs on this computer (or it cannot be told)."""
    if os.name != "posix":
        return True  # no safe probe without ctypes: such temporaries go by age alone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, owned by someone else
    return True


def is_stale(path: Path, *, now: float | None = None) -> bool:
    """May ``path`` (a Keel temporary) be removed? Its owner is gone, or it is over a day old."""
    now = time.time() if now is None else now
    try:
        age = now - path.lstat().st_mtime
    except OSError:
        return False
    if age > MAX_AGE_S:
        return True
    found = _OWNED.match(path.name)
    if found is None or found.group("host") != _host_tag():
        return False  # another computer's (a shared folder), or an older Keel's: by age only
    pid = int(found.group("pid"))
    return pid != os.getpid() and not _running(pid)


def _candidates(folder: Path, db_name: str | None) -> Iterable[tuple[Path, str]]:
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    out = []
    for entry in entries:
        name = entry.name
        if name.startswith(BACKUP_TEMP) and not entry.is_dir():
            out.append((entry, "unfinished backup file"))
        elif name.startswith(RESTORE_TEMP) and entry.is_dir():
            out.append((entry, "decrypted restore folder"))
        elif (_OWNED.match(name) and name.startswith(PRIVATE_TEMP) and entry.is_dir()) or (
            _LEGACY_DIR.match(name) and entry.is_dir()
        ):
            out.append((entry, "unencrypted backup working folder"))
        elif db_name and name.startswith(f"{db_name}{RESTORING}"):
            out.append((entry, "unfinished restore"))
    return out


def clean_stale(folders: Iterable[Path], *, db_name: str | None = None) -> int:
    """Remove the stale temporaries Keel left in ``folders`` (see the module). Returns how
    many were removed; each kind removed is logged with its count only."""
    removed: dict[str, int] = {}
    seen: set[str] = set()
    for folder in folders:
        key = os.path.realpath(folder)
        if key in seen:
            continue
        seen.add(key)
        for path, kind in _candidates(folder, db_name):
            if not is_stale(path):
                continue
            with contextlib.suppress(OSError):
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
                removed[kind] = removed.get(kind, 0) + 1
    for kind, count in sorted(removed.items()):
        log.info("removed %d stale temporary item(s): %s left by an interrupted Keel", count, kind)
    return sum(removed.values())


def clean_for_database(db_path: Path) -> int:
    """At start-up: the database's folder, its backup folders and the temporary folder."""
    from app.paths import default_backup_dir
    from app.services.autobackup import backup_folder_for_file

    folders = [db_path.parent, default_backup_dir(), Path(tempfile.gettempdir())]
    with contextlib.suppress(OSError):
        folders.append(backup_folder_for_file(db_path))
    try:
        return clean_stale(folders, db_name=db_path.name)
    except Exception:  # a clean-up must never stop Keel from starting
        log.exception("cleaning stale temporaries failed")
        return 0
