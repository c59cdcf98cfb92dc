#!/usr/bin/env bash
# `gridswarm run` with [transmission] (issue 5): the coupled study on 2 ranks, then check_transmission.py checks its
# output against the case data (power balance, marginal costs = LMPs, retail price = LMP x scaling + charge, ...).
# Usage: transmission.sh GRIDSWARM STUDY CASE.json BASE_LOAD_SCALE SCALING CHARGE WORKDIR
set -euo pipefail
bin=$1 study=$2 case=$3 base=$4 scaling=$5 charge=$6 work=$7
here=$(dirname "$(realpath "$0")")
rm -rf "$work"
mkdir -p "$work"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mpirun -np 2 --bind-to none "$bin" run "$study" -o "$work/out.h5" --threads 1 --quiet > "$work/run.log" 2>&1 ||
  { cat "$work/run.log"; exit 1; }
if grep -q "warning" "$work/run.log"; then
  cat "$work/run.log"
  echo "FAILED: the run warned (a clearing or power flow did not converge)"
  exit 1
fi
/usr/bin/python3 "$here/check_transmission.py" "$work/out.h5" "$case" "$base" "$scaling" "$charge"
