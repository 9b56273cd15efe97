#!/usr/bin/env bash
# Runs on the GPU machine, from the kit that tools/gpu/make-kit.py built:
# checks every test program against the float64 oracle, then times the
# benchmark programs on S1, S2 and S3 (shared/targets.md). Writes logs and
# a markdown table under $OUT (default ./gpu-out).
set -u
kit=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$kit/gpu-out}
mkdir -p "$out"
status=0

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv
} | tee "$out/device.txt"

# What to run (defaults: everything): PRISM_STAGES (any of test, bench,
# sweep), PRISM_TEST_BINDS (prism-gpu-test --bind sets), PRISM_TEST_GLOB
# (test programs), PRISM_BENCH_GLOB (benchmark programs), PRISM_BENCH_BINDS,
# PRISM_SWEEP (programs of the T sweep).
stages=${PRISM_STAGES:-"test bench sweep"}
test_binds=${PRISM_TEST_BINDS:-"B=2,T=77 B=1,T=130 B=3,T=1"}
test_glob=${PRISM_TEST_GLOB:-"*"}
bench_glob=${PRISM_BENCH_GLOB:-"*"}
has() { [[ " $stages " == *" $1 "* ]]; }

if has test; then
  # Correctness: every program at several shapes (T not a multiple of 16/64).
  bind_args=()
  for b in $test_binds; do bind_args+=(--bind "$b"); done
  "$kit/bin/prism-gpu-test" "${bind_args[@]}" \
    "$kit"/test/$test_glob.manifest.json >"$out/gpu-test.log" 2>&1 || status=1
  grep -E "FAIL|ERROR" "$out/gpu-test.log" | head -40
  tail -n 1 "$out/gpu-test.log"

  # The Python package on torch tensors (needs torch with CUDA there).
  PRISM_TEST_PROGRAMS="$kit/pyprograms" PRISM_RUNTIME_LIB="$kit/bin/libprism_runtime.so" \
    python3 -m pytest -q -p no:cacheprovider "$kit/python/tests/test_gpu.py" \
    >"$out/python-gpu.log" 2>&1 || status=1
  tail -n 1 "$out/python-gpu.log"
fi

if has bench; then
  # Speed: S1, S2 for H=16 K=V=128 programs; S3 for H=32 K=V=64 ones.
  s12_binds=${PRISM_BENCH_BINDS:-"B=8,T=4096 B=2,T=16384"}
  bind_args=()
  for b in $s12_binds; do bind_args+=(--bind "$b"); done
  "$kit/bin/prism-bench" --markdown --label S1/S2 "${bind_args[@]}" \
    "$kit"/bench/s12_$bench_glob.manifest.json >"$out/bench-s12.md" 2>&1 || status=1
  "$kit/bin/prism-bench" --markdown --label S3 --bind B=8,T=2048 \
    "$kit"/bench/s3_$bench_glob.manifest.json >"$out/bench-s3.md" 2>&1 || status=1
  cat "$out/bench-s12.md" "$out/bench-s3.md"
fi

if has sweep; then
  # Throughput against T (1K .. 64K, B = 1) per recurrence and schedule, for
  # tools/gpu/plot-sweep.py. Programs absent from the kit are skipped.
  sweep=${PRISM_SWEEP:-"s12_simple_gla s12_simple_gla_chunked s12_gla s12_gla_chunked
    s12_gated_deltanet s12_gated_deltanet_chunked s12_prism_eq18_l3 s12_prism_eq18_l3_chunked"}
  manifests=()
  for p in $sweep; do
    [ -f "$kit/bench/$p.manifest.json" ] && manifests+=("$kit/bench/$p.manifest.json")
  done
  bind_args=()
  for t in 1024 2048 4096 8192 16384 32768 65536; do bind_args+=(--bind "B=1,T=$t"); done
  "$kit/bin/prism-bench" --markdown --label sweep --iters 20 "${bind_args[@]}" \
    "${manifests[@]}" >"$out/bench-sweep.md" 2>&1 || status=1
  grep -c "^| sweep" "$out/bench-sweep.md"
fi
exit $status
