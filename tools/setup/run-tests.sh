#!/usr/bin/env bash
# Every test: unit tests (GoogleTest), lit tests (dialect, conversions,
# pipelines, PTX checked by ptxas when the CUDA toolkit is present, CPU
# integration matrix against the float64 oracle, malformed inputs), and the
# GPU tests, which report "skipped: no GPU" without one. Installs what is
# missing first.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
prism_install_deps
prism_build
cd "$PRISM_BUILD_DIR"
# The GPU tests first, verbosely, so that "skipped: no GPU" is visible.
ctest -R '^gpu-tests$' --verbose 2>&1 | grep -E "skipped: no GPU" | sed 's/^[0-9]*: //' || true
ctest --output-on-failure -j "$PRISM_JOBS"
