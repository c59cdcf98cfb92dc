"""Plain-text tables of a summary (summary.summarize) and of a comparison (compare.compare)."""


def table(headers, rows):
    """Left-aligned first column, right-aligned others, two spaces between columns."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for r in cells:
        parts = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def _cell(value):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3e}" if 0 < abs(value) < 1e-3 else f"{value:,.3f}"
    return str(value)


def summary_text(s):
    """The summary as the `summary` command prints it."""
    blocks = [_header(s), _dsos(s), _grid(s), _convergence(s), _agents(s), _ranks(s)]
    if "transmission" in s:
        blocks.append(_transmission(s["transmission"]))
    return "\n\n".join(b for b in blocks if b) + "\n"


def _header(s):
    p = s["period"]
    lines = [f"run       {s['file']}",
             f"study     {s['study']['name']} ({s['study']['file'] or 'file unknown'})",
             f"period    {p['start']} - {p['end']} ({p['hours']:.2f} h), {p['steps']} steps of {p['step_s']:g} s"]
    if not p["complete"]:
        lines.append(f"          interrupted run: {p['steps']} of {p['steps_planned']} steps written (rows_written); "
                     "only those are used")
    if s["study"]["note"]:
        lines.append(f"note      {s['study']['note']}")
    return "\n".join(lines)


def _dsos(s):
    rows = [[d["name"], d["feeders"], d["substation_energy_mwh"], d["cleared_energy_mwh"], d["peak_kw"],
             d["peak_at"]["time"], d["price_usd_per_mwh"]["mean"], d["price_usd_per_mwh"]["min"],
             d["price_usd_per_mwh"]["max"], d["congested_steps"]] for d in s["dsos"]]
    return "DSOs (substation = sum of the DSO's feeders; cleared = market quantity)\n" + table(
        ["dso", "feeders", "subst_MWh", "cleared_MWh", "peak_kW", "peak_at", "price_mean", "price_min", "price_max",
         "congested_steps"], rows)


def _grid(s):
    groups = s["feeder_groups"] + [s["total"]]
    energy = [[g["name"], g["feeders"], g["substation_energy_mwh"], g["losses_mwh"], g["losses_pct"], g["peak_kw"],
               g["peak_at"]["time"], g["nonconverged_steps"], g["busy_s"]] for g in groups]
    volts = [[g["name"], g["violation_node_steps"], g["violation_feeder_steps"], *_extreme_cells(g["v_min"]),
              *_extreme_cells(g["v_max"])] for g in groups]
    return "\n".join([
        "Feeders by group (substation = power into the feeders)",
        table(["group", "feeders", "subst_MWh", "losses_MWh", "losses_%", "peak_kW", "peak_at", "nonconv_steps",
               "busy_s"], energy),
        "",
        "Voltages by group (converged feeder-steps only; violation = node outside 0.95-1.05 pu)",
        table(["group", "viol_node_steps", "viol_feeder_steps", "v_min_pu", "feeder", "at", "v_max_pu", "feeder",
               "at"], volts)])


def _extreme_cells(v):
    return [f"{v['pu']:.4f}", v["feeder_name"], v["time"]] if v else [None, None, None]


def _convergence(s):
    c = s["convergence"]
    if c["failed_feeder_steps"] == 0:
        return "Convergence: every feeder-step converged"
    rows = [[f["feeder_name"], f["feeder"], f["steps"], f"{f['first']['step']} ({f['first']['time']})",
             f"{f['last']['step']} ({f['last']['time']})"] for f in c["feeders"]]
    return (f"Convergence failures: {c['failed_feeder_steps']} feeder-steps\n"
            + table(["feeder", "column", "failed_steps", "first_step", "last_step"], rows))


def _agents(s):
    if s["agents"] is None:
        return "Agents: no aggregates in the file ([output] agent_aggregates = false)"
    rows = [[k, a["energy_mwh"], a["mean_kw"], a["min_kw"], a["max_kw"], a["flex_mean_kw"]]
            for k, a in s["agents"].items()]
    return ("Agents, all feeders (pv negative = generation)\n"
            + table(["type", "energy_MWh", "mean_kW", "min_kW", "max_kW", "flex_mean_kW"], rows))


def _ranks(s):
    r = s["ranks"]
    if r is None:
        return "Ranks: no /run/rank_times_s (written when a run ends; this run did not finish)"
    rows = [[p["rank"], p["engine_s"], p["agents_s"], p["market_s"], p["io_s"], p["wait_s"], p["busy_s"],
             int(p["feeders"])] for p in r["per_rank"]]
    head = (f"Ranks x threads: {r['ranks']} x {r['threads_per_rank']}, wall {_cell(r['wall_s'])} s, "
            f"allocator {r['allocator']}, host {r['host']}, {r['version']}")
    foot = (f"busy imbalance (max/mean of engine+agents+market): {_cell(r['busy_imbalance'])} "
            f"(partition predicted {_cell(r['predicted_imbalance'])})")
    if r["first_step"] > 0:
        head += f"\nrestarted at step {r['first_step']}: the times below cover this segment only"
    return "\n".join([head, table(["rank", "engine_s", "agents_s", "market_s", "io_s", "wait_s", "busy_s",
                                   "feeders"], rows), foot])


def _transmission(t):
    lines = [f"Transmission: {t['buses']} buses, LMP mean {_cell(t['lmp_usd_per_mwh']['mean'])} "
             f"min {_cell(t['lmp_usd_per_mwh']['min'])} max {_cell(t['lmp_usd_per_mwh']['max'])} USD/MWh"]
    if "generation_energy_mwh" in t:
        lines.append(f"generation {_cell(t['generation_energy_mwh'])} MWh from {t['generators']} generators, "
                     f"peak {_cell(t['generation_peak_mw'])} MW at {t['generation_peak_at']['time']}")
    if "branch_max_abs_flow_mw" in t:
        b = t["branch_max_abs_flow_mw"]
        lines.append(f"largest |branch flow| {_cell(b['mw'])} MW on branch {b['branch']} at {b['time']}")
    for st in t["solve_times"]:
        lines.append(f"{st['dataset']}: total {_cell(st['total'])} {st['units'] or ''}, mean {_cell(st['mean'])}, "
                     f"max {_cell(st['max'])} over {st['count']} values")
    rows = [[b["bus_id"], b["mean"], b["min"], b["max"]] for b in t["lmp_top_buses"]]
    lines.append(f"LMP by bus, top {len(rows)} by mean (USD/MWh)")
    lines.append(table(["bus_id", "mean", "min", "max"], rows))
    return "\n".join(lines)


def compare_text(c):
    """The comparison table of the `compare` command."""
    rows = [[m["metric"], _cell(m["a"]), _cell(m["b"]), _cell(m["diff"]), _pct(m["rel_pct"])] for m in c["metrics"]
            if m["diff"] is not None or m["a"] != m["b"]]  # labels equal in both runs say nothing
    return (f"A  {c['a']}\nB  {c['b']}\n(labels equal in both runs are left out; --json lists every metric)\n\n"
            + table(["metric", "A", "B", "A-B", "(A-B)/|B| %"], rows) + "\n")


def _pct(value):
    return "-" if value is None else f"{value:+.2f}"
