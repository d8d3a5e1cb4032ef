#!/usr/bin/env bash
# Set up (first time) and run every check headless: lint, types, layering, then the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export QT_QPA_PLATFORM=offscreen LANG=C.UTF-8 PYTHONPATH=.
echo "== ruff"; .venv/bin/ruff check .
echo "== ruff format"; .venv/bin/ruff format --check .
echo "== mypy"; .venv/bin/mypy
echo "== import contracts (app/ never imports Qt or ui/)"; .venv/bin/lint-imports
echo "== pytest"; .venv/bin/pytest "$@"
