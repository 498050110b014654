#!/usr/bin/env bash
# Installs what is missing, builds, and starts runagents-mcp over Streamable HTTP on
# 127.0.0.1:8765 (override with --port N; any other runagents-mcp flag is passed on). It prints
# the line that adds it to Claude Code.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh" >&2
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build" -j2 --target runagents-mcp >&2
exec "$root/build/runagents-mcp" --http "$@"
