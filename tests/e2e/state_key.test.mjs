// A multi round-trip request (2026-07-28) whose rounds land on different server processes: the
// second round's requestState was sealed by the first process, so it is accepted only when both
// share the key (RUNAGENTS_MCP_STATE_KEY, or the data dir's mcp-state.key for runagents-mcp).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FIXTURE, killAll, modernMeta, postModern, startHttpServer } from './lib.mjs';

after(killAll);

const TOOL = 'test_input_required_result_request_state';
const call = (id, extra = {}) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: TOOL, arguments: {}, ...extra, _meta: modernMeta({ capabilities: { elicitation: {} } }) },
});
const answer = { confirm: { action: 'accept', content: { ok: true } } };

async function firstRound(url) {
  const r = await postModern(url, call(1));
  assert.equal(r.status, 200);
  const result = r.json.result;
  assert.equal(result.resultType, 'input_required');
  assert.equal(typeof result.requestState, 'string');
  return result.requestState;
}

test('a requestState sealed by one process is accepted by another with the same key', async () => {
  const key = 'k'.repeat(16) + 'shared-key-for-the-e2e-test-0123';
  const a = await startHttpServer(FIXTURE, [], { RUNAGENTS_MCP_STATE_KEY: key });
  const b = await startHttpServer(FIXTURE, [], { RUNAGENTS_MCP_STATE_KEY: key });
  const state = await firstRound(a.url);
  const r = await postModern(b.url, call(2, { inputResponses: answer, requestState: state }));
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.result.resultType, 'complete');
  assert.match(r.json.result.content[0].text, /state-ok/);
});

test('a process with another key refuses the state and changes nothing', async () => {
  const a = await startHttpServer(FIXTURE, [], { RUNAGENTS_MCP_STATE_KEY: 'a'.repeat(40) });
  const b = await startHttpServer(FIXTURE, [], { RUNAGENTS_MCP_STATE_KEY: 'b'.repeat(40) });
  const state = await firstRound(a.url);
  const r = await postModern(b.url, call(3, { inputResponses: answer, requestState: state }));
  assert.equal(r.json.error?.code, -32602, r.text);
  assert.match(r.json.error.message, /requestState/);
  // The process that sealed it still accepts it.
  const ok = await postModern(a.url, call(4, { inputResponses: answer, requestState: state }));
  assert.match(ok.json.result.content[0].text, /state-ok/);
});
