#!/usr/bin/env bash
# Reproduces docs/validation.md: runs the validation sweep on the Broadwell
# preset, joins it with pcie-bench's published figures, prints the
# comparison table (Markdown) and draws docs/validation.png with gnuplot.
# Usage: scripts/plot_validation.sh [OUT_DIR]   (after scripts/run.sh built build/)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v gnuplot >/dev/null; then
  echo "error: needs gnuplot (as root: apt-get install gnuplot-nox)" >&2
  exit 1
fi
out=${1:-build/validation}
build/apps/iommu-sim sweep configs/validation/pciebench_broadwell_64b_reads.json --out "$out" \
  >/dev/null 2>&1
# window_bytes, published on, simulated on, published off, simulated off.
# The sweep's columns are found by name in its header (docs/sweeps.md); no
# value in it holds a comma, so splitting at commas reads it.
awk -F, '
  FNR == NR { if ($1 !~ /^#/ && $1 != "window") { bytes[$1] = $2; on[$1] = $3; off[$1] = $4 } next }
  FNR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  {
    w = $c["workloads[0].span"]
    sim[$c["host.dma_remapping"], w] = $c["workload.dma.throughput_gbps"]
    order[w] = 1
  }
  END {
    for (w in order) print bytes[w], on[w], sim["on", w], off[w], sim["off", w], w
  }' configs/validation/pciebench_broadwell_64b_reads.published.csv "$out/sweep.csv" |
  sort -n >"$out/compare.dat"
echo "| window | published, IOMMU (Gb/s) | simulated | error | published, no IOMMU | simulated | error |"
echo "|---|---|---|---|---|---|---|"
awk '{ printf "| %s | %.2f | %.2f | %+.1f %% | %.2f | %.2f | %+.1f %% |\n",
       $6, $2, $3, 100 * ($3 - $2) / $2, $4, $5, 100 * ($5 - $4) / $4 }' "$out/compare.dat"
gnuplot <<GNUPLOT
set terminal pngcairo size 800,500 noenhanced
set output "docs/validation.png"
set title "64 B random DMA reads, Gen3 x8 NFP-6000 on a Xeon E5-2630 v4 (pcie-bench) vs iommu-sim"
set logscale x 2
set xlabel "window (mapped with 4 KiB pages)"
set ylabel "throughput (Gb/s)"
set yrange [0:35]
set key bottom left
set grid
plot "$out/compare.dat" using 1:4:xtic(6) with linespoints lw 2 pt 7 title "published, no IOMMU", \
     "$out/compare.dat" using 1:5 with linespoints lw 2 pt 6 dt 2 title "iommu-sim, no IOMMU", \
     "$out/compare.dat" using 1:2 with linespoints lw 2 pt 5 title "published, IOMMU", \
     "$out/compare.dat" using 1:3 with linespoints lw 2 pt 4 dt 2 title "iommu-sim, IOMMU"
GNUPLOT
echo "wrote docs/validation.png"
