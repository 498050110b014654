// Raw bad input over Streamable HTTP (fetch and node:http): bad bodies get 4xx with JSON-RPC error
// bodies, Host/Origin are validated, sessions follow the 400/404 rules, oversized bodies get 413,
// the bearer token is enforced, and the server keeps answering afterwards.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import {
  ACCEPT_BOTH,
  FIXTURE,
  PRODUCT,
  assertHttpError,
  assertJsonRpc,
  httpInitialize,
  killAll,
  post,
  rawRequest,
  startHttpServer,
  withTimeout,
} from './lib.mjs';

const SERVERS = [
  { label: 'conformance-server --port', command: FIXTURE, args: ['--e2e-tools'], fixture: true },
  { label: 'runagents-mcp --http', command: PRODUCT, args: ['--http'], fixture: false },
];

const ping = (id = 'ping') => ({ jsonrpc: '2.0', id, method: 'ping' });

async function assertServing(url) {
  const session = await httpInitialize(url);
  const res = await post(url, { jsonrpc: '2.0', id: 'alive', method: 'tools/list' }, { session });
  assert.equal(res.status, 200, res.text);
  assert.ok(Array.isArray(res.messages.at(-1)?.result?.tools), res.text.slice(0, 300));
  return session;
}

for (const server of SERVERS) {
  describe(`raw HTTP: ${server.label}`, () => {
    afterEach(killAll);

    test('bad bodies get 4xx with JSON-RPC errors; the server keeps answering', async () => {
      const { url } = await startHttpServer(server.command, server.args);
      const session = await httpInitialize(url);

      let r = await post(url, '{"jsonrpc":"2.0","id":1,"method":"ping"', { session });
      let e = assertHttpError(r, { status: 400, code: -32700 });
      assert.equal(r.json.id, null);

      // Invalid UTF-8 only inside a string: the bytes become U+FFFD and the request is answered,
      // with its own id.
      r = await post(
        url,
        Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":2,"method":"ping","params":{"x":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}}')]),
        { session },
      );
      assert.equal(r.status, 200);
      assert.equal(r.json.id, 2);
      assert.deepEqual(r.json.result, {});

      r = await post(url, '[{"jsonrpc":"2.0","id":3,"method":"ping"}]', { session });
      assertHttpError(r, { code: -32600 });
      r = await post(url, '42', { session });
      assertHttpError(r, { code: -32600 });
      r = await post(url, '', { session });
      assertHttpError(r);

      r = await post(url, '{"jsonrpc":"2.0","id":4,"method":"tools/list","params":5}', { session });
      assertHttpError(r, { code: -32602 });
      assert.equal(r.json.id, 4);

      r = await post(url, `{"jsonrpc":"2.0","id":5,"method":"ping","params":{"a":${'['.repeat(10000)}${']'.repeat(10000)}}}`, {
        session,
      });
      e = assertHttpError(r);
      assert.match(e.message, /nesting|depth/i);
      assert.match(e.message, /64/);

      // 50 MB body against the default 16 MiB limit: 413 naming the limit.
      r = await post(url, `{"jsonrpc":"2.0","id":6,"method":"ping","params":{"pad":"${'x'.repeat(50 * 1024 * 1024)}"}}`, {
        session,
        timeout: 20000,
      });
      e = assertHttpError(r, { status: 413 });
      assert.match(e.message, /16777216/);

      // Unknown methods and bad requests inside a valid session are ordinary JSON-RPC errors.
      r = await post(url, { jsonrpc: '2.0', id: 7, method: 'no/such/method' }, { session });
      assert.equal(r.messages.at(-1)?.error?.code, -32601, r.text);

      // Wrong media types and methods.
      r = await post(url, ping(), { session, headers: { 'content-type': 'text/plain' } });
      assertHttpError(r, { status: 415 });
      r = await post(url, ping(), { session, headers: { accept: 'text/html' } });
      assertHttpError(r, { status: 406 });
      r = await post(url, ping(), { session, headers: { accept: '*/*' } });
      assert.equal(r.status, 200, 'Accept: */* is accepted');
      r = await rawRequest(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(r.status, 405);
      assert.match(r.headers.get('allow') ?? '', /POST/);

      r = await post(url, ping(), { session, headers: { 'mcp-protocol-version': '1999-01-01' } });
      assertHttpError(r, { status: 400 });

      // A notification gets 202 and no body.
      r = await post(url, { jsonrpc: '2.0', method: 'notifications/whatever' }, { session });
      assert.equal(r.status, 202);
      assert.equal(r.text, '');

      r = await post(url, ping('after'), { session });
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, { jsonrpc: '2.0', id: 'after', result: {} });
      await assertServing(url);
    });

    test('Host and Origin are validated (DNS rebinding)', async () => {
      const { url, port } = await startHttpServer(server.command, server.args);
      const base = { 'content-type': 'application/json', accept: ACCEPT_BOTH };
      const init = JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'h', version: '1' } },
      });

      let r = await rawRequest(url, { headers: { ...base, host: 'evil.example.com' }, body: init });
      assertHttpError(r, { status: 403 });
      r = await rawRequest(url, { headers: { ...base, host: `evil.example.com:${port}` }, body: init });
      assertHttpError(r, { status: 403 });
      r = await rawRequest(url, {
        headers: { ...base, host: `127.0.0.1:${port}`, origin: 'http://evil.example.com' },
        body: init,
      });
      assertHttpError(r, { status: 403 });

      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
        r = await rawRequest(url, { headers: { ...base, host, origin: `http://${host}` }, body: init });
        assert.equal(r.status, 200, `Host ${host}: ${r.text}`);
        assertJsonRpc(r.json);
      }
      await assertServing(url);
    });

    test('sessions: 400 without Mcp-Session-Id, 404 for an unknown or deleted one', async () => {
      const { url } = await startHttpServer(server.command, server.args);
      let r = await post(url, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
      assertHttpError(r, { status: 400 });
      assert.match(r.json.error.message, /Mcp-Session-Id/i);

      r = await post(url, ping(), { session: 'no-such-session' });
      assertHttpError(r, { status: 404 });

      const session = await httpInitialize(url);
      r = await post(url, ping(), { session });
      assert.equal(r.status, 200);

      const del = await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': session } });
      await del.arrayBuffer();
      assert.ok(del.status === 200 || del.status === 204, `DELETE: ${del.status}`);
      r = await post(url, ping(), { session });
      assertHttpError(r, { status: 404 });
      const get = await fetch(url, { headers: { accept: 'text/event-stream', 'mcp-session-id': session } });
      await get.arrayBuffer();
      assert.equal(get.status, 404, 'GET on a deleted session');
      const del2 = await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': session } });
      await del2.arrayBuffer();
      assert.equal(del2.status, 404, 'a second DELETE');

      // A GET stream needs a session too.
      const noSession = await fetch(url, { headers: { accept: 'text/event-stream' } });
      await noSession.arrayBuffer();
      assert.equal(noSession.status, 400);

      await assertServing(url);
    });

    if (server.fixture) {
      test('a request with progress is answered as an SSE stream with a priming event', async () => {
        const { url } = await startHttpServer(server.command, server.args);
        const session = await httpInitialize(url);
        const res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: ACCEPT_BOTH,
            'mcp-session-id': session,
            'mcp-protocol-version': '2025-11-25',
          },
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: 'sse',
            method: 'tools/call',
            params: { name: 'e2e_slow', arguments: { seconds: 0.3 }, _meta: { progressToken: 7 } },
          }),
          signal: AbortSignal.timeout(5000),
        });
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type'), /text\/event-stream/);
        const body = await res.text();
        const events = body.split(/\n\n/).filter((b) => b.trim());
        assert.match(events[0], /^id: \S+/m, 'the first event is a priming event with an id');
        assert.match(events[0], /^data: ?$/m, 'with empty data');
        const messages = events
          .map((b) => b.split('\n').find((l) => l.startsWith('data:'))?.slice(5).trim())
          .filter(Boolean)
          .map((d) => JSON.parse(d));
        messages.forEach((m) => assertJsonRpc(m));
        const progress = messages.filter((m) => m.method === 'notifications/progress');
        assert.deepEqual(
          progress.map((m) => m.params.progress),
          [1, 2, 3],
        );
        assert.ok(progress.every((m) => m.params.progressToken === 7));
        assert.equal(messages.at(-1).id, 'sse');
        assert.ok(messages.at(-1).result, JSON.stringify(messages.at(-1)));
      });
    }
  });
}

describe('raw HTTP: many open streams (fixture)', () => {
  afterEach(killAll);

  test('64 open GET streams do not delay new requests', async () => {
    const { url } = await startHttpServer(FIXTURE, ['--e2e-tools']);
    const controllers = [];
    const readers = [];
    try {
      // Opened in small batches: the point is the thread model, not a connect burst.
      for (let batch = 0; batch < 16; batch++) {
        await Promise.all(
          Array.from({ length: 4 }, async () => {
            const session = await httpInitialize(url);
            const controller = new AbortController();
            controllers.push(controller);
            const res = await fetch(url, {
              headers: { accept: 'text/event-stream', 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' },
              signal: controller.signal,
            });
            assert.equal(res.status, 200);
            const reader = res.body.getReader();
            readers.push(reader);
            await reader.read(); // the priming event: the stream is open
          }),
        );
      }
      assert.equal(readers.length, 64);

      const t0 = Date.now();
      const session = await httpInitialize(url);
      const r = await post(
        url,
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'e2e_echo', arguments: { message: 'busy' } } },
        { session },
      );
      const elapsed = Date.now() - t0;
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.result.structuredContent, { items: ['busy'], count: 1 });
      assert.ok(elapsed < 1000, `a new session and a call took ${elapsed} ms with 64 streams open`);
    } finally {
      for (const c of controllers) c.abort();
      await Promise.allSettled(readers.map((r) => r.cancel()));
    }
  });
});

describe('raw HTTP: limits and bearer token (runagents-mcp)', () => {
  afterEach(killAll);

  test('--max-message-bytes applies to HTTP bodies (413 naming the limit)', async () => {
    const { url } = await startHttpServer(PRODUCT, ['--http', '--max-message-bytes', '4096']);
    const session = await httpInitialize(url);
    const r = await post(url, { jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'p'.repeat(5000) } }, { session });
    const e = assertHttpError(r, { status: 413 });
    assert.match(e.message, /4096/);
    const ok = await post(url, ping(), { session });
    assert.equal(ok.status, 200);
  });

  test('--auth-token: 401 with WWW-Authenticate without the bearer token', async () => {
    const { url } = await startHttpServer(PRODUCT, ['--http', '--auth-token', 't']);
    const initBody = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'a', version: '1' } },
    };
    let r = await post(url, initBody);
    assertHttpError(r, { status: 401 });
    assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
    for (const auth of ['Bearer wrong', 'Bearer t2', 'Basic dDp0', 'bearer', 't']) {
      r = await post(url, initBody, { headers: { authorization: auth } });
      assert.equal(r.status, 401, `Authorization: ${auth}`);
    }
    const get = await fetch(url, { headers: { accept: 'text/event-stream' } });
    await get.arrayBuffer();
    assert.equal(get.status, 401);

    // With the token the raw session and the SDK client both work.
    const headers = { authorization: 'Bearer t' };
    const session = await httpInitialize(url, headers);
    r = await post(url, ping(), { session, headers });
    assert.equal(r.status, 200);
    r = await post(url, ping(), { session });
    assert.equal(r.status, 401, 'every request needs the token, not only initialize');

    const client = new Client({ name: 'auth-e2e', version: '0.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
    await withTimeout(client.connect(transport), 5000, 'SDK connect with a bearer token');
    await client.ping();
    await client.listTools();
    await transport.terminateSession();
    await client.close();
  });

  test('RUNAGENTS_MCP_TOKEN sets the token too', async () => {
    const { url } = await startHttpServer(PRODUCT, ['--http'], { RUNAGENTS_MCP_TOKEN: 'envtok' });
    let r = await post(url, ping());
    assert.equal(r.status, 401);
    await httpInitialize(url, { authorization: 'Bearer envtok' });
  });
});
