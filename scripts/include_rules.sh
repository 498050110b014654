#!/usr/bin/env bash
# The include rules of the layers (docs/ARCHITECTURE.md, "Layers"). Every header is found from
# the repository root ("server/x.hpp"), so the compiler cannot refuse an include against the
# direction; this script does, on every build (CMake target include_rules) and as a test.
#
#   platform/common/  includes only platform/common/ (the base of the tree)
#   server/           includes only server/ and platform/common/
#   platform/         includes nothing from tools/ or app/, and from server/ only the TaskStore
#                     contract, in the SQLite task store that implements it
#   tools/            includes tools/, the platform contracts, platform/wire/, platform/common/,
#                     platform/project/ (deploy_agent's source_dir),
#                     the server's registry headers and the TaskStore contract (run_query's
#                     durable handles)
#   platform/local/   its internals are included only from inside platform/local/; the rest of
#                     the tree sees the public headers listed in LOCAL_PUBLIC
#   tests/            nothing outside tests/ includes it
#
# An exception is one line in EXCEPTIONS, "file include", with the issue that removes it.
# Usage: scripts/include_rules.sh [source dir]. Prints each violation; exits 1 if there is one.
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"

PLATFORM_CONTRACTS=" platform/platform.hpp platform/devboxes.hpp platform/queries.hpp \
platform/error.hpp platform/names.hpp platform/cancel.hpp platform/objects.hpp "
SERVER_FOR_TOOLS=" server/tool_registry.hpp server/resource_registry.hpp \
server/prompt_registry.hpp server/json_rpc.hpp server/request_context.hpp \
server/cancellation.hpp server/base64.hpp server/schema_validator.hpp server/pagination.hpp \
server/logging.hpp server/tasks/remote_task.hpp server/tasks/task_store.hpp "
LOCAL_PUBLIC=" platform/local/local_platform.hpp platform/local/devboxes/devbox_service.hpp \
platform/local/store/sqlite_task_store.hpp platform/local/services/policy_writer.hpp \
platform/local/queries/query_runtime.hpp platform/local/secrets/secret_store.hpp \
platform/local/objects/local_object_service.hpp "
EXCEPTIONS="
platform/local/store/sqlite_task_store.hpp server/tasks/task_store.hpp
tools/query_artifacts.cpp platform/http/http_client.hpp
app/config_commands.cpp platform/local/agents/python_check.hpp
app/config_commands.cpp platform/local/sandbox/sandbox.hpp
app/config_commands.cpp platform/local/sandbox/subprocess.hpp
"
# Why each exception is there, and what removes it (issue 10, part 2):
#   sqlite_task_store -> server/tasks/task_store.hpp: the platform's database implements the
#     server's durable TaskStore contract; allowed for good (the contract is the server's).
#   config_commands (doctor) -> local sandbox/python probes: goes when the local platform
#     offers its own doctor checks.

in_list() { [[ "$2" == *" $1 "* ]]; }
is_exception() { grep -qxF "$1 $2" <<<"$EXCEPTIONS"; }

violations=0
violation() {
  echo "include_rules: $1 includes \"$2\": $3" >&2
  violations=$((violations + 1))
}

while IFS=: read -r file inc; do
  inc=${inc#*\"}
  inc=${inc%\"*}
  is_exception "$file" "$inc" && continue
  case "$inc" in
    tests/*) violation "$file" "$inc" "nothing outside tests/ includes tests/"; continue ;;
  esac
  case "$file" in
    platform/common/*)
      [[ "$inc" == platform/common/* ]] ||
        violation "$file" "$inc" "platform/common/ is the base of the tree and includes only itself"
      ;;
    server/*)
      [[ "$inc" == server/* || "$inc" == platform/common/* ]] ||
        violation "$file" "$inc" "server/ includes only server/ and platform/common/"
      ;;
    platform/*)
      case "$inc" in
        tools/* | app/* | server/*)
          violation "$file" "$inc" "platform/ includes nothing from tools/, app/ or server/" ;;
      esac
      ;;
    tools/*)
      case "$inc" in
        tools/* | platform/wire/* | platform/common/* | platform/project/*) ;;
        platform/*) in_list "$inc" "$PLATFORM_CONTRACTS" ||
          violation "$file" "$inc" "tools/ sees the platform only through its contracts" ;;
        server/*) in_list "$inc" "$SERVER_FOR_TOOLS" ||
          violation "$file" "$inc" "tools/ includes only the server's registry headers" ;;
        *) violation "$file" "$inc" "tools/ includes nothing from app/" ;;
      esac
      ;;
  esac
  if [[ "$inc" == platform/local/* && "$file" != platform/local/* ]] &&
    ! in_list "$inc" "$LOCAL_PUBLIC"; then
    violation "$file" "$inc" "platform/local/ internals are included only from platform/local/"
  fi
done < <(grep -rHoE --include='*.hpp' --include='*.cpp' '^#include "[^"]+"' \
  app server tools platform)

if ((violations > 0)); then
  echo "include_rules: $violations include(s) against the layering (docs/ARCHITECTURE.md)" >&2
  exit 1
fi
