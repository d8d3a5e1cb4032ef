"""Supervision types are data: a fourth type through the whole product, the migration that made
types data, the policy's versions, and the policy file (``keel policy``)."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import tomllib
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import icalendar
import pytest
from pypdf import PdfReader

from app import dbapi
from app.domain.catalogue import BUILTIN_KEYS, CLINICAL, GROUP, LINE, Kind, new_type
from app.domain.model import BUILTIN_TYPE_KEYS, DueStatus, Tier, Worker
from app.domain.policy import BEGINNING, Policy
from app.domain.records import Action, ActionOwner, Decision
from app.errors import UsageError
from app.services.calendar import build_calendar
from app.services.exports import ExportService
from app.services.policy import PolicyService
from app.services.policy_file import PolicyFileError, policy_to_toml, read_policy_file
from app.services.records import RecordService
from app.services.scheduling import compute_schedule, status_records
from app.services.sessions import SessionService
from app.services.workers import WorkerService
from app.storage import db as store
from app.storage.audit import AuditEntry, entries_for, verify_chain
from app.storage.db import Database, close_database, open_database
from app.storage.evidence import sign, verify_fingerprints
from app.storage.schedule_facts import schedule_cache_drift
from app.storage.schema import MIGRATIONS

REPO = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 26)


def policy_entries(db: Database) -> list[AuditEntry]:
    """The audit entries of the policy versions (their evidence), oldest first."""
    ids = [r[0] for r in db.execute(
        "SELECT DISTINCT entity_id FROM audit_log WHERE entity = 'policy' ORDER BY seq"
    ).fetchall()]  # fmt: skip
    return sorted(
        (e for i in ids for e in entries_for(db, i) if e.entity == "policy"), key=lambda e: e.seq
    )


def pdf_text(path: Path) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(path).pages)


def keel(*args: str, stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "main.py"), *args],
        capture_output=True,
        text=True,
        input=stdin,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def with_safeguarding(policy: Policy, key: str) -> Policy:
    """The issue's fourth type: every 91 days for all tiers, one-to-one, required."""
    spec = new_type(
        key,
        "Safeguarding supervision",
        Kind.ONE_TO_ONE,
        intervals={"high": 91, "standard": 91, "low": 91},
        first_window_days=30,
        agenda=(("threshold", "Thresholds and referrals"), ("voice", "The child's voice")),
    )
    return replace(policy, types=(*policy.types, spec))


@pytest.mark.parametrize("key", ["safeguarding", f"t{secrets.token_hex(4)}"])
def test_a_fourth_type_works_through_the_whole_product(
    db: Database, db_path: Path, tmp_path: Path, key: str
) -> None:
    workers = WorkerService(db)
    lead = workers.save(Worker(id="", name="Amara Okafor", team="North", qualified_clinical=True))
    zoe = workers.save(
        Worker(id="", name="Zoë Hartley", team="North", start_date=date(2024, 1, 8),
               line_supervisor_id=lead.id, clinical_supervisor_id=lead.id)
    )  # fmt: skip
    left = workers.save(Worker(id="", name="Gone Before", team="North", left_on=date(2026, 1, 1)))
    policies = PolicyService(db)
    saved = policies.save(
        with_safeguarding(policies.history().latest.policy, key),
        effective_from=date(2025, 11, 1),
        reason="A children's service: safeguarding supervision every three months",
        by="Amara Okafor",
        today=TODAY,
    )
    assert saved.version.version == 2
    assert any("new type" in c and key in c for c in saved.changes)
    # Required for every worker in post (not for one who has left).
    assert key in workers.get(zoe.id).requires  # type: ignore[union-attr]
    assert key not in workers.get(left.id).requires  # type: ignore[union-attr]
    # Evidence: the version is in the audit trail, with who and why.
    [entry] = [e for e in policy_entries(db) if e.detail["version"] == 2]
    assert entry.actor == "Amara Okafor" and "three months" in entry.detail["reason"]

    # The scheduler: a column of its own, overdue (no session yet), the reason naming the key.
    schedule = compute_schedule(db, TODAY)
    assert schedule.types == (*BUILTIN_KEYS, key)
    assert schedule.version.version == 2
    row = next(r for r in schedule.rows if r.worker_id == zoe.id)
    cell = row.status.by_type[key]
    assert cell.status is DueStatus.OVERDUE and cell.interval_days == 91
    assert f"first {key} within 30 days" in cell.reason

    # A form: a one-to-one record led by the line supervisor, the type's agenda; sign-off.
    sessions = SessionService(db)
    record = sessions.new_record(key, zoe.id, TODAY - timedelta(days=10))
    assert record.worker_id == zoe.id and record.attendees == []
    assert record.supervisor_id == lead.id and record.duration_minutes == 60
    record.issues = "Threshold for a child protection referral on C-4410"
    record.checklist = {"threshold": True, "voice": False}
    record.decisions = [Decision("Refer to the MASH today", rationale="Disclosure at school")]
    record.actions = [Action("Make the referral", ActionOwner.SUPERVISEE, TODAY)]
    record.risk_link, record.case_refs = True, "C-4410"
    stored = sessions.save(record).record
    assert sessions.quality(stored) == []
    fingerprint = RecordService(db, sessions).sign_off(stored.id, "Amara Okafor", confirmed=True)
    assert verify_fingerprints(db) == [] and len(fingerprint) == 64
    after = compute_schedule(db, TODAY).rows
    cell = next(r for r in after if r.worker_id == zoe.id).status.by_type[key]
    assert cell.status is DueStatus.ON_TRACK and cell.due == TODAY + timedelta(days=81)

    # The record PDF, the blank form and the compliance pack name the type in its words.
    exports = ExportService(db, today=lambda: TODAY)
    text = pdf_text(exports.record(stored.id, tmp_path / "record.pdf"))
    assert "Safeguarding supervision record" in text and "Thresholds and referrals" in text
    text = pdf_text(exports.blank(key, tmp_path / "blank.pdf"))
    assert "Safeguarding supervision record — paper form" in text
    assert "The child's voice" in text and "Wellbeing pulse" in text
    text = pdf_text(exports.compliance(date(2026, 6, 1), TODAY, tmp_path / "pack.pdf"))
    assert "Safeguarding" in text and "91 days" in text
    assert "Version 2, in force from 1 Nov 2025" in text
    assert "A children's service: safeguarding supervision every three months" in text
    assert "Policy version" in text and "v2" in text  # which version each month end used

    # The calendar: a booked session is titled with the type's label.
    sessions.book(zoe.id, key, TODAY + timedelta(days=20))
    cal, events, _cancelled = build_calendar(db, TODAY, TODAY + timedelta(days=60))
    assert events == 1
    [event] = [c for c in cal.walk() if isinstance(c, icalendar.Event)]
    assert str(event["summary"]) == "Safeguarding supervision — Zoë Hartley"
    close_database(db)

    # status --json names the type by its key.
    done = keel("--db", str(db_path), "status", "--json", "--as-of", TODAY.isoformat())
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    mine = [r for r in rows if r["worker_id"] == zoe.id and r["type"] == key]
    assert len(mine) == 1 and mine[0]["status"] == "on_track"
    assert mine[0]["last_held"] == (TODAY - timedelta(days=10)).isoformat()


def test_status_json_and_csv_import_take_any_type_key(db_path: Path, tmp_path: Path) -> None:
    db = open_database(db_path)
    try:
        policies = PolicyService(db)
        policies.save(
            with_safeguarding(policies.history().latest.policy, "safeguarding"),
            effective_from=BEGINNING,
            reason="Children's service",
            by="Amara Okafor",
            today=TODAY,
        )
    finally:
        close_database(db)
    csv = tmp_path / "staff.csv"
    csv.write_text(
        "staff_id,name,team,start_date,requires,last_line,last_safeguarding\n"
        "S1,Sam Lee,North,2024-03-01,line;safeguarding,2026-11-01,2026-10-01\n"
        "S2,Mo Ali,North,2024-03-01,,2026-11-01,\n",
        encoding="utf-8",
    )
    done = keel("--db", str(db_path), "import-staff", str(csv))
    assert done.returncode == 0, done.stderr
    done = keel("--db", str(db_path), "status", "--json", "--as-of", TODAY.isoformat())
    rows = {(r["worker"], r["type"]): r for r in json.loads(done.stdout)}
    sam = rows[("Sam Lee", "safeguarding")]
    assert sam["last_held"] == "2026-10-01" and sam["status"] == "on_track"
    assert sam["due"] == "2026-12-31"
    assert rows[("Sam Lee", "clinical")]["status"] == "not_required"
    # A blank requires cell: the policy's default, the fourth type included.
    assert rows[("Mo Ali", "safeguarding")]["status"] == "overdue"
    # The built-in keys behave as before.
    assert {t for _w, t in rows} == {*BUILTIN_KEYS, "safeguarding"}
    bad = tmp_path / "bad.csv"
    bad.write_text("name,requires\nAda,line;weekly\n", encoding="utf-8")
    done = keel("--db", str(db_path), "import-staff", str(bad))
    assert done.returncode == 2
    assert "use line, clinical, group and/or safeguarding" in done.stdout + done.stderr
    # export-pdf blank takes the new key, and refuses one the policy lacks.
    done = keel("--db", str(db_path), "export-pdf", "blank", "safeguarding", "--out",
                str(tmp_path / "b.pdf"))  # fmt: skip
    assert done.returncode == 0 and "Safeguarding supervision" in pdf_text(tmp_path / "b.pdf")


def test_the_builtin_keys_and_defaults_are_section_5() -> None:
    assert BUILTIN_KEYS == (LINE, CLINICAL, GROUP) == ("line", "clinical", "group")
    assert frozenset(BUILTIN_KEYS) == BUILTIN_TYPE_KEYS
    assert Policy().catalogue.required_by_default == BUILTIN_TYPE_KEYS


# --- The migration -------------------------------------------------------------------------


def _v5_with_signed_records(path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A schema-5 file (types as columns and CHECKs) holding signed records of each type."""
    with monkeypatch.context() as m:
        m.setattr(store, "MIGRATIONS", MIGRATIONS[:5])
        m.setattr(store, "SCHEMA_VERSION", 5)
        db = store.connect(path)
        store.migrate(db)
        now = "2026-01-01T00:00:00Z"
        db.execute(
            "INSERT INTO workers (id, name, team, requires_line, requires_clinical, "
            "requires_group, created_at, updated_at) VALUES "
            "('w1', 'Ada Okafor', 'N', 1, 1, 0, ?, ?), ('w2', 'Ben Price', 'N', 1, 1, 1, ?, ?), "
            "('w3', 'Cy Dee', 'N', 0, 1, 1, ?, ?)",
            [now] * 6,
        )
        db.execute(
            "INSERT INTO sessions (id, type, status, session_date, worker_id, supervisor_id, "
            "issues, created_at, updated_at) VALUES "
            "('s1', 'clinical', 'held', '2026-03-02', 'w1', 'w2', 'Crises', ?, ?), "
            "('s2', 'line', 'held', '2026-03-09', 'w1', 'w2', 'Caseload', ?, ?), "
            "('s3', 'group', 'held', '2026-03-10', NULL, 'w2', 'Housing', ?, ?)",
            [now] * 6,
        )
        db.execute("INSERT INTO session_attendees VALUES ('s3', 'w1'), ('s3', 'w3')")
        db.execute(
            "INSERT INTO decisions (id, session_id, position, text, rationale) VALUES "
            "('d1', 's1', 0, 'Escalate', 'Waits')"
        )
        with db.atomic():
            prints = {sid: sign(db, sid, "Ben Price", "w2") for sid in ("s1", "s2", "s3")}
        close_database(db)
    return prints


def test_a_v5_database_with_signed_records_migrates_and_its_fingerprints_verify(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "keel.db"
    prints = _v5_with_signed_records(path, monkeypatch)
    db = open_database(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert verify_fingerprints(db) == []
        stored = dict(db.execute("SELECT id, fingerprint FROM sessions").fetchall())
        assert stored == prints
        assert sorted(db.execute("SELECT * FROM worker_required_types").fetchall()) == [
            ("w1", "clinical"), ("w1", "line"), ("w2", "clinical"), ("w2", "group"),
            ("w2", "line"), ("w3", "clinical"), ("w3", "group"),
        ]  # fmt: skip
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert schedule_cache_drift(db) == {"latest_held": 0, "latest_assessment": 0}
        assert verify_chain(db) == []
        # Still locked after the rebuild, and a one-to-one session still needs its supervisee.
        with pytest.raises(dbapi.IntegrityError, match="signed and locked"):
            db.execute("UPDATE sessions SET issues = 'changed' WHERE id = 's1'")
        with pytest.raises(dbapi.IntegrityError, match="needs its supervisee"):
            db.execute(
                "INSERT INTO sessions (id, type, status, session_date, created_at, updated_at) "
                "VALUES ('x', 'line', 'held', '2026-04-01', '', '')"
            )
        with pytest.raises(dbapi.IntegrityError, match="FOREIGN KEY"):
            db.execute(
                "INSERT INTO sessions (id, type, status, session_date, worker_id, created_at, "
                "updated_at) VALUES ('y', 'weekly', 'held', '2026-04-01', 'w1', '', '')"
            )
        with pytest.raises(dbapi.IntegrityError, match="retire it instead"):
            db.execute("DELETE FROM supervision_types WHERE key = 'group'")
        # The group session still counts for its attendees.
        schedule = compute_schedule(db, date(2026, 3, 20))
        w3 = next(r for r in schedule.rows if r.worker_id == "w3")
        assert w3.status.by_type[GROUP].last_held == date(2026, 3, 10)
        assert w3.status.by_type[LINE].status is DueStatus.NOT_REQUIRED
        # The first policy version is evidence too.
        assert [(e.action, e.detail["version"]) for e in policy_entries(db)] == [("create", 1)]
    finally:
        close_database(db)
    # Issue 14's `check` finds nothing changed outside Keel: evidence, protections, summary.
    from app.services.integrity import check_database

    report = check_database(path)
    assert report.ok, report.problems


# --- Versions ------------------------------------------------------------------------------


def test_versions_are_kept_and_the_one_in_force_on_a_date_is_used(db: Database) -> None:
    policies = PolicyService(db)
    base = policies.history().latest.policy
    stricter = with_safeguarding(base, "safeguarding")
    stricter = replace(
        stricter,
        types=tuple(
            replace(t, intervals={"high": 10, "standard": 21, "low": 35}) if t.key == CLINICAL
            else t for t in stricter.types
        ),
    )  # fmt: skip
    policies.save(stricter, effective_from=date(2026, 12, 1), reason="Monthly", by="A", today=TODAY)
    history = policies.history()
    assert [v.version for v in history.versions] == [1, 2]
    assert history.in_force(TODAY).version == 1  # the new one takes effect next week
    assert history.in_force(date(2026, 12, 1)).version == 2
    assert compute_schedule(db, TODAY).types == BUILTIN_KEYS
    assert compute_schedule(db, date(2026, 12, 2)).types == (*BUILTIN_KEYS, "safeguarding")
    with pytest.raises(UsageError, match="cannot be before 1 Dec 2026"):
        policies.save(base, effective_from=TODAY, reason="Back", by="A", today=TODAY)
    with pytest.raises(UsageError, match="Nothing was saved"):
        policies.save(stricter, effective_from=date(2026, 12, 5), reason="x", by="A", today=TODAY)
    with pytest.raises(UsageError, match="Say why"):
        policies.save(base, effective_from=date(2026, 12, 5), reason=" ", by="A", today=TODAY)
    broken = replace(base, due_soon_divisor=0)
    with pytest.raises(UsageError, match="Due soon: interval divided by must be from 1"):
        policies.save(broken, effective_from=date(2026, 12, 5), reason="x", by="A", today=TODAY)
    kind_changed = replace(
        stricter,
        types=tuple(replace(t, kind=Kind.GROUP) if t.key == LINE else t for t in stricter.types),
    )
    with pytest.raises(UsageError, match="keeps its kind"):
        policies.save(kind_changed, effective_from=date(2026, 12, 5), reason="x", by="A",
                      today=TODAY)  # fmt: skip
    assert [v.version for v in policies.history().versions] == [1, 2]


def test_a_type_with_records_is_never_removed_only_retired(db: Database) -> None:
    policies = PolicyService(db)
    base = policies.history().latest.policy
    lead = WorkerService(db).save(Worker(id="", name="Amara Okafor"))
    ana = WorkerService(db).save(Worker(id="", name="Ana", line_supervisor_id=lead.id))
    SessionService(db).save(SessionService(db).new_record(GROUP, ana.id, TODAY))
    without_group = replace(base, types=tuple(t for t in base.types if t.key != GROUP))
    with pytest.raises(UsageError, match="has records and cannot be removed"):
        policies.save(without_group, effective_from=TODAY, reason="x", by="A", today=TODAY)
    retired = replace(
        base, types=tuple(replace(t, retired=True) if t.key == GROUP else t for t in base.types)
    )
    policies.save(retired, effective_from=TODAY, reason="No groups", by="A", today=TODAY)
    assert compute_schedule(db, TODAY).types == (LINE, CLINICAL)
    assert all(r["type"] != GROUP for r in status_records(compute_schedule(db, TODAY)))


# --- The policy file -----------------------------------------------------------------------


def test_export_then_import_changes_nothing_and_every_value_reads_back() -> None:
    policy = with_safeguarding(replace(Policy(), service_name='North "CMHT" & <Co> 🌱'), "sg")
    text = policy_to_toml(policy)
    tomllib.loads(text)  # valid TOML
    assert read_policy_file(text, Policy()) == policy
    assert read_policy_file(text, policy) == policy


def test_a_file_is_a_partial_update() -> None:
    current = with_safeguarding(Policy(), "safeguarding")
    text = 'format = 1\nservice_name = "North CMHT"\n[types.clinical]\nlabel = "Clinical"\n'
    updated = read_policy_file(text, current)
    assert updated.service_name == "North CMHT"
    assert updated.catalogue[CLINICAL].label == "Clinical"
    assert updated.catalogue[CLINICAL].intervals == current.catalogue[CLINICAL].intervals
    assert [t.key for t in updated.types] == [t.key for t in current.types]  # none left out
    assert not updated.catalogue["safeguarding"].retired
    retire = read_policy_file("format = 1\n[types.safeguarding]\nretired = true\n", current)
    assert retire.catalogue["safeguarding"].retired


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("service_name = 'x'\n", "no format = 1 line"),
        ("format = 2\n", "format (line 1)"),
        ("format = 1\n\nbogus = 3\n", "bogus (line 3): unknown key"),
        ("format = 1\n[types.clinical]\nspeed = 3\n", "types.clinical.speed (line 3)"),
        ("format = 1\n[types.clinical]\nkind = 'group'\n", "keeps its kind"),
        ("format = 1\n[types.new]\nlabel = 'New'\n", "a new type needs kind, interval_days"),
        ("format = 1\n[types.clinical]\ninterval_days = { high = 35 }\n",
         "high-tier clinical supervision interval (35 days) is longer than standard (28 days)"),
        ("format = 1\ndue_soon_divisor = 0\n", "due_soon_divisor (line 2)"),
        ("format = 1\n[trigger_response_days]\nfire = 3\n", "trigger_response_days.fire (line 3)"),
        ("format = 1\n[types.clinical\n", "not valid TOML"),
    ],
)  # fmt: skip
def test_a_bad_file_is_refused_naming_the_key_and_line(text: str, message: str) -> None:
    with pytest.raises(PolicyFileError, match=None) as caught:
        read_policy_file(text, Policy())
    assert message in str(caught.value)


def test_keel_policy_commands(tmp_path: Path) -> None:
    path = tmp_path / "new" / "keel.db"
    good = tmp_path / "policy.toml"
    good.write_text(policy_to_toml(with_safeguarding(Policy(), "safeguarding")), encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text("format = 1\nbogus = 1\n", encoding="utf-8")

    # A bad file on a fresh laptop: refused (exit 2), and no database is made.
    done = keel("--db", str(path), "policy", "import", str(bad), "--yes")
    assert done.returncode == 2 and "bogus (line 2)" in done.stderr
    assert not path.exists()
    # A good one creates the database, saying so; declining saves nothing (exit 1) and, on a
    # fresh laptop, leaves no database behind (like a failed import-staff).
    done = keel("--db", str(path), "policy", "import", str(good), stdin="n\n")
    assert done.returncode == 1, done.stderr
    assert f"Creating a new database at {path}." in done.stderr
    assert "Nothing was saved" in done.stderr
    assert "new type safeguarding" in done.stdout
    assert not path.exists() and not path.parent.exists()
    done = keel("--db", str(path), "policy", "import", str(good), "--yes",
                "--effective", "2026-01-01", "--reason", "Service policy 2026")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Saved as version 2, in force from 1 Jan 2026" in done.stdout
    # Export, then import the same file: nothing changes.
    out = tmp_path / "out.toml"
    assert keel("--db", str(path), "policy", "export", str(out)).returncode == 0
    done = keel("--db", str(path), "policy", "import", str(out), "--yes")
    assert done.returncode == 0 and "changes nothing" in done.stdout
    done = keel("--db", str(path), "policy", "show")
    assert done.returncode == 0
    assert "safeguarding" in done.stdout and "Service policy 2026" in done.stdout
    db = open_database(path)
    try:
        assert [v.version for v in PolicyService(db).history().versions] == [1, 2]
    finally:
        close_database(db)


def test_the_readme_example_policy_file_reads() -> None:
    import re

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```toml\n(.*?)```", readme, re.S)
    assert example is not None
    policy = read_policy_file(example.group(1), Policy())
    assert policy.service_name == "North CMHT"
    assert policy.catalogue["safeguarding"].interval(Tier.LOW) == 91
    assert policy.trigger_response_days["safeguarding"] == 5
