"""One Keel per database file: an OS-level lock on ``keel.db.lock`` beside the database.

The operating system releases the lock when the process ends, even after ``kill -9`` or a crash,
so a lock left behind by a crashed Keel is recovered automatically: the next start simply takes
it. The file holds the owner's process id, for the message a second launch shows.

The lock file is removed on release while the lock is still held, and a process that has just
taken the lock checks that the file it locked is still the one at the path (else it retries):
without that check, a process that opened the old file just before it was removed could hold a
lock on a deleted file while a third process locks a new one — two Keels on one database.
The database path is resolved first, so a symlink or a relative path finds the same lock.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import IO

from app.errors import KeelError, StorageError


class AlreadyRunningError(KeelError):
    """Another Keel has this database open."""


def lock_path_for(db_path: Path) -> Path:
    real = db_path.resolve()
    return real.with_name(real.name + ".lock")


class InstanceLock:
    """Hold it for as long as the database is open: ``with InstanceLock(path): ...``."""

    def __init__(self, db_path: Path) -> None:
        self.path = lock_path_for(db_path)
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        if self._fh is not None:
            return
        for _attempt in range(20):
            fh = self._open()
            try:
                _lock(fh)
            except OSError:
                owner = ""
                with contextlib.suppress(OSError, ValueError):
                    fh.seek(0)
                    owner = fh.read(32).strip()
                fh.close()
                who = f" (process {owner})" if owner.isdigit() else ""
                raise AlreadyRunningError(
                    f"Keel already has this database open{who}. Switch to that window, or close "
                    "it and try again."
                ) from None
            if _same_file(fh, self.path):
                break
            # The holder removed the file between our open and our lock: lock the new one.
            _unlock(fh)
            fh.close()
        else:  # pragma: no cover - would need twenty lost races in a row
            raise AlreadyRunningError("Keel could not take the lock on this database. Try again.")
        with contextlib.suppress(OSError):
            fh.seek(0)
            fh.truncate()
            fh.write(str(os.getpid()))
            fh.flush()
        self._fh = fh

    def _open(self) -> IO[str]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return open(self.path, "a+", encoding="utf-8")
        except OSError as exc:
            raise StorageError(
                f"Keel cannot open the database in {self.path.parent}: it cannot create its lock "
                f"file there ({exc.strerror or exc}). Check that the folder exists and that you "
                "can write to it."
            ) from exc

    def release(self) -> None:
        if self._fh is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()  # while still locked: see the module's docstring
        _unlock(self._fh)
        self._fh.close()
        self._fh = None

    @property
    def held(self) -> bool:
        return self._fh is not None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _same_file(fh: IO[str], path: Path) -> bool:
    try:
        mine, there = os.fstat(fh.fileno()), os.stat(path)
    except OSError:
        return False
    return (mine.st_dev, mine.st_ino) == (there.st_dev, there.st_ino)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows builds
    import msvcrt

    def _lock(fh: IO[str]) -> None:
        # Lock a byte far beyond the pid, so other processes can still read who holds it.
        fh.seek(1 << 20)
        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(fh: IO[str]) -> None:
        with contextlib.suppress(OSError):
            fh.seek(1 << 20)
            msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fh: IO[str]) -> None:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fh: IO[str]) -> None:
        with contextlib.suppress(OSError):
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
