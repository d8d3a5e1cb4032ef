"""A worker's leave, overrides and trigger events as services hand them to screens.

Apart from the other rows (``app.domain.rows``, which re-exports them): the scheduler needs
only these to open, and the other thirteen row classes cost ≈10 ms of the start-up to make.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.domain.model import LeaveKind, TriggerKind, TypeKey


@dataclass(frozen=True, slots=True)
class StoredLeave:
    id: str
    worker_id: str
    kind: LeaveKind
    start: date
    end: date | None
    note: str


@dataclass(frozen=True, slots=True)
class StoredOverride:
    id: str
    worker_id: str
    type: TypeKey
    interval_days: int
    reason: str
    starts_on: date | None
    expires_on: date


@dataclass(frozen=True, slots=True)
class StoredTrigger:
    id: str
    worker_id: str
    kind: TriggerKind
    event_date: date
    type: TypeKey
    response_days: int
    note: str
