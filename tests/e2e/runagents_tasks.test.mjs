// run_query as a 2026-07-28 task on the RunAgents face is a handle on the RunAgents run (issue 9
// §3): with RUNAGENTS_ENDPOINT set, a task of a deployed-agent query makes the run (POST /runs),
// invokes it with X-Run-ID, and its task id is the run's handle sealed with the shared state key.
// `runagents-mcp platform serve` plays RunAgents (local agents in sandboxes, no real model); two
// runagents-mcp replicas with separate data dirs stand for two machines.
// - a query created through replica A completes, polled through B only, with the result the
//   synchronous call gives;
// - a second query (an agent that sleeps) is cancelled through B: the run is FAILED in the service,
//   the agent's process under platform serve is gone, and both replicas read `cancelled`;
// - past timeout_seconds the run is set FAILED and the task ends with the synchronous call's
//   timed-out error.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  PRODUCT,
  TERMINAL_TASK_STATES,
  agentSandboxSkip,
  descendants,
  isolatedProduct,
  killAll,
  modernRequest,
  pollTask,
  postModern,
  startHttpServerEnv,
  startPlatformServe,
  waitUntil,
  withTasks,
} from './lib.mjs';

const KEY = 'runagents-tasks-e2e-shared-state-key-0123456789abcdef';

const ANSWER_SOURCE = `def handler(request, ctx):
    return {"response": "answered: " + request["message"]}
`;
const SLEEPY_SOURCE = `import time


def handler(request, ctx):
    time.sleep(300)
    return {"response": "woke up"}
`;

describe('remote tasks: run_query on the RunAgents face', { skip: agentSandboxSkip() }, () => {
  const isos = [];
  let serve; // platform serve, standing in for RunAgents
  let a;
  let b;

  const replica = async () => {
    const iso = isolatedProduct('ra-runagents-tasks-');
    isos.push(iso);
    const env = { ...iso.env, RUNAGENTS_ENDPOINT: serve.base, RUNAGENTS_MCP_STATE_KEY: KEY };
    return startHttpServerEnv(PRODUCT, ['--http', ...iso.args], env);
  };
  const result = async (server, method, params, capabilities = withTasks()) => {
    const body = modernRequest(method, params, { capabilities });
    const res = await postModern(server.url, body, { timeout: 60000 });
    assert.equal(res.status, 200, res.text);
    const reply = res.messages.find((m) => m.id === body.id);
    assert.ok(reply, res.text.slice(0, 400));
    assert.equal(reply.error, undefined, JSON.stringify(reply.error));
    return reply.result;
  };
  const query = (server, args) => result(server, 'tools/call', { name: 'run_query', arguments: args });
  const get = (server, taskId) => result(server, 'tasks/get', { taskId });
  const run = async (id) => (await fetch(`${serve.base}/runs/${id}`)).json();
  const agentProcesses = () => descendants(serve.child.pid).filter((p) => p.cmdline.includes('_runagents_platform/runner.py'));

  before(async () => {
    const serveIso = isolatedProduct('ra-runagents-tasks-serve-');
    isos.push(serveIso);
    serve = await startPlatformServe(serveIso);
    a = await replica();
    b = await replica();
    for (const [name, source] of [['answerer', ANSWER_SOURCE], ['sleeper', SLEEPY_SOURCE]]) {
      // Without the Tasks extension: a plain synchronous deploy through replica A.
      const d = await result(a, 'tools/call', { name: 'deploy_agent', arguments: { agent_name: name, source_files: { 'agent.py': source } } }, {});
      assert.equal(d.isError ?? false, false, JSON.stringify(d.content));
      assert.equal(d.structuredContent.phase, 'Running', JSON.stringify(d.structuredContent));
    }
  });

  after(async () => {
    await killAll();
    for (const iso of isos) iso.cleanup();
  });

  test('a query created through A is polled to completion through B', async () => {
    const task = await query(a, { prompt: 'two plus two', agent: { name: 'answerer' } });
    assert.equal(task.resultType, 'task', JSON.stringify(task));
    assert.match(task.taskId, /^rt\./, 'a remote task id: the handle on the run');
    const end = await pollTask(() => get(b, task.taskId), (t) => TERMINAL_TASK_STATES.includes(t.status), 60000, 'the query to complete');
    assert.equal(end.status, 'completed', JSON.stringify(end));
    const out = end.result.structuredContent;
    assert.equal(end.result.isError ?? false, false, JSON.stringify(end.result));
    assert.equal(out.status, 'completed');
    assert.equal(out.result_type, 'text');
    assert.equal(out.text, 'answered: two plus two');
    assert.equal(out.target, 'agent');
    assert.equal(out.run_status, 'COMPLETED');
    assert.equal(out.metadata.agent, 'default/answerer');
    assert.match(end.result.content[0].text, /^answered: two plus two/);
    // The service has the run the handle names, and A reads the same result.
    assert.equal((await run(out.run_id)).status, 'COMPLETED');
    assert.deepEqual((await get(a, task.taskId)).result.structuredContent, out);
  });

  test('a query cancelled through B: the run is FAILED and its agent process is gone', async () => {
    const task = await query(a, { prompt: 'sleep', agent: { name: 'sleeper' }, timeout_seconds: 600 });
    assert.equal(task.resultType, 'task', JSON.stringify(task));
    await waitUntil(() => agentProcesses().length > 0, 30000, 'the agent to run under platform serve');
    const working = await get(b, task.taskId);
    assert.equal(working.status, 'working', JSON.stringify(working));
    assert.match(working.statusMessage, /of agent default\/sleeper is RUNNING/);

    const ack = await result(b, 'tasks/cancel', { taskId: task.taskId });
    assert.deepEqual(Object.keys(ack).filter((k) => k !== '_meta'), ['resultType']);
    await waitUntil(() => agentProcesses().length === 0, 15000, 'the agent process to be stopped');
    const end = await pollTask(() => get(b, task.taskId), (t) => TERMINAL_TASK_STATES.includes(t.status), 20000, 'the task to settle');
    assert.equal(end.status, 'cancelled', JSON.stringify(end));
    assert.equal((await get(a, task.taskId)).status, 'cancelled');
    // The service says so too: the run is FAILED, and its events say who stopped it.
    const runs = await (await fetch(`${serve.base}/runs?agent_id=sleeper&status=FAILED`)).json();
    assert.equal(runs.length, 1, JSON.stringify(runs));
    const events = await (await fetch(`${serve.base}/runs/${runs[0].id}/events`)).json();
    assert.ok(events.some((e) => e.actor === 'runagents-mcp tasks/cancel'), JSON.stringify(events));
  });

  test('past timeout_seconds the run is stopped and the task gives the timed-out answer', async () => {
    const task = await query(b, { prompt: 'sleep', agent: { name: 'sleeper' }, timeout_seconds: 2 });
    assert.equal(task.resultType, 'task', JSON.stringify(task));
    const end = await pollTask(() => get(a, task.taskId), (t) => TERMINAL_TASK_STATES.includes(t.status), 30000, 'the query to time out');
    assert.equal(end.status, 'completed', JSON.stringify(end));
    assert.equal(end.result.isError, true, JSON.stringify(end.result));
    const out = end.result.structuredContent;
    assert.equal(out.timed_out, true, JSON.stringify(out));
    assert.equal(out.result_type, 'error');
    assert.match(out.error, /did not answer within 2 s/);
    assert.equal((await run(out.run_id)).status, 'FAILED');
    await waitUntil(() => agentProcesses().length === 0, 15000, 'the agent process to be stopped at the timeout');
  });
});
