// Devbox benchmark: drives the built runagents-mcp over stdio with the official MCP TypeScript
// SDK client (local sandboxes, fresh data dir) and prints a Markdown table:
//   - devbox create time (create_devbox until running)
//   - exec latency of `true` in a devbox (devbox_exec round trip) against a bare fork/exec of
//     `true`, and their ratio: from this process (Node's spawnSync, what a client pays) and from a
//     shell loop (the fork/exec floor of the machine)
//   - exec of a command printing 100 MB: wall time and the server's peak memory (VmHWM)
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

  const LOOP = 200;
  const loopT0 = process.hrtime.bigint();
  spawnSync('/bin/sh', ['-c', `i=0; while [ $i -lt ${LOOP} ]; do /bin/true; i=$((i+1)); done`]);
  const shellLoop = ms(loopT0) / LOOP;

  const hwmBefore = vm(transport.pid, 'VmHWM:');
  const t0 = process.hrtime.bigint();
  const big = await call('devbox_exec', {
    devbox_id: id,
    command: "yes 'the quick brown fox jumps over the lazy dog 0123456789' | head -c 100000000; echo",
    timeout_seconds: 600,
  });
  const bigMs = ms(t0);
  const hwm = vm(transport.pid, 'VmHWM:');
  for (const d of ids) await call('manage_devbox', { action: 'shutdown', devbox_id: d });

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
  console.log(`| exec printing 100 MB (exit ${big.exit_code}, stdout_truncated ${big.stdout_truncated}) | ${(bigMs / 1000).toFixed(2)} s |`);
  console.log(`| server peak memory (VmHWM) before / after the 100 MB exec | ${hwmBefore.toFixed(1)} / ${hwm.toFixed(1)} MiB |`);
} finally {
  await client.close();
  rmSync(dataDir, { recursive: true, force: true });
}
