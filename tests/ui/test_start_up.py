"""Start-up with the integrity check in the background (ui.app.run_gui).

The window opens while SQLite checks every page of the file; a file that fails takes the
window away and asks, as a file refused before opening does; a sound one becomes writable.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
from pytestqt.qtbot import QtBot

from app.errors import DamagedDatabaseError, StorageError
from app.storage import db as store
from tests.app.test_background_check import _damage_a_page
from tests.app.test_store import make_keel_db_with_data
from ui import app as ui_app


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[StorageError]:
    """Record the "Keel cannot open this database" question and answer Quit."""
    seen: list[StorageError] = []

    def ask(_path: Path, error: StorageError, _parent: object = None) -> Path | None:
        seen.append(error)
        return None

    monkeypatch.setattr(ui_app, "ask_for_database", ask)
    return seen


def _with_themes_damaged(path: Path) -> Path:
    """A sound file except for a page of the themes table, which the scheduler never reads:
    only the background check can find it."""
    make_keel_db_with_data(path, workers=5)
    db = store.open_database(path)
    try:
        with db.atomic():
            for i in range(200):
                db.execute(
                    "INSERT INTO themes (id, name, seeded, created_at) VALUES (?, ?, 0, ?)",
                    [store.new_id(), f"Theme {i:03d} " + "y" * 150, store.utc_now()],
                )
    finally:
        store.close_database(db)
    data = bytearray(path.read_bytes())
    page = data.index(b"Theme 100 ") // 4096
    for offset in range(page * 4096, page * 4096 + 12):
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


def test_a_file_found_damaged_after_the_window_opened_is_closed_and_the_user_asked(
    qtbot: QtBot, tmp_path: Path, asked: list[StorageError]
) -> None:
    path = _with_themes_damaged(tmp_path / "team.db")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    shown: list[bool] = []
    # Note whether the main window made it to the screen before the verdict came.
    QTimer.singleShot(0, lambda: shown.append(_main_window_visible()))

    assert ui_app.run_gui(path) == 1

    assert shown == [True]
    assert len(asked) == 1 and isinstance(asked[0], DamagedDatabaseError)
    assert "Restore the latest backup" in str(asked[0])
    assert not _main_window_visible()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert not Path(f"{path}-wal").exists()


def test_a_damaged_page_read_while_the_window_is_built_is_answered_the_same_way(
    qtbot: QtBot, tmp_path: Path, asked: list[StorageError]
) -> None:
    path = make_keel_db_with_data(tmp_path / "team.db")
    _damage_a_page(path)  # a page of the workers table, which the scheduler reads at once
    before = hashlib.sha256(path.read_bytes()).hexdigest()

    assert ui_app.run_gui(path) == 1

    assert len(asked) == 1 and isinstance(asked[0], DamagedDatabaseError)
    assert "Restore the latest backup" in str(asked[0])
    assert not _main_window_visible()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_a_sound_file_opens_checking_then_becomes_writable(
    qtbot: QtBot, tmp_path: Path, asked: list[StorageError], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_keel_db_with_data(tmp_path / "team.db", workers=5)
    release = _hold_the_check(monkeypatch)
    seen: dict[str, str] = {}

    def while_checking() -> None:
        window = _main_window()
        seen["checking"] = window.statusBar().currentMessage()
        release()
        QTimer.singleShot(300, after_check)

    def after_check() -> None:
        window = _main_window()
        seen["after"] = window.statusBar().currentMessage()
        check = store.pending_check(path)
        seen["passed"] = str(check is not None and check.done and check.error is None)
        QApplication.instance().quit()  # type: ignore[union-attr]

    QTimer.singleShot(0, while_checking)
    assert ui_app.run_gui(path) == 0
    qtbot.wait(50)  # let the quit that ended run_gui drain, or the next event loop sees it
    assert seen == {"checking": "Checking the database file…", "after": "", "passed": "True"}
    assert asked == []


def _hold_the_check(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    import threading

    gate = threading.Event()
    real = store._quick_check

    def slow(p: Path) -> None:
        gate.wait(10)
        real(p)

    monkeypatch.setattr(store, "_quick_check", slow)
    return gate.set


def _shown_main_windows() -> list[QMainWindow]:
    return [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QMainWindow) and w.windowTitle().startswith("Keel —") and w.isVisible()
    ]


def _main_window() -> QMainWindow:
    windows = _shown_main_windows()
    assert len(windows) == 1
    return windows[0]


def _main_window_visible() -> bool:
    return bool(_shown_main_windows())


def test_the_start_up_backup_waits_for_the_check_without_freezing_the_window(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time
    from datetime import date

    from app.services import autobackup
    from app.services.backup_files import list_backups
    from ui.context import AppContext
    from ui.data_actions import DataActions

    path = make_keel_db_with_data(tmp_path / "team.db", workers=5)
    release = _hold_the_check(monkeypatch)
    db = store.open_database(path, check_in_background=True)
    try:
        window = QMainWindow()
        qtbot.addWidget(window)
        data = DataActions(AppContext.for_database(db, path, today=date.today), window)
        folder = tmp_path / "backups"
        monkeypatch.setattr(data, "folder", lambda: folder)
        started = time.monotonic()
        data.auto_backup_when_checked()
        assert time.monotonic() - started < 1  # returned at once: the window stays responsive
        assert not folder.exists() or not list_backups(folder)
        release()
        qtbot.waitUntil(lambda: folder.exists() and len(list_backups(folder)) == 1, timeout=10000)
        assert autobackup.last_backup_info(db, folder).when is not None
    finally:
        store.close_database(db)


def test_a_second_launch_brings_the_open_window_forward(
    qtbot: QtBot, tmp_path: Path, asked: list[StorageError], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui.main_window import MainWindow
    from ui.single_instance import ask_running_instance_to_show

    path = make_keel_db_with_data(tmp_path / "team.db", workers=5)
    brought: list[str] = []
    monkeypatch.setattr(MainWindow, "bring_to_front", lambda self: brought.append("forward"))
    delivered: list[bool] = []

    def second_launch() -> None:  # what a second Keel on this file sends before it quits
        delivered.append(ask_running_instance_to_show(path))
        QTimer.singleShot(300, QApplication.instance().quit)  # type: ignore[union-attr]

    QTimer.singleShot(200, second_launch)
    assert ui_app.run_gui(path) == 0
    qtbot.wait(50)
    assert delivered == [True]
    assert brought == ["forward"]
    assert asked == []


def test_a_file_that_cannot_be_opened_offers_another_and_opens_the_one_chosen(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from app.errors import ForeignDatabaseError

    shown: list[tuple[str, str, bool]] = []

    def answer_open_another(box: QMessageBox) -> int:
        shown.append((box.windowTitle(), box.text(), gc.isenabled()))
        [other] = [b for b in box.buttons() if b.text() == "Open another file…"]
        other.click()
        return 0

    chosen = tmp_path / "team.db"
    monkeypatch.setattr(QMessageBox, "exec", answer_open_another)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a: (str(chosen), ""))
    error = ForeignDatabaseError(f"{tmp_path / 'notes.db'} is not a Keel database.")
    gc.disable()  # as main() leaves it when the first file cannot be opened
    try:
        assert ui_app.ask_for_database(tmp_path / "notes.db", error) == chosen
    finally:
        gc.enable()
    # The question is asked with the garbage collector back on.
    assert shown == [("Keel cannot open this database", str(error), True)]


def test_the_garbage_collector_paused_for_the_start_up_resumes_once_the_window_is_up(
    qtbot: QtBot, tmp_path: Path, asked: list[StorageError]
) -> None:
    path = make_keel_db_with_data(tmp_path / "team.db", workers=5)
    seen: list[tuple[bool, bool]] = []

    def first_pass() -> None:
        # The window is shown; the collector comes back on a later pass.
        seen.append((_main_window_visible(), gc.isenabled()))
        QTimer.singleShot(100, second_pass)

    def second_pass() -> None:
        seen.append((_main_window_visible(), gc.isenabled()))
        QApplication.instance().quit()  # type: ignore[union-attr]

    gc.disable()  # as main() does before opening the app
    try:
        QTimer.singleShot(0, first_pass)
        assert ui_app.run_gui(path) == 0
        qtbot.wait(50)
        assert seen == [(True, False), (True, True)]
    finally:
        gc.enable()


def test_the_commands_run_with_the_garbage_collector_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import main
    from app import commands

    seen: list[bool] = []
    monkeypatch.setitem(commands._HANDLERS, "check", lambda *_a: seen.append(gc.isenabled()) or 0)
    # Not the real log set-up: it would leave a file handler on the root logger for later tests.
    monkeypatch.setattr("app.logging_setup.configure_logging", lambda _folder: None)
    (tmp_path / "team.db").write_bytes(b"")  # a file to run on (a missing one is refused first)
    assert main.main(["--db", str(tmp_path / "team.db"), "check"]) == 0
    assert seen == [True]  # main() paused the collector; the command ran with it back on
