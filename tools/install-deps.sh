#!/bin/sh
# Installs what borderflow needs to build, run and draw charts on Debian 12
# (bookworm) or later; with --test also what the test suite uses (GNU
# parallel for the shard recipe, curl and wrk for the server, headless
# Chromium for the page, valgrind).  Runs apt-get through sudo when not
# already root.
#
#   tools/install-deps.sh          build and run
#   tools/install-deps.sh --test   build, run and test
set -eu
TEST_PKGS=""
if [ "${1:-}" = "--test" ]; then
    TEST_PKGS="parallel curl wrk chromium valgrind"
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
PKGS="build-essential cmake pkg-config git libsqlite3-dev sqlite3 libinih-dev \
libcmocka-dev libevent-dev libjansson-dev gnuplot-nox fonts-dejavu-core fonts-noto-cjk \
$TEST_PKGS"
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
