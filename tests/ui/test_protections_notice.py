"""A database whose protections (triggers) were removed with another program: the window, once
the file's background integrity check has passed, puts them back, records it in the audit trail
and tells the person what was found."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox
from pytestqt.qtbot import QtBot

from app.storage.db import close_database, confirm_checked, open_database, pending_check
from tests.app.backup_support import make_db
from ui.app import restore_protections_and_say_so
from ui.context import AppContext


def test_removed_protections_are_put_back_and_the_person_is_told(
    qtbot: QtBot, tmp_path: Path
) -> None:
    path = tmp_path / "keel.db"
    make_db(path)
    conn = sqlite3.connect(str(path))
    conn.execute("DROP TRIGGER sessions_locked")
    conn.commit()
    conn.close()
    db = open_database(path, check_in_background=True)  # as the window opens it
    try:
        check = pending_check(path)
        assert check is not None and check.wait(30)
        assert confirm_checked(db)
        window = QMainWindow()
        qtbot.addWidget(window)
        said = restore_protections_and_say_so(AppContext.for_database(db, path), window)
        boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
        assert said and "“sessions_locked”" in said[0]
        box = next(b for b in boxes if b.isVisible())
        assert box.windowTitle() == "This database was changed outside Keel"
        assert "Keel has put them back and recorded this in the audit trail" in box.text()
        assert "“sessions_locked”" in box.informativeText()
        box.close()
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
        assert "sessions_locked" in names
        (action,) = db.execute("SELECT action FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        assert action == "restore_protection"
        # Nothing more to say the second time.
        assert restore_protections_and_say_so(AppContext.for_database(db, path), window) == []
    finally:
        close_database(db)
