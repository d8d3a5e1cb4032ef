"""What a worker's history pack prints, gathered in one pass: the report
(``app.services.reports.history``) lays it out and reads nothing itself.

Each record is read once (the pack used to read every record, its sign-off and its addenda
separately in three sections).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, tzinfo
from pathlib import Path

from app.dates import uk
from app.domain.catalogue import Catalogue
from app.domain.model import StoredAssessment, Worker
from app.domain.records import SessionRecord
from app.domain.rows import Addendum, SignOff, WorkerAction
from app.domain.schedule import WorkerStatus, worker_status
from app.errors import UsageError
from app.services.reports.common import Cancelled, Progress
from app.storage.db import Database
from app.storage.evidence import addenda_for, sign_off_state
from app.storage.policies import policy_history
from app.storage.reporting import actions_of_worker
from app.storage.schedule_facts import load_worker_facts
from app.storage.sessions import get_session, history_for
from app.storage.workers import assessments_for, get_worker


@dataclass(frozen=True)
class HistoryData:
    """A worker's history for [date_from, date_to], as on ``as_of`` (the end of the period or
    today, whichever is earlier)."""

    worker: Worker
    date_from: date
    date_to: date
    as_of: date
    catalogue: Catalogue
    service_name: str
    zone: tzinfo
    names: dict[str, str]  # worker id → name, for supervisors the pack names
    status: WorkerStatus | None  # None: not in post on ``as_of``
    assessments: list[StoredAssessment]  # up to ``date_to``, newest first
    records: list[SessionRecord]  # in the period, oldest first
    sign_offs: dict[str, SignOff]  # held records' sign-off, by record id
    addenda: dict[str, list[Addendum]]  # by record id
    actions: list[WorkerAction]  # every action of the worker, oldest session first


def gather_history(
    db: Database, worker_id: str, date_from: date, date_to: date, *, today: date
) -> HistoryData:
    """Everything the history pack prints; ``UsageError`` for a reversed period or an unknown
    worker."""
    if date_from > date_to:
        raise UsageError(
            f"The period starts ({uk(date_from)}) after it ends ({uk(date_to)}): swap the dates."
        )
    worker = get_worker(db, worker_id)
    if worker is None:
        raise UsageError(f"There is no worker with id {worker_id}.")
    as_of = min(date_to, today)
    history = policy_history(db)
    newest = history.in_force(today).policy
    in_range = [
        s for s in reversed(history_for(db, worker.id)) if date_from <= s.session_date <= date_to
    ]
    records = [r for r in (get_session(db, s.id) for s in in_range) if r is not None]
    wanted = {worker.line_supervisor_id, worker.clinical_supervisor_id}
    wanted |= {r.supervisor_id for r in records}
    names: dict[str, str] = {}
    for wid in sorted(w for w in wanted if w):
        other = get_worker(db, wid)
        if other is not None:
            names[wid] = other.name
    started = worker.start_date is None or worker.start_date <= as_of
    in_post = started and (worker.left_on is None or worker.left_on > as_of)
    facts = load_worker_facts(db, as_of, include_left=True, worker_ids=[worker.id])
    status = (
        worker_status(facts[0], history.in_force(as_of).policy, as_of)
        if facts and in_post
        else None
    )
    return HistoryData(
        worker=worker,
        date_from=date_from,
        date_to=date_to,
        as_of=as_of,
        catalogue=history.display_catalogue(as_of),
        service_name=newest.service_name,
        zone=newest.zone(),
        names=names,
        status=status,
        assessments=[a for a in assessments_for(db, worker.id) if a.assessed_on <= date_to],
        records=records,
        sign_offs={r.id: _own_sign_off(db, r, worker.id) for r in records},
        addenda={r.id: addenda_for(db, r.id) for r in records},
        actions=actions_of_worker(db, worker.id),
    )


def _own_sign_off(db: Database, record: SessionRecord, worker_id: str) -> SignOff:
    """A record's sign-off as the worker's history shows it: for a group record, the
    worker's own response as an attendee (each attendee responds in their own name)."""
    from dataclasses import replace

    from app.storage.group_acks import responses_for

    state = sign_off_state(db, record.id)
    if not record.attendees:
        return state
    own = responses_for(db, record.id).get(worker_id)
    return replace(
        state,
        supervisee_response=own.response if own else None,
        supervisee_name=own.name if own else "",
        supervisee_comment=own.comment if own else "",
        supervisee_responded_at=own.responded_at if own else None,
    )


def build_worker_history_pdf(
    db: Database,
    worker_id: str,
    date_from: date,
    date_to: date,
    out: Path,
    *,
    include_confidential: bool = False,
    today: date | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> Path:
    """Gather a worker's history for [date_from, date_to] and write its pack to ``out``.

    The due status is shown on ``date_to`` or today, whichever is earlier."""
    data = gather_history(db, worker_id, date_from, date_to, today=today or date.today())
    from app.services.reports.history import write_worker_history_pdf

    return write_worker_history_pdf(
        data, out, include_confidential=include_confidential, progress=progress,
        cancelled=cancelled,
    )  # fmt: skip
