// No zombie per command. bwrap's own process exits as soon as the sandbox's init reports the
// command's status, without waiting for that init; the init was then handed to the host's pid 1,
// and a pid 1 that does not reap (a container without --init, this machine's microVM agent) kept
// one zombie per command. Without a pids cgroup those zombies count against the devbox's
// RLIMIT_NPROC, so after about max_processes commands every command failed ("bwrap: Can't fork").
//
// Here the server runs under a small wrapper that is a child subreaper and never reaps anything
// but the server: it stands in for a pid 1 that does not reap, and makes every zombie the server
// leaves attributable (other processes on the machine make their own zombies meanwhile). A devbox
// with max_processes 16 runs 100 commands of every kind: sync, async, in a named shell, killed by
// a timeout, killed through kill_execution. Every one succeeds, and afterwards no zombie has the
// wrapper or the server as its parent.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { PRODUCT, bwrapUsable, connectV2, isolatedProduct, killAll, sleepMarker, sleepers, waitUntil } from './lib.mjs';

const NO_SANDBOX = bwrapUsable() ? false : 'bubblewrap cannot create sandboxes here (devboxes need it)';

// A parent that adopts orphans (PR_SET_CHILD_SUBREAPER) and reaps only the server; it forwards
// SIGTERM and SIGINT to it and exits with its status.
const WRAPPER = `
import ctypes, os, signal, sys
if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:
    sys.exit("prctl(PR_SET_CHILD_SUBREAPER) failed")
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
for s in (signal.SIGTERM, signal.SIGINT):
    signal.signal(s, lambda n, f: os.kill(pid, n))
while True:
    try:
        _, status = os.waitpid(pid, 0)
        break
    except InterruptedError:
        pass
sys.exit(os.waitstatus_to_exitcode(status) & 0xFF)
`;

let iso;
let conn;

/** [{pid, ppid, comm}] of every zombie on the host. */
function zombies() {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[0] !== 'Z') continue;
      found.push({ pid: Number(entry), ppid: Number(rest[1]), comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) });
    } catch {} // reaped while we looked
  }
  return found;
}

function ppidOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}

/** The wrapper's one child, the server, once it has started it. */
async function serverPid(wrapper) {
  let children = [];
  await waitUntil(() => {
    children = readdirSync('/proc').filter((e) => /^\d+$/.test(e) && ppidOf(Number(e)) === wrapper);
    return children.length > 0;
  }, 10000, 'the wrapper to start the server');
  assert.equal(children.length, 1, `the wrapper has one child, the server: ${children}`);
  return Number(children[0]);
}

before(async () => {
  if (NO_SANDBOX) return;
  iso = isolatedProduct('ra-zombies-e2e-');
  conn = await connectV2('stdio', {
    command: '/usr/bin/python3',
    args: ['-c', WRAPPER, PRODUCT, ...iso.args],
    env: iso.env,
    stdioFlag: false,
  });
});

after(async () => {
  await conn?.close();
  await killAll();
  iso?.cleanup();
});

test('100 commands of every kind in a devbox with max_processes 16 all succeed and leave no zombie', { skip: NO_SANDBOX, timeout: 240000 }, async () => {
  const { client, pid: wrapper } = conn;
  const server = await serverPid(wrapper);
  const ours = () => zombies().filter((z) => z.ppid === wrapper || z.ppid === server);
  const atPid1Before = zombies().filter((z) => z.ppid === 1).length;

  const call = async (name, args) => {
    const r = await client.callTool({ name, arguments: args }, { timeout: 60000 });
    assert.equal(r.isError ?? false, false, `${name} ${JSON.stringify(args)}: ${JSON.stringify(r.content).slice(0, 600)}`);
    return r.structuredContent;
  };
  const box = await call('create_devbox', { name: 'zombies', resources: { max_processes: 16 } });
  const devbox_id = box.id;
  const finished = async (execution_id) => {
    for (;;) {
      const r = await call('manage_devbox', { action: 'execution_status', devbox_id, execution_id, wait_seconds: 30 });
      if (r.execution.status === 'completed') return r.execution;
    }
  };

  let commands = 0;
  // 40 one-shot commands, waited for.
  for (let i = 0; i < 40; i++, commands++) {
    const r = await call('devbox_exec', { devbox_id, command: `echo sync ${i}` });
    assert.equal(r.exit_code, 0, JSON.stringify(r));
    assert.equal(r.stdout, `sync ${i}\n`);
  }
  // 20 async ones, four at a time, each awaited through execution_status.
  for (let i = 0; i < 20; i += 4) {
    await Promise.all([0, 1, 2, 3].map(async (k) => {
      const started = await call('devbox_exec', { devbox_id, command: `echo async ${i + k}`, async: true });
      const done = await finished(started.execution_id);
      assert.equal(done.exit_code, 0, JSON.stringify(done));
      assert.equal(done.stdout, `async ${i + k}\n`);
      commands++;
    }));
  }
  // 20 in a named shell (its state persists), each with a short-lived background process.
  for (let i = 0; i < 20; i++, commands++) {
    const r = await call('devbox_exec', { devbox_id, shell_name: 'work', command: `n=$((\${n:-0}+1)); (sleep 0.01 &); echo shell $n` });
    assert.equal(r.exit_code, 0, JSON.stringify(r));
    assert.equal(r.stdout, `shell ${i + 1}\n`);
  }
  // 10 killed by their timeout, two at a time.
  for (let i = 0; i < 10; i += 2) {
    await Promise.all([0, 1].map(async () => {
      const r = await call('devbox_exec', { devbox_id, command: 'sleep 300', timeout_seconds: 1 });
      assert.equal(r.timed_out, true, JSON.stringify(r));
      assert.equal(r.exit_code, 137);
      commands++;
    }));
  }
  // 10 killed through kill_execution while they run.
  for (let i = 0; i < 10; i++, commands++) {
    const marker = sleepMarker();
    const started = await call('devbox_exec', { devbox_id, command: `sleep ${marker}`, async: true });
    await waitUntil(() => sleepers(marker).length === 1, 10000, `sleep ${marker} to run`);
    await call('manage_devbox', { action: 'kill_execution', devbox_id, execution_id: started.execution_id });
    const done = await finished(started.execution_id);
    assert.equal(done.killed, true, JSON.stringify(done));
    assert.deepEqual(sleepers(marker), [], 'the killed command left nothing running');
  }
  assert.equal(commands, 100);

  // Still serving under the limit, then nothing of ours left as a zombie.
  const again = await call('devbox_exec', { devbox_id, command: 'echo still' });
  assert.equal(again.stdout, 'still\n');
  await waitUntil(() => ours().length === 0, 5000, 'no zombie under the server or its stand-in pid 1')
    .catch(() => assert.deepEqual(ours(), [], 'zombies the server left behind'));
  const atPid1After = zombies().filter((z) => z.ppid === 1).length;
  // Informative only: other processes on the host hand pid 1 their own zombies.
  console.log(`zombies under pid 1: ${atPid1Before} before, ${atPid1After} after (none of them ours: ours would be the wrapper's)`);
  await call('manage_devbox', { action: 'shutdown', devbox_id });
  assert.deepEqual(ours(), [], 'no zombie after shutdown');
});
