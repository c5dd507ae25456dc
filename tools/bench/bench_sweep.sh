#!/usr/bin/env bash
# tools/bench/bench_sweep.sh - how a sweep scales with worker threads, and
# how much of it the results store takes.
#
# Usage: tools/bench/bench_sweep.sh [-n REPEATS] [--build DIR] [--bin BORDERFLOW] [--jobs "1 2"]
#   -n REPEATS    sweeps per configuration; the figures are medians (default 5)
#   --build DIR   CMake build directory (default: build-bench at the top of
#                 the repository); ignored with --bin
#   --bin PATH    use this borderflow instead of building one
#   --jobs LIST   worker counts to compare (default: "1 2"); the first is the
#                 reference of the speed-up
#
# The sweep: the shipped baseline (scenarios/hetao-baseline.ini, 10 simulated
# days, 3 of them warm-up) at two points (the researchers' white-listed share
# at 35% and 70%) x 20 replications = 40 runs, into a fresh store each time:
#
#   borderflow sweep scenarios/hetao-baseline.ini \
#       --vary classes.researcher.whitelisted=35%,70% -r 20 --db FRESH.db -j J
#
# once as sweeps store by default (metrics, histograms, aggregates), and once
# with --series (also every replication's time series, about 15,000 rows a
# replication).  For each it reports runs per second, the speed-up over the
# first worker count, the time spent inside store calls (SQLite, summed over
# the calls; they are serialised), the time workers spent waiting for each
# other's store writes, and the CPU the process got (user + system over
# wall time: 2.0 means two full cores).  "PASS" is a speed-up of at least 1.8
# from 1 to 2 workers.
#
# Speed-ups need the cores to be free: the load average is printed first, and
# a CPU figure well below the worker count means the machine was busy with
# something else (the speed-up is then not the program's).
#
# Exit status: 0 if the sweeps ran (whatever PASS/MISS says), non-zero if
# building or running failed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
repeats=5
build="$top/build-bench"
bin=""
jobs_list="1 2"
while [ $# -gt 0 ]; do
    case "$1" in
    -n) repeats=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --jobs) jobs_list=$2; shift 2 ;;
    -h|--help) sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench_sweep.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done

if [ -z "$bin" ]; then
    echo "== build (Release) in $build"
    cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBF_BUILD_TESTS=OFF >/dev/null
    cmake --build "$build" -j"$(nproc)" --target borderflow >/dev/null
    bin="$build/borderflow"
fi

echo "== machine"
echo "cpu:      $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"
echo "sqlite:   $(sqlite3 --version 2>/dev/null | cut -d' ' -f1 || echo '?')"
echo "revision: $(git -C "$top" describe --always --dirty --tags 2>/dev/null || echo unknown)"
echo "binary:   $bin"

work=$(mktemp -d "${TMPDIR:-/tmp}/bf-bench-sweep.XXXXXX")
trap 'rm -rf "$work"' EXIT
scn="$top/scenarios/hetao-baseline.ini"

# one J SERIES: one sweep into a fresh store; prints
#   runs wall store_s wait_s cpu_s
one() {
    local j=$1 series=$2 db="$work/s.db"
    rm -f "$db" "$db-wal" "$db-shm"
    # The sweep's CPU time: the shell's waited-for children's user and
    # system time (fields 16 and 17 of /proc/PID/stat), before and after.
    local before after
    before=$(awk '{ print $16 + $17 }' /proc/$$/stat)
    # shellcheck disable=SC2086  # $series is empty or one option
    "$bin" sweep "$scn" --vary "classes.researcher.whitelisted=35%,70%" -r 20 \
        --db "$db" -j "$j" $series >/dev/null 2>"$work/err"
    after=$(awk '{ print $16 + $17 }' /proc/$$/stat)
    local line
    line=$(grep "runs in" "$work/err")
    # "borderflow: 40 runs in 2.62 s (15.27 runs/s) on 1 threads, 0 already
    # stored; 0.50 s (19%) in the results store, 0.00 s waiting for it"
    echo "$line" | awk -v ticks="$(getconf CLK_TCK)" -v cpu="$((after - before))" '{
        for (i = 1; i <= NF; i++) {
            if ($i == "runs" && $(i + 1) == "in") { runs = $(i - 1); wall = $(i + 2) }
            if ($i == "in" && $(i + 1) == "the" && $(i + 2) == "results") store = $(i - 3)
            if ($i == "waiting") wait = $(i - 2)
        }
        printf "%s %s %s %s %.2f\n", runs, wall, store, wait, cpu / ticks
    }'
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

printf '\n== 40-run sweep of the baseline (2 points x 20 replications), %s repeats, medians\n' "$repeats"
printf '%-14s %4s %9s %8s %8s %9s %9s %8s %6s\n' store jobs "runs/s" speedup wall_s "sqlite_s" "sqlite%" "wait_s" cpu
for series in "" "--series"; do
    ref=""
    for j in $jobs_list; do
        : >"$work/r"
        for _ in $(seq 1 "$repeats"); do
            one "$j" "$series" >>"$work/r"
        done
        rate=$(awk '{ print $1 / $2 }' "$work/r" | median)
        wall=$(awk '{ print $2 }' "$work/r" | median)
        store=$(awk '{ print $3 }' "$work/r" | median)
        share=$(awk '{ print 100 * $3 / $2 }' "$work/r" | median)
        wait=$(awk '{ print $4 }' "$work/r" | median)
        cpu=$(awk '{ print $5 / $2 }' "$work/r" | median)
        [ -n "$ref" ] || ref=$rate
        speed=$(awk -v a="$rate" -v b="$ref" 'BEGIN { printf "%.2f", a / b }')
        printf '%-14s %4s %9.2f %8s %8.2f %9.2f %8.0f%% %8.2f %6.2f\n' \
            "${series:-default}" "$j" "$rate" "${speed}x" "$wall" "$store" "$share" "$wait" "$cpu"
        echo "BENCH sweep store=${series:-default} jobs=$j runs_per_s=$rate speedup=$speed wall_s=$wall sqlite_s=$store sqlite_share=$share wait_s=$wait cpu=$cpu"
        if [ "$j" = 2 ] && [ "$(echo "$jobs_list" | cut -d' ' -f1)" = 1 ]; then
            verdict=$(awk -v s="$speed" 'BEGIN { print (s >= 1.8) ? "PASS" : "MISS" }')
            echo "   $verdict: 2 workers at ${speed}x the runs per second of 1 (target 1.8x)"
        fi
    done
done
