"""The service's policy, stored as numbered versions that are never changed.

Each version has an effective date, who saved it and why. The version in force on a date is
the one with the latest effective date on or before it (``PolicyHistory.in_force``). Saving a
version also registers the types it names in ``supervision_types`` (their key and kind are
fixed from then on) and makes a new type that is required by default required for every
worker in post.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from app.domain.model import TypeKey
from app.domain.policy import BEGINNING, Policy, PolicyHistory, PolicyVersion
from app.storage.db import Database, new_id, utc_now


def _version_from_row(row: tuple[Any, ...]) -> PolicyVersion:
    version, effective, created_at, created_by, reason, data = row
    return PolicyVersion(
        int(version),
        date.fromisoformat(effective) if effective else BEGINNING,
        str(created_at),
        str(created_by),
        str(reason),
        Policy.from_dict(json.loads(data)),
    )


# The history last read, by database: versions never change, so the same database id with the
# same number of versions (and the same latest one) has the same history. Saves parsing every
# version's JSON on each refresh of a screen.
_read: dict[tuple[object, ...], PolicyHistory] = {}


def policy_history(db: Database) -> PolicyHistory:
    """Every saved version (the built-in defaults when none was ever saved)."""
    key = tuple(
        db.execute(
            "SELECT (SELECT value FROM meta WHERE key = 'database_id'), count(*), "
            "max(version), max(created_at) FROM policies"
        ).fetchone()
    )
    found = _read.get(key) if key[0] is not None else None
    if found is not None:
        return found
    rows = db.execute(
        "SELECT version, effective_from, created_at, created_by, reason, data FROM policies "
        "ORDER BY version"
    ).fetchall()
    history = PolicyHistory(_version_from_row(r) for r in rows)
    if len(_read) > 8:
        _read.clear()
    _read[key] = history
    return history


def version_in_force(db: Database, on: date | None = None) -> PolicyVersion:
    return policy_history(db).in_force(on or date.today())


def current_policy(db: Database, on: date | None = None) -> Policy:
    """The policy in force on ``on`` (today when not given)."""
    return version_in_force(db, on).policy


def type_kinds(db: Database) -> dict[TypeKey, str]:
    """Every registered type's key → kind ("one-to-one" or "group")."""
    return {k: v for k, v in db.execute("SELECT key, kind FROM supervision_types").fetchall()}


def types_with_records(db: Database) -> set[TypeKey]:
    """The types some session, override, trigger or draft names (never to be deleted)."""
    rows = db.execute(
        "SELECT DISTINCT type FROM sessions UNION SELECT DISTINCT type FROM overrides "
        "UNION SELECT DISTINCT type FROM trigger_events UNION SELECT DISTINCT type FROM drafts"
    ).fetchall()
    return {r[0] for r in rows}


def save_policy(
    db: Database,
    policy: Policy,
    created_by: str = "",
    *,
    effective_from: date,
    reason: str = "",
    today: date | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Store ``policy`` as a new version, with its audit entry (evidence: ``detail`` and the
    row's hash), and return its number (call inside a transaction). Old versions stay as they
    were.

    Raises ValueError when the policy is unsound, changes the kind of a type, or leaves out a
    type that has records (retire it instead).
    """
    policy.validate()
    today = today or date.today()
    effective = effective_from
    kinds = type_kinds(db)
    for spec in policy.types:
        known = kinds.get(spec.key)
        if known is not None and known != spec.kind.value:
            raise ValueError(
                f"The type {spec.key!r} is {known}: a type keeps its kind. Add a new type instead."
            )
    history = policy_history(db)
    named = {t.key for t in policy.types}
    dropped = {t.key for t in history.latest.policy.types} - named
    in_use = types_with_records(db) & dropped
    if in_use:
        raise ValueError(
            f"The type {sorted(in_use)[0]!r} has records and cannot be removed: retire it "
            "instead (its records stay)."
        )
    now = utc_now()
    for spec in policy.types:
        if spec.key not in kinds:
            db.execute(
                "INSERT INTO supervision_types (key, kind, created_at) VALUES (?, ?, ?)",
                [spec.key, spec.kind.value, now],
            )
            if spec.required_by_default and not spec.retired:
                db.execute(
                    "INSERT OR IGNORE INTO worker_required_types (worker_id, type) "
                    "SELECT id, ? FROM workers WHERE left_on IS NULL OR left_on > ?",
                    [spec.key, today.isoformat()],
                )
    for key in sorted(dropped & set(kinds)):
        # No records name it (checked above): its requirement rows go with it.
        db.execute("DELETE FROM supervision_types WHERE key = ?", [key])
    row = db.execute("SELECT coalesce(max(version), 0) FROM policies").fetchone()
    version = int(row[0]) + 1
    policy_id = new_id()
    db.execute(
        "INSERT INTO policies (id, version, created_at, created_by, data, effective_from, "
        "reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            policy_id,
            version,
            now,
            created_by,
            json.dumps(policy.to_dict(), sort_keys=True),
            effective.isoformat(),
            reason.strip(),
        ],
    )
    record_version(db, policy_id, version, created_by, effective, reason, detail)
    return version


def record_version(
    db: Database,
    policy_id: str,
    version: int,
    created_by: str,
    effective: date,
    reason: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """A policy version's audit entry: evidence (the registry's hash of the row), with its
    effective date and reason (and what changed, when the caller says)."""
    from app.storage.evidence_registry import record  # not needed to show the schedule

    record(
        db,
        "create",
        "policy",
        policy_id,
        detail={
            "version": version,
            "effective_from": effective.isoformat(),
            "reason": reason.strip(),
            **(detail or {}),
        },
        actor=created_by,
    )
