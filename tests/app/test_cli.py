"""The command line, run as a person or a script would run it: in a separate process.

HOME and every XDG folder point into the test's own folder (see conftest), so the default
database and the log never touch the real user folders. No command may print a traceback.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app import dbapi
from app.domain.catalogue import CLINICAL, LINE
from app.domain.model import RiskFactors, SessionStatus, Tier, Worker
from app.domain.records import SessionRecord
from app.storage.db import close_database, open_database
from app.storage.sessions import save_session
from app.storage.workers import add_assessment, insert_worker

REPO = Path(__file__).resolve().parents[2]
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable

JSON_KEYS = {
    "worker_id", "staff_id", "worker", "team", "type", "tier", "assessed", "interval_days",
    "last_held", "due", "status", "booked", "reason",
}  # fmt: skip
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """The folder commands run in; nothing should appear in it unless a test puts it there."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


@pytest.fixture
def default_db(isolated_user_folders: Path) -> Path:
    return isolated_user_folders / ".local" / "share" / "Keel" / "keel.db"


def keel(*args: str, cwd: Path, keel_db: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python main.py ARGS`` and check it never shows a traceback."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("KEEL_DB", None)
    if keel_db is not None:
        env["KEEL_DB"] = keel_db
    done = subprocess.run(
        [PYTHON, str(REPO / "main.py"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert "Traceback" not in done.stdout, done.stdout
    return done


def error_lines(stderr: str) -> list[str]:
    """What a person reads on stderr, without argparse's reminder of the usage."""
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith("usage:")]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def make_service(path: Path) -> dict[str, str]:
    """Two workers whose statuses on 26 Nov 2026 follow from DOMAIN.md §5 by hand.

    Ada (high: two factors at 3) — clinical held 10 Nov, every 14 days → due 24 Nov, overdue;
    line held 1 Nov, every 28 → due 29 Nov, within the 7-day window → due soon; no group
    held since starting on 1 Jan 2024 → due 29 Jan 2024, overdue.
    Ben (not assessed → standard; requires line only) — line held 20 Nov, every 42 → due
    1 Jan 2027, on track, booked 10 Dec 2026; clinical and group not required.
    """
    db = open_database(path)
    try:
        with db.atomic():
            ada = insert_worker(
                db,
                Worker(
                    id="", name="Ada Okafor", staff_id="S001", team="North",
                    start_date=date(2024, 1, 1),
                ),
            )  # fmt: skip
            add_assessment(db, ada.id, date(2026, 1, 1), RiskFactors(3, 3, 2, 2), Tier.HIGH)
            for type_, held_on in (
                (CLINICAL, date(2026, 11, 10)),
                (LINE, date(2026, 11, 1)),
            ):
                save_session(
                    db,
                    SessionRecord(
                        type=type_, status=SessionStatus.HELD, session_date=held_on,
                        worker_id=ada.id,
                    ),
                )  # fmt: skip
            ben = insert_worker(
                db,
                Worker(
                    id="", name="Ben Price", team="South", start_date=date(2025, 6, 1),
                    requires=frozenset({LINE}),
                ),
            )  # fmt: skip
            for status, on in (
                (SessionStatus.HELD, date(2026, 11, 20)),
                (SessionStatus.PLANNED, date(2026, 12, 10)),
            ):
                save_session(
                    db,
                    SessionRecord(
                        type=LINE, status=status, session_date=on,
                        worker_id=ben.id,
                    ),
                )  # fmt: skip
    finally:
        close_database(db)
    return {"Ada Okafor": ada.id, "Ben Price": ben.id}


def make_lone_worker(path: Path, name: str) -> None:
    db = open_database(path)
    try:
        insert_worker(db, Worker(id="", name=name, start_date=date(2026, 1, 5)))
    finally:
        close_database(db)


def make_foreign_sqlite(path: Path) -> Path:
    conn = sqlite3.connect(str(path))
    try:
        conn.execute("CREATE TABLE bookmarks (id INTEGER PRIMARY KEY, url TEXT)")
        conn.commit()
    finally:
        conn.close()
    return path


def status_json(*args: str, cwd: Path, keel_db: str | None = None) -> list[dict[str, Any]]:
    done = keel(*args, "status", "--as-of", "2026-11-26", "--json", cwd=cwd, keel_db=keel_db)
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)
    assert isinstance(records, list)
    return records


# --------------------------------------------------------------------------- usage


def test_help_lists_every_command(work: Path) -> None:
    done = keel("--help", cwd=work)
    assert done.returncode == 0
    for command in ("import-staff", "status", "demo", "check"):
        assert command in done.stdout
    assert "--db" in done.stdout


def test_an_unknown_command_is_a_usage_error(work: Path, default_db: Path) -> None:
    done = keel("frobnicate", cwd=work)
    assert done.returncode == 2
    assert "invalid choice" in done.stderr and "frobnicate" in done.stderr
    assert not default_db.exists()


# --------------------------------------------------------------------------- status


def test_status_json_has_the_contracted_shape_and_values(work: Path) -> None:
    path = work / "service.db"
    ids = make_service(path)
    records = status_json("--db", str(path), cwd=work)

    assert len(records) == 6  # one object per worker and type
    for record in records:
        assert set(record) == JSON_KEYS, sorted(record)
        assert isinstance(record["worker_id"], str)
        assert record["staff_id"] is None or isinstance(record["staff_id"], str)
        assert isinstance(record["worker"], str) and isinstance(record["team"], str)
        assert record["type"] in {"line", "clinical", "group"}
        assert record["tier"] in {"high", "standard", "low"}
        assert isinstance(record["assessed"], bool)
        interval = record["interval_days"]
        assert interval is None or (isinstance(interval, int) and not isinstance(interval, bool))
        for key in ("last_held", "due", "booked"):
            assert record[key] is None or ISO_DATE.match(record[key]), (key, record[key])
        assert record["status"] in {"overdue", "due_soon", "on_track", "paused", "not_required"}
        assert isinstance(record["reason"], str) and record["reason"].strip()

    got = {
        (r["worker"], r["type"]): (
            r["worker_id"], r["staff_id"], r["team"], r["tier"], r["assessed"],
            r["interval_days"], r["last_held"], r["due"], r["status"], r["booked"],
        )
        for r in records
    }  # fmt: skip
    ada, ben = ids["Ada Okafor"], ids["Ben Price"]
    assert got == {
        ("Ada Okafor", "line"): (
            ada, "S001", "North", "high", True, 28, "2026-11-01", "2026-11-29", "due_soon", None,
        ),
        ("Ada Okafor", "clinical"): (
            ada, "S001", "North", "high", True, 14, "2026-11-10", "2026-11-24", "overdue", None,
        ),
        ("Ada Okafor", "group"): (
            ada, "S001", "North", "high", True, 28, None, "2024-01-29", "overdue", None,
        ),
        ("Ben Price", "line"): (
            ben, None, "South", "standard", False, 42, "2026-11-20", "2027-01-01", "on_track",
            "2026-12-10",
        ),
        ("Ben Price", "clinical"): (
            ben, None, "South", "standard", False, None, None, None, "not_required", None,
        ),
        ("Ben Price", "group"): (
            ben, None, "South", "standard", False, None, None, None, "not_required", None,
        ),
    }  # fmt: skip
    assert listing(work) == ["service.db"]  # closed cleanly: no -wal/-shm left


def test_iso_and_uk_as_of_dates_agree(work: Path) -> None:
    path = work / "service.db"
    make_service(path)
    iso = keel("--db", str(path), "status", "--as-of", "2026-11-26", "--json", cwd=work)
    uk = keel("--db", str(path), "status", "--as-of", "26/11/2026", "--json", cwd=work)
    assert iso.returncode == uk.returncode == 0
    assert json.loads(iso.stdout) == json.loads(uk.stdout)
    assert json.loads(iso.stdout)


@pytest.mark.parametrize("bad", ["31/02/2026", "2026-13-01", "next tuesday", "26.11.2026"])
def test_a_bad_as_of_date_is_one_sentence_and_exit_2(
    work: Path, default_db: Path, bad: str
) -> None:
    done = keel("status", "--as-of", bad, cwd=work)
    assert done.returncode == 2
    lines = error_lines(done.stderr)
    assert len(lines) == 1, done.stderr
    assert bad in lines[0] and "date" in lines[0]
    assert done.stdout == ""
    assert not default_db.exists()  # refused before anything was opened


def test_status_table_for_people(work: Path) -> None:
    path = work / "service.db"
    make_service(path)
    done = keel("--db", str(path), "status", "--as-of", "26/11/2026", cwd=work)
    assert done.returncode == 0, done.stderr
    assert "26 Nov 2026" in done.stdout
    assert "Ada Okafor" in done.stdout and "Ben Price" in done.stdout
    assert "Overdue" in done.stdout and "Compliance:" in done.stdout
    # Worst first: Ada (overdue) is listed before Ben (on track).
    assert done.stdout.index("Ada Okafor") < done.stdout.index("Ben Price")


# --------------------------------------------------------------------------- which database


def test_keel_db_chooses_the_database_and_db_wins_over_it(work: Path, default_db: Path) -> None:
    from_env, from_flag = work / "env.db", work / "flag.db"
    make_lone_worker(from_env, "Erin from the environment")
    make_lone_worker(from_flag, "Fola from the flag")

    records = status_json(cwd=work, keel_db=str(from_env))
    assert {r["worker"] for r in records} == {"Erin from the environment"}

    records = status_json("--db", str(from_flag), cwd=work, keel_db=str(from_env))
    assert {r["worker"] for r in records} == {"Fola from the flag"}

    assert not default_db.exists()


def test_the_default_database_lives_in_the_user_data_folder(work: Path, default_db: Path) -> None:
    missing = keel("status", cwd=work)  # no database yet: refused, nothing made
    assert missing.returncode == 2 and not default_db.parent.exists()
    made = keel("demo", cwd=work)
    assert made.returncode == 0, made.stderr
    assert made.stderr == f"Creating a new database at {default_db}.\n"
    assert default_db.is_file()
    assert listing(default_db.parent) == ["keel.db"]
    assert listing(work) == []  # nothing in the current folder

    done = keel("check", cwd=work)
    assert done.returncode == 0, done.stdout + done.stderr
    assert str(default_db) in done.stdout


# --------------------------------------------------------------------------- check


def test_check_passes_a_sound_database_and_changes_nothing(work: Path) -> None:
    path = work / "service.db"
    make_service(path)
    digest = sha256(path)
    done = keel("--db", str(path), "check", cwd=work)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: no problems found." in done.stdout
    assert "2 workers" in done.stdout
    assert sha256(path) == digest
    assert listing(work) == ["service.db"]


def test_a_wrong_scheduler_summary_is_reported_then_rebuilt_from_the_records(
    work: Path,
) -> None:
    path = work / "service.db"
    make_service(path)
    status_before = keel("--db", str(path), "status", "--as-of", "2026-11-26", "--json", cwd=work)
    db = open_database(path)
    try:
        with db.atomic():  # as if a trigger had been missed: Ada's clinical summary is wrong
            db.execute("UPDATE latest_held SET session_date = '2026-11-25' WHERE type = 'clinical'")
        records = db.execute("SELECT id, session_date FROM sessions ORDER BY id").fetchall()
    finally:
        close_database(db)
    wrong = keel("--db", str(path), "status", "--as-of", "2026-11-26", "--json", cwd=work)
    assert json.loads(wrong.stdout) != json.loads(status_before.stdout)  # the summary matters

    checked = keel("--db", str(path), "check", cwd=work)
    assert checked.returncode == 1
    assert "latest_held: 1 wrong" in checked.stdout
    assert "keel rebuild-summary" in checked.stdout  # the report says what to do

    rebuilt = keel("--db", str(path), "rebuild-summary", cwd=work)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert "1 wrong entry corrected" in rebuilt.stdout
    assert keel("--db", str(path), "check", cwd=work).returncode == 0
    again = keel("--db", str(path), "status", "--as-of", "2026-11-26", "--json", cwd=work)
    assert json.loads(again.stdout) == json.loads(status_before.stdout)
    db = open_database(path)
    try:  # no record was touched
        assert db.execute("SELECT id, session_date FROM sessions ORDER BY id").fetchall() == records
    finally:
        close_database(db)


def test_rebuild_summary_on_a_missing_path_is_a_usage_error(work: Path) -> None:
    done = keel("--db", str(work / "nowhere.db"), "rebuild-summary", cwd=work)
    assert done.returncode == 2
    assert "There is no database" in done.stderr
    assert listing(work) == []


def _many_workers(path: Path) -> bytes:
    db = open_database(path)
    try:
        with db.atomic():
            for i in range(200):
                insert_worker(
                    db,
                    Worker(id="", staff_id=f"STAFF-{i:04d}", name=f"Worker {i:03d} " + "x" * 150),
                )
    finally:
        close_database(db)
    return path.read_bytes()


def _damage_a_value(path: Path) -> None:
    """One staff id changed inside its row: the row and its index entry now disagree."""
    data = _many_workers(path)
    # The first copy of the bytes may be a stale one in a page's free space (SQLite leaves
    # them there): change the first copy whose change integrity_check notices.
    at = data.index(b"STAFF-0007")
    while True:
        path.write_bytes(data[:at] + b"STAFF-7007" + data[at + 10 :])
        if _integrity_fails(path):
            return
        at = data.index(b"STAFF-0007", at + 1)


def _damage_a_page_header(path: Path) -> None:
    """Scramble the b-tree header of the table page holding worker 100."""
    data = bytearray(_many_workers(path))
    page = data.index(b"Worker 100 ") // 4096
    assert page > 0
    for offset in range(page * 4096, page * 4096 + 12):
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def _integrity_fails(path: Path) -> bool:
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        return bool(conn.execute("PRAGMA integrity_check").fetchall() != [("ok",)])
    except sqlite3.DatabaseError:
        return True
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("damage", "found_by"),
    [
        pytest.param(_damage_a_value, "integrity:", id="a value (found by integrity_check)"),
        pytest.param(_damage_a_page_header, "is damaged", id="a page header"),
    ],
)
def test_check_finds_a_damaged_database(work: Path, damage: Any, found_by: str) -> None:
    path = work / "damaged.db"
    damage(path)
    assert _integrity_fails(path)  # the damage is real before Keel is asked about it
    digest = sha256(path)

    done = keel("--db", str(path), "check", cwd=work)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "PROBLEM" in done.stdout and found_by in done.stdout
    assert "problem(s) found" in done.stdout
    assert sha256(path) == digest
    assert listing(work) == ["damaged.db"]


def test_check_refuses_another_programs_database(work: Path) -> None:
    path = make_foreign_sqlite(work / "bookmarks.sqlite")
    digest = sha256(path)
    done = keel("--db", str(path), "check", cwd=work)
    assert done.returncode == 1
    assert "not one of Keel's" in done.stdout
    assert sha256(path) == digest
    assert listing(work) == ["bookmarks.sqlite"]


def test_check_on_a_missing_path_is_a_usage_error(work: Path) -> None:
    missing = work / "nowhere" / "keel.db"
    done = keel("--db", str(missing), "check", cwd=work)
    assert done.returncode == 2
    lines = error_lines(done.stderr)
    assert len(lines) == 1 and "no database" in lines[0] and str(missing) in lines[0]
    assert not missing.parent.exists()  # check never creates anything


# --------------------------------------------------------------------------- refusals


def _text(path: Path) -> Path:
    path.write_text("staff_id,name\nS001,Ada Okafor\n", encoding="utf-8")
    return path


def _empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _newer(path: Path) -> Path:
    make_lone_worker(path, "Gwen from the future")
    conn = sqlite3.connect(str(path))
    try:
        conn.execute("PRAGMA user_version = 999")
        conn.commit()
    finally:
        conn.close()
    return path


@pytest.mark.parametrize(
    ("make", "words"),
    [
        pytest.param(make_foreign_sqlite, "not one of Keel's", id="another program's SQLite"),
        pytest.param(_text, "not an SQLite file", id="a text file"),
        pytest.param(_empty, "empty (0 bytes)", id="a 0-byte file"),
        pytest.param(_newer, "newer version of Keel", id="a newer Keel's database"),
    ],
)
def test_status_refuses_a_file_that_is_not_keels_and_leaves_it_alone(
    work: Path, make: Any, words: str
) -> None:
    path = make(work / "keel.db")
    digest = sha256(path)
    done = keel("--db", str(path), "status", cwd=work)
    assert done.returncode == 1
    lines = error_lines(done.stderr)
    assert len(lines) == 1 and words in lines[0], done.stderr
    assert done.stdout == ""
    assert sha256(path) == digest
    assert listing(work) == ["keel.db"]


# --------------------------------------------------------------------------- the error net


def _run_in_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, failure: BaseException
) -> tuple[int, str]:
    from app import cli, commands

    def fail(*_args: object) -> int:
        raise failure

    monkeypatch.setitem(commands._HANDLERS, "status", fail)
    close_database(open_database(tmp_path / "x.db"))  # a database to run on
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    code = commands.run(cli.parse(["--db", str(tmp_path / "x.db"), "status"]), out=io.StringIO())
    return code, stderr.getvalue()


def test_an_sqlite_error_from_the_environment_is_one_sentence(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code, stderr = _run_in_process(
        monkeypatch, tmp_path, dbapi.OperationalError("database or disk is full")
    )
    assert code == 1
    assert stderr.count("\n") == 1 and "disk is full" in stderr and "Traceback" not in stderr


def test_a_bug_is_one_sentence_that_points_to_the_log(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    code, stderr = _run_in_process(monkeypatch, tmp_path, KeyError("tier"))
    assert code == 1
    assert stderr.count("\n") == 1 and "bug" in stderr and "keel.log" in stderr
    assert "Traceback" not in stderr
    assert any(r.exc_info for r in caplog.records)  # the traceback went to the log


# --------------------------------------------------------------------------- parsing


def test_opening_the_app_parses_its_own_options_as_the_full_parser_does(tmp_path: Path) -> None:
    from app.cli import build_parser, parse

    for argv in ([], ["--db", "team.db"], ["--db=team.db", "--self-test"], ["--self-test"]):
        quick = parse(argv)
        full = build_parser().parse_args(argv)
        assert quick.command is None and full.command is None
        assert (quick.db, quick.self_test, quick.self_test_report) == (
            full.db,
            full.self_test,
            full.self_test_report,
        ), argv


def test_a_command_or_a_mistyped_one_goes_to_the_full_parser(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from app.cli import parse

    args = parse(["--db", "team.db", "status", "--json"])
    assert (args.command, args.db, args.json) == ("status", "team.db", True)
    with pytest.raises(SystemExit) as stopped:
        parse(["--db", "team.db", "stauts"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'stauts'" in err and "status" in err
    with pytest.raises(SystemExit) as stopped:
        parse(["--db", "team.db", "--as-of", "2026-01-01"])
    assert stopped.value.code == 2
    # As before the quick path: the full parser reads the stray value as a command.
    assert "invalid choice: '2026-01-01'" in capsys.readouterr().err


def test_version_after_a_command_is_refused_not_answered(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from app.cli import parse

    with pytest.raises(SystemExit) as stopped:
        parse(["backup", "--to", "somewhere", "--version"])
    assert stopped.value.code == 2
    with pytest.raises(SystemExit) as stopped:
        parse(["--version"])
    assert stopped.value.code == 0
    assert "Keel" in capsys.readouterr().out
