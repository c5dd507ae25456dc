#!/usr/bin/env bash
# test_cli.sh - end-to-end tests of the borderflow command line.
#
# Usage: bash test_cli.sh PATH_TO_BORDERFLOW SOURCE_DIR
#
# Covers: help and version; usage errors (exit 2) with suggestions; a
# missing scenario file; `check` on the shipped scenario; a short run into
# a fresh store (one run, status 'done', integrity ok); a second run that
# leaves the first untouched; determinism of the printed summary and of
# the stored per-replication values across runs and thread counts; the
# tsv, csv and json formats; --set reaching the output; a --db that is not
# a database (exit 1, file unchanged); and SIGINT (exit 130, finished
# replications kept, status 'canceled').
#
# Every run writes into a scratch directory; nothing is written to the
# source tree.
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
# A short version of the baseline: two replications of two days.
SHORT=(-r 2 --set simulation.horizon=2d --set simulation.warmup=4h)

for tool in sqlite3 python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        fail "$tool is installed (needed to inspect the store / parse output)"
        finish
    fi
done

# sql DB QUERY: one query, output as plain text, no header.
sql() {
    sqlite3 -batch -noheader "$1" "$2"
}

# The exit status must not be a crash for any of the checks below; this
# records it once per invocation so a crash is never hidden behind a
# failing content check.
no_crash() {
    if is_crash "$RC" && [ "$RC" -ne 130 ]; then
        fail "$1: no crash" "exit status $RC" "stderr: $(head -c 600 "$T/err")"
    fi
}

# ---- help and version ------------------------------------------------------

for opt in --help -h; do
    bfrun "$T/out" "$T/err" "$opt"
    check_eq "borderflow $opt exits 0" 0 "$RC"
    check_contains "borderflow $opt prints usage" "$T/out" "Usage: borderflow COMMAND"
    check_contains "borderflow $opt lists the run command" "$T/out" "run "
done
for opt in --version -V version; do
    bfrun "$T/out" "$T/err" "$opt"
    check_eq "borderflow $opt exits 0" 0 "$RC"
    if grep -qE '^borderflow [0-9]+\.[0-9]+\.[0-9]+' "$T/out"; then
        pass "borderflow $opt prints 'borderflow X.Y.Z'"
    else
        fail "borderflow $opt prints 'borderflow X.Y.Z'" "got: $(head -c 200 "$T/out")"
    fi
done
# The revision in the provenance is the commit the binary was built from,
# not the one CMake was configured at (it is written at every build).  The
# '-dirty' mark is left out of the comparison: editing a file after the
# build changes it without making the binary stale.
if rev=$(git -C "$SRC" describe --always --tags 2>/dev/null); then
    bfrun "$T/out" "$T/err" version
    got=$(sed -n 's/^borderflow [^ ]* (\(.*\))$/\1/p' "$T/out")
    check_eq "version names the checked-out commit" "$rev" "${got%-dirty}"
fi
for cmd in run check; do
    bfrun "$T/out" "$T/err" "$cmd" --help
    check_eq "borderflow $cmd --help exits 0" 0 "$RC"
    check_contains "borderflow $cmd --help prints usage" "$T/out" "Usage: borderflow $cmd SCENARIO"
    bfrun "$T/out" "$T/err" help "$cmd"
    check_eq "borderflow help $cmd exits 0" 0 "$RC"
    check_contains "borderflow help $cmd prints usage" "$T/out" "Usage: borderflow $cmd SCENARIO"
done

# ---- usage errors: exit 2 --------------------------------------------------

bfrun "$T/out" "$T/err" 
check_eq "borderflow with no arguments exits 2" 2 "$RC"
check_contains "borderflow with no arguments prints usage on stderr" "$T/err" "Usage: borderflow"

for pair in rn:run chek:check runn:run; do
    typo=${pair%%:*} want=${pair#*:}
    bfrun "$T/out" "$T/err" "$typo" "$SCN"
    check_eq "unknown command '$typo' exits 2" 2 "$RC"
    check_contains "unknown command '$typo' suggests '$want'" "$T/err" "did you mean '$want'?"
done
bfrun "$T/out" "$T/err" frobnicate
check_eq "unknown command 'frobnicate' exits 2" 2 "$RC"
check_contains "unknown command names the command" "$T/err" "unknown command 'frobnicate'"

bfrun "$T/out" "$T/err" run
check_eq "run without a scenario exits 2" 2 "$RC"
check_contains "run without a scenario says so" "$T/err" "missing SCENARIO file"
bfrun "$T/out" "$T/err" check
check_eq "check without a scenario exits 2" 2 "$RC"
bfrun "$T/out" "$T/err" check "$SCN" "$SCN"
check_eq "check with two scenarios exits 2" 2 "$RC"
bfrun "$T/out" "$T/err" run "$SCN" --no-db --bogus
check_eq "run with an unknown option exits 2" 2 "$RC"
check_contains "run with an unknown option names it" "$T/err" "--bogus"
bfrun "$T/out" "$T/err" run "$SCN" --no-db -j 0
check_eq "run -j 0 exits 2" 2 "$RC"
check_contains "run -j 0 says what -j needs" "$T/err" "--jobs needs a whole number"
bfrun "$T/out" "$T/err" run "$SCN" --no-db --format xml
check_eq "run --format xml exits 2" 2 "$RC"
check_contains "run --format xml lists the formats" "$T/err" "table, tsv, csv or json"

# Bad values given through options are scenario errors (exit 3).
(cd "$T" && bfrun "$T/out" "$T/err" run "$SCN" --no-db -q -r 0; exit "$RC")
RC=$?
no_crash "run -r 0"
check_eq "run -r 0 exits 3" 3 "$RC"
check_contains "run -r 0 names replications" "$T/err" "replications"
(cd "$T" && bfrun "$T/out" "$T/err" run "$SCN" --no-db -q --seed -1; exit "$RC")
RC=$?
check_eq "run --seed -1 exits 3" 3 "$RC"
check_contains "run --seed -1 names the seed" "$T/err" "seed"

# ---- a scenario file that is not there --------------------------------------

# The exit statuses `check --help` documents ("Exit status: 0 valid, 2 ...").
bfrun "$T/out" "$T/err" check --help
documented=$(sed -n '/^Exit status:/,/^$/p' "$T/out" | grep -oE '(^|[ ,])[0-9]+ ' | tr -d ' ,' | tr '\n' ' ')

missing="$T/no-such-scenario.ini"
for cmd in check run; do
    if [ "$cmd" = run ]; then
        (cd "$T" && bfrun "$T/out" "$T/err" run "$missing" --no-db -q; exit "$RC")
    else
        (cd "$T" && bfrun "$T/out" "$T/err" check "$missing"; exit "$RC")
    fi
    RC=$?
    no_crash "$cmd on a missing file"
    if [ "$RC" -ne 0 ] && ! is_crash "$RC"; then
        pass "$cmd on a missing file fails (exit $RC)"
    else
        fail "$cmd on a missing file fails" "exit status $RC"
    fi
    check_eq "$cmd on a missing file: stderr is one line" 1 "$(n_lines "$T/err")"
    check_contains "$cmd on a missing file names the file" "$T/err" "borderflow: $missing: "
    check_contains "$cmd on a missing file says why" "$T/err" "No such file"
done
# check documents 0, 2 and 3 only; a missing file must use one of them (or
# the help must document the status it does use).
(bfrun "$T/out" "$T/err" check "$missing"; exit "$RC")
RC=$?
case " $documented " in
*" $RC "*) pass "check on a missing file uses a documented exit status ($RC in: $documented)" ;;
*) fail "check on a missing file uses a documented exit status" \
    "exit status $RC; 'check --help' documents: $documented" ;;
esac
(cd "$T" && bfrun "$T/out" "$T/err" check "$T"; exit "$RC")
RC=$?
no_crash "check on a directory"
if [ "$RC" -ne 0 ] && grep -qF "borderflow: $T: " "$T/err"; then
    pass "check on a directory fails and names it (exit $RC)"
else
    fail "check on a directory fails and names it" "exit $RC: $(head -c 300 "$T/err")"
fi

# ---- check on the shipped scenario ----------------------------------------

bfrun "$T/out" "$T/err" check "$SCN"
check_eq "check hetao-baseline.ini exits 0" 0 "$RC"
check_contains "check hetao-baseline.ini ends with OK" "$T/out" "$SCN: OK"
# Every station and delay of the file appears in the description.
n_nodes=0
missing_nodes=()
while read -r kind name; do
    n_nodes=$((n_nodes + 1))
    grep -qE "^  $kind $name( |\$)" "$T/out" || missing_nodes+=("$kind $name")
done < <(sed -nE 's/^\[(station|delay)[[:space:]]+([A-Za-z0-9_-]+)\][[:space:]]*$/\1 \2/p' "$SCN")
if [ "$n_nodes" -gt 0 ] && [ "${#missing_nodes[@]}" -eq 0 ]; then
    pass "check prints all $n_nodes stations and delays"
else
    fail "check prints all stations and delays" "missing: ${missing_nodes[*]:-} (of $n_nodes)"
fi
check_contains "check prints fl_cargo with its servers" "$T/out" "station fl_cargo  (line first, 2 servers"
check_eq "check hetao-baseline.ini writes nothing to stderr" 0 "$(n_lines "$T/err")"

bfrun "$T/out" "$T/err" check "$SCN" --set station.fl_cargo.servers=8
check_eq "check --set station.fl_cargo.servers=8 exits 0" 0 "$RC"
check_contains "check --set servers=8 shows 8 servers" "$T/out" "station fl_cargo  (line first, 8 servers"
# servers given with --set replaces a staffing schedule from the file.
bfrun "$T/out" "$T/err" check "$SCN" --set station.fl_check.servers=9
check_eq "check --set servers on a scheduled station exits 0" 0 "$RC"
check_contains "--set servers replaces the schedule" "$T/out" "station fl_check  (line first, 9 servers"

# ---- a short run into a fresh store ----------------------------------------

DB="$T/x.db"
bfrun "$T/out" "$T/err" run "$SCN" "${SHORT[@]}" --db "$DB"
no_crash "first run"
check_eq "short run exits 0" 0 "$RC"
check_contains "short run prints the stations table" "$T/out" "Stations"
if grep -qE '^  fl_cargo +first +2 ' "$T/out"; then
    pass "short run table has fl_cargo with 2 servers"
else
    fail "short run table has fl_cargo with 2 servers" "$(grep fl_cargo "$T/out" | head -3)"
fi
check_contains "short run says where it stored the run" "$T/out" "as run 1"
if [ -f "$DB" ]; then
    pass "short run created the store"
    check_eq "store integrity" ok "$(sql "$DB" 'PRAGMA integrity_check')"
    check_eq "store has one run" 1 "$(sql "$DB" 'SELECT count(*) FROM runs')"
    check_eq "run 1 status is done" "done" "$(sql "$DB" 'SELECT status FROM runs WHERE id = 1')"
    check_eq "run 1 has 2 replications" 2 "$(sql "$DB" 'SELECT count(*) FROM replications WHERE run_id = 1')"
    n_agg=$(sql "$DB" 'SELECT count(*) FROM v_aggregates WHERE run_id = 1')
    if [ "${n_agg:-0}" -gt 0 ]; then
        pass "run 1 has aggregates ($n_agg)"
    else
        fail "run 1 has aggregates" "v_aggregates rows: ${n_agg:-?}"
    fi
    check_eq "every replication has every metric" 0 "$(sql "$DB" \
        'SELECT (SELECT count(*) FROM replications WHERE run_id = 1) *
                (SELECT count(*) FROM metric_keys WHERE run_id = 1)
              - (SELECT count(*) FROM rep_metrics WHERE run_id = 1)')"
    check_eq "the servers of fl_cargo are stored as 2" 2 "$(sql "$DB" \
        "SELECT printf('%g', mean) FROM v_aggregates WHERE run_id = 1 AND scope_kind = 'station'
           AND scope = 'fl_cargo' AND class = '' AND metric = 'servers'")"
else
    fail "short run created the store" "$DB"
fi

# A fingerprint of everything stored for one run.
run_snapshot() {
    sql "$1" "
      SELECT 'run', id, uid, status, started_at, finished_at, seed, overrides FROM runs WHERE id = $2;
      SELECT 'param', key, value FROM parameters WHERE run_id = $2 ORDER BY key;
      SELECT 'key', key_index, scope_kind, scope, class, metric, unit FROM metric_keys WHERE run_id = $2 ORDER BY key_index;
      SELECT 'rep', replication, events, completed_at FROM replications WHERE run_id = $2 ORDER BY replication;
      SELECT 'value', replication, key_index, quote(value) FROM rep_metrics WHERE run_id = $2 ORDER BY replication, key_index;
      SELECT 'agg', key_index, n, quote(mean), quote(half_width) FROM aggregates WHERE run_id = $2 ORDER BY key_index;
      SELECT 'series', count(*), quote(sum(value)) FROM timeseries WHERE run_id = $2;
      SELECT 'dist', count(*), sum(count) FROM distributions WHERE run_id = $2;" | md5sum
}

# ---- a second run adds, and leaves the first alone -------------------------

before=$(run_snapshot "$DB" 1)
bfrun "$T/out" "$T/err" run "$SCN" "${SHORT[@]}" --db "$DB"
no_crash "second run"
check_eq "second run exits 0" 0 "$RC"
check_contains "second run is run 2" "$T/out" "as run 2"
check_eq "store has runs 1 and 2" "1 2" "$(sql "$DB" 'SELECT id FROM runs ORDER BY id' | tr '\n' ' ' | sed 's/ $//')"
check_eq "run 2 status is done" "done" "$(sql "$DB" 'SELECT status FROM runs WHERE id = 2')"
check_eq "run 1 is untouched by run 2" "$before" "$(run_snapshot "$DB" 1)"
check_eq "store integrity after two runs" ok "$(sql "$DB" 'PRAGMA integrity_check')"

# same_values DB A B: rows of rep_metrics (and key definitions) in run A
# but not in B and the reverse; prints the number of differing rows.
same_values() {
    sql "$1" "
      SELECT (SELECT count(*) FROM (
                SELECT replication, key_index, value FROM rep_metrics WHERE run_id = $2
                EXCEPT SELECT replication, key_index, value FROM rep_metrics WHERE run_id = $3))
           + (SELECT count(*) FROM (
                SELECT replication, key_index, value FROM rep_metrics WHERE run_id = $3
                EXCEPT SELECT replication, key_index, value FROM rep_metrics WHERE run_id = $2))
           + (SELECT count(*) FROM (
                SELECT key_index, scope_kind, scope, class, metric FROM metric_keys WHERE run_id = $2
                EXCEPT SELECT key_index, scope_kind, scope, class, metric FROM metric_keys WHERE run_id = $3))
           + (SELECT count(*) FROM (
                SELECT key_index, scope_kind, scope, class, metric FROM metric_keys WHERE run_id = $3
                EXCEPT SELECT key_index, scope_kind, scope, class, metric FROM metric_keys WHERE run_id = $2))"
}
check_eq "runs 1 and 2 stored identical per-replication values" 0 "$(same_values "$DB" 1 2)"

# ---- determinism of the summary, and across thread counts -------------------

DB2="$T/det.db"
i=0
for jobs in 2 2 1 2; do
    i=$((i + 1))
    bfrun "$T/det$i.tsv" "$T/err" run "$SCN" "${SHORT[@]}" -r 3 --format tsv -j "$jobs" --db "$DB2" -q
    no_crash "determinism run $i"
    check_eq "determinism run $i (-j $jobs) exits 0" 0 "$RC"
done
if [ -s "$T/det1.tsv" ] && cmp -s "$T/det1.tsv" "$T/det2.tsv"; then
    pass "same run twice: identical tsv output"
else
    fail "same run twice: identical tsv output" "$(diff "$T/det1.tsv" "$T/det2.tsv" | head -5)"
fi
if [ -s "$T/det3.tsv" ] && cmp -s "$T/det3.tsv" "$T/det4.tsv"; then
    pass "-j 1 and -j 2: identical tsv output"
else
    fail "-j 1 and -j 2: identical tsv output" "$(diff "$T/det3.tsv" "$T/det4.tsv" | head -5)"
fi
if cmp -s "$T/det1.tsv" "$T/det3.tsv"; then
    pass "-j 2 and -j 1: identical tsv output"
else
    fail "-j 2 and -j 1: identical tsv output" "$(diff "$T/det1.tsv" "$T/det3.tsv" | head -5)"
fi
n_vals=$(sql "$DB2" 'SELECT count(*) FROM rep_metrics WHERE run_id = 1')
if [ "${n_vals:-0}" -gt 0 ]; then
    pass "determinism store holds per-replication values ($n_vals per run)"
else
    fail "determinism store holds per-replication values" "${n_vals:-?}"
fi
check_eq "same run twice: identical stored values" 0 "$(same_values "$DB2" 1 2)"
check_eq "-j 1 vs -j 2: identical stored values" 0 "$(same_values "$DB2" 3 4)"
check_eq "-j 2 vs -j 1: identical stored values" 0 "$(same_values "$DB2" 1 3)"
check_eq "a different seed gives different values" 1 "$(
    bfrun "$T/seed.tsv" "$T/err" run "$SCN" "${SHORT[@]}" -r 3 --format tsv --seed 7 --no-db -q
    cmp -s "$T/seed.tsv" "$T/det1.tsv"; echo $?)"

# ---- output formats --------------------------------------------------------

# The tsv from above; csv and json of the same run.
for fmt in csv json; do
    bfrun "$T/out.$fmt" "$T/err" run "$SCN" "${SHORT[@]}" -r 3 --format "$fmt" --no-db -q
    no_crash "--format $fmt"
    check_eq "--format $fmt exits 0" 0 "$RC"
done
if python3 -m json.tool "$T/out.json" >/dev/null 2>"$T/pyerr"; then
    pass "--format json parses (python3 -m json.tool)"
else
    fail "--format json parses (python3 -m json.tool)" "$(head -c 300 "$T/pyerr")"
fi
# Strict JSON (no NaN or Infinity literals, which json.tool lets through)
# also where metrics are undefined: one replication (no half-width) and a
# station nobody visits (no waits).
bfrun "$T/strict.json" "$T/err" run "$SCN" -r 1 --set simulation.horizon=2d --set simulation.warmup=4h \
    --set 'station.sl_check.inspect=0% -> sl_secondary' --format json --no-db -q
check_eq "--format json with undefined metrics exits 0" 0 "$RC"
if python3 - "$T/out.json" "$T/strict.json" >"$T/pyout" 2>&1 <<'EOF2'; then
import json, sys
def refuse(c):
    raise ValueError("non-standard JSON constant " + c)
for path in sys.argv[1:]:
    with open(path) as f:
        json.load(f, parse_constant=refuse)
EOF2
    pass "--format json is strict JSON (no NaN/Infinity), also with undefined metrics"
else
    fail "--format json is strict JSON (no NaN/Infinity)" "$(tail -c 400 "$T/pyout")"
fi

# The same metrics, with the same means, in all three formats.
if python3 - "$T/det1.tsv" "$T/out.csv" "$T/out.json" >"$T/pyout" 2>&1 <<'EOF'; then
import csv, json, sys
tsv_path, csv_path, json_path = sys.argv[1:4]
with open(tsv_path, newline="") as f:
    t = list(csv.reader(f, delimiter="\t"))
with open(csv_path, newline="") as f:
    c = list(csv.reader(f))
with open(json_path) as f:
    j = json.load(f)
assert len(t) > 1, "tsv is empty"
assert all(len(r) == len(t[0]) for r in t), "tsv rows have different widths"
assert all(len(r) == len(c[0]) for r in c), "csv rows have different widths"
assert t == c, "tsv and csv differ: %r vs %r" % (t[:2], c[:2])
hdr = t[0]
metrics = j["metrics"]
assert len(metrics) == len(t) - 1, "json has %d metrics, tsv %d" % (len(metrics), len(t) - 1)
for row, m in zip(t[1:], metrics):
    r = dict(zip(hdr, row))
    for k in ("scope_kind", "scope", "class", "metric", "unit"):
        assert r[k] == m[k], (k, r, m)
    if r["mean"] not in ("", "nan") and m["mean"] is not None:
        assert abs(float(r["mean"]) - float(m["mean"])) <= 1e-9 * max(1.0, abs(float(r["mean"]))), (r, m)
print("ok", len(metrics))
EOF
    pass "tsv, csv and json list the same metrics and means ($(cat "$T/pyout"))"
else
    fail "tsv, csv and json list the same metrics and means" "$(tail -c 600 "$T/pyout")"
fi

# ---- --set reaches the output ---------------------------------------------

servers_of() { # TSV_FILE: the servers metric of station fl_cargo
    awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        $col["scope_kind"] == "station" && $col["scope"] == "fl_cargo" &&
        $col["class"] == "" && $col["metric"] == "servers" { print $col["mean"] }' "$1"
}
check_eq "baseline tsv: fl_cargo has 2 servers" 2 "$(servers_of "$T/det1.tsv")"
bfrun "$T/set.tsv" "$T/err" run "$SCN" "${SHORT[@]}" --set station.fl_cargo.servers=8 --format tsv --no-db -q
check_eq "run --set station.fl_cargo.servers=8 exits 0" 0 "$RC"
check_eq "run --set station.fl_cargo.servers=8: tsv shows 8 servers" 8 "$(servers_of "$T/set.tsv")"
bfrun "$T/set.txt" "$T/err" run "$SCN" "${SHORT[@]}" --set station.fl_check.servers=8 --no-db -q
if grep -qE '^  fl_check +first +8 ' "$T/set.txt"; then
    pass "run --set station.fl_check.servers=8: table shows 8 servers"
else
    fail "run --set station.fl_check.servers=8: table shows 8 servers" "$(grep fl_check "$T/set.txt" | head -2)"
fi

# --no-db writes no file.
mkdir -p "$T/nodb"
(cd "$T/nodb" && bfrun "$T/out" "$T/err" run "$SCN" "${SHORT[@]}" --no-db -q; exit "$RC")
RC=$?
check_eq "run --no-db exits 0" 0 "$RC"
check_eq "run --no-db creates no file" "" "$(ls -A "$T/nodb")"

# ---- --db that is not a store ----------------------------------------------

# The SQLite side files that exist next to FILE, if any.
leftovers_of() {
    local x
    for x in "$1-wal" "$1-shm" "$1-journal"; do
        [ -e "$x" ] && printf '%s ' "$(basename "$x")"
    done
}

TXT="$T/notes.txt"
printf 'These are my notes, not a database.\nLine two.\n' >"$TXT"
sum_before=$(md5sum <"$TXT")
bfrun "$T/out" "$T/err" run "$SCN" "${SHORT[@]}" --db "$TXT" -q
no_crash "--db on a text file"
check_eq "--db on a text file exits 1" 1 "$RC"
check_contains "--db on a text file names the file" "$T/err" "$TXT"
check_eq "--db on a text file: one line on stderr" 1 "$(n_lines "$T/err")"
check_eq "--db on a text file leaves it unchanged" "$sum_before" "$(md5sum <"$TXT")"
leftovers=$(leftovers_of "$TXT")
check_eq "--db on a text file leaves no -wal/-shm/-journal beside it" "" "$leftovers"
if [ -s "$T/out" ]; then
    fail "--db on a text file prints no summary" "$(head -c 200 "$T/out")"
else
    pass "--db on a text file prints no summary"
fi

# An SQLite database that is not a borderflow store is refused, untouched.
FOREIGN="$T/foreign.db"
sqlite3 "$FOREIGN" 'CREATE TABLE foo (x); INSERT INTO foo VALUES (2.385);'
sum_before=$(md5sum <"$FOREIGN")
bfrun "$T/out" "$T/err" run "$SCN" "${SHORT[@]}" --db "$FOREIGN" -q
no_crash "--db on a foreign SQLite database"
check_eq "--db on a foreign SQLite database exits 1" 1 "$RC"
check_contains "--db on a foreign SQLite database names the file" "$T/err" "$FOREIGN"
check_eq "--db on a foreign SQLite database leaves it unchanged" "$sum_before" "$(md5sum <"$FOREIGN")"
leftovers=$(leftovers_of "$FOREIGN")
check_eq "--db on a foreign SQLite database leaves no -wal/-shm/-journal" "" "$leftovers"

# ':memory:' is a file name here: SQLite's in-memory database would
# silently drop the results while the summary says they were stored.
mkdir -p "$T/mem"
(cd "$T/mem" && bfrun "$T/out" "$T/err" run "$SCN" "${SHORT[@]}" --db :memory: -q; exit "$RC")
RC=$?
no_crash "--db :memory:"
if [ "$RC" -ne 0 ] && [ "$RC" -lt 124 ]; then
    pass "--db :memory: is refused (exit $RC)"
elif [ "$RC" -eq 0 ] && [ -f "$T/mem/:memory:" ]; then
    pass "--db :memory: stores into a file named ':memory:'"
else
    fail "--db :memory: is refused or stored in a file" \
        "exit $RC, no file ':memory:' created; stdout: $(grep -i stored "$T/out" | head -1)"
fi

# A store in a directory that does not exist.
bfrun "$T/out" "$T/err" run "$SCN" "${SHORT[@]}" --db "$T/no/such/dir/x.db" -q
no_crash "--db in a missing directory"
check_eq "--db in a missing directory exits 1" 1 "$RC"
check_contains "--db in a missing directory names the file" "$T/err" "$T/no/such/dir/x.db"

# ---- SIGINT: exit 130, finished replications kept ---------------------------

# Long enough that a signal after ~1 s always lands mid-run: 1000
# replications of 4 days on one thread take over a minute in a release
# build, and short replications mean that some have finished after 1 s even
# in a sanitizer build.
IDB="$T/int.db"
"$BF" run "$SCN" --set simulation.horizon=4d --set simulation.warmup=1d -r 1000 -j 1 --db "$IDB" -q \
    </dev/null >"$T/int.out" 2>"$T/int.err" &
pid=$!
BG_PID=$pid
sleep 1
interrupted=1
kill -INT "$pid" 2>/dev/null || interrupted=0
# Wait for it, but not forever: a run that ignores SIGINT is a failure.
for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null
    fail "SIGINT stops the run within 30 s" "still running; killed"
fi
RC=0
wait "$pid" || RC=$?
BG_PID=
if [ "$RC" -eq 0 ]; then
    # The run finished before the signal: nothing to test but the store.
    pass "SIGINT: NOTE the run finished before the signal (sent: $interrupted); interrupt not exercised"
    check_eq "uninterrupted run status is done" "done" "$(sql "$IDB" 'SELECT status FROM runs WHERE id = 1')"
elif [ "$RC" -ne 130 ]; then
    fail "SIGINT: exit status 130" "exit status $RC" "stderr: $(head -c 600 "$T/int.err")"
else
    pass "SIGINT: exit status 130"
    check_contains "SIGINT: says where the finished replications are" "$T/int.err" "$IDB"
    check_eq "SIGINT: store integrity" ok "$(sql "$IDB" 'PRAGMA integrity_check')"
    check_eq "SIGINT: run status is canceled" canceled "$(sql "$IDB" 'SELECT status FROM runs WHERE id = 1')"
    check_eq "SIGINT: finished_at is set" 1 "$(sql "$IDB" 'SELECT finished_at IS NOT NULL FROM runs WHERE id = 1')"
    n_done=$(sql "$IDB" 'SELECT count(*) FROM replications WHERE run_id = 1')
    if [ "${n_done:-x}" -ge 0 ] 2>/dev/null && [ "$n_done" -lt 1000 ]; then
        pass "SIGINT: store holds $n_done of 1000 replications"
    else
        fail "SIGINT: store holds fewer than 1000 replications" "got ${n_done:-?}"
    fi
    [ "${n_done:-0}" -eq 0 ] && pass "SIGINT: NOTE no replication had finished after 1 s"
    # Each kept replication is complete: all its metrics are there.
    check_eq "SIGINT: kept replications are complete" 0 "$(sql "$IDB" \
        'SELECT (SELECT count(*) FROM replications WHERE run_id = 1) *
                (SELECT count(*) FROM metric_keys WHERE run_id = 1)
              - (SELECT count(*) FROM rep_metrics WHERE run_id = 1)')"
    # And nothing is stored for replications that did not finish.
    check_eq "SIGINT: no values for unfinished replications" 0 "$(sql "$IDB" \
        'SELECT count(*) FROM rep_metrics m WHERE run_id = 1 AND NOT EXISTS
           (SELECT 1 FROM replications p WHERE p.run_id = 1 AND p.replication = m.replication)')"
    # Samples of an unfinished replication may stay in the timeseries
    # table (store.c: "the views leave them out"); the view must not show
    # them.
    check_eq "SIGINT: v_timeseries shows only finished replications" 0 "$(sql "$IDB" \
        'SELECT count(*) FROM v_timeseries t WHERE run_id = 1 AND NOT EXISTS
           (SELECT 1 FROM replications p WHERE p.run_id = 1 AND p.replication = t.replication)')"
    # The store remains usable: a new run is added after the canceled one.
    bfrun "$T/out" "$T/err" run "$SCN" "${SHORT[@]}" --db "$IDB" -q
    check_eq "SIGINT: a later run into the same store exits 0" 0 "$RC"
    check_eq "SIGINT: the later run is run 2, done" "2|done" "$(sql "$IDB" 'SELECT id, status FROM runs WHERE id = 2')"
fi

finish
