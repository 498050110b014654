// Runloop's official TypeScript SDK (@runloop/api-client, a devDependency of tests/) drives
// `runagents-mcp platform serve` as it would drive api.runloop.ai: nobody here wrote this client.
// The suite runs twice against its own server: with the SDK's default options, which on Node
// speak HTTP/2 with prior knowledge to an http:// base URL, and with `http2: false` (HTTP/1.1).
// A wrapper around http2.connect counts the SDK's HTTP/2 sessions, so each run proves which
// protocol it used. The server asks for a token, so every call also passes the bearer check.
//
// Not covered yet, because platform serve has no such routes on this branch:
// createAndAwaitRunning (/v1/devboxes/create_and_await_running), executions.sendStdIn, logs,
// retrieveResourceUsage (usage), and tunnels (enableTunnel / removeTunnel).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http2 from 'node:http2';
import { after, before, describe, test } from 'node:test';

import { bwrapUsable, isolatedProduct, startPlatformServe, waitExit } from './lib.mjs';

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

    test('list pages with limit and starting_after', async () => {
      await client.devboxes.create({ name: 'third' });
      const first = await client.devboxes.list({ limit: 1 });
      assert.equal(first.devboxes.length, 1);
      assert.equal(first.has_more, true);
      assert.ok(first.hasNextPage());
      const ids = [];
      for await (const d of client.devboxes.list({ limit: 1 })) ids.push(d.id);
      assert.equal(ids.length, 3, `three devboxes, one page each: ${ids}`);
      assert.equal(new Set(ids).size, 3);
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
