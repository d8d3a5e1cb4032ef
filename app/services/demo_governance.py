"""The demo service's governance and agreements, added once its sessions are stored.

What it shows, by design (all dates relative to the demo's "today"):

* an earlier theme trend taken to the quality and governance meeting, decided, the change made
  and the item closed — the learning log's entry ("what supervision changed");
* a duty-cover item flagged from a line management record, tabled at the last MDT meeting,
  decided, and its change made — open on the next MDT agenda to report and close;
* a new item flagged from a reflective group about housing threats behind crisis
  presentations;
* the current "Delayed crisis response" trend left as a live alert for the Governance screen,
  and the "Workload pressure" alert dismissed with its reason;
* three supervision agreements: one review overdue, one due soon, one a while off.

Everything goes through the ordinary services (so it is audited like a user's own work) and
finds its sessions by content, so it adapts if the demo's records change.
"""

from __future__ import annotations

from datetime import date, timedelta

from app.domain.agreements import AgreedType, Agreement
from app.domain.catalogue import CLINICAL, GROUP, LINE
from app.domain.governance import Forum
from app.services import governance as gov
from app.services.agreements import save_agreement
from app.storage.db import Database
from app.storage.themes import theme_by_name


def _day(today: date, days_ago: int) -> date:
    return today - timedelta(days=days_ago)


def _latest_held(db: Database, like: str, before: date, type_: str | None = None) -> str | None:
    row = db.execute(
        "SELECT id FROM sessions WHERE status = 'held' AND issues LIKE ? AND session_date <= ? "
        "AND (? IS NULL OR type = ?) ORDER BY session_date DESC, id LIMIT 1",
        [like, before.isoformat(), type_, type_],
    ).fetchone()
    return None if row is None else str(row[0])


def _worker(db: Database, name: str) -> str | None:
    row = db.execute("SELECT id FROM workers WHERE name = ?", [name]).fetchone()
    return None if row is None else str(row[0])


def _learning_log_entry(db: Database, today: date) -> None:
    """An earlier 'Repeated crisis trigger' trend → quality meeting → change → closed."""
    theme = theme_by_name(db, "Repeated crisis trigger")
    alert = None
    for days_ago in range(150, 95, -5):
        found = [
            a
            for a in gov.detect_trends(db, _day(today, days_ago), include_handled=True)
            if theme is not None and a.theme_id == theme.id
        ]
        if found:
            alert = found[0]
            break
    if alert is None:
        return
    raised = alert.as_of
    item = gov.alert_to_item(
        db, alert, forum=Forum.QUALITY,
        title="Crisis presentations after Friday ward discharges",
        description=f"{alert.text}. Several people presented in crisis within days of a "
        "Friday discharge with no follow-up arranged over the weekend.",
        raised_on=raised, raised_by="Graham Whitfield",
    )  # fmt: skip
    gov.table_item(db, item.id, raised + timedelta(days=9))
    gov.decide_item(
        db, item.id,
        "Ask the inpatient wards to book a 72-hour follow-up before every discharge, and add "
        "weekend discharges to the crisis team's handover.",
        raised + timedelta(days=9),
    )  # fmt: skip
    gov.close_item(
        db, item.id, raised + timedelta(days=51),
        change_made="72-hour follow-up now booked before discharge; ward discharge checklist "
        "revised; weekend discharges on the crisis handover",
        change_made_on=raised + timedelta(days=44),
        note="Checked at the quality meeting: no crisis presentation after a Friday discharge "
        "without follow-up since the change.",
    )  # fmt: skip


def _duty_cover_item(db: Database, today: date) -> None:
    """Flagged from a line management record; tabled at the last MDT; decided; change made."""
    source = _latest_held(db, "Duty days are overrunning%", _day(today, 30), "line")
    if source is None:
        return
    blockage = theme_by_name(db, "System blockage or delay")
    item = gov.flag_session(
        db, source, forum=Forum.MDT, title="Duty worker also booked for visits on duty days",
        description="Referrals waited more than a day for a triage call because the duty "
        "worker was out on visits.",
        raised_on=_day(today, 27), raised_by="Sarah Okafor",
        theme_id=blockage.id if blockage else None,
    )  # fmt: skip
    gov.table_item(db, item.id, _day(today, 21))
    gov.decide_item(
        db, item.id, "Protect duty days: no visits booked for the duty worker; review the rota.",
        _day(today, 21),
    )  # fmt: skip
    gov.record_change(
        db, item.id, "Duty rota changed: duty days protected from visits", _day(today, 9)
    )


def _housing_item(db: Database, today: date) -> None:
    """A new item from a reflective group."""
    source = _latest_held(db, "Repeated crisis presentations linked to housing%", today, "group")
    if source is None:
        return
    trigger = theme_by_name(db, "Repeated crisis trigger")
    gov.flag_session(
        db, source, forum=Forum.MDT, title="Housing threats behind repeated crisis presentations",
        description="The reflective group noticed the same pattern across caseloads: crisis "
        "presentations after letters from landlords. Ask for a housing officer at the MDT.",
        raised_on=_day(today, 2), raised_by="Amira Haddad",
        theme_id=trigger.id if trigger else None,
    )  # fmt: skip


def _dismissed_alert(db: Database, today: date) -> None:
    for alert in gov.detect_trends(db, today):
        if alert.theme_name == "Workload pressure":
            gov.dismiss_alert(
                db, alert, "Already on the service's risk register and reviewed at the monthly "
                "workforce meeting; no separate governance item needed.", by="Graham Whitfield",
            )  # fmt: skip


def _agreements(db: Database, today: date) -> None:
    plans = (
        # (worker, line, clinical, reflective, started days ago, review in days)
        ("Łukasz Nowak", "Sarah Okafor", "Amira Haddad", "Amira Haddad", 355, 10),
        ("Rhys Evans", "Noa Ben-David", "Noa Ben-David", "Amira Haddad", 370, -5),
        ("Jade Thompson", "Graham Whitfield", "Grace Mwangi", "Amira Haddad", 20, 70),
    )
    for worker, line, clinical, reflective, started, review in plans:
        ids = [_worker(db, n) for n in (worker, line, clinical, reflective)]
        if ids[0] is None:
            continue
        new = started <= 30
        save_agreement(
            db,
            Agreement(
                worker_id=ids[0], starts_on=_day(today, started),
                review_on=today + timedelta(days=review),
                types=(AgreedType(LINE, ids[1], 14 if new else 28),
                       AgreedType(CLINICAL, ids[2], 7 if new else 28),
                       AgreedType(GROUP, ids[3], 14)),
                duration_minutes=60,
                location="Team base, a private room (video when working remotely)",
                recorded="A Keel record of each session, signed by both; confidential "
                "reflective notes kept out of reports",
                access="The worker, their supervisors and the service manager",
            ),
        )  # fmt: skip


def add_demo_governance(db: Database, today: date) -> None:
    """Add the demo's governance items and agreements (inside the caller's transaction)."""
    _learning_log_entry(db, today)
    _duty_cover_item(db, today)
    _housing_item(db, today)
    _dismissed_alert(db, today)
    _agreements(db, today)
