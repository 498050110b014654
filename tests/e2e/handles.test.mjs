// Long work for clients without tasks, end to end: the official MCP TypeScript SDK v1 client
// drives the built runagents-mcp over stdio and over Streamable HTTP, each on a fresh data dir.
//   - run_query async: true returns at once with a query_id; run_query {query_id, wait_seconds}
//     polls it to the final result, with progress while waiting; for the embedded runtime, a
//     deployed agent and a RuntimeUse runtime (tests/runtimeuse/test_runtime.mjs);
//   - run_query {query_id, cancel: true} stops it, checked from outside: no sleep and no bwrap
//     child of the server left;
//   - the result carries each pre- and post-agent command's exit code and output tail, redacted;
//   - an unknown id and wrong argument mixes are isError results that say what to do;
//   - manage_devbox execution_status wait_seconds returns as soon as the command ends.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { agentSandboxSkip, killAll, PRODUCT, REPO_ROOT, sleep, startHttpServer, startTestRuntime, trackPid, withTimeout } from './lib.mjs';

const SECRET = 'sk-handles-5ecr3t-77';

const lines = (cmd, args) => {
  try {
    return execFileSync(cmd, args).toString().trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
};
const sleepers = (marker) => lines('pgrep', ['-f', `^sleep ${marker}`]);
const bwrapChildren = (pid) => lines('pgrep', ['-P', String(pid), '-x', 'bwrap']);

const skip = agentSandboxSkip();

function isolatedEnv() {
  const env = { ...process.env };
  for (const k of ['RUNAGENTS_ENDPOINT', 'RUNAGENTS_API_KEY', 'RUNAGENTS_DATA_DIR', 'RUNLOOP_API_KEY', 'RUNTIMEUSE_WS_URL', 'RUNAGENTS_LLM_BASE_URL'])
    delete env[k];
  return env;
}

let runtime;
let runtimeUrl;

before(async () => {
  ({ child: runtime, url: runtimeUrl } = await startTestRuntime());
});

after(async () => {
  if (runtime && runtime.exitCode === null) runtime.kill('SIGKILL');
  await killAll();
});

async function connect(kind, dir) {
  const args = ['--data-dir', path.join(dir, 'data'), '--config', path.join(dir, 'none.json')];
  const client = new Client({ name: `handles-e2e-${kind}`, version: '1.0.0' });
  if (kind === 'stdio') {
    const transport = new StdioClientTransport({ command: PRODUCT, args, env: isolatedEnv(), stderr: 'pipe' });
    transport.stderr?.on('data', () => {});
    await withTimeout(client.connect(transport), 10000, 'connect over stdio');
    trackPid(transport.pid);
    return { client, pid: transport.pid };
  }
  const server = await startHttpServer(PRODUCT, ['--http', ...args], isolatedEnv());
  await withTimeout(client.connect(new StreamableHTTPClientTransport(new URL(server.url))), 10000, 'connect over HTTP');
  return { client, pid: server.child.pid };
}

for (const kind of ['stdio', 'http']) {
  describe(`handles over ${kind}`, { skip }, () => {
    let dir;
    let client;
    let pid;

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), `ra-handles-${kind}-`));
      ({ client, pid } = await connect(kind, dir));
    });

    after(async () => {
      try {
        await withTimeout(client?.close(), 3000, 'client.close');
      } catch {}
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const call = (name, args, options = {}) =>
      client.callTool({ name, arguments: args }, undefined, { timeout: 60000, ...options });
    const query = (args, options) => call('run_query', args, options);

    // Polls like a client with a 60 s per-call limit: each call waits at most `wait` s.
    async function poll(id, { wait = 10, progress = [] } = {}) {
      for (let i = 0; i < 40; i++) {
        const r = await query({ query_id: id, wait_seconds: wait }, { onprogress: (p) => progress.push(p.message ?? '') });
        assert.equal(r.structuredContent?.query_id, id, JSON.stringify(r));
        if (r.structuredContent.status !== 'running') return r;
        assert.ok(r.structuredContent.elapsed_seconds >= 0);
        assert.match(r.content[0].text, /wait_seconds/);
      }
      throw new Error(`query ${id} still running`);
    }

    async function startAsync(args) {
      const t0 = Date.now();
      const r = await query({ ...args, async: true });
      assert.equal(r.isError ?? false, false, JSON.stringify(r.content));
      assert.ok(Date.now() - t0 < 5000, `async start returned at once (${Date.now() - t0} ms)`);
      assert.equal(r.structuredContent.status, 'running');
      assert.match(r.structuredContent.query_id, /^q_[0-9a-f]{24}$/);
      return r.structuredContent.query_id;
    }

    test('embedded runtime: async start, poll with progress to the result; command tails redacted', { timeout: 120000 }, async () => {
      const id = await startAsync({
        prompt: 'Run the tests',
        pre_agent_commands: [{ command: 'sleep 2; echo prepared' }],
        post_agent_commands: [
          { command: 'for i in $(seq 1 80); do echo "test $i ok"; done; echo "all passed with $TOKEN"; echo warn >&2', env: { TOKEN: SECRET } },
        ],
        secrets_to_redact: [SECRET],
      });
      const progress = [];
      const r = await poll(id, { wait: 20, progress });
      await sleep(50);
      assert.equal(r.isError ?? false, false, JSON.stringify(r.content));
      const v = r.structuredContent;
      assert.equal(v.status, 'completed');
      assert.equal(v.result_type, 'text');
      assert.equal(v.target, 'embedded');
      assert.equal(v.metadata.query_id, id);
      assert.match(v.text, /playground-llm/);
      assert.ok(progress.some((p) => p.includes('prepared')), `progress while waiting: ${JSON.stringify(progress)}`);

      assert.equal(v.commands.length, 2);
      assert.deepEqual(v.commands[0], { phase: 'pre-agent', command: 'sleep 2; echo prepared', exit_code: 0, ran: true, output_tail: 'prepared\n', output_truncated: false });
      const post = v.commands[1];
      assert.equal(post.exit_code, 0);
      assert.equal(post.output_truncated, true, 'only the tail of 82 lines is kept');
      const tail = post.output_tail.split('\n').filter(Boolean);
      assert.equal(tail.length, 50);
      assert.deepEqual(tail.slice(-3), ['test 80 ok', 'all passed with [REDACTED]', '[stderr] warn']);
      assert.match(r.content[0].text, /\[post-agent\] .* -> exit code 0\n(.|\n)*all passed with \[REDACTED\]/, 'the text summary shows the post command output');
      assert.ok(!JSON.stringify(r).includes(SECRET), 'secret redacted');
      assert.ok(!JSON.stringify(progress).includes(SECRET), 'secret redacted in progress');

      // The result stays fetchable.
      const again = await query({ query_id: id });
      assert.deepEqual(again.structuredContent, v);
    });

    test('embedded runtime: cancel through the handle leaves no process behind', { timeout: 60000 }, async () => {
      const marker = kind === 'stdio' ? 714 : 715;
      const id = await startAsync({ prompt: 'x', pre_agent_commands: [{ command: `sleep ${marker}` }] });
      for (let i = 0; i < 200 && sleepers(marker).length === 0; i++) await sleep(50);
      assert.ok(sleepers(marker).length > 0, 'the command runs after the start call returned');
      assert.ok(bwrapChildren(pid).length > 0, 'its sandbox is a child of the server');

      const running = await query({ query_id: id });
      assert.equal(running.structuredContent.status, 'running');

      const t0 = Date.now();
      const r = await query({ query_id: id, cancel: true });
      assert.equal(r.isError, true);
      assert.equal(r.structuredContent.status, 'cancelled');
      assert.ok(Date.now() - t0 < 15000, `cancel returned in ${Date.now() - t0} ms`);
      for (let i = 0; i < 40 && (sleepers(marker).length || bwrapChildren(pid).length); i++) await sleep(50);
      assert.deepEqual(sleepers(marker), [], 'no command left');
      assert.deepEqual(bwrapChildren(pid), [], 'no sandbox left under the server');

      const after = await query({ query_id: id, wait_seconds: 1 });
      assert.equal(after.structuredContent.status, 'cancelled');
    });

    test('a deployed agent: async start, poll to the result', { timeout: 90000 }, async () => {
      const agent = `h-echo-${kind}`;
      const deployed = await call('deploy_agent', {
        agent_name: agent,
        source_files: {
          'agent.py': 'import time\n\ndef handler(request, ctx):\n    time.sleep(1.5)\n    return {"response": "echoed: " + request["message"]}\n',
        },
      });
      assert.equal(deployed.isError ?? false, false, JSON.stringify(deployed.content));
      const id = await startAsync({ prompt: 'ping', agent: { name: agent } });
      const r = await poll(id, { wait: 5 });
      assert.equal(r.isError ?? false, false, JSON.stringify(r.content));
      assert.equal(r.structuredContent.target, 'agent');
      assert.equal(r.structuredContent.text, 'echoed: ping');
      assert.equal(r.structuredContent.run_status, 'COMPLETED');
    });

    test('RuntimeUse: async start, poll, command tails and exit codes, cancel', { timeout: 90000 }, async () => {
      const id = await startAsync({
        prompt: 'SLOW:2500',
        runtime_url: runtimeUrl,
        pre_agent_commands: [{ command: 'echo pre-out' }, { command: 'true' }],
        post_agent_commands: [{ command: `echo "post ${SECRET}"; echo post-err >&2` }],
        secrets_to_redact: [SECRET],
      });
      const first = await query({ query_id: id, wait_seconds: 0 });
      assert.equal(first.structuredContent.status, 'running');
      const r = await poll(id, { wait: 5 });
      assert.equal(r.isError ?? false, false, JSON.stringify(r.content));
      const v = r.structuredContent;
      assert.equal(v.target, 'runtimeuse');
      assert.equal(v.text, 'slept');
      assert.deepEqual(v.commands.map((c) => [c.phase, c.exit_code, c.ran]), [['pre-agent', 0, true], ['pre-agent', 0, true], ['post-agent', 0, true]]);
      assert.equal(v.commands[0].output_tail, 'pre-out\n');
      assert.match(v.commands[2].output_tail, /post \[REDACTED\]\n/);
      assert.match(v.commands[2].output_tail, /\[stderr\] post-err\n/);
      assert.ok(!JSON.stringify(r).includes(SECRET));

      // A failing post-command (a test run): its exit code and output come back.
      const failing = await query({ prompt: 'ECHO:done', runtime_url: runtimeUrl, post_agent_commands: [{ command: 'echo "1 test failed"; exit 4' }] });
      assert.equal(failing.isError, true);
      assert.equal(failing.structuredContent.status, 'failed');
      assert.deepEqual(failing.structuredContent.commands, [{ phase: 'post-agent', command: 'echo "1 test failed"; exit 4', exit_code: 4, ran: true, output_tail: '1 test failed\n', output_truncated: false }]);

      const slow = await startAsync({ prompt: 'SLOW:60000', runtime_url: runtimeUrl });
      await sleep(300);
      const t0 = Date.now();
      const cancelled = await query({ query_id: slow, cancel: true });
      assert.equal(cancelled.structuredContent.status, 'cancelled');
      assert.ok(Date.now() - t0 < 10000, `cancel returned in ${Date.now() - t0} ms`);
      // The runtime is free again: a new query runs at once.
      const next = await query({ prompt: 'ECHO:again', runtime_url: runtimeUrl });
      assert.equal(next.structuredContent.text, 'again');
    });

    test('unknown ids and wrong argument mixes say what to do', async () => {
      const unknown = await query({ query_id: 'q_000000000000000000000000', wait_seconds: 1 });
      assert.equal(unknown.isError, true);
      assert.match(unknown.content[0].text, /same --data-dir/);
      assert.match(unknown.content[0].text, /"async": true/);

      const cases = [
        [{}, /prompt is required/],
        [{ query_id: 'q_1', prompt: 'x' }, /not prompt/],
        [{ cancel: true }, /cancel needs query_id/],
        [{ prompt: 'x', wait_seconds: 5 }, /wait_seconds applies to async/],
        [{ query_id: 'q_1', cancel: true, wait_seconds: 3 }, /not both/],
      ];
      for (const [args, re] of cases) {
        const r = await query(args);
        assert.equal(r.isError, true, JSON.stringify(args));
        assert.match(r.content[0].text, re);
      }
      // Defaults a client fills in are not mistakes.
      const defaults = await query({ query_id: 'q_000000000000000000000001', async: false, cancel: false, wait_seconds: 0 });
      assert.match(defaults.content[0].text, /no query q_000000000000000000000001/);
      const tooLong = await query({ query_id: 'q_1', wait_seconds: 51 });
      assert.equal(tooLong.isError, true);
      assert.match(tooLong.content[0].text, /wait_seconds/);
    });

    test('manage_devbox execution_status wait_seconds returns as soon as the command ends', { timeout: 60000 }, async () => {
      const box = await call('create_devbox', { name: `wait-${kind}` });
      assert.equal(box.isError ?? false, false, JSON.stringify(box.content));
      const devbox_id = box.structuredContent.id;
      const started = await call('devbox_exec', { devbox_id, command: 'sleep 2; echo finished', async: true });
      const execution_id = started.structuredContent.execution_id;

      let t0 = Date.now();
      const done = await call('manage_devbox', { action: 'execution_status', devbox_id, execution_id, wait_seconds: 40 });
      const took = Date.now() - t0;
      assert.equal(done.structuredContent.execution.status, 'completed', JSON.stringify(done.structuredContent));
      assert.equal(done.structuredContent.execution.stdout, 'finished\n');
      assert.ok(took < 20000, `returned when the command ended, not after 40 s (${took} ms)`);

      const marker = kind === 'stdio' ? 716 : 717;
      const slow = await call('devbox_exec', { devbox_id, command: `sleep ${marker}`, async: true });
      t0 = Date.now();
      const still = await call('manage_devbox', { action: 'execution_status', devbox_id, execution_id: slow.structuredContent.execution_id, wait_seconds: 1 });
      assert.equal(still.structuredContent.execution.status, 'running');
      assert.ok(Date.now() - t0 >= 900, 'it waited');
      await call('manage_devbox', { action: 'kill_execution', devbox_id, execution_id: slow.structuredContent.execution_id });
      await call('manage_devbox', { action: 'shutdown', devbox_id });
      assert.deepEqual(sleepers(marker), []);
    });
  });
}

test('stdio: a server that exits cancels its background queries (the handle reads cancelled afterwards) and shuts their devboxes down', { skip, timeout: 60000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ra-handles-exit-'));
  try {
    let { client, pid } = await connect('stdio', dir);
    const started = await client.callTool({ name: 'run_query', arguments: { prompt: 'x', async: true, pre_agent_commands: [{ command: 'sleep 718' }] } });
    assert.equal(started.structuredContent.status, 'running');
    for (let i = 0; i < 200 && sleepers(718).length === 0; i++) await sleep(50);
    assert.ok(sleepers(718).length > 0, 'the query runs');
    const t0 = Date.now();
    await client.close(); // stdin closes: the server shuts down
    for (let i = 0; i < 200 && lines('ps', ['-o', 'pid=', '-p', String(pid)]).length; i++) await sleep(50);
    assert.deepEqual(lines('ps', ['-o', 'pid=', '-p', String(pid)]), [], 'the server exited');
    assert.ok(Date.now() - t0 < 10000, `it exited promptly (${Date.now() - t0} ms)`);
    assert.deepEqual(sleepers(718), [], 'nothing of the query is left');

    // A new server on the same data dir: the query's devbox was shut down, not left running.
    ({ client } = await connect('stdio', dir));
    const list = await client.callTool({ name: 'manage_devbox', arguments: { action: 'list' } });
    const boxes = list.structuredContent.devboxes.filter((d) => d.name.startsWith('query-'));
    assert.equal(boxes.length, 1, JSON.stringify(list.structuredContent));
    assert.equal(boxes[0].status, 'shutdown');
    // And the handle outlived its server: it reads as cancelled, through the new one.
    const handle = await client.callTool({ name: 'run_query', arguments: { query_id: started.structuredContent.query_id } });
    assert.equal(handle.structuredContent?.status, 'cancelled', JSON.stringify(handle.content));
    await client.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
