"""`export-pdf agenda`: a governance meeting's agenda from the command line, with space for each
item's outcome, and overdue counted to the meeting date or today, whichever is earlier."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from app.domain.governance import Forum
from app.domain.records import ActionOwner
from app.services import governance as gov
from app.services.agenda import mdt_agenda
from app.services.exports import ExportService
from app.storage.db import Database, close_database, open_database
from tests.app.governance_support import CLINICAL, action, person, session
from tests.app.pdfcheck import page_texts, pdf_text
from tests.app.test_export_cli import exports_logged

TODAY = date(2026, 11, 26)
NEXT_WEEK = TODAY + timedelta(days=7)


def world(db: Database) -> dict[str, str]:
    """An MDT item, a high-risk worker whose clinical supervision falls due after today, and
    actions overdue today and falling due before next week's meeting."""
    lead = person(db, "Amara Okafor", qualified=True)
    ben = person(db, "Ben Adeyemi", line_sup=lead.id, clin_sup=lead.id)
    risky = person(db, "Rosa Martinez", clin_sup=lead.id, factors=(3, 3, 2, 2),
                   assessed_on=TODAY - timedelta(days=100))  # fmt: skip
    # High tier: clinical every 14 days; held 12 days ago, so due in 2 days (after today).
    session(db, risky, TODAY - timedelta(days=12), type_=CLINICAL, supervisor=lead)
    sid = session(
        db, ben, TODAY - timedelta(days=20), supervisor=lead, case_refs="C-2001",
        actions=[action("Overdue since last week", ActionOwner.SUPERVISOR,
                        TODAY - timedelta(days=5), "Minutes"),
                 action("Falls due before the meeting", ActionOwner.OTHER,
                        TODAY + timedelta(days=3))],
    )  # fmt: skip
    item = gov.flag_session(db, sid, forum=Forum.MDT, title="Duty cover on clinic days",
                            raised_on=TODAY - timedelta(days=19))  # fmt: skip
    gov.raise_item(db, forum=Forum.SAFEGUARDING, title="Threshold for adult referrals",
                   raised_on=TODAY - timedelta(days=2))  # fmt: skip
    return {"session": sid, "item": item.id}


def test_overdue_is_counted_to_today_for_a_meeting_next_week(db) -> None:
    world(db)
    agenda = mdt_agenda(db, NEXT_WEEK, Forum.MDT, today=TODAY)
    assert agenda.counted_to == TODAY
    assert [(a.description, a.days_overdue) for a in agenda.overdue_actions] == [
        ("Overdue since last week", 5)
    ]
    assert agenda.overdue_high_risk == ()  # due in 2 days: not overdue yet
    assert "Overdue as on 26 Nov 2026 (today; the meeting is on 3 Dec 2026)" in (
        agenda.counted_words
    )
    # A meeting already held (or today's) counts to its own date.
    past = mdt_agenda(db, TODAY - timedelta(days=1), Forum.MDT, today=TODAY)
    assert past.counted_to == TODAY - timedelta(days=1)
    assert [a.days_overdue for a in past.overdue_actions] == [4]
    assert past.counted_words == "Overdue as on the meeting date, 25 Nov 2026."


def test_the_pdf_has_outcome_space_and_says_which_date_overdue_is_counted_to(db, tmp_path) -> None:
    world(db)
    out = ExportService(db, today=lambda: TODAY).mdt_agenda(NEXT_WEEK, Forum.MDT,
                                                            tmp_path / "a.pdf")  # fmt: skip
    text = pdf_text(out)
    assert "MDT meeting — agenda" in text and "meeting on 3 Dec 2026" in text
    assert "Duty cover on clinic days" in text and "Outcome (write here)" in text
    assert "Outcome: Owner: By:" in text
    assert "Overdue as on 26 Nov 2026 (today; the meeting is on 3 Dec 2026)" in text
    assert "Overdue since last week" in text and "(5 days overdue)" in text
    assert "Falls due before the meeting" not in text
    assert "Rosa Martinez" not in text
    assert "Actions agreed at this meeting" in text
    assert "Threshold for adult referrals" not in text  # another forum's item
    assert all("Page" in page for page in page_texts(out))


REPO = Path(__file__).resolve().parents[2]
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable


def keel(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("KEEL_DB", None)
    done = subprocess.run([PYTHON, str(REPO / "main.py"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    return done


@pytest.fixture
def agenda_db(db_path: Path) -> Path:
    db = open_database(db_path)
    try:
        world(db)
    finally:
        close_database(db)
    return db_path


def exports(db_path: Path) -> list[dict[str, object]]:
    return [detail for _entity, _id, detail in exports_logged(db_path)]


def test_cli_export_pdf_agenda(agenda_db, tmp_path) -> None:
    out = tmp_path / "mdt.pdf"
    done = keel("--db", str(agenda_db), "export-pdf", "agenda", "--date", "2026-11-25",
                "--out", str(out), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Wrote {out}" and done.stderr == ""
    text = pdf_text(out)
    assert "MDT meeting — agenda" in text and "meeting on 25 Nov 2026" in text
    assert "Overdue as on the meeting date, 25 Nov 2026." in text
    sg = tmp_path / "sg.pdf"
    done = keel("--db", str(agenda_db), "export-pdf", "agenda", "--forum", "safeguarding",
                "--date", "25/11/2026", "--out", str(sg), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Threshold for adult referrals" in pdf_text(sg)
    assert [(e["report"], e["forum"], e["meeting"]) for e in exports(agenda_db)] == [
        ("mdt_agenda", "mdt", "2026-11-25"), ("mdt_agenda", "safeguarding", "2026-11-25")
    ]  # fmt: skip


def test_cli_export_pdf_agenda_defaults_to_today_and_the_mdt(agenda_db, tmp_path) -> None:
    out = tmp_path / "today.pdf"
    done = keel("--db", str(agenda_db), "export-pdf", "agenda", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    today = date.today()
    assert f"meeting on {today.day} {today:%b} {today.year}" in pdf_text(out)
    assert exports(agenda_db)[-1]["forum"] == "mdt"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--forum", "board"], "invalid choice: 'board'"),
        (["--date", "2026-02-30"], "not a real date"),
        (["--date", "tomorrow"], "not a date"),
        ([], "required: --out"),
    ],
)
def test_cli_export_pdf_agenda_bad_input_is_exit_2(agenda_db, tmp_path, args, message) -> None:
    out_args = [] if message == "required: --out" else ["--out", str(tmp_path / "x.pdf")]
    done = keel("--db", str(agenda_db), "export-pdf", "agenda", *args, *out_args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert not (tmp_path / "x.pdf").exists()
    assert exports(agenda_db) == []
