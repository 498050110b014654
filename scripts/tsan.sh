#!/usr/bin/env bash
# The ThreadSanitizer pass (issue 14): a clang build of the MCP core (server/ and platform/common/)
# with -fsanitize=thread, and the core's unit tests on it (tests/CMakeLists.txt `core_tests`:
# transports, the worker pool, cancellation, sessions, tasks). Any data race fails the run.
# Usage: scripts/tsan.sh [BUILD_DIR, default build-tsan]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build-tsan}"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DRUNAGENTS_TSAN=ON -DRUNAGENTS_BUILD_TESTS=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRUNAGENTS_UNITY=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -gline-tables-only -DNDEBUG" "${launcher[@]}" >/dev/null
cmake --build "$build" -j2 --target core_tests
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$root/scripts/tsan.supp}"
"$build/tests/core_tests"
