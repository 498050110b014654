// No per-request descriptor leaks (issue 14, "No leaks"): the product runs with at most 256 open
// files (prlimit), takes 2,000 devbox_exec calls from the official SDK v2 client over stdio, and
// still serves afterwards. Its open descriptors are counted from /proc before and after: before
// the fix of the eventfd each execution left behind, the server stopped opening files after
// about 230 commands. Under that limit every command also failed ("setting resource limits
// failed") until sandboxes clamped their limits to the server's own hard limit. Then 300 async
// executions with a stdin pipe (attach_stdin), fed and closed or killed, leave no pipe behind.
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { PRODUCT, bwrapUsable, connectV2, isolatedProduct, killAll, sleep, waitUntil } from './lib.mjs';

const NO_SANDBOX = bwrapUsable() ? false : 'bubblewrap cannot create sandboxes here (devboxes need it)';
const COMMANDS = 2000;
const CONCURRENCY = 4;

let iso;
let conn;

/** The process's open descriptors, by kind ("anon_inode:[eventfd]", "pipe", "socket", a path). */
function openFds(pid) {
  const kinds = {};
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed while we looked
    }
    const kind = target.replace(/:\[\d+\]$/, '').replace(/^\/.*/, 'file');
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}
const total = (kinds) => Object.values(kinds).reduce((a, b) => a + b, 0);

/**
 * openFds once it holds still: the same kinds and counts 200 ms apart (at most 3 s). A command's
 * supervising thread closes its descriptors just after the result went out, so a count taken at
 * once can include the last command's.
 */
async function settledFds(pid) {
  let last = openFds(pid);
  for (let waited = 0; waited < 3000; waited += 200) {
    await sleep(200);
    const now = openFds(pid);
    if (JSON.stringify(now) === JSON.stringify(last)) return now;
    last = now;
  }
  return last;
}

before(async () => {
  if (NO_SANDBOX) return;
  iso = isolatedProduct('ra-fdleak-e2e-');
  conn = await connectV2('stdio', {
    command: 'prlimit',
    args: ['--nofile=256:256', '--', PRODUCT, ...iso.args],
    env: iso.env,
    stdioFlag: false,
  });
});

after(async () => {
  await conn?.close();
  await killAll();
  iso?.cleanup();
});

test(`${COMMANDS} devbox_exec calls under a 256-descriptor limit leave no descriptor behind`, { skip: NO_SANDBOX, timeout: 600000 }, async () => {
  const { client, pid } = conn;
  const call = (name, args) => client.callTool({ name, arguments: args }, { timeout: 60000 });
  // The default limits: commands leave no zombie behind to count against max_processes
  // (devbox_zombies.test.mjs).
  const box = await call('create_devbox', { name: 'fdleak' });
  assert.equal(box.isError ?? false, false, JSON.stringify(box.content));
  const devbox = box.structuredContent.id;
  // Warm up (the first commands open what stays open: the shared database, thread pools).
  for (let i = 0; i < 20; i++) await call('devbox_exec', { devbox_id: devbox, command: 'true' });
  const beforeFds = await settledFds(pid);

  let next = 0;
  let failures = 0;
  let firstFailure;
  const worker = async () => {
    while (next < COMMANDS) {
      const i = next++;
      const r = await call('devbox_exec', { devbox_id: devbox, command: `echo ${i}` });
      if (r.isError || r.structuredContent?.stdout !== `${i}\n`) {
        failures++;
        firstFailure ??= JSON.stringify(r).slice(0, 600);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  assert.equal(failures, 0, `every command answered with its own output; first failure: ${firstFailure}`);

  // The last commands' supervising threads close their descriptors just after their results
  // went out: give them a moment, then count.
  const eventfds = (kinds) => kinds['anon_inode:[eventfd]'] ?? 0;
  await waitUntil(() => eventfds(openFds(pid)) <= eventfds(beforeFds) && total(openFds(pid)) <= total(beforeFds) + 4, 3000, 'descriptors to settle')
    .catch(() => {}); // the assertions below say what is left
  const afterFds = openFds(pid);
  assert.ok(total(afterFds) <= total(beforeFds) + 4,
    `open descriptors grew from ${total(beforeFds)} to ${total(afterFds)}: ${JSON.stringify(beforeFds)} -> ${JSON.stringify(afterFds)}`);
  assert.equal(afterFds['anon_inode:[eventfd]'] ?? 0, beforeFds['anon_inode:[eventfd]'] ?? 0, 'no eventfd left per command');

  // Still serving: a new command, a file read, and a listing.
  const r = await call('devbox_exec', { devbox_id: devbox, command: 'echo still' });
  assert.equal(r.structuredContent.stdout, 'still\n');
  const listed = await call('list_tools', {});
  assert.equal(listed.isError ?? false, false);
  await call('manage_devbox', { action: 'shutdown', devbox_id: devbox });
});

// Async executions with attach_stdin hold a stdin pipe in the server until the command ends:
// more of them than the descriptor limit, each fed and closed (or killed with its stdin still
// open), leave nothing behind either.
const STDIN_COMMANDS = 300;
test(`${STDIN_COMMANDS} async executions with a stdin pipe, fed, closed or killed, leave no descriptor behind`, { skip: NO_SANDBOX, timeout: 600000 }, async () => {
  const { client, pid } = conn;
  const call = async (name, args) => {
    const r = await client.callTool({ name, arguments: args }, { timeout: 60000 });
    assert.equal(r.isError ?? false, false, `${name}: ${JSON.stringify(r.content)}`);
    return r.structuredContent;
  };
  const box = await call('create_devbox', { name: 'fdleak-stdin', resources: { max_processes: 65536 } });
  const devbox = box.id;
  const once = async (i) => {
    const started = await call('devbox_exec', { devbox_id: devbox, command: 'cat', async: true, attach_stdin: true });
    const eid = started.execution_id;
    if (i % 10 === 0) {
      const killed = await call('manage_devbox', { action: 'kill_execution', devbox_id: devbox, execution_id: eid });
      return killed.execution.status === 'completed';
    }
    await call('manage_devbox', { action: 'send_stdin', devbox_id: devbox, execution_id: eid, text: `${i}\n`, close: true });
    const done = await call('manage_devbox', { action: 'execution_status', devbox_id: devbox, execution_id: eid, wait_seconds: 30 });
    return done.execution.status === 'completed' && done.execution.stdout === `${i}\n`;
  };
  for (let i = 1; i <= 5; i++) assert.ok(await once(i));  // warm up
  const beforeFds = await settledFds(pid);
  let next = 0;
  let failures = 0;
  const worker = async () => {
    while (next < STDIN_COMMANDS) if (!(await once(next++))) failures++;
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  assert.equal(failures, 0, 'every cat completed with its own input (or was killed)');
  const afterFds = await settledFds(pid);
  assert.ok(total(afterFds) <= total(beforeFds) + 4,
    `open descriptors grew from ${total(beforeFds)} to ${total(afterFds)}: ${JSON.stringify(beforeFds)} -> ${JSON.stringify(afterFds)}`);
  assert.equal(afterFds.pipe ?? 0, beforeFds.pipe ?? 0, 'no stdin pipe left per execution');
  await call('manage_devbox', { action: 'shutdown', devbox_id: devbox });
});
