// Limits and metrics for shared HTTP deployments (issue 14), on the product: --metrics serves
// Prometheus text that counts what this test sent, including the data dir's tasks by status;
// --rate-limit answers a burst with 429 and Retry-After and keeps serving; --metrics without
// --http is refused at start-up. --max-devbox-executions refuses a devbox command beyond it (an
// isError result over MCP, 429 over platform serve) and /metrics shows what the devboxes run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, test } from 'node:test';

import {
  PRODUCT,
  bwrapUsable,
  httpInitialize,
  isolatedProduct,
  killAll,
  post,
  rawRequest,
  startHttpServerEnv,
  startPlatformServe,
} from './lib.mjs';

const noBwrap = bwrapUsable() ? false : 'bubblewrap cannot create sandboxes here (devboxes need it)';

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

describe('--max-devbox-executions', { skip: noBwrap }, () => {
  test('over MCP: a devbox_exec beyond it is an isError result naming the flag; /metrics shows the running one', { timeout: 60000 }, async () => {
    const i = iso();
    const s = await startHttpServerEnv(PRODUCT, ['--http', '--metrics', '--max-devbox-executions', '1', ...i.args], i.env);
    const session = await httpInitialize(s.url);
    let id = 10;
    const call = async (name, args) => {
      const r = await post(s.url, { jsonrpc: '2.0', id: ++id, method: 'tools/call', params: { name, arguments: args } }, { session, timeout: 60000 });
      assert.equal(r.status, 200, r.text);
      const answer = r.messages.find((m) => m.id === id);
      assert.ok(answer?.result, r.text);
      return answer.result;
    };
    const metric = async (name) => {
      const text = await (await fetch(new URL('/metrics', s.url))).text();
      const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
      assert.ok(m, `${name} in:\n${text}`);
      return Number(m[1]);
    };
    const box = await call('create_devbox', { name: 'limits' });
    assert.ok(!box.isError, JSON.stringify(box));
    const devbox_id = box.structuredContent.id;

    const running = await call('devbox_exec', { devbox_id, command: 'sleep 600', async: true });
    assert.ok(!running.isError, JSON.stringify(running));
    const execution_id = running.structuredContent.execution_id;
    const refused = await call('devbox_exec', { devbox_id, command: 'echo refused' });
    assert.equal(refused.isError, true, JSON.stringify(refused));
    assert.match(refused.content[0].text, /at most 1 devbox command at once \(--max-devbox-executions 1\); running now: 1/);
    assert.match(refused.content[0].text, /kill_execution/);
    assert.equal(await metric('runagents_devbox_executions_running'), 1);
    assert.equal(await metric('runagents_devboxes_running'), 1);

    // Nothing of the refused command was logged; killing the running one makes room.
    const logs = await call('manage_devbox', { action: 'logs', devbox_id });
    assert.doesNotMatch(JSON.stringify(logs.structuredContent), /echo refused/);
    const killed = await call('manage_devbox', { action: 'kill_execution', devbox_id, execution_id });
    assert.ok(!killed.isError, JSON.stringify(killed));
    assert.equal(await metric('runagents_devbox_executions_running'), 0);
    const ran = await call('devbox_exec', { devbox_id, command: 'echo admitted' });
    assert.ok(!ran.isError, JSON.stringify(ran));
    assert.equal(ran.structuredContent.stdout, 'admitted\n');
    assert.equal(await metric('runagents_devbox_executions_running'), 0);
  });

  test('over platform serve: an execution beyond it is 429 and is not recorded', { timeout: 60000 }, async () => {
    const i = iso();
    const serve = await startPlatformServe(i, ['--max-devbox-executions', '1']);
    const rest = async (method, path, body) => {
      const res = await fetch(`${serve.base}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(60000),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : null };
    };
    const box = await rest('POST', '/v1/devboxes/create_and_await_running', { name: 'limits-rest' });
    assert.equal(box.status, 200, JSON.stringify(box.json));
    const id = box.json.id;
    const first = await rest('POST', `/v1/devboxes/${id}/execute_async`, { command: 'sleep 600' });
    assert.equal(first.status, 200, JSON.stringify(first.json));
    const second = await rest('POST', `/v1/devboxes/${id}/execute_async`, { command: 'echo refused' });
    assert.equal(second.status, 429, JSON.stringify(second.json));
    assert.match(second.json.error, /--max-devbox-executions 1/);
    const logs = await rest('GET', `/v1/devboxes/${id}/logs`);
    assert.ok(!logs.json.logs.some((l) => l.cmd === 'echo refused'), JSON.stringify(logs.json));
    await rest('POST', `/v1/devboxes/${id}/executions/${first.json.execution_id}/kill`);
    const third = await rest('POST', `/v1/devboxes/${id}/execute_async`, { command: 'echo admitted' });
    assert.equal(third.status, 200, JSON.stringify(third.json));
  });
});
