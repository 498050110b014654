// The 2026-07-28 ("modern") era over raw HTTP (fetch), against the fixture and the product:
// server/discover, the _meta envelope, the SEP-2243 headers, removed methods, no sessions, GET and
// DELETE refused, per-request logging, and a long call whose event stream starts at once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  FIXTURE,
  LEGACY_VERSIONS,
  MODERN_VERSION,
  PRODUCT,
  assertHttpError,
  assertJsonRpc,
  httpInitialize,
  isolatedProduct,
  killAll,
  modernHeaders,
  modernMeta,
  post,
  postModern,
  rawRequest,
  startHttpServer,
  startHttpServerEnv,
} from './lib.mjs';

const SERVER_INFO = 'io.modelcontextprotocol/serverInfo';

let iso;
before(() => {
  iso = isolatedProduct('ra-modern-http-');
});
after(async () => {
  await killAll();
  iso?.cleanup();
});

const TARGETS = [
  { label: 'fixture', start: () => startHttpServer(FIXTURE, ['--e2e-tools']), tool: 'test_simple_text', name: 'runagents-conformance-fixture' },
  { label: 'runagents-mcp --http', start: () => startHttpServerEnv(PRODUCT, ['--http', ...iso.args], iso.env), tool: 'list_tools', name: 'runagents-mcp' },
];

let nextId = 1;
const req = (method, params = {}, metaOptions) => ({
  jsonrpc: '2.0',
  id: nextId++,
  method,
  params: { ...params, _meta: { ...modernMeta(metaOptions), ...(params._meta ?? {}) } },
});

for (const target of TARGETS) {
  describe(`${target.label}: modern HTTP requests`, () => {
    let url;
    before(async () => {
      ({ url } = await target.start());
    });

    test('server/discover: versions, capabilities, cache hints, resultType and serverInfo', async () => {
      const r = await postModern(url, req('server/discover'));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get('mcp-session-id'), null, 'no session on a modern response');
      assertJsonRpc(r.json);
      const res = r.json.result;
      assert.ok(res, r.text);
      assert.deepEqual(res.supportedVersions, [MODERN_VERSION, ...LEGACY_VERSIONS]);
      assert.equal(typeof res.capabilities, 'object');
      assert.ok(res.capabilities.tools, 'tools capability');
      assert.equal(res.resultType, 'complete');
      assert.ok(Number.isInteger(res.ttlMs) && res.ttlMs >= 0, `ttlMs ${res.ttlMs}`);
      assert.ok(['private', 'public'].includes(res.cacheScope), `cacheScope ${res.cacheScope}`);
      assert.equal(res._meta?.[SERVER_INFO]?.name, target.name);
      assert.equal(typeof res._meta[SERVER_INFO].version, 'string');
    });

    test('tools/list and tools/call: no Mcp-Session-Id, resultType and serverInfo on every result', async () => {
      const list = await postModern(url, req('tools/list'));
      assert.equal(list.status, 200, list.text);
      assert.equal(list.headers.get('mcp-session-id'), null);
      assert.equal(list.json.result.resultType, 'complete');
      assert.equal(typeof list.json.result.ttlMs, 'number');
      assert.equal(typeof list.json.result.cacheScope, 'string');
      assert.ok(list.json.result.tools.some((t) => t.name === target.tool));

      const call = await postModern(url, req('tools/call', { name: target.tool, arguments: {} }));
      assert.equal(call.status, 200, call.text);
      assert.equal(call.headers.get('mcp-session-id'), null);
      const res = call.messages.at(-1).result;
      assert.equal(res.resultType, 'complete');
      assert.equal(res.isError ?? false, false, JSON.stringify(res.content));
      assert.equal(res._meta?.[SERVER_INFO]?.name, target.name);
    });

    test('headers that disagree with the body, or are missing, are 400 with -32020', async () => {
      const body = req('tools/list');
      let r = await post(url, body, { headers: { ...modernHeaders(body), 'mcp-method': 'tools/call' } });
      assertHttpError(r, { status: 400, code: -32020 });
      assert.equal(r.json.id, body.id);

      const noMethod = modernHeaders(body);
      delete noMethod['mcp-method'];
      r = await post(url, body, { headers: noMethod });
      assertHttpError(r, { status: 400, code: -32020 });

      const call = req('tools/call', { name: target.tool, arguments: {} });
      r = await post(url, call, { headers: { ...modernHeaders(call), 'mcp-name': 'someone_else' } });
      assertHttpError(r, { status: 400, code: -32020 });
      const noName = modernHeaders(call);
      delete noName['mcp-name'];
      r = await post(url, call, { headers: noName });
      assertHttpError(r, { status: 400, code: -32020 });
      // Values are compared as sent (case-sensitively).
      r = await post(url, call, { headers: { ...modernHeaders(call), 'mcp-method': 'TOOLS/CALL' } });
      assertHttpError(r, { status: 400, code: -32020 });
      // The same name base64-encoded is fine.
      r = await post(url, call, {
        headers: { ...modernHeaders(call), 'mcp-name': `=?base64?${Buffer.from(target.tool).toString('base64')}?=` },
      });
      assert.equal(r.status, 200, r.text);
    });

    test('removed methods with a modern envelope are 404 with -32601', async () => {
      const init = req('initialize', {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'x', version: '0' },
      });
      let r = await postModern(url, init);
      assertHttpError(r, { status: 404, code: -32601 });
      assert.equal(r.headers.get('mcp-session-id'), null, 'no session minted');
      for (const method of ['ping', 'logging/setLevel', 'no/such/method']) {
        r = await postModern(url, req(method, method === 'logging/setLevel' ? { level: 'debug' } : {}));
        assertHttpError(r, { status: 404, code: -32601 });
      }
    });

    test('missing _meta fields are 400 with -32602; an unsupported version is 400 with -32022', async () => {
      const bare = { jsonrpc: '2.0', id: nextId++, method: 'tools/list', params: {} };
      let r = await post(url, bare, { headers: modernHeaders(bare) });
      assertHttpError(r, { status: 400, code: -32602 });

      const noCaps = req('tools/list');
      delete noCaps.params._meta['io.modelcontextprotocol/clientCapabilities'];
      r = await postModern(url, noCaps);
      assertHttpError(r, { status: 400, code: -32602 });

      const future = req('tools/list', {}, { version: '2099-01-01' });
      r = await postModern(url, future);
      const error = assertHttpError(r, { status: 400, code: -32022 });
      assert.equal(error.data.requested, '2099-01-01');
      assert.deepEqual(error.data.supported, [MODERN_VERSION, ...LEGACY_VERSIONS]);
    });

    test('GET and DELETE from a modern client without a session are 405', async () => {
      let r = await rawRequest(url, {
        method: 'GET',
        headers: { accept: 'text/event-stream', 'mcp-protocol-version': MODERN_VERSION },
      });
      assert.equal(r.status, 405, r.text);
      assert.match(r.headers.get('allow') ?? '', /POST/);
      r = await rawRequest(url, { method: 'DELETE', headers: { 'mcp-protocol-version': MODERN_VERSION } });
      assert.equal(r.status, 405, r.text);
    });

    test('a modern notification is accepted with 202', async () => {
      const note = { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 12345, _meta: modernMeta() } };
      const r = await post(url, note, { headers: modernHeaders(note) });
      assert.equal(r.status, 202, r.text);
      assert.equal(r.headers.get('mcp-session-id'), null);
    });

    test('a legacy initialize on the same endpoint still gets a session, and works beside modern calls', async () => {
      const session = await httpInitialize(url);
      const legacy = await post(url, { jsonrpc: '2.0', id: nextId++, method: 'tools/list' }, { session });
      assert.equal(legacy.status, 200, legacy.text);
      assert.equal(legacy.json.result.resultType, undefined, 'no modern decoration on legacy results');
      const modern = await postModern(url, req('tools/list'));
      assert.equal(modern.status, 200);
      assert.equal(modern.headers.get('mcp-session-id'), null);
      // A session-bound request with a modern _meta stays legacy (the session decides).
      const ping = await post(url, { jsonrpc: '2.0', id: nextId++, method: 'ping', params: { _meta: modernMeta() } }, { session });
      assert.equal(ping.status, 200, ping.text);
      assert.deepEqual(ping.json.result, {});
    });
  });
}

describe('fixture: per-request logging, header params and a long call on the modern era', () => {
  let url;
  before(async () => {
    ({ url } = await startHttpServer(FIXTURE, ['--e2e-tools']));
  });

  const logs = (r) => r.messages.filter((m) => m.method === 'notifications/message');

  test('test_logging_tool without a logLevel sends no notifications/message', async () => {
    for (const meta of [{}, { progressToken: 'p-1' }]) {
      const r = await postModern(url, req('tools/call', { name: 'test_logging_tool', arguments: {} }, meta));
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(logs(r), [], `no log messages: ${r.text.slice(0, 400)}`);
      assert.equal(r.messages.at(-1).result.content[0].text, 'Tool with logging executed successfully');
    }
  });

  test('with a logLevel, log messages arrive on the request stream, filtered by it', async () => {
    let r = await postModern(url, req('tools/call', { name: 'test_logging_tool', arguments: {} }, { logLevel: 'info' }));
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type'), /text\/event-stream/);
    assert.deepEqual(logs(r).map((m) => m.params.data), ['Tool execution started', 'Tool processing data', 'Tool execution completed']);
    assert.equal(r.messages.at(-1).result.resultType, 'complete');

    r = await postModern(url, req('tools/call', { name: 'test_logging_tool', arguments: {} }, { logLevel: 'error' }));
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(logs(r), []);
  });

  test('x-mcp-header parameters: Mcp-Param-Region must match arguments.region', async () => {
    const body = req('tools/call', { name: 'test_header_param', arguments: { region: 'eu-west-1' } });
    let r = await post(url, body, { headers: { ...modernHeaders(body), 'mcp-param-region': 'eu-west-1' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.result.content[0].text, 'region eu-west-1');
    r = await post(url, body, { headers: { ...modernHeaders(body), 'mcp-param-region': 'us-east-1' } });
    assertHttpError(r, { status: 400, code: -32020 });
    r = await post(url, body, { headers: modernHeaders(body) });
    assertHttpError(r, { status: 400, code: -32020 });
  });

  test('a long call with a progress token starts its event stream at once', async () => {
    const body = req('tools/call', { name: 'e2e_slow', arguments: { seconds: 3 } }, { progressToken: 'long-1' });
    const t0 = Date.now();
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...modernHeaders(body) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(20000),
    });
    const toHeaders = Date.now() - t0;
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /text\/event-stream/);
    assert.equal(res.headers.get('x-accel-buffering'), 'no');
    assert.equal(res.headers.get('mcp-session-id'), null);
    // The spec's target is 1 s; the bound is generous because the machine is shared.
    assert.ok(toHeaders < 2500, `headers after ${toHeaders} ms`);
    const text = await res.text();
    const total = Date.now() - t0;
    assert.ok(total >= 2500, `the call itself ran its 3 s (${total} ms)`);
    assert.doesNotMatch(text, /^id:/m, 'no event ids on a modern stream (no resumability)');
    const msgs = text
      .split(/\r?\n\r?\n/)
      .map((b) => b.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n'))
      .filter((d) => d)
      .map((d) => JSON.parse(d));
    const progress = msgs.filter((m) => m.method === 'notifications/progress');
    assert.equal(progress.length, 30);
    assert.ok(progress.every((p) => p.params.progressToken === 'long-1'));
    assert.equal(msgs.at(-1).id, body.id);
    assert.match(msgs.at(-1).result.content[0].text, /^slept 3/);
  });
});

