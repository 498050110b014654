// create_devbox source_path and manage_devbox diff / changed_files (issue 12), through the
// official MCP TypeScript SDK over stdio, as an assistant would run a project's tests:
//   - a git repository in the server's working directory, with an ignored directory holding a
//     file and a tracked shell test, is copied into /home/user/<name> (install_command runs
//     there); the test passes in the devbox and the ignored file is not there;
//   - a file is changed in the devbox: diff shows exactly that change, changed_files lists it,
//     and the user's project on the host is unchanged;
//   - a path outside the working directory, a devbox without a source, and source_name without
//     source_path are refused with errors that say what to do;
//   - over HTTP nothing may be read without --allow-path; with it, that directory (file:// too).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { PRODUCT, agentSandboxSkip, killAll, startHttpServer, toolOk, toolRefused } from './lib.mjs';

const skip = agentSandboxSkip();
const env = { ...process.env };
for (const k of ['RUNAGENTS_ENDPOINT', 'RUNAGENTS_API_KEY', 'RUNAGENTS_NAMESPACE', 'RUNAGENTS_DATA_DIR', 'RUNAGENTS_LLM_BASE_URL', 'RUNLOOP_API_KEY'])
  delete env[k];

let dir; // workspace/ (the server's cwd) holding shop/ (a git repository); elsewhere/; data/
let client;
const git = (cwd, ...args) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'init.defaultBranch=main', ...args], { cwd, stdio: 'pipe' });

before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(tmpdir(), 'ra-devbox-source-e2e-'));
  for (const d of ['workspace/shop/node_modules/leftpad', 'workspace/shop/src', 'elsewhere/other', 'data'])
    mkdirSync(path.join(dir, d), { recursive: true });
  const shop = path.join(dir, 'workspace', 'shop');
  writeFileSync(path.join(shop, '.gitignore'), 'node_modules/\n');
  writeFileSync(path.join(shop, 'node_modules', 'leftpad', 'index.js'), 'module.exports = "ignored";\n');
  writeFileSync(path.join(shop, 'src', 'price.sh'), 'price() { echo $(( $1 * 2 )); }\n');
  writeFileSync(path.join(shop, 'test.sh'), '#!/bin/bash\nset -e\n. src/price.sh\n[ "$(price 21)" = 42 ] && echo "1 test passed"\n', { mode: 0o755 });
  git(shop, 'init', '-q');
  git(shop, 'add', '-A');
  git(shop, 'commit', '-qm', 'shop');
  writeFileSync(path.join(dir, 'elsewhere', 'other', 'x.txt'), 'not yours\n');
  client = new Client({ name: 'devbox-source-e2e', version: '1.0.0' });
  await client.connect(new StdioClientTransport({
    command: PRODUCT,
    args: ['--data-dir', path.join(dir, 'data'), '--config', path.join(dir, 'none.json')],
    env,
    cwd: path.join(dir, 'workspace'),
    stderr: 'pipe',
  }));
});
after(async () => {
  await client?.close().catch(() => {});
  await killAll();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const call = (name, args) => client.callTool({ name, arguments: args }, undefined, { timeout: 120000 });
const ok = toolOk;
const refused = toolRefused;

describe('a project in a devbox, and its changes out', { skip }, () => {
  let id;

  test('create_devbox source_path copies what git would commit and runs install_command', { timeout: 120000 }, async () => {
    const d = ok(await call('create_devbox', { source_path: 'shop', install_command: 'echo ok > .installed' }));
    assert.equal(d.status, 'running');
    assert.equal(d.source_dir, '/home/user/shop');
    id = d.id;
    const run = ok(await call('devbox_exec', { devbox_id: id, command: './test.sh', working_dir: '/home/user/shop' }));
    assert.equal(run.exit_code, 0, JSON.stringify(run));
    assert.match(run.stdout, /1 test passed/);
    const look = ok(await call('devbox_exec', { devbox_id: id, command: 'ls -A; test -e node_modules && echo IGNORED-PRESENT || true; git log --format=%an refs/runagents/baseline', working_dir: '/home/user/shop' }));
    assert.doesNotMatch(look.stdout, /IGNORED-PRESENT|node_modules/);
    assert.match(look.stdout, /\.gitignore/);
    assert.match(look.stdout, /runagents-mcp/);
  });

  test('a change in the devbox: diff shows exactly it, changed_files lists it, the host is untouched', { timeout: 120000 }, async () => {
    // The install command's file is the only change so far; drop it to start clean.
    ok(await call('devbox_exec', { devbox_id: id, command: 'rm .installed && sed -i "s/\\* 2/* 3/" src/price.sh', working_dir: '/home/user/shop' }));
    const diff = ok(await call('manage_devbox', { action: 'diff', devbox_id: id })).diff;
    assert.equal(diff.source_dir, '/home/user/shop');
    assert.equal(diff.eof, true);
    const changed = diff.text.split('\n').filter((l) => /^[-+]/.test(l) && !/^(---|\+\+\+) /.test(l));
    assert.deepEqual(changed, ['-price() { echo $(( $1 * 2 )); }', '+price() { echo $(( $1 * 3 )); }'], diff.text);
    assert.match(diff.text, /^diff --git a\/src\/price.sh b\/src\/price.sh$/m);
    const files = ok(await call('manage_devbox', { action: 'changed_files', devbox_id: id })).changed_files;
    assert.deepEqual(files.files, [{ path: 'src/price.sh', status: 'modified' }]);
    assert.equal(files.total, 1);
    const failing = ok(await call('devbox_exec', { devbox_id: id, command: './test.sh', working_dir: '/home/user/shop' }));
    assert.notEqual(failing.exit_code, 0);
    assert.equal(readFileSync(path.join(dir, 'workspace', 'shop', 'src', 'price.sh'), 'utf8'), 'price() { echo $(( $1 * 2 )); }\n');
    assert.equal(git(path.join(dir, 'workspace', 'shop'), 'status', '--porcelain').toString(), '');
  });

  test('outside the allowed directories, no source, source_name alone: refused', { timeout: 60000 }, async () => {
    refused(await call('create_devbox', { source_path: path.join(dir, 'elsewhere', 'other') }), /outside the directories this server may read.*--allow-path/s);
    refused(await call('create_devbox', { source_path: `file://${path.join(dir, 'elsewhere', 'other')}` }), /outside the directories/);
    refused(await call('create_devbox', { source_path: '../elsewhere/other' }), /outside the directories/);
    refused(await call('create_devbox', { source_name: 'x' }), /source_name needs source_path/);
    const plain = ok(await call('create_devbox', {}));
    refused(await call('manage_devbox', { action: 'diff', devbox_id: plain.id }), /no project baseline.*source_path/s);
    ok(await call('manage_devbox', { action: 'shutdown', devbox_id: plain.id }));
    const list = ok(await call('manage_devbox', { action: 'list' }));
    assert.equal(list.devboxes.length, 2, 'a refused create made no devbox');
    ok(await call('manage_devbox', { action: 'shutdown', devbox_id: id }));
  });
});

describe('HTTP: only --allow-path', { skip }, () => {
  test('without --allow-path the project is refused; with it, it is copied', { timeout: 120000 }, async () => {
    const shop = path.join(dir, 'workspace', 'shop');
    const connect = async (extra) => {
      const server = await startHttpServer(PRODUCT, ['--http', '--data-dir', path.join(dir, 'data'), '--config', path.join(dir, 'none.json'), ...extra], env);
      const c = new Client({ name: 'devbox-source-e2e-http', version: '1.0.0' });
      await c.connect(new StreamableHTTPClientTransport(new URL(server.url)));
      return c;
    };
    const closed = await connect([]);
    refused(await closed.callTool({ name: 'create_devbox', arguments: { source_path: shop } }), /over HTTP.*--allow-path/s);
    await closed.close();
    const open = await connect(['--allow-path', path.join(dir, 'workspace')]);
    const d = ok(await open.callTool({ name: 'create_devbox', arguments: { source_path: `file://${shop}`, source_name: 'app' } }, undefined, { timeout: 120000 }));
    assert.equal(d.source_dir, '/home/user/app');
    const run = ok(await open.callTool({ name: 'devbox_exec', arguments: { devbox_id: d.id, command: './test.sh', working_dir: '/home/user/app' } }, undefined, { timeout: 120000 }));
    assert.match(run.stdout, /1 test passed/);
    const none = ok(await open.callTool({ name: 'manage_devbox', arguments: { action: 'changed_files', devbox_id: d.id } }));
    assert.deepEqual(none.changed_files.files, []);
    refused(await open.callTool({ name: 'create_devbox', arguments: { source_path: path.join(dir, 'elsewhere', 'other') } }), /outside/);
    ok(await open.callTool({ name: 'manage_devbox', arguments: { action: 'shutdown', devbox_id: d.id } }));
    await open.close();
  });
});
