#!/usr/bin/env bash
# Build the one-folder app with installer.spec, then run the built program's self-test.
# Fails if either fails. Prints the build time, the bundle size and the self-test report.
# CI runs it after the tests (.ci/run); on a clean Debian PyInstaller also needs binutils.
#
#   bash scripts/build_and_smoke.sh            (report: build/frozen-self-test.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
stamp=.venv/.keel-build-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet -e ".[build]"
  touch "$stamp"
fi
export LANG=C.UTF-8

echo "== build (pyinstaller installer.spec)"
start=$(date +%s)
.venv/bin/pyinstaller --noconfirm --log-level WARN installer.spec
build_seconds=$(( $(date +%s) - start ))
program=dist/Keel/keel
[ -x "$program" ] || { echo "build_and_smoke: $program was not built" >&2; exit 1; }
size_mb=$(du -sm dist/Keel | cut -f1)
files=$(find dist/Keel -type f | wc -l)
echo "built dist/Keel in ${build_seconds} s: ${size_mb} MB, ${files} files"

echo "== self-test of the built program"
mkdir -p build
report=build/frozen-self-test.txt
rm -f "$report"
start=$(date +%s)
status=0
# No display and no platform chosen: the self-test runs offscreen, as on a headless CI machine.
env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM timeout 600 \
  "$program" --self-test --self-test-report "$report" || status=$?
echo "self-test of the built program: exit ${status} in $(( $(date +%s) - start )) s"
if [ "$status" -ne 0 ]; then
  # The report was printed above; a crash before it shows its traceback on stderr.
  echo "build_and_smoke: the built program's self-test FAILED (report: $report)" >&2
  exit 1
fi
grep -q "^Self-test PASSED" "$report" || { echo "build_and_smoke: no PASSED in $report" >&2; exit 1; }
echo "build_and_smoke: ok (build ${build_seconds} s, ${size_mb} MB)"
