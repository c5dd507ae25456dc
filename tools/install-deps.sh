#!/bin/sh
# Installs what borderflow needs to build, test and draw charts on Debian 12
# (bookworm) or later.  Runs apt-get through sudo when not already root.
set -eu
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
PKGS="build-essential cmake pkg-config git libsqlite3-dev sqlite3 libinih-dev \
libcmocka-dev libevent-dev gnuplot-nox valgrind"
# Skip apt entirely when everything is already there (fast re-runs).
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "install-deps: installing$missing" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
