// manage_devbox upload and download (issue 12), through the official MCP TypeScript SDK over
// stdio, with the server started in a workspace directory (its only allowed root):
//   - a project tree goes in: files with their executable bit, an empty directory, and symlinks
//     as links (one pointing at /etc/passwd stays a link, never followed);
//   - a tree the devbox made comes out to a new host path the same way, binary bytes exact; a link
//     in it that points out of the tree is made as a link and nothing is written through it;
//   - download refuses a host path that exists, and both refuse paths outside the workspace.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

import { PRODUCT, agentSandboxSkip, killAll, toolOk, toolRefused } from './lib.mjs';

const skip = agentSandboxSkip();
const env = { ...process.env };
for (const k of ['RUNAGENTS_ENDPOINT', 'RUNAGENTS_API_KEY', 'RUNAGENTS_NAMESPACE', 'RUNAGENTS_DATA_DIR', 'RUNLOOP_API_KEY'])
  delete env[k];

let dir; // workspace/ (the server's cwd, holding proj/), outside/, data/
let ws;
let client;
const BYTES = Buffer.from([0, 255, 1, 2, 10, 13, 0x80, 0xfe, 65]);

before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(tmpdir(), 'ra-transfer-e2e-'));
  ws = path.join(dir, 'workspace');
  for (const d of ['workspace/proj/bin', 'workspace/proj/nested/deep', 'workspace/proj/empty', 'outside', 'data'])
    mkdirSync(path.join(dir, d), { recursive: true });
  const proj = path.join(ws, 'proj');
  writeFileSync(path.join(proj, 'a.txt'), 'alpha\n');
  writeFileSync(path.join(proj, 'bin', 'run.sh'), '#!/bin/sh\necho ran\n', { mode: 0o755 });
  writeFileSync(path.join(proj, 'nested', 'deep', 'data.bin'), BYTES);
  symlinkSync('a.txt', path.join(proj, 'link'));
  symlinkSync('/etc/passwd', path.join(proj, 'escape'));
  writeFileSync(path.join(dir, 'outside', 'secret.txt'), 'not yours\n');
  client = new Client({ name: 'devbox-transfer-e2e', version: '1.0.0' });
  await client.connect(new StdioClientTransport({
    command: PRODUCT,
    args: ['--data-dir', path.join(dir, 'data'), '--config', path.join(dir, 'none.json')],
    env,
    cwd: ws,
    stderr: 'pipe',
  }));
});
after(async () => {
  await client?.close().catch(() => {});
  await killAll();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const call = (name, args) => client.callTool({ name, arguments: args }, undefined, { timeout: 120000 });
const sh = async (id, command) => toolOk(await call('devbox_exec', { devbox_id: id, command })).stdout;

describe('upload and download between the workspace and a devbox', { skip }, () => {
  let id;

  test('upload copies a tree: files, modes, empty directories, links as links', { timeout: 120000 }, async () => {
    id = toolOk(await call('create_devbox', {})).id;
    const r = toolOk(await call('manage_devbox', { action: 'upload', devbox_id: id, host_path: 'proj' }));
    assert.equal(r.transfer.kind, 'directory');
    assert.equal(r.transfer.path, '/home/user/proj');
    assert.equal(r.transfer.files, 3);
    assert.equal(r.transfer.links, 2);
    const out = await sh(id, 'cd proj && cat a.txt && bin/run.sh && test -d empty && echo empty-dir && readlink link && readlink escape && test -L escape && echo escape-is-link && od -An -tx1 nested/deep/data.bin | tr -d " \\n"');
    assert.equal(out, 'alpha\nran\nempty-dir\na.txt\n/etc/passwd\nescape-is-link\n' + BYTES.toString('hex'));
    const file = toolOk(await call('manage_devbox', { action: 'upload', devbox_id: id, host_path: path.join(ws, 'proj', 'a.txt'), path: 'copies/one.txt' }));
    assert.equal(file.transfer.kind, 'file');
    assert.equal(await sh(id, 'cat copies/one.txt'), 'alpha\n');
  });

  test('download writes a new host tree the same way, nothing through its links', { timeout: 120000 }, async () => {
    await sh(id, 'mkdir -p made/sub && printf "result\\n" > made/sub/r.txt && cp proj/nested/deep/data.bin made/ && ln -s ../outside made/out && ln -s sub/r.txt made/alias && chmod +x made/sub/r.txt && mkfifo made/pipe');
    const r = toolOk(await call('manage_devbox', { action: 'download', devbox_id: id, path: 'made', host_path: 'fetched' }));
    assert.equal(r.transfer.kind, 'directory');
    assert.deepEqual(r.transfer.skipped, ['pipe']);
    const got = path.join(ws, 'fetched');
    assert.equal(readFileSync(path.join(got, 'sub', 'r.txt'), 'utf8'), 'result\n');
    assert.ok(statSync(path.join(got, 'sub', 'r.txt')).mode & 0o100);
    assert.deepEqual(readFileSync(path.join(got, 'data.bin')), BYTES);
    assert.equal(readlinkSync(path.join(got, 'alias')), 'sub/r.txt');
    assert.equal(readlinkSync(path.join(got, 'out')), '../outside');
    assert.ok(lstatSync(path.join(got, 'out')).isSymbolicLink());
    assert.deepEqual(readdirSync(path.join(dir, 'outside')), ['secret.txt']);
    assert.ok(!existsSync(path.join(got, 'pipe')));

    const one = toolOk(await call('manage_devbox', { action: 'download', devbox_id: id, path: 'proj/nested/deep/data.bin', host_path: 'one.bin' }));
    assert.equal(one.transfer.kind, 'file');
    assert.deepEqual(readFileSync(path.join(ws, 'one.bin')), BYTES);
  });

  test('refusals: an existing host path, paths outside the workspace, a missing devbox path', { timeout: 60000 }, async () => {
    toolRefused(await call('manage_devbox', { action: 'download', devbox_id: id, path: 'made', host_path: 'fetched' }), /exists; download writes only a new path/);
    toolRefused(await call('manage_devbox', { action: 'download', devbox_id: id, path: 'made', host_path: path.join(dir, 'outside', 'x') }), /outside the directories this server may read/);
    toolRefused(await call('manage_devbox', { action: 'upload', devbox_id: id, host_path: path.join(dir, 'outside') }), /outside the directories this server may read/);
    toolRefused(await call('manage_devbox', { action: 'upload', devbox_id: id, host_path: 'proj/escape' }), /outside the directories this server may read/);
    toolRefused(await call('manage_devbox', { action: 'download', devbox_id: id, path: 'nothing-here', host_path: 'n' }), /does not exist in devbox/);
    assert.ok(!existsSync(path.join(ws, 'n')));
    assert.deepEqual(readdirSync(path.join(dir, 'outside')), ['secret.txt']);
    toolOk(await call('manage_devbox', { action: 'shutdown', devbox_id: id }));
  });
});
