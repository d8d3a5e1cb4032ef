"""The supervisee's copy deadline: working days in the policy's UK nation (the ``holidays``
calendar's bank holidays), across Christmas, Easter and a nation's own bank holiday."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from app.domain.policy import SETTINGS, Policy
from app.domain.working_days import (
    NATIONS,
    add_working_days,
    bank_holidays,
    working_days_between,
)

EW, SCOTLAND, NI = "England and Wales", "Scotland", "Northern Ireland"


def test_christmas_and_new_year_are_not_working_days() -> None:
    # Wed 23 Dec 2026: Thu 24 (1); Fri 25 Christmas; Sat, Sun; Mon 28 Boxing Day (substitute,
    # the 26th is a Saturday); Tue 29 (2), Wed 30 (3), Thu 31 (4); Fri 1 Jan; Mon 4 Jan (5).
    assert add_working_days(date(2026, 12, 23), 5, EW) == date(2027, 1, 4)
    assert working_days_between(date(2026, 12, 23), date(2027, 1, 4), EW) == 5
    assert working_days_between(date(2026, 12, 23), date(2027, 1, 5), EW) == 6


def test_easter_good_friday_and_easter_monday() -> None:
    # Easter 2027 is Sunday 28 March: Good Friday 26th and Easter Monday 29th are holidays in
    # England and Wales. Thu 25 Mar + 5: Tue 30 (1) … Mon 5 Apr (5).
    assert add_working_days(date(2027, 3, 25), 5, EW) == date(2027, 4, 5)
    # Scotland has no Easter Monday bank holiday: one day sooner.
    assert add_working_days(date(2027, 3, 25), 5, SCOTLAND) == date(2027, 4, 2)


def test_st_andrews_day_counts_in_scotland_only() -> None:
    # Mon 30 Nov 2026 is St Andrew's Day, a bank holiday in Scotland alone.
    assert date(2026, 11, 30) in bank_holidays(SCOTLAND, 2026)
    assert date(2026, 11, 30) not in bank_holidays(EW, 2026)
    # Fri 27 Nov + 5 working days.
    assert add_working_days(date(2026, 11, 27), 5, EW) == date(2026, 12, 4)
    assert add_working_days(date(2026, 11, 27), 5, SCOTLAND) == date(2026, 12, 7)


def test_st_patricks_day_counts_in_northern_ireland_only() -> None:
    # Tue 17 Mar 2026 is St Patrick's Day, a bank holiday in Northern Ireland.
    assert add_working_days(date(2026, 3, 16), 1, NI) == date(2026, 3, 18)
    assert add_working_days(date(2026, 3, 16), 1, EW) == date(2026, 3, 17)
    assert add_working_days(date(2026, 3, 16), 1, SCOTLAND) == date(2026, 3, 17)


def test_the_policy_settings_drive_the_deadline() -> None:
    policy = Policy()
    assert (policy.copy_deadline_working_days, policy.bank_holiday_nation) == (5, EW)
    assert policy.copy_due(date(2026, 11, 27)) == date(2026, 12, 4)
    scottish = replace(policy, bank_holiday_nation=SCOTLAND, copy_deadline_working_days=3)
    assert scottish.copy_due(date(2026, 11, 27)) == date(2026, 12, 3)
    names = {s.name: s for s in SETTINGS}
    assert names["bank_holiday_nation"].choices == tuple(NATIONS)
    assert names["bank_holiday_nation"].problem("Wales") is not None
    assert names["copy_deadline_working_days"].problem(0) is not None
    assert Policy.from_dict({**policy.to_dict(), "copy_deadline_working_days": 7}) == replace(
        policy, copy_deadline_working_days=7
    )


@pytest.mark.parametrize(
    ("start", "on", "first", "following"),
    [
        ("1 April", date(2026, 3, 31), date(2025, 4, 1), date(2026, 4, 1)),
        ("1 April", date(2026, 4, 1), date(2026, 4, 1), date(2027, 4, 1)),
        ("1 January", date(2026, 12, 31), date(2026, 1, 1), date(2027, 1, 1)),
        ("1 September", date(2026, 8, 31), date(2025, 9, 1), date(2026, 9, 1)),
    ],
)
def test_the_service_year(start: str, on: date, first: date, following: date) -> None:
    assert replace(Policy(), service_year_start=start).service_year(on) == (first, following)
    assert Policy().service_year_start == "1 April"
