#!/usr/bin/env python3
"""prism-select-schedule only chooses what lowers: for every forget family x
chunked schedule x K = V in a range of widths (up to 512) x rank x dtype,
the parameters it fills in must pass the GPU lowering's own checks
(prism-convert-recurrence-to-scf=target=gpu): every case of the sweep has
parameters that lower, so any lowering error is a failure. With
`--mapping tile`, the selector runs with mapping=tile and its choice must
pass the tile level and the GPU target mapping up to their budgets
(prism-tile-gpu-allocate-shared), for the sequential and tree schedules
too. The one exception: the tree schedule of the delta forget at K >= 256
keeps K x K transitions whose products need more shared memory than a
block has (256 x 256 in f32, 384 x 384 in bf16) or, at 512 x 512, more
registers than a block's threads have; the mapping must refuse those with
a diagnostic that names the budget. Prints one line per
failure, then `N passed, N failed`."""

import argparse
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
from prism.spec import Spec  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prism-opt", default="prism-opt")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--mapping", choices=("loops", "tile"), default="loops")
    args = parser.parse_args()
    schedules = ["chunked_fused", "chunked_two_pass"]
    if args.mapping == "tile":
        schedules += ["sequential", "tree"]
        lowering = ["--prism-select-schedule=mapping=tile",
                    "--prism-convert-recurrence-to-tile", "--canonicalize", "--cse",
                    "--prism-tile-pipeline-loads", "--prism-tile-gpu-assign-layouts",
                    "--prism-tile-gpu-async-copies", "--prism-tile-gpu-sink-to-uses",
                    "--prism-tile-gpu-allocate-shared"]
    else:
        lowering = ["--prism-select-schedule", "--prism-convert-recurrence-to-scf=target=gpu"]
    work = tempfile.mkdtemp(prefix="prism-select-")
    runs = []
    for forget in ("identity", "scalar", "diagonal", "delta"):
        for schedule in schedules:
            for width in (16, 32, 48, 64, 96, 128, 192, 256, 384, 512):
                for rank, dtype in ((1, "bf16"), (3, "bf16"), (1, "f32")):
                    spec = Spec(name=f"{forget}_{schedule}_k{width}_L{rank}_{dtype}",
                                forget=forget, rank=rank, key_dim=width,
                                value_dim=width, dtype=dtype, schedule=schedule)
                    path = os.path.join(work, spec.name + ".mlir")
                    with open(path, "w") as f:
                        f.write(spec.mlir())
                    runs.append((spec.name, path))

    def run(item):
        name, path = item
        proc = subprocess.run([args.prism_opt, path, *lowering, "-o", os.devnull],
                              capture_output=True, text=True, timeout=300)
        if proc.returncode == 0:
            return name, None
        if (args.mapping == "tile" and name.startswith("delta_tree_")
                and int(name.split("_k")[1].split("_")[0]) >= 256
                and ("bytes of shared memory per block" in proc.stderr
                     or "registers per thread" in proc.stderr)):
            return name, None
        return name, proc.stderr.strip()

    passed = failed = 0
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for name, error in pool.map(run, runs):
            if error is None:
                passed += 1
            else:
                failed += 1
                print(f"FAIL {name}: the selector chose what does not lower:\n{error}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
