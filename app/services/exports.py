"""PDF exports the desktop app and the command line share.

Each export is written to a temporary file in the target folder, its audit entry is written,
and only then is it renamed into place (``app.services.export_files``): a failed or cancelled
export never leaves a half-written file, an export whose audit entry cannot be written is not
made, and a file already at that path is never damaged or removed.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.dates import uk
from app.domain.governance import Forum
from app.domain.model import TypeKey
from app.errors import KeelError, UsageError
from app.logging_setup import error_kind, file_kind
from app.services.export_files import NotPublished, discard, publish, temporary_for
from app.services.reports.common import Cancelled, ExportCancelled, Progress
from app.storage.db import Database
from app.storage.policies import current_policy
from app.storage.themes import list_themes

if TYPE_CHECKING:
    from app.services.record_view import RecordView

log = logging.getLogger(__name__)

__all__ = ["ExportCancelled", "ExportFailed", "ExportService"]


class ExportFailed(KeelError):
    """The PDF could not be written (disk full, folder read-only…); no file was left."""


def _why(exc: OSError, folder: Path, target: Path | None = None) -> str:
    code = exc.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return f"there is not enough space in {folder}. Free some space or choose another folder"
    if code in (errno.EACCES, errno.EPERM) and target is not None and target.exists():
        # Windows refuses to replace a file another program has open.
        return (
            f"{target.name} could not be replaced: close it if it is open in another program "
            "(a PDF viewer), or choose another name"
        )
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{folder} cannot be written to. Choose another folder"
    if code == errno.ENAMETOOLONG:
        return "the file name is too long. Choose a shorter name"
    return f"{exc.strerror or exc}"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDWR)  # Windows cannot flush a handle opened read-only
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_range(date_from: date, date_to: date) -> None:
    if date_from > date_to:
        raise UsageError(
            f"The period starts ({uk(date_from)}) after it ends ({uk(date_to)}): swap the dates."
        )


class ExportService:
    """Write Keel's PDF reports safely and audit each one."""

    def __init__(self, db: Database, *, today: Callable[[], date] = date.today):
        self._db = db
        self._today = today

    # Reports ------------------------------------------------------------------------------

    def record(self, session_id: str, out: Path, include_confidential: bool = False) -> Path:
        """One session record."""
        from app.services.reports.record import write_record_pdf

        # Gathered first (an unknown record is refused before any file is made), then laid out.
        view = self._record_view(session_id, include_confidential)
        return self._write(
            out,
            lambda tmp: write_record_pdf(view, tmp),
            "session",
            session_id,
            {"report": "record", "include_confidential": include_confidential},
        )

    def _record_view(self, session_id: str, include_confidential: bool) -> RecordView:
        from app.services.record_view import gather_record

        return gather_record(
            self._db, session_id, include_confidential=include_confidential, today=self._today()
        )

    def worker_history(
        self,
        worker_id: str,
        date_from: date,
        date_to: date,
        out: Path,
        include_confidential: bool = False,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> Path:
        """A worker's history pack for a period; cancellable (``ExportCancelled``)."""
        from app.services.history_data import gather_history
        from app.services.reports.history import write_worker_history_pdf

        _check_range(date_from, date_to)
        # Gathered first (an unknown worker is refused before any file is made), then laid out.
        data = gather_history(self._db, worker_id, date_from, date_to, today=self._today())
        return self._write(
            out,
            lambda tmp: write_worker_history_pdf(
                data,
                tmp,
                include_confidential=include_confidential,
                progress=progress,
                cancelled=cancelled,
            ),
            "worker",
            worker_id,
            {
                "report": "worker_history",
                "from": date_from.isoformat(),
                "to": date_to.isoformat(),
                "include_confidential": include_confidential,
            },
        )

    def compliance(
        self,
        date_from: date,
        date_to: date,
        out: Path,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> Path:
        """The team compliance pack for a period; cancellable (``ExportCancelled``)."""
        from app.services.compliance_data import write_compliance_pack

        _check_range(date_from, date_to)
        return self._write(
            out,
            lambda tmp: write_compliance_pack(
                self._db,
                date_from,
                date_to,
                tmp,
                progress=progress,
                cancelled=cancelled,
                today=self._today(),
            ),
            "service",
            None,
            {
                "report": "compliance",
                "from": date_from.isoformat(),
                "to": date_to.isoformat(),
                "include_confidential": False,
            },
        )

    def blank(self, type_: TypeKey, out: Path) -> Path:
        """A blank paper form for one supervision type, with the service's theme list."""
        from app.services.reports.blank import build_blank_form_pdf
        from app.services.reports.record import record_footer

        policy = current_policy(self._db, self._today())
        spec = policy.catalogue.get(type_)
        if spec is None:
            known = ", ".join(policy.catalogue.keys)
            raise UsageError(f"There is no supervision type {type_!r} in the policy ({known}).")
        themes = [t.name for t in list_themes(self._db)]
        return self._write(
            out,
            lambda tmp: build_blank_form_pdf(
                spec,
                tmp,
                service_name=policy.service_name,
                themes=themes,
                time_zone=policy.zone(),
                copy_days=policy.copy_deadline_working_days,
                footer=record_footer(policy),
            ),
            "blank_form",
            type_,
            {"report": "blank_form", "type": type_, "include_confidential": False},
        )

    def mdt_agenda(
        self,
        meeting_date: date,
        forum: Forum,
        out: Path,
        *,
        team: str | None = None,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> Path:
        """The agenda of one governance meeting (no confidential notes, case codes only), with
        space for each item's outcome; overdue is counted to the meeting date or today,
        whichever is earlier."""
        from app.services.agenda import write_mdt_agenda

        def build(tmp: Path) -> Path:
            return write_mdt_agenda(
                self._db,
                meeting_date,
                forum,
                tmp,
                team=team,
                progress=progress,
                cancelled=cancelled,
                today=self._today(),
            )

        detail = {"report": "mdt_agenda", "forum": forum.value,
                  "meeting": meeting_date.isoformat(), "team": team}  # fmt: skip
        return self._write(out, build, "governance_meeting", None, detail)

    # The safe write -----------------------------------------------------------------------

    def _write(
        self,
        out: Path,
        build: Callable[[Path], object],
        entity: str,
        entity_id: str | None,
        detail: dict[str, Any],
        action: str = "export",
    ) -> Path:
        out = Path(out)
        folder = out.parent if str(out.parent) else Path(".")
        if out.is_dir():
            raise UsageError(f"{out} is a folder: give a file name, for example report.pdf.")
        if not folder.is_dir():
            raise UsageError(f"The folder {folder} does not exist: create it or choose another.")
        tmp = temporary_for(out)
        try:
            build(tmp)
            _fsync(tmp)
            publish(self._db, tmp, out, action=action, entity=entity, entity_id=entity_id,
                    detail=detail, what="PDF")  # fmt: skip
        except NotPublished as exc:
            raise ExportFailed(str(exc)) from exc
        except OSError as exc:
            self._discard(tmp)
            log.warning("export of %s failed (%s)", file_kind(out), error_kind(exc))
            raise ExportFailed(
                f"The PDF was not saved: {_why(exc, folder, out)}. "
                + (f"{out.name} is as it was." if out.exists() else "No file was written.")
            ) from exc
        except BaseException:
            self._discard(tmp)
            raise
        log.info("exported %s %s as %s", detail.get("report"), entity_id or "", file_kind(out))
        return out

    @staticmethod
    def _discard(path: Path) -> None:
        discard(path)

    # Printing -----------------------------------------------------------------------------

    PRINT_PREFIX = "Keel print copy "
    PRINT_KEEP_SECONDS = 24 * 3600

    def print_copy(self, session_id: str, folder: Path, include_confidential: bool = False) -> Path:
        """One session record written to ``folder`` for printing from a PDF viewer.

        Audited as a print, not an export. ``folder`` holds only print copies: copies older
        than a day are deleted first, so printed records do not pile up on the laptop.
        """
        from app.services.reports.record import write_record_pdf

        view = self._record_view(session_id, include_confidential)
        folder = Path(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExportFailed(
                f"The print copy was not made: {_why(exc, folder)}. No file was written."
            ) from exc
        cutoff = time.time() - self.PRINT_KEEP_SECONDS
        for old in folder.glob(f"{self.PRINT_PREFIX}*.pdf"):
            with contextlib.suppress(OSError):
                if old.stat().st_mtime < cutoff:
                    old.unlink()
        stamp = datetime.now().strftime("%Y-%m-%d %H%M%S")
        out = folder / f"{self.PRINT_PREFIX}{stamp} {session_id[:8]}.pdf"
        return self._write(
            out,
            lambda tmp: write_record_pdf(view, tmp),
            "session",
            session_id,
            {"report": "record", "include_confidential": include_confidential},
            action="print",
        )
