#!/bin/bash
#SBATCH --job-name=borderflow-sweep
#SBATCH --cpus-per-task=4
#SBATCH --time=04:00:00
#SBATCH --output=shard-%a.log
#
# slurm-sweep.sh - one shard of a borderflow sweep, as a task of a Slurm
# job array.  Task K of an array 1-N runs shard K/N of the sweep into its
# own store, shard-K-of-N.db; a job that depends on the array merges them.
#
# Submit (from the directory the stores should go to):
#   job=$(sbatch --parsable --array=1-8 tools/scaleout/slurm-sweep.sh \
#         scenarios/hetao-baseline.ini --vary stations.fl_check.servers=4:12:1 -r 20)
#   sbatch --dependency=afterok:$job --wrap \
#         "borderflow merge sweep.db shard-{1..8}-of-8.db"
#
# The array must be numbered 1..N (--array=1-N, any %limit is fine): K is
# SLURM_ARRAY_TASK_ID and N is SLURM_ARRAY_TASK_COUNT.  Each task uses
# SLURM_CPUS_PER_TASK worker threads.  Everything after the script name is
# passed to `borderflow sweep`.  A task that fails or times out can be
# resubmitted alone, giving N explicitly (an array of one task has a count
# of 1): BORDERFLOW_SHARDS=8 sbatch --array=5 tools/scaleout/slurm-sweep.sh
# SCENARIO ... (sbatch passes the environment on).  It resumes where it
# stopped, because a shard's store keeps every finished run.
#
# Environment:
#   BORDERFLOW           the program (default: borderflow on PATH)
#   BORDERFLOW_SHARDS    N, to override SLURM_ARRAY_TASK_COUNT (needed when a
#                        single task K is resubmitted with --array=K)
#   BORDERFLOW_SHARD_DIR where the shard's store goes (default: .)
#   BORDERFLOW_DRY_RUN   set to 1 to print the command instead of running it
#
# Outside Slurm (to test, or to run a shard by hand) set the variables
# yourself:
#   SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_COUNT=3 tools/scaleout/slurm-sweep.sh SCENARIO ...
set -euo pipefail

bf=${BORDERFLOW:-borderflow}
k=${SLURM_ARRAY_TASK_ID:-}
n=${BORDERFLOW_SHARDS:-${SLURM_ARRAY_TASK_COUNT:-}}
if [ -z "$k" ] || [ -z "$n" ]; then
    echo "slurm-sweep.sh: run as a Slurm array task (sbatch --array=1-N $0 SCENARIO ...);" \
         "SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT must be set" >&2
    exit 2
fi
if [ -n "${SLURM_ARRAY_TASK_MIN:-}" ] && [ "${SLURM_ARRAY_TASK_MIN}" != 1 ] &&
   [ -z "${BORDERFLOW_SHARDS:-}" ]; then
    echo "slurm-sweep.sh: the array must be numbered from 1 (--array=1-N), or set" \
         "BORDERFLOW_SHARDS=N" >&2
    exit 2
fi
if [ $# -lt 1 ]; then
    echo "slurm-sweep.sh: expected SCENARIO [sweep options...]" >&2
    exit 2
fi
jobs=${SLURM_CPUS_PER_TASK:-1}
dir=${BORDERFLOW_SHARD_DIR:-.}
cmd=("$bf" sweep "$@" --shard "$k/$n" --jobs "$jobs" --db "$dir/shard-$k-of-$n.db" --quiet)
if [ "${BORDERFLOW_DRY_RUN:-0}" = 1 ]; then
    printf '%q' "${cmd[0]}"
    printf ' %q' "${cmd[@]:1}"
    printf '\n'
    exit 0
fi
exec "${cmd[@]}"
