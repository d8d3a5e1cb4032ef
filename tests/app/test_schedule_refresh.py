"""Refreshing a few workers after a save reads only their rows, with the same answers."""

from __future__ import annotations

from datetime import date, timedelta

from app.services.demo import load_demo
from app.services.scheduling import compute_schedule
from app.storage.db import Database


def test_statuses_for_listed_workers_equal_those_of_a_full_computation(
    db: Database, today: date
) -> None:
    load_demo(db, today=today)
    for as_of in (today, today + timedelta(days=10), today - timedelta(days=60)):
        full = {r.worker_id: r for r in compute_schedule(db, as_of).rows}
        ids = sorted(full)
        for worker_id in ids:
            (row,) = compute_schedule(db, as_of, worker_ids=[worker_id]).rows
            assert row == full[worker_id], worker_id
        pair = compute_schedule(db, as_of, worker_ids=ids[:2]).rows
        assert {r.worker_id: r for r in pair} == {i: full[i] for i in ids[:2]}
    assert compute_schedule(db, today, worker_ids=[]).rows == []
