"""Encryption in the window: the lock covers every window (a grab() shows no name), keeps a
half-typed form, blocks the keyboard, delays guesses; the Data menu encrypts, shows the
recovery key once and writes the recovery sheet; the offer for a new database; Ctrl+L on an
unencrypted database explains."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from app.domain.catalogue import LINE
from app.errors import WrongPassphraseError
from app.services import encryption
from app.storage.db import Database
from tests.ui.test_session_forms import make_team, show, type_text
from ui import encryption_dialogs
from ui.context import AppContext
from ui.encryption_dialogs import NewPassphraseDialog, PassphrasePrompt, RecoveryKeyDialog
from ui.forms.session_form import SessionForm
from ui.lock import LOCKED_TITLE, LockPanel
from ui.main_window import MainWindow
from ui.tasks import running_tasks

PASS = "correct horse battery staple"


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


def _encrypt(window: MainWindow, ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Data → Encrypt this database…, answering its dialogs as a person would."""
    shown: list[str] = []

    def fill(dialog: NewPassphraseDialog) -> int:
        dialog.first.setText(PASS)
        dialog.second.setText(PASS)
        assert dialog.ok.isEnabled()
        return 1

    def keep(dialog: RecoveryKeyDialog) -> int:
        shown.append(dialog.key_label.text())
        dialog.save_to(ctx.db_path.with_name("sheet.pdf"))
        dialog.kept.setChecked(True)
        return 1

    monkeypatch.setattr(NewPassphraseDialog, "exec", fill)
    monkeypatch.setattr(RecoveryKeyDialog, "exec", keep)
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: QMessageBox.StandardButton.Ok)
    window.encryption.encrypt_action.trigger()
    wait_for_tasks()
    return shown


def wait_for_tasks(timeout_s: float = 60) -> None:
    """A conversion runs in the background: wait (the event loop running) until the task
    runner has nothing left."""
    deadline = time.monotonic() + timeout_s
    while running_tasks():
        assert time.monotonic() < deadline, "the background task did not finish"
        QApplication.processEvents()
        time.sleep(0.005)
    QApplication.processEvents()


def _names(ctx: AppContext) -> list[str]:
    return [w.name for w in ctx.workers.all()]


def _only_the_panel(window: QWidget, panel: LockPanel) -> bool:
    """The window's grab() is exactly its lock panel's: nothing of the window shows."""
    rgb = QImage.Format.Format_RGB32
    whole: QImage = window.grab().toImage().convertToFormat(rgb)
    cover: QImage = panel.grab().toImage().convertToFormat(rgb)
    return whole.size() == cover.size() and whole == cover


def test_encrypting_in_the_window_keeps_it_working_and_shows_the_key_once(
    qtbot: QtBot, window: MainWindow, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pypdf import PdfReader

    make_team(ctx)
    window.refresh_all()
    assert "Not encrypted" in window.encryption.reminder.text()
    shown = _encrypt(window, ctx, monkeypatch)
    assert len(shown) == 1
    key = shown[0].replace("\n", "  ").replace("  ", "-")
    assert ctx.db_path.read_bytes()[:16] != b"SQLite format 3\x00"
    assert "Encrypted" in window.encryption.reminder.text()
    assert not window.encryption.encrypt_action.isEnabled()
    # The window goes on over the encrypted file: reads and writes.
    assert "Zoë Adams" in _names(ctx)
    window.refresh_all()
    # The recovery sheet: one page, the key, the database's name, what to do.
    sheet = PdfReader(str(ctx.db_path.with_name("sheet.pdf")))
    assert len(sheet.pages) == 1
    text = sheet.pages[0].extract_text()
    assert "Keel recovery sheet" in text and ctx.db_path.name in text
    assert all(group in text for group in key.split("-"))
    assert "What to do" in text
    assert (ctx.db_path.with_name("sheet.pdf").stat().st_mode & 0o777) == 0o600


def test_the_lock_hides_every_window_and_keeps_a_half_typed_form(
    qtbot: QtBot,
    window: MainWindow,
    ctx: AppContext,
    today: date,
    monkeypatch: pytest.MonkeyPatch,
    fast_kdf: None,
) -> None:
    team = make_team(ctx)
    window.refresh_all()
    _encrypt(window, ctx, monkeypatch)
    form = SessionForm.for_new(ctx, LINE, team.zoe.id, today)
    window._show_form(form)
    show(qtbot, form)
    type_text(qtbot, form.discussion.issues, "Half-typed: Zoë's caseload")
    search = window.search_records()
    qtbot.waitExposed(search)
    titles_before = {w: w.windowTitle() for w in QApplication.topLevelWidgets() if w.isVisible()}
    assert any("Zoë" in t for t in titles_before.values())  # the form's title names her

    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    lock = window.encryption.lock
    assert lock.locked
    visible = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    assert {window, form, search} <= set(visible)
    for top in visible:
        assert top.windowTitle() == LOCKED_TITLE
        assert _only_the_panel(top, lock._panels[top]), top

    # Nothing behind the lock answers the keyboard.
    qtbot.keyClicks(form.discussion.issues, "more")
    assert form.discussion.issues.toPlainText() == "Half-typed: Zoë's caseload"
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert not [w for w in QApplication.topLevelWidgets() if w.isVisible() and w not in visible]
    # The draft is in the (encrypted) database, and the text is still in the form.
    draft = ctx.sessions.draft_for(session_id=None, worker_id=team.zoe.id, type_=LINE)
    assert draft is not None and draft.data["issues"] == "Half-typed: Zoë's caseload"

    prompt = lock.prompt
    assert isinstance(prompt, PassphrasePrompt)
    qtbot.keyClicks(prompt.field, PASS)
    qtbot.keyClick(prompt.field, Qt.Key.Key_Return)
    assert not lock.locked
    for top, title in titles_before.items():
        assert top.windowTitle() == title
    assert form.discussion.issues.toPlainText() == "Half-typed: Zoë's caseload"


def test_a_modal_dialog_open_when_locking_is_covered_and_carries_the_prompt(
    qtbot: QtBot, window: MainWindow, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_team(ctx)
    _encrypt(window, ctx, monkeypatch)
    box = QMessageBox(QMessageBox.Icon.Information, "About Zoë Adams", "Zoë Adams", parent=window)
    box.setModal(True)
    box.show()
    qtbot.waitExposed(box)
    assert QApplication.activeModalWidget() is box
    lock = window.encryption.lock
    assert lock.lock()
    assert box.windowTitle() == LOCKED_TITLE and window.windowTitle() == LOCKED_TITLE
    assert _only_the_panel(box, lock._panels[box])
    assert _only_the_panel(window, lock._panels[window])
    prompt = lock.prompt
    assert isinstance(prompt, PassphrasePrompt) and prompt.window() is box
    prompt.field.setText(PASS)
    prompt.submit()
    assert not lock.locked and box.windowTitle() == "About Zoë Adams"
    box.done(0)


def test_wrong_passphrases_after_the_third_wait_longer_each_time(qtbot: QtBot) -> None:
    def check(typed: str) -> None:
        if typed != PASS:
            raise WrongPassphraseError("The passphrase is wrong.")

    prompt = PassphrasePrompt(check)
    qtbot.addWidget(prompt)
    for attempt in range(1, 3):
        qtbot.keyClicks(prompt.field, "guess")
        prompt.submit()
        assert prompt.button.isEnabled(), attempt  # the first tries come at once
    qtbot.keyClicks(prompt.field, "guess")
    prompt.submit()
    assert not prompt.button.isEnabled() and not prompt.field.isEnabled()
    assert "Wait" in prompt.message.text()
    assert [encryption_dialogs.delay_after(n) for n in range(1, 10)] == [
        0,
        0,
        2,
        4,
        8,
        16,
        30,
        30,
        30,
    ]
    qtbot.waitUntil(prompt.button.isEnabled, timeout=5000)


def test_idle_minutes_lock_an_encrypted_database(
    qtbot: QtBot, window: MainWindow, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_team(ctx)
    lock = window.encryption.lock
    assert lock._idle.interval() == 10 * 60_000  # the policy's default
    lock._idle.start(30)
    qtbot.wait(100)
    assert not lock.locked  # a plain database is never "locked": the lock protects nothing
    _encrypt(window, ctx, monkeypatch)
    lock._idle.start(30)
    qtbot.waitUntil(lambda: lock.locked, timeout=2000)
    assert window.windowTitle() == LOCKED_TITLE
    lock.unlock()


def test_ctrl_l_on_a_plain_database_explains_and_offers_encryption(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    said: list[str] = []

    def answer(box: QMessageBox) -> int:
        said.append(box.text())
        return 0  # "Not now"

    monkeypatch.setattr(QMessageBox, "exec", answer)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert len(said) == 1 and "only when its database is encrypted" in said[0]
    assert not window.encryption.lock.locked


def test_a_new_database_is_offered_encryption_and_not_now_leaves_a_reminder(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def not_now(box: QMessageBox) -> int:
        asked.append(box.text())
        return 0

    monkeypatch.setattr(QMessageBox, "exec", not_now)
    assert window.encryption.offer() is False
    assert "recommended" in asked[0]
    assert "Not encrypted" in window.encryption.reminder.text()
    assert window.encryption.reminder.isVisible()


def test_the_new_passphrase_dialog_applies_the_rules_and_generates_four_words(
    qtbot: QtBot,
) -> None:
    dialog = NewPassphraseDialog("Encrypt", "intro")
    qtbot.addWidget(dialog)
    dialog.first.setText("short")
    dialog.second.setText("short")
    assert not dialog.ok.isEnabled() and "12 characters" in dialog.problem.text()
    dialog.first.setText("a long enough passphrase")
    dialog.second.setText("a long enough passphrasE")
    assert not dialog.ok.isEnabled() and "differ" in dialog.problem.text()
    dialog.suggest()
    words = dialog.passphrase().split()
    assert len(words) >= 4 and dialog.ok.isEnabled()
    assert dialog.strength_label.text() in ("good", "strong")


def test_the_passphrase_asked_at_start_opens_the_database_or_the_recovery_key_does(
    qtbot: QtBot, tmp_path: Path, fast_kdf: None
) -> None:
    from app.storage import keys
    from app.storage.db import close_database, open_database
    from ui.encryption_dialogs import RecoveryUnlockDialog, UnlockDialog

    path = tmp_path / "team.db"
    close_database(open_database(path))
    recovery = encryption.encrypt_database(path, PASS)
    keys.forget_key(path)
    assert encryption.needs_key(path)

    dialog = UnlockDialog(path)
    qtbot.addWidget(dialog)
    dialog.prompt.field.setText("not the passphrase")
    dialog.prompt.submit()
    assert "wrong" in dialog.prompt.message.text()
    assert encryption.needs_key(path)  # still locked: nothing was registered
    dialog.prompt.field.setText(PASS)
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        dialog.prompt.submit()
    assert not encryption.needs_key(path)

    keys.forget_key(path)
    keys.key_file_for(path).unlink()  # only the bare file is left
    again = RecoveryUnlockDialog(path)
    qtbot.addWidget(again)
    again.key.setText(recovery.lower().replace("-", " "))
    again.new.first.setText("a brand new passphrase")
    again.new.second.setText("a brand new passphrase")
    again._submit()
    assert again.result() == 1, again.message.text()
    keys.forget_key(path)
    encryption.unlock(path, "a brand new passphrase")
