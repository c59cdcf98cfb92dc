#!/usr/bin/env bash
# Fixture of the post-processing tests (ctest postprocess_runs): real gridswarm runs on 2 ranks x 1 thread.
# Usage: make_outputs.sh GRIDSWARM WORKDIR   (writes small.h5, small_no_agents.h5, nonconverging.h5; see common.py)
set -euo pipefail
bin=$1 work=$2
repo=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$work"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
run() {  # study output
  rm -f "$2" "$2.tmp"
  mpirun -np 2 --bind-to none "$bin" run "$1" -o "$2" --threads 1 --quiet > "$2.log" 2>&1 || { cat "$2.log"; exit 1; }
}
run "$repo/inputs/studies/small.toml" "$work/small.h5"
run "$repo/tests/fixtures/postprocess/small_no_agents.toml" "$work/small_no_agents.h5"
run "$repo/tests/runtime/run/nonconverging.toml" "$work/nonconverging.h5"
echo "wrote $work/small.h5 small_no_agents.h5 nonconverging.h5"
