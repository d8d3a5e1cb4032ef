"""Backups: complete and verified, private, encrypted when asked, rotated like Anki; the
automatic daily backup and what the status bar says; warnings for risky backup folders."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from app.domain.catalogue import LINE
from app.paths import default_backup_dir
from app.services import backup as backup_module
from app.services import crypto, encrypted_backup
from app.services.autobackup import (
    auto_backup_if_due,
    backup_folder,
    change_marker,
    last_backup_info,
    make_backup,
    set_backup_folder,
)
from app.services.backup import (
    BackupError,
    RestoreError,
    backup_database,
    inspect_backup,
    restore_database,
)
from app.services.backup_files import backup_name, backups_to_keep, list_backups, prune_backups
from app.services.location import location_warning
from app.services.sessions import SessionService
from app.services.temporaries import owner
from app.storage import keys
from app.storage.db import APPLICATION_ID, Database, close_database, connect, open_database
from app.storage.schema import SCHEMA_VERSION
from tests.app.backup_support import (
    dump,
    held,
    listing,
    populate,
    quick_check,
    restored,
    stand_in_backup,
)

NOW = datetime(2026, 11, 26, 14, 30, tzinfo=UTC)
PASSPHRASE = "correct horse battery staple"


@pytest.fixture(autouse=True)
def fast_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """The smallest scrypt cost decrypt() accepts: same code path, a fraction of the time."""
    monkeypatch.setattr(crypto, "SCRYPT_N", 2**14)
    monkeypatch.setattr(keys, "SCRYPT_N", 2**14)


@pytest.fixture
def data(db: Database) -> dict[str, object]:
    return populate(db)


def _header(path: Path) -> tuple[int, int]:
    raw = path.read_bytes()[:100]
    return int.from_bytes(raw[68:72], "big"), int.from_bytes(raw[60:64], "big")


# --------------------------------------------------------------------------- plain backups


def test_a_backup_is_complete_verified_private_and_self_contained(
    db: Database, db_path: Path, data: dict[str, object], tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    result = backup_database(db, folder, now=NOW)
    assert result.path == folder / "keel-backup-keel-20261126-143000.db"
    assert listing(folder) == [result.path.name], "a temporary file was left behind"
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600
    assert _header(result.path) == (APPLICATION_ID, SCHEMA_VERSION)
    assert result.path.read_bytes()[18:20] == b"\x01\x01", "a backup is not a WAL file"
    assert quick_check(result.path) == [("ok",)]
    assert result.counts["sessions"] == 3 and result.counts["workers"] == 2
    assert result.counts["audit_log"] >= 4
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert dump(result.path) == dump(db_path)
    # A second backup in the same second gets its own name.
    again = backup_database(db, folder, now=NOW)
    assert again.path.name == "keel-backup-keel-20261126-143000-1.db"
    assert list_backups(folder) == [again.path, result.path]


def test_backup_of_a_live_database_with_uncommitted_work_in_another_connection(
    db: Database, db_path: Path, data: dict[str, object], tmp_path: Path
) -> None:
    """Committed rows still only in the -wal are in the backup; the uncommitted one is not.
    (A copy of the file would miss the former: checkpoints are switched off here.)"""
    db.execute("PRAGMA wal_autocheckpoint = 0")
    other = sqlite3.connect(str(db_path), isolation_level=None)
    try:
        other.execute("PRAGMA wal_autocheckpoint = 0")
        service = SessionService(db)
        committed = [
            service.save(held(str(data["worker"]), str(data["lead"]), date(2026, 2, d))).record.id
            for d in (1, 2, 3)
        ]
        assert Path(f"{db_path}-wal").stat().st_size > 0
        other.execute("BEGIN IMMEDIATE")
        other.execute(
            "INSERT INTO workers (id, name, created_at, updated_at) "
            "VALUES ('uncommitted', 'Not Yet Saved', 'x', 'x')"
        )
        result = backup_database(db, tmp_path / "backups")
        copy = dump(result.path)
        assert quick_check(result.path) == [("ok",)]
        ids = {r[0] for r in copy["sessions"]}
        assert set(committed) | set(data["sessions"]) <= ids  # type: ignore[arg-type]
        assert "uncommitted" not in {r[0] for r in copy["workers"]}
        assert result.counts["sessions"] == 6
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert dump(result.path) == dump(db_path)


def test_a_backup_while_this_connection_is_mid_write_is_refused_not_hung(
    db: Database, data: dict[str, object], tmp_path: Path
) -> None:
    """SQLite's backup API waits for ever on a source connection holding a write transaction;
    the backup must say so at once and leave nothing behind."""
    folder = tmp_path / "backups"
    started = time.monotonic()
    with db.atomic():
        db.execute("UPDATE workers SET role = 'Team lead' WHERE id = ?", [data["lead"]])
        with pytest.raises(BackupError, match="still being saved"):
            backup_database(db, folder)
    assert time.monotonic() - started < 5
    assert listing(folder) == []


@pytest.mark.parametrize("fault", ["damaged page", "missing rows", "wrong schema"])
def test_a_copy_that_fails_verification_is_not_kept(
    db: Database,
    data: dict[str, object],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
) -> None:
    """Whatever goes wrong between the copy and the rename is caught by the verification, and
    nothing is left in the folder (the copy is spoiled here right after it was made)."""
    real = backup_module._snapshot_copy

    def spoiled(source: Database, tmp: Path) -> tuple[dict[str, int], int]:
        expected, version = real(source, tmp)
        conn = sqlite3.connect(str(tmp))
        try:
            if fault == "damaged page":
                page = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'sessions'")
                root = page.fetchone()[0]
            elif fault == "missing rows":
                conn.execute("DROP TRIGGER sessions_signed_never_deleted")
                conn.execute("DELETE FROM sessions WHERE signed_at IS NOT NULL")
            else:
                conn.execute("PRAGMA user_version = 1")
            conn.commit()
        finally:
            conn.close()
        if fault == "damaged page":
            raw = bytearray(tmp.read_bytes())
            raw[(root - 1) * 4096 : (root - 1) * 4096 + 64] = b"\xa5" * 64
            tmp.write_bytes(bytes(raw))
        return expected, version

    monkeypatch.setattr(backup_module, "_snapshot_copy", spoiled)
    folder = tmp_path / "backups"
    with pytest.raises(BackupError, match="not kept"):
        backup_database(db, folder)
    assert listing(folder) == []


def test_a_backup_folder_whose_parent_is_missing_is_not_created(
    db: Database, tmp_path: Path
) -> None:
    """A USB stick that is not plugged in: no look-alike folder on the laptop's own disk."""
    stick = tmp_path / "media" / "USB" / "Keel backups"
    with pytest.raises(BackupError, match="not available"):
        backup_database(db, stick)
    assert not (tmp_path / "media").exists()


def test_a_backup_of_an_older_schema_keeps_its_version(tmp_path: Path) -> None:
    """``backup`` never migrates: a schema-1 file gives a verified schema-1 backup."""
    source = tmp_path / "v1.db"
    source.write_bytes((Path(__file__).parents[1] / "fixtures" / "schema-v1.db").read_bytes())
    db = connect(source)
    try:
        result = backup_database(db, tmp_path / "backups")
    finally:
        db.close()
    assert _header(result.path) == (APPLICATION_ID, 1)


# --------------------------------------------------------------------------- encrypted


def test_encrypted_backup_round_trip(
    db: Database, db_path: Path, data: dict[str, object], tmp_path: Path
) -> None:
    folder = tmp_path / "stick"
    result = backup_database(db, folder, passphrase=PASSPHRASE, now=NOW)
    assert result.encrypted and result.path.name == "keel-backup-keel-20261126-143000.keelenc"
    assert listing(folder) == [result.path.name]
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600
    blob = result.path.read_bytes()
    # A SQLCipher file inside the container: not one readable page, no name, no note.
    assert blob.startswith(encrypted_backup.MAGIC) and b"SQLite format 3" not in blob
    assert b"Caseload" not in blob and "Łukasz".encode() not in blob
    header = _container_header(result.path)
    assert header["database_encrypted"] is False and header["kind"] == "sqlcipher4"
    assert header["schema"] == SCHEMA_VERSION and header["counts"] == result.counts
    ((entry,),) = [header["key_entries"]]
    assert entry["kdf"] == "scrypt" and entry["cipher"] == "AES-256-GCM"
    # A fresh key, salt and nonce every time.
    second = backup_database(db, folder, passphrase=PASSPHRASE)
    other = _container_header(second.path)
    assert other["key_check"] != header["key_check"]
    assert other["key_entries"][0]["salt"] != entry["salt"]
    # Round trip: restore it into a fresh database and compare every table.
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    expected = dump(db_path)
    info = inspect_backup(result.path, passphrase=PASSPHRASE)
    assert info.encrypted and info.counts == result.counts and info.created_at == NOW
    fresh_path = tmp_path / "fresh.db"
    fresh = open_database(fresh_path)
    try:
        outcome = restore_database(fresh, result.path, tmp_path / "safety", passphrase=PASSPHRASE)
    finally:
        close_database(fresh)
    # Everything the backup holds, and the restore's own audit entry; the restored database
    # is the plain database it was a backup of.
    assert outcome.counts == {**result.counts, "audit_log": result.counts["audit_log"] + 1}
    assert restored(fresh_path) == expected
    assert fresh_path.read_bytes()[:16] == b"SQLite format 3\x00"
    # Nothing decrypted was left on the way: only the database and its side files.
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("fresh")) == ["fresh.db"]


def _container_header(path: Path) -> dict[str, object]:
    with path.open("rb") as fh:
        return encrypted_backup.read_container(fh, path.stat().st_size).header


def test_an_empty_passphrase_is_refused(db: Database, tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="needs a passphrase"):
        backup_database(db, tmp_path / "b", passphrase="")
    assert listing(tmp_path / "b") == []


def test_the_passphrase_is_normalised(db: Database, tmp_path: Path) -> None:
    """ "é" typed as one code point or as e + combining accent opens the same file."""
    result = backup_database(db, tmp_path / "b", passphrase="caf\u00e9 au lait")
    assert inspect_backup(result.path, passphrase="cafe\u0301 au lait").encrypted


def test_wrong_passphrase_gives_a_clear_message(db: Database, tmp_path: Path) -> None:
    path = backup_database(db, tmp_path / "b", passphrase=PASSPHRASE).path
    with pytest.raises(RestoreError) as wrong:
        inspect_backup(path, passphrase="correct horse battery stapler")
    assert "passphrase is wrong" in str(wrong.value)
    with pytest.raises(RestoreError, match="give its passphrase"):
        inspect_backup(path)


def _with_container_header(path: Path, change: dict[str, object]) -> Path:
    """The same container with header fields changed (same body, same HMAC)."""
    blob = path.read_bytes()
    length = int.from_bytes(blob[8:12], "big")
    params = {**json.loads(blob[12 : 12 + length]), **change}
    raw = json.dumps(params, sort_keys=True).encode()
    out = path.with_name(f"changed-{len(list(path.parent.iterdir()))}.keelenc")
    out.write_bytes(
        encrypted_backup.MAGIC + len(raw).to_bytes(4, "big") + raw + blob[12 + length :]
    )
    return out


def test_header_fields_are_authenticated(db: Database, tmp_path: Path) -> None:
    path = backup_database(db, tmp_path / "b", passphrase=PASSPHRASE).path
    header = _container_header(path)
    entry = dict(header["key_entries"][0])  # type: ignore[index]
    # A field that does not feed the key: the HMAC over the header catches it.
    for change in ({"schema": 99}, {"created": "2020-01-01T00:00:00+00:00"}, {"counts": {}}):
        with pytest.raises(RestoreError, match="changed or damaged"):
            inspect_backup(_with_container_header(path, change), passphrase=PASSPHRASE)
    # The key derivation's cost changed: its wrapping no longer opens (authenticated too).
    doubled = {**entry, "n": entry["n"] * 2}
    with pytest.raises(RestoreError, match="passphrase is wrong"):
        inspect_backup(
            _with_container_header(path, {"key_entries": [doubled]}), passphrase=PASSPHRASE
        )
    # Absurd parameters are refused before any key is derived.
    for bad in ({"n": 2**30}, {"n": 3 * 2**14}, {"r": 0}, {"kdf": "none"}):
        forged = _with_container_header(path, {"key_entries": [{**entry, **bad}]})
        with pytest.raises(RestoreError, match="damaged"):
            inspect_backup(forged, passphrase=PASSPHRASE)


# --------------------------------------------------------------------------- older formats


def _old_encrypted_backup(db: Database, folder: Path, passphrase: str) -> Path:
    """An encrypted backup as Keel wrote them before they were SQLCipher files (``KEELENC1``):
    AES-GCM over a verified plain backup, with the same header fields."""
    plain = backup_database(db, folder, now=NOW)
    meta = {"created": NOW.isoformat(), "schema": SCHEMA_VERSION, "counts": plain.counts}
    old = folder / "keel-backup-keel-20261126-143000.keelenc"
    old.write_bytes(crypto.encrypt(plain.path.read_bytes(), passphrase, meta=meta))
    plain.path.unlink()
    return old


def test_an_older_passphrase_backup_still_restores(
    db: Database, db_path: Path, data: dict[str, object], tmp_path: Path
) -> None:
    old = _old_encrypted_backup(db, tmp_path / "old", PASSPHRASE)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    expected = dump(db_path)
    info = inspect_backup(old, passphrase=PASSPHRASE)
    assert info.encrypted and info.created_at == NOW
    fresh_path = tmp_path / "fresh.db"
    fresh = open_database(fresh_path)
    try:
        restore_database(fresh, old, tmp_path / "safety", passphrase=PASSPHRASE)
    finally:
        close_database(fresh)
    assert restored(fresh_path) == expected
    with pytest.raises(RestoreError, match="passphrase is wrong"):
        inspect_backup(old, passphrase="correct horse battery stapler")


def test_older_passphrase_backups_headers_are_authenticated(db: Database, tmp_path: Path) -> None:
    blob = _old_encrypted_backup(db, tmp_path / "b", PASSPHRASE).read_bytes()
    assert crypto.decrypt(blob, PASSPHRASE)
    n = crypto.read_header(blob).params["n"]
    # The KDF cost changed: rejected (a header is never trusted before the tag checks out).
    with pytest.raises(crypto.DecryptionError, match="passphrase is wrong"):
        crypto.decrypt(_with_header(blob, {"n": n * 2}), PASSPHRASE)
    # A field that does not feed the key: only the authentication of the header catches it.
    with pytest.raises(crypto.DecryptionError, match="passphrase is wrong"):
        crypto.decrypt(_with_header(blob, {"schema": 99}), PASSPHRASE)
    with pytest.raises(crypto.DecryptionError, match="passphrase is wrong"):
        crypto.decrypt(_with_header(blob, {"created": "2020-01-01T00:00:00+00:00"}), PASSPHRASE)
    # Absurd parameters are refused before any key is derived.
    for bad in ({"n": 2**30}, {"n": 3 * 2**14}, {"r": 0}, {"kdf": "none"}, {"format": 2}):
        with pytest.raises(crypto.DecryptionError, match="damaged or was made by an unknown"):
            crypto.decrypt(_with_header(blob, bad), PASSPHRASE)


def _with_header(blob: bytes, change: dict[str, object]) -> bytes:
    """The same ``KEELENC1`` file with header fields changed (same key, same body)."""
    header = crypto.read_header(blob)
    params = {**header.params, **change}
    raw = json.dumps(params, sort_keys=True).encode()
    return crypto.MAGIC + len(raw).to_bytes(4, "big") + raw + blob[header.prefix_length :]


# --------------------------------------------------------------------------- rotation


ROTATED_ID = "0f6a2c1e-8a43-4b7f-9d0e-1c2b3a4d5e6f"


def _fake_backup(folder: Path, day: date, database_id: str = ROTATED_ID) -> Path:
    path = folder / backup_name(
        datetime(day.year, day.month, day.day, 12, tzinfo=UTC), encrypted=False, stem="keel"
    )
    return stand_in_backup(path, database_id)


def _days(*pairs: tuple[int, int]) -> set[str]:
    return {f"keel-backup-keel-2026{m:02d}{d:02d}-120000.db" for m, d in pairs}


def test_rotation_over_a_simulated_year_of_daily_backups(tmp_path: Path) -> None:
    """One backup a day for 2026, pruned after each; the expected sets were worked out by hand
    (daily 7, weekly 4, monthly 12; 1 Jan 2026 is a Thursday, ISO week 1 runs 29 Dec–4 Jan)."""
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a backup")
    safety = folder / "keel-before-restore-20250101-000000.db"
    safety.write_bytes(b"")
    expected = {
        # today, yesterday, and 1 Jan as the first daily
        date(2026, 1, 3): _days((1, 1), (1, 2), (1, 3)),
        # 11–12 recent, 4–10 daily; 1–3 share week 1 and January with 4 Jan: dropped
        date(2026, 1, 12): _days(*((1, d) for d in range(4, 13))),
        # 14–15 recent, 7–13 daily (week 6); 1 Feb newest of week 5; 31 Jan monthly (January
        # is older than February); 25, 18, 11 Jan weekly; weekly slots used up
        date(2026, 2, 15): _days(
            *((2, d) for d in range(7, 16)), (2, 1), (1, 31), (1, 25), (1, 18), (1, 11)
        ),
        # 30–31 recent, 23–29 daily (week 52); 20, 13, 6 Dec weekly; 30 Nov monthly (same ISO
        # week as 6 Dec, older month); 29 Nov weekly (4th); then the last day of each month
        date(2026, 12, 31): _days(
            *((12, d) for d in range(23, 32)),
            (12, 20),
            (12, 13),
            (12, 6),
            (11, 30),
            (11, 29),
            (10, 31),
            (9, 30),
            (8, 31),
            (7, 31),
            (6, 30),
            (5, 31),
            (4, 30),
            (3, 31),
            (2, 28),
            (1, 31),
        ),
    }
    day = date(2026, 1, 1)
    while day <= date(2026, 12, 31):
        newest = _fake_backup(folder, day)
        removed = prune_backups(folder, day, stem="keel", database_id=ROTATED_ID)
        assert newest.exists() and newest not in removed
        names = {p.name for p in list_backups(folder, include_safety=False)}
        if day in expected:
            assert names == expected[day], day
        assert len(names) <= 2 + 7 + 4 + 12
        day += timedelta(days=1)
    assert safety.exists() and (folder / "notes.txt").exists()


def test_rotation_keeps_backups_dated_in_the_future_and_sparse_old_ones(tmp_path: Path) -> None:
    folder = tmp_path
    today = date(2026, 11, 26)
    future = _fake_backup(folder, date(2027, 3, 1))  # a clock set wrong
    old = [_fake_backup(folder, date(2025, m, 10)) for m in (1, 6, 9)]
    keep = backups_to_keep(list_backups(folder), today)
    assert future in keep and set(old) <= keep  # few backups: nothing to thin out


def test_pruning_removes_stale_temporary_files_only(tmp_path: Path) -> None:
    """A temporary goes when the process that made it is gone, or after a day: never one a
    backup running beside the window is still writing."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = owner().split("-")[0]
    orphan = tmp_path / f".keel-backup-{host}-{gone.pid}-abc.tmp"  # its process has ended
    running = tmp_path / f".keel-backup-{owner()}-def.tmp"  # this process: still writing
    old_style = tmp_path / ".keel-backup-0123.tmp"  # an older Keel's: by age alone
    day_old = tmp_path / ".keel-backup-4567.tmp"
    for path in (orphan, running, old_style, day_old):
        path.write_bytes(b"x")
    old = time.time() - 25 * 3600
    os.utime(day_old, (old, old))
    prune_backups(tmp_path, date(2026, 11, 26), stem="keel", database_id=ROTATED_ID)
    assert not orphan.exists() and not day_old.exists()
    assert running.exists() and old_style.exists()


# --------------------------------------------------------------------------- automatic backups


def test_the_backup_folder_setting(db: Database, tmp_path: Path) -> None:
    assert backup_folder(db) == default_backup_dir()
    assert set_backup_folder(db, tmp_path / "stick") is None
    assert backup_folder(db) == tmp_path / "stick"
    assert db.execute("SELECT value FROM meta WHERE key = 'backup_dir'").fetchone()[0] == str(
        tmp_path / "stick"
    )
    warning = set_backup_folder(db, tmp_path / "OneDrive - NHS" / "Keel")
    assert warning is not None and "OneDrive" in warning and "encrypted" in warning
    set_backup_folder(db, None)
    assert backup_folder(db) == default_backup_dir()


def test_auto_backup_at_most_daily_and_only_after_a_change(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    day1 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    first = auto_backup_if_due(db, folder, day1)
    assert first.made is None and "nothing to back up" in first.reason  # an empty database

    data = populate(db)
    made = auto_backup_if_due(db, folder, day1)
    assert made.made is not None and made.made.path.exists()
    assert auto_backup_if_due(db, folder, day1 + timedelta(hours=8)).made is None  # same day

    # Next day, nothing changed: no backup.
    quiet = auto_backup_if_due(db, folder, day1 + timedelta(days=1))
    assert quiet.made is None and "Nothing changed" in quiet.reason

    # A change (a session saved) makes the next day's backup.
    SessionService(db).save(held(str(data["worker"]), str(data["lead"]), date(2026, 11, 3)))
    assert auto_backup_if_due(db, folder, day1 + timedelta(days=2)).made is not None
    assert len(list_backups(folder)) == 2

    # Settings written by the backup itself are not a change.
    assert auto_backup_if_due(db, folder, day1 + timedelta(days=3)).made is None


def test_import_and_demo_count_as_changes(db: Database, tmp_path: Path) -> None:
    from app.services.demo import load_demo
    from app.services.importing import import_staff

    folder = tmp_path / "backups"
    populate(db)
    marker = change_marker(db)
    sample = Path(__file__).parents[2] / "resources" / "samples" / "staff-example.csv"
    import_staff(db, sample, today=date(2026, 11, 26))
    after_import = change_marker(db)
    assert after_import != marker

    empty = open_database(tmp_path / "demo.db")
    try:
        before = change_marker(empty)
        load_demo(empty, today=date(2026, 11, 26))
        assert change_marker(empty) != before
        assert auto_backup_if_due(empty, folder, NOW).made is not None
    finally:
        close_database(empty)


@pytest.mark.parametrize(
    "change",
    ["worker_updated", "leave_removed", "override_added", "action_closed", "draft_saved"],
)
def test_every_kind_of_change_moves_the_marker(db: Database, change: str, tmp_path: Path) -> None:
    from app.domain.model import LeaveKind
    from app.services.workers import WorkerService

    data = populate(db)
    workers = WorkerService(db)
    leave = workers.add_leave(str(data["worker"]), date(2026, 3, 1), None, LeaveKind.SICKNESS)
    marker = change_marker(db)
    if change == "worker_updated":
        worker = workers.get(str(data["worker"]))
        assert worker is not None
        from dataclasses import replace

        workers.save(replace(worker, role="Senior practitioner"))
    elif change == "leave_removed":
        workers.remove_leave(leave.id)
    elif change == "override_added":
        workers.add_override(str(data["worker"]), LINE, 14, "Complex caseload", date(2027, 1, 1))
    elif change == "action_closed":
        from app.domain.records import ActionStatus

        sessions = SessionService(db)
        action = sessions.actions(worker_id=str(data["worker"]))[-1]
        sessions.close_action(action.id, ActionStatus.DONE, "Plan updated", date(2026, 3, 2))
    else:
        sessions = SessionService(db)
        sessions.save_draft(
            sessions.new_draft_id(), LINE, {"issues": "half typed"}, session_id=None,
            worker_id=str(data["worker"]),
        )  # fmt: skip
    assert change_marker(db) != marker, change


def test_last_backup_info_for_the_status_bar(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    fresh = last_backup_info(db, folder, NOW)
    assert fresh.when is None and not fresh.warn  # nothing to lose yet
    populate(db)
    none = last_backup_info(db, folder, NOW)
    assert none.when is None and none.warn and "No backup yet" in none.message

    made = make_backup(db, folder, now=NOW - timedelta(days=6))
    recent = last_backup_info(db, folder, NOW)
    assert recent.when == made.created_at and not recent.warn and "6 days ago" in recent.message
    stale = last_backup_info(db, folder, NOW + timedelta(days=1))  # none for 7 days
    assert stale.warn and "7 days ago" in stale.message and "Back up now" in stale.message

    # A backup made elsewhere (CLI --to a USB stick) counts too.
    make_backup(db, tmp_path / "stick", now=NOW)
    assert not last_backup_info(db, folder, NOW + timedelta(days=1)).warn


def test_auto_backup_rotates_and_warns_about_the_folder(db: Database, tmp_path: Path) -> None:
    data = populate(db)
    folder = tmp_path / "Dropbox" / "keel"
    folder.parent.mkdir()
    start = datetime(2026, 1, 1, 9, tzinfo=UTC)
    service = SessionService(db)
    for i in range(40):
        service.save(held(str(data["worker"]), str(data["lead"]), date(2026, 5, 1)))
        outcome = auto_backup_if_due(db, folder, start + timedelta(days=i))
        assert outcome.made is not None
        assert outcome.warning is not None and "Dropbox" in outcome.warning
    assert len(list_backups(folder)) <= 2 + 7 + 4 + 12


# --------------------------------------------------------------------------- locations


MOUNTS = """\
sysfs /sys sysfs rw 0 0
/dev/sda1 / ext4 rw,relatime 0 0
//fileserver/care /mnt/care cifs rw,vers=3.0 0 0
nas:/export/keel /srv/nfs/keel nfs4 rw 0 0
/dev/sdb1 /media/lead/USB\\040STICK vfat rw 0 0
"""


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/home/lead/OneDrive - Mind Trust/Keel/keel.db", "OneDrive"),
        ("C:\\Users\\lead\\OneDrive\\Documents\\keel.db", "OneDrive"),
        ("/home/lead/Dropbox (Team)/keel.db", "Dropbox"),
        ("G:\\My Drive\\Keel\\keel.db", "Google Drive"),
        (
            "/Users/lead/Library/CloudStorage/GoogleDrive-lead@gmail.com/My Drive/keel.db",
            "Google Drive",
        ),
        ("/Users/lead/Library/Mobile Documents/com~apple~CloudDocs/keel.db", "iCloud"),
        ("C:\\Users\\lead\\iCloudDrive\\keel.db", "iCloud"),
        ("\\\\fileserver\\care\\keel.db", "network path"),
        ("/mnt/care/team/keel.db", "network share (cifs)"),
        ("/srv/nfs/keel/keel.db", "network share (nfs4)"),
    ],
)
def test_location_warnings(path: str, expected: str, tmp_path: Path) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(MOUNTS)
    for what in ("database", "backup folder"):
        warning = location_warning(Path(path), what=what, mounts_file=mounts)
        assert warning is not None and expected in warning, (path, warning)
        assert warning.startswith(f"The {what} is")


@pytest.mark.parametrize(
    "path", ["/home/lead/.local/share/Keel/keel.db", "/media/lead/USB STICK/backups", "/srv/x"]
)
def test_no_warning_for_local_disks_and_usb_sticks(path: str, tmp_path: Path) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(MOUNTS)
    assert location_warning(Path(path), mounts_file=mounts) is None
    assert location_warning(Path(path), what="backup folder", mounts_file=mounts) is None


def test_restore_refuses_a_backup_with_a_damaged_encryption_header(
    db: Database, tmp_path: Path
) -> None:
    path = backup_database(db, tmp_path / "b", passphrase=PASSPHRASE).path
    blob = bytearray(path.read_bytes())
    blob[8:12] = (10**6).to_bytes(4, "big")  # header length beyond the file
    path.write_bytes(bytes(blob))
    with pytest.raises(RestoreError, match="damaged"):
        inspect_backup(path, passphrase=PASSPHRASE)


def test_backup_module_names_the_gui_uses_exist() -> None:
    from app.services import backup_files

    for name in (
        "backup_database", "restore_database", "restore_into_file", "inspect_backup",
        "BackupError", "RestoreError",
    ):  # fmt: skip
        assert hasattr(backup_module, name), name
    for name in ("backups_to_keep", "prune_backups", "list_backups", "backups_of"):
        assert hasattr(backup_files, name), name
