"""Workers read back exactly as saved: every field, every set of required types, every kind
of employment (the row reader builds them the fast way, so it is pinned field by field)."""

from __future__ import annotations

import itertools
from datetime import date

from app.domain.catalogue import BUILTIN_KEYS
from app.domain.model import Employment, Worker
from app.storage.db import Database
from app.storage.workers import get_worker, insert_worker, list_workers


def test_every_field_and_combination_reads_back_as_saved(db: Database) -> None:
    lead = insert_worker(db, Worker(id="", name="Noa Ben-David", qualified_clinical=True))
    saved: list[Worker] = []
    combos = itertools.product(
        [frozenset(c) for n in range(4) for c in itertools.combinations(BUILTIN_KEYS, n)],
        list(Employment),
    )
    for n, (requires, employment) in enumerate(combos):
        saved.append(
            insert_worker(
                db,
                Worker(
                    id="",
                    name=f"Zoë {n:02d} ‫שלום‬",
                    role="Nurse" if n % 2 else "",
                    team="North & <South>",
                    start_date=date(2020, 1, 1 + n % 28) if n % 3 else None,
                    employment=employment,
                    profession="RMN" if n % 2 else "",
                    staff_id=f"S{n:03d}" if n % 4 else None,
                    line_supervisor_id=lead.id if n % 2 else None,
                    clinical_supervisor_id=lead.id if n % 3 else None,
                    qualified_clinical=bool(n % 2),
                    requires=requires,
                    left_on=date(2026, 6, 30) if n % 5 == 0 else None,
                ),
            )
        )
    for worker in saved:
        again = get_worker(db, worker.id)
        assert again == worker
        assert type(again.employment) is Employment and type(again.requires) is frozenset
    listed = {w.id: w for w in list_workers(db, include_left=True)}
    assert all(listed[w.id] == w for w in saved)
    assert {w.id for w in list_workers(db)} == {w.id for w in saved if w.left_on is None} | {
        lead.id
    }
