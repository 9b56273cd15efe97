#!/usr/bin/env bash
# The main job: compile every recurrence in docs/examples/ with prism-opt and
# run it, on the GPU when one is present (PTX + manifest, launched by
# prism-gpu-test), otherwise on the CPU backend (prism-run); every output is
# checked against the float64 oracle. Installs what is missing first.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
prism_install_deps
prism_build prism-opt prism-run prism-gpu-test

bin=$PRISM_BUILD_DIR/bin
status=0
if prism_have_gpu; then
  out=$PRISM_BUILD_DIR/examples-gpu
  mkdir -p "$out"
  echo "== GPU backend: $(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)"
  for spec in "$PRISM_ROOT"/docs/examples/*.mlir; do
    "$bin/prism-opt" "$spec" --prism-gpu-pipeline="output-dir=$out" -o /dev/null || status=1
  done
  "$bin/prism-gpu-test" "$out"/*.manifest.json || status=1
else
  echo "== no GPU here: CPU backend (prism-cpu-pipeline, JIT)"
  for spec in "$PRISM_ROOT"/docs/examples/*.mlir; do
    "$bin/prism-run" "$spec" --bind B=2,T=300 || status=1
  done
fi
exit $status
