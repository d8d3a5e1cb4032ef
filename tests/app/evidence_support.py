"""Helpers for the evidence tests (not collected as tests): a database built once per module in
its own state folder, and copies of it as Keel leaves a database it has used where it lies."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from app.storage import witness
from app.storage.db import Database, close_database, connect, open_database


def built_once(folder: Path, fill: Callable[[Database], object], name: str = "keel.db") -> Path:
    """A database made in ``folder`` and filled by ``fill`` — with its witness in a state folder
    of its own, never the real user's (module fixtures run outside the per-test folders)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_STATE_HOME", str(folder / "state"))
        path = folder / name
        db = open_database(path)
        try:
            fill(db)
        finally:
            close_database(db)
    return path


def used_copy(template: Path, path: Path) -> Path:
    """``template`` copied to ``path``, with the witness Keel would have written there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, path)
    db = connect(path)
    try:
        witness.refresh(db)
    finally:
        db.close()
    return path
