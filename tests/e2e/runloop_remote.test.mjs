// The Runloop SDK suite, through our own remote Runloop client (issue 11, "Tests against clients
// nobody here wrote": "the same suite runs through the remote Runloop client"). runagents-mcp over
// stdio with RUNLOOP_API_KEY and RUNLOOP_BASE_URL pointed at a `platform serve` (which plays
// Runloop) drives, through the MCP tools: create, exec (sync, async with a wait), stdin to a
// running `cat`, file write and read, a snapshot and a devbox made from it, a tunnel to a dev
// server, logs, list paging, shutdown, and an unknown devbox answered as an error that says so.
// Every devbox is made by `platform serve`, none by the MCP server: the test checks that too.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

import { PRODUCT, bwrapUsable, isolatedProduct, killAll, startPlatformServe, waitUntil } from './lib.mjs';

const skip = bwrapUsable() ? false : 'bubblewrap cannot create sandboxes here (devboxes need it)';

const isos = [];
let serve;
let client;

before(async () => {
  if (skip) return;
  const serveIso = isolatedProduct('ra-rl-remote-serve-');
  isos.push(serveIso);
  serve = await startPlatformServe(serveIso);
  const iso = isolatedProduct('ra-rl-remote-mcp-');
  isos.push(iso);
  const env = { ...iso.env, RUNLOOP_API_KEY: 'test-key', RUNLOOP_BASE_URL: serve.base };
  client = new Client({ name: 'runloop-remote-e2e', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: PRODUCT, args: iso.args, env, stderr: 'pipe' }));
});

after(async () => {
  await client?.close();
  await killAll();
  for (const iso of isos) iso.cleanup();
});

const raw = (name, args) => client.callTool({ name, arguments: args }, undefined, { timeout: 90000 });
async function call(name, args) {
  const r = await raw(name, args);
  assert.ok(!r.isError, `${name} ${JSON.stringify(args)} failed: ${JSON.stringify(r.content)}`);
  return r.structuredContent;
}
/** The devbox as `platform serve` (our "Runloop") has it. */
async function onService(id) {
  const res = await fetch(`${serve.base}/v1/devboxes/${id}`, { headers: { authorization: 'Bearer test-key' } });
  return { status: res.status, body: await res.json() };
}

describe('the SDK suite through the remote Runloop client (MCP tools → our client → platform serve)', { skip }, () => {
  let box;

  test('create: the devbox is made by the service and running', { timeout: 90000 }, async () => {
    box = await call('create_devbox', { name: 'remote-suite' });
    assert.equal(box.status, 'running');
    const svc = await onService(box.id);
    assert.equal(svc.status, 200, 'the service knows the devbox');
    assert.equal(svc.body.name, 'remote-suite');
    assert.equal(svc.body.status, 'running');
  });

  test('exec: sync with exit code and streams; async, then wait for it', { timeout: 60000 }, async () => {
    const r = await call('devbox_exec', { devbox_id: box.id, command: 'echo out; echo err >&2; exit 3' });
    assert.equal(r.exit_code, 3);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    const started = await call('devbox_exec', { devbox_id: box.id, command: 'sleep 1; echo later', async: true });
    assert.ok(started.execution_id);
    const done = await call('manage_devbox', { action: 'execution_status', devbox_id: box.id, execution_id: started.execution_id, wait_seconds: 20 });
    assert.equal(done.execution.status, 'completed');
    assert.equal(done.execution.exit_code, 0);
    assert.equal(done.execution.stdout, 'later\n');
  });

  test('stdin to a running cat, then EOF', { timeout: 60000 }, async () => {
    const started = await call('devbox_exec', { devbox_id: box.id, command: 'cat', async: true, attach_stdin: true });
    await call('manage_devbox', { action: 'send_stdin', devbox_id: box.id, execution_id: started.execution_id, text: 'through the client\n' });
    await call('manage_devbox', { action: 'send_stdin', devbox_id: box.id, execution_id: started.execution_id, close: true });
    const done = await call('manage_devbox', { action: 'execution_status', devbox_id: box.id, execution_id: started.execution_id, wait_seconds: 20 });
    assert.equal(done.execution.stdout, 'through the client\n');
  });

  test('files: write, read back, and read by a command', { timeout: 60000 }, async () => {
    await call('manage_devbox', { action: 'write_file', devbox_id: box.id, path: '/home/user/app/note.txt', contents: 'written remotely\n' });
    const read = await call('manage_devbox', { action: 'read_file', devbox_id: box.id, path: '/home/user/app/note.txt' });
    assert.match(JSON.stringify(read), /written remotely/);
    const cat = await call('devbox_exec', { devbox_id: box.id, command: 'cat /home/user/app/note.txt' });
    assert.equal(cat.stdout, 'written remotely\n');
  });

  test('snapshot, and a devbox made from it sees the file', { timeout: 120000 }, async () => {
    const snap = await call('manage_devbox', { action: 'snapshot', devbox_id: box.id, snapshot_name: 'remote-snap' });
    const snapshotId = snap.snapshot?.id ?? snap.snapshot_id;
    assert.ok(snapshotId, JSON.stringify(snap));
    const listed = await call('manage_devbox', { action: 'list_snapshots' });
    assert.ok(JSON.stringify(listed).includes(snapshotId), 'list_snapshots shows it');
    const copy = await call('create_devbox', { name: 'remote-from-snap', snapshot_id: snapshotId });
    assert.equal(copy.status, 'running');
    const cat = await call('devbox_exec', { devbox_id: copy.id, command: 'cat /home/user/app/note.txt' });
    assert.equal(cat.stdout, 'written remotely\n');
    await call('manage_devbox', { action: 'shutdown', devbox_id: copy.id });
  });

  test('tunnel: a dev server in the devbox answers through the URL, and not after remove_tunnel', { timeout: 90000 }, async () => {
    await call('manage_devbox', { action: 'write_file', devbox_id: box.id, path: '/home/user/site/index.txt', contents: 'served remotely\n' });
    await call('devbox_exec', {
      devbox_id: box.id,
      async: true,
      command: 'exec python3 -m http.server 8081 --bind 127.0.0.1 --directory /home/user/site',
    });
    const { tunnel } = await call('manage_devbox', { action: 'tunnel', devbox_id: box.id, port: 8081 });
    assert.match(tunnel.url, /^https?:\/\//);
    let body;
    await waitUntil(async () => {
      try {
        const res = await fetch(`${tunnel.url}/index.txt`, { signal: AbortSignal.timeout(3000) });
        body = await res.text();
        return res.status === 200;
      } catch {
        return false;
      }
    }, 20000, 'the dev server through the tunnel');
    assert.equal(body, 'served remotely\n');
    await call('manage_devbox', { action: 'remove_tunnel', devbox_id: box.id, port: 8081 });
    await assert.rejects(fetch(`${tunnel.url}/index.txt`, { signal: AbortSignal.timeout(3000) }));
  });

  test('logs name the executions and their exit codes', { timeout: 30000 }, async () => {
    const logs = await call('manage_devbox', { action: 'logs', devbox_id: box.id, limit: 200 });
    assert.ok(logs.logs.some((l) => l.source === 'exec' && l.exit_code === 3), JSON.stringify(logs).slice(0, 600));
    assert.ok(logs.logs.some((l) => l.source === 'lifecycle' && l.message === 'status running'));
  });

  test('list pages through every devbox, none twice', { timeout: 120000 }, async () => {
    const extra = [];
    for (let i = 0; i < 3; i++) extra.push((await call('create_devbox', { name: `remote-page-${i}` })).id);
    const seen = [];
    let after;
    for (let page = 0; page < 20; page++) {
      const r = await call('manage_devbox', { action: 'list', limit: 2, ...(after ? { starting_after: after } : {}) });
      const ids = r.devboxes.map((d) => d.id);
      assert.ok(ids.length <= 2, `a page holds at most the limit: ${ids}`);
      seen.push(...ids);
      if (!r.has_more) break;
      after = ids.at(-1);
    }
    assert.equal(new Set(seen).size, seen.length, `no devbox twice: ${seen}`);
    for (const id of [box.id, ...extra]) assert.ok(seen.includes(id), `${id} listed`);
    for (const id of extra) await call('manage_devbox', { action: 'shutdown', devbox_id: id });
  });

  test('shutdown: the service has it shut down; exec on it is an error that says so', { timeout: 60000 }, async () => {
    await call('manage_devbox', { action: 'shutdown', devbox_id: box.id });
    const svc = await onService(box.id);
    assert.equal(svc.body.status, 'shutdown');
    const r = await raw('devbox_exec', { devbox_id: box.id, command: 'true' });
    assert.equal(r.isError, true);
    assert.match(r.content[0].text, /shutdown/);
  });

  test('an unknown devbox: an error that names it; the server keeps serving', { timeout: 30000 }, async () => {
    const r = await raw('manage_devbox', { action: 'get', devbox_id: 'dbx_nope' });
    assert.equal(r.isError, true);
    assert.match(r.content[0].text, /dbx_nope/);
    assert.match(r.content[0].text, /not found|no devbox/i);
    const listed = await call('manage_devbox', { action: 'list' });
    assert.ok(Array.isArray(listed.devboxes));
  });
});
