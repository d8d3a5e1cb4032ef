"""The lock screen's "Forgot the passphrase? Use the recovery key…": inside the real lock panel
(the rest of the window still unusable), the recovery key of this database and a new passphrase
typed twice unlock Keel and set that passphrase, as the start-up route does; another
database's key, a mistyped key or two different passphrases keep it locked and say why."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.domain.catalogue import LINE
from app.errors import WrongPassphraseError
from app.services import encryption
from app.storage import keys
from app.storage.db import Database, close_database, open_database
from tests.ui.test_encryption_ui import PASS, _encrypt
from tests.ui.test_session_forms import make_team, show, type_text
from ui.context import AppContext
from ui.forms.session_form import SessionForm
from ui.lock import LOCKED_TITLE, LockPrompt
from ui.main_window import MainWindow

NEW_PASS = "the passphrase after the recovery"
SHOTS = Path(os.environ.get("KEEL_SHOTS", "/work/notes/harden-backup"))


@pytest.fixture
def ctx(db: Database, db_path: Path, today: date) -> AppContext:
    return AppContext.for_database(db, db_path, today=lambda: today)


@pytest.fixture
def window(qtbot: QtBot, ctx: AppContext) -> MainWindow:
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.resize(1100, 700)
    w.show()
    qtbot.waitExposed(w)
    return w


def _locked(qtbot: QtBot, window: MainWindow) -> LockPrompt:
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    lock = window.encryption.lock
    assert lock.locked and window.windowTitle() == LOCKED_TITLE
    assert lock.pages is not None
    return lock.pages


def _shot(window: MainWindow, name: str) -> None:
    """For the engineer's own eyes (the note), when the notes folder is there."""
    if SHOTS.is_dir():
        window.grab().save(str(SHOTS / name))


def _type_recovery(qtbot: QtBot, pages: LockPrompt, key: str, first: str, second: str) -> None:
    """Keyboard only, as a person at the lock would: the fields, Enter after each."""
    form = pages.recovery
    for field, text in ((form.key, key), (form.new.first, first), (form.new.second, second)):
        field.clear()
        qtbot.keyClicks(field, text)
        qtbot.keyClick(field, Qt.Key.Key_Return)


def test_the_recovery_key_unlocks_the_lock_and_sets_a_new_passphrase(
    qtbot: QtBot,
    window: MainWindow,
    ctx: AppContext,
    today: date,
    monkeypatch: pytest.MonkeyPatch,
    fast_kdf: None,
) -> None:
    team = make_team(ctx)
    window.refresh_all()
    recovery = _encrypt(window, ctx, monkeypatch)[0].replace("\n", " ")
    form = SessionForm.for_new(ctx, LINE, team.zoe.id, today)
    window._show_form(form)
    show(qtbot, form)
    type_text(qtbot, form.discussion.issues, "Half-typed before the lock")
    pages = _locked(qtbot, window)
    lock = window.encryption.lock

    # The route is on the lock panel itself, and only there can anything be typed.
    assert pages.forgot.isVisible() and "recovery key" in pages.forgot.text()
    _shot(window, "lock-passphrase-page.png")
    qtbot.mouseClick(pages.forgot, Qt.MouseButton.LeftButton)
    assert pages.currentIndex() == 1 and window.focusWidget() is pages.recovery.key
    qtbot.keyClicks(form.discussion.issues, "typed behind the lock")
    assert form.discussion.issues.toPlainText() == "Half-typed before the lock"
    _shot(window, "lock-recovery-key.png")

    # A mistyped key, another database's key, two different passphrases: still locked.
    _type_recovery(qtbot, pages, "ABCD-EFGH", NEW_PASS, NEW_PASS)
    assert lock.locked and pages.recovery.message.text()
    other = ctx.db_path.with_name("other.db")
    close_database(open_database(other))
    other_key = encryption.encrypt_database(other, PASS)
    _type_recovery(qtbot, pages, other_key, NEW_PASS, NEW_PASS)
    assert lock.locked and "does not open" in pages.recovery.message.text()
    _shot(window, "lock-recovery-key-refused.png")
    _type_recovery(qtbot, pages, recovery, NEW_PASS, NEW_PASS + "x")
    assert lock.locked and "differ" in pages.recovery.message.text()
    encryption.verify_passphrase(ctx.db_path, PASS)  # nothing changed so far

    # The right key and a new passphrase: unlocked, the new passphrase in force.
    _type_recovery(qtbot, pages, recovery.lower(), NEW_PASS, NEW_PASS)
    assert not lock.locked
    assert window.windowTitle() != LOCKED_TITLE
    assert "recovery key" in window.statusBar().currentMessage()
    assert form.discussion.issues.toPlainText() == "Half-typed before the lock"
    encryption.verify_passphrase(ctx.db_path, NEW_PASS)
    with pytest.raises(WrongPassphraseError):
        encryption.verify_passphrase(ctx.db_path, PASS)
    assert "Zoë Adams" in [w.name for w in ctx.workers.all()]
    # As after a restart: the new passphrase derives the key from the key file.
    keys.forget_key(ctx.db_path)
    encryption.unlock(ctx.db_path, NEW_PASS)

    # The next lock asks for the new passphrase; Back returns from the recovery page.
    pages = _locked(qtbot, window)
    qtbot.mouseClick(pages.forgot, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(pages.back, Qt.MouseButton.LeftButton)
    assert pages.currentIndex() == 0
    prompt = window.encryption.lock.prompt
    assert prompt is not None and window.focusWidget() is prompt.field  # type: ignore[attr-defined]
    qtbot.keyClicks(prompt.field, NEW_PASS)  # type: ignore[attr-defined]
    qtbot.keyClick(prompt.field, Qt.Key.Key_Return)  # type: ignore[attr-defined]
    assert not window.encryption.lock.locked
    assert not [w for w in QApplication.topLevelWidgets() if w.windowTitle() == LOCKED_TITLE]
