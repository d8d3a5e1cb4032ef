"""Benchmark: importing a staff CSV of N rows into an empty database (issue 13, item 9).

The rows look like a team's tracker: every column filled, a risk profile each, the last line,
clinical and group sessions — and, as in real trackers, many rows share a ``last_group`` date
(the whole team attends the same reflective group). That shared date once made the import
quadratic (2,000 rows 2.4 s, 10,000 rows 41 s, 50,000 killed after 10 minutes). The figures
printed are seconds per import and microseconds per row: a linear import keeps the second
column flat as N grows.

    python tests/benchmarks/bench_import.py                     # 2,000, 10,000 and 50,000 rows
    python tests/benchmarks/bench_import.py --rows 2000 10000   # chosen sizes
    python tests/benchmarks/bench_import.py --quick             # 200 rows (the test suite)
    python tests/benchmarks/bench_import.py --profile 10000     # a cProfile of one import
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import pstats
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.services.importing import import_staff
from app.storage.db import close_database, open_database

TODAY = date(2026, 11, 26)
TEAMS = ("North CMHT", "South CMHT", "Crisis & Home Treatment", "Early Intervention")
HEADINGS = (
    "staff_id", "name", "role", "team", "start_date", "employment", "cohort_risk",
    "decision_complexity", "support_need", "volatility", "assessed_on", "requires",
    "last_line", "last_clinical", "last_group",
)  # fmt: skip


def write_csv(path: Path, rows: int) -> None:
    """``rows`` staff; every tenth row's group date differs, the rest share a handful."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(HEADINGS)
        for n in range(rows):
            group = TODAY - timedelta(days=7 * (n % 4 if n % 10 else 5 + n % 40))
            out.writerow([
                f"S{n:06d}", f"Worker {n:06d}", "Community Psychiatric Nurse", TEAMS[n % 4],
                (TODAY - timedelta(days=200 + n % 3000)).isoformat(), "permanent",
                1 + n % 3, 1 + (n // 3) % 3, 1 + (n // 9) % 3, 1 + (n // 27) % 3,
                (TODAY - timedelta(days=30 + n % 200)).isoformat(), "",
                (TODAY - timedelta(days=5 + n % 60)).isoformat(),
                (TODAY - timedelta(days=3 + n % 45)).isoformat(),
                group.isoformat(),
            ])  # fmt: skip


def measure(rows: int, folder: Path, *, profile: bool = False) -> float:
    """Seconds to import a ``rows``-row CSV into a new database."""
    source = folder / f"staff-{rows}.csv"
    write_csv(source, rows)
    db = open_database(folder / f"import-{rows}.db")
    try:
        profiler = cProfile.Profile() if profile else None
        start = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        result = import_staff(db, source, today=TODAY)
        if profiler is not None:
            profiler.disable()
        seconds = time.perf_counter() - start
        assert result.created == rows, result
        if profiler is not None:
            text = io.StringIO()
            pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
            print(text.getvalue())
    finally:
        close_database(db)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[2000, 10000, 50000])
    parser.add_argument("--quick", action="store_true", help="200 rows (test suite)")
    parser.add_argument("--profile", type=int, metavar="N", help="profile one import of N rows")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="keel-bench-import-") as tmp:
        folder = Path(tmp)
        if args.profile:
            measure(args.profile, folder, profile=True)
            return 0
        sizes = [200] if args.quick else args.rows
        print(f"{'rows':>8} {'seconds':>9} {'µs/row':>8}")
        for rows in sizes:
            seconds = measure(rows, folder)
            print(f"{rows:>8,} {seconds:>9.2f} {seconds / rows * 1e6:>8.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
