// run_query end to end, offline: the official MCP TypeScript SDK client drives the built
// runagents-mcp over stdio on a fresh data dir.
//   - embedded runtime: downloads from a local HTTP server (a tar.gz and a zip, unpacked) and a
//     file URL, pre- and post-commands with streamed output, the playground agent step, a secret
//     printed by a command never returned, artifacts as resources, structured output valid
//     against a schema (and an error when it cannot be), timeout and cancel leaving no process;
//   - a deployed agent: the query becomes a run; a policy pause names the access request, which
//     decide_approval then approves;
//   - RuntimeUse: the test runtime (tests/runtimeuse/test_runtime.mjs) answers text, streams,
//     uploads an artifact, and a leaked secret is redacted by the server.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { agentSandboxSkip, startTestRuntime } from './lib.mjs';

const BUILD_DIR = path.resolve(process.env.RUNAGENTS_BUILD_DIR || 'build');
const BINARY = path.join(BUILD_DIR, 'runagents-mcp');
const SECRET = 'sk-test-5ecr3t-value-42';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pgrep = (pattern) => {
  try {
    return execFileSync('pgrep', ['-f', pattern]).toString().trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

const skip = agentSandboxSkip();

let dir;
let client;
let files;
let filesBase;
let runtime;
let runtimeUrl;
const stderr = [];

function isolatedEnv() {
  const env = { ...process.env };
  for (const k of ['RUNAGENTS_ENDPOINT', 'RUNAGENTS_API_KEY', 'RUNAGENTS_DATA_DIR', 'RUNLOOP_API_KEY', 'RUNTIMEUSE_WS_URL', 'RUNAGENTS_LLM_BASE_URL']) delete env[k];
  return env;
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ra-queries-e2e-'));
  // Files to download: a tar.gz and a zip made here, served by a local HTTP server.
  const src = path.join(dir, 'src');
  mkdirSync(path.join(src, 'pkg'), { recursive: true });
  writeFileSync(path.join(src, 'pkg', 'hello.txt'), 'hello from the tarball\n');
  writeFileSync(path.join(src, 'notes.md'), '# notes from the zip\n');
  writeFileSync(path.join(dir, 'plain.txt'), 'plain file via file URL\n');
  execFileSync('tar', ['-czf', path.join(dir, 'bundle.tar.gz'), '-C', src, 'pkg']);
  execFileSync('python3', ['-m', 'zipfile', '-c', path.join(dir, 'docs.zip'), path.join(src, 'notes.md')], { cwd: src });
  files = http.createServer((req, res) => {
    const name = decodeURIComponent(req.url.slice(1));
    if (!['bundle.tar.gz', 'docs.zip'].includes(name)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(readFileSync(path.join(dir, name)));
  });
  await new Promise((r) => files.listen(0, '127.0.0.1', r));
  filesBase = `http://127.0.0.1:${files.address().port}`;

  const transport = new StdioClientTransport({
    command: BINARY,
    args: ['--data-dir', path.join(dir, 'data'), '--config', path.join(dir, 'none.json'), '--log-level', 'debug'],
    env: isolatedEnv(),
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (c) => stderr.push(c.toString()));
  client = new Client({ name: 'queries-e2e', version: '1.0.0' });
  await client.connect(transport);
  await client.setLoggingLevel('debug');
});

after(async () => {
  await client?.close();
  files?.close();
  if (runtime && runtime.exitCode === null) runtime.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function query(args, options = {}) {
  const progress = [];
  const result = await client.callTool({ name: 'run_query', arguments: args }, undefined, {
    timeout: 120000,
    onprogress: (p) => progress.push(p.message ?? ''),
    ...options,
  });
  await sleep(50); // let progress handlers that arrived with the response run
  return { result, progress, v: result.structuredContent };
}

function noSecretAnywhere(...things) {
  for (const t of things) assert.ok(!JSON.stringify(t).includes(SECRET), `secret leaked in ${JSON.stringify(t).slice(0, 300)}`);
}

test('run_query is the fourteenth tool', async () => {
  const { tools } = await client.listTools();
  assert.equal(tools.length, 14);
  const t = tools.find((x) => x.name === 'run_query');
  assert.ok(t, 'run_query is listed');
  // prompt is required only to start a query (the handler checks it): query_id polls one.
  assert.equal(t.inputSchema.required, undefined);
  for (const k of ['prompt', 'async', 'query_id', 'wait_seconds', 'cancel']) assert.ok(t.inputSchema.properties[k], `${k} is an argument`);
  assert.match(t.description, /over a minute/);
  assert.equal(t.annotations.readOnlyHint, false);
});

test('embedded runtime: downloads, commands, agent step, artifacts, redaction', { skip, timeout: 120000 }, async () => {
  const { result, progress, v } = await query({
    prompt: 'Summarise the workspace',
    pre_agent_downloadables: [
      { download_url: `${filesBase}/bundle.tar.gz`, working_dir: 'in' },
      { download_url: `${filesBase}/docs.zip`, working_dir: 'in/docs' },
      { download_url: `file://${path.join(dir, 'plain.txt')}`, working_dir: '/home/user/in' },
    ],
    pre_agent_commands: [
      { command: 'cat in/pkg/hello.txt in/docs/notes.md in/plain.txt; echo "token=$TOKEN"', env: { TOKEN: SECRET } },
      { command: 'echo to-stderr >&2', cwd: 'in' },
    ],
    post_agent_commands: [{ command: `mkdir -p out/sub && echo "report with ${SECRET}" > out/report.txt && printf '\\x00\\x01' > out/sub/data.bin` }],
    artifacts_dir: 'out',
    secrets_to_redact: [SECRET],
  });
  assert.equal(result.isError ?? false, false, JSON.stringify(result.content));
  assert.equal(v.result_type, 'text');
  assert.equal(v.target, 'embedded');
  assert.match(v.text, /playground-llm/);
  assert.match(v.text, /Summarise the workspace/);
  assert.match(v.text, /in/, 'the playground reports what it saw in the home');
  assert.ok(v.metadata.usage.total_tokens > 0, 'token usage reported');
  assert.equal(v.metadata.downloads.length, 3);
  assert.deepEqual(v.metadata.commands.map((c) => c.phase), ['unpack', 'unpack', 'pre-agent', 'pre-agent', 'agent', 'post-agent']);
  assert.ok(v.metadata.commands.every((c) => c.exit_code === 0), JSON.stringify(v.metadata.commands));
  // Each pre- and post-agent command with its exit code and output tail, redacted.
  assert.deepEqual(v.commands.map((c) => [c.phase, c.exit_code]), [['pre-agent', 0], ['pre-agent', 0], ['post-agent', 0]]);
  assert.match(v.commands[0].output_tail, /hello from the tarball\n# notes from the zip\nplain file via file URL\ntoken=\[REDACTED\]\n/);
  assert.equal(v.commands[1].output_tail, '[stderr] to-stderr\n');
  assert.equal(v.commands[0].output_truncated, false);

  // Output streamed line by line, the secret never in a progress message.
  for (const line of ['hello from the tarball', '# notes from the zip', 'plain file via file URL', 'token=[REDACTED]', '[stderr] to-stderr'])
    assert.ok(progress.some((p) => p.includes(line)), `progress carried "${line}": ${JSON.stringify(progress)}`);
  assert.ok(progress.some((p) => p.startsWith('[assistant]')), 'the assistant message streamed');
  noSecretAnywhere(progress, result);

  // Artifacts: linked in the result, readable as resources, secrets redacted in them too.
  const names = v.artifacts.map((a) => a.name).sort();
  assert.deepEqual(names, ['report.txt', 'sub/data.bin']);
  const links = result.content.filter((c) => c.type === 'resource_link');
  assert.equal(links.length, 2);
  const report = v.artifacts.find((a) => a.name === 'report.txt');
  const read = await client.readResource({ uri: report.uri });
  assert.equal(read.contents[0].text, 'report with [REDACTED]\n');
  const bin = await client.readResource({ uri: v.artifacts.find((a) => a.name === 'sub/data.bin').uri });
  assert.equal(Buffer.from(bin.contents[0].blob, 'base64').toString('hex'), '0001');
  const listed = await client.listResources();
  assert.ok(listed.resources.some((r) => r.uri === report.uri), 'artifacts are listed');
  // Another server process on the same data dir (a replica) reads them from the task store.
  const replica = new Client({ name: 'queries-e2e-replica', version: '1.0.0' });
  await replica.connect(new StdioClientTransport({
    command: BINARY,
    args: ['--data-dir', path.join(dir, 'data'), '--config', path.join(dir, 'none.json')],
    env: isolatedEnv(),
    stderr: 'ignore',
  }));
  try {
    const again = await replica.readResource({ uri: report.uri });
    assert.equal(again.contents[0].text, 'report with [REDACTED]\n');
    const binAgain = await replica.readResource({ uri: v.artifacts.find((a) => a.name === 'sub/data.bin').uri });
    assert.equal(Buffer.from(binAgain.contents[0].blob, 'base64').toString('hex'), '0001');
    await assert.rejects(replica.readResource({ uri: report.uri.replace('report.txt', 'other.txt') }), /not found/i);
  } finally {
    await replica.close();
  }

  // The fresh devbox is gone.
  const boxes = await client.callTool({ name: 'manage_devbox', arguments: { action: 'get', devbox_id: v.metadata.devbox_id } });
  assert.equal(boxes.structuredContent.devbox.status, 'shutdown');
});

test('embedded runtime: structured output valid against the schema, and a failing pre-command', { skip, timeout: 60000 }, async () => {
  const schema = {
    type: 'object',
    required: ['title', 'count', 'tags', 'when'],
    additionalProperties: false,
    properties: {
      title: { type: 'string', minLength: 3 },
      count: { type: 'integer', minimum: 2, maximum: 5 },
      tags: { type: 'array', minItems: 2, items: { enum: ['a', 'b'] } },
      when: { type: 'string', format: 'date-time' },
    },
  };
  const { result, v } = await query({ prompt: 'Describe it as JSON', output_schema: schema });
  assert.equal(result.isError ?? false, false, JSON.stringify(result.content));
  assert.equal(v.result_type, 'structured_output');
  assert.equal(v.structured_output.count, 2);
  assert.ok(v.structured_output.title.length >= 3);
  assert.equal(v.structured_output.tags.length, 2);

  const impossible = await query({ prompt: 'x', output_schema: { type: 'string', pattern: '^[0-9]+$' } });
  assert.equal(impossible.result.isError, true);
  assert.match(impossible.v.error, /does not match output_schema/);

  const failing = await query({ prompt: 'x', pre_agent_commands: [{ command: 'echo about to fail; exit 3' }] });
  assert.equal(failing.result.isError, true);
  assert.match(failing.v.error, /pre-agent command failed with exit code 3/);
  assert.equal(failing.v.status, 'failed');
  assert.deepEqual(failing.v.commands, [{ phase: 'pre-agent', command: 'echo about to fail; exit 3', exit_code: 3, ran: true, output_tail: 'about to fail\n', output_truncated: false }]);
  assert.match(failing.result.content[0].text, /exit code 3\n {4}about to fail/, 'the text shows what the failing command printed');

  const outside = await client.callTool({ name: 'run_query', arguments: { prompt: 'x', artifacts_dir: '/etc' } });
  assert.equal(outside.isError, true);
  assert.match(outside.content[0].text, /outside the devbox home/);
});

test('embedded runtime: timeout and cancel stop the command and leave no process', { skip, timeout: 60000 }, async () => {
  const t0 = Date.now();
  const { result, v } = await query({ prompt: 'x', timeout_seconds: 2, pre_agent_commands: [{ command: 'sleep 612' }] });
  assert.equal(result.isError, true);
  assert.equal(v.timed_out, true);
  assert.ok(Date.now() - t0 < 15000, `stopped near the limit (${Date.now() - t0} ms)`);
  for (let i = 0; i < 40 && pgrep('^sleep 612').length; i++) await sleep(50);
  assert.deepEqual(pgrep('^sleep 612'), []);

  const controller = new AbortController();
  const pending = client
    .callTool({ name: 'run_query', arguments: { prompt: 'x', pre_agent_commands: [{ command: 'sleep 613' }] } }, undefined, { signal: controller.signal, timeout: 60000 })
    .catch((e) => e);
  for (let i = 0; i < 100 && pgrep('^sleep 613').length === 0; i++) await sleep(50);
  assert.ok(pgrep('^sleep 613').length > 0, 'the command started');
  controller.abort('user cancelled');
  await pending;
  for (let i = 0; i < 60 && pgrep('^sleep 613').length; i++) await sleep(50);
  assert.deepEqual(pgrep('^sleep 613'), [], 'nothing left after the cancel');
});

const AGENT = `def handler(request, ctx):
    answer = ctx.call_tool("echo-tool", path="/echo", payload={"text": request["message"]})
    return {"response": "echoed: " + answer["received"]["text"]}
`;

test('a deployed agent: the query becomes a run; a policy pause names the request to decide', { skip, timeout: 90000 }, async () => {
  let r = await client.callTool({ name: 'deploy_agent', arguments: { agent_name: 'q-echo', source_files: { 'agent.py': AGENT }, required_tools: ['echo-tool'] } });
  assert.equal(r.isError ?? false, false, JSON.stringify(r.content));
  const done = await query({ prompt: 'ping', agent: { name: 'q-echo' } });
  assert.equal(done.result.isError ?? false, false, JSON.stringify(done.result.content));
  assert.equal(done.v.target, 'agent');
  assert.equal(done.v.text, 'echoed: ping');
  assert.equal(done.v.run_status, 'COMPLETED');
  const events = await client.callTool({ name: 'get_run_events', arguments: { run_id: done.v.run_id } });
  assert.equal(events.structuredContent.run_status, 'COMPLETED');

  r = await client.callTool({
    name: 'deploy_agent',
    arguments: {
      agent_name: 'q-held', source_files: { 'agent.py': AGENT }, required_tools: ['echo-tool'],
      policies: [{ permission: 'approval_required', tool: 'echo-tool', operations: ['POST'] }],
    },
  });
  assert.equal(r.isError ?? false, false, JSON.stringify(r.content));
  const held = await query({ prompt: 'hold me', agent: { name: 'q-held', namespace: 'default' } });
  assert.equal(held.result.isError ?? false, false);
  assert.equal(held.v.run_status, 'PAUSED_APPROVAL');
  assert.ok(held.v.approval_request_id, 'names the access request');
  assert.match(held.v.text, new RegExp(`decide_approval \\(request_id=${held.v.approval_request_id}`));
  const decided = await client.callTool({ name: 'decide_approval', arguments: { request_id: held.v.approval_request_id, decision: 'approve' } });
  assert.equal(decided.structuredContent.run_status, 'COMPLETED');

  const missing = await client.callTool({ name: 'run_query', arguments: { prompt: 'x', agent: { name: 'nobody' } } });
  assert.equal(missing.isError, true);
  assert.match(missing.content[0].text, /list_agents/);
});

async function startRuntime() {
  const started = await startTestRuntime();
  runtime = started.child;
  return started.url;
}

test('RuntimeUse: text, streaming, artifacts and redaction against the test runtime', { timeout: 60000 }, async () => {
  runtimeUrl = await startRuntime();
  const text = await query({ prompt: 'ECHO:hello runtime', runtime_url: runtimeUrl });
  assert.equal(text.result.isError ?? false, false, JSON.stringify(text.result.content));
  assert.equal(text.v.target, 'runtimeuse');
  assert.equal(text.v.text, 'hello runtime');

  const stream = await query({ prompt: 'STREAM:3', runtime_url: runtimeUrl });
  assert.equal(stream.progress.filter((p) => p.startsWith('[assistant]')).length, 3, JSON.stringify(stream.progress));

  const leak = await query({ prompt: `LEAK:the key is ${SECRET}`, runtime_url: runtimeUrl, secrets_to_redact: [SECRET] });
  assert.match(leak.v.text, /\[REDACTED\]/);
  noSecretAnywhere(leak.result, leak.progress);

  const art = await query({ prompt: 'ARTIFACT:result.txt:made by the runtime', runtime_url: runtimeUrl, artifacts_dir: path.join(dir, 'rt-artifacts') });
  assert.equal(art.result.isError ?? false, false, JSON.stringify(art.result.content));
  assert.equal(art.v.artifacts.length, 1);
  const read = await client.readResource({ uri: art.v.artifacts[0].uri });
  assert.equal(read.contents[0].text, 'made by the runtime');

  const err = await query({ prompt: 'ERROR:the handler broke', runtime_url: runtimeUrl });
  assert.equal(err.result.isError, true);
  assert.match(err.v.error, /the handler broke/);
});

test('no secret reached the server log', () => {
  assert.ok(!stderr.join('').includes(SECRET), 'stderr of the server never carries the secret');
});
