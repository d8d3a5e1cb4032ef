"""A rotating log file in the user log folder (and nothing on the console unless asked)."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path


def configure_logging(folder: Path, *, verbose: bool = False) -> Path | None:
    """Log to ``folder/keel.log`` (rotated at 1 MB, 5 kept). Returns the file, or None."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "keel.log"
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=1_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    return path
