// Storage objects on `runagents-mcp platform serve`, driven by Runloop's own TypeScript SDK
// (@runloop/api-client): the resource client (client.objects.create / retrieve / list /
// complete / download / delete) over the SDK's HTTP/2 default and over HTTP/1.1, the upload and
// download URLs fetched as Runloop's presigned URLs are (a plain fetch, no token), and the SDK's
// object-oriented StorageObject helpers (uploadFromText / downloadAsText, uploadFromBuffer /
// downloadAsBuffer, uploadFromDir). Also: the size cap (413), expired and forged download URLs,
// bad input, and two servers sharing one data dir. No sandbox is needed.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http2 from 'node:http2';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { isolatedProduct, startPlatformServe, waitExit } from './lib.mjs';

let sdk;
try {
  sdk = await import('@runloop/api-client');
} catch {
  sdk = null;
}
const skip = !sdk && '@runloop/api-client is not installed (npm install in tests/)';

const TOKEN = 'objects-test-token';
const STEP = { timeout: 60000 };

/** fetch with a timeout of its own: {status, body (Buffer), json?}. */
async function call(url, init = {}) {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(15000) });
  const body = Buffer.from(await res.arrayBuffer());
  let json;
  try {
    json = JSON.parse(body.toString());
  } catch {
    json = undefined;
  }
  return { status: res.status, body, json, headers: res.headers };
}

/** The status of an SDK call that must fail. */
async function failure(promise) {
  try {
    await promise;
  } catch (e) {
    return { status: e.status, message: String(e.message) };
  }
  assert.fail('the call succeeded');
}

async function stop(serve) {
  serve?.child.kill('SIGTERM');
  if (serve) await waitExit(serve.child, 5000).catch(() => {});
}

const PROTOCOLS = [
  { name: 'the SDK defaults (HTTP/2 with prior knowledge)', options: {} },
  { name: 'http2: false (HTTP/1.1)', options: { http2: false } },
];

for (const protocol of PROTOCOLS) {
  describe(`storage objects with Runloop's SDK, ${protocol.name}`, { skip }, () => {
    let iso;
    let serve;
    let client;
    let object;
    let uploadUrl;
    const content = randomBytes(300 * 1024); // binary, zeros and all, past one read chunk

    before(async () => {
      iso = isolatedProduct('ra-objects-');
      serve = await startPlatformServe(iso, ['--auth-token', TOKEN]);
      client = new sdk.default({
        bearerToken: TOKEN,
        baseURL: serve.base,
        maxRetries: 0,
        ...protocol.options,
      });
    });

    after(async () => {
      await stop(serve);
      iso?.cleanup();
    });

    test('create: UPLOADING, with an upload URL on this server', STEP, async () => {
      object = await client.objects.create({
        name: 'blob.bin',
        content_type: 'binary',
        metadata: { suite: 'objects' },
      });
      assert.match(object.id, /^obj_[0-9a-f]+$/);
      assert.equal(object.state, 'UPLOADING');
      assert.equal(object.name, 'blob.bin');
      assert.equal(object.content_type, 'binary');
      assert.deepEqual(object.metadata, { suite: 'objects' });
      assert.equal(object.size_bytes, null);
      assert.equal(typeof object.create_time_ms, 'number');
      uploadUrl = object.upload_url;
      assert.ok(uploadUrl.startsWith(`${serve.base}/v1/objects/${object.id}/upload?token=`), uploadUrl);
      // upload_url is only on create's answer.
      assert.equal((await client.objects.retrieve(object.id)).upload_url, undefined);
    });

    test('PUT to the upload URL without the token header; wrong tokens and ids refused', STEP, async () => {
      const wrong = uploadUrl.replace(/token=[0-9a-f]+/, 'token=' + '0'.repeat(48));
      const forbidden = await call(wrong, { method: 'PUT', body: 'x' });
      assert.equal(forbidden.status, 403);
      assert.match(forbidden.json.error, /upload token does not match/);
      const noToken = await call(uploadUrl.replace(/\?token=.*/, ''), { method: 'PUT', body: 'x' });
      assert.equal(noToken.status, 403);
      const unknown = await call(`${serve.base}/v1/objects/obj_000000000000000000000000/upload?token=x`, {
        method: 'PUT',
        body: 'x',
      });
      assert.equal(unknown.status, 404);
      assert.match(unknown.json.error, /not found/);
      assert.equal((await client.objects.retrieve(object.id)).size_bytes, null);

      await call(uploadUrl, { method: 'PUT', body: 'an earlier version' });
      const put = await call(uploadUrl, { method: 'PUT', body: content });
      assert.equal(put.status, 200, put.body.toString());
      assert.equal(put.json.size_bytes, content.length);
      const got = await client.objects.retrieve(object.id);
      assert.equal(got.state, 'UPLOADING');
      assert.equal(got.size_bytes, content.length);
    });

    test('complete: READ_ONLY; a second complete and a PUT after it answer 409', STEP, async () => {
      const done = await client.objects.complete(object.id);
      assert.equal(done.state, 'READ_ONLY');
      assert.equal(done.size_bytes, content.length);
      const again = await failure(client.objects.complete(object.id));
      assert.equal(again.status, 409);
      assert.match(again.message, /READ_ONLY/);
      const late = await call(uploadUrl, { method: 'PUT', body: 'too late' });
      assert.equal(late.status, 409);
      assert.match(late.json.error, /READ_ONLY/);
    });

    test('download: a URL with a duration, fetched without the token, gives the same bytes', STEP, async () => {
      const { download_url } = await client.objects.download(object.id, { duration_seconds: 120 });
      assert.ok(download_url.startsWith(`${serve.base}/v1/objects/${object.id}/content?`), download_url);
      const res = await call(download_url);
      assert.equal(res.status, 200);
      assert.ok(res.body.equals(content), 'downloaded bytes equal the uploaded ones');
      // Runloop's default duration when none is given.
      const dflt = await client.objects.download(object.id);
      const expires = Number(new URL(dflt.download_url).searchParams.get('expires_ms'));
      assert.ok(Math.abs(expires - (Date.now() + 3600 * 1000)) < 60000);

      const forged = new URL(download_url);
      forged.searchParams.set('expires_ms', String(Number(forged.searchParams.get('expires_ms')) + 1000));
      const bad = await call(forged.toString());
      assert.equal(bad.status, 403);
      assert.match(bad.json.error, /signature does not match/);
      assert.equal((await failure(client.objects.download(object.id, { duration_seconds: 0 }))).status, 400);

      const brief = await client.objects.download(object.id, { duration_seconds: 1 });
      await new Promise((r) => setTimeout(r, 1200));
      const expired = await call(brief.download_url);
      assert.equal(expired.status, 410);
      assert.match(expired.json.error, /expired/);
    });

    test('list: cursor pages by id, newest first, with has_more and total_count', STEP, async () => {
      const more = [];
      for (let i = 0; i < 3; i++) {
        more.push((await client.objects.create({ name: `page-${i}.txt`, content_type: 'text' })).id);
      }
      const first = await client.objects.list({ limit: 2 });
      assert.equal(first.objects.length, 2);
      assert.equal(first.has_more, true);
      assert.equal(first.total_count, 4);
      assert.deepEqual(first.objects.map((o) => o.id), [more[2], more[1]]);
      const ids = [];
      for await (const o of client.objects.list({ limit: 2 })) ids.push(o.id);
      assert.deepEqual(ids, [more[2], more[1], more[0], object.id]);
      const texts = await client.objects.list({ content_type: 'text', name: 'PAGE-1' });
      assert.deepEqual(texts.objects.map((o) => o.id), [more[1]]);
      const uploading = await client.objects.list({ state: 'UPLOADING' });
      assert.equal(uploading.total_count, 3);
      const pub = await client.objects.listPublic();
      assert.deepEqual(pub.objects, []);
    });

    test('delete: DELETED, the content and its URLs gone, no longer listed', STEP, async () => {
      const { download_url } = await client.objects.download(object.id, { duration_seconds: 120 });
      const gone = await client.objects.delete(object.id);
      assert.equal(gone.state, 'DELETED');
      assert.equal((await client.objects.retrieve(object.id)).state, 'DELETED');
      const res = await call(download_url);
      assert.equal(res.status, 404);
      assert.match(res.json.error, /deleted/);
      assert.equal((await failure(client.objects.download(object.id))).status, 409);
      const listed = [];
      for await (const o of client.objects.list({ limit: 50 })) listed.push(o.id);
      assert.ok(!listed.includes(object.id));
      const deleted = await client.objects.list({ state: 'DELETED' });
      assert.deepEqual(deleted.objects.map((o) => o.id), [object.id]);
    });

    test('bad input: unknown ids 404, bad bodies 400, no token 401', STEP, async () => {
      const missing = 'obj_0123456789abcdef01234567';
      assert.equal((await failure(client.objects.retrieve(missing))).status, 404);
      assert.equal((await failure(client.objects.complete(missing))).status, 404);
      assert.equal((await failure(client.objects.delete(missing))).status, 404);
      assert.equal((await failure(client.objects.download(missing))).status, 404);
      const zip = await failure(client.objects.create({ name: 'x', content_type: 'zip' }));
      assert.equal(zip.status, 400);
      assert.match(zip.message, /content_type/);
      assert.equal((await failure(client.objects.create({ content_type: 'text' }))).status, 400);
      assert.equal((await failure(client.objects.create({ name: 'x', content_type: 'text', ttl_ms: -5 }))).status, 400);
      assert.equal((await failure(client.objects.list({ limit: 0 }))).status, 400);
      assert.equal((await failure(client.objects.list({ starting_after: missing }))).status, 404);
      const raw = await call(`${serve.base}/v1/objects`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
        body: '{not json',
      });
      assert.equal(raw.status, 400);
      const anonymous = await call(`${serve.base}/v1/objects`);
      assert.equal(anonymous.status, 401);
      const anonymousComplete = await call(`${serve.base}/v1/objects/${missing}/complete`, { method: 'POST' });
      assert.equal(anonymousComplete.status, 401);
    });

    test("the SDK's StorageObject helpers: uploadFromText, downloadAsText, uploadFromBuffer, uploadFromDir", STEP, async () => {
      const runloop = new sdk.RunloopSDK({
        bearerToken: TOKEN,
        baseURL: serve.base,
        maxRetries: 0,
        ...protocol.options,
      });
      const text = 'héllo from the SDK\nline two\n';
      const t = await runloop.storageObject.uploadFromText(text, 'greeting.txt', { metadata: { k: 'v' } });
      const info = await t.getInfo();
      assert.equal(info.state, 'READ_ONLY');
      assert.equal(info.content_type, 'text');
      assert.equal(info.size_bytes, Buffer.byteLength(text));
      assert.equal(await t.downloadAsText(), text);

      const bytes = randomBytes(4096);
      const b = await runloop.storageObject.uploadFromBuffer(bytes, 'raw.bin', 'binary');
      assert.ok((await b.downloadAsBuffer()).equals(bytes));

      const dir = path.join(iso.dir, 'project');
      mkdirSync(path.join(dir, 'src'), { recursive: true });
      writeFileSync(path.join(dir, 'src', 'main.py'), 'print("hi")\n');
      const d = await runloop.storageObject.uploadFromDir(dir, { name: 'project.tgz' });
      const dinfo = await d.getInfo();
      assert.equal(dinfo.content_type, 'tgz');
      assert.equal(dinfo.state, 'READ_ONLY');
      const tgz = await d.downloadAsBuffer();
      assert.equal(tgz.length, dinfo.size_bytes);
      assert.deepEqual([...tgz.subarray(0, 2)], [0x1f, 0x8b]); // gzip

      await t.delete();
      assert.equal((await t.getInfo()).state, 'DELETED');
    });
  });
}

describe('storage objects: the size cap and two servers on one data dir', { skip }, () => {
  let iso;
  let a;
  let b;

  before(async () => {
    iso = isolatedProduct('ra-objects-cap-');
    a = await startPlatformServe(iso, ['--max-object-bytes', '1000']);
    b = await startPlatformServe(iso, []);
  });

  after(async () => {
    await stop(a);
    await stop(b);
    iso?.cleanup();
  });

  test('an upload past --max-object-bytes answers 413 and keeps what the object had', STEP, async () => {
    const client = new sdk.default({ bearerToken: 'unused', baseURL: a.base, maxRetries: 0, http2: false });
    const o = await client.objects.create({ name: 'small', content_type: 'binary' });
    const ok = await call(o.upload_url, { method: 'PUT', body: Buffer.alloc(1000, 7) });
    assert.equal(ok.status, 200);
    const big = await call(o.upload_url, { method: 'PUT', body: Buffer.alloc(1001, 8) });
    assert.equal(big.status, 413);
    assert.match(big.json.error, /1000-byte limit/);
    // Without a declared length (a chunked body), the cap is found while writing.
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new Uint8Array(600));
        controller.enqueue(new Uint8Array(600));
        controller.close();
      },
    });
    const chunked = await call(o.upload_url, { method: 'PUT', body: stream, duplex: 'half' });
    assert.equal(chunked.status, 413);
    const kept = await client.objects.complete(o.id);
    assert.equal(kept.size_bytes, 1000);
    // The server still answers on a fresh request.
    assert.equal((await client.objects.retrieve(o.id)).state, 'READ_ONLY');
  });

  test('the upload and download URLs over HTTP/2 (prior knowledge), 413 included', STEP, async () => {
    /** One HTTP/2 request: {status, body}. */
    const h2 = (url, method, body) =>
      new Promise((resolve, reject) => {
        const u = new URL(url);
        const session = http2.connect(u.origin);
        session.on('error', reject);
        const req = session.request({ ':method': method, ':path': u.pathname + u.search });
        const chunks = [];
        let status = 0;
        req.on('response', (h) => (status = h[':status']));
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
          session.close();
          resolve({ status, body: Buffer.concat(chunks) });
        });
        req.on('error', reject);
        req.setTimeout(15000, () => reject(new Error('HTTP/2 request timed out')));
        req.end(body);
      });
    const client = new sdk.default({ bearerToken: 'unused', baseURL: a.base, maxRetries: 0 });
    const o = await client.objects.create({ name: 'h2.bin', content_type: 'binary' });
    const bytes = randomBytes(900);
    const put = await h2(o.upload_url, 'PUT', bytes);
    assert.equal(put.status, 200, put.body.toString());
    assert.equal((await h2(o.upload_url, 'PUT', Buffer.alloc(1001))).status, 413);
    await client.objects.complete(o.id);
    const { download_url } = await client.objects.download(o.id, { duration_seconds: 60 });
    const got = await h2(download_url, 'GET');
    assert.equal(got.status, 200);
    assert.ok(got.body.equals(bytes));
  });

  test('created and uploaded on one server, completed and downloaded on another', STEP, async () => {
    const ca = new sdk.default({ bearerToken: 'unused', baseURL: a.base, maxRetries: 0 });
    const cb = new sdk.default({ bearerToken: 'unused', baseURL: b.base, maxRetries: 0 });
    const o = await ca.objects.create({ name: 'shared.txt', content_type: 'text' });
    assert.equal((await call(o.upload_url, { method: 'PUT', body: 'shared content' })).status, 200);
    assert.equal((await cb.objects.complete(o.id)).state, 'READ_ONLY');
    const { download_url } = await cb.objects.download(o.id, { duration_seconds: 60 });
    assert.ok(download_url.startsWith(b.base));
    assert.equal((await call(download_url)).body.toString(), 'shared content');
    // A URL from one server is good on the other: the signature lives with the object.
    const onA = download_url.replace(b.base, a.base);
    assert.equal((await call(onA)).body.toString(), 'shared content');
    assert.equal((await ca.objects.delete(o.id)).state, 'DELETED');
    assert.equal((await call(download_url)).status, 404);
  });
});
