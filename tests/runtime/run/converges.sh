#!/usr/bin/env bash
# A [transmission] study whose every real-time clearing and AC power flow must converge: the run prints no warning
# and /transmission/{rt,ac}_converged are all 1. Usage: converges.sh GRIDSWARM STUDY WORKDIR
set -euo pipefail
bin=$1 study=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mpirun -np 2 --bind-to none "$bin" run "$study" -o "$work/out.h5" --threads 1 --quiet > "$work/run.log" 2>&1 ||
  { cat "$work/run.log"; exit 1; }
! grep -q "warning" "$work/run.log" || { cat "$work/run.log"; echo "FAILED: the run warned"; exit 1; }
/usr/bin/python3 - "$work/out.h5" <<'PY'
import sys
import h5py
import numpy as np
f = h5py.File(sys.argv[1], "r")
for name in ("rt_converged", "ac_converged"):
    v = f["/transmission/" + name][:]
    assert v.size > 0 and np.all(v == 1), f"{name}: {v.ravel()}"
it = f["/transmission/ac_iterations"][:].ravel()
print(f"all {v.size} clearings and AC power flows converged ({it.min()}-{it.max()} Newton iterations), "
      f"losses {f['/transmission/ac_losses_mw'][:].mean():.0f} MW")
PY
