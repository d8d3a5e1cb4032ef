"""The demo's quality assurance (issue 16): the service manager is a QA reviewer and has
countersigned a sample of recent signed one-to-one records — never one they supervised or were
supervised in — with comments; the other signed records await QA. Each countersignature is
audited with its hash, as when a manager countersigns on screen."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from app.storage.countersign import insert_countersignature, set_reviewer
from app.storage.db import Database
from app.storage.evidence_registry import record_many

REVIEWER = "Graham Whitfield"
EVERY = 6  # one signed record in six, of those 10 to 70 days old
COMMENTS = (
    "Sampled for QA. Decisions are recorded with their rationale and the actions are specific "
    "and dated. Risk discussion links to the case codes. No changes needed.",
    "Sampled for QA. A clear record. The wellbeing check is recorded; please make the review "
    "date of the caseload cap explicit next time.",
    "Sampled for QA. Safeguarding follow-up is documented and the referral reference is "
    "given. Good practice: the supervisee's own view is recorded in their words.",
)


def add_demo_qa(db: Database, today: date) -> int:
    """Mark the reviewer and countersign the sample (inside the demo's transaction; the same
    records on every load for the same today). Returns how many were countersigned."""
    found = db.execute("SELECT id, name, role FROM workers WHERE name = ?", [REVIEWER]).fetchone()
    if found is None:
        return 0
    reviewer_id, name, role = (str(v) for v in found)
    set_reviewer(db, reviewer_id, True)
    rows = db.execute(
        """SELECT s.id, s.fingerprint, s.signed_at FROM sessions s
             JOIN workers w ON w.id = s.worker_id
            WHERE s.signed_at IS NOT NULL AND s.worker_id IS NOT NULL
              AND s.session_date BETWEEN ? AND ?
              AND ? NOT IN (coalesce(s.worker_id, ''), coalesce(s.supervisor_id, ''),
                            coalesce(s.signed_by_id, ''))
            ORDER BY s.session_date, w.name, s.type""",
        [(today - timedelta(days=70)).isoformat(), (today - timedelta(days=10)).isoformat(),
         reviewer_id],
    ).fetchall()  # fmt: skip
    made = []
    latest = datetime.combine(today, time(8, 0), tzinfo=UTC)
    for n, (session_id, fingerprint, signed_at) in enumerate(rows[::EVERY]):
        signed = datetime.fromisoformat(str(signed_at).replace("Z", "+00:00"))
        at = min(signed + timedelta(days=4 + n % 3, hours=2), latest)
        stamp = at.replace(microsecond=0).isoformat().replace("+00:00", "Z")
        made.append(
            insert_countersignature(
                db, str(session_id), reviewer_id=reviewer_id, reviewer_name=name,
                reviewer_role=role, comments=COMMENTS[n % len(COMMENTS)],
                record_fingerprint=str(fingerprint), at=stamp,
            )
        )  # fmt: skip
    by_id = {m.id: m for m in made}
    record_many(
        db, "countersign", "countersignature", [m.id for m in made],
        detail=lambda cid, _c: {"by": name, "hash": by_id[cid].hash,
                                "record_fingerprint": by_id[cid].record_fingerprint},
        actor=name, entity_id=lambda cid, _c: by_id[cid].session_id,
    )  # fmt: skip
    return len(made)
