#!/usr/bin/env node
// Soak run (a benchmark, not a test): runagents-mcp over HTTP under many concurrent clients for a
// long time, with every answer checked and the server's memory, open descriptors and threads
// sampled from /proc. What it must show: zero wrong answers, and flat RSS, fds and threads.
//
//   node bench/soak.mjs --product build/runagents-mcp [--clients 64] [--duration 600]
//                       [--sample 10] [--out FILE]
//
// Each client sends stateless 2026-07-28 POSTs in a loop, picking by weight:
//   devbox_exec `echo <nonce>` on one of 4 shared devboxes (stdout must be the nonce)   40
//   manage_devbox write_file then read_file of a nonce file (must read back)              15
//   list_tools (must list echo-tool)                                                     25
//   list_agents                                                                          15
//   run_query with a pre-command printing a nonce, in a fresh devbox (must succeed)       5
// The server runs with a fresh data dir and no config file (RUNAGENTS_* variables removed).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const PRODUCT = opt('product', 'build/runagents-mcp');
const CLIENTS = Number(opt('clients', 64));
const DURATION = Number(opt('duration', 600));
const SAMPLE = Number(opt('sample', 10));
const OUT = opt('out', '');
const MODERN = '2026-07-28';
const META = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'runagents-mcp-soak', version: '1.0.0' },
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

function proc(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (k) => Number(status.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm'))?.[1] ?? 0);
  return { rssMiB: field('VmRSS') / 1024, threads: field('Threads'), fds: fs.readdirSync(`/proc/${pid}/fd`).length };
}

let serial = 0;
async function call(url, name, args, timeoutMs = 120000) {
  const id = ++serial;
  const body = { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, _meta: META } };
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN,
      'mcp-method': 'tools/call',
      'mcp-name': name,
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let reply;
  if ((res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    for (const block of text.split('\n\n')) {
      const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5)).join('\n');
      if (!data) continue;
      const m = JSON.parse(data);
      if (m.id === id) reply = m;
    }
  } else {
    reply = JSON.parse(text);
  }
  if (!reply || reply.error) throw new Error(`${name}: ${reply ? JSON.stringify(reply.error) : `no reply (HTTP ${res.status})`}`);
  return reply.result;
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ra-soak-'));
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('RUNAGENTS_') || k.startsWith('RUNLOOP_') || k.startsWith('RUNTIMEUSE_')) delete env[k];
  const port = await freePort();
  const server = spawn(PRODUCT, ['--http', '--port', String(port), '--data-dir', path.join(dir, 'data'), '--config', path.join(dir, 'none.json')], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  server.stderr.on('data', (d) => (stderr = (stderr + d).slice(-20000)));
  const url = `http://127.0.0.1:${port}/mcp`;
  for (let i = 0; !stderr.includes('/mcp'); i++) {
    if (i > 100) throw new Error(`server did not start: ${stderr}`);
    await sleep(100);
  }

  const boxes = [];
  for (let i = 0; i < 4; i++) boxes.push((await call(url, 'create_devbox', { name: `soak-${i}` })).structuredContent.id);

  const counts = { calls: 0, wrong: 0, errors: 0, byTool: {} };
  const wrongExamples = [];
  const wrong = (what) => {
    counts.wrong++;
    if (wrongExamples.length < 5) wrongExamples.push(what);
  };
  const ops = [
    [40, async () => {
      const nonce = `n${Math.random().toString(36).slice(2)}`;
      const r = await call(url, 'devbox_exec', { devbox_id: boxes[serial % 4], command: `echo ${nonce}` });
      if (r.isError || r.structuredContent?.stdout !== `${nonce}\n`) wrong(`devbox_exec: ${JSON.stringify(r).slice(0, 300)}`);
      return 'devbox_exec';
    }],
    [15, async () => {
      const nonce = `f${Math.random().toString(36).slice(2)}`;
      const box = boxes[serial % 4];
      const file = `soak/${nonce}.txt`;
      const w = await call(url, 'manage_devbox', { action: 'write_file', devbox_id: box, path: file, contents: nonce });
      const r = await call(url, 'manage_devbox', { action: 'read_file', devbox_id: box, path: file });
      if (w.isError || r.isError || r.structuredContent?.file?.contents !== nonce) wrong(`files: ${JSON.stringify(r).slice(0, 300)}`);
      return 'manage_devbox files';
    }],
    [25, async () => {
      const r = await call(url, 'list_tools', {});
      if (r.isError || !r.structuredContent?.tools?.some((t) => t.name === 'echo-tool')) wrong(`list_tools: ${JSON.stringify(r).slice(0, 300)}`);
      return 'list_tools';
    }],
    [15, async () => {
      const r = await call(url, 'list_agents', {});
      if (r.isError) wrong(`list_agents: ${JSON.stringify(r).slice(0, 300)}`);
      return 'list_agents';
    }],
    [5, async () => {
      const nonce = `q${Math.random().toString(36).slice(2)}`;
      const r = await call(url, 'run_query', { prompt: 'list the files', pre_agent_commands: [{ command: `echo ${nonce}` }] });
      if (r.isError || !JSON.stringify(r).includes(nonce)) wrong(`run_query: ${JSON.stringify(r).slice(0, 300)}`);
      return 'run_query';
    }],
  ];
  const totalWeight = ops.reduce((a, [w]) => a + w, 0);
  const pick = () => {
    let x = Math.random() * totalWeight;
    for (const [w, f] of ops) if ((x -= w) < 0) return f;
    return ops[0][1];
  };

  const samples = [];
  const t0 = Date.now();
  const sample = () => samples.push({ t: Math.round((Date.now() - t0) / 1000), calls: counts.calls, ...proc(server.pid) });
  sample();
  const sampler = setInterval(sample, SAMPLE * 1000);
  const deadline = t0 + DURATION * 1000;
  const client = async () => {
    while (Date.now() < deadline) {
      try {
        const tool = await pick()();
        counts.byTool[tool] = (counts.byTool[tool] ?? 0) + 1;
        counts.calls++;
      } catch (e) {
        counts.errors++;
        if (wrongExamples.length < 5) wrongExamples.push(`error: ${e.message}`.slice(0, 300));
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  clearInterval(sampler);
  sample();
  server.kill('SIGTERM');
  await new Promise((r) => server.on('exit', r));
  fs.rmSync(dir, { recursive: true, force: true });

  const first = samples[1] ?? samples[0]; // after the first interval: warmed up
  const last = samples[samples.length - 1];
  const max = (k) => Math.max(...samples.slice(1).map((s) => s[k]));
  const lines = [
    `Soak: ${CLIENTS} clients, ${DURATION} s, stateless 2026-07-28 POSTs to runagents-mcp --http (${os.cpus().length} CPUs, load average at the end ${os.loadavg()[0].toFixed(1)}).`,
    '',
    `Calls: ${counts.calls} (${(counts.calls / DURATION).toFixed(1)}/s): ${Object.entries(counts.byTool).map(([k, v]) => `${k} ${v}`).join(', ')}. Wrong answers: ${counts.wrong}. Errors: ${counts.errors}.`,
    '',
    '| at (s) | calls | RSS (MiB) | open fds | threads |',
    '|---:|---:|---:|---:|---:|',
    ...samples.map((s) => `| ${s.t} | ${s.calls} | ${s.rssMiB.toFixed(1)} | ${s.fds} | ${s.threads} |`),
    '',
    `From the first sample after warm-up to the last: RSS ${first.rssMiB.toFixed(1)} → ${last.rssMiB.toFixed(1)} MiB (max ${max('rssMiB').toFixed(1)}), fds ${first.fds} → ${last.fds} (max ${max('fds')}), threads ${first.threads} → ${last.threads} (max ${max('threads')}).`,
  ];
  if (wrongExamples.length) lines.push('', 'First problems:', ...wrongExamples.map((w) => `- ${w}`));
  const report = lines.join('\n');
  console.log(report);
  if (OUT) fs.writeFileSync(OUT, report + '\n');
  process.exit(counts.wrong || counts.errors ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
