#!/usr/bin/env bash
# Runs one libFuzzer target for a short while (the suite's smoke run).
# usage: [FUZZ_SEED=N] run_fuzzer.sh BINARY SEED_DIR SECONDS
# The suite's runs use libFuzzer's random seed 1 (FUZZ_SEED, default 1), so a
# CI run replays the same inputs as every other and a red CI means a change
# broke something; `make fuzz` passes FUZZ_SEED=0 (a new random seed each
# run) to explore.
# New corpus entries go to a scratch folder in the build tree, never into the
# committed seeds; a crash leaves its reproducer there and fails the test.
# libFuzzer's progress lines run to thousands; they go to fuzz.log beside the
# corpus, and the test prints only the final figures or, on a failure, the
# report and the input that caused it, so a CI excerpt shows the cause.
set -euo pipefail
bin=$(realpath "$1") seeds=$(realpath -m "$2") secs=${3:-20}
work="$(dirname "$bin")/fuzz-work/$(basename "$bin")"
mkdir -p "$work/corpus"
cd "$work"
rm -f crash-* leak-* timeout-* oom-* slow-unit-*
args=(-max_total_time="$secs" -seed="${FUZZ_SEED:-1}" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1
      -artifact_prefix="$work/")
dirs=(corpus)
[[ -d "$seeds" ]] && dirs+=("$seeds")
rc=0
"$bin" "${args[@]}" "${dirs[@]}" >fuzz.log 2>&1 || rc=$?
if ((rc == 0)); then
  grep -E '^(Done|stat::)' fuzz.log || true
  exit 0
fi
echo "fuzzer $(basename "$bin") failed with exit code $rc; whole log: $work/fuzz.log"
# The report starts at the first sanitizer or libFuzzer error line.
awk '/^==[0-9]+==|ERROR: libFuzzer|^SUMMARY|ALARM|out-of-memory/ {on=1} on' fuzz.log | head -n 80
for a in crash-* leak-* timeout-* oom-*; do
  [[ -e "$a" ]] || continue
  echo "reproducer $work/$a (run: $bin $work/$a), as hex:"
  od -A d -t x1 -v "$a" | head -n 40
done
exit "$rc"
