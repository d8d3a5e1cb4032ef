#!/usr/bin/env bash
# Create .venv (once) and install Keel with what its tests need. Safe to run again, and it
# repairs a .venv left half made (an interrupted run, or python3-venv missing on Debian).
# Quiet when all goes well; pip's full output is printed when it fails.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
log=$(mktemp "${TMPDIR:-/tmp}/keel-setup.XXXXXX")
trap 'rm -f "$log"' EXIT

venv_works() {
  [ -x .venv/bin/python ] && .venv/bin/python -c "import pip" >/dev/null 2>&1
}

if [ -e .venv ] && ! venv_works; then
  echo "setup: .venv is incomplete (an interrupted set-up?): making it again." >&2
  rm -rf .venv
fi
if [ ! -e .venv ]; then
  if ! command -v "$PY" >/dev/null 2>&1; then
    echo "setup: no $PY found. On Debian/Ubuntu: sudo apt-get install python3 python3-venv" >&2
    exit 1
  fi
  echo "setup: making .venv (the first time this downloads about 150 MB)…" >&2
  if ! "$PY" -m venv .venv >"$log" 2>&1 || ! venv_works; then
    cat "$log" >&2
    rm -rf .venv
    echo "setup: $PY could not make a virtual environment with pip in it." \
         "On Debian/Ubuntu: sudo apt-get install python3-venv" >&2
    exit 1
  fi
  rm -f .venv/.keel-installed
fi
stamp=.venv/.keel-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing Keel and its test tools into .venv…" >&2
  if ! { .venv/bin/python -m pip install --quiet --upgrade pip &&
         .venv/bin/python -m pip install --quiet -e ".[test]"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "setup: pip failed (above); nothing else was changed. Run this again to retry." >&2
    exit 1
  fi
  touch "$stamp"
  echo "setup: done." >&2
fi
