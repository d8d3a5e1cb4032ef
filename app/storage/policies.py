"""The policy in force, stored as numbered versions (the newest is in force)."""

from __future__ import annotations

import json

from app.domain.policy import Policy
from app.storage.db import Database, new_id, utc_now


def current_policy(db: Database) -> Policy:
    """The newest stored policy, or the §5 defaults when none has been saved."""
    row = db.execute("SELECT data FROM policies ORDER BY version DESC LIMIT 1").fetchone()
    if row is None:
        return Policy()
    return Policy.from_dict(json.loads(row[0]))


def save_policy(db: Database, policy: Policy, created_by: str = "") -> int:
    """Store ``policy`` as a new version, with its audit entry (evidence), and return its
    number; old versions stay."""
    from app.storage.evidence_registry import record

    policy.validate()
    with db.atomic():
        row = db.execute("SELECT coalesce(max(version), 0) FROM policies").fetchone()
        version = int(row[0]) + 1
        policy_id = new_id()
        db.execute(
            "INSERT INTO policies (id, version, created_at, created_by, data) "
            "VALUES (?, ?, ?, ?, ?)",
            [policy_id, version, utc_now(), created_by,
             json.dumps(policy.to_dict(), sort_keys=True)],
        )  # fmt: skip
        record(db, "create", "policy", policy_id, detail={"version": version}, actor=created_by)
    return version
