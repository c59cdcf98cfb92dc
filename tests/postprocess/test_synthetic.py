"""The wholesale (/transmission/) code path and other layouts, on synthetic files with planted values
(tests/postprocess/synthetic.py): gridswarm does not write /transmission/ yet."""

import json
import tempfile
import unittest
from pathlib import Path

import numpy as np

import synthetic
from common import run_cli


class WholesaleSummary(unittest.TestCase):
    """12 buses, 6 steps of which 5 are written (row 5 holds 1e12 everywhere and must not count)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.path = synthetic.write(Path(cls.tmp.name) / "wholesale.h5", steps=6, rows_written=5, transmission=True,
                                   rank_times=[[1, 2, 3, 0.5, 0.5, 2], [2, 2, 4, 0.5, 0.1, 2]])
        code, out, err = run_cli("summary", cls.path, "--json")
        assert code == 0, err
        cls.t = json.loads(out)["transmission"]
        cls.s = json.loads(out)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_lmp_per_bus_top_10_by_mean(self):
        lmp = synthetic.lmp_values(6, 12)[:5]  # the written rows
        self.assertEqual(self.t["buses"], 12)
        top = self.t["lmp_top_buses"]
        self.assertEqual([b["bus_id"] for b in top], list(range(112, 102, -1)))  # means rise with the bus index
        for b in top:
            col = lmp[:, b["bus_id"] - 101]
            self.assertAlmostEqual(b["mean"], col.mean(), delta=1e-12)
            self.assertEqual((b["min"], b["max"]), (col.min(), col.max()))
        self.assertEqual(self.t["lmp_usd_per_mwh"]["max"], lmp.max())
        self.assertLess(self.t["lmp_usd_per_mwh"]["max"], 100.0)  # the garbage row is not read

    def test_generation_branches_and_solve_times(self):
        self.assertEqual(self.t["generators"], 3)
        self.assertAlmostEqual(self.t["generation_energy_mwh"], (10 + 20 + 30) * 5 * 300 / 3600, delta=1e-12)
        self.assertEqual(self.t["generation_peak_mw"], 60.0)
        self.assertEqual(self.t["branch_max_abs_flow_mw"], {"branch": 2, "mw": 500.0, "step": 3,
                                                            "t_s": synthetic.START_S + 900, "time": "Jul 15 00:15"})
        (solve,) = self.t["solve_times"]
        self.assertEqual((solve["dataset"], solve["count"]), ("/run/transmission_solve_s", 5))
        self.assertAlmostEqual(solve["total"], 0.01 * (1 + 2 + 3 + 4 + 5), delta=1e-12)
        self.assertEqual(solve["max"], 0.05)

    def test_rank_times_6_by_ranks_layout(self):
        r = self.s["ranks"]
        self.assertEqual([p["agents_s"] for p in r["per_rank"]], [2.0, 2.0])
        self.assertEqual([p["feeders"] for p in r["per_rank"]], [2, 2])
        self.assertAlmostEqual(r["busy_imbalance"], 8.0 / 7.0, delta=1e-12)  # busy 6 and 8: max / mean
        self.assertEqual(r["first_step"], 2)
        self.assertEqual([g["busy_s"] for g in self.s["feeder_groups"]], [1.5, 3.5])  # /run/feeder_busy_s
        self.assertEqual(self.s["total"]["busy_s"], 5.0)
        self.assertIn("restarted at step 2: the times below cover this segment only", run_cli("summary", self.path)[1])

    def test_grid_metrics_of_written_rows(self):
        # feeder j draws 100 (j + 1) + k kW at step k; east = feeders 0 and 1, west = 2 and 3; 5 rows written.
        east_kw = [300.0 + 2 * k for k in range(5)]
        d = self.s["dsos"][0]
        self.assertEqual(d["name"], "east")
        self.assertAlmostEqual(d["substation_energy_mwh"], sum(east_kw) * 300 / 3600 / 1000, delta=1e-15)
        self.assertEqual((d["peak_kw"], d["peak_at"]["step"]), (308.0, 4))
        self.assertEqual(self.s["period"]["steps"], 5)
        self.assertFalse(self.s["period"]["complete"])
        self.assertEqual([g["name"] for g in self.s["feeder_groups"]], ["e", "w"])

    def test_text_and_plot(self):
        code, out, _ = run_cli("summary", self.path)
        self.assertEqual(code, 0)
        self.assertIn("Transmission: 12 buses", out)
        self.assertRegex(out, r"\n112 +53\.\d{3} ")
        code, out, _ = run_cli("plot", self.path, "-o", Path(self.tmp.name) / "plots")
        self.assertEqual(code, 0)
        png = Path(self.tmp.name) / "plots" / "lmp.png"
        self.assertGreater(png.stat().st_size, 5000)
        self.assertEqual(png.read_bytes()[:8], b"\x89PNG\r\n\x1a\n")


class WithoutWholesale(unittest.TestCase):
    def test_no_transmission_section(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = synthetic.write(Path(tmp) / "grid.h5")
            code, out, err = run_cli("summary", path, "--json")
            self.assertEqual(code, 0, err)
            s = json.loads(out)
            self.assertNotIn("transmission", s)
            self.assertIsNone(s["ranks"])  # no /run/: an unfinished run

    def test_study_without_agent_aggregates(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = synthetic.write(Path(tmp) / "grid.h5", agents=False)
            code, out, err = run_cli("summary", path, "--json")
            self.assertEqual(code, 0, err)
            self.assertIsNone(json.loads(out)["agents"])
            self.assertIn("Agents: no aggregates in the file", run_cli("summary", path)[1])
            code, out, err = run_cli("plot", path, "-o", tmp)
            self.assertEqual(code, 0, err)
            self.assertNotIn("agents.png", out)

    def test_smallest_rows_written_wins(self):
        """Series flushed together have the same rows_written; if not, only rows all of them hold are used."""
        import h5py

        with tempfile.TemporaryDirectory() as tmp:
            path = synthetic.write(Path(tmp) / "grid.h5", steps=6, rows_written=6)
            with h5py.File(path, "r+") as f:
                f["/dsos/quantity_kw"].attrs["rows_written"] = np.int64(2)
            code, out, err = run_cli("summary", path, "--json")
            self.assertEqual(code, 0, err)
            s = json.loads(out)
            self.assertEqual(s["period"]["steps"], 2)
            self.assertAlmostEqual(s["total"]["substation_energy_mwh"], (1000 + 1004) * 300 / 3.6e6, delta=1e-15)


if __name__ == "__main__":
    unittest.main()
