#!/usr/bin/env python3
"""Times flash-linear-attention (FLA) on the shapes of shared/targets.md.

Runs on the GPU machine in the same call as prism-bench, so that prism's
figures and FLA's come from one card at one time. FLA travels as wheels
(tools/gpu/run.sh installs them from .whl when FLA_WHEELS names the folder).
Inputs follow targets.md: bf16 q, k, v; keys L2-normalised for the delta
rules; gates log(sigmoid(x + 4)) (f32); beta in (0, 1). Each case is the
median of `--iters` launches timed with CUDA events after warm-ups, as
prism-bench does.

usage: bench-fla.py [--iters N] [--sweep] [--families F,...] > table.md

--families: the recurrences to time (default all four: simple_gla, gla,
  deltanet, gated_deltanet); FLA autotunes each kernel on its first call,
  so one call of the device tool may have room for only some.
"""

import argparse
import statistics

import torch
import torch.nn.functional as F

SHAPES = {"S1": (8, 4096, 16, 128), "S2": (2, 16384, 16, 128), "S3": (8, 2048, 32, 64)}


def inputs(family, B, T, H, D, device="cuda"):
    torch.manual_seed(0)
    q = torch.randn(B, T, H, D, device=device, dtype=torch.bfloat16)
    k = torch.randn(B, T, H, D, device=device, dtype=torch.bfloat16)
    v = torch.randn(B, T, H, D, device=device, dtype=torch.bfloat16)
    if family in ("deltanet", "gated_deltanet"):
        k = F.normalize(k.float(), dim=-1).bfloat16()
    beta = torch.rand(B, T, H, device=device, dtype=torch.bfloat16)
    g_head = F.logsigmoid(torch.randn(B, T, H, device=device) + 4)
    g_key = F.logsigmoid(torch.randn(B, T, H, D, device=device) + 4)
    return q, k, v, beta, g_head, g_key


def runner(family):
    from fla.ops import (chunk_delta_rule, chunk_gated_delta_rule, chunk_gla,
                         chunk_simple_gla)
    if family == "simple_gla":
        return lambda q, k, v, beta, gh, gk: chunk_simple_gla(q, k, v, g=gh)
    if family == "gla":
        return lambda q, k, v, beta, gh, gk: chunk_gla(q, k, v, g=gk)
    if family == "deltanet":
        return lambda q, k, v, beta, gh, gk: chunk_delta_rule(q, k, v, beta)
    if family == "gated_deltanet":
        return lambda q, k, v, beta, gh, gk: chunk_gated_delta_rule(q, k, v, gh, beta)
    raise ValueError(family)


def median_ms(fn, iters, warmup=10):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(iters):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--iters", type=int, default=50)
    parser.add_argument("--sweep", action="store_true",
                        help="also B = 1, H = 16, K = V = 128, T = 1K .. 64K")
    parser.add_argument("--families", default="simple_gla,gla,deltanet,gated_deltanet",
                        help="comma-separated recurrences to time")
    args = parser.parse_args()
    families = [f for f in args.families.split(",") if f]
    for family in families:
        if family not in ("simple_gla", "gla", "deltanet", "gated_deltanet"):
            parser.error(f"unknown recurrence '{family}' (known: simple_gla, gla, "
                         "deltanet, gated_deltanet)")
    import fla
    print(f"FLA {getattr(fla, '__version__', '?')}, torch {torch.__version__}, "
          f"{torch.cuda.get_device_name()}")
    print()
    print("| recurrence | shape | B | T | H | K=V | FLA median ms | tokens/s |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    cases = [(label, shape) for label, shape in SHAPES.items()]
    if args.sweep:
        cases += [(f"B1 T{t}", (1, t, 16, 128)) for t in
                  (1024, 2048, 4096, 8192, 16384, 32768, 65536)]
    for family in families:
        fn = runner(family)
        for label, (B, T, H, D) in cases:
            x = inputs(family, B, T, H, D)
            ms = median_ms(lambda: fn(*x), args.iters)
            print(f"| {family} | {label} | {B} | {T} | {H} | {D} | {ms:.3f} | "
                  f"{B * T / ms * 1e3:.3g} |", flush=True)
            del x
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
