#!/usr/bin/env bash
# Second command of the README (and what .ci/run calls): build and run every
# test, in a Release build and in an ASan+UBSan build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build -j"$jobs" --output-on-failure
# The sanitizer build's CrossBuildDeterminism test compares its stats.json
# with the Release build's, byte for byte.
# -O1 -g1: the sanitizers need line tables, not full debug info, and -O1
# compiles much faster than -O2 while keeping the tests quick.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -g1" \
      -DIOMMU_SIM_SANITIZE=ON -DIOMMU_SIM_BENCH=OFF \
      -DIOMMU_SIM_REFERENCE_BINARY="$PWD/build/apps/iommu-sim" >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_stack_use_after_return=0 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan -j"$jobs" --output-on-failure
