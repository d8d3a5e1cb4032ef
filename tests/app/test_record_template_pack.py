"""The compliance pack's record parts (issue 16), on the demo: supervisees' copies given within
the deadline, late, or not yet — each counted against the working days an independent count
gives — and escalations counted by where to, never named."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from app.dates import uk
from app.domain.records import Escalation
from app.domain.working_days import add_working_days
from app.services.compliance_data import write_compliance_pack
from app.services.demo import load_demo
from app.storage.db import Database
from tests.app.pdfcheck import pdf_text

TODAY = date(2026, 11, 20)
START = date(2026, 4, 1)


def test_the_pack_counts_copies_against_the_deadline_and_escalations(
    db: Database, tmp_path: Path
) -> None:
    load_demo(db, today=TODAY)
    on_time = late = not_yet = overdue = 0
    for signed_at, _response, given in db.execute(
        "SELECT s.signed_at, s.supervisee_response, s.copy_given_on FROM sessions s "
        "JOIN supervision_types t ON t.key = s.type WHERE s.status = 'held' "
        "AND s.signed_at IS NOT NULL AND t.kind = 'one-to-one' AND s.session_date BETWEEN ? AND ?",
        [START.isoformat(), TODAY.isoformat()],
    ):
        signed = datetime.fromisoformat(signed_at.replace("Z", "+00:00")).date()
        due = add_working_days(signed, 5, "England and Wales")
        if given is not None:
            if date.fromisoformat(given) <= due:
                on_time += 1
            else:
                late += 1
        elif due < TODAY:
            overdue += 1
        else:
            not_yet += 1
    assert late > 0 and on_time > late and overdue + not_yet > 0  # the demo has each
    escalated = dict(
        db.execute(
            "SELECT escalation, count(*) FROM sessions WHERE status = 'held' AND escalation IS "
            "NOT NULL AND session_date BETWEEN ? AND ? GROUP BY escalation",
            [START.isoformat(), TODAY.isoformat()],
        ).fetchall()
    )
    assert escalated.get("occupational_health", 0) > 0

    text = pdf_text(write_compliance_pack(db, START, TODAY, tmp_path / "pack.pdf", today=TODAY))
    assert "Supervisees' copies of signed records" in text
    assert "Policy: the supervisee is given a copy within 5 working days of sign-off" in text
    assert f"Given within the deadline {on_time:,}" in text
    assert f"Given late {late:,}" in text
    assert f"Not given yet (deadline not passed) {not_yet:,}" in text
    assert f"Not given yet, deadline passed {overdue:,}" in text
    assert "Escalations from supervision" in text
    for kind in Escalation:
        assert f"{kind.label} {escalated.get(kind.value, 0):,}" in text
    # Counted, never named: no supervisee's name appears in the escalation section.
    part = text[text.index("Escalations from supervision") : text.index("Record quality")]
    names = [r[0] for r in db.execute("SELECT name FROM workers")]
    assert not any(name in part for name in names)


def test_the_worker_history_pack_carries_the_new_items(db: Database, tmp_path: Path) -> None:
    from app.services.history_data import build_worker_history_pdf

    load_demo(db, today=TODAY)
    worker_id, name, employed = db.execute(
        "SELECT w.id, w.name, w.employment_start FROM workers w JOIN sessions s "
        "ON s.worker_id = w.id WHERE s.safeguarding = 1 AND s.session_date >= ? "
        "AND w.employment_start IS NOT NULL LIMIT 1",
        [START.isoformat()],
    ).fetchone()
    out = build_worker_history_pdf(db, worker_id, START, TODAY, tmp_path / "h.pdf", today=TODAY)
    text = pdf_text(out)
    assert f"Employed since {date.fromisoformat(employed):%-d %b %Y}" in text
    assert "Safeguarding, incidents, escalations and comments" in text
    assert "Safeguarding concern: Concern raised about" in text
    assert "Stretched" not in text  # shown in the template's word
    assert "Sickness (days)" in text
    assert name in text


def test_session_x_of_y_counts_the_type_in_the_service_year(db: Database) -> None:
    from dataclasses import replace

    from app.domain.catalogue import LINE
    from app.domain.model import SessionStatus, Worker
    from app.domain.policy import Policy
    from app.domain.records import SessionRecord
    from app.services.record_facts import year_count
    from app.services.sessions import SessionService
    from app.services.workers import WorkerService

    workers = WorkerService(db)
    lead = workers.save(Worker("", "Priya Nair", "Team lead", "North", date(2015, 1, 1)))
    ana = workers.save(
        Worker("", "Ana Silva", "CPN", "North", date(2019, 1, 1), line_supervisor_id=lead.id)
    )
    sessions = SessionService(db)
    saved = {}
    for day in (date(2026, 3, 20), date(2026, 4, 10), date(2026, 5, 20), date(2026, 7, 1)):
        rec = SessionRecord(type=LINE, status=SessionStatus.HELD, session_date=day,
                            worker_id=ana.id, supervisor_id=lead.id)  # fmt: skip
        saved[day] = sessions.save(rec).record
    # Not assessed: the standard tier, line every 42 days; 1 Apr 2026 to 1 Apr 2027 is 365
    # days: y = ceil(365 / 42) = 9. The March session is in the previous service year.
    count = year_count(db, saved[date(2026, 7, 1)], Policy())
    assert count is not None
    assert (count.number, count.expected, count.interval_days) == (3, 9, 42)
    assert count.words == "3 of 9 this service year (from 1 Apr 2026)"
    march = year_count(db, saved[date(2026, 3, 20)], Policy())
    assert march is not None and march.number == 1 and march.year_start == date(2025, 4, 1)
    # A January service year counts the March session too.
    january = year_count(
        db, saved[date(2026, 7, 1)], replace(Policy(), service_year_start="1 January")
    )
    assert january is not None and january.number == 4


def test_a_group_record_lists_each_attendee_s_acknowledgement_by_name(
    db: Database, tmp_path: Path
) -> None:
    from app.domain.catalogue import GROUP
    from app.domain.model import SessionStatus, Worker
    from app.domain.records import Decision, SessionRecord
    from app.services.record_view import build_record_pdf
    from app.services.records import RecordService
    from app.services.sessions import SessionService
    from app.services.workers import WorkerService

    workers = WorkerService(db)
    lead = workers.save(Worker("", "Priya Nair", "Team lead", "North", date(2015, 1, 1)))
    ana = workers.save(Worker("", "Ana Silva", "CPN", "North", date(2019, 1, 1)))
    ben = workers.save(Worker("", "Ben Carter", "OT", "North", date(2019, 1, 1)))
    rec = SessionRecord(
        type=GROUP, status=SessionStatus.HELD, session_date=date(2026, 11, 2),
        supervisor_id=lead.id, attendees=[ana.id, ben.id], issues="Reflective group.",
        risk_link=False, decisions=[Decision("Share the learning", "Useful")],
    )  # fmt: skip
    sid = SessionService(db).save(rec).record.id
    records = RecordService(db)
    text = pdf_text(build_record_pdf(db, sid, tmp_path / "draft.pdf"))
    assert "Ana Silva Not yet (the record is not signed)" in text
    records.sign_off(sid, "Priya Nair", confirmed=True, accept_gaps=True)
    records.respond(sid, agree=True, name="ben carter", attendee_id=ben.id)
    text = pdf_text(build_record_pdf(db, sid, tmp_path / "group.pdf"))
    assert "Attendees and their acknowledgement" in text
    assert "Ana Silva Not yet" in text
    assert f"Ben Carter Acknowledged on {uk(date.today())}" in text
    assert "Responded 1 of 2 attendees" in text
    assert "Signed by supervisor; 1 of 2 attendees acknowledged; awaiting 1" in text
    assert "awaiting supervisee" not in text
    # Ana responds in her own name: disagreeing, with her comments, and her copy.
    records.respond(sid, agree=False, name="Ana Silva", comment="My case was not discussed.",
                    attendee_id=ana.id, copy_received=True, copy_given_on=date.today())  # fmt: skip
    text = pdf_text(build_record_pdf(db, sid, tmp_path / "both.pdf"))
    assert "Ben Carter Acknowledged on" in text
    assert (
        f"Ana Silva Disagreed on {uk(date.today())}: “My case was not discussed.”. Copy given on "
        f"{uk(date.today())}"
    ) in " ".join(text.split())
    assert "Responded 2 of 2 attendees" in text
    flat = " ".join(text.split())
    assert "Signed by supervisor; 1 of 2 attendees acknowledged, 1 recorded disagreement" in flat
    assert "Each attendee responds in their own name: 2 of 2 have" in flat
    assert "Not yet" not in text.split("Attendees and their acknowledgement")[1].split("Agenda")[0]
