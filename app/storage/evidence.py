"""Sign-off, the supervisee's response, addenda and record fingerprints.

Two canonical forms of a signed record live here, read in bulk from its rows:

* the *fingerprint* (``fingerprint_of(canonical_content(...))``), printed on the record. It
  covers what the record says as signed, and must keep verifying for ever: it is computed from
  stored values, which no migration may change for a signed record (a later version may change
  how a value is *labelled* on screen or paper, never the value);
* the *evidence form* (``app.storage.evidence_kinds``), whose hash the sign-off's audit entry
  carries: every stored column of the session and of the rows that belong to it, except the
  few that change legitimately after signing (the supervisee's response, its own evidence; an
  action's progress). The column lists below say which.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.domain.rows import Addendum, SignOff
from app.storage.db import Database, new_id, utc_now
from app.storage.sessions import get_session


def sign_off_state(db: Database, session_id: str) -> SignOff:
    row = db.execute(
        "SELECT signed_at, signed_by_name, signed_by_id, fingerprint, supervisee_response, "
        "supervisee_name, supervisee_comment, supervisee_responded_at FROM sessions WHERE id = ?",
        [session_id],
    ).fetchone()
    if row is None:
        raise KeyError(session_id)
    return SignOff(*row)


def canonical_content(db: Database, session_id: str) -> dict[str, Any]:
    """The record's content as signed, in a stable form (actions' later progress excluded)."""
    rec = get_session(db, session_id)
    if rec is None:
        raise KeyError(session_id)
    state = sign_off_state(db, session_id)

    def day(value: date | None) -> str | None:
        return None if value is None else value.isoformat()

    content: dict[str, Any] = {
        "id": rec.id,
        "type": rec.type,
        "status": rec.status.value,
        "session_date": rec.session_date.isoformat(),
        "start_time": rec.start_time,
        "duration_minutes": rec.duration_minutes,
        "mode": rec.mode.value if rec.mode else None,
        "location": rec.location,
        "supervisor_id": rec.supervisor_id,
        "worker_id": rec.worker_id,
        "cancel_reason": rec.cancel_reason,
        "attendees": sorted(rec.attendees),
        "checklist": rec.checklist,
        "issues": rec.issues,
        "case_discussion": rec.case_discussion,
        "decisions": [[d.text, d.rationale] for d in rec.decisions],
        "actions": [
            [
                a.description,
                a.owner.value if a.owner else None,
                a.owner_name,
                day(a.due_date),
                a.evidence,
                a.worker_id,
            ]
            for a in rec.actions
        ],
        "reviews": sorted([r.action_id, r.outcome.value, r.note] for r in rec.reviews),
        "risk_link": rec.risk_link,
        "case_refs": rec.case_refs,
        "referral_refs": rec.referral_refs,
        "themes": sorted(rec.theme_ids),
        "wellbeing": rec.wellbeing,
        "workload": rec.workload.value if rec.workload else None,
        "moral_distress": rec.moral_distress,
        "support_offered": rec.support_offered,
        "confidential_notes": rec.confidential_notes,
        "imported": rec.imported,
        "signed_at": state.signed_at,
        "signed_by_name": state.signed_by_name,
        "signed_by_id": state.signed_by_id,
    }
    # Themes on single decisions arrived with schema v4. The key is present only when a
    # decision carries a theme, so every fingerprint made before v4 still verifies.
    if any(d.theme_ids for d in rec.decisions):
        content["decision_themes"] = [sorted(d.theme_ids) for d in rec.decisions]
    return content


def fingerprint_of(content: dict[str, Any]) -> str:
    payload = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def sign(db: Database, session_id: str, signer_name: str, signer_id: str | None) -> str:
    """Sign and lock the record (call inside a transaction). Returns its fingerprint.

    The fingerprint covers the signature itself, so it is computed first and written in the
    same statement that sets ``signed_at`` (after which the lock trigger refuses any change).
    """
    at = utc_now()
    content = canonical_content(db, session_id)
    content.update(signed_at=at, signed_by_name=signer_name.strip(), signed_by_id=signer_id)
    fingerprint = fingerprint_of(content)
    db.execute(
        "UPDATE sessions SET signed_at = ?, signed_by_name = ?, signed_by_id = ?, "
        "fingerprint = ? WHERE id = ? AND signed_at IS NULL",
        [at, signer_name.strip(), signer_id, fingerprint, session_id],
    )
    return fingerprint


def respond(db: Database, session_id: str, response: str, name: str, comment: str) -> None:
    db.execute(
        "UPDATE sessions SET supervisee_response = ?, supervisee_name = ?, "
        "supervisee_comment = ?, supervisee_responded_at = ? WHERE id = ?",
        [response, name.strip(), comment.strip(), utc_now(), session_id],
    )


def add_addendum(db: Database, session_id: str, author: str, reason: str, text: str) -> Addendum:
    addendum = Addendum(new_id(), session_id, author.strip(), reason.strip(), text, utc_now())
    db.execute(
        "INSERT INTO addenda (id, session_id, author, reason, text, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [addendum.id, session_id, addendum.author, addendum.reason, text, addendum.created_at],
    )
    return addendum


def addenda_for(db: Database, session_id: str) -> list[Addendum]:
    rows = db.execute(
        "SELECT id, session_id, author, reason, text, created_at FROM addenda "
        "WHERE session_id = ? ORDER BY created_at, id",
        [session_id],
    ).fetchall()
    return [Addendum(*r) for r in rows]


def verify_fingerprints(db: Database) -> list[str]:
    """Signed records whose content no longer matches the fingerprint stored at signing."""
    problems = []
    rows = signed_rows(db, None)
    for session_id, found in rows.sessions.items():
        try:
            actual = fingerprint_of(rows.fingerprint_content(session_id))
        except (ValueError, TypeError, AttributeError) as exc:
            actual = f"unreadable: {exc}"
        if actual != found["fingerprint"]:
            who = rows.worker_names.get(found["worker_id"] or "", "group")
            problems.append(
                f"signed {found['type']} record of {found['session_date']} ({who}, id "
                f"{session_id}) does not match its fingerprint: its content was changed after "
                "sign-off"
            )
    return problems


# --------------------------------------------------------------------------- in bulk

# The response's columns: their own evidence (``response``), left out of the record's form.
RESPONSE_COLUMNS = (
    "supervisee_response", "supervisee_name", "supervisee_comment", "supervisee_responded_at",
)  # fmt: skip
# Every other column of a signed session: its evidence form (form 1).
SIGNED_SESSION_COLUMNS = (
    "id", "type", "status", "session_date", "start_time", "duration_minutes", "mode",
    "supervisor_id", "worker_id", "cancel_reason", "imported", "created_at", "updated_at",
    "checklist", "issues", "case_discussion", "risk_link", "case_refs", "referral_refs",
    "wellbeing", "workload", "moral_distress", "support_offered", "confidential_notes",
    "location", "signed_at", "signed_by_name", "signed_by_id", "fingerprint", "cancel_category",
)  # fmt: skip
DECISION_COLUMNS = ("id", "session_id", "position", "text", "rationale")
# An action as signed; its progress (status, completion note, closed on, updated at) moves on
# legitimately after sign-off, when it is closed or reviewed in a later session.
SIGNED_ACTION_COLUMNS = (
    "id", "session_id", "worker_id", "description", "owner", "owner_name", "due_date",
    "evidence", "position", "created_at",
)  # fmt: skip
ACTION_PROGRESS_COLUMNS = ("status", "completion_note", "closed_on", "updated_at")
REVIEW_COLUMNS = ("id", "action_id", "session_id", "outcome", "note", "created_at")


def _only(ids: list[str] | None, column: str) -> tuple[str, list[Any]]:
    if ids is None:
        return "", []
    return f" AND {column} IN (SELECT value FROM json_each(?))", [json.dumps(ids)]


@dataclass
class SignedRows:
    """Every stored row of some signed records, read with one query per table."""

    sessions: dict[str, dict[str, Any]]
    decisions: dict[str, list[tuple[Any, ...]]]
    decision_themes: dict[str, list[tuple[str, str]]]
    actions: dict[str, list[tuple[Any, ...]]]
    reviews: dict[str, list[tuple[Any, ...]]]
    themes: dict[str, list[str]]
    attendees: dict[str, list[str]]
    worker_names: dict[str, str]

    def fingerprint_content(self, session_id: str) -> dict[str, Any]:
        """Exactly :func:`canonical_content` of a signed record, from the rows in hand."""
        s = self.sessions[session_id]

        def flag(value: Any) -> bool | None:
            return None if value is None else bool(value)

        by_decision: dict[str, list[str]] = defaultdict(list)
        for decision_id, theme_id in self.decision_themes[session_id]:
            by_decision[decision_id].append(theme_id)
        decisions = self.decisions[session_id]  # in position order
        content: dict[str, Any] = {
            "id": s["id"],
            "type": s["type"],
            "status": s["status"],
            "session_date": date.fromisoformat(s["session_date"]).isoformat(),
            "start_time": s["start_time"],
            "duration_minutes": s["duration_minutes"],
            "mode": s["mode"] or None,
            "location": s["location"],
            "supervisor_id": s["supervisor_id"],
            "worker_id": s["worker_id"],
            "cancel_reason": s["cancel_reason"],
            "attendees": sorted(self.attendees[session_id]),
            "checklist": {k: bool(v) for k, v in json.loads(s["checklist"]).items()},
            "issues": s["issues"],
            "case_discussion": s["case_discussion"],
            "decisions": [[d[3], d[4]] for d in decisions],
            "actions": [
                [a[3], a[4] or None, a[5], _day(a[6]), a[7], a[2]] for a in self.actions[session_id]
            ],
            "reviews": sorted([r[1], r[3], r[4]] for r in self.reviews[session_id]),
            "risk_link": flag(s["risk_link"]),
            "case_refs": s["case_refs"],
            "referral_refs": s["referral_refs"],
            "themes": sorted(self.themes[session_id]),
            "wellbeing": s["wellbeing"],
            "workload": s["workload"] or None,
            "moral_distress": flag(s["moral_distress"]),
            "support_offered": s["support_offered"],
            "confidential_notes": s["confidential_notes"],
            "imported": bool(s["imported"]),
            "signed_at": s["signed_at"],
            "signed_by_name": s["signed_by_name"],
            "signed_by_id": s["signed_by_id"],
        }
        if any(by_decision.get(d[0]) for d in decisions):
            content["decision_themes"] = [sorted(by_decision.get(d[0], [])) for d in decisions]
        return content


def _day(value: str | None) -> str | None:
    return None if value is None else date.fromisoformat(value).isoformat()


def signed_rows(db: Database, ids: list[str] | None, *, signed_only: bool = True) -> SignedRows:
    """The rows of the signed records ``ids`` (every signed record when None; with
    ``signed_only`` False, of the records ``ids`` whether signed or not)."""
    only, args = _only(ids, "s.id")
    signed = f"s.signed_at IS NOT NULL{only}" if signed_only else f"1 = 1{only}"
    columns = ", ".join(f"s.{c}" for c in SIGNED_SESSION_COLUMNS)
    sessions = {
        r[0]: dict(zip(SIGNED_SESSION_COLUMNS, r, strict=True))
        for r in db.execute(f"SELECT {columns} FROM sessions s WHERE {signed}", args)
    }

    def grouped(sql: str, width: int) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = defaultdict(list)
        for row in db.execute(sql, args):
            out[row[-1]].append(row[0] if width == 1 else tuple(row[:width]))
        return out

    def cols(alias: str, names: tuple[str, ...]) -> str:
        return ", ".join(f"{alias}.{c}" for c in names)

    action_cols = SIGNED_ACTION_COLUMNS + ACTION_PROGRESS_COLUMNS
    return SignedRows(
        sessions=sessions,
        decisions=grouped(
            f"SELECT {cols('d', DECISION_COLUMNS)}, d.session_id FROM decisions d "
            f"JOIN sessions s ON s.id = d.session_id WHERE {signed} "
            "ORDER BY d.session_id, d.position, d.rowid",
            len(DECISION_COLUMNS),
        ),
        decision_themes=grouped(
            "SELECT dt.decision_id, dt.theme_id, d.session_id FROM decision_themes dt "
            "JOIN decisions d ON d.id = dt.decision_id JOIN sessions s ON s.id = d.session_id "
            f"WHERE {signed}",
            2,
        ),
        actions=grouped(
            f"SELECT {cols('a', action_cols)}, a.session_id FROM actions a "
            f"JOIN sessions s ON s.id = a.session_id WHERE {signed} "
            "ORDER BY a.session_id, a.position, a.rowid",
            len(action_cols),
        ),
        reviews=grouped(
            f"SELECT {cols('r', REVIEW_COLUMNS)}, r.session_id FROM action_reviews r "
            f"JOIN sessions s ON s.id = r.session_id WHERE {signed}",
            len(REVIEW_COLUMNS),
        ),
        themes=grouped(
            "SELECT t.theme_id, t.session_id FROM session_themes t "
            f"JOIN sessions s ON s.id = t.session_id WHERE {signed}",
            1,
        ),
        attendees=grouped(
            "SELECT a.worker_id, a.session_id FROM session_attendees a "
            f"JOIN sessions s ON s.id = a.session_id WHERE {signed}",
            1,
        ),
        worker_names=dict(db.execute("SELECT id, name FROM workers").fetchall()),
    )


@dataclass(frozen=True, slots=True)
class Signature:
    session_id: str
    signed_at: str
    signed_by_name: str
    signed_by_id: str | None


def sign_many(db: Database, signatures: list[Signature]) -> dict[str, str]:
    """Sign many records at once (the demo; call inside a transaction): each fingerprint is
    exactly what :func:`sign` computes, from rows read in bulk. Returns id -> fingerprint."""
    rows = signed_rows(db, [s.session_id for s in signatures], signed_only=False)
    done: dict[str, str] = {}
    updates = []
    for sig in signatures:
        session = rows.sessions[sig.session_id]
        if session["signed_at"] is not None:
            continue
        session.update(
            signed_at=sig.signed_at, signed_by_name=sig.signed_by_name.strip(),
            signed_by_id=sig.signed_by_id,
        )  # fmt: skip
        fingerprint = fingerprint_of(rows.fingerprint_content(sig.session_id))
        done[sig.session_id] = fingerprint
        updates.append((sig.signed_at, sig.signed_by_name.strip(), sig.signed_by_id, fingerprint,
                        sig.session_id))  # fmt: skip
    db.conn.executemany(
        "UPDATE sessions SET signed_at = ?, signed_by_name = ?, signed_by_id = ?, "
        "fingerprint = ? WHERE id = ? AND signed_at IS NULL",
        updates,
    )
    return done
