"""Quality assurance of signed records (issue 16): QA reviewers countersign signed records with
comments; a countersignature is evidence of its own — stored apart, locked, audited, with its
own hash that names the record's fingerprint, which it never changes — and ``check`` finds one
changed or deleted behind Keel's back."""

from __future__ import annotations

import io
import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from app import dbapi
from app.cli import parse
from app.commands import run
from app.domain.catalogue import GROUP, LINE
from app.domain.model import SessionStatus, Worker
from app.domain.qa import countersignature_hash, rate_words
from app.domain.records import Decision, SessionRecord
from app.errors import UsageError
from app.services.qa import QaService
from app.services.records import RecordService
from app.services.sessions import SessionService
from app.services.workers import WorkerService
from app.storage.db import Database, close_database, open_database
from tests.app.evidence_support import built_once, used_copy

ON = date(2026, 10, 5)


class Team:
    """A small team with a manager who is a QA reviewer."""

    def __init__(self, db: Database) -> None:
        self.db = db
        workers = WorkerService(db)
        self.lead = workers.save(Worker(id="", name="Amara Okafor", role="Team lead",
                                        team="North", qualified_clinical=True))  # fmt: skip
        self.ana = workers.save(Worker(id="", name="Ana Silva", role="CPN", team="North",
                                       line_supervisor_id=self.lead.id))  # fmt: skip
        self.ben = workers.save(Worker(id="", name="Ben Adeyemi", role="OT", team="South",
                                       line_supervisor_id=self.lead.id))  # fmt: skip
        self.grace = workers.save(Worker(id="", name="Grace Mensah", role="Service manager",
                                         team="North"))  # fmt: skip
        self.qa = QaService(db)
        self.qa.set_reviewer(self.grace.id, True)
        self.sessions = SessionService(db)
        self.records = RecordService(db)

    def held(self, worker: Worker | None, on: date = ON, *, sign: bool = True,
             attendees: list[str] | None = None) -> str:  # fmt: skip
        rec = SessionRecord(
            type=GROUP if attendees else LINE, status=SessionStatus.HELD, session_date=on,
            worker_id=worker.id if worker else None, supervisor_id=self.lead.id,
            attendees=attendees or [], issues="Caseload of 31 & a <new> referral — “ok”.",
            risk_link=False, decisions=[Decision("Cap allocations", "Over the norm")],
        )  # fmt: skip
        session_id = self.sessions.save(rec).record.id
        if sign:
            self.records.sign_off(session_id, "Amara Okafor", confirmed=True, accept_gaps=True)
        return session_id


@pytest.fixture
def team(db: Database) -> Team:
    return Team(db)


def test_a_countersignature_is_stored_apart_hashed_and_names_the_records_fingerprint(
    team: Team,
) -> None:
    sid = team.held(team.ana)
    before = team.records.state(sid)
    made = team.qa.countersign(sid, team.grace.id, "  Sampled: rationale clear; שלום 🙂  ")
    after = team.records.state(sid)
    assert after.fingerprint == before.fingerprint  # the record's printed fingerprint stays
    assert after.signed_at == before.signed_at
    stored = team.qa.countersignature(sid)
    assert stored == made
    assert stored.reviewer_name == "Grace Mensah"
    assert stored.reviewer_role == "Service manager"
    assert stored.comments == "Sampled: rationale clear; שלום 🙂"
    assert stored.record_fingerprint == before.fingerprint
    assert stored.hash == countersignature_hash(stored.content())
    assert len(stored.hash) == 64
    # Audited: the entry carries the countersignature's evidence (its hash of the row).
    entry = team.db.execute(
        "SELECT action, entity, entity_id, detail FROM audit_log WHERE action = 'countersign'"
    ).fetchone()
    assert entry[:3] == ("countersign", "session", sid)
    detail = json.loads(entry[3])
    assert detail["evidence"]["kind"] == "countersignature"
    assert detail["evidence"]["id"] == made.id
    assert detail["record_fingerprint"] == before.fingerprint


def test_a_countersignature_is_locked(team: Team) -> None:
    sid = team.held(team.ana)
    team.qa.countersign(sid, team.grace.id, "Good record.")
    with pytest.raises(dbapi.IntegrityError, match="cannot be changed"):
        team.db.execute("UPDATE countersignatures SET comments = 'rewritten'")
    with pytest.raises(dbapi.IntegrityError, match="cannot be deleted"):
        team.db.execute("DELETE FROM countersignatures")


def test_only_a_signed_record_is_countersigned_and_only_once(team: Team) -> None:
    draft = team.held(team.ana, sign=False)
    with pytest.raises(UsageError, match="not signed yet"):
        team.qa.countersign(draft, team.grace.id, "Early.")
    assert team.qa.countersignature(draft) is None
    sid = team.held(team.ana, ON + timedelta(days=1))
    team.qa.countersign(sid, team.grace.id, "Fine.")
    with pytest.raises(UsageError, match="already countersigned by Grace Mensah"):
        team.qa.countersign(sid, team.grace.id, "Again.")
    with pytest.raises(UsageError, match="QA comments"):
        team.qa.countersign(team.held(team.ben, ON + timedelta(days=2)), team.grace.id, "  ")


def test_the_records_own_supervisor_or_supervisee_may_not_countersign(team: Team) -> None:
    sid = team.held(team.ana)
    team.qa.set_reviewer(team.lead.id, True)
    team.qa.set_reviewer(team.ana.id, True)
    with pytest.raises(UsageError) as supervisor:
        team.qa.countersign(sid, team.lead.id, "My own.")
    assert "Amara Okafor supervised and signed this session" in str(supervisor.value)
    assert "another QA reviewer" in str(supervisor.value)
    with pytest.raises(UsageError) as supervisee:
        team.qa.countersign(sid, team.ana.id, "Mine.")
    assert "Ana Silva was supervised in this session" in str(supervisee.value)
    group = team.held(None, ON + timedelta(days=3), attendees=[team.ana.id, team.ben.id])
    with pytest.raises(UsageError, match="Ana Silva was supervised"):
        team.qa.countersign(group, team.ana.id, "Mine too.")
    # The dialog's list says the same, per reviewer.
    refusals = {c.worker.name: c.refusal for c in team.qa.candidates(sid)}
    assert refusals["Grace Mensah"] is None
    assert "supervised and signed" in (refusals["Amara Okafor"] or "")
    assert "was supervised" in (refusals["Ana Silva"] or "")
    assert team.qa.countersignature(sid) is None


def test_someone_not_marked_as_qa_reviewer_may_not_countersign(team: Team) -> None:
    sid = team.held(team.ana)
    with pytest.raises(UsageError, match="Ben Adeyemi is not a QA reviewer"):
        team.qa.countersign(sid, team.ben.id, "Looks fine.")
    team.qa.set_reviewer(team.grace.id, False)
    with pytest.raises(UsageError, match="Grace Mensah is not a QA reviewer"):
        team.qa.countersign(sid, team.grace.id, "Looks fine.")
    actions = [r[0] for r in team.db.execute(
        "SELECT action FROM audit_log WHERE entity_id = ? ORDER BY seq", [team.grace.id])]  # fmt: skip
    assert actions[-2:] == ["qa_reviewer", "qa_reviewer_removed"]


def test_a_record_changed_outside_keel_is_not_countersigned(team: Team, db_path: Path) -> None:
    sid = team.held(team.ana)
    for (name,) in team.db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                                   " AND tbl_name = 'sessions'").fetchall():  # fmt: skip
        team.db.execute(f'DROP TRIGGER "{name}"')
    team.db.execute("UPDATE sessions SET issues = 'rewritten' WHERE id = ?", [sid])
    with pytest.raises(UsageError, match="no longer matches its printed fingerprint"):
        team.qa.countersign(sid, team.grace.id, "Fine.")


def test_sampling_figures_per_team_and_month(team: Team) -> None:
    a = team.held(team.ana, date(2026, 10, 5))
    team.held(team.ana, date(2026, 10, 19))
    team.held(team.ben, date(2026, 10, 6))
    team.held(team.ben, date(2026, 11, 2))
    team.held(team.ben, date(2026, 11, 3), sign=False)  # not signed: not counted
    team.qa.countersign(a, team.grace.id, "Fine.")
    figures = team.qa.figures(date(2026, 10, 1), date(2026, 11, 30))
    cells = {(c.team, c.month.month): (c.countersigned, c.signed) for c in figures.cells}
    assert cells == {("North", 10): (1, 2), ("South", 10): (0, 1), ("South", 11): (0, 1)}
    assert (figures.signed, figures.countersigned, figures.awaiting) == (4, 1, 3)
    assert rate_words(figures.countersigned, figures.signed) == "1 of 4 (25%)"
    future = team.qa.figures(date(2027, 3, 1), date(2027, 3, 31))
    assert future.signed == 0 and future.rate is None and future.cells == []
    assert rate_words(future.countersigned, future.signed) == "no signed records"


def test_marking_a_reviewer_with_the_worker_is_one_save(team: Team) -> None:
    from dataclasses import replace

    saved = team.qa.save_worker(replace(team.ben, role="Deputy manager"), reviewer=True)
    assert saved.role == "Deputy manager"
    assert team.qa.is_reviewer(team.ben.id)
    assert [w.name for w in team.qa.reviewers()] == ["Ben Adeyemi", "Grace Mensah"]
    with pytest.raises(UsageError):
        team.qa.save_worker(replace(team.ben, name=" "), reviewer=False)
    assert team.qa.is_reviewer(team.ben.id)  # nothing of the refused save was kept


# check: a countersignature changed or deleted behind Keel's back ---------------------------


def _fill(db: Database) -> None:
    team = Team(db)
    sid = team.held(team.ana)
    team.qa.countersign(sid, team.grace.id, "Sampled: decisions and rationale are clear.")
    team.held(team.ben, ON + timedelta(days=1))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_once(tmp_path_factory.mktemp("qa"), _fill)


@pytest.fixture
def copy(template: Path, tmp_path: Path) -> Path:
    return used_copy(template, tmp_path / "keel.db")


def _check(path: Path) -> tuple[int, str]:
    out = io.StringIO()
    code = run(parse(["--db", str(path), "check"]), out)
    return code, out.getvalue()


def _tamper(path: Path, *statements: str) -> str:
    conn = sqlite3.connect(str(path))
    try:
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name = 'countersignatures'"
        ).fetchall():
            conn.execute(f'DROP TRIGGER "{name}"')
        (cid,) = conn.execute("SELECT id FROM countersignatures").fetchone()
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()
    return str(cid)


def test_check_passes_on_an_untouched_copy(copy: Path) -> None:
    code, text = _check(copy)
    assert code == 0, text
    assert "every response, addendum, QA countersignature, risk assessment" in text  # says so


def test_check_names_a_countersignature_whose_comments_were_changed(copy: Path) -> None:
    cid = _tamper(copy, "UPDATE countersignatures SET comments = 'Excellent record.'")
    code, text = _check(copy)
    assert code == 1
    line = next(x for x in text.splitlines() if cid in x)
    assert "QA countersignature" in line and "Ana Silva" in line and "5 Oct 2026" in line
    assert "changed outside Keel" in line


def test_check_names_a_deleted_countersignature(copy: Path) -> None:
    cid = _tamper(copy, "DELETE FROM countersignatures")
    code, text = _check(copy)
    assert code == 1
    line = next(x for x in text.splitlines() if cid in x)
    assert "deleted outside Keel" in line and "Ana Silva" in line


def test_check_names_a_forged_countersignature_with_a_recomputed_hash(copy: Path) -> None:
    """Someone adds a countersignature to the other record, hash and all: no audit entry."""
    conn = sqlite3.connect(str(copy))
    try:
        (sid,) = conn.execute(
            "SELECT id FROM sessions WHERE id NOT IN (SELECT session_id FROM countersignatures)"
            " AND signed_at IS NOT NULL"
        ).fetchone()
        conn.execute(
            "INSERT INTO countersignatures SELECT 'qa-forgery-1', ?, reviewer_id, reviewer_name, "
            "reviewer_role, comments, (SELECT fingerprint FROM sessions WHERE id = ?), "
            "countersigned_at, hash FROM countersignatures",
            [sid, sid],
        )
        conn.commit()
    finally:
        conn.close()
    code, text = _check(copy)
    assert code == 1
    line = next(x for x in text.splitlines() if "(id qa-forgery-1)" in x)
    assert "added outside Keel" in line and "Ben Adeyemi" in line
    assert "its hash no longer matches its content" in line


def test_check_names_the_dropped_protection(copy: Path) -> None:
    conn = sqlite3.connect(str(copy))
    conn.execute("DROP TRIGGER countersignatures_never_deleted")
    conn.commit()
    conn.close()
    code, text = _check(copy)
    assert code == 1
    assert "countersignatures_never_deleted" in text


def test_upgrading_an_existing_database_keeps_every_signed_records_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file at the schema before QA, with signed records, upgraded by opening it: every
    fingerprint still verifies, check passes, and its records can be countersigned."""
    from app.services.integrity import check_database
    from app.storage import db as store
    from app.storage.schema import MIGRATIONS, SCHEMA_VERSION

    path = tmp_path / "older.db"
    with monkeypatch.context() as m:
        m.setattr(store, "MIGRATIONS", MIGRATIONS[:-1])
        m.setattr(store, "SCHEMA_VERSION", SCHEMA_VERSION - 1)
        older = open_database(path)
        workers = WorkerService(older)
        lead = workers.save(Worker(id="", name="Amara Okafor", team="North"))
        ana = workers.save(Worker(id="", name="Ana Silva", team="North"))
        grace = workers.save(Worker(id="", name="Grace Mensah", role="Service manager"))
        rec = SessionRecord(
            type=LINE, status=SessionStatus.HELD, session_date=ON, worker_id=ana.id,
            supervisor_id=lead.id, issues="Caseload.", risk_link=False,
            decisions=[Decision("Cap", "High")],
        )  # fmt: skip
        sid = SessionService(older).save(rec).record.id
        fingerprint = RecordService(older).sign_off(sid, "Amara Okafor", confirmed=True,
                                                    accept_gaps=True)  # fmt: skip
        assert older.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION - 1
        close_database(older)
    db = open_database(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert RecordService(db).verify().ok
        assert RecordService(db).state(sid).fingerprint == fingerprint
        qa = QaService(db)
        qa.set_reviewer(grace.id, True)
        qa.countersign(sid, grace.id, "Fine.")
        assert RecordService(db).state(sid).fingerprint == fingerprint
    finally:
        close_database(db)
    report = check_database(path)
    assert report.ok, "\n".join(report.lines())


# The record PDF ---------------------------------------------------------------------------


def test_the_record_pdf_shows_the_countersignature_or_not_yet(team: Team, tmp_path: Path) -> None:
    from app.services.exports import ExportService
    from tests.app.reportdata import flat, pdf_text

    exports = ExportService(team.db, today=lambda: ON + timedelta(days=30))
    sid = team.held(team.ana)
    before = flat(pdf_text(exports.record(sid, tmp_path / "before.pdf")))
    assert "Quality assurance: Not yet quality-assured." in before
    fingerprint = team.records.state(sid).fingerprint
    made = team.qa.countersign(sid, team.grace.id, "Sampled <b>&amp; checked</b>: clear. مرحبا")
    after = flat(pdf_text(exports.record(sid, tmp_path / "after.pdf")))
    assert "Not yet quality-assured" not in after
    assert "Reviewer Grace Mensah Job title Service manager Date " in after
    assert "Sampled <b>&amp; checked</b>: clear." in after  # as typed, never as markup
    assert (
        f"own hash (SHA-256), over its comments, reviewer, date and that fingerprint: {made.hash}"
        in after
    )
    # The record's printed fingerprint is the one it had before, and is named by the QA part.
    assert f"fingerprint (SHA-256): {fingerprint}" in after
    assert f"of the record with fingerprint {fingerprint}" in after


# The compliance pack ------------------------------------------------------------------------


def _qa_part(path: Path) -> str:
    from tests.app.reportdata import flat, pdf_text

    text = flat(pdf_text(path, layout=True))
    start = text.index("Quality assurance: countersigned records")
    return text[start : start + 1500]


def test_the_compliance_pack_has_qa_per_team_and_month(team: Team, tmp_path: Path) -> None:
    from app.services.exports import ExportService

    a = team.held(team.ana, date(2026, 10, 5))
    team.held(team.ana, date(2026, 10, 19))
    team.held(team.ben, date(2026, 10, 6))
    b = team.held(team.ben, date(2026, 11, 2))
    team.held(team.ben, date(2026, 11, 3), sign=False)
    team.qa.countersign(a, team.grace.id, "Fine.")
    team.qa.countersign(b, team.grace.id, "Fine.")
    exports = ExportService(team.db, today=lambda: date(2026, 11, 26))
    # The period runs past today: the figures stop at today and say so.
    part = _qa_part(exports.compliance(date(2026, 10, 1), date(2026, 12, 31),
                                       tmp_path / "pack.pdf"))  # fmt: skip
    assert "Signed records dated 1 Oct 2026 to 26 Nov 2026: 4." in part
    assert "Countersigned by a QA reviewer: 2 of 4 (50%). Awaiting QA on 26 Nov 2026: 2." in part
    assert "North Oct 2026 2 1 1 50%" in part
    assert "South Oct 2026 1 0 1 0%" in part
    assert "South Nov 2026 1 1 0 100%" in part
    assert "South Period 2 1 1 50%" in part
    assert "All teams Period 4 2 2 50%" in part


def test_a_pack_with_no_signed_record_says_so_rather_than_0_percent(
    team: Team, tmp_path: Path
) -> None:
    from app.services.exports import ExportService

    team.held(team.ana, date(2026, 10, 5), sign=False)
    exports = ExportService(team.db, today=lambda: date(2026, 11, 26))
    part = _qa_part(exports.compliance(date(2026, 11, 1), date(2027, 1, 31), tmp_path / "a.pdf"))
    assert "No signed records in the period" in part
    assert "0%" not in part.split("Quality assurance: countersigned records")[1][:200]


# The demo -------------------------------------------------------------------------------------


def test_the_demo_has_qad_records_and_leaves_others_awaiting_qa(
    db: Database, db_path: Path
) -> None:
    from app.services.demo import load_demo
    from app.services.integrity import check_database
    from tests.conftest import TODAY

    load_demo(db, today=TODAY)
    qa = QaService(db)
    assert [w.name for w in qa.reviewers()] == ["Graham Whitfield"]
    figures = qa.figures(TODAY - timedelta(days=90), TODAY)
    assert figures.countersigned >= 3
    assert figures.awaiting > figures.countersigned
    for (sid,) in db.execute("SELECT session_id FROM countersignatures").fetchall():
        made = qa.countersignature(sid)
        assert made is not None and made.reviewer_role.startswith("Service Manager")
        state = RecordService(db).state(sid)
        assert made.record_fingerprint == state.fingerprint
        assert made.countersigned_at > (state.signed_at or "")
        assert made.hash == countersignature_hash(made.content())
    close_database(db)
    report = check_database(db_path)
    assert report.ok, "\n".join(report.lines())


def test_the_qa_figures_read_sessions_through_an_index_not_a_scan(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scheduler's line asks for them at every start: reading every session (a full scan
    of the reference database's 109,486) cost 18 ms of it."""
    from app.storage import countersign

    plans: list[str] = []
    real = db.execute

    def spy(sql: str, params: Any = ()) -> Any:
        if "FROM sessions s" in sql and not sql.lstrip().startswith("EXPLAIN"):
            plans.extend(str(r[-1]) for r in real("EXPLAIN QUERY PLAN " + sql, params))
        return real(sql, params)

    monkeypatch.setattr(db, "execute", spy)
    countersign.qa_rows(db, date(2026, 11, 1), date(2026, 11, 30))
    assert plans and not any(p.startswith("SCAN s") for p in plans), plans
    assert any("USING INDEX sessions_type_date" in p for p in plans), plans
