#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit (doctest), end-to-end (the official
# MCP TypeScript SDK client driving the built binaries over stdio and HTTP), and the official MCP
# conformance suite; then, on a second build with clang, ASan and UBSan (scripts/sanitize.sh), the
# unit and end-to-end tests again and the libFuzzer targets (tests/fuzz/), 30 s each; then, on a
# third build with ThreadSanitizer (scripts/tsan.sh), the core's unit tests.
# Usage: scripts/test.sh [BUILD_DIR] (default: build; the sanitizer builds go to BUILD_DIR-san and
# BUILD_DIR-tsan).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
"$root/scripts/setup.sh"
# Unity batches and line tables only (-g1): a clean build in about half the CPU time
# (docs/TESTING.md, "CI time"). Configure without them for a build to debug in.
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRUNAGENTS_UNITY=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" >/dev/null
cmake --build "$build" -j2
ctest --test-dir "$build" --output-on-failure --timeout 600 -j2
"$root/scripts/sanitize.sh" 30 "${build}-san"
"$root/scripts/tsan.sh" "${build}-tsan"
