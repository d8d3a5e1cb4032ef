"""Dates as people type them (app.dates.parse_typed_date): day first, the UK way."""

from __future__ import annotations

import re
from datetime import date

import pytest

from app.dates import parse_typed_date

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    "typed",
    ["11/12/2026", "11/12/26", "11 Dec 2026", "2026-12-11", "11 December 2026", "11 dec 26",
     "Dec 11 2026", "Fri 11 Dec 2026", "11-12-2026", "11.12.2026", "11th Dec 2026",
     "  11 Dec 2026  ", "11/12", "11 Dec"],
)  # fmt: skip
def test_the_ways_people_write_11_december_2026(typed: str) -> None:
    assert parse_typed_date(typed, TODAY) == date(2026, 12, 11)


def test_words() -> None:
    assert parse_typed_date("today", TODAY) == TODAY
    assert parse_typed_date("Today", TODAY) == TODAY
    assert parse_typed_date("tomorrow", TODAY) == date(2026, 11, 27)
    assert parse_typed_date("yesterday", TODAY) == date(2026, 11, 25)


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("32/12/2026", "There is no 32 December 2026"),
        ("31 Feb 2026", "There is no 31 February 2026"),
        ("11/13/2026", "has no month 13 (day first, the UK way)"),
        ("banana", "is not a date Keel understands"),
        ("12", "is not a date Keel understands"),
        ("", "is not a date Keel understands"),
        ("11 Smarch 2026", "is not a date Keel understands"),
    ],
)
def test_what_is_not_a_date_is_refused_with_what_to_type(typed: str, says: str) -> None:
    with pytest.raises(ValueError, match=re.escape(says)) as refused:
        parse_typed_date(typed, TODAY)
    assert "11/12/2026" in str(refused.value) or "check the day" in str(refused.value)
