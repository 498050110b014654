// Storage objects through the MCP tools (issue 12), with the official MCP TypeScript SDK over
// stdio: manage_devbox upload with object_name stores a directory of the user's machine as a tgz
// (links as links) or a file as it is; create_devbox mounts [{type: object_mount}] extracts the
// archive into the devbox and writes the file, owned by the devbox's user; run_query's
// pre_agent_downloadables take object://ID; refusals: a path outside the home, an unknown
// object, a host path outside the allowed directories.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { agentSandboxSkip, connectIsolatedProduct, isolatedProduct, killAll, toolOk, toolRefused } from './lib.mjs';

const skip = agentSandboxSkip();
const STEP = { timeout: 120000 };

describe('storage objects through the MCP tools', { skip }, () => {
  let iso;
  let client;
  let call;
  let pid;
  let dirObject;
  let fileObject;

  before(async () => {
    iso = isolatedProduct('ra-objects-mcp-');
    const project = path.join(iso.dir, 'project');
    mkdirSync(path.join(project, 'src', 'empty'), { recursive: true });
    writeFileSync(path.join(project, 'src', 'run.sh'), '#!/bin/sh\necho run-ok\n', { mode: 0o755 });
    writeFileSync(path.join(project, 'data.txt'), 'data line\n');
    symlinkSync('/etc/passwd', path.join(project, 'outside-link'));
    writeFileSync(path.join(iso.dir, 'notes.md'), '# notes\n');
    ({ client, call, pid } = await connectIsolatedProduct(iso, 'objects-mcp-e2e'));
  });
  after(async () => {
    await client?.close().catch(() => {});
    await killAll();
    iso?.cleanup();
  });


  test('upload with object_name: a directory as a tgz, a file as text', STEP, async () => {
    // libarchive (and the nine libraries under it) is loaded by the first archive, not at start.
    const libarchiveMapped = () => readFileSync(`/proc/${pid}/maps`, 'utf8').includes('libarchive.so');
    toolOk(await call('list_tools', {}));
    assert.equal(libarchiveMapped(), false, 'libarchive is not loaded before an archive is made');
    const dir = toolOk(await call('manage_devbox', { action: 'upload', host_path: 'project', object_name: 'project' }));
    dirObject = dir.object;
    assert.match(dirObject.id, /^obj_/);
    assert.equal(dirObject.content_type, 'tgz');
    assert.equal(dirObject.state, 'READ_ONLY');
    assert.ok(dirObject.size_bytes > 0);
    assert.equal(libarchiveMapped(), true, 'the directory upload loaded libarchive');
    const file = toolOk(await call('manage_devbox', { action: 'upload', host_path: 'notes.md', object_name: 'notes.md' }));
    fileObject = file.object;
    assert.equal(fileObject.content_type, 'text');
    assert.equal(fileObject.size_bytes, 8);
    toolRefused(await call('manage_devbox', { action: 'upload', host_path: '/etc/hostname', object_name: 'x' }), /outside|allowed/);
  });

  test('create_devbox mounts them: the tree extracted, the link a link, the file written', STEP, async () => {
    const d = toolOk(await call('create_devbox', {
      mounts: [
        { type: 'object_mount', object_id: dirObject.id, object_path: 'proj' },
        { type: 'object_mount', object_id: fileObject.id, object_path: '/home/user/docs/notes.md' },
      ],
    }));
    const run = toolOk(await call('devbox_exec', {
      devbox_id: d.id,
      command: 'proj/src/run.sh && cat proj/data.txt docs/notes.md && readlink proj/outside-link && test -d proj/src/empty && touch proj/mine docs/mine && echo writable',
    }));
    assert.equal(run.exit_code, 0, JSON.stringify(run));
    assert.equal(run.stdout, 'run-ok\ndata line\n# notes\n/etc/passwd\nwritable\n');
    toolOk(await call('manage_devbox', { action: 'shutdown', devbox_id: d.id }));
  });

  test('refusals: outside the home, an unknown object', STEP, async () => {
    toolRefused(await call('create_devbox', { mounts: [{ type: 'object_mount', object_id: fileObject.id, object_path: '/etc/notes.md' }] }), /outside|home/);
    toolRefused(await call('create_devbox', { mounts: [{ type: 'object_mount', object_id: 'obj_000000000000000000000000', object_path: 'x' }] }), /not found/);
  });

  test('run_query pre_agent_downloadables take object://ID (an archive is unpacked)', STEP, async () => {
    const r = await call('run_query', {
      prompt: 'Look around',
      pre_agent_downloadables: [
        { download_url: `object://${dirObject.id}`, working_dir: 'in' },
        { download_url: `object://${fileObject.id}`, working_dir: 'in' },
      ],
      pre_agent_commands: [{ command: 'cat in/data.txt in/notes.md && in/src/run.sh' }],
    });
    const v = toolOk(r);
    assert.equal(v.metadata.downloads.length, 2);
    assert.equal(v.commands[0].exit_code, 0, JSON.stringify(v.commands));
    assert.match(v.commands[0].output_tail, /data line\n# notes\nrun-ok\n/);
  });
});
