"""Helpers for the backup, restore and fault tests (not collected as tests).

Also the code of the child processes the fault tests start and kill (``python -c`` with
``PYTHONPATH`` set to the repository): each prints one line per acknowledged step and flushes,
so what the parent read is exactly what the child had been told was saved.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from app.domain.catalogue import CLINICAL as CLINICAL
from app.domain.catalogue import GROUP as GROUP
from app.domain.catalogue import LINE as LINE
from app.domain.model import SessionStatus, Worker
from app.domain.records import Action, ActionOwner, Decision, SessionRecord
from app.services.records import RecordService
from app.services.sessions import SessionService
from app.services.workers import WorkerService
from app.storage.db import Database, close_database, open_database

REPO = Path(__file__).resolve().parents[2]
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable


# --------------------------------------------------------------------------- data


def people(db: Database) -> tuple[Worker, Worker]:
    workers = WorkerService(db)
    lead = workers.save(Worker(id="", name="Amara Okafor", qualified_clinical=True))
    worker = workers.save(
        Worker(id="", name="Łukasz Nowak", start_date=date(2024, 1, 8), line_supervisor_id=lead.id)
    )
    return lead, worker


def held(worker_id: str, lead_id: str, on: date, note: str = "") -> SessionRecord:
    return SessionRecord(
        type=LINE,
        status=SessionStatus.HELD,
        session_date=on,
        worker_id=worker_id,
        supervisor_id=lead_id,
        issues=note or f"Caseload review on {on.isoformat()}: two new high-risk referrals",
        decisions=[Decision("Cap new allocations for 4 weeks", "Caseload above team norm")],
        actions=[Action("Review C-1043 risk plan", ActionOwner.SUPERVISEE, on, "Updated plan")],
        risk_link=True,
        case_refs="C-1043",
        confidential_notes="Feels worn down after the inquest.",
    )


def populate(db: Database, sessions: int = 3, note_size: int = 0) -> dict[str, Any]:
    """Two workers, ``sessions`` held sessions (the first signed): audit entries, a fingerprint.
    ``note_size`` pads each session's issues to make a bigger file."""
    lead, worker = people(db)
    service = SessionService(db)
    start = date(2026, 1, 1)
    ids = []
    for i in range(sessions):
        on = start + timedelta(days=i)
        note = f"Session {i}: caseload review. " + "Notes " * (note_size // 6) if note_size else ""
        ids.append(service.save(held(worker.id, lead.id, on, note)).record.id)
    RecordService(db).sign_off(ids[0], "Amara Okafor", confirmed=True)
    return {"lead": lead.id, "worker": worker.id, "sessions": ids, "signed": ids[0]}


def make_db(path: Path, sessions: int = 3, note_size: int = 0) -> dict[str, Any]:
    db = open_database(path)
    try:
        return populate(db, sessions, note_size)
    finally:
        close_database(db)


# --------------------------------------------------------------------------- comparing files


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows (sorted), read without changing the file or leaving files behind."""
    flags = "mode=ro" if Path(f"{path}-wal").exists() else "mode=ro&immutable=1"
    conn = sqlite3.connect(f"file:{path.as_posix()}?{flags}", uri=True)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "ORDER BY name"
            )
        ]
        out = {n: sorted(conn.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}
    finally:
        conn.close()
    if "meta" in out:  # the audit trail's witness a backup carries is not data
        out["meta"] = [r for r in out["meta"] if r[0] != "audit_witness"]
    return out


def restored(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """``dump`` of a restored database, less the audit entry the restore added (it must be
    the last one): what must equal the backup's ``dump``."""
    data = dump(path)
    entries = sorted(data["audit_log"], key=lambda r: r[0])
    assert entries and entries[-1][4] == "restore", "the restore is not in the audit trail"
    data["audit_log"] = sorted(entries[:-1], key=repr)
    return data


def stand_in_backup(path: Path, database_id: str | None) -> Path:
    """A tiny SQLite file standing in for a backup of the database with ``database_id`` (what
    the folder's listing and rotation read from a backup: its name and its ``meta``)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        if database_id is not None:
            conn.execute("INSERT INTO meta VALUES ('database_id', ?)", [database_id])
        conn.commit()
    finally:
        conn.close()
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def checkpoint(path: Path) -> None:
    """Fold the -wal into the file (as Keel's clean close does) so its bytes can be compared."""
    conn = sqlite3.connect(str(path))
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def quick_check(path: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(f"file:{path.as_posix()}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA quick_check").fetchall()
    finally:
        conn.close()


def integrity_check(path: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(str(path))
    try:
        return conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()


def session_ids(path: Path) -> set[str]:
    return {r[0] for r in dump(path)["sessions"]}


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --------------------------------------------------------------------------- tiny filesystems


@contextlib.contextmanager
def tmpfs(folder: Path, size: str) -> Any:
    """A tmpfs of ``size`` mounted at ``folder`` (root only); ``None`` if mounting is refused."""
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        yield None
        return
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


# --------------------------------------------------------------------------- child processes


def child_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("KEEL_DB", None)
    env.pop("KEEL_BACKUP_PASSPHRASE", None)
    env.update(extra)
    return env


def start_child(code: str, *args: str, **popen: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [PYTHON, "-c", code, *args],
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def forked_saver(db_path: Path, lead: str, worker: str) -> tuple[int, int]:
    """Fork a child that saves sessions through ``SessionService.save`` in a loop and writes
    each id to a pipe after ``save`` returned (one ``write`` per line: atomic). Forked from the
    test process, so no interpreter start-up per round. Returns (pid, read end of the pipe)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the test process
        code = 0
        try:
            os.close(read_end)
            db = open_database(db_path)
            service = SessionService(db)
            os.write(write_end, b"ready\n")
            n = 0
            while True:
                n += 1
                on = date(2020, 1, 1) + timedelta(days=n % 2000)
                saved = service.save(held(worker, lead, on, "x" * (n % 5000)))
                os.write(write_end, f"{saved.record.id}\n".encode())
        except BaseException:
            code = 3
        finally:
            os._exit(code)
    os.close(write_end)
    return pid, read_end


def read_all(fd: int) -> str:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks).decode()


SAVE_LOOP = """
import sys
from datetime import date, timedelta
from pathlib import Path
from app.services.sessions import SessionService
from app.storage.db import open_database
from tests.app.backup_support import held
db = open_database(Path(sys.argv[1]))
lead, worker = sys.argv[2], sys.argv[3]
service = SessionService(db)
print("ready", flush=True)
n = 0
while True:
    n += 1
    rec = held(worker, lead, date(2020, 1, 1) + timedelta(days=n % 2000), "x" * (n % 5000))
    saved = service.save(rec)
    print(saved.record.id, flush=True)
"""

HOLD_LOCK = """
import sys, time
from pathlib import Path
from app.services.instance import InstanceLock
lock = InstanceLock(Path(sys.argv[1]))
lock.acquire()
print("locked", flush=True)
time.sleep(120)
"""

# Saves under a file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored so writes fail with EFBIG
# instead of killing the process): the fallback when no tiny filesystem can be mounted.
SAVE_UNTIL_FULL = """
import json, resource, signal, sys
from datetime import date, timedelta
from pathlib import Path
from app.errors import SaveError
from app.services.sessions import SessionService
from app.storage.db import close_database, open_database
from tests.app.backup_support import held
path, lead, worker, limit = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
db = open_database(path)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
service = SessionService(db)
saved, error = [], None
for i in range(10_000):
    try:
        saved.append(service.save(held(worker, lead, date(2026, 1, 1), "y" * 50_000)).record.id)
    except SaveError as exc:
        error = f"{type(exc).__name__}: {exc}"
        break
resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
close_database(db)
print(json.dumps({"saved": saved, "error": error}), flush=True)
"""

BACKUP_UNDER_LIMIT = """
import json, resource, signal, sys
from pathlib import Path
from app.services.backup import BackupError, backup_database
from app.storage.db import close_database, open_database
path, folder, limit = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
passphrase = sys.argv[4] if len(sys.argv) > 4 else None
db = open_database(path)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
error = None
try:
    backup_database(db, folder, passphrase=passphrase)
except BackupError as exc:
    error = f"{type(exc).__name__}: {exc}"
resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
close_database(db)
print(json.dumps({"error": error}), flush=True)
"""


def run_child(code: str, *args: str, timeout: float = 120) -> dict[str, Any]:
    done = subprocess.run(
        [PYTHON, "-c", code, *args],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# Saves sessions, then dies without closing (os._exit): the committed changes stay in the -wal,
# not yet checkpointed into the database file, as after a crash or a power cut.
SAVE_THEN_CRASH = """
import os, sys
from datetime import date, timedelta
from pathlib import Path
from app.services.sessions import SessionService
from app.storage.db import open_database
from tests.app.backup_support import held
db = open_database(Path(sys.argv[1]))
db.execute("PRAGMA wal_autocheckpoint = 0")
service = SessionService(db)
for i in range(int(sys.argv[4])):
    rec = held(sys.argv[3], sys.argv[2], date(2026, 6, 1) + timedelta(days=i), "after the backup")
    print(service.save(rec).record.id, flush=True)
os._exit(0)
"""


def save_then_crash(db_path: Path, lead: str, worker: str, count: int) -> list[str]:
    done = subprocess.run(
        [PYTHON, "-c", SAVE_THEN_CRASH, str(db_path), lead, worker, str(count)],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return done.stdout.split()


@contextlib.contextmanager
def read_only_bind(source: Path, target: Path) -> Any:
    """``target``: a read-only view of ``source`` (a bind mount, remounted read-only) — root
    ignores file permissions, not a read-only mount. ``None`` if mounting is refused."""
    target.mkdir(parents=True, exist_ok=True)
    bound = subprocess.run(["mount", "--bind", str(source), str(target)], capture_output=True)
    if bound.returncode != 0:
        yield None
        return
    try:
        ro = subprocess.run(
            ["mount", "-o", "remount,ro,bind", str(target)], capture_output=True, text=True
        )
        yield target if ro.returncode == 0 else None
    finally:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)
