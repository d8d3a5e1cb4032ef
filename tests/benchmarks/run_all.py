"""Keel's whole benchmark suite in one command, on one reference database.

    PYTHONPATH=. .venv/bin/python tests/benchmarks/run_all.py [--db REF.db] [--quick]

Generates the reference database (1,000 workers, 10 years, ≈110k sessions) unless --db is
given, then runs each benchmark script in turn — statuses vs the raw SQL floor, the GUI (start vs
a blank window, save-and-refresh, filter/sort), the PDFs (record, compliance pack vs bare
ReportLab), backup vs ``cp``, ``check`` vs ``integrity_check`` — each printing its own table with figures beside their floors,
and finally the peak memory of the app opened on the reference database. Figures go to
docs/PERFORMANCE.md by hand, with the machine they were measured on.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def _run(script: str, *args: str) -> int:
    print(f"\n=== {script} {' '.join(args)}", flush=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, str(HERE / script), *args], env=env).returncode


def peak_memory_mb(db: Path) -> float:
    """Peak resident memory of Keel started on ``db`` until its scheduler is shown (MB), as
    the app reports it (the daily backup at exit maps the file and is not counted)."""
    with tempfile.TemporaryDirectory() as home:
        env = {
            **os.environ,
            "HOME": home,
            "XDG_CONFIG_HOME": f"{home}/config",
            "XDG_DATA_HOME": f"{home}/data",
            "XDG_STATE_HOME": f"{home}/state",
            "PYTHONPATH": str(ROOT),
            "QT_QPA_PLATFORM": "offscreen",
            "KEEL_QUIT_WHEN_READY": "1",
            "KEEL_START_TIME": "0",
        }
        done = subprocess.run(
            [sys.executable, str(ROOT / "main.py"), "--db", str(db)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    ready = [line for line in done.stdout.splitlines() if line.startswith("keel-ready ")]
    return float(ready[-1].split()[2])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="reuse this reference database")
    parser.add_argument("--quick", action="store_true", help="small database (checks it runs)")
    args = parser.parse_args()
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"load average: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None:
            db = Path(tmp) / "reference.db"
            sys.path.insert(0, str(ROOT))
            from tests.benchmarks.generate import generate_reference

            size = {"workers": 50, "years": 1} if args.quick else {}
            figures = generate_reference(db, **size)
            print(
                f"reference database: {figures['sessions']:,} sessions, {figures['bytes'] / 1e6:.0f} MB"
            )
        failures = 0
        quick = ["--quick"] if args.quick else []
        failures += _run("bench_status.py", "--db", str(db), *quick) != 0
        failures += _run("bench_gui.py", "--db", str(db), *quick) != 0
        # The pack is measured on its own 500-worker database (the goal names 500 workers).
        failures += _run("bench_reports.py", *quick) != 0
        failures += (
            _run("bench_backup.py", "--db", str(db), *(["--runs", "1"] if args.quick else [])) != 0
        )
        failures += _run("bench_check.py", "--db", str(db), *quick) != 0
        print(
            f"\npeak memory, app on the reference database: {peak_memory_mb(db):.0f} MB (goal ≤ 250 MB)"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
