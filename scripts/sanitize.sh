#!/usr/bin/env bash
# The sanitizer pass of CI (issue 14): one clang build of everything (the product, the fixture, the
# unit tests and the libFuzzer targets) with AddressSanitizer and UndefinedBehaviorSanitizer (the
# fuzzing build: -fsanitize=fuzzer-no-link,address,undefined, -fno-sanitize-recover=undefined);
# then the unit and end-to-end tests on that build, and each fuzz target for a bounded time
# (scripts/fuzz.sh). Any sanitizer report fails the run.
# Usage: scripts/sanitize.sh [SECONDS per fuzz target, default 30] [BUILD_DIR, default build-san]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-30}"
build="${2:-$root/build-san}"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DRUNAGENTS_FUZZ=ON -DRUNAGENTS_BUILD_TESTS=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRUNAGENTS_UNITY=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -gline-tables-only -DNDEBUG" "${launcher[@]}" >/dev/null
cmake --build "$build" -j2
# halt_on_error: the first report fails the test that hit it. Leaks are checked where a process
# ends through exit() (the unit tests; the servers leave through _Exit or a signal).
export ASAN_OPTIONS="${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
ctest --test-dir "$build" --output-on-failure --timeout 900 -j2 -E '^(conformance|conformance_2026|tools_doc|include_rules)$'
"$root/scripts/fuzz.sh" "$seconds" "$build"
