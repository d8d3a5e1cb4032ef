"""``keel --self-test`` from source, through a subprocess as CI and IT run it (offscreen), and
the report's own rules (a failed step stops the rest; the verdict)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.services.selftest import SelfTest

REPO = Path(__file__).resolve().parents[2]
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
STEPS = ("scratch database", "demo data", "statuses", "Qt plugins", "main window", "record PDF",
         "compliance pack PDF", "calendar", "backup", "encrypted backup",
         "encrypted database")  # fmt: skip


def test_self_test_from_source_passes_and_writes_its_report(tmp_path: Path) -> None:
    report = tmp_path / "reports" / "self-test.txt"
    env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(tmp_path)}
    env.pop("QT_QPA_PLATFORM", None)  # the self-test chooses offscreen itself
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    done = subprocess.run(
        [PYTHON, str(REPO / "main.py"), "--self-test", "--self-test-report", str(report)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    text = report.read_text(encoding="utf-8")
    assert text in done.stdout  # the same report on stdout and in the file
    assert f"Report written to {report}" in done.stdout
    lines = {line[8:].split("  ")[0].strip(): line[:8].strip() for line in text.splitlines()}
    assert {step: lines.get(step) for step in STEPS} == dict.fromkeys(STEPS, "ok")
    assert "Qt platform: offscreen (no display): window not tested on a display" in text
    assert "window not tested on a display" in lines_of(text)["main window"]
    assert f"Self-test PASSED: {len(STEPS)} of {len(STEPS)} steps ok" in text
    # Its scratch folder (database, backups, Qt settings) is gone; the user's data untouched.
    assert not list(tmp_path.glob("keel-self-test-*"))
    assert not (tmp_path / "home" / ".local" / "share" / "Keel").exists()


def lines_of(report: str) -> dict[str, str]:
    """Each step's line of a report, by the step's name."""
    found = {}
    for line in report.splitlines():
        name = line[8:].split("  ")[0].strip()
        if name in STEPS:
            found[name] = line
    return found


def _self_test(tmp_path: Path, **env_changes: str | None) -> tuple[int, str, str]:
    """Run ``main.py --self-test`` with the environment changed (None: unset); the exit code,
    the report and what was printed."""
    report = tmp_path / "self-test.txt"
    env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(tmp_path)}
    for name, value in env_changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    done = subprocess.run(
        [PYTHON, str(REPO / "main.py"), "--self-test", "--self-test-report", str(report)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    text = report.read_text(encoding="utf-8") if report.exists() else ""
    return done.returncode, text, done.stdout + done.stderr


def test_a_window_platform_that_cannot_load_fails_and_names_the_missing_library(
    tmp_path: Path,
) -> None:
    """What a machine without libxkbcommon-x11-0 does: the xcb plugin's file is there, but a
    library it links cannot be loaded (here a broken copy found first on LD_LIBRARY_PATH)."""
    broken = tmp_path / "broken-libs"
    broken.mkdir()
    (broken / "libxkbcommon-x11.so.0").write_bytes(b"")
    code, text, printed = _self_test(
        tmp_path, QT_QPA_PLATFORM="xcb", LD_LIBRARY_PATH=str(broken), DISPLAY=":0"
    )
    assert code == 1, printed
    assert "Traceback" not in printed.split("Self-test FAILED")[-1]
    assert "Qt platform: xcb (QT_QPA_PLATFORM); a real window is opened" in text
    plugins = lines_of(text)["Qt plugins"]
    assert plugins.startswith("FAILED")
    assert "libxkbcommon-x11.so.0" in plugins
    assert lines_of(text)["main window"].startswith("not run")
    assert "Self-test FAILED" in text
    assert list(tmp_path.glob("keel-self-test-*"))  # kept for a look


def test_a_display_that_cannot_be_reached_fails_the_self_test(tmp_path: Path) -> None:
    """A desktop's platform (DISPLAY set, no QT_QPA_PLATFORM) is the one tested; when Qt
    cannot open a window there the self-test fails with Qt's reason instead of crashing."""
    code, text, printed = _self_test(
        tmp_path, QT_QPA_PLATFORM=None, WAYLAND_DISPLAY=None, DISPLAY=":4999"
    )
    assert code == 1, printed
    assert "Qt platform: xcb (the desktop's); a real window is opened" in text
    plugins = lines_of(text)["Qt plugins"]
    assert plugins.startswith("FAILED")
    assert "could not connect to display :4999" in plugins
    assert "Self-test FAILED" in text


@pytest.fixture
def x_display() -> Iterator[str]:
    """A virtual X display (Xvfb, from the README's test line) for as long as the test runs."""
    xvfb = shutil.which("Xvfb")
    assert xvfb, "Xvfb is missing: install the README's test line (it names xvfb)"
    read, write = os.pipe()
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write), "-screen", "0", "1366x768x24", "-nolisten", "tcp"],
        pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write)
    try:
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        assert number, "Xvfb did not start"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_on_a_display_the_self_test_opens_a_real_window(tmp_path: Path, x_display: str) -> None:
    code, text, printed = _self_test(
        tmp_path, QT_QPA_PLATFORM=None, WAYLAND_DISPLAY=None, DISPLAY=x_display
    )
    assert code == 0, printed
    assert "Qt platform: xcb (the desktop's); a real window is opened" in text
    assert "running on 'xcb'" in lines_of(text)["Qt plugins"]
    assert lines_of(text)["main window"].endswith("on the display")
    assert f"Self-test PASSED: {len(STEPS)} of {len(STEPS)} steps ok" in text


def test_a_failed_step_is_reported_with_its_reason_and_stops_the_rest() -> None:
    test = SelfTest(["header"])
    assert test.run("first", lambda: "fine")

    def broken() -> str:
        raise ValueError("the disk said no")

    assert not test.run("second", broken)
    assert not test.run("third", lambda: pytest.fail("must not run"))
    assert [(s.name, s.label) for s in test.steps] == [
        ("first", "ok"), ("second", "FAILED"), ("third", "not run"),
    ]  # fmt: skip
    assert not test.ok
    text = test.text()
    assert "ValueError: the disk said no" in text
    assert "second failed:\nTraceback" in text
    assert "Self-test FAILED: 1 of 3 steps ok in" in text


def test_no_steps_is_not_a_pass() -> None:
    assert not SelfTest().ok


def test_the_program_imports_no_qt_module_the_installed_build_leaves_out() -> None:
    """The installed build leaves out the Qt modules of installer.spec's UNUSED_QT_MODULES; the
    self-test once waited for its window with QtTest, and failed only in the built program."""
    import ast
    import re

    spec = (REPO / "installer.spec").read_text(encoding="utf-8")
    listed = re.search(r"UNUSED_QT_MODULES = (\[.*?\])", spec, re.S)
    assert listed is not None
    left_out = set(ast.literal_eval(listed.group(1)))
    assert "QtTest" in left_out
    sources = [REPO / "main.py", *(REPO / "app").rglob("*.py"), *(REPO / "ui").rglob("*.py")]
    found = []
    for source in sources:
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            names = (
                [node.module or ""] if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names] if isinstance(node, ast.Import)
                else []
            )  # fmt: skip
            for name in names:
                parts = name.split(".")
                if parts[0] == "PySide6" and len(parts) > 1 and parts[1] in left_out:
                    found.append(f"{source.relative_to(REPO)}:{node.lineno} {name}")
    assert found == []
