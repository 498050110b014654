// `platform serve` over HTTP/2 cleartext, driven by Node's built-in http2 client (prior
// knowledge, as Runloop's TypeScript SDK does) and by curl (prior knowledge and the h2c
// upgrade): the same routes, the same protections (401, 403, 413) and the same answers as over
// HTTP/1.1; many streams share one connection without waiting for each other; a streaming route
// delivers its chunks as they are produced; a stream the client resets frees its worker; stopping
// the server ends open connections.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import http2 from 'node:http2';
import { after, before, describe, test } from 'node:test';

import { bwrapUsable, isolatedProduct, startPlatformServe, waitExit, withTimeout } from './lib.mjs';

const TOKEN = 'h2-test-token';
const sandboxes = bwrapUsable();

function curlHasHttp2() {
  try {
    return /\bHTTP2\b/.test(execFileSync('curl', ['--version']).toString());
  } catch {
    return false;
  }
}

function connect(base) {
  const session = http2.connect(base);
  session.on('error', () => {});
  return session;
}

/**
 * One request on `session`. Resolves {status, headers, text, json(), firstDataMs, endMs} with
 * the times (since the request was sent) of the first DATA and of the end.
 */
function h2(session, { method = 'GET', path, headers = {}, body } = {}) {
  return withTimeout(
    new Promise((resolve, reject) => {
      const started = performance.now();
      const stream = session.request({ ':method': method, ':path': path, ...headers });
      const chunks = [];
      let status;
      let responseHeaders;
      let firstDataMs;
      stream.on('response', (h) => {
        status = h[':status'];
        responseHeaders = h;
      });
      stream.on('data', (c) => {
        if (firstDataMs === undefined) firstDataMs = performance.now() - started;
        chunks.push(c);
      });
      stream.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({
          status,
          headers: responseHeaders,
          text,
          json: () => JSON.parse(text),
          firstDataMs,
          endMs: performance.now() - started,
        });
      });
      stream.on('error', reject);
      if (body !== undefined) stream.end(body);
      else stream.end();
    }),
    60000,
    `${method} ${path} over HTTP/2`,
  );
}

const json = (value) => ({
  body: JSON.stringify(value),
  headers: { 'content-type': 'application/json' },
});

async function h1(base, path, init = {}) {
  const res = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(60000) });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

describe('platform serve over HTTP/2', () => {
  let iso;
  let serve;
  let session;

  before(async () => {
    iso = isolatedProduct('ra-h2-');
    serve = await startPlatformServe(iso);
    session = connect(serve.base);
  });

  after(async () => {
    session?.destroy();
    serve?.child.kill('SIGTERM');
    if (serve) await waitExit(serve.child, 5000).catch(() => {});
    iso?.cleanup();
  });

  test('prior knowledge: GET /healthz and a 404 answer as over HTTP/1.1', async () => {
    const r = await h2(session, { path: '/healthz' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { status: 'ok' });
    assert.match(r.headers['content-type'], /application\/json/);
    assert.equal(r.headers.connection, undefined, 'no HTTP/1.1 connection headers in HTTP/2');

    const missing = await h2(session, { path: '/v1/devboxes/dbx_missing' });
    const missing1 = await h1(serve.base, '/v1/devboxes/dbx_missing');
    assert.equal(missing.status, 404);
    assert.equal(missing.text, missing1.text, 'the same body over both protocols');

    const noRoute = await h2(session, { path: '/nowhere?x=1' });
    assert.equal(noRoute.status, 404);
    assert.match(noRoute.json().error, /no route for GET \/nowhere/);
  });

  test('POST /v1/devboxes, then execute_sync, over one HTTP/2 connection', { skip: !sandboxes && 'bubblewrap cannot create sandboxes here' }, async () => {
    const created = await h2(session, { method: 'POST', path: '/v1/devboxes', ...json({ name: 'h2-box' }) });
    assert.equal(created.status, 200, created.text);
    const box = created.json();
    assert.equal(box.name, 'h2-box');
    const ran = await h2(session, {
      method: 'POST',
      path: `/v1/devboxes/${box.id}/execute_sync`,
      ...json({ command: 'echo "über h2"; echo err >&2; exit 3' }),
    });
    assert.equal(ran.status, 200, ran.text);
    assert.deepEqual(
      { exit_status: ran.json().exit_status, stdout: ran.json().stdout, stderr: ran.json().stderr },
      { exit_status: 3, stdout: 'über h2\n', stderr: 'err\n' },
    );
    const bad = await h2(session, { method: 'POST', path: `/v1/devboxes/${box.id}/execute_sync`, ...json({}) });
    assert.equal(bad.status, 400);
    assert.match(bad.json().error, /command/);
  });

  test('many concurrent streams on one connection; a slow one holds none of the others', { skip: !sandboxes && 'bubblewrap cannot create sandboxes here' }, async () => {
    const box = (await h2(session, { method: 'POST', path: '/v1/devboxes', ...json({}) })).json();
    const slow = h2(session, {
      method: 'POST',
      path: `/v1/devboxes/${box.id}/execute_sync`,
      ...json({ command: 'sleep 2; echo slow' }),
    });
    const started = performance.now();
    const fast = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        i % 2 ? h2(session, { path: '/healthz' }) : h2(session, { path: `/v1/devboxes/${box.id}` }),
      ),
    );
    const fastMs = performance.now() - started;
    for (const r of fast) assert.equal(r.status, 200);
    assert.ok(fast.filter((r, i) => i % 2 === 0).every((r) => r.json().id === box.id));
    assert.ok(fastMs < 1500, `60 fast streams took ${fastMs.toFixed(0)} ms beside a 2 s one`);
    const s = await slow;
    assert.equal(s.json().stdout, 'slow\n');
    assert.ok(s.endMs >= 1900);
  });

  test('stream_stdout_updates delivers chunks before the command completes', { skip: !sandboxes && 'bubblewrap cannot create sandboxes here' }, async () => {
    const box = (await h2(session, { method: 'POST', path: '/v1/devboxes', ...json({}) })).json();
    const exec = (
      await h2(session, {
        method: 'POST',
        path: `/v1/devboxes/${box.id}/execute_async`,
        ...json({ command: 'echo one; sleep 2; echo two' }),
      })
    ).json();
    const r = await h2(session, {
      path: `/v1/devboxes/${box.id}/executions/${exec.execution_id}/stream_stdout_updates`,
      headers: { accept: 'text/event-stream' },
    });
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /text\/event-stream/);
    const events = r.text
      .split('\n\n')
      .filter((e) => e.startsWith('data: '))
      .map((e) => JSON.parse(e.slice(6)));
    assert.equal(events.map((e) => e.output).join(''), 'one\ntwo\n');
    assert.ok(r.firstDataMs < 1500, `first chunk after ${r.firstDataMs.toFixed(0)} ms`);
    assert.ok(r.endMs - r.firstDataMs > 1000, 'the stream ended later, when the command did');
  });

  test('a body past the payload limit is refused with 413, as over HTTP/1.1', async () => {
    const big = Buffer.alloc((64 << 20) + 1024, 0x61);
    const r = await h2(session, { method: 'POST', path: '/v1/devboxes', body: big, headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 413);
    assert.match(r.json().error, /too large/);
    // A declared length past the limit is answered before the body comes: the client sends 1 KiB
    // of its 100 MiB and waits; the whole 413 arrives (END_STREAM) while it could still send.
    const declared = await withTimeout(
      new Promise((resolve, reject) => {
        const stream = session.request({
          ':method': 'POST',
          ':path': '/v1/devboxes',
          'content-type': 'application/json',
          'content-length': String(100 << 20),
        });
        let status;
        let text = '';
        stream.on('response', (h) => (status = h[':status']));
        stream.on('data', (c) => (text += c));
        stream.on('end', () => {
          stream.close(http2.constants.NGHTTP2_CANCEL);
          resolve({ status, text });
        });
        stream.on('error', reject);
        stream.write(Buffer.alloc(1024, 0x61));
      }),
      10000,
      'the 413 for a declared length',
    );
    assert.deepEqual(declared, { status: 413, text: r.text });
    const r1 = await h1(serve.base, '/v1/devboxes', { method: 'POST', body: big, headers: { 'content-type': 'application/json' } });
    assert.equal(r1.status, 413);
    assert.equal(r1.text, r.text);
    // The connection still serves.
    assert.equal((await h2(session, { path: '/healthz' })).status, 200);
  });

  test('curl: --http2-prior-knowledge and --http2 (Upgrade: h2c, with and without a body)', { skip: !curlHasHttp2() && 'curl has no HTTP/2 here' }, () => {
    const curl = (...args) =>
      execFileSync('curl', ['-sS', '-w', '\n%{http_version} %{http_code}', ...args]).toString().trim().split('\n');
    let out = curl('--http2-prior-knowledge', `${serve.base}/healthz`);
    assert.deepEqual(out, ['{"status":"ok"}', '2 200']);
    out = curl('--http2', `${serve.base}/healthz`);
    assert.deepEqual(out, ['{"status":"ok"}', '2 200']);
    out = curl('--http2', '-X', 'POST', '-H', 'content-type: application/json', '-d', '{"command":"x"}', `${serve.base}/v1/devboxes/dbx_missing/execute_sync`);
    assert.equal(out.at(-1), '2 404');
    assert.match(JSON.parse(out[0]).error, /dbx_missing/);
    // HTTP/1.1 is still HTTP/1.1.
    out = curl('--http1.1', `${serve.base}/healthz`);
    assert.deepEqual(out, ['{"status":"ok"}', '1.1 200']);
  });
});

describe('platform serve over HTTP/2 with a token and a foreign Host', () => {
  let iso;
  let serve;
  let session;

  before(async () => {
    iso = isolatedProduct('ra-h2-auth-');
    serve = await startPlatformServe(iso, ['--auth-token', TOKEN]);
    session = connect(serve.base);
  });

  after(async () => {
    session?.destroy();
    serve?.child.kill('SIGTERM');
    if (serve) await waitExit(serve.child, 5000).catch(() => {});
    iso?.cleanup();
  });

  test('401 without the token, 403 for a foreign Host or Origin: the same answers as HTTP/1.1', async () => {
    const cases = [
      { what: 'no token', path: '/v1/devboxes', headers: {}, status: 401 },
      { what: 'wrong token', path: '/v1/devboxes', headers: { authorization: 'Bearer nope' }, status: 401 },
      { what: 'the token', path: '/v1/devboxes', headers: { authorization: `Bearer ${TOKEN}` }, status: 200 },
      { what: 'the API key header', path: '/v1/devboxes', headers: { 'x-runagents-api-key': TOKEN }, status: 200 },
      { what: '/healthz is open', path: '/healthz', headers: {}, status: 200 },
      { what: 'a foreign Origin', path: '/healthz', headers: { origin: 'https://evil.example' }, status: 403 },
      { what: 'a foreign :authority', path: '/healthz', headers: { ':authority': 'evil.example' }, status: 403 },
    ];
    for (const c of cases) {
      const r = await h2(session, { path: c.path, headers: c.headers });
      assert.equal(r.status, c.status, `${c.what} over HTTP/2: ${r.text}`);
      const h1Headers = { ...c.headers };
      if (h1Headers[':authority']) {
        h1Headers.host = h1Headers[':authority'];
        delete h1Headers[':authority'];
      }
      const r1 = await rawH1(serve.base, c.path, h1Headers);
      assert.equal(r1.status, c.status, `${c.what} over HTTP/1.1`);
      assert.equal(r.text, r1.text, `${c.what}: the same body`);
      if (c.status === 401) assert.match(r.headers['www-authenticate'], /^Bearer realm=/);
    }
  });
});

describe('platform serve over HTTP/2 with two stream workers', () => {
  test('a stream the client resets gives its worker back', { skip: !sandboxes && 'bubblewrap cannot create sandboxes here' }, async () => {
    const iso = isolatedProduct('ra-h2-reset-');
    const serve = await startPlatformServe(iso, ['--threads', '2']);
    const session = connect(serve.base);
    try {
      const box = (await h2(session, { method: 'POST', path: '/v1/devboxes', ...json({}) })).json();
      const exec = (
        await h2(session, {
          method: 'POST',
          path: `/v1/devboxes/${box.id}/execute_async`,
          ...json({ command: 'for i in $(seq 300); do echo $i; sleep 0.1; done' }),
        })
      ).json();
      // Two streaming calls hold both workers...
      const streams = [0, 1].map(() => {
        const st = session.request({ ':path': `/v1/devboxes/${box.id}/executions/${exec.execution_id}/stream_stdout_updates` });
        st.on('error', () => {});
        return new Promise((resolve) => st.once('data', () => resolve(st)));
      });
      const held = await withTimeout(Promise.all(streams), 10000, 'both streams to start');
      const queued = h2(session, { path: '/healthz' });
      const early = await Promise.race([queued, new Promise((r) => setTimeout(() => r('waiting'), 500))]);
      assert.equal(early, 'waiting', 'with both workers streaming, a third stream waits');
      // ...until the client resets them.
      const started = performance.now();
      for (const st of held) st.close(http2.constants.NGHTTP2_CANCEL);
      assert.equal((await queued).status, 200);
      assert.ok(performance.now() - started < 1000, 'the reset streams ended their workers');
    } finally {
      session.destroy();
      serve.child.kill('SIGTERM');
      await waitExit(serve.child, 5000).catch(() => {});
      iso.cleanup();
    }
  });
});

describe('stopping platform serve', () => {
  test('SIGTERM ends open HTTP/2 connections (GOAWAY) and the server exits', async () => {
    const iso = isolatedProduct('ra-h2-stop-');
    try {
      const serve = await startPlatformServe(iso);
      const session = connect(serve.base);
      assert.equal((await h2(session, { path: '/healthz' })).status, 200);
      const goaway = new Promise((resolve) => session.once('goaway', (code) => resolve(code)));
      const started = performance.now();
      serve.child.kill('SIGTERM');
      assert.equal(await withTimeout(goaway, 5000, 'GOAWAY'), http2.constants.NGHTTP2_NO_ERROR);
      await waitExit(serve.child, 5000, 'platform serve to exit');
      assert.ok(performance.now() - started < 3000);
      session.destroy();
    } finally {
      iso.cleanup();
    }
  });
});

// HTTP/1.1 with any Host header (fetch cannot set Host).
async function rawH1(base, path, headers) {
  const { request } = await import('node:http');
  const url = new URL(base);
  return withTimeout(
    new Promise((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path, headers, setHost: !headers.host }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, text }));
      });
      req.on('error', reject);
      req.end();
    }),
    10000,
    `GET ${path} over HTTP/1.1`,
  );
}
