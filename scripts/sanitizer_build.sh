#!/usr/bin/env bash
# Configures and builds the sanitizer build, build-asan: clang with ASan,
# UBSan and libFuzzer's coverage instrumentation, which serves both the
# GoogleTest suite (scripts/test.sh) and the fuzz targets (scripts/fuzz.sh,
# docs/fuzzing.md), with gcov counters for scripts/coverage.sh. Arguments go to `cmake --build` (e.g. --target fuzz_sweep).
# -O1 -g1: the sanitizers need line tables, not full debug info, and -O1
# compiles much faster than -O2 while keeping the tests quick. Naming the
# compiler (rather than CXX=) makes CMake start afresh in a build-asan that
# an older scripts/test.sh configured with g++. REFERENCE_BINARY (another
# build's iommu-sim) adds the CrossBuildDeterminism test.
set -euo pipefail
cd "$(dirname "$0")/.."
# A build-asan an older scripts/test.sh configured with g++ keeps g++ in its
# cache; CMake would stop at IOMMU_SIM_FUZZ's check before switching.
if [[ -f build-asan/CMakeCache.txt ]] &&
   ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang++' build-asan/CMakeCache.txt; then
  rm -rf build-asan/CMakeCache.txt build-asan/CMakeFiles
fi
cmake -S . -B build-asan -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=None \
      -DCMAKE_CXX_FLAGS="-O1 -g1" -DIOMMU_SIM_SANITIZE=ON -DIOMMU_SIM_FUZZ=ON \
      -DIOMMU_SIM_COVERAGE=ON -DIOMMU_SIM_BENCH=OFF \
      -DIOMMU_SIM_REFERENCE_BINARY="${REFERENCE_BINARY:-}" >/dev/null
cmake --build build-asan -j"$(nproc)" "$@"
# Counts start from zero with every build: a count file written before an
# object was rebuilt no longer matches it, and the runtime would complain
# of it on every test's stderr.
find build-asan -name '*.gcda' -delete
