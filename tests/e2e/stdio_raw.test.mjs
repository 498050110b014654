// Raw bad input over stdio: the binaries are spawned directly, lines (and raw bytes) are written to
// stdin and every stdout line is read back. Whatever arrives, the server answers with a JSON-RPC
// error (or ignores it), keeps serving, and writes nothing but JSON-RPC on stdout.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';

import { FIXTURE, PRODUCT, RawStdio, killAll, sleep, waitExit } from './lib.mjs';

const SERVERS = [
  { label: 'conformance-server --stdio', command: FIXTURE, args: ['--stdio', '--e2e-tools'] },
  { label: 'runagents-mcp (stdio)', command: PRODUCT, args: ['--log-level', 'debug'] },
];

const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

/** Writes `data` and resolves the next message at or after the current position that is an error reply. */
async function errorFor(peer, data, { timeout = 5000 } = {}) {
  const from = peer.messages.length;
  await peer.write(data);
  const m = await peer.waitFor((x) => 'error' in x, { from, timeout, what: `an error reply to ${describeInput(data)}` });
  return m;
}

function describeInput(data) {
  const s = Buffer.isBuffer(data) ? `<${data.length} bytes>` : typeof data === 'string' ? data : JSON.stringify(data);
  return s.length > 80 ? `${s.slice(0, 80)}… (${s.length} chars)` : s;
}

for (const server of SERVERS) {
  describe(`raw stdio: ${server.label}`, () => {
    afterEach(killAll);

    test('bad input gets JSON-RPC errors and the server keeps serving', async () => {
      const peer = new RawStdio(server.command, server.args);

      // Claude Code probes with server/discover before initialize: -32601, connection usable.
      const discover = await peer.request(1, 'server/discover', {});
      assert.equal(discover.error?.code, -32601, JSON.stringify(discover));

      // Requests other than ping before initialize are refused with a clear error.
      const early = await peer.request(2, 'tools/list');
      assert.ok(early.error, JSON.stringify(early));
      assert.ok([-32600, -32002, -32000].includes(early.error.code), JSON.stringify(early));
      assert.match(early.error.message, /initializ/i);
      const earlyPing = await peer.request(3, 'ping');
      assert.deepEqual(earlyPing.result, {});

      // Malformed JSON: -32700 with id null.
      let e = await errorFor(peer, '{"jsonrpc":"2.0","id":4,"method":"ping"');
      assert.equal(e.error.code, -32700);
      assert.equal(e.id, null);
      e = await errorFor(peer, 'hello, server');
      assert.equal(e.error.code, -32700);
      assert.equal(e.id, null);

      // Invalid UTF-8 inside a string of an otherwise valid message is answered with its own id
      // (the bytes become U+FFFD); bare invalid bytes are a parse error.
      e = await errorFor(
        peer,
        Buffer.concat([
          Buffer.from('{"jsonrpc":"2.0","id":5,"method":"no/such","params":{"x":"'),
          Buffer.from([0xff, 0xfe, 0xc3, 0x28]),
          Buffer.from('"}}\n'),
        ]),
      );
      assert.equal(e.error.code, -32601);
      assert.equal(e.id, 5);
      e = await errorFor(peer, Buffer.from([0xc0, 0xaf, 0xff, 0x0a]));
      assert.equal(e.error.code, -32700);

      // A JSON array (batches were removed in 2025-06-18), a number, a string, null.
      e = await errorFor(peer, '[{"jsonrpc":"2.0","id":6,"method":"ping"}]');
      assert.equal(e.error.code, -32600);
      assert.equal(e.id, null);
      for (const scalar of ['42', '"ping"', 'null', 'true']) {
        e = await errorFor(peer, scalar);
        assert.equal(e.error.code, -32600, scalar);
        assert.equal(e.id, null);
      }

      // Structurally wrong requests.
      e = await errorFor(peer, '{"jsonrpc":"2.0","id":7,"method":"tools/list","params":5}');
      assert.equal(e.error.code, -32602);
      assert.equal(e.id, 7);
      e = await errorFor(peer, '{"jsonrpc":"1.0","id":8,"method":"ping"}');
      assert.equal(e.error.code, -32600);
      e = await errorFor(peer, '{"jsonrpc":"2.0","id":{"nested":true},"method":"ping"}');
      assert.equal(e.error.code, -32600);
      assert.equal(e.id, null);
      e = await errorFor(peer, '{"jsonrpc":"2.0","id":9,"method":42}');
      assert.equal(e.error.code, -32600);
      e = await errorFor(peer, '{}');
      assert.equal(e.error.code, -32600);

      // A 50 MB line: an error naming the limit (default 16 MiB), not a crash or a stall.
      const pad = 'x'.repeat(50 * 1024 * 1024);
      e = await errorFor(peer, `{"jsonrpc":"2.0","id":"big","method":"ping","params":{"pad":"${pad}"}}\n`, {
        timeout: 15000,
      });
      assert.match(e.error.message, new RegExp(String(DEFAULT_MAX_BYTES)));
      assert.equal(e.error.data?.limit, DEFAULT_MAX_BYTES);

      // 10,000 levels of nesting: an error naming the depth limit.
      e = await errorFor(
        peer,
        `{"jsonrpc":"2.0","id":"deep","method":"ping","params":{"a":${'['.repeat(10000)}${']'.repeat(10000)}}}`,
      );
      assert.match(e.error.message, /nesting|depth/i);
      assert.ok(Number.isInteger(e.error.data?.limit), JSON.stringify(e.error));
      assert.match(e.error.message, new RegExp(`\\b${e.error.data.limit}\\b`));
      // Unterminated deep nesting too.
      e = await errorFor(peer, '['.repeat(10000));
      assert.ok(e.error);

      // Notifications that make no sense are ignored (no reply); blank lines too.
      const before = peer.messages.length;
      await peer.write('{"jsonrpc":"2.0","method":"notifications/unknown","params":5}');
      await peer.write('{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"nope"}}');
      await peer.write('   ');
      const stillPing = await peer.request(10, 'ping');
      assert.deepEqual(stillPing.result, {});
      assert.equal(peer.messages.length, before + 1, 'only the ping was answered');

      // After all that, initialize succeeds and the session works.
      const init = await peer.initialize(11);
      assert.equal(init.result.protocolVersion, '2025-11-25');
      const list = await peer.request(12, 'tools/list');
      assert.ok(Array.isArray(list.result?.tools), JSON.stringify(list).slice(0, 300));
      const again = await peer.request(13, 'initialize', {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'x', version: '1' },
      });
      assert.ok(again.error, 'a second initialize is refused');

      // Bad input after initialize as well.
      e = await errorFor(peer, '{"jsonrpc":"2.0","id":14,"method":"tools/call","params":5}');
      assert.equal(e.error.code, -32602);
      e = await errorFor(peer, '{not json}');
      assert.equal(e.error.code, -32700);
      const unknown = await peer.request(15, 'no/such/method', {});
      assert.equal(unknown.error?.code, -32601);
      const badCursor = await peer.request(16, 'tools/list', { cursor: '!!not-a-cursor!!' });
      assert.equal(badCursor.error?.code, -32602);

      const finalPing = await peer.request(99, 'ping');
      assert.deepEqual(finalPing.result, {});
      peer.assertStdoutClean();
      const exit = await peer.close();
      assert.equal(exit.code, 0, `clean exit on EOF; ${peer.describe()}`);
    });

    test('initialize negotiates versions; requests piped behind initialize see the session', async () => {
      const peer = new RawStdio(server.command, server.args);
      const init = {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'pipe', version: '1' } },
      };
      // One write: initialize, initialized and a request right behind it (scripts do this).
      await peer.write(
        `${JSON.stringify(init)}\n{"jsonrpc":"2.0","method":"notifications/initialized"}\n{"jsonrpc":"2.0","id":2,"method":"tools/list"}\n`,
      );
      const r1 = await peer.response(1);
      assert.equal(r1.result.protocolVersion, '2025-06-18', 'a supported requested version is echoed');
      assert.ok(r1.result.serverInfo.name && r1.result.serverInfo.version && r1.result.serverInfo.title);
      assert.ok(r1.result.instructions);
      const r2 = await peer.response(2);
      assert.ok(r2.result, JSON.stringify(r2).slice(0, 300));

      const other = new RawStdio(server.command, server.args);
      const r3 = await other.request(1, 'initialize', {
        protocolVersion: '1999-01-01',
        capabilities: {},
        clientInfo: { name: 'old', version: '1' },
      });
      assert.equal(r3.result.protocolVersion, '2025-11-25', 'an unknown version gets the latest');
      peer.assertStdoutClean();
      other.assertStdoutClean();
    });
  });
}

describe('raw stdio: a piped script session', () => {
  afterEach(killAll);

  // Regression: on EOF quick requests are answered before in-flight work is cancelled, so a
  // script piping a session into the binary gets every answer.
  test(
    'every request written before EOF is answered',
    async () => {
      for (let i = 0; i < 10; i++) {
        const peer = new RawStdio(FIXTURE, ['--stdio', '--e2e-tools']);
        const init = {
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'pipe', version: '1' } },
        };
        const lines = [
          init,
          { jsonrpc: '2.0', method: 'notifications/initialized' },
          { jsonrpc: '2.0', id: 2, method: 'tools/list' },
          { jsonrpc: '2.0', id: 3, method: 'ping' },
          { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'e2e_echo', arguments: { message: 'm' } } },
          { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'test_tool_with_logging', arguments: {} } },
          { jsonrpc: '2.0', id: 6, method: 'tools/call', params: { name: 'e2e_slow', arguments: { seconds: 0.2 } } },
          ...[7, 8, 9, 10, 11].map((id) => ({
            jsonrpc: '2.0',
            id,
            method: 'tools/call',
            params: { name: 'e2e_echo', arguments: { message: `m${id}` } },
          })),
        ];
        peer.child.stdin.end(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
        await waitExit(peer.child, 3000);
        const answered = peer.messages.filter((m) => m && 'id' in m && !('method' in m)).map((m) => m.id);
        answered.sort((a, b) => a - b);
        assert.deepEqual(answered, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], `try ${i + 1}: answered ${JSON.stringify(answered)}`);
      }
    },
  );
});

describe('raw stdio: limits are configurable and reported', () => {
  afterEach(killAll);

  test('--max-message-bytes and --max-depth', async () => {
    const peer = new RawStdio(PRODUCT, ['--max-message-bytes', '4096', '--max-depth', '8']);
    let e = await errorFor(peer, `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"${'y'.repeat(5000)}"}}`);
    assert.match(e.error.message, /4096/);
    assert.match(e.error.message, /--max-message-bytes/);
    e = await errorFor(peer, `{"jsonrpc":"2.0","id":2,"method":"ping","params":{"a":${'['.repeat(9)}${']'.repeat(9)}}}`);
    assert.match(e.error.message, /\b8\b/);
    assert.match(e.error.message, /--max-depth/);
    // Just under both limits is fine.
    const ok = await peer.request(3, 'ping', { a: [[[[1]]]], pad: 'z'.repeat(3000) });
    assert.deepEqual(ok.result, {});
    peer.assertStdoutClean();
  });
});

describe('raw stdio: concurrency and cancellation (fixture)', () => {
  afterEach(killAll);

  test('a long call does not delay ping; notifications/cancelled stops it with no response', async () => {
    const peer = new RawStdio(FIXTURE, ['--stdio', '--e2e-tools']);
    await peer.initialize();
    await peer.write({
      jsonrpc: '2.0',
      id: 'slow',
      method: 'tools/call',
      params: { name: 'e2e_slow', arguments: { seconds: 60 }, _meta: { progressToken: 'tok' } },
    });
    await peer.waitFor((m) => m.method === 'notifications/progress' && m.params.progressToken === 'tok', {
      what: 'the first progress notification',
    });
    const t0 = Date.now();
    const pong = await peer.request('p1', 'ping');
    assert.deepEqual(pong.result, {});
    assert.ok(Date.now() - t0 < 500, `ping answered promptly while a tool runs (${Date.now() - t0} ms)`);

    await peer.write({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'slow', reason: 'test' } });
    await sleep(300);
    const mark = peer.messages.length;
    await sleep(500);
    const after = peer.messages.slice(mark);
    assert.deepEqual(
      after.filter((m) => m?.method === 'notifications/progress'),
      [],
      'progress stops after cancellation',
    );
    assert.equal(
      peer.messages.filter((m) => m && m.id === 'slow').length,
      0,
      'no response is sent for a cancelled request',
    );
    const echo = await peer.request('e', 'tools/call', { name: 'e2e_echo', arguments: { message: 'm', times: 2 } });
    assert.deepEqual(echo.result.structuredContent, { items: ['m', 'm'], count: 2 });
    peer.assertStdoutClean();
  });
});
