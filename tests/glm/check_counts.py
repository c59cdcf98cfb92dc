#!/usr/bin/python3
"""Independent check of `gridswarm glm` on the taxonomy feeders: counts and totals taken from the GLM text with a
regex parser of its own (not the importer's report) against the OpenDSS script the importer writes.

usage: check_counts.py GRIDSWARM_BINARY GLM_DIR WORK_DIR

Per feeder: buses = GLM node/meter/triplex_node/triplex_meter objects without a parent; Line elements = overhead,
underground and triplex lines plus closed switches/fuses/reclosers; Transformer elements = transformers plus one per
regulator phase; RegControls = regulator phases of non-MANUAL configurations; total capacitor kvar; total load
kW/kvar = the constant_power_X of the GLM `load` objects plus power_1/_2/_12 of triplex nodes and meters, plus a design
load (0.95 X kW, pf 0.95) for each triplex_meter without a load fed by a triplex_line annotated `// downstream X kva`;
and every line's phase impedance matrix against a second implementation of Kersting's equations (numpy), 1e-9.
"""
import math
import pathlib
import re
import subprocess
import sys

import numpy as np

OBJECT = re.compile(r"^object\s+(\w+)\s*\{(.*?)^\}", re.S | re.M)
PROP = re.compile(r"^\s*([\w.]+)\s+([^;]*);", re.M)
DOWNSTREAM = re.compile(r"//\s*downstream\s+([0-9.]+)\s*kva", re.I)


def sanitize(name):
    return re.sub(r"[^a-z0-9_-]", "_", name.lower())


def glm_objects(path):
    out = []
    for m in OBJECT.finditer(path.read_text()):
        props = {k.lower(): v.strip() for k, v in PROP.findall(m.group(2))}
        ds = DOWNSTREAM.search(m.group(2))
        props["#downstream"] = float(ds.group(1)) if ds else None
        out.append((m.group(1), props))
    return out


def number(text):
    """GLM number with optional unit -> value in the base unit (VA, VAr, W)."""
    parts = text.split()
    scale = {"": 1.0, "va": 1.0, "var": 1.0, "kvar": 1e3, "mvar": 1e6, "kva": 1e3, "mva": 1e6}
    return complex(parts[0]) * scale[parts[1].lower() if len(parts) > 1 else ""]


LENGTH_FT = {"": 1.0, "ft": 1.0, "in": 1.0 / 12.0, "mile": 5280.0, "m": 1.0 / 0.3048}


def length(text, default_unit):
    """GLM length with optional unit -> ft; `default_unit` is the property's GridLAB-D unit."""
    parts = text.split()
    return float(parts[0]) * LENGTH_FT[parts[1].lower() if len(parts) > 1 else default_unit]


# Kersting's modified Carson equations with GridLAB-D's constants (60 Hz, 100 ohm-m), ohm/mile.
CR, CI, ADD = 0.00158836 * 60, 0.00202237 * 60, math.log(100 / 60) / 2 + 7.6786


def z_self(r, gmr):
    return complex(r + CR, CI * (math.log(1 / gmr) + ADD))


def z_mutual(d):
    return complex(CR, CI * (math.log(1 / d) + ADD)) if d > 0 else 0j


def kron(z, keep):
    z = np.array(z, dtype=complex)
    return z[:keep, :keep] - z[:keep, keep:] @ np.linalg.inv(z[keep:, keep:]) @ z[keep:, :keep]


def spacing_d(sp, x, y):
    key = "distance_" + "".join(sorted((x, y))).lower()
    return length(sp[key], "ft") if key in sp else 0.0


def expected_matrix(cls, line, by_name):
    """Phase impedance matrix of a GLM line from its configuration, a second implementation of Kersting."""
    cfg = by_name[line["configuration"]][1]
    if cls == "triplex_line":
        w = [by_name[cfg[k]][1] for k in ("conductor_1", "conductor_2", "conductor_n")]
        d, t = float(cfg["diameter"]), float(cfg["insulation_thickness"])
        d12, d1n = (d + 2 * t) / 12, (d + t) / 12
        prim = [[z_self(float(w[0]["resistance"]), length(w[0]["geometric_mean_radius"], "ft")), z_mutual(d12),
                 z_mutual(d1n)],
                [z_mutual(d12), z_self(float(w[1]["resistance"]), length(w[1]["geometric_mean_radius"], "ft")),
                 z_mutual(d1n)],
                [z_mutual(d1n), z_mutual(d1n),
                 z_self(float(w[2]["resistance"]), length(w[2]["geometric_mean_radius"], "ft"))]]
        return kron(prim, 2)
    sp = by_name[cfg["spacing"]][1]
    ph = [c for c in "ABC" if c in line["phases"]]
    has_n = "N" in line["phases"] and "conductor_n" in cfg
    if cls == "overhead_line":
        names = ph + (["N"] if has_n else [])
        wires = [by_name[cfg["conductor_" + c.lower()]][1] for c in names]
        n = len(names)
        prim = [[z_self(float(wires[i]["resistance"].split()[0]), length(wires[i]["geometric_mean_radius"], "ft"))
                 if i == j else z_mutual(spacing_d(sp, names[i], names[j])) for j in range(n)] for i in range(n)]
        return kron(prim, len(ph))
    # Underground: cores, then each core's concentric neutral (or tape shield), then the separate neutral.
    cab = [by_name[cfg["conductor_" + c.lower()]][1] for c in ph]
    p = len(ph)
    n = 2 * p + (1 if has_n else 0)
    z = np.zeros((n, n), dtype=complex)
    for i, c in enumerate(cab):
        z[i, i] = z_self(float(c["conductor_resistance"]), length(c["conductor_gmr"], "ft"))
        if "shield_gmr" in c:
            g = length(c["shield_gmr"], "ft")
            z[p + i, p + i] = z_self(float(c["shield_resistance"]), g)
            z[i, p + i] = z[p + i, i] = z_mutual(g)
        else:
            k = float(c["neutral_strands"])
            rad = (length(c["outer_diameter"], "in") - length(c["neutral_diameter"], "in")) * 12 / 24
            gmr_cn = (length(c["neutral_gmr"], "ft") * k * rad ** (k - 1)) ** (1 / k)
            z[p + i, p + i] = z_self(float(c["neutral_resistance"]) / k, gmr_cn)
            z[i, p + i] = z[p + i, i] = z_mutual(rad)
        for j in range(p):
            if j != i:
                zm = z_mutual(spacing_d(sp, ph[i], ph[j]))
                z[i, j] = z[p + i, p + j] = z[i, p + j] = z[p + i, j] = zm
        if has_n:
            zn = z_mutual(spacing_d(sp, ph[i], "N"))
            z[i, n - 1] = z[n - 1, i] = z[p + i, n - 1] = z[n - 1, p + i] = zn
    if has_n:
        nc = by_name[cfg["conductor_n"]][1]
        z[n - 1, n - 1] = z_self(float(nc["conductor_resistance"]), length(nc["conductor_gmr"], "ft"))
    return kron(z, p)


def lower_triangle(text):
    rows = [r.split() for r in text.strip("[]").split("|")]
    n = len(rows)
    m = np.zeros((n, n))
    for i, r in enumerate(rows):
        for j, v in enumerate(r):
            m[i, j] = m[j, i] = float(v)
    return m


def dss_elements(path):
    out = []
    for line in path.read_text().splitlines():
        m = re.match(r"New (\w+)\.(\S+)\s*(.*)", line)
        if m:
            props = dict(re.findall(r"(\S+?)=(\[[^\]]*\]|\S+)", m.group(3)))
            out.append((m.group(1).lower(), m.group(2), {k.lower(): v for k, v in props.items()}))
    return out


def check(feeder, binary, work):
    objs = glm_objects(feeder)
    dss = work / (feeder.stem + ".dss")
    subprocess.run([binary, "glm", str(feeder), "--dss", str(dss)], check=True, capture_output=True)
    els = dss_elements(dss)
    count = lambda cls: sum(1 for c, _ in objs if c == cls)
    dcount = lambda cls: sum(1 for c, _, _ in els if c == cls)
    errors = []

    def expect(what, got, want, tol=0.0):
        if abs(got - want) > tol:
            errors.append(f"{feeder.name}: {what}: converted {got}, GLM {want}")

    by_name = {p.get("name"): (c, p) for c, p in objs}
    # Buses.
    want_buses = {sanitize(p["name"]) for c, p in objs
                  if c in ("node", "meter", "triplex_node", "triplex_meter") and "parent" not in p}
    got_buses = set()
    for cls, _, p in els:
        for key in ("bus1", "bus2"):
            if key in p:
                got_buses.add(p[key].split(".")[0])
        if "buses" in p:
            got_buses.update(b.split(".")[0] for b in p["buses"].strip("[]").split())
    if got_buses != want_buses:
        errors.append(f"{feeder.name}: buses differ: only converted {sorted(got_buses - want_buses)[:5]}, "
                      f"only GLM {sorted(want_buses - got_buses)[:5]}")
    # Branches.
    closed = sum(1 for c, p in objs if c in ("switch", "fuse", "recloser", "sectionalizer")
                 and p.get("status", "CLOSED").upper() != "OPEN")
    expect("Line elements", dcount("line"),
           count("overhead_line") + count("underground_line") + count("triplex_line") + closed)
    reg_phases = [(sum(ch in "ABC" for ch in p["phases"]), by_name[p["configuration"]][1]) for c, p in objs
                  if c == "regulator"]
    expect("Transformer elements", dcount("transformer"), count("transformer") + sum(n for n, _ in reg_phases))
    expect("RegControls", dcount("regcontrol"),
           sum(n for n, cfg in reg_phases if cfg.get("control", "OUTPUT_VOLTAGE").upper() != "MANUAL"))
    # Capacitors: total kvar over connected phases.
    want_kvar = sum(number(p.get("capacitor_" + ph.lower(), "0")).real / 1e3 for c, p in objs if c == "capacitor"
                    for ph in p.get("phases_connected", p["phases"]) if ph in "ABC")
    got_kvar = sum(float(p["kvar"]) for c, _, p in els if c == "capacitor")
    expect("capacitor kvar", got_kvar, want_kvar, 1e-6 * max(1.0, want_kvar))
    # Loads: constant_power_X of `load` objects, power_1/_2/_12 of triplex nodes and meters (the taxonomy's
    # residential loads sit on a triplex_node child of each triplex_meter), and the design load of every triplex
    # meter that has neither.
    parts = [number(p["constant_power_" + ph.lower()]) for c, p in objs if c == "load" for ph in p["phases"]
             if ph in "ABC" and "constant_power_" + ph.lower() in p]
    parts += [number(p[k]) for c, p in objs if c in ("triplex_node", "triplex_meter")
              for k in ("power_1", "power_2", "power_12") if k in p]
    parts = [x for x in parts if x != 0]
    loaded = {p.get("parent") for c, p in objs if c in ("triplex_node", "triplex_meter", "triplex_load")
              and any(k in p for k in ("power_1", "power_2", "power_12"))}
    meters = {p["name"] for c, p in objs if c == "triplex_meter" and p["name"] not in loaded}
    annotated = [p["#downstream"] for c, p in objs if c == "triplex_line" and p["to"] in meters
                 and p["#downstream"] is not None]
    q_over_p = math.tan(math.acos(0.95))
    want = sum(parts, 0j) / 1e3 + complex(0.95 * sum(annotated), 0.95 * sum(annotated) * q_over_p)
    got = [(float(p["kw"]), float(p["kvar"])) for c, _, p in els if c == "load"]
    expect("Load elements", len(got), len(parts) + len(annotated))
    expect("load kW", sum(kw for kw, _ in got), want.real, 1e-6 * max(1.0, abs(want)))
    expect("load kvar", sum(kv for _, kv in got), want.imag, 1e-6 * max(1.0, abs(want)))
    # Line impedance matrices of every overhead, underground and triplex line against a second implementation.
    codes = {n: p for c, n, p in els if c == "linecode"}
    dss_lines = {n: p for c, n, p in els if c == "line"}
    worst = 0.0
    for cls, p in objs:
        if cls not in ("overhead_line", "underground_line", "triplex_line"):
            continue
        code = codes[dss_lines[sanitize(p["name"])]["linecode"]]
        z = lower_triangle(code["rmatrix"]) + 1j * lower_triangle(code["xmatrix"])
        z_want = expected_matrix(cls, p, by_name)
        worst = max(worst, float(np.max(np.abs(z - z_want))))
    expect("largest line impedance difference (ohm/mile)", worst, 0.0, 1e-9)
    if not errors:
        print(f"{feeder.name}: {len(want_buses)} buses, {len(got)} loads {want.real:.1f} kW "
              f"({len(annotated)} design loads), {dcount('line')} lines, {dcount('transformer')} transformers, "
              f"line matrices within {worst:.1e} ohm/mile")
    return errors


def main():
    binary, glm_dir, work = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
    work.mkdir(parents=True, exist_ok=True)
    feeders = sorted(glm_dir.glob("*.glm"))
    if len(feeders) != 24:
        print(f"expected 24 taxonomy feeders in {glm_dir}, found {len(feeders)}")
        return 1
    errors = []
    for f in feeders:
        errors += check(f, binary, work)
    for e in errors:
        print(e)
    print(f"{len(feeders)} feeders checked, {len(errors)} mismatches")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
