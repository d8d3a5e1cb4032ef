"""Benchmark: the service view at scale (issue 19, "Scale") on a real PostgreSQL.

A simulation on this machine: ``--teams`` team databases (default 200) of ``--workers`` workers
(default 50) and ``--years`` of history (default 2) are published into one PostgreSQL — a
throw-away cluster started for the run (tests/pg_cluster.py), or ``--admin-url`` — then:

* the first publish of every team (every row compared and sent), seconds per team;
* an incremental publish of every team after one change each (one row sent), seconds per team;
* ``service status`` for every worker of every team (goal ≤ 2 s), beside the laptop's own
  ``status`` on one database of as many workers, generated and timed in the same run (goal:
  the service ≤ 3× the laptop); both are load + engine + the JSON rows, median of ``--runs``,
  alternating;
* the service compliance pack for a year (goal ≤ 30 s).

Each team database is a copy of one generated team file with its own database id (the rows'
UUIDs repeat across teams; the server keys every row by team and UUID, so nothing collides).

    python tests/benchmarks/bench_service.py              # 200 × 50 × 2 years
    python tests/benchmarks/bench_service.py --quick      # 4 teams × 10 workers × 1 year
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import psycopg

from app.server.schema import add_team, initialise
from app.server.target import parse_target
from app.services.publishing import connect_team, publish_database
from app.services.scheduling import compute_schedule, status_records
from app.services.service_view import (
    export_service_pack,
    reader_connection,
    schedule_from,
    service_status_records,
)
from app.storage.db import close_database, open_database, transaction
from tests.benchmarks.generate import generate_reference

STATUS_GOAL_S = 2.0
STATUS_RATIO_GOAL = 3.0
PACK_GOAL_S = 30.0


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _publish(path: Path, url: str) -> Any:
    db = open_database(path, create=False)
    try:
        target = parse_target(url)
        conn = connect_team(target, target.url_password)
        try:
            return publish_database(db, conn, target)
        finally:
            conn.close()
    finally:
        close_database(db)


def _one_change(path: Path) -> None:
    db = open_database(path, create=False)
    try:
        row = db.execute(
            "SELECT id, session_date FROM sessions WHERE status = 'planned' "
            "AND signed_at IS NULL ORDER BY id LIMIT 1"
        ).fetchone()
        with transaction(db):
            if row is not None:
                later = (date.fromisoformat(row[1]) + timedelta(days=1)).isoformat()
                db.execute("UPDATE sessions SET session_date = ? WHERE id = ?", [later, row[0]])
            else:
                db.execute("UPDATE workers SET role = role || ' ' WHERE id = "
                           "(SELECT min(id) FROM workers)")  # fmt: skip
    finally:
        close_database(db)


def _spread(samples: list[float]) -> str:
    return (
        f"median {statistics.median(samples):.3f} s, min {min(samples):.3f}, "
        f"max {max(samples):.3f}, total {sum(samples):.1f} s"
    )


def run(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="keel-bench-service-"))
    cluster = None
    try:
        if args.admin_url:
            admin = args.admin_url
        else:
            from tests.pg_cluster import start_cluster

            cluster = start_cluster()
            admin = cluster.url(cluster.new_database("bench"))
        print(f"Generating one team database ({args.workers} workers, {args.years} years)…")
        template = work / "team.db"
        figures = generate_reference(template, workers=args.workers, years=args.years, seed=7)
        end = figures["as_of"]
        as_of = end if isinstance(end, date) else date.fromisoformat(str(end))
        print(f"  {figures['sessions']:,} sessions, {figures['actions']:,} actions each")
        print(f"Generating the laptop's database of {args.teams * args.workers:,} workers…")
        big = work / "big.db"
        generate_reference(big, workers=args.teams * args.workers, years=args.years, seed=7)

        with psycopg.connect(admin) as conn:
            result = initialise(conn)
        target = parse_target(admin)
        assert result.reader_password is not None
        reader = target.url_for(result.roles.reader, result.reader_password)
        urls: list[str] = []
        with psycopg.connect(admin) as conn:
            for n in range(args.teams):
                team = add_team(conn, f"Team {n + 1:03d}")
                urls.append(target.url_for(team.role, team.password))
                conn.commit()
        files = []
        for n in range(args.teams):
            path = work / f"team{n:03d}.db"
            shutil.copyfile(template, path)
            raw = sqlite3.connect(path)
            raw.execute("UPDATE meta SET value = ? WHERE key = 'database_id'", [str(uuid.uuid4())])
            raw.commit()
            raw.close()
            files.append(path)

        first: list[float] = []
        rows_sent = 0
        for path, url in zip(files, urls, strict=True):
            seconds, outcome = _timed(lambda p=path, u=url: _publish(p, u))
            first.append(seconds)
            rows_sent += outcome.sent
        incremental: list[float] = []
        sent_each: set[int] = set()
        for path, url in zip(files, urls, strict=True):
            _one_change(path)
            seconds, outcome = _timed(lambda p=path, u=url: _publish(p, u))
            incremental.append(seconds)
            sent_each.add(outcome.sent + outcome.deleted)

        def service_status() -> int:
            with reader_connection(reader) as (conn, _t):
                view = schedule_from(conn, as_of)
            return len(service_status_records(view))

        def local_status() -> int:
            db = open_database(big, create=False)
            try:
                return len(status_records(compute_schedule(db, as_of)))
            finally:
                close_database(db)

        service_status()
        local_status()  # warm-up
        service_s: list[float] = []
        local_s: list[float] = []
        records = 0
        for _ in range(args.runs):
            seconds, records = _timed(service_status)
            service_s.append(seconds)
            seconds, _n = _timed(local_status)
            local_s.append(seconds)
        pack_s, _path = _timed(
            lambda: export_service_pack(
                reader, as_of - timedelta(days=364), as_of, work / "pack.pdf", today=as_of
            )
        )
        svc, loc = statistics.median(service_s), statistics.median(local_s)
        workers = args.teams * args.workers
        print()
        print(f"Service: {args.teams} teams × {args.workers} workers × {args.years} years "
              f"= {workers:,} workers; as of {as_of.isoformat()}")  # fmt: skip
        print("| measure | figure | goal | |")
        print("|---|---|---|---|")
        print(f"| first publish per team ({rows_sent / args.teams:,.0f} rows each) | "
              f"{_spread(first)} | (seconds) | |")  # fmt: skip
        print(f"| incremental publish per team (one change: {sorted(sent_each)} row sent) | "
              f"{_spread(incremental)} | (seconds) | |")  # fmt: skip
        print(f"| `service status` for {workers:,} workers ({records:,} rows), median of "
              f"{args.runs} | {svc:.3f} s (min {min(service_s):.3f}) | ≤ {STATUS_GOAL_S:.0f} s | "
              f"{'met' if svc <= STATUS_GOAL_S else 'MISSED'} |")  # fmt: skip
        print(f"| local `status` on one {workers:,}-worker database, same run | "
              f"{loc:.3f} s (min {min(local_s):.3f}) | | |")  # fmt: skip
        ratio = svc / loc
        print(f"| service ÷ local | {ratio:.2f}× | ≤ {STATUS_RATIO_GOAL:.0f}× | "
              f"{'met' if ratio <= STATUS_RATIO_GOAL else 'MISSED'} |")  # fmt: skip
        print(f"| service compliance pack, one year | {pack_s:.1f} s | ≤ {PACK_GOAL_S:.0f} s | "
              f"{'met' if pack_s <= PACK_GOAL_S else 'MISSED'} |")  # fmt: skip
        return 0
    finally:
        if cluster is not None:
            cluster.destroy()
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--workers", type=int, default=50, help="workers per team")
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--admin-url", help="an existing server's administrator URL (default: "
                        "a throw-away cluster for the run)")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="4 teams × 10 workers × 1 year")
    args = parser.parse_args(argv)
    if args.quick:
        args.teams, args.workers, args.years, args.runs = 4, 10, 1, 2
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
