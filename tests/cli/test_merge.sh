#!/usr/bin/env bash
# test_merge.sh - `borderflow merge` and the scale-out recipes in
# tools/scaleout.
#
# Usage: bash test_merge.sh PATH_TO_BORDERFLOW SOURCE_DIR
#
# Covers: a sweep run as 3 shards through GNU parallel on this machine
# (tools/scaleout/sweep-parallel.sh), merged, equal run by run and value by
# value to the same sweep run in one piece; the same through the SSH
# options with an --sshloginfile naming this machine (":"); the Slurm
# array script (tools/scaleout/slurm-sweep.sh) run as Slurm would run its
# 3 tasks, and the command it builds; merging a store twice (replications
# kept once); and refusals, each with its message, exit status and the
# output left as it was: a store of another scenario or another sweep, a
# replication that differs, another schema version, a file that is not a
# store, the output given as an input.
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
SWEEP=(--vary stations.fl_check.servers=5:7:1 --vary "classes.researcher.whitelisted=30%,70%"
       -r 3 --set simulation.horizon=2d --set simulation.warmup=6h --series)

for tool in sqlite3 parallel; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        fail "$tool is installed (tools/install-deps.sh --test installs it)"
        finish
    fi
done
sql() {
    sqlite3 -batch -noheader "$1" "$2"
}
checksum() {
    sha256sum "$1" | cut -d' ' -f1
}
# Every stored replication with its values and histograms, by point and
# replication number; the aggregates and pooled distributions by point.
dump() {
    sql "$1" "SELECT r.overrides, p.replication, p.events,
                (SELECT group_concat(ifnull(printf('%.17g', m.value), 'NULL'), ',')
                 FROM (SELECT value FROM rep_metrics m WHERE m.run_id = r.id
                       AND m.replication = p.replication ORDER BY key_index) m),
                (SELECT group_concat(hex(counts), ',') FROM (SELECT counts FROM rep_hist h
                 WHERE h.run_id = r.id AND h.replication = p.replication ORDER BY key_index)),
                (SELECT count(*) FROM timeseries t WHERE t.run_id = r.id AND t.replication = p.replication)
              FROM runs r JOIN replications p ON p.run_id = r.id
              ORDER BY r.overrides, p.replication"
}
derived() {
    sql "$1" "SELECT r.overrides, r.status, a.key_index, a.n, printf('%.17g', a.mean),
                     printf('%.17g', a.half_width)
              FROM aggregates a JOIN runs r ON r.id = a.run_id ORDER BY 1, 3"
    sql "$1" "SELECT r.overrides, d.key_index, d.lo, d.count FROM distributions d
              JOIN runs r ON r.id = d.run_id ORDER BY 1, 2, 3"
}
same_as_whole() { # WHAT DB
    if [ "$(dump "$2")" = "$(dump "$T/whole.db")" ] && [ -n "$(dump "$2")" ]; then
        pass "$1: every replication equals the unsharded sweep's"
    else
        fail "$1: every replication equals the unsharded sweep's"
    fi
    if [ "$(derived "$2")" = "$(derived "$T/whole.db")" ]; then
        pass "$1: the same aggregates, statuses and distributions"
    else
        fail "$1: the same aggregates, statuses and distributions"
    fi
    check_eq "$1: integrity_check" ok "$(sql "$2" "PRAGMA integrity_check")"
    check_eq "$1: the sweep and its 6 points" "1|6" \
        "$(sql "$2" "SELECT count(*), (SELECT count(*) FROM sweep_points) FROM sweeps")"
}

bfrun "$T/out" "$T/err" merge --help
check_eq "merge --help exits 0" 0 "$RC"
check_contains "merge --help prints usage" "$T/out" "Usage: borderflow merge OUT.db IN.db"

# The reference: the sweep in one piece.
bfrun "$T/out" "$T/err" sweep "$SCN" "${SWEEP[@]}" --db "$T/whole.db" -q
check_eq "the unsharded sweep exits 0" 0 "$RC"

# ---- GNU parallel, this machine -------------------------------------------------

(cd "$T" && BORDERFLOW="$BF" timeout 300 "$SRC/tools/scaleout/sweep-parallel.sh" -n 3 -j 1 --keep \
    par.db "$SCN" "${SWEEP[@]}" >"$T/par.out" 2>"$T/par.err")
RC=$?
check_eq "sweep-parallel.sh -n 3 exits 0" 0 "$RC"
check_contains "sweep-parallel.sh says it merged" "$T/par.err" "3 shards merged into par.db"
for k in 1 2 3; do
    n=$(sql "$T/par.db.shards/shard-$k-of-3.db" "SELECT count(*) FROM replications" 2>/dev/null)
    if [ "${n:-0}" -ge 1 ] && [ "${n:-0}" -lt 18 ]; then
        pass "shard $k/3 ran a part of the sweep ($n of 18 replications)"
    else
        fail "shard $k/3 ran a part of the sweep" "$n replications"
    fi
done
same_as_whole "GNU parallel, 3 shards" "$T/par.db"

# ---- GNU parallel's SSH options, with this machine as the "remote" ---------------

printf ':\n' >"$T/hosts"
(cd "$T" && timeout 300 "$SRC/tools/scaleout/sweep-parallel.sh" -n 3 --bin "$BF" \
    --sshloginfile "$T/hosts" ssh.db "$SCN" "${SWEEP[@]}" >"$T/ssh.out" 2>"$T/ssh.err")
RC=$?
check_eq "sweep-parallel.sh --sshloginfile exits 0" 0 "$RC"
same_as_whole "GNU parallel with --sshloginfile" "$T/ssh.db"
if [ -e "$T/ssh.db.shards" ]; then
    fail "the shard stores are removed after the merge (no --keep)" "$(ls "$T/ssh.db.shards")"
else
    pass "the shard stores are removed after the merge (no --keep)"
fi
(cd "$T" && "$SRC/tools/scaleout/sweep-parallel.sh" --dry-run -n 4 -j 2 -P 1 \
    --sshloginfile "$T/hosts" --bin /opt/bf/borderflow dry.db "$SCN" -r 5 >"$T/dry.out" 2>&1)
check_eq "sweep-parallel.sh --dry-run exits 0" 0 "$?"
check_contains "dry run: parallel with the ssh login file" "$T/dry.out" "--sshloginfile $T/hosts"
check_contains "dry run: the scenario is sent to every machine" "$T/dry.out" "--basefile hetao-baseline.ini"
check_contains "dry run: each shard's store comes back" "$T/dry.out" "--return shard-\{\}-of-4.db"
check_contains "dry run: shard K of 4, 2 threads each" "$T/dry.out" "--shard\ \{\}/4\ --jobs\ 2"
check_contains "dry run: the merge" "$T/dry.out" "/opt/bf/borderflow merge $T/dry.db shard-1-of-4.db shard-2-of-4.db shard-3-of-4.db shard-4-of-4.db"
[ ! -e "$T/dry.db" ] && [ ! -e "$T/dry.db.shards" ] && pass "dry run: nothing written" \
    || fail "dry run: nothing written"

# ---- the Slurm job array script ---------------------------------------------------

SLURM="$SRC/tools/scaleout/slurm-sweep.sh"
out=$(SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_COUNT=3 SLURM_CPUS_PER_TASK=4 BORDERFLOW=/opt/bf/borderflow \
      BORDERFLOW_DRY_RUN=1 BORDERFLOW_SHARD_DIR=/scratch/run1 bash "$SLURM" "$SCN" -r 20 2>&1)
check_eq "slurm task 2 of 3: the command it runs" \
    "/opt/bf/borderflow sweep $SCN -r 20 --shard 2/3 --jobs 4 --db /scratch/run1/shard-2-of-3.db --quiet" "$out"
out=$(BORDERFLOW_SHARDS=8 SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_COUNT=1 SLURM_ARRAY_TASK_MIN=5 \
      BORDERFLOW_DRY_RUN=1 bash "$SLURM" "$SCN" 2>&1)
check_eq "slurm: one task resubmitted with BORDERFLOW_SHARDS" \
    "borderflow sweep $SCN --shard 5/8 --jobs 1 --db ./shard-5-of-8.db --quiet" "$out"
RC=0
out=$(bash "$SLURM" "$SCN" 2>&1) || RC=$?
check_eq "slurm script outside an array: exit 2" 2 "$RC"
check_contains "slurm script outside an array: says why" <(echo "$out") "run as a Slurm array task"
grep -q '^#SBATCH --output=shard-%a.log' "$SLURM" && pass "slurm script: one log per task" \
    || fail "slurm script: one log per task"
mkdir -p "$T/slurm"
for k in 1 2 3; do
    RC=0
    SLURM_ARRAY_TASK_ID=$k SLURM_ARRAY_TASK_COUNT=3 SLURM_ARRAY_TASK_MIN=1 SLURM_CPUS_PER_TASK=2 \
        BORDERFLOW="$BF" BORDERFLOW_SHARD_DIR="$T/slurm" timeout 120 bash "$SLURM" "$SCN" "${SWEEP[@]}" \
        >"$T/slurm/task-$k.log" 2>&1 || RC=$?
    check_eq "slurm task $k/3 exits 0" 0 "$RC"
done
bfrun "$T/out" "$T/err" merge "$T/slurm.db" "$T"/slurm/shard-{1,2,3}-of-3.db
check_eq "merging the 3 Slurm shards exits 0" 0 "$RC"
same_as_whole "Slurm array, 3 tasks" "$T/slurm.db"

# ---- duplicates ---------------------------------------------------------------------

cp "$T/slurm.db" "$T/twice.db"
bfrun "$T/out" "$T/err" merge "$T/twice.db" "$T/slurm/shard-2-of-3.db" "$T/slurm/shard-2-of-3.db"
check_eq "merging shards already in OUT exits 0" 0 "$RC"
check_contains "they are found identical and kept once" "$T/err" "0 replications copied"
same_as_whole "after merging a shard twice more" "$T/twice.db"
check_eq "no duplicate replication" 18 "$(sql "$T/twice.db" "SELECT count(*) FROM replications")"

# ---- refusals: OUT is left as it was ------------------------------------------------

cp "$T/whole.db" "$T/out.db"
sum=$(checksum "$T/out.db")
refused() { # WHAT EXIT MESSAGE INPUTS...
    local what="$1" want="$2" msg="$3"
    shift 3
    bfrun "$T/out" "$T/err" merge "$T/out.db" "$@"
    check_eq "$what: exit $want" "$want" "$RC"
    check_contains "$what: message" "$T/err" "$msg"
    check_eq "$what: OUT unchanged" "$sum" "$(checksum "$T/out.db")"
}
# Another scenario altogether.
cat >"$T/tiny.ini" <<'EOF'
[simulation]
horizon = 2h
replications = 2
[class c]
arrivals = poisson(rate=60/h)
route = desk
[station desk]
servers = 1
service = exp(mean=30s)
EOF
bfrun "$T/out" "$T/err" run "$T/tiny.ini" --db "$T/other.db" -q
check_eq "a run of another scenario exits 0" 0 "$RC"
refused "a store of another scenario" 1 "holds runs of scenario tiny" "$T/other.db"
refused "another scenario among good inputs: nothing merged" 1 "nothing was merged" \
    "$T/slurm/shard-1-of-3.db" "$T/other.db"
# The same scenario, another sweep.
bfrun "$T/out" "$T/err" sweep "$SCN" --vary stations.sl_check.servers=2,3 -r 1 \
    --set simulation.horizon=2d --set simulation.warmup=6h --db "$T/othersweep.db" -q
refused "a store of another sweep" 1 "the stores are of different sweeps" "$T/othersweep.db"
# A replication that differs.
cp "$T/slurm/shard-1-of-3.db" "$T/tampered.db"
sql "$T/tampered.db" "UPDATE rep_metrics SET value = value * 1.001 WHERE rowid IN
                      (SELECT rowid FROM rep_metrics WHERE value > 0 LIMIT 1)" 2>/dev/null ||
sql "$T/tampered.db" "UPDATE rep_metrics SET value = value * 1.001 WHERE (run_id, replication, key_index) IN
                      (SELECT run_id, replication, key_index FROM rep_metrics WHERE value > 0 LIMIT 1)"
refused "a replication that differs" 1 "with different metric values" "$T/tampered.db"
check_contains "a replication that differs: named" "$T/err" "replication "
# Another schema version.
cp "$T/slurm/shard-2-of-3.db" "$T/v1.db"
sql "$T/v1.db" "UPDATE meta SET value = '1' WHERE key = 'schema_version'"
refused "another schema version" 1 "has schema version 1; this borderflow writes version 2" "$T/v1.db"
# Not a store.
head -c 4096 /dev/urandom >"$T/junk.db"
refused "not a store" 1 "is not a borderflow results store" "$T/junk.db"
printf '[simulation]\nhorizon = 1d\n' >"$T/text.db"
refused "a text file" 1 "is not a borderflow results store" "$T/text.db"
refused "a missing file" 1 "no such file" "$T/missing.db"
refused "OUT as an input" 2 "is the output store" "$T/out.db"
bfrun "$T/out" "$T/err" merge "$T/out.db"
check_eq "no inputs: exit 2" 2 "$RC"
check_contains "no inputs: message" "$T/err" "missing the IN stores to merge"
# A new OUT is not left behind when nothing could be merged.
bfrun "$T/out" "$T/err" merge "$T/new.db" "$T/junk.db"
check_eq "new OUT, bad input: exit 1" 1 "$RC"
[ ! -e "$T/new.db" ] && pass "new OUT, bad input: no OUT file created" \
    || fail "new OUT, bad input: no OUT file created"

finish
