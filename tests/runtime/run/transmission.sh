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

# substation_voltage = true: each step's feeder sources follow their bus's voltage from the previous step's AC power
# flow. Step 0 (no power flow yet) equals the run without it; later steps differ exactly on the feeders of DSOs whose
# bus voltage is not 1 pu, and are equal elsewhere.
dir=$(dirname "$(realpath "$study")")
sed -e 's/^ac_powerflow = true/ac_powerflow = true\nsubstation_voltage = true/' \
  -e "s#= \"\.\./#= \"$dir/../#" "$study" > "$work/sv.toml"
grep -q "^substation_voltage = true" "$work/sv.toml"
mpirun -np 2 --bind-to none "$bin" run "$work/sv.toml" -o "$work/sv.h5" --threads 1 --quiet > "$work/sv.log" 2>&1 ||
  { cat "$work/sv.log"; exit 1; }
! grep -q "warning" "$work/sv.log" || { cat "$work/sv.log"; echo "FAILED: substation_voltage run warned"; exit 1; }
/usr/bin/python3 - "$work/out.h5" "$work/sv.h5" <<'PY'
import sys
import h5py
import numpy as np
off, on = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
vm = on["/transmission/vm_pu"][:]
bus = list(on["/transmission/bus_id"][:].astype(int))
dso_vm = vm[:, [bus.index(b) for b in on["/dsos/bus"][:].astype(int)]]
feeder_dso = on["/feeders/dso"][:].astype(int)
a, b = off["/feeders/v_max_pu"][:], on["/feeders/v_max_pu"][:]
assert np.array_equal(a[0], b[0]), "step 0 differs"
moved = 0
for k in range(1, a.shape[0]):
    for j, d in enumerate(feeder_dso):
        if dso_vm[k - 1, d] == 1.0:
            assert a[k, j] == b[k, j], f"step {k} feeder {j}: bus at 1 pu but the feeder changed"
        elif abs(dso_vm[k - 1, d] - 1.0) > 1e-3:
            assert a[k, j] != b[k, j], f"step {k} feeder {j}: bus at {dso_vm[k - 1, d]:.4f} pu, feeder unchanged"
            moved += 1
assert moved > 0, "no DSO bus away from 1 pu: the check proved nothing"
print(f"substation_voltage: {moved} feeder steps followed their bus voltage")
PY
