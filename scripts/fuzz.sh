#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang, ASan and UBSan, and runs each one for a
# bounded time from its committed seed corpus. New inputs go to a scratch corpus, never into the
# repository; a crash, leak or timeout fails the run and leaves the input under $out/artifacts,
# to be turned into a regression test (docs/TESTING.md).
# Usage: scripts/fuzz.sh [SECONDS per target, default 30] [BUILD_DIR, default build-fuzz]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-30}"
build="${2:-$root/build-fuzz}"
out="$build/fuzz-runs"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DRUNAGENTS_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
cmake --build "$build" -j2 --target fuzz_targets
mkdir -p "$out/artifacts"
failed=0
for corpus in "$root"/tests/fuzz/corpus/*/; do
  target="$(basename "$corpus")"
  scratch="$out/corpus/$target"
  mkdir -p "$scratch"
  echo "fuzz: $target for ${seconds}s"
  if ! "$build/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
      -artifact_prefix="$out/artifacts/$target-" -print_final_stats=1 "$scratch" "$corpus" \
      >"$out/$target.log" 2>&1; then
    echo "fuzz: $target FAILED; the input is in $out/artifacts, the log in $out/$target.log" >&2
    grep -E "ERROR|SUMMARY|what\(\)" "$out/$target.log" | head -5 >&2 || true
    failed=1
  else
    grep -E "stat::number_of_executed_units" "$out/$target.log" || true
  fi
done
exit "$failed"
