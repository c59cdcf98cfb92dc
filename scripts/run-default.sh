#!/usr/bin/env bash
# Fresh Debian 12 machine to a finished default study: install packages, build, run inputs/studies/default.toml
# (100 feeders, ~50,000 agents, one day at 5-minute steps) on 2 MPI ranks into out/default.h5 and print the summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
mkdir -p out
# Open MPI refuses root without these; more ranks than cores needs oversubscription.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mpirun -np 2 --bind-to none ./build/gridswarm run inputs/studies/default.toml -o out/default.h5 --threads 1
