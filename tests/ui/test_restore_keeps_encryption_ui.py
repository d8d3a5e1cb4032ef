"""At start-up, restoring the latest backup over a damaged *encrypted* database when that
backup was made before the database was encrypted: Keel asks for the database's passphrase and
restores it encrypted with its own key; cancelled, nothing is restored or moved."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PySide6.QtWidgets import QInputDialog, QMessageBox
from pytestqt.qtbot import QtBot

from app.domain.model import Worker
from app.services import autobackup, encryption
from app.services.backup_files import list_backups
from app.services.workers import WorkerService
from app.storage import keys
from app.storage.db import SQLITE_HEADER, close_database, open_database
from tests.ui.test_encryption_ui import PASS
from ui import app as ui_app
from ui.restore_dialogs import RestoreConfirmation


def _damaged_encrypted_with_plain_backup(tmp_path: Path) -> tuple[Path, Path]:
    path = tmp_path / "team.db"
    db = open_database(path)
    WorkerService(db).save(Worker(id="", name="Ada"))
    autobackup.set_backup_folder(db, tmp_path / "stick")
    autobackup.make_backup(db, tmp_path / "stick")
    close_database(db)
    encryption.encrypt_database(path, PASS)
    keys.forget_key(path)  # the app could not open it: nothing unlocked
    with open(path, "r+b") as fh:
        fh.seek(4096)
        fh.write(b"\x00" * 8192)
    [backup] = list_backups(tmp_path / "stick")
    assert backup.read_bytes()[:16] == SQLITE_HEADER
    return path, backup


@pytest.mark.parametrize("answer", ["passphrase", "cancel"])
def test_start_up_restore_of_a_plain_backup_keeps_the_database_encrypted(
    qtbot: QtBot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fast_kdf: None,
    answer: str,
) -> None:
    path, backup = _damaged_encrypted_with_plain_backup(tmp_path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    monkeypatch.setattr(
        RestoreConfirmation, "exec", lambda _d: RestoreConfirmation.DialogCode.Accepted
    )
    asked: list[str] = []

    def type_it(_parent: object, title: str, label: str, *_a: object) -> tuple[str, bool]:
        asked.append(label)
        return (PASS, True) if answer == "passphrase" else ("", False)

    monkeypatch.setattr(QInputDialog, "getText", type_it)
    said: list[str] = []
    for name in ("information", "warning"):
        monkeypatch.setattr(
            QMessageBox, name, lambda _p, title, text, *a, **k: said.append(f"{title}: {text}")
        )

    opened = ui_app._restore_latest(path, backup, None)

    assert len(asked) == 1 and "was encrypted" in asked[0]
    if answer == "cancel":
        assert opened is None
        assert said[0].startswith("Nothing was restored") and "passphrase" in said[0]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # not even moved
        return
    assert opened == path and said[0].startswith("Restored")
    assert path.read_bytes()[:16] != SQLITE_HEADER  # encrypted, as it was
    keys.forget_key(path)
    encryption.unlock(path, PASS)
    db = open_database(path)
    try:
        assert [w.name for w in WorkerService(db).all()] == ["Ada"]
    finally:
        close_database(db)
