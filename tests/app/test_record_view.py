"""The record PDF and the pack's record-level sections are laid out from gathered rows
(issue 15, item 5): ``gather_record`` reads the record once, the layout reads nothing (it is
drawn from a closed database), and the pack reads its copies and escalations once."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from app.domain.model import SessionStatus
from app.errors import UsageError
from app.services.compliance_data import write_compliance_pack
from app.services.demo import load_demo
from app.services.exports import ExportService
from app.services.record_view import build_record_pdf, gather_record
from app.services.records import RecordService
from app.services.reports.record import write_record_pdf
from app.storage.db import Database, close_database, open_database
from tests.app.reportdata import CONFIDENTIAL, Service, flat, make_service, pdf_text

REPORTS = Path(__file__).resolve().parents[2] / "app" / "services" / "reports"
# Every module of the reports package lays out rows a service gathered (issue 15, item 5).
LAYOUT_MODULES = tuple(sorted(p.stem for p in REPORTS.glob("*.py") if p.stem != "__init__"))


@pytest.fixture
def service(db: Database) -> Service:
    return make_service(db)


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """Every SQL statement run on ``db`` inside the block, whitespace collapsed."""
    seen: list[str] = []
    db.conn.set_trace_callback(lambda sql: seen.append(" ".join(sql.split())))
    try:
        yield seen
    finally:
        db.conn.set_trace_callback(None)


def record_reads(seen: list[str]) -> int:
    """Reads of a whole record row (``get_session``: its columns by id)."""
    return sum(1 for s in seen if re.search(r"confidential_notes.* FROM sessions WHERE id = ", s))


def sign_off_reads(seen: list[str]) -> int:
    return sum(1 for s in seen if re.match(r"SELECT signed_at, signed_by_name", s))


def count(seen: list[str], pattern: str) -> int:
    return sum(1 for s in seen if re.search(pattern, s))


def test_a_record_pdf_reads_the_record_its_sign_off_and_its_people_once(
    db: Database, service: Service, tmp_path: Path, today: date
) -> None:
    records = RecordService(db)
    records.sign_off(service.second, "Amara Okafor", confirmed=True)
    records.respond(service.second, agree=False, name="Łukasz Nowak", comment="Caseload is 34")
    records.add_addendum(service.second, author="Amara Okafor", reason="Typo", text="C-1044.")
    with statements(db) as seen:
        out = ExportService(db, today=lambda: today).record(service.second, tmp_path / "r.pdf")
    text = flat(pdf_text(out))
    assert "Caseload is 34" in text and "Typo" in text  # the PDF shows what was read once
    assert record_reads(seen) == 1  # was 2: the export checked the id, then the PDF read it
    assert sign_off_reads(seen) == 1  # was 3: one per section
    # The worker and the supervisor once each (was 3: the supervisor's name and role apart).
    assert count(seen, r"employment_start FROM workers WHERE id = ") == 2
    assert count(seen, r"FROM addenda") == 1
    assert count(seen, r"FROM countersignatures") == 1


def test_a_group_record_reads_its_responses_once(
    db_path: Path, tmp_path: Path, today: date
) -> None:
    db = open_database(db_path)
    try:
        load_demo(db, today=today)
        row = db.execute(
            "SELECT s.id, count(*) FROM sessions s JOIN attendee_responses r "
            "ON r.session_id = s.id WHERE s.worker_id IS NULL GROUP BY s.id "
            "ORDER BY count(*) DESC, s.id LIMIT 1"
        ).fetchone()
        assert row is not None and row[1] >= 2  # the demo has answered group records
        with statements(db) as seen:
            view = gather_record(db, row[0], today=today)
            out = write_record_pdf(view, tmp_path / "group.pdf")
        assert record_reads(seen) == 1
        assert sign_off_reads(seen) == 1
        # The responses once (was 4: the state words twice, the table, the sign-off).
        assert count(seen, r"FROM attendee_responses") == 1
        # The attendees' names in one query (was one worker read per attendee).
        assert count(seen, r"SELECT id, name FROM workers WHERE id IN") == 1
        assert count(seen, r"employment_start FROM workers WHERE id = ") <= 1  # the facilitator
        text = flat(pdf_text(out))
        assert "Attendees and their acknowledgement" in text
        assert f"{len(view.responses)} of {len(view.record.attendees)} attendees" in text
        for name in view.attendee_names.values():
            assert name and name in text
    finally:
        close_database(db)


def test_the_layout_reads_nothing_it_draws_from_a_closed_database(
    db_path: Path, tmp_path: Path, today: date
) -> None:
    """Gather, close the file, then lay out: every record kind (held and countersigned, group,
    cancelled, planned) still prints, so the layout holds no database handle."""
    db = open_database(db_path)
    try:
        load_demo(db, today=today)
        ids = [
            r[0]
            for r in db.execute(
                "SELECT min(session_id) FROM countersignatures UNION ALL "
                "SELECT min(id) FROM sessions WHERE worker_id IS NULL AND status = 'held' "
                "UNION ALL SELECT min(id) FROM sessions WHERE status = 'cancelled' "
                "UNION ALL SELECT min(id) FROM sessions WHERE status = 'planned' "
                "UNION ALL SELECT min(session_id) FROM addenda"
            )
        ]
        assert all(ids)
        views = [gather_record(db, sid, today=today) for sid in ids]
    finally:
        close_database(db)
    assert views[0].countersignature is not None
    for n, view in enumerate(views):
        text = flat(pdf_text(write_record_pdf(view, tmp_path / f"{n}.pdf")))
        assert view.record.id in text  # the sign-off's "Record <id> · fingerprint" line
    assert "Quality assurance" in flat(pdf_text(tmp_path / "0.pdf"))
    assert views[0].countersignature.hash in flat(pdf_text(tmp_path / "0.pdf"))
    assert views[2].record.status is SessionStatus.CANCELLED
    assert views[4].addenda and views[4].addenda[0].reason in flat(pdf_text(tmp_path / "4.pdf"))


def test_the_view_holds_the_confidential_notes_only_when_asked(
    db: Database, service: Service, tmp_path: Path
) -> None:
    plain = gather_record(db, service.second)
    asked = gather_record(db, service.second, include_confidential=True)
    assert plain.record.confidential_notes == "" and plain.notes_left_out
    assert asked.record.confidential_notes == CONFIDENTIAL and not asked.notes_left_out
    text = flat(pdf_text(write_record_pdf(plain, tmp_path / "plain.pdf")))
    assert CONFIDENTIAL not in text and "left out of this copy" in text
    text = flat(pdf_text(write_record_pdf(asked, tmp_path / "asked.pdf")))
    assert CONFIDENTIAL in text and "left out of this copy" not in text


def test_an_unknown_record_is_refused_before_any_file_is_made(
    db: Database, service: Service, tmp_path: Path
) -> None:
    with pytest.raises(UsageError, match="no session record with id nope"):
        gather_record(db, "nope")
    with pytest.raises(UsageError, match="no session record with id nope"):
        build_record_pdf(db, "nope", tmp_path / "x.pdf")
    with pytest.raises(UsageError, match="no session record with id nope"):
        ExportService(db).print_copy("nope", tmp_path / "prints")
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "prints").exists()


def test_the_reviewed_actions_name_where_they_were_agreed(db: Database, service: Service) -> None:
    view = gather_record(db, service.second)
    (reviewed,) = view.reviewed
    assert reviewed.description == "Book lone-working refresher"
    assert reviewed.agreed_in == "Line management" and reviewed.another_type
    assert reviewed.agreed_on == date(2026, 10, 2)
    assert view.supervisor_name == "Amara Okafor" and view.worker is not None


def test_the_pack_reads_its_copies_and_escalations_once(
    db: Database, service: Service, tmp_path: Path, today: date
) -> None:
    RecordService(db).sign_off(service.second, "Amara Okafor", confirmed=True)
    with statements(db) as seen:
        out = write_compliance_pack(
            db, date(2026, 1, 1), date(2026, 11, 30), tmp_path / "pack.pdf", today=today
        )
    # Each was read twice before: the copies section and the escalations section each read
    # both.
    assert count(seen, r"SELECT signed_at, supervisee_response, supervisee_copy_received") == 1
    assert count(seen, r"SELECT escalation, count\(\*\) FROM sessions") == 1
    text = flat(pdf_text(out))
    assert "Supervisees' copies of signed records" in text
    assert "Escalations from supervision" in text
    assert "Quality assurance: countersigned records" in text


@pytest.mark.parametrize("module", LAYOUT_MODULES)
def test_the_layout_modules_import_no_storage_and_take_no_database(module: str) -> None:
    """lint-imports enforces the imports (pyproject's contract); this also refuses a
    ``Database`` parameter smuggled in by name."""
    tree = ast.parse((REPORTS / f"{module}.py").read_text(encoding="utf-8"))
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)] + [
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    ]
    assert not [m for m in imported if m.startswith("app.storage")]
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    names |= {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
              for a in n.names}  # fmt: skip
    annotations = [
        ast.unparse(a.annotation) for a in ast.walk(tree) if isinstance(a, ast.arg) and a.annotation
    ]
    assert "Database" not in names and not [a for a in annotations if "Database" in a]


def test_names_of_reads_names_in_one_query_and_leaves_unknown_ids_out(
    db: Database, service: Service
) -> None:
    from app.storage.workers import names_of

    ids = [service.worker.id, "no-such-worker", service.lead.id, service.worker.id]
    with statements(db) as seen:
        found = names_of(db, ids)
    assert found == {service.worker.id: "Łukasz Nowak", service.lead.id: "Amara Okafor"}
    assert len(seen) == 1
    assert names_of(db, []) == {}
