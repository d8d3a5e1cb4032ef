#!/usr/bin/env bash
# Set up (first time) and open Keel on the default database in your user data folder.
# Extra arguments go to Keel, e.g. `scripts/run-app.sh --db ~/other.db`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python main.py "$@"
