// The 2026-07-28 ("modern", stateless) protocol era end to end, driven by clients nobody here
// wrote: the official MCP TypeScript SDK v2 client (@modelcontextprotocol/client 2.4.0), pinned
// to 2026-07-28 and in 'auto' mode, and the v1 client (@modelcontextprotocol/sdk), which must
// still land on 2025-11-25 against the same binaries. Both the fixture (conformance-server
// --e2e-tools) and the product (runagents-mcp on a fresh data dir), over stdio and HTTP.
//
// Progress is counted on the wire (the transport's onmessage), not only through onprogress,
// which may drop notifications that arrive in the same read as the response.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, afterEach, describe, test } from 'node:test';

import {
  FIXTURE,
  LEGACY_VERSIONS,
  MODERN_VERSION,
  PRODUCT,
  connectFixture,
  connectV2,
  isolatedProduct,
  killAll,
  sleep,
  startHttpServer,
  startHttpServerEnv,
  waitUntil,
  withTimeout,
} from './lib.mjs';

import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as StdioV1 } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as HttpV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const dirs = [];
after(() => {
  for (const iso of dirs) iso.cleanup();
});

const open = [];
afterEach(async () => {
  while (open.length) await open.pop().close();
  await killAll();
});

// What a test needs of a binary: how to reach it over stdio (connectV2 options) and how to start
// it on HTTP, and a tool call whose answer it checks.
const TARGETS = [
  {
    label: 'fixture',
    stdio: (extra = []) => ({ command: FIXTURE, args: ['--e2e-tools', ...extra] }),
    http: (extra = []) => startHttpServer(FIXTURE, ['--e2e-tools', ...extra]),
    v1Stdio: () => ({ command: FIXTURE, args: ['--stdio', '--e2e-tools'] }),
    async check(client) {
      const r = await client.callTool({ name: 'test_simple_text', arguments: {} });
      assert.equal(r.content[0].text, 'This is a simple text response for testing.');
    },
    tools: ['test_simple_text', 'e2e_slow', 'e2e_echo', 'test_input_required_result_elicitation'],
  },
  {
    label: 'runagents-mcp',
    stdio: (extra = []) => {
      const iso = isolatedProduct('ra-modern-e2e-');
      dirs.push(iso);
      return { command: PRODUCT, args: [...iso.args, ...extra], env: iso.env, stdioFlag: false };
    },
    http: (extra = []) => {
      const iso = isolatedProduct('ra-modern-e2e-');
      dirs.push(iso);
      return startHttpServerEnv(PRODUCT, ['--http', ...iso.args, ...extra], iso.env);
    },
    v1Stdio: () => {
      const iso = isolatedProduct('ra-modern-e2e-');
      dirs.push(iso);
      return { command: PRODUCT, args: iso.args, env: iso.env };
    },
    async check(client) {
      const r = await client.callTool({ name: 'list_tools', arguments: {} });
      assert.equal(r.isError ?? false, false, JSON.stringify(r.content));
      const tools = r.structuredContent?.tools ?? JSON.parse(r.content[0].text).tools;
      assert.ok(tools.some((t) => t.name === 'echo-tool'), `list_tools returns echo-tool: ${JSON.stringify(tools)}`);
    },
    tools: ['list_agents', 'list_tools', 'deploy_agent', 'decide_approval'],
  },
];

/** Connects a v2 client to `target` over `kind`; returns the connection (closed after the test). */
async function v2(target, kind, options = {}, extraArgs = []) {
  let conn;
  if (kind === 'stdio') {
    conn = await connectV2('stdio', { ...target.stdio(extraArgs), ...options });
  } else {
    const server = options.server ?? (await target.http(extraArgs));
    conn = await connectV2('http', { url: server.url, ...options });
    conn.server = server;
  }
  open.push(conn);
  return conn;
}

/** Connects the v1 client; resolves {client, transport, version} (the negotiated version). */
async function v1(target, kind, server) {
  const client = new ClientV1({ name: 'runagents-e2e-v1', version: '0.0.0' }, { capabilities: {} });
  let transport;
  const received = [];
  if (kind === 'stdio') {
    transport = new StdioV1({ ...target.v1Stdio(), stderr: 'pipe' });
    transport.stderr?.on('data', () => {});
  } else {
    transport = new HttpV1(new URL(server.url));
  }
  transport.onmessage = (m) => received.push(m);
  await withTimeout(client.connect(transport), 10000, `v1 connect over ${kind}`);
  open.push({ close: () => withTimeout(client.close(), 3000, 'v1 close').catch(() => {}) });
  const init = received.find((m) => m.result?.protocolVersion);
  return { client, transport, received, version: init?.result.protocolVersion };
}

const responses = (received) => received.filter((m) => 'result' in m || 'error' in m);
const progressOf = (received) => received.filter((m) => m.method === 'notifications/progress');

for (const target of TARGETS) {
  for (const kind of ['stdio', 'http']) {
    describe(`${target.label} over ${kind}: SDK v2 pinned to 2026-07-28`, () => {
      test('connects on the modern era, lists tools and calls one', async () => {
        const { client, received, transport } = await v2(target, kind);
        assert.equal(client.getNegotiatedProtocolVersion(), MODERN_VERSION);
        assert.equal(client.getProtocolEra(), 'modern');
        const info = client.getServerVersion();
        assert.ok(info?.name, 'serverInfo from the discover result');
        const discover = client.getDiscoverResult();
        assert.ok(discover, 'the client kept the discover result');
        for (const v of [MODERN_VERSION, ...LEGACY_VERSIONS]) {
          assert.ok(discover.supportedVersions.includes(v), `supportedVersions has ${v}`);
        }
        if (kind === 'http') assert.equal(transport.sessionId, undefined, 'no Mcp-Session-Id on the modern era');

        const { tools } = await client.listTools();
        const names = tools.map((t) => t.name);
        for (const name of target.tools) assert.ok(names.includes(name), `${name} is listed`);
        await target.check(client);

        // On the wire: every result says resultType and who answered; no initialize was sent.
        const rs = responses(received);
        // (The connect-time server/discover probe runs before the transport's onmessage is chained.)
        assert.ok(rs.length >= 2, `tools/list and tools/call were answered: ${JSON.stringify(rs).slice(0, 300)}`);
        assert.equal(discover.resultType, 'complete');
        assert.equal(discover._meta?.['io.modelcontextprotocol/serverInfo']?.name, info.name);
        for (const r of rs) {
          assert.ok(r.result, `no error: ${JSON.stringify(r).slice(0, 300)}`);
          assert.equal(r.result.resultType, 'complete');
          assert.equal(r.result._meta?.['io.modelcontextprotocol/serverInfo']?.name, info.name);
          assert.equal(r.result.protocolVersion, undefined, 'not an initialize result');
        }
        const list = rs.find((r) => Array.isArray(r.result.tools));
        assert.equal(typeof list.result.ttlMs, 'number', 'tools/list carries ttlMs');
        assert.ok(['private', 'public'].includes(list.result.cacheScope), 'tools/list carries cacheScope');
      });
    });

    describe(`${target.label} over ${kind}: version negotiation`, () => {
      test("SDK v2 in 'auto' mode lands on 2026-07-28; the v1 client still lands on 2025-11-25", async () => {
        const server = kind === 'http' ? await target.http() : undefined;
        const modern = await v2(target, kind, { mode: 'auto', server });
        assert.equal(modern.client.getNegotiatedProtocolVersion(), MODERN_VERSION);
        assert.equal(modern.client.getProtocolEra(), 'modern');
        await target.check(modern.client);

        const legacy = await v1(target, kind, server);
        assert.equal(legacy.version, '2025-11-25');
        if (kind === 'http') {
          assert.equal(legacy.transport.protocolVersion, '2025-11-25');
          assert.ok(legacy.transport.sessionId, 'the legacy client got a session');
        }
        await target.check(legacy.client);
        // A legacy result has no modern decoration.
        const call = responses(legacy.received).at(-1);
        assert.equal(call.result.resultType, undefined);

        // SDK v2 in 'legacy' mode is a 2025 client too.
        const old = await v2(target, kind, { mode: 'legacy', server });
        assert.equal(old.client.getProtocolEra(), 'legacy');
        assert.equal(old.client.getNegotiatedProtocolVersion(), '2025-11-25');
        await target.check(old.client);
      });
    });
  }
}

for (const kind of ['stdio', 'http']) {
  describe(`fixture over ${kind}: progress, MRTR and logging on the modern era`, () => {
    test('e2e_slow reports every step on the wire before its result', async () => {
      const { client, received } = await v2(TARGETS[0], kind);
      let seen = 0;
      const r = await client.callTool({ name: 'e2e_slow', arguments: { seconds: 1 } }, { onprogress: () => seen++ });
      assert.match(r.content[0].text, /^slept 1/);
      const wire = progressOf(received);
      assert.equal(wire.length, 10, `10 progress notifications on the wire, got ${wire.length}`);
      const token = wire[0].params.progressToken;
      let last = 0;
      for (const p of wire) {
        assert.equal(p.params.progressToken, token);
        assert.equal(p.params.total, 10);
        assert.ok(p.params.progress > last, 'progress increases');
        last = p.params.progress;
      }
      // Every progress notification precedes the result on the wire.
      const resultAt = received.findIndex((m) => m.result?.content?.[0]?.text?.startsWith('slept'));
      assert.ok(received.indexOf(wire.at(-1)) < resultAt);
      assert.ok(seen >= 1, 'onprogress saw at least one notification');
    });

    test('test_input_required_result_elicitation: the registered elicitation handler answers', async () => {
      const asked = [];
      const { client, received } = await v2(TARGETS[0], kind, {
        capabilities: { elicitation: {} },
        handlers: {
          'elicitation/create': async (req) => {
            asked.push(req.params);
            return { action: 'accept', content: { name: 'Ada' } };
          },
        },
      });
      const r = await client.callTool({ name: 'test_input_required_result_elicitation', arguments: {} });
      assert.equal(r.content[0].text, 'Hello, Ada!');
      assert.equal(asked.length, 1);
      assert.equal(asked[0].message, 'What is your name?');
      // On the wire: first an input_required result, then the complete one; no request from the
      // server to the client on any stream.
      const kinds = responses(received).slice(-2).map((m) => m.result?.resultType);
      assert.deepEqual(kinds, ['input_required', 'complete']);
      assert.equal(received.filter((m) => 'method' in m && 'id' in m).length, 0, 'no server-to-client requests');
    });

    test('test_input_required_result_multi_round: two rounds, the state carried between them', async () => {
      const asked = [];
      const { client, received } = await v2(TARGETS[0], kind, {
        capabilities: { elicitation: {} },
        handlers: {
          'elicitation/create': async (req) => {
            asked.push(req.params.message);
            if (req.params.message.startsWith('Step 1')) return { action: 'accept', content: { name: 'Ada' } };
            return { action: 'accept', content: { color: 'green' } };
          },
        },
      });
      const r = await client.callTool({ name: 'test_input_required_result_multi_round', arguments: {} });
      assert.equal(r.content[0].text, 'Ada likes green');
      assert.deepEqual(asked, ['Step 1: What is your name?', 'Step 2: What is your favorite color?']);
      const rounds = responses(received).slice(-3);
      assert.deepEqual(rounds.map((m) => m.result?.resultType), ['input_required', 'input_required', 'complete']);
      assert.equal(typeof rounds[0].result.requestState, 'string');
      assert.notEqual(rounds[0].result.requestState, rounds[1].result.requestState);
    });

    test('a tool that needs an undeclared capability fails with -32021', async () => {
      const { client } = await v2(TARGETS[0], kind);
      await assert.rejects(client.callTool({ name: 'test_missing_capability', arguments: {} }), (e) => {
        assert.equal(e.code, -32021, `${e.code}: ${e.message}`);
        return true;
      });
      // The connection is still good.
      await TARGETS[0].check(client);
    });

    test('test_logging_tool sends no notifications/message to a request without a log level', async () => {
      const { client, received } = await v2(TARGETS[0], kind);
      const r = await client.callTool({ name: 'test_logging_tool', arguments: {} });
      assert.equal(r.content[0].text, 'Tool with logging executed successfully');
      await sleep(200); // anything sent late would show up here
      assert.deepEqual(received.filter((m) => m.method === 'notifications/message'), []);
    });
  });
}

describe('cancellation on the modern era', () => {
  // The fixture logs "tools/call <id> cancelled; no response sent" at debug once the handler has
  // stopped and its response was dropped.
  const cancelledLine = (text) => /tools\/call \S+ cancelled; no response sent/.test(text);

  test('HTTP: aborting a call closes its stream, and the server stops the work', async () => {
    const { client, received, server } = await v2(TARGETS[0], 'http', {}, ['--log-level', 'debug']);
    const ac = new AbortController();
    const call = client.callTool({ name: 'e2e_slow', arguments: { seconds: 30 } }, { signal: ac.signal, onprogress: () => {} });
    const settled = call.then(() => 'resolved', (e) => e);
    await waitUntil(() => progressOf(received).length >= 2, 10000, 'the call to be running (progress)');
    ac.abort();
    const outcome = await withTimeout(settled, 5000, 'the aborted call to settle');
    assert.ok(outcome instanceof Error, `the aborted call rejects, got ${outcome}`);
    await waitUntil(() => cancelledLine(server.child.stderrText), 5000, `the server to log the cancellation; stderr: ${server.child.stderrText.slice(-500)}`);
    const before = progressOf(received).length;
    const t0 = Date.now();
    await withTimeout(TARGETS[0].check(client), 5000, 'the next call');
    assert.ok(Date.now() - t0 < 5000);
    await sleep(300);
    assert.equal(progressOf(received).length, before, 'no progress after the cancellation');
  });

  test(
    'HTTP: aborting a call that carries no progress token stops the work too',
    {},
    async () => {
      const { client, server } = await v2(TARGETS[0], 'http', {}, ['--log-level', 'debug']);
      const ac = new AbortController();
      const settled = client
        .callTool({ name: 'e2e_slow', arguments: { seconds: 30 } }, { signal: ac.signal })
        .then(() => 'resolved', (e) => e);
      await sleep(1000);
      ac.abort();
      assert.ok((await withTimeout(settled, 5000, 'the aborted call to settle')) instanceof Error);
      await waitUntil(() => cancelledLine(server.child.stderrText), 5000, 'the server to log the cancellation');
    },
  );

  for (const withProgress of [true, false]) {
    test(`stdio: aborting sends notifications/cancelled and the server stops the work (${withProgress ? 'with' : 'without'} a progress token)`, async () => {
      const conn = await v2(TARGETS[0], 'stdio', {}, ['--log-level', 'debug']);
      const { client, transport, received } = conn;
      const sent = [];
      const send = transport.send.bind(transport);
      transport.send = (m, o) => {
        sent.push(m);
        return send(m, o);
      };
      const ac = new AbortController();
      const settled = client
        .callTool({ name: 'e2e_slow', arguments: { seconds: 30 } }, { signal: ac.signal, ...(withProgress ? { onprogress: () => {} } : {}) })
        .then(() => 'resolved', (e) => e);
      if (withProgress) await waitUntil(() => progressOf(received).length >= 2, 10000, 'progress');
      else await sleep(800);
      ac.abort();
      assert.ok((await withTimeout(settled, 5000, 'the aborted call to settle')) instanceof Error);
      const callId = sent.find((m) => m.method === 'tools/call')?.id;
      const cancel = sent.find((m) => m.method === 'notifications/cancelled');
      assert.ok(cancel, 'the client sent notifications/cancelled');
      assert.equal(cancel.params.requestId, callId);
      await waitUntil(() => cancelledLine(conn.stderr()), 5000, `the server to log the cancellation; stderr: ${conn.stderr().slice(-500)}`);
      const t0 = Date.now();
      await withTimeout(TARGETS[0].check(client), 5000, 'the next call');
      assert.ok(Date.now() - t0 < 5000);
      // No response for the cancelled request ever arrives.
      await sleep(300);
      assert.equal(received.filter((m) => m.id === callId && ('result' in m || 'error' in m)).length, 0);
    });
  }
});

// The product's real long work: a command in a local devbox. Cancelling the call must kill the
// command (checked from outside with pgrep, as devboxes.test.mjs does).
function bwrapUsable() {
  try {
    execFileSync('bwrap', ['--ro-bind', '/', '/', '--unshare-all', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const sleepers = (marker) => {
  try {
    return execFileSync('pgrep', ['-f', `^sleep ${marker}`]).toString().trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
};
const NO_SANDBOX = bwrapUsable() ? false : 'bubblewrap cannot create sandboxes here';
describe('runagents-mcp: cancelling devbox_exec on the modern era kills the command', { skip: NO_SANDBOX }, () => {
  const cases = [
    { kind: 'stdio', progress: true },
    { kind: 'stdio', progress: false },
    { kind: 'http', progress: true },
    { kind: 'http', progress: false },
  ];
  let n = 0;
  for (const c of cases) {
    test(`${c.kind}, ${c.progress ? 'with' : 'without'} a progress token`, async () => {
      const { client } = await v2(TARGETS[1], c.kind);
      const box = await client.callTool({ name: 'create_devbox', arguments: { name: `modern-${n}` } }, { timeout: 60000 });
      assert.equal(box.isError ?? false, false, JSON.stringify(box.content));
      const id = box.structuredContent.id;
      const marker = `${640 + n++}.${process.pid % 1000}`;
      try {
        const ac = new AbortController();
        const settled = client
          .callTool(
            { name: 'devbox_exec', arguments: { devbox_id: id, command: `sleep ${marker}` } },
            { signal: ac.signal, timeout: 60000, ...(c.progress ? { onprogress: () => {} } : {}) },
          )
          .then(() => 'resolved', (e) => e);
        await waitUntil(() => sleepers(marker).length > 0, 15000, 'the sleep to start in the devbox');
        ac.abort();
        assert.ok((await withTimeout(settled, 5000, 'the aborted call to settle')) instanceof Error);
        await waitUntil(() => sleepers(marker).length === 0, 5000, `the command to be killed (sleep ${marker} still running)`);
        const t0 = Date.now();
        await withTimeout(TARGETS[1].check(client), 5000, 'the next call');
        assert.ok(Date.now() - t0 < 5000);
      } finally {
        await client.callTool({ name: 'manage_devbox', arguments: { action: 'shutdown', devbox_id: id } }).catch(() => {});
        for (const pid of sleepers(marker)) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {}
        }
      }
    });
  }
});

describe('a legacy session beside a modern client on one HTTP server', () => {
  for (const target of TARGETS) {
    test(`${target.label}: v1 (session) and v2 (stateless) work side by side`, async () => {
      const server = await target.http();
      const modern = await v2(target, 'http', { server });
      const legacy = await v1(target, 'http', server);
      assert.equal(modern.client.getProtocolEra(), 'modern');
      assert.equal(legacy.version, '2025-11-25');
      assert.ok(legacy.transport.sessionId);
      assert.equal(modern.transport.sessionId, undefined);

      // Interleaved and concurrent calls on both.
      const work = [target.check(modern.client), target.check(legacy.client), target.check(modern.client), target.check(legacy.client)];
      if (target === TARGETS[0]) {
        let v1Progress = 0;
        work.push(
          modern.client.callTool({ name: 'e2e_slow', arguments: { seconds: 1 } }, { onprogress: () => {} }),
          // v1's callTool takes (params, resultSchema, options).
          legacy.client.callTool({ name: 'e2e_slow', arguments: { seconds: 1 } }, undefined, { onprogress: () => v1Progress++ }),
          legacy.client.callTool({ name: 'e2e_echo', arguments: { message: 'hi', times: 2 } }).then((r) => {
            assert.deepEqual(r.structuredContent, { items: ['hi', 'hi'], count: 2 });
          }),
        );
        await withTimeout(Promise.all(work), 15000, 'the side-by-side calls');
        assert.equal(progressOf(modern.received).length, 10, 'the modern call got all its progress');
        assert.equal(progressOf(legacy.received).length, 10, 'the legacy call got all its progress on the wire');
        assert.ok(v1Progress >= 1, 'the v1 onprogress saw some');
      } else {
        await withTimeout(Promise.all(work), 15000, 'the side-by-side calls');
      }
      // The legacy session keeps its session-scoped behaviour: ping works there.
      await legacy.client.ping();
    });
  }
});

// Legacy-only clients still connect the old way on stdio, untouched by the modern era (the v1
// helper from lib.mjs, unchanged).
test('fixture over stdio: the lib.mjs v1 helper still negotiates 2025-11-25', async () => {
  const conn = await connectFixture('stdio');
  open.push(conn);
  const init = conn.received.find((m) => m.result?.protocolVersion);
  assert.equal(init.result.protocolVersion, '2025-11-25');
});
