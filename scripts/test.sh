#!/usr/bin/env bash
# Second command of the README (and what .ci/run calls): build and run every
# test, in a Release build and in an ASan+UBSan build (clang), where the
# tests include a short run of each fuzz target (docs/fuzzing.md) and count
# coverage, which must reach 95 % of product lines (scripts/coverage.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build -j"$jobs" --output-on-failure
# The sanitizer build's CrossBuildDeterminism test compares its stats.json
# with the Release build's, byte for byte.
REFERENCE_BINARY="$PWD/build/apps/iommu-sim" scripts/sanitizer_build.sh
ASAN_OPTIONS=detect_stack_use_after_return=0 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan -j"$jobs" --output-on-failure
scripts/coverage.sh --counted
