"""Command line: gridswarm-post summary|plot|compare (docs/postprocess.md).

Exit codes: 0 success; 1 a file that cannot be read or is not in the output layout (one line
"gridswarm-post: error: FILE: DATASET: message" on stderr); 2 command-line usage error (argparse).
"""

import argparse
import json
import math
import sys

from .errors import PostError
from .reader import RunFile

PROG = "gridswarm-post"


def build_parser():
    parser = argparse.ArgumentParser(prog=PROG, description="Summaries, plots and comparisons of gridswarm output "
                                     "files (docs/postprocess.md).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("summary", help="table of a run's metrics")
    p.add_argument("file", metavar="OUT.h5")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    p = sub.add_parser("plot", help="PNG figures of a run")
    p.add_argument("file", metavar="OUT.h5")
    p.add_argument("-o", "--output-dir", required=True, metavar="DIR")
    p = sub.add_parser("compare", help="two runs' metrics side by side with A-B")
    p.add_argument("file_a", metavar="A.h5")
    p.add_argument("file_b", metavar="B.h5")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    p.add_argument("--plot", metavar="DIR", help="also write DIR/compare_substation_price.png")
    return parser


def main(argv=None, stdout=None):
    """Run one command; return the exit code."""
    args = build_parser().parse_args(argv)
    stdout = stdout or sys.stdout
    try:
        return {"summary": _summary, "plot": _plot, "compare": _compare}[args.command](args, stdout)
    except PostError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1


def _summarize(path):
    from .summary import summarize

    with RunFile(path) as run:
        return summarize(run)


def _summary(args, out):
    from .report import summary_text

    s = _summarize(args.file)
    out.write(to_json(s) if args.json else summary_text(s))
    return 0


def _plot(args, out):
    from .plots import plot_run

    with RunFile(args.file) as run:
        for path in plot_run(run, args.output_dir):
            out.write(f"wrote {path}\n")
    return 0


def _compare(args, out):
    from .compare import compare
    from .report import compare_text

    c = compare(_summarize(args.file_a), _summarize(args.file_b))
    out.write(to_json(c) if args.json else compare_text(c))
    if args.plot:
        from .plots import plot_compare

        log = sys.stderr if args.json else out  # keep stdout valid JSON
        with RunFile(args.file_a) as run_a, RunFile(args.file_b) as run_b:
            for path in plot_compare(run_a, run_b, args.plot):
                log.write(f"wrote {path}\n")
    return 0


def to_json(obj):
    """JSON with NaN and infinities as null (JSON has no NaN)."""
    return json.dumps(_finite(obj), indent=2) + "\n"


def _finite(node):
    if isinstance(node, dict):
        return {k: _finite(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_finite(v) for v in node]
    if isinstance(node, float) and not math.isfinite(node):
        return None
    return node
