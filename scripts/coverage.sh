#!/usr/bin/env bash
# Line and branch coverage of the product code (model/, iommu/, pcie/,
# workloads/, apps/) by the whole test suite, per folder, with gcovr.
#   scripts/coverage.sh [--counted | --gcc] [--html DIR] [--min PERCENT]
# The sanitizer build (build-asan, scripts/sanitizer_build.sh) carries gcov
# counters (IOMMU_SIM_COVERAGE), so the suite the test command runs there is
# also what is measured: no third build. By default this script builds it
# (which zeroes the counts), runs ctest there and reports; --counted only
# reports what the last run left (scripts/test.sh runs the suite itself).
# Its branch figure counts the checks UBSan compiles into every function
# (clang inserts them before the counters), most of which never fire, so
# it is far below the suite's real branch coverage; --gcc builds build-cov
# instead, with GCC and no sanitizers (-O1; several minutes more), whose
# branch figure is the one to read.
# Exits 1 when line coverage is below --min (default 95).
set -euo pipefail
cd "$(dirname "$0")/.."
html="" min=95 mode=run
while (($#)); do
  case $1 in
    --counted) mode=counted; shift ;;
    --gcc) mode=gcc; shift ;;
    --html) html=${2:?--html needs a directory}; shift 2 ;;
    --min)
      min=${2:?--min needs a percentage}
      [[ $min =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "coverage.sh: --min: not a number: $min" >&2; exit 2; }
      shift 2 ;;
    *) echo "usage: scripts/coverage.sh [--counted | --gcc] [--html DIR] [--min PERCENT]" >&2; exit 2 ;;
  esac
done
command -v gcovr >/dev/null || { echo "coverage.sh: gcovr is missing: apt-get install gcovr (scripts/deps.sh does)" >&2; exit 2; }
jobs=$(nproc)
asan=(ASAN_OPTIONS=detect_stack_use_after_return=0 UBSAN_OPTIONS=print_stacktrace=1)
case $mode in
  gcc)
    dir=build-cov gcov=gcov
    cmake -S . -B build-cov -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -g" \
          -DIOMMU_SIM_COVERAGE=ON -DIOMMU_SIM_BENCH=OFF >/dev/null
    cmake --build build-cov -j"$jobs"
    find build-cov -name '*.gcda' -delete
    ctest --test-dir build-cov -j"$jobs" --output-on-failure >/dev/null ;;
  *)
    # clang's gcov data is read by the llvm-cov of the same release.
    dir=build-asan gcov="$(clang++ -print-prog-name=llvm-cov) gcov"
    command -v "${gcov% gcov}" >/dev/null ||
      { echo "coverage.sh: llvm-cov is missing: apt-get install llvm (scripts/deps.sh does)" >&2; exit 2; }
    if [[ $mode == run ]]; then
      scripts/sanitizer_build.sh  # also zeroes the counts
      env "${asan[@]}" ctest --test-dir build-asan -j"$jobs" --output-on-failure >/dev/null
    elif ! find build-asan -name '*.gcda' -print -quit 2>/dev/null | grep -q .; then
      echo "coverage.sh: --counted: build-asan holds no counts; run its tests first (scripts/test.sh)" >&2
      exit 2
    fi ;;
esac
# Product code only: tests, benchmarks, fuzz targets and generated files
# are not what is measured (the product code the fuzz runs in the suite
# execute is). Exceptional branches the compiler adds for every call that
# may throw are left out (--exclude-throw-branches).
filters=(--root . --object-directory "$dir" --gcov-executable "$gcov"
         --exclude-unreachable-branches --exclude-throw-branches
         -e 'tests/' -e 'bench/' -e 'fuzz/' -e "$dir/" -j "$jobs")
# CMake's compiler check compiled its probe with --coverage too; it is not
# ours and has no source to annotate.
find "$dir"/CMakeFiles -name '*.gcno' -delete
# The tests compile in unity batches generated in $dir/tests, whose count
# files name them relative to it (CMakeFiles/iommu_sim_tests.dir/Unity/...);
# gcov runs in $dir, so the same path must lead there too, or gcovr drops
# the batches' counts and with them the product header lines the tests
# instantiate (96.5 % instead of 97.3 % of product lines).
ln -sfn ../tests/CMakeFiles/iommu_sim_tests.dir "$dir"/CMakeFiles/iommu_sim_tests.dir
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
gcovr "${filters[@]}" --json-summary "$summary" >/dev/null
[[ -n $html ]] && { mkdir -p "$html"; gcovr "${filters[@]}" --html-details "$html/index.html" >/dev/null; }
python3 - "$summary" "$min" "$mode" <<'PY'
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
if sys.argv[3] != "gcc":
    print("branches here include UBSan's checks; scripts/coverage.sh --gcc measures the suite's own")
if pct(lc, lt) < float(sys.argv[2]):
    print(f"coverage.sh: line coverage {pct(lc, lt):.1f} % is below {sys.argv[2]} %", file=sys.stderr)
    sys.exit(1)
PY
