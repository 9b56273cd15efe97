#!/usr/bin/env python3
"""The rank of the injection the compiled code applies (issue 13, item 5).

B_t = sum_l beta_l delta_l k_l^T must have rank L for generic inputs. It is
measured from what the compiled program leaves in its state, on the CPU
backend, never from the specification:
  - with the identity forget, S_t - S_{t-1} = B_t: the program runs on the
    first T = 5 and T = 6 tokens of the same inputs (prism-run draws them
    in order, so the first five tokens agree) and B_5 is the difference of
    the two final states;
  - with any forget, a zero start gives S_0 = B_0: one token (T = 1).
Each difference's numerical rank (Gaussian elimination with full pivoting,
pivots below 1e-4 of the largest entry counted as zero, far above f32's
rounding and far below a generic rank-L matrix's smallest pivot) must be L:
1 for L = 1, L for L = 2..4 (L <= K = V = 32 here), and for PRISM's refined
write path with the delta forget (Eq. 18).

Prints one line per failing case and closes with `N passed, N failed`.
"""

import argparse
import os
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
from prism.spec import Spec  # noqa: E402


def read_npy(path):
    """(shape, values) of a little-endian f32 .npy file (no numpy needed)."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:6] == b"\x93NUMPY", path
    length = struct.unpack("<H", data[8:10])[0]
    header = data[10:10 + length].decode()
    assert "'<f4'" in header, header
    shape = tuple(int(d) for d in header.split("(")[1].split(")")[0].split(",") if d.strip())
    count = 1
    for d in shape:
        count *= d
    return shape, list(struct.unpack(f"<{count}f", data[10 + length:10 + length + 4 * count]))


def rank(rows, tol=1e-4):
    """Numerical rank of a matrix (list of rows) by full-pivot elimination."""
    m = [list(r) for r in rows]
    scale = max(abs(x) for r in m for x in r)
    if scale == 0:
        return 0
    r = 0
    while r < min(len(m), len(m[0])):
        best, bi, bj = 0.0, -1, -1
        for i in range(r, len(m)):
            for j in range(r, len(m[0])):
                if abs(m[i][j]) > best:
                    best, bi, bj = abs(m[i][j]), i, j
        if best <= tol * scale:
            break
        m[r], m[bi] = m[bi], m[r]
        for row in m:
            row[r], row[bj] = row[bj], row[r]
        for i in range(r + 1, len(m)):
            f = m[i][r] / m[r][r]
            for j in range(r, len(m[0])):
                m[i][j] -= f * m[r][j]
        r += 1
    return r


def final_state(prism_run, spec_path, steps, out_dir, seed):
    """The program's final state ([K][V] rows of (b, h) = (0, 0)) after `steps`
    tokens."""
    os.makedirs(out_dir, exist_ok=True)
    proc = subprocess.run([prism_run, spec_path, "--bind", f"B=1,T={steps}", "--seed",
                           str(seed), "--save", out_dir], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stdout + proc.stderr)
    shape, values = read_npy(os.path.join(out_dir, "final_state.npy"))
    k, v = shape[2], shape[3]
    return [values[i * v:(i + 1) * v] for i in range(k)]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prism-run", default="prism-run")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="prism-rank-")
    common = dict(heads=1, key_dim=32, value_dim=32, dtype="f32", final_state=True)
    cases = []  # (name, spec, expected rank, method)
    for schedule in ("sequential", "chunked_fused"):
        for rank_l in (1, 2, 3, 4):
            cases.append((f"identity_L{rank_l}_{schedule}",
                          Spec(name=f"identity_L{rank_l}_{schedule}", forget="identity",
                               rank=rank_l, schedule=schedule, **common), rank_l, "difference"))
    cases.append(("gated_delta_L2", Spec(name="gated_delta_L2", forget="delta", rank=2,
                                         delta_gate=True, inject_gates=True, **common),
                  2, "first"))
    cases.append(("prism_eq18_L3", Spec(name="prism_eq18_L3", forget="delta", rank=3,
                                        delta_gate=True, refine="gelu",
                                        schedule="chunked_fused", **common), 3, "first"))
    passed = failed = 0
    for name, spec, expected, method in cases:
        path = os.path.join(work, name + ".mlir")
        with open(path, "w") as f:
            f.write(spec.mlir())
        try:
            if method == "difference":
                before = final_state(args.prism_run, path, 5, os.path.join(work, name, "5"), 1)
                after = final_state(args.prism_run, path, 6, os.path.join(work, name, "6"), 1)
                injection = [[a - b for a, b in zip(ra, rb)] for ra, rb in zip(after, before)]
            else:
                injection = final_state(args.prism_run, path, 1, os.path.join(work, name), 1)
            got = rank(injection)
        except RuntimeError as err:
            print(f"FAIL {name}: prism-run failed\n{err}")
            failed += 1
            continue
        if got == expected:
            passed += 1
        else:
            print(f"FAIL {name}: the injection has rank {got}, expected {expected}")
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
