"""Putting an exported file in place without ever destroying the one already there (not to be
confused with ``app.services.publishing``, which publishes to the service's server).

An export is written to a temporary file beside its target (``.<name>.<random>.keel-tmp``) and
flushed; then :func:`publish`, in one write transaction, appends its audit entry and renames
the temporary over the target, and commits. If the entry cannot be written (another program is
writing to the database for longer than the busy timeout, the database is read-only, the disk
is full) nothing is renamed; if the rename fails, the entry is rolled back; if the commit itself
fails after the rename, the file that was there is put back from a hard link (or copy) taken
just before. So there is never an export without its audit entry, nor an entry for a file that
was not written, and whatever fails, the file at the target is exactly as it was.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from app import dbapi
from app.errors import KeelError, StorageError
from app.services.temporaries import export_temporary_name, forget_export_temporary
from app.storage import audit
from app.storage.db import Database, transaction

log = logging.getLogger(__name__)


class NotPublished(KeelError):
    """The export was not put in place; the file at its target (if any) is unchanged."""


def temporary_for(out: Path, kind: str = "tmp") -> Path:
    """Where an export to ``out`` is built: a hidden file in the same folder (same disk, so
    the final rename is atomic), named by this process and noted in Keel's state folder so
    that the next start removes it if this process is killed (``app.services.temporaries``)."""
    return export_temporary_name(out, kind)


def discard(path: Path | None) -> None:
    """Remove a temporary (and its note)."""
    if path is not None:
        with contextlib.suppress(OSError):
            path.unlink()
        forget_export_temporary(path)


def _keep(out: Path) -> Path | None:
    """A second name for the file at ``out`` (None when there is none), so that it can be put
    back if the commit fails after the rename."""
    if not out.exists():
        return None
    kept = temporary_for(out, "old")
    try:
        os.link(out, kept)
    except OSError:  # a file system without hard links (FAT): a copy
        shutil.copy2(out, kept)
    return kept


def publish(
    db: Database,
    tmp: Path,
    out: Path,
    *,
    action: str,
    entity: str,
    entity_id: str | None,
    detail: dict[str, Any],
    what: str,
) -> None:
    """Audit and rename ``tmp`` (complete and flushed) over ``out`` as one step (see the
    module). Raises ``NotPublished`` when the audit entry could not be written, or the
    ``OSError`` of a failed rename; either way ``tmp`` is removed and ``out`` is unchanged."""
    existed = out.exists()
    kept: Path | None = None
    renamed = False
    try:
        with transaction(db, f"record the {action} in the audit trail"):
            audit.append(db, action, entity, entity_id, {**detail, "file": out.name})
            kept = _keep(out)
            os.replace(tmp, out)
            renamed = True
    except (StorageError, dbapi.Error) as exc:
        if renamed:  # the commit failed after the rename: put the old file back
            if kept is not None:
                os.replace(kept, out)
                kept = None
            else:
                discard(out)
        discard(tmp)
        log.warning("%s not exported: its audit entry could not be written (%s)", what, exc)
        was = f"{out.name} is as it was." if existed else "No file was written."
        why = str(exc) if isinstance(exc, KeelError) else f"Could not record the {action}: {exc}."
        raise NotPublished(f"The {what} was not saved. {why} {was}") from exc
    except BaseException:
        discard(tmp)
        raise
    finally:
        discard(kept)
        if renamed:
            forget_export_temporary(tmp)  # it is the exported file now
