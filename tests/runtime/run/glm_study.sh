#!/usr/bin/env bash
# GridLAB-D taxonomy feeders (.glm) as study feeders (inputs/studies/taxonomy.toml): the run imports them, every
# feeder step converges, agents sit on them, and 1 rank and 2 ranks give bit-identical results outside /run/.
# Usage: glm_study.sh GRIDSWARM STUDY WORKDIR
set -euo pipefail
bin=$1 study=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
for np in 1 2; do
  mpirun -np $np --bind-to none "$bin" run "$study" -o "$work/np$np.h5" --threads 1 --quiet > "$work/np$np.log" 2>&1 ||
    { cat "$work/np$np.log"; exit 1; }
done
! grep -q "warning" "$work/np2.log" || { cat "$work/np2.log"; echo "FAILED: the run warned"; exit 1; }
h5diff --exclude-path /run "$work/np1.h5" "$work/np2.h5" || { echo "FAILED: 1 and 2 ranks differ"; exit 1; }
/usr/bin/python3 - "$work/np2.h5" <<'PY'
import sys
import h5py
import numpy as np
f = h5py.File(sys.argv[1], "r")
conv = f["/feeders/converged"][:]
assert conv.shape == (72, 5) and np.all(conv == 1), conv
p = f["/feeders/substation_p_kw"][:]
assert np.all(p > 0), p.min()
agents = sum(f["/feeders/agents/" + k][:] for k in ("hvac_kw", "waterheater_kw", "battery_kw", "ev_kw"))
assert np.any(agents != 0), "no agent demand on the GLM feeders"
print(f"glm study: 72 steps x 5 feeders converged, substation {p.min():.0f}-{p.max():.0f} kW")
PY
