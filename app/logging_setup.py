"""A log file in the user log folder, rotated when Keel starts (and nothing on the console
unless asked)."""

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
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    path = folder / "keel.log"
    # Another Keel may have the log open (Windows will not rename an open file): then keep
    # logging to it; a later start rotates it.
    with contextlib.suppress(OSError):
        rotate(path)
    try:
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    return path
