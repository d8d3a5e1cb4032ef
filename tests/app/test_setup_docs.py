"""The README's promise on a bare Debian 12: its two `apt-get install` lines are the two lists of
scripts/debian-packages.txt and exactly what .ci/run installs; the tests need no tool those
lines do not bring; set-up repairs a half-made .venv and is quiet; the run command names a
missing Qt library and prints the run line; the README's command lines work from a clone."""

from __future__ import annotations

import ast
import os
import stat
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
APT = "sudo apt-get install --no-install-recommends"


def package_lists() -> dict[str, list[str]]:
    """scripts/debian-packages.txt read independently of the shell script that reads it."""
    lists: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in (REPO / "scripts" / "debian-packages.txt").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("[") and line.endswith("]"):
            current = lists.setdefault(line[1:-1], [])
        elif line:
            assert current is not None, f"a package before any [list]: {raw!r}"
            current.append(line)
    return lists


def test_the_file_has_a_run_list_then_a_test_list() -> None:
    lists = package_lists()
    assert list(lists) == ["run", "test"]
    assert "python3-venv" in lists["run"] and "libxkbcommon-x11-0" in lists["run"]
    assert all(lists.values())
    everything = lists["run"] + lists["test"]
    assert len(everything) == len(set(everything)), "a package is listed twice"


def test_the_readme_quotes_the_two_lists_as_two_apt_get_lines_run_first() -> None:
    lists = package_lists()
    expected = [f"{APT} {' '.join(lists[name])}" for name in ("run", "test")]
    found = [
        line.strip() for line in README.splitlines() if "apt-get install" in line.split("`")[0]
    ]
    assert found == expected, "put these two lines in the README:\n" + "\n".join(expected)


def test_ci_installs_exactly_the_two_lists_and_runs_the_readme_test_command() -> None:
    lists = package_lists()
    done = subprocess.run(
        ["bash", str(REPO / ".ci" / "run"), "--list-packages"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert done.stdout.split() == lists["run"] + lists["test"]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    installs = [
        line.strip()
        for line in ci.splitlines()
        if "apt-get install" in line and not line.lstrip().startswith(("#", "echo"))
    ]
    assert installs == [
        'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"'
    ]
    assert "\nbash scripts/test.sh\n" in ci
    assert "bash scripts/test.sh" in README


# Tools a test may start, and why a machine with only the README's lines has them.
TOOLS = {
    "bash": "essential in Debian",
    "cp": "coreutils, essential in Debian",
    "mount": "Debian's required 'mount' package",
    "umount": "Debian's required 'mount' package",
    "localedef": "libc-bin, essential (the locale data come with 'locales', in the test list)",
    "Xvfb": "'xvfb', in the test list",
}
# Tools on a developer's machine that the lists do not bring (the tests used pdftotext once).
NOT_BROUGHT = {"pdftotext", "pdftoppm", "pdfinfo", "xdotool", "convert", "magick", "xvfb-run"}
_RUNNERS = {"run", "Popen", "check_output", "check_call", "call"}


def _tools_named(tree: ast.AST) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and node.value in NOT_BROUGHT:
            found.append((str(node.value), node.lineno))
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        first = node.args[0] if node.args else None
        if node.func.attr == "which" and isinstance(first, ast.Constant):
            found.append((str(first.value), node.lineno))
        elif node.func.attr in _RUNNERS and isinstance(first, ast.List) and first.elts:
            head = first.elts[0]
            if isinstance(head, ast.Constant) and isinstance(head.value, str):
                found.append((head.value, node.lineno))
    return found


def test_the_tests_start_no_tool_the_readme_lines_do_not_bring() -> None:
    assert "xvfb" in package_lists()["test"]
    offenders = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        if path == Path(__file__).resolve():
            continue  # the lists above
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for tool, line in _tools_named(tree):
            if tool not in TOOLS:
                offenders.append(f"{path.relative_to(REPO)}:{line}: {tool}")
    assert offenders == []


# --------------------------------------------------------------------------- set-up


FAKE_PYTHON = """#!/usr/bin/env bash
# Stands in for python3: `-m venv .venv` makes a .venv whose python answers `-c "import pip"`
# only when pip was installed (FAKE_VENV=ok) and logs every pip call.
set -e
[ "$1 $2" = "-m venv" ] || exit 9
mkdir -p "$3/bin"
cat > "$3/bin/python" <<EOF
#!/usr/bin/env bash
if [ "\\$1" = "-c" ]; then [ -f "$PWD/$3/pip-installed" ]; exit; fi
echo "\\$*" >> "$PWD/pip-calls.log"
[ -z "\\$FAKE_PIP_FAILS" ] || { echo "ERROR: No matching distribution found" >&2; exit 1; }
EOF
chmod +x "$3/bin/python"
if [ "$FAKE_VENV" != ok ]; then
  echo "The virtual environment was not created successfully because ensurepip is not" >&2
  echo "available.  On Debian/Ubuntu systems, you need to install the python3-venv package" >&2
  exit 1
fi
touch "$3/pip-installed"
"""


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A clone's set-up script beside a pyproject.toml, with a fake python3 on hand."""
    root = tmp_path / "clone"
    (root / "scripts").mkdir(parents=True)
    (root / "scripts" / "setup.sh").write_text(
        (REPO / "scripts" / "setup.sh").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (root / "pyproject.toml").write_text("[project]\nname = 'keel'\n", encoding="utf-8")
    fake = tmp_path / "fake-python3"
    fake.write_text(FAKE_PYTHON, encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return root


def _setup(clone: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHON": str(clone.parent / "fake-python3"), **env}
    return subprocess.run(
        ["bash", "scripts/setup.sh"], cwd=clone, env=environ, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip


def _pip_calls(clone: Path) -> list[str]:
    log = clone / "pip-calls.log"
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def test_without_python3_venv_setup_says_what_to_install_and_leaves_no_venv(clone: Path) -> None:
    done = _setup(clone, FAKE_VENV="no")
    assert done.returncode == 1
    assert "sudo apt-get install python3-venv" in done.stderr
    assert not (clone / ".venv").exists()


def test_setup_repairs_a_half_made_venv_then_is_quiet(clone: Path) -> None:
    _setup(clone, FAKE_VENV="no")  # what the newcomer's first run left …
    (clone / ".venv" / "bin").mkdir(parents=True)  # … before set-up cleaned up after itself
    (clone / ".venv" / "bin" / "python").symlink_to("/bin/false")
    done = _setup(clone, FAKE_VENV="ok")
    assert done.returncode == 0, done.stderr
    assert "incomplete" in done.stderr
    assert _pip_calls(clone) == ["-m pip install --quiet --upgrade pip",
                                 "-m pip install --quiet -e .[test]"]  # fmt: skip
    assert (clone / ".venv" / ".keel-installed").exists()
    again = _setup(clone, FAKE_VENV="ok")
    assert again.returncode == 0
    assert (again.stdout, again.stderr) == ("", "")  # nothing to do, nothing said
    assert len(_pip_calls(clone)) == 2


def test_a_failed_install_is_shown_and_retried_on_the_next_run(clone: Path) -> None:
    done = _setup(clone, FAKE_VENV="ok", FAKE_PIP_FAILS="1")
    assert done.returncode == 1
    assert "No matching distribution found" in done.stderr  # pip's own words, when it fails
    assert not (clone / ".venv" / ".keel-installed").exists()
    assert _setup(clone, FAKE_VENV="ok").returncode == 0
    assert (clone / ".venv" / ".keel-installed").exists()


def test_setuptools_has_nothing_to_warn_about_in_pyproject() -> None:
    """The ~50 lines of warnings set-up printed came from the license table (deprecated) and
    the editable install (its notice now goes to a log shown only when pip fails)."""
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert 'license = "LicenseRef-Proprietary"' in text
    assert 'requires = ["setuptools>=77"]' in text


# --------------------------------------------------------------------------- running


def test_the_run_command_names_a_missing_qt_library_and_prints_the_run_line(
    tmp_path: Path,
) -> None:
    broken = tmp_path / "libs"
    broken.mkdir()
    (broken / "libxkbcommon-x11.so.0").write_bytes(b"")  # as good as missing
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "LD_LIBRARY_PATH": str(broken)}
    db = tmp_path / "never.db"
    done = subprocess.run(
        ["bash", str(REPO / "scripts" / "run-app.sh"), "--db", str(db)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    assert "Keel cannot open its window" in done.stderr
    assert "libxkbcommon-x11.so.0" in done.stderr
    run_line = f"{APT} {' '.join(package_lists()['run'])}"
    assert f"  {run_line}\n" in done.stderr
    assert not db.exists()


def test_the_run_command_without_a_display_says_so_and_prints_no_install_line(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    done = subprocess.run(
        ["bash", str(REPO / "scripts" / "run-app.sh"), "--db", str(tmp_path / "x.db")],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    assert "there is no display" in done.stderr
    assert "apt-get" not in done.stderr


def test_the_readme_command_lines_work_from_a_clone(tmp_path: Path) -> None:
    assert "python main.py" not in README
    assert "`.venv/bin/keel`" in README
    keel = REPO / ".venv" / "bin" / "keel"
    env = {**os.environ, "PYTHONPATH": ""}
    version = subprocess.run(
        [str(keel), "--version"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert version.returncode == 0 and version.stdout.startswith("Keel "), version.stderr
    db = tmp_path / "demo.db"
    demo = subprocess.run(
        [str(keel), "--db", str(db), "demo"], cwd=tmp_path, env=env, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    assert "Loaded the demo service" in demo.stdout
