#!/usr/bin/env bash
# Line and branch coverage of the product code (model/, iommu/, pcie/,
# workloads/, apps/) by the whole test suite, per folder, with gcovr.
#   scripts/coverage.sh [--html DIR] [--min PERCENT]
# Builds build-cov (GCC --coverage, -O1: -O0 makes the suite several times
# slower and -O2 folds lines away), runs ctest there, prints the table and
# exits 1 when line coverage is below --min (default 95).
set -euo pipefail
cd "$(dirname "$0")/.."
html="" min=95
while (($#)); do
  case $1 in
    --html) html=${2:?--html needs a directory}; shift 2 ;;
    --min)
      min=${2:?--min needs a percentage}
      [[ $min =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "coverage.sh: --min: not a number: $min" >&2; exit 2; }
      shift 2 ;;
    *) echo "usage: scripts/coverage.sh [--html DIR] [--min PERCENT]" >&2; exit 2 ;;
  esac
done
command -v gcovr >/dev/null || { echo "coverage.sh: gcovr is missing: apt-get install gcovr (scripts/deps.sh does)" >&2; exit 2; }
jobs=$(nproc)
cmake -S . -B build-cov -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -g --coverage" \
      -DCMAKE_EXE_LINKER_FLAGS=--coverage -DIOMMU_SIM_BENCH=OFF >/dev/null
cmake --build build-cov -j"$jobs"
find build-cov -name '*.gcda' -delete
ctest --test-dir build-cov -j"$jobs" --output-on-failure >/dev/null
# Product code only: tests, benchmarks, fuzz targets and generated files
# are not what is measured. Exceptional branches the compiler adds for
# every call that may throw are left out (--exclude-throw-branches).
filters=(--root . --object-directory build-cov --exclude-unreachable-branches
         --exclude-throw-branches -e 'tests/' -e 'bench/' -e 'fuzz/' -e 'build-cov/'
         -j "$jobs")
# CMake's compiler check compiled its probe with --coverage too; it is not
# ours and has no source to annotate.
find build-cov/CMakeFiles -name '*.gcno' -delete
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
gcovr "${filters[@]}" --json-summary "$summary" >/dev/null
[[ -n $html ]] && { mkdir -p "$html"; gcovr "${filters[@]}" --html-details "$html/index.html" >/dev/null; }
python3 - "$summary" "$min" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
folders = {}
for f in data["files"]:
    top = f["filename"].split("/")[0]
    if top == "model" and f["filename"].count("/") > 1:
        top = "/".join(f["filename"].split("/")[:2])
    t = folders.setdefault(top, [0, 0, 0, 0])
    t[0] += f["line_covered"]; t[1] += f["line_total"]
    t[2] += f["branch_covered"]; t[3] += f["branch_total"]
pct = lambda a, b: 100.0 * a / b if b else 100.0
print(f"{'folder':24} {'lines':>16} {'%':>7} {'branches':>16} {'%':>7}")
for name in sorted(folders):
    lc, lt, bc, bt = folders[name]
    print(f"{name:24} {lc:>7}/{lt:<8} {pct(lc, lt):6.1f} {bc:>7}/{bt:<8} {pct(bc, bt):6.1f}")
lc, lt = data["line_covered"], data["line_total"]
bc, bt = data["branch_covered"], data["branch_total"]
print(f"{'all product code':24} {lc:>7}/{lt:<8} {pct(lc, lt):6.1f} {bc:>7}/{bt:<8} {pct(bc, bt):6.1f}")
if pct(lc, lt) < float(sys.argv[2]):
    print(f"coverage.sh: line coverage {pct(lc, lt):.1f} % is below {sys.argv[2]} %", file=sys.stderr)
    sys.exit(1)
PY
