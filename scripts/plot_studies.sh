#!/usr/bin/env bash
# Reproduces docs/studies.md: runs each shipped study sweep of
# configs/studies/, prints its table (Markdown) and draws its figure with
# gnuplot into docs/.
# Usage: scripts/plot_studies.sh [OUT_DIR]   (after scripts/run.sh built build/)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v gnuplot >/dev/null; then
  echo "error: needs gnuplot (as root: apt-get install gnuplot-nox)" >&2
  exit 1
fi
out=${1:-build/studies}

# NVMe 4 KiB random reads: DMA API mode x queues (one per CPU).
build/apps/iommu-sim sweep configs/studies/nvme_dma_api_queues.json --out "$out/nvme" \
  >/dev/null 2>&1
# Columns are found by name in the CSV's header (docs/sweeps.md); no value
# in these sweeps holds a comma, so splitting at commas reads them.
columns='NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }'
for mode in identity strict lazy; do
  awk -F, -v m="$mode" "$columns"'
    $c["host.dma_api"] == m {
      ios = $c["devices.ssd.ios"]
      print $c["host.cpus"], $c["devices.ssd.iops"] / 1e6, $c["host.cpu.all.busy_ns"] / ios
    }' "$out/nvme/sweep.csv" | sort -n >"$out/nvme/$mode.dat"
done
echo "| CPUs = queues | mode | M IOPS | CPU ns per I/O | of it lock wait | latency p50 (us) |"
echo "|---|---|---|---|---|---|"
awk -F, "$columns"'{
  ios = $c["devices.ssd.ios"]
  printf "| %s | %s | %.3f | %.0f | %.0f | %.1f |\n", $c["host.cpus"], $c["host.dma_api"],
         $c["devices.ssd.iops"] / 1e6, $c["host.cpu.all.busy_ns"] / ios,
         $c["host.cpu.all.lock_wait_ns"] / ios, $c["devices.ssd.latency.p50"] / 1000
}' "$out/nvme/sweep.csv"
gnuplot <<GNUPLOT
set terminal pngcairo size 1000,420 noenhanced
set output "docs/study_nvme_dma_api.png"
set multiplot layout 1,2 title "NVMe 4 KiB random reads, queue depth 32, one queue per CPU (iommu-sim)"
set logscale x 2
set xlabel "CPUs = queues"
set grid
set key bottom right
set ylabel "million IOPS"
set yrange [0:1.8]
plot for [m in "identity lazy strict"] "$out/nvme/".m.".dat" using 1:2 with linespoints lw 2 title m
set ylabel "host CPU time per I/O (ns)"
set yrange [0:*]
set key top left
plot for [m in "identity lazy strict"] "$out/nvme/".m.".dat" using 1:3 with linespoints lw 2 title m
unset multiplot
GNUPLOT
echo "wrote docs/study_nvme_dma_api.png"

# NIC receive at 100 Gb/s offered: DMA API mode x queues x packet size.
build/apps/iommu-sim sweep configs/studies/nic_dma_api_queues.json --out "$out/nic" \
  >/dev/null 2>&1
for size in 64 1500; do
  for mode in identity strict lazy; do
    awk -F, -v m="$mode" -v b="$size" "$columns"'
      $c["host.dma_api"] == m && $c["devices[0].packet_size"] == b {
        rx = $c["devices.eth.rx_packets"]
        print $c["host.cpus"], $c["devices.eth.rx_pps"] / 1e6, $c["host.cpu.all.busy_ns"] / rx
      }' "$out/nic/sweep.csv" | sort -n >"$out/nic/$mode-$size.dat"
  done
done
echo
echo "| packet | CPUs = queues | mode | M packets/s | Gb/s | dropped | CPU ns per packet | of it lock wait |"
echo "|---|---|---|---|---|---|---|---|"
awk -F, "$columns"'{
  rx = $c["devices.eth.rx_packets"]
  printf "| %s B | %s | %s | %.2f | %.1f | %.0f %% | %.0f | %.0f |\n", $c["devices[0].packet_size"],
         $c["host.cpus"], $c["host.dma_api"], $c["devices.eth.rx_pps"] / 1e6,
         $c["devices.eth.rx_gbps"], 100 * $c["devices.eth.rx_dropped"] / $c["devices.eth.rx_arrived"],
         $c["host.cpu.all.busy_ns"] / rx, $c["host.cpu.all.lock_wait_ns"] / rx
}' "$out/nic/sweep.csv"
gnuplot <<GNUPLOT
set terminal pngcairo size 1000,420 noenhanced
set output "docs/study_nic_dma_api.png"
set multiplot layout 1,2 title "NIC receive, 100 Gb/s offered, one queue per CPU (iommu-sim)"
set logscale x 2
set logscale y 2
set xlabel "CPUs = queues"
set grid
set key top left
set ylabel "million packets per second handed up"
plot for [m in "identity lazy strict"] "$out/nic/".m."-64.dat" using 1:2 with linespoints lw 2 title m." 64 B", \
     for [m in "identity lazy strict"] "$out/nic/".m."-1500.dat" using 1:2 with linespoints lw 2 dt 2 title m." 1500 B"
unset logscale y
set ylabel "host CPU time per packet (ns)"
set yrange [0:*]
plot for [m in "identity lazy strict"] "$out/nic/".m."-64.dat" using 1:3 with linespoints lw 2 title m." 64 B", \
     for [m in "identity lazy strict"] "$out/nic/".m."-1500.dat" using 1:3 with linespoints lw 2 dt 2 title m." 1500 B"
unset multiplot
GNUPLOT
echo "wrote docs/study_nic_dma_api.png"

# Noisy neighbour: tenant A's IOTLB hits against tenant B's working set.
build/apps/iommu-sim sweep configs/studies/noisy_neighbour.json --out "$out/nn" >/dev/null 2>&1
for n in 1 8; do
  awk -F, -v n="$n" "$columns"'
    $c["workloads[1].count"] > 0 && $c["workloads[1].outstanding"] == n {
      print $c["workloads[1].span"], $c["workload.victim.latency.mean"], $c["workload.victim.latency.p99"]
    }' "$out/nn/sweep.csv" >"$out/nn/neighbour-$n.dat"
done
awk -F, "$columns"'$c["workloads[1].count"] == 0 { print $c["workload.victim.latency.mean"]; exit }' \
  "$out/nn/sweep.csv" >"$out/nn/alone.dat"
echo
echo "| neighbour's DMAs in flight | neighbour's working set | victim latency mean (ns) | victim p99 (ns) | victim M DMAs/s | IOTLB hit rate (both) |"
echo "|---|---|---|---|---|---|"
awk -F, "$columns"'{
  n = $c["workloads[1].count"] == 0 ? "none (alone)" : $c["workloads[1].outstanding"]
  if (n == "none (alone)" && seen++) next
  printf "| %s | %s | %.1f | %.1f | %.2f | %.3f |\n", n,
         n == "none (alone)" ? "-" : $c["workloads[1].span"], $c["workload.victim.latency.mean"],
         $c["workload.victim.latency.p99"], $c["workload.victim.dma_rate_mps"], $c["iommu.iotlb.hit_rate"]
}' "$out/nn/sweep.csv"
alone=$(cat "$out/nn/alone.dat")
gnuplot <<GNUPLOT
set terminal pngcairo size 700,420 noenhanced
set output "docs/study_noisy_neighbour.png"
set title "Tenant A (32 pages) next to tenant B: nested tables, one 64-entry IOTLB"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel "tenant A's mean DMA latency (ns)"
set xlabel "tenant B's working set"
set yrange [0:500]
set grid ytics
set key top left
plot "$out/nn/neighbour-1.dat" using 2:xtic(1) title "B: 1 DMA in flight", \
     "$out/nn/neighbour-8.dat" using 2 title "B: 8 in flight", \
     $alone with lines lw 2 dt 2 title "A alone"
GNUPLOT
echo "wrote docs/study_noisy_neighbour.png"
