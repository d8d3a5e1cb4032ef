"""Parsing and showing dates: stored as ISO, typed as ISO or the UK way, shown the UK way."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo

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


# English names whatever the machine's locale. strftime's %a, %b and %B follow the locale,
# and Qt sets it from the user's settings when the app starts: on a Welsh machine the window
# (and every PDF printed from it) said "26 Tach 2026" while the command line said "26 Nov 2026".
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


_TYPED_HELP = "type it as 11/12/2026, 11/12/26, 11 Dec 2026, 2026-12-11 or today"
_NUMERIC = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:\s*[/.\-]\s*(\d{2}|\d{4}))?$")
_ISO_LOOSE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DAY_MONTH = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s\-/.]*([a-z]+)\.?[\s\-/.,]*(\d{2}|\d{4})?$")
_MONTH_DAY = re.compile(r"^([a-z]+)\.?\s*(\d{1,2})(?:st|nd|rd|th)?,?\s*(\d{2}|\d{4})?$")
_WEEKDAY_PREFIX = re.compile(r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+", re.IGNORECASE)
_RELATIVE = {"today": 0, "tomorrow": 1, "yesterday": -1}


def _month_number(word: str) -> int | None:
    """1–12 for an English month name or its first three letters or more ("sept" too)."""
    if len(word) < 3:
        return None
    for n, name in enumerate(_MONTHS, start=1):
        if name.lower().startswith(word):
            return n
    return None


def _year(text: str | None, today: date) -> int:
    if text is None:
        return today.year
    return 2000 + int(text) if len(text) == 2 else int(text)


def parse_typed_date(text: str, today: date) -> date:
    """A date as people type it: ``11/12/2026`` and ``11/12/26`` (day first, the UK way),
    ``11 Dec 2026`` (or ``11 December 26``, ``Dec 11 2026``, ``Fri 11 Dec 2026``),
    ``2026-12-11``, ``today`` (``tomorrow``, ``yesterday``). A missing year is this year; a
    two-digit year is 20yy. Raises ValueError with a sentence that says what to type."""
    value = " ".join(text.split()).lower()
    if value in _RELATIVE:
        return date.fromordinal(today.toordinal() + _RELATIVE[value])
    value = _WEEKDAY_PREFIX.sub("", value)
    day: int | None = None
    month: int | None = None
    year = today.year
    if m := _ISO_LOOSE.match(value):
        day, month, year = int(m.group(3)), int(m.group(2)), int(m.group(1))
    elif m := _NUMERIC.match(value):
        day, month, year = int(m.group(1)), int(m.group(2)), _year(m.group(3), today)
    elif m := _DAY_MONTH.match(value):
        day, month, year = int(m.group(1)), _month_number(m.group(2)), _year(m.group(3), today)
    elif m := _MONTH_DAY.match(value):
        day, month, year = int(m.group(2)), _month_number(m.group(1)), _year(m.group(3), today)
    if day is None or month is None:
        raise ValueError(f"“{text.strip()}” is not a date Keel understands: {_TYPED_HELP}.")
    try:
        return date(year, month, day)
    except ValueError:
        if 1 <= month <= 12:
            raise ValueError(
                f"There is no {day} {_MONTHS[month - 1]} {year}: check the day."
            ) from None
        raise ValueError(
            f"“{text.strip()}” has no month {month} (day first, the UK way): {_TYPED_HELP}."
        ) from None


def month_name_year(day: date) -> str:
    """November 2026."""
    return f"{_MONTHS[day.month - 1]} {day.year}"


def _abbr(day: date) -> str:
    return _MONTHS[day.month - 1][:3]


def month_year(day: date) -> str:
    """Nov 2026."""
    return f"{_abbr(day)} {day.year}"


def month_short_year(day: date) -> str:
    """Nov 26 (a chart's axis)."""
    return f"{_abbr(day)} {day.year % 100:02d}"


def day_month(day: date) -> str:
    """26 Nov."""
    return f"{day.day} {_abbr(day)}"


def weekday(day: date) -> str:
    """Thu."""
    return _WEEKDAYS[day.weekday()]


def uk(day: date | None, empty: str = "") -> str:
    """26 Nov 2026."""
    if day is None:
        return empty
    return f"{day.day} {month_year(day)}"


def moment(stamp: str | None, zone: tzinfo | None = None, *, zone_name: bool = False) -> str:
    """A stored UTC time as people read it: '2026-11-26T14:32:05Z' → '26 Nov 2026 at 14:32' in
    ``zone`` (None: this computer's zone); with ``zone_name``, '… at 14:32 GMT'. A value that
    is not a time is returned as it is."""
    if not stamp:
        return ""
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    if when.tzinfo is None:  # stored times are UTC
        when = when.replace(tzinfo=UTC)
    when = when.astimezone(zone)
    shown = f"{uk(when.date())} at {when:%H:%M}"
    name = when.tzname() if zone_name else None
    return f"{shown} {name}" if name else shown
