#!/usr/bin/env python3
"""Plots tokens/s against T from prism-bench markdown tables.

usage: tools/gpu/plot-sweep.py OUT.png TABLE.md [TABLE.md ...]

Reads every table row whose label is `sweep` (tools/gpu/run.sh writes them:
one program per recurrence and schedule, B=1, T = 1K .. 64K), or, from a run
cut short before its table, the per-case lines prism-bench prints as each
case ends (`# NAME B=1,T=4096: median 0.42 ms`; the schedule is then read
from the name: `_chunked` means chunked_fused). Draws one line per program,
tokens/s against T, both on log scales. Needs matplotlib.
"""

import re
import sys
from collections import defaultdict

CASE = re.compile(r"^# (\S+) (\S+): median ([0-9.]+) ms")


def rows(path):
    header = None
    for line in open(path):
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        elif not set(cells[0]) <= set("-: "):
            yield dict(zip(header, cells))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = defaultdict(list)
    for path in sys.argv[2:]:
        tabled = any(r.get("label") == "sweep" for r in rows(path))
        for line in open(path) if not tabled else []:
            m = CASE.match(line)
            if not m:
                continue
            binds = dict(kv.split("=") for kv in m.group(2).split(","))
            b, t = int(binds["B"]), int(binds["T"])
            schedule = "chunked_fused" if "_chunked" in m.group(1) else "sequential"
            series[(m.group(1), schedule)].append((t, b * t / (float(m.group(3)) * 1e-3)))
        for row in rows(path):
            if row.get("label") != "sweep":
                continue
            binds = dict(kv.split("=") for kv in row["shape"].split(","))
            t = int(binds["T"])
            tokens = float(row["Mtok/s"]) * 1e6
            schedule = row["schedule"].split(",")[0]
            series[(row["function"], schedule)].append((t, tokens))
    if not series:
        sys.exit("no `sweep` rows in the tables")
    fig, ax = plt.subplots(figsize=(8, 5))
    for (function, schedule), points in sorted(series.items()):
        points.sort()
        style = "-o" if schedule != "sequential" else "--s"
        ax.plot([p[0] for p in points], [p[1] for p in points], style,
                label=f"{function} ({schedule})", markersize=4)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("T (tokens per sequence), B = 1, H = 16, K = V = 128, bf16")
    ax.set_ylabel("tokens / s")
    ax.set_title("prism on one H200: throughput against sequence length")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(sys.argv[1], dpi=120)
    print(f"wrote {sys.argv[1]}: {len(series)} series")


if __name__ == "__main__":
    main()
