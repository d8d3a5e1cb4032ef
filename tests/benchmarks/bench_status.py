"""Benchmark: every worker's due status, beside the raw SQL floor (issue 2, "Performance").

Generates the reference database (1,000 workers, 10 years, ≈100k sessions) or reuses one
given with ``--db``, then times, side by side in one process:

* ``compute_schedule(db, as_of)``: load (set-based) + engine for every worker in post;
* the floor: ``LATEST_HELD_SQL`` (the latest held session per worker and type) fetched whole.

Each is the median of ``--runs`` runs after warm-up, alternating the two so both see the same
cache. The goal is ≤ 50 ms for the status and ≤ 2× the floor.

    python tests/benchmarks/bench_status.py                 # generate, measure, print
    python tests/benchmarks/bench_status.py --db ref.db     # reuse (generated if missing)
    python tests/benchmarks/bench_status.py --quick         # 50 workers, 1 year (test suite)
    python tests/benchmarks/bench_status.py --stress        # 10,000 workers, ≈1M sessions
    python tests/benchmarks/bench_status.py --profile       # add a cProfile of the status
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.dates import parse_date
from app.services.scheduling import compute_schedule
from app.storage.db import close_database, open_database
from app.storage.rows import type_kinds
from app.storage.schedule_facts import latest_held_sql
from tests.benchmarks.generate import generate_reference

GOAL_MS = 50.0
GOAL_RATIO = 2.0


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000.0


def measure(path: Path, as_of: date, *, runs: int, warmup: int) -> dict[str, Any]:
    """Median timings of the status and the floor on the database at ``path``."""
    db = open_database(path)
    try:
        params = {"as_of": as_of.isoformat()}
        floor_sql = latest_held_sql(type_kinds(db))  # LATEST_HELD_SQL for this database's types

        def status() -> int:
            return len(compute_schedule(db, as_of).rows)

        def floor() -> int:
            return len(db.conn.execute(floor_sql, params).fetchall())

        for _ in range(warmup):
            status()
            floor()
        timings: dict[str, list[float]] = {"status": [], "floor": []}
        jobs: tuple[tuple[str, Callable[[], int]], ...] = (("status", status), ("floor", floor))
        for i in range(runs):
            for name, job in jobs if i % 2 == 0 else jobs[::-1]:
                started = time.perf_counter()
                job()
                timings[name].append(time.perf_counter() - started)
        rows = status()
        floor_rows = floor()
        counts = {
            table: int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for table in ("workers", "sessions", "session_attendees")
        }
    finally:
        close_database(db)
    return {
        "status_ms": _median_ms(timings["status"]),
        "status_min_ms": min(timings["status"]) * 1000.0,
        "floor_ms": _median_ms(timings["floor"]),
        "floor_min_ms": min(timings["floor"]) * 1000.0,
        "workers_in_post": rows,
        "floor_rows": floor_rows,
        **counts,
    }


def profile(path: Path, as_of: date, *, top: int = 20) -> str:
    """A cProfile of ten status computations, the costliest functions first."""
    db = open_database(path)
    try:
        compute_schedule(db, as_of)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(10):
            compute_schedule(db, as_of)
        profiler.disable()
    finally:
        close_database(db)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def table(figures: dict[str, Any], *, runs: int, warmup: int, as_of: date) -> str:
    status, floor = figures["status_ms"], figures["floor_ms"]
    ratio = status / floor if floor > 0 else float("inf")
    met_ms = status <= GOAL_MS
    met_ratio = ratio <= GOAL_RATIO
    source = figures.get("generated")
    made = f", generated in {source['seconds']:.1f} s" if isinstance(source, dict) else " (reused)"
    lines = [
        f"Keel status benchmark — {figures['path']}",
        f"  {figures['workers']:,} workers ({figures['workers_in_post']:,} in post), "
        f"{figures['sessions']:,} sessions, {figures['session_attendees']:,} group attendances, "
        f"{figures['bytes'] / 1e6:.1f} MB{made}",
        f"  as of {as_of.isoformat()}; median of {runs} runs after {warmup} warm-up runs",
        "",
        f"  {'measure':<46} {'median ms':>10} {'min ms':>9}",
        f"  {'every worker status (compute_schedule)':<46} {status:>10.1f} "
        f"{figures['status_min_ms']:>9.1f}",
        f"  {'raw SQL floor (LATEST_HELD_SQL fetchall)':<46} {floor:>10.1f} "
        f"{figures['floor_min_ms']:>9.1f}",
        f"  {'ratio status / floor':<46} {ratio:>9.2f}×",
        "",
        f"  goal: status ≤ {GOAL_MS:.0f} ms: {'met' if met_ms else 'MISSED'} "
        f"({status:.1f} ms); status ≤ {GOAL_RATIO:.0f}× floor: "
        f"{'met' if met_ratio else 'MISSED'} ({ratio:.2f}×)",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time every worker's due status vs the SQL floor.")
    parser.add_argument("--db", type=Path, help="reference database to reuse (made if missing)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small database: 50 workers, 1 year")
    size.add_argument("--stress", action="store_true", help="10,000 workers, ≈1M sessions")
    parser.add_argument("--workers", type=int, help="workers to generate (default 1,000)")
    parser.add_argument("--years", type=int, help="years of history (default 10)")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--as-of", type=parse_date, help="YYYY-MM-DD (default today)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the status")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a goal is missed (default: report)"
    )
    args = parser.parse_args(argv)

    workers, years = (50, 1) if args.quick else (10_000, 10) if args.stress else (1000, 10)
    workers = args.workers or workers
    years = args.years or years
    as_of = args.as_of or date.today()
    runs = 5 if args.quick and args.runs == 15 else args.runs

    with tempfile.TemporaryDirectory(prefix="keel-bench-") as scratch:
        path = args.db or Path(scratch) / "reference.db"
        generated: dict[str, Any] | None = None
        if not path.exists():
            print(f"generating {workers:,} workers × {years} years into {path} …", flush=True)
            generated = generate_reference(path, workers=workers, years=years, today=as_of)
        figures = measure(path, as_of, runs=runs, warmup=args.warmup)
        figures.update(path=str(path), bytes=path.stat().st_size, generated=generated)
        print(table(figures, runs=runs, warmup=args.warmup, as_of=as_of))
        if args.profile:
            print()
            print(profile(path, as_of))
    missed = figures["status_ms"] > GOAL_MS or figures["status_ms"] > GOAL_RATIO * max(
        figures["floor_ms"], 1e-9
    )
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
