#!/usr/bin/env bash
# tools/bench/run.sh - build borderflow (Release) and run its benchmarks.
#
# Usage: tools/bench/run.sh [-n REPEATS] [--build DIR] [--engine]
#   -n REPEATS   runs per figure; the figures are medians (default 5)
#   --build DIR  CMake build directory (default: build-bench at the top of
#                the repository)
#   --engine     also run the event-list hold benchmark (bench_engine)
#
# What it runs (every program prints a "BENCH key=value ..." line, which is
# what the table below is made of):
#   (a) bench_sim tools/bench/mm1.ini         M/M/1, 10 million customers
#       minimal_mm1                           its hand-written yardstick
#   (b) bench_sim tools/bench/two_line.ini    the two-line reference model
#       minimal_two_line                      its hand-written yardstick
#       bench_sim at 0.1x and 10x the horizon  (peak RSS must not grow)
#       bench_sim and minimal_two_line with the zone dwell at 300 and 3000
#       minutes (10x and 100x more pending events)
#
# Rates are entities per second of wall-clock time of the simulation loop,
# single-threaded, with every statistic on.  The CPU-time column is the
# same loop timed with the process CPU clock: on a machine shared with
# other work it is the steadier figure (the load average is printed first
# so that a busy machine shows).
#
# Exit status: 0 if the benchmarks ran (whatever PASS/MISS says), non-zero
# if building or running failed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
repeats=5
build="$top/build-bench"
engine=0
while [ $# -gt 0 ]; do
    case "$1" in
    -n) repeats=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --engine) engine=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done

echo "== build (Release) in $build"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBF_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target bench_sim minimal_mm1 minimal_two_line \
    bench_engine >/dev/null
bin="$build/tools/bench"

echo "== machine"
echo "cpu:     $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"
cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
echo "compiler: $("${cc:-cc}" --version | head -1), $(sed -n 's/^CMAKE_C_FLAGS_RELEASE:[A-Z]*=//p' "$build/CMakeCache.txt") + LTO"
echo "revision: $(git -C "$top" describe --always --dirty --tags 2>/dev/null || echo unknown)"

results=$(mktemp)
trap 'rm -f "$results"' EXIT

# show WORD...: the command line, quoted for the shell, paths relative to
# the top of the repository when they are inside it.
show() {
    local w
    printf '$'
    for w in "$@"; do printf ' %q' "${w#$top/}"; done
    printf '\n'
}

# run TAG COMMAND...: shows and runs a command, keeps its BENCH line.
run() {
    local tag=$1
    shift
    show "$@"
    local out
    out=$("$@")
    local line
    line=$(printf '%s\n' "$out" | grep '^BENCH ')
    printf '%s\n' "$out" | grep -v '^BENCH ' | sed 's/^/    /'
    echo "$tag $line" >>"$results"
}

echo "== runs ($repeats repeats each unless noted)"
run a "$bin/bench_sim" "$here/mm1.ini" -n "$repeats"
run a_min "$bin/minimal_mm1" -n "$repeats"
run b "$bin/bench_sim" "$here/two_line.ini" -n "$repeats"
run b_min "$bin/minimal_two_line" -n "$repeats"
run b_short "$bin/bench_sim" "$here/two_line.ini" -n "$repeats" \
    --set simulation.horizon=10000min --label two_line_0.1x
run b_long "$bin/bench_sim" "$here/two_line.ini" -n 1 \
    --set simulation.horizon=1000000min --label two_line_10x
run b_z300 "$bin/bench_sim" "$here/two_line.ini" -n "$repeats" \
    --set 'delay.zone.time=exp(mean=300min)' --label two_line_dwell300
run b_z3000 "$bin/bench_sim" "$here/two_line.ini" -n "$repeats" \
    --set 'delay.zone.time=exp(mean=3000min)' --label two_line_dwell3000
run b_min_z300 "$bin/minimal_two_line" -n "$repeats" 100000 300
run b_min_z3000 "$bin/minimal_two_line" -n "$repeats" 100000 3000
if [ "$engine" = 1 ]; then
    show "$bin/bench_engine" -n "$repeats"
    "$bin/bench_engine" -n "$repeats" | grep -v '^BENCH ' | sed 's/^/    /'
fi

# field TAG KEY: the value of KEY in TAG's BENCH line.
field() {
    awk -v tag="$1" -v key="$2" '$1 == tag {
        for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == key) print kv[2] } }' \
        "$results"
}

# Everything below is arithmetic on the BENCH lines, done in awk.
awk_eval() { awk "BEGIN { $1 }"; }

a_rate=$(field a entities_per_s)
a_cpu=$(awk_eval "printf \"%.0f\", $(field a entities) / $(field a cpu_s)")
a_min_rate=$(field a_min entities_per_s)
a_min_cpu=$(awk_eval "printf \"%.0f\", $(field a_min entities) / $(field a_min cpu_s)")
b_rate=$(field b entities_per_s)
b_cpu=$(awk_eval "printf \"%.0f\", $(field b entities) / $(field b cpu_s)")
b_min_rate=$(field b_min entities_per_s)
b_min_cpu=$(awk_eval "printf \"%.0f\", $(field b_min entities) / $(field b_min cpu_s)")
b_wall=$(field b wall_s)
b_cpu_s=$(field b cpu_s)
b_n=$(field b entities)
rss_short=$(field b_short peak_rss_kb)
rss_1x=$(field b peak_rss_kb)
rss_long=$(field b_long peak_rss_kb)
z300=$(field b_z300 entities_per_s)
z3000=$(field b_z3000 entities_per_s)
z300_cpu=$(awk_eval "printf \"%.0f\", $(field b_z300 entities) / $(field b_z300 cpu_s)")
z3000_cpu=$(awk_eval "printf \"%.0f\", $(field b_z3000 entities) / $(field b_z3000 cpu_s)")
mz300=$(field b_min_z300 entities_per_s)
mz3000=$(field b_min_z3000 entities_per_s)
mz300_cpu=$(awk_eval "printf \"%.0f\", $(field b_min_z300 entities) / $(field b_min_z300 cpu_s)")
mz3000_cpu=$(awk_eval "printf \"%.0f\", $(field b_min_z3000 entities) / $(field b_min_z3000 cpu_s)")

ok() { if awk_eval "exit !($1)"; then echo PASS; else echo MISS; fi; }
# verdict WALL_CONDITION CPU_CONDITION: PASS or MISS on the wall-clock
# figure, noting when the CPU-time figure disagrees (a busy machine).
verdict() {
    local w c
    w=$(ok "$1")
    c=$(ok "$2")
    if [ "$w" = "$c" ]; then echo "$w"; else echo "$w (CPU time: $c)"; fi
}
M() { awk_eval "printf \"%.2f M\", $1 / 1e6"; }

echo
echo "== results: medians of $repeats runs; rates per second of loop wall-clock time (and CPU time)"
row() { printf '%-40s %-15s %-26s %s\n' "$1" "$2" "$3" "$4"; }
row "figure" "target" "measured: wall (CPU)" "result"
row "(a) M/M/1 customers/s" ">= 15 M" "$(M "$a_rate") ($(M "$a_cpu"))" \
    "$(verdict "$a_rate >= 15e6" "$a_cpu >= 15e6")"
row "    yardstick minimal_mm1" "" "$(M "$a_min_rate") ($(M "$a_min_cpu"))" \
    "ratio $(awk_eval "printf \"%.2f (%.2f)\", $a_rate / $a_min_rate, $a_cpu / $a_min_cpu")"
row "    mean wait, M/M/1 theory 9.0 min" "" \
    "$(awk_eval "printf \"%.3f, minimal %.3f min\", $(field a check_wait_min), $(field a_min check_wait_min)")" ""
row "(b) two-line entities/s" ">= 1.75 M" "$(M "$b_rate") ($(M "$b_cpu"))" \
    "$(verdict "$b_rate >= 1.75e6" "$b_cpu >= 1.75e6")"
row "    loop time per million entities" "< 0.6 s" \
    "$(awk_eval "printf \"%.3f s (%.3f s)\", $b_wall * 1e6 / $b_n, $b_cpu_s * 1e6 / $b_n")" \
    "$(verdict "$b_wall * 1e6 / $b_n < 0.6" "$b_cpu_s * 1e6 / $b_n < 0.6")"
row "    yardstick minimal_two_line" "" "$(M "$b_min_rate") ($(M "$b_min_cpu"))" \
    "ratio $(awk_eval "printf \"%.2f (%.2f)\", $b_rate / $b_min_rate, $b_cpu / $b_min_cpu")"
row "    first-line wait, Erlang C 0.2938" "" \
    "$(awk_eval "printf \"%.4f, minimal %.4f min\", $(field b check_wait_min), $(field b_min check_wait_min)")" ""
row "(b) peak RSS" "< 16 MiB" "$(awk_eval "printf \"%.1f MiB\", $rss_1x / 1024")" \
    "$(ok "$rss_1x < 16384")"
row "    at 0.1x / 1x / 10x horizon" "10x within 10%" \
    "$(awk_eval "printf \"%.1f / %.1f / %.1f MiB\", $rss_short / 1024, $rss_1x / 1024, $rss_long / 1024")" \
    "$(ok "$rss_long <= 1.10 * $rss_short && $rss_long >= 0.90 * $rss_short")"
row "(b) dwell 30 / 300 / 3000 min" "" \
    "$(awk_eval "printf \"%.2f / %.2f / %.2f M\", $b_rate / 1e6, $z300 / 1e6, $z3000 / 1e6")" ""
row "    CPU time" "" \
    "$(awk_eval "printf \"%.2f / %.2f / %.2f M\", $b_cpu / 1e6, $z300_cpu / 1e6, $z3000_cpu / 1e6")" ""
row "    slowdown at 100x pending events" "<= 2x" \
    "$(awk_eval "printf \"%.2fx (%.2fx)\", $b_rate / $z3000, $b_cpu / $z3000_cpu")" \
    "$(verdict "$b_rate / $z3000 <= 2" "$b_cpu / $z3000_cpu <= 2")"
row "    yardstick at dwell 30 / 300 / 3000" "" \
    "$(awk_eval "printf \"%.2f / %.2f / %.2f M\", $b_min_rate / 1e6, $mz300 / 1e6, $mz3000 / 1e6")" \
    "$(awk_eval "printf \"slowdown %.2fx\", $b_min_rate / $mz3000")"
row "    CPU time" "" \
    "$(awk_eval "printf \"%.2f / %.2f / %.2f M\", $b_min_cpu / 1e6, $mz300_cpu / 1e6, $mz3000_cpu / 1e6")" \
    "$(awk_eval "printf \"slowdown %.2fx\", $b_min_cpu / $mz3000_cpu")"
echo
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"
