"""Every backup belongs to one database: named after its file, identified by its id (inside a
plain backup's own data; in the authenticated header of an encrypted one). A folder shared by
several databases is listed, rotated, checked daily and reported per database; restoring a
backup of another database is refused unless confirmed, and the confirmation compares the two
the same way every time."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from app.domain.model import Worker
from app.services import autobackup, encrypted_backup
from app.services.backup import (
    RestoreError,
    backup_database,
    inspect_backup,
    prepared_backup,
    restore_database,
    restore_into_file,
)
from app.services.backup_files import ANOTHER_DATABASE, backup_database_id, list_backups
from app.services.restore_compare import compare_with_file, compare_with_open
from app.services.workers import WorkerService
from app.storage.db import Database, close_database, open_database
from app.storage.identity import database_id
from tests.app import test_backup
from tests.app.backup_support import populate, stand_in_backup
from tests.app.test_backup import NOW, PASSPHRASE

fast_scrypt = test_backup.fast_scrypt  # the smallest scrypt cost, for every test here


@pytest.fixture
def two(tmp_path: Path) -> Iterator[tuple[Database, Database, Path]]:
    """new.db (with data) and new2.db (one worker), one shared backup folder."""
    new = open_database(tmp_path / "new.db")
    new2 = open_database(tmp_path / "new2.db")
    populate(new)
    WorkerService(new2).save(Worker(id="", name="Noa Ben-David"))
    folder = tmp_path / "backups"
    for db in (new, new2):
        autobackup.set_backup_folder(db, folder)
    yield new, new2, folder
    close_database(new)
    close_database(new2)


def test_a_backup_is_named_after_its_database_and_carries_its_id(
    two: tuple[Database, Database, Path],
) -> None:
    new, _new2, folder = two
    plain = backup_database(new, folder, now=NOW)
    assert plain.path.name == "keel-backup-new-20261126-143000.db"
    encrypted = backup_database(new, folder, passphrase=PASSPHRASE, now=NOW)
    assert encrypted.path.name == "keel-backup-new-20261126-143000.keelenc"
    own = database_id(new)
    assert own is not None
    # Inside the plain copy: its own meta.
    conn = sqlite3.connect(plain.path)
    try:
        assert conn.execute("SELECT value FROM meta WHERE key='database_id'").fetchone() == (own,)
    finally:
        conn.close()
    # In the encrypted one's header (readable without the passphrase) …
    with encrypted.path.open("rb") as fh:
        header = encrypted_backup.read_container(fh, encrypted.path.stat().st_size).header
    assert header["database_id"] == own and header["database"] == "new.db"
    assert backup_database_id(encrypted.path) == own == backup_database_id(plain.path)
    # … and after decryption, from the authenticated contents.
    info = inspect_backup(encrypted.path, passphrase=PASSPHRASE)
    assert (info.database_id, info.database_name) == (own, "new")
    assert inspect_backup(plain.path).database_id == own


def test_the_header_id_is_authenticated(two: tuple[Database, Database, Path]) -> None:
    """Changing the id an encrypted backup's header names (to pass it off as another
    database's) makes it fail to open, as any changed byte does."""
    new, new2, folder = two
    path = backup_database(new, folder, passphrase=PASSPHRASE, now=NOW).path
    blob = path.read_bytes()
    length = int.from_bytes(blob[8:12], "big")
    changed = dict(json.loads(blob[12 : 12 + length]), database_id=database_id(new2))
    raw = json.dumps(changed, sort_keys=True).encode()
    forged = encrypted_backup.MAGIC + len(raw).to_bytes(4, "big") + raw + blob[12 + length :]
    path.write_bytes(forged)
    assert backup_database_id(path) == database_id(new2)  # what a listing reads …
    with pytest.raises(RestoreError, match="was changed or damaged"):
        inspect_backup(path, passphrase=PASSPHRASE)  # … is checked before any restore


def test_listing_status_daily_check_and_rotation_are_per_database(
    two: tuple[Database, Database, Path],
) -> None:
    """The team lead's day: new.db backed up, then new2.db opened."""
    new, new2, folder = two
    made = autobackup.make_backup(new, folder, now=NOW)
    assert autobackup.own_backups(new, folder) == [made.path]
    assert autobackup.own_backups(new2, folder) == []
    later = NOW + timedelta(hours=1)
    assert autobackup.last_backup_info(new, folder, now=later).message.startswith(
        "Last backup today"
    )
    status = autobackup.last_backup_info(new2, folder, now=later)
    assert status.when is None and status.warn and status.message.startswith("No backup yet")
    # new2's daily backup is not skipped because new has one from today.
    outcome = autobackup.auto_backup_if_due(new2, folder, now=later)
    assert outcome.made is not None and outcome.made.path.name.startswith("keel-backup-new2-")
    assert autobackup.auto_backup_if_due(new2, folder, now=later).made is None  # once a day
    assert autobackup.own_backups(new2, folder) == [outcome.made.path]
    assert made.path.exists()


def test_rotation_never_touches_another_databases_backups(
    two: tuple[Database, Database, Path],
) -> None:
    new, new2, folder = two
    folder.mkdir()
    old_days = [date(2025, 1, 1) + timedelta(days=n) for n in range(200)]
    theirs = [
        stand_in_backup(folder / f"keel-backup-new-{d:%Y%m%d}-020000.db", database_id(new))
        for d in old_days
    ]
    # Same stem, another database (two files called keel.db in different folders do this).
    twins = [
        stand_in_backup(folder / f"keel-backup-new2-{d:%Y%m%d}-030000.db", "a-twin-database-id")
        for d in old_days
    ]
    mine = [
        stand_in_backup(folder / f"keel-backup-new2-{d:%Y%m%d}-020000.db", database_id(new2))
        for d in old_days
    ]
    removed = autobackup.rotate(new2, folder, date(2026, 11, 26))
    assert removed and set(removed) <= set(mine)
    assert all(p.exists() for p in theirs + twins)
    assert len([p for p in mine if p.exists()]) <= 7 + 4 + 12


def test_a_backup_with_the_same_file_name_but_another_id_is_not_listed(tmp_path: Path) -> None:
    """Two databases both called keel.db (in different folders) share the backup folder."""
    folder = tmp_path / "backups"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = open_database(tmp_path / "a" / "keel.db"), open_database(tmp_path / "b" / "keel.db")
    try:
        populate(a)
        populate(b)
        made = autobackup.make_backup(a, folder, now=NOW)
        assert made.path.name == "keel-backup-keel-20261126-143000.db"
        assert autobackup.own_backups(a, folder) == [made.path]
        assert autobackup.own_backups(b, folder) == []
        assert autobackup.last_backup_info(b, folder, now=NOW).message.startswith("No backup")
    finally:
        close_database(a)
        close_database(b)


def test_restoring_another_databases_backup_is_refused_unless_confirmed(
    two: tuple[Database, Database, Path], tmp_path: Path
) -> None:
    new, new2, folder = two
    backup = backup_database(new, folder, now=NOW).path
    with pytest.raises(RestoreError, match=ANOTHER_DATABASE):
        restore_database(new2, backup, tmp_path / "safety")
    assert [w.name for w in WorkerService(new2).all()] == ["Noa Ben-David"]
    assert not (tmp_path / "safety").exists()  # refused before the safety copy
    restore_database(new2, backup, tmp_path / "safety", another_database=True)
    assert len(WorkerService(new2).all()) == len(WorkerService(new).all())
    assert database_id(new2) == database_id(new)  # the data, and its identity, are new's


@pytest.mark.parametrize("state", ["missing", "empty file", "damaged", "new and empty"])
def test_restoring_onto_a_missing_empty_or_unreadable_database_is_not_another_database(
    two: tuple[Database, Database, Path], tmp_path: Path, state: str
) -> None:
    new, _new2, folder = two
    backup = backup_database(new, folder, now=NOW).path
    target = tmp_path / "target" / "keel.db"
    target.parent.mkdir()
    if state == "empty file":
        target.write_bytes(b"")
    elif state == "damaged":
        data = bytearray(backup.read_bytes())  # a Keel database, its pages overwritten
        data[4096:] = b"\xff" * (len(data) - 4096)
        target.write_bytes(bytes(data))
    elif state == "new and empty":
        close_database(open_database(target))  # a fresh Keel database: its own id, no data
    with prepared_backup(backup) as prepared:
        comparison = compare_with_file(prepared, target)
        assert not comparison.another_database
        assert comparison.warning() is None
        restore_into_file(target, prepared, tmp_path / "safety")
    db = open_database(target)
    try:
        assert len(WorkerService(db).all()) == len(WorkerService(new).all())
    finally:
        close_database(db)


def test_the_comparison_shows_both_side_by_side(
    two: tuple[Database, Database, Path], tmp_path: Path
) -> None:
    new, new2, folder = two
    backup = backup_database(new, folder, now=NOW).path
    with prepared_backup(backup) as prepared:
        comparison = compare_with_open(prepared, new2, tmp_path / "new2.db")
        rows = {what: (b, c) for what, b, c in comparison.rows()}
    workers = len(WorkerService(new).all())
    sessions = int(new.execute("SELECT count(*) FROM sessions").fetchone()[0])
    signed = int(
        new.execute("SELECT count(*) FROM sessions WHERE signed_at IS NOT NULL").fetchone()[0]
    )
    assert signed > 0
    assert rows["Database"] == ("new", "new2")
    assert rows["Workers"] == (str(workers), "1")
    assert rows["Sessions"] == (str(sessions), "0")
    assert rows["Signed records"] == (str(signed), "0")
    assert all(rows["Last change"]) and rows["Last change"][0] != "never"
    assert comparison.another_database
    warning = comparison.warning()
    assert warning is not None and ANOTHER_DATABASE in warning
    # The same backup compared with its own database: not another one, same rows.
    with prepared_backup(backup) as prepared:
        own = compare_with_open(prepared, new, tmp_path / "new.db")
    assert not own.another_database and own.warning() is None
    assert [r[0] for r in own.rows()] == list(rows)


def test_an_older_backup_without_an_id_keeps_the_databases_identity(
    two: tuple[Database, Database, Path], tmp_path: Path
) -> None:
    """A backup made before databases had an id says so, is not another database's, and once
    restored (and upgraded) the database keeps its id: its later backups are still its own."""
    _new, new2, folder = two
    v1 = Path(__file__).parents[1] / "fixtures" / "schema-v1.db"
    before = database_id(new2)
    with prepared_backup(v1) as prepared:
        assert prepared.info.database_id is None
        comparison = compare_with_open(prepared, new2, tmp_path / "new2.db")
        assert not comparison.another_database
        warning = comparison.warning()
        assert warning is not None and "does not say which database" in warning
        restore_database(new2, prepared, tmp_path / "safety")
    assert database_id(new2) == before
    made = autobackup.make_backup(new2, folder, now=NOW)
    assert autobackup.own_backups(new2, folder) == [made.path]


def test_the_safety_copy_is_named_after_the_database(
    two: tuple[Database, Database, Path], tmp_path: Path
) -> None:
    new, _new2, folder = two
    backup = backup_database(new, folder, now=NOW).path
    result = restore_database(new, backup, tmp_path / "safety")
    assert result.safety_backup is not None
    assert result.safety_backup.name.startswith("keel-before-restore-new-")
    assert list_backups(tmp_path / "safety") == [result.safety_backup]


def test_the_start_up_offer_finds_only_this_files_latest_backup(tmp_path: Path) -> None:
    """new2.db is damaged (its id cannot be read): the backup offered is new2's latest, not
    the newer backup of new.db in the same (default) folder."""
    new, new2 = open_database(tmp_path / "new.db"), open_database(tmp_path / "new2.db")
    try:
        populate(new)
        WorkerService(new2).save(Worker(id="", name="Noa Ben-David"))
        folder = autobackup.backup_folder(new2)
        mine = autobackup.make_backup(new2, folder, now=NOW).path
        theirs = autobackup.make_backup(new, folder, now=NOW + timedelta(hours=1)).path
    finally:
        close_database(new)
        close_database(new2)
    assert autobackup.latest_backup_for_file(tmp_path / "new2.db") == mine
    (tmp_path / "new2.db").write_bytes(b"")
    assert autobackup.latest_backup_for_file(tmp_path / "new2.db") == mine
    assert autobackup.latest_backup_for_file(tmp_path / "new.db") == theirs
