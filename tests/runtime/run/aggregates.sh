#!/usr/bin/env bash
# [output] agent_aggregates = false (docs/output.md): the run writes no /feeders/agents/ datasets and everything
# else is bit-identical to the same study with the aggregates (they are outputs only, not part of the simulation).
# Usage: aggregates.sh GRIDSWARM STUDY WORKDIR   (STUDY sets agent_aggregates = true or leaves the default)
set -euo pipefail
bin=$1 study=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
dir=$(dirname "$(realpath "$study")")
# Relative input paths made absolute (the copy lives in the work directory); the key set in [output].
sed -e "s#= \"\([^\"/][^\"]*\.\(dss\|tmy3\|csv\|json\|m\|toml\)\)\"#= \"$dir/\1\"#" -e '/^agent_aggregates *=/d' \
  -e 's/^\[output\]/[output]\nagent_aggregates = false/' "$study" > "$work/off.toml"
grep -q "^agent_aggregates = false" "$work/off.toml"
run() { mpirun -np 2 --bind-to none "$bin" run "$1" -o "$2" --threads 1 --quiet > "$2.log" 2>&1 || { cat "$2.log"; exit 1; }; }
run "$study" "$work/on.h5"
run "$work/off.toml" "$work/off.h5"
h5ls -r "$work/on.h5" | grep -q "^/feeders/agents/hvac_kw" || { echo "FAILED: the reference run has no aggregates"; exit 1; }
! h5ls -r "$work/off.h5" | grep -q "^/feeders/agents" || { echo "FAILED: /feeders/agents written with agent_aggregates = false"; exit 1; }
h5diff --exclude-path /run --exclude-path /study --exclude-path /feeders/agents "$work/on.h5" "$work/off.h5" ||
  { echo "FAILED: outputs differ beyond the aggregates"; exit 1; }
echo "agent_aggregates = false: no /feeders/agents, the rest identical"
