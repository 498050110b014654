// Agents, tools, runs and approvals end to end, offline: the official MCP TypeScript SDK client
// drives the built runagents-mcp over stdio on a fresh data dir (the embedded local platform).
// It lists the ten platform tools, deploys an agent whose echo-tool calls need approval, starts
// it through `runagents-mcp platform serve` (sharing the data dir, as a second process), sees
// the run paused, approves the held call with decide_approval and watches the run complete.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const BUILD_DIR = path.resolve(process.env.RUNAGENTS_BUILD_DIR || 'build');
const BINARY = path.join(BUILD_DIR, 'runagents-mcp');

const PLATFORM_TOOLS = [
  'list_agents', 'get_agent', 'deploy_agent', 'list_tools', 'create_tool',
  'list_runs', 'get_run_events', 'list_approvals', 'decide_approval', 'export_context',
];

const AGENT = `import runagents


def handler(request, ctx):
    answer = ctx.call_tool("echo-tool", path="/echo", payload={"text": request["message"]})
    return {"response": "echoed: " + answer["received"]["text"]}
`;

function runtimeUsable() {
  try {
    execFileSync('bwrap', ['--ro-bind', '/', '/', '--unshare-all', 'true'], { stdio: 'ignore' });
    execFileSync('/usr/bin/python3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let dir;
let client;
let serve;

// Never the user's ~/.runagents: a fresh data dir and a config file that does not exist.
function isolatedArgs() {
  return ['--data-dir', path.join(dir, 'data'), '--config', path.join(dir, 'none.json')];
}

function isolatedEnv() {
  const env = { ...process.env };
  for (const k of ['RUNAGENTS_ENDPOINT', 'RUNAGENTS_API_KEY', 'RUNAGENTS_NAMESPACE', 'RUNAGENTS_DATA_DIR']) delete env[k];
  return env;
}

async function call(name, args = {}) {
  const r = await client.callTool({ name, arguments: args });
  assert.equal(r.isError ?? false, false, `${name}: ${JSON.stringify(r.content)}`);
  assert.ok(r.structuredContent, `${name} returns structuredContent`);
  return r.structuredContent;
}

// Starts `platform serve` on a free port (once) and resolves its base URL.
let served;
const servedBase = () => (served ??= startServe());
function startServe() {
  serve = spawn(BINARY, [...isolatedArgs(), 'platform', 'serve', '--port', '0'], {
    env: isolatedEnv(),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`platform serve did not start: ${text}`)), 10000);
    serve.stderr.on('data', (chunk) => {
      text += chunk;
      const m = text.match(/at (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    serve.once('exit', (code) => reject(new Error(`platform serve exited ${code}: ${text}`)));
  });
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ra-agents-e2e-'));
  const transport = new StdioClientTransport({ command: BINARY, args: isolatedArgs(), env: isolatedEnv(), stderr: 'pipe' });
  client = new Client({ name: 'agents-e2e', version: '1.0.0' });
  await client.connect(transport);
});

after(async () => {
  await client?.close();
  if (serve && serve.exitCode === null) {
    serve.kill('SIGTERM');
    await new Promise((r) => serve.once('exit', r));
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the ten platform tools are listed with input and output schemas', async () => {
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  for (const name of PLATFORM_TOOLS) {
    assert.ok(names.includes(name), `${name} is listed`);
    const tool = tools.find((t) => t.name === name);
    assert.equal(tool.inputSchema.type, 'object');
    assert.equal(tool.outputSchema.type, 'object');
    assert.ok(tool.description.length > 100, `${name} has a description for a model`);
  }
  const readOnly = tools.filter((t) => PLATFORM_TOOLS.includes(t.name) && t.annotations?.readOnlyHint).map((t) => t.name);
  assert.deepEqual(readOnly.sort(), ['export_context', 'get_agent', 'get_run_events', 'list_agents', 'list_approvals', 'list_runs', 'list_tools']);
});

test('deploy an agent, list it, and get an actionable error for a missing tool', async () => {
  const tools = await call('list_tools');
  assert.ok(tools.tools.some((t) => t.name === 'echo-tool'), 'echo-tool is seeded');

  const deployed = await call('deploy_agent', {
    agent_name: 'held-echo',
    source_files: { 'agent.py': AGENT },
    required_tools: ['echo-tool'],
    policies: [{ permission: 'approval_required', tool: 'echo-tool', operations: ['POST'] }],
  });
  assert.equal(deployed.status, 'created');
  assert.equal(deployed.phase, 'Running');
  assert.equal(deployed.analysis.handler_signature, 'handler(request, ctx)');

  const agents = await call('list_agents');
  assert.deepEqual(agents.agents.map((a) => a.name), ['held-echo']);
  assert.equal(agents.agents[0].status, 'Running');

  const missing = await client.callTool({
    name: 'deploy_agent',
    arguments: { agent_name: 'other', source_files: { 'agent.py': AGENT }, required_tools: ['ghost-tool'] },
  });
  assert.equal(missing.isError, true);
  assert.match(missing.content[0].text, /ghost-tool/);
  assert.match(missing.content[0].text, /create_tool/);
});

test('a held tool call is approved through decide_approval and the run completes', { skip: runtimeUsable() ? false : 'bwrap or /usr/bin/python3 not usable here' }, async () => {
  const base = await servedBase();
  const res = await fetch(`${base}/api/agents/default/held-echo/invoke`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ message: 'hello' }),
  });
  const invoked = await res.json();
  assert.equal(invoked.run_status, 'PAUSED_APPROVAL', JSON.stringify(invoked));

  const runs = await call('list_runs', { status: 'PAUSED_APPROVAL' });
  assert.equal(runs.runs[0].id, invoked.run_id);
  const pending = await call('list_approvals');
  assert.equal(pending.count, 1);
  const request = pending.approvals[0];
  assert.equal(request.tool, 'echo-tool');
  assert.equal(request.run_id, invoked.run_id);

  const decided = await call('decide_approval', { request_id: request.id, decision: 'approve', scope: 'once' });
  assert.equal(decided.request.status, 'APPROVED');
  assert.equal(decided.run_status, 'COMPLETED');
  assert.equal(decided.response.response, 'echoed: hello');

  const events = await call('get_run_events', { run_id: invoked.run_id });
  assert.deepEqual(events.events.map((e) => e.type), [
    'RUN_CREATED', 'USER_MESSAGE', 'TOOL_REQUEST', 'APPROVAL_REQUIRED', 'APPROVED', 'RESUMED',
    'TOOL_REQUEST', 'TOOL_RESPONSE', 'AGENT_MESSAGE', 'COMPLETED',
  ]);
  assert.equal(events.run_status, 'COMPLETED');

  const again = await client.callTool({ name: 'decide_approval', arguments: { request_id: request.id, decision: 'reject' } });
  assert.equal(again.isError, true);
  assert.match(again.content[0].text, /already APPROVED/);
});
test('platform serve: the runtime\'s stream shows the hold, and /resume/{action_id} completes the run', { skip: runtimeUsable() ? false : 'bwrap or /usr/bin/python3 not usable here' }, async () => {
  const base = await servedBase();
  const agentPath = `${base}/api/agents/default/held-echo`;
  const res = await fetch(`${agentPath}/invoke/stream`, { method: 'POST', body: JSON.stringify({ message: 'resume me' }) });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-run-status'), 'PAUSED_APPROVAL');
  const runId = res.headers.get('x-run-id');
  const events = (await res.text()).split('\n\n').filter(Boolean);
  assert.equal(events.at(-1), 'data: [DONE]');
  const parsed = events.slice(0, -1).map((l) => JSON.parse(l.slice(6)));
  const held = parsed.find((e) => e.type === 'approval_required');
  assert.ok(held, JSON.stringify(parsed));
  assert.equal(held.tool, 'echo-tool');
  const actionId = held.detail.action_id;
  assert.ok(actionId);
  assert.equal(parsed.at(-1).type, 'done');

  const missing = await fetch(`${agentPath}/resume/${actionId}`, { method: 'POST', body: '{}' });
  assert.equal(missing.status, 400, 'no run id');
  const resumed = await fetch(`${agentPath}/resume/${actionId}`, { method: 'POST', headers: { 'X-Run-ID': runId }, body: '{}' });
  assert.equal(resumed.status, 200);
  assert.equal(resumed.headers.get('x-run-status'), 'COMPLETED');
  const answer = await resumed.json();
  assert.equal(answer.response, 'echoed: resume me');
  assert.equal(answer.handler, 'user');
  assert.deepEqual(answer.tool_calls_made.map((c) => [c.tool, c.status_code]), [['echo-tool', 200]], 'the call made after the resume');
  const again = await fetch(`${agentPath}/resume/${actionId}`, { method: 'POST', headers: { 'X-Run-ID': runId }, body: '{}' });
  assert.equal(again.status, 404, 'the action is no longer held');
  const run = await call('get_run_events', { run_id: runId });
  assert.equal(run.run_status, 'COMPLETED');
});

