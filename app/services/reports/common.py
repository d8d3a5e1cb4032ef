"""What callers of the reports need without importing ReportLab (≈0.2 s): the progress and
cancel callables and the cancellation error."""

from __future__ import annotations

from collections.abc import Callable

from app.errors import KeelError

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]


class ExportCancelled(KeelError):
    """The user stopped an export; no file was written."""

    def __init__(self) -> None:
        super().__init__("The export was cancelled: no file was written.")
