"""The compliance pack as an inspector or commissioner reads it: never a false figure for a
period that runs past today, and the parts they look for — the policy in force, headcount,
what became of the actions agreed, themes and their heat map, team wellbeing without names,
and the learning log of what supervision changed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from app.domain.catalogue import LINE
from app.domain.governance import Forum
from app.domain.model import SessionStatus, Worker
from app.domain.policy import Policy
from app.domain.records import Action, ActionOwner, SessionRecord, Workload
from app.errors import UsageError
from app.services import governance
from app.services.compliance_data import gather_compliance, write_compliance_pack
from app.services.history_data import build_worker_history_pdf
from app.services.sessions import SessionService
from app.services.workers import WorkerService
from app.storage.db import Database, transaction
from app.storage.policies import save_policy
from tests.app.pdfcheck import page_texts, pdf_text
from tests.app.reportdata import Service, make_service

TODAY = date(2026, 12, 6)
START = date(2026, 1, 1)
NEXT_MONTH = date(2027, 1, 28)


@pytest.fixture
def service(db: Database) -> Service:
    return make_service(db)


def pack(db: Database, folder: Path, date_to: date, name: str = "pack.pdf") -> Path:
    return write_compliance_pack(db, START, date_to, folder / name, today=TODAY)


# --------------------------------------------------------------------------- the future


def test_a_period_ending_after_today_gives_the_figures_of_today(db, service, tmp_path) -> None:
    """On 6 Dec, --to 2026-12-31 printed 46% and 36 overdue, --to today 90% and 7."""
    future = gather_compliance(db, START, NEXT_MONTH, today=TODAY)
    now = gather_compliance(db, START, TODAY, today=TODAY)
    assert future.until == TODAY and future.cut and not now.cut
    assert [p.on for p in future.points] == [p.on for p in now.points]
    assert all(p.on <= TODAY for p in future.points)
    assert [p.table for p in future.points] == [p.table for p in now.points]
    assert future.overdue == now.overdue and future.overdue_workers == now.overdue_workers
    for line in future.overdue:  # never a due date after today
        assert line.due is None or line.due < TODAY


def test_the_first_page_says_the_period_was_cut_at_today(db, service, tmp_path) -> None:
    first = page_texts(pack(db, tmp_path, NEXT_MONTH))[0]
    assert "The period asked for ends on 28 Jan 2027, after today (6 Dec 2026)." in first
    assert "counted to 6 Dec 2026" in first
    assert "1 Jan 2026 to 6 Dec 2026" in first
    assert "Overdue on 6 Dec 2026" in first
    assert "28 Jan 2027*" not in pdf_text(tmp_path / "pack.pdf")
    # A period that ends today, or earlier, says nothing of the kind.
    assert "period asked for" not in pdf_text(pack(db, tmp_path, TODAY, "today.pdf"))


def test_a_period_that_starts_after_today_is_refused(db, service, tmp_path) -> None:
    with pytest.raises(UsageError, match="starts after today"):
        write_compliance_pack(db, date(2027, 1, 1), NEXT_MONTH, tmp_path / "x.pdf", today=TODAY)
    assert not (tmp_path / "x.pdf").exists()


def test_the_history_marks_past_due_by_the_same_rule(db, service, tmp_path) -> None:
    sessions = SessionService(db)
    sessions.save(
        SessionRecord(type=LINE, status=SessionStatus.HELD,
                      session_date=date(2026, 12, 1), worker_id=service.other.id,
                      supervisor_id=service.lead.id, issues="Lone working.",
                      actions=[Action("Due next week", ActionOwner.SUPERVISEE,
                                      TODAY + timedelta(days=7)),
                               Action("Due yesterday", ActionOwner.SUPERVISEE,
                                      TODAY - timedelta(days=1))])
    )  # fmt: skip
    out = build_worker_history_pdf(
        db, service.other.id, START, NEXT_MONTH, tmp_path / "h.pdf", today=TODAY
    )
    text = pdf_text(out)
    assert "Due yesterday" in text and "5 Dec 2026 (past due)" in text
    assert "13 Dec 2026 (past due)" not in text and "13 Dec 2026" in text
    assert "“past due” means due before 6 Dec 2026" in text


# --------------------------------------------------------------------------- what is in it


def test_the_learning_log_and_heat_map_are_in_the_pack(db, service, tmp_path) -> None:
    item = governance.flag_session(
        db, service.second, forum=Forum.MDT, title="Caseloads above the team norm",
        raised_on=date(2026, 11, 20),
    )  # fmt: skip
    governance.table_item(db, item.id, date(2026, 11, 24))
    governance.decide_item(db, item.id, "Cap allocations at 28", date(2026, 11, 24))
    governance.close_item(
        db, item.id, date(2026, 12, 1), change_made="Allocation meeting now checks caseload size"
    )
    text = pdf_text(pack(db, tmp_path, TODAY))
    assert "What supervision changed (learning log)" in text
    assert "Allocation meeting now checks caseload size" in text
    assert "Cap allocations at 28" in text
    assert "Themes by month (heat map)" in text and "Workload pressure" in text
    # A pack for a period before the change has the log, empty, and says so.
    early = pdf_text(write_compliance_pack(db, START, date(2026, 10, 31), tmp_path / "e.pdf",
                                          today=TODAY))  # fmt: skip
    assert "No governance item was closed with a change made in this period." in early


def test_the_policy_in_force_prints_every_type_and_tier(db, service, tmp_path) -> None:
    text = pdf_text(pack(db, tmp_path, TODAY))
    assert "The policy in force" in text
    assert "Version 1, in force from the start" in text
    assert "Clinical supervision 14 days 28 days 42 days 14 days" in text
    assert "Line management supervision 28 days 42 days 56 days 7 days" in text
    assert "Reflective / group supervision 28 days 42 days 56 days 28 days" in text

    policy = Policy()
    types = tuple(
        replace(t, intervals={"high": 10, "standard": 21, "low": 35}) if t.key == "clinical"
        else t for t in policy.types
    )  # fmt: skip
    with transaction(db):
        save_policy(db, replace(policy, types=types), created_by="Amara Okafor",
                    effective_from=TODAY - timedelta(days=45), reason="Monthly clinical")  # fmt: skip
    text = pdf_text(pack(db, tmp_path, TODAY, "changed.pdf"))
    assert "2 versions of the service's supervision policy were in force" in text
    assert "by Amara Okafor" in text and "Monthly clinical" in text
    assert "Clinical supervision 10 days 21 days 35 days" in text


def test_headcount_per_team(db, service, tmp_path) -> None:
    workers = WorkerService(db)
    workers.save(Worker(id="", name="New Starter", team="South Community Team",
                        start_date=date(2026, 6, 1)))  # fmt: skip
    leaver = workers.save(Worker(id="", name="Left Early", team="South Community Team",
                                 start_date=date(2020, 1, 1)))  # fmt: skip
    workers.save(replace(leaver, left_on=date(2026, 9, 30)))
    data = gather_compliance(db, START, TODAY, today=TODAY)
    rows = {h.team: (h.at_start, h.joined, h.left, h.at_end, h.on_leave) for h in data.headcount}
    assert rows == {"North Community Team": (2, 0, 0, 2, 0),
                    "South Community Team": (2, 1, 1, 2, 0)}  # fmt: skip
    text = pdf_text(pack(db, tmp_path, TODAY))
    assert "Headcount per team" in text
    assert "South Community Team 2 1 1 2 0" in text and "All teams 4 1 1 4 0" in text
    assert "Workers in post on 6 Dec 2026 4 in 2 teams" in text


def test_action_completion_as_the_actions_stood_at_the_end(db, service, tmp_path) -> None:
    # The 2 Oct action (due 30 Oct) was done on 20 Nov: late. The 20 Nov one, due 4 Dec, is
    # open: overdue on 6 Dec, not yet due on 26 Nov.
    late = gather_compliance(db, START, TODAY, today=TODAY).actions["North Community Team"]
    assert (late.agreed, late.on_time, late.late, late.open_not_due, late.overdue) == (
        2, 0, 1, 0, 1)  # fmt: skip
    earlier = gather_compliance(db, START, date(2026, 11, 26), today=TODAY)
    north = earlier.actions["North Community Team"]
    assert (north.agreed, north.late, north.open_not_due, north.overdue) == (2, 1, 1, 0)
    # Closed after the end of the period: it counts as it stood then (open).
    before = gather_compliance(db, START, date(2026, 11, 10), today=TODAY)
    first = before.actions["North Community Team"]
    assert (first.agreed, first.overdue, first.late) == (1, 1, 0)
    text = pdf_text(pack(db, tmp_path, TODAY))
    assert "What became of the actions agreed" in text
    assert "North Community Team 2 0 1 0 0 1" in text


def test_themes_raised_over_the_period(db, service, tmp_path) -> None:
    data = gather_compliance(db, START, TODAY, today=TODAY)
    assert [(t.name, t.sessions, t.workers, t.teams) for t in data.themes] == [
        ("Workload pressure", 1, 1, 1)
    ]
    assert "Themes raised over the period" in pdf_text(pack(db, tmp_path, TODAY))


def team_with_pulses(db: Database, team: str, scores: list[int]) -> list[Worker]:
    workers = WorkerService(db)
    sessions = SessionService(db)
    made = []
    for n, score in enumerate(scores):
        w = workers.save(Worker(id="", name=f"Pulse Person {team[:5]} {n}", team=team,
                                start_date=date(2024, 1, 1)))  # fmt: skip
        sessions.save(
            SessionRecord(type=LINE, status=SessionStatus.HELD,
                          session_date=date(2026, 10, 1 + n), worker_id=w.id, issues="Pulse.",
                          wellbeing=score, workload=Workload.EXCESSIVE if score < 5 else
                          Workload.MANAGEABLE, moral_distress=score < 4,
                          support_offered="EAP" if score < 4 else "")
        )  # fmt: skip
        made.append(w)
    return made


def test_team_wellbeing_is_aggregated_and_never_names_anyone(db, service, tmp_path) -> None:
    team_with_pulses(db, "East Team", [3, 6, 9])
    data = gather_compliance(db, START, TODAY, today=TODAY)
    east = next(t for t in data.wellbeing if t.team == "East Team")
    assert (east.sessions, east.workers, east.scored, east.low) == (3, 3, 3, 1)
    assert east.mean == pytest.approx(6.0)
    assert (east.excessive, east.distress, east.support) == (1, 1, 1) and east.shown
    north = next(t for t in data.wellbeing if t.team == "North Community Team")
    assert north.workers == 1 and not north.shown  # one person: their own scores
    pages = page_texts(pack(db, tmp_path, TODAY))
    section = next(p for p in pages if "Team wellbeing (no names)" in p)
    section = section[section.index("Team wellbeing (no names)") :]
    assert "East Team 3 3 6.0 1 (33%) 1 (33%) 1 (33%) 1" in section
    assert "North Community Team Fewer than 3 workers: not shown" in section
    for name in ("Pulse Person", "Łukasz", "Zoë", "Amara"):
        assert name not in section.split("Themes raised")[0]


def test_the_demo_pack_reads_right(tmp_path) -> None:
    """The demo's pack: every section there, the period cut at today, and the sign-off counts
    matching the records (issue 14 makes the demo sign two thirds of them)."""
    from app.services.demo import load_demo
    from app.storage.db import close_database, open_database

    db = open_database(tmp_path / "demo.db")
    try:
        load_demo(db, today=TODAY)
        out = write_compliance_pack(db, START, NEXT_MONTH, tmp_path / "demo.pdf", today=TODAY)
        data = gather_compliance(db, START, NEXT_MONTH, today=TODAY)
        held = db.execute(
            "SELECT count(*), count(signed_at) FROM sessions WHERE status = 'held' "
            "AND session_date BETWEEN ? AND ?",
            [START.isoformat(), TODAY.isoformat()],
        ).fetchone()
    finally:
        close_database(db)
    text = pdf_text(out)
    for title in ("Summary", "The policy in force", "Headcount per team",
                  "Compliance at each month end", "Overdue on 6 Dec 2026, worst first",
                  "Cancellations and their reasons", "What became of the actions agreed",
                  "Records awaiting sign-off", "Record quality", "Team wellbeing (no names)",
                  "Themes raised over the period", "Themes by month (heat map)",
                  "What supervision changed (learning log)"):  # fmt: skip
        assert title in text, title
    assert data.held == held[0]
    assert len(data.unsigned) == held[0] - held[1]
    assert f"Records awaiting the supervisor's sign-off {held[0] - held[1]:,}" in text
