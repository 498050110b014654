// Devbox benchmark: drives the built runagents-mcp over stdio with the official MCP TypeScript
// SDK client (local sandboxes, fresh data dir) and prints a Markdown table:
//   - devbox create time (create_devbox until running)
//   - exec latency of `true` in a devbox (devbox_exec round trip) against a bare fork/exec of
//     `true`, and their ratio: from this process (Node's spawnSync, what a client pays) and from a
//     shell loop (the fork/exec floor of the machine)
//   - exec of a command printing 100 MB, then 1 GB: wall time and the server's peak memory (VmHWM)
//   - a networked devbox (network: true, slirp4netns): create time, and exec latency of `true`
//     beside the devbox without network measured in the same run (skipped, saying why, when
//     slirp4netns cannot run here)
//   - snapshot of a ~50 MB home (a python venv plus 50 MB of generated package files): snapshot
//     time and size, and a devbox created from it, beside `cp -a` of the same home on the host
//   - run_query round trips: a deployed agent, and the embedded runtime (playground-llm) in an
//     existing devbox and in a fresh one
// Usage: RUNAGENTS_BUILD_DIR=build node bench/devbox.mjs [--runs N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const BUILD_DIR = path.resolve(process.env.RUNAGENTS_BUILD_DIR || 'build');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 20;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const vm = (pid, key) => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(key));
  return Number(line.split(/\s+/)[1]) / 1024; // MiB
};

const dataDir = mkdtempSync(path.join(tmpdir(), 'ra-devbox-bench-'));
const env = { ...process.env, RUNAGENTS_DATA_DIR: dataDir };
delete env.RUNLOOP_API_KEY;
const transport = new StdioClientTransport({ command: path.join(BUILD_DIR, 'runagents-mcp'), env, stderr: 'ignore' });
const client = new Client({ name: 'devbox-bench', version: '1.0.0' });
await client.connect(transport);
const call = async (name, args) => {
  const r = await client.callTool({ name, arguments: args }, undefined, { timeout: 600000 });
  if (r.isError) throw new Error(`${name}: ${JSON.stringify(r.content)}`);
  return r.structuredContent;
};

try {
  const creates = [];
  const ids = [];
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    ids.push((await call('create_devbox', { name: `bench-${i}` })).id);
    creates.push(ms(t0));
  }
  const id = ids[0];
  await call('devbox_exec', { devbox_id: id, command: 'true' }); // warm up

  const execs = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    await call('devbox_exec', { devbox_id: id, command: 'true' });
    execs.push(ms(t0));
  }
  const shellExecs = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    await call('devbox_exec', { devbox_id: id, command: 'true', shell_name: 'bench' });
    shellExecs.push(ms(t0));
  }
  const bare = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    spawnSync('true');
    bare.push(ms(t0));
  }

  // The same two, one call every 250 ms, as a model's calls come: the kernel work a command's
  // start pays after an idle spell (a cgroup migration waiting for an RCU grace period, say) is
  // hidden when calls run back to back.
  const GAP_MS = 250;
  const spacedExecs = [];
  const spacedBare = [];
  for (let i = 0; i < RUNS; i++) {
    await new Promise((r) => setTimeout(r, GAP_MS));
    let t0 = process.hrtime.bigint();
    await call('devbox_exec', { devbox_id: id, command: 'true' });
    spacedExecs.push(ms(t0));
    await new Promise((r) => setTimeout(r, GAP_MS));
    t0 = process.hrtime.bigint();
    spawnSync('true');
    spacedBare.push(ms(t0));
  }

  const LOOP = 200;
  const loopT0 = process.hrtime.bigint();
  spawnSync('/bin/sh', ['-c', `i=0; while [ $i -lt ${LOOP} ]; do /bin/true; i=$((i+1)); done`]);
  const shellLoop = ms(loopT0) / LOOP;

  const hwmBefore = vm(transport.pid, 'VmHWM:');
  // A command printing `bytes`: its result, wall time and the server's peak memory after it.
  const print = async (bytes) => {
    const t = process.hrtime.bigint();
    const result = await call('devbox_exec', {
      devbox_id: id,
      command: `yes 'the quick brown fox jumps over the lazy dog 0123456789' | head -c ${bytes}; echo`,
      timeout_seconds: 600,
    });
    return [result, ms(t), vm(transport.pid, 'VmHWM:')];
  };
  const [big, bigMs, hwm] = await print(100000000);
  // Ten times as much: the server's peak must not follow the output's size.
  const [huge, hugeMs, hwmHuge] = await print(1000000000);

  // A networked devbox: create, then `true` beside the plain devbox, the two taking turns.
  const net = { creates: [], execs: [], plain: [], skipped: '' };
  const netIds = [];
  try {
    for (let i = 0; i < 5; i++) {
      const t1 = process.hrtime.bigint();
      netIds.push((await call('create_devbox', { name: `bench-net-${i}`, network: true })).id);
      net.creates.push(ms(t1));
    }
    await call('devbox_exec', { devbox_id: netIds[0], command: 'true' }); // warm up
    for (let i = 0; i < RUNS; i++) {
      let t1 = process.hrtime.bigint();
      await call('devbox_exec', { devbox_id: netIds[0], command: 'true' });
      net.execs.push(ms(t1));
      t1 = process.hrtime.bigint();
      await call('devbox_exec', { devbox_id: id, command: 'true' });
      net.plain.push(ms(t1));
    }
  } catch (e) {
    net.skipped = e.message.slice(0, 200);
  }

  // A ~50 MB home: a venv (without pip: no network needed) and 50 MB of generated files.
  const snap = {};
  const snapId = ids[1]; // a devbox of its own: nothing else in its home
  await call('devbox_exec', {
    devbox_id: snapId,
    command:
      'python3 -m venv --without-pip venv && mkdir -p venv/lib/pkgs && cd venv/lib/pkgs && ' +
      'for d in $(seq 50); do mkdir p$d; for f in $(seq 100); do head -c 10240 /dev/urandom > p$d/m$f.py; done; done && ' +
      'ln -s p1 latest',
    timeout_seconds: 600,
  });
  snap.homeMb = Number((await call('devbox_exec', { devbox_id: snapId, command: 'du -sm ~ | cut -f1' })).stdout.trim());
  let t1 = process.hrtime.bigint();
  const taken = (await call('manage_devbox', { action: 'snapshot', devbox_id: snapId, snapshot_name: 'bench-50mb' })).snapshot;
  snap.ms = ms(t1);
  snap.bytes = taken.size_bytes;
  t1 = process.hrtime.bigint();
  const restored = await call('create_devbox', { name: 'bench-restored', snapshot_id: taken.id });
  snap.restoreMs = ms(t1);
  snap.restoredOk = (await call('devbox_exec', { devbox_id: restored.id, command: 'venv/bin/python -c "print(1)" && ls venv/lib/pkgs/p50 | wc -l' })).stdout;
  ids.push(restored.id);
  // The peer: cp -a of the same home on the host, in the same run.
  const home = path.join(dataDir, 'devboxes', snapId, 'home');
  const copies = [];
  for (let i = 0; i < 3; i++) {
    const dest = mkdtempSync(path.join(tmpdir(), 'ra-devbox-bench-cp-'));
    t1 = process.hrtime.bigint();
    spawnSync('cp', ['-a', home, path.join(dest, 'home')]);
    copies.push(ms(t1));
    rmSync(dest, { recursive: true, force: true });
  }
  snap.cpMs = median(copies);

  // run_query round trips: a deployed agent (the query becomes a run), and the embedded runtime
  // (the deterministic playground-llm) in the existing devbox and in a fresh one.
  const queries = { agent: [], embedded: [], fresh: [] };
  await call('deploy_agent', {
    agent_name: 'bench-echo',
    source_files: { 'agent.py': 'def handler(request, ctx):\n    return {"response": "echoed: " + request["message"]}\n' },
  });
  const query = async (kind, args) => {
    const t = process.hrtime.bigint();
    const r = await call('run_query', { prompt: 'ping', ...args });
    if (r.result_type === 'error') throw new Error(`run_query (${kind}): ${JSON.stringify(r).slice(0, 300)}`);
    queries[kind].push(ms(t));
  };
  await query('agent', { agent: { name: 'bench-echo' } }); // warm up
  await query('embedded', { devbox_id: id });
  for (const k of Object.keys(queries)) queries[k] = [];
  for (let i = 0; i < 10; i++) {
    await query('agent', { agent: { name: 'bench-echo' } });
    await query('embedded', { devbox_id: id });
    if (i < 5) await query('fresh', {});
  }

  for (const d of [...ids, ...netIds]) await call('manage_devbox', { action: 'shutdown', devbox_id: d });

  const e = median(execs);
  const b = median(bare);
  console.log('| measure | value |');
  console.log('|---|---|');
  console.log(`| devbox create (median of ${creates.length}) | ${median(creates).toFixed(1)} ms |`);
  console.log(`| devbox_exec \`true\`, fresh shell (median of ${RUNS}) | ${e.toFixed(2)} ms |`);
  console.log(`| devbox_exec \`true\`, named shell (median of ${RUNS}) | ${median(shellExecs).toFixed(2)} ms |`);
  console.log(`| bare fork/exec of \`true\` (median of ${RUNS}) | ${b.toFixed(2)} ms |`);
  console.log(`| bare fork/exec of \`true\` from a shell loop (mean of ${LOOP}) | ${shellLoop.toFixed(2)} ms |`);
  console.log(`| ratio devbox / bare (spawnSync) | ${(e / b).toFixed(1)}x |`);
  console.log(`| ratio devbox / bare (shell loop) | ${(e / shellLoop).toFixed(1)}x |`);
  const se = median(spacedExecs);
  const sb = median(spacedBare);
  console.log(`| devbox_exec \`true\`, fresh shell, one call every ${GAP_MS} ms (median of ${RUNS}) | ${se.toFixed(2)} ms |`);
  console.log(`| bare fork/exec of \`true\`, one every ${GAP_MS} ms (median of ${RUNS}) | ${sb.toFixed(2)} ms |`);
  console.log(`| ratio devbox / bare, calls ${GAP_MS} ms apart | ${(se / sb).toFixed(1)}x |`);
  console.log(`| exec printing 100 MB (exit ${big.exit_code}, stdout_truncated ${big.stdout_truncated}) | ${(bigMs / 1000).toFixed(2)} s |`);
  console.log(`| server peak memory (VmHWM) before / after the 100 MB exec | ${hwmBefore.toFixed(1)} / ${hwm.toFixed(1)} MiB |`);
  console.log(`| exec printing 1 GB (exit ${huge.exit_code}, stdout_truncated ${huge.stdout_truncated}) | ${(hugeMs / 1000).toFixed(2)} s |`);
  console.log(`| server peak memory (VmHWM) after the 1 GB exec | ${hwmHuge.toFixed(1)} MiB (idle + ${(hwmHuge - hwmBefore).toFixed(1)}) |`);
  if (net.skipped) {
    console.log(`| networked devbox | skipped: ${net.skipped.replace(/\|/g, '/')} |`);
  } else {
    const ne = median(net.execs);
    const pe = median(net.plain);
    console.log(`| networked devbox create (network: true, median of ${net.creates.length}) | ${median(net.creates).toFixed(1)} ms |`);
    console.log(`| devbox_exec \`true\`, networked devbox, fresh shell (median of ${RUNS}) | ${ne.toFixed(2)} ms |`);
    console.log(`| devbox_exec \`true\`, devbox without network, same turns (median of ${RUNS}) | ${pe.toFixed(2)} ms |`);
    console.log(`| ratio networked / without network | ${(ne / pe).toFixed(2)}x |`);
  }
  console.log(`| snapshot of a ${snap.homeMb} MB home (venv + 5000 files) | ${(snap.ms / 1000).toFixed(2)} s, ${(snap.bytes / 1048576).toFixed(1)} MiB |`);
  console.log(`| \`cp -a\` of the same home on the host (median of 3) | ${(snap.cpMs / 1000).toFixed(2)} s |`);
  console.log(`| ratio snapshot / cp -a | ${(snap.ms / snap.cpMs).toFixed(2)}x |`);
  console.log(`| create_devbox from that snapshot (until running; venv works, ${snap.restoredOk.split('\n')[1]} files in p50) | ${(snap.restoreMs / 1000).toFixed(2)} s |`);
  console.log(`| run_query round trip, deployed agent (handler returns at once; median of ${queries.agent.length}) | ${median(queries.agent).toFixed(1)} ms |`);
  console.log(`| run_query round trip, embedded runtime in an existing devbox (playground-llm; median of ${queries.embedded.length}) | ${median(queries.embedded).toFixed(1)} ms |`);
  console.log(`| run_query round trip, embedded runtime in a fresh devbox (median of ${queries.fresh.length}) | ${median(queries.fresh).toFixed(1)} ms |`);
} finally {
  await client.close();
  rmSync(dataDir, { recursive: true, force: true });
}
