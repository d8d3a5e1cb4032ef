"""Python's cyclic garbage collector, paused around work that makes many small objects and no
reference cycles (a schedule, a year's compliance figures, a database check): its passes over
them find nothing to free, yet each full pass walks every live object again."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collection_paused() -> Iterator[None]:
    """No cyclic collection inside the block. Whatever the caller had (enabled or not) is
    restored; collection is only deferred, never skipped."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
