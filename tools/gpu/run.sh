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
# sweep, fla: FLA's kernels on the same shapes, installed from the wheels in
# FLA_WHEELS, default $kit/../.whl; PRISM_FLA_ARGS, default --sweep), PRISM_TEST_BINDS (prism-gpu-test --bind sets), PRISM_TEST_GLOB
# (test programs), PRISM_BENCH_GLOB (benchmark programs) or PRISM_BENCH_NAMES
# (their names without the s12_/s3_ prefix, space-separated), PRISM_BENCH_BINDS,
# PRISM_SWEEP (programs of the T sweep). PRISM_TEST_TIMEOUT (seconds, per
# test process) and PRISM_BENCH_TIMEOUT (per prism-bench call) bound a run
# that must fit a device-time budget: what finished is still reported, and
# a test process cut by its limit counts as an error.
stages=${PRISM_STAGES:-"test bench sweep fla"}
test_binds=${PRISM_TEST_BINDS:-"B=2,T=77 B=1,T=130 B=3,T=1"}
test_glob=${PRISM_TEST_GLOB:-"*"}
bench_glob=${PRISM_BENCH_GLOB:-"*"}
has() { [[ " $stages " == *" $1 "* ]]; }

if has test; then
  # Correctness: every program at several shapes (T not a multiple of 16/64).
  # The work per case is mostly on the CPU (the driver's PTX JIT, inputs,
  # the float64 oracle), so the programs are dealt to PRISM_TEST_JOBS
  # processes (default: the CPU count) that share the GPU.
  bind_args=()
  for b in $test_binds; do bind_args+=(--bind "$b"); done
  jobs=${PRISM_TEST_JOBS:-$(nproc)}
  test_limit=()
  [ -n "${PRISM_TEST_TIMEOUT:-}" ] && test_limit=(timeout "$PRISM_TEST_TIMEOUT")
  manifests=("$kit"/test/$test_glob.manifest.json)
  rm -f "$out"/gpu-test.*.log
  pids=()
  for ((j = 0; j < jobs; ++j)); do
    shard=()
    for ((i = j; i < ${#manifests[@]}; i += jobs)); do shard+=("${manifests[i]}"); done
    [ ${#shard[@]} -gt 0 ] || continue
    ${test_limit[@]+"${test_limit[@]}"} "$kit/bin/prism-gpu-test" \
      "${bind_args[@]}" "${shard[@]}" >"$out/gpu-test.$j.log" 2>&1 &
    pids+=($!)
  done
  # Every shard must end well (a crash would otherwise only shorten the log).
  for pid in "${pids[@]}"; do
    wait "$pid" || { echo "ERROR a prism-gpu-test shard exited with $?"; status=1; }
  done
  cat "$out"/gpu-test.*.log >"$out/gpu-test.log"
  rm -f "$out"/gpu-test.*.log
  grep -E "^(FAIL|ERROR)" "$out/gpu-test.log" | head -40
  passed=$(grep -c "^PASS" "$out/gpu-test.log")
  failed=$(grep -c -E "^(FAIL|ERROR)" "$out/gpu-test.log")
  skipped=$(grep -c "^SKIP" "$out/gpu-test.log")
  echo "$passed passed, $failed failed, $skipped skipped ($jobs processes)"
  [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] || status=1

  # The Python package on torch tensors (needs torch with CUDA there).
  PRISM_TEST_PROGRAMS="$kit/pyprograms" PRISM_RUNTIME_LIB="$kit/bin/libprism_runtime.so" \
    python3 -m pytest -q -p no:cacheprovider "$kit/python/tests/test_gpu.py" \
    >"$out/python-gpu.log" 2>&1 || status=1
  tail -n 1 "$out/python-gpu.log"
fi

bench_limit=()
[ -n "${PRISM_BENCH_TIMEOUT:-}" ] && bench_limit=(timeout "$PRISM_BENCH_TIMEOUT")

if has bench; then
  # Speed: S1, S2 for H=16 K=V=128 programs; S3 for H=32 K=V=64 ones.
  s12_binds=${PRISM_BENCH_BINDS:-"B=8,T=4096 B=2,T=16384"}
  bind_args=()
  for b in $s12_binds; do bind_args+=(--bind "$b"); done
  s12=("$kit"/bench/s12_$bench_glob.manifest.json)
  s3=("$kit"/bench/s3_$bench_glob.manifest.json)
  if [ -n "${PRISM_BENCH_NAMES:-}" ]; then
    s12=() s3=()
    for n in $PRISM_BENCH_NAMES; do
      [ -f "$kit/bench/s12_$n.manifest.json" ] && s12+=("$kit/bench/s12_$n.manifest.json")
      [ -f "$kit/bench/s3_$n.manifest.json" ] && s3+=("$kit/bench/s3_$n.manifest.json")
    done
  fi
  ${bench_limit[@]+"${bench_limit[@]}"} "$kit/bin/prism-bench" --markdown --label S1/S2 "${bind_args[@]}" \
    "${s12[@]}" >"$out/bench-s12.md" 2>&1 || status=1
  ${bench_limit[@]+"${bench_limit[@]}"} "$kit/bin/prism-bench" --markdown --label S3 --bind B=8,T=2048 \
    "${s3[@]}" >"$out/bench-s3.md" 2>&1 || status=1
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
  ${bench_limit[@]+"${bench_limit[@]}"} "$kit/bin/prism-bench" --markdown --label sweep --iters 20 "${bind_args[@]}" \
    "${manifests[@]}" >"$out/bench-sweep.md" 2>&1 || status=1
  grep -c "^| sweep" "$out/bench-sweep.md"
fi
if has fla; then
  # FLA on the same card in the same call (tools/gpu/bench-fla.py).
  wheels=${FLA_WHEELS:-$kit/../.whl}
  if ls "$wheels"/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
      --upgrade --target /tmp/fla-site "$wheels"/*.whl >"$out/fla-install.log" 2>&1
    PYTHONPATH=/tmp/fla-site${PYTHONPATH:+:$PYTHONPATH} ${bench_limit[@]+"${bench_limit[@]}"} \
      python3 "$kit/bench-fla.py" ${PRISM_FLA_ARGS:---sweep} >"$out/bench-fla.md" 2>&1 || status=1
    cat "$out/bench-fla.md"
  else
    echo "fla: no wheels in $wheels (tools/gpu/bench-fla.py needs FLA)"
  fi
fi
exit $status
