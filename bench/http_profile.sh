#!/usr/bin/env bash
# Drives runagents-mcp --http with wrk on one initialized 2025-11-25 session calling one tool, and
# looks at the server while it does: the per-request figures in docs/BENCHMARKS.md ("Reading the
# product run") came from these modes.
#
#   bench/http_profile.sh TOOL CONCURRENCY SECONDS [MODE]
#     plain       wrk's line only (after a 1 s warm-up)
#     strace      system calls of the server, counted (strace -c) into $OUT/strace.txt
#     perf-stat   context switches and CPU time of the server (perf stat) into $OUT/perf-stat.txt
#     futex       who calls futex, with stacks (perf record) into $OUT/futex.data
#     callgrind   instructions (valgrind --tool=callgrind) into $OUT/callgrind.out, collected only
#                 while wrk runs (after a 1 s warm-up): divide the total by wrk's request count
#                 for instructions per request
#
# BIN (default build/runagents-mcp), PORT (default 18777) and OUT (default /tmp/http-profile)
# may be set in the environment. Needs curl and wrk; the modes need strace, perf or valgrind.
set -euo pipefail
tool=${1:?tool}; c=${2:?concurrency}; secs=${3:?seconds}; mode=${4:-plain}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin=${BIN:-$root/build/runagents-mcp}; port=${PORT:-18777}; out=${OUT:-/tmp/http-profile}
rm -rf "$out" && mkdir -p "$out/data" && echo '{}' > "$out/none.json"
server=("$bin" --http --port "$port" --data-dir "$out/data" --config "$out/none.json")
[ "$mode" = callgrind ] && server=(valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out/callgrind.out" "${server[@]}")
"${server[@]}" 2>/dev/null &
pid=$!
trap 'kill -INT $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/mcp" && break; sleep 0.1; done
headers=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
sid=$(curl -s -D - -o /dev/null -X POST "http://127.0.0.1:$port/mcp" "${headers[@]}" \
  -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"profile","version":"1"}}}' |
  awk -F': ' 'tolower($1)=="mcp-session-id"{print $2}' | tr -d '\r')
curl -s -o /dev/null -X POST "http://127.0.0.1:$port/mcp" "${headers[@]}" -H "Mcp-Session-Id: $sid" \
  -H 'MCP-Protocol-Version: 2025-11-25' -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'
export MCP_BENCH_BODY='{"jsonrpc":"2.0","id":__ID__,"method":"tools/call","params":{"name":"'"$tool"'","arguments":{}}}'
export MCP_BENCH_HEADERS=$'Mcp-Session-Id: '"$sid"$'\nMCP-Protocol-Version: 2025-11-25'
drive() { wrk -t1 -c"$c" -d"$1"s -s "$root/bench/wrk_mcp.lua" "http://127.0.0.1:$port/mcp"; }
[ "$mode" = callgrind ] || drive 1 > /dev/null
case "$mode" in
  plain) drive "$secs" | grep -E "Requests/sec|MCP_BENCH" ;;
  callgrind)
    drive 1 > /dev/null
    callgrind_control -i on "$pid" > /dev/null
    drive "$secs" | grep -E "Requests/sec|MCP_BENCH"
    callgrind_control -i off "$pid" > /dev/null ;;
  strace | perf-stat | futex)
    case "$mode" in
      strace) tracer=(strace -f -c -o "$out/strace.txt" -p "$pid") ;;
      perf-stat) tracer=(perf stat -e context-switches,cpu-migrations,task-clock -o "$out/perf-stat.txt" -p "$pid") ;;
      futex) tracer=(perf record -e syscalls:sys_enter_futex --call-graph dwarf -o "$out/futex.data" -p "$pid") ;;
    esac
    "${tracer[@]}" > /dev/null 2>&1 &
    tpid=$!
    sleep 1
    drive "$secs" | grep -E "MCP_BENCH"
    kill -INT $tpid; wait $tpid 2>/dev/null || true
    echo "written to $out" ;;
  *) echo "unknown mode: $mode" >&2; exit 2 ;;
esac
