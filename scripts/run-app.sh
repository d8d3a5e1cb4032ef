#!/usr/bin/env bash
# Set up (first time) and open Keel on the default database in your user data folder.
# Extra arguments go to Keel, e.g. `scripts/run-app.sh --db ~/other.db`.
# Before opening the window it checks that Qt's libraries load; when one is missing it names it
# and prints the one line that installs what Keel needs to run (Debian/Ubuntu).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
status=0
.venv/bin/python -m ui.platform_check "$@" || status=$?
if [ "$status" -ne 0 ]; then
  if [ "$status" -eq 3 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Install what Keel needs to run, then try again:" >&2
    echo "  sudo apt-get install --no-install-recommends $(bash scripts/debian-packages.sh run | xargs)" >&2
  fi
  exit 1
fi
exec .venv/bin/python main.py "$@"
