#!/usr/bin/env python3
"""Checks that host objects of the CPU backend need no routine outside an
allow-list: the C library's math and memory functions. A compiler-runtime
routine (`__truncsfbf2`, `__extendhfsf2`, ...) is what LLVM calls where the
target CPU lacks an instruction; not every system's runtime library has them
(GCC 12's libgcc has no `__truncsfbf2`), so host code must not need them on
any CPU. The objects checked are compiled for the architecture's baseline
(`prism-run --mcpu=x86-64`), where every such fallback shows up, whatever
the CPU of the machine the test runs on.

As a program: host_symbols.py --nm NM OBJECT... prints one line per object
with a symbol outside the allow-list and exits 1 if there is any.
"""

import argparse
import subprocess
import sys

#: What the host code may call: libm (float variants) and the allocator.
ALLOWED = frozenset({
    "expf", "exp2f", "logf", "log2f", "log1pf", "erff", "tanhf", "sqrtf",
    "malloc", "calloc", "free", "memcpy", "memmove", "memset",
})


def undefined_symbols(nm, path):
    """The undefined symbols of the object at `path`."""
    proc = subprocess.run([nm, "--undefined-only", path], capture_output=True,
                          text=True, check=True)
    return [line.split()[-1] for line in proc.stdout.splitlines() if line.strip()]


def disallowed(nm, path):
    """The undefined symbols of `path` outside ALLOWED."""
    return sorted(s for s in undefined_symbols(nm, path) if s not in ALLOWED)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nm", default="llvm-nm")
    parser.add_argument("objects", nargs="+")
    args = parser.parse_args()
    bad = 0
    for path in args.objects:
        symbols = disallowed(args.nm, path)
        if symbols:
            bad += 1
            print(f"FAIL {path}: needs {', '.join(symbols)} (allowed: "
                  f"{', '.join(sorted(ALLOWED))})")
    print(f"{len(args.objects) - bad} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
