#!/usr/bin/env bash
# docs/TOOLS.md is generated from the tool registry. `scripts/tools_doc.sh BUILD_DIR` fails when it
# is out of date; `scripts/tools_doc.sh BUILD_DIR --update` rewrites it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$1/runagents-mcp"
generated="$(RUNAGENTS_DATA_DIR="$(mktemp -d)" "$bin" tools --format markdown)"
if [[ "${2:-}" == "--update" ]]; then
  printf '%s\n' "$generated" >"$root/docs/TOOLS.md"
  echo "docs/TOOLS.md updated"
  exit 0
fi
if ! diff -u "$root/docs/TOOLS.md" <(printf '%s\n' "$generated"); then
  echo "docs/TOOLS.md is out of date: run scripts/tools_doc.sh $1 --update and commit it" >&2
  exit 1
fi
echo "docs/TOOLS.md matches the registry"
