#!/usr/bin/env bash
# Sampled per-agent traces of `gridswarm run` ([output] agent_trace_sample, docs/output.md "/agents/trace"): the same
# study with every 7th agent traced (2 ranks) and with every agent traced (3 ranks, 2 threads), then check_traces.py
# checks the ids, the sums against the per-feeder aggregates and the sampled columns against the full trace.
# Usage: traces.sh GRIDSWARM SAMPLED.toml N ALL.toml WORKDIR
set -euo pipefail
bin=$1 sampled=$2 n=$3 all=$4 work=$5
here=$(dirname "$(realpath "$0")")
rm -rf "$work"
mkdir -p "$work"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
run() {  # ranks threads study output
  mpirun -np "$1" --bind-to none "$bin" run "$3" -o "$4" --threads "$2" --quiet > "$4.log" 2>&1 ||
    { cat "$4.log"; exit 1; }
}
run 2 1 "$sampled" "$work/sampled.h5"
run 3 2 "$all" "$work/all.h5"
/usr/bin/python3 "$here/check_traces.py" "$work/sampled.h5" "$n" "$work/all.h5"
