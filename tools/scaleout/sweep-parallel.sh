#!/usr/bin/env bash
# sweep-parallel.sh - run a borderflow sweep as N shards with GNU parallel,
# on this machine or over SSH, then merge the shards' stores into one.
#
# Usage:
#   tools/scaleout/sweep-parallel.sh [options] OUT.db SCENARIO [sweep options...]
#
# Options (before OUT.db):
#   -n N                 shards (default: 3)
#   -j J                 worker threads per shard (default: 1)
#   -P P                 shards run at once on each machine (default: the
#                        machine's CPUs / J, at least 1)
#   --sshloginfile FILE  run the shards on the machines listed in FILE (GNU
#                        parallel's format: one "[ncpus/]user@host" a line;
#                        ":" is this machine).  Each machine needs borderflow
#                        (see --bin); the scenario, and every --transfer
#                        file, is copied there, the shard's store copied back
#                        and the remote copies removed.
#   --transfer FILE      another file the scenario needs on the remote machines
#                        (a `base = ...` file it inherits, a trace); repeatable
#   --bin PATH           the borderflow program, on every machine (default:
#                        $BORDERFLOW, else borderflow on PATH)
#   --shard-dir DIR      where the shards' stores go (default: OUT.db.shards)
#   --keep               keep the shards' stores after merging
#   --dry-run            print the commands, run nothing
#   -h, --help           this help
#
# Everything after SCENARIO is passed to `borderflow sweep` in every shard
# (--vary, --set, -r, --seed, --series ...).  Each shard writes its own
# store, so the shards share nothing while they run; `borderflow merge`
# then combines them, checking that a replication present twice is
# identical.  The shard of a replication depends only on its identity
# (docs/sweeps.md), so the merged store holds exactly the runs of the
# sweep run in one piece.  Shards that fail can be rerun alone with the
# same command line: each resumes where it stopped.
#
# Example (three shards on this machine, two threads each):
#   tools/scaleout/sweep-parallel.sh -n 3 -j 2 sweep.db scenarios/hetao-baseline.ini \
#       --vary stations.fl_check.servers=4:8:1 -r 20
# Over SSH:
#   printf '4/alice@node1\n4/alice@node2\n:\n' > hosts
#   tools/scaleout/sweep-parallel.sh -n 12 -j 4 -P 1 --sshloginfile hosts \
#       --bin /opt/borderflow/bin/borderflow sweep.db scenarios/hetao-baseline.ini ...
#
# Exit status: 0 if every shard ran and the merge succeeded; otherwise 1,
# with the shards' stores left in place.
set -euo pipefail

usage() { sed -n '2,44p' "$0" | sed 's/^# \{0,1\}//'; }

n=3 j=1 P="" sshloginfile="" bin="${BORDERFLOW:-borderflow}" shard_dir="" keep=0 dry=0
transfer=()
while [ $# -gt 0 ]; do
    case "$1" in
    -n) n=$2; shift 2 ;;
    -j) j=$2; shift 2 ;;
    -P) P=$2; shift 2 ;;
    --sshloginfile) sshloginfile=$2; shift 2 ;;
    --transfer) transfer+=("$2"); shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --shard-dir) shard_dir=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --dry-run) dry=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; break ;;
    -*) echo "sweep-parallel.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
    *) break ;;
    esac
done
if [ $# -lt 2 ]; then
    echo "sweep-parallel.sh: expected OUT.db SCENARIO [sweep options...] (try --help)" >&2
    exit 2
fi
case "$n$j" in *[!0-9]*) echo "sweep-parallel.sh: -n and -j take whole numbers" >&2; exit 2 ;; esac
if [ "$n" -lt 1 ] || [ "$j" -lt 1 ]; then
    echo "sweep-parallel.sh: -n and -j must be at least 1" >&2
    exit 2
fi
out=$1 scenario=$2
shift 2
if ! command -v parallel >/dev/null 2>&1; then
    echo "sweep-parallel.sh: GNU parallel is not installed (Debian: apt-get install parallel)" >&2
    exit 1
fi
[ -r "$scenario" ] || { echo "sweep-parallel.sh: cannot read $scenario" >&2; exit 1; }
for f in "${transfer[@]}"; do
    [ -r "$f" ] || { echo "sweep-parallel.sh: cannot read $f" >&2; exit 1; }
done
if [ -z "$P" ]; then
    P=$(( $(nproc 2>/dev/null || echo 1) / j ))
    [ "$P" -ge 1 ] || P=1
fi
shard_dir=${shard_dir:-$out.shards}
out_abs=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
# A program given by path is used by its absolute path locally.
if [ -z "$sshloginfile" ] && [[ "$bin" == */* ]]; then
    bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
fi
if [ "$dry" = 0 ]; then
    mkdir -p "$shard_dir"
    shard_dir=$(cd "$shard_dir" && pwd)
fi

# The shards run inside shard_dir.  On this machine alone they read the
# scenario where it is.  With other machines, the scenario (and the files
# it needs) is copied into shard_dir under its own name: the same relative
# name then works here and, through --basefile, in the same directory
# (relative to the home directory) on the others.
copies=()
if [ -n "$sshloginfile" ]; then
    name=$(basename "$scenario")
    copies=("$scenario" "${transfer[@]}")
else
    name=$(cd "$(dirname "$scenario")" && pwd)/$(basename "$scenario")
fi
if [ "$dry" = 0 ]; then
    for f in "${copies[@]}"; do
        cp "$f" "$shard_dir/$(basename "$f")"
    done
fi

popts=(--jobs "$P" --halt never --line-buffer --tagstring "shard {}/$n")
if [ -n "$sshloginfile" ]; then
    popts+=(--sshloginfile "$(cd "$(dirname "$sshloginfile")" && pwd)/$(basename "$sshloginfile")")
    popts+=(--basefile "$name" --return "shard-{}-of-$n.db" --cleanup --workdir .)
    for f in "${transfer[@]}"; do
        popts+=(--basefile "$(basename "$f")")
    done
fi

# The sweep's own options, quoted for the (remote) shell.
sweep_args=$(printf ' %q' "$@")
cmd="$(printf '%q' "$bin") sweep $(printf '%q' "$name")$sweep_args --shard {}/$n --jobs $j \
--db shard-{}-of-$n.db --quiet --format tsv > shard-{}-of-$n.tsv"

if [ "$dry" = 1 ]; then
    echo "mkdir -p $(printf '%q' "$shard_dir")"
    for f in "${copies[@]}"; do
        echo "cp $(printf '%q' "$f") $(printf '%q' "$shard_dir")"
    done
    echo "cd $(printf '%q' "$shard_dir")"
    echo "parallel$(printf ' %q' "${popts[@]}") $(printf '%q' "$cmd") ::: $(seq -s ' ' 1 "$n")"
    echo "$(printf '%q' "$bin") merge $(printf '%q' "$out_abs")$(for k in $(seq 1 "$n"); do printf ' shard-%s-of-%s.db' "$k" "$n"; done)"
    exit 0
fi

cd "$shard_dir"
# Earlier, failed attempts of the same sweep are resumed, not redone.
status=0
parallel "${popts[@]}" "$cmd" ::: $(seq 1 "$n") || status=$?
if [ "$status" -ne 0 ]; then
    echo "sweep-parallel.sh: $status shard(s) failed; their stores are in $shard_dir." >&2
    echo "sweep-parallel.sh: run the same command again to complete them." >&2
    exit 1
fi
dbs=()
for k in $(seq 1 "$n"); do
    if [ ! -f "shard-$k-of-$n.db" ]; then
        echo "sweep-parallel.sh: shard $k/$n left no store in $shard_dir" >&2
        exit 1
    fi
    dbs+=("shard-$k-of-$n.db")
done
"$bin" merge "$out_abs" "${dbs[@]}"
if [ "$keep" = 0 ]; then
    rm -f "${dbs[@]}" shard-*-of-"$n".tsv
    for f in "${copies[@]}"; do rm -f "$(basename "$f")"; done
    rmdir "$shard_dir" 2>/dev/null || true
fi
echo "sweep-parallel.sh: $n shards merged into $out" >&2
