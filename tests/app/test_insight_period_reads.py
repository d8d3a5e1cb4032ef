"""Team wellbeing and supervisor workload read only the period (plus the few earlier readings
a flag or a gap needs), not the whole history: the figures must be exactly those of reading
everything, which is what these reference versions do (the code before the change)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest

from app.domain.model import TypeKey
from app.services import insight
from app.services.demo import load_demo
from app.storage.db import Database, close_database, open_database
from app.storage.policies import current_policy

TODAY = date(2026, 11, 26)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Database:
    path = tmp_path_factory.mktemp("insight") / "demo.db"
    db = open_database(path)
    load_demo(db, today=TODAY)
    yield db
    close_database(db)


def _all_held_dates(db: Database, as_of: date) -> dict[tuple[str, TypeKey], list[date]]:
    out: dict[tuple[str, TypeKey], list[date]] = defaultdict(list)
    for wid, type_, on in db.execute(
        "SELECT worker_id, type, session_date FROM sessions WHERE status = 'held' "
        "AND worker_id IS NOT NULL AND session_date <= ? ORDER BY session_date",
        [as_of.isoformat()],
    ).fetchall():
        out[(wid, TypeKey(type_))].append(date.fromisoformat(on))
    return dict(out)


def _all_pulse_rows(db: Database, date_to: date, team: str | None) -> object:
    where, params = "s.session_date <= ?", [date_to.isoformat()]
    if team is not None:
        where += " AND s.worker_id IN (SELECT id FROM workers WHERE team = ?)"
        params.append(team)
    return insight._pulse_rows(db, where, params)


PERIODS = [
    (date(2026, 11, 1), date(2026, 11, 26)),
    (date(2026, 6, 1), date(2026, 11, 26)),
    (date(2025, 12, 1), date(2026, 11, 26)),
    (date(2026, 3, 1), date(2026, 3, 31)),
    (date(2020, 1, 1), date(2026, 11, 26)),  # before the history starts
    (date(2026, 8, 17), date(2026, 9, 20)),  # not on month boundaries
]


@pytest.mark.parametrize(("first", "last"), PERIODS)
def test_supervisor_workload_matches_reading_the_whole_history(
    demo: Database, monkeypatch: pytest.MonkeyPatch, first: date, last: date
) -> None:
    policy = current_policy(demo)
    for as_of in (last, min(last, date(2026, 11, 10))):
        fast = insight.supervisor_workload(demo, first, last, policy, as_of=as_of)
        with monkeypatch.context() as m:
            m.setattr(insight, "_held_dates", lambda db, upto, since: _all_held_dates(db, upto))
            slow = insight.supervisor_workload(demo, first, last, policy, as_of=as_of)
        assert fast == slow
        assert any(r.longest_gap_days for r in fast)  # the comparison has gaps to compare


@pytest.mark.parametrize(("first", "last"), PERIODS)
def test_team_wellbeing_matches_reading_the_whole_history(
    demo: Database, monkeypatch: pytest.MonkeyPatch, first: date, last: date
) -> None:
    teams = [None, *(t for (t,) in demo.execute("SELECT DISTINCT team FROM workers"))]
    for team in teams:
        fast = insight.team_wellbeing(demo, first, last, team=team)
        with monkeypatch.context() as m:
            m.setattr(
                insight,
                "_period_pulse_rows",
                lambda db, date_from, date_to, team=None: _all_pulse_rows(db, date_to, team),
            )
            slow = insight.team_wellbeing(demo, first, last, team=team)
        assert fast == slow
    everything = insight.team_wellbeing(demo, date(2025, 12, 1), TODAY)
    assert sum(m.readings for m in everything) > 0 and sum(m.flags for m in everything) > 0


def test_flags_at_the_start_of_a_period_use_the_readings_before_it(
    demo: Database,
) -> None:
    """A fall whose first two readings are before the period still flags inside it."""
    flags = [
        (wid, f)
        for (wid,) in demo.execute("SELECT id FROM workers")
        for f in insight.worker_wellbeing(demo, wid, date_to=TODAY).flags
    ]
    assert flags
    for _wid, flag in flags:
        start = flag.on  # a period that begins on the flag's own day
        months = insight.team_wellbeing(demo, start, start)
        assert sum(m.flags for m in months) >= 1
