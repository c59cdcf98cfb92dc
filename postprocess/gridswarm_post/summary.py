"""The summary metrics of one run, as a plain dict (JSON-ready: floats, ints, strings, lists, None).

Every metric uses only the valid rows [0, rows) (reader.RunFile). With dt_h = step_s / 3600:

    energy_mwh = sum_k sum_j p_kw[k, j] * dt_h / 1000          (row k holds for its whole step)

Voltage statistics and violations use converged feeder-steps only: a step that did not converge holds the last
iterate, not a solution; such steps are counted under `convergence`.
"""

import numpy as np

from .reader import clock_label

AGENT_TYPES = ("hvac", "waterheater", "battery", "ev", "pv")
RANK_COLUMNS = ("engine_s", "agents_s", "market_s", "io_s", "wait_s", "feeders")
BUSY_COLUMNS = ("engine_s", "agents_s", "market_s")  # compute time; io and wait are not load to balance
V_LOW_PU, V_HIGH_PU = 0.95, 1.05  # the band of /feeders/nodes_outside_band
TOP_LMP_BUSES = 10


def summarize(run):
    """All metrics of the open RunFile `run` (docs/postprocess.md, Metrics)."""
    feeders = FeederSeries(run)
    out = {
        "file": run.path,
        "study": {"name": run.study.name, "file": run.study_file, "note": run.study.note},
        "period": period(run),
        "dsos": [dso_metrics(run, feeders, k) for k in range(run.n_dsos)],
        "feeder_groups": [grid_metrics(run, feeders, name, cols) for name, cols in run.study.groups],
        "total": grid_metrics(run, feeders, "total", list(range(run.n_feeders))),
        "convergence": convergence(run, feeders),
        "agents": agent_metrics(run),
        "ranks": rank_metrics(run),
    }
    if run.has("/transmission"):
        out["transmission"] = transmission_metrics(run)
    return out


class FeederSeries:
    """The per-feeder series the metrics need, read once: [rows x feeders] float64 arrays, and the measured compute
    seconds per feeder (/run/feeder_busy_s, None when the file has none)."""

    def __init__(self, run):
        f = run.n_feeders
        self.dso = run.vector("/feeders/dso", f).astype(int)
        self.busy_s = run.vector("/run/feeder_busy_s", f) if run.has("/run/feeder_busy_s") else None
        self.p_kw = run.series("/feeders/substation_p_kw", f)
        self.losses_kw = run.series("/feeders/losses_kw", f)
        self.v_min_pu = run.series("/feeders/v_min_pu", f)
        self.v_max_pu = run.series("/feeders/v_max_pu", f)
        self.outside = run.series("/feeders/nodes_outside_band", f)
        self.converged = run.series("/feeders/converged", f) == 1
        bad = (self.dso < 0) | (self.dso >= run.n_dsos)
        if bad.any():
            raise run.error("/feeders/dso", f"DSO index {self.dso[bad][0]} outside [0, {run.n_dsos})")


def energy_mwh(p_kw, step_s):
    """Energy of a power series (any shape, kW, one value per step) in MWh: sum(p) * dt_h / 1000."""
    return float(np.sum(p_kw) * step_s / 3600.0 / 1000.0)


def at_step(run, k):
    """A step reference: index, seconds and clock label."""
    k = int(k)
    return {"step": k, "t_s": float(run.time_s[k]), "time": clock_label(run.time_s[k])}


def stats(values):
    """mean/min/max of an array, None for an empty one."""
    if np.size(values) == 0:
        return {"mean": None, "min": None, "max": None}
    return {"mean": float(np.mean(values)), "min": float(np.min(values)), "max": float(np.max(values))}


def period(run):
    end_s = float(run.time_s[-1] + run.step_s)
    return {
        "start": clock_label(run.time_s[0]), "end": clock_label(end_s),
        "start_s": float(run.time_s[0]), "end_s": end_s, "hours": (end_s - run.time_s[0]) / 3600.0,
        "step_s": run.step_s, "steps": run.rows, "steps_planned": run.steps_planned,
        "complete": run.rows == run.steps_planned,
    }


def dso_metrics(run, feeders, k):
    """Substation load of the DSO's feeders (power flow) and its market: cleared quantity and price."""
    price = run.series("/dsos/price_usd_per_mwh", run.n_dsos)[:, k]
    cleared_kw = run.series("/dsos/quantity_kw", run.n_dsos)[:, k]
    state = run.series("/dsos/congestion_state", run.n_dsos)[:, k]
    cols = np.flatnonzero(feeders.dso == k)
    load_kw = feeders.p_kw[:, cols].sum(axis=1)  # sum of the DSO's feeders per step
    peak = int(np.argmax(load_kw))
    return {
        "name": run.study.dso_names[k], "feeders": len(cols),
        "substation_energy_mwh": energy_mwh(load_kw, run.step_s),
        "peak_kw": float(load_kw[peak]), "peak_at": at_step(run, peak),
        "cleared_energy_mwh": energy_mwh(cleared_kw, run.step_s),
        "price_usd_per_mwh": stats(price),
        "congested_steps": int(np.count_nonzero(state != 0)),
    }


def grid_metrics(run, feeders, name, cols):
    """Energy, losses, voltages and convergence of feeder columns `cols` (a group, or all feeders)."""
    p = feeders.p_kw[:, cols]
    ok = feeders.converged[:, cols]
    energy = energy_mwh(p, run.step_s)
    losses = energy_mwh(feeders.losses_kw[:, cols], run.step_s)
    load_kw = p.sum(axis=1)
    peak = int(np.argmax(load_kw))
    return {
        "name": name, "feeders": len(cols),
        "substation_energy_mwh": energy, "losses_mwh": losses,
        "losses_pct": 100.0 * losses / energy if energy != 0 else None,
        "peak_kw": float(load_kw[peak]), "peak_at": at_step(run, peak),
        "violation_node_steps": int(feeders.outside[:, cols][ok].sum()),
        "violation_feeder_steps": int(np.count_nonzero((feeders.outside[:, cols] > 0) & ok)),
        "v_min": _extreme(run, feeders.v_min_pu[:, cols], ok, cols, np.argmin),
        "v_max": _extreme(run, feeders.v_max_pu[:, cols], ok, cols, np.argmax),
        "nonconverged_steps": int(np.count_nonzero(~ok)),
        "busy_s": None if feeders.busy_s is None else float(feeders.busy_s[cols].sum()),
    }


def _extreme(run, v_pu, ok, cols, arg):
    """The lowest (arg = argmin) or highest voltage over converged feeder-steps, with its feeder and step."""
    if not ok.any():
        return None
    fill = np.inf if arg is np.argmin else -np.inf
    k, j = np.unravel_index(arg(np.where(ok, v_pu, fill)), v_pu.shape)
    feeder = int(cols[j])
    return {"pu": float(v_pu[k, j]), "feeder": feeder, "feeder_name": run.study.feeder_names[feeder],
            **at_step(run, k)}


def convergence(run, feeders):
    """Failed power flows: total feeder-steps and, per feeder that failed, how often and first when."""
    failed = ~feeders.converged
    per_feeder = []
    for j in np.flatnonzero(failed.any(axis=0)):
        steps = np.flatnonzero(failed[:, j])
        per_feeder.append({"feeder": int(j), "feeder_name": run.study.feeder_names[j], "steps": len(steps),
                           "first": at_step(run, steps[0]), "last": at_step(run, steps[-1])})
    return {"failed_feeder_steps": int(failed.sum()), "feeders": per_feeder}


def agent_metrics(run):
    """Per agent type, over all feeders: energy, mean/min/max of the total power, mean flexibility offered.
    None when the study did not write agent aggregates ([output] agent_aggregates = false)."""
    if not run.study.agent_aggregates and not run.has("/feeders/agents"):
        return None
    out = {}
    for kind in AGENT_TYPES:
        total_kw = run.series(f"/feeders/agents/{kind}_kw", run.n_feeders).sum(axis=1)
        flex = f"/feeders/agents/{kind}_flex_kw"
        flex_kw = run.series(flex, run.n_feeders).sum(axis=1) if kind != "pv" else None
        out[kind] = {"energy_mwh": energy_mwh(total_kw, run.step_s), **_kw_stats(total_kw),
                     "flex_mean_kw": None if flex_kw is None else float(np.mean(flex_kw))}
    return out


def _kw_stats(total_kw):
    s = stats(total_kw)
    return {"mean_kw": s["mean"], "min_kw": s["min"], "max_kw": s["max"]}


def rank_times(run):
    """/run/rank_times_s as [ranks x 6] (engine, agents, market, io, wait seconds, feeders owned).

    run.cpp writes it 1-D, rank-major (6 values per rank); docs/output.md describes it as 6 x ranks. Both are read."""
    name = "/run/rank_times_s"
    ds = run.dataset(name)
    ranks = int(run.attr(name, "ranks", 0) or 0)
    values = np.asarray(ds[()], dtype=np.float64)
    if values.ndim == 1 and values.size % 6 == 0 and (ranks == 0 or values.size == 6 * ranks):
        return values.reshape(-1, 6)
    if values.ndim == 2 and values.shape[0] == 6 and (ranks == 0 or values.shape[1] == ranks):
        return values.T
    raise run.error(name, f"expected 6 values per rank for {ranks} ranks, got shape {values.shape}")


def rank_metrics(run):
    """Timing per rank and the machine. None for an unfinished run (/run/ is written when the run ends)."""
    name = "/run/rank_times_s"
    if not run.has(name):
        return None
    times = rank_times(run)
    busy_s = times[:, : len(BUSY_COLUMNS)].sum(axis=1)
    per_rank = [{"rank": r, **{c: float(times[r, i]) for i, c in enumerate(RANK_COLUMNS[:5])},
                 "feeders": int(times[r, 5]), "busy_s": float(busy_s[r])}
                for r in range(len(times))]
    threads = run.attr(name, "threads_per_rank")
    return {
        "ranks": len(times), "threads_per_rank": None if threads is None else int(threads),
        "wall_s": _float_or_none(run.attr(name, "wall_s")), "allocator": run.attr(name, "allocator"),
        "host": run.attr(name, "host"), "version": run.attr(name, "version"),
        "predicted_imbalance": _float_or_none(run.attr(name, "predicted_imbalance")),
        # > 0: a restarted segment (docs/checkpoint.md); its times cover steps [first_step, end) only
        "first_step": int(run.attr(name, "first_step", 0)),
        # imbalance = max over ranks of busy time / mean over ranks (1 = perfectly balanced)
        "busy_imbalance": float(busy_s.max() / busy_s.mean()) if busy_s.mean() > 0 else None,
        "per_rank": per_rank,
    }


def _float_or_none(value):
    return None if value is None else float(value)


def transmission_metrics(run):
    """The wholesale market, when the run has /transmission/: LMP per bus (the TOP_LMP_BUSES highest by mean),
    generation energy, the largest branch flow, and solve times found under /run/."""
    bus_id = run.vector("/transmission/bus_id")
    lmp = run.series("/transmission/lmp_usd_per_mwh", len(bus_id))
    mean = lmp.mean(axis=0)
    order = np.argsort(-mean, kind="stable")[:TOP_LMP_BUSES]
    out = {
        "buses": len(bus_id), "lmp_usd_per_mwh": stats(lmp),
        "lmp_top_buses": [{"bus_id": _id(bus_id[b]), **stats(lmp[:, b])} for b in order],
    }
    if run.has("/transmission/gen_p_mw"):
        gen_mw = run.series("/transmission/gen_p_mw")
        total_mw = gen_mw.sum(axis=1)
        peak = int(np.argmax(total_mw))
        out["generators"] = gen_mw.shape[1]
        out["generation_energy_mwh"] = float(gen_mw.sum() * run.step_s / 3600.0)  # MW x h
        out["generation_peak_mw"] = float(total_mw[peak])
        out["generation_peak_at"] = at_step(run, peak)
    if run.has("/transmission/branch_flow_mw"):
        flow = np.abs(run.series("/transmission/branch_flow_mw"))
        k, b = np.unravel_index(np.argmax(flow), flow.shape)
        out["branches"] = flow.shape[1]
        out["branch_max_abs_flow_mw"] = {"branch": int(b), "mw": float(flow[k, b]), **at_step(run, k)}
    out["solve_times"] = [_time_metrics(run, n) for n in run.names_under("/run") if "transmission" in n]
    return out


def _id(value):
    return int(value) if float(value).is_integer() else float(value)


def _time_metrics(run, name):
    """total/mean/max of a timing dataset under /run/ (its valid rows when it is a time series)."""
    ds = run.dataset(name)
    values = np.asarray(ds[: run.rows] if "rows_written" in ds.attrs else ds[()], dtype=np.float64).ravel()
    return {"dataset": name, "units": run.attr(name, "units"), "count": int(values.size),
            "total": float(values.sum()), **stats(values)}
