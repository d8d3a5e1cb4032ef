"""Set-based reads for the PDF reports: a fixed few queries per report, whatever its size."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.domain.model import SessionStatus
from app.domain.records import (
    Action,
    ActionOwner,
    ActionStatus,
    Decision,
    SessionRecord,
)
from app.domain.rows import SessionLine, WorkerAction
from app.domain.slots import slots_maker
from app.storage.db import Database
from app.storage.rows import EVERY_TYPE, to_date, type_kinds

# Enum members and dates by their stored text: a period holds thousands of rows repeating a
# handful of values, and a dict lookup is several times cheaper than calling the enum.
_STATUSES = {s.value: s for s in SessionStatus}


class _Days(dict[str, date]):
    """ISO date text → date, each distinct text converted once."""

    def __missing__(self, text: str) -> date:
        day = self[text] = date.fromisoformat(text)
        return day


# The team a session counts for: the supervisee's, or for a group the facilitator's.
_TEAM = "coalesce(nullif(w.team, ''), sup.team, '')"
_WHO = (
    "CASE WHEN (SELECT kind FROM supervision_types WHERE key = s.type) = 'group' THEN '' "
    "ELSE coalesce(w.name, '') END"
)


_new_line = slots_maker(SessionLine)


def _lines(db: Database, where: str, params: list[Any]) -> list[SessionLine]:
    rows = db.execute(
        f"SELECT s.id, s.type, s.status, s.session_date, {_WHO}, "
        "(SELECT count(*) FROM session_attendees a WHERE a.session_id = s.id), "
        f"coalesce(sup.name, ''), {_TEAM}, s.cancel_reason, s.signed_at, s.supervisee_response "
        "FROM sessions s LEFT JOIN workers w ON w.id = s.worker_id "
        "LEFT JOIN workers sup ON sup.id = s.supervisor_id "
        f"WHERE {where} ORDER BY s.session_date, coalesce(w.name, '') COLLATE NOCASE, s.id",
        params,
    ).fetchall()
    days = _Days()
    return [
        SessionLine(r[0], r[1], _STATUSES[r[2]], days[r[3]],
                    r[4], r[5], r[6], r[7], r[8], r[9], r[10])
        for r in rows
    ]  # fmt: skip


# Naming every type lets SQLite use the sessions(type, status, session_date) index.
_IN_PERIOD = f"s.{EVERY_TYPE} AND s.session_date BETWEEN ? AND ?"


def sessions_between(
    db: Database, date_from: date, date_to: date, status: SessionStatus
) -> list[SessionLine]:
    """Sessions with ``status`` dated in [date_from, date_to], oldest first."""
    return _lines(
        db,
        f"s.status = ? AND {_IN_PERIOD}",
        [status.value, date_from.isoformat(), date_to.isoformat()],
    )


def unsigned_held(db: Database, date_from: date, date_to: date) -> list[SessionLine]:
    """Held sessions in the period whose record the supervisor has not signed."""
    return _lines(
        db,
        f"s.status = 'held' AND s.signed_at IS NULL AND {_IN_PERIOD}",
        [date_from.isoformat(), date_to.isoformat()],
    )


def awaiting_response(db: Database, date_from: date, date_to: date) -> list[SessionLine]:
    """Signed one-to-one records in the period the supervisee has not yet responded to."""
    return _lines(
        db,
        "s.status = 'held' AND s.signed_at IS NOT NULL AND s.supervisee_response IS NULL "
        "AND s.type NOT IN (SELECT key FROM supervision_types WHERE kind = 'group') "
        f"AND {_IN_PERIOD}",
        [date_from.isoformat(), date_to.isoformat()],
    )


@dataclass(frozen=True, slots=True)
class QualityInput:
    """What the record-quality check needs of one held session, and where it belongs."""

    record: SessionRecord
    team: str
    supervisor_name: str
    supervisor_qualified: bool | None


_new_quality_input = slots_maker(QualityInput)


# The period's sessions without the joins and the sort: the workers are joined and the rows
# sorted in Python (one small read of the workers table; see ``period_sessions``).
_PERIOD_SESSIONS = (
    "SELECT s.id, s.type, s.status, s.session_date, s.worker_id, s.supervisor_id, "
    "s.cancel_reason, s.signed_at, s.supervisee_response, s.issues, s.case_discussion, "
    "s.risk_link, s.case_refs, s.referral_refs FROM sessions s "
    f"WHERE s.status IN ('held', 'cancelled', 'dna', 'planned') AND {_IN_PERIOD}"
)
# SQLite's NOCASE collation folds ASCII letters only.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def period_sessions(
    db: Database, date_from: date, date_to: date
) -> tuple[list[SessionLine], list[QualityInput]]:
    """Every session in the period as a report lists it, and the held ones loaded for the
    record-quality check (both oldest first), from one read
    of the period's sessions (plus one of their attendees, decisions and actions) instead of
    two: the same lines in the same order, the same held records in the same order."""
    params = [date_from.isoformat(), date_to.isoformat()]
    conn = db.conn
    groups = set(type_kinds(db).groups)
    # id → (name, team, qualified_clinical): the LEFT JOINs of ``_lines``, done here.
    people: dict[str, tuple[str, str, int]] = {
        wid: (name, team, qualified)
        for wid, name, team, qualified in conn.execute(
            "SELECT id, name, team, qualified_clinical FROM workers"
        )
    }
    # ``_lines``' order: date, then the supervisee's name (NOCASE), then id (unique).
    fold = _ASCII_LOWER
    nobody = ("", None, None)
    rows = sorted(
        conn.execute(_PERIOD_SESSIONS, params),
        key=lambda r: (r[3], (people.get(r[4]) or nobody)[0].translate(fold), r[0]),
    )
    attendees: dict[str, list[str]] = {}
    for sid, wid in conn.execute(
        "SELECT a.session_id, a.worker_id FROM sessions s "
        "JOIN session_attendees a ON a.session_id = s.id "
        f"WHERE s.status IN ('held', 'cancelled', 'dna', 'planned') AND {_IN_PERIOD}",
        params,
    ):
        found = attendees.get(sid)
        if found is None:
            attendees[sid] = [wid]
        else:
            found.append(wid)
    in_period = f"SELECT s.id FROM sessions s WHERE s.status = 'held' AND {_IN_PERIOD}"
    decisions: dict[str, list[Decision]] = defaultdict(list)
    for sid, text, rationale in conn.execute(
        f"SELECT session_id, text, rationale FROM decisions WHERE session_id IN ({in_period}) "
        "ORDER BY session_id, position",
        params,
    ):
        decisions[sid].append(Decision(text, rationale))
    owners = {o.value: o for o in ActionOwner}
    actions: dict[str, list[Action]] = defaultdict(list)
    for sid, description, owner, due in conn.execute(
        f"SELECT session_id, description, owner, due_date FROM actions "
        f"WHERE session_id IN ({in_period}) ORDER BY session_id, position",
        params,
    ):
        owned = None if not owner else owners.get(owner) or ActionOwner(owner)
        actions[sid].append(Action(description, owned, to_date(due)))
    days = _Days()
    new_line, new_input = _new_line, _new_quality_input
    lines: list[SessionLine] = []
    held: list[QualityInput] = []
    held_status = SessionStatus.HELD
    no_one: list[str] = []
    for (sid, type_text, status_text, on, wid, sup_id, cancel_reason, signed_at, response,
         issues, case, risk, case_refs, referral_refs) in rows:  # fmt: skip
        type_ = type_text
        status = _STATUSES[status_text]
        day = days[on]
        present = attendees.get(sid, no_one)
        worker = people.get(wid) if wid is not None else None
        sup = people.get(sup_id) if sup_id is not None else None
        # coalesce(nullif(w.team, ''), sup.team, '') and coalesce(sup.name, '')
        if worker is not None and worker[1]:
            team = worker[1]
        else:
            team = "" if sup is None or sup[1] is None else sup[1]
        sup_name = "" if sup is None or sup[0] is None else sup[0]
        qualified = None if sup is None else sup[2]
        who = "" if type_ in groups or worker is None else worker[0]
        lines.append(
            new_line(sid, type_, status, day, who, len(present), sup_name, team,
                     cancel_reason, signed_at, response)
        )  # fmt: skip
        if status is held_status:
            rec = SessionRecord(
                type=type_,
                status=held_status,
                session_date=day,
                worker_id=wid,
                supervisor_id=sup_id,
                issues=issues,
                case_discussion=case,
                risk_link=None if risk is None else bool(risk),
                case_refs=case_refs,
                referral_refs=referral_refs,
                decisions=decisions.get(sid, []),
                actions=actions.get(sid, []),
                attendees=list(present),
                id=sid,
            )
            held.append(
                new_input(rec, team, sup_name, None if qualified is None else bool(qualified))
            )
    # The held records by date, then id (the lines are by date, then name).
    held.sort(key=lambda q: (q.record.session_date, q.record.id))
    return lines, held


def actions_of_worker(db: Database, worker_id: str) -> list[WorkerAction]:
    """Every action of a worker, oldest session first."""
    rows = db.execute(
        "SELECT a.id, a.description, a.owner, a.owner_name, a.due_date, a.evidence, a.status, "
        "a.completion_note, a.closed_on, s.session_date, s.type FROM actions a "
        "JOIN sessions s ON s.id = a.session_id WHERE a.worker_id = ? "
        "ORDER BY s.session_date, a.position, a.id",
        [worker_id],
    ).fetchall()
    return [
        WorkerAction(r[0], r[1], ActionOwner(r[2]) if r[2] else None, r[3], to_date(r[4]), r[5],
                     ActionStatus(r[6]), r[7], to_date(r[8]), date.fromisoformat(r[9]),
                     r[10])
        for r in rows
    ]  # fmt: skip


def addenda_counts(db: Database, session_ids: list[str]) -> dict[str, int]:
    """How many addenda each of the given sessions has (absent when none)."""
    if not session_ids:
        return {}
    counts: dict[str, int] = {}
    for start in range(0, len(session_ids), 500):
        chunk = session_ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        for sid, n in db.execute(
            f"SELECT session_id, count(*) FROM addenda WHERE session_id IN ({marks}) "
            "GROUP BY session_id",
            chunk,
        ):
            counts[sid] = int(n)
    return counts
