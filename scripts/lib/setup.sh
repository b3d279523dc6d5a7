#!/usr/bin/env bash
# Shared set-up for scripts/run and scripts/test: installs missing Debian packages (as root or through
# sudo), then configures and builds spikemesh in build/. Idempotent: a second call only rebuilds what changed.
set -euo pipefail

SPIKEMESH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SPIKEMESH_BUILD="${SPIKEMESH_BUILD:-$SPIKEMESH_ROOT/build}"
SPIKEMESH_PYTHON=/usr/bin/python3   # Debian's torch, h5py, numpy live here, not in other interpreters on PATH
export SPIKEMESH_ROOT SPIKEMESH_BUILD SPIKEMESH_PYTHON
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1

# Everything spikemesh needs, from Debian only.
SPIKEMESH_PACKAGES=(
  cmake g++ make pkg-config
  libsystemc-dev libyaml-cpp-dev libhdf5-dev zlib1g-dev libboost-program-options-dev libgtest-dev
  python3 python3-torch python3-h5py python3-numpy python3-matplotlib python3-pytest python3-yaml
  gtkwave xvfb python3-pil   # waveforms headless: tests/python/test_gtkwave.py, scripts/trace_screenshot
  snakemake clang-format
  slurmctld slurmd slurm-client munge   # a one-node Slurm cluster for cluster sweeps: tests/python/test_slurm.py
  dataset-fashion-mnist
  libjemalloc2   # PyTorch training on CPU without page-fault churn: scripts/lib/allocator.sh
)

spikemesh_install_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "spikemesh: installing missing packages: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "spikemesh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

spikemesh_build() {
  local jobs
  jobs="$(nproc 2>/dev/null || echo 2)"
  if [ ! -f "$SPIKEMESH_BUILD/CMakeCache.txt" ]; then
    cmake -S "$SPIKEMESH_ROOT" -B "$SPIKEMESH_BUILD" -DCMAKE_BUILD_TYPE=Release "$@"
  fi
  cmake --build "$SPIKEMESH_BUILD" -j "$jobs"
}

spikemesh_setup() {
  spikemesh_install_packages "${SPIKEMESH_PACKAGES[@]}"
  spikemesh_build "$@"
}
