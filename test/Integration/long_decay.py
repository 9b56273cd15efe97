#!/usr/bin/env python3
"""Long sequences with strong decays: T = 65536 tokens whose log decays are
drawn from log(sigmoid(N(0, 1) - 4)) (about -4 a token, some far lower, and
a few exact zeros of the decay's log), so that cumulative log decays reach
about -260000. A chunked evaluation that formed e^{-G} anywhere would
overflow; every schedule here must stay finite and within tolerance of the
float64 oracle.

Prints one line per failing run and closes with `N passed, N failed`.
"""

import argparse
import math
import os
import random
import struct
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
from prism.spec import Spec  # noqa: E402
from cpu_matrix import run_all  # noqa: E402  (this script's folder)


def write_npy(path, shape, values):
    """A little-endian f32 .npy file (no numpy needed)."""
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % (
        "".join(f"{d}, " for d in shape))
    header += " " * (63 - (len(header) + 10) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack(f"<{len(values)}f", *values))


def strong_gates(rng, count):
    out = []
    for i in range(count):
        if i % 997 == 0:
            out.append(0.0)  # no decay at all, now and then
            continue
        z = rng.gauss(0.0, 1.0) - 4.0
        out.append(-math.log1p(math.exp(-z)))  # log(sigmoid(z))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prism-run", default="prism-run")
    parser.add_argument("--steps", type=int, default=65536)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="prism-long-decay-")
    common = dict(heads=1, key_dim=32, value_dim=32, initial_state=True, final_state=True)
    specs = []
    for schedule, tag in (("chunked_fused", "chunked"), ("chunked_two_pass", "two_pass")):
        specs += [
            Spec(name=f"long_scalar_{tag}", forget="scalar", dtype="bf16", schedule=schedule,
                 **common),
            Spec(name=f"long_diagonal_{tag}", forget="diagonal", dtype="f32", schedule=schedule,
                 **common),
            Spec(name=f"long_gdn_{tag}", forget="delta", delta_gate=True, inject_gates=True,
                 dtype="bf16", schedule=schedule, **common),
        ]
    specs.append(Spec(name="long_gdn_sequential", forget="delta", delta_gate=True,
                      inject_gates=True, dtype="f32", **common))
    rng = random.Random(1)
    runs = []
    for spec in specs:
        path = os.path.join(work, spec.name + ".mlir")
        with open(path, "w") as f:
            f.write(spec.mlir())
        width = spec.key_dim if spec.forget == "diagonal" else None
        shape = [1, args.steps, 1] + ([width] if width else [])
        gates = os.path.join(work, spec.name + "_g.npy")
        write_npy(gates, shape, strong_gates(rng, args.steps * (width or 1)))
        runs.append((spec.name, [args.prism_run, path, "--bind", f"B=1,T={args.steps}",
                                 "--input", f"g={gates}"]))
    return run_all(runs, jobs=1, timeout=1200)

if __name__ == "__main__":
    sys.exit(main())
