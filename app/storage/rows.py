"""Small helpers for turning rows into values."""

from __future__ import annotations

from datetime import date


def to_date(value: object) -> date | None:
    if value is None or value == "":
        return None
    return date.fromisoformat(str(value))


def iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


# Every supervision type, as the sessions table's CHECK allows them. Naming them changes no
# result, but lets SQLite use the (type, status, session_date) index for a status and a date
# range, instead of scanning every session (1.1 M on the stress database).
EVERY_TYPE = "type IN ('line', 'clinical', 'group')"
