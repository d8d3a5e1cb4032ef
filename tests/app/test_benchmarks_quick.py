"""The status benchmark runs end to end on a small database and prints its table.

Only the shape of the output is checked, never the timings: the figures belong in the
benchmark's own report, not in a pass/fail test on a shared machine.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

from app.storage.db import Database, close_database, open_database
from tests.benchmarks.generate import generate_reference

REPO = Path(__file__).resolve().parents[2]
PYTHON = REPO / ".venv" / "bin" / "python"


def _python() -> str:
    return str(PYTHON if PYTHON.exists() else sys.executable)


def test_bench_status_quick_prints_the_table(tmp_path: Path) -> None:
    result = subprocess.run(
        [_python(), str(REPO / "tests" / "benchmarks" / "bench_status.py"), "--quick",
         "--as-of", "2026-11-26"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300, check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Traceback" not in result.stderr
    assert re.search(r"^  50 workers \(\d+ in post\), [\d,]+ sessions", out, re.M)
    assert re.search(r"every worker status \(compute_schedule\)\s+\d+\.\d\s+\d+\.\d", out)
    assert re.search(r"raw SQL floor \(LATEST_HELD_SQL fetchall\)\s+\d+\.\d\s+\d+\.\d", out)
    assert re.search(r"ratio status / floor\s+\d+\.\d\d×", out)
    assert re.search(r"goal: status ≤ 50 ms: (met|MISSED) .*≤ 2× floor: (met|MISSED)", out)


def test_generator_builds_a_valid_database_through_the_real_schema(tmp_path: Path) -> None:
    path = tmp_path / "ref.db"
    figures = generate_reference(path, workers=40, years=2, seed=3)
    assert figures["workers"] == 40
    assert figures["sessions"] > 500
    assert figures["session_attendees"] > 0
    db: Database = open_database(path)
    try:
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        statuses = {r[0] for r in db.execute("SELECT DISTINCT status FROM sessions")}
        assert statuses == {"held", "cancelled", "dna", "planned"}
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        close_database(db)
    # Deterministic: the same seed and end date give the same rows.
    again = generate_reference(
        tmp_path / "again.db",
        workers=40,
        years=2,
        seed=3,
        today=date.fromisoformat(figures["as_of"]),
    )
    varying = ("seconds", "path", "bytes")
    assert {k: v for k, v in again.items() if k not in varying} == {
        k: v for k, v in figures.items() if k not in varying
    }


def test_bench_encryption_quick_prints_the_table(tmp_path: Path) -> None:
    result = subprocess.run(
        [_python(), str(REPO / "tests" / "benchmarks" / "bench_encryption.py"), "--quick"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300, check=False,
        env={**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for measure in ("status of all workers", "save held session + refresh",
                    "start to interactive scheduler", "one record PDF"):  # fmt: skip
        assert re.search(rf"^{re.escape(measure)}\s+\d+ ms\s+\d+ ms\s+\d+\.\d\d×", out, re.M), out
    assert re.search(r"^key derivation \(scrypt, once\)\s+\d+ ms", out, re.M), out


def test_bench_import_quick_prints_seconds_and_microseconds_per_row(tmp_path: Path) -> None:
    result = subprocess.run(
        [_python(), str(REPO / "tests" / "benchmarks" / "bench_import.py"), "--quick"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300, check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert re.search(r"^\s+rows\s+seconds\s+µs/row$", result.stdout, re.M)
    assert re.search(r"^\s+200\s+\d+\.\d\d\s+\d+$", result.stdout, re.M)
