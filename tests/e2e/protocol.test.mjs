// The official MCP TypeScript SDK client drives the conformance fixture (conformance-server
// --e2e-tools) over stdio and over Streamable HTTP with the same scenarios: initialize, list,
// call, validation errors, progress, logging, cancellation and a sampling round trip.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';

import { CreateMessageRequestSchema, LoggingMessageNotificationSchema, McpError } from '@modelcontextprotocol/sdk/types.js';

import { PROTOCOL_VERSION, TRANSPORTS, connectFixture, isAlive, killAll, sleep, withTimeout } from './lib.mjs';

const text = (result) => result.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');

for (const kind of TRANSPORTS) {
  describe(`SDK client over ${kind}`, () => {
    let conn;
    afterEach(async () => {
      await conn?.close();
      conn = undefined;
      await killAll();
    });

    test('initialize negotiates 2025-11-25 and reports server info, instructions and capabilities', async () => {
      conn = await connectFixture(kind);
      const init = conn.received.find((m) => m.id !== undefined && m.result?.protocolVersion);
      assert.ok(init, 'the initialize response was seen');
      assert.equal(init.result.protocolVersion, PROTOCOL_VERSION);
      if (kind === 'http') assert.equal(conn.transport.protocolVersion, PROTOCOL_VERSION);

      const info = conn.client.getServerVersion();
      assert.equal(typeof info.name, 'string');
      assert.ok(info.name.length > 0);
      assert.ok(info.title, 'serverInfo.title');
      assert.match(info.version, /^\d+\.\d+\.\d+/);
      assert.ok(conn.client.getInstructions()?.length > 10, 'instructions tell a model what the server is for');

      const caps = conn.client.getServerCapabilities();
      assert.ok(caps.tools, 'tools capability');
      assert.deepEqual(caps.logging, {});
      assert.ok(caps.resources, 'resources capability (the fixture has resources)');
      assert.ok(caps.prompts, 'prompts capability');
      assert.deepEqual(caps.completions, {});
      await conn.client.ping();
    });

    test('tools/list is deterministic and describes the e2e tools', async () => {
      conn = await connectFixture(kind);
      const first = await conn.client.listTools();
      const second = await conn.client.listTools();
      assert.deepEqual(
        second.tools.map((t) => t.name),
        first.tools.map((t) => t.name),
      );
      assert.deepEqual(second, first);
      const names = first.tools.map((t) => t.name);
      for (const n of ['test_simple_text', 'test_error_handling', 'test_sampling', 'e2e_slow', 'e2e_echo']) {
        assert.ok(names.includes(n), `${n} is listed`);
      }
      assert.equal(new Set(names).size, names.length, 'no duplicate names');
      for (const t of first.tools) assert.equal(t.inputSchema.type, 'object', `${t.name} input schema`);
      const echo = first.tools.find((t) => t.name === 'e2e_echo');
      assert.equal(echo.annotations.readOnlyHint, true);
      assert.equal(echo.outputSchema.type, 'object');
      assert.deepEqual(echo.outputSchema.required, ['items', 'count']);
    });

    test('tools/call returns structuredContent matching the output schema plus a text block', async () => {
      conn = await connectFixture(kind);
      await conn.client.listTools(); // lets the SDK validate structuredContent against outputSchema
      const result = await conn.client.callTool({ name: 'e2e_echo', arguments: { message: 'hi', times: 3 } });
      assert.ok(!result.isError, text(result));
      assert.deepEqual(result.structuredContent, { items: ['hi', 'hi', 'hi'], count: 3 });
      assert.deepEqual(JSON.parse(text(result)), result.structuredContent);

      const simple = await conn.client.callTool({ name: 'test_simple_text', arguments: {} });
      assert.equal(text(simple), 'This is a simple text response for testing.');
    });

    test('argument validation failure is an isError result naming the field', async () => {
      conn = await connectFixture(kind);
      const result = await conn.client.callTool({ name: 'e2e_echo', arguments: { message: 'hi', times: 50 } });
      assert.equal(result.isError, true);
      assert.match(text(result), /times/);
      assert.match(text(result), /maximum|10/i, 'the rule is named');

      const missing = await conn.client.callTool({ name: 'e2e_echo', arguments: {} });
      assert.equal(missing.isError, true);
      assert.match(text(missing), /message/);
    });

    test('an unknown tool is JSON-RPC error -32602; test_error_handling is isError', async () => {
      conn = await connectFixture(kind);
      await assert.rejects(conn.client.callTool({ name: 'no_such_tool', arguments: {} }), (e) => {
        assert.ok(e instanceof McpError, String(e));
        assert.equal(e.code, -32602);
        assert.match(e.message, /no_such_tool/);
        return true;
      });
      const result = await conn.client.callTool({ name: 'test_error_handling', arguments: {} });
      assert.equal(result.isError, true);
      assert.match(text(result), /error/i);
      await conn.client.ping(); // still serving
    });

    test('progress notifications arrive in increasing order', async () => {
      conn = await connectFixture(kind);
      const seen = [];
      const result = await conn.client.callTool({ name: 'e2e_slow', arguments: { seconds: 1 } }, undefined, {
        onprogress: (p) => seen.push(p),
        timeout: 10000,
      });
      assert.ok(!result.isError, text(result));
      assert.ok(seen.length >= 5, `several progress notifications (got ${seen.length})`);
      for (let i = 1; i < seen.length; i++) {
        assert.ok(seen[i].progress > seen[i - 1].progress, `progress increases: ${JSON.stringify(seen)}`);
      }
      assert.match(seen[0].message ?? '', /step/);
      // The SDK runs progress handlers in a microtask, so over stdio a final notification that
      // arrives in the same read as the response can miss `onprogress`; the raw stream has all.
      const raw = conn.received.filter((m) => m.method === 'notifications/progress').map((m) => m.params);
      assert.deepEqual(
        raw.map((p) => p.progress),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
      assert.ok(raw.every((p) => p.total === 10));
      assert.equal(new Set(raw.map((p) => p.progressToken)).size, 1, 'one progress token');
    });

    test('logging: debug level delivers the 3 tool log messages, error level none', async () => {
      conn = await connectFixture(kind);
      const logs = [];
      conn.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => logs.push(n.params));

      await conn.client.setLoggingLevel('debug');
      const r1 = await conn.client.callTool({ name: 'test_tool_with_logging', arguments: {} });
      assert.ok(!r1.isError);
      // Notifications precede the response on both transports; allow a moment for stragglers.
      await sleep(100);
      assert.equal(logs.length, 3, JSON.stringify(logs));
      for (const l of logs) assert.equal(l.level, 'info');

      logs.length = 0;
      await conn.client.setLoggingLevel('error');
      const r2 = await conn.client.callTool({ name: 'test_tool_with_logging', arguments: {} });
      assert.ok(!r2.isError);
      await sleep(200);
      assert.equal(logs.length, 0, JSON.stringify(logs));

      await assert.rejects(conn.client.setLoggingLevel('loud'), (e) => e.code === -32602);
    });

    test('cancel: aborting a long call stops it; the server keeps serving', async () => {
      conn = await connectFixture(kind);
      const controller = new AbortController();
      let progressCount = 0;
      const started = Date.now();
      const call = conn.client.callTool({ name: 'e2e_slow', arguments: { seconds: 60 } }, undefined, {
        signal: controller.signal,
        onprogress: () => progressCount++,
        timeout: 70000,
      });
      await sleep(300);
      controller.abort('test cancels');
      await assert.rejects(withTimeout(call, 1000, 'the aborted call to reject'));
      assert.ok(Date.now() - started < 1500, 'the call rejected promptly');
      assert.ok(progressCount >= 1, 'the call was running (progress seen) before the abort');

      // The handler stopped: no progress for the cancelled request after a short grace period.
      await sleep(250);
      const mark = conn.received.length;
      await sleep(400);
      const late = conn.received.slice(mark).filter((m) => m.method === 'notifications/progress');
      assert.deepEqual(late, [], 'no progress after cancellation');

      await conn.client.ping();
      const again = await conn.client.callTool({ name: 'e2e_echo', arguments: { message: 'after cancel' } });
      assert.deepEqual(again.structuredContent, { items: ['after cancel'], count: 1 });
      if (kind === 'stdio') assert.ok(isAlive(conn.pid), 'the stdio server is still running');
    });

    test('sampling round trip: the server asks the client LLM and returns its answer', async () => {
      conn = await connectFixture(kind, { capabilities: { sampling: {} } });
      const asked = [];
      conn.client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
        asked.push(req.params);
        return {
          model: 'e2e-model',
          role: 'assistant',
          content: { type: 'text', text: `echo of ${req.params.messages[0].content.text}` },
        };
      });
      const result = await conn.client.callTool({ name: 'test_sampling', arguments: { prompt: 'What is 2+2?' } });
      assert.ok(!result.isError, text(result));
      assert.equal(text(result), 'LLM response: echo of What is 2+2?');
      assert.equal(asked.length, 1);
      assert.equal(asked[0].messages[0].role, 'user');
      assert.ok(asked[0].maxTokens > 0);
    });

    test('sampling without the client capability is refused with isError', async () => {
      conn = await connectFixture(kind);
      const result = await conn.client.callTool({ name: 'test_sampling', arguments: { prompt: 'x' } });
      assert.equal(result.isError, true);
      assert.match(text(result), /sampling/);
    });
  });
}
