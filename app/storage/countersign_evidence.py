"""The ``countersignature`` kind of evidence (app.storage.evidence_registry): a
countersignature is evidence of its own: its row is append-only (triggers), its audit entry
carries the hash of its row, and ``check`` replays it like every other kind. The kind also
*inspects* each row: its stored hash must be the hash of its content, and the record
fingerprint it names must still be the record's printed fingerprint."""

from __future__ import annotations

from collections.abc import Mapping

from app.domain.qa import countersignature_hash
from app.storage.countersign import COLUMNS, _from_row
from app.storage.db import Database
from app.storage.evidence_registry import Labels, Last, Row, day, register, table_kind, whose


def _title(labels: Labels, names: Mapping[str, str]) -> str:
    what = f"signed {labels.get('type') or 'supervision'} record"
    of = f"of {whose(labels, names)}" if labels.get("worker") else "of a group"
    return (
        f"the QA countersignature of {day(labels.get('at'))} on the {what} {of} dated "
        f"{day(labels.get('date'))}"
    )


def _inspect(
    db: Database, current: dict[str, Row], last: Mapping[str, Last], failed: set[str]
) -> dict[str, str]:
    """Each countersignature's own hash against its content, and the fingerprint it names
    against the record's printed one."""
    out: dict[str, str] = {}
    rows = db.execute(
        f"SELECT {', '.join(f'c.{c}' for c in COLUMNS)}, s.fingerprint FROM countersignatures c "
        "LEFT JOIN sessions s ON s.id = c.session_id"
    )
    for *values, fingerprint in rows:
        found = _from_row(tuple(values))
        clauses = []
        if countersignature_hash(found.content()) != found.hash:
            clauses.append("its hash no longer matches its content")
        if fingerprint != found.record_fingerprint:
            clauses.append("the record fingerprint it names is not the record's printed one")
        if clauses:
            out[found.id] = " and ".join(clauses)
    return out


COUNTERSIGNATURE = register(
    table_kind(
        "countersignature",
        entity="session",
        noun="QA countersignature",
        table="countersignatures",
        columns=COLUMNS,
        joins="LEFT JOIN sessions s ON s.id = t.session_id",
        labels={
            "worker": "s.worker_id",
            "date": "s.session_date",
            "type": "s.type",
            "at": "t.countersigned_at",
        },
        title=_title,
        inspect=_inspect,
    )
)
