// Tasks on a remote face are handles on the service's own state (issue 9 §3): with
// RUNLOOP_API_KEY set, a 2026-07-28 devbox_exec task is a Runloop execution, and its task id is
// that handle sealed with the shared state key. Two runagents-mcp replicas stand for two machines
// (separate data dirs, so nothing is shared but the key and the service); `runagents-mcp platform
// serve` plays Runloop (it speaks Runloop's devbox API over local sandboxes).
// - a task created through replica A is polled through B, survives A being killed (no process
//   holds it), and is cancelled through B: the command stops and the task reads `cancelled`;
// - a short command's task completes with the output devbox_exec would return, read from either;
// - timeout_seconds is enforced by the replica that polls after it has passed;
// - an altered or foreign id is "Task not found", and a replica with another key cannot read it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  PRODUCT,
  TERMINAL_TASK_STATES,
  bwrapUsable,
  isolatedProduct,
  killAll,
  killSleepers,
  modernRequest,
  pollTask,
  postModern,
  sleepMarker,
  sleepers,
  startHttpServerEnv,
  startPlatformServe,
  waitExit,
  waitUntil,
  withTasks,
} from './lib.mjs';

const NO_SANDBOX = bwrapUsable() ? false : 'bubblewrap cannot create sandboxes here (devboxes need it)';
const KEY = 'remote-tasks-e2e-shared-state-key-0123456789abcdef';

describe('remote tasks: devbox_exec on the Runloop face', { skip: NO_SANDBOX }, () => {
  const isos = [];
  const markers = [];
  let runloop; // platform serve, standing in for Runloop
  let a;
  let b;
  let devbox;

  const replica = async (key = KEY) => {
    const iso = isolatedProduct('ra-remote-tasks-');
    isos.push(iso);
    const env = { ...iso.env, RUNLOOP_API_KEY: 'test-key', RUNLOOP_BASE_URL: runloop.base, RUNAGENTS_MCP_STATE_KEY: key };
    return startHttpServerEnv(PRODUCT, ['--http', ...iso.args], env);
  };
  const call = async (server, method, params, timeout = 30000, capabilities = withTasks()) => {
    const body = modernRequest(method, params, { capabilities });
    const res = await postModern(server.url, body, { timeout });
    assert.equal(res.status, 200, res.text);
    const reply = res.messages.find((m) => m.id === body.id);
    assert.ok(reply, res.text.slice(0, 400));
    return reply;
  };
  const result = async (...args) => {
    const reply = await call(...args);
    assert.equal(reply.error, undefined, JSON.stringify(reply.error));
    return reply.result;
  };
  const exec = (server, args) => result(server, 'tools/call', { name: 'devbox_exec', arguments: { devbox_id: devbox, ...args } });
  const get = (server, taskId) => result(server, 'tasks/get', { taskId });

  before(async () => {
    const serveIso = isolatedProduct('ra-remote-tasks-runloop-');
    isos.push(serveIso);
    runloop = await startPlatformServe(serveIso);
    a = await replica();
    b = await replica();
    // Without the Tasks extension, so the devbox is created synchronously.
    const box = await result(a, 'tools/call', { name: 'create_devbox', arguments: { name: 'remote-tasks' } }, 120000, {});
    assert.equal(box.isError ?? false, false, JSON.stringify(box.content));
    devbox = box.structuredContent.id;
  });

  after(async () => {
    for (const m of markers) killSleepers(m);
    await killAll();
    for (const iso of isos) iso.cleanup();
  });

  test('a short command: created through A, its result read through B', async () => {
    const task = await exec(a, { command: 'echo from-the-service; echo oops >&2; exit 3' });
    assert.equal(task.resultType, 'task', JSON.stringify(task));
    assert.match(task.taskId, /^rt\./, 'a remote task id');
    assert.equal(task.status, 'working');
    const end = await pollTask(() => get(b, task.taskId), (t) => TERMINAL_TASK_STATES.includes(t.status), 30000, 'the task to complete');
    assert.equal(end.status, 'completed', JSON.stringify(end));
    const out = end.result.structuredContent;
    assert.equal(out.exit_code, 3);
    assert.equal(out.stdout, 'from-the-service\n');
    assert.equal(out.stderr, 'oops\n');
    assert.match(end.result.content[0].text, /exit code 3/);
    // A reads the same outcome.
    assert.deepEqual((await get(a, task.taskId)).result.structuredContent, out);
  });

  test('a long command outlives the replica that started it and is cancelled through another', async () => {
    const m = sleepMarker();
    markers.push(m);
    const task = await exec(a, { command: `sleep ${m}`, timeout_seconds: 900 });
    assert.equal(task.resultType, 'task', JSON.stringify(task));
    await waitUntil(() => sleepers(m).length > 0, 20000, `sleep ${m} to start`);
    // No replica holds the task: the command runs in the service, so A may die.
    a.child.kill('SIGKILL');
    await waitExit(a.child, 10000, 'replica A to die');
    const working = await get(b, task.taskId);
    assert.equal(working.status, 'working', JSON.stringify(working));
    assert.match(working.statusMessage, /is running/);
    assert.ok(sleepers(m).length > 0, 'the command still runs after A died');

    const ack = await result(b, 'tasks/cancel', { taskId: task.taskId });
    assert.deepEqual(Object.keys(ack).filter((k) => k !== '_meta'), ['resultType']);
    await waitUntil(() => sleepers(m).length === 0, 15000, `sleep ${m} to be killed`);
    const end = await pollTask(() => get(b, task.taskId), (t) => TERMINAL_TASK_STATES.includes(t.status), 20000, 'the task to settle');
    assert.equal(end.status, 'cancelled', JSON.stringify(end));
    // A replica started later (a new machine) reads the same.
    a = await replica();
    assert.equal((await get(a, task.taskId)).status, 'cancelled');
  });

  test('timeout_seconds is enforced by the replica that polls after it passed', async () => {
    const m = sleepMarker();
    markers.push(m);
    const task = await exec(b, { command: `sleep ${m}`, timeout_seconds: 2 });
    await waitUntil(() => sleepers(m).length > 0, 20000, `sleep ${m} to start`);
    const end = await pollTask(() => get(a, task.taskId), (t) => TERMINAL_TASK_STATES.includes(t.status), 30000, 'the task to time out');
    assert.equal(end.status, 'completed', JSON.stringify(end));
    assert.equal(end.result.structuredContent.timed_out, true, JSON.stringify(end.result));
    await waitUntil(() => sleepers(m).length === 0, 10000, `sleep ${m} to be killed at the timeout`);
  });

  test('an altered id, or one read by a replica with another key, is not found', async () => {
    const task = await exec(a, { command: 'true' });
    const altered = task.taskId.slice(0, -2) + (task.taskId.endsWith('A') ? 'BB' : 'AA');
    const reply = await call(b, 'tasks/get', { taskId: altered });
    assert.equal(reply.error?.code, -32602, JSON.stringify(reply));
    assert.match(reply.error.message, /Task not found/);
    const stranger = await replica('another-deployment-key-0123456789abcdefghijklmnop');
    const foreign = await call(stranger, 'tasks/get', { taskId: task.taskId });
    assert.equal(foreign.error?.code, -32602, JSON.stringify(foreign));
    const cancel = await call(stranger, 'tasks/cancel', { taskId: task.taskId });
    assert.equal(cancel.error?.code, -32602, JSON.stringify(cancel));
  });
});
