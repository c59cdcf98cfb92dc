"""PNG figures of one run, or two runs overlaid (matplotlib, Agg backend: no display needed).

The time axis is hours after the first step, drawn as steps (a row's value holds for its whole step).
"""

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)
import numpy as np  # noqa: E402

from .reader import clock_label  # noqa: E402
from .summary import AGENT_TYPES, RANK_COLUMNS, V_HIGH_PU, V_LOW_PU, FeederSeries, rank_times  # noqa: E402

DPI = 100


def plot_run(run, out_dir):
    """Write the figures of `run` into `out_dir` (created if needed); return the paths written, in order."""
    os.makedirs(out_dir, exist_ok=True)
    feeders = FeederSeries(run)
    written = [
        _save(substation_price_figure([(run, feeders, "")]), out_dir, "substation_price.png"),
        _save(voltage_envelope_figure(run, feeders), out_dir, "voltage_envelope.png"),
    ]
    if run.study.agent_aggregates or run.has("/feeders/agents"):  # as the summary: missing when due is an error
        written.append(_save(agents_figure(run), out_dir, "agents.png"))
    if run.has("/run/rank_times_s"):
        written.append(_save(rank_times_figure(run), out_dir, "rank_times.png"))
    if run.has("/transmission/lmp_usd_per_mwh"):
        written.append(_save(lmp_figure(run), out_dir, "lmp.png"))
    return written


def plot_compare(run_a, run_b, out_dir):
    """Substation load and cleared price per DSO of two runs overlaid (A solid, B dashed)."""
    os.makedirs(out_dir, exist_ok=True)
    runs = [(run_a, FeederSeries(run_a), "A "), (run_b, FeederSeries(run_b), "B ")]
    return [_save(substation_price_figure(runs), out_dir, "compare_substation_price.png")]


def _save(fig, out_dir, name):
    path = os.path.join(out_dir, name)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def _hours(run):
    """Hours after the first step at the start of each step and, last, the end of the last step."""
    return np.append(run.time_s - run.time_s[0], run.time_s[-1] - run.time_s[0] + run.step_s) / 3600.0


def _held(values):
    """Values per step, the last repeated, to draw against _hours as steps held until the end of the run."""
    return np.append(values, values[-1])


def _time_axis(ax, run):
    ax.set_xlabel(f"hours after {clock_label(run.time_s[0])} (local standard time)")
    ax.grid(True, alpha=0.3)


def substation_price_figure(runs):
    """Two panels: substation load per DSO (kW, sum of its feeders) and cleared retail price per DSO.
    `runs` is [(RunFile, FeederSeries, label prefix)]; the second run, if any, is dashed."""
    fig, (ax_p, ax_price) = plt.subplots(2, 1, sharex=True, figsize=(10, 7))
    for n, (run, feeders, prefix) in enumerate(runs):
        style = "-" if n == 0 else "--"
        hours = _hours(run)
        price = run.series("/dsos/price_usd_per_mwh", run.n_dsos)
        for k, name in enumerate(run.study.dso_names):
            load_kw = feeders.p_kw[:, feeders.dso == k].sum(axis=1)
            color = f"C{k % 10}"
            ax_p.plot(hours, _held(load_kw), style, color=color, drawstyle="steps-post", label=f"{prefix}{name}")
            ax_price.plot(hours, _held(price[:, k]), style, color=color, drawstyle="steps-post",
                          label=f"{prefix}{name}")
    ax_p.set_ylabel("substation load (kW)")
    ax_p.set_title("Substation load and cleared price per DSO")
    ax_p.legend(fontsize="small", ncol=2)
    ax_p.grid(True, alpha=0.3)
    ax_price.set_ylabel("cleared price (USD/MWh)")
    _time_axis(ax_price, runs[0][0])
    fig.tight_layout()
    return fig


def voltage_envelope(feeders):
    """Per step: lowest v_min and highest v_max over converged feeders (NaN where none converged)."""
    ok = feeders.converged
    with np.errstate(invalid="ignore"):
        low = np.where(ok, feeders.v_min_pu, np.inf).min(axis=1)
        high = np.where(ok, feeders.v_max_pu, -np.inf).max(axis=1)
    low[~ok.any(axis=1)] = np.nan
    high[~ok.any(axis=1)] = np.nan
    return low, high


def voltage_envelope_figure(run, feeders):
    low, high = (_held(v) for v in voltage_envelope(feeders))
    hours = _hours(run)
    fig, ax = plt.subplots(figsize=(10, 5))
    ax.axhspan(V_LOW_PU, V_HIGH_PU, color="tab:green", alpha=0.1, label=f"band {V_LOW_PU}-{V_HIGH_PU} pu")
    for v in (V_LOW_PU, V_HIGH_PU):
        ax.axhline(v, color="tab:green", linewidth=0.8)
    ax.fill_between(hours, low, high, step="post", color="tab:blue", alpha=0.2)
    ax.plot(hours, high, color="tab:red", drawstyle="steps-post", label="max over feeders")
    ax.plot(hours, low, color="tab:blue", drawstyle="steps-post", label="min over feeders")
    ax.set_ylabel("node voltage (pu)")
    ax.set_title("Voltage envelope (converged feeder-steps)")
    ax.legend(fontsize="small")
    _time_axis(ax, run)
    fig.tight_layout()
    return fig


def agents_figure(run):
    """Dispatched power and flexibility offered per agent type, summed over all feeders."""
    fig, (ax_p, ax_flex) = plt.subplots(2, 1, sharex=True, figsize=(10, 7))
    hours = _hours(run)
    for n, kind in enumerate(AGENT_TYPES):
        total_kw = run.series(f"/feeders/agents/{kind}_kw", run.n_feeders).sum(axis=1)
        ax_p.plot(hours, _held(total_kw), color=f"C{n}", drawstyle="steps-post", label=kind)
        if kind != "pv":
            flex_kw = run.series(f"/feeders/agents/{kind}_flex_kw", run.n_feeders).sum(axis=1)
            ax_flex.plot(hours, _held(flex_kw), color=f"C{n}", drawstyle="steps-post", label=kind)
    ax_p.axhline(0.0, color="black", linewidth=0.6)
    ax_p.set_ylabel("dispatched power (kW)\n(pv < 0 = generation)")
    ax_p.set_title("Agent response by type, all feeders")
    ax_p.legend(fontsize="small", ncol=5)
    ax_p.grid(True, alpha=0.3)
    ax_flex.set_ylabel("flexibility offered (kW)")
    ax_flex.legend(fontsize="small", ncol=4)
    _time_axis(ax_flex, run)
    fig.tight_layout()
    return fig


def rank_times_figure(run):
    """Stacked bars per rank: engine, agents, market, io, wait seconds."""
    times = rank_times(run)
    ranks = np.arange(len(times))
    fig, ax = plt.subplots(figsize=(max(5, 1 + 0.6 * len(ranks)), 5))
    bottom = np.zeros(len(ranks))
    for i, column in enumerate(RANK_COLUMNS[:5]):
        ax.bar(ranks, times[:, i], bottom=bottom, label=column.removesuffix("_s"), color=f"C{i}")
        bottom += times[:, i]
    ax.set_xticks(ranks)
    ax.set_xlabel("rank")
    ax.set_ylabel("time (s)")
    ax.set_title("Time per rank")
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def lmp_figure(run):
    """Heat map of the LMP, buses x time."""
    bus_id = run.vector("/transmission/bus_id")
    lmp = run.series("/transmission/lmp_usd_per_mwh", len(bus_id))
    hours = _hours(run)
    fig, ax = plt.subplots(figsize=(10, max(4, min(12, 0.25 * len(bus_id) + 2))))
    extent = (hours[0], hours[-1], len(bus_id) - 0.5, -0.5)
    image = ax.imshow(lmp.T, aspect="auto", interpolation="nearest", extent=extent, cmap="viridis")
    fig.colorbar(image, ax=ax, label="LMP (USD/MWh)")
    if len(bus_id) <= 40:
        ax.set_yticks(np.arange(len(bus_id)), [f"{b:g}" for b in bus_id])
    ax.set_ylabel("bus")
    ax.set_title("Locational marginal price")
    _time_axis(ax, run)
    ax.grid(False)
    fig.tight_layout()
    return fig
