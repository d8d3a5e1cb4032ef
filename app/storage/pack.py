"""Reads for the compliance pack's service-wide parts: the stored policy versions, who was in
post in each team, the actions agreed in a period and how they ended, and the wellbeing pulses
of one-to-one sessions. Each is one query, returning plain rows; the pack does the counting.

No names leave ``pulses``: a pulse carries its worker's id only so the pack can count distinct
workers (and hide a team's figures when too few people would be behind them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from app.domain.policy import Policy
from app.storage.db import Database
from app.storage.rows import EVERY_TYPE, to_date


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    version: int
    saved_at: str  # UTC, ISO 8601
    saved_by: str
    policy: Policy


def policy_versions(db: Database) -> list[PolicyVersion]:
    """Every stored policy version, oldest first (none: the defaults have never been changed)."""
    rows = db.execute(
        "SELECT version, created_at, created_by, data FROM policies ORDER BY version"
    ).fetchall()
    return [PolicyVersion(r[0], r[1], r[2], Policy.from_dict(json.loads(r[3]))) for r in rows]


@dataclass(frozen=True, slots=True)
class Tenure:
    """When a worker was in post, and the team they are recorded in now."""

    worker_id: str
    team: str
    start_date: date | None
    left_on: date | None


def tenures(db: Database) -> list[Tenure]:
    rows = db.execute("SELECT id, team, start_date, left_on FROM workers").fetchall()
    return [Tenure(r[0], r[1], to_date(r[2]), to_date(r[3])) for r in rows]


def on_leave(db: Database, day: date) -> set[str]:
    """Workers with a leave period covering ``day``."""
    rows = db.execute(
        "SELECT DISTINCT worker_id FROM leave_periods WHERE start_date <= :day "
        "AND (end_date IS NULL OR end_date >= :day)",
        {"day": day.isoformat()},
    ).fetchall()
    return {r[0] for r in rows}


@dataclass(frozen=True, slots=True)
class AgreedAction:
    """An action agreed in a session, as the pack counts it."""

    team: str  # the team of the worker the action belongs to
    status: str  # open, done or dropped, as held now
    due_date: date | None
    closed_on: date | None


def actions_agreed(db: Database, date_from: date, date_to: date) -> list[AgreedAction]:
    """Actions agreed in sessions dated ``date_from`` to ``date_to`` (both included)."""
    rows = db.execute(
        "SELECT coalesce(w.team, ''), a.status, a.due_date, a.closed_on FROM actions a "
        "JOIN sessions s ON s.id = a.session_id LEFT JOIN workers w ON w.id = a.worker_id "
        f"WHERE s.{EVERY_TYPE} AND s.session_date BETWEEN ? AND ?",
        [date_from.isoformat(), date_to.isoformat()],
    ).fetchall()
    return [AgreedAction(r[0], r[1], to_date(r[2]), to_date(r[3])) for r in rows]


@dataclass(frozen=True, slots=True)
class Pulse:
    """The wellbeing pulse of one held one-to-one session (any part may be missing)."""

    team: str
    worker_id: str
    wellbeing: int | None
    workload: str | None
    moral_distress: bool | None
    support_offered: bool


def pulses(db: Database, date_from: date, date_to: date) -> list[Pulse]:
    """Pulses of held one-to-one sessions dated ``date_from`` to ``date_to`` that recorded
    at least one of wellbeing, workload or moral distress."""
    rows = db.execute(
        "SELECT coalesce(w.team, ''), s.worker_id, s.wellbeing, s.workload, s.moral_distress, "
        "trim(s.support_offered) <> '' FROM sessions s JOIN workers w ON w.id = s.worker_id "
        f"WHERE s.{EVERY_TYPE} AND s.status = 'held' AND s.worker_id IS NOT NULL "
        "AND s.session_date BETWEEN ? AND ? "
        "AND (s.wellbeing IS NOT NULL OR s.workload IS NOT NULL OR s.moral_distress IS NOT NULL)",
        [date_from.isoformat(), date_to.isoformat()],
    ).fetchall()
    return [
        Pulse(r[0], r[1], r[2], r[3], None if r[4] is None else bool(r[4]), bool(r[5]))
        for r in rows
    ]


def worker_teams(db: Database) -> dict[str, str]:
    """Worker id → the team recorded now."""
    return dict(db.execute("SELECT id, team FROM workers").fetchall())
