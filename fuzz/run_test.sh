#!/bin/sh
# CTest's fuzz.<target> (fuzz/CMakeLists.txt, docs/fuzzing.md):
#   run_test.sh FUZZER CORPUS SCRATCH RUNS
# runs FUZZER over CORPUS, which it only reads (new inputs go to SCRATCH,
# emptied first, where a crashing input is written too), then RUNS inputs
# of its own from seed 1. The same inputs every time: -reload=0, since
# libFuzzer otherwise rereads its corpus directories every second, at a
# point of the run that depends on speed; and no address randomisation
# (setarch -R), since the comparisons libFuzzer records to guide its
# mutations include pointers. Where the kernel refuses setarch, the inputs
# after the first few differ from run to run.
set -eu
fuzzer=$1 corpus=$2 scratch=$3 runs=$4
rm -rf "$scratch"
mkdir -p "$scratch"
set -- "$fuzzer" -runs="$runs" -seed=1 -reload=0 -print_final_stats=1 \
  -artifact_prefix="$scratch/" "$scratch" "$corpus"
if setarch -R true 2>/dev/null; then exec setarch -R "$@"; fi
exec "$@"
