#!/usr/bin/python3
"""Checks of a `gridswarm run` output with [transmission] (issue 5 items 2-4, 6) against the case data, read here
independently of gridswarm's reader (the DSO+T JSON's MATPOWER-style tables):

  1. power balance of every real-time clearing: sum of dispatch = base_load_scale x sum of the case's Pd + the DSOs'
     wholesale purchases - shed load (the DC model is lossless);
  2. the LMP is the marginal cost of the generators that are strictly between their limits (KKT stationarity of the
     economic dispatch), for every step that has such a generator, at that generator's bus;
  3. the coupling back to the DSOs: a DSO whose retail market is uncongested (state 0) clears at
     LMP(bus) x scaling + distribution charge;
  4. the DSOs' wholesale purchase is their retail cleared quantity x dso_load_scale within the price-step reduction
     of their bids (2 %);
  5. day-ahead LMPs are constant within each hour; every clearing and AC power flow converged with voltages in
     0.9-1.1 pu; rows and columns are complete (no NaN).

Usage: check_transmission.py OUTPUT.h5 CASE.json BASE_LOAD_SCALE SCALING CHARGE
"""
import json
import sys

import h5py
import numpy as np


def fail(msg):
    print("FAILED:", msg)
    sys.exit(1)


def main():
    out, case_file = sys.argv[1], sys.argv[2]
    base_scale, scaling, charge = (float(x) for x in sys.argv[3:6])
    case = json.load(open(case_file))
    bus = np.array(case["bus"], dtype=float)
    gen = np.array(case["gen"], dtype=float)
    cost = np.array(case["gencost"], dtype=float)[: len(gen)]
    f = h5py.File(out, "r")
    lmp = f["/transmission/lmp_usd_per_mwh"][:]
    da = f["/transmission/da_lmp_usd_per_mwh"][:]
    pg = f["/transmission/gen_p_mw"][:]
    shed = f["/transmission/shed_mw"][:]
    dso_mw = f["/dsos/wholesale_mw"][:]
    price = f["/dsos/price_usd_per_mwh"][:]
    qty = f["/dsos/quantity_kw"][:]
    state = f["/dsos/congestion_state"][:]
    bus_id = f["/transmission/bus_id"][:].astype(int)
    dso_bus = f["/dsos/bus"][:].astype(int)
    dso_scale = f["/dsos/load_scale_at_bus"][:]
    t = f["/time/seconds"][:]
    steps = len(t)
    for name, a in [("lmp", lmp), ("da", da), ("pg", pg), ("dso_mw", dso_mw), ("price", price)]:
        if a.shape[0] != steps or not np.all(np.isfinite(a)):
            fail(f"{name}: shape {a.shape} or non-finite values")
    if not np.array_equal(bus_id, bus[:, 0].astype(int)):
        fail("/transmission/bus_id differs from the case's bus numbers")

    # 1. Power balance.
    base = base_scale * bus[:, 2].sum()
    balance = pg.sum(1) - (base + dso_mw.sum(1) - shed.sum(1))
    if np.max(np.abs(balance)) > 1e-6 * pg.sum(1).max():
        fail(f"power balance off by {np.max(np.abs(balance)):.3e} MW")

    # 2. Marginal generators set the LMP at their bus.
    on = gen[:, 7] > 0
    pmin, pmax = gen[:, 9], gen[:, 8]
    checked = 0
    index_of = {b: i for i, b in enumerate(bus_id)}
    for k in range(steps):
        for g in np.nonzero(on)[0]:
            if cost[g, 0] != 2:
                continue
            n = int(cost[g, 3])
            c = cost[g, 4 : 4 + n][::-1]  # c0, c1, c2...
            span = pmax[g] - pmin[g]
            if span <= 0 or not (pmin[g] + 1e-3 * span < pg[k, g] < pmax[g] - 1e-3 * span):
                continue
            mc = sum(j * c[j] * pg[k, g] ** (j - 1) for j in range(1, n))
            at_bus = lmp[k, index_of[int(gen[g, 0])]]
            if abs(mc - at_bus) > 1e-4 * max(1.0, abs(at_bus)):
                fail(f"step {k}: generator {g} at {pg[k, g]:.3f} MW has marginal cost {mc:.6f}, LMP {at_bus:.6f}")
            checked += 1
    if checked == 0:
        fail("no generator strictly between its limits: the marginal-cost check proved nothing")

    # 3. Retail price from the LMP for uncongested DSOs.
    dso_lmp = lmp[:, [index_of[b] for b in dso_bus]]
    retail = dso_lmp * scaling + charge
    free = state == 0
    if not free.any():
        fail("no uncongested DSO step: the price coupling check proved nothing")
    if np.max(np.abs(price[free] - retail[free])) > 1e-9 * np.max(np.abs(retail)):
        fail(f"retail price differs from LMP x scaling + charge by {np.max(np.abs(price[free] - retail[free])):.3e}")

    # 4. Wholesale purchase vs. retail quantity.
    rel = np.abs(dso_mw - qty * dso_scale / 1000.0) / np.maximum(np.abs(qty * dso_scale / 1000.0), 1.0)
    if rel.max() > 0.02:
        fail(f"wholesale purchase differs from the retail quantity by {rel.max():.3%}")

    # 5. Day-ahead prices per hour, convergence, voltages.
    hours = (t // 3600).astype(int)
    for h in np.unique(hours):
        rows = da[hours == h]
        if not np.all(rows == rows[0]):
            fail(f"day-ahead LMP changes within hour {h}")
    if not np.all(f["/transmission/rt_converged"][:] == 1):
        fail("a real-time clearing did not converge")
    if not np.all(f["/transmission/ac_converged"][:] == 1):
        fail("an AC power flow did not converge")
    vm = f["/transmission/vm_pu"][:]
    if vm.min() < 0.9 or vm.max() > 1.1:
        fail(f"AC voltages {vm.min():.4f}-{vm.max():.4f} pu outside 0.9-1.1")
    print(f"transmission checks passed: {steps} steps, {checked} marginal-generator checks, "
          f"{int(free.sum())} uncongested DSO prices, balance within {np.max(np.abs(balance)):.1e} MW")


if __name__ == "__main__":
    main()
