"""Small helpers for turning rows into values."""

from __future__ import annotations

from datetime import date


def to_date(value: object) -> date | None:
    if value is None or value == "":
        return None
    return date.fromisoformat(str(value))


def iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
