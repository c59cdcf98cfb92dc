"""Shared by the post-processing tests: where the package and the real outputs are, how to run the command line,
and the independent reading of a dataset (h5py + numpy only, nothing from gridswarm_post).

The real outputs are made by the ctest fixture `postprocess_runs` (tests/postprocess/make_outputs.sh) in the
directory named by GRIDSWARM_POST_OUTPUTS:
  small.h5            inputs/studies/small.toml (2 DSOs, 6 feeders, agents), 2 ranks x 1 thread
  small_no_agents.h5  tests/fixtures/postprocess/small_no_agents.toml (the same without agents)
  nonconverging.h5    tests/runtime/run/nonconverging.toml (the IEEE 34 copies, columns 2 and 5, never converge)
"""

import contextlib
import io
import os
import subprocess
import sys
import unittest
from pathlib import Path

import h5py
import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "postprocess"))

from gridswarm_post import cli  # noqa: E402

SCRIPT = REPO / "postprocess" / "gridswarm-post"
OUTPUTS_ENV = "GRIDSWARM_POST_OUTPUTS"

# inputs/studies/small.toml, read by eye: feeder columns in study order and the DSO of each group.
SMALL_GROUPS = {"north-13": [0, 1], "north-34": [2], "south-123": [3, 4], "south-34": [5]}
SMALL_DSOS = {"north": [0, 1, 2], "south": [3, 4, 5]}
SMALL_START_S = (196 - 1) * 86400 + 12 * 3600  # July 15 (day 196 of a 365-day year) 12:00
SMALL_STEPS, SMALL_STEP_S = 24, 300  # 2 h at 5 min


def real_output(name):
    """Path of a real output made by the fixture; skip when run by hand without GRIDSWARM_POST_OUTPUTS."""
    directory = os.environ.get(OUTPUTS_ENV)
    if not directory:
        raise unittest.SkipTest(f"{OUTPUTS_ENV} not set: run `ctest -R postprocess` (or make_outputs.sh by hand)")
    path = Path(directory) / name
    if not path.is_file():
        raise AssertionError(f"{path} is missing: the ctest fixture postprocess_runs did not write it")
    return path


def run_cli(*args):
    """gridswarm_post's main in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            code = cli.main([str(a) for a in args], stdout=out)
        except SystemExit as e:  # argparse usage errors
            code = e.code
    return code, out.getvalue(), err.getvalue()


def run_script(*args):
    """The wrapper script postprocess/gridswarm-post in a subprocess: CompletedProcess with text output."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the script must set the path itself
    return subprocess.run([str(SCRIPT), *map(str, args)], capture_output=True, text=True, env=env, timeout=60)


def valid(path, name):
    """Dataset `name` of file `path`, rows [0, rows_written) for a time series, as float64."""
    with h5py.File(path, "r") as f:
        ds = f[name]
        rows = int(ds.attrs["rows_written"]) if "rows_written" in ds.attrs else ds.shape[0]
        return np.asarray(ds[:rows], dtype=np.float64)


def energy_mwh(p_kw, step_s):
    """Rectangle rule: every row holds for one step. kW x s -> MWh."""
    return p_kw.sum() * step_s / 3600.0 / 1000.0
