"""`keel check` on the reference database beside its floor, SQLite's `PRAGMA integrity_check`
alone on the same file, measured in one run (alternating, so both see the same machine).

    PYTHONPATH=. .venv/bin/python tests/benchmarks/bench_check.py --db REF.db [--runs N]

The goal (issue 14): `check` — pages and indexes, references, the audit chain and its witness,
every row of evidence against the replay of the audit trail, every signed record's fingerprint,
the protections, the scheduler's summary — takes at most 2× the integrity check alone.
Without --db a small database is generated (``--quick``: checks the script runs).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.services.integrity import check_database


def _integrity_alone(path: Path) -> float:
    start = time.perf_counter()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()
    took = time.perf_counter() - start
    if rows != [("ok",)]:
        raise SystemExit(f"{path} fails its integrity check: {rows[:3]}")
    return took


def _integrity_keel_driver(path: Path) -> float:
    """The same pragma through Keel's driver (SQLCipher's build of SQLite, another version),
    for reference only: the goal is measured against the stdlib's, above."""
    from app import dbapi

    start = time.perf_counter()
    conn = dbapi.connect(f"file:{path}?mode=ro", uri=True)
    try:
        conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()
    return time.perf_counter() - start


def _check(path: Path) -> tuple[float, list[str]]:
    start = time.perf_counter()
    report = check_database(path)
    took = time.perf_counter() - start
    if not report.ok:
        raise SystemExit("check found problems:\n" + "\n".join(report.lines()))
    return took, report.facts


def bench(path: Path, runs: int) -> list[tuple[str, float, str]]:
    floor, checks, driver = [], [], []
    facts: list[str] = []
    for _ in range(runs):
        floor.append(_integrity_alone(path))
        took, facts = _check(path)
        checks.append(took)
        driver.append(_integrity_keel_driver(path))
    ratios = [c / f for c, f in zip(checks, floor, strict=True)]
    median = statistics.median(ratios)
    return [
        ("PRAGMA integrity_check alone (floor)", statistics.median(floor),
         f"min {min(floor):.2f} s"),
        ("keel check", statistics.median(checks), f"min {min(checks):.2f} s"),
        ("  same pragma via Keel's SQLCipher build", statistics.median(driver),
         f"min {min(driver):.2f} s; reference only"),
        ("ratio check / floor (median of pairs)", median,
         f"pairs {', '.join(f'{r:.2f}' for r in ratios)}; goal ≤ 2× "
         f"{'ok' if median <= 2 else 'MISSED'}"),
        *(("  " + fact, 0.0, "") for fact in facts if "evidence" in fact or "trail" in fact),
    ]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--db", type=Path, help="the reference database (else one is generated)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a small database, one run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        os.environ.setdefault("XDG_STATE_HOME", str(Path(work) / "state"))
        path = args.db
        if path is None:
            from tests.benchmarks.generate import generate_reference

            path = Path(work) / "reference.db"
            size = {"workers": 50, "years": 1} if args.quick else {}
            generate_reference(path, **size)
        runs = 1 if args.quick else args.runs
        size_mb = path.stat().st_size / 1e6
        print(f"check on {path.name} ({size_mb:.0f} MB), {runs} run(s), load {os.getloadavg()}")
        print(f"  {'measure':<44} {'seconds':>8}  note")
        for label, seconds, note in bench(path, runs):
            shown = f"{seconds:8.2f}" if seconds else " " * 8
            print(f"  {label:<44} {shown}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
