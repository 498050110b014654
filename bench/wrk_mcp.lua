-- wrk script for bench/run.mjs: POSTs one JSON-RPC request per call to the URL given to wrk.
--
--   MCP_BENCH_BODY     the request body; the literal __ID__ is replaced by an id unique per
--                      request (thread number * 1e9 + counter), so no two requests share an id
--   MCP_BENCH_HEADERS  extra headers, one "name: value" per line (for a 2026-07-28 request:
--                      MCP-Protocol-Version, Mcp-Method, Mcp-Name; for 2025-11-25: the session's
--                      Mcp-Session-Id and MCP-Protocol-Version)
--
-- At the end it prints one line, "MCP_BENCH {json}", with the request count, the duration and
-- the p50/p99 latency in microseconds, wrk's socket and HTTP-status errors, and rpc_errors: 200
-- answers that carry a JSON-RPC error instead of a result.
--
--   MCP_BENCH_BODY='{"jsonrpc":"2.0","id":__ID__,"method":"tools/call","params":{...}}' \
--   MCP_BENCH_HEADERS=$'mcp-protocol-version: 2026-07-28\nmcp-method: tools/call\nmcp-name: T' \
--   wrk -t1 -c8 -d3s -s bench/wrk_mcp.lua http://127.0.0.1:PORT/mcp

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

local prefix, suffix
local counter = 0
rpc_errors = 0

function init(args)
  local body = os.getenv("MCP_BENCH_BODY") or error("MCP_BENCH_BODY is not set")
  local at = body:find("__ID__", 1, true) or error("MCP_BENCH_BODY has no __ID__")
  prefix, suffix = body:sub(1, at - 1), body:sub(at + 6)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json, text/event-stream"
  for line in (os.getenv("MCP_BENCH_HEADERS") or ""):gmatch("[^\n]+") do
    local k, v = line:match("^([^:]+):%s*(.-)%s*$")
    if k then wrk.headers[k] = v end
  end
end

function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, prefix .. string.format("%d", tid * 1000000000 + counter) .. suffix)
end

function response(status, headers, body)
  -- Keys are serialized in order, so a JSON-RPC error object starts '"error":{"code"'; inside a
  -- result's text the quotes would be escaped.
  if status == 200 and body:find('"error":{"code"', 1, true) then rpc_errors = rpc_errors + 1 end
end

function done(summary, latency, requests)
  local rpc = 0
  for _, t in ipairs(threads) do rpc = rpc + (t:get("rpc_errors") or 0) end
  local e = summary.errors
  io.write(string.format(
    'MCP_BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"errors":%d,"rpc_errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout, rpc))
end
