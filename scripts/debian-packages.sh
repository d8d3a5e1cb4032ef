#!/usr/bin/env bash
# Print the packages of the named lists of scripts/debian-packages.txt, one a line, in order.
#   bash scripts/debian-packages.sh run          what Keel needs to run
#   bash scripts/debian-packages.sh run test     … and what the tests need on top
set -euo pipefail
file="$(dirname "$0")/debian-packages.txt"
[ $# -gt 0 ] || { echo "usage: $0 LIST…  (lists: run, test)" >&2; exit 2; }
for list in "$@"; do
  grep -q "^\[$list\]" "$file" || { echo "$0: no list [$list] in $file" >&2; exit 2; }
  awk -v want="[$list]" '
    /^\[/ { inside = ($1 == want); next }
    { sub(/#.*/, "") }
    inside && NF { print $1 }
  ' "$file"
done
