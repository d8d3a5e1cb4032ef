"""``keel --self-test`` from source, through a subprocess as CI and IT run it (offscreen), and
the report's own rules (a failed step stops the rest; the verdict)."""

from __future__ import annotations

import os
import subprocess
import sys
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
    assert "Qt platform: offscreen" in text
    assert f"Self-test PASSED: {len(STEPS)} of {len(STEPS)} steps ok" in text
    # Its scratch folder (database, backups, Qt settings) is gone; the user's data untouched.
    assert not list(tmp_path.glob("keel-self-test-*"))
    assert not (tmp_path / "home" / ".local" / "share" / "Keel").exists()


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
