#!/usr/bin/env bash
# Instructions per DMA on the all-IOTLB-hit path, counted by callgrind
# (valgrind from Debian): random 64-byte reads over a 64 KiB span (16
# pages, all in a 64-entry IOTLB), run once with 120 000 and once with
# 20 000 DMAs; the difference over 100 000 cancels start-up and set-up.
# Usage: scripts/instructions_per_dma.sh [path/to/iommu-sim]
# (default build/apps/iommu-sim). Takes about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
sim=${1:-build/apps/iommu-sim}
command -v valgrind >/dev/null || { echo "error: valgrind is not installed" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
count() {  # mode dmas -> instructions
  printf '{"mode":"%s","workloads":[{"name":"wl0","device":"nic0","count":%d,"pattern":"random","span":65536,"base":1048576,"size":64}]}\n' \
    "$1" "$2" > "$dir/c.json"
  valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" "$sim" --config "$dir/c.json" \
    --quiet 2>&1 | awk '/Collected/ {print $4}'
}
for mode in functional timed; do
  small=$(count "$mode" 20000)
  large=$(count "$mode" 120000)
  echo "$mode all-hit: $(( (large - small) / 100000 )) instructions per DMA"
done
