"""Parsing and showing dates: stored as ISO, typed as ISO or the UK way, shown the UK way."""

from __future__ import annotations

import re
from datetime import date

_UK = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(text: str) -> date:
    """``YYYY-MM-DD`` or UK ``DD/MM/YYYY``. Raises ValueError with a readable message."""
    value = text.strip()
    try:
        if _ISO.match(value):
            return date.fromisoformat(value)
        m = _UK.match(value)
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        raise ValueError(f"{value!r} is not a real date") from None
    raise ValueError(f"{value!r} is not a date (use YYYY-MM-DD or DD/MM/YYYY)")


def uk(day: date | None, empty: str = "") -> str:
    """26 Nov 2026."""
    if day is None:
        return empty
    return f"{day.day} {day.strftime('%b %Y')}"
