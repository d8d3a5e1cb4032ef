"""An export killed while its temporary exists (a PDF or a calendar half-written beside its
target, in whatever folder the person chose) leaves a temporary that the next start of Keel
removes — only once the process that made it is gone, or when it is over a day old — and logs
how many, never a name or a path."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from app.paths import log_dir, state_dir
from app.services.temporaries import (
    PENDING_EXPORTS,
    clean_export_temporaries,
    export_temporary_name,
    forget_export_temporary,
)
from tests.app.backup_support import PYTHON, REPO, child_env, make_db

# A real export in a child process, stopped for good while its temporary exists: the PDF is
# built and the child hangs where it would flush it; the calendar hangs where it would publish.
EXPORT_AND_HANG = """
import sys, time
from datetime import date
from pathlib import Path
from app.domain.catalogue import LINE
from app.services import calendar, exports
from app.storage.db import open_database

def hang(*_args, **_kwargs):
    print("ready", flush=True)
    time.sleep(600)

db = open_database(Path(sys.argv[1]))
out = Path(sys.argv[3])
if sys.argv[2] == "pdf":
    exports._fsync = hang
    exports.ExportService(db).blank(LINE, out)
else:
    calendar.publish = hang
    calendar.export_calendar(db, date(2026, 1, 1), date(2026, 12, 31), out)
"""

NAME = "Zoë Hartley record"


def _kill_during_export(db_path: Path, kind: str, out: Path) -> None:
    child = subprocess.Popen(
        [PYTHON, "-c", EXPORT_AND_HANG, str(db_path), kind, str(out)],
        env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None
        line = child.stdout.readline().strip()
        assert line == "ready", child.stderr.read() if child.stderr else ""
        os.kill(child.pid, signal.SIGKILL)
    finally:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        child.communicate()


def _temporaries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if ".keel-" in p.name)


def test_the_next_start_removes_a_killed_exports_temporary(tmp_path: Path) -> None:
    db_path = tmp_path / "data" / "keel.db"
    db_path.parent.mkdir()
    make_db(db_path)
    chosen = tmp_path / "chosen folder"  # the person's own folder: no start of Keel looks there
    chosen.mkdir()
    existing = chosen / f"{NAME}.ics"
    existing.write_text("BEGIN:VCALENDAR\nEND:VCALENDAR\n")
    _kill_during_export(db_path, "pdf", chosen / f"{NAME}.pdf")
    _kill_during_export(db_path, "ics", existing)
    left = _temporaries(chosen)
    assert len(left) == 2 and all(p.name.endswith(".keel-tmp") for p in left), left
    assert left[0].read_bytes()[:4] == b"%PDF" or left[1].read_bytes()[:4] == b"%PDF"
    # The next start of Keel: any command.
    done = subprocess.run(
        [PYTHON, str(REPO / "main.py"), "--db", str(db_path), "status"],
        env=child_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _temporaries(chosen) == []
    assert existing.read_text().startswith("BEGIN:VCALENDAR")  # the file that was there stays
    assert list((state_dir() / PENDING_EXPORTS).iterdir()) == []
    log = (log_dir() / "keel.log").read_text(encoding="utf-8")
    assert "removed 2 stale temporary item(s): unfinished export" in log
    assert "Zoë" not in log and "chosen folder" not in log and ".keel-tmp" not in log


def test_a_running_exports_temporary_is_kept_until_it_is_a_day_old(tmp_path: Path) -> None:
    out = tmp_path / f"{NAME}.pdf"
    mine = export_temporary_name(out, "tmp")  # this process: still exporting
    mine.write_bytes(b"%PDF-1.4 half")
    assert clean_export_temporaries() == 0 and mine.exists()
    later = time.time() + 25 * 3600
    note = next((state_dir() / PENDING_EXPORTS).iterdir())
    os.utime(note, (later - 25 * 3600 - 10, later - 25 * 3600 - 10))
    assert clean_export_temporaries(now=later) == 1 and not mine.exists()


def test_a_note_never_removes_anything_but_its_own_temporary(tmp_path: Path) -> None:
    """A note changed to name another file (the exported PDF, a folder) removes nothing."""
    out = tmp_path / f"{NAME}.pdf"
    out.write_bytes(b"%PDF-1.4 the real export")
    temporary = export_temporary_name(out, "tmp")
    note = next((state_dir() / PENDING_EXPORTS).iterdir())
    note.write_text(str(out))
    os.utime(note, (0, 0))  # as old as can be
    assert clean_export_temporaries() == 0
    assert out.read_bytes() == b"%PDF-1.4 the real export"
    assert not note.exists()
    forget_export_temporary(temporary)


@pytest.mark.parametrize("outcome", ["published", "failed"])
def test_an_export_leaves_no_note_behind(
    tmp_path: Path, outcome: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.domain.catalogue import LINE
    from app.services.exports import ExportFailed, ExportService
    from app.storage.db import close_database, open_database

    db_path = tmp_path / "keel.db"
    make_db(db_path)
    db = open_database(db_path)
    try:
        out = tmp_path / "blank.pdf"
        if outcome == "failed":
            monkeypatch.setattr("app.services.exports._fsync", _full_disk)
            with pytest.raises(ExportFailed):
                ExportService(db).blank(LINE, out)
        else:
            ExportService(db).blank(LINE, out)
    finally:
        close_database(db)
    notes = state_dir() / PENDING_EXPORTS
    assert not notes.exists() or list(notes.iterdir()) == []
    assert _temporaries(tmp_path) == []


def _full_disk(_path: Path) -> None:
    raise OSError(28, "No space left on device")
