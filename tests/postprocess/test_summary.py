"""`summary` on a real run of inputs/studies/small.toml, checked against numbers recomputed here from the datasets
with h5py and numpy (common.valid), and against what the study file says (start, steps, groups)."""

import json
import unittest

import h5py
import numpy as np

from common import (SMALL_DSOS, SMALL_GROUPS, SMALL_START_S, SMALL_STEP_S, SMALL_STEPS, energy_mwh, real_output,
                    run_cli, valid)

REL = 1e-12  # the same sums in another order: a few ulps


class SummaryOfSmallStudy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.path = real_output("small.h5")
        code, out, err = run_cli("summary", cls.path, "--json")
        assert code == 0, err
        cls.s = json.loads(out)
        cls.p_kw = valid(cls.path, "/feeders/substation_p_kw")
        cls.ok = valid(cls.path, "/feeders/converged") == 1

    def test_period_is_the_studys(self):
        p = self.s["period"]
        self.assertEqual((p["steps"], p["steps_planned"], p["step_s"]), (SMALL_STEPS, SMALL_STEPS, SMALL_STEP_S))
        self.assertEqual((p["start_s"], p["end_s"]), (SMALL_START_S, SMALL_START_S + 2 * 3600))
        self.assertEqual((p["start"], p["end"], p["hours"]), ("Jul 15 12:00", "Jul 15 14:00", 2.0))
        self.assertTrue(p["complete"])
        self.assertEqual(self.s["study"]["name"], "small")

    def test_dso_energy_peak_and_price(self):
        price = valid(self.path, "/dsos/price_usd_per_mwh")
        cleared = valid(self.path, "/dsos/quantity_kw")
        state = valid(self.path, "/dsos/congestion_state")
        self.assertEqual([d["name"] for d in self.s["dsos"]], list(SMALL_DSOS))
        for k, (d, cols) in enumerate(zip(self.s["dsos"], SMALL_DSOS.values())):
            load_kw = self.p_kw[:, cols].sum(axis=1)
            self.assertEqual(d["feeders"], len(cols))
            self.assertAlmostEqual(d["substation_energy_mwh"], energy_mwh(load_kw, SMALL_STEP_S),
                                   delta=REL * d["substation_energy_mwh"])
            self.assertEqual(d["peak_kw"], load_kw.max())
            self.assertEqual(d["peak_at"]["step"], int(np.argmax(load_kw)))
            self.assertEqual(d["peak_at"]["t_s"], SMALL_START_S + SMALL_STEP_S * int(np.argmax(load_kw)))
            self.assertAlmostEqual(d["cleared_energy_mwh"], energy_mwh(cleared[:, k], SMALL_STEP_S), delta=1e-9)
            self.assertAlmostEqual(d["price_usd_per_mwh"]["mean"], price[:, k].mean(), delta=1e-9)
            self.assertEqual(d["price_usd_per_mwh"]["min"], price[:, k].min())
            self.assertEqual(d["price_usd_per_mwh"]["max"], price[:, k].max())
            self.assertEqual(d["congested_steps"], int(np.count_nonzero(state[:, k])))
        # The datasets are not trivial: a real run draws power and clears a price.
        self.assertGreater(self.s["dsos"][0]["substation_energy_mwh"], 1.0)
        self.assertGreater(self.s["dsos"][0]["price_usd_per_mwh"]["min"], 0.0)

    def test_feeder_groups_and_total(self):
        losses_kw = valid(self.path, "/feeders/losses_kw")
        outside = valid(self.path, "/feeders/nodes_outside_band")
        groups = {g["name"]: g for g in self.s["feeder_groups"]}
        self.assertEqual(list(groups), list(SMALL_GROUPS))
        for name, cols in list(SMALL_GROUPS.items()) + [("total", list(range(6)))]:
            g = groups.get(name, self.s["total"])
            energy = energy_mwh(self.p_kw[:, cols], SMALL_STEP_S)
            losses = energy_mwh(losses_kw[:, cols], SMALL_STEP_S)
            self.assertAlmostEqual(g["substation_energy_mwh"], energy, delta=REL * energy)
            self.assertAlmostEqual(g["losses_mwh"], losses, delta=REL * losses)
            self.assertAlmostEqual(g["losses_pct"], 100 * losses / energy, delta=1e-9)
            self.assertEqual(g["peak_kw"], self.p_kw[:, cols].sum(axis=1).max())
            self.assertEqual(g["violation_node_steps"], int(outside[:, cols][self.ok[:, cols]].sum()))
            self.assertEqual(g["violation_feeder_steps"], int(np.count_nonzero(outside[:, cols] > 0)))
            self.assertEqual(g["nonconverged_steps"], 0)
        with h5py.File(self.path, "r") as f:  # written by runs since the checkpoint work; older files have none
            busy_s = f["/run/feeder_busy_s"][...] if "/run/feeder_busy_s" in f else None
        for name, cols in SMALL_GROUPS.items():
            self.assertEqual(groups[name]["busy_s"], None if busy_s is None else busy_s[cols].sum())
        # small.toml's IEEE 34 copies have nodes just above 1.05 pu at every step: the count is not 0.
        self.assertGreater(self.s["total"]["violation_node_steps"], 0)

    def test_voltage_extremes_and_where(self):
        v_min = valid(self.path, "/feeders/v_min_pu")
        v_max = valid(self.path, "/feeders/v_max_pu")
        for key, v, pick in (("v_min", v_min, np.argmin), ("v_max", v_max, np.argmax)):
            got = self.s["total"][key]
            k, j = np.unravel_index(pick(v), v.shape)
            self.assertEqual(got["pu"], v[k, j])
            self.assertEqual((got["step"], got["feeder"]), (k, j))
            self.assertEqual(got["feeder_name"], {0: "north-13#0", 1: "north-13#1", 2: "north-34#0", 3: "south-123#0",
                                                  4: "south-123#1", 5: "south-34#0"}[j])

    def test_agent_energy_by_type(self):
        for kind in ("hvac", "waterheater", "battery", "ev", "pv"):
            p_kw = valid(self.path, f"/feeders/agents/{kind}_kw").sum(axis=1)
            a = self.s["agents"][kind]
            self.assertAlmostEqual(a["energy_mwh"], energy_mwh(p_kw, SMALL_STEP_S), delta=1e-9)
            self.assertAlmostEqual(a["mean_kw"], p_kw.mean(), delta=1e-9)
            self.assertEqual((a["min_kw"], a["max_kw"]), (p_kw.min(), p_kw.max()))
        self.assertGreater(self.s["agents"]["hvac"]["energy_mwh"], 0.0)  # July afternoon in Houston
        self.assertLess(self.s["agents"]["pv"]["energy_mwh"], 0.0)  # generation is negative

    def test_rank_times_and_imbalance(self):
        flat = valid(self.path, "/run/rank_times_s")  # run.cpp: rank-major, 6 values per rank
        r = self.s["ranks"]
        self.assertEqual((r["ranks"], r["threads_per_rank"]), (2, 1))
        busy = [flat[6 * i] + flat[6 * i + 1] + flat[6 * i + 2] for i in range(2)]
        self.assertAlmostEqual(r["busy_imbalance"], max(busy) / (sum(busy) / 2), delta=1e-12)
        for i, rank in enumerate(r["per_rank"]):
            self.assertEqual([rank[c] for c in ("engine_s", "agents_s", "market_s", "io_s", "wait_s", "feeders")],
                             list(flat[6 * i: 6 * i + 6]))
        self.assertEqual(sum(rank["feeders"] for rank in r["per_rank"]), 6)
        self.assertGreater(r["wall_s"], 0.0)
        self.assertIn(r["allocator"], ("jemalloc", "mimalloc", "glibc"))

    def test_text_table_shows_the_same_numbers(self):
        code, out, _ = run_cli("summary", self.path)
        self.assertEqual(code, 0)
        for d in self.s["dsos"]:
            self.assertRegex(out, rf"\n{d['name']} +3 +{d['substation_energy_mwh']:,.3f} +"
                                  rf"{d['cleared_energy_mwh']:,.3f} +{d['peak_kw']:,.3f} +{d['peak_at']['time']}")
        self.assertIn(f"busy imbalance (max/mean of engine+agents+market): {self.s['ranks']['busy_imbalance']:.3f}",
                      out)
        self.assertIn("Convergence: every feeder-step converged", out)


class SummaryOfNonConvergingRun(unittest.TestCase):
    """tests/runtime/run/nonconverging.toml: the IEEE 34 copies (columns 2 and 5) fail every step."""

    @classmethod
    def setUpClass(cls):
        cls.path = real_output("nonconverging.h5")
        code, out, err = run_cli("summary", cls.path, "--json")
        assert code == 0, err
        cls.s = json.loads(out)

    def test_failures_counted_per_feeder(self):
        failed = valid(self.path, "/feeders/converged") == 0
        c = self.s["convergence"]
        self.assertEqual(c["failed_feeder_steps"], int(failed.sum()))
        self.assertEqual(c["failed_feeder_steps"], 48)  # the study's comment: 2 copies x 24 steps
        self.assertEqual([f["feeder"] for f in c["feeders"]], list(np.flatnonzero(failed.any(axis=0))))
        self.assertEqual([f["feeder_name"] for f in c["feeders"]], ["north-34#0", "south-34#0"])
        for f in c["feeders"]:
            steps = np.flatnonzero(failed[:, f["feeder"]])
            self.assertEqual((f["steps"], f["first"]["step"], f["last"]["step"]), (len(steps), steps[0], steps[-1]))
        self.assertEqual({g["name"]: g["nonconverged_steps"] for g in self.s["feeder_groups"]},
                         {"north-13": 0, "north-34": 24, "south-123": 0, "south-34": 24})

    def test_voltages_only_from_converged_steps(self):
        ok = valid(self.path, "/feeders/converged") == 1
        v_min = valid(self.path, "/feeders/v_min_pu")
        outside = valid(self.path, "/feeders/nodes_outside_band")
        self.assertEqual(self.s["total"]["v_min"]["pu"], v_min[ok].min())
        self.assertLess(v_min[~ok].min(), v_min[ok].min())  # the last iterates are lower: left out on purpose
        self.assertEqual(self.s["total"]["violation_node_steps"], int(outside[ok].sum()))
        groups = {g["name"]: g for g in self.s["feeder_groups"]}
        self.assertIsNone(groups["north-34"]["v_min"])
        self.assertIsNone(groups["north-34"]["v_max"])

    def test_text_lists_the_failed_feeders(self):
        code, out, _ = run_cli("summary", self.path)
        self.assertEqual(code, 0)
        self.assertIn("Convergence failures: 48 feeder-steps", out)
        self.assertRegex(out, r"north-34#0 +2 +24 +0 \(Jul 15 12:00\) +23 \(Jul 15 13:55\)")


if __name__ == "__main__":
    unittest.main()
