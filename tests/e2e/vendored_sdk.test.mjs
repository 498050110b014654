// An agent that ships its own copy of the RunAgents SDK (tests/fixtures/vendored_sdk: a fixture
// package written here to the SDK 1.2.1 agent API, laid out as `pip install --target .` leaves it)
// deployed through the MCP client. Its `import runagents` finds its own copy, not the platform's
// shim, yet Agent().call_tool and Agent().chat go through the platform's egress: policy applies,
// an approval_required policy pauses the run and decide_approval resumes it. Deploy reports no
// tools found inside the vendored SDK and notes the runagents requirement.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { agentSandboxSkip } from './lib.mjs';

const BUILD_DIR = path.resolve(process.env.RUNAGENTS_BUILD_DIR || 'build');
const BINARY = path.join(BUILD_DIR, 'runagents-mcp');
const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/vendored_sdk');

const skip = agentSandboxSkip();

/** Every file under `root` as {relative path: text}. */
export function readTree(root, prefix = '') {
  const out = {};
  for (const name of readdirSync(path.join(root, prefix))) {
    const rel = prefix ? `${prefix}/${name}` : name;
    if (name === '__pycache__') continue;
    if (statSync(path.join(root, rel)).isDirectory()) Object.assign(out, readTree(root, rel));
    else out[rel] = readFileSync(path.join(root, rel), 'utf8');
  }
  return out;
}

let dir;
let client;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ra-vendored-e2e-'));
  const env = { ...process.env };
  for (const k of ['RUNAGENTS_ENDPOINT', 'RUNAGENTS_API_KEY', 'RUNAGENTS_NAMESPACE', 'RUNAGENTS_DATA_DIR', 'RUNAGENTS_LLM_BASE_URL']) delete env[k];
  const transport = new StdioClientTransport({
    command: BINARY,
    args: ['--data-dir', path.join(dir, 'data'), '--config', path.join(dir, 'none.json')],
    env,
    stderr: 'pipe',
  });
  client = new Client({ name: 'vendored-sdk-e2e', version: '1.0.0' });
  await client.connect(transport);
});

after(async () => {
  await client?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function call(name, args) {
  const r = await client.callTool({ name, arguments: args }, undefined, { timeout: 120000 });
  assert.equal(r.isError ?? false, false, `${name}: ${JSON.stringify(r.content)}`);
  return r.structuredContent;
}

test('deploy notes the vendored SDK and finds no tools inside it', async () => {
  const files = readTree(FIXTURE);
  assert.ok(files['runagents/runtime.py'].includes('TOOL_URL_PREFIXES'), 'the fixture has the words that misled deploy');
  const d = await call('deploy_agent', { agent_name: 'vendored', source_files: files, required_tools: ['echo-tool'], dry_run: true });
  assert.equal(d.phase, 'Running', JSON.stringify(d));
  assert.deepEqual(d.warnings, [], 'no bogus warnings (tools prefixes/rewrites, models, secrets)');
  assert.deepEqual(d.analysis.tools.map((t) => t.name), ['echo-tool']);
  assert.equal(d.analysis.handler_signature, 'handler(request, ctx)');
  assert.ok(d.notes.some((n) => n.startsWith('runagents/ is third-party code')), JSON.stringify(d.notes));
  assert.ok(d.notes.some((n) => /requirements name runagents and the agent ships its own copy/.test(n)), JSON.stringify(d.notes));
});

test('its own SDK calls echo-tool and the model through the egress; approval pauses and resumes', { skip, timeout: 120000 }, async () => {
  const files = readTree(FIXTURE);
  let d = await call('deploy_agent', { agent_name: 'vendored', source_files: files, required_tools: ['echo-tool'] });
  assert.equal(d.phase, 'Running');
  const done = await call('run_query', { prompt: 'hello', agent: { name: 'vendored' } });
  assert.equal(done.run_status, 'COMPLETED', JSON.stringify(done));
  const events = await call('get_run_events', { run_id: done.run_id });
  const request = events.events.find((e) => e.type === 'TOOL_REQUEST');
  assert.equal(request.data.tool, 'echo-tool');
  assert.equal(request.data.policy, 'allow');
  assert.equal(request.data.path, '/echo');
  const message = events.events.find((e) => e.type === 'AGENT_MESSAGE');
  assert.equal(message.data.content, 'echo: hello; model: playground-llm: you said "hello"');
  const runs = await call('list_runs', { agent: 'vendored' });
  assert.ok(runs.runs.some((r) => r.id === done.run_id));

  // Policy applies to the vendored SDK's calls: denied without required_tools or a policy.
  d = await call('deploy_agent', { agent_name: 'vendored-denied', source_files: files });
  const denied = await call('run_query', { prompt: 'x', agent: { name: 'vendored-denied' } }).catch((e) => e);
  const deniedEvents = await call('list_runs', { agent: 'vendored-denied' });
  const deniedRun = await call('get_run_events', { run_id: deniedEvents.runs[0].id });
  const deniedRequest = deniedRun.events.find((e) => e.type === 'TOOL_REQUEST');
  assert.equal(deniedRequest.data.policy, 'deny', JSON.stringify(denied));

  d = await call('deploy_agent', {
    agent_name: 'vendored-held', source_files: files, required_tools: ['echo-tool'],
    policies: [{ permission: 'approval_required', tool: 'echo-tool', operations: ['POST'] }],
  });
  assert.equal(d.phase, 'Running');
  const held = await call('run_query', { prompt: 'pay 5', agent: { name: 'vendored-held' } });
  assert.equal(held.run_status, 'PAUSED_APPROVAL', JSON.stringify(held));
  assert.ok(held.approval_request_id);
  const decided = await call('decide_approval', { request_id: held.approval_request_id, decision: 'approve' });
  assert.equal(decided.run_status, 'COMPLETED', JSON.stringify(decided));
  assert.equal(decided.response.response, 'echo: pay 5; model: playground-llm: you said "pay 5"');
  assert.equal(decided.response.sdk, 'vendored', 'the agent imported its own copy of runagents');
  assert.equal(decided.response.resumed, true);
  assert.deepEqual(decided.response.tools, ['echo-tool']);
});
