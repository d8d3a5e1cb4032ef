"""Sign-off, the supervisee's response, addenda and record fingerprints."""

from __future__ import annotations

import hashlib
import json
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
    rows = db.execute(
        "SELECT s.id, s.session_date, s.type, coalesce(w.name, 'group'), s.fingerprint "
        "FROM sessions s LEFT JOIN workers w ON w.id = s.worker_id "
        "WHERE s.signed_at IS NOT NULL ORDER BY s.session_date"
    ).fetchall()
    for session_id, on, type_, who, stored in rows:
        actual = fingerprint_of(canonical_content(db, session_id))
        if actual != stored:
            problems.append(
                f"signed {type_} record of {on} ({who}, id {session_id}) does not match its "
                f"fingerprint: its content was changed after sign-off"
            )
    return problems
