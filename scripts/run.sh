#!/usr/bin/env bash
# First command of the README: install what is missing, build, and run the
# default simulation. Extra arguments go to iommu-sim.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target iommu-sim
build/apps/iommu-sim "$@"
