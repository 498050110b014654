// Devboxes end to end, offline: the official MCP TypeScript SDK client drives the built
// runagents-mcp over stdio with a fresh data dir. Create a devbox, write a file, run a command
// that reads it while progress arrives, cancel a `sleep 600` (and check from outside that no
// sleep is left), snapshot, start a second devbox from the snapshot, shut both down. A default
// devbox has no network: reaching the host's loopback or the internet fails fast, with the
// command's own error.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const BUILD_DIR = path.resolve(process.env.RUNAGENTS_BUILD_DIR || 'build');
const BINARY = path.join(BUILD_DIR, 'runagents-mcp');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sleepers = (marker) => {
  try {
    return execFileSync('pgrep', ['-f', `^sleep ${marker}`]).toString().trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

let dataDir;
let client;

function bwrapUsable() {
  try {
    execFileSync('bwrap', ['--ro-bind', '/', '/', '--unshare-all', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const skip = bwrapUsable() ? false : 'bubblewrap cannot create sandboxes here';

before(async () => {
  if (skip) return;
  dataDir = mkdtempSync(path.join(tmpdir(), 'ra-devbox-e2e-'));
  const env = { ...process.env, RUNAGENTS_DATA_DIR: dataDir };
  delete env.RUNLOOP_API_KEY;
  const transport = new StdioClientTransport({ command: BINARY, args: [], env, stderr: 'pipe' });
  client = new Client({ name: 'devbox-e2e', version: '1.0.0' });
  await client.connect(transport);
});

after(async () => {
  await client?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const call = async (name, args, options = {}) => {
  const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 60000, ...options });
  assert.ok(!result.isError, `${name} failed: ${JSON.stringify(result.content)}`);
  return result.structuredContent;
};

test('devboxes through MCP: files, live output, cancel, snapshot, second devbox, shutdown', { skip, timeout: 30000 }, async () => {
  const { tools } = await client.listTools();
  for (const t of ['create_devbox', 'devbox_exec', 'manage_devbox'])
    assert.ok(tools.find((x) => x.name === t), `${t} listed`);

  const steps = [];
  const box = await call('create_devbox', { name: 'e2e' }, { onprogress: (p) => steps.push(p) });
  assert.equal(box.status, 'running');
  // The SDK runs progress handlers a step after it reads them: a local devbox starts so fast that
  // its progress arrives in the same read as the response, so let the handler run first.
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.ok(steps.length > 0, 'progress while it starts');

  await call('manage_devbox', { action: 'write_file', devbox_id: box.id, path: 'data/in.txt', contents: 'alpha\nbeta\ngamma\n' });

  const progress = [];
  const run = await call(
    'devbox_exec',
    { devbox_id: box.id, command: 'while read l; do echo "got $l"; sleep 0.1; done < data/in.txt' },
    { onprogress: (p) => progress.push(p) },
  );
  assert.equal(run.exit_code, 0);
  assert.equal(run.stdout, 'got alpha\ngot beta\ngot gamma\n');
  assert.ok(progress.length >= 2, `progress notifications carried lines (${progress.length})`);
  assert.ok(progress.some((p) => /^got /.test(p.message ?? '')));

  // Cancel a sleep 600: the request is aborted and nothing is left running.
  const controller = new AbortController();
  const pending = client
    .callTool({ name: 'devbox_exec', arguments: { devbox_id: box.id, command: 'sleep 600' } }, undefined, { signal: controller.signal, timeout: 60000 })
    .catch((e) => e);
  for (let i = 0; i < 50 && sleepers(600).length === 0; i++) await sleep(50);
  assert.ok(sleepers(600).length > 0, 'the sleep started');
  controller.abort('user cancelled');
  await pending;
  for (let i = 0; i < 60 && sleepers(600).length > 0; i++) await sleep(50);
  assert.deepEqual(sleepers(600), [], 'no sleep 600 remains after the cancel');

  const snap = await call('manage_devbox', { action: 'snapshot', devbox_id: box.id, snapshot_name: 'with-data' });
  assert.equal(snap.snapshot.status, 'complete');

  const second = await call('create_devbox', { snapshot_id: snap.snapshot.id });
  const read = await call('devbox_exec', { devbox_id: second.id, command: 'cat data/in.txt' });
  assert.equal(read.stdout, 'alpha\nbeta\ngamma\n');

  const listed = await call('manage_devbox', { action: 'list' });
  assert.ok(listed.devboxes.length >= 2);
  const page = await call('manage_devbox', { action: 'list', limit: 1 });
  assert.equal(page.devboxes.length, 1);
  assert.equal(page.has_more, true);
  assert.equal(page.next_starting_after, page.devboxes[0].id);
  const next = await call('manage_devbox', { action: 'list', limit: 1, starting_after: page.next_starting_after });
  assert.notEqual(next.devboxes[0].id, page.devboxes[0].id);
  for (const id of [box.id, second.id]) {
    const down = await call('manage_devbox', { action: 'shutdown', devbox_id: id });
    assert.equal(down.devbox.status, 'shutdown');
  }
  const refused = await client.callTool({ name: 'devbox_exec', arguments: { devbox_id: box.id, command: 'true' } });
  assert.ok(refused.isError);
  assert.match(refused.content[0].text, /shutdown/);
});

test('a default devbox has no network: connections fail at once with the error in stderr', { skip, timeout: 30000 }, async () => {
  // A listener on the host's loopback: the devbox's 127.0.0.1 is its own, so it is not reached.
  const listener = net.createServer((socket) => socket.end('hello from the host\n'));
  await new Promise((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address();
  const box = await call('create_devbox', { name: 'offline' });
  try {
    const t0 = Date.now();
    const local = await call('devbox_exec', { devbox_id: box.id, command: `cat < /dev/tcp/127.0.0.1/${port}` });
    assert.notEqual(local.exit_code, 0);
    assert.doesNotMatch(local.stdout, /hello from the host/);
    assert.match(local.stderr, /Connection refused/);

    const remote = await call('devbox_exec', {
      devbox_id: box.id,
      command: "python3 -c \"import urllib.request; urllib.request.urlopen('http://example.com/', timeout=20)\"",
    });
    assert.notEqual(remote.exit_code, 0);
    assert.match(remote.stderr, /URLError|unreachable|name resolution|Name or service not known/);
    assert.ok(Date.now() - t0 < 15000, `both failed fast (${Date.now() - t0} ms), not by waiting for a timeout`);
  } finally {
    listener.close();
    await call('manage_devbox', { action: 'shutdown', devbox_id: box.id });
  }
});

// Long output streams to files in the devbox as it arrives: the result holds its head and tail and
// names the file, which has every byte (up to 64 MiB a stream; past that its first 64 MiB).
test('long output: head and tail in the result, every byte in the file it names', { skip, timeout: 60000 }, async () => {
  const box = await call('create_devbox', { name: 'long-output' });
  const r = await call('devbox_exec', { devbox_id: box.id, command: 'seq 1 100000; echo tail-of-stderr >&2' });
  assert.equal(r.exit_code, 0);
  assert.equal(r.stdout_truncated, true);
  assert.ok(r.stdout.startsWith('1\n2\n3\n'), r.stdout.slice(0, 20));
  assert.ok(r.stdout.endsWith('99999\n100000\n'));
  assert.ok(r.stdout.length < 9000, `the result keeps its head and tail only (${r.stdout.length})`);
  const file = `/home/user/.runagents/exec/${r.execution_id}.stdout`;
  assert.match(r.stdout, new RegExp(`the whole stdout is in ${file}`));
  assert.match(r.note, new RegExp(`stdout \\(588895 bytes\\) was cut to its head and tail; the whole of it is in ${file}`));
  assert.equal(r.stderr, 'tail-of-stderr\n');
  assert.equal(r.stderr_truncated, false);
  // The file, read back through manage_devbox, is the command's whole output.
  const head = await call('manage_devbox', { action: 'read_file', devbox_id: box.id, path: file, length: 12 });
  assert.equal(head.file.size, 588895);
  assert.equal(head.file.contents, '1\n2\n3\n4\n5\n6\n');
  const mid = await call('manage_devbox', { action: 'read_file', devbox_id: box.id, path: file, offset: 288895, length: 12 });
  const seq = Array.from({ length: 100000 }, (_, i) => `${i + 1}\n`).join('');
  assert.equal(mid.file.contents, seq.slice(288895, 288907));

  // Past 64 MiB the file holds the first 64 MiB, and the note says so.
  const big = await call('devbox_exec', { devbox_id: box.id, command: 'head -c 70000000 /dev/zero | tr "\\0" y; echo; echo END' });
  assert.equal(big.exit_code, 0);
  assert.ok(big.stdout.endsWith('yyy\nEND\n'));
  const bigFile = `/home/user/.runagents/exec/${big.execution_id}.stdout`;
  assert.match(big.note, new RegExp(`${bigFile} holds its first 67108864 bytes`));
  const size = await call('devbox_exec', { devbox_id: box.id, command: `stat -c %s ${bigFile} && rm ${bigFile}` });
  assert.equal(size.stdout, '67108864\n');
  await call('manage_devbox', { action: 'shutdown', devbox_id: box.id });
});
