// `runagents-mcp dev` end to end, as a user runs it: init a project, start dev in it, and use the
// agent runtime's HTTP face with curl-like requests: /healthz, /readyz, /invoke (Tier 2 shape),
// /invoke/stream (the runtime's SSE), the resume path's refusals; the mock tool server receives
// the agent's call; --watch picks up an edit of agent.py on the same port; SIGTERM stops it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { PRODUCT, agentSandboxSkip, killAll, spawnTracked, waitExit, waitUntil } from './lib.mjs';

const skip = agentSandboxSkip();
const env = { ...process.env };
for (const k of ['RUNAGENTS_ENDPOINT', 'RUNAGENTS_API_KEY', 'RUNAGENTS_NAMESPACE', 'RUNAGENTS_DATA_DIR', 'RUNAGENTS_LLM_BASE_URL', 'OPENAI_API_KEY']) delete env[k];

// `runagents-mcp init NAME` in a new directory, then `dev` in the project with `flags`.
async function initAndDev(name, flags) {
  const dir = mkdtempSync(path.join(tmpdir(), `ra-dev-${name}-e2e-`));
  env.HOME = dir;  // its config file, if any, is the test's
  const r = spawnSync(PRODUCT, ['init', name], { cwd: dir, env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const project = path.join(dir, name);
  const dev = spawnTracked(PRODUCT, ['dev', '--port', '0', '--mock-port', '0', ...flags], { cwd: project, env });
  await waitUntil(() => /at http:\/\/127\.0\.0\.1:\d+/.test(dev.stderrText) || dev.exitCode !== null, 20000, 'dev to start');
  const base = dev.stderrText.match(/at (http:\/\/127\.0\.0\.1:\d+)/)?.[1];
  assert.ok(base, `dev printed its address: ${dev.stderrText}`);
  return { dir, project, dev, base };
}

describe('runagents-mcp dev', { skip }, () => {
  let dir;
  let project;
  let dev;
  let base;

  before(async () => {
    ({ dir, project, dev, base } = await initAndDev('demo', ['--watch']));
  });

  after(async () => {
    await killAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const invoke = (route, body, headers = {}) =>
    fetch(`${base}${route}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });

  test('deploys the project and answers /healthz and /readyz as the runtime does', async () => {
    assert.match(dev.stderrText, /deployed default\/demo: created, phase Running/);
    assert.match(dev.stderrText, /mock tools at http:\/\/127\.0\.0\.1:\d+ \(1 tools routed to it\)/);
    const health = await (await fetch(`${base}/healthz`)).json();
    assert.deepEqual(health, { status: 'ok', agent: 'demo', model: 'playground-llm', tools: 1, user_code: true });
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal((await ready.json()).status, 'ready');
  });

  test('/invoke runs the handler in the sandbox; its tool call reaches the mock server', async () => {
    const res = await invoke('/invoke', { message: 'hello dev' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('x-run-id'), /^[0-9a-f-]{36}$/);
    assert.equal(res.headers.get('x-run-status'), 'COMPLETED');
    const a = await res.json();
    assert.equal(a.response, 'playground-llm: you said "hello dev"');
    assert.deepEqual(a.echo, { text: 'hello dev' }, 'the handler\'s own fields pass through');
    assert.equal(a.handler, 'user');
    assert.equal(a.model, 'playground-llm');
    assert.deepEqual(a.usage, {});
    assert.ok(a.duration_ms >= 0);
    assert.match(a.request_id, /^[0-9a-f]{32}$/);
    assert.equal(a.tool_calls_made.length, 1);
    const call = a.tool_calls_made[0];
    assert.equal(call.tool, 'echo-tool');
    assert.equal(call.method, 'POST');
    assert.equal(call.status_code, 200);
    assert.match(call.url, /^http:\/\/127\.0\.0\.1:\d+\/echo-tool\/echo$/);
    assert.equal(call.result.mock, true, 'answered by the mock tool server');
    assert.deepEqual(call.result.received, { text: 'hello dev' });
    assert.match(dev.stderrText, /mock tool: POST \/echo-tool\/echo \{"text": "hello dev"\}/);
    // The runtime's errors.
    assert.equal((await invoke('/invoke', { history: [] })).status, 400);
    const bad = await fetch(`${base}/invoke`, { method: 'POST', body: 'not json' });
    assert.equal(bad.status, 400);
  });

  test('/invoke/stream replays the run as the runtime\'s SSE events, then [DONE]', async () => {
    const res = await invoke('/invoke/stream', { message: 'stream it' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/event-stream/);
    const text = await res.text();
    const lines = text.split('\n\n').filter(Boolean);
    assert.equal(lines.at(-1), 'data: [DONE]');
    const events = lines.slice(0, -1).map((l) => {
      assert.match(l, /^data: /, 'no named event lines');
      return JSON.parse(l.slice(6));
    });
    assert.deepEqual(events.map((e) => e.type), ['tool_call', 'tool_result', 'content', 'done']);
    assert.equal(events[0].tool, 'echo-tool');
    assert.equal(typeof events[0].arguments, 'string');
    assert.match(events[1].result, /"mock":true/);
    assert.equal(events[2].delta, 'playground-llm: you said "stream it"');
    assert.equal(events[3].model, 'playground-llm');
    assert.equal(events[3].tool_calls_made.length, 1);
  });

  test('/resume needs a run id, and refuses an action no run holds', async () => {
    const none = await invoke('/resume/act-1', {});
    assert.equal(none.status, 400);
    assert.deepEqual(await none.json(), { error: 'X-Run-ID header or run_id in body is required' });
    const unknown = await invoke('/resume/act-1', {}, { 'X-Run-ID': 'run-x' });
    assert.equal(unknown.status, 404);
    assert.deepEqual(await unknown.json(), { error: 'checkpoint for action act-1 not found' });
    const route = await fetch(`${base}/nope`);
    assert.equal(route.status, 404);
    assert.match((await route.json()).error, /runagents-mcp dev answers the agent runtime's paths/);
  });

  test('--watch redeploys an edited agent.py on the same port', async () => {
    const file = path.join(project, 'agent.py');
    const source = readFileSync(file, 'utf8');
    writeFileSync(file, source.replace('"response": reply', '"response": "v2 " + reply'));
    await waitUntil(() => (dev.stderrText.match(/deployed default\/demo: updated/g) ?? []).length >= 1, 20000, 'the redeploy');
    const a = await (await invoke('/invoke', { message: 'again' })).json();
    assert.equal(a.response, 'v2 playground-llm: you said "again"');
  });

  test('SIGTERM stops it: exit 0, the port closed', async () => {
    dev.kill('SIGTERM');
    const { code } = await waitExit(dev, 10000, 'dev to stop');
    assert.equal(code, 0);
    await assert.rejects(fetch(`${base}/healthz`));
  });
});

// Without --watch: the handler runs the project as it is on disk, through a read-only mount, so an
// edit is used by the next /invoke without a redeploy; it cannot write into the project, and the
// dev data dir (.runagents) is hidden from it.
describe('runagents-mcp dev runs the project on disk, read-only', { skip }, () => {
  let dir;
  let project;
  let dev;
  let base;

  before(async () => {
    ({ dir, project, dev, base } = await initAndDev('live', []));
  });

  after(async () => {
    await killAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('an edit is used at once; writes into the project fail; .runagents is hidden', async () => {
    assert.match(dev.stderrText, /the handler runs .*live as it is on disk, read-only/);
    writeFileSync(path.join(project, 'notes.txt'), 'from disk\n');
    writeFileSync(path.join(project, 'agent.py'), [
      'import os',
      'def handler(request, ctx):',
      '    try:',
      '        open("written.txt", "w").write("x")',
      '        wrote = "wrote"',
      '    except OSError as e:',
      '        wrote = type(e).__name__ + " " + str(e.errno)',
      '    return {"response": "edited", "notes": open("notes.txt").read(), "wrote": wrote,',
      '            "data_dir": sorted(os.listdir(".runagents")) if os.path.isdir(".runagents") else None}',
      '',
    ].join('\n'));
    const res = await fetch(`${base}/invoke`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ message: 'hi' }) });
    assert.equal(res.status, 200);
    const a = await res.json();
    assert.equal(a.response, 'edited', `the edited agent.py ran without a redeploy: ${JSON.stringify(a)}`);
    assert.equal(a.notes, 'from disk\n', 'a file of the project that deploy does not store');
    assert.equal(a.wrote, 'OSError 30', 'EROFS: the project is mounted read-only');
    assert.deepEqual(a.data_dir, [], 'the dev database under .runagents is not visible');
    assert.equal(existsSync(path.join(project, 'written.txt')), false);
    assert.doesNotMatch(dev.stderrText, /deployed default\/live: updated/);
  });

  test('a project the sandbox user cannot read is refused at start, saying what to do', { skip: process.getuid() !== 0 && 'only a root server runs the handler as another user' }, async () => {
    const closed = path.join(dir, 'closed');
    const r0 = spawnSync(PRODUCT, ['init', 'closed'], { cwd: dir, env, encoding: 'utf8' });
    assert.equal(r0.status, 0, r0.stderr);
    chmodSync(path.join(closed, 'agent.py'), 0o600);
    const r = spawnSync(PRODUCT, ['dev', '--port', '0', '--mock-port', '0'], { cwd: closed, env, encoding: 'utf8', timeout: 20000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /agent\.py cannot be read by the sandbox's user.*chmod -R o\+rX/s);
    assert.equal(existsSync(path.join(closed, '.runagents')), false, 'nothing was created');
  });
});
