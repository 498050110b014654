// Limits and metrics for shared HTTP deployments (issue 14), on the product: --metrics serves
// Prometheus text that counts what this test sent, including the data dir's tasks by status;
// --rate-limit answers a burst with 429 and Retry-After and keeps serving; --metrics without
// --http is refused at start-up.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, test } from 'node:test';

import { PRODUCT, httpInitialize, isolatedProduct, killAll, post, rawRequest, startHttpServerEnv } from './lib.mjs';

const dirs = [];
after(async () => {
  await killAll();
  for (const d of dirs) d.cleanup();
});

function iso() {
  const i = isolatedProduct('ra-limits-e2e-');
  dirs.push(i);
  return i;
}

describe('runagents-mcp --http limits and metrics', () => {
  test('--metrics: /metrics counts requests by method and status, times tool calls, reports tasks', async () => {
    const i = iso();
    const s = await startHttpServerEnv(PRODUCT, ['--http', '--metrics', ...i.args], i.env);
    const session = await httpInitialize(s.url);
    const call = await post(s.url, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'list_agents', arguments: {} } }, { session });
    assert.equal(call.status, 200, call.text);
    const res = await fetch(new URL('/metrics', s.url));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    assert.match(text, /^runagents_mcp_requests_total\{method="initialize",status="200"\} 1$/m);
    assert.match(text, /^runagents_mcp_requests_total\{method="notifications\/initialized",status="202"\} 1$/m);
    assert.match(text, /^runagents_mcp_requests_total\{method="tools\/call",status="200"\} 1$/m);
    assert.match(text, /^runagents_mcp_tool_call_seconds_count\{tool="list_agents"\} 1$/m);
    assert.match(text, /^runagents_mcp_sessions_open 1$/m);
    assert.match(text, /^runagents_mcp_tasks\{status="working"\} 0$/m);
    // A foreign Host is refused here as on /mcp.
    const foreign = await rawRequest(new URL('/metrics', s.url).href, { method: 'GET', headers: { host: 'evil.example' } });
    assert.equal(foreign.status, 403);
  });

  test('--rate-limit: a burst past the rate gets 429 with Retry-After; the server keeps serving', async () => {
    const i = iso();
    const s = await startHttpServerEnv(PRODUCT, ['--http', '--rate-limit', '2', ...i.args], i.env);
    const session = await httpInitialize(s.url); // initialize and its notification: the 2 tokens
    const ping = (id) => post(s.url, { jsonrpc: '2.0', id, method: 'ping' }, { session });
    const answers = await Promise.all([3, 4, 5, 6].map(ping));
    const refused = answers.filter((a) => a.status === 429);
    assert.ok(refused.length >= 3, `statuses: ${answers.map((a) => a.status)}`);
    assert.match(refused[0].headers.get('retry-after'), /^[1-9]\d*$/);
    assert.match(refused[0].json.error.message, /--rate-limit/);
    assert.ok([3, 4, 5, 6].includes(refused[0].json.id), 'the refusal names the request');
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await ping(7)).status, 200);
  });

  test('--metrics without --http is refused with what to do', () => {
    const i = iso();
    const r = spawnSync(PRODUCT, ['--metrics', ...i.args], { env: i.env, input: '', encoding: 'utf8', timeout: 10000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--metrics serves \/metrics over HTTP; add --http/);
  });
});
