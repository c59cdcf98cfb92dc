#!/usr/bin/python3
"""Write a variant of a gridswarm study file (docs/study.md) somewhere else: another seed, or a partition file.

    derive_study.py IN.toml OUT.toml [--seed N] [--seed-offset K] [--partition PART.toml]

The variant keeps the original text (comments included) and changes only what is asked; the input paths that were
relative to IN's directory (weather.tmy3, prices.csv, feeders[].master, partition.file) are made absolute, since
they resolve against the study file's directory and OUT lives elsewhere. Prints the seed used. Checks the result by
reading it back. Standard library only (tomllib, Python >= 3.11).
"""
import argparse
import os
import re
import sys
import tomllib


def path_keys(study):
    """(key, value) of every input path in the study."""
    keys = []
    if isinstance(study.get("weather"), dict) and "tmy3" in study["weather"]:
        keys.append(("tmy3", study["weather"]["tmy3"]))
    if isinstance(study.get("prices"), dict) and "csv" in study["prices"]:
        keys.append(("csv", study["prices"]["csv"]))
    for group in study.get("feeders", []):
        if "master" in group:
            keys.append(("master", group["master"]))
    if isinstance(study.get("partition"), dict) and "file" in study["partition"]:
        keys.append(("file", study["partition"]["file"]))
    return keys


def set_value(text, key, old, new):
    """Replace `key = "old"` (either quote style) by `key = "new"`, every occurrence."""
    pattern = re.compile(r'^(\s*' + re.escape(key) + r'\s*=\s*)(["\'])' + re.escape(old) + r'\2', re.M)
    return pattern.sub(lambda m: m.group(1) + '"' + new.replace("\\", "\\\\") + '"', text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("study")
    ap.add_argument("out")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--seed-offset", type=int, default=0, help="seed = (--seed or the study's seed) + this")
    ap.add_argument("--partition")
    a = ap.parse_args()

    with open(a.study, "rb") as f:
        study = tomllib.load(f)
    with open(a.study, encoding="utf-8") as f:
        text = f.read()
    base = os.path.dirname(os.path.abspath(a.study))
    for key, value in path_keys(study):
        if not os.path.isabs(value):
            text = set_value(text, key, value, os.path.normpath(os.path.join(base, value)))

    seed = (a.seed if a.seed is not None else study["study"].get("seed", 1)) + a.seed_offset
    if re.search(r"^\s*seed\s*=", text, re.M):
        text = re.sub(r"^(\s*seed\s*=\s*)[-+0-9_]+", lambda m: m.group(1) + str(seed), text, count=1, flags=re.M)
    else:
        text = re.sub(r"^(\s*\[study\][^\n]*\n)", lambda m: m.group(1) + f"seed = {seed}\n", text, count=1, flags=re.M)

    if a.partition:
        part = os.path.abspath(a.partition)
        if isinstance(study.get("partition"), dict) and "file" in study["partition"]:
            old = study["partition"]["file"]
            old = old if os.path.isabs(old) else os.path.normpath(os.path.join(base, old))
            text = set_value(text, "file", old, part)
        elif "partition" in study:
            text = re.sub(r"^(\s*\[partition\][^\n]*\n)", lambda m: m.group(1) + f'file = "{part}"\n', text,
                          count=1, flags=re.M)
        else:
            text += f'\n[partition]   # added by jobs/lib/derive_study.py\nfile = "{part}"\n'

    derived = tomllib.loads(text)
    if derived["study"].get("seed") != seed or (a.partition and derived["partition"]["file"] != part):
        sys.exit(f"derive_study.py: could not rewrite {a.study} (seed or partition key in an unexpected form)")
    for key, value in path_keys(derived):
        if not os.path.isabs(value):
            sys.exit(f"derive_study.py: {a.study}: could not make {key} = '{value}' absolute")
    tmp = a.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, a.out)
    print(seed)


if __name__ == "__main__":
    main()
