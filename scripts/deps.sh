#!/usr/bin/env bash
# Installs the Debian packages iommu-sim needs, if any is missing (as root).
# libboost-container-dev brings libboost1.74-dev, Boost's headers, which
# hold the header-only Boost.Histogram (stats.json's bins) as well.
# libutil (forkpty, for the tests' pseudo-terminal) is part of libc6-dev.
# clang builds the sanitizer build (scripts/sanitizer_build.sh); the
# libFuzzer runtime is in libclang-rt-14-dev, which clang only recommends,
# and llvm-cov (scripts/coverage.sh reads clang's gcov data with it) in llvm.
# parallel, slurm-wlm and munge run sweep plans (docs/sweeps.md); the tests
# run one with GNU parallel and one on a single-node Slurm cluster that
# scripts/slurm_local.sh starts and stops.
set -euo pipefail
packages=(cmake g++ make pkg-config libsystemc-dev libboost-container-dev nlohmann-json3-dev
          libcli11-dev libgtest-dev libbenchmark-dev gnuplot-nox gcovr clang libclang-rt-14-dev
          llvm parallel slurm-wlm munge)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "error: run as root (apt-get install needs it), or install: ${missing[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
