#!/bin/bash
# gridswarm workflow: partition -> run -> post-process, three Slurm jobs chained with --dependency=afterok (a step
# runs only if the one before it completed with exit code 0; a failed step cancels the rest, given Slurm's
# DependencyParameters=kill_invalid_depend, else they pend with reason DependencyNeverSatisfied). Run it on a login
# node; it submits and returns.
#
#   jobs/workflow.sh STUDY.toml OUT.h5 [--ranks R] [--threads T] [--nodes N] [--time HH:MM:SS] [--costs-from PREV.h5]
#
#   R ranks (default 2) of T threads (default 1) on N nodes (default 1: jobs/run-single.sbatch, else
#   jobs/run-multi.sbatch with R/N ranks per node). --time is the run step's limit (default: the script's).
#   --costs-from balances the partition on the times measured in an earlier run of the study.
# Files: OUT, OUT without .h5 plus -summary.txt (post step), OUT without .h5 plus .work/ (part.toml, study.toml);
# job logs in the current directory. Extra sbatch options for all three jobs: GRIDSWARM_SBATCH_ARGS.
# Prints "jobs: PARTITION RUN POST" last.
set -euo pipefail

usage() {
  sed -n 's/^#   \{0,1\}//p' "$0" | sed -n '/^jobs\/workflow.sh/,/^Prints/p' >&2
  exit 2
}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export GRIDSWARM_HOME=${GRIDSWARM_HOME:-$(dirname "$here")}
(($# >= 2)) || usage
study=$(realpath -e "$1") || { echo "workflow.sh: no study $1" >&2; exit 1; }
out=$(realpath -m "$2")
shift 2
ranks=2 threads=1 nodes=1 run_time="" costs=""
while (($#)); do
  case $1 in
    --ranks) ranks=$2 ;;
    --threads) threads=$2 ;;
    --nodes) nodes=$2 ;;
    --time) run_time=$2 ;;
    --costs-from) costs=$(realpath -e "$2") ;;
    *) usage ;;
  esac
  shift 2
done
work=${out%.h5}.work
mkdir -p "$work" "$(dirname "$out")"
# shellcheck disable=SC2206 # a list of sbatch options
extra=(${GRIDSWARM_SBATCH_ARGS:-})

part=$(sbatch --parsable "${extra[@]}" "$here/partition.sbatch" "$study" "$ranks" "$work" ${costs:+"$costs"})
part=${part%%;*}
run_args=(--parsable --dependency="afterok:$part" --cpus-per-task="$threads" "${extra[@]}")
[[ -n $run_time ]] && run_args+=(--time="$run_time")
if ((nodes == 1)); then
  run_args+=(--nodes=1 --ntasks="$ranks")
  script=$here/run-single.sbatch
else
  ((ranks % nodes == 0)) || { echo "workflow.sh: --ranks $ranks is not a multiple of --nodes $nodes" >&2; exit 2; }
  run_args+=(--nodes="$nodes" --ntasks-per-node=$((ranks / nodes)))
  script=$here/run-multi.sbatch
fi
run=$(sbatch "${run_args[@]}" "$script" "$work/study.toml" "$out")
run=${run%%;*}
post=$(sbatch --parsable --dependency="afterok:$run" "${extra[@]}" "$here/post.sbatch" "$out")
post=${post%%;*}
echo "partition job $part -> $work/part.toml, $work/study.toml"
echo "run job       $run  -> $out ($ranks ranks x $threads threads on $nodes node(s); checkpoints continue as new jobs)"
echo "post job      $post -> ${out%.h5}-summary.txt"
echo "logs in $PWD (squeue -u \$USER; scontrol show job ID)"
echo "jobs: $part $run $post"
