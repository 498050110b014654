// Secrets for devboxes (issue 12): a person stores a secret (`runagents-mcp secret set NAME`, the
// value on stdin), a model names it in create_devbox `secrets`, the devbox's commands see the
// value, and nothing that leaves the server shows it:
//   - through the official MCP TypeScript SDK over stdio, with the server logging at debug level:
//     exec output (streamed and final), read_file, diff, logs and errors show [REDACTED]; the
//     server's stderr never holds the value; a secret that does not exist is refused by name;
//   - `secret list` prints names, never values; `secret delete` removes one;
//   - Runloop's own TypeScript SDK against `platform serve`: secrets.create / list / update /
//     delete (values never answered), and a devbox created with `secrets` whose executeSync output
//     shows [REDACTED].
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

import { PRODUCT, agentSandboxSkip, bwrapUsable, isolatedProduct, killAll, startPlatformServe, toolOk, toolRefused, waitExit, waitUntil } from './lib.mjs';

const skip = agentSandboxSkip();
const VALUE = 'ghp_Zq81xVw3Lm5Tp0';
const PART = 'Zq81xVw3';  // any piece of the value that must never show

/** Runs `runagents-mcp ARGS` on the isolated data dir; {status, stdout, stderr}. */
function cli(iso, args, input) {
  const r = spawnSync(PRODUCT, [...iso.args, ...args], { env: iso.env, input: input ?? '', encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('secrets: stored by a person, named by a model, never shown', { skip }, () => {
  let iso;
  let client;
  let transport;
  let stderr = '';
  let id;

  before(async () => {
    iso = isolatedProduct('ra-secrets-');
    const set = cli(iso, ['secret', 'set', 'gh_token'], `${VALUE}\n`);
    assert.equal(set.status, 0, set.stderr);
    assert.match(set.stdout, /secret gh_token created/);
    const project = path.join(iso.dir, 'project');
    mkdirSync(project);
    writeFileSync(path.join(project, 'config.txt'), 'token: none\n');
    transport = new StdioClientTransport({
      command: PRODUCT,
      args: [...iso.args, '--log-level', 'debug'],
      env: iso.env,
      cwd: iso.dir,
      stderr: 'pipe',
    });
    transport.stderr.on('data', (d) => { stderr += d; });
    client = new Client({ name: 'secrets-e2e', version: '1.0.0' });
    await client.connect(transport);
  });
  after(async () => {
    await client?.close().catch(() => {});
    await killAll();
    iso?.cleanup();
  });

  const call = (name, args, options = {}) => client.callTool({ name, arguments: args }, undefined, { timeout: 120000, ...options });

  test('`secret list` shows names only; a bad value is refused without echoing it', () => {
    const list = cli(iso, ['secret', 'list']);
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /^gh_token\tsec_/m);
    assert.ok(!list.stdout.includes(PART));
    const bad = cli(iso, ['secret', 'set', 'short'], 'abc');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /at least 4 bytes/);
    assert.match(cli(iso, ['secret', 'list']).stdout, /^gh_token\t/m);
    assert.doesNotMatch(cli(iso, ['secret', 'list']).stdout, /short/);
  });

  test('create_devbox refuses a secret that does not exist, naming how to make it', async () => {
    toolRefused(await call('create_devbox', { secrets: { TOKEN: 'nope' } }), /secret nope not found; create it with `runagents-mcp secret set nope`/);
  });

  test('commands see the value; output, progress, files, diff and logs show [REDACTED]', { timeout: 180000 }, async () => {
    const d = toolOk(await call('create_devbox', { secrets: { GH_TOKEN: 'gh_token' }, source_path: 'project' }));
    id = d.id;
    const progress = [];
    const run = toolOk(await call('devbox_exec', {
      devbox_id: id,
      command: 'echo "token=$GH_TOKEN"; echo "$GH_TOKEN" >&2; echo -n "$GH_TOKEN" | sha256sum | cut -c1-16',
    }, { onprogress: (p) => progress.push(p.message ?? '') }));
    assert.equal(run.exit_code, 0);
    assert.equal(run.stdout.split('\n')[0], 'token=[REDACTED]');
    assert.equal(run.stderr, '[REDACTED]\n');
    // The value itself reached the command: its digest is the one computed here.
    const { createHash } = await import('node:crypto');
    assert.equal(run.stdout.split('\n')[1], createHash('sha256').update(VALUE).digest('hex').slice(0, 16));
    for (const m of progress) assert.ok(!m.includes(PART), m);

    toolOk(await call('devbox_exec', { devbox_id: id, command: 'echo "token: $GH_TOKEN" > project/config.txt' }));
    const file = toolOk(await call('manage_devbox', { action: 'read_file', devbox_id: id, path: 'project/config.txt' }));
    assert.match(JSON.stringify(file), /token: \[REDACTED\]/);
    const diff = toolOk(await call('manage_devbox', { action: 'diff', devbox_id: id }));
    assert.match(diff.diff.text, /^\+token: \[REDACTED\]$/m);
    const logs = await call('manage_devbox', { action: 'logs', devbox_id: id });
    const failed = await call('devbox_exec', { devbox_id: id, command: 'echo "$GH_TOKEN" >&2; exit 4' });
    for (const r of [run, file, diff, logs, failed]) assert.ok(!JSON.stringify(r).includes(PART));
  });

  test('`secret delete` removes it; a new devbox cannot name it', async () => {
    const del = cli(iso, ['secret', 'delete', 'gh_token']);
    assert.equal(del.status, 0, del.stderr);
    assert.equal(cli(iso, ['secret', 'delete', 'gh_token']).status, 1);
    toolRefused(await call('create_devbox', { secrets: { TOKEN: 'gh_token' } }), /secret gh_token not found/);
    if (id) toolOk(await call('manage_devbox', { action: 'shutdown', devbox_id: id }));
  });

  test("the server's debug log, read whole after it exits, never holds the value", async () => {
    await client.close();
    await waitUntil(() => stderr.includes('stdin closed'), 10000, 'the server to log its shutdown');
    assert.ok(!stderr.includes(PART), 'the value is in the server log');
  });
});

let sdk;
try {
  sdk = await import('@runloop/api-client');
} catch {
  sdk = null;
}
const sdkSkip = !sdk ? '@runloop/api-client is not installed (npm install in tests/)' : !bwrapUsable() && 'bubblewrap cannot create sandboxes here';

describe("Runloop's TypeScript SDK: /v1/secrets on platform serve", { skip: sdkSkip }, () => {
  let iso;
  let serve;
  let client;

  before(async () => {
    iso = isolatedProduct('ra-secrets-sdk-');
    serve = await startPlatformServe(iso, ['--auth-token', 'secrets-sdk-token']);
    client = new sdk.default({ bearerToken: 'secrets-sdk-token', baseURL: serve.base, maxRetries: 0, http2: false });
  });
  after(async () => {
    serve?.child.kill('SIGTERM');
    if (serve) await waitExit(serve.child, 5000).catch(() => {});
    iso?.cleanup();
  });

  test('create, list, update, delete; answers never carry the value', { timeout: 60000 }, async () => {
    const made = await client.secrets.create({ name: 'db_password', value: VALUE });
    assert.equal(made.name, 'db_password');
    assert.match(made.id, /^sec_/);
    assert.equal(made.value, undefined);
    await assert.rejects(client.secrets.create({ name: 'db_password', value: 'other-value' }), (e) => e.status === 409);
    await assert.rejects(client.secrets.create({ name: 'x', value: 'ab' }), (e) => e.status === 400);
    const list = await client.secrets.list();
    assert.deepEqual(list.secrets.map((s) => s.name), ['db_password']);
    assert.equal(list.has_more, false);
    assert.ok(!JSON.stringify(list).includes(PART));
    const updated = await client.secrets.update('db_password', { value: `${VALUE}-v2` });
    assert.equal(updated.id, made.id);
    assert.ok(updated.update_time_ms >= made.update_time_ms);
    await assert.rejects(client.secrets.update('missing', { value: 'whatever' }), (e) => e.status === 404);
  });

  test('a devbox created with secrets sees the value; executeSync shows [REDACTED]', { timeout: 90000 }, async () => {
    const box = await client.devboxes.createAndAwaitRunning({ secrets: { DB_PASSWORD: 'db_password' } });
    const r = await client.devboxes.executeAndAwaitCompletion(box.id, { command: 'echo "pw=$DB_PASSWORD"; echo ${#DB_PASSWORD}' });
    assert.equal(r.stdout, `pw=[REDACTED]\n${VALUE.length + 3}\n`);
    await client.devboxes.shutdown(box.id);
    const gone = await client.secrets.delete('db_password');
    assert.equal(gone.name, 'db_password');
    assert.deepEqual((await client.secrets.list()).secrets, []);
  });
});
