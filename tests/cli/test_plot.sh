#!/usr/bin/env bash
# test_plot.sh - `borderflow plot` end to end: every chart kind the test
# store supports, in every format, from the shipped baseline scenario
# (small runs); the files have the right magic bytes (PNG signature,
# `<svg`, `%PDF`); the data behind each chart (written with --script)
# matches the store, number for number, through sqlite3 queries; the
# Chinese labels; and every failure: gnuplot missing (BORDERFLOW_GNUPLOT
# and a PATH without gnuplot), an empty or missing store, unknown names,
# chart kinds the store cannot make, bad options.
#
# Usage: bash test_plot.sh PATH_TO_BORDERFLOW SOURCE_DIR
set -u

if [ $# -ne 2 ]; then
    echo "usage: bash $0 PATH_TO_BORDERFLOW SOURCE_DIR" >&2
    exit 2
fi
BF="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
SRC="$(cd "$2" && pwd)"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

SCN="$SRC/scenarios/hetao-baseline.ini"
SMALL=(-r 3 --set simulation.horizon=4d --set simulation.warmup=1d -q)
export BORDERFLOW_GNUPLOT_DIR="$SRC/tools/gnuplot"

for tool in sqlite3 python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        fail "$tool is installed (needed to check the data against the store)"
        finish
    fi
done
HAVE_GNUPLOT=1
command -v gnuplot >/dev/null 2>&1 || HAVE_GNUPLOT=0

# magic FILE FORMAT: the file starts like a FORMAT file.
magic() {
    case "$2" in
    png) [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] ;;
    pdf) [ "$(head -c 4 "$1")" = "%PDF" ] ;;
    svg) head -c 1024 "$1" | grep -q "<svg" ;;
    esac
}

# ---- the store: two runs (fl_vehicle with 2 and 3 lanes) --------------------

bfrun "$T/out" "$T/err" run "$SCN" "${SMALL[@]}" --db "$T/x.db"
check_eq "run 1 into the test store" 0 "$RC"
bfrun "$T/out" "$T/err" run "$SCN" "${SMALL[@]}" --set station.fl_vehicle.servers=3 --db "$T/x.db"
check_eq "run 2 (fl_vehicle 3 servers) into the test store" 0 "$RC"
if [ "$RC" -ne 0 ]; then
    fail "the test store could not be made: nothing else is meaningful" "$(head -c 600 "$T/err")"
    finish
fi

# ---- every kind, every format ------------------------------------------------

# kind|options
CHARTS=(
    "timeseries|--run 1"
    "cdf|--run 1 --target 10min"
    "utilization|--run 1 --target 85%"
    "compare|--run 1,2"
    "sweep|--run 1,2 --scope fl_vehicle --class all --target 5min"
)
if [ "$HAVE_GNUPLOT" = 1 ]; then
    for c in "${CHARTS[@]}"; do
        kind="${c%%|*}"
        # shellcheck disable=SC2206  # options are words on purpose
        opts=(${c#*|})
        for fmt in png svg pdf; do
            f="$T/$kind.$fmt"
            bfrun "$T/out" "$T/err" plot "$T/x.db" --chart "$kind" "${opts[@]}" --out "$f"
            check_eq "plot $kind .$fmt exits 0" 0 "$RC"
            if [ -s "$f" ] && magic "$f" "$fmt"; then
                pass "plot $kind .$fmt has the $fmt magic bytes"
            else
                fail "plot $kind .$fmt has the $fmt magic bytes" "$(head -c 300 "$T/err")"
            fi
        done
        bfrun "$T/out" "$T/err" plot "$T/x.db" --chart "$kind" "${opts[@]}" --lang zh --out "$T/$kind-zh.png"
        check_eq "plot $kind --lang zh exits 0" 0 "$RC"
        magic "$T/$kind-zh.png" png && pass "plot $kind --lang zh is a PNG" || fail "plot $kind --lang zh is a PNG"
    done
    # No partial files are left beside the charts.
    if ls "$T"/*.part-* >/dev/null 2>&1; then
        fail "no .part files left behind" "$(ls "$T"/*.part-*)"
    else
        pass "no .part files left behind"
    fi
    # A real sweep and a real comparison, when this build has those commands.
    if "$BF" --help | grep -q "^  sweep "; then
        bfrun "$T/out" "$T/err" sweep "$SCN" --vary station.fl_vehicle.servers=2,3 -r 2 \
            --set simulation.horizon=3d --set simulation.warmup=1d --db "$T/s.db" -q
        check_eq "borderflow sweep for the sweep chart" 0 "$RC"
        bfrun "$T/out" "$T/err" plot "$T/s.db" --chart sweep --out "$T/sweep-default.png"
        check_eq "plot --chart sweep draws the latest sweep by default" 0 "$RC"
        magic "$T/sweep-default.png" png && pass "latest sweep chart is a PNG" || fail "latest sweep chart is a PNG" "$(cat "$T/err")"
    fi
    if "$BF" --help | grep -q "^  compare "; then
        bfrun "$T/out" "$T/err" compare "$SCN" "$SCN" --policy-set station.sl_check.servers=3 \
            --policy-set 'simulation.title=Three officers' \
            -r 2 --set simulation.horizon=3d --set simulation.warmup=1d --db "$T/c.db" -q
        check_eq "borderflow compare for the compare chart" 0 "$RC"
        bfrun "$T/out" "$T/err" plot "$T/c.db" --chart compare --script "$T/cs" --out "$T/compare-default.png"
        check_eq "plot --chart compare draws the latest comparison by default" 0 "$RC"
        magic "$T/compare-default.png" png && pass "latest comparison chart is a PNG" || fail "latest comparison chart is a PNG" "$(cat "$T/err")"
        # The legend names what the policy changes, not the scenario's title.
        check_contains "compare legend names the changed parameter" "$T/cs/compare-default.gp" \
            "policy: run 2 (station.sl_check.servers=3)"
        if grep -q "simulation.title" "$T/cs/compare-default.gp"; then
            fail "compare legend leaves out the title" "$(grep -m1 series_title "$T/cs/compare-default.gp")"
        else
            pass "compare legend leaves out the title"
        fi
        # Its paired differences are the ones `compare` stored.
        python3 - "$T/c.db" "$T/cs/compare-default.tsv" <<'PY' && pass "compare chart differences equal the stored comparison" || fail "compare chart differences equal the stored comparison"
import re, sqlite3, sys
db = sqlite3.connect(sys.argv[1]); text = open(sys.argv[2], encoding="utf-8").read()
scale = float(re.search(r"x ([0-9.e+-]+); diff", text).group(1))
rows = [l.split("\t") for l in text.split("\n") if l and not l.startswith("#")]
policy = [r for r in rows if r[5] != "NaN"]
assert policy, "no policy rows"
for r in policy:
    d, hw = db.execute("SELECT diff_mean, half_width FROM comparison_results WHERE scope_kind ="
                       " 'class' AND scope = ? AND metric = 'wait_p95'", (r[1],)).fetchone()
    assert abs(float(r[5]) - d * scale) <= 1e-9 * max(1, abs(d * scale)), (r, d)
    if hw is not None:
        assert abs((float(r[7]) - float(r[5])) - hw * scale) <= 1e-9 * max(1, hw * scale), (r, hw)
PY
    fi
else
    echo "skip  gnuplot is not installed: rendering not tested"
fi

# ---- the data behind the charts match the store --------------------------------

script() { # NAME KIND OPTIONS...: writes $T/s/NAME.gp and .tsv
    local name="$1" kind="$2"
    shift 2
    bfrun "$T/out" "$T/err" plot "$T/x.db" --chart "$kind" "$@" --script "$T/s" --out "$name.png"
    check_eq "plot $kind --script writes the script and data" 0 "$RC"
}
script util utilization --run 1
script tsabs timeseries --run 1 --absolute --scope zone
script tsfold timeseries --run 1 --scope fl_check
script cdf cdf --run 1 --scope researcher
script cmp compare --run 1,2 --metric wait_mean --scope fl_vehicle
script sweep sweep --run 1,2 --metric utilization --scope fl_vehicle
check_contains "the script reads its data file" "$T/s/util.gp" 'data_file = "util.tsv"'
check_contains "the script draws to the named file" "$T/s/util.gp" 'out_file = "util.png"'
check_contains "the script embeds the common template" "$T/s/util.gp" "# ---- common.gp ----"
check_contains "the script embeds the kind's template" "$T/s/util.gp" "# ---- utilization.gp ----"
check_contains "the footnote names scenario, replications and seed" "$T/s/util.gp" \
    'scenario hetao-baseline · run 1 · 3 replications · seed 20230905 · borderflow'

python3 - "$T/x.db" "$T/s" > "$T/check.txt" 2>&1 <<'PY'
import math, re, sqlite3, sys
db = sqlite3.connect(sys.argv[1]); d = sys.argv[2]
def blocks(name):
    """The data file's blocks: lists of rows (lists of fields)."""
    out, cur, blank = [], [], 0
    for line in open(f"{d}/{name}.tsv", encoding="utf-8"):
        line = line.rstrip("\n")
        if not line:
            blank += 1
            if blank == 2 and cur:
                out.append(cur); cur = []
            continue
        blank = 0
        if line.startswith("#"):
            continue
        cur.append(line.split("\t"))
    if cur:
        out.append(cur)
    return out
def close(a, b, tol=1e-9):
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)):
        return (a is None or math.isnan(a)) and (b is None or (isinstance(b, float) and math.isnan(b)))
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))
def num(s):
    return float("nan") if s == "NaN" else float(s)
bad = []
def check(what, ok):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        bad.append(what)

# utilization: 100 x the aggregate of every station
rows = [r for b in blocks("util") for r in b]
n_st = db.execute("SELECT count(*) FROM v_aggregates WHERE run_id = 1 AND scope_kind = 'station'"
                  " AND class = '' AND metric = 'utilization'").fetchone()[0]
check("utilization: one bar per station", len(rows) == n_st)
ok = True
for r in rows:
    m, lo, hi = db.execute("SELECT mean, ci_low, ci_high FROM v_aggregates WHERE run_id = 1 AND"
                           " scope_kind = 'station' AND scope = ? AND class = '' AND metric ="
                           " 'utilization'", (r[1],)).fetchone()
    s = db.execute("SELECT mean FROM v_aggregates WHERE run_id = 1 AND scope = ? AND metric ="
                   " 'servers'", (r[1],)).fetchone()[0]
    ok &= close(num(r[3]), 100 * m) and close(num(r[4]), 100 * lo) and close(num(r[5]), 100 * hi)
    ok &= close(num(r[6]), s)
check("utilization: bars and CIs equal 100 x the stored aggregates", ok)

# timeseries, absolute: mean across completed replications at every t
rows = blocks("tsabs")[0]
want = db.execute("SELECT t / 86400.0, avg(value), count(*) FROM v_timeseries WHERE run_id = 1"
                  " AND scope = 'zone' AND metric = 'present' GROUP BY t ORDER BY t").fetchall()
check("timeseries --absolute: one row per sample time", len(rows) == len(want))
check("timeseries --absolute: means equal the store's",
      all(close(num(r[0]), w[0]) and close(num(r[1]), w[1]) and int(r[4]) == w[2]
          for r, w in zip(rows, want)))

# timeseries by time of day: each replication's mean per time of day
# after the warm-up, then the mean of those across replications
rows = blocks("tsfold")[0]
every, warm = db.execute("SELECT sample_every_s, warmup_s FROM runs WHERE id = 1").fetchone()
want = db.execute(
    "WITH per AS (SELECT replication, CAST(round((t % 86400) / ?1) AS INT) % CAST(round(86400 / ?1)"
    " AS INT) AS slot, avg(value) AS v FROM v_timeseries WHERE run_id = 1 AND scope = 'fl_check'"
    " AND metric = 'queue_length' AND t >= ?2 + ?1 / 2 GROUP BY replication, slot)"
    " SELECT slot * ?1 / 3600.0, avg(v), count(*) FROM per GROUP BY slot ORDER BY slot",
    (every, warm)).fetchall()
check("timeseries by hour: a row per time of day, plus 24:00",
      len(rows) == len(want) + 1 and num(rows[-1][0]) == 24)
check("timeseries by hour: means equal the store's folded means",
      all(close(num(r[0]), w[0]) and close(num(r[1]), w[1]) and int(r[4]) == w[2]
          for r, w in zip(rows, want)))
check("timeseries by hour: 24:00 repeats midnight", rows[-1][1:] == rows[0][1:])

# cdf: the pooled histogram, cumulated
rows = blocks("cdf")[0]
want = db.execute("SELECT lo, hi, count FROM v_distributions WHERE run_id = 1 AND scope_kind ="
                  " 'class' AND scope = 'researcher' AND metric = 'wait_mean' ORDER BY lo").fetchall()
total = sum(w[2] for w in want)
check("cdf: a row per stored bucket, after the (0, 0) start",
      len(rows) == len(want) + 1 and rows[0][:2] == ["0", "0"])
cum, ok = 0, True
for r, w in zip(rows[1:], want):
    cum += w[2]
    ok &= close(num(r[2]), w[0]) and close(num(r[3]), w[1]) and int(r[4]) == w[2]
    ok &= close(num(r[1]), 100.0 * cum / total)
check("cdf: buckets, counts and cumulative shares equal the store's", ok)

# compare: base and policy means; paired differences over replications
scale = float(re.search(r"x ([0-9.e+-]+); diff", open(f"{d}/cmp.tsv").read()).group(1))
b = blocks("cmp")
m1 = db.execute("SELECT mean FROM v_aggregates WHERE run_id = 1 AND scope = 'fl_vehicle' AND class"
                " = '' AND metric = 'wait_mean'").fetchone()[0]
m2 = db.execute("SELECT mean FROM v_aggregates WHERE run_id = 2 AND scope = 'fl_vehicle' AND class"
                " = '' AND metric = 'wait_mean'").fetchone()[0]
diff = db.execute("SELECT avg(p.value - b.value) FROM v_rep_metrics b JOIN v_rep_metrics p ON"
                  " p.replication = b.replication AND p.scope = b.scope AND p.class = b.class"
                  " AND p.metric = b.metric WHERE b.run_id = 1 AND p.run_id = 2 AND b.scope ="
                  " 'fl_vehicle' AND b.class = '' AND b.metric = 'wait_mean'").fetchone()[0]
check("compare: bars equal the two runs' aggregates",
      close(num(b[0][0][2]), m1 * scale) and close(num(b[1][0][2]), m2 * scale))
check("compare: the label is the paired difference", close(num(b[1][0][5]), diff * scale))

# sweep: x = the parameter's value, y = the aggregate
rows = blocks("sweep")[0]
ok = len(rows) == 2
for r in rows:
    run = int(r[6])
    srv = db.execute("SELECT value FROM parameters WHERE run_id = ? AND key ="
                     " 'station.fl_vehicle.servers'", (run,)).fetchone()[0]
    m = db.execute("SELECT mean FROM v_aggregates WHERE run_id = ? AND scope = 'fl_vehicle' AND"
                   " class = '' AND metric = 'utilization'", (run,)).fetchone()[0]
    ok &= close(num(r[0]), float(srv)) and close(num(r[1]), 100 * m) and r[5] == srv
check("sweep: points at the parameter values, means equal the aggregates", ok)
sys.exit(1 if bad else 0)
PY
PYRC=$?
while IFS= read -r line; do
    case "$line" in
    "ok    "*) pass "${line#ok    }" ;;
    "FAIL  "*) fail "${line#FAIL  }" ;;
    *) [ -n "$line" ] && fail "data check output" "$line" ;;
    esac
done < "$T/check.txt"
[ "$PYRC" -eq 0 ] || [ -s "$T/check.txt" ] || fail "data checks ran"

# The script re-draws the chart on its own.
if [ "$HAVE_GNUPLOT" = 1 ]; then
    (cd "$T/s" && gnuplot util.gp) >"$T/gp.out" 2>&1
    if [ -s "$T/s/util.png" ] && magic "$T/s/util.png" png; then
        pass "gnuplot NAME.gp in the script folder re-draws the chart"
    else
        fail "gnuplot NAME.gp in the script folder re-draws the chart" "$(head -c 400 "$T/gp.out")"
    fi
fi

# ---- failures ------------------------------------------------------------------

# gnuplot missing: a clear error naming the Debian package, exit 1, no file.
BORDERFLOW_GNUPLOT=/nonexistent/gnuplot bfrun "$T/out" "$T/err" plot "$T/x.db" --chart utilization --out "$T/nognu.png"
check_eq "gnuplot missing (BORDERFLOW_GNUPLOT): exit 1" 1 "$RC"
check_contains "gnuplot missing: names the Debian package" "$T/err" "gnuplot-nox"
[ ! -e "$T/nognu.png" ] && pass "gnuplot missing: no chart file" || fail "gnuplot missing: no chart file"
RC=0
PATH=/nonexistent "$BF" plot "$T/x.db" --chart cdf --out "$T/nopath.png" >"$T/out" 2>"$T/err" </dev/null || RC=$?
check_eq "gnuplot not on PATH: exit 1" 1 "$RC"
check_contains "gnuplot not on PATH: names the Debian package" "$T/err" "sudo apt-get install gnuplot-nox"
# ... while --script still works.
RC=0
PATH=/nonexistent "$BF" plot "$T/x.db" --chart cdf --script "$T/s2" >"$T/out" 2>"$T/err" </dev/null || RC=$?
check_eq "gnuplot not on PATH: --script DIR still works" 0 "$RC"
[ -s "$T/s2/cdf.gp" ] && [ -s "$T/s2/cdf.tsv" ] && pass "--script DIR wrote cdf.gp and cdf.tsv" \
    || fail "--script DIR wrote cdf.gp and cdf.tsv"

# A chart into a folder that does not exist: our message, exit 1.
bfrun "$T/out" "$T/err" plot "$T/x.db" --chart cdf --out "$T/no/such/dir/c.png"
check_eq "--out in a missing folder: exit 1" 1 "$RC"
check_contains "--out in a missing folder: names the file" "$T/err" "cannot write $T/no/such/dir/c.png"

# Stores that cannot make a chart.
: > "$T/empty.db"
bfrun "$T/out" "$T/err" plot "$T/empty.db" --chart utilization --out "$T/e.png"
check_eq "empty store: exit 1" 1 "$RC"
check_contains "empty store: says it has no runs" "$T/err" "no runs"
bfrun "$T/out" "$T/err" plot "$T/missing.db" --chart utilization --out "$T/e.png"
check_eq "missing store: exit 1" 1 "$RC"
check_contains "missing store: names the file" "$T/err" "missing.db"
printf 'not a database at all\n' > "$T/text.db"
bfrun "$T/out" "$T/err" plot "$T/text.db" --chart cdf --out "$T/e.png"
check_eq "a text file as store: exit 1" 1 "$RC"
check_contains "a text file as store: says so" "$T/err" "not a borderflow results store"
bfrun "$T/out" "$T/err" run "$SCN" "${SMALL[@]}" --db "$T/one.db"
bfrun "$T/out" "$T/err" plot "$T/one.db" --chart sweep --out "$T/e.png"
check_eq "sweep on a single run: exit 1" 1 "$RC"
check_contains "sweep on a single run: says what it needs" "$T/err" "sweep"
bfrun "$T/out" "$T/err" plot "$T/one.db" --chart compare --out "$T/e.png"
check_eq "compare on a single run: exit 1" 1 "$RC"
check_contains "compare on a single run: says what it needs" "$T/err" "two runs"
bfrun "$T/out" "$T/err" run "$SCN" "${SMALL[@]}" --no-series --db "$T/noser.db"
bfrun "$T/out" "$T/err" plot "$T/noser.db" --chart timeseries --out "$T/e.png"
check_eq "timeseries of a run without series: exit 1" 1 "$RC"
check_contains "timeseries without series: says so" "$T/err" "no time series"

# Names the store does not have: exit 2 with a suggestion.
bfrun "$T/out" "$T/err" plot "$T/x.db" --chart sweep --run 1,2 --metric wiat_p95 --out "$T/e.png"
check_eq "unknown metric: exit 2" 2 "$RC"
check_contains "unknown metric: suggests the closest" "$T/err" "did you mean 'wait_p95'"
bfrun "$T/out" "$T/err" plot "$T/x.db" --chart utilization --scope fl_chek --out "$T/e.png"
check_eq "unknown scope: exit 2" 2 "$RC"
check_contains "unknown scope: suggests the closest" "$T/err" "did you mean 'fl_check'"
bfrun "$T/out" "$T/err" plot "$T/x.db" --chart utilization --run 9 --out "$T/e.png"
check_eq "unknown run: exit 2" 2 "$RC"
check_contains "unknown run: lists the runs" "$T/err" "runs: 1, 2"
bfrun "$T/out" "$T/err" plot "$T/x.db" --chart cdf --metric throughput --out "$T/e.png"
check_eq "cdf of a non-distribution: exit 2" 2 "$RC"
bfrun "$T/out" "$T/err" plot "$T/x.db" --chart utilization --target 10min --out "$T/e.png"
check_eq "a target in the wrong unit: exit 2" 2 "$RC"
check_contains "a target in the wrong unit: says what it needs" "$T/err" "share such as 85%"

# Bad command lines: exit 2.
bfrun "$T/out" "$T/err" plot "$T/x.db" --chart pie --out "$T/e.png"
check_eq "unknown chart kind: exit 2" 2 "$RC"
check_contains "unknown chart kind: lists the kinds" "$T/err" "timeseries, cdf, utilization, sweep, compare"
bfrun "$T/out" "$T/err" plot "$T/x.db" --chart cdf --out "$T/e.gif"
check_eq "unknown output format: exit 2" 2 "$RC"
bfrun "$T/out" "$T/err" plot "$T/x.db" --chart cdf
check_eq "no --out: exit 2" 2 "$RC"
bfrun "$T/out" "$T/err" plot "$T/x.db" --out "$T/e.png"
check_eq "no --chart: exit 2" 2 "$RC"
bfrun "$T/out" "$T/err" plot --chart cdf --out "$T/e.png"
check_eq "no store: exit 2" 2 "$RC"
bfrun "$T/out" "$T/err" plot "$T/x.db" --chart cdf --lang fr --out "$T/e.png"
check_eq "unknown language: exit 2" 2 "$RC"
bfrun "$T/out" "$T/err" plot "$T/x.db" --chart cdf --run abc --out "$T/e.png"
check_eq "bad --run: exit 2" 2 "$RC"
bfrun "$T/out" "$T/err" plot --help
check_eq "plot --help exits 0" 0 "$RC"
check_contains "plot --help shows the usage" "$T/out" "Usage: borderflow plot STORE"
[ ! -e "$T/e.png" ] && pass "no chart written by any failing command" || fail "no chart written by any failing command"

finish
