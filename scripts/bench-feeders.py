#!/usr/bin/python3
"""Run `gridswarm bench engine` on every feeder the project ships and tabulate the cost against node count.

Usage: scripts/bench-feeders.py BUILD_DIR [--steps N] [--repeat R] [--out PREFIX] [--only NAME ...]

Writes PREFIX.json (one bench record per feeder, as the bench prints it, plus the feeder's label and the machine's
load average), PREFIX.md (the table docs/performance.md quotes) and PREFIX.png (log-log plot of the median step time
and the time per power-flow iteration against the node count). Default PREFIX: docs/performance_scaling.

GridLAB-D taxonomy feeders are converted with `gridswarm glm` from BUILD_DIR/tests/glm_taxonomy (extracted when the
tests are configured). Each feeder is benched in its own process, one thread, with the bench's default 96-point load shape; IEEE 8500 and
9500 get the iteration limits of OpenDSS's reference procedure (maxiterations=20, maxcontroliter=30).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REAL = os.path.join(ROOT, "tests", "fixtures", "real-feeders")
INPUTS = os.path.join(ROOT, "inputs", "feeders")
BIG = ["--max-iterations", "20", "--max-control-iterations", "30"]

# (label, master, extra bench options); a feeder whose master is missing is skipped with a message.
FEEDERS = [
    ("IEEE 13", os.path.join(INPUTS, "ieee13", "IEEE13Nodeckt.dss"), []),
    ("IEEE 34", os.path.join(INPUTS, "ieee34", "ieee34Mod1.dss"), []),
    ("IEEE 123", os.path.join(INPUTS, "ieee123", "IEEE123Master.dss"), []),
    ("IEEE 8500", os.path.join(INPUTS, "ieee8500", "Master.dss"), BIG),
    ("IEEE 9500", os.path.join(REAL, "ieee-9500", "ieee9500_base.dss"), BIG),
    ("EPRI ckt5", os.path.join(REAL, "epri-ckt5", "Master_ckt5.dss"), []),
    ("EPRI ckt7", os.path.join(REAL, "epri-ckt7", "Master_ckt7.dss"), []),
    ("EPRI ckt24", os.path.join(REAL, "epri-ckt24", "master_ckt24.dss"), []),
    ("EPRI J1", os.path.join(REAL, "epri-j1", "Master_noPV.dss"), []),
    ("EPRI K1", os.path.join(REAL, "epri-k1", "Master_NoPV.dss"), []),
    ("EPRI M1", os.path.join(REAL, "epri-m1", "Master_NoPV.dss"), []),
    ("IEEE European LV", os.path.join(REAL, "ieee-european-lv", "Master.dss"), []),
    ("IEEE 342-node LV", os.path.join(REAL, "ieee-lv-network-342", "Master.dss"), []),
    ("SMART-DS p1uhs23", os.path.join(REAL, "smart-ds", "substations", "p1uhs23_1247", "Master.dss"), []),
]


# GridLAB-D taxonomy feeders (PNNL TESP), converted by `gridswarm glm` from the copies the test build extracts.
GLM_FEEDERS = ["GC-12.47-1", "R1-12.47-1", "R2-12.47-2", "R3-12.47-3", "R4-12.47-2", "R5-12.47-5"]


def convert_glm(gridswarm, build_dir, name, tmp):
    glm = os.path.join(build_dir, "tests", "glm_taxonomy", name + ".glm")
    if not os.path.exists(glm):
        return None
    out = os.path.join(tmp, name + ".dss")
    subprocess.run([gridswarm, "glm", glm, "--dss", out], check=True, capture_output=True)
    return out


def bench(gridswarm, master, extra, steps, repeat):
    cmd = [gridswarm, "bench", "engine", master, "--steps", str(steps), "--threads", "1", "--repeat", str(repeat),
           "--json"] + extra
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1]), cmd


def table(records):
    lines = ["| feeder | nodes | median us / step | iterations / step | refactorisations / step | us / iteration "
             "| ns / (node x iteration) | RSS per extra instance, KiB |",
             "|---|---|---|---|---|---|---|---|"]
    for r in sorted(records, key=lambda r: r["nodes"]):
        us_it = r["step_us_median"] / max(r["iterations_mean"], 1e-9)
        lines.append(f"| {r['label']} | {r['nodes']} | {r['step_us_median']:.1f} | {r['iterations_mean']:.2f} | "
                     f"{r['refactorizations_mean']:.2f} | {us_it:.2f} | {1000 * us_it / r['nodes']:.0f} | "
                     f"{r['rss_kb_per_extra_instance']} |")
    return "\n".join(lines) + "\n"


def plot(records, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rs = sorted(records, key=lambda r: r["nodes"])
    n = [r["nodes"] for r in rs]
    step = [r["step_us_median"] for r in rs]
    per_it = [r["step_us_median"] / max(r["iterations_mean"], 1e-9) for r in rs]
    fig, ax = plt.subplots(figsize=(7, 5))
    ax.loglog(n, step, "o", label="median time per daily step (controls on)")
    ax.loglog(n, per_it, "s", label="time per power-flow iteration")
    lo, hi = min(n), max(n)
    ax.loglog([lo, hi], [0.02 * lo, 0.02 * hi], "k--", lw=0.8, label="20 ns x nodes (linear)")
    for r, x, y in zip(rs, n, step):
        ax.annotate(r["label"], (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax.set_xlabel("nodes")
    ax.set_ylabel("microseconds")
    ax.set_title("gridswarm bench engine, 1 thread")
    ax.grid(True, which="both", lw=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build_dir")
    ap.add_argument("--steps", type=int, default=96)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "performance_scaling"))
    ap.add_argument("--only", nargs="*", default=None)
    a = ap.parse_args()
    gridswarm = os.path.join(a.build_dir, "gridswarm")
    records = []
    tmp = tempfile.mkdtemp(prefix="bench-feeders-")
    feeders = list(FEEDERS)
    for name in GLM_FEEDERS:
        if a.only and "GLM " + name not in a.only:
            continue
        dss = convert_glm(gridswarm, a.build_dir, name, tmp)
        feeders.append(("GLM " + name, dss or name + ".glm (not extracted: configure the tests)", []))
    for label, master, extra in feeders:
        if a.only and label not in a.only:
            continue
        if not os.path.exists(master):
            print(f"skip {label}: {master} not found", file=sys.stderr)
            continue
        rec, cmd = bench(gridswarm, master, extra, a.steps, a.repeat)
        rec["label"] = label
        rec["command"] = " ".join(os.path.relpath(c, ROOT) if c.startswith(ROOT) else c for c in cmd)
        rec["loadavg"] = os.getloadavg()[0]
        records.append(rec)
        print(f"{label:20s} {rec['nodes']:6d} nodes  {rec['step_us_median']:9.1f} us/step  "
              f"{rec['iterations_mean']:5.2f} it/step  load {rec['loadavg']:.1f}", flush=True)
    with open(a.out + ".json", "w") as f:
        json.dump(records, f, indent=1)
    with open(a.out + ".md", "w") as f:
        f.write(table(records))
    plot(records, a.out + ".png")


if __name__ == "__main__":
    main()
