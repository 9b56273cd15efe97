#!/usr/bin/env python3
"""CPU integration matrix: every forget family (delta with and without its
gate) x L in {1, 2, 3} x {f32, bf16} x with and without initial (and final)
state, plus the refinement write path with and without the short
convolution, the vk state layout and in-kernel key normalisation; each
compiled by prism-cpu-pipeline and checked by prism-run against the float64
oracle at sequence lengths that are not multiples of 16 or 64.

With --mcpu, the host code is compiled for that CPU instead of this
machine's (x86-64: the baseline without AVX, F16C or AVX-512 bf16, where a
missing conversion instruction becomes a runtime-library call); with
--check-symbols, each spec's object is saved and must need no routine
outside host_symbols.ALLOWED.

Prints one line per failing run and closes with `N passed, N failed`.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
from prism.spec import chunked_matrix, matrix  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import host_symbols  # noqa: E402


def run_all(runs, jobs, timeout=300, nm=None):
    """Runs every (name, prism-run command) of `runs`, `jobs` at a time. A
    run passes when prism-run exits 0 and every check line it prints is a
    PASS, and, when `nm` is given and the command saves its object
    (--save-object), the object needs nothing outside host_symbols.ALLOWED.
    Prints one line per failing run, then `N passed, N failed`; returns the
    exit status."""
    def run(item):
        name, cmd = item
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        checks = [l for l in proc.stdout.splitlines() if l.startswith(("PASS", "FAIL"))]
        ok = proc.returncode == 0 and checks and all(l.startswith("PASS") for l in checks)
        output = proc.stdout + proc.stderr
        if ok and nm and "--save-object" in cmd:
            obj = cmd[cmd.index("--save-object") + 1]
            symbols = host_symbols.disallowed(nm, obj)
            if symbols:
                ok = False
                output += f"host object {obj} needs {', '.join(symbols)}\n"
        return name, cmd, ok, output

    passed = failed = 0
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for name, cmd, ok, output in pool.map(run, runs):
            if ok:
                passed += 1
            else:
                failed += 1
                print(f"FAIL {name}: {' '.join(cmd)}\n{output}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prism-run", default="prism-run")
    parser.add_argument("--steps", default="77,130")
    parser.add_argument("--key-dim", type=int, default=32)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--schedule", choices=("sequential", "chunked", "two_pass", "tree"),
                        default="sequential", help="which schedule's matrix to run "
                        "(chunked: chunked_fused, two_pass: chunked_two_pass, tree)")
    parser.add_argument("--mcpu", default="",
                        help="CPU to compile the host code for (default: this one)")
    parser.add_argument("--check-symbols", action="store_true",
                        help="check each host object's undefined symbols")
    parser.add_argument("--nm", default="llvm-nm")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="prism-matrix-")
    runs = []
    if args.schedule == "sequential":
        specs = matrix(key_dim=args.key_dim, value_dim=args.key_dim)
    else:
        specs = chunked_matrix(key_dim=args.key_dim, value_dim=args.key_dim,
                               schedule={"chunked": "chunked_fused",
                                         "two_pass": "chunked_two_pass",
                                         "tree": "tree"}[args.schedule])
    target = ["--mcpu", args.mcpu] if args.mcpu else []
    for seed, spec in enumerate(specs, 1):
        path = os.path.join(work, spec.name + ".mlir")
        with open(path, "w") as f:
            f.write(spec.mlir())
        for i, steps in enumerate(args.steps.split(",")):
            cmd = [args.prism_run, path, "--bind", f"B=2,T={steps}",
                   "--seed", str(seed)] + target
            if args.check_symbols and i == 0:
                cmd += ["--save-object", os.path.join(work, spec.name + ".o")]
            runs.append((spec.name, cmd))

    return run_all(runs, args.jobs, nm=args.nm if args.check_symbols else None)

if __name__ == "__main__":
    sys.exit(main())
