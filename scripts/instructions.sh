#!/usr/bin/env bash
# Instructions per translation, counted by callgrind (valgrind from Debian),
# for issue 18's three functional cases and the timed all-hit path, each on
# its config in bench/configs/ (the Google Benchmarks BM_Functional_* and
# BM_Timed_AllHit run the same streams): every config is run once with
# `large` and once with `small` DMAs, and the difference in instructions over
# the difference in DMAs cancels start-up, set-up and the statistics' output.
# Usage: scripts/instructions.sh [path/to/iommu-sim] (default
# build/apps/iommu-sim). Takes about two minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
sim=${1:-build/apps/iommu-sim}
command -v valgrind >/dev/null || { echo "error: valgrind is not installed" >&2; exit 1; }
[[ -x "$sim" ]] || { echo "error: $sim: no such program (build it first)" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
count() {  # config dmas -> instructions
  valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" "$sim" --config "$1" \
    --set "workloads[0].count=$2" --quiet 2>&1 | awk '/Collected/ {print $4}'
}
per_translation() {  # label config small large
  local small large
  small=$(count "$2" "$3")
  large=$(count "$2" "$4")
  printf '%-36s %6d instructions per translation\n' "$1:" $(( (large - small) / ($4 - $3) ))
}
per_translation "functional, IOTLB hit" bench/configs/functional_all_hit.json 20000 120000
per_translation "functional, cold 4-level walk" bench/configs/functional_cold_walk.json 5000 25000
per_translation "functional, cold nested 4x4 walk" bench/configs/functional_nested_cold_walk.json 2000 10000
per_translation "timed, IOTLB hit" bench/configs/timed_all_hit.json 20000 120000
