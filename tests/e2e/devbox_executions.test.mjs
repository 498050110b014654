// Executions as Runloop has them (issue 11), on every face, offline:
// - `platform serve` REST with plain fetch: create_and_await_running (running, and failure with
//   the launch command's exit in the log), execute_async with attach_stdin + send_std_in (text,
//   then signal EOF) gives `cat` its input and it completes with it; a send to a completed
//   execution is 409 with x-should-retry: false and changes nothing; without attach_stdin it is
//   409 too; execute defaults to a 25 s optimistic hold and starts once per command_id;
//   wait_for_status answers 408 (x-should-retry: true) when its hold passes; logs and usage in
//   Runloop's shapes (usage of a shut down devbox: the figures recorded at shutdown).
// - MCP over stdio, local sandboxes: devbox_exec async attach_stdin, manage_devbox send_stdin,
//   logs, usage.
// - MCP over stdio with RUNLOOP_API_KEY and RUNLOOP_BASE_URL pointed at that `platform serve`:
//   the same through the remote Runloop client (its create goes through
//   create_and_await_running).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

import { PRODUCT, bwrapUsable, isolatedProduct, killAll, startPlatformServe } from './lib.mjs';

const skip = bwrapUsable() ? false : 'bubblewrap cannot create sandboxes here (devboxes need it)';

const isos = [];
let serve; // platform serve: the REST face, and "Runloop" for the remote client

before(async () => {
  if (skip) return;
  const iso = isolatedProduct('ra-exec-serve-');
  isos.push(iso);
  serve = await startPlatformServe(iso);
});

after(async () => {
  await killAll();
  for (const iso of isos) iso.cleanup();
});

// ---------------------------------------------------------------------------------------------
// REST

const rest = async (method, path, body, { expect = 200 } = {}) => {
  const res = await fetch(`${serve.base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60000),
  });
  const text = await res.text();
  assert.equal(res.status, expect, `${method} ${path}: ${res.status} ${text}`);
  return { json: text ? JSON.parse(text) : null, headers: res.headers };
};

describe('platform serve: executions as Runloop has them', { skip }, () => {
  let id;

  test('create_and_await_running returns the devbox running', { timeout: 60000 }, async () => {
    const { json: d } = await rest('POST', '/v1/devboxes/create_and_await_running', {
      name: 'exec-rest',
      launch_parameters: { launch_commands: ['echo ready > ready.txt'] },
    });
    assert.equal(d.status, 'running');
    id = d.id;
  });

  test('a failing launch command: status failure, and the log says which command and its exit', { timeout: 60000 }, async () => {
    const { json: d } = await rest('POST', '/v1/devboxes/create_and_await_running', {
      launch_parameters: { launch_commands: ['echo broken >&2; exit 3'] },
    });
    assert.equal(d.status, 'failure');
    const { json: logs } = await rest('GET', `/v1/devboxes/${d.id}/logs`);
    const failed = logs.logs.find((l) => l.source === 'setup_commands' && l.exit_code === 3);
    assert.ok(failed, JSON.stringify(logs));
    assert.equal(failed.level, 'error');
    assert.match(failed.message, /broken/);
    assert.ok(logs.logs.some((l) => l.source === 'lifecycle' && /failure/.test(l.message)));
  });

  test('send_std_in feeds a running cat; EOF ends it with that output; a later send is 409 and changes nothing', { timeout: 60000 }, async () => {
    const { json: started } = await rest('POST', `/v1/devboxes/${id}/execute_async`, { command: 'cat', attach_stdin: true });
    assert.equal(started.status, 'running');
    const eid = started.execution_id;
    const path = `/v1/devboxes/${id}/executions/${eid}`;
    const { json: sent } = await rest('POST', `${path}/send_std_in`, { text: 'hello\n' });
    assert.deepEqual(sent, { devbox_id: id, execution_id: eid, success: true });
    // Still running: cat waits for more until EOF.
    const { json: running } = await rest('GET', path);
    assert.equal(running.status, 'running');
    await rest('POST', `${path}/send_std_in`, { signal: 'EOF' });
    const { json: done } = await rest('POST', `${path}/wait_for_status`, { statuses: ['completed'], timeout_seconds: 20 });
    assert.equal(done.status, 'completed');
    assert.equal(done.exit_status, 0);
    assert.equal(done.stdout, 'hello\n');

    const { json: refused, headers } = await rest('POST', `${path}/send_std_in`, { text: 'late\n' }, { expect: 409 });
    assert.match(refused.error, /completed/);
    assert.equal(headers.get('x-should-retry'), 'false');
    const { json: after } = await rest('GET', path);
    assert.equal(after.stdout, 'hello\n');
    assert.equal(after.exit_status, 0);

    const { json: logs } = await rest('GET', `/v1/devboxes/${id}/logs?execution_id=${eid}`);
    assert.deepEqual(logs.logs.map((l) => [l.source, l.cmd, l.cmd_id, l.exit_code]), [
      ['exec', 'cat', eid, null],
      ['exec', 'cat', eid, 0],
    ]);
  });

  test('without attach_stdin stdin is empty and send_std_in is 409', { timeout: 60000 }, async () => {
    const { json: started } = await rest('POST', `/v1/devboxes/${id}/execute_async`, { command: 'sleep 20' });
    const path = `/v1/devboxes/${id}/executions/${started.execution_id}`;
    const { json: refused } = await rest('POST', `${path}/send_std_in`, { text: 'x' }, { expect: 409 });
    assert.match(refused.error, /attach_stdin/);
    // wait_for_status: 408 once the hold passes, marked retryable as Runloop marks it.
    const t0 = Date.now();
    const res = await fetch(`${serve.base}${path}/wait_for_status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ statuses: ['completed'], timeout_seconds: 1 }),
    });
    assert.equal(res.status, 408);
    assert.equal(res.headers.get('x-should-retry'), 'true');
    assert.ok(Date.now() - t0 >= 900 && Date.now() - t0 < 5000);
    await rest('POST', `${path}/kill`, {});
    // A cat without stdin ends at once.
    const { json: cat } = await rest('POST', `/v1/devboxes/${id}/execute`, { command: 'cat; echo end' });
    assert.equal(cat.status, 'completed', 'execute holds (25 s by default) until it completes');
    assert.equal(cat.stdout, 'end\n');
  });

  test('execute starts once per command_id: a retry gets the same execution', { timeout: 60000 }, async () => {
    const body = { command: 'echo x >> count.txt; wc -l < count.txt', command_id: '01890a5d-ac96-774b-bcce-b302099a8057' };
    const { json: first } = await rest('POST', `/v1/devboxes/${id}/execute`, body);
    const { json: retry } = await rest('POST', `/v1/devboxes/${id}/execute`, body);
    assert.equal(retry.execution_id, first.execution_id);
    assert.equal(retry.stdout, '1\n');
    const { json: other } = await rest('POST', `/v1/devboxes/${id}/execute`, { ...body, command_id: '01890a5d-ac96-774b-bcce-b302099a8058' });
    assert.notEqual(other.execution_id, first.execution_id);
    assert.equal(other.stdout, '2\n');
    // Two at once with one new id: one execution.
    const racing = { ...body, command_id: '01890a5d-ac96-774b-bcce-b302099a8059' };
    const [a, b] = await Promise.all([1, 2].map(() => rest('POST', `/v1/devboxes/${id}/execute`, racing)));
    assert.equal(a.json.execution_id, b.json.execution_id);
    assert.equal(a.json.stdout, '3\n');
  });

  test('INTERRUPT sends SIGINT to the command', { timeout: 60000 }, async () => {
    const { json: started } = await rest('POST', `/v1/devboxes/${id}/execute_async`, {
      command: "trap 'echo interrupted; exit 7' INT; touch int.ready; while true; do sleep 0.1; done",
      attach_stdin: true,
    });
    const path = `/v1/devboxes/${id}/executions/${started.execution_id}`;
    // Signal only once the trap is set: a slow (sanitizer) build may not have got there in 300 ms.
    await rest('POST', `/v1/devboxes/${id}/execute_sync`, { command: 'for i in $(seq 200); do [ -f int.ready ] && break; sleep 0.05; done' });
    await rest('POST', `${path}/send_std_in`, { signal: 'INTERRUPT' });
    const { json: done } = await rest('POST', `${path}/wait_for_status`, { statuses: ['completed'], timeout_seconds: 20 });
    assert.equal(done.exit_status, 7);
    assert.equal(done.stdout, 'interrupted\n');
  });

  test('usage: Runloop fields, and each measured figure or why it is missing', { timeout: 60000 }, async () => {
    await rest('POST', `/v1/devboxes/${id}/execute_sync`, { command: 'head -c 3000000 /dev/urandom > blob; python3 -c "x = bytearray(40 << 20)"' });
    const { json: u } = await rest('GET', `/v1/devboxes/${id}/usage`);
    for (const f of ['id', 'status', 'start_time_ms', 'total_active_seconds', 'total_elapsed_seconds', 'vcpu_seconds', 'memory_gb_seconds', 'disk_gb_seconds'])
      assert.ok(f in u, `${f} in ${JSON.stringify(u)}`);
    assert.equal(u.id, id);
    assert.equal(u.end_time_ms, null);
    assert.ok(u.total_active_seconds > 0 && u.total_active_seconds <= u.total_elapsed_seconds);
    assert.ok(u.disk_bytes >= 3000000, `the home holds the 3 MB blob: ${u.disk_bytes}`);
    for (const f of ['cpu_time_seconds', 'peak_memory_bytes', 'memory_bytes']) {
      if (u[f] === null) assert.ok(u.unavailable[f], `${f} null with a reason: ${JSON.stringify(u)}`);
      else assert.equal(u.unavailable[f], undefined);
    }
    if (u.peak_memory_bytes !== null) assert.ok(u.peak_memory_bytes >= 40 << 20, `peak ${u.peak_memory_bytes}`);
    if (u.cpu_time_seconds !== null) assert.ok(u.cpu_time_seconds > 0);
    console.log(`usage measured: ${JSON.stringify(u)}`);

    await rest('POST', `/v1/devboxes/${id}/shutdown`, {});
    // Shut down: the cgroups and the home are gone; the figures recorded at shutdown remain.
    const { json: gone } = await rest('GET', `/v1/devboxes/${id}/usage`);
    assert.equal(gone.status, 'shutdown');
    assert.ok(gone.end_time_ms > 0);
    assert.ok(gone.disk_bytes >= 3000000, `disk at shutdown: ${gone.disk_bytes}`);
    if (u.cpu_time_seconds !== null) assert.ok(gone.cpu_time_seconds >= u.cpu_time_seconds);
    if (u.peak_memory_bytes !== null) assert.ok(gone.peak_memory_bytes >= u.peak_memory_bytes);
    assert.equal(gone.memory_bytes, u.memory_bytes === null ? null : 0);
    const later = (await rest('GET', `/v1/devboxes/${id}/usage`)).json;
    assert.equal(later.total_elapsed_seconds, gone.total_elapsed_seconds, 'elapsed stops at the end');
    const { json: logs } = await rest('GET', `/v1/devboxes/${id}/logs`);
    assert.ok(logs.logs.some((l) => l.source === 'lifecycle' && l.message === 'status shutdown (api_shutdown)'));
  });

  test('logs and usage of an unknown devbox are 404', async () => {
    await rest('GET', '/v1/devboxes/dbx_nope/logs', undefined, { expect: 404 });
    await rest('GET', '/v1/devboxes/dbx_nope/usage', undefined, { expect: 404 });
  });
});

// ---------------------------------------------------------------------------------------------
// MCP: the same through manage_devbox, on local sandboxes and through the remote Runloop client

async function connect(remote) {
  const iso = isolatedProduct(remote ? 'ra-exec-remote-' : 'ra-exec-local-');
  isos.push(iso);
  const env = { ...iso.env };
  delete env.RUNLOOP_API_KEY;
  delete env.RUNLOOP_BASE_URL;
  if (remote) Object.assign(env, { RUNLOOP_API_KEY: 'test-key', RUNLOOP_BASE_URL: serve.base });
  const transport = new StdioClientTransport({ command: PRODUCT, args: iso.args, env, stderr: 'pipe' });
  const client = new Client({ name: 'devbox-executions-e2e', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

for (const face of ['local', 'remote']) {
  describe(`MCP manage_devbox on the ${face} face: send_stdin, logs, usage`, { skip }, () => {
    let client;
    before(async () => {
      client = await connect(face === 'remote');
    });
    after(async () => {
      await client?.close();
    });
    const raw = (name, args) => client.callTool({ name, arguments: args }, undefined, { timeout: 90000 });
    const call = async (name, args) => {
      const r = await raw(name, args);
      assert.ok(!r.isError, `${name} ${JSON.stringify(args)} failed: ${JSON.stringify(r.content)}`);
      return r.structuredContent;
    };

    test('cat gets its input, completes with it; a later send is a conflict that changes nothing', { timeout: 90000 }, async () => {
      const box = await call('create_devbox', { name: `exec-${face}` });
      assert.equal(box.status, 'running');
      const started = await call('devbox_exec', { devbox_id: box.id, command: 'cat', async: true, attach_stdin: true });
      const eid = started.execution_id;
      const sent = await call('manage_devbox', { action: 'send_stdin', devbox_id: box.id, execution_id: eid, text: 'hello\n' });
      assert.deepEqual(sent.stdin, { execution_id: eid, sent_bytes: 6, closed: false, interrupted: false });
      assert.equal(sent.execution.status, 'running');
      await call('manage_devbox', { action: 'send_stdin', devbox_id: box.id, execution_id: eid, close: true });
      const done = await call('manage_devbox', { action: 'execution_status', devbox_id: box.id, execution_id: eid, wait_seconds: 20 });
      assert.equal(done.execution.status, 'completed');
      assert.equal(done.execution.exit_code, 0);
      assert.equal(done.execution.stdout, 'hello\n');

      const late = await raw('manage_devbox', { action: 'send_stdin', devbox_id: box.id, execution_id: eid, text: 'late\n' });
      assert.ok(late.isError, 'a send to a completed execution is an error');
      assert.match(late.content[0].text, /completed/);
      const again = await call('manage_devbox', { action: 'execution_status', devbox_id: box.id, execution_id: eid });
      assert.equal(again.execution.stdout, 'hello\n');

      const sync = await raw('devbox_exec', { devbox_id: box.id, command: 'cat', attach_stdin: true });
      assert.ok(sync.isError && /async/.test(sync.content[0].text), 'attach_stdin needs async');

      const logs = await call('manage_devbox', { action: 'logs', devbox_id: box.id, limit: 200 });
      assert.ok(logs.logs.some((l) => l.source === 'exec' && l.execution_id === eid && l.exit_code === 0), JSON.stringify(logs));
      assert.ok(logs.logs.some((l) => l.source === 'lifecycle' && l.message === 'status running'));
      const one = await call('manage_devbox', { action: 'logs', devbox_id: box.id, execution_id: eid });
      assert.deepEqual(one.logs.map((l) => l.exit_code ?? null), [null, 0]);

      const usage = await call('manage_devbox', { action: 'usage', devbox_id: box.id });
      assert.equal(usage.usage.devbox_id, box.id);
      assert.ok(usage.usage.total_elapsed_seconds > 0);
      for (const f of ['cpu_time_seconds', 'peak_memory_bytes', 'memory_bytes', 'disk_bytes'])
        assert.ok(usage.usage[f] !== null || usage.usage.unavailable[f], `${f} or why: ${JSON.stringify(usage.usage)}`);

      await call('manage_devbox', { action: 'shutdown', devbox_id: box.id });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Runloop's own TypeScript SDK against platform serve, when tests/ has it (@runloop/api-client;
// the HTTP/2 work adds it). HTTP/1.1 here (http2: false): this is about the calls, not the
// transport.

let Runloop;
try {
  ({ default: Runloop } = await import('@runloop/api-client'));
} catch {
  Runloop = undefined;
}

describe('@runloop/api-client: createAndAwaitRunning, sendStdIn, awaitCompleted, logs, usage', {
  skip: skip || (Runloop ? false : '@runloop/api-client is not installed in tests/'),
}, () => {
  test('the SDK calls work as against Runloop', { timeout: 120000 }, async () => {
    const rl = new Runloop({ bearerToken: 'test-key', baseURL: serve.base, http2: false, maxRetries: 1 });
    const d = await rl.devboxes.createAndAwaitRunning({ name: 'sdk', launch_parameters: { launch_commands: ['true'] } });
    assert.equal(d.status, 'running');
    const ex = await rl.devboxes.executions.executeAsync(d.id, { command: 'cat', attach_stdin: true });
    const sent = await rl.devboxes.executions.sendStdIn(d.id, ex.execution_id, { text: 'hello\n' });
    assert.deepEqual(sent, { devbox_id: d.id, execution_id: ex.execution_id, success: true });
    // With `signal` alone the SDK 1.32 takes the body for request options (its `signal` is an
    // AbortSignal) and fails before sending; a `text` key keeps it a body.
    await rl.devboxes.executions.sendStdIn(d.id, ex.execution_id, { text: '', signal: 'EOF' });
    const done = await rl.devboxes.executions.awaitCompleted(d.id, ex.execution_id);
    assert.equal(done.stdout, 'hello\n');
    await assert.rejects(rl.devboxes.executions.sendStdIn(d.id, ex.execution_id, { text: 'late' }), (e) => e.status === 409);
    const r = await rl.devboxes.executeAndAwaitCompletion(d.id, { command: 'echo via-execute' });
    assert.equal(r.stdout, 'via-execute\n');
    const logs = await rl.devboxes.logs.list(d.id, { execution_id: ex.execution_id });
    assert.deepEqual(logs.logs.map((l) => l.exit_code), [null, 0]);
    const u = await rl.devboxes.retrieveResourceUsage(d.id);
    assert.equal(u.id, d.id);
    await rl.devboxes.shutdown(d.id);
    await assert.rejects(rl.devboxes.logs.list('dbx_nope'), (e) => e.status === 404);
  });
});
