"""Supervision agreements as stored: one current agreement per worker, earlier ones ended."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.domain.agreements import AgreedType, Agreement
from app.storage.db import Database, new_id, utc_now
from app.storage.rows import iso, to_date

_COLUMNS = (
    "id", "worker_id", "starts_on", "review_on", "duration_minutes", "location", "recorded",
    "access", "ended_on",
)  # fmt: skip


def _values(a: Agreement) -> dict[str, Any]:
    return {
        "worker_id": a.worker_id,
        "starts_on": a.starts_on.isoformat(),
        "review_on": a.review_on.isoformat(),
        "duration_minutes": a.duration_minutes,
        "location": a.location.strip(),
        "recorded": a.recorded.strip(),
        "access": a.access.strip(),
        "ended_on": iso(a.ended_on),
    }


def _types_of(db: Database, ids: list[str]) -> dict[str, tuple[AgreedType, ...]]:
    """Each agreement's part per type (``agreement_types``), in the order the types were
    registered."""
    out: dict[str, list[AgreedType]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        for agreement_id, type_, supervisor, every in db.execute(
            "SELECT t.agreement_id, t.type, t.supervisor_id, t.every_days FROM agreement_types t "
            "JOIN supervision_types s ON s.key = t.type "
            f"WHERE t.agreement_id IN ({marks}) ORDER BY s.created_at, s.key",
            chunk,
        ):
            out[agreement_id].append(AgreedType(type_, supervisor, every))
    return {i: tuple(v) for i, v in out.items()}


def _from_rows(db: Database, rows: list[tuple[Any, ...]]) -> list[Agreement]:
    types = _types_of(db, [r[0] for r in rows])
    return [
        Agreement(
            id=r[0],
            worker_id=r[1],
            starts_on=date.fromisoformat(r[2]),
            review_on=date.fromisoformat(r[3]),
            types=types[r[0]],
            duration_minutes=r[4],
            location=r[5],
            recorded=r[6],
            access=r[7],
            ended_on=to_date(r[8]),
        )
        for r in rows
    ]


def _write_types(db: Database, agreement_id: str, a: Agreement) -> None:
    db.execute("DELETE FROM agreement_types WHERE agreement_id = ?", [agreement_id])
    for t in a.types:
        if not t.empty:
            db.execute(
                "INSERT INTO agreement_types (agreement_id, type, supervisor_id, every_days) "
                "VALUES (?, ?, ?, ?)",
                [agreement_id, t.type, t.supervisor_id, t.every_days],
            )


def insert_agreement(db: Database, a: Agreement) -> str:
    agreement_id, now = new_id(), utc_now()
    values = {"id": agreement_id, **_values(a), "created_at": now, "updated_at": now}
    db.execute(
        f"INSERT INTO supervision_agreements ({', '.join(values)}) "
        f"VALUES ({', '.join('?' for _ in values)})",
        list(values.values()),
    )
    _write_types(db, agreement_id, a)
    return agreement_id


def update_agreement(db: Database, a: Agreement) -> None:
    values = _values(a)
    sets = ", ".join(f"{k} = ?" for k in values)
    db.execute(
        f"UPDATE supervision_agreements SET {sets}, updated_at = ? WHERE id = ?",
        [*values.values(), utc_now(), a.id],
    )
    _write_types(db, a.id, a)


def end_current(db: Database, worker_id: str, on: date) -> list[str]:
    """End the worker's current agreement(s) on ``on``; returns the ids ended."""
    ids = [
        r[0]
        for r in db.execute(
            "SELECT id FROM supervision_agreements WHERE worker_id = ? AND ended_on IS NULL",
            [worker_id],
        ).fetchall()
    ]
    for agreement_id in ids:
        db.execute(
            "UPDATE supervision_agreements SET ended_on = max(starts_on, ?), updated_at = ? "
            "WHERE id = ?",
            [on.isoformat(), utc_now(), agreement_id],
        )
    return ids


def get_agreement(db: Database, agreement_id: str) -> Agreement | None:
    row = db.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM supervision_agreements WHERE id = ?", [agreement_id]
    ).fetchone()
    return None if row is None else _from_rows(db, [row])[0]


def agreements_for(db: Database, worker_id: str) -> list[Agreement]:
    """A worker's agreements, newest first (the current one, if any, has no end date)."""
    rows = db.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM supervision_agreements WHERE worker_id = ? "
        "ORDER BY ended_on IS NOT NULL, starts_on DESC, created_at DESC",
        [worker_id],
    ).fetchall()
    return _from_rows(db, rows)


def current_agreements(db: Database, as_of: date) -> list[tuple[Agreement, str, str]]:
    """Every current agreement of a worker still in post on ``as_of``, with their name and
    team."""
    cols = ", ".join(f"a.{c}" for c in _COLUMNS)
    rows = db.execute(
        f"SELECT {cols}, w.name, w.team FROM supervision_agreements a "
        "JOIN workers w ON w.id = a.worker_id "
        "WHERE a.ended_on IS NULL AND (w.left_on IS NULL OR w.left_on > ?) "
        "ORDER BY a.review_on, w.name COLLATE NOCASE",
        [as_of.isoformat()],
    ).fetchall()
    agreements = _from_rows(db, [r[: len(_COLUMNS)] for r in rows])
    return [(a, r[-2], r[-1]) for a, r in zip(agreements, rows, strict=True)]
