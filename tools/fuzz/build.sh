#!/bin/sh
# Builds the libFuzzer targets of tools/fuzz/ into build-fuzz/ (or $1).
#
# Not part of the CMake build: the library sources are compiled directly
# with clang, instrumented for coverage (-fsanitize=fuzzer) and checked by
# AddressSanitizer (leaks included) and UndefinedBehaviorSanitizer, which
# aborts on the first report.  Asserts stay on (no -DNDEBUG).
#
#   tools/fuzz/build.sh [OUTDIR]        CC=clang-15 tools/fuzz/build.sh
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-"$root/build-fuzz"}
cc=${CC:-clang}
case "$cc" in *clang*) ;; *) cc=clang ;; esac

mkdir -p "$out"
flags="-std=c11 -g -O1 -fno-omit-frame-pointer
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
       -D_POSIX_C_SOURCE=200809L -DBF_VERSION=\"fuzz\" -DBF_SOURCE_REV=\"fuzz\"
       -I$root/include -I$root/src"
libs="-linih -lsqlite3 -lm -lpthread"

# The whole library: every module under src/ except the command line and
# the web server (which needs libevent, jansson and the page CMake embeds;
# the targets never call it), as the CMake glob has it (runner, store and
# report are not called either, but the link stays close to the program's).
srcs=$(ls "$root"/src/*/*.c | grep -v -e '/src/cli/' -e '/src/server/')

for t in fuzz_scenario fuzz_dist; do
    echo "building $out/$t"
    # shellcheck disable=SC2086  # word splitting of flags and srcs is intended
    "$cc" $flags -o "$out/$t" "$here/$t.c" $srcs $libs
done
