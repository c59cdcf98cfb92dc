"""Synthetic output files written with h5py in the layout of docs/output.md, with planted values: the wholesale
datasets that gridswarm does not write yet (/transmission/..., per the issue), and layouts the real runs do not
cover (/run/rank_times_s as [6 x ranks]).

Values are chosen so the expected metrics are known by construction (see the tests that use them).
"""

import h5py
import numpy as np

STEP_S = 300
START_S = (196 - 1) * 86400  # July 15 00:00
FEEDERS, DSOS = 4, 2
STUDY_TEXT = """[study]
name = "synthetic"
start = "2016-07-15T00:00:00"
duration = "30m"
step = "5m"
[[dsos]]
name = "east"
[[dsos]]
name = "west"
[[feeders]]
name = "e"
copies = 2
dso = "east"
[[feeders]]
name = "w"
copies = 2
dso = "west"
"""
FEEDER_SERIES = ("substation_p_kw", "substation_q_kvar", "v_min_pu", "v_max_pu", "losses_kw", "nodes_outside_band",
                 "iterations", "converged")
AGENT_SERIES = [f"agents/{k}_kw" for k in ("hvac", "waterheater", "battery", "ev", "pv")] + [
    f"agents/{k}_flex_kw" for k in ("hvac", "waterheater", "battery", "ev")]
GARBAGE, GARBAGE_INT = 1e12, 7  # what the rows at or beyond rows_written hold in these files


def _series(f, name, values, rows_written, units="1"):
    """A time series like H5Output's: [steps x columns], rows_written, rows beyond it garbage."""
    data = np.array(values, dtype=np.float64)
    integer = name.endswith(("nodes_outside_band", "iterations", "converged", "congestion_state"))
    data[rows_written:] = GARBAGE_INT if integer else GARBAGE
    ds = f.create_dataset(name, data=data.astype(np.int32) if integer else data, chunks=True, compression="gzip")
    ds.attrs["units"] = units
    ds.attrs["description"] = "synthetic"
    ds.attrs["rows_written"] = np.int64(rows_written)
    return ds


def _vector(f, name, values, units="1"):
    ds = f.create_dataset(name, data=np.asarray(values, dtype=np.float64))
    ds.attrs["units"] = units
    ds.attrs["description"] = "synthetic"
    return ds


def write_grid(f, steps, rows_written, agents=True):
    """The distribution part: feeder j draws 100 (j + 1) + k kW at step k, all converged, voltages in the band."""
    k = np.arange(steps)[:, None]
    j = np.arange(FEEDERS)[None, :]
    _vector(f, "/time/seconds", START_S + STEP_S * np.arange(steps), "s")
    _vector(f, "/feeders/dso", [0, 0, 1, 1])
    _vector(f, "/feeders/load_scale", np.ones(FEEDERS))
    values = {"substation_p_kw": 100.0 * (j + 1) + k, "losses_kw": 1.0 + 0 * k * j, "v_min_pu": 0.99 + 0 * k * j,
              "v_max_pu": 1.01 + 0 * k * j, "converged": 1 + 0 * k * j}
    for name in FEEDER_SERIES:
        _series(f, f"/feeders/{name}", values.get(name, 0 * k * j), rows_written)
    for name in AGENT_SERIES if agents else ():
        _series(f, f"/feeders/{name}", 0 * k * j + 1.0, rows_written, "kW")
    _series(f, "/dsos/price_usd_per_mwh", 40.0 + 0 * k + np.arange(DSOS), rows_written, "USD/MWh")
    _series(f, "/dsos/quantity_kw", 300.0 + 0 * k + np.zeros(DSOS), rows_written, "kW")
    _series(f, "/dsos/congestion_state", 0 * k + np.zeros(DSOS), rows_written)
    text = STUDY_TEXT if agents else STUDY_TEXT + "[output]\nagent_aggregates = false\n"
    f.create_dataset("/study/text", data=np.bytes_(text.encode()))
    f["/study/text"].attrs["file"] = "synthetic.toml"


def write_rank_times_6_by_ranks(f, per_rank):
    """/run/rank_times_s as docs/output.md describes it: [6 x ranks] (run.cpp writes it 1-D, rank-major)."""
    ds = _vector(f, "/run/rank_times_s", np.asarray(per_rank, dtype=np.float64).T, "s")
    ds.attrs["ranks"] = float(len(per_rank))
    ds.attrs["threads_per_rank"] = 2.0
    ds.attrs["wall_s"] = 9.0
    ds.attrs["allocator"] = "glibc"
    ds.attrs["host"] = "synthetic"
    ds.attrs["version"] = "gridswarm 0.1.0"
    ds.attrs["predicted_imbalance"] = 1.0
    ds.attrs["first_step"] = 2.0  # a restarted segment
    _vector(f, "/run/feeder_busy_s", 0.5 * (1 + np.arange(FEEDERS)), "s")  # 0.5, 1, 1.5, 2


def lmp_values(steps, buses):
    """LMP of bus b at step k: 20 + 3 b + sin(k + b) (USD/MWh), so the mean rises with the bus index."""
    k = np.arange(steps)[:, None]
    b = np.arange(buses)[None, :]
    return 20.0 + 3.0 * b + np.sin(k + b)


def write_transmission(f, steps, rows_written, buses=12, gens=3, branches=4):
    """/transmission/... as announced in the issue: bus ids 101, 102, ...; generator g makes 10 (g + 1) MW; branch 2
    carries -500 MW at step 3 (the largest |flow|) and 50 MW otherwise; /run/transmission_solve_s: 0.01 (k + 1) s."""
    _vector(f, "/transmission/bus_id", 101 + np.arange(buses))
    _series(f, "/transmission/lmp_usd_per_mwh", lmp_values(steps, buses), rows_written, "USD/MWh")
    _series(f, "/transmission/gen_p_mw", np.tile(10.0 * (1 + np.arange(gens)), (steps, 1)), rows_written, "MW")
    flow = np.full((steps, branches), 50.0)
    flow[3, 2] = -500.0
    _series(f, "/transmission/branch_flow_mw", flow, rows_written, "MW")
    solve = _series(f, "/run/transmission_solve_s", 0.01 * (1 + np.arange(steps)), rows_written, "s")  # 1-D
    solve.attrs["description"] = "DC-OPF solve time per step"


def write(path, steps=6, rows_written=6, transmission=False, rank_times=None, agents=True):
    """A file of `steps` rows of which `rows_written` are written; without `agents`, as a study with
    [output] agent_aggregates = false writes it (no /feeders/agents/)."""
    with h5py.File(path, "w") as f:
        write_grid(f, steps, rows_written, agents)
        if transmission:
            write_transmission(f, steps, rows_written)
        if rank_times is not None:
            write_rank_times_6_by_ranks(f, rank_times)
    return path
