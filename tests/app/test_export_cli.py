"""``python main.py export-pdf …`` run as an administrator's script would run it: in a separate
process, checking exit codes (0 ok, 1 problem, 2 bad input), the file, the audit entry, and that
no traceback is ever shown."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.storage.db import close_database, open_database
from tests.app.reportdata import ISSUES, Service, flat, make_service, pdf_text

REPO = Path(__file__).resolve().parents[2]
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable


@pytest.fixture
def service_db(db_path: Path) -> tuple[Path, Service]:
    db = open_database(db_path)
    try:
        service = make_service(db)
    finally:
        close_database(db)
    return db_path, service


def keel(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("KEEL_DB", None)
    done = subprocess.run(
        [PYTHON, str(REPO / "main.py"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert "Traceback" not in done.stdout, done.stdout
    return done


def exports_logged(db_path: Path) -> list[tuple[str, str | None, dict[str, object]]]:
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute(
            "SELECT entity, entity_id, detail FROM audit_log WHERE action = 'export' ORDER BY seq"
        ).fetchall()
    finally:
        conn.close()
    return [(e, i, json.loads(d)) for e, i, d in rows]


def assert_pdf(path: Path) -> None:
    assert path.is_file(), path
    assert path.read_bytes()[:5] == b"%PDF-"


def test_export_pdf_record(service_db, tmp_path) -> None:
    db_path, service = service_db
    out = tmp_path / "record.pdf"
    done = keel("--db", str(db_path), "export-pdf", "record", service.second, "--out", str(out),
                cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert_pdf(out)
    assert str(out) in done.stdout
    assert ISSUES in flat(pdf_text(out))
    assert exports_logged(db_path) == [
        ("session", service.second,
         {"report": "record", "file": "record.pdf", "include_confidential": False}),
    ]  # fmt: skip


def test_export_pdf_record_with_confidential_notes(service_db, tmp_path) -> None:
    db_path, service = service_db
    out = tmp_path / "conf.pdf"
    done = keel("--db", str(db_path), "export-pdf", "record", service.second, "--out", str(out),
                "--include-confidential", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Feels worn down" in flat(pdf_text(out))
    assert exports_logged(db_path)[0][2]["include_confidential"] is True


def test_export_pdf_worker_accepts_both_date_forms(service_db, tmp_path) -> None:
    db_path, service = service_db
    out = tmp_path / "history.pdf"
    done = keel("--db", str(db_path), "export-pdf", "worker", service.worker.id,
                "--from", "2026-01-01", "--to", "26/11/2026", "--out", str(out),
                cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert_pdf(out)
    assert "1 Jan 2026 to 26 Nov 2026" in flat(pdf_text(out))
    entity, entity_id, detail = exports_logged(db_path)[0]
    assert (entity, entity_id) == ("worker", service.worker.id)
    assert detail["from"] == "2026-01-01" and detail["to"] == "2026-11-26"


def test_export_pdf_compliance(service_db, tmp_path) -> None:
    db_path, _service = service_db
    out = tmp_path / "compliance.pdf"
    done = keel("--db", str(db_path), "export-pdf", "compliance", "--from", "01/01/2026",
                "--to", "2026-11-26", "--out", str(out), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert_pdf(out)
    assert "Supervision compliance pack" in flat(pdf_text(out))
    assert exports_logged(db_path)[0][:2] == ("service", None)


@pytest.mark.parametrize("type_", ["line", "clinical", "group"])
def test_export_pdf_blank(service_db, tmp_path, type_: str) -> None:
    db_path, _service = service_db
    out = tmp_path / f"{type_}.pdf"
    done = keel("--db", str(db_path), "export-pdf", "blank", type_, "--out", str(out),
                cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert_pdf(out)
    assert exports_logged(db_path)[0][:2] == ("blank_form", type_)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["record", "no-such-id"], "There is no session record with id no-such-id."),
        (["worker", "no-such-id", "--from", "2026-01-01", "--to", "2026-02-01"],
         "There is no worker with id no-such-id."),
        (["worker", "{worker}", "--from", "2026-03-01", "--to", "2026-02-01"], "swap the dates"),
        (["compliance", "--from", "2026-03-01", "--to", "2026-02-01"], "swap the dates"),
        (["compliance", "--from", "2026-02-30", "--to", "2026-03-01"], "not a real date"),
        (["compliance", "--from", "last week", "--to", "2026-03-01"], "not a date"),
        (["compliance", "--to", "2026-03-01"], "--from"),
        (["blank", "weekly"], "There is no supervision type 'weekly' in the policy"),
        (["record"], "ID"),
        ([], "REPORT"),
    ],
    ids=["unknown-session", "unknown-worker", "worker-range", "compliance-range", "bad-date",
         "not-a-date", "missing-from", "bad-type", "missing-id", "missing-report"],
)  # fmt: skip
def test_export_pdf_bad_input_is_exit_2_with_one_sentence(
    service_db, tmp_path, args: list[str], message: str
) -> None:
    db_path, service = service_db
    out = tmp_path / "x.pdf"
    args = [a.replace("{worker}", service.worker.id) for a in args]
    needs_out = args and args[0] in ("record", "worker", "compliance", "blank")
    done = keel("--db", str(db_path), "export-pdf", *args, *(["--out", str(out)] if needs_out
                else []), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not out.exists()
    assert exports_logged(db_path) == []


def test_export_pdf_to_a_missing_folder_or_database(service_db, tmp_path) -> None:
    db_path, service = service_db
    done = keel("--db", str(db_path), "export-pdf", "record", service.second,
                "--out", str(tmp_path / "nowhere" / "r.pdf"), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "does not exist" in done.stderr
    missing = tmp_path / "other.db"
    done = keel("--db", str(missing), "export-pdf", "blank", "line",
                "--out", str(tmp_path / "b.pdf"), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "There is no database" in done.stderr
    assert not missing.exists()  # an export never creates a database


def test_export_pdf_is_listed_in_help(tmp_path) -> None:
    done = keel("--help", cwd=tmp_path)
    assert done.returncode == 0 and "export-pdf" in done.stdout
    done = keel("export-pdf", "--help", cwd=tmp_path)
    assert done.returncode == 0
    for word in ("record", "worker", "compliance", "blank"):
        assert word in done.stdout
