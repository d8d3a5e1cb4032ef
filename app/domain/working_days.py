"""Working days in a UK nation: weekdays that are not that nation's bank holidays.

The supervisee's copy of a signed record is due within the policy's number of working days
(default 5). Bank holidays come from the maintained ``holidays`` calendar (its United Kingdom
calendar for each nation), never from a list kept by hand: Scotland's St Andrew's Day, Northern
Ireland's St Patrick's Day and the substitute days when a holiday falls on a weekend are
its to know.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

# The policy's choice -> the calendar's subdivision of the United Kingdom.
NATIONS: dict[str, str] = {
    "England and Wales": "ENG",
    "Scotland": "SCT",
    "Northern Ireland": "NIR",
}
DEFAULT_NATION = "England and Wales"


@functools.cache
def bank_holidays(nation: str, year: int) -> dict[date, str]:
    """The nation's bank holidays of ``year`` (date -> name)."""
    import holidays  # only when a deadline is worked out, never to show the scheduler

    subdivision = NATIONS.get(nation)
    if subdivision is None:
        raise ValueError(f"no UK nation {nation!r}: use one of {', '.join(NATIONS)}")
    calendar = holidays.country_holidays("GB", subdiv=subdivision, years=year)
    return {day: str(name) for day, name in sorted(calendar.items()) if day.year == year}


def is_working_day(day: date, nation: str) -> bool:
    return day.weekday() < 5 and day not in bank_holidays(nation, day.year)


def add_working_days(start: date, days: int, nation: str) -> date:
    """The day ``days`` working days after ``start`` (``start`` itself does not count)."""
    if days < 0:
        raise ValueError("a number of working days is not negative")
    day = start
    left = days
    while left:
        day += timedelta(days=1)
        if is_working_day(day, nation):
            left -= 1
    return day


def working_days_between(start: date, end: date, nation: str) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` <= ``start``)."""
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day, nation):
            count += 1
    return count
