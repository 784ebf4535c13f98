#!/usr/bin/env bash
# Run the suite in a Debian chroot: tools/chroot-test.sh DIST [MAKE_TARGET...]   (as root; not part of CI)
#   DIST: sid (QGIS 3.44 LTR), trixie (Debian 13), bookworm (Debian 12), ...
#   MAKE_TARGET: default "test" (which installs everything inside the chroot, then runs the suite)
# Idempotent: the chroot (CHROOT_BASE/DIST, default /srv/chroot/DIST) is built with debootstrap
# only when missing; the clone inside it (/root/repo) is reset to this repository's HEAD
# (commit first: uncommitted changes are not tested) and keeps its .venv between runs.
# ../shared (SHARED, default the folder beside this repository) is bind-mounted read-only at
# /root/shared, so the real-data tests run where it exists. Mounts are undone on exit.
set -euo pipefail

DIST=${1:?usage: tools/chroot-test.sh DIST [MAKE_TARGET...]}
shift
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(test)
REPO=$(cd "$(dirname "$0")/.." && pwd)
ROOT=${CHROOT_BASE:-/srv/chroot}/$DIST
SHARED=${SHARED:-$(dirname "$REPO")/shared}
MIRROR=${MIRROR:-http://deb.debian.org/debian}

[ "$(id -u)" = 0 ] || { echo "chroot-test: run as root" >&2; exit 1; }
case "$ROOT" in "$REPO"/*) echo "chroot-test: the chroot must be outside the repository" >&2; exit 1 ;; esac

mkdir -p "$(dirname "$ROOT")"
exec 9>"$ROOT.lock"  # one run per chroot at a time (they share its mounts and its clone)
flock -n 9 || { echo "chroot-test: another run is using $ROOT" >&2; exit 1; }

if [ ! -x "$ROOT/usr/bin/apt-get" ] || [ -d "$ROOT/debootstrap" ]; then  # missing, or a debootstrap that did not finish
    command -v debootstrap >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y debootstrap; }
    debootstrap --variant=minbase "$DIST" "$ROOT" "$MIRROR"
fi
# no daemon starts inside the chroot
printf '#!/bin/sh\nexit 101\n' > "$ROOT/usr/sbin/policy-rc.d" && chmod +x "$ROOT/usr/sbin/policy-rc.d"
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
# a mirror that is a dated snapshot (or a clock ahead of it) would otherwise refuse sid's short-lived Release file
echo 'Acquire::Check-Valid-Until "false";' > "$ROOT/etc/apt/apt.conf.d/99chroot-test-valid-until"

MOUNTED=()
cleanup() {
    local i
    for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do umount "${MOUNTED[i]}" || umount -l "${MOUNTED[i]}" || true; done
}
trap cleanup EXIT
bind() {  # bind SRC DST [ro]
    mkdir -p "$2"
    mountpoint -q "$2" && return 0
    mount --bind "$1" "$2"
    MOUNTED+=("$2")
    [ "${3:-}" != ro ] || mount -o remount,bind,ro "$2"
}
mountpoint -q "$ROOT/proc" || { mount -t proc proc "$ROOT/proc"; MOUNTED+=("$ROOT/proc"); }
mountpoint -q "$ROOT/sys" || { mount -t sysfs sys "$ROOT/sys"; MOUNTED+=("$ROOT/sys"); }
bind /dev "$ROOT/dev"
bind /dev/pts "$ROOT/dev/pts"
mkdir -p "$ROOT/dev/shm"
mountpoint -q "$ROOT/dev/shm" || { mount -t tmpfs shm "$ROOT/dev/shm"; MOUNTED+=("$ROOT/dev/shm"); }
[ ! -d "$SHARED" ] || bind "$SHARED" "$ROOT/root/shared" ro

in_chroot() {
    chroot "$ROOT" /usr/bin/env -i HOME=/root LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}
missing=$(for p in make ca-certificates git; do in_chroot dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"; done)
if [ -n "$missing" ]; then
    in_chroot apt-get update
    in_chroot env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
fi
# a host behind a TLS-inspecting proxy: its local CAs are trusted inside too (pip reaches PyPI through it)
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    mkdir -p "$ROOT/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
    in_chroot update-ca-certificates >/dev/null
fi

# the clone: this repository's HEAD, untracked build products (.venv, build/) kept
if [ ! -d "$ROOT/root/repo/.git" ]; then git clone -q "$REPO" "$ROOT/root/repo"; fi
git -C "$ROOT/root/repo" fetch -q "$REPO" HEAD
git -C "$ROOT/root/repo" -c advice.detachedHead=false checkout -q --force FETCH_HEAD
echo "chroot-test: $DIST at $(git -C "$ROOT/root/repo" log -1 --format='%h %s')"

in_chroot bash -c 'cd /root/repo && make "$@"' make "${TARGETS[@]}"
