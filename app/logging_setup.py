"""A log file in the user log folder, rotated when Keel starts (and nothing on the console
unless asked).

The log holds no personal data: it names records by their ids, files by their kind and the
database as "the database" — never a worker's name, nor a path (a home folder is a person's
name; an export is called "2026-11-20 Clinical supervision - Zoë Hartley.pdf"). The folder and
the files are readable by their owner only.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

MAX_BYTES = 1_000_000
KEPT = 5


def rotate(path: Path, *, max_bytes: int = MAX_BYTES, kept: int = KEPT) -> None:
    """Once ``path`` has reached ``max_bytes``, move it to ``path.1`` (``.1`` to ``.2`` and so
    on, the oldest of ``kept`` dropped), as logging's RotatingFileHandler names them. Done at
    start-up, not mid-session: Keel writes a few lines an hour, and importing
    ``logging.handlers`` (sockets, pickle) costs ~10 ms of every start."""
    try:
        if path.stat().st_size < max_bytes:
            return
    except FileNotFoundError:
        return
    for n in range(kept - 1, 0, -1):
        older = path.with_name(f"{path.name}.{n}")
        if older.exists():
            os.replace(older, path.with_name(f"{path.name}.{n + 1}"))
    os.replace(path, path.with_name(f"{path.name}.1"))


def configure_logging(folder: Path, *, verbose: bool = False) -> Path | None:
    """Log to ``folder/keel.log`` (rotated at start-up once it reaches 1 MB, 5 kept). Returns
    the file, or None when the folder cannot be written."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    with contextlib.suppress(OSError):
        os.chmod(folder, 0o700)  # a folder an older Keel made 755
    path = folder / "keel.log"
    # Another Keel may have the log open (Windows will not rename an open file): then keep
    # logging to it; a later start rotates it.
    with contextlib.suppress(OSError):
        rotate(path)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        os.chmod(path, 0o600)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    return path


def file_kind(path: Path) -> str:
    """How the log names a file: by its kind ("a .pdf file"), never its path or name."""
    suffix = path.suffix.lower()
    return f"a {suffix} file" if suffix else "a file"


def error_kind(exc: BaseException) -> str:
    """An error as the log gives it, without the file names or text it may carry: its class
    and, for the environment's errors, the reason ("OSError: No space left on device")."""
    reason = getattr(exc, "strerror", None)
    return f"{type(exc).__name__}: {reason}" if isinstance(reason, str) else type(exc).__name__
