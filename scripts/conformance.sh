#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance, pinned in
# tests/package.json) against BUILD_DIR/conformance-server over Streamable HTTP, with a frozen
# requirement set (CONFORMANCE_REQUIREMENTS: 2025-11-25 by default, or 2026-07-28) and no
# expected-failures baseline.
#
# Usage: scripts/conformance.sh BUILD_DIR
#
# Prints the suite's own output, then a tally parsed from the checks.json result files,
# ending with a line "N passed, M failed" (required scenarios). Exits non-zero when any
# required scenario fails or is missing, when the suite itself exits non-zero, or when the
# server does not start. Scenarios the requirement set runs but does not score
# (not_scored: added-after-release, pending) are reported and do not fail the run, exactly
# as the suite scores them; set CONFORMANCE_STRICT=1 to fail on those too (a scenario the suite
# skips entirely is not counted as failing).
#
# Environment: CONFORMANCE_REQUIREMENTS (2025-11-25 | 2026-07-28), CONFORMANCE_PORT (default: a free port), CONFORMANCE_RESULTS (keep results in
# this directory instead of a temporary one), CONFORMANCE_STRICT=1.
set -euo pipefail

usage() { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
[[ $# -eq 1 ]] || usage

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$(cd "$1" 2>/dev/null && pwd)" || { echo "conformance: no such directory: $1" >&2; exit 2; }
server="$build_dir/conformance-server"
requirements="${CONFORMANCE_REQUIREMENTS:-2025-11-25}"
suite="$root/tests/node_modules/@modelcontextprotocol/conformance/dist/index.js"

[[ -x "$server" ]] || { echo "conformance: $server not found or not executable (build the conformance-server target)" >&2; exit 2; }
[[ -f "$suite" ]] || { echo "conformance: $suite missing; run (cd tests && npm ci)" >&2; exit 2; }
node22="$("$root/scripts/node.sh")"

work="$(mktemp -d "${TMPDIR:-/tmp}/conformance.XXXXXX")"
results="${CONFORMANCE_RESULTS:-$work/results}"
mkdir -p "$results"
server_pid=""

cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A free loopback port: bind port 0, read the port the kernel chose, release it.
port="${CONFORMANCE_PORT:-$("$node22" -e '
  const s = require("net").createServer();
  s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')}"

"$server" --port "$port" >"$work/server.log" 2>&1 &
server_pid=$!

# Wait (at most 10 s) until the port accepts connections.
ready=0
for _ in $(seq 1 100); do
  if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then ready=1; break; fi
  sleep 0.1
done
if [[ $ready -ne 1 ]]; then
  if kill -0 "$server_pid" 2>/dev/null; then
    echo "conformance: $server --port $port did not accept connections within 10 s" >&2
  else
    wait "$server_pid" && rc=0 || rc=$?
    server_pid=""
    echo "conformance: $server --port $port exited early (status $rc)" >&2
  fi
  echo "--- server log (last 40 lines) ---" >&2
  tail -n 40 "$work/server.log" >&2 || true
  exit 1
fi

url="http://localhost:$port/mcp"
echo "conformance: server pid $server_pid at $url; suite $("$node22" -p "require('$root/tests/node_modules/@modelcontextprotocol/conformance/package.json').version") on node $("$node22" --version); requirements $requirements"
suite_rc=0
"$node22" "$suite" server --url "$url" --requirements "$requirements" -o "$results" || suite_rc=$?

if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "conformance: the server died during the run; last lines of its log:" >&2
  tail -n 40 "$work/server.log" >&2 || true
fi

if [[ -n "${CONFORMANCE_RESULTS:-}" ]]; then echo "conformance: results kept in $results"; fi
if [[ $suite_rc -ne 0 ]]; then echo "conformance: the suite exited with status $suite_rc"; fi

# Tally from the results: one directory per scenario (server-<scenario>-<timestamp>) holding
# checks.json, an array of {id, status: SUCCESS|FAILURE|WARNING|SKIPPED|INFO, errorMessage?}.
tally_rc=0
"$node22" --input-type=module - "$root" "$results" "$requirements" <<'EOF' || tally_rc=$?
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
const [root, results, revision] = process.argv.slice(2);
const require = createRequire(join(root, 'tests', 'package.json'));
const YAML = require('yaml');
const req = YAML.parse(readFileSync(
  join(root, 'tests/node_modules/@modelcontextprotocol/conformance/requirements', `${revision}.yaml`), 'utf8'));
const required = req.server ?? [];
const notScored = new Map((req.not_scored ?? []).filter((e) => e.leg === 'server').map((e) => [e.scenario, e.reason]));

const byScenario = new Map();
for (const dir of existsSync(results) ? readdirSync(results) : []) {
  const file = join(results, dir, 'checks.json');
  if (!existsSync(file)) continue;
  const name = dir.replace(/^server-/, '').replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, '');
  let checks;
  try { checks = JSON.parse(readFileSync(file, 'utf8')); } catch { checks = [{ id: 'checks.json', status: 'FAILURE', errorMessage: 'unreadable checks.json' }]; }
  byScenario.set(name, (byScenario.get(name) ?? []).concat(checks));
}

const count = (checks, s) => checks.filter((c) => c.status === s).length;
const tallies = { SUCCESS: 0, FAILURE: 0, WARNING: 0, SKIPPED: 0 };
let passed = 0, failed = 0;
const failures = [];
// A scenario passes when it has no FAILURE check and at least one SUCCESS (as the suite scores it).
const passes = (checks) => count(checks, 'FAILURE') === 0 && count(checks, 'SUCCESS') > 0;
const line = (name, checks) => {
  const f = count(checks, 'FAILURE'), w = count(checks, 'WARNING'), k = count(checks, 'SKIPPED');
  return `${passes(checks) ? 'PASS' : 'FAIL'} ${name}: ${count(checks, 'SUCCESS')} checks passed, ${f} failed` +
    (w ? `, ${w} warnings` : '') + (k ? `, ${k} skipped` : '') + (f === 0 && !passes(checks) ? ' (no passing check)' : '');
};
console.log(`\n=== conformance tally (${revision}, server, required scenarios) ===`);
for (const name of required) {
  const checks = byScenario.get(name);
  if (!checks) { failed++; failures.push(`${name}: no results (scenario did not run or crashed)`); console.log(`FAIL ${name}: no results`); continue; }
  for (const s of Object.keys(tallies)) tallies[s] += count(checks, s);
  if (passes(checks)) passed++;
  else {
    failed++;
    if (count(checks, 'FAILURE') === 0) failures.push(`${name}: no passing check (${checks.map((c) => `${c.id}=${c.status}`).join(', ')})`);
    for (const c of checks.filter((c) => c.status === 'FAILURE')) failures.push(`${name}:${c.id}: ${c.errorMessage ?? c.description ?? ''}`);
  }
  console.log(line(name, checks));
}
let nsFailed = 0;
const extra = [...byScenario.keys()].filter((n) => !required.includes(n));
if (extra.length) {
  console.log(`\nrun but not scored for ${revision}:`);
  for (const name of extra) {
    const checks = byScenario.get(name);
    // A scenario the suite itself skips entirely (tasks-status-notifications) is not a failure.
    const skippedBySuite = checks.length > 0 && checks.every((c) => c.status === 'SKIPPED');
    if (!passes(checks) && !skippedBySuite) {
      nsFailed++;
      if (count(checks, 'FAILURE') === 0) failures.push(`(not scored) ${name}: no passing check (${checks.map((c) => `${c.id}=${c.status}`).join(', ')})`);
      for (const c of checks.filter((c) => c.status === 'FAILURE')) failures.push(`(not scored) ${name}:${c.id}: ${c.errorMessage ?? c.description ?? ''}`);
    }
    console.log(`${line(name, checks)} [${notScored.get(name) ?? 'not scored'}]`);
  }
}
if (failures.length) {
  console.log('\nfailed checks:');
  for (const f of failures) console.log(`  ${f.length > 400 ? f.slice(0, 400) + '...' : f}`);
}
console.log(`\nchecks (required scenarios): ${tallies.SUCCESS} passed, ${tallies.FAILURE} failed, ${tallies.WARNING} warnings, ${tallies.SKIPPED} skipped`);
console.log(`not scored: ${extra.length} run, ${nsFailed} failing`);
console.log(`scenarios (required): ${passed + failed}`);
console.log(`${passed} passed, ${failed} failed`);
const strict = process.env.CONFORMANCE_STRICT === '1';
process.exit(failed > 0 || (strict && nsFailed > 0) ? 1 : 0);
EOF

# Nothing is printed after the tally's last line ("N passed, M failed").
if [[ $suite_rc -ne 0 || $tally_rc -ne 0 ]]; then exit 1; fi
