#!/usr/bin/env bash
# Runs one libFuzzer target for a short while (the suite's smoke run).
# usage: run_fuzzer.sh BINARY SEED_DIR SECONDS
# New corpus entries go to a scratch folder in the build tree, never into the
# committed seeds; a crash leaves its reproducer there and fails the test.
set -euo pipefail
bin=$(realpath "$1") seeds=$(realpath -m "$2") secs=${3:-20}
work="$(dirname "$bin")/fuzz-work/$(basename "$bin")"
mkdir -p "$work/corpus"
cd "$work"
args=(-max_total_time="$secs" -timeout=5 -rss_limit_mb=1024 -print_final_stats=1)
[[ -d "$seeds" ]] && exec "$bin" "${args[@]}" corpus "$seeds"
exec "$bin" "${args[@]}" corpus
