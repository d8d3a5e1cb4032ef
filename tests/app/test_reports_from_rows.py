"""The compliance pack and the MDT agenda are laid out from rows gathered beforehand (issue 15,
item 5): once the figures are gathered the database can be closed and the PDF still prints
everything, the heat map and the learning log included."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from app.domain.governance import Forum
from app.domain.policy import Policy
from app.services import governance
from app.services.agenda import mdt_agenda
from app.services.compliance_data import gather_compliance
from app.services.reports import compliance
from app.services.reports.mdt import build_mdt_agenda_pdf
from app.services.themes import theme_counts
from app.storage.db import close_database, open_database
from app.storage.policies import current_policy
from tests.app.pdfcheck import pdf_text
from tests.app.reportdata import make_service

TODAY = date(2026, 12, 6)
START = date(2026, 1, 1)
CHANGE = "Allocation meeting now checks caseload size"


def test_the_pack_is_laid_out_with_the_database_closed(tmp_path: Path) -> None:
    db = open_database(tmp_path / "keel.db")
    try:
        service = make_service(db)
        item = governance.flag_session(
            db, service.second, forum=Forum.MDT, title="Caseloads above the team norm",
            raised_on=date(2026, 11, 20),
        )  # fmt: skip
        governance.table_item(db, item.id, date(2026, 11, 24))
        governance.decide_item(db, item.id, "Cap allocations at 28", date(2026, 11, 24))
        governance.close_item(db, item.id, date(2026, 12, 1), change_made=CHANGE)
        data = gather_compliance(db, START, TODAY, today=TODAY)
        counts = theme_counts(db, START, TODAY, "month")
    finally:
        close_database(db)
    # What the heat map and the learning log print was gathered with the rest.
    assert data.heat_map == counts
    assert [e.item.change_made for e in data.learning] == [CHANGE]
    # Every section, the file closed: a section that read it now would raise.
    out = compliance.build_compliance_pdf(data, tmp_path / "pack.pdf")
    text = pdf_text(out)
    for expected in (
        "Supervision compliance pack", "Compliance at each month end", "Record quality",
        "Themes by month (heat map)", "Workload pressure", "What supervision changed",
        CHANGE, "Cap allocations at 28", "Supervisees' copies of signed records",
    ):  # fmt: skip
        assert expected in text, expected


def test_the_agenda_is_laid_out_with_the_database_closed(tmp_path: Path) -> None:
    db = open_database(tmp_path / "keel.db")
    try:
        service = make_service(db)
        governance.flag_session(
            db, service.second, forum=Forum.MDT, title="Duty worker double-booked",
            raised_on=date(2026, 11, 20),
        )  # fmt: skip
        policy: Policy = current_policy(db)
        agenda = mdt_agenda(db, TODAY, Forum.MDT, policy=policy, today=TODAY)
    finally:
        close_database(db)
    out = build_mdt_agenda_pdf(
        agenda, tmp_path / "agenda.pdf", service_name="Riverside CMHT", time_zone=policy.zone()
    )
    text = pdf_text(out)
    assert "MDT meeting — agenda" in text
    assert "Riverside CMHT" in text
    assert "Duty worker double-booked" in text
