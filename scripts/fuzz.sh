#!/usr/bin/env bash
# Fuzzes one target for longer than the test command does (docs/fuzzing.md):
#   scripts/fuzz.sh TARGET SECONDS [libFuzzer options...]
# Builds the target in the sanitizer build if needed (build-asan, the one
# scripts/test.sh uses), seeds a scratch corpus, out/fuzz/TARGET, from
# fuzz/corpus/TARGET (it keeps what earlier runs found), runs the target on
# one core for SECONDS seconds, and writes every input that crashes, hangs
# for more than 10 s or leaks into fuzz/crashes/.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(config scenario sweep topology lspci_import invalidation translator)
usage() {
  echo "usage: scripts/fuzz.sh TARGET SECONDS [libFuzzer options...]" >&2
  echo "targets: ${targets[*]}" >&2
  exit 2
}
(($# >= 2)) || usage
target=${1#fuzz_}
seconds=$2
shift 2
if [[ " ${targets[*]} " != *" $target "* ]]; then
  echo "error: unknown target \"$target\"; the targets are: ${targets[*]}" >&2
  exit 2
fi
if [[ ! $seconds =~ ^[1-9][0-9]*$ ]]; then
  echo "error: SECONDS must be a positive integer (got \"$seconds\")" >&2
  exit 2
fi
scripts/deps.sh
scripts/sanitizer_build.sh --target "fuzz_$target"
scratch=out/fuzz/$target
mkdir -p "$scratch" fuzz/crashes
cp -n fuzz/corpus/"$target"/* "$scratch"/
status=0
ASAN_OPTIONS=detect_stack_use_after_return=0 UBSAN_OPTIONS=print_stacktrace=1 \
  build-asan/fuzz/fuzz_"$target" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
  -artifact_prefix=fuzz/crashes/"$target"- "$@" "$scratch" || status=$?
if ((status != 0)); then
  cat >&2 <<MSG

scripts/fuzz.sh: fuzz_$target found a problem; the input is in fuzz/crashes/ (named above).
  reproduce:  build-asan/fuzz/fuzz_$target fuzz/crashes/<file>
  then fix it, add a test to tests/ for the fix, and keep the input as a regression:
              cp fuzz/crashes/<file> fuzz/corpus/$target/
MSG
fi
exit "$status"
