// Scale-out without sessions (issue 9 §5): two `runagents-mcp --http` processes on one data dir
// behind a round-robin proxy (round_robin_proxy.mjs: every request to the next upstream, answers
// streamed through) serve one 2026-07-28 client:
// - the SDK v2 client (@modelcontextprotocol/client, pinned to 2026-07-28) lists and calls tools
//   through both replicas;
// - a devbox_exec task created through one replica is polled and cancelled through the other, and
//   the command (run by the first) stops;
// - a run_query handle (async: true) started on one replica is waited on, read and cancelled on
//   the other (the handles live in the data dir's store);
// - an MRTR round trip (decide_approval without decision, auto-fulfilled by the client's
//   elicitation handler) whose two rounds land on different replicas succeeds;
// - closing a call's stream at the proxy cancels the call on the replica running it;
// - a legacy session is bound to one process: through a round-robin proxy its next request lands
//   on the other replica and gets 404 (legacy clients need sticky routing, docs/SCALING.md).
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  ANY_RESULT,
  HELD_AGENT_ARGS,
  MODERN_VERSION,
  PRODUCT,
  PROTOCOL_VERSION,
  TERMINAL_TASK_STATES,
  agentRuntimeUsable,
  bwrapUsable,
  connectV2,
  descendants,
  invokeAgent,
  isolatedProduct,
  killAll,
  killSleepers,
  modernRequest,
  pollTask,
  post,
  postModern,
  sleepMarker,
  sleepers,
  startHttpServerEnv,
  startPlatformServe,
  waitUntil,
  withTasks,
  withTimeout,
} from './lib.mjs';
import { startRoundRobinProxy } from './round_robin_proxy.mjs';

const NO_SANDBOX = bwrapUsable() ? false : 'bubblewrap cannot create sandboxes here (devboxes need it)';
const NO_RUNTIME = agentRuntimeUsable() ? false : 'bwrap or /usr/bin/python3 not usable here (agents cannot run)';
const AGENT = 'scaleout-held-echo';

let iso;
let replicas; // [{child, url}, {child, url}]
let proxy;
const open = [];
const markers = [];

before(async () => {
  iso = isolatedProduct('ra-scaleout-e2e-');
  replicas = [
    await startHttpServerEnv(PRODUCT, ['--http', ...iso.args], iso.env),
    await startHttpServerEnv(PRODUCT, ['--http', ...iso.args], iso.env),
  ];
  proxy = await startRoundRobinProxy(replicas.map((r) => r.url));
});

after(async () => {
  for (const c of open) await c.close();
  for (const m of markers) killSleepers(m);
  await proxy?.close();
  await killAll();
  iso?.cleanup();
});

async function v2(options = {}) {
  const conn = await connectV2('http', { url: proxy.url, ...options });
  assert.equal(conn.client.getNegotiatedProtocolVersion(), MODERN_VERSION);
  assert.equal(conn.transport.sessionId, undefined, 'no session on the modern era');
  open.push(conn);
  return conn;
}

/** The proxy log entries from index `from` on for JSON-RPC `method` (and tool `name`). */
const entries = (from, method, name) => proxy.log.slice(from).filter((e) => e.rpcMethod === method && (name === undefined || e.mcpName === name));

test('the v2 client (pinned to 2026-07-28) lists and calls tools through both replicas', async () => {
  const from = proxy.log.length;
  const { client } = await v2();
  for (let i = 0; i < 3; i++) {
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'devbox_exec'));
    const r = await client.callTool({ name: 'list_tools', arguments: {} });
    assert.equal(r.isError ?? false, false, JSON.stringify(r.content));
    assert.ok(r.structuredContent.tools.some((t) => t.name === 'echo-tool'));
  }
  const served = proxy.log.slice(from);
  assert.ok(served.every((e) => e.status === 200), `every answer 200: ${JSON.stringify(served)}`);
  const upstreams = new Set(served.map((e) => e.upstream));
  assert.deepEqual([...upstreams].sort(), [0, 1], 'both replicas answered');
  // The client caches tools/list for its ttlMs, so it may reach one replica only; the calls
  // reach both.
  assert.ok(entries(from, 'tools/list').length >= 1, 'tools/list went through the proxy');
  assert.deepEqual([...new Set(entries(from, 'tools/call').map((e) => e.upstream))].sort(), [0, 1], 'tools/call on both replicas');
});

describe('devbox tasks through the proxy', { skip: NO_SANDBOX }, () => {
  let conn;
  let devbox;
  before(async () => {
    conn = await v2();
    const box = await conn.client.callTool({ name: 'create_devbox', arguments: { name: 'scaleout' } }, { timeout: 90000 });
    assert.equal(box.isError ?? false, false, JSON.stringify(box.content));
    devbox = box.structuredContent.id;
  });

  // tasks/get and tasks/cancel through the v2 client: the SDK has no task API of its own (2.4.0
  // rejects a CreateTaskResult with UNSUPPORTED_RESULT_TYPE), but request() sends custom methods;
  // the extension is declared in this request's _meta (the connection itself does not declare it,
  // so create_devbox above stays synchronous).
  const taskCall = (method, taskId) =>
    conn.client.request(
      { method, params: { taskId, _meta: { 'io.modelcontextprotocol/clientCapabilities': withTasks() } } },
      ANY_RESULT,
    );

  test('a devbox_exec task created through one replica is polled and cancelled through the other', async () => {
    const m = sleepMarker();
    markers.push(m);
    // Created with a raw request through the proxy (see above: the v2 client cannot take a task).
    const body = modernRequest('tools/call', { name: 'devbox_exec', arguments: { devbox_id: devbox, command: `sleep ${m}`, timeout_seconds: 900 } }, { capabilities: withTasks() });
    const from = proxy.log.length;
    const created = await postModern(proxy.url, body, { timeout: 30000 });
    assert.equal(created.status, 200, created.text);
    const task = created.messages.find((x) => x.id === body.id)?.result;
    assert.equal(task?.resultType, 'task', created.text.slice(0, 400));
    const creator = proxy.log.slice(from).find((e) => e.rpcId === body.id).upstream;
    const other = 1 - creator;

    await waitUntil(() => sleepers(m).length > 0, 20000, `sleep ${m} to start`);
    const runsOn = (i) => descendants(replicas[i].child.pid).some((p) => p.cmdline === `sleep ${m}`);
    assert.ok(runsOn(creator), 'the creating replica runs the command');
    assert.ok(!runsOn(other), 'the other does not');

    // Poll until the other replica has answered tasks/get (round-robin: the next one or the one after).
    const pollFrom = proxy.log.length;
    await waitUntil(
      async () => {
        const t = await taskCall('tasks/get', task.taskId);
        assert.equal(t.status, 'working', JSON.stringify(t));
        return entries(pollFrom, 'tasks/get').some((e) => e.upstream === other);
      },
      10000,
      'a tasks/get answered by the other replica',
    );
    for (const e of entries(pollFrom, 'tasks/get')) assert.equal(e.mcpName, task.taskId, 'the client sends Mcp-Name = taskId');

    // Cancel through the other replica.
    if (proxy.next !== other) await taskCall('tasks/get', task.taskId);
    assert.equal(proxy.next, other);
    const cancelFrom = proxy.log.length;
    const ack = await taskCall('tasks/cancel', task.taskId);
    assert.equal(ack.status, undefined, `an empty ack: ${JSON.stringify(ack)}`);
    assert.equal(entries(cancelFrom, 'tasks/cancel')[0].upstream, other, 'tasks/cancel went to the other replica');

    const end = await pollTask(() => taskCall('tasks/get', task.taskId), (t) => TERMINAL_TASK_STATES.includes(t.status), 20000, 'the task to settle');
    assert.equal(end.status, 'cancelled', JSON.stringify(end));
    await waitUntil(() => sleepers(m).length === 0, 10000, `sleep ${m}, run by replica ${creator}, to be killed`);
    assert.ok(!runsOn(creator));
    assert.ok(proxy.counts[0] > 0 && proxy.counts[1] > 0, `both upstreams used: ${proxy.counts}`);
  });

  test('run_query handles: started on one replica, waited on, read and cancelled on the other', async () => {
    // Raw 2026-07-28 requests straight to each replica, so which one answers is certain.
    const query = async (i, args) => {
      const body = modernRequest('tools/call', { name: 'run_query', arguments: args });
      const r = await postModern(replicas[i].url, body, { timeout: 90000 });
      assert.equal(r.status, 200, r.text);
      const result = r.messages.find((x) => x.id === body.id)?.result;
      assert.ok(result?.structuredContent, r.text.slice(0, 400));
      return result;
    };

    // A query that ends: started on replica 0, waited on and read on replica 1.
    const started = await query(0, { prompt: 'Say hi', async: true, pre_agent_commands: [{ command: 'sleep 2; echo prepared' }] });
    assert.equal(started.structuredContent.status, 'running', JSON.stringify(started.content));
    const id = started.structuredContent.query_id;
    let done;
    for (let i = 0; i < 20 && !done; i++) {
      const r = await query(1, { query_id: id, wait_seconds: 10 });
      assert.equal(r.structuredContent.query_id, id, JSON.stringify(r.content));
      if (r.structuredContent.status !== 'running') done = r;
    }
    assert.ok(done, 'the query ended');
    assert.equal(done.isError ?? false, false, JSON.stringify(done.content));
    assert.equal(done.structuredContent.status, 'completed');
    assert.match(done.structuredContent.text, /playground-llm/);
    assert.equal(done.structuredContent.commands[0].output_tail, 'prepared\n');
    const again = await query(0, { query_id: id });
    assert.deepEqual(again.structuredContent, done.structuredContent, 'both replicas give the same result');

    // A query that runs on: cancelled through replica 1; replica 0 stops its command.
    const m = sleepMarker();
    markers.push(m);
    const slow = await query(0, { prompt: 'x', async: true, pre_agent_commands: [{ command: `sleep ${m}` }] });
    const slowId = slow.structuredContent.query_id;
    await waitUntil(() => sleepers(m).length > 0, 20000, `sleep ${m} to start`);
    assert.ok(descendants(replicas[0].child.pid).some((p) => p.cmdline === `sleep ${m}`), 'replica 0 runs it');
    const running = await query(1, { query_id: slowId, wait_seconds: 1 });
    assert.equal(running.structuredContent.status, 'running');
    const t0 = Date.now();
    const cancelled = await query(1, { query_id: slowId, cancel: true });
    assert.equal(cancelled.structuredContent.status, 'cancelled', JSON.stringify(cancelled.content));
    assert.ok(Date.now() - t0 < 15000, `cancel answered in ${Date.now() - t0} ms`);
    await waitUntil(() => sleepers(m).length === 0, 10000, `sleep ${m}, run by replica 0, to be killed`);
    const after = await query(0, { query_id: slowId });
    assert.equal(after.structuredContent.status, 'cancelled');
  });

  test('aborting a call closes its stream at the proxy, and the replica running it stops the command', async () => {
    const m = sleepMarker();
    markers.push(m);
    const ac = new AbortController();
    const settled = conn.client
      .callTool({ name: 'devbox_exec', arguments: { devbox_id: devbox, command: `sleep ${m}` } }, { signal: ac.signal, timeout: 60000 })
      .then(() => 'resolved', (e) => e);
    await waitUntil(() => sleepers(m).length > 0, 20000, `sleep ${m} to start`);
    ac.abort();
    assert.ok((await withTimeout(settled, 5000, 'the aborted call to settle')) instanceof Error);
    await waitUntil(() => sleepers(m).length === 0, 10000, `sleep ${m} to be killed after the stream closed`);
  });
});

describe('MRTR across replicas', { skip: NO_RUNTIME }, () => {
  let serve;
  before(async () => {
    serve = await startPlatformServe(iso);
    const { client } = await v2();
    const r = await client.callTool({ name: 'deploy_agent', arguments: HELD_AGENT_ARGS(AGENT) }, { timeout: 120000 });
    assert.equal(r.isError ?? false, false, JSON.stringify(r.content));
  });

  test('decide_approval without decision: round 1 on one replica, the retry on the other; the run completes', async () => {
    const invoked = await invokeAgent(serve.base, AGENT, 'across');
    assert.equal(invoked.run_status, 'PAUSED_APPROVAL', JSON.stringify(invoked));
    const asked = [];
    const { client } = await v2({
      capabilities: { elicitation: {} },
      handlers: {
        'elicitation/create': async (req) => {
          asked.push(req.params.message);
          return { action: 'accept', content: { decision: 'approve', scope: 'once' } };
        },
      },
    });
    const pending = await client.callTool({ name: 'list_approvals', arguments: {} });
    const request = pending.structuredContent.approvals.find((a) => a.run_id === invoked.run_id);
    assert.ok(request, JSON.stringify(pending.structuredContent));

    const from = proxy.log.length;
    const r = await client.callTool({ name: 'decide_approval', arguments: { request_id: request.id } }, { timeout: 120000 });
    assert.equal(r.isError ?? false, false, JSON.stringify(r.content));
    assert.equal(r.structuredContent.request.status, 'APPROVED');
    assert.equal(r.structuredContent.run_status, 'COMPLETED');
    assert.equal(r.structuredContent.response.response, 'echoed: across');
    assert.equal(asked.length, 1);
    assert.match(asked[0], new RegExp(AGENT));

    const rounds = entries(from, 'tools/call', 'decide_approval');
    assert.equal(rounds.length, 2, `two rounds: ${JSON.stringify(rounds)}`);
    assert.deepEqual(rounds.map((e) => e.hasInputResponses), [false, true]);
    assert.notEqual(rounds[0].upstream, rounds[1].upstream, 'the rounds landed on different replicas');

    // The key that seals requestState is one file in the data dir, read by both replicas.
    const key = statSync(path.join(iso.dir, 'data', 'mcp-state.key'));
    assert.equal(key.mode & 0o777, 0o600);
  });
});

test('a legacy session is bound to its process: through round-robin its next request gets 404', async () => {
  const init = await post(proxy.url, {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'legacy-through-proxy', version: '0' } },
  });
  assert.equal(init.status, 200, init.text);
  const session = init.headers.get('mcp-session-id');
  assert.ok(session);
  const from = proxy.log.length;
  // The next request goes to the other replica, which never saw the session.
  const r = await post(proxy.url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { session });
  assert.equal(r.status, 404, r.text);
  assert.notEqual(proxy.log[from - 1].upstream, proxy.log[from].upstream);
});
