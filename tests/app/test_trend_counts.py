"""Trend counts that do not confuse: a group session counts once and its attendees as one
worker ("raised 6 times by 22 workers" was 3 groups and 3 one-to-ones); the policy's "at least
M different workers" applies to that same count; the Governance screen's alerts and the MDT
agenda's are the same alerts with the same words."""

from __future__ import annotations

from datetime import date, timedelta

from app.domain.catalogue import GROUP
from app.domain.governance import Forum
from app.domain.policy import Policy
from app.services import governance as gov
from app.services.agenda import mdt_agenda
from app.storage.db import Database
from tests.app.governance_support import person, session

AS_OF = date(2026, 11, 26)
THEME = "Delayed crisis response"
OTHER = "Workload pressure"


def _team(db: Database, size: int = 9) -> list:  # type: ignore[type-arg]
    lead = person(db, "Priya Nair", qualified=True)
    return [lead] + [person(db, f"Worker {n}") for n in range(size)]


def test_a_group_session_counts_once_and_its_attendees_as_one_worker(db: Database) -> None:
    lead, *staff = _team(db)
    for n in range(3):  # three reflective groups, seven attendees each
        session(db, None, AS_OF - timedelta(days=2 + n), type_=GROUP, supervisor=lead,
                attendees=staff[:7], themes=[THEME])  # fmt: skip
    for n, worker in enumerate(staff[:3]):  # and three one-to-ones with different workers
        session(db, worker, AS_OF - timedelta(days=10 + n), themes=[THEME])
    [alert] = gov.detect_trends(db, AS_OF, Policy())
    assert (alert.sessions, alert.group_sessions, alert.workers) == (6, 3, 6)
    assert alert.text == (
        "Delayed crisis response — raised in 6 sessions (3 group) by 6 workers in the last 8 weeks"
    )
    assert len(alert.worker_ids) == 7  # everyone involved is still listed, for the item


def test_the_policys_minimum_of_workers_applies_to_the_same_count(db: Database) -> None:
    """One group of eight and two one-to-ones with the same worker: 3 sessions from 2
    workers — below a minimum of 3 (counting attendees would have said 8, and alerted)."""
    lead, *staff = _team(db)
    session(db, None, AS_OF - timedelta(days=3), type_=GROUP, supervisor=lead,
            attendees=staff[:8], themes=[THEME])  # fmt: skip
    session(db, staff[0], AS_OF - timedelta(days=5), themes=[THEME])
    session(db, staff[0], AS_OF - timedelta(days=20), themes=[THEME])
    policy = Policy(trend_min_sessions=3, trend_min_workers=3, trend_window_days=56)
    assert gov.detect_trends(db, AS_OF, policy) == []
    assert len(gov.detect_trends(db, AS_OF, Policy(trend_min_workers=2))) == 1


def test_the_screen_and_the_mdt_agenda_agree_on_the_alerts(db: Database) -> None:
    _lead, a, b, c, *_ = _team(db, 4)
    for n, worker in enumerate((a, b, c)):  # THEME alerts
        session(db, worker, AS_OF - timedelta(days=20 + n), themes=[THEME])
    for n, worker in enumerate((a, b, a)):  # OTHER alerts too, and is then dismissed
        session(db, worker, AS_OF - timedelta(days=30 + n), themes=[OTHER])
    [dismissed] = [x for x in gov.detect_trends(db, AS_OF) if x.theme_name == OTHER]
    gov.dismiss_alert(db, dismissed, "Known: the rota gap is being filled.")
    # The MDT met five days ago: THEME has no session since, but still alerts today.
    gov.record_meeting(db, Forum.MDT, AS_OF - timedelta(days=5))
    screen = gov.detect_trends(db, AS_OF)  # what the Governance screen lists
    agenda = mdt_agenda(db, AS_OF, Forum.MDT, today=AS_OF)
    alerting = [t for t in agenda.trends if t.alert]
    assert [a.text for a in screen] == [t.alert_text for t in alerting]
    assert [a.theme_name for a in screen] == [THEME]
    [theme] = alerting
    assert (theme.sessions, theme.workers) == (0, 0)  # none since the last meeting
