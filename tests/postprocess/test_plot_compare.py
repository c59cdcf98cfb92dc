"""`plot` writes readable, non-blank PNGs of the expected names; `compare` reports A, B and A - B of every metric,
on the real runs of small.toml (A, with agents) and small_no_agents.toml (B, the same feeders without agents)."""

import json
import re
import tempfile
import unittest
from pathlib import Path

import matplotlib.image
import numpy as np

from common import SMALL_DSOS, SMALL_STEP_S, energy_mwh, real_output, run_cli, valid

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class PlotTestCase(unittest.TestCase):
    def assert_png(self, path):
        self.assertEqual(path.read_bytes()[:8], PNG_SIGNATURE, path)
        image = matplotlib.image.imread(path)  # decodes the whole image
        self.assertGreaterEqual(image.shape[0], 300)
        self.assertGreaterEqual(image.shape[1], 300)
        self.assertGreater(float(np.std(image[..., :3])), 0.01, f"{path} is blank")


class Plot(PlotTestCase):
    def test_figures_of_a_run(self):
        with tempfile.TemporaryDirectory() as tmp:
            out_dir = Path(tmp) / "new" / "dir"  # created by plot
            code, out, err = run_cli("plot", real_output("small.h5"), "-o", out_dir)
            self.assertEqual(code, 0, err)
            names = ["substation_price.png", "voltage_envelope.png", "agents.png", "rank_times.png"]
            self.assertEqual(out.split(), [w for n in names for w in ("wrote", str(out_dir / n))])
            self.assertEqual(sorted(p.name for p in out_dir.iterdir()), sorted(names))  # no lmp.png: no wholesale
            for name in names:
                self.assert_png(out_dir / name)


class Compare(PlotTestCase):
    @classmethod
    def setUpClass(cls):
        cls.a, cls.b = real_output("small.h5"), real_output("small_no_agents.h5")
        cls.tmp = tempfile.TemporaryDirectory()
        code, out, err = run_cli("compare", cls.a, cls.b, "--json", "--plot", cls.tmp.name)
        assert code == 0, err
        cls.c = json.loads(out)
        cls.metrics = {m["metric"]: m for m in cls.c["metrics"]}
        cls.plot_log = err
        cls.summary_a = json.loads(run_cli("summary", cls.a, "--json")[1])
        cls.summary_b = json.loads(run_cli("summary", cls.b, "--json")[1])

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_differences_are_a_minus_b(self):
        numeric = [m for m in self.c["metrics"] if m["diff"] is not None]
        self.assertGreater(len(numeric), 100)
        for m in numeric:
            self.assertEqual(m["diff"], m["a"] - m["b"], m["metric"])
            if m["b"] != 0:
                self.assertAlmostEqual(m["rel_pct"], 100 * (m["a"] - m["b"]) / abs(m["b"]), delta=1e-9)

    def test_values_are_each_runs_own(self):
        for k, (name, cols) in enumerate(SMALL_DSOS.items()):
            energy = [energy_mwh(valid(p, "/feeders/substation_p_kw")[:, cols], SMALL_STEP_S) for p in (self.a, self.b)]
            m = self.metrics[f"dsos.{name}.substation_energy_mwh"]
            self.assertAlmostEqual(m["a"], energy[0], delta=1e-12)
            self.assertAlmostEqual(m["b"], energy[1], delta=1e-12)
            self.assertAlmostEqual(m["diff"], energy[0] - energy[1], delta=1e-12)
            self.assertGreater(m["diff"], 0.1)  # agents (net of PV) add load on a July afternoon
        self.assertEqual(self.metrics["agents.hvac.energy_mwh"]["b"], 0.0)  # B really has no agents
        self.assertEqual(self.metrics["study.name"], {"metric": "study.name", "a": "small", "b": "small_no_agents",
                                                      "diff": None, "rel_pct": None})
        self.assertEqual(self.metrics["ranks.per_rank.rank 1.busy_s"]["a"],
                         self.summary_a["ranks"]["per_rank"][1]["busy_s"])

    def test_identifiers_are_not_subtracted(self):
        for name in ("dsos.north.peak_at.step", "total.v_min.feeder"):
            self.assertIsNone(self.metrics[name]["diff"], name)

    def test_text_table(self):
        code, out, _ = run_cli("compare", self.a, self.b)
        self.assertEqual(code, 0)
        m = self.metrics["total.substation_energy_mwh"]
        cells = [f"{m['a']:,.3f}", f"{m['b']:,.3f}", f"{m['diff']:,.3f}", f"{m['rel_pct']:+.2f}"]
        self.assertRegex(out, r"\ntotal\.substation_energy_mwh +" + " +".join(map(re.escape, cells)) + "\n")

    def test_overlay_plot(self):
        png = Path(self.tmp.name) / "compare_substation_price.png"
        self.assertEqual(self.plot_log, f"wrote {png}\n")  # on stderr with --json: stdout stays JSON
        self.assert_png(png)


if __name__ == "__main__":
    unittest.main()
