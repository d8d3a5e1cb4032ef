"""Can Qt open a window here? Answered without starting Qt, which aborts the whole process when
its platform plugin cannot load (with a message that names only one of the libraries it may
lack): the libraries Qt's own modules link are loaded by importing them, then the platform
plugin's file is loaded the way Qt would load it, and the loader's error names what is missing.

Used by the self-test (``ui.self_test``) and by ``scripts/run-app.sh`` before it opens Keel
(``python -m ui.platform_check [keel's arguments]``: exit 0 when the window can open).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

MISSING_LIBRARY = 3  # main()'s exit code when a library is missing

# The platform plugin's file for each platform name, per operating system.
_PLUGIN_FILES = {
    "xcb": "libqxcb.so",
    "wayland": "libqwayland.so",
    "wayland-egl": "libqwayland-egl.so",
    "offscreen": "libqoffscreen.so",
    "minimal": "libqminimal.so",
    "windows": "qwindows.dll",
    "cocoa": "libqcocoa.dylib",
}
if sys.platform == "win32":
    _PLUGIN_FILES["offscreen"] = "qoffscreen.dll"
    _PLUGIN_FILES["minimal"] = "qminimal.dll"
elif sys.platform == "darwin":
    _PLUGIN_FILES["offscreen"] = "libqoffscreen.dylib"
    _PLUGIN_FILES["minimal"] = "libqminimal.dylib"


def chosen_platform(environ: Mapping[str, str] | None = None) -> str | None:
    """The platform Qt will open windows on: ``QT_QPA_PLATFORM`` when set (its first choice),
    else the desktop's — Windows, macOS, or on Linux Wayland when ``WAYLAND_DISPLAY`` is set
    and X11 (xcb) when ``DISPLAY`` is — else None: there is no display to open a window on."""
    env = os.environ if environ is None else environ
    explicit = env.get("QT_QPA_PLATFORM", "").strip()
    if explicit:
        return explicit.split(";")[0].split(":")[0]
    if sys.platform == "win32":
        return "windows"
    if sys.platform == "darwin":
        return "cocoa"
    if env.get("WAYLAND_DISPLAY"):
        return "wayland"
    if env.get("DISPLAY"):
        return "xcb"
    return None


def plugin_folders() -> list[Path]:
    """Where Qt looks for platform plugins: ``QT_PLUGIN_PATH`` (set by the installer's
    runtime hook), then Qt's own plugin folder."""
    from PySide6.QtCore import QCoreApplication, QLibraryInfo

    roots = [p for p in os.environ.get("QT_PLUGIN_PATH", "").split(os.pathsep) if p]
    roots += QCoreApplication.libraryPaths()
    roots.append(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath))
    return [Path(root) / "platforms" for root in dict.fromkeys(roots)]


def plugin_file(platform: str) -> Path | None:
    name = _PLUGIN_FILES.get(platform)
    if name is None:
        return None
    for folder in plugin_folders():
        if (folder / name).is_file():
            return folder / name
    return None


def problem(platform: str) -> str | None:
    """None when Qt's libraries and the ``platform`` plugin load; else what is missing, in a
    sentence that names the library the loader could not load."""
    try:
        import PySide6.QtGui  # the import is the check
        import PySide6.QtWidgets  # noqa: F401
    except ImportError as exc:
        return f"Qt's own libraries cannot load: {exc}"
    path = plugin_file(platform)
    if path is None:
        where = ", ".join(str(f) for f in plugin_folders())
        return f'Qt has no "{platform}" platform plugin (looked in {where})'
    import ctypes  # only here: loading the plugin is the check

    try:
        ctypes.CDLL(str(path))
    except OSError as exc:
        return f'Qt\'s "{platform}" platform plugin cannot load: {exc}'
    return None


def _needs_no_window(argv: Sequence[str]) -> bool:
    from app.cli import COMMANDS

    quiet = {"-h", "--help", "--version", "--self-test"}
    return any(arg in COMMANDS or arg in quiet for arg in argv)


def main(argv: Sequence[str] | None = None) -> int:
    """For ``scripts/run-app.sh``: 0 when Keel's window can open (or the arguments ask for a
    command, which needs none); else one sentence on stderr and 1 (no display) or
    ``MISSING_LIBRARY`` (a library Qt needs cannot load: installing packages helps)."""
    argv = sys.argv[1:] if argv is None else argv
    if _needs_no_window(argv):
        return 0
    platform = chosen_platform()
    if platform is None:
        sys.stderr.write(
            "Keel cannot open its window: there is no display (neither DISPLAY nor "
            "WAYLAND_DISPLAY is set). Start it from your desktop session, or set "
            "QT_QPA_PLATFORM=offscreen to run it without a screen.\n"
        )
        return 1
    found = problem(platform)
    if found is not None:
        sys.stderr.write(f"Keel cannot open its window. {found}.\n")
        return MISSING_LIBRARY
    return 0


if __name__ == "__main__":
    sys.exit(main())
