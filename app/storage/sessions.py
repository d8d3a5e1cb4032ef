"""Sessions with their decisions, actions, reviews, themes and attendees."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from app.domain.model import SessionStatus, TypeKey
from app.domain.records import (
    Action,
    ActionOwner,
    ActionReview,
    ActionStatus,
    CancelCategory,
    Decision,
    Escalation,
    Incident,
    Mode,
    Progress,
    SessionRecord,
    SupportKind,
    Workload,
)
from app.domain.rows import SessionSummary
from app.storage.db import Database, new_id, utc_now
from app.storage.rows import iso, to_date
from app.storage.schema import RECORD_COLUMNS_V11

_SESSION_COLUMNS = (
    "id", "type", "status", "session_date", "start_time", "duration_minutes", "mode",
    "supervisor_id", "worker_id", "cancel_reason", "cancel_category", "imported", "checklist",
    "issues", "case_discussion", "risk_link", "case_refs", "referral_refs", "wellbeing",
    "workload", "moral_distress", "support_offered", "confidential_notes", "location",
    *RECORD_COLUMNS_V11,
)  # fmt: skip


# The schema v11 columns as a record made before holds them.
_V11_EMPTY: dict[str, Any] = {
    column: "[]" if column in ("support_kinds", "incidents") else
    "" if column in ("supervisor_title", "wellbeing_concerns", "safeguarding_notes",
                     "workload_support", "staff_comments", "escalation_notes", "next_place",
                     "next_focus") else None
    for column in RECORD_COLUMNS_V11
}  # fmt: skip


def _bool_or_none(value: bool | None) -> int | None:
    return None if value is None else int(value)


def is_group_type(db: Database, type_: TypeKey) -> bool:
    """Whether ``type_`` is a group type (attendees, no single supervisee). An unknown key
    is refused the way a CHECK would refuse it."""
    row = db.execute("SELECT kind FROM supervision_types WHERE key = ?", [type_]).fetchone()
    if row is None:
        raise ValueError(f"there is no supervision type {type_!r}")
    return bool(row[0] == "group")


def _session_values(rec: SessionRecord, one_to_one: bool) -> dict[str, Any]:
    return {
        "type": rec.type,
        "status": rec.status.value,
        "session_date": rec.session_date.isoformat(),
        "start_time": rec.start_time or None,
        "duration_minutes": rec.duration_minutes,
        "mode": rec.mode.value if rec.mode else None,
        "supervisor_id": rec.supervisor_id,
        "worker_id": rec.worker_id if one_to_one else None,
        "cancel_reason": rec.cancel_reason.strip(),
        "cancel_category": (
            rec.cancel_category.value
            if rec.cancel_category and rec.status is SessionStatus.CANCELLED
            else None
        ),
        "imported": int(rec.imported),
        "checklist": json.dumps(rec.checklist, sort_keys=True),
        "issues": rec.issues,
        "case_discussion": rec.case_discussion,
        "risk_link": _bool_or_none(rec.risk_link),
        "case_refs": rec.case_refs.strip(),
        "referral_refs": rec.referral_refs.strip(),
        "wellbeing": rec.wellbeing if one_to_one else None,
        "workload": rec.workload.value if rec.workload and one_to_one else None,
        "moral_distress": _bool_or_none(rec.moral_distress) if one_to_one else None,
        "support_offered": rec.support_offered if one_to_one else "",
        "confidential_notes": rec.confidential_notes,
        "location": rec.location.strip(),
        **record_template_values(rec, one_to_one),
    }


def record_template_values(rec: SessionRecord, one_to_one: bool) -> dict[str, Any]:
    """The columns schema v11 added, as stored. A group session has no single supervisee:
    the supervisee's own items (sickness, wellbeing, workload, their comments, escalation
    about them) are not kept for it."""

    def mine(value: Any, empty: Any) -> Any:
        return value if one_to_one else empty

    return {
        "supervisor_title": rec.supervisor_title.strip(),
        "sickness_days": mine(rec.sickness_days, None),
        "return_to_work": mine(_bool_or_none(rec.return_to_work), None),
        "wellbeing_concerns": mine(rec.wellbeing_concerns, ""),
        "support_kinds": json.dumps(
            [k.value for k in dict.fromkeys(rec.support_kinds)] if one_to_one else []
        ),
        "incidents": json.dumps(
            [[i.case_ref.strip(), i.learning] for i in rec.incidents if i.case_ref.strip()],
            ensure_ascii=False,
        ),
        "safeguarding": _bool_or_none(rec.safeguarding),
        "safeguarding_notes": rec.safeguarding_notes,
        "workload_support": mine(rec.workload_support, ""),
        "staff_comments": mine(rec.staff_comments, ""),
        "escalation": mine(rec.escalation.value if rec.escalation else None, None),
        "escalation_notes": mine(rec.escalation_notes, ""),
        "next_date": iso(rec.next_date),
        "next_time": rec.next_time or None,
        "next_place": rec.next_place.strip(),
        "next_focus": rec.next_focus,
    }


def save_session(db: Database, rec: SessionRecord) -> SessionRecord:
    """Insert or replace a whole session record. Call inside a transaction.

    Decisions, themes, attendees and the reviews made in this session are replaced by what
    ``rec`` holds; actions created in this session are upserted (an action already reviewed
    elsewhere keeps its id). Returns the record with ids filled in.
    """
    now = utc_now()
    group = is_group_type(db, rec.type)
    values = _session_values(rec, not group)
    if not rec.id:
        rec.id = new_id()
        cols = ["id", *values, "created_at", "updated_at"]
        db.execute(
            f"INSERT INTO sessions ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
            [rec.id, *values.values(), now, now],
        )
    else:
        sets = ", ".join(f"{k} = ?" for k in values)
        db.execute(
            f"UPDATE sessions SET {sets}, updated_at = ? WHERE id = ?",
            [*values.values(), now, rec.id],
        )
    _replace_children(db, rec, now, group)
    return rec


def _replace_children(db: Database, rec: SessionRecord, now: str, group: bool) -> None:
    db.execute("DELETE FROM decisions WHERE session_id = ?", [rec.id])
    for pos, dec in enumerate(rec.decisions):
        dec.id = dec.id or new_id()
        db.execute(
            "INSERT INTO decisions (id, session_id, position, text, rationale) "
            "VALUES (?, ?, ?, ?, ?)",
            [dec.id, rec.id, pos, dec.text, dec.rationale],
        )
        for theme_id in dict.fromkeys(dec.theme_ids):
            db.execute(
                "INSERT INTO decision_themes (decision_id, theme_id) VALUES (?, ?)",
                [dec.id, theme_id],
            )
    db.execute("DELETE FROM session_attendees WHERE session_id = ?", [rec.id])
    if group:
        for worker_id in dict.fromkeys(rec.attendees):
            db.execute(
                "INSERT INTO session_attendees (session_id, worker_id) VALUES (?, ?)",
                [rec.id, worker_id],
            )
    db.execute("DELETE FROM session_themes WHERE session_id = ?", [rec.id])
    for theme_id in dict.fromkeys(rec.theme_ids):
        db.execute(
            "INSERT INTO session_themes (session_id, theme_id) VALUES (?, ?)", [rec.id, theme_id]
        )
    keep = [a.id for a in rec.actions if a.id]
    marks = ", ".join("?" for _ in keep)
    if keep:
        db.execute(
            f"DELETE FROM actions WHERE session_id = ? AND id NOT IN ({marks}) AND id NOT IN "
            "(SELECT action_id FROM action_reviews)",
            [rec.id, *keep],
        )
    else:
        db.execute(
            "DELETE FROM actions WHERE session_id = ? AND id NOT IN "
            "(SELECT action_id FROM action_reviews)",
            [rec.id],
        )
    for pos, act in enumerate(rec.actions):
        _upsert_action(db, rec, act, pos, now)
    _replace_reviews(db, rec, now)


def _action_worker(rec: SessionRecord, act: Action) -> str:
    if act.worker_id:
        return act.worker_id
    if rec.worker_id:
        return rec.worker_id
    if rec.attendees:
        return rec.attendees[0]
    raise ValueError("a group action needs a worker it belongs to")


def _upsert_action(db: Database, rec: SessionRecord, act: Action, pos: int, now: str) -> None:
    act.worker_id = _action_worker(rec, act)
    act.session_id = rec.id
    shared = act.owner is ActionOwner.BOTH
    owner = None if act.owner is None or shared else act.owner.value
    values = [
        act.worker_id, act.description, owner, act.owner_name,
        iso(act.due_date), act.evidence, act.status.value, act.completion_note,
        iso(act.closed_on), pos, iso(act.review_date), int(shared),
    ]  # fmt: skip
    if act.id:
        db.execute(
            "UPDATE actions SET worker_id = ?, description = ?, owner = ?, owner_name = ?, "
            "due_date = ?, evidence = ?, status = ?, completion_note = ?, closed_on = ?, "
            "position = ?, review_date = ?, shared = ?, updated_at = ? WHERE id = ?",
            [*values, now, act.id],
        )
        return
    act.id = new_id()
    db.execute(
        "INSERT INTO actions (id, session_id, worker_id, description, owner, owner_name, "
        "due_date, evidence, status, completion_note, closed_on, position, review_date, "
        "shared, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [act.id, rec.id, *values, now, now],
    )


def _replace_reviews(db: Database, rec: SessionRecord, now: str) -> None:
    """Store this session's review of carried-forward actions and apply each outcome."""
    db.execute("DELETE FROM action_reviews WHERE session_id = ?", [rec.id])
    for review in {r.action_id: r for r in rec.reviews}.values():  # one review per action
        progress = review.progress if review.outcome is ActionStatus.OPEN else None
        db.execute(
            "INSERT INTO action_reviews (id, action_id, session_id, outcome, note, progress, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [new_id(), review.action_id, rec.id, review.outcome.value, review.note,
             progress.value if progress else None, now],
        )  # fmt: skip
        closed_on = None if review.outcome is ActionStatus.OPEN else rec.session_date.isoformat()
        db.execute(
            "UPDATE actions SET status = ?, completion_note = CASE WHEN ? = '' THEN "
            "completion_note ELSE ? END, closed_on = ?, updated_at = ? WHERE id = ?",
            [review.outcome.value, review.note, review.note, closed_on, now, review.action_id],
        )


def _record_from_row(row: dict[str, Any]) -> SessionRecord:
    return SessionRecord(
        id=row["id"],
        type=row["type"],
        status=SessionStatus(row["status"]),
        session_date=date.fromisoformat(row["session_date"]),
        worker_id=row["worker_id"],
        supervisor_id=row["supervisor_id"],
        start_time=row["start_time"],
        duration_minutes=row["duration_minutes"],
        mode=Mode(row["mode"]) if row["mode"] else None,
        location=row["location"],
        cancel_reason=row["cancel_reason"],
        cancel_category=CancelCategory(row["cancel_category"]) if row["cancel_category"] else None,
        checklist={k: bool(v) for k, v in json.loads(row["checklist"]).items()},
        issues=row["issues"],
        case_discussion=row["case_discussion"],
        risk_link=None if row["risk_link"] is None else bool(row["risk_link"]),
        case_refs=row["case_refs"],
        referral_refs=row["referral_refs"],
        wellbeing=row["wellbeing"],
        workload=Workload(row["workload"]) if row["workload"] else None,
        moral_distress=None if row["moral_distress"] is None else bool(row["moral_distress"]),
        support_offered=row["support_offered"],
        confidential_notes=row["confidential_notes"],
        imported=bool(row["imported"]),
        supervisor_title=row["supervisor_title"],
        sickness_days=row["sickness_days"],
        return_to_work=None if row["return_to_work"] is None else bool(row["return_to_work"]),
        wellbeing_concerns=row["wellbeing_concerns"],
        support_kinds=[SupportKind(k) for k in json.loads(row["support_kinds"])],
        incidents=[Incident(str(c), str(t)) for c, t in json.loads(row["incidents"])],
        safeguarding=None if row["safeguarding"] is None else bool(row["safeguarding"]),
        safeguarding_notes=row["safeguarding_notes"],
        workload_support=row["workload_support"],
        staff_comments=row["staff_comments"],
        escalation=Escalation(row["escalation"]) if row["escalation"] else None,
        escalation_notes=row["escalation_notes"],
        next_date=to_date(row["next_date"]),
        next_time=row["next_time"],
        next_place=row["next_place"],
        next_focus=row["next_focus"],
    )


def _action_from_row(r: tuple[Any, ...]) -> Action:
    return Action(
        id=r[0], session_id=r[1], worker_id=r[2], description=r[3],
        owner=ActionOwner(r[4]) if r[4] else None, owner_name=r[5], due_date=to_date(r[6]),
        evidence=r[7], status=ActionStatus(r[8]), completion_note=r[9], closed_on=to_date(r[10]),
        review_date=to_date(r[11]),
    )  # fmt: skip


# An action's owner as the domain names it: a shared action (schema v11) is "both".
ACTION_OWNER_SQL = "CASE WHEN a.shared = 1 THEN 'both' ELSE a.owner END"
_ACTION_COLUMNS = (
    f"a.id, a.session_id, a.worker_id, a.description, {ACTION_OWNER_SQL}, a.owner_name, "
    "a.due_date, a.evidence, a.status, a.completion_note, a.closed_on, a.review_date"
)


_ACTION_COLUMNS_V10 = (
    "a.id, a.session_id, a.worker_id, a.description, a.owner, a.owner_name, a.due_date, "
    "a.evidence, a.status, a.completion_note, a.closed_on"
)


def has_v11(db: Database) -> bool:
    """Whether the file has schema v11's columns (the record an inspection template asks for)."""
    return any(r[1] == RECORD_COLUMNS_V11[0] for r in db.execute("PRAGMA table_info(sessions)"))


def get_session(db: Database, session_id: str) -> SessionRecord | None:
    current = has_v11(db)
    # A file before schema v11 is read too (a migration's own tests sign records there).
    columns = _SESSION_COLUMNS if current else _SESSION_COLUMNS[: -len(RECORD_COLUMNS_V11)]
    cur = db.execute(f"SELECT {', '.join(columns)} FROM sessions WHERE id = ?", [session_id])
    row = cur.fetchone()
    if row is None:
        return None
    found = dict(_V11_EMPTY)
    found.update(zip(columns, row, strict=True))
    rec = _record_from_row(found)
    rec.decisions = [
        Decision(text=t, rationale=r, id=i)
        for i, t, r in db.execute(
            "SELECT id, text, rationale FROM decisions WHERE session_id = ? ORDER BY position",
            [session_id],
        ).fetchall()
    ]
    by_decision = {d.id: d for d in rec.decisions}
    for decision_id, theme_id in db.execute(
        "SELECT dt.decision_id, dt.theme_id FROM decision_themes dt "
        "JOIN decisions d ON d.id = dt.decision_id WHERE d.session_id = ? ORDER BY dt.theme_id",
        [session_id],
    ).fetchall():
        by_decision[decision_id].theme_ids.append(theme_id)
    rec.attendees = [
        r[0]
        for r in db.execute(
            "SELECT sa.worker_id FROM session_attendees sa JOIN workers w ON w.id = sa.worker_id "
            "WHERE sa.session_id = ? ORDER BY w.name COLLATE NOCASE",
            [session_id],
        ).fetchall()
    ]
    rec.theme_ids = [
        r[0]
        for r in db.execute(
            "SELECT theme_id FROM session_themes WHERE session_id = ?", [session_id]
        ).fetchall()
    ]
    if current:
        action_rows = db.execute(
            f"SELECT {_ACTION_COLUMNS} FROM actions a WHERE a.session_id = ? ORDER BY a.position",
            [session_id],
        ).fetchall()
    else:
        action_rows = [
            (*r, None)
            for r in db.execute(
                f"SELECT {_ACTION_COLUMNS_V10} FROM actions a WHERE a.session_id = ? "
                "ORDER BY a.position",
                [session_id],
            )
        ]
    rec.actions = [_action_from_row(r) for r in action_rows]
    progress = "progress" if current else "NULL"
    rec.reviews = [
        ActionReview(
            action_id=r[0],
            outcome=ActionStatus(r[1]),
            note=r[2],
            progress=Progress(r[3]) if r[3] else None,
        )
        for r in db.execute(
            f"SELECT action_id, outcome, note, {progress} FROM action_reviews "
            "WHERE session_id = ? ORDER BY created_at",
            [session_id],
        ).fetchall()
    ]
    return rec


def open_actions_for(
    db: Database, worker_id: str, *, excluding_session: str | None = None
) -> list[Action]:
    """Open actions of a supervisee, oldest due first: carried forward into the next session."""
    rows = db.execute(
        f"SELECT {_ACTION_COLUMNS} FROM actions a JOIN sessions s ON s.id = a.session_id "
        "WHERE a.worker_id = ? AND a.status = 'open' AND a.session_id IS NOT ? "
        "ORDER BY a.due_date IS NULL, a.due_date, s.session_date",
        [worker_id, excluding_session],
    ).fetchall()
    return [_action_from_row(r) for r in rows]


def history_for(db: Database, worker_id: str) -> list[SessionSummary]:
    """Every session of a worker (one-to-one or attended group), newest first."""
    rows = db.execute(
        "SELECT s.id, s.type, s.status, s.session_date, coalesce(sup.name, ''), "
        "s.cancel_reason, s.imported FROM sessions s "
        "LEFT JOIN workers sup ON sup.id = s.supervisor_id "
        "WHERE s.worker_id = ? OR s.id IN "
        "(SELECT session_id FROM session_attendees WHERE worker_id = ?) "
        "ORDER BY s.session_date DESC, s.created_at DESC",
        [worker_id, worker_id],
    ).fetchall()
    return [
        SessionSummary(r[0], r[1], SessionStatus(r[2]),
                       date.fromisoformat(r[3]), r[4], r[5], bool(r[6]))
        for r in rows
    ]  # fmt: skip


def booked_from(db: Database, record_id: str) -> str | None:
    """The id of the session a record booked as its next one (its audit entry says so)."""
    row = db.execute(
        "SELECT entity_id FROM audit_log WHERE entity = 'session' AND action = 'create' "
        "AND json_extract(detail, '$.booked_from') = ? ORDER BY seq DESC LIMIT 1",
        [record_id],
    ).fetchone()
    return None if row is None else str(row[0])


def same_day_sessions(
    db: Database, worker_ids: list[str], type_: TypeKey, on: date
) -> list[tuple[str, SessionSummary]]:
    """(worker name, session) for each of these workers' sessions of ``type_`` on ``on``
    (their own, or a group they attended), any status; one query for them all."""
    rows = db.execute(
        "SELECT w.name, s.id, s.type, s.status, s.session_date, coalesce(sup.name, ''), "
        "s.cancel_reason, s.imported FROM workers w "
        "JOIN sessions s ON s.type = ? AND s.session_date = ? AND (s.worker_id = w.id OR "
        "s.id IN (SELECT session_id FROM session_attendees a WHERE a.worker_id = w.id)) "
        "LEFT JOIN workers sup ON sup.id = s.supervisor_id "
        "WHERE w.id IN (SELECT value FROM json_each(?)) ORDER BY w.name, s.created_at DESC",
        [type_, on.isoformat(), json.dumps(worker_ids)],
    ).fetchall()
    return [
        (r[0], SessionSummary(r[1], r[2], SessionStatus(r[3]), date.fromisoformat(r[4]),
                              r[5], r[6], bool(r[7])))
        for r in rows
    ]  # fmt: skip


def day_taken(
    db: Database, type_: TypeKey, on: date, *, worker_id: str | None, supervisor_id: str | None
) -> bool:
    """Whether ``on`` already has a session of ``type_`` that is not cancelled: the worker's
    own, or for a group (no ``worker_id``) one led by the same supervisor."""
    if worker_id:
        row = db.execute(
            "SELECT 1 FROM sessions WHERE worker_id = ? AND type = ? AND session_date = ? "
            "AND status <> 'cancelled'",
            [worker_id, type_, on.isoformat()],
        ).fetchone()
    else:
        row = db.execute(
            "SELECT 1 FROM sessions WHERE type = ? AND session_date = ? "
            "AND supervisor_id IS ? AND status <> 'cancelled'",
            [type_, on.isoformat(), supervisor_id],
        ).fetchone()
    return row is not None


def session_exists(
    db: Database,
    worker_id: str,
    type_: TypeKey,
    on: date,
    status: SessionStatus,
) -> bool:
    if is_group_type(db, type_):
        # CROSS JOIN: start from the worker's attendances (a handful). Left to itself SQLite
        # may start from every group session on that date — all of a team's, when a whole
        # tracker shares its last group date — which made an import of 10,000 rows quadratic.
        row = db.execute(
            "SELECT 1 FROM session_attendees a CROSS JOIN sessions s ON s.id = a.session_id "
            "WHERE a.worker_id = ? AND s.type = ? AND s.session_date = ? AND s.status = ?",
            [worker_id, type_, on.isoformat(), status.value],
        ).fetchone()
    else:
        row = db.execute(
            "SELECT 1 FROM sessions WHERE worker_id = ? AND type = ? AND session_date = ? "
            "AND status = ?",
            [worker_id, type_, on.isoformat(), status.value],
        ).fetchone()
    return row is not None


def is_signed(db: Database, session_id: str) -> bool:
    row = db.execute("SELECT signed_at FROM sessions WHERE id = ?", [session_id]).fetchone()
    return row is not None and row[0] is not None
