#!/usr/bin/env bash
# GPU tests: compile every example and the sequential correctness matrix to
# PTX, then check each program on the GPU against the float64 oracle. Exits 77
# ("skipped" for ctest) with a visible line when there is no GPU here.
set -euo pipefail
build=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
if ! (command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1); then
  echo "skipped: no GPU (nvidia-smi finds no device); the GPU tests run on the H200 via tools/gpu/run.sh"
  exit 77
fi
kit=$build/gpu-kit
python3 "$root/tools/gpu/make-kit.py" "$build" "$kit"
exec "$build/bin/prism-gpu-test" --bind B=2,T=77 --bind B=1,T=130 "$kit"/test/*.manifest.json
