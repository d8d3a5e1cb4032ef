"""``keel --self-test``: open the main window on the platform Keel will use, on a scratch
database with the demo service, and check the statuses, a record PDF, the compliance pack, a
calendar file and backups (plain and encrypted). Exit 0 only if every step worked.

The window is opened on the platform a real start would use — ``QT_QPA_PLATFORM`` when set,
else the desktop's (X11 or Wayland when a display exists; Windows; macOS) — and only when there
is no display at all on the offscreen platform, which the report then says ("window not tested
on a display"). It is opened in a child process (``keel --self-test-window DB``): Qt aborts the
process when its platform plugin cannot load, and the report must still be written, naming
the library that is missing (``ui.platform_check`` finds it before Qt starts).

Used by CI on the frozen build (``scripts/build_and_smoke.sh``) and by IT departments after an
install. Nothing outside a temporary folder is written except the report and Keel's log: the
scratch database, its backups and the Qt settings all live in that folder, which is removed
afterwards (kept when a step failed, for a look).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from app.services import selftest
from app.services.selftest import SelfTest, SelfTestService
from ui.context import AppContext
from ui.platform_check import chosen_platform, problem

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

# Platform plugins a real (not offscreen) start needs, per operating system.
_NATIVE_PLATFORMS = {
    "linux": ("libqxcb.so", "libqwayland.so", "libqwayland-generic.so"),
    "win32": ("qwindows.dll",),
    "darwin": ("libqcocoa.dylib",),
}
_OFFSCREEN = ("offscreen", "minimal")
NOT_ON_A_DISPLAY = "window not tested on a display"
# The child's exit code when a library Qt needs cannot load (it says which on stderr).
_MISSING_LIBRARY = 3
_WINDOW_TIMEOUT_S = 180


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
    from PySide6.QtGui import QImageReader
    from PySide6.QtWidgets import QApplication

    from ui.app import _application
    from ui.platform_check import plugin_folders

    app = _application()
    folders = plugin_folders()
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


def _wait_until_exposed(window: QWidget, seconds: float) -> bool:
    """Whether the window is exposed (mapped on the screen) within `seconds`. Not QtTest's
    qWaitForWindowExposed: the installed build leaves QtTest out (installer.spec)."""
    from PySide6.QtCore import QDeadlineTimer, QEventLoop
    from PySide6.QtWidgets import QApplication

    deadline = QDeadlineTimer(int(seconds * 1000))
    while True:
        handle = window.windowHandle()
        if handle is not None and handle.isExposed():
            return True
        if deadline.hasExpired():
            return False
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.01)


def open_main_window(ctx: AppContext) -> str:
    """Show the main window on the demo data, let it paint, check what it shows. On a display
    the window must be exposed (mapped on the screen), not only built."""
    from PySide6.QtGui import QFontDatabase, QGuiApplication
    from PySide6.QtWidgets import QApplication

    from ui.app import _application
    from ui.main_window import MainWindow

    _application()
    on_display = QGuiApplication.platformName() not in _OFFSCREEN
    window = MainWindow(ctx)
    try:
        window.show()
        exposed = _wait_until_exposed(window, 10.0)
        QApplication.processEvents()
        if not window.isVisible():
            raise AssertionError("the main window is not visible")
        if on_display and not exposed:
            raise AssertionError(
                f"the main window was not shown on the display within 10 s "
                f"({QGuiApplication.platformName()})"
            )
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
        where = "on the display" if on_display else NOT_ON_A_DISPLAY
        return f"scheduler shows {rows} workers; drawn at {image.width()}×{image.height()}; {where}"
    finally:
        window.close()
        window.deleteLater()


def window_check(db_path: Path) -> int:
    """The child process (``keel --self-test-window DB``): on the platform ``QT_QPA_PLATFORM``
    names, check Qt's libraries and plugins, then open the main window on ``db_path``. Prints
    one tab-separated line per step; exit 0 when both worked."""
    platform = os.environ.get("QT_QPA_PLATFORM", "offscreen")
    missing = problem(platform)
    if missing is not None:
        sys.stderr.write(f"{missing}\n")
        return _MISSING_LIBRARY
    _isolate_settings(db_path.parent / "settings")
    ctx = AppContext.open(db_path)
    try:
        steps = (
            ("Qt plugins", check_qt_plugins),
            ("main window", lambda: open_main_window(ctx)),
        )
        for name, step in steps:
            try:
                detail = step()
            except Exception as exc:
                _say(f"{name}\tFAILED\t{type(exc).__name__}: {exc}\n")
                return 1
            _say(f"{name}\tok\t{detail}\n")
    finally:
        ctx.database.close()
    return 0


@dataclass
class _WindowRun:
    """What the child said about each step (``None`` until it ran)."""

    platform: str
    details: dict[str, tuple[bool, str]]
    failure: str | None = None

    def step(self, name: str) -> str:
        if self.failure is not None and name not in self.details:
            raise AssertionError(self.failure)
        ok, detail = self.details.get(name, (False, "the window check did not get this far"))
        if not ok:
            raise AssertionError(detail)
        return detail


def _child_command(db_path: Path) -> list[str]:
    if getattr(sys, "frozen", False):
        return [sys.executable, "--self-test-window", str(db_path)]
    main = Path(__file__).resolve().parents[1] / "main.py"
    return [sys.executable, str(main), "--self-test-window", str(db_path)]


def _qt_says(text: str, count: int = 3) -> str:
    """Qt's own messages (``qt.qpa…: could not connect to display :0``) first, else the last
    lines of what the child wrote."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    qt = [line for line in lines if line.startswith("qt.")]
    return " / ".join((qt or lines)[-count:])


def run_window_check(db_path: Path, platform: str) -> _WindowRun:
    """Run the window check in a child process on ``platform`` and read what it said."""
    env = {**os.environ, "QT_QPA_PLATFORM": platform}
    try:
        done = subprocess.run(
            _child_command(db_path), env=env, capture_output=True, text=True,
            timeout=_WINDOW_TIMEOUT_S, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return _WindowRun(platform, {}, f"the window did not open within {_WINDOW_TIMEOUT_S} s")
    details: dict[str, tuple[bool, str]] = {}
    for line in done.stdout.splitlines():
        parts = line.split("\t", 2)
        if len(parts) == 3:
            details[parts[0]] = (parts[1] == "ok", parts[2])
    if done.returncode == 0:
        return _WindowRun(platform, details)
    if done.returncode == _MISSING_LIBRARY:
        why = f"{_qt_says(done.stderr, 1)} (install the library, then run the self-test again)"
    elif done.returncode < 0:
        why = (
            f"Qt could not open a window on '{platform}' and stopped (signal "
            f"{-done.returncode}): {_qt_says(done.stderr) or 'no message'}"
        )
    else:
        why = _qt_says(done.stderr) or f"the window check failed (exit {done.returncode})"
    return _WindowRun(platform, details, why)


def run_self_test(report_path: Path | None = None) -> int:
    """Run every step, write the report to ``report_path`` (default: a new file in the
    temporary folder) and stdout; 0 if all worked, else 1."""
    report_path = Path(report_path) if report_path else default_report_path()
    work = Path(tempfile.mkdtemp(prefix="keel-self-test-"))
    today = date.today()
    desktop = chosen_platform()
    platform = desktop or "offscreen"
    if desktop is None:
        where = f"offscreen (no display): {NOT_ON_A_DISPLAY}"
    elif desktop in _OFFSCREEN:
        where = f"{desktop} (QT_QPA_PLATFORM): {NOT_ON_A_DISPLAY}"
    else:
        chosen = "QT_QPA_PLATFORM" if os.environ.get("QT_QPA_PLATFORM") else "the desktop's"
        where = f"{desktop} ({chosen}); a real window is opened"
    test = SelfTest(
        selftest.environment_lines(
            f"Qt platform: {where}; scratch folder (removed if all pass): {work}"
        )
    )
    services: AppContext | None = None
    window: _WindowRun | None = None

    def scratch_database() -> str:
        nonlocal services
        services = AppContext.open(work / "keel.db", today=lambda: today)
        services.backups.set_backup_folder(work / "backups")
        return str(work / "keel.db")

    def steps() -> SelfTestService:
        assert services is not None
        return services.self_test

    def qt_plugins() -> str:
        nonlocal window
        assert services is not None
        services.database.commit()
        window = run_window_check(work / "keel.db", platform)
        return window.step("Qt plugins")

    def main_window() -> str:
        assert window is not None
        return window.step("main window")

    try:
        test.run("scratch database", scratch_database)
        test.run("demo data", lambda: steps().load_demo_data(today))
        test.run("statuses", lambda: steps().compute_statuses(today))
        test.run("Qt plugins", qt_plugins)
        test.run("main window", main_window)
        test.run("record PDF", lambda: steps().write_record_pdf(today, work))
        test.run(
            "compliance pack PDF",
            lambda: steps().write_compliance_pack(today, work),
        )
        test.run("calendar", lambda: steps().export_calendar_file(today, work))
        test.run("backup", lambda: steps().backup_and_verify(work / "backups"))
        test.run(
            "encrypted backup",
            lambda: steps().backup_and_verify(work / "backups", encrypted=True),
        )
        test.run("encrypted database", lambda: selftest.encrypted_database(work, today))
    finally:
        if services is not None:
            services.database.close()
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
