// Runloop's official TypeScript SDK (@runloop/api-client, a devDependency of tests/) drives
// `runagents-mcp platform serve` as it would drive api.runloop.ai: nobody here wrote this client.
// The suite runs twice against its own server: with the SDK's default options, which on Node
// speak HTTP/2 with prior knowledge to an http:// base URL, and with `http2: false` (HTTP/1.1).
// A wrapper around http2.connect counts the SDK's HTTP/2 sessions, so each run proves which
// protocol it used. The server asks for a token, so every call also passes the bearer check.
//
// Tunnels: enableTunnel gives the devbox its TunnelView; locally a port is opened with the per-port
// create_tunnel (the SDK's generic client.post, over the same transport), whose URL is fetched
// from here; removeTunnel closes it. Every fetch has its own timeout and every test a timeout, so
// a step that waits for ever fails the run instead of hanging it (a tunnel once ended a
// connection to a server still starting with an orderly close, and Node's fetch then waited for
// ever).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http2 from 'node:http2';
import { after, before, describe, test } from 'node:test';

import { bwrapUsable, isolatedProduct, startPlatformServe, waitExit, waitUntil } from './lib.mjs';

let sdk;
try {
  sdk = await import('@runloop/api-client');
} catch {
  sdk = null;
}
const skip = !sdk
  ? '@runloop/api-client is not installed (npm install in tests/)'
  : !bwrapUsable() && 'bubblewrap cannot create sandboxes here';

const TOKEN = 'sdk-test-token';
const STEP = { timeout: 90000 };  // per test: a step that waits for ever fails the run

/** GET `url` with a timeout of its own: {status, body, ms}, or {error: code, ms}. */
async function get(url, ms = 10000) {
  const started = performance.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(ms) });
    return { status: res.status, body: await res.text(), ms: performance.now() - started };
  } catch (e) {
    return { error: e.cause?.code ?? e.name, ms: performance.now() - started };
  }
}

// Every HTTP/2 session the SDK opens goes through http2.connect (lib/h2-transport/session).
let h2Sessions = 0;
const connect = http2.connect;
http2.connect = (...args) => {
  h2Sessions += 1;
  return connect(...args);
};

const PROTOCOLS = [
  { name: 'the SDK defaults (HTTP/2 with prior knowledge)', options: {}, http2: true },
  { name: 'http2: false (HTTP/1.1)', options: { http2: false }, http2: false },
];

for (const protocol of PROTOCOLS) {
  describe(`Runloop TypeScript SDK with ${protocol.name}`, { skip }, () => {
    let iso;
    let serve;
    let client;
    let box;
    let sessionsBefore;

    before(async () => {
      sessionsBefore = h2Sessions;
      iso = isolatedProduct('ra-rl-sdk-');
      serve = await startPlatformServe(iso, ['--auth-token', TOKEN]);
      client = new sdk.default({
        bearerToken: TOKEN,
        baseURL: serve.base,
        maxRetries: 0,
        ...protocol.options,
      });
    });

    after(async () => {
      serve?.child.kill('SIGTERM');
      if (serve) await waitExit(serve.child, 5000).catch(() => {});
      iso?.cleanup();
    });

    test('create, then awaitRunning', async () => {
      const created = await client.devboxes.create({ name: 'sdk-box', metadata: { suite: 'sdk' } });
      assert.match(created.id, /^dbx_/);
      assert.equal(created.name, 'sdk-box');
      assert.deepEqual(created.metadata, { suite: 'sdk' });
      box = await client.devboxes.awaitRunning(created.id);
      assert.equal(box.status, 'running');
      assert.equal((await client.devboxes.retrieve(box.id)).status, 'running');
    });

    test('executeAndAwaitCompletion (execute, then the wait_for_status long poll)', async () => {
      const e = await client.devboxes.executeAndAwaitCompletion(box.id, {
        command: 'echo hi; sleep 1; echo bye >&2; exit 4',
      });
      assert.equal(e.status, 'completed');
      assert.equal(e.exit_status, 4);
      assert.equal(e.stdout, 'hi\n');
      assert.equal(e.stderr, 'bye\n');
      const quick = await client.devboxes.execute(box.id, {
        command: 'echo quick',
        command_id: randomUUID(),
        optimistic_timeout: 10,
      });
      assert.equal(quick.status, 'completed');
      assert.equal(quick.stdout, 'quick\n');
    });

    test('executeAsync, then executions.awaitCompleted', async () => {
      const started = await client.devboxes.executeAsync(box.id, { command: 'sleep 1; echo async' });
      assert.match(started.execution_id, /^exe_/);
      assert.notEqual(started.status, 'completed');
      const done = await client.devboxes.executions.awaitCompleted(box.id, started.execution_id);
      assert.equal(done.status, 'completed');
      assert.equal(done.exit_status, 0);
      assert.equal(done.stdout, 'async\n');
    });

    test('streamStdoutUpdates yields chunks before the command completes', async () => {
      const e = await client.devboxes.executeAsync(box.id, { command: 'echo one; sleep 2; echo two' });
      const started = performance.now();
      const stream = await client.devboxes.executions.streamStdoutUpdates(box.id, e.execution_id);
      const chunks = [];
      for await (const chunk of stream) chunks.push({ ...chunk, at: performance.now() - started });
      assert.equal(chunks.map((c) => c.output).join(''), 'one\ntwo\n');
      assert.ok(chunks[0].at < 1500, `first chunk after ${chunks[0].at.toFixed(0)} ms`);
      assert.ok(chunks.at(-1).at - chunks[0].at > 1000, 'the last chunk came when the command wrote it');
    });

    test('writeFileContents and readFileContents; uploadFile and downloadFile', async () => {
      await client.devboxes.writeFileContents(box.id, { file_path: 'notes/a.txt', contents: 'héllo\nwörld' });
      assert.equal(await client.devboxes.readFileContents(box.id, { file_path: 'notes/a.txt' }), 'héllo\nwörld');
      const bytes = Buffer.from([0, 1, 2, 0xfe, 0xff, 10, 13, 0x80]);
      await client.devboxes.uploadFile(box.id, { path: 'bin/blob', file: await sdk.toFile(bytes, 'blob') });
      const res = await client.devboxes.downloadFile(box.id, { path: 'bin/blob' });
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
      const seen = await client.devboxes.executeSync(box.id, { command: 'od -An -tx1 bin/blob | tr -d " \\n"' });
      assert.equal(seen.stdout, '000102feff0a0d80');
    });

    test('snapshotDisk, then a devbox created from the snapshot has the files', async () => {
      const snap = await client.devboxes.snapshotDisk(box.id, { name: 'sdk-snap', metadata: { k: 'v' } });
      assert.match(snap.id, /^snp_/);
      assert.equal(snap.source_devbox_id, box.id);
      const restored = await client.devboxes.awaitRunning(
        (await client.devboxes.create({ snapshot_id: snap.id, name: 'from-snap' })).id,
      );
      assert.equal(await client.devboxes.readFileContents(restored.id, { file_path: 'notes/a.txt' }), 'héllo\nwörld');
      const snapshots = [];
      for await (const s of client.devboxes.listDiskSnapshots({ limit: 1 })) snapshots.push(s.id);
      assert.deepEqual(snapshots, [snap.id]);
    });

    test('enableTunnel, a dev server fetched through the tunnel, removeTunnel', STEP, async () => {
      await client.devboxes.writeFileContents(box.id, { file_path: 'site/hello.txt', contents: 'hello through the tunnel\n' });
      const server = await client.devboxes.executeAsync(box.id, {
        command: 'exec python3 -m http.server 8080 --bind 127.0.0.1 --directory /home/user/site',
      });
      const view = await client.devboxes.enableTunnel(box.id);
      assert.equal(view.auth_mode, 'open');
      assert.equal(typeof view.tunnel_key, 'string');
      assert.ok(view.tunnel_key.length > 0);
      assert.equal(typeof view.create_time_ms, 'number');
      assert.equal((await client.devboxes.retrieve(box.id)).tunnel?.tunnel_key, view.tunnel_key);
      assert.deepEqual(await client.devboxes.enableTunnel(box.id), view, 'enabled again: the same tunnel');

      // The per-port create_tunnel (Runloop's legacy call; locally the one that opens a port).
      const nothing = await client.post(`/v1/devboxes/${box.id}/create_tunnel`, { body: { port: 9 } });
      assert.equal(nothing.port, 9);
      assert.match(nothing.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      // Nothing listens on 9: the connection waits for a listener, then is reset (an error, never
      // an empty answer or a hang).
      const refused = await get(`${nothing.url}/`);
      assert.equal(refused.error, 'ECONNRESET', JSON.stringify(refused));
      assert.ok(refused.ms > 2000, `reset after the grace, not at once: ${refused.ms.toFixed(0)} ms`);

      const tunnel = await client.post(`/v1/devboxes/${box.id}/create_tunnel`, { body: { port: 8080 } });
      assert.deepEqual({ devbox_id: tunnel.devbox_id, port: tunnel.port }, { devbox_id: box.id, port: 8080 });
      assert.notEqual(tunnel.url, nothing.url);
      // A fetch made while the server may still be starting waits for it to listen; retried only
      // when python takes longer than the tunnel's grace to start (a loaded machine).
      let page;
      await waitUntil(async () => {
        page = await get(`${tunnel.url}/hello.txt`);
        return page.status === 200;
      }, 30000, `the devbox's http.server through ${tunnel.url}`);
      assert.equal(page.body, 'hello through the tunnel\n');
      const many = await Promise.all(Array.from({ length: 6 }, () => get(`${tunnel.url}/hello.txt`)));
      for (const r of many) assert.equal(r.body, 'hello through the tunnel\n', JSON.stringify(r));

      await client.devboxes.removeTunnel(box.id);
      assert.deepEqual((await get(`${tunnel.url}/hello.txt`, 5000)).error, 'ECONNREFUSED');
      assert.deepEqual((await get(`${nothing.url}/`, 5000)).error, 'ECONNREFUSED');
      const after = await client.devboxes.retrieve(box.id);
      assert.equal(after.tunnel ?? null, null, 'no tunnel once removed');
      await client.devboxes.removeTunnel(box.id);  // again: nothing to remove, no error

      const killed = await client.devboxes.executions.kill(box.id, server.execution_id);
      assert.equal(killed.status, 'completed');
    });

    test('update sets the name and replaces the metadata', STEP, async () => {
      const renamed = await client.devboxes.update(box.id, { name: 'sdk-box-2' });
      assert.equal(renamed.name, 'sdk-box-2');
      assert.deepEqual(renamed.metadata, { suite: 'sdk' }, 'metadata left out: unchanged');
      const retagged = await client.devboxes.update(box.id, { metadata: { suite: 'sdk', step: 'update' } });
      assert.equal(retagged.name, 'sdk-box-2', 'name left out: unchanged');
      assert.deepEqual(retagged.metadata, { suite: 'sdk', step: 'update' });
      assert.deepEqual((await client.devboxes.retrieve(box.id)).metadata, { suite: 'sdk', step: 'update' });
      await assert.rejects(
        client.devboxes.update(box.id, { metadata: { n: 1 } }),
        (e) => e instanceof sdk.BadRequestError && /metadata\.n/.test(e.message),
      );
      assert.deepEqual((await client.devboxes.retrieve(box.id)).metadata, { suite: 'sdk', step: 'update' }, 'a refused update changes nothing');
      await assert.rejects(client.devboxes.update('dbx_missing', { name: 'x' }), (e) => e instanceof sdk.NotFoundError);
    });

    test('deleteDiskSnapshot: gone from the list, no devbox from it; the devbox made from it keeps its files', STEP, async () => {
      const snap = await client.devboxes.snapshotDisk(box.id, { name: 'to-delete' });
      const child = await client.devboxes.awaitRunning((await client.devboxes.create({ snapshot_id: snap.id })).id);
      await client.devboxes.deleteDiskSnapshot(snap.id);
      const status = await client.devboxes.diskSnapshots.queryStatus(snap.id);
      assert.equal(status.status, 'deleted');
      const left = [];
      for await (const s of client.devboxes.listDiskSnapshots()) left.push(s.id);
      assert.ok(!left.includes(snap.id), `${snap.id} still listed: ${left}`);
      assert.equal(await client.devboxes.readFileContents(child.id, { file_path: 'notes/a.txt' }), 'héllo\nwörld');
      await assert.rejects(client.devboxes.create({ snapshot_id: snap.id }), (e) => e instanceof sdk.NotFoundError);
      await assert.rejects(client.devboxes.deleteDiskSnapshot('snp_missing'), (e) => e instanceof sdk.NotFoundError);
      await client.devboxes.shutdown(child.id);
    });

    test('list pages with limit and starting_after', async () => {
      await client.devboxes.create({ name: 'third' });
      const first = await client.devboxes.list({ limit: 1 });
      assert.equal(first.devboxes.length, 1);
      assert.equal(first.has_more, true);
      assert.ok(first.hasNextPage());
      const ids = [];
      for await (const d of client.devboxes.list({ limit: 1 })) ids.push(d.id);
      // box, the one from the snapshot, the one from the deleted snapshot and this one.
      assert.equal(ids.length, 4, `four devboxes, one page each: ${ids}`);
      assert.equal(new Set(ids).size, 4);
      assert.ok(ids.includes(box.id));
    });

    test('shutdown', async () => {
      const down = await client.devboxes.shutdown(box.id);
      assert.equal(down.status, 'shutdown');
      assert.equal((await client.devboxes.retrieve(box.id)).status, 'shutdown');
    });

    test('errors map to the SDK error classes: 404 NotFoundError, 401 AuthenticationError, 400 BadRequestError', async () => {
      await assert.rejects(client.devboxes.retrieve('dbx_missing'), (e) => {
        assert.ok(e instanceof sdk.NotFoundError, `${e.constructor.name}: ${e.message}`);
        assert.equal(e.status, 404);
        assert.match(e.message, /dbx_missing/);
        return true;
      });
      const stranger = new sdk.default({ bearerToken: 'wrong', baseURL: serve.base, maxRetries: 0, ...protocol.options });
      await assert.rejects(stranger.devboxes.list(), (e) => e instanceof sdk.AuthenticationError && e.status === 401);
      await assert.rejects(
        client.devboxes.executeSync(box.id, {}),
        (e) => e instanceof sdk.BadRequestError && /command/.test(e.message),
      );
    });

    test(`the calls went over ${protocol.http2 ? 'HTTP/2' : 'HTTP/1.1'}`, () => {
      if (protocol.http2) assert.ok(h2Sessions > sessionsBefore, 'the SDK opened HTTP/2 sessions');
      else assert.equal(h2Sessions, sessionsBefore, 'no HTTP/2 session with http2: false');
    });
  });
}
