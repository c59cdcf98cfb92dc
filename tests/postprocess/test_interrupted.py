"""A run killed after a flush (docs/output.md, Flushing): made from the real small.h5 as a kill leaves it, i.e. the
`.tmp` name, no /run/ (written at the end), rows_written = 12 (the second of the study's 6-step flushes) and rows
12.. undefined, here filled with values that would dominate every metric if they were read."""

import json
import shutil
import tempfile
import unittest
from pathlib import Path

import h5py
import numpy as np

from common import SMALL_DSOS, SMALL_STEP_S, energy_mwh, real_output, run_cli, valid

ROWS = 12


def make_killed_copy(src, dst):
    shutil.copyfile(src, dst)
    with h5py.File(dst, "r+") as f:
        del f["/run"]
        series = []
        f.visititems(lambda n, o: series.append(o) if isinstance(o, h5py.Dataset) and "rows_written" in o.attrs
                     else None)
        for ds in series:
            ds[ROWS:] = 7 if ds.dtype.kind == "i" else 1e9  # 7: neither converged (1) nor failed (0)
            ds.attrs["rows_written"] = np.int64(ROWS)
    return dst


class KilledRun(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.full = real_output("small.h5")
        cls.path = make_killed_copy(cls.full, Path(cls.tmp.name) / "killed.h5.tmp")
        code, out, err = run_cli("summary", cls.path, "--json")
        assert code == 0, err
        cls.s = json.loads(out)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_only_written_rows_are_used(self):
        p_kw = valid(self.full, "/feeders/substation_p_kw")[:ROWS]  # the complete file's first 12 rows
        self.assertEqual((self.s["period"]["steps"], self.s["period"]["steps_planned"]), (ROWS, 24))
        self.assertFalse(self.s["period"]["complete"])
        self.assertEqual(self.s["period"]["end"], "Jul 15 13:00")
        for d, cols in zip(self.s["dsos"], SMALL_DSOS.values()):
            load_kw = p_kw[:, cols].sum(axis=1)
            self.assertAlmostEqual(d["substation_energy_mwh"], energy_mwh(load_kw, SMALL_STEP_S), delta=1e-12)
            self.assertEqual(d["peak_kw"], load_kw.max())
            self.assertLess(d["price_usd_per_mwh"]["max"], 1000.0)
        self.assertEqual(self.s["convergence"]["failed_feeder_steps"], 0)
        self.assertLess(self.s["total"]["v_max"]["pu"], 1.2)
        self.assertLess(self.s["agents"]["hvac"]["max_kw"], 1e6)

    def test_no_run_group_is_reported_not_an_error(self):
        self.assertIsNone(self.s["ranks"])
        code, out, _ = run_cli("summary", self.path)
        self.assertEqual(code, 0)
        self.assertIn("interrupted run: 12 of 24 steps written (rows_written)", out)
        self.assertIn("Ranks: no /run/rank_times_s", out)

    def test_plot_skips_rank_times(self):
        out_dir = Path(self.tmp.name) / "plots"
        code, _, err = run_cli("plot", self.path, "-o", out_dir)
        self.assertEqual(code, 0, err)
        self.assertEqual(sorted(p.name for p in out_dir.iterdir()),
                         ["agents.png", "substation_price.png", "voltage_envelope.png"])

    def test_final_name_missing_points_to_tmp(self):
        final = Path(self.tmp.name) / "killed.h5"  # only killed.h5.tmp exists
        code, _, err = run_cli("summary", final)
        self.assertEqual(code, 1)
        self.assertIn(f"{final}: no such file (only {final}.tmp exists: the run did not finish", err)


if __name__ == "__main__":
    unittest.main()
