#!/usr/bin/env bash
# test_export.sh - `borderflow export` end to end: every table in every
# format from a small store of the shipped baseline, checked against the
# store with sqlite3 (row counts, values, the identifying columns every
# row carries), parsed back as CSV and JSON; --out (format from the
# extension, no partial file on failure); that it needs no gnuplot; and
# the failures (empty, missing or foreign store, unknown run or table).
#
# Usage: bash test_export.sh PATH_TO_BORDERFLOW SOURCE_DIR
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
SMALL=(-r 3 --set simulation.horizon=2d --set simulation.warmup=1d -q)

for tool in sqlite3 python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        fail "$tool is installed (needed to check the export against the store)"
        finish
    fi
done
sql() {
    sqlite3 -batch -noheader "$T/x.db" "$1"
}

bfrun "$T/out" "$T/err" run "$SCN" "${SMALL[@]}" --db "$T/x.db"
check_eq "run 1 into the test store" 0 "$RC"
bfrun "$T/out" "$T/err" run "$SCN" "${SMALL[@]}" --set station.fl_vehicle.servers=3 --db "$T/x.db"
check_eq "run 2 into the test store" 0 "$RC"
if [ "$RC" -ne 0 ]; then
    fail "the test store could not be made: nothing else is meaningful" "$(head -c 600 "$T/err")"
    finish
fi

# ---- summary (default): the latest run, one row per aggregate -------------------

bfrun "$T/sum.tsv" "$T/err" export "$T/x.db"
check_eq "export (default summary) exits 0" 0 "$RC"
check_eq "summary header" \
    "run_id	scenario	overrides	scope_kind	scope	class	metric	unit	n	mean	sd	half_width	ci_low	ci_high" \
    "$(head -1 "$T/sum.tsv")"
check_eq "summary: one row per aggregate of the latest run" \
    "$(sql "SELECT count(*) + 1 FROM aggregates WHERE run_id = 2")" "$(n_lines "$T/sum.tsv")"
check_eq "summary: every row names run 2 and its override" "$(($(n_lines "$T/sum.tsv") - 1))" \
    "$(grep -c "^2	hetao-baseline	simulation.horizon=2d; simulation.warmup=1d; station.fl_vehicle.servers=3" "$T/sum.tsv")"

# ---- every table, every format, checked against the store ------------------------

for what in summary replications timeseries distributions parameters runs; do
    for fmt in tsv csv json; do
        bfrun "$T/$what.$fmt" "$T/err" export "$T/x.db" --all --what "$what" --format "$fmt"
        check_eq "export --what $what --format $fmt exits 0" 0 "$RC"
    done
done

python3 - "$T/x.db" "$T" > "$T/check.txt" 2>&1 <<'PY'
import csv, json, math, sqlite3, sys
db = sqlite3.connect(sys.argv[1]); d = sys.argv[2]
bad = []
def check(what, ok):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        bad.append(what)
def load(what, fmt):
    p = f"{d}/{what}.{fmt}"
    if fmt == "json":
        return json.load(open(p, encoding="utf-8"))
    with open(p, encoding="utf-8", newline="") as f:
        if fmt == "csv":
            return list(csv.DictReader(f))
        lines = f.read().split("\n")
        head = lines[0].split("\t")
        return [dict(zip(head, l.split("\t"))) for l in lines[1:] if l]
def val(x):
    if x is None or x == "":
        return None
    return float(x)
def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))

counts = {
    "summary": "SELECT count(*) FROM aggregates",
    "replications": "SELECT count(*) FROM v_rep_metrics",
    "timeseries": "SELECT count(*) FROM v_timeseries",
    "distributions": "SELECT count(*) FROM v_distributions",
    "parameters": "SELECT count(*) FROM parameters",
    "runs": "SELECT count(*) FROM runs",
}
data = {}
for what, q in counts.items():
    n = db.execute(q).fetchone()[0]
    for fmt in ("tsv", "csv", "json"):
        rows = load(what, fmt)
        data[(what, fmt)] = rows
        check(f"{what} {fmt}: one row per stored row ({n})", len(rows) == n)
    # The three formats say the same.
    t, c, j = (data[(what, f)] for f in ("tsv", "csv", "json"))
    ok = len(t) == len(c) == len(j)
    for tr, cr, jr in zip(t, c, j):
        for k in jr:
            a, b = tr.get(k), cr.get(k)
            if a != b and not (a and b and close(val(a), val(b))):
                ok = False
            v = jr[k]
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                ok &= close(float(v), val(a))
    check(f"{what}: TSV, CSV and JSON agree", ok)

# Every row carries where it came from: run id, scenario, overrides and,
# with several runs, the varied parameter as a column.
for what in ("summary", "replications", "timeseries", "distributions"):
    rows = data[(what, "csv")]
    ok = all(r["run_id"] in ("1", "2") and r["scenario"] == "hetao-baseline" for r in rows)
    ok &= all(r["station.fl_vehicle.servers"] == ("2" if r["run_id"] == "1" else "3") for r in rows)
    ok &= all(("station.fl_vehicle.servers=3" in r["overrides"]) == (r["run_id"] == "2") for r in rows)
    check(f"{what}: every row names its run, scenario, overrides and varied parameter", ok)

# Values equal the store's.
ok = True
for r in data[("summary", "tsv")]:
    m = db.execute("SELECT a.mean, a.half_width, a.n FROM metric_keys k JOIN aggregates a ON"
                   " a.run_id = k.run_id AND a.key_index = k.key_index WHERE k.run_id = ? AND"
                   " k.scope_kind = ? AND k.scope = ? AND k.class = ? AND k.metric = ?",
                   (int(r["run_id"]), r["scope_kind"], r["scope"], r["class"], r["metric"])).fetchone()
    ok &= close(val(r["mean"]), m[0]) and close(val(r["half_width"]), m[1]) and int(r["n"]) == m[2]
check("summary: means, half-widths and n equal the store's", ok)
ok = True
want = db.execute("SELECT run_id, replication, scope_kind, scope, class, metric, value FROM"
                  " v_rep_metrics ORDER BY run_id, replication").fetchall()
got = {(int(r["run_id"]), int(r["replication"]), r["scope_kind"], r["scope"], r["class"],
        r["metric"]): val(r["value"]) for r in data[("replications", "csv")]}
for w in want:
    ok &= w[:6] in got and close(got[w[:6]], w[6])
check("replications: every value equals the store's", ok)
rows = data[("timeseries", "json")]
want = db.execute("SELECT sum(value), sum(t) FROM v_timeseries").fetchone()
check("timeseries: sums of values and times equal the store's",
      close(sum(r["value"] for r in rows if r["value"] is not None), want[0])
      and close(sum(r["t_s"] for r in rows), want[1]))
rows = data[("distributions", "tsv")]
by_key = {}
for r in rows:
    by_key.setdefault((r["run_id"], r["scope_kind"], r["scope"], r["class"], r["quantity"]), []).append(r)
ok = len(by_key) == db.execute("SELECT count(*) FROM (SELECT DISTINCT run_id, key_index FROM"
                               " distributions)").fetchone()[0]
for rs in by_key.values():
    ok &= close(val(rs[-1]["cum_share"]), 1.0)
    ok &= all(val(a["lo"]) < val(b["lo"]) for a, b in zip(rs, rs[1:]))
check("distributions: one block per histogram, buckets in order, cumulative share ending at 1", ok)
runs = data[("runs", "json")]
check("runs: provenance (command line, seed as text, version)",
      all(r["seed"] == "20230905" and "run" in r["command_line"] and r["borderflow_version"]
          for r in runs))
sys.exit(1 if bad else 0)
PY
while IFS= read -r line; do
    case "$line" in
    "ok    "*) pass "${line#ok    }" ;;
    "FAIL  "*) fail "${line#FAIL  }" ;;
    *) [ -n "$line" ] && fail "export check output" "$line" ;;
    esac
done < "$T/check.txt"

# ---- --out: the format from the extension; no gnuplot needed -----------------------

RC=0
PATH=/nonexistent BORDERFLOW_GNUPLOT=/nonexistent "$BF" export "$T/x.db" --run 1 --what replications \
    --out "$T/reps.csv" >"$T/out" 2>"$T/err" </dev/null || RC=$?
check_eq "export --out works without gnuplot" 0 "$RC"
check_eq "export --out FILE.csv writes CSV" "run_id,scenario,overrides,replication" "$(head -1 "$T/reps.csv" | cut -d, -f1-4)"
bfrun "$T/out" "$T/err" export "$T/x.db" --run 1,2 --what runs --out "$T/runs.json"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert [r['run_id'] for r in d] == [1, 2]" "$T/runs.json" \
    && pass "export --run 1,2 --out FILE.json writes those runs as JSON" \
    || fail "export --run 1,2 --out FILE.json writes those runs as JSON"
if ls "$T"/*.part-* >/dev/null 2>&1; then fail "no .part files left"; else pass "no .part files left"; fi

# ---- failures ------------------------------------------------------------------------

: > "$T/empty.db"
bfrun "$T/out" "$T/err" export "$T/empty.db"
check_eq "empty store: exit 1" 1 "$RC"
check_contains "empty store: says it has no runs" "$T/err" "no runs"
bfrun "$T/out" "$T/err" export "$T/nothere.db"
check_eq "missing store: exit 1" 1 "$RC"
[ ! -e "$T/nothere.db" ] && pass "a missing store is not created" || fail "a missing store is not created"
printf 'id,name\n1,x\n' > "$T/notes.csv"
bfrun "$T/out" "$T/err" export "$T/notes.csv"
check_eq "not a store: exit 1" 1 "$RC"
check_contains "not a store: says so" "$T/err" "not a borderflow results store"
bfrun "$T/out" "$T/err" export "$T/x.db" --run 7 --out "$T/bad.tsv"
check_eq "unknown run: exit 2" 2 "$RC"
check_contains "unknown run: lists the runs" "$T/err" "runs: 1, 2"
[ ! -e "$T/bad.tsv" ] && pass "unknown run: no output file" || fail "unknown run: no output file"
bfrun "$T/out" "$T/err" export "$T/x.db" --what sumary
check_eq "unknown table: exit 2" 2 "$RC"
check_contains "unknown table: suggests the closest" "$T/err" "did you mean 'summary'"
bfrun "$T/out" "$T/err" export "$T/x.db" --format xml
check_eq "unknown format: exit 2" 2 "$RC"
bfrun "$T/out" "$T/err" export "$T/x.db" --all --run 1
check_eq "--all with --run: exit 2" 2 "$RC"
bfrun "$T/out" "$T/err" export
check_eq "no store: exit 2" 2 "$RC"
bfrun "$T/out" "$T/err" export --help
check_eq "export --help exits 0" 0 "$RC"
check_contains "export --help shows the usage" "$T/out" "Usage: borderflow export STORE"
check_eq "the store is unchanged by every export" "ok" "$(sql "PRAGMA quick_check")"

finish
