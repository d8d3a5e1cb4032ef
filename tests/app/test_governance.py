"""Supervision that feeds governance: themes, trend alerts at the edges of N, M and D, the life
of a governance item (alert → item → tabled → decided → closed with a change), links both ways,
refused transitions, the MDT agenda and the learning log (read back from the PDF), heat map."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from app import dbapi
from app.domain.catalogue import CLINICAL, GROUP
from app.domain.governance import Forum, ItemSource, ItemStatus, alert_text, window_words
from app.domain.policy import Policy
from app.domain.records import ActionOwner
from app.errors import UsageError
from app.services import governance as gov
from app.services import themes as theme_service
from app.services.agenda import mdt_agenda, write_mdt_agenda
from app.services.records import RecordService
from app.services.reports.base import KeelDocument
from app.services.reports.governance import (
    band,
    learning_log_section,
    theme_heatmap_section,
)
from app.services.sessions import SessionService
from app.storage.audit import entries_for
from app.storage.db import Database
from app.storage.evidence import canonical_content, verify_fingerprints
from tests.app.governance_support import (
    action,
    flat,
    pdf_text,
    person,
    session,
    theme_id,
)

AS_OF = date(2026, 11, 26)
THEME = "Delayed crisis response"
POLICY = Policy()  # N = 3 sessions, M = 2 workers, D = 56 days


@pytest.fixture
def team(db: Database) -> dict[str, object]:
    lead = person(db, "Amara Okafor", qualified=True)
    a = person(db, "Ben Adeyemi", line_sup=lead.id, clin_sup=lead.id)
    b = person(db, "Ellie Marsh", line_sup=lead.id, clin_sup=lead.id)
    c = person(db, "Grace Mwangi", line_sup=lead.id, clin_sup=lead.id)
    return {"lead": lead, "a": a, "b": b, "c": c}


def trends(db: Database, **kw: object) -> list[gov.TrendAlert]:
    return gov.detect_trends(db, AS_OF, POLICY, **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- trend rule


def test_alert_text_reads_like_the_issue() -> None:
    assert alert_text(THEME, 5, 4, 56) == (
        "Delayed crisis response — raised in 5 sessions by 4 workers in the last 8 weeks"
    )
    assert alert_text("X", 1, 1, 30) == "X — raised in 1 session by 1 worker in the last 30 days"
    assert (
        alert_text("X", 6, 5, 56, groups=3)
        == "X — raised in 6 sessions (3 group) by 5 workers in the last 8 weeks"
    )
    assert window_words(7) == "the last week"
    assert window_words(1) == "the last day"


def test_n_minus_one_sessions_raise_no_alert_and_n_do(db, team) -> None:
    a, b = team["a"], team["b"]
    session(db, a, AS_OF - timedelta(days=3), themes=[THEME])
    session(db, b, AS_OF - timedelta(days=10), themes=[THEME])
    assert trends(db) == []
    third = session(db, a, AS_OF - timedelta(days=20), themes=[THEME])
    [alert] = trends(db)
    assert (
        alert.text
        == "Delayed crisis response — raised in 3 sessions by 2 workers in the last 8 weeks"
    )
    assert alert.sessions == 3 and alert.workers == 2
    assert alert.session_ids[0] == third  # oldest first
    assert set(alert.worker_ids) == {a.id, b.id}


def test_m_minus_one_workers_raise_no_alert(db, team) -> None:
    a, b = team["a"], team["b"]
    for days in (1, 8, 15, 22):
        session(db, a, AS_OF - timedelta(days=days), themes=[THEME])
    assert trends(db) == []  # four sessions, one worker
    session(db, b, AS_OF - timedelta(days=30), themes=[THEME])
    assert [x.workers for x in trends(db)] == [2]


def test_a_session_exactly_d_days_old_counts_and_d_plus_one_does_not(db, team) -> None:
    a, b = team["a"], team["b"]
    session(db, a, AS_OF - timedelta(days=1), themes=[THEME])
    session(db, b, AS_OF - timedelta(days=2), themes=[THEME])
    edge = session(db, a, AS_OF - timedelta(days=POLICY.trend_window_days), themes=[THEME])
    [alert] = trends(db)
    assert edge in alert.session_ids
    assert alert.window_start == AS_OF - timedelta(days=56)
    # The same data one day later: the edge session is D + 1 days old.
    assert gov.detect_trends(db, AS_OF + timedelta(days=1), POLICY) == []


def test_only_held_sessions_on_or_before_as_of_count(db, team) -> None:
    a, b = team["a"], team["b"]
    session(db, a, AS_OF - timedelta(days=1), themes=[THEME])
    session(db, b, AS_OF - timedelta(days=2), themes=[THEME])
    from app.domain.model import SessionStatus

    session(db, a, AS_OF - timedelta(days=3), themes=[THEME], status=SessionStatus.CANCELLED,
            cancel_reason="Workload")  # fmt: skip
    session(db, b, AS_OF - timedelta(days=4), themes=[THEME], status=SessionStatus.DID_NOT_ATTEND)
    session(db, a, AS_OF + timedelta(days=1), themes=[THEME])  # after the as-of date
    assert trends(db) == []


def test_a_group_counts_every_attendee_once_and_once_as_a_session(db, team) -> None:
    a, b, c, lead = team["a"], team["b"], team["c"], team["lead"]
    session(db, None, AS_OF - timedelta(days=5), type_=GROUP, supervisor=lead,
            attendees=[a, b, c], themes=[THEME])  # fmt: skip
    session(db, a, AS_OF - timedelta(days=6), themes=[THEME])
    assert trends(db) == []  # two sessions, although three workers
    session(db, b, AS_OF - timedelta(days=7), themes=[THEME])
    [alert] = trends(db)
    assert (alert.sessions, alert.workers) == (3, 3)  # a and b count once each


def test_a_team_counts_only_its_own_workers(db, team) -> None:
    a, b, lead = team["a"], team["b"], team["lead"]
    d = person(db, "Rosa Martinez", team="Crisis")
    session(db, a, AS_OF - timedelta(days=1), themes=[THEME])
    session(db, b, AS_OF - timedelta(days=2), themes=[THEME])
    session(db, None, AS_OF - timedelta(days=3), type_=GROUP, supervisor=lead, attendees=[a, d],
            themes=[THEME])  # fmt: skip
    [north] = trends(db, team="North")
    # a and b one to one, and the group (a and Rosa) as one voice: 3 sessions, 3 workers.
    assert (north.sessions, north.group_sessions, north.workers) == (3, 1, 3)
    assert trends(db, team="Crisis") == []  # one session (the group) involves the team
    [everyone] = trends(db)
    assert everyone.workers == 3


def test_a_theme_on_a_single_decision_raises_it_and_counts_once(db, team) -> None:
    a, b = team["a"], team["b"]
    session(db, a, AS_OF - timedelta(days=1), decision_themes=[THEME])
    session(db, b, AS_OF - timedelta(days=2), themes=[THEME], decision_themes=[THEME])
    session(db, a, AS_OF - timedelta(days=3), decision_themes=[THEME])
    [alert] = trends(db)
    assert alert.sessions == 3


def test_the_window_text_uses_days_when_not_whole_weeks(db, team) -> None:
    a, b = team["a"], team["b"]
    for i, w in enumerate((a, b, a)):
        session(db, w, AS_OF - timedelta(days=i), themes=[THEME])
    policy = Policy(trend_window_days=30, trend_min_sessions=3, trend_min_workers=2)
    [alert] = gov.detect_trends(db, AS_OF, policy)
    assert alert.text.endswith("in the last 30 days")


def test_a_retired_theme_never_alerts(db, team) -> None:
    a, b = team["a"], team["b"]
    for i, w in enumerate((a, b, a)):
        session(db, w, AS_OF - timedelta(days=i), themes=[THEME])
    theme_service.retire_theme(db, theme_id(db, THEME), AS_OF - timedelta(days=1))
    assert trends(db) == []
    # Looking back to before it was retired, the trend was there.
    assert len(gov.detect_trends(db, AS_OF - timedelta(days=2), POLICY)) == 0  # only 1 session
    theme_service.restore_theme(db, theme_id(db, THEME))
    assert len(trends(db)) == 1


# --------------------------------------------------------------------------- dismissal


def test_a_dismissed_alert_stays_away_until_a_new_session_raises_the_theme(db, team) -> None:
    a, b = team["a"], team["b"]
    for i, w in enumerate((a, b, a)):
        session(db, w, AS_OF - timedelta(days=10 + i), themes=[THEME])
    [alert] = trends(db)
    with pytest.raises(UsageError, match="why"):
        gov.dismiss_alert(db, alert, "   ")
    outcome = gov.dismiss_alert(db, alert, "Already on the risk register", by="Amara Okafor")
    assert trends(db) == []
    assert len(trends(db, include_handled=True)) == 1
    # Days pass with no new session: still away (even the next day's window).
    assert gov.detect_trends(db, AS_OF + timedelta(days=7), POLICY) == []
    stored = db.execute("SELECT reason, outcome FROM trend_alerts WHERE id = ?", [outcome])
    assert stored.fetchone() == ("Already on the risk register", "dismissed")
    assert [e.action for e in entries_for(db, outcome)] == ["dismiss"]
    [history] = gov.alert_history(db)
    assert (history.outcome, history.reason, history.theme_name) == (
        "dismissed",
        "Already on the risk register",
        THEME,
    )
    # A new session raising the theme brings it back, counting the whole window.
    new = session(db, b, AS_OF - timedelta(days=1), themes=[THEME])
    [back] = trends(db)
    assert back.sessions == 4 and back.new_session_ids == (new,) and back.returning


def test_alert_outcomes_are_append_only(db, team) -> None:
    a, b = team["a"], team["b"]
    for i, w in enumerate((a, b, a)):
        session(db, w, AS_OF - timedelta(days=i), themes=[THEME])
    gov.dismiss_alert(db, trends(db)[0], "Known issue")
    with pytest.raises(dbapi.IntegrityError):
        db.execute("UPDATE trend_alerts SET reason = 'changed'")
    with pytest.raises(dbapi.IntegrityError):
        db.execute("DELETE FROM trend_alerts")


# --------------------------------------------------------------------------- items


def test_alert_to_item_to_closed_with_a_change_links_both_ways(db, team) -> None:
    a, b = team["a"], team["b"]
    ids = [session(db, w, AS_OF - timedelta(days=5 + i), themes=[THEME])
           for i, w in enumerate((a, b, a, b))]  # fmt: skip
    [alert] = trends(db)
    item = gov.alert_to_item(db, alert, forum=Forum.QUALITY, raised_by="Amara Okafor")
    assert item.source is ItemSource.ALERT and item.status is ItemStatus.RAISED
    assert item.title == THEME and item.theme_name == THEME
    assert alert.text in item.description
    assert set(item.session_ids) == set(ids)
    for sid in ids:  # forward links from every source session
        assert [i.id for i in gov.items_for_session(db, sid)] == [item.id]
    assert trends(db) == []  # taken to governance: the alert is handled

    item = gov.table_item(db, item.id, AS_OF + timedelta(days=7))
    assert item.status is ItemStatus.TABLED and item.tabled_on == AS_OF + timedelta(days=7)
    item = gov.decide_item(db, item.id, "Revise the escalation protocol", AS_OF + timedelta(days=7))
    item = gov.record_change(db, item.id, "Escalation protocol revised; on-call rota clarified",
                             AS_OF + timedelta(days=30))  # fmt: skip
    assert item.status is ItemStatus.DECIDED and not item.in_learning_log
    item = gov.close_item(db, item.id, AS_OF + timedelta(days=35))
    assert item.status is ItemStatus.CLOSED and item.in_learning_log
    assert item.change_made_on == AS_OF + timedelta(days=30)

    [entry] = gov.learning_log(db)
    assert entry.item.id == item.id and entry.workers == 2 and len(entry.sources) == 4
    actions = [e.action for e in entries_for(db, item.id)]
    assert actions == ["raise", "table", "decide", "change", "close"]
    # Tabling recorded the meeting: the next agenda counts themes from the day after it.
    agenda = mdt_agenda(db, AS_OF + timedelta(days=40), Forum.QUALITY)
    assert gov.meetings(db) == [(Forum.QUALITY, AS_OF + timedelta(days=7))]
    assert agenda.last_meeting == AS_OF + timedelta(days=7)
    assert agenda.since == AS_OF + timedelta(days=8)


def test_flag_to_governance_from_a_signed_record(db, team) -> None:
    a, lead = team["a"], team["lead"]
    sid = session(db, a, AS_OF - timedelta(days=2), supervisor=lead, issues="Crisis wait.")
    RecordService(db).sign_off(sid, "Amara Okafor", confirmed=True, accept_gaps=True)
    item = gov.flag_session(db, sid, forum=Forum.SAFEGUARDING, title="Children at risk",
                            raised_on=AS_OF, theme_id=theme_id(db, THEME))  # fmt: skip
    assert item.source is ItemSource.SESSION and item.session_ids == (sid,)
    assert [i.id for i in gov.items_for_session(db, sid)] == [item.id]
    assert verify_fingerprints(db) == []  # the signed record itself is unchanged
    other = session(db, team["b"], AS_OF - timedelta(days=1))
    item = gov.link_sessions(db, item.id, [other])
    assert set(item.session_ids) == {sid, other}
    item = gov.unlink_session(db, item.id, other)
    assert item.session_ids == (sid,)


def test_raise_by_hand_and_edit(db, team) -> None:
    item = gov.raise_item(db, forum=Forum.MDT, title="  Duty cover  ", raised_on=AS_OF)
    assert item.source is ItemSource.MANUAL and item.title == "Duty cover" and not item.session_ids
    item = gov.edit_item(db, item.id, title="Duty cover on duty days", forum=Forum.QUALITY)
    assert (item.title, item.forum) == ("Duty cover on duty days", Forum.QUALITY)
    with pytest.raises(UsageError):
        gov.raise_item(db, forum=Forum.MDT, title=" ", raised_on=AS_OF)
    with pytest.raises(UsageError, match="no longer exists"):
        gov.raise_item(db, forum=Forum.MDT, title="x", raised_on=AS_OF, session_ids=["nope"])


def test_invalid_transitions_are_refused(db, team) -> None:
    item = gov.raise_item(db, forum=Forum.MDT, title="Duty cover", raised_on=AS_OF)
    with pytest.raises(gov.TransitionRefused, match="Table the item"):
        gov.decide_item(db, item.id, "Decided", AS_OF)
    with pytest.raises(gov.TransitionRefused, match="decision before closing"):
        gov.close_item(db, item.id, AS_OF)
    with pytest.raises(gov.TransitionRefused):
        gov.record_change(db, item.id, "Changed", AS_OF)
    with pytest.raises(UsageError, match="raised on"):
        gov.table_item(db, item.id, AS_OF - timedelta(days=1))
    gov.table_item(db, item.id, AS_OF)
    with pytest.raises(gov.TransitionRefused, match="Only a raised item"):
        gov.table_item(db, item.id, AS_OF)
    with pytest.raises(UsageError, match="forum decided"):
        gov.decide_item(db, item.id, "  ", AS_OF)
    gov.decide_item(db, item.id, "Protect duty days", AS_OF)
    gov.close_item(db, item.id, AS_OF + timedelta(days=1), note="No change needed")
    for attempt in (
        lambda: gov.edit_item(db, item.id, title="New"),
        lambda: gov.link_sessions(db, item.id, []),
        lambda: gov.close_item(db, item.id, AS_OF + timedelta(days=2)),
        lambda: gov.record_change(db, item.id, "x", AS_OF),
    ):
        with pytest.raises(gov.TransitionRefused):
            attempt()
    assert gov.learning_log(db) == []  # closed without a change: not in the learning log
    # The database refuses what the service would: skipping a step or touching a closed item.
    other = gov.raise_item(db, forum=Forum.MDT, title="Other", raised_on=AS_OF)
    with pytest.raises(dbapi.IntegrityError, match="raised → tabled"):
        db.execute("UPDATE governance_items SET status = 'decided', tabled_on = ?, "
                   "decided_on = ?, decision = 'x' WHERE id = ?",
                   [AS_OF.isoformat(), AS_OF.isoformat(), other.id])  # fmt: skip
    with pytest.raises(dbapi.IntegrityError, match="final"):
        db.execute("UPDATE governance_items SET title = 'x' WHERE id = ?", [item.id])
    with pytest.raises(dbapi.IntegrityError):
        db.execute("DELETE FROM governance_items WHERE id = ?", [other.id])


# --------------------------------------------------------------------------- themes


def test_themes_add_rename_retire_restore_and_usage(db, team) -> None:
    a = team["a"]
    own = theme_service.add_theme(db, "  Interpreter   delays ")
    assert own.name == "Interpreter delays" and not own.seeded
    with pytest.raises(UsageError, match="already a theme"):
        theme_service.add_theme(db, "interpreter DELAYS")
    sid = session(
        db, a, AS_OF, themes=["Interpreter delays"], decision_themes=["Interpreter delays"]
    )
    renamed = theme_service.rename_theme(db, own.id, "Interpreting delays")
    assert renamed.name == "Interpreting delays"
    with pytest.raises(UsageError, match="already a theme"):
        theme_service.rename_theme(db, own.id, THEME)
    usage = {u.theme.name: u for u in theme_service.theme_usage(db)}
    assert (usage["Interpreting delays"].sessions, usage["Interpreting delays"].decisions) == (1, 1)
    assert usage["Interpreting delays"].last_used == AS_OF

    theme_service.retire_theme(db, own.id, AS_OF)
    offered = {t.id for t in theme_service.themes_for_tagging(db)}
    assert own.id not in offered
    assert own.id in {t.id for t in theme_service.themes_for_tagging(db, already=[own.id])}
    with pytest.raises(UsageError, match="retired"):
        theme_service.add_theme(db, "Interpreting delays")
    # The old record keeps its tag and still saves; a new record cannot take it.
    service = SessionService(db)
    old = service.get(sid)
    assert old is not None and own.id in old.theme_ids and own.id in old.decisions[0].theme_ids
    service.save(old)
    with pytest.raises(UsageError, match="retired"):
        session(db, a, AS_OF, themes=["Interpreting delays"])
    with pytest.raises(UsageError, match="retired"):
        session(db, a, AS_OF, decision_themes=["Interpreting delays"])
    theme_service.restore_theme(db, own.id)
    session(db, a, AS_OF, themes=["Interpreting delays"])
    actions = [e.action for e in entries_for(db, own.id)]
    assert actions == ["create", "rename", "retire", "restore"]


def test_decision_themes_are_locked_and_fingerprinted_without_changing_old_fingerprints(
    db, team
) -> None:
    a, lead = team["a"], team["lead"]
    plain = session(db, a, AS_OF, supervisor=lead)
    tagged = session(db, a, AS_OF, supervisor=lead, decision_themes=[THEME])
    assert "decision_themes" not in canonical_content(db, plain)
    assert canonical_content(db, tagged)["decision_themes"] == [[theme_id(db, THEME)]]
    for sid in (plain, tagged):
        RecordService(db).sign_off(sid, "Amara Okafor", confirmed=True, accept_gaps=True)
    assert verify_fingerprints(db) == []
    with pytest.raises(dbapi.IntegrityError, match="locked"):
        db.execute("DELETE FROM decision_themes")


# --------------------------------------------------------------------------- heat map


def test_theme_counts_by_week_and_month(db, team) -> None:
    a, b, lead = team["a"], team["b"], team["lead"]
    mon = date(2026, 11, 2)  # a Monday
    session(db, a, mon, themes=[THEME, "Workload pressure"])
    session(db, b, mon + timedelta(days=6), decision_themes=[THEME])  # Sunday, same week
    session(db, None, mon + timedelta(days=7), type_=GROUP, supervisor=lead, attendees=[a, b],
            themes=[THEME])  # fmt: skip
    session(db, a, date(2026, 10, 30), themes=[THEME])
    session(db, a, date(2026, 10, 20), themes=[THEME])  # before the period
    weeks = theme_service.theme_counts(db, date(2026, 10, 28), date(2026, 11, 15), "week")
    assert weeks.starts == (date(2026, 10, 26), date(2026, 11, 2), date(2026, 11, 9))
    assert weeks.labels == ("26 Oct", "2 Nov", "9 Nov")
    by_name = {r.name: r.counts for r in weeks.rows}
    assert by_name == {THEME: (1, 2, 1), "Workload pressure": (0, 1, 0)}
    assert [r.name for r in weeks.rows] == [THEME, "Workload pressure"]
    assert weeks.max_count == 2
    months = theme_service.theme_counts(db, date(2026, 10, 1), date(2026, 11, 30), "month")
    assert months.labels == ("Oct 2026", "Nov 2026")
    assert {r.name: r.counts for r in months.rows}[THEME] == (2, 3)
    everything = theme_service.theme_counts(
        db, date(2026, 10, 1), date(2026, 11, 30), "month", include_unused=True
    )
    assert len(everything.rows) == 11 and everything.rows[-1].total == 0
    with pytest.raises(UsageError):
        theme_service.theme_counts(db, AS_OF, AS_OF, "year")  # type: ignore[arg-type]


def test_heat_map_bands_read_without_colour() -> None:
    assert [band(c, 8) for c in (0, 1, 2, 3, 4, 5, 8)] == [0, 1, 1, 2, 2, 3, 4]
    assert [band(c, 1) for c in (0, 1)] == [0, 1]


# --------------------------------------------------------------------------- PDFs


def _sections_pdf(tmp_path: Path, story: list, *, layout: bool = False) -> str:
    out = tmp_path / "sections.pdf"
    KeelDocument(out, title="Sections", service_name="Test").build(story)
    return pdf_text(out, layout=layout)


def test_learning_log_lists_exactly_the_closed_items_with_a_change(db, team, tmp_path) -> None:
    a = team["a"]
    sid = session(db, a, date(2026, 9, 1), themes=[THEME])

    def walk(title: str, changed: date | None, *, close: bool = True) -> None:
        item = gov.flag_session(db, sid, forum=Forum.QUALITY, title=title,
                                raised_on=date(2026, 9, 2))  # fmt: skip
        gov.table_item(db, item.id, date(2026, 9, 10))
        gov.decide_item(db, item.id, f"Decision on {title}", date(2026, 9, 10))
        if changed is not None:
            gov.record_change(db, item.id, f"Change for {title}", changed)
        if close:
            gov.close_item(db, item.id, date(2026, 10, 31))

    walk("Included one", date(2026, 10, 1))
    walk("Included two", date(2026, 10, 20))
    walk("Closed without change", None)
    walk("Changed before the period", date(2026, 9, 15))
    walk("Decided not closed", date(2026, 10, 5), close=False)
    gov.raise_item(db, forum=Forum.QUALITY, title="Only raised", raised_on=date(2026, 10, 2))

    log = gov.learning_log(db, date(2026, 10, 1), date(2026, 10, 31))
    assert [e.item.title for e in log] == ["Included one", "Included two"]
    text = _sections_pdf(tmp_path, learning_log_section(log, date(2026, 10, 1), date(2026, 10, 31)))
    squashed = flat(text)
    assert "Whatsupervisionchanged" in squashed
    for title in ("Includedone", "Includedtwo", "ChangeforIncludedone", "DecisiononIncludedtwo"):
        assert title in squashed
    for absent in ("Closedwithoutchange", "Changedbefore", "Decidednotclosed", "Onlyraised"):
        assert absent not in squashed
    assert "2changesintheperiod" in squashed
    none = gov.learning_log(db, date(2025, 1, 1), date(2025, 2, 1))
    empty = _sections_pdf(tmp_path, learning_log_section(none, date(2025, 1, 1), date(2025, 2, 1)))
    assert "No governance item was closed with a change made" in empty


def test_theme_heat_map_section_prints_the_counts(db, team, tmp_path) -> None:
    a, b = team["a"], team["b"]
    for day in (3, 4, 5):
        session(db, a, date(2026, 10, day), themes=[THEME])
    session(db, b, date(2026, 11, 3), themes=["Workload pressure"])
    counts = theme_service.theme_counts(db, date(2026, 10, 1), date(2026, 11, 30), "month")
    text = _sections_pdf(tmp_path, theme_heatmap_section(counts), layout=True)
    lines = [line.split() for line in text.splitlines()]
    assert ["Delayed", "crisis", "response", "3", "·", "3"] in lines
    assert ["Workload", "pressure", "·", "1", "1"] in lines
    assert "Shading:" in text


def _agenda_world(db: Database, team: dict) -> dict[str, str]:
    a, b, c, lead = team["a"], team["b"], team["c"], team["lead"]
    ids: dict[str, str] = {}
    ids["s1"] = session(db, a, AS_OF - timedelta(days=20), supervisor=lead, themes=[THEME],
                        issues="NARRATIVE-NEVER-PRINTED", confidential="SECRET-NOTE",
                        case_refs="C-1001, C-1002",
                        actions=[action("Raise duty cover at the MDT", ActionOwner.SUPERVISOR,
                                        AS_OF - timedelta(days=3), "Minutes"),
                                 action("Update own notes", ActionOwner.SUPERVISEE,
                                        AS_OF - timedelta(days=3)),
                                 action("Ask the ward about follow-up", ActionOwner.OTHER,
                                        AS_OF + timedelta(days=3))])  # fmt: skip
    ids["s2"] = session(db, b, AS_OF - timedelta(days=10), supervisor=lead, themes=[THEME],
                        case_refs="C-1003")  # fmt: skip
    ids["s3"] = session(db, c, AS_OF - timedelta(days=5), supervisor=lead, themes=[THEME])
    raised = gov.flag_session(db, ids["s1"], forum=Forum.MDT, title="Raised item",
                              raised_on=AS_OF - timedelta(days=19))  # fmt: skip
    tabled = gov.raise_item(db, forum=Forum.MDT, title="Tabled item",
                            raised_on=AS_OF - timedelta(days=40), session_ids=[ids["s2"]])  # fmt: skip
    gov.table_item(db, tabled.id, AS_OF - timedelta(days=28))
    decided = gov.raise_item(db, forum=Forum.MDT, title="Decided item",
                             raised_on=AS_OF - timedelta(days=40))  # fmt: skip
    gov.table_item(db, decided.id, AS_OF - timedelta(days=28))
    gov.decide_item(db, decided.id, "Agreed a new rota", AS_OF - timedelta(days=28))
    closed = gov.raise_item(db, forum=Forum.MDT, title="Closed item",
                            raised_on=AS_OF - timedelta(days=40))  # fmt: skip
    gov.table_item(db, closed.id, AS_OF - timedelta(days=28))
    gov.decide_item(db, closed.id, "Done", AS_OF - timedelta(days=28))
    gov.close_item(db, closed.id, AS_OF - timedelta(days=27), change_made="Rota changed")
    gov.raise_item(db, forum=Forum.SAFEGUARDING, title="Other forum item", raised_on=AS_OF)
    gov.raise_item(db, forum=Forum.MDT, title="Raised after the meeting",
                   raised_on=AS_OF + timedelta(days=1))  # fmt: skip
    ids.update(raised=raised.id, tabled=tabled.id, decided=decided.id)
    return ids


def test_mdt_agenda_holds_exactly_the_right_items(db, team, tmp_path) -> None:
    lead = team["lead"]
    # High-risk worker overdue for clinical supervision; a standard-tier one also overdue.
    risky = person(db, "Rosa Martinez", clin_sup=lead.id, factors=(3, 3, 2, 2),
                   assessed_on=AS_OF - timedelta(days=100))  # fmt: skip
    session(db, risky, AS_OF - timedelta(days=40), type_=CLINICAL, supervisor=lead)
    steady = person(db, "Tom Gallagher", clin_sup=lead.id, factors=(2, 2, 2, 2))
    session(db, steady, AS_OF - timedelta(days=60), type_=CLINICAL, supervisor=lead)
    ids = _agenda_world(db, team)

    agenda = mdt_agenda(db, AS_OF, Forum.MDT)
    assert [a.item.title for a in agenda.items] == ["Tabled item", "Decided item", "Raised item"]
    assert agenda.last_meeting == AS_OF - timedelta(days=28)
    assert agenda.since == AS_OF - timedelta(days=27)
    assert [i.title for i in agenda.closed_since] == ["Closed item"]
    [trend] = agenda.trends
    assert (trend.name, trend.sessions, trend.workers) == (THEME, 3, 3)
    assert trend.alert_text.startswith(
        "Delayed crisis response — raised in 3 sessions by 3 workers"
    )
    assert [a.description for a in agenda.overdue_actions] == ["Raise duty cover at the MDT"]
    assert [w.name for w in agenda.overdue_high_risk] == ["Rosa Martinez"]
    assert agenda.overdue_high_risk[0].days_overdue == 40 - 14
    assert agenda.items[2].case_refs == ("C-1001", "C-1002")

    out = write_mdt_agenda(db, AS_OF, Forum.MDT, tmp_path / "mdt.pdf")
    text = pdf_text(out)
    squashed = flat(text)
    assert "MDTmeeting—agenda" in squashed
    for present in ("Raiseditem", "Tableditem", "Decideditem", "Decision:Agreedanewrota",
                    "C-1001,C-1002", "RaisedutycoverattheMDT", "RosaMartinez",
                    "Delayedcrisisresponse—raisedin3sessions"):  # fmt: skip
        assert present in squashed, present
    for absent in ("Otherforumitem", "Raisedafterthemeeting", "Updateownnotes",
                   "Askthewardaboutfollow-up", "TomGallagher", "NARRATIVE-NEVER-PRINTED",
                   "SECRET-NOTE"):  # fmt: skip
        assert absent not in squashed, absent
    assert "Closeditem" in squashed and "Rotachanged" in squashed  # "closed since" only
    assert f"{ids['raised']}" not in text  # ids never printed


def test_agenda_since_can_be_given_and_defaults_to_the_trend_window(db, team) -> None:
    agenda = mdt_agenda(db, AS_OF, Forum.SAFEGUARDING)
    assert agenda.last_meeting is None and agenda.since == AS_OF - timedelta(days=56)
    assert agenda.since_words == "in the last 8 weeks (no earlier meeting recorded)"
    gov.record_meeting(db, Forum.SAFEGUARDING, AS_OF - timedelta(days=14))
    agenda = mdt_agenda(db, AS_OF, Forum.SAFEGUARDING)
    assert agenda.since == AS_OF - timedelta(days=13)
    assert agenda.since_words == "since the last Safeguarding meeting (12 Nov 2026)"
    agenda = mdt_agenda(db, AS_OF, Forum.SAFEGUARDING, since=date(2026, 1, 1))
    assert agenda.since_words == "since 1 Jan 2026"


# --------------------------------------------------------------------------- demo


def test_the_demo_shows_a_trend_a_decided_change_and_a_learning_log(db, tmp_path) -> None:
    from app.services.agreements import agreements_due
    from app.services.demo import load_demo

    load_demo(db, today=AS_OF)
    alerts = {a.theme_name: a for a in gov.detect_trends(db, AS_OF)}
    assert THEME in alerts and alerts[THEME].workers >= 4
    assert "Workload pressure" not in alerts  # dismissed with a reason in the demo
    items = gov.list_items(db)
    decided = [i for i in items if i.status is ItemStatus.DECIDED and i.change_made]
    assert decided and decided[0].forum is Forum.MDT and decided[0].session_ids
    [entry] = gov.learning_log(db)
    assert entry.item.source is ItemSource.ALERT and len(entry.sources) >= 3
    assert {d.status.value for d in agreements_due(db, AS_OF)} == {"overdue", "due_soon"}
    agenda = mdt_agenda(db, AS_OF, Forum.MDT)
    assert decided[0].id in {a.item.id for a in agenda.items}
    assert any(t.name == THEME and t.alert for t in agenda.trends)
    # pypdf reads each cell's lines together (poppler ran the item beside its outcome space).
    from tests.app.pdfcheck import pdf_text as pypdf_text

    text = flat(pypdf_text(write_mdt_agenda(db, AS_OF, Forum.MDT, tmp_path / "demo.pdf")))
    assert flat(decided[0].title) in text and "Changemade:" in text
    assert "Delayedcrisisresponse—raised" in text
