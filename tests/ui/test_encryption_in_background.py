"""Data → Encrypt / Change passphrase / New recovery key / Remove encryption run on the task
runner's worker thread behind a progress dialog: the window keeps processing events while the
file is converted, the dialog goes when the work ends and never comes back, the result is the
right file with every row in it, and a failure (wrong passphrase, full disk) says so in words
and leaves the database exactly as it was."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox
from pytestqt.qtbot import QtBot

from app import dbapi
from app.errors import WrongPassphraseError
from app.services import encryption
from app.storage.db import Database
from tests.ui.test_encryption_ui import PASS, _encrypt, wait_for_tasks
from tests.ui.test_session_forms import make_team
from ui.context import AppContext
from ui.encryption_dialogs import NewPassphraseDialog, PassphrasePrompt, RecoveryKeyDialog
from ui.main_window import MainWindow
from ui.tasks import TaskDialog, running_tasks

NEW_PASS = "a completely different passphrase"
SQLITE = b"SQLite format 3\x00"


@pytest.fixture
def ctx(db: Database, db_path: Path, today: date) -> AppContext:
    return AppContext.for_database(db, db_path, today=lambda: today)


@pytest.fixture
def window(qtbot: QtBot, ctx: AppContext) -> MainWindow:
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def _rows(ctx: AppContext) -> list[tuple[str, str]]:
    return sorted((w.name, w.role) for w in ctx.workers.all())


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _visible_task_dialogs() -> list[TaskDialog]:
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, TaskDialog) and w.isVisible()
    ]


class _Gate:
    """Holds the conversion's copy on the worker thread until the test lets it go."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.release = threading.Event()
        self.entered = threading.Event()
        self.threads: list[threading.Thread] = []
        real = encryption._export

        def held(*args: Any, **kwargs: Any) -> dict[str, int]:
            self.threads.append(threading.current_thread())
            self.entered.set()
            assert self.release.wait(30), "the test never let the copy go"
            return real(*args, **kwargs)

        monkeypatch.setattr(encryption, "_export", held)


def _answer_new_passphrase(monkeypatch: pytest.MonkeyPatch, passphrase: str) -> None:
    def fill(dialog: NewPassphraseDialog) -> int:
        dialog.first.setText(passphrase)
        dialog.second.setText(passphrase)
        assert dialog.ok.isEnabled()
        return 1

    monkeypatch.setattr(NewPassphraseDialog, "exec", fill)


def _answer_current_passphrase(
    monkeypatch: pytest.MonkeyPatch, typed: str, said: list[str]
) -> None:
    """The "current passphrase" dialog, typed into by a person: Enter, then (when it stays
    open because the passphrase is wrong) Cancel."""

    def answer(dialog: QDialog) -> int:
        prompt = dialog.findChild(PassphrasePrompt)
        assert prompt is not None
        prompt.field.setText(typed)
        prompt.submit()
        said.append(prompt.message.text())
        return int(dialog.result())

    monkeypatch.setattr(QDialog, "exec", answer)


def _keys_shown(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []

    def keep(dialog: RecoveryKeyDialog) -> int:
        shown.append(dialog.key_label.text())
        dialog.kept.setChecked(True)
        return 1

    monkeypatch.setattr(RecoveryKeyDialog, "exec", keep)
    return shown


def test_encrypting_runs_in_the_background_the_window_answers_and_the_dialog_never_returns(
    qtbot: QtBot,
    window: MainWindow,
    ctx: AppContext,
    monkeypatch: pytest.MonkeyPatch,
    fast_kdf: None,
) -> None:
    make_team(ctx)
    window.refresh_all()
    before = _rows(ctx)
    gate = _Gate(monkeypatch)
    _answer_new_passphrase(monkeypatch, PASS)
    shown = _keys_shown(monkeypatch)
    told: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "information", lambda _p, title, *a, **k: told.append(title) or 0
    )

    window.encryption.encrypt_action.trigger()
    # The trigger returned at once: the copy waits on the worker thread, not in the GUI's.
    assert gate.entered.wait(10)
    assert gate.threads[0] is not threading.main_thread()
    [handle] = running_tasks()
    progress: list[int] = []
    handle.progressed.connect(lambda done, total: progress.append(done * 100 // total))
    ticks: list[int] = []
    ticker = QTimer()
    ticker.timeout.connect(lambda: ticks.append(1))
    ticker.start(10)
    qtbot.wait(400)
    assert len(ticks) >= 10, "the window did not process events during the conversion"
    [dialog] = _visible_task_dialogs()
    assert dialog.windowModality() == Qt.WindowModality.ApplicationModal
    assert "Encrypting the database" in dialog.labelText()
    assert dialog.cancel_button is None  # a conversion ends in an atomic swap: never half done
    assert not window.encryption.encrypt_action.isEnabled()
    assert not window.grab().isNull()  # the window still paints
    # Anything that reads the database meanwhile is told why it cannot, not given stale rows.
    with pytest.raises(encryption.DatabaseSuspended, match="changing the database's encryption"):
        ctx.workers.all()

    gate.release.set()
    wait_for_tasks()
    ticker.stop()
    assert progress and progress[-1] == 100 and progress == sorted(progress)
    assert ctx.db_path.read_bytes()[:16] != SQLITE
    assert _rows(ctx) == before  # every row, read through the same handle after the swap
    assert len(shown) == 1 and told == ["The database is encrypted"]
    assert "Encrypted" in window.encryption.reminder.text()
    assert window.encryption.change_action.isEnabled()
    # The dialog went with the work and does not come back (the 4 s QProgressDialog trap).
    qtbot.wait(600)
    assert _visible_task_dialogs() == []
    with pytest.raises(dbapi.DatabaseError, match="not a database"):
        plain = dbapi.connect(str(ctx.db_path))
        try:
            plain.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            plain.close()


def test_change_passphrase_new_recovery_key_and_removing_encryption_in_the_window(
    qtbot: QtBot,
    window: MainWindow,
    ctx: AppContext,
    monkeypatch: pytest.MonkeyPatch,
    fast_kdf: None,
) -> None:
    make_team(ctx)
    before = _rows(ctx)
    first_key = _encrypt(window, ctx, monkeypatch)[0]
    said: list[str] = []
    _answer_current_passphrase(monkeypatch, PASS, said)

    # Change passphrase: the key file is rewrapped on the runner; the data key stays.
    _answer_new_passphrase(monkeypatch, NEW_PASS)
    window.encryption.change_action.trigger()
    assert running_tasks(), "changing the passphrase did not go to the background runner"
    wait_for_tasks()
    encryption.verify_passphrase(ctx.db_path, NEW_PASS)
    with pytest.raises(WrongPassphraseError):
        encryption.verify_passphrase(ctx.db_path, PASS)
    assert "passphrase was changed" in window.statusBar().currentMessage()
    assert _rows(ctx) == before

    # New recovery key: the file is re-encrypted on the runner; the key shown is new.
    _answer_current_passphrase(monkeypatch, NEW_PASS, said)
    shown = _keys_shown(monkeypatch)
    _answer_new_passphrase(monkeypatch, PASS)
    window.encryption.recovery_action.trigger()
    assert running_tasks()
    wait_for_tasks()
    assert len(shown) == 1 and shown[0] != first_key
    assert ctx.db_path.read_bytes()[:16] != SQLITE
    encryption.verify_passphrase(ctx.db_path, PASS)
    assert _rows(ctx) == before

    # Remove encryption: a plain file again, every row in it.
    _answer_current_passphrase(monkeypatch, PASS, said)
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: QMessageBox.StandardButton.Yes)
    window.encryption.remove_action.trigger()
    assert running_tasks()
    wait_for_tasks()
    assert ctx.db_path.read_bytes()[:16] == SQLITE
    assert _rows(ctx) == before
    assert "Not encrypted" in window.encryption.reminder.text()
    plain = dbapi.connect(str(ctx.db_path))
    try:
        names = {r[0] for r in plain.execute("SELECT name FROM workers")}
    finally:
        plain.close()
    assert {name for name, _role in before} <= names
    assert _visible_task_dialogs() == []
    assert said == ["", "", ""]  # the right passphrase each time: no complaint


def test_a_wrong_current_passphrase_starts_nothing_and_says_so(
    qtbot: QtBot,
    window: MainWindow,
    ctx: AppContext,
    monkeypatch: pytest.MonkeyPatch,
    fast_kdf: None,
) -> None:
    make_team(ctx)
    _encrypt(window, ctx, monkeypatch)
    sha = _sha(ctx.db_path)
    said: list[str] = []
    _answer_current_passphrase(monkeypatch, "not the passphrase at all", said)
    for action in (
        window.encryption.remove_action,
        window.encryption.recovery_action,
        window.encryption.change_action,
    ):
        action.trigger()
        assert not running_tasks()
    assert len(said) == 3 and all("wrong" in text for text in said), said
    assert _sha(ctx.db_path) == sha
    encryption.verify_passphrase(ctx.db_path, PASS)


@pytest.mark.parametrize("direction", ["encrypt", "decrypt"])
def test_a_full_disk_during_a_conversion_says_so_and_loses_nothing(
    qtbot: QtBot,
    window: MainWindow,
    ctx: AppContext,
    monkeypatch: pytest.MonkeyPatch,
    fast_kdf: None,
    direction: str,
) -> None:
    make_team(ctx)
    before = _rows(ctx)
    if direction == "decrypt":
        _encrypt(window, ctx, monkeypatch)
        _answer_current_passphrase(monkeypatch, PASS, [])
    ctx.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every saved row in the file itself
    sha = _sha(ctx.db_path)
    real = encryption._export

    def full_disk(db_path: Path, target: Path, *args: Any, **kwargs: Any) -> dict[str, int]:
        real(db_path, target, *args, **kwargs)  # half of it on disk, then the disk is full
        with open(target, "r+b") as fh:
            fh.truncate(target.stat().st_size // 2)
        raise dbapi.OperationalError("database or disk is full")

    monkeypatch.setattr(encryption, "_export", full_disk)
    warned: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "warning", _recorder(warned, QMessageBox.StandardButton.Yes))
    _answer_new_passphrase(monkeypatch, PASS)
    action = {
        "encrypt": window.encryption.encrypt_action,
        "decrypt": window.encryption.remove_action,
    }[direction]
    action.trigger()
    assert running_tasks()
    wait_for_tasks()

    failures = [(t, text) for t, text in warned if t != "Remove encryption?"]
    assert len(failures) == 1, warned
    title, text = failures[0]
    assert title == "Nothing was changed"
    assert "not enough free space" in text and "nothing was lost" in text
    assert _sha(ctx.db_path) == sha  # the database file is byte for byte as it was
    leftovers = [p.name for p in ctx.db_path.parent.iterdir() if p.name.endswith("ing")]
    assert leftovers == []  # no half-written copy beside it
    assert _rows(ctx) == before  # the window reads (and can write) the same database again
    encrypted = direction == "decrypt"
    assert ("Encrypted" in window.encryption.reminder.text()) is encrypted
    assert window.encryption.lock_action.isEnabled()
    assert _visible_task_dialogs() == []


def _recorder(into: list[tuple[str, str]], answer: object) -> Callable[..., object]:
    def record(_parent: object, title: str, text: str, *args: object, **kwargs: object) -> object:
        into.append((title, text))
        return answer

    return record
