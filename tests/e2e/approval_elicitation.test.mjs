// decide_approval without `decision` asks the person through the client (issue 9 §2, §6):
// an agent whose echo-tool call is held by an approval_required policy (as in agents.test.mjs) is
// invoked through `runagents-mcp platform serve`, and the pending request is decided by
//   (a) the v1 client (2025-11-25): the server sends elicitation/create, the handler approves;
//   (b) the v2 client pinned to 2026-07-28: an input_required result, answered by the same handler
//       (MRTR auto-fulfilment) on a retry;
//   (c) a client without elicitation: an isError result that says to pass decision;
//   (d) a declining person: an isError result, and the request stays PENDING;
// over HTTP (runagents-mcp --http) and stdio, every process on one isolated data dir.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as StdioV1 } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as HttpV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

import {
  HELD_AGENT_ARGS,
  MODERN_VERSION,
  PRODUCT,
  agentRuntimeUsable,
  connectV2,
  invokeAgent,
  isolatedProduct,
  killAll,
  startHttpServerEnv,
  startPlatformServe,
  withTimeout,
} from './lib.mjs';

const NO_RUNTIME = agentRuntimeUsable() ? false : 'bwrap or /usr/bin/python3 not usable here (agents cannot run)';
const AGENT = 'held-echo';
const APPROVE_ONCE = { action: 'accept', content: { decision: 'approve', scope: 'once' } };

describe('decide_approval without a decision asks the person (elicitation)', { skip: NO_RUNTIME }, () => {
  let iso;
  let http; // runagents-mcp --http
  let serve; // platform serve (invokes agents)
  let admin; // a v1 client used for setup and checks
  const open = [];

  before(async () => {
    iso = isolatedProduct('ra-approval-elicit-');
    http = await startHttpServerEnv(PRODUCT, ['--http', ...iso.args], iso.env);
    serve = await startPlatformServe(iso);
    admin = await connectV1('http', {});
    const deployed = await call(admin.client, 'deploy_agent', HELD_AGENT_ARGS(AGENT));
    assert.equal(deployed.status, 'created');
  });

  after(async () => {
    for (const c of open) await c.close();
    await killAll();
    iso?.cleanup();
  });

  async function call(client, name, args = {}) {
    const r = await client.callTool({ name, arguments: args }, undefined, { timeout: 120000 });
    assert.equal(r.isError ?? false, false, `${name}: ${JSON.stringify(r.content)}`);
    return r.structuredContent;
  }

  /** A v1 client over HTTP (to the shared --http server) or stdio (its own process, same data dir). */
  async function connectV1(kind, capabilities, onElicit) {
    const client = new ClientV1({ name: 'runagents-e2e-approvals-v1', version: '0.0.0' }, { capabilities });
    if (onElicit) client.setRequestHandler(ElicitRequestSchema, async (req) => onElicit(req.params));
    const transport =
      kind === 'http'
        ? new HttpV1(new URL(http.url))
        : new StdioV1({ command: PRODUCT, args: iso.args, env: iso.env, stderr: 'pipe' });
    transport.stderr?.on('data', () => {});
    await withTimeout(client.connect(transport), 15000, `v1 connect over ${kind}`);
    const conn = {
      client,
      // v1's callTool takes (params, resultSchema, options); v2's takes (params, options).
      callTool: (params, options) => client.callTool(params, undefined, options),
      close: () => withTimeout(client.close(), 3000, 'v1 close').catch(() => {}),
    };
    open.push(conn);
    return conn;
  }

  async function connectModern(kind, capabilities, onElicit) {
    const conn = await connectV2(kind, {
      ...(kind === 'http' ? { url: http.url } : { command: PRODUCT, args: iso.args, env: iso.env, stdioFlag: false }),
      capabilities,
      handlers: onElicit ? { 'elicitation/create': async (req) => onElicit(req.params) } : {},
    });
    assert.equal(conn.client.getNegotiatedProtocolVersion(), MODERN_VERSION);
    conn.callTool = (params, options) => conn.client.callTool(params, options);
    open.push(conn);
    return conn;
  }

  /** Invokes the agent (its echo-tool call is held) and resolves {run_id, request} (PENDING). */
  let invocations = 0;
  async function hold() {
    const message = `hello-${++invocations}`;
    const invoked = await invokeAgent(serve.base, AGENT, message);
    assert.equal(invoked.run_status, 'PAUSED_APPROVAL', JSON.stringify(invoked));
    const pending = await call(admin.client, 'list_approvals');
    const request = pending.approvals.find((a) => a.run_id === invoked.run_id);
    assert.ok(request, `a pending request for run ${invoked.run_id}: ${JSON.stringify(pending)}`);
    assert.equal(request.status, 'PENDING');
    assert.equal(request.tool, 'echo-tool');
    return { message, run_id: invoked.run_id, request };
  }

  async function requestStatus(id) {
    const all = await call(admin.client, 'list_approvals', { status: 'ALL', limit: 200 });
    return all.approvals.find((a) => a.id === id)?.status;
  }

  function assertAsked(asked, held) {
    assert.equal(asked.length, 1, `the person was asked once: ${JSON.stringify(asked)}`);
    const { message, requestedSchema } = asked[0];
    assert.match(message, new RegExp(AGENT), `the message names the agent: ${message}`);
    assert.match(message, /echo-tool/, `the message names the tool: ${message}`);
    assert.ok(message.includes(held.request.id), `the message names the request: ${message}`);
    assert.equal(requestedSchema.type, 'object');
    assert.ok(requestedSchema.properties.decision, 'the form asks for the decision');
    assert.ok(requestedSchema.properties.scope, 'and the scope');
    assert.deepEqual(requestedSchema.required, ['decision']);
  }

  function assertApproved(result, held) {
    assert.equal(result.isError ?? false, false, JSON.stringify(result.content));
    const out = result.structuredContent;
    assert.equal(out.request.id, held.request.id);
    assert.equal(out.request.status, 'APPROVED');
    assert.equal(out.run_status, 'COMPLETED', JSON.stringify(out));
    assert.equal(out.response.response, `echoed: ${held.message}`);
  }

  for (const kind of ['http', 'stdio']) {
    test(`(a) ${kind}, v1 client (2025-11-25): elicitation/create approves, the run resumes and completes`, async () => {
      const held = await hold();
      const asked = [];
      const { client } = await connectV1(kind, { elicitation: {} }, (params) => {
        asked.push(params);
        return APPROVE_ONCE;
      });
      const r = await client.callTool({ name: 'decide_approval', arguments: { request_id: held.request.id } }, undefined, { timeout: 120000 });
      assertApproved(r, held);
      assertAsked(asked, held);
      assert.equal(await requestStatus(held.request.id), 'APPROVED');
      const events = await call(admin.client, 'get_run_events', { run_id: held.run_id });
      assert.equal(events.run_status, 'COMPLETED');
    });

    test(`(b) ${kind}, v2 client pinned to 2026-07-28: input_required, auto-fulfilled by the same handler; the run completes`, async () => {
      const held = await hold();
      const asked = [];
      const { client, received } = await connectModern(kind, { elicitation: {} }, (params) => {
        asked.push(params);
        return APPROVE_ONCE;
      });
      const r = await client.callTool({ name: 'decide_approval', arguments: { request_id: held.request.id } }, { timeout: 120000 });
      assertApproved(r, held);
      assertAsked(asked, held);
      // On the wire: an input_required result, then the complete one; no server-to-client request.
      const results = received.filter((m) => 'result' in m).map((m) => m.result.resultType);
      assert.deepEqual(results.slice(-2), ['input_required', 'complete']);
      const round1 = received.filter((m) => m.result?.resultType === 'input_required').at(-1).result;
      // decide_approval keeps no state between its rounds (the retry repeats request_id), so a
      // requestState is optional here; when present it is the opaque string the client echoes.
      assert.ok(round1.requestState === undefined || typeof round1.requestState === 'string');
      const inputs = Object.values(round1.inputRequests);
      assert.equal(inputs.length, 1);
      assert.equal(inputs[0].method, 'elicitation/create');
      assert.match(inputs[0].params.message, new RegExp(AGENT));
      assert.equal(received.filter((m) => 'method' in m && 'id' in m).length, 0, 'no server-to-client requests');
      assert.equal(await requestStatus(held.request.id), 'APPROVED');
    });
  }

  describe('the request stays PENDING when nobody decides', () => {
    let held;
    before(async () => {
      held = await hold();
    });

    test('(c) clients without elicitation get an isError result that says to pass decision', async () => {
      const modern = await connectModern('http', {});
      let r = await modern.client.callTool({ name: 'decide_approval', arguments: { request_id: held.request.id } });
      assert.equal(r.isError, true, JSON.stringify(r));
      assert.match(r.content[0].text, /pass decision/);
      assert.match(r.content[0].text, /elicitation/);

      const legacy = await connectV1('stdio', {});
      r = await legacy.client.callTool({ name: 'decide_approval', arguments: { request_id: held.request.id } });
      assert.equal(r.isError, true, JSON.stringify(r));
      assert.match(r.content[0].text, /pass decision/);
      assert.equal(await requestStatus(held.request.id), 'PENDING');
    });

    for (const [label, connect] of [
      ['v1 over HTTP', (h) => connectV1('http', { elicitation: {} }, h)],
      ['v2 pinned over stdio', (h) => connectModern('stdio', { elicitation: {} }, h)],
    ]) {
      test(`(d) ${label}: the person declines → isError, the request stays PENDING and the run paused`, async () => {
        const asked = [];
        const conn = await connect((params) => {
          asked.push(params);
          return { action: 'decline' };
        });
        const r = await conn.callTool({ name: 'decide_approval', arguments: { request_id: held.request.id } }, { timeout: 60000 });
        assert.equal(r.isError, true, JSON.stringify(r));
        assert.match(r.content[0].text, /decline/);
        assert.match(r.content[0].text, /PENDING/);
        assertAsked(asked, held);
        assert.equal(await requestStatus(held.request.id), 'PENDING');
        const events = await call(admin.client, 'get_run_events', { run_id: held.run_id });
        assert.equal(events.run_status, 'PAUSED_APPROVAL');
      });
    }

    test('(e) v2 pinned over HTTP: the person rejects → REJECTED, and the run fails', async () => {
      const { client } = await connectModern('http', { elicitation: {} }, () => ({ action: 'accept', content: { decision: 'reject', reason: 'not today' } }));
      const r = await client.callTool({ name: 'decide_approval', arguments: { request_id: held.request.id } }, { timeout: 60000 });
      assert.equal(r.isError ?? false, false, JSON.stringify(r.content));
      assert.equal(r.structuredContent.request.status, 'REJECTED');
      assert.equal(r.structuredContent.run_status, 'FAILED');
      assert.equal(await requestStatus(held.request.id), 'REJECTED');
      // Decided now: asking again is refused before anyone is asked.
      let asked = 0;
      const again = await connectModern('http', { elicitation: {} }, () => {
        asked++;
        return APPROVE_ONCE;
      });
      const r2 = await again.client.callTool({ name: 'decide_approval', arguments: { request_id: held.request.id } });
      assert.equal(r2.isError, true);
      assert.match(r2.content[0].text, /REJECTED/);
      assert.equal(asked, 0, 'nobody is asked about a decided request');
    });
  });
});
