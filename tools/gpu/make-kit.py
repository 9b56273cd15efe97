#!/usr/bin/env python3
"""Builds the GPU kit: everything the H200 run needs, compiled here.

libMLIR does not travel, so PTX is compiled on this machine: every example
in docs/examples, the step bodies of test/Integration/explicit-solver.mlir,
the correctness matrices of the sequential, chunked-fused
and chunked-two-pass schedules (every forget family x L x dtype x initial
state and more, at K = V = 32, 64 and 128) and the benchmark
programs of shared/targets.md (S1/S2 at H=16, K=V=128; S3 at H=32, K=V=64)
go through prism-opt --prism-gpu-pipeline. The MLIR-free programs
prism-gpu-test and prism-bench are copied next to them, with tools/gpu/run.sh.

usage: tools/gpu/make-kit.py [--chunked-only | --bench-only] [--only WORDS]
                             [--bench WORDS]
                             [--mapping loops|tile|both] [--archive FILE]
                             BUILD_DIR KIT_DIR

--chunked-only: only the chunked schedules' (fused and two-pass) tests and
  benchmarks.
--bench-only: only the benchmark programs (no tests, no Python programs).
--only WORDS: only the test programs whose names contain one of the
  comma-separated WORDS (the benchmark programs are all built).
--bench WORDS: only the benchmark programs whose names contain one of the
  comma-separated WORDS (a quick kit for a few kernels).
--mapping: how the schedules reach the GPU (prism-gpu-pipeline's option):
  the loop nests (default), the tile level's target mapping, or both (the
  test programs through the tile mapping, the benchmark programs twice, the
  tile ones named *_tile, so that one run compares them).
--archive FILE: also pack the kit into FILE (.tar.xz, about a sixth of the
  kit's size: the PTX of the full kit exceeds what the device tool carries).
  On the GPU machine: `tar xJf FILE && KIT_DIR/run.sh`, with FILE's folder
  carried and KIT_DIR relative to the repository root (e.g. `.gpu`).
"""

import dataclasses
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
from prism.spec import Spec, chunked_matrix, matrix  # noqa: E402
from prism.step import explicit_solver  # noqa: E402


def two_pass_matrix(**kwargs):
    return chunked_matrix(schedule="chunked_two_pass", **kwargs)


def tree_matrix(**kwargs):
    return chunked_matrix(schedule="tree", **kwargs)


def bench_specs():
    """One program per recurrence of shared/targets.md, per head shape."""
    out = []
    for tag, heads, dim in (("s12", 16, 128), ("s3", 32, 64)):
        common = dict(heads=heads, key_dim=dim, value_dim=dim, dtype="bf16")
        out += [
            Spec(name=f"{tag}_linear_attention", forget="identity", **common),
            Spec(name=f"{tag}_simple_gla", forget="scalar", **common),
            Spec(name=f"{tag}_gla", forget="diagonal", **common),
            Spec(name=f"{tag}_deltanet", forget="delta", inject_gates=True, **common),
            Spec(name=f"{tag}_gated_deltanet", forget="delta", delta_gate=True,
                 inject_gates=True, **common),
            Spec(name=f"{tag}_prism_eq18_l3", forget="delta", delta_gate=True, rank=3,
                 refine="gelu", inject_gates=True, **common),
        ]
    # The chunked schedules (fused, two-pass, tree), defaults, for every
    # family.
    for schedule, suffix in (("chunked_fused", "chunked"), ("chunked_two_pass", "2pass"),
                             ("tree", "tree")):
        for tag, heads, dim in (("s12", 16, 128), ("s3", 32, 64)):
            common = dict(heads=heads, key_dim=dim, value_dim=dim, dtype="bf16",
                          schedule=schedule)
            out += [
                Spec(name=f"{tag}_linear_attention_{suffix}", forget="identity", **common),
                Spec(name=f"{tag}_simple_gla_{suffix}", forget="scalar", **common),
                Spec(name=f"{tag}_gla_{suffix}", forget="diagonal", **common),
                Spec(name=f"{tag}_deltanet_{suffix}", forget="delta", inject_gates=True,
                     **common),
                Spec(name=f"{tag}_gated_deltanet_{suffix}", forget="delta", delta_gate=True,
                     inject_gates=True, **common),
                Spec(name=f"{tag}_prism_eq18_l3_{suffix}", forget="delta", delta_gate=True,
                     rank=3, refine="gelu", inject_gates=True, **common),
            ]
            if schedule == "chunked_fused":
                out.append(Spec(name=f"{tag}_prism_decay_l3_{suffix}", forget="scalar", rank=3,
                                refine="gelu", inject_gates=True, **common))
    # The two-pass knobs on the S1/S2 head shape (v_tile: its first kernel's).
    common = dict(heads=16, key_dim=128, value_dim=128, dtype="bf16",
                  schedule="chunked_two_pass")
    for params in ({"v_tile": 32}, {"v_tile": 128}, {"chunk": 32}, {"warps": 4},
                   {"v_tile": 64}, {"v_tile": 32, "warps": 4}, {"v_tile": 64, "warps": 4},
                   {"stages": 2}, {"v_tile": 32, "stages": 2}, {"v_tile": 64, "stages": 2}):
        tag = "_".join(f"{k[0]}{v}" for k, v in params.items())
        if "stages" not in params:
            out.append(Spec(name=f"s12_simple_gla_2pass_{tag}", forget="scalar",
                            schedule_params=params, **common))
            out.append(Spec(name=f"s12_gla_2pass_{tag}", forget="diagonal",
                            schedule_params=params, **common))
        out.append(Spec(name=f"s12_gated_deltanet_2pass_{tag}", forget="delta",
                        delta_gate=True, inject_gates=True, schedule_params=params,
                        **common))
    # The fused schedule's knobs on the S1/S2 head shape.
    common = dict(heads=16, key_dim=128, value_dim=128, dtype="bf16", schedule="chunked_fused")
    for params in ({"chunk": 32}, {"chunk": 32, "v_tile": 128}, {"chunk": 128, "v_tile": 32},
                   {"v_tile": 32}, {"v_tile": 64}, {"v_tile": 64, "warps": 4},
                   {"stages": 2}, {"stages": 2, "v_tile": 64},
                   {"v_tile": 128, "warps": 8},
                   {"warps": 8}, {"v_tile": 32, "warps": 2}):
        tag = "_".join(f"{k[0]}{v}" for k, v in params.items())
        out.append(Spec(name=f"s12_simple_gla_chunked_{tag}", forget="scalar",
                        schedule_params=params, **common))
        out.append(Spec(name=f"s12_gla_chunked_{tag}", forget="diagonal",
                        schedule_params=params, **common))
        if params.get("chunk") == 128:
            continue  # the delta forget's scratch exceeds shared memory there
        out.append(Spec(name=f"s12_gated_deltanet_chunked_{tag}", forget="delta",
                        delta_gate=True, inject_gates=True, schedule_params=params,
                        **common))
    # The sequential schedule's knobs, on the S1/S2 head shape.
    common = dict(heads=16, key_dim=128, value_dim=128, dtype="bf16")
    for stages in (1, 2, 3):
        for split in (2, 4, 8):
            out.append(Spec(name=f"s12_gated_deltanet_st{stages}_ks{split}", forget="delta",
                            delta_gate=True, inject_gates=True,
                            schedule_params={"stages": stages, "k_split": split}, **common))
        out.append(Spec(name=f"s12_simple_gla_st{stages}", forget="scalar",
                        schedule_params={"stages": stages}, **common))
    # Several state rows per lane: each loaded k / q slice serves them all.
    for split, rows in ((4, 2), (8, 2), (8, 4)):
        out.append(Spec(name=f"s12_gated_deltanet_ks{split}_rows{rows}", forget="delta",
                        delta_gate=True, inject_gates=True,
                        schedule_params={"k_split": split, "rows": rows}, **common))
        out.append(Spec(name=f"s12_simple_gla_ks{split}_rows{rows}", forget="scalar",
                        schedule_params={"k_split": split, "rows": rows}, **common))
        out.append(Spec(name=f"s12_prism_eq18_l3_ks{split}_rows{rows}", forget="delta",
                        delta_gate=True, rank=3, refine="gelu", inject_gates=True,
                        schedule_params={"k_split": split, "rows": rows}, **common))
    return out


def compile_spec(opt, path, outdir, mapping="loops"):
    result = subprocess.run([opt, path, f"--prism-gpu-pipeline=output-dir={outdir} "
                             f"mapping={mapping}", "-o", os.devnull])
    if result.returncode != 0:
        print(f"kit: {path} did not compile (mapping={mapping})", file=sys.stderr)
        return False
    return True


def take_option(argv, name, choices=None):
    """The value after `name` in argv (both removed), or None."""
    if name not in argv:
        return None
    at = argv.index(name)
    if at + 1 >= len(argv) or (choices and argv[at + 1] not in choices):
        sys.exit(__doc__)
    value = argv[at + 1]
    del argv[at:at + 2]
    return value


def main():
    argv = sys.argv[1:]
    archive = take_option(argv, "--archive")
    if archive:
        archive = os.path.abspath(archive)
    only = take_option(argv, "--only")
    only = only.split(",") if only else None
    bench_words = take_option(argv, "--bench")
    bench_words = bench_words.split(",") if bench_words else None
    mapping = take_option(argv, "--mapping", ("loops", "tile", "both")) or "loops"
    test_mapping = "tile" if mapping == "both" else mapping
    args = [a for a in argv if not a.startswith("--")]
    chunked_only = "--chunked-only" in argv
    bench_only = "--bench-only" in argv
    if len(args) != 2:
        sys.exit(__doc__)
    build, kit = (os.path.abspath(a) for a in args)
    shutil.rmtree(kit, ignore_errors=True)
    # A copy of the compiler: rebuilding BUILD_DIR while the kit compiles
    # must not change (or break) what the kit is compiled with.
    stable = tempfile.mkdtemp(prefix="prism-kit-")
    opt = os.path.join(stable, "prism-opt")
    shutil.copy2(os.path.join(build, "bin", "prism-opt"), opt)
    for sub in ("bin", "specs", "test", "bench"):
        os.makedirs(os.path.join(kit, sub))

    tests = []
    for dim in (32, 64, 128) if not bench_only else ():
        suites = [chunked_matrix, two_pass_matrix]
        if not chunked_only:
            suites.insert(0, matrix)
        if test_mapping == "tile":
            suites.append(tree_matrix)
        for suite in suites:
            for s in suite(key_dim=dim, value_dim=dim):
                s.name = f"{s.name}_k{dim}"
                if only is None or any(word in s.name for word in only):
                    tests.append(s)
    jobs = []
    for s in tests:
        path = os.path.join(kit, "specs", s.name + ".mlir")
        with open(path, "w") as f:
            f.write(s.mlir())
        jobs.append((path, os.path.join(kit, "test"), test_mapping))
        # The K = 32 programs again with canonicalize and cse after every
        # stage of the mapping: no stage may depend on the exact form of
        # what the previous one printed.
        if test_mapping == "tile" and s.name.endswith("_k32"):
            clean = dataclasses.replace(s, name=s.name + "_clean")
            path = os.path.join(kit, "specs", clean.name + ".mlir")
            with open(path, "w") as f:
                f.write(clean.mlir())
            jobs.append((path, os.path.join(kit, "test"), "tile cleanup-between-stages=true"))
    examples = os.path.join(ROOT, "docs", "examples")
    for name in sorted(os.listdir(examples)) if not (chunked_only or bench_only) else []:
        if name.endswith(".mlir"):
            jobs.append((os.path.join(examples, name), os.path.join(kit, "test"),
                         test_mapping))
    # Test files whose programs the matrices do not generate: state-dependent
    # step bodies (V-tiles, S^T y, the [B, H, V, K] layout).
    for name in ("explicit-solver.mlir",) if not (chunked_only or bench_only) else ():
        jobs.append((os.path.join(ROOT, "test", "Integration", name),
                     os.path.join(kit, "test"), test_mapping))
    for s in bench_specs():
        if chunked_only and not s.schedule.startswith("chunked_"):
            continue
        if bench_words is not None and not any(word in s.name for word in bench_words):
            continue
        if s.schedule == "tree" and mapping == "loops":
            continue  # the loop nests have no tree schedule
        mappings = ("loops", "tile") if mapping == "both" else (mapping,)
        if s.schedule == "tree":
            mappings = ("tile",)
        for m in mappings:
            spec = s
            if mapping == "both" and m == "tile" and s.schedule != "tree":
                spec = dataclasses.replace(s, name=s.name + "_tile")
            path = os.path.join(kit, "specs", spec.name + ".mlir")
            with open(path, "w") as f:
                f.write(spec.mlir())
            jobs.append((path, os.path.join(kit, "bench"), m))
    # The explicit solver of Eq. 6 (a state-dependent step body, the
    # sequential walk through the tile mapping), on the S1/S2 head shape: the
    # baseline of PRISM's parallel-versus-explicit ratio.
    # Its knobs: lanes a row (k_split) and loads ahead (stages).
    variants = [(1, {}), (3, {}), (1, {"k_split": 8}), (1, {"k_split": 8, "stages": 3}),
                (1, {"stages": 1}), (1, {"k_split": 8, "stages": 1})]
    for inner, params in variants if not chunked_only else ():
        suffix = "" if inner == 1 else f"_{inner}"
        short = {"k_split": "ks", "stages": "st"}
        suffix += "".join(f"_{short[k]}{v}" for k, v in params.items())
        spec = explicit_solver(f"s12_explicit_solver{suffix}", inner_steps=inner, heads=16,
                               key_dim=128, value_dim=128, dtype="bf16", schedule=params)
        if bench_words is not None and not any(word in spec.name for word in bench_words):
            continue
        path = os.path.join(kit, "specs", spec.name + ".mlir")
        with open(path, "w") as f:
            f.write(spec.mlir())
        jobs.append((path, os.path.join(kit, "bench"), "tile"))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        compiled = list(pool.map(lambda job: compile_spec(opt, *job), jobs))
    if not all(compiled):
        print(f"kit: {compiled.count(False)} of {len(compiled)} programs did not compile",
              file=sys.stderr)

    for tool in ("prism-gpu-test", "prism-bench"):
        shutil.copy2(os.path.join(build, "bin", tool), os.path.join(kit, "bin", tool))
    # The Python package and its GPU test, with programs compiled here.
    shutil.copy2(os.path.join(build, "lib", "libprism_runtime.so"),
                 os.path.join(kit, "bin", "libprism_runtime.so"))
    shutil.copytree(os.path.join(ROOT, "python"), os.path.join(kit, "python"),
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if not bench_only:
        subprocess.run([sys.executable, os.path.join(ROOT, "python", "tests", "test_gpu.py"),
                        os.path.join(kit, "pyprograms")], check=True,
                       env=dict(os.environ, PRISM_OPT=opt))
    shutil.rmtree(stable, ignore_errors=True)
    for script in ("run.sh", "bench-fla.py"):
        shutil.copy2(os.path.join(ROOT, "tools", "gpu", script), os.path.join(kit, script))
    count = len([n for n in os.listdir(os.path.join(kit, "test")) if n.endswith(".ptx")])
    print(f"kit: {kit}: {count} test programs, "
          f"{len(os.listdir(os.path.join(kit, 'bench'))) // 2} benchmark programs")
    if archive:
        os.makedirs(os.path.dirname(archive), exist_ok=True)
        name = os.path.relpath(kit, ROOT)
        if name.startswith(".."):
            name = os.path.basename(kit)
        with tarfile.open(archive, "w:xz") as tar:
            tar.add(kit, arcname=name)
        print(f"archive: {archive} ({os.path.getsize(archive) / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
