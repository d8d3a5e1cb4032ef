"""GUI figures on the reference database, each beside its floor measured in the same run.

    PYTHONPATH=. .venv/bin/python tests/benchmarks/bench_gui.py [--db REF.db] [--quick]

* start to an interactive scheduler (``main.py --db REF``) vs a blank PySide6 window, both as
  fresh processes launched in alternation (the ratio is the median of 15 pairs, printed with
  the quartiles of the pairs' ratios: on a shared machine they swing by ±10%; goal ≤ 2.5×);
* save a held session with five actions and refresh the scheduler (goal ≤ 100 ms);
* the slowest filter / sort step on the scheduler (goal: none over 100 ms on the GUI thread).

``--against OTHER_CHECKOUT`` instead compares this checkout's start with another's (a
``git worktree`` of an earlier commit, say), launching blank window, other and this in turn:
on a shared machine whose speed swings, the only way to see what a change to start-up did.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

BLANK = (
    "import os, sys, time\n"
    "from PySide6.QtWidgets import QApplication, QMainWindow\n"
    "from PySide6.QtCore import QTimer\n"
    "app = QApplication([]); w = QMainWindow(); w.resize(1280, 720); w.show()\n"
    "def ready():\n"
    "    print(f'keel-ready {time.time() - float(os.environ[\"KEEL_START_TIME\"]):.4f}')\n"
    "    app.quit()\n"
    "QTimer.singleShot(0, ready); app.exec()\n"
)


def _wall(cmd: list[str], env: dict[str, str]) -> float:
    """Time from launching the process to its window being shown (the process prints it)."""
    env = {**env, "KEEL_START_TIME": repr(time.time())}
    done = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True, timeout=120)
    ready = [line for line in done.stdout.splitlines() if line.startswith("keel-ready ")]
    return float(ready[-1].split()[1])


def _environment(home: str, checkout: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "HOME": home,
        "XDG_DATA_HOME": f"{home}/data",
        "XDG_CONFIG_HOME": f"{home}/config",
        "XDG_STATE_HOME": f"{home}/state",
        "XDG_CACHE_HOME": f"{home}/cache",
        "PYTHONPATH": str(checkout),
        "KEEL_QUIT_WHEN_READY": "1",
    }
    # Installed apps run from compiled bytecode: allow it (each command is warmed once).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


STATUS = (
    "import statistics, sys, time\n"
    "from datetime import date\n"
    "from app.services.scheduling import compute_schedule\n"
    "from app.storage.db import close_database, open_database\n"
    "db = open_database(__import__('pathlib').Path(sys.argv[1]))\n"
    "as_of = date.fromisoformat(sys.argv[2])\n"
    "compute_schedule(db, as_of)\n"
    "times = []\n"
    "for _ in range(int(sys.argv[3])):\n"
    "    t = time.perf_counter(); compute_schedule(db, as_of); times.append(time.perf_counter() - t)\n"
    "close_database(db)\n"
    "print(f'keel-status {statistics.median(times):.5f}')\n"
)


def _copies(db: Path, checkouts: list[Path], folder: str) -> list[Path]:
    """A copy of ``db`` for each checkout: a later one may migrate its copy (on the warm-up
    launch, not timed), an earlier one could not open a newer schema."""
    import shutil

    out = []
    for n, _checkout in enumerate(checkouts):
        copy = Path(folder) / f"copy{n}" / db.name
        copy.parent.mkdir()
        shutil.copyfile(db, copy)
        out.append(copy)
    return out


def _launches(db: Path, checkouts: list[Path], runs: int) -> list[list[float]]:
    """``runs`` rounds of: a blank window, then Keel from each checkout on (its copy of)
    ``db``; each round's times in that order. Every command is warmed once first."""
    with tempfile.TemporaryDirectory() as home:
        copies = _copies(db, checkouts, home) if len(checkouts) > 1 else [db]
        blank = ([sys.executable, "-c", BLANK], _environment(home, ROOT))
        commands = [blank] + [
            ([sys.executable, str(c / "main.py"), "--db", str(copy)], _environment(home, c))
            for c, copy in zip(checkouts, copies, strict=True)
        ]
        for cmd, env in commands:
            _wall(cmd, env)
        return [[_wall(cmd, env) for cmd, env in commands] for _ in range(runs)]


def compare_status(db: Path, other: Path, rounds: int = 5, runs: int = 9) -> str:
    """The status computation (``compute_schedule`` on the as-of date the reference database
    was made for) in each checkout on its own copy, alternating checkouts round by round."""
    as_of = _as_of(db)
    with tempfile.TemporaryDirectory() as home:
        checkouts = [other, ROOT]
        copies = _copies(db, checkouts, home)
        medians: list[list[float]] = [[], []]
        for _ in range(rounds):
            for n, (checkout, copy) in enumerate(zip(checkouts, copies, strict=True)):
                env = _environment(home, checkout)
                done = subprocess.run(
                    [sys.executable, "-c", STATUS, str(copy), as_of.isoformat(), str(runs)],
                    env=env, check=True, capture_output=True, text=True, timeout=600,
                )  # fmt: skip
                line = [x for x in done.stdout.splitlines() if x.startswith("keel-status ")]
                medians[n].append(float(line[-1].split()[1]))
    ratios = [b / a for a, b in zip(medians[0], medians[1], strict=True)]
    return (
        f"status (compute_schedule): {other}: {statistics.median(medians[0]) * 1000:.0f} ms; "
        f"this checkout: {statistics.median(medians[1]) * 1000:.0f} ms; "
        f"this / other: {statistics.median(ratios):.3f} (median of {rounds} rounds of {runs})"
    )


def _as_of(db: Path) -> date:
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT max(session_date) FROM sessions WHERE status = 'held'")
        last = row.fetchone()[0]
    finally:
        conn.close()
    return date.fromisoformat(last) if last else date.today()


def start_up(db: Path, runs: int) -> tuple[float, float, list[float]]:
    """Median start of Keel on ``db``, of a blank window, and each pair's ratio (sorted),
    measured in alternation (blank, Keel, blank, Keel…) so that a change in the machine's load
    touches both alike."""
    rounds = _launches(db, [ROOT], runs)
    blank = statistics.median(b for b, _ in rounds)
    keel = statistics.median(k for _, k in rounds)
    return keel, blank, sorted(k / b for b, k in rounds)


def compare_start_up(db: Path, other: Path, runs: int) -> str:
    """This checkout's start against ``other``'s, each beside the blank window of its round."""
    rounds = _launches(db, [other, ROOT], runs)

    def median(values: Iterable[float]) -> float:
        return statistics.median(values)

    return (
        f"blank window {median(r[0] for r in rounds) * 1000:.0f} ms; "
        f"{other}: {median(r[1] for r in rounds) * 1000:.0f} ms "
        f"({median(r[1] / r[0] for r in rounds):.2f}×); "
        f"this checkout: {median(r[2] for r in rounds) * 1000:.0f} ms "
        f"({median(r[2] / r[0] for r in rounds):.2f}×); "
        f"this / other: {median(r[2] / r[1] for r in rounds):.3f} (median of {runs} rounds)"
    )


def held_session(worker: Any, as_of: date, n: int) -> Any:
    """The session the save-and-refresh figure saves: held, one decision, five actions."""
    from app.domain.catalogue import LINE
    from app.domain.model import SessionStatus
    from app.domain.records import Action, ActionOwner, Decision, SessionRecord

    return SessionRecord(
        type=LINE,
        status=SessionStatus.HELD,
        session_date=as_of,
        worker_id=worker.id,
        supervisor_id=worker.line_supervisor_id,
        issues=f"Benchmark session {n}",
        decisions=[Decision("Carry on", "Stable caseload")],
        actions=[
            Action(f"Action {i}", ActionOwner.SUPERVISEE, as_of + timedelta(days=7), "Note")
            for i in range(5)
        ],
        risk_link=False,
    )


def in_process(db_path: Path, as_of: date, runs: int) -> dict[str, float]:
    from PySide6.QtWidgets import QApplication

    from app.storage.db import close_database, open_database
    from ui.context import AppContext
    from ui.screens.scheduler import SchedulerScreen

    app = QApplication.instance() or QApplication([])
    db = open_database(db_path)
    ctx = AppContext.for_database(db, db_path, today=lambda: as_of)
    screen = SchedulerScreen(ctx)
    screen.resize(1366, 768)
    screen.show()
    app.processEvents()
    worker = ctx.workers.all()[0]
    saves = []
    for n in range(runs):
        rec = held_session(worker, as_of, n)
        started = time.perf_counter()
        ctx.sessions.save(rec)
        screen.refresh([worker.id])
        saves.append(time.perf_counter() - started)
    steps = []
    for text in ("a", "an", "ann", "", "nurse", ""):
        started = time.perf_counter()
        screen.search.setText(text)
        app.processEvents()
        steps.append(time.perf_counter() - started)
    for index in range(1, screen.status_combo.count()):
        started = time.perf_counter()
        screen.status_combo.setCurrentIndex(index)
        app.processEvents()
        steps.append(time.perf_counter() - started)
    screen.status_combo.setCurrentIndex(0)
    header = screen.table.horizontalHeader()
    for column in range(screen.table.model().columnCount()):
        started = time.perf_counter()
        screen.table.sortByColumn(column, header.sortIndicatorOrder())
        app.processEvents()
        steps.append(time.perf_counter() - started)
    screen.close()
    close_database(db)
    return {"save_refresh": statistics.median(saves), "worst_step": max(steps) if steps else 0.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="reuse this reference database")
    parser.add_argument("--quick", action="store_true", help="small database, few runs")
    parser.add_argument("--pairs", type=int, default=15, help="start-up pairs (default 15)")
    parser.add_argument(
        "--against", type=Path, metavar="CHECKOUT", help="compare start-up with this checkout's"
    )
    args = parser.parse_args()
    if args.against is not None:
        if args.db is None:
            parser.error("--against needs --db")
        print(compare_start_up(args.db, args.against.resolve(), args.pairs))
        print(compare_status(args.db, args.against.resolve()))
        return 0
    from tests.benchmarks.generate import generate_reference

    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None:
            db = Path(tmp) / "reference.db"
            size = {"workers": 60, "years": 1} if args.quick else {"workers": 1000, "years": 10}
            figures = generate_reference(db, **size)
            print(
                f"generated {db.name}: {figures['sessions']:,} sessions in {figures['seconds']:.1f} s"
            )
        keel, blank, ratios = start_up(db, 2 if args.quick else args.pairs)
        measured = in_process(db, date.today(), 3 if args.quick else 10)
    rows = [
        ("start to interactive scheduler", f"{keel * 1000:.0f} ms", f"blank window {blank * 1000:.0f} ms",
         f"{statistics.median(ratios):.2f}×", "≤ 2.5×"),
        ("save held session (5 actions) + refresh", f"{measured['save_refresh'] * 1000:.0f} ms", "", "", "≤ 100 ms"),
        ("slowest filter/sort step", f"{measured['worst_step'] * 1000:.0f} ms", "", "", "≤ 100 ms"),
    ]  # fmt: skip
    print(f"{'measure':<42} {'value':>10}  {'floor':<22} {'ratio':>7}  goal")
    for name, value, floor, ratio, goal in rows:
        print(f"{name:<42} {value:>10}  {floor:<22} {ratio:>7}  {goal}")
    quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
    print(
        f"start-up pairs: {len(ratios)}, ratio quartiles {quartiles[0]:.2f} / "
        f"{quartiles[1]:.2f} / {quartiles[2]:.2f}, range {ratios[0]:.2f}–{ratios[-1]:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
