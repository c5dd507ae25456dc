#!/usr/bin/env bash
# test_sweep.sh - end-to-end tests of `borderflow sweep` (and of the
# --precision, --resume and --shard options of `run`).
#
# Usage: bash test_sweep.sh PATH_TO_BORDERFLOW SOURCE_DIR
#
# Covers: help; a 2 x 2 grid into a fresh store (runs, replications,
# sweep records, per-point views, integrity); the points table in every
# format; results identical whatever --jobs is; a [sweep] section in the
# scenario and --vary replacing one of its keys; resumption after SIGKILL
# (only the missing runs are done; no duplicates; integrity ok; equal to
# an uninterrupted sweep) and after SIGTERM (exit 130); more replications
# added later without repeating the earlier ones; --precision on sweep and
# run, reproducible and reported; shards that partition the runs; and bad
# input: every malformed --vary, --shard 4/3, a read-only and a corrupt
# --db, each with its message and exit status, and nothing stored lost.
#
# Every run writes into a scratch directory; nothing is written to the
# source tree.  Horizons are short (a replication takes a few ms).
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
SHORT=(--set simulation.horizon=2d --set simulation.warmup=6h)

for tool in sqlite3 python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        fail "$tool is installed (needed to inspect the store / parse output)"
        finish
    fi
done

sql() {
    sqlite3 -batch -noheader "$1" "$2"
}

no_crash() {
    if is_crash "$RC" && [ "$RC" -ne 130 ]; then
        fail "$1: no crash" "exit status $RC" "stderr: $(head -c 600 "$T/err")"
    fi
}

# Every stored replication, by point (overrides) and replication number,
# with all its metric values: equal dumps mean equal results, whatever the
# run ids and the order rows were written in.
dump() {
    sql "$1" "SELECT r.overrides, p.replication, p.events,
                (SELECT group_concat(ifnull(printf('%.17g', m.value), 'NULL'), ',')
                 FROM (SELECT value FROM rep_metrics m WHERE m.run_id = r.id
                       AND m.replication = p.replication ORDER BY key_index) m),
                (SELECT group_concat(hex(counts), ',') FROM (SELECT counts FROM rep_hist h
                 WHERE h.run_id = r.id AND h.replication = p.replication ORDER BY key_index))
              FROM runs r JOIN replications p ON p.run_id = r.id
              ORDER BY r.overrides, p.replication"
}

checksum() {
    sha256sum "$1" | cut -d' ' -f1
}

# ---- help -------------------------------------------------------------------

bfrun "$T/out" "$T/err" sweep --help
check_eq "sweep --help exits 0" 0 "$RC"
check_contains "sweep --help prints usage" "$T/out" "Usage: borderflow sweep SCENARIO"
check_contains "sweep --help documents --vary ranges" "$T/out" "FROM:TO:STEP"
bfrun "$T/out" "$T/err" help sweep
check_eq "help sweep exits 0" 0 "$RC"
bfrun "$T/out" "$T/err" --help
check_contains "borderflow --help lists sweep" "$T/out" "sweep "

# ---- a 2 x 2 grid -------------------------------------------------------------

DB="$T/s.db"
GRID=(--vary stations.fl_check.servers=6:7:1 --vary "classes.researcher.whitelisted=30%,70%")
bfrun "$T/out" "$T/err" sweep "$SCN" "${GRID[@]}" -r 2 "${SHORT[@]}" --db "$DB" -j 2
no_crash "sweep"
check_eq "sweep of 4 points exits 0" 0 "$RC"
check_eq "4 runs, one per point" 4 "$(sql "$DB" "SELECT count(*) FROM runs")"
check_eq "8 replications" 8 "$(sql "$DB" "SELECT count(*) FROM replications")"
check_eq "every run done" "done" "$(sql "$DB" "SELECT DISTINCT status FROM runs")"
check_eq "one sweep recorded" 1 "$(sql "$DB" "SELECT count(*) FROM sweeps")"
check_eq "the sweep's points" \
    "0|station.fl_check.servers=6, class.researcher.whitelisted=30%
1|station.fl_check.servers=6, class.researcher.whitelisted=70%
2|station.fl_check.servers=7, class.researcher.whitelisted=30%
3|station.fl_check.servers=7, class.researcher.whitelisted=70%" \
    "$(sql "$DB" "SELECT point_index, point FROM sweep_points ORDER BY 1")"
check_eq "v_sweep_values: each point's values" \
    "class.researcher.whitelisted|30%|2
class.researcher.whitelisted|70%|2
station.fl_check.servers|6|2
station.fl_check.servers|7|2" \
    "$(sql "$DB" "SELECT key, value, count(*) FROM v_sweep_values GROUP BY 1, 2 ORDER BY 1, 2")"
check_eq "v_sweep_points: aggregates over 2 replications per point" \
    "4|2" "$(sql "$DB" "SELECT count(DISTINCT run_id), max(n) FROM v_sweep_points
                        WHERE scope = 'sl_check' AND class = '' AND metric = 'wait_mean'")"
check_eq "the parameters say which point a run is" "6|30%" \
    "$(sql "$DB" "SELECT (SELECT value FROM parameters WHERE run_id = 1 AND key = 'station.fl_check.servers'),
                         (SELECT value FROM parameters WHERE run_id = 1 AND key = 'class.researcher.whitelisted')")"
check_eq "integrity_check" ok "$(sql "$DB" "PRAGMA integrity_check")"
check_contains "the table lists the points" "$T/out" "station.fl_check.servers"
check_contains "the table gives replications per point" "$T/out" "2/2"
check_contains "stderr: a final progress line" "$T/err" "8/8 runs done"
check_contains "stderr: time in the results store" "$T/err" "in the results store"

for fmt in tsv csv json; do
    bfrun "$T/out" "$T/err" sweep "$SCN" "${GRID[@]}" -r 2 "${SHORT[@]}" --db "$DB" -q -f "$fmt"
    check_eq "sweep again -f $fmt exits 0" 0 "$RC"
    case "$fmt" in
    json)
        if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["points"]) == 4 and all(p["replications"] == 2 and p["ran"] == 0 for p in d["points"])' "$T/out"; then
            pass "json: 4 points, 2 replications each, none run again"
        else
            fail "json: 4 points, 2 replications each, none run again" "$(head -c 400 "$T/out")"
        fi ;;
    *)
        check_eq "$fmt: header and 4 rows" 5 "$(n_lines "$T/out")" ;;
    esac
done
check_eq "running it again added nothing" 8 "$(sql "$DB" "SELECT count(*) FROM replications")"

# ---- results do not depend on --jobs ------------------------------------------

bfrun "$T/out" "$T/err" sweep "$SCN" "${GRID[@]}" -r 3 "${SHORT[@]}" --db "$T/j1.db" -j 1 -q
check_eq "sweep -j 1 exits 0" 0 "$RC"
bfrun "$T/out" "$T/err" sweep "$SCN" "${GRID[@]}" -r 3 "${SHORT[@]}" --db "$T/j3.db" -j 3 -q
check_eq "sweep -j 3 exits 0" 0 "$RC"
if [ "$(dump "$T/j1.db")" = "$(dump "$T/j3.db")" ] && [ -n "$(dump "$T/j1.db")" ]; then
    pass "every replication identical with -j 1 and -j 3"
else
    fail "every replication identical with -j 1 and -j 3"
fi
AGG="SELECT r.overrides, a.key_index, a.n, printf('%.17g', a.mean), printf('%.17g', a.half_width)
     FROM aggregates a JOIN runs r ON r.id = a.run_id ORDER BY 1, 2"
if [ "$(sql "$T/j1.db" "$AGG")" = "$(sql "$T/j3.db" "$AGG")" ]; then
    pass "aggregates identical with -j 1 and -j 3"
else
    fail "aggregates identical with -j 1 and -j 3"
fi

# ---- a [sweep] section in the scenario ------------------------------------------

SWF="$T/with-sweep.ini"
cp "$SCN" "$SWF"
cat >>"$SWF" <<'EOF'

[sweep]
; the experiment, under version control with the scenario
stations.fl_check.servers = 6, 7
simulation.seed           = 1:3:1
EOF
bfrun "$T/out" "$T/err" sweep "$SWF" --dry-run
check_eq "sweep of a file with [sweep] --dry-run exits 0" 0 "$RC"
check_contains "the file's grid: 6 points" "$T/out" "6 points"
bfrun "$T/out" "$T/err" sweep "$SWF" --vary simulation.seed=7 --dry-run
check_contains "--vary replaces the file's key: 2 points" "$T/out" "2 points"
bfrun "$T/out" "$T/err" sweep "$SWF" --vary station.sl_check.servers=2,3 --dry-run
check_contains "--vary adds a key: 12 points" "$T/out" "12 points"
bfrun "$T/out" "$T/err" run "$SWF" "${SHORT[@]}" -r 2 --no-db
check_eq "run on a file with [sweep] runs its base point" 0 "$RC"
check_contains "run says it runs the base point only" "$T/err" "declares a [sweep]"
bfrun "$T/out" "$T/err" sweep "$SWF" "${SHORT[@]}" -r 1 --vary simulation.seed=7 --db "$T/f.db" -q
check_eq "sweep of the file's grid exits 0" 0 "$RC"
if sql "$T/f.db" "SELECT text FROM scenarios" | grep -qF "simulation.seed           = 1:3:1"; then
    pass "the stored scenario text keeps the [sweep] section"
else
    fail "the stored scenario text keeps the [sweep] section"
fi
printf '[sweep]\nstations.fl_check.servers = 6:2:1\n' >>"$SWF"
bfrun "$T/out" "$T/err" sweep "$SWF" --dry-run
check_eq "a bad [sweep] line exits 3" 3 "$RC"
check_contains "a bad [sweep] line is located" "$T/err" \
    "with-sweep.ini:$(grep -c '' "$SWF"): [sweep] stations.fl_check.servers = \"6:2:1\": the range is empty"

# ---- resumption after SIGKILL --------------------------------------------------

# Enough work (40 replications, one thread) that the kill, sent as soon
# as 4 are stored, lands well before the end.
KGRID=(--vary stations.fl_check.servers=5:8:1 -r 10 --set simulation.horizon=3d --set simulation.warmup=1d --series)
KDB="$T/k.db"
"$BF" sweep "$SCN" "${KGRID[@]}" --db "$KDB" -j 1 -q </dev/null >"$T/k.out" 2>"$T/k.err" &
BG_PID=$!
stored=0
for _ in $(seq 1 600); do
    stored=$(sql "$KDB" "SELECT count(*) FROM replications" 2>/dev/null || echo 0)
    [ "${stored:-0}" -ge 4 ] && break
    sleep 0.05
done
kill -KILL "$BG_PID" 2>/dev/null
wait "$BG_PID" 2>/dev/null
BG_PID=
before=$(sql "$KDB" "SELECT count(*) FROM replications")
if [ "$before" -ge 4 ] && [ "$before" -lt 40 ]; then
    pass "SIGKILL mid-way: $before of 40 replications stored"
else
    fail "SIGKILL mid-way" "$before of 40 replications stored (the sweep ran too fast or not at all)"
fi
check_eq "after SIGKILL: integrity_check" ok "$(sql "$KDB" "PRAGMA integrity_check")"
sql "$KDB" "SELECT run_id, replication, completed_at FROM replications ORDER BY 1, 2" >"$T/k.before"
bfrun "$T/out" "$T/err" sweep "$SCN" "${KGRID[@]}" --db "$KDB" -j 2
check_eq "the same command again exits 0" 0 "$RC"
check_contains "it says how many were already stored" "$T/err" "$before already stored"
check_eq "exactly 40 replications" 40 "$(sql "$KDB" "SELECT count(*) FROM replications")"
check_eq "no duplicates: 40 distinct (point, replication)" 40 \
    "$(sql "$KDB" "SELECT count(*) FROM (SELECT DISTINCT r.point_key, p.replication
                   FROM replications p JOIN runs r ON r.id = p.run_id)")"
check_eq "one run per point" 4 "$(sql "$KDB" "SELECT count(*) FROM runs")"
check_eq "replications 0..9 of every point" "4|0|9|10" \
    "$(sql "$KDB" "SELECT count(*), min(lo), max(hi), min(n) FROM (SELECT run_id, min(replication) lo,
                   max(replication) hi, count(*) n FROM replications GROUP BY run_id)")"
check_eq "every run done" done "$(sql "$KDB" "SELECT DISTINCT status FROM runs")"
check_eq "after resuming: integrity_check" ok "$(sql "$KDB" "PRAGMA integrity_check")"
check_eq "the replications stored before the kill are untouched" "$(cat "$T/k.before")" \
    "$(sql "$KDB" "SELECT run_id, replication, completed_at FROM replications
                   WHERE (run_id, replication) IN (SELECT run_id, replication FROM replications
                   ORDER BY completed_at LIMIT $before) ORDER BY 1, 2")"
check_eq "no time-series rows of unfinished replications" 0 \
    "$(sql "$KDB" "SELECT count(*) FROM timeseries t WHERE NOT EXISTS (SELECT 1 FROM replications p
                   WHERE p.run_id = t.run_id AND p.replication = t.replication)")"
bfrun "$T/out" "$T/err" sweep "$SCN" "${KGRID[@]}" --db "$T/k-ref.db" -j 2 -q
if [ "$(dump "$KDB")" = "$(dump "$T/k-ref.db")" ]; then
    pass "killed and resumed equals run in one go, replication by replication"
else
    fail "killed and resumed equals run in one go, replication by replication"
fi
if [ "$(sql "$KDB" "$AGG")" = "$(sql "$T/k-ref.db" "$AGG")" ]; then
    pass "killed and resumed: the same aggregates"
else
    fail "killed and resumed: the same aggregates"
fi

# ---- SIGTERM -----------------------------------------------------------------------

TDB="$T/t.db"
"$BF" sweep "$SCN" "${KGRID[@]}" --db "$TDB" -j 1 </dev/null >"$T/t.out" 2>"$T/t.err" &
BG_PID=$!
for _ in $(seq 1 600); do
    stored=$(sql "$TDB" "SELECT count(*) FROM replications" 2>/dev/null || echo 0)
    [ "${stored:-0}" -ge 2 ] && break
    sleep 0.05
done
kill -TERM "$BG_PID" 2>/dev/null
RC=0
wait "$BG_PID" || RC=$?
BG_PID=
check_eq "SIGTERM: exit 130" 130 "$RC"
check_contains "SIGTERM: says how to complete" "$T/t.err" "run the same command again to complete"
check_eq "SIGTERM: integrity_check" ok "$(sql "$TDB" "PRAGMA integrity_check")"
check_eq "SIGTERM: the interrupted point is 'canceled'" canceled \
    "$(sql "$TDB" "SELECT status FROM runs ORDER BY id DESC LIMIT 1")"
bfrun "$T/out" "$T/err" sweep "$SCN" "${KGRID[@]}" --db "$TDB" -j 2 -q
check_eq "SIGTERM: rerun exits 0" 0 "$RC"
if [ "$(dump "$TDB")" = "$(dump "$T/k-ref.db")" ]; then
    pass "SIGTERM and resumed equals run in one go"
else
    fail "SIGTERM and resumed equals run in one go"
fi

# ---- more replications later ---------------------------------------------------------

sql "$T/j1.db" "SELECT run_id, replication, completed_at FROM replications ORDER BY 1, 2" >"$T/j1.before"
bfrun "$T/out" "$T/err" sweep "$SCN" "${GRID[@]}" -r 5 "${SHORT[@]}" --db "$T/j1.db" -j 2 -q -f json
check_eq "the sweep with -r 5 over -r 3 exits 0" 0 "$RC"
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert all(p["ran"] == 2 and p["replications"] == 5 for p in d["points"])' "$T/out"; then
    pass "-r 5 after -r 3: 2 more replications per point, 5 in all"
else
    fail "-r 5 after -r 3: 2 more replications per point, 5 in all" "$(head -c 400 "$T/out")"
fi
check_eq "the first 3 replications are untouched" "$(cat "$T/j1.before")" \
    "$(sql "$T/j1.db" "SELECT run_id, replication, completed_at FROM replications WHERE replication < 3 ORDER BY 1, 2")"
check_eq "aggregates now cover 5" 5 "$(sql "$T/j1.db" "SELECT max(n) FROM aggregates")"
check_eq "still one sweep, 4 runs" "1|4" "$(sql "$T/j1.db" "SELECT (SELECT count(*) FROM sweeps), (SELECT count(*) FROM runs)")"

# ---- precision ----------------------------------------------------------------------

PGRID=(--vary stations.fl_check.servers=6,7 "${SHORT[@]}" --precision 10%
       --precision-metric station.sl_check.wait_mean,class.researcher.time_in_system_mean
       --max-replications 20)
bfrun "$T/out" "$T/err" sweep "$SCN" "${PGRID[@]}" --db "$T/p.db" -j 2 -q -f tsv
check_eq "sweep --precision exits 0" 0 "$RC"
cp "$T/out" "$T/p1.tsv"
needed=$(awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "needed") c = i } NR > 1 { print $c }' "$T/p1.tsv" | tr '\n' ' ')
precise=$(awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "precise") c = i } NR > 1 { print $c }' "$T/p1.tsv" | tr '\n' ' ')
ok=1
for n in $needed; do [ "$n" -ge 5 ] && [ "$n" -le 20 ] || ok=0; done
[ "$ok" = 1 ] && [ -n "$needed" ] && pass "precision: replications needed reported ($needed)" \
    || fail "precision: replications needed reported" "$(cat "$T/p1.tsv")"
check_eq "precision: the replications stored are the ones needed" \
    "$(echo "$needed" | tr ' ' '\n' | grep . | sort | tr '\n' ' ')" \
    "$(sql "$T/p.db" "SELECT count(*) FROM replications GROUP BY run_id ORDER BY 1" | sort | tr '\n' ' ')"
bfrun "$T/out" "$T/err" sweep "$SCN" "${PGRID[@]}" --db "$T/p2.db" -j 1 -q -f tsv
if [ "$(cut -f1-3,5- "$T/out")" = "$(cut -f1-3,5- "$T/p1.tsv")" ]; then
    pass "precision: the same replications needed with -j 1 and -j 2"
else
    fail "precision: the same replications needed with -j 1 and -j 2" "$(cat "$T/out")"
fi
bfrun "$T/out" "$T/err" sweep "$SCN" "${PGRID[@]}" --db "$T/p.db" -q -f tsv
check_contains "precision: run again, nothing to do" "$T/out" "	0	done"
# A point precise by its own stored values.
for run in $(sql "$T/p.db" "SELECT run_id FROM precision WHERE met = 1"); do
    wide=$(sql "$T/p.db" "SELECT count(*) FROM v_aggregates WHERE run_id = $run AND n > 1
           AND ((scope = 'sl_check' AND class = '' AND metric = 'wait_mean')
             OR (scope_kind = 'class' AND scope = 'researcher' AND metric = 'time_in_system_mean'))
           AND half_width > 0.10 * abs(mean)")
    check_eq "precision: run $run's metrics are within 10%" 0 "$wide"
done
[ -n "$(echo "$precise" | tr -d ' 0')" ] || echo "note  no point reached the target within the cap ($needed)"

bfrun "$T/out" "$T/err" run "$SCN" "${SHORT[@]}" --precision 15% --max-replications 40 --db "$T/r.db" -j 2
check_eq "run --precision exits 0" 0 "$RC"
if grep -qE "precision (reached|NOT reached) after [0-9]+ replications" "$T/err"; then
    pass "run --precision says how many replications were needed"
else
    fail "run --precision says how many replications were needed" "$(cat "$T/err")"
fi
# --resume adds to the run instead of starting a new one.
n_before=$(sql "$T/r.db" "SELECT count(*) FROM replications")
bfrun "$T/out" "$T/err" run "$SCN" "${SHORT[@]}" -r $((n_before + 3)) --resume --db "$T/r.db" -q
check_eq "run --resume -r N+3 exits 0" 0 "$RC"
check_eq "run --resume: one run, 3 more replications" "1|$((n_before + 3))" \
    "$(sql "$T/r.db" "SELECT count(DISTINCT run_id), count(*) FROM replications")"

# ---- shards ---------------------------------------------------------------------------

total=0
for k in 1 2 3; do
    bfrun "$T/out" "$T/err" sweep "$SCN" "${GRID[@]}" -r 3 "${SHORT[@]}" --shard "$k/3" \
        --db "$T/sh$k.db" -q
    check_eq "shard $k/3 exits 0" 0 "$RC"
    n=$(sql "$T/sh$k.db" "SELECT count(*) FROM replications")
    total=$((total + n))
done
check_eq "the 3 shards hold 12 replications between them" 12 "$total"
check_eq "no replication in two shards" 12 "$(for k in 1 2 3; do
    sql "$T/sh$k.db" "SELECT r.point_key || '/' || p.replication FROM replications p JOIN runs r ON r.id = p.run_id"
    done | sort -u | wc -l)"
bfrun "$T/out" "$T/err" sweep "$SCN" "${GRID[@]}" -r 3 "${SHORT[@]}" --shard 2/3 --dry-run -f tsv
check_eq "--dry-run --shard exits 0" 0 "$RC"

# ---- bad input --------------------------------------------------------------------------

# A store with results in it, to show that nothing is lost.
cp "$DB" "$T/keep.db"
sum_before=$(checksum "$T/keep.db")
bad_vary() { # WHAT EXIT MESSAGE ARGS...
    local what="$1" want="$2" msg="$3"
    shift 3
    bfrun "$T/out" "$T/err" sweep "$SCN" "$@" --db "$T/keep.db"
    no_crash "$what"
    check_eq "$what: exit $want" "$want" "$RC"
    check_contains "$what: message" "$T/err" "$msg"
}
bad_vary "unknown key" 3 "--vary: [station fl_check] server = \"6\": unknown key 'server'" \
    --vary stations.fl_check.server=6,7
bad_vary "unknown key: the loader's suggestion" 3 "did you mean" --vary stations.fl_check.server=6,7
bad_vary "unknown station" 3 "the scenario has no [station fl_chek]; did you mean 'fl_check'?" \
    --vary stations.fl_chek.servers=6,7
bad_vary "empty range" 3 "the range is empty: FROM is above TO" --vary stations.fl_check.servers=8:4:1
bad_vary "step 0" 3 "the range's step is 0" --vary stations.fl_check.servers=4:8:0
bad_vary "non-numeric range" 3 "expected a range FROM:TO:STEP of numbers" --vary stations.fl_check.servers=a:b:1
bad_vary "non-numeric value for a numeric key" 3 "--vary: [station fl_check] servers = \"many\"" \
    --vary stations.fl_check.servers=6,many
bad_vary "a value twice" 3 "the value 6 is listed twice" --vary stations.fl_check.servers=6,7,6
bad_vary "no '='" 3 "expected KEY=VALUES" --vary stations.fl_check.servers
bad_vary "a key varied twice" 3 "the key is varied twice" --vary stations.fl_check.servers=6 \
    --vary station.fl_check.servers=7
bad_vary "a key both set and varied" 3 "both set" --set station.fl_check.servers=6 \
    --vary stations.fl_check.servers=7,8
bad_vary "replications varied" 3 "cannot be varied" --vary simulation.replications=2,3
bad_vary "nothing varied" 3 "nothing to vary"
bad_vary "--shard 4/3" 2 "--shard 4/3: K must be from 1 to N (3)" "${GRID[@]}" --shard 4/3
bad_vary "--shard 0/3" 2 "K must be from 1 to N" "${GRID[@]}" --shard 0/3
bad_vary "--shard x" 2 "--shard needs K/N" "${GRID[@]}" --shard x
bad_vary "--precision 0%" 2 "--precision needs a percentage above 0" "${GRID[@]}" --precision 0%
bad_vary "--precision 150%" 2 "--precision needs a percentage" "${GRID[@]}" --precision 150%
bad_vary "--precision-metric without --precision" 2 "--precision-metric needs --precision" \
    "${GRID[@]}" --precision-metric station.sl_check.wait_mean
bad_vary "--precision-metric unknown" 2 "matches no metric" "${GRID[@]}" --precision 5% \
    --precision-metric station.nowhere.wait_mean "${SHORT[@]}"
bad_vary "-j 0" 2 "--jobs needs a whole number" "${GRID[@]}" -j 0
check_eq "after every bad input the store is unchanged" "$sum_before" "$(checksum "$T/keep.db")"

# A corrupt store: refused, left as it was.
head -c 4096 /dev/urandom >"$T/corrupt.db"
sum=$(checksum "$T/corrupt.db")
bfrun "$T/out" "$T/err" sweep "$SCN" "${GRID[@]}" -r 1 "${SHORT[@]}" --db "$T/corrupt.db"
check_eq "corrupt --db: exit 1" 1 "$RC"
check_contains "corrupt --db: message" "$T/err" "is not a borderflow results store"
check_eq "corrupt --db: unchanged" "$sum" "$(checksum "$T/corrupt.db")"
# A store of another schema version: refused by name.
cp "$T/keep.db" "$T/v1.db"
sql "$T/v1.db" "UPDATE meta SET value = '1' WHERE key = 'schema_version'"
sum=$(checksum "$T/v1.db")
bfrun "$T/out" "$T/err" sweep "$SCN" "${GRID[@]}" -r 1 "${SHORT[@]}" --db "$T/v1.db"
check_eq "old store: exit 1" 1 "$RC"
check_contains "old store: message" "$T/err" "has schema version 1; this borderflow writes version 2"
check_eq "old store: unchanged" "$sum" "$(checksum "$T/v1.db")"
# A read-only store.  chmod does not stop root, so try the immutable
# attribute first.
cp "$T/keep.db" "$T/ro.db"
sum=$(checksum "$T/ro.db")
chmod 444 "$T/ro.db"
ro=0
if [ -w "$T/ro.db" ] && chattr +i "$T/ro.db" 2>/dev/null; then ro=2; elif [ ! -w "$T/ro.db" ]; then ro=1; fi
if [ "$ro" != 0 ]; then
    bfrun "$T/out" "$T/err" sweep "$SCN" "${GRID[@]}" -r 1 "${SHORT[@]}" --db "$T/ro.db"
    [ "$ro" = 2 ] && chattr -i "$T/ro.db"
    check_eq "read-only --db: exit 1" 1 "$RC"
    check_contains "read-only --db: message" "$T/err" "read-only"
    check_eq "read-only --db: unchanged" "$sum" "$(checksum "$T/ro.db")"
else
    echo "skip  read-only --db: cannot make a file read-only here (root without chattr)"
fi
chmod 644 "$T/ro.db"

finish
