# Shared by run-examples.sh and run-tests.sh: install what is missing, then
# configure and build prism in $PRISM_BUILD_DIR (default: build/).
set -euo pipefail

PRISM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PRISM_BUILD_DIR=${PRISM_BUILD_DIR:-$PRISM_ROOT/build}
PRISM_JOBS=${PRISM_JOBS:-$(nproc)}

prism_install_deps() {
  local packages=(llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools
                  cmake ninja-build g++ libgtest-dev nlohmann-json3-dev
                  python3 python3-pytest)
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "prism: installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  # The python3 on the PATH (not necessarily Debian's) runs the Python tests.
  if ! python3 -m pytest --version >/dev/null 2>&1; then
    echo "prism: installing pytest for $(command -v python3)"
    python3 -m pip install -q pytest
  fi
}

prism_build() {
  local start=$SECONDS
  cmake -S "$PRISM_ROOT" -B "$PRISM_BUILD_DIR" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DPRISM_ENABLE_TESTS=ON >/dev/null
  ninja -C "$PRISM_BUILD_DIR" -j "$PRISM_JOBS" "$@"
  echo "prism: build finished in $((SECONDS - start)) s"
}

# True when a CUDA GPU and its driver are usable here.
prism_have_gpu() {
  command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1 &&
    ldconfig -p 2>/dev/null | grep -q libcuda.so.1
}
