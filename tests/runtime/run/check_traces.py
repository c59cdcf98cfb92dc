"""Check the sampled per-agent traces of `gridswarm run` (docs/output.md, "/agents/trace").

Usage: check_traces.py SAMPLED.h5 N ALL.h5
  SAMPLED.h5  a run with agent_trace_sample = N
  ALL.h5      the same study with agent_trace_sample = 1 (every agent traced)

Checks:
  ALL:      the ids are sorted and unique, type = id mod 8 in 0-4, feeder a valid column; per feeder, per type and per
            step the traces sum to /feeders/agents/<type>_kw (computed independently, run.cpp take_metrics) within
            1e-9 relative; every type is present and moves; states are in physical ranges (PV: NaN).
  SAMPLED:  the ids are exactly ALL's ids that are multiples of N (sorted, unique), with the same type and feeder, and
            their p_kw and state columns equal ALL's bit for bit; tracing does not change the simulation (every
            /feeders and /dsos series equal between the two files).
"""
import sys

import h5py
import numpy as np

TYPES = ["hvac", "waterheater", "battery", "ev", "pv"]
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAILED:", what)


def read_trace(path, sample):
    with h5py.File(path, "r") as f:
        steps = f["/time/seconds"].shape[0]
        g = f["/agents/trace"]
        check(int(g.attrs["sample"]) == sample, f"{path}: /agents/trace sample attribute {g.attrs['sample']}, "
                                                 f"expected {sample}")
        t = {k: g[k][...] for k in ("agent_id", "type", "feeder", "p_kw", "state")}
        for k in ("p_kw", "state"):
            check(int(g[k].attrs["rows_written"]) == steps, f"{path}: {k} rows_written {g[k].attrs['rows_written']}")
            check(g[k].shape == (steps, len(t["agent_id"])), f"{path}: {k} shape {g[k].shape}")
            check(g[k].attrs["units"] != "", f"{path}: {k} has no units")
        series = {}
        for group in ("/feeders", "/dsos"):
            f[group].visititems(lambda n, o, group=group: series.__setitem__(f"{group}/{n}", o[...])
                                if isinstance(o, h5py.Dataset) else None)
    ids = t["agent_id"]
    check(np.all(ids == np.round(ids)) and np.all(ids >= 0), f"{path}: ids are not non-negative integers")
    check(np.all(np.diff(ids) > 0), f"{path}: ids are not sorted and unique")
    check(np.all(ids % sample == 0), f"{path}: ids that are not multiples of {sample}")
    check(np.array_equal(t["type"], ids % 8), f"{path}: type is not id mod 8")
    check(np.all((t["type"] >= 0) & (t["type"] <= 4)), f"{path}: type outside 0-4")
    nfeeders = len(series["/feeders/dso"])
    check(np.all((t["feeder"] >= 0) & (t["feeder"] < nfeeders)), f"{path}: feeder outside [0, {nfeeders})")
    return t, series


def main():
    sampled_path, n, all_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    a, a_series = read_trace(all_path, 1)
    s, s_series = read_trace(sampled_path, n)

    # ALL: per feeder, type and step, the traces sum to the aggregate.
    nfeeders = len(a_series["/feeders/dso"])
    for k, name in enumerate(TYPES):
        agg = a_series[f"/feeders/agents/{name}_kw"]
        cols = a["type"] == k
        check(cols.any(), f"{all_path}: no {name} agent traced (the check would prove nothing)")
        check(np.any(a["p_kw"][:, cols] != 0), f"{all_path}: every {name} trace is 0 (the check would prove nothing)")
        for fid in range(nfeeders):
            sums = a["p_kw"][:, cols & (a["feeder"] == fid)].sum(axis=1)
            scale = np.maximum(np.abs(agg[:, fid]), 1.0)
            err = np.abs(sums - agg[:, fid]) / scale
            check(np.all(err <= 1e-9), f"{all_path}: feeder {fid} {name}: traces sum to {sums[err.argmax()]}, "
                                       f"/feeders/agents/{name}_kw is {agg[err.argmax(), fid]} (step {err.argmax()})")
    st, ty = a["state"], a["type"]
    ranges = {0: (40.0, 110.0), 1: (40.0, 220.0), 2: (0.0, 25.0), 3: (0.0, 100.0)}
    for k, (lo, hi) in ranges.items():
        v = st[:, ty == k]
        check(np.all(np.isfinite(v)) and np.all((v >= lo) & (v <= hi)),
              f"{all_path}: {TYPES[k]} state outside [{lo}, {hi}]: {v.min()}..{v.max()}")
    check(np.all(np.isnan(st[:, ty == 4])), f"{all_path}: PV state is not NaN")
    check(np.all(a["p_kw"][:, ty == 4] <= 0), f"{all_path}: PV power positive (PV traces are minus the output)")

    # SAMPLED: exactly ALL's columns of the multiples of N.
    pick = a["agent_id"] % n == 0
    check(len(s["agent_id"]) > 0, f"{sampled_path}: no agent sampled")
    check(np.array_equal(s["agent_id"], a["agent_id"][pick]), f"{sampled_path}: ids are not the multiples of {n}")
    if not failures:
        for k in ("type", "feeder"):
            check(np.array_equal(s[k], a[k][pick]), f"{sampled_path}: {k} differs from the full trace")
        for k in ("p_kw", "state"):
            check(np.array_equal(s[k], a[k][:, pick], equal_nan=True),
                  f"{sampled_path}: {k} differs from the full trace's columns")
    for name, v in a_series.items():
        if name in s_series:
            check(np.array_equal(v, s_series[name], equal_nan=True), f"{name} differs between the two runs")
    check(a_series.keys() == s_series.keys(), "the two runs have different /feeders or /dsos datasets")

    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print(f"traces OK: {len(a['agent_id'])} agents traced in full, {len(s['agent_id'])} sampled (every id divisible "
          f"by {n}); sums match the per-feeder aggregates of every type")


if __name__ == "__main__":
    main()
