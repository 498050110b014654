// devbox_exec as a task on the product (runagents-mcp), end to end, in both wire forms:
//
// - the 2026-07-28 extension io.modelcontextprotocol/tasks, over HTTP (raw fetch with
//   MCP-Protocol-Version, Mcp-Method and Mcp-Name) and over stdio (raw JSON lines): a long
//   command becomes a CreateTaskResult, tasks/get shows it working with its latest output line as
//   statusMessage, tasks/cancel acks, the task settles `cancelled`, and no `sleep` is left
//   running (checked from outside: pgrep and a walk of /proc under the server); a short command
//   completes with its output inline; without the extension the call is synchronous;
// - the 2025-11-25 experimental tasks with the v1 SDK client (raw client.request with
//   params.task): execution.taskSupport, {task}, tasks/get, tasks/result with related-task,
//   tasks/list, tasks/cancel;
// - durability: a task outlives its HTTP connection, a second `runagents-mcp --http` on the same
//   data dir answers tasks/get and tasks/cancel for it (and the cancel stops the first process's
//   command), and a task whose process was killed (-9) is reported `failed` with the reason.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';

import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as StdioV1 } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as HttpV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CallToolResultSchema,
  CancelTaskResultSchema,
  CreateTaskResultSchema,
  GetTaskPayloadResultSchema,
  GetTaskResultSchema,
  ListTasksResultSchema,
  ListToolsResultSchema,
} from '@modelcontextprotocol/sdk/types.js';

import {
  PRODUCT,
  RawStdio,
  TASKS_EXT,
  TERMINAL_TASK_STATES,
  assertHttpError,
  bwrapUsable,
  descendants,
  isolatedProduct,
  killAll,
  killSleepers,
  modernHeaders,
  modernRequest,
  pollTask,
  post,
  postModern,
  rawRequest,
  sleepMarker,
  sleepers,
  startHttpServerEnv,
  waitExit,
  waitUntil,
  withTasks,
  withTimeout,
} from './lib.mjs';

const NO_SANDBOX = bwrapUsable() ? false : 'bubblewrap cannot create sandboxes here (devboxes need it)';
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/;

const dirs = [];
const markers = [];
after(async () => {
  for (const m of markers) killSleepers(m);
  await killAll();
  for (const iso of dirs) iso.cleanup();
});

function newIso() {
  const iso = isolatedProduct('ra-tasks-e2e-');
  dirs.push(iso);
  return iso;
}

function marker(seconds = 300) {
  const m = sleepMarker(seconds);
  markers.push(m);
  return m;
}

/** The live processes under `pid` (walking /proc) whose command line mentions `text`. */
const under = (pid, text) => descendants(pid).filter((p) => p.cmdline.includes(text));

// ---------------------------------------------------------------------------------------------
// Modern peers: `rpc(method, params, capabilities)` resolves the JSON-RPC response message.

function httpPeer(url) {
  return {
    label: 'HTTP',
    async rpc(method, params = {}, capabilities = {}, { timeout = 30000, headers } = {}) {
      const body = modernRequest(method, params, { capabilities });
      const r = await postModern(url, body, { timeout, headers });
      const msg = r.messages.find((m) => m.id === body.id && !('method' in m));
      assert.ok(msg, `${method}: no response (HTTP ${r.status}): ${r.text.slice(0, 300)}`);
      assert.equal(r.headers.get('mcp-session-id'), null, 'no Mcp-Session-Id on a modern answer');
      Object.defineProperty(msg, "http", { value: r, enumerable: false });
      return msg;
    },
  };
}

function stdioPeer(stdio) {
  let n = 0;
  return {
    label: 'stdio',
    async rpc(method, params = {}, capabilities = {}, { timeout = 30000 } = {}) {
      const body = modernRequest(method, params, { capabilities, id: `s-${++n}` });
      await stdio.write(body);
      return stdio.response(body.id, timeout);
    },
  };
}

function resultOf(msg, what) {
  assert.ok(msg.result, `${what}: expected a result, got ${JSON.stringify(msg.error ?? msg).slice(0, 400)}`);
  return msg.result;
}

async function createDevbox(peer, name) {
  // Without the tasks extension: create_devbox may run as a task too, and here it must not.
  const r = resultOf(await peer.rpc('tools/call', { name: 'create_devbox', arguments: { name } }, {}, { timeout: 90000 }), 'create_devbox');
  assert.equal(r.isError ?? false, false, JSON.stringify(r.content));
  assert.equal(r.structuredContent.status, 'running');
  return r.structuredContent.id;
}

const taskGet = async (peer, taskId) => resultOf(await peer.rpc('tasks/get', { taskId }, withTasks()), 'tasks/get');

function assertCreateTaskResult(r) {
  assert.equal(r.resultType, 'task', `a CreateTaskResult: ${JSON.stringify(r).slice(0, 400)}`);
  assert.equal(typeof r.taskId, 'string');
  assert.ok(r.taskId.length >= 16, 'an unguessable task id');
  assert.equal(r.status, 'working');
  assert.match(r.createdAt, ISO_DATE);
  assert.match(r.lastUpdatedAt, ISO_DATE);
  assert.ok(r.ttlMs === null || (Number.isInteger(r.ttlMs) && r.ttlMs > 0), `ttlMs ${r.ttlMs}`);
  assert.ok(r.pollIntervalMs === undefined || (Number.isInteger(r.pollIntervalMs) && r.pollIntervalMs > 0));
  for (const k of ['task', 'result', 'error', 'inputRequests', 'requestState', 'content', 'ttl', 'pollInterval']) {
    assert.equal(r[k], undefined, `no ${k} on a CreateTaskResult`);
  }
}

/** The shared modern scenarios, run over HTTP and over stdio. */
function modernScenarios(setup) {
  let ctx; // {peer, serverPid, devbox}
  before(async () => {
    ctx = await setup();
  });

  test('a long command becomes a task: working with its output as statusMessage, cancelled by tasks/cancel, nothing left running', async () => {
    const { peer, serverPid, devbox } = ctx;
    const m = marker();
    const tag = `started-${m}`;
    const created = await peer.rpc(
      'tools/call',
      { name: 'devbox_exec', arguments: { devbox_id: devbox, command: `echo ${tag}; sleep ${m}`, timeout_seconds: 900 } },
      withTasks(),
    );
    const task = resultOf(created, 'devbox_exec as a task');
    assertCreateTaskResult(task);
    try {
      await waitUntil(() => sleepers(m).length > 0, 20000, `sleep ${m} to start in the devbox`);
      assert.ok(under(serverPid, `sleep ${m}`).length > 0, 'the command runs under the server process');

      // Polled: working, and its latest output line shows up as statusMessage.
      const seen = await pollTask(
        () => taskGet(peer, task.taskId),
        (t) => {
          assert.equal(t.status, 'working', `still working: ${JSON.stringify(t)}`);
          return typeof t.statusMessage === 'string' && t.statusMessage.includes(tag);
        },
        15000,
        'statusMessage to carry the latest output line',
      );
      assert.equal(seen.resultType, 'complete', 'tasks/get answers resultType complete');
      assert.equal(seen.taskId, task.taskId);
      assert.equal(seen.result, undefined, 'no result while working');

      // Cancel: an empty ack.
      const ack = resultOf(await peer.rpc('tasks/cancel', { taskId: task.taskId }, withTasks()), 'tasks/cancel');
      assert.equal(ack.resultType, 'complete');
      for (const k of ['taskId', 'status', 'result', 'error', 'inputRequests']) assert.equal(ack[k], undefined, `no ${k} on the cancel ack`);

      const end = await pollTask(() => taskGet(peer, task.taskId), (t) => TERMINAL_TASK_STATES.includes(t.status), 20000, 'the task to settle');
      assert.equal(end.status, 'cancelled', JSON.stringify(end));
      assert.equal(end.result, undefined);

      // From outside: the sleep is gone, and nothing under the server still runs it.
      await waitUntil(() => sleepers(m).length === 0, 10000, `sleep ${m} to be killed (pids ${sleepers(m)})`);
      assert.deepEqual(under(serverPid, m), [], 'no process under the server mentions the command');

      // Cancelling a terminal task gets the same ack, not an error.
      const again = resultOf(await peer.rpc('tasks/cancel', { taskId: task.taskId }, withTasks()), 'tasks/cancel again');
      assert.equal(again.resultType, 'complete');
      assert.equal((await taskGet(peer, task.taskId)).status, 'cancelled', 'a terminal state never changes');
    } finally {
      killSleepers(m);
    }
  });

  test('a short command as a task completes with the command output inline', async () => {
    const { peer, devbox } = ctx;
    const word = `inline-${process.pid}-${Date.now()}`;
    const task = resultOf(
      await peer.rpc('tools/call', { name: 'devbox_exec', arguments: { devbox_id: devbox, command: `echo ${word}` } }, withTasks()),
      'devbox_exec as a task',
    );
    assertCreateTaskResult(task);
    const done = await pollTask(() => taskGet(peer, task.taskId), (t) => TERMINAL_TASK_STATES.includes(t.status), 30000, 'the task to complete');
    assert.equal(done.status, 'completed', JSON.stringify(done));
    assert.ok(done.result, 'the result is inline');
    assert.equal(done.result.isError ?? false, false, JSON.stringify(done.result));
    assert.equal(done.result.structuredContent.exit_code, 0);
    assert.match(done.result.structuredContent.stdout, new RegExp(word));
    assert.ok(done.result.content.some((c) => c.type === 'text' && c.text.includes(word)), 'the text content carries the output');
    assert.equal(done.result._meta?.['io.modelcontextprotocol/related-task'], undefined, 'no related-task _meta on the 2026 form');
    assert.equal(done.error, undefined);
    // Still answered later (a completed task is kept for its ttl).
    assert.equal((await taskGet(peer, task.taskId)).status, 'completed');
  });

  test('without the extension declared, the same call runs synchronously', async () => {
    const { peer, devbox } = ctx;
    const r = resultOf(
      await peer.rpc('tools/call', { name: 'devbox_exec', arguments: { devbox_id: devbox, command: 'echo sync-answer' } }),
      'devbox_exec',
    );
    assert.equal(r.resultType, 'complete');
    assert.equal(r.taskId, undefined, 'no task');
    assert.match(r.structuredContent.stdout, /sync-answer/);
    // And the task methods refuse a client that did not declare the extension (-32021).
    const get = await peer.rpc('tasks/get', { taskId: 'no-such-task' });
    assert.equal(get.error?.code, -32021, JSON.stringify(get));
    assert.ok(get.error.data?.requiredCapabilities?.extensions?.[TASKS_EXT], 'names the extension');
    // With it, an unknown id is -32602.
    const unknown = await peer.rpc('tasks/get', { taskId: 'no-such-task' }, withTasks());
    assert.equal(unknown.error?.code, -32602, JSON.stringify(unknown));
  });
}

describe('runagents-mcp --http: devbox_exec as a 2026-07-28 task (raw fetch)', { skip: NO_SANDBOX }, () => {
  let server;
  modernScenarios(async () => {
    const iso = newIso();
    server = await startHttpServerEnv(PRODUCT, ['--http', ...iso.args], iso.env);
    const peer = httpPeer(server.url);
    return { peer, serverPid: server.child.pid, devbox: await createDevbox(peer, 'tasks-http') };
  });

  test('tasks/get headers: Mcp-Name must name the task', async () => {
    const peer = httpPeer(server.url);
    const devbox = await createDevbox(peer, 'tasks-http-headers');
    const task = resultOf(
      await peer.rpc('tools/call', { name: 'devbox_exec', arguments: { devbox_id: devbox, command: 'true' } }, withTasks()),
      'devbox_exec as a task',
    );
    const body = modernRequest('tasks/get', { taskId: task.taskId }, { capabilities: withTasks() });
    assert.equal(modernHeaders(body)['mcp-name'], task.taskId);
    let r = await post(server.url, body, { headers: { ...modernHeaders(body), 'mcp-name': 'another-task' } });
    assertHttpError(r, { status: 400, code: -32020 });
    const missing = modernHeaders(body);
    delete missing['mcp-name'];
    r = await post(server.url, body, { headers: missing });
    assertHttpError(r, { status: 400, code: -32020 });
    r = await post(server.url, body, { headers: { ...modernHeaders(body), 'mcp-name': `=?base64?${Buffer.from(task.taskId).toString('base64')}?=` } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.result.taskId, task.taskId);
  });
});

describe('runagents-mcp over stdio: devbox_exec as a 2026-07-28 task (raw JSON lines)', { skip: NO_SANDBOX }, () => {
  let stdio;
  modernScenarios(async () => {
    const iso = newIso();
    stdio = new RawStdio(PRODUCT, iso.args, { env: iso.env });
    const peer = stdioPeer(stdio);
    return { peer, serverPid: stdio.pid, devbox: await createDevbox(peer, 'tasks-stdio') };
  });

  test('stdout carries only JSON-RPC, and no notification was sent for the modern tasks', () => {
    stdio.assertStdoutClean();
    const notes = stdio.messages.filter((m) => m && 'method' in m && !('id' in m));
    assert.deepEqual(
      notes.filter((m) => ['notifications/progress', 'notifications/message'].includes(m.method)),
      [],
      'modern tasks carry no progress or log notifications',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The 2025-11-25 experimental tasks with the v1 client.

async function connectV1(kind, iso) {
  const client = new ClientV1({ name: 'runagents-e2e-tasks-v1', version: '0.0.0' }, { capabilities: {} });
  let transport;
  let server;
  if (kind === 'stdio') {
    transport = new StdioV1({ command: PRODUCT, args: iso.args, env: iso.env, stderr: 'pipe' });
    transport.stderr?.on('data', () => {});
  } else {
    server = await startHttpServerEnv(PRODUCT, ['--http', ...iso.args], iso.env);
    transport = new HttpV1(new URL(server.url));
  }
  await withTimeout(client.connect(transport), 15000, `v1 connect over ${kind}`);
  const pid = kind === 'stdio' ? transport.pid : server.child.pid;
  return { client, pid, close: () => withTimeout(client.close(), 3000, 'v1 close').catch(() => {}) };
}

for (const kind of ['http', 'stdio']) {
  describe(`runagents-mcp over ${kind}: devbox_exec as a 2025-11-25 task (v1 client, params.task)`, { skip: NO_SANDBOX }, () => {
    let conn;
    let devbox;
    before(async () => {
      conn = await connectV1(kind, newIso());
      const box = await conn.client.callTool({ name: 'create_devbox', arguments: { name: `tasks-v1-${kind}` } }, undefined, { timeout: 90000 });
      assert.equal(box.isError ?? false, false, JSON.stringify(box.content));
      devbox = box.structuredContent.id;
    });
    after(async () => {
      await conn?.close();
    });

    const call = (args) =>
      conn.client.request(
        { method: 'tools/call', params: { name: 'devbox_exec', arguments: { devbox_id: devbox, ...args }, task: { ttl: 60000 } } },
        CreateTaskResultSchema,
      );
    const get = (taskId) => conn.client.request({ method: 'tasks/get', params: { taskId } }, GetTaskResultSchema);

    test('initialize and tools/list advertise tasks: devbox_exec has execution.taskSupport optional', async () => {
      const caps = conn.client.getServerCapabilities();
      assert.ok(caps.tasks?.requests?.tools?.call, `tasks.requests.tools.call at initialize: ${JSON.stringify(caps.tasks)}`);
      assert.ok(caps.tasks.cancel, 'tasks.cancel');
      const { tools } = await conn.client.request({ method: 'tools/list', params: {} }, ListToolsResultSchema);
      const exec = tools.find((t) => t.name === 'devbox_exec');
      assert.equal(exec.execution?.taskSupport, 'optional');
      const quick = tools.find((t) => t.name === 'list_agents');
      assert.ok([undefined, 'forbidden'].includes(quick.execution?.taskSupport), 'a quick read tool is not a task tool');
    });

    test('create → {task}; tasks/get; tasks/result returns the result with related-task _meta', async () => {
      const word = `legacy-${kind}-${process.pid}`;
      const created = await call({ command: `sleep 1; echo ${word}` });
      assert.equal(typeof created.task.taskId, 'string');
      assert.equal(created.task.status, 'working');
      assert.match(created.task.createdAt, ISO_DATE);
      assert.ok(created.task.ttl === null || Number.isInteger(created.task.ttl), `ttl ${created.task.ttl}`);
      assert.equal(created.resultType, undefined, 'no modern decoration on a legacy answer');
      const id = created.task.taskId;

      const working = await get(id);
      assert.equal(working.taskId, id);
      assert.ok(['working', 'completed'].includes(working.status), working.status);

      // tasks/result blocks until the task is done.
      const result = await conn.client.request({ method: 'tasks/result', params: { taskId: id } }, GetTaskPayloadResultSchema, { timeout: 60000 });
      assert.deepEqual(result._meta?.['io.modelcontextprotocol/related-task'], { taskId: id });
      const parsed = CallToolResultSchema.parse(result);
      assert.equal(parsed.isError ?? false, false);
      assert.match(parsed.structuredContent.stdout, new RegExp(word));
      assert.equal((await get(id)).status, 'completed');

      const list = await conn.client.request({ method: 'tasks/list', params: {} }, ListTasksResultSchema);
      assert.ok(list.tasks.some((t) => t.taskId === id && t.status === 'completed'), 'tasks/list has it');
    });

    test('tasks/cancel of a running one → cancelled, and the process is gone', async () => {
      const m = marker();
      const created = await call({ command: `sleep ${m}`, timeout_seconds: 900 });
      const id = created.task.taskId;
      try {
        await waitUntil(() => sleepers(m).length > 0, 20000, `sleep ${m} to start`);
        assert.equal((await get(id)).status, 'working');
        const cancelled = await conn.client.request({ method: 'tasks/cancel', params: { taskId: id } }, CancelTaskResultSchema);
        assert.equal(cancelled.taskId, id);
        assert.equal(cancelled.status, 'cancelled', 'the legacy cancel answers with the task already cancelled');
        await waitUntil(() => sleepers(m).length === 0, 10000, `sleep ${m} to be killed`);
        // Its sandbox (bwrap) exits once the command is gone: wait for the whole tree.
        await waitUntil(() => under(conn.pid, m).length === 0, 10000, `the sandbox of sleep ${m} to exit`);
        assert.equal((await get(id)).status, 'cancelled');
        // A terminal task cannot be cancelled again (-32602), and has no result.
        await assert.rejects(conn.client.request({ method: 'tasks/cancel', params: { taskId: id } }, CancelTaskResultSchema), (e) => e.code === -32602);
        await assert.rejects(conn.client.request({ method: 'tasks/result', params: { taskId: id } }, GetTaskPayloadResultSchema), (e) => e.code === -32602);
      } finally {
        killSleepers(m);
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Durability: connections and processes.

describe('a task outlives its connection and its process (two runagents-mcp --http on one data dir)', { skip: NO_SANDBOX }, () => {
  let iso;
  let a;
  let b;
  let devbox;
  before(async () => {
    iso = newIso();
    a = await startHttpServerEnv(PRODUCT, ['--http', ...iso.args], iso.env);
    b = await startHttpServerEnv(PRODUCT, ['--http', ...iso.args], iso.env);
    devbox = await createDevbox(httpPeer(a.url), 'tasks-durable');
  });
  afterEach(() => {
    for (const m of markers) killSleepers(m);
  });

  // Each poll on a connection of its own (node:http without an agent, Connection: close).
  async function freshGet(url, taskId) {
    const body = modernRequest('tasks/get', { taskId }, { capabilities: withTasks() });
    const r = await rawRequest(url, {
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', connection: 'close', ...modernHeaders(body) },
      body: JSON.stringify(body),
    });
    assert.equal(r.status, 200, r.text);
    return resultOf(r.json, 'tasks/get');
  }

  test('created over one request, polled from fresh connections until it completes', async () => {
    const word = `outlives-${process.pid}`;
    const task = resultOf(
      await httpPeer(a.url).rpc('tools/call', { name: 'devbox_exec', arguments: { devbox_id: devbox, command: `sleep 2; echo ${word}` } }, withTasks()),
      'devbox_exec as a task',
    );
    assertCreateTaskResult(task);
    const first = await freshGet(a.url, task.taskId);
    assert.equal(first.status, 'working');
    const done = await pollTask(() => freshGet(a.url, task.taskId), (t) => TERMINAL_TASK_STATES.includes(t.status), 30000, 'completion');
    assert.equal(done.status, 'completed');
    assert.match(done.result.structuredContent.stdout, new RegExp(word));
    // The other process reads the same outcome.
    const there = await freshGet(b.url, task.taskId);
    assert.equal(there.status, 'completed');
    assert.deepEqual(there.result.structuredContent, done.result.structuredContent);
  });

  test('the second process answers tasks/get and tasks/cancel; the cancel stops the command the first one runs', async () => {
    const m = marker();
    const task = resultOf(
      await httpPeer(a.url).rpc('tools/call', { name: 'devbox_exec', arguments: { devbox_id: devbox, command: `sleep ${m}`, timeout_seconds: 900 } }, withTasks()),
      'devbox_exec as a task',
    );
    await waitUntil(() => sleepers(m).length > 0, 20000, `sleep ${m} to start`);
    assert.ok(under(a.child.pid, `sleep ${m}`).length > 0, 'the first process runs the command');
    assert.deepEqual(under(b.child.pid, m), [], 'the second does not');

    const seen = await freshGet(b.url, task.taskId);
    assert.equal(seen.status, 'working', JSON.stringify(seen));
    assert.equal(seen.taskId, task.taskId);

    const ack = resultOf(await httpPeer(b.url).rpc('tasks/cancel', { taskId: task.taskId }, withTasks()), 'tasks/cancel on the second process');
    assert.equal(ack.resultType, 'complete');
    const end = await pollTask(() => freshGet(b.url, task.taskId), (t) => TERMINAL_TASK_STATES.includes(t.status), 20000, 'the task to settle');
    assert.equal(end.status, 'cancelled', JSON.stringify(end));
    await waitUntil(() => sleepers(m).length === 0, 10000, `sleep ${m} (run by the first process) to be killed`);
    assert.equal((await freshGet(a.url, task.taskId)).status, 'cancelled', 'the first process agrees');
  });

  test('kill -9 of the process running a task: the other reports it failed with a reason', async () => {
    const m = marker();
    const task = resultOf(
      await httpPeer(a.url).rpc('tools/call', { name: 'devbox_exec', arguments: { devbox_id: devbox, command: `sleep ${m}`, timeout_seconds: 900 } }, withTasks()),
      'devbox_exec as a task',
    );
    await waitUntil(() => sleepers(m).length > 0, 20000, `sleep ${m} to start`);
    assert.equal((await freshGet(b.url, task.taskId)).status, 'working');

    a.child.kill('SIGKILL');
    await waitExit(a.child, 5000, 'the first process to die');
    const end = await pollTask(() => freshGet(b.url, task.taskId), (t) => t.status !== 'working', 15000, 'the task to stop being working');
    assert.equal(end.status, 'failed', JSON.stringify(end));
    assert.match(end.statusMessage ?? '', /exited|died|gone/i, `a reason: ${end.statusMessage}`);
    assert.equal(typeof end.error?.code, 'number', 'failed carries the JSON-RPC error');
    assert.equal(typeof end.error.message, 'string');
    assert.equal(end.result, undefined);
    // The devbox's command died with its server (sandboxes end with their parent).
    await waitUntil(() => sleepers(m).length === 0, 10000, `sleep ${m} to die with its server (pids ${sleepers(m)})`);
  });
});

// ---------------------------------------------------------------------------------------------
// Clean shutdown (issue 14): SIGTERM with a task in flight and an idle keep-alive connection.

describe('SIGTERM to runagents-mcp --http with a task in flight', { skip: NO_SANDBOX }, () => {
  test('exits within 3 s with code 0; the task is failed "server shut down", its command is gone, SQLite is closed', { timeout: 120000 }, async () => {
    const iso = newIso();
    const a = await startHttpServerEnv(PRODUCT, ['--http', ...iso.args], iso.env);
    const devbox = await createDevbox(httpPeer(a.url), 'tasks-sigterm');
    const m = marker();
    // Through the default fetch agent: its keep-alive connection stays open and idle.
    const task = resultOf(
      await httpPeer(a.url).rpc('tools/call', { name: 'devbox_exec', arguments: { devbox_id: devbox, command: `sleep ${m}`, timeout_seconds: 900 } }, withTasks()),
      'devbox_exec as a task',
    );
    await waitUntil(() => sleepers(m).length > 0, 20000, `sleep ${m} to start`);

    const t0 = Date.now();
    a.child.kill('SIGTERM');
    const exit = await waitExit(a.child, 3000, 'exit after SIGTERM');
    assert.ok(exit.at - t0 <= 3000, `exited after ${exit.at - t0} ms`);
    assert.equal(exit.code, 0, a.child.stderrText.slice(-800));
    assert.doesNotMatch(a.child.stderrText, /did not stop within its grace period/, 'the clean path, not the fallback');
    await waitUntil(() => sleepers(m).length === 0, 5000, `sleep ${m} to be killed with its server`);
    // Every SQLite connection was closed: the last one checkpoints the WAL and removes it.
    const wal = path.join(iso.dir, 'data', 'platform.db-wal');
    assert.equal(existsSync(wal), false, `${wal} is left: the database was not closed`);

    // A new process on the same data dir reads the outcome the first one recorded on its way out
    // (not "its process exited", which is what a kill -9 leaves).
    const b = await startHttpServerEnv(PRODUCT, ['--http', ...iso.args], iso.env);
    const end = await taskGet(httpPeer(b.url), task.taskId);
    assert.equal(end.status, 'failed', JSON.stringify(end));
    assert.match(end.statusMessage ?? '', /server shut down/, JSON.stringify(end));
  });
});
