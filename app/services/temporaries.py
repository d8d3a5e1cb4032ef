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

**Export temporaries** — a PDF or calendar being written beside its target
(``.<name>.<owner>-<random>.keel-tmp``), and the second name a replaced file keeps until the
export is committed (``….keel-old``) — go to whatever folder the person chose, which no start
of Keel could guess. So before one is created, :func:`note_export_temporary` leaves a note in
Keel's own state folder (owner-only, ``pending-exports/<owner>-<random>``) saying where it is;
the note goes as soon as the temporary does (renamed into place or discarded). A note left by a
killed process is found at the next start, and the temporary it names removed — by the same
rule: its owner gone, or over a day old — and only if its name is an export temporary's.
The notes exist only while an export runs; the log says how many were removed, never where.
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


EXPORT_TEMP = re.compile(
    r"^\..+\.(?P<host>[0-9a-f]{6})-(?P<pid>\d+)-(?P<token>[0-9a-f]{12})\.keel-(?:tmp|old)$"
)
_NOTE = re.compile(r"^(?P<host>[0-9a-f]{6})-(?P<pid>\d+)-(?P<token>[0-9a-f]{12})$")
PENDING_EXPORTS = "pending-exports"


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


def is_stale(path: Path, *, now: float | None = None, pattern: re.Pattern[str] = _OWNED) -> bool:
    """May ``path`` (a Keel temporary, its name matching ``pattern``) be removed? Its owner is
    gone, or it is over a day old."""
    now = time.time() if now is None else now
    try:
        age = now - path.lstat().st_mtime
    except OSError:
        return False
    if age > MAX_AGE_S:
        return True
    found = pattern.match(path.name)
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
    _log_removed(removed)
    return sum(removed.values())


def _log_removed(removed: dict[str, int]) -> None:
    for kind, count in sorted(removed.items()):
        log.info("removed %d stale temporary item(s): %s left by an interrupted Keel", count, kind)


# --------------------------------------------------------------------------- export temporaries


def _pending_exports() -> Path:
    from app.paths import state_dir

    return state_dir() / PENDING_EXPORTS


def export_temporary_name(out: Path, kind: str) -> Path:
    """A fresh export temporary beside ``out`` (``kind``: ``tmp`` or ``old``), named by its
    owner; noted (:func:`note_export_temporary`) before it is returned, so that a kill at any
    moment after it is created leaves a note of it."""
    path = out.parent / f".{out.name}.{owner()}-{uuid.uuid4().hex[:12]}.keel-{kind}"
    note_export_temporary(path)
    return path


def _note_for(path: Path) -> Path | None:
    found = EXPORT_TEMP.match(path.name)
    if found is None:
        return None
    return _pending_exports() / f"{found['host']}-{found['pid']}-{found['token']}"


def note_export_temporary(path: Path) -> None:
    """Leave a note (owner-only, in Keel's state folder) of the export temporary ``path``
    before it is created. A note that cannot be written does not stop the export: its
    temporary would then be left to the person, as before notes existed (logged)."""
    note = _note_for(path)
    if note is None:
        raise ValueError("not an export temporary's name")
    try:
        note.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(note, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(os.path.abspath(path))
    except OSError as exc:
        log.warning("could not note an export temporary (%s)", type(exc).__name__)


def forget_export_temporary(path: Path) -> None:
    """The temporary ``path`` is gone (renamed into place or removed): drop its note."""
    note = _note_for(path)
    if note is not None:
        with contextlib.suppress(OSError):
            note.unlink()


def clean_export_temporaries(*, now: float | None = None) -> int:
    """Remove the export temporaries whose notes say a stale owner left them (see the module),
    and those notes. Returns how many temporaries were removed; logs the count only."""
    try:
        notes = [p for p in _pending_exports().iterdir() if _NOTE.match(p.name)]
    except OSError:
        return 0
    removed = 0
    for note in notes:
        if not is_stale(note, now=now, pattern=_NOTE):
            continue
        try:
            target = Path(note.read_text(encoding="utf-8").strip())
        except (OSError, UnicodeDecodeError):
            target = None
        # Only a file whose name is this note's export temporary is ever removed.
        if target is not None and _note_for(target) == note:
            with contextlib.suppress(FileNotFoundError):
                if target.is_dir() and not target.is_symlink():
                    continue  # never a folder
                target.unlink()
                removed += 1
        with contextlib.suppress(OSError):
            note.unlink()
    _log_removed({"unfinished export": removed} if removed else {})
    return removed


def clean_for_database(db_path: Path) -> int:
    """At start-up: the database's folder, its backup folders and the temporary folder, and
    the export temporaries noted in Keel's state folder."""
    from app.paths import default_backup_dir
    from app.services.autobackup import backup_folder_for_file

    folders = [db_path.parent, default_backup_dir(), Path(tempfile.gettempdir())]
    with contextlib.suppress(OSError):
        folders.append(backup_folder_for_file(db_path))
    try:
        return clean_stale(folders, db_name=db_path.name) + clean_export_temporaries()
    except Exception:  # a clean-up must never stop Keel from starting
        log.exception("cleaning stale temporaries failed")
        return 0
