"""``keel --self-test``: open the main window offscreen on a scratch database with the demo
service, and check the statuses, a record PDF, the compliance pack, a calendar file and backups
(plain and encrypted). Exit 0 only if every step worked.

Used by CI on the frozen build (``scripts/build_and_smoke.sh``) and by IT departments after an
install. Nothing outside a temporary folder is written except the report and Keel's log: the
scratch database, its backups and the Qt settings all live in that folder, which is removed
afterwards (kept when a step failed, for a look).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path

from app.services import selftest
from app.services.selftest import SelfTest
from app.storage.db import Database

# Platform plugins a real (not offscreen) start needs, per operating system.
_NATIVE_PLATFORMS = {
    "linux": ("libqxcb.so", "libqwayland.so", "libqwayland-generic.so"),
    "win32": ("qwindows.dll",),
    "darwin": ("libqcocoa.dylib",),
}


def default_report_path() -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(tempfile.gettempdir()) / f"keel-self-test-{stamp}.txt"


def _say(text: str) -> None:
    # A Windows build without a console has no stdout at all.
    if sys.stdout is not None:
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.write(text)
            sys.stdout.flush()


def _isolate_settings(folder: Path) -> None:
    """Qt settings (window geometry, remembered folders) go to ``folder``, not the user's."""
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(folder))


def check_qt_plugins() -> str:
    """The plugins a real start needs are in place: this system's window platform, and the
    SVG icon engine and image formats (the app icon is an SVG)."""
    from PySide6.QtCore import QLibraryInfo
    from PySide6.QtGui import QImageReader
    from PySide6.QtWidgets import QApplication

    from ui.app import _application

    app = _application()
    # Where Qt looks: QT_PLUGIN_PATH (set by PyInstaller's runtime hook), then Qt's own path.
    roots = [*app.libraryPaths(), QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)]
    folders = [Path(root) / "platforms" for root in dict.fromkeys(roots)]
    present = sorted({f.name for folder in folders if folder.is_dir() for f in folder.iterdir()})
    wanted = _NATIVE_PLATFORMS.get(sys.platform, ())
    if wanted and not any(name in present for name in wanted):
        where = ", ".join(str(f) for f in folders)
        raise AssertionError(f"no {' or '.join(wanted)} in {where} (found: {present})")
    formats = {bytes(f.data()).decode() for f in QImageReader.supportedImageFormats()}
    missing = {"png", "svg"} - formats
    if missing:
        raise AssertionError(f"image formats missing: {', '.join(sorted(missing))}")
    if app.windowIcon().pixmap(32, 32).isNull():
        raise AssertionError("the application icon did not load")
    native = [name for name in present if name in wanted]
    return (
        f"running on '{QApplication.platformName()}'; native {', '.join(native) or 'n/a'}; "
        "svg and png images; app icon"
    )


def open_main_window(db: Database, db_path: Path, today: date) -> str:
    """Show the main window on the demo data, let it paint once, check what it shows."""
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QFontDatabase

    from ui.app import _application
    from ui.context import AppContext
    from ui.main_window import MainWindow

    app = _application()
    ctx = AppContext.for_database(db, db_path, today=lambda: today)
    window = MainWindow(ctx)
    try:
        window.show()
        # One pass of the event loop: shown and laid out. (quit() would close the windows.)
        QTimer.singleShot(0, lambda: app.exit(0))
        app.exec()
        if not window.isVisible():
            raise AssertionError("the main window is not visible")
        if window.stack.currentWidget() is not window.tabs:
            raise AssertionError("the main window shows the welcome page, not the scheduler")
        rows = window.scheduler.model.rowCount()
        if rows == 0:
            raise AssertionError("the scheduler is empty")
        image = window.grab().toImage()
        if image.isNull() or image.width() == 0:
            raise AssertionError("the main window could not be drawn")
        if "DejaVu Sans" not in QFontDatabase.families():
            raise AssertionError("the bundled DejaVu Sans font did not load")
        return f"scheduler shows {rows} workers; drawn at {image.width()}×{image.height()}"
    finally:
        window.close()
        window.deleteLater()


def run_self_test(report_path: Path | None = None) -> int:
    """Run every step, write the report to ``report_path`` (default: a new file in the
    temporary folder) and stdout; 0 if all worked, else 1."""
    # Offscreen unless the caller chose a platform (QT_QPA_PLATFORM=xcb tests a real window):
    # works with no display and never flashes a window on an IT technician's screen.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    report_path = Path(report_path) if report_path else default_report_path()
    work = Path(tempfile.mkdtemp(prefix="keel-self-test-"))
    _isolate_settings(work / "settings")
    today = date.today()
    test = SelfTest(
        selftest.environment_lines(
            f"Qt platform: {os.environ['QT_QPA_PLATFORM']}; scratch folder (removed if all pass): {work}"
        )
    )
    db: Database | None = None

    def scratch_database() -> str:
        nonlocal db
        db = selftest.open_scratch_database(work)
        return str(work / "keel.db")

    def database() -> Database:
        assert db is not None
        return db

    try:
        test.run("scratch database", scratch_database)
        test.run("demo data", lambda: selftest.load_demo_data(database(), today))
        test.run("statuses", lambda: selftest.compute_statuses(database(), today))
        test.run("Qt plugins", check_qt_plugins)
        test.run("main window", lambda: open_main_window(database(), work / "keel.db", today))
        test.run("record PDF", lambda: selftest.write_record_pdf(database(), today, work))
        test.run(
            "compliance pack PDF",
            lambda: selftest.write_compliance_pack(database(), today, work),
        )
        test.run("calendar", lambda: selftest.export_calendar_file(database(), today, work))
        test.run("backup", lambda: selftest.backup_and_verify(database(), work / "backups"))
        test.run(
            "encrypted backup",
            lambda: selftest.backup_and_verify(database(), work / "backups", encrypted=True),
        )
        test.run("encrypted database", lambda: selftest.encrypted_database(work, today))
    finally:
        if db is not None:
            from app.storage.db import close_database

            close_database(db)
        if test.ok:
            shutil.rmtree(work, ignore_errors=True)
    text = test.text()
    _say(text)
    try:
        selftest.write_report(text, report_path)
    except OSError as exc:
        _say(f"The report could not be written to {report_path}: {exc}\n")
        return 1
    _say(f"Report written to {report_path}\n")
    return 0 if test.ok else 1
