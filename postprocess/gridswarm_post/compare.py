"""Side by side: the summary metrics of two runs and their differences A - B."""

import numbers

# Not metrics: where the file is, free text, and seconds that repeat a clock label next to them.
_SKIPPED_KEYS = {"file", "note", "t_s", "start_s", "end_s"}
# How the entries of a list are named in a metric path (an entry without any of them is named by its index).
_LIST_KEYS = ("name", "feeder_name", "rank", "bus_id", "dataset")
# Numbers that are identifiers (a step index, a feeder column), shown side by side but not subtracted.
_ID_KEYS = {"step", "feeder", "rank", "bus_id", "branch"}


def flatten(summary):
    """[(metric path, value)] for every scalar of a summary, e.g. ("dsos.north.peak_kw", 5627.4)."""
    out = []
    _flatten(summary, "", out)
    return out


def _flatten(node, prefix, out, naming_key=None):
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in _SKIPPED_KEYS and key != naming_key:  # the naming key is already in the path
                _flatten(value, f"{prefix}.{key}" if prefix else key, out)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            key = _naming_key(item)
            name = str(i) if key is None else f"{key} {item[key]}" if key in _ID_KEYS else str(item[key])
            _flatten(item, f"{prefix}.{name}", out, key)
    else:
        out.append((prefix, node))


def _naming_key(item):
    return next((k for k in _LIST_KEYS if k in item), None) if isinstance(item, dict) else None


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def compare(summary_a, summary_b):
    """{"a", "b", "metrics": [{"metric", "a", "b", "diff", "rel_pct"}]}: every metric of A (in A's order), then
    those only B has. diff = a - b and rel_pct = 100 (a - b) / |b| where both are numbers (and b != 0)."""
    a, b = dict(flatten(summary_a)), dict(flatten(summary_b))
    names = list(a) + [n for n in b if n not in a]
    return {"a": summary_a["file"], "b": summary_b["file"], "metrics": [_row(n, a.get(n), b.get(n)) for n in names]}


def _row(name, va, vb):
    diff = rel = None
    if _is_number(va) and _is_number(vb) and name.rsplit(".", 1)[-1] not in _ID_KEYS:
        diff = va - vb
        rel = 100.0 * diff / abs(vb) if vb != 0 else None
    return {"metric": name, "a": va, "b": vb, "diff": diff, "rel_pct": rel}
