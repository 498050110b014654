// By-hand check for issue 9 (not part of the suite): a client with a 60 s limit per call (as
// Codex has) runs a five-minute query through run_query handles over stdio and HTTP.
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { PRODUCT, startHttpServer, killAll } from '../e2e/lib.mjs';
const log = (...a) => console.log(new Date().toISOString(), ...a);
const env = { ...process.env };
for (const k of ['RUNAGENTS_ENDPOINT', 'RUNAGENTS_API_KEY', 'RUNAGENTS_DATA_DIR', 'RUNLOOP_API_KEY', 'RUNTIMEUSE_WS_URL']) delete env[k];
async function one(kind) {
  const dir = mkdtempSync(path.join(tmpdir(), `ra-codex-${kind}-`));
  const args = ['--data-dir', path.join(dir, 'data'), '--config', path.join(dir, 'none.json')];
  const client = new Client({ name: 'codex-like', version: '1' });
  if (kind === 'stdio') await client.connect(new StdioClientTransport({ command: PRODUCT, args, env, stderr: 'ignore' }));
  else await client.connect(new StreamableHTTPClientTransport(new URL((await startHttpServer(PRODUCT, ['--http', ...args], env)).url)));
  const call = (a) => client.callTool({ name: 'run_query', arguments: a }, undefined, { timeout: 60000 });
  const t0 = Date.now();
  const s = await call({ prompt: 'Run the slow suite', async: true, pre_agent_commands: [{ command: 'for i in 1 2 3 4 5; do sleep 60; echo minute $i; done' }] });
  const id = s.structuredContent.query_id;
  let calls = 1, maxCallMs = 0, r;
  for (;;) {
    const c0 = Date.now();
    r = await call({ query_id: id, wait_seconds: 50 });
    calls++; maxCallMs = Math.max(maxCallMs, Date.now() - c0);
    log(kind, `t+${Math.round((Date.now() - t0) / 1000)}s`, r.structuredContent.status, r.structuredContent.progress ?? '');
    if (r.structuredContent.status !== 'running') break;
  }
  log(kind, 'END', r.structuredContent.status, 'isError', r.isError ?? false, 'calls', calls, 'longest call ms', maxCallMs,
    'elapsed s', Math.round((Date.now() - t0) / 1000), 'pre output', JSON.stringify(r.structuredContent.commands?.[0]?.output_tail));
  await client.close();
}
await Promise.all([one('stdio'), one('http')]);
await killAll();
