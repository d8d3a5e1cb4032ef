"""Workers and their dated risk assessments."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from typing import Any

from app.domain.model import (
    Employment,
    RiskFactors,
    StaffEntry,
    StoredAssessment,
    Tier,
    TypeKey,
    Worker,
)
from app.domain.slots import slots_maker
from app.storage.db import Database, new_id, utc_now
from app.storage.rows import iso, to_date

# The types a worker's role requires, as one text per worker (keys joined by commas).
REQUIRED_TYPES_SQL = (
    "(SELECT group_concat(r.type, ',') FROM worker_required_types r WHERE r.worker_id = {id})"
)
_COLUMNS = (
    "id, staff_id, name, role, team, start_date, employment, profession, line_supervisor_id, "
    "clinical_supervisor_id, qualified_clinical, left_on, "
    + REQUIRED_TYPES_SQL.format(id="workers.id")
    + ", employment_start"
)


_make_worker = slots_maker(Worker)
# Each set of required types and the employment kinds, made once: a list of a thousand
# workers shares the few sets there are instead of building one per row.
_REQUIRES: dict[str | None, frozenset[TypeKey]] = {None: frozenset()}
_EMPLOYMENT = {e.value: e for e in Employment}


def required_types(text: str | None) -> frozenset[TypeKey]:
    """The set ``REQUIRED_TYPES_SQL`` gives as text (shared between workers)."""
    found = _REQUIRES.get(text)
    if found is None:
        if len(_REQUIRES) > 256:
            _REQUIRES.clear()
            _REQUIRES[None] = frozenset()
        found = _REQUIRES[text] = frozenset(str(text).split(","))
    return found


def _worker_from_row(row: tuple[Any, ...]) -> Worker:
    (wid, staff_id, name, role, team, start, employment, profession, line_sup, clin_sup,
     qualified, left_on, requires, employment_start) = row  # fmt: skip
    return _make_worker(
        wid,
        name,
        role,
        team,
        to_date(start),
        _EMPLOYMENT.get(employment) or Employment(employment),
        profession,
        staff_id,
        line_sup,
        clin_sup,
        bool(qualified),
        required_types(requires),
        to_date(left_on),
        to_date(employment_start),
    )


def _values(worker: Worker) -> dict[str, Any]:
    return {
        "staff_id": worker.staff_id or None,
        "name": worker.name.strip(),
        "role": worker.role.strip(),
        "team": worker.team.strip(),
        "start_date": iso(worker.start_date),
        "employment": worker.employment.value,
        "profession": worker.profession.strip(),
        "line_supervisor_id": worker.line_supervisor_id,
        "clinical_supervisor_id": worker.clinical_supervisor_id,
        "qualified_clinical": int(worker.qualified_clinical),
        "left_on": iso(worker.left_on),
        "employment_start": iso(worker.employment_start),
    }


def insert_worker(db: Database, worker: Worker) -> Worker:
    """Insert a worker; a blank id gets a new UUID. Returns the stored worker."""
    if not worker.id:
        worker = replace(worker, id=new_id())
    now = utc_now()
    values = {"id": worker.id, **_values(worker), "created_at": now, "updated_at": now}
    names = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    db.execute(f"INSERT INTO workers ({names}) VALUES ({marks})", list(values.values()))
    _set_required(db, worker.id, worker.requires)
    return worker


def update_worker(db: Database, worker: Worker) -> None:
    values = {**_values(worker), "updated_at": utc_now()}
    sets = ", ".join(f"{k} = ?" for k in values)
    db.execute(f"UPDATE workers SET {sets} WHERE id = ?", [*values.values(), worker.id])
    _set_required(db, worker.id, worker.requires)


def _set_required(db: Database, worker_id: str, requires: frozenset[TypeKey]) -> None:
    """The worker's required types become exactly ``requires`` (call inside a transaction)."""
    stored = required_types(
        db.execute(f"SELECT {REQUIRED_TYPES_SQL.format(id='?')}", [worker_id]).fetchone()[0]
    )
    for key in sorted(stored - requires):
        db.execute(
            "DELETE FROM worker_required_types WHERE worker_id = ? AND type = ?", [worker_id, key]
        )
    for key in sorted(requires - stored):
        db.execute(
            "INSERT INTO worker_required_types (worker_id, type) VALUES (?, ?)", [worker_id, key]
        )


def get_worker(db: Database, worker_id: str) -> Worker | None:
    row = db.execute(f"SELECT {_COLUMNS} FROM workers WHERE id = ?", [worker_id]).fetchone()
    return None if row is None else _worker_from_row(row)


def names_of(db: Database, worker_ids: Iterable[str]) -> dict[str, str]:
    """The names of ``worker_ids`` (one query; an id no worker has is left out)."""
    ids = list(dict.fromkeys(worker_ids))
    if not ids:
        return {}
    rows = db.execute(
        "SELECT id, name FROM workers WHERE id IN (SELECT value FROM json_each(?))",
        [json.dumps(ids)],
    ).fetchall()
    return {str(i): str(n) for i, n in rows}


def find_by_staff_id(db: Database, staff_id: str) -> Worker | None:
    row = db.execute(f"SELECT {_COLUMNS} FROM workers WHERE staff_id = ?", [staff_id]).fetchone()
    return None if row is None else _worker_from_row(row)


def list_staff(db: Database) -> list[StaffEntry]:
    """Every worker, including those who have left (they are still named as supervisors), as
    the short entries lists of people need; in no particular order."""
    rows = db.execute(
        "SELECT id, name, role, line_supervisor_id, clinical_supervisor_id FROM workers"
    ).fetchall()
    return list(map(StaffEntry._make, rows))


def list_workers(db: Database, *, include_left: bool = False) -> list[Worker]:
    where = "" if include_left else "WHERE left_on IS NULL"
    rows = db.execute(f"SELECT {_COLUMNS} FROM workers {where} ORDER BY name COLLATE NOCASE")
    return [_worker_from_row(r) for r in rows.fetchall()]


def count_workers(db: Database) -> int:
    return int(db.execute("SELECT count(*) FROM workers").fetchone()[0])


def add_assessment(
    db: Database,
    worker_id: str,
    assessed_on: date,
    factors: RiskFactors,
    tier: Tier,
    *,
    assessed_by: str = "",
    rationale: str = "",
    source: str = "manual",
    audit_detail: dict[str, Any] | None = None,
) -> StoredAssessment:
    """Append a dated assessment, with its audit entry (evidence). Earlier ones are history
    and are never changed."""
    stored = StoredAssessment(
        id=new_id(),
        worker_id=worker_id,
        assessed_on=assessed_on,
        factors=factors,
        tier=tier,
        assessed_by=assessed_by.strip(),
        rationale=rationale.strip(),
        source=source,
        created_at=utc_now(),
    )
    db.execute(
        "INSERT INTO risk_assessments (id, worker_id, assessed_on, cohort_risk, "
        "decision_complexity, support_need, volatility, tier, assessed_by, rationale, source, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            stored.id, worker_id, assessed_on.isoformat(), factors.cohort_risk,
            factors.decision_complexity, factors.support_need, factors.volatility,
            tier.value, stored.assessed_by, stored.rationale, source, stored.created_at,
        ],
    )  # fmt: skip
    from app.storage.evidence_registry import record  # not needed to show the schedule

    detail = {"worker": worker_id, "on": assessed_on.isoformat(), **factors.as_dict()}
    record(db, "create", "risk_assessment", stored.id, detail={**detail, **(audit_detail or {})})
    return stored


_ASSESSMENT_COLUMNS = (
    "id, worker_id, assessed_on, cohort_risk, decision_complexity, support_need, volatility, "
    "tier, assessed_by, rationale, source, created_at"
)


def _assessment_from_row(row: tuple[Any, ...]) -> StoredAssessment:
    (aid, wid, on, c, d, s, v, tier, by, rationale, source, created) = row
    return StoredAssessment(
        aid, wid, date.fromisoformat(on), RiskFactors(c, d, s, v), Tier(tier), by, rationale,
        source, created,
    )  # fmt: skip


def assessments_for(db: Database, worker_id: str) -> list[StoredAssessment]:
    """A worker's assessment history, newest first."""
    rows = db.execute(
        f"SELECT {_ASSESSMENT_COLUMNS} FROM risk_assessments WHERE worker_id = ? "
        "ORDER BY assessed_on DESC, created_at DESC, id DESC",
        [worker_id],
    ).fetchall()
    return [_assessment_from_row(r) for r in rows]
