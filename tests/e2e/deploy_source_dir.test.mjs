// deploy_agent source_dir (issue 13): an assistant deploys the project it is editing by naming its
// directory, never pasting files. What the server may read is checked from outside:
//   - stdio, a client without roots: the directory the server was started in (a project made by
//     `runagents-mcp init` there deploys and runs); a directory elsewhere, and a link inside the
//     working directory that leads out of it, are refused with the way to allow them;
//   - stdio, a client with roots (the v1 SDK answering roots/list): inside its root, yes; the
//     server's working directory, no longer;
//   - HTTP: nothing without --allow-path; with it, that directory.
// A secret file outside the project never appears in what is deployed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

import { PRODUCT, agentSandboxSkip, killAll, startHttpServer, toolOk, toolRefused } from './lib.mjs';

const skip = agentSandboxSkip();
const env = { ...process.env };
for (const k of ['RUNAGENTS_ENDPOINT', 'RUNAGENTS_API_KEY', 'RUNAGENTS_NAMESPACE', 'RUNAGENTS_DATA_DIR', 'RUNAGENTS_LLM_BASE_URL', 'RUNLOOP_API_KEY'])
  delete env[k];

let dir; // workspace/ (the server's cwd) with demo/ made by init; elsewhere/ with other/; secret.txt
const clients = [];
before(() => {
  if (skip) return;
  dir = mkdtempSync(path.join(tmpdir(), 'ra-srcdir-e2e-'));
  for (const d of ['workspace', 'elsewhere', 'data']) mkdirSync(path.join(dir, d));
  const r = spawnSync(PRODUCT, ['init', 'demo'], { cwd: path.join(dir, 'workspace'), env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  spawnSync(PRODUCT, ['init', 'other'], { cwd: path.join(dir, 'elsewhere'), env, encoding: 'utf8' });
  writeFileSync(path.join(dir, 'secret.txt'), 'sk-host-secret-do-not-read\n');
  symlinkSync(path.join(dir, 'secret.txt'), path.join(dir, 'workspace', 'demo', 'leak.py'));
  symlinkSync(path.join(dir, 'elsewhere'), path.join(dir, 'workspace', 'escape'));
});
after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await killAll();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const serverArgs = () => ['--data-dir', path.join(dir, 'data'), '--config', path.join(dir, 'none.json')];

async function stdioClient({ roots } = {}) {
  const client = new Client({ name: 'srcdir-e2e', version: '1.0.0' }, { capabilities: roots ? { roots: {} } : {} });
  if (roots) client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: roots.map((r) => ({ uri: `file://${r}`, name: path.basename(r) })) }));
  await client.connect(new StdioClientTransport({ command: PRODUCT, args: serverArgs(), env, cwd: path.join(dir, 'workspace'), stderr: 'pipe' }));
  clients.push(client);
  return client;
}

const deploy = (client, args) => client.callTool({ name: 'deploy_agent', arguments: args }, undefined, { timeout: 90000 });
const ok = toolOk;
function refused(r, pattern) {
  toolRefused(r, pattern);
  assert.ok(!JSON.stringify(r).includes('sk-host-secret'), 'the secret is never read');
}

describe('stdio, a client without roots: the working directory', { skip }, () => {
  let client;
  before(async () => {
    client = await stdioClient();
  });

  test('a project in the working directory deploys by name and runs; runagents.yaml fills the rest', { timeout: 120000 }, async () => {
    const d = ok(await deploy(client, { source_dir: 'demo' }));
    assert.equal(d.agent, 'demo');
    assert.equal(d.phase, 'Running', JSON.stringify(d));
    const agent = ok(await client.callTool({ name: 'get_agent', arguments: { name: 'demo' } }));
    assert.ok(JSON.stringify(agent).includes('agent.py'), JSON.stringify(agent).slice(0, 400));
    assert.ok(!JSON.stringify(agent).includes('leak.py'), 'a link out of the project is not deployed');
    assert.ok(!JSON.stringify(agent).includes('sk-host-secret'));
    const run = ok(await client.callTool({ name: 'run_query', arguments: { prompt: 'hi', agent: { name: 'demo' } } }, undefined, { timeout: 90000 }));
    assert.equal(run.run_status, 'COMPLETED', JSON.stringify(run));
    // Arguments win over runagents.yaml.
    const renamed = ok(await deploy(client, { source_dir: path.join(dir, 'workspace', 'demo'), agent_name: 'demo-two', dry_run: true }));
    assert.equal(renamed.agent, 'demo-two');
  });

  test('outside the working directory, by path or through a link: refused, saying how to allow it', { timeout: 30000 }, async () => {
    refused(await deploy(client, { source_dir: path.join(dir, 'elsewhere', 'other') }), /outside the directories this server may read.*--allow-path/s);
    refused(await deploy(client, { source_dir: 'escape/other' }), /outside the directories/);
    refused(await deploy(client, { source_dir: '../elsewhere/other' }), /outside the directories/);
    refused(await deploy(client, { source_dir: 'nope' }), /does not exist/);
    refused(await deploy(client, { source_dir: 'demo', source_files: { 'a.py': 'x' } }), /source_files or source_dir, not both/);
    refused(await deploy(client, {}), /agent_name is required/);
  });
});

describe('stdio, a client with roots: its roots, not the working directory', { skip }, () => {
  test('inside the root deploys; the working directory is refused', { timeout: 60000 }, async () => {
    const client = await stdioClient({ roots: [path.join(dir, 'elsewhere')] });
    const d = ok(await deploy(client, { source_dir: path.join(dir, 'elsewhere', 'other'), dry_run: true }));
    assert.equal(d.agent, 'other');
    assert.equal(d.status, 'validated');
    refused(await deploy(client, { source_dir: path.join(dir, 'workspace', 'demo'), dry_run: true }), /outside the directories.*roots/s);
  });
});

describe('HTTP: only --allow-path', { skip }, () => {
  test('without --allow-path nothing is readable; with it, that directory', { timeout: 60000 }, async () => {
    const connect = async (extra) => {
      const server = await startHttpServer(PRODUCT, ['--http', ...serverArgs(), ...extra], env);
      const client = new Client({ name: 'srcdir-e2e-http', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
      clients.push(client);
      return client;
    };
    const closed = await connect([]);
    refused(await deploy(closed, { source_dir: path.join(dir, 'workspace', 'demo'), dry_run: true }), /over HTTP.*--allow-path/s);
    const open = await connect(['--allow-path', path.join(dir, 'elsewhere')]);
    assert.equal(ok(await deploy(open, { source_dir: path.join(dir, 'elsewhere', 'other'), dry_run: true })).agent, 'other');
    refused(await deploy(open, { source_dir: path.join(dir, 'workspace', 'demo'), dry_run: true }), /outside/);
  });
});
