#!/usr/bin/env bash
# Draws a `--timeline` file (Chrome Trace Event JSON, docs/tracing.md) as a
# picture without a browser: one row per thread (track lane), each slice a
# box coloured by category, DMA-to-walk arrows, and below them the IOTLB
# occupancy and invalidation-queue depth counters. It is a rendering of the
# file made by this script, not a screenshot of a trace viewer.
# Usage: scripts/plot_timeline.sh TIMELINE.json OUT.png [TITLE]
# Needs jq and gnuplot (as root: apt-get install jq gnuplot-nox).
set -euo pipefail
if (($# < 2)); then
  echo "usage: $0 TIMELINE.json OUT.png [TITLE]" >&2
  exit 2
fi
in=$1
out=$2
title=${3:-$(basename "$in")}
for tool in jq gnuplot; do
  if ! command -v "$tool" >/dev/null; then
    echo "error: needs $tool (as root: apt-get install jq gnuplot-nox)" >&2
    exit 1
  fi
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Rows: threads in process order (PCIe, IOMMU, host, oracle), then in the
# order of their thread_sort_index, as a viewer lists them; row 0 at the
# top. rows.json maps "pid/tid" to its row and label.
jq '[.traceEvents[] | select(.ph == "M")] as $m
    | ($m | map(select(.name == "process_name")) | map({key: (.pid | tostring), value: .args.name})
          | from_entries) as $process
    | ($m | map(select(.name == "thread_sort_index")) | map({key: "\(.pid)/\(.tid)",
          value: .args.sort_index}) | from_entries) as $order
    | [$m[] | select(.name == "thread_name")]
    | sort_by(.pid, $order["\(.pid)/\(.tid)"])
    | to_entries
    | map({key: "\(.value.pid)/\(.value.tid)", value: {row: .key,
           label: "\($process[.value.pid | tostring]): \(.value.args.name)"}})
    | from_entries' "$in" >"$work/rows.json"
rows=$(jq 'length' "$work/rows.json")
if ((rows == 0)); then
  echo "error: $in has no threads (an empty timeline?)" >&2
  exit 1
fi

# Slices: start and end (us), row, colour by category, and depth: a slice
# inside another on its row (a call a call makes) is drawn thinner.
jq -r --slurpfile rows "$work/rows.json" '
  {fabric: 1, walk: 2, qi: 3, host: 4, iotlb: 5, fault: 6, oracle: 7} as $colour
  | [.traceEvents[] | select(.ph == "X")
     | {b: .ts, e: (.ts + .dur), row: $rows[0]["\(.pid)/\(.tid)"].row, c: ($colour[.cat] // 8)}]
  | group_by(.row)[]
  | sort_by(.b, -.e)
  | reduce .[] as $s ({stack: [], out: []};
      .stack |= map(select(. > $s.b))
      | .out += [[$s.b, $s.e, $s.row, $s.c, (.stack | length)]]
      | .stack += [$s.e])
  | .out[] | @tsv' "$in" >"$work/slices.dat"
# Instants (faults, oracle findings): a point on their row.
jq -r --slurpfile rows "$work/rows.json" '
  .traceEvents[] | select(.ph == "i") | [.ts, $rows[0]["\(.pid)/\(.tid)"].row] | @tsv' \
  "$in" >"$work/instants.dat"
# Arrows: each flow's start and finish, paired by id.
jq -r --slurpfile rows "$work/rows.json" '
  [.traceEvents[] | select(.ph == "s" or .ph == "f")] | group_by(.id)[]
  | select(length == 2) | (map(select(.ph == "s"))[0]) as $s | (map(select(.ph == "f"))[0]) as $f
  | [$s.ts, $rows[0]["\($s.pid)/\($s.tid)"].row, $f.ts - $s.ts,
     $rows[0]["\($f.pid)/\($f.tid)"].row - $rows[0]["\($s.pid)/\($s.tid)"].row] | @tsv' \
  "$in" >"$work/arrows.dat"
# Counters, one file each.
for counter in "IOTLB occupancy" "invalidation queue"; do
  jq -r --arg n "$counter" '.traceEvents[] | select(.ph == "C" and .name == $n)
    | [.ts, (.args | to_entries[0].value)] | @tsv' "$in" | sort -g >"$work/$counter.dat"
done
xmin=$(jq '[.traceEvents[] | select(.ts != null) | .ts] | min' "$in")
xmax=$(jq '[.traceEvents[] | select(.ph == "X") | .ts + .dur] + [.traceEvents[]
           | select(.ts != null) | .ts] | max' "$in")
for counter in "IOTLB occupancy" "invalidation queue"; do
  # Steps to the end of the picture at the last value.
  if [[ -s "$work/$counter.dat" ]]; then
    printf '%s\t%s\n' "$xmax" "$(tail -n 1 "$work/$counter.dat" | cut -f 2)" >>"$work/$counter.dat"
  fi
done
ytics=$(jq -r 'to_entries | map("\"\(.value.label)\" \(.value.row)") | join(", ")' \
  "$work/rows.json")
for f in slices instants arrows "IOTLB occupancy" "invalidation queue"; do
  # gnuplot refuses to plot an empty file: a point far outside the range.
  [[ -s "$work/$f.dat" ]] || echo "-1e9 -1e9 0 0" >"$work/$f.dat"
done
height=$((300 + 26 * rows))

gnuplot <<GNUPLOT
set terminal pngcairo size 1400,$height noenhanced font ",10"
set output "$out"
set multiplot title "$title\nrendered from the JSON by scripts/plot_timeline.sh (not a browser screenshot)"
set lmargin 30
set rmargin 4
set xrange [$xmin:$xmax]
set grid xtics
# The tracks.
set size 1, 1 - 200.0 / $height
set origin 0, 200.0 / $height
set tmargin 6
set yrange [$rows - 0.5:-0.5]
set ytics ($ytics)
set format x ""
unset xlabel
set style fill solid 0.75 border lc rgb "#303030"
set key at screen 0.5, screen 1 - 48.0 / $height center top horizontal
set linetype 1 lc rgb "#4477aa"
set linetype 2 lc rgb "#ee6677"
set linetype 3 lc rgb "#228833"
set linetype 4 lc rgb "#ccbb44"
set linetype 5 lc rgb "#66ccee"
set linetype 6 lc rgb "#aa3377"
set linetype 7 lc rgb "#000000"
set linetype 8 lc rgb "#bbbbbb"
plot "$work/slices.dat" using ((\$1 + \$2) / 2):3:((\$2 - \$1) / 2):(0.34 * 0.6 ** \$5):4 \
       with boxxyerror lc variable notitle, \
     for [i = 1:4] 1 / 0 with boxes lt i title word("fabric walk qi host", i), \
     "$work/arrows.dat" using 1:2:3:4 with vectors head filled size screen 0.006,20 \
       lc rgb "#aa3377" lw 1.2 title "DMA -> walk", \
     "$work/instants.dat" using 1:2 with points pt 7 ps 1.2 lc rgb "#000000" \
       title "fault / oracle finding"
# The counters.
set size 1, 200.0 / $height
set origin 0, 0
set tmargin 1
set autoscale y
set yrange [0:*]
set ytics auto
set format x "%g"
set xlabel "simulated time (us)"
set key inside top left vertical
plot "$work/IOTLB occupancy.dat" using 1:2 with steps lw 2 lc rgb "#66ccee" \
       title "IOTLB occupancy (entries)", \
     "$work/invalidation queue.dat" using 1:2 with steps lw 2 lc rgb "#228833" \
       title "invalidation queue (descriptors)"
unset multiplot
GNUPLOT
echo "wrote $out"
