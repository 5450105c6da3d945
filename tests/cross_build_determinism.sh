#!/usr/bin/env bash
# Determinism across builds: the same config and seed give a byte-identical
# stats.json from two different builds of iommu-sim (scripts/test.sh runs it
# with the sanitizer build against the Release build), in timed and
# functional mode. Compiler flags, sanitizers and optimisation must not
# change a simulated result: every draw is seeded (model/random.h) and no
# result depends on addresses, hashing order or floating-point contraction.
# Usage: cross_build_determinism.sh BINARY REFERENCE_BINARY SOURCE_DIR
set -euo pipefail
binary=$1 reference=$2 source=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Small enough for the sanitizer build; each exercises a different part:
# random IOTLB hits and walks, two tenants nested, the NVMe driver with
# host CPUs and lazy unmap, a switch topology with ACS.
runs=(
  "timed:--seed 7"
  "functional:--seed 7 --mode functional"
  "nested:--config $source/configs/two_tenants_nested.json --seed 3"
  "nested_functional:--config $source/configs/two_tenants_nested.json --seed 3 --mode functional"
  "nvme:--config $source/configs/devices/nvme_4k_random_reads.json --seed 11"
  "pages_2mib:--config $source/configs/pages_2mib_random_64mib.json --seed 5"
)
failed=0
for run in "${runs[@]}"; do
  name=${run%%:*} args=${run#*:}
  # shellcheck disable=SC2086 # args is a list of options
  "$binary" $args --quiet --out "$work/a_$name" >/dev/null 2>&1
  # shellcheck disable=SC2086
  "$reference" $args --quiet --out "$work/b_$name" >/dev/null 2>&1
  if cmp -s "$work/a_$name/stats.json" "$work/b_$name/stats.json"; then
    echo "$name: identical ($(wc -c <"$work/a_$name/stats.json") bytes)"
  else
    echo "$name: stats.json differs between $binary and $reference:"
    diff <(tr ',' '\n' <"$work/a_$name/stats.json") <(tr ',' '\n' <"$work/b_$name/stats.json") | head -20 || true
    failed=1
  fi
done
exit $failed
