#!/usr/bin/env bash
# Follow the README on a bare Debian 12, as a newcomer would: a minbase system (debootstrap),
# this checkout's committed files copied in, then only what the README says —
#   1. set-up without python3-venv fails with the line to install, and recovers after it;
#   2. the README's run line, then `bash scripts/run-app.sh` opens Keel on a real X display
#      (the host's Xvfb, shared into the chroot) and `.venv/bin/keel --self-test` passes;
#   3. the README's test line, then `.ci/run` (the tests, the installer and its self-test).
# Needs root, debootstrap, Xvfb on the host, and access to a Debian mirror and PyPI. About
# 20 minutes on two cores. Nothing outside WORKDIR is changed.
#
#   sudo bash scripts/try-bare-debian.sh [WORKDIR]      (default /tmp/keel-bare-debian)
#   STAGES="1 2" … to run only some stages
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/keel-bare-debian}
stages=${STAGES:-1 2 3}
base=$work/base
root=$work/root
mkdir -p "$work"
if [ ! -x "$base/bin/bash" ]; then
  echo "== debootstrap a minbase Debian 12 into $base"
  debootstrap --variant=minbase bookworm "$base" http://deb.debian.org/debian >"$work/debootstrap.log"
fi
umount_all() {
  for m in tmp/.X11-unix dev/pts dev proc sys; do
    mountpoint -q "$root/$m" && umount -l "$root/$m"
  done
  return 0
}
trap umount_all EXIT
umount_all
rm -rf "$root"
cp -a "$base" "$root"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# Behind an intercepting proxy the host trusts its CA for pip (PIP_CERT): so does the trial.
pip_cert=""
if [ -n "${PIP_CERT:-}" ] && [ -f "$PIP_CERT" ]; then
  cp "$PIP_CERT" "$root/etc/host-pip-ca.crt"
  pip_cert=/etc/host-pip-ca.crt
fi
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount -t sysfs sys "$root/sys"
mkdir -p "$root/tmp/.X11-unix"
mount --bind /tmp/.X11-unix "$root/tmp/.X11-unix"
mkdir -p "$root/home/keel"
git -C "$repo" archive HEAD | tar -x -C "$root/home/keel"

inside() {  # run a command in the chroot, in the clone, as a person's shell would
  chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
    LANG=C.UTF-8 TERM=dumb ${DISPLAY_FOR_CHROOT:+DISPLAY=$DISPLAY_FOR_CHROOT} \
    ${pip_cert:+PIP_CERT=$pip_cert} \
    /bin/bash -c "cd /home/keel && $1"
}
readme_line() {  # the README's Nth apt-get line, without sudo (the chroot runs as root)
  grep -E '^sudo apt-get install' "$repo/README.md" | sed -n "${1}p" | sed 's/^sudo //'
}
inside "apt-get update -qq"

if [[ " $stages " == *" 1 "* ]]; then
  echo "== 1. set-up with python3 but without python3-venv"
  inside "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 >/dev/null"
  if inside "bash scripts/setup.sh" >"$work/stage1-no-venv.txt" 2>&1; then
    echo "FAILED: set-up passed without python3-venv" >&2; exit 1
  fi
  grep -q "sudo apt-get install python3-venv" "$work/stage1-no-venv.txt"
  [ ! -e "$root/home/keel/.venv" ] || { echo "FAILED: a half-made .venv was left" >&2; exit 1; }
  echo "   refused with: $(tail -1 "$work/stage1-no-venv.txt")"
  # What an older set-up left behind: a .venv with a python and no pip. Set-up must repair it.
  inside "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null"
  inside "python3 -m venv --without-pip .venv"
fi

if [[ " $stages " == *" 2 "* ]]; then
  echo "== 2. the README's run line, then the run command"
  inside "DEBIAN_FRONTEND=noninteractive $(readme_line 1) -y -qq >/dev/null"
  # A display: the host's Xvfb, its socket shared into the chroot.
  Xvfb :71 -screen 0 1366x768x24 -nolisten tcp >/dev/null 2>&1 &
  xvfb=$!
  sleep 2
  export DISPLAY_FOR_CHROOT=:71
  start=$(date +%s)
  inside "KEEL_QUIT_WHEN_READY=1 KEEL_START_TIME=\$(date +%s.%N) bash scripts/run-app.sh --db /root/demo.db" \
    >"$work/stage2-run-app.txt" 2>&1 || { cat "$work/stage2-run-app.txt"; kill $xvfb; exit 1; }
  echo "   run-app.sh: set up and opened the window in $(( $(date +%s) - start )) s: $(grep keel-ready "$work/stage2-run-app.txt")"
  echo "   its output: $(grep -vc keel-ready "$work/stage2-run-app.txt") lines besides keel-ready"
  inside ".venv/bin/keel --self-test --self-test-report /root/self-test.txt" >"$work/stage2-self-test.txt" 2>&1 \
    || { cat "$work/stage2-self-test.txt"; kill $xvfb; exit 1; }
  grep -E "Qt platform|main window|Self-test" "$root/root/self-test.txt" | sed 's/^/   /'
  kill $xvfb
  unset DISPLAY_FOR_CHROOT
fi

if [[ " $stages " == *" 3 "* ]]; then
  echo "== 3. the README's test line, then .ci/run"
  inside "DEBIAN_FRONTEND=noninteractive $(readme_line 2) -y -qq >/dev/null"
  start=$(date +%s)
  if inside "bash .ci/run" >"$work/stage3-ci.txt" 2>&1; then
    echo "   .ci/run passed in $(( $(date +%s) - start )) s: $(grep -E '^[0-9]+ passed' "$work/stage3-ci.txt" | tail -1)"
  else
    tail -40 "$work/stage3-ci.txt"
    echo "FAILED: .ci/run on the bare Debian (log: $work/stage3-ci.txt)" >&2
    exit 1
  fi
fi
echo "== the README held on a bare Debian 12 (logs in $work)"
