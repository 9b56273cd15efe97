#!/usr/bin/env python3
"""Compile-time bound of the GPU pipeline (mapping=tile).

Compiles to PTX the programs that cost the most to compile: every schedule
parameter variant of the chunked matrices (chunks 16..128, warps 1..8,
V-tiles, stages; f32, bf16 and f16) at K = V = 64 and 128, the L = 4 f32
programs of every family, and f32 programs with one warp and 128-token
chunks (which once took minutes and gigabytes). Each must either compile
within --limit seconds of CPU time (user + system, which depends little on
the machine's load; a program over it is compiled a second time and the
lower time counts), or be refused with a diagnostic that names
the budget it exceeds (shared memory per block or registers per thread).
A compile that runs away is stopped at 4 GiB of memory or 120 s.

Prints one line per program that breaks the bound, then `N within the bound
(M refused with a budget), max X s (name)`.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
from prism.spec import Spec, chunked_matrix  # noqa: E402

BUDGETS = ("bytes of shared memory per block", "registers per thread")


def programs():
    specs = []
    for schedule in ("chunked_fused", "chunked_two_pass", "tree"):
        for dim in (64, 128):
            for s in chunked_matrix(key_dim=dim, value_dim=dim, schedule=schedule):
                if s.schedule_params or (s.rank == 4 and s.dtype == "f32"):
                    s.name = f"{s.name}_k{dim}"
                    specs.append(s)
        for family in ("scalar", "diagonal", "delta"):
            specs.append(Spec(name=f"{schedule}_{family}_c128_w1_f32", forget=family,
                              dtype="f32", heads=4, key_dim=64, value_dim=64,
                              delta_gate=family == "delta", inject_gates=family == "delta",
                              schedule=schedule, schedule_params={"chunk": 128, "warps": 1}))
    return specs


def limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prism-opt", default="prism-opt")
    parser.add_argument("--limit", type=float, default=5.0)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="prism-compile-bound-")

    def run(spec):
        result = compile_once(spec)
        # CPU time on a loaded machine (the other lit jobs, a sibling
        # hyperthread) ran half again over the same work alone (5.0 s in a
        # CI run for a program that takes 3.0-3.5 s here): a program over the
        # bound is compiled once more and the lower of its times counts. One
        # over the bound twice fails.
        if result[1] == 0 and result[2] > args.limit:
            again = compile_once(spec)
            if again[1] == 0 and again[2] < result[2]:
                result = again
        return result

    def compile_once(spec):
        path = os.path.join(work, spec.name + ".mlir")
        with open(path, "w") as f:
            f.write(spec.mlir())
        err_path = os.path.join(work, spec.name + ".err")
        with open(err_path, "w") as err:
            proc = subprocess.Popen(
                [args.prism_opt, path, f"--prism-gpu-pipeline=output-dir={work} mapping=tile",
                 "-o", os.devnull], stdout=subprocess.DEVNULL, stderr=err,
                preexec_fn=limit_memory)
        # wait4 reports this child's own CPU time, whatever runs beside it.
        timer = threading.Timer(120, proc.kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = usage.ru_utime + usage.ru_stime
        with open(err_path) as f:
            message = f.read()
        return spec.name, proc.returncode, seconds, message

    bad = refused = 0
    results = []
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for name, code, seconds, message in pool.map(run, programs()):
            results.append((seconds, name))
            if code != 0:
                if any(budget in message for budget in BUDGETS) and seconds <= args.limit:
                    refused += 1
                    continue
                bad += 1
                print(f"FAIL {name}: exit {code} after {seconds:.1f} s\n{message[:2000]}")
            elif seconds > args.limit:
                bad += 1
                print(f"FAIL {name}: compiled in {seconds:.1f} s of CPU time "
                      f"(bound {args.limit:g} s)")
    results.sort(reverse=True)
    worst = results[0]
    print("slowest: " + ", ".join(f"{name} {seconds:.1f} s" for seconds, name in results[:5]))
    print(f"{len(results) - bad} within the bound ({refused} refused with a budget), "
          f"max {worst[0]:.1f} s ({worst[1]}), {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
