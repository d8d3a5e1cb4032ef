"""Backup speed against ``cp`` of the same file, in the same run (goal: backup ≤ 1.5 × cp),
and, with ``--kill-rounds N``, the kill -9 fault figures. Prints a table; not a test.

    PYTHONPATH=. .venv/bin/python tests/benchmarks/bench_backup.py [--db PATH] [--runs 3]
        [--kill-rounds 200]

Without ``--db`` the reference database (~200 MB, ``generate.py``) is built in a temporary
folder first (about a minute). Every timing is the median of ``--runs``, page cache warm for
both (the file is read once before timing). ``cp`` does not flush to disk; a backup must, so
``cp + fsync`` is shown as well. The backup's phases are timed by wrapping the module's steps.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.services import backup as backup_module
from app.services import encrypted_backup
from app.services.backup import backup_database, restore_database
from app.storage.db import close_database, connect, open_database

PHASES = (
    "_snapshot_copy", "_fsync_file", "_verify_plain", "_verify_file_copy", "_carry_witness_into",
)  # fmt: skip
# The encrypted backup's steps (app.services.encrypted_backup).
ENCRYPTED_PHASES = ("export_encrypted", "verify_encrypted", "write_container")
# The plain backup's rows: the copy, the flush, and whichever verification it got (a byte copy
# of the file is checked by header and counts, a backup-API copy by quick_check as well).
PLAIN_PHASES = (
    ("snapshot copy", ("_snapshot_copy",)),
    ("fsync file", ("_fsync_file",)),
    ("verify", ("_verify_plain", "_verify_file_copy")),
    ("witness carried inside", ("_carry_witness_into",)),
)


def _median(times: list[float]) -> float:
    return statistics.median(times)


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _warm(path: Path) -> None:
    with path.open("rb") as fh:
        while fh.read(1 << 24):
            pass


class PhaseTimer:
    """Wrap the backup module's steps to time each phase of one backup."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self._saved: dict[str, Any] = {}

    def __enter__(self) -> PhaseTimer:
        steps = [(backup_module, n) for n in PHASES]
        steps += [(encrypted_backup, n) for n in ENCRYPTED_PHASES]
        for module, name in steps:
            original = getattr(module, name)
            self._saved[name] = (module, original)

            def wrapper(*a: Any, _f: Any = original, _n: str = name, **k: Any) -> Any:
                start = time.perf_counter()
                try:
                    return _f(*a, **k)
                finally:
                    self.times[_n] = self.times.get(_n, 0.0) + time.perf_counter() - start

            setattr(module, name, wrapper)
        return self

    def __exit__(self, *exc: object) -> None:
        for name, (module, original) in self._saved.items():
            setattr(module, name, original)


def bench_backup(db_path: Path, work: Path, runs: int) -> list[tuple[str, float, str]]:
    rows: list[tuple[str, float, str]] = []
    size = db_path.stat().st_size
    _warm(db_path)
    target = work / "cp.db"
    cp_times, cp_sync_times = [], []
    for _ in range(runs):
        cp_times.append(
            _timed(lambda: subprocess.run(["cp", str(db_path), str(target)], check=True))
        )
        target.unlink()
        cp_sync_times.append(
            _timed(
                lambda: (
                    subprocess.run(["cp", str(db_path), str(target)], check=True),
                    _fsync(target),
                )
            )
        )
        target.unlink()
    cp = _median(cp_times)
    cp_sync = _median(cp_sync_times)
    rows.append(("cp", cp, f"{size / 1e6:.1f} MB"))
    rows.append(("cp + fsync", cp_sync, ""))

    folder = work / "backups"
    folder.mkdir()
    db = connect(db_path)
    try:
        plain, phases = [], []
        for _ in range(runs):
            with PhaseTimer() as timer:
                start = time.perf_counter()
                made = backup_database(db, folder)
                plain.append(time.perf_counter() - start)
            phases.append(timer.times)
            made.path.unlink()
        best = _median(plain)
        rows.append(
            ("backup (plain)", best, f"{best / cp:.2f} × cp, {best / cp_sync:.2f} × cp + fsync")
        )
        for label, names in PLAIN_PHASES:
            value = _median([sum(p.get(n, 0.0) for n in names) for p in phases])
            how = ""
            if label == "verify":
                quick = sum(1 for p in phases if "_verify_plain" in p)
                how = f"header + counts: {len(phases) - quick}, quick_check: {quick}"
            rows.append((f"  {label}", value, how))
        with PhaseTimer() as timer:
            start = time.perf_counter()
            made = backup_database(db, folder, passphrase="benchmark passphrase")
            enc = time.perf_counter() - start
        rows.append(("backup (encrypted)", enc, f"{enc / cp:.2f} × cp (scrypt n=2^17 once)"))
        for label, name in (
            ("  written encrypted (sqlcipher_export)", "export_encrypted"),
            ("  verified through its key", "verify_encrypted"),
            ("  wrapped + read back (HMAC)", "write_container"),
        ):
            rows.append((label, timer.times.get(name, 0.0), ""))
        encrypted_path = made.path
        plain_backup = backup_database(db, folder).path
    finally:
        db.close()

    restore_target = work / "restore-target.db"
    shutil.copyfile(db_path, restore_target)
    live = connect(restore_target)
    try:
        took = _timed(lambda: restore_database(live, plain_backup, work / "safety"))
    finally:
        close_database(live)
    rows.append(("restore (check + safety copy + copy)", took, ""))
    live = connect(restore_target)
    try:
        took = _timed(
            lambda: restore_database(
                live, encrypted_path, work / "safety", passphrase="benchmark passphrase"
            )
        )
    finally:
        close_database(live)
    rows.append(("restore encrypted (decrypted in memory)", took, ""))
    return rows


def bench_kill(rounds: int, work: Path) -> list[tuple[str, float, str]]:
    from tests.app.backup_support import forked_saver, make_db, read_all

    db_path = work / "kill.db"
    info = make_db(db_path, sessions=1)
    rng = random.Random(20261126)
    acknowledged: list[str] = []
    start = time.perf_counter()
    for round_no in range(rounds):
        pid, pipe = forked_saver(db_path, str(info["lead"]), str(info["worker"]))
        assert os.read(pipe, 6) == b"ready\n"
        time.sleep(rng.uniform(0.0, 0.2))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        lines = read_all(pipe).split("\n")
        acknowledged += [line for line in lines[:-1] if line]
        db = open_database(db_path)
        try:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)], round_no
            present = {r[0] for r in db.execute("SELECT id FROM sessions")}
            missing = set(acknowledged) - present
            assert not missing, f"round {round_no}: lost {len(missing)} acknowledged saves"
        finally:
            close_database(db)
    took = time.perf_counter() - start
    return [
        ("kill -9 rounds", float(rounds), "integrity ok after every round"),
        ("acknowledged saves checked", float(len(acknowledged)), "all present"),
        ("kill -9 total time", took, ""),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="database to back up (default: generate one)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--kill-rounds", type=int, default=0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="keel-bench-backup-") as tmp:
        work = Path(tmp)
        db_path = args.db
        if db_path is None:
            db_path = work / "reference.db"
            generator = Path(__file__).with_name("generate.py")
            subprocess.run([sys.executable, str(generator), str(db_path)], check=True)
        rows = bench_backup(db_path, work, args.runs)
        if args.kill_rounds:
            rows += bench_kill(args.kill_rounds, work)
    width = max(len(r[0]) for r in rows)
    print(f"{'what':<{width}}  {'seconds':>9}  note")
    for name, value, note in rows:
        shown = f"{int(value):>9}" if "rounds" in name or "saves" in name else f"{value:>9.3f}"
        print(f"{name:<{width}}  {shown}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
