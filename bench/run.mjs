#!/usr/bin/env node
// Benchmark driver: our MCP server against the official TypeScript SDK server (bench/peer) and,
// for stdio, against a do-nothing responder (bench/null_responder.c), all on this one driver in
// one run; then, per target (the fixture, and runagents-mcp itself with --product), the
// 2026-07-28 ("modern", stateless) era against the 2025-11-25 ("legacy") era of the same binary,
// side by side. See bench/README.md.
//
//   node bench/run.mjs --ours "build/conformance-server --stdio" \
//                      --ours-http "build/conformance-server --port {port}" \
//                      [--product build/runagents-mcp] [--out docs/BENCHMARKS.md]
//
// Options (defaults in brackets):
//   --ours CMD         our server over stdio (required)
//   --ours-http CMD    our server over Streamable HTTP; {port} is replaced by a free port
//   --product BIN      also measure both eras on runagents-mcp (BIN), tool --product-tool, with a
//                      fresh data dir and no config file (RUNAGENTS_* variables removed)
//   --product-tool T   [list_tools]
//   --eras-only        skip the peer comparison; --no-eras skips the era comparison
//   --era-concurrency LIST [8]  --era-rounds N [4]: HTTP slices per era, in the order L M M L ...
//   --wrk PATH|none    [wrk, if on PATH] also drive the HTTP eras with wrk (bench/wrk_mcp.lua)
//   --wrk-slice S      [2] seconds per wrk slice (integer)
//   --instructions N   [0: off] also count instructions per tools/call and era under valgrind
//                      --tool=callgrind (N sequential calls, less a run with none): deterministic,
//                      so unaffected by other load on the machine
//   --peer CMD         [<this node> bench/peer/server.mjs]
//   --peer-http CMD    [<this node> bench/peer/server.mjs --http --port {port}]
//   --out FILE         also write a Markdown report
//   --spawns N [10]  --calls N [2000]  --warmup N [200]  --duration SECONDS [3]
//   --concurrency LIST [1,8,32]
//   --client undici|http [undici]   HTTP client: undici Pool (faster, so a higher ceiling for the
//                      measurement) or node:http with http.Agent({keepAlive: true})
// Commands are split on spaces (quotes respected) and run without a shell, so the process
// measured for memory is the server itself. Everything listens on 127.0.0.1 only.
import { spawn, execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const PROTOCOL = '2025-11-25';
const MODERN = '2026-07-28';
const TOOL = 'test_simple_text';
const CLIENT_INFO = { name: 'runagents-mcp-bench', version: '1.0.0' };
const INIT_PARAMS = {
  protocolVersion: PROTOCOL,
  capabilities: {},
  clientInfo: CLIENT_INFO,
};
// The _meta envelope every 2026-07-28 request carries (no initialize in that era).
const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
};
const modernParams = (params = {}) => ({ ...params, _meta: MODERN_META });
// The headers a modern HTTP request repeats from its body: MCP-Protocol-Version, Mcp-Method,
// and Mcp-Name for tools/call.
const modernHeaders = (method, name) => ({
  'mcp-protocol-version': MODERN, 'mcp-method': method, ...(name ? { 'mcp-name': name } : {}),
});

// ---------------------------------------------------------------- arguments

function usage(msg) {
  if (msg) console.error(`run.mjs: ${msg}`);
  console.error('usage: node bench/run.mjs --ours "CMD --stdio" [--ours-http "CMD --port {port}"] [--ours-tool NAME] [--ours-read-tool NAME] [--out FILE]\n' +
    '       [--peer CMD] [--peer-http CMD] [--spawns N] [--calls N] [--warmup N] [--duration S] [--concurrency 1,8,32]\n' +
    '       [--client undici|http] [--product BIN] [--product-tool NAME] [--eras-only | --no-eras]\n' +
    '       [--era-concurrency 8] [--era-rounds N] [--wrk PATH|none] [--wrk-slice S] [--instructions N]\n' +
    '       [--devbox BUILD_DIR] (also runs bench/devbox.mjs on BUILD_DIR/runagents-mcp, in the same run)');
  process.exit(2);
}

function parseArgs(argv) {
  const o = {
    peer: `${process.execPath} ${path.join(benchDir, 'peer', 'server.mjs')}`,
    peerHttp: `${process.execPath} ${path.join(benchDir, 'peer', 'server.mjs')} --http --port {port}`,
    spawns: 10, calls: 2000, warmup: 200, duration: 3, concurrency: [1, 8, 32], client: 'undici',
    oursTool: TOOL, productTool: 'list_tools', eras: true, peerRun: true, eraConcurrency: [8], eraRounds: 4, wrk: whichWrk(), wrkSlice: 2,
    instructions: 0,
  };
  const keys = { '--ours': 'ours', '--ours-http': 'oursHttp', '--ours-tool': 'oursTool', '--ours-read-tool': 'oursReadTool', '--peer': 'peer', '--peer-http': 'peerHttp', '--out': 'out',
    '--spawns': 'spawns', '--calls': 'calls', '--warmup': 'warmup', '--duration': 'duration', '--concurrency': 'concurrency', '--client': 'client',
    '--product': 'product', '--product-tool': 'productTool', '--era-concurrency': 'eraConcurrency', '--era-rounds': 'eraRounds',
    '--wrk': 'wrk', '--wrk-slice': 'wrkSlice', '--instructions': 'instructions', '--devbox': 'devbox' };
  for (let i = 0; i < argv.length; i++) {
    const k = keys[argv[i]];
    if (argv[i] === '-h' || argv[i] === '--help') usage();
    if (argv[i] === '--eras-only') { o.peerRun = false; continue; }
    if (argv[i] === '--no-eras') { o.eras = false; continue; }
    if (!k) usage(`unknown argument ${argv[i]}`);
    if (i + 1 >= argv.length) usage(`${argv[i]} needs a value`);
    o[k] = argv[++i];
  }
  if (!o.ours) usage('--ours is required');
  if (!o.peerRun && !o.eras) usage('--eras-only and --no-eras leave nothing to measure');
  for (const k of ['spawns', 'calls', 'warmup', 'duration', 'eraRounds', 'wrkSlice']) {
    o[k] = Number(o[k]);
    if (!(o[k] > 0) || o[k] > 1e6) usage(`bad --${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
  }
  if (!Number.isInteger(o.eraRounds)) usage('bad --era-rounds');
  o.instructions = Number(o.instructions);
  if (!Number.isInteger(o.instructions) || o.instructions < 0 || o.instructions > 1e5) usage('bad --instructions');
  if (!Number.isInteger(o.wrkSlice)) usage('--wrk-slice is a whole number of seconds');
  for (const k of ['concurrency', 'eraConcurrency']) {
    if (typeof o[k] === 'string') o[k] = o[k].split(',').map(Number);
    if (o[k].some((c) => !Number.isInteger(c) || c < 1 || c > 256)) usage(`bad --${k === 'concurrency' ? 'concurrency' : 'era-concurrency'}`);
  }
  if (o.wrk === 'none') o.wrk = null;
  if (!['undici', 'http'].includes(o.client)) usage('--client is undici or http');
  return o;
}

// Split a command line into argv: whitespace separates, '...' and "..." quote, \ escapes.
function splitCommand(cmd) {
  const out = [];
  let cur = '', inTok = false, q = null;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i];
    if (q) {
      if (c === q) q = null;
      else if (c === '\\' && q === '"' && i + 1 < cmd.length) cur += cmd[++i];
      else cur += c;
    } else if (c === "'" || c === '"') { q = c; inTok = true; }
    else if (c === '\\' && i + 1 < cmd.length) { cur += cmd[++i]; inTok = true; }
    else if (/\s/.test(c)) { if (inTok) { out.push(cur); cur = ''; inTok = false; } }
    else { cur += c; inTok = true; }
  }
  if (q) throw new Error(`unbalanced quote in: ${cmd}`);
  if (inTok) out.push(cur);
  if (!out.length) throw new Error('empty command');
  return out;
}

function whichWrk() {
  for (const dir of (process.env.PATH || '').split(':')) {
    const p = path.join(dir || '.', 'wrk');
    try { fs.accessSync(p, fs.constants.X_OK); return p; } catch { /* not here */ }
  }
  return null;
}

const shellQuote = (s) => (/^[A-Za-z0-9_@%+=:,./{}-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

// ---------------------------------------------------------------- helpers

const now = () => Number(process.hrtime.bigint()) / 1e6; // milliseconds, sub-µs resolution
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function percentile(values, p) { // nearest rank on a sorted copy
  if (!values.length) return NaN;
  const s = Float64Array.from(values).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}
const median = (v) => percentile(v, 0.5);

function withTimeout(promise, ms, what) {
  let t;
  return Promise.race([promise, new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`${what}: timed out after ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(t));
}

const children = new Set();
process.on('exit', () => { for (const c of children) { try { c.kill('SIGKILL'); } catch { /* gone */ } } });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

function startProcess(argv, stdio, env) {
  const child = spawn(argv[0], argv.slice(1), { stdio, ...(env ? { env } : {}) });
  children.add(child);
  child.stderrTail = '';
  child.exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => { children.delete(child); child.exitInfo = signal ?? code; resolve(); });
    child.on('error', (err) => { children.delete(child); child.exitInfo = `(failed to start: ${err.message})`; resolve(); });
  });
  if (child.stderr) {
    child.stderr.on('data', (d) => { child.stderrTail = (child.stderrTail + d.toString()).slice(-2000); });
  }
  return child;
}

async function stopProcess(child) {
  if (child.exitInfo !== undefined) return;
  try { child.stdin?.end(); } catch { /* closed */ }
  if (await Promise.race([child.exited.then(() => true), sleep(1000).then(() => false)])) return;
  child.kill('SIGTERM');
  if (await Promise.race([child.exited.then(() => true), sleep(2000).then(() => false)])) return;
  child.kill('SIGKILL');
  await child.exited;
}

function readMemory(pid) { // kB values from /proc/PID/status
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const get = (k) => Number((s.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm')) || [])[1]);
    return { hwm: get('VmHWM'), rss: get('VmRSS') };
  } catch {
    return { hwm: NaN, rss: NaN };
  }
}

function describeExit(child) {
  return `exit ${child.exitInfo ?? 'pending'}${child.stderrTail ? `; stderr: ${child.stderrTail.trim().split('\n').slice(-5).join(' | ')}` : ''}`;
}

// ---------------------------------------------------------------- stdio

class StdioClient {
  constructor(argv, env) {
    this.child = startProcess(argv, ['pipe', 'pipe', 'pipe'], env);
    this.pending = new Map();
    this.nextId = 1;
    this.buf = '';
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (d) => this.onData(d));
    this.child.stdin.on('error', () => {}); // EPIPE after the child died: reported via pending
    this.child.exited.then(() => {
      for (const [, p] of this.pending) p.reject(new Error(`server exited (${describeExit(this.child)})`));
      this.pending.clear();
    });
  }

  onData(d) {
    this.buf += d;
    let nl;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (!line.trim()) continue;
      let msg;
      try { msg = JSON.parse(line); } catch { continue; }
      if (msg.id === undefined || msg.method) continue; // notifications, server requests
      const p = this.pending.get(msg.id);
      if (!p) continue;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`JSON-RPC error ${msg.error.code}: ${msg.error.message}`));
      else p.resolve(msg.result);
    }
  }

  request(method, params) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  }

  notify(method, params) {
    this.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method, ...(params ? { params } : {}) })}\n`);
  }

  close() { return stopProcess(this.child); }
}

async function measureStartup(argvs, spawns) { // argvs: { name: argv }; a failing server is dropped, the rest go on
  const times = Object.fromEntries(Object.keys(argvs).map((k) => [k, []]));
  const live = new Map(Object.entries(argvs));
  for (let i = 0; i < spawns; i++) {
    for (const [name, argv] of [...live]) {
      const t0 = now();
      const c = new StdioClient(argv);
      try {
        await withTimeout(c.request('initialize', INIT_PARAMS), 10000, 'initialize');
        times[name].push(now() - t0);
      } catch (e) {
        process.stderr.write(`\n  start-up ${name}: ${argv.join(' ')}: ${e.message}\n`);
        live.delete(name);
      } finally {
        await c.close();
      }
    }
  }
  return Object.fromEntries([...live.keys()].map((k) => [k, { median: median(times[k]), min: Math.min(...times[k]), max: Math.max(...times[k]) }]));
}

async function measureStdio(argv, calls, warmup, tool = TOOL) {
  const c = new StdioClient(argv);
  try {
    await withTimeout(c.request('initialize', INIT_PARAMS), 10000, 'initialize');
    c.notify('notifications/initialized');
    const call = () => c.request('tools/call', { name: tool, arguments: {} });
    const first = await withTimeout(call(), 10000, 'tools/call');
    if (!first || !Array.isArray(first.content)) throw new Error(`unexpected tools/call result: ${JSON.stringify(first)}`);
    for (let i = 0; i < warmup; i++) await call();
    const lat = new Float64Array(calls);
    const t0 = now();
    for (let i = 0; i < calls; i++) {
      const s = now();
      await call();
      lat[i] = now() - s;
    }
    const elapsed = now() - t0;
    await sleep(50);
    return { p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), rate: (calls / elapsed) * 1000, mem: readMemory(c.child.pid) };
  } finally {
    await c.close();
  }
}

// ---------------------------------------------------------------- HTTP

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function waitForPort(port, child, ms) {
  const deadline = now() + ms;
  while (now() < deadline) {
    if (child.exitInfo !== undefined) throw new Error(`server exited before listening (${describeExit(child)})`);
    const ok = await new Promise((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`server did not accept connections on 127.0.0.1:${port} within ${ms} ms`);
}

// An HTTP client for C concurrent workers on keep-alive connections to 127.0.0.1:port/mcp:
// send(body | undefined, headers, method) -> { status, headers (lower-case names), body (string) }.
async function makeClient(kind, port, connections) {
  const base = (data) => ({
    accept: 'application/json, text/event-stream',
    ...(data ? { 'content-type': 'application/json' } : {}),
  });
  if (kind === 'undici') {
    const { Pool } = await import('undici'); // from bench/node_modules (bench/package.json)
    const pool = new Pool(`http://127.0.0.1:${port}`, { connections, pipelining: 1, headersTimeout: 10000, bodyTimeout: 10000 });
    return {
      async send(body, headers, method = 'POST') {
        const data = body === undefined ? undefined : JSON.stringify(body);
        const res = await pool.request({ path: '/mcp', method, headers: { ...base(data), ...headers }, body: data });
        return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
      },
      close: () => pool.destroy(),
    };
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  return {
    send(body, headers, method = 'POST') {
      return new Promise((resolve, reject) => {
        const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
        const req = http.request({
          host: '127.0.0.1', port, path: '/mcp', method, agent,
          headers: { ...base(data), ...(data ? { 'content-length': data.length } : {}), ...headers },
        }, (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        });
        req.setTimeout(10000, () => req.destroy(new Error('HTTP request timed out')));
        req.on('error', reject);
        req.end(data);
      });
    },
    close: async () => agent.destroy(),
  };
}

// The JSON-RPC response with this id from a JSON body or an SSE stream.
function extractResponse(res, id) {
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body.slice(0, 200)}`);
  const type = String(res.headers['content-type'] || '');
  let messages;
  if (type.includes('text/event-stream')) {
    messages = [];
    for (const event of res.body.split(/\r?\n\r?\n/)) {
      const data = event.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
      if (data) { try { messages.push(JSON.parse(data)); } catch { /* not JSON */ } }
    }
  } else {
    const parsed = JSON.parse(res.body);
    messages = Array.isArray(parsed) ? parsed : [parsed];
  }
  const msg = messages.find((m) => m && m.id === id && !m.method);
  if (!msg) throw new Error(`no response with id ${id} in: ${res.body.slice(0, 200)}`);
  if (msg.error) throw new Error(`JSON-RPC error ${msg.error.code}: ${msg.error.message}`);
  return msg.result;
}

class HttpSession {
  constructor(client, tool = TOOL) { this.client = client; this.tool = tool; this.nextId = 1; this.headers = {}; }

  async open() {
    const id = this.nextId++;
    const res = await this.client.send({ jsonrpc: '2.0', id, method: 'initialize', params: INIT_PARAMS }, {});
    extractResponse(res, id);
    const sid = res.headers['mcp-session-id'];
    this.headers = { ...(sid ? { 'mcp-session-id': sid } : {}), 'mcp-protocol-version': PROTOCOL };
    const n = await this.client.send({ jsonrpc: '2.0', method: 'notifications/initialized' }, this.headers);
    if (n.status < 200 || n.status >= 300) throw new Error(`notifications/initialized: HTTP ${n.status}`);
  }

  async call() {
    const id = this.nextId++;
    const res = await this.client.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: this.tool, arguments: {} } }, this.headers);
    return extractResponse(res, id);
  }

  async close() {
    if (!this.headers['mcp-session-id']) return;
    try { await this.client.send(undefined, this.headers, 'DELETE'); } catch { /* best effort */ }
  }
}

// C workers, one session each, each with one request in flight, for `seconds`.
async function runLoad(sessions, seconds, lat) {
  const deadline = now() + seconds * 1000;
  let errors = 0, lastError;
  await Promise.all(sessions.map(async (s) => {
    while (now() < deadline && errors < 100) {
      const t = now();
      try {
        await s.call();
        if (lat) lat.push(now() - t);
      } catch (e) {
        errors++;
        lastError = e.message;
      }
    }
  }));
  if (errors >= 100) throw new Error(`too many failed calls (last: ${lastError})`);
  return { errors, lastError };
}

// One retry on a fresh port: the free port is only free when chosen, and a loaded machine can
// make a first attempt fail for reasons that are not the server's.
// `more`: { tool (default TOOL), wrk (wrk's path: after the Node driver, one wrk run per level on
// one initialized session, 1 s warm-up then `seconds`) }.
async function measureHttp(template, levels, seconds, clientKind, more = {}) {
  try {
    return await measureHttpOnce(template, levels, seconds, clientKind, more);
  } catch (e) {
    process.stderr.write(`\n  first attempt failed (${e.message}); retrying once ... `);
    return measureHttpOnce(template, levels, seconds, clientKind, more);
  }
}

async function measureHttpOnce(template, levels, seconds, clientKind, { tool = TOOL, wrk = null } = {}) {
  const port = await freePort();
  const argv = splitCommand(template.replaceAll('{port}', String(port)));
  const child = startProcess(argv, ['ignore', 'ignore', 'pipe']);
  const out = { levels: {} };
  try {
    await waitForPort(port, child, 10000);
    for (const c of levels) {
      const client = await makeClient(clientKind, port, c);
      const sessions = Array.from({ length: c }, () => new HttpSession(client, tool));
      try {
        await Promise.all(sessions.map((s) => s.open()));
        await runLoad(sessions, Math.min(0.5, seconds), null); // warm-up
        const lat = [];
        const t0 = now();
        const { errors, lastError } = await runLoad(sessions, seconds, lat);
        const elapsed = now() - t0;
        out.levels[c] = { rate: (lat.length / elapsed) * 1000, p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), calls: lat.length, errors, lastError };
        await Promise.all(sessions.map((s) => s.close()));
      } finally {
        await client.close();
      }
    }
    if (wrk) {
      out.wrk = {};
      const client = await makeClient(clientKind, port, 1);
      const session = new HttpSession(client, tool);
      try {
        await session.open();
        const body = { method: 'tools/call', params: { name: tool, arguments: {} } };
        for (const c of levels) {
          await runWrk(wrk, port, c, 1, body, session.headers); // warm-up
          const w = await runWrk(wrk, port, c, seconds, body, session.headers);
          if (w.errors > 0) throw new Error(`wrk c=${c}: ${w.errors} failed requests (HTTP status, socket or JSON-RPC errors)`);
          out.wrk[c] = w;
        }
        await session.close();
      } finally {
        await client.close();
      }
    }
    await sleep(50);
    out.mem = readMemory(child.pid);
    return out;
  } catch (e) {
    throw new Error(`${argv.join(' ')}: ${e.message}${child.stderrTail ? ` (stderr: ${child.stderrTail.trim().split('\n').slice(-3).join(' | ')})` : ''}`);
  } finally {
    await stopProcess(child);
  }
}

// ---------------------------------------------------------------- eras: 2026-07-28 against 2025-11-25, one binary

function checkToolResult(result, what) {
  if (!result || !Array.isArray(result.content)) throw new Error(`${what}: unexpected tools/call result: ${JSON.stringify(result)?.slice(0, 200)}`);
  if (result.isError) throw new Error(`${what}: the tool answered isError: ${JSON.stringify(result.content).slice(0, 300)}`);
  return result;
}

// How a client gets its first answer from a freshly spawned stdio server, per era: the first
// answered request (legacy: initialize; modern: server/discover, which is what a 2026-07-28
// client probes first) and the first tools/call answer (legacy: initialize, then
// notifications/initialized and tools/call once initialize is answered; modern: tools/call at once).
const STARTUP_KINDS = {
  legacyFirst: (c) => c.request('initialize', INIT_PARAMS),
  modernFirst: (c) => c.request('server/discover', modernParams()),
  legacyCall: async (c, tool) => {
    await c.request('initialize', INIT_PARAMS);
    c.notify('notifications/initialized');
    return checkToolResult(await c.request('tools/call', { name: tool, arguments: {} }), 'legacy tools/call');
  },
  modernCall: async (c, tool) => checkToolResult(await c.request('tools/call', modernParams({ name: tool, arguments: {} })), 'modern tools/call'),
};

// Spawns rotate through the four kinds (a different order each round) so drift hits all alike.
async function measureEraStartup(target, spawns) {
  const kinds = Object.keys(STARTUP_KINDS);
  const times = Object.fromEntries(kinds.map((k) => [k, []]));
  for (let i = 0; i < spawns; i++) {
    for (let j = 0; j < kinds.length; j++) {
      const k = kinds[(i + j) % kinds.length];
      const t0 = now();
      const c = new StdioClient(target.stdio, target.env);
      try {
        await withTimeout(STARTUP_KINDS[k](c, target.tool), 10000, k);
        times[k].push(now() - t0);
      } catch (e) {
        throw new Error(`${k}: ${e.message} (${describeExit(c.child)})`);
      } finally {
        await c.close();
      }
    }
  }
  return Object.fromEntries(kinds.map((k) => [k, { median: median(times[k]), min: Math.min(...times[k]), max: Math.max(...times[k]) }]));
}

// Two processes of the same binary, one per era, driven alternately: call legacy, call modern,
// (next round) modern then legacy, ... one request in flight at a time over both, so the two
// eras share every moment of the run and neither competes with the other for CPU.
async function measureEraStdio(target, calls, warmup) {
  const legacy = new StdioClient(target.stdio, target.env);
  const modern = new StdioClient(target.stdio, target.env);
  try {
    await withTimeout(legacy.request('initialize', INIT_PARAMS), 10000, 'initialize');
    legacy.notify('notifications/initialized');
    const call = {
      legacy: () => legacy.request('tools/call', { name: target.tool, arguments: {} }),
      modern: () => modern.request('tools/call', modernParams({ name: target.tool, arguments: {} })),
    };
    checkToolResult(await withTimeout(call.legacy(), 10000, 'legacy tools/call'), 'legacy tools/call');
    const first = checkToolResult(await withTimeout(call.modern(), 10000, 'modern tools/call'), 'modern tools/call');
    if (first.resultType !== 'complete') throw new Error(`modern tools/call: resultType ${first.resultType}, not complete: is this a 2026-07-28 server?`);
    for (let i = 0; i < warmup; i++) { await call.legacy(); await call.modern(); }
    const lat = { legacy: new Float64Array(calls), modern: new Float64Array(calls) };
    for (let i = 0; i < calls; i++) {
      for (const era of (i % 2 ? ['modern', 'legacy'] : ['legacy', 'modern'])) {
        const s = now();
        await call[era]();
        lat[era][i] = now() - s;
      }
    }
    await sleep(50);
    const summary = (era, c) => ({
      p50: percentile(lat[era], 0.5), p99: percentile(lat[era], 0.99),
      rate: (calls / lat[era].reduce((a, b) => a + b, 0)) * 1000, mem: readMemory(c.child.pid),
    });
    return { legacy: summary('legacy', legacy), modern: summary('modern', modern) };
  } finally {
    await Promise.all([legacy.close(), modern.close()]);
  }
}

// A stateless 2026-07-28 caller: every POST carries the _meta envelope and the headers, and no
// session id. Any number of workers can share one.
class ModernHttpCaller {
  constructor(client, tool) { this.client = client; this.tool = tool; this.nextId = 1; this.headers = modernHeaders('tools/call', tool); }

  async call() {
    const id = this.nextId++;
    const res = await this.client.send({ jsonrpc: '2.0', id, method: 'tools/call', params: modernParams({ name: this.tool, arguments: {} }) }, this.headers);
    if (res.headers['mcp-session-id']) throw new Error('a modern answer carried Mcp-Session-Id');
    return extractResponse(res, id);
  }
}

// Slice order for two eras: L M, M L, L M, ... (each era gets `rounds` slices; linear drift cancels).
const alternate = (rounds) => Array.from({ length: rounds }, (_, r) => (r % 2 ? ['modern', 'legacy'] : ['legacy', 'modern'])).flat();

// One wrk run (bench/wrk_mcp.lua): POSTs `body` (its "id" is made unique per request) with
// `headers` on c connections from one wrk thread. Resolves to { rate, p50, p99 (ms), requests, errors }.
function runWrk(exe, port, c, seconds, body, headers) {
  const env = {
    ...process.env,
    MCP_BENCH_BODY: JSON.stringify({ jsonrpc: '2.0', id: '__ID__', ...body }).replace('"__ID__"', '__ID__'),
    MCP_BENCH_HEADERS: Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\n'),
  };
  const args = ['-t1', `-c${c}`, `-d${seconds}s`, '--timeout', '10s', '-s', path.join(benchDir, 'wrk_mcp.lua'), `http://127.0.0.1:${port}/mcp`];
  return new Promise((resolve, reject) => {
    execFile(exe, args, { env, timeout: (seconds + 20) * 1000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`wrk: ${err.message} ${stderr}`));
      const m = stdout.match(/^MCP_BENCH (\{.*\})$/m);
      if (!m) return reject(new Error(`wrk: no MCP_BENCH line in: ${stdout.slice(0, 500)}`));
      const r = JSON.parse(m[1]);
      resolve({ rate: r.requests / (r.duration_us / 1e6), p50: r.p50_us / 1000, p99: r.p99_us / 1000, requests: r.requests, errors: r.errors + r.rpc_errors });
    });
  });
}

async function wrkEras(exe, port, c, tool, session, rounds, slice) {
  const bodies = {
    legacy: [{ method: 'tools/call', params: { name: tool, arguments: {} } }, session.headers],
    modern: [{ method: 'tools/call', params: modernParams({ name: tool, arguments: {} }) }, modernHeaders('tools/call', tool)],
  };
  for (const era of ['legacy', 'modern']) await runWrk(exe, port, c, 1, ...bodies[era]); // warm-up
  const runs = { legacy: [], modern: [] };
  for (const era of alternate(rounds)) runs[era].push(await runWrk(exe, port, c, slice, ...bodies[era]));
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const sum = (era) => {
    const rs = runs[era];
    const errors = rs.reduce((a, r) => a + r.errors, 0);
    if (errors > 0) throw new Error(`wrk ${era}: ${errors} failed requests (HTTP status, socket or JSON-RPC errors)`);
    return { rate: mean(rs.map((r) => r.rate)), p50: mean(rs.map((r) => r.p50)), p99: mean(rs.map((r) => r.p99)), requests: rs.reduce((a, r) => a + r.requests, 0) };
  };
  return { legacy: sum('legacy'), modern: sum('modern') };
}

// One server process answers both eras (one endpoint, dispatched per request). At each
// concurrency C: legacy = one initialized session shared by C workers; modern = C workers of
// stateless POSTs. Node driver slices alternate between the eras; then wrk does the same.
async function measureEraHttp(target, opts) {
  const port = await freePort();
  const argv = splitCommand(target.http.replaceAll('{port}', String(port)));
  const child = startProcess(argv, ['ignore', 'ignore', 'pipe'], target.env);
  const out = { levels: {} };
  try {
    await waitForPort(port, child, 10000);
    for (const c of opts.eraConcurrency) {
      const client = await makeClient(opts.client, port, c);
      const session = new HttpSession(client, target.tool);
      try {
        await session.open();
        const modern = new ModernHttpCaller(client, target.tool);
        const workers = { legacy: Array(c).fill(session), modern: Array(c).fill(modern) };
        checkToolResult(await session.call(), 'legacy HTTP tools/call');
        checkToolResult(await modern.call(), 'modern HTTP tools/call');
        for (const era of ['legacy', 'modern']) await runLoad(workers[era], Math.min(0.5, opts.duration), null); // warm-up
        const acc = { legacy: { lat: [], ms: 0, errors: 0 }, modern: { lat: [], ms: 0, errors: 0 } };
        for (const era of alternate(opts.eraRounds)) {
          const t0 = now();
          const { errors } = await runLoad(workers[era], opts.duration / opts.eraRounds, acc[era].lat);
          acc[era].ms += now() - t0;
          acc[era].errors += errors;
        }
        const sum = (a) => ({ rate: (a.lat.length / a.ms) * 1000, p50: percentile(a.lat, 0.5), p99: percentile(a.lat, 0.99), calls: a.lat.length, errors: a.errors });
        out.levels[c] = { node: { legacy: sum(acc.legacy), modern: sum(acc.modern) } };
        if (opts.wrk) out.levels[c].wrk = await wrkEras(opts.wrk, port, c, target.tool, session, opts.eraRounds, opts.wrkSlice);
      } finally {
        await session.close();
        await client.close();
      }
    }
    await sleep(50);
    out.mem = readMemory(child.pid);
    return out;
  } catch (e) {
    throw new Error(`${argv.join(' ')}: ${e.message}${child.stderrTail ? ` (stderr: ${child.stderrTail.trim().split('\n').slice(-3).join(' | ')})` : ''}`);
  } finally {
    await stopProcess(child);
  }
}

// Instructions executed by the server (all threads) for `calls` sequential tools/call of one era
// over one transport, under valgrind --tool=callgrind; the caller subtracts a run with none.
async function countInstructions(target, era, transport, calls, tmp) {
  const out = path.join(tmp, `callgrind.${target.key}.${era}.${transport}.${calls}.out`);
  const vg = ['valgrind', '--tool=callgrind', `--callgrind-out-file=${out}`];
  const stop = async (child) => { // let callgrind write its file: no SIGKILL while it can still exit
    if (child.exitInfo === undefined) {
      child.kill('SIGTERM');
      await Promise.race([child.exited, sleep(60000)]);
    }
    await stopProcess(child);
  };
  if (transport === 'stdio') {
    const c = new StdioClient([...vg, ...target.stdio], target.env);
    try {
      if (era === 'legacy') {
        await withTimeout(c.request('initialize', INIT_PARAMS), 60000, 'initialize under valgrind');
        c.notify('notifications/initialized');
      } else {
        await withTimeout(c.request('server/discover', modernParams()), 60000, 'server/discover under valgrind');
      }
      for (let i = 0; i < calls; i++) {
        checkToolResult(await withTimeout(era === 'legacy' ? c.request('tools/call', { name: target.tool, arguments: {} })
          : c.request('tools/call', modernParams({ name: target.tool, arguments: {} })), 60000, 'tools/call under valgrind'), era);
      }
      c.child.stdin.end();
      await Promise.race([c.child.exited, sleep(30000)]);
    } finally {
      await stop(c.child);
    }
  } else {
    const port = await freePort();
    const argv = [...vg, ...splitCommand(target.http.replaceAll('{port}', String(port)))];
    const child = startProcess(argv, ['ignore', 'ignore', 'pipe'], target.env);
    try {
      await waitForPort(port, child, 60000);
      const client = await makeClient('http', port, 1);
      try {
        const caller = era === 'legacy' ? new HttpSession(client, target.tool) : new ModernHttpCaller(client, target.tool);
        if (era === 'legacy') await caller.open();
        for (let i = 0; i < calls; i++) checkToolResult(await caller.call(), era);
        if (era === 'legacy') await caller.close();
      } finally {
        await client.close();
      }
    } finally {
      await stop(child);
    }
  }
  const text = fs.readFileSync(out, 'utf8');
  const m = text.match(/^(?:summary|totals):\s+(\d+)/m);
  if (!m) throw new Error(`no instruction total in ${out}`);
  return Number(m[1]);
}

async function measureInstructions(target, calls, tmp) {
  const r = {};
  for (const transport of target.http ? ['stdio', 'http'] : ['stdio']) {
    r[transport] = {};
    for (const era of ['legacy', 'modern']) {
      const base = await countInstructions(target, era, transport, 0, tmp);
      const full = await countInstructions(target, era, transport, calls, tmp);
      r[transport][era] = (full - base) / calls;
    }
  }
  return r;
}

// runagents-mcp on a fresh data dir and no config file, so it uses the embedded local platform
// and never touches the user's ~/.runagents.
function productTarget(bin, tool, tmp) {
  const dir = path.join(tmp, 'product');
  fs.mkdirSync(dir, { recursive: true });
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('RUNAGENTS_')) delete env[k];
  const iso = `--data-dir ${shellQuote(path.join(dir, 'data'))} --config ${shellQuote(path.join(dir, 'none.json'))}`;
  return {
    key: 'product', name: 'runagents-mcp', tool, env,
    stdio: splitCommand(`${bin} ${iso}`), http: `${bin} --http --port {port} ${iso}`,
    display: `${bin} --data-dir TMP/data --config TMP/none.json`, displayHttp: `${bin} --http --port {port} --data-dir TMP/data --config TMP/none.json`,
  };
}

async function measureEras(target, opts, step) {
  const r = {};
  // One untimed call first: it creates the product's data dir (database, seeded records), so
  // every timed spawn starts from the same state.
  await step(`eras ${target.name}: prepare`, async () => {
    const c = new StdioClient(target.stdio, target.env);
    try { await withTimeout(STARTUP_KINDS.legacyCall(c, target.tool), 30000, 'first call'); } finally { await c.close(); }
  });
  r.startup = await step(`eras ${target.name}: start-up (interleaved)`, () => measureEraStartup(target, opts.spawns));
  r.stdio = await step(`eras ${target.name}: stdio (alternating)`, () => measureEraStdio(target, opts.calls, opts.warmup));
  if (target.http) r.http = await step(`eras ${target.name}: HTTP (alternating${opts.wrk ? ', then wrk' : ''})`, () => measureEraHttp(target, opts));
  if (opts.instructions) {
    r.instructions = await step(`eras ${target.name}: instructions per call under callgrind (${opts.instructions} calls)`,
      () => measureInstructions(target, opts.instructions, opts.tmp));
  }
  return r;
}

// ---------------------------------------------------------------- null responder

function buildNullResponder(dir, name) {
  const src = path.join(benchDir, `${name}.c`);
  const exe = path.join(dir, name);
  try {
    execFileSync(process.env.CC || 'cc', ['-O2', '-o', exe, src], { stdio: ['ignore', 'ignore', 'pipe'] });
    return exe;
  } catch (e) {
    console.error(`warning: could not compile ${src} (${e.message.split('\n')[0]}); its floor is skipped`);
    return null;
  }
}

// ---------------------------------------------------------------- report

const fmt = (v, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');
const fmtInt = (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');
const mb = (kb) => (Number.isFinite(kb) ? (kb / 1024).toFixed(1) : 'n/a');

function machineInfo() {
  let cpu = 'unknown';
  try { cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m) || [])[1] || cpu; } catch { /* no procfs */ }
  const nproc = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return { nproc, cpu, kernel: `${os.type()} ${os.release()} ${os.version?.() ?? ''}`.trim(), node: process.version, memTotal: os.totalmem() };
}

function buildReport(opts, r) {
  const rows = [];
  const row = (metric, ours, peer, floor = '') => rows.push([metric, ours, peer, floor]);
  row(`start-up: spawn to initialize response, median of ${opts.spawns} (ms)`, fmt(r.ours.startup?.median), fmt(r.peer.startup?.median), fmt(r.nul?.startup?.median));
  row(`stdio tools/call p50, ${opts.calls} sequential calls (µs)`, fmt(r.ours.stdio?.p50 * 1000, 1), fmt(r.peer.stdio?.p50 * 1000, 1), fmt(r.nul?.stdio?.p50 * 1000, 1));
  row('stdio tools/call p99 (µs)', fmt(r.ours.stdio?.p99 * 1000, 1), fmt(r.peer.stdio?.p99 * 1000, 1), fmt(r.nul?.stdio?.p99 * 1000, 1));
  row('stdio tools/call rate (calls/s)', fmtInt(r.ours.stdio?.rate), fmtInt(r.peer.stdio?.rate), fmtInt(r.nul?.stdio?.rate));
  if (r.ours.stdioRead) {
    row(`stdio tools/call p50 / p99, ours with \`${opts.oursReadTool}\` (µs)`,
      `${fmt(r.ours.stdioRead.p50 * 1000, 1)} / ${fmt(r.ours.stdioRead.p99 * 1000, 1)}`, '', '');
  }
  for (const c of opts.concurrency) {
    const o = r.ours.http?.levels[c], p = r.peer.http?.levels[c], f = r.nulHttp?.levels[c];
    const lat = (x) => (x ? `${fmt(x.p50, 3)} / ${fmt(x.p99, 3)}` : 'n/a');
    row(`HTTP c=${c}: throughput (calls/s)`, fmtInt(o?.rate), fmtInt(p?.rate), fmtInt(f?.rate));
    row(`HTTP c=${c}: p50 / p99 latency (ms)`, lat(o), lat(p), lat(f));
    if ((o?.errors || 0) + (p?.errors || 0) > 0) row(`HTTP c=${c}: failed calls`, String(o?.errors ?? 'n/a'), String(p?.errors ?? 'n/a'));
  }
  for (const c of opts.wrk ? opts.concurrency : []) {
    const o = r.ours.http?.wrk?.[c], p = r.peer.http?.wrk?.[c], f = r.nulHttp?.wrk?.[c];
    const lat = (x) => (x ? `${fmt(x.p50, 3)} / ${fmt(x.p99, 3)}` : 'n/a');
    row(`HTTP c=${c}, wrk on one session: throughput (calls/s)`, fmtInt(o?.rate), fmtInt(p?.rate), fmtInt(f?.rate));
    row(`HTTP c=${c}, wrk: p50 / p99 latency (ms)`, lat(o), lat(p), lat(f));
  }
  if (r.ours.httpRead) {
    const read = `\`${opts.oursReadTool}\``;
    for (const c of opts.concurrency) {
      const w = r.ours.httpRead.wrk?.[c];
      row(`HTTP c=${c}, ours with ${read}: throughput, Node driver / wrk (calls/s)`,
        `${fmtInt(r.ours.httpRead.levels[c]?.rate)} / ${w ? fmtInt(w.rate) : 'n/a'}`, '', '');
    }
  }
  row('memory after stdio load: VmHWM / VmRSS (MB)', `${mb(r.ours.stdio?.mem.hwm)} / ${mb(r.ours.stdio?.mem.rss)}`,
    `${mb(r.peer.stdio?.mem.hwm)} / ${mb(r.peer.stdio?.mem.rss)}`, r.nul?.stdio ? `${mb(r.nul.stdio.mem.hwm)} / ${mb(r.nul.stdio.mem.rss)}` : '');
  row('memory after HTTP load: VmHWM / VmRSS (MB)', r.ours.http ? `${mb(r.ours.http.mem.hwm)} / ${mb(r.ours.http.mem.rss)}` : 'n/a',
    r.peer.http ? `${mb(r.peer.http.mem.hwm)} / ${mb(r.peer.http.mem.rss)}` : 'n/a',
    r.nulHttp ? `${mb(r.nulHttp.mem.hwm)} / ${mb(r.nulHttp.mem.rss)}` : '');

  const ratios = [];
  const ratio = (name, v, target, met) => ratios.push([name, Number.isFinite(v) ? fmt(v, 3) : 'n/a', target, Number.isFinite(v) ? (met(v) ? 'met' : 'not met') : 'n/a']);
  ratio('start-up ours/peer', r.ours.startup?.median / r.peer.startup?.median, '<= 0.05 (1/20)', (v) => v <= 0.05);
  ratio('stdio p50 ours/null responder', r.ours.stdio?.p50 / r.nul?.stdio?.p50, '<= 2', (v) => v <= 2);
  if (r.ours.stdioRead) {
    ratio(`stdio p50 ours (\`${opts.oursReadTool}\`)/null responder`, r.ours.stdioRead.p50 / r.nul?.stdio?.p50, '<= 2', (v) => v <= 2);
  }
  for (const c of opts.concurrency) {
    ratio(`HTTP throughput ours/peer, c=${c}`, r.ours.http?.levels[c]?.rate / r.peer.http?.levels[c]?.rate, '>= 10', (v) => v >= 10);
  }
  for (const c of opts.wrk ? opts.concurrency : []) {
    ratio(`HTTP throughput ours/peer, c=${c}, wrk`, r.ours.http?.wrk?.[c]?.rate / r.peer.http?.wrk?.[c]?.rate, '>= 10', (v) => v >= 10);
  }
  if (r.ours.httpRead) {
    const read = `\`${opts.oursReadTool}\``;
    for (const c of opts.concurrency) {
      ratio(`HTTP throughput ours (${read})/peer, c=${c}`, r.ours.httpRead.levels[c]?.rate / r.peer.http?.levels[c]?.rate, '>= 10', (v) => v >= 10);
    }
    for (const c of opts.wrk ? opts.concurrency : []) {
      ratio(`HTTP throughput ours (${read})/peer, c=${c}, wrk`, r.ours.httpRead.wrk?.[c]?.rate / r.peer.http?.wrk?.[c]?.rate, '>= 10', (v) => v >= 10);
    }
  }
  // Not targets: how close each is to what this driver can reach at all (the null responders).
  const info = (name, v) => ratios.push([name, Number.isFinite(v) ? fmt(v, 3) : 'n/a', '(context)', '']);
  for (const c of opts.concurrency) {
    info(`HTTP throughput null responder/peer, c=${c} (driver ceiling)`, r.nulHttp?.levels[c]?.rate / r.peer.http?.levels[c]?.rate);
  }
  ratio('memory (VmHWM, stdio) ours/peer', r.ours.stdio?.mem.hwm / r.peer.stdio?.mem.hwm, '<= 0.1 (1/10)', (v) => v <= 0.1);
  ratio('memory (VmHWM, HTTP) ours/peer', r.ours.http?.mem.hwm / r.peer.http?.mem.hwm, '<= 0.1 (1/10)', (v) => v <= 0.1);
  return { rows, ratios };
}

function textTable(header, rows) {
  const all = [header, ...rows];
  const w = header.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join('  ');
  return [line(header), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

function mdTable(header, rows) {
  const esc = (s) => String(s).replace(/\|/g, '\\|');
  return [`| ${header.map(esc).join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

// Modern against legacy on one target. The verdict column judges the figures issue 9 §7 names
// (start-up, stdio p50, HTTP rate at concurrency 8) with a 10% noise band; the rest are context.
const ERA_BAND = 0.10;
function buildEraReport(opts, target, r) {
  const rows = [];
  const row = (metric, l, m, { d = 2, scale = 1, lower = true, judged = false, int = false } = {}) => {
    const lv = l * scale, mv = m * scale;
    const ratio = mv / lv;
    let verdict = '';
    if (judged && Number.isFinite(ratio)) verdict = (lower ? ratio <= 1 + ERA_BAND : ratio >= 1 - ERA_BAND) ? 'yes' : 'NO';
    else if (Number.isFinite(ratio)) verdict = '(context)';
    const f = (v) => (int ? fmtInt(v) : fmt(v, d));
    rows.push([metric, f(lv), f(mv), Number.isFinite(ratio) ? fmt(ratio, 3) : 'n/a', verdict]);
  };
  const su = r.startup;
  row(`start-up to first answer (initialize | server/discover), median of ${opts.spawns} (ms)`,
    su?.legacyFirst.median, su?.modernFirst.median, { judged: true });
  row(`start-up to first tools/call answer, median of ${opts.spawns} (ms)`, su?.legacyCall.median, su?.modernCall.median, { judged: true });
  const st = r.stdio;
  row(`stdio tools/call p50, ${opts.calls} calls per era (µs)`, st?.legacy.p50, st?.modern.p50, { d: 1, scale: 1000, judged: true });
  row('stdio tools/call p99 (µs)', st?.legacy.p99, st?.modern.p99, { d: 1, scale: 1000 });
  row('stdio tools/call rate (calls/s)', st?.legacy.rate, st?.modern.rate, { lower: false, int: true });
  for (const c of target.http ? opts.eraConcurrency : []) {
    const lv = r.http?.levels[c];
    row(`HTTP c=${c}, Node driver: throughput (calls/s)`, lv?.node.legacy.rate, lv?.node.modern.rate, { lower: false, int: true, judged: c === 8 });
    row(`HTTP c=${c}, Node driver: p50 latency (ms)`, lv?.node.legacy.p50, lv?.node.modern.p50, { d: 3 });
    row(`HTTP c=${c}, Node driver: p99 latency (ms)`, lv?.node.legacy.p99, lv?.node.modern.p99, { d: 3 });
    if (opts.wrk) {
      row(`HTTP c=${c}, wrk: throughput (calls/s)`, lv?.wrk?.legacy.rate, lv?.wrk?.modern.rate, { lower: false, int: true, judged: c === 8 });
      row(`HTTP c=${c}, wrk: p50 latency (ms)`, lv?.wrk?.legacy.p50, lv?.wrk?.modern.p50, { d: 3 });
      row(`HTTP c=${c}, wrk: p99 latency (ms)`, lv?.wrk?.legacy.p99, lv?.wrk?.modern.p99, { d: 3 });
    }
    const errs = (lv?.node.legacy.errors || 0) + (lv?.node.modern.errors || 0);
    if (errs) rows.push([`HTTP c=${c}, Node driver: failed calls`, String(lv.node.legacy.errors), String(lv.node.modern.errors), '', '']);
  }
  if (opts.instructions) {
    for (const tr of target.http ? ['stdio', 'http'] : ['stdio']) {
      row(`instructions per tools/call, ${tr === 'http' ? 'HTTP' : 'stdio'} (callgrind, thousands)`,
        r.instructions?.[tr].legacy / 1000, r.instructions?.[tr].modern / 1000, { d: 1 });
    }
  }
  row('memory after stdio load: VmHWM (MB)', st?.legacy.mem.hwm / 1024, st?.modern.mem.hwm / 1024, { d: 1 });
  return rows;
}
const ERA_HEADER = ['metric', `legacy (${PROTOCOL})`, `modern (${MODERN})`, 'modern/legacy', 'modern no slower (10% band)'];

// Replace the text between <!-- bench/run.mjs:NAME begin --> and <!-- bench/run.mjs:NAME end -->
// in FILE (both markers kept); without those markers, the block is appended; without the file, it
// is created with a "# Benchmarks" title. Other sections (e.g. Devboxes, hand-written notes) stay.
function writeSection(file, name, text) {
  const begin = `<!-- bench/run.mjs:${name} begin -->`, end = `<!-- bench/run.mjs:${name} end -->`;
  const block = `${begin}\n${text.trim()}\n${end}`;
  let doc = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const a = doc.indexOf(begin), b = doc.indexOf(end);
  if (a >= 0 && b > a) doc = doc.slice(0, a) + block + doc.slice(b + end.length);
  else doc = `${doc.trimEnd()}\n\n${block}\n`;
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, doc);
}

// ---------------------------------------------------------------- main

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = now();
  const loadAtStart = os.loadavg()[0];
  const loadSamples = [loadAtStart];
  const loadTimer = setInterval(() => loadSamples.push(os.loadavg()[0]), 5000);
  loadTimer.unref();
  if (loadAtStart > 0.5) console.error(`note: load average ${loadAtStart.toFixed(2)} at start; other work on this machine skews the numbers`);
  const rerun = ['node', path.relative(process.cwd(), fileURLToPath(import.meta.url)) || 'bench/run.mjs', ...process.argv.slice(2)].map(shellQuote).join(' ');
  const peerModules = path.join(benchDir, 'node_modules', '@modelcontextprotocol', 'sdk', 'package.json');
  if (!fs.existsSync(peerModules)) {
    console.error(`run.mjs: ${peerModules} missing; run: (cd ${path.relative(process.cwd(), benchDir) || '.'} && npm ci)`);
    process.exit(2);
  }
  const sdkVersion = JSON.parse(fs.readFileSync(peerModules, 'utf8')).version;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-bench-'));
  opts.tmp = tmp;
  process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
  const step = async (label, fn) => {
    process.stderr.write(`${label} ... `);
    const t = now();
    try {
      const v = await fn();
      process.stderr.write(`done (${((now() - t) / 1000).toFixed(1)} s)\n`);
      return v;
    } catch (e) {
      process.stderr.write(`FAILED\n  ${e.message}\n`);
      return undefined;
    }
  };
  const m = machineInfo();
  const display = (cmd) => cmd.replace(process.execPath, 'node').replace(benchDir, path.relative(process.cwd(), benchDir) || '.');
  let failed = false;
  const sections = []; // [name, markdown]

  if (opts.peerRun) {
    const nullExe = buildNullResponder(tmp, 'null_responder');
    const nullHttpExe = buildNullResponder(tmp, 'null_http_responder');
    const cmds = {
      ours: splitCommand(opts.ours), peer: splitCommand(opts.peer), nul: nullExe ? [nullExe] : null,
    };
    const r = { ours: {}, peer: {}, nul: nullExe ? {} : null };
    const peerStarted = now();

    // Start-up spawns alternate between the servers so that drift (caches, other load) hits all alike.
    const startupOf = await step('start-up (interleaved)', () => measureStartup(
      Object.fromEntries(Object.entries(cmds).filter(([, v]) => v)), opts.spawns));
    for (const who of Object.keys(startupOf ?? {})) r[who].startup = startupOf[who];
    if (startupOf && Object.keys(startupOf).length < Object.values(cmds).filter(Boolean).length) {
      process.stderr.write('  (start-up failed for some servers; see above)\n');
    }
    // Two rounds, the second in the reverse order (ours, peer, null, ours' read tool; then back),
    // each server's figures the mean of its two: whatever drifts during the section (the machine
    // settling after the start-up spawns, say) falls on all alike.
    // A second tool of ours (--ours-read-tool) is the smallest read a client makes, against the
    // same floor: the first tool's figure includes the size of its answer.
    const stdioRuns = [['ours', 'stdio', opts.oursTool], ['peer', 'stdio', TOOL], ['nul', 'stdio', TOOL]]
      .filter(([who]) => cmds[who]);
    if (opts.oursReadTool) stdioRuns.push(['ours', 'stdioRead', opts.oursReadTool]);
    const stdioSeen = {};
    for (const [who, key, tool] of [...stdioRuns, ...[...stdioRuns].reverse()]) {
      const m = await step(`stdio ${who}, ${tool}`, () => measureStdio(cmds[who], opts.calls, opts.warmup, tool));
      if (m) (stdioSeen[`${who}.${key}`] ??= []).push(m);
    }
    const meanOf = (ms) => ({ p50: ms.reduce((a, m) => a + m.p50, 0) / ms.length, p99: ms.reduce((a, m) => a + m.p99, 0) / ms.length,
      rate: ms.reduce((a, m) => a + m.rate, 0) / ms.length, mem: ms[ms.length - 1].mem });
    for (const [id, ms] of Object.entries(stdioSeen)) {
      const [who, key] = id.split('.');
      r[who][key] = meanOf(ms);
    }
    const wrkRuns = opts.wrk ? ', then wrk' : '';
    if (opts.oursHttp) {
      r.ours.http = await step(`HTTP ours${wrkRuns}`, () => measureHttp(opts.oursHttp, opts.concurrency, opts.duration, opts.client, { tool: opts.oursTool, wrk: opts.wrk }));
      if (opts.oursReadTool) {
        r.ours.httpRead = await step(`HTTP ours, ${opts.oursReadTool}${wrkRuns}`, () => measureHttp(opts.oursHttp, opts.concurrency, opts.duration, opts.client, { tool: opts.oursReadTool, wrk: opts.wrk }));
      }
    } else console.error('HTTP ours: skipped (no --ours-http)');
    r.peer.http = await step(`HTTP peer${wrkRuns}`, () => measureHttp(opts.peerHttp, opts.concurrency, opts.duration, opts.client, { wrk: opts.wrk }));
    if (nullHttpExe) {
      r.nulHttp = await step(`HTTP null responder${wrkRuns}`, () => measureHttp(`${shellQuote(nullHttpExe)} --port {port}`, opts.concurrency, opts.duration, opts.client, { wrk: opts.wrk }));
    }

    const { rows, ratios } = buildReport(opts, r);
    const header = ['metric', 'ours', `peer (TS SDK ${sdkVersion})`, 'null responder (floor)'];
    const ratioHeader = ['ratio', 'value', 'target', 'result'];
    const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const secs = ((now() - peerStarted) / 1000).toFixed(1);
    const clientDesc = opts.client === 'undici'
      ? 'undici `Pool`, one connection per worker' : 'node:http with `http.Agent({keepAlive: true})`';

    console.log(`\nMCP server benchmark, ${date}; ${m.nproc} CPUs, ${m.cpu}; node ${m.node}; load at start ${loadAtStart.toFixed(2)}; ${secs} s\n`);
    console.log(textTable(header, rows));
    console.log('');
    console.log(textTable(ratioHeader, ratios));

    // With --ours-tool, "ours" is the product with one of its own tools: a section of its own.
    const product = opts.oursTool !== TOOL;
    const what = product
      ? `runagents-mcp calling its own tool \`${opts.oursTool}\` (no arguments, on the embedded platform),
and the official TypeScript SDK server (\`bench/peer/server.mjs\`, \`@modelcontextprotocol/sdk\`
${sdkVersion}) calling \`${TOOL}\` (no arguments, fixed text)`
      : `our server and the official TypeScript SDK server
(\`bench/peer/server.mjs\`, \`@modelcontextprotocol/sdk\` ${sdkVersion}) exposing the same tool
(\`${TOOL}\`, no arguments, fixed text)`;
    sections.push([product ? 'product' : 'peer', `## ${product ? 'runagents-mcp against' : 'Against'} the TypeScript SDK (${date.slice(0, 10)})

Measured by \`bench/run.mjs\` in one run: ${what}, driven by the same Node.js client, all in the 2025-11-25 era.

- Date: ${date}
- Machine: ${m.nproc} CPUs (nproc), ${m.cpu}, ${(m.memTotal / 2 ** 30).toFixed(1)} GiB RAM
- Kernel: ${m.kernel}
- Driver and peer: node ${m.node}
- Load average (1 min) at start: ${loadAtStart.toFixed(2)}
- Ours: \`${opts.ours}\`${opts.oursHttp ? `; HTTP: \`${opts.oursHttp}\`` : ''}
- Peer: \`${display(opts.peer)}\`; HTTP: \`${display(opts.peerHttp)}\` (node ${m.node})
- Bench time for this section: ${secs} s

### Results

${mdTable(header, rows)}

### Ratios

${mdTable(ratioHeader, ratios)}

### Method

- Start-up: wall time from spawning the process to receiving the \`initialize\` response on
  stdout (the request is written right after spawn); median of ${opts.spawns} spawns, each process
  stopped before the next starts.
- stdio: one process; \`initialize\`, \`notifications/initialized\`, ${opts.warmup} warm-up calls, then
  ${opts.calls} sequential \`tools/call\` requests, each sent after the previous answer arrived; each
  server twice, in two rounds of opposite order, its figures the mean of the two (memory: the
  second). The null responder (\`bench/null_responder.c\`, built with \`cc -O2\`) answers every line with a
  canned result and no JSON parsing: its p50 is the floor of this driver. Its start-up is the
  cost of spawning a process from the driver.${opts.oursReadTool ? ` Ours is measured with two tools, here and on HTTP
  below: \`${opts.oursTool}\`, and in fresh processes \`${opts.oursReadTool}\`.` : ''}
- HTTP: Streamable HTTP on 127.0.0.1 \`/mcp\`; at each concurrency C, C workers, **one session
  per worker** (initialize + notifications/initialized, untimed), each with one \`tools/call\` in
  flight at a time over keep-alive connections (${clientDesc}), 0.5 s warm-up
  then ${opts.duration} s measured. Answers are accepted as JSON or SSE.
  The driver is a single Node.js process on the same ${m.nproc} CPUs, so at high rates it competes
  with the server for CPU and the measured rate is bounded by the driver. The HTTP null
  responder (\`bench/null_http_responder.c\`: one epoll thread, canned answers, no HTTP or JSON
  parsing beyond framing) shows that bound: no server can score above it on this driver.${opts.wrk ? `
- wrk (\`bench/wrk_mcp.lua\`, ${wrkVersion(opts.wrk)}, one thread, C connections): after the Node
  driver, on one initialized session of the same server process, a unique id per request, 1 s
  warm-up then ${opts.duration} s at each C; HTTP, socket and JSON-RPC errors fail the run. wrk is a
  C client, so its rates are far less bounded by the driver.` : ''}
- Memory: VmHWM (peak) and VmRSS from \`/proc/PID/status\` of the server process after its load.

### Rerun

\`\`\`sh
${rerun}
\`\`\`
`]);
    failed ||= [r.ours.startup, r.peer.startup, r.ours.stdio, r.peer.stdio, r.peer.http, opts.oursHttp ? r.ours.http : 1]
      .some((v) => v === undefined);
  }

  if (opts.devbox) {
    const devboxStarted = now();
    const table = await step('devboxes and run_query (bench/devbox.mjs)', () => new Promise((resolve, reject) => {
      execFile(process.execPath, [path.join(benchDir, 'devbox.mjs'), '--runs', '20'], {
        env: { ...process.env, RUNAGENTS_BUILD_DIR: path.resolve(opts.devbox) }, timeout: 30 * 60 * 1000, maxBuffer: 1 << 20,
      }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message} ${stderr.slice(-500)}`)) : resolve(stdout)));
    }));
    if (table) {
      console.log(`\n${table}`);
      const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      sections.push(['product-devbox', `### runagents-mcp: devboxes and run_query (${date.slice(0, 10)}, same run)

Measured by \`bench/devbox.mjs\` (started by \`bench/run.mjs --devbox ${opts.devbox}\`, after the
sections above, in the same run): the official MCP TypeScript SDK client drives
\`${path.join(opts.devbox, 'runagents-mcp')}\` over stdio with a fresh data dir and local sandboxes.
${((now() - devboxStarted) / 1000).toFixed(1)} s; load average (1 min) at its end ${os.loadavg()[0].toFixed(2)}.

${table.trim()}
`]);
    } else failed = true;
  }

  if (opts.eras) {
    const erasStarted = now();
    const targets = [{
      key: 'fixture', name: path.basename(splitCommand(opts.ours)[0]), tool: TOOL, env: undefined,
      stdio: splitCommand(opts.ours), http: opts.oursHttp, display: opts.ours, displayHttp: opts.oursHttp,
    }];
    if (opts.product) targets.push(productTarget(opts.product, opts.productTool, tmp));
    const results = [];
    for (const t of targets) results.push([t, await measureEras(t, opts, step)]);
    clearInterval(loadTimer);
    loadSamples.push(os.loadavg()[0]);
    const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const secs = ((now() - erasStarted) / 1000).toFixed(1);
    const loadDesc = `${loadAtStart.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end, ` +
      `${Math.min(...loadSamples).toFixed(2)} to ${Math.max(...loadSamples).toFixed(2)} sampled every 5 s`;
    let md = `## Modern era (${MODERN})

Measured by \`bench/run.mjs\` in one run: each binary serves both eras, and each figure puts the
2026-07-28 path (no \`initialize\`, the \`_meta\` envelope on every request, stateless HTTP POSTs
with \`MCP-Protocol-Version\`, \`Mcp-Method\` and \`Mcp-Name\`) beside the 2025-11-25 path
(\`initialize\`, one session), measured alternately so that the other work on the machine falls
on both alike. Issue 9 §7: the modern path must be no slower. The verdict column allows a 10%
noise band on the figures the issue names; the other rows are context.

- Date: ${date}
- Machine: ${m.nproc} CPUs (nproc), ${m.cpu}, ${(m.memTotal / 2 ** 30).toFixed(1)} GiB RAM; ${m.kernel}
- Driver: node ${m.node}${opts.wrk ? `; ${wrkVersion(opts.wrk)}` : ''}
- Load average (1 min): ${loadDesc}
- Bench time for this section: ${secs} s
`;
    console.log(`\nModern (${MODERN}) against legacy (${PROTOCOL}), ${date}; load ${loadDesc}\n`);
    for (const [t, r] of results) {
      const rows = buildEraReport(opts, t, r);
      console.log(`${t.name}, tool ${t.tool}`);
      console.log(textTable(ERA_HEADER, rows));
      console.log('');
      md += `
### ${t.name}, tool \`${t.tool}\`

stdio: \`${t.display}\`${t.displayHttp ? `; HTTP: \`${t.displayHttp}\`` : ''}

${mdTable(ERA_HEADER, rows)}
`;
      failed ||= !r.startup || !r.stdio || (t.http && !r.http) || (opts.instructions && !r.instructions);
    }
    md += `
### Method

- Start-up: wall time from spawn to the answer, over stdio, median of ${opts.spawns} spawns of each
  kind; the four kinds (legacy \`initialize\`; modern \`server/discover\`; legacy \`initialize\`, then
  \`notifications/initialized\` and \`tools/call\`; modern \`tools/call\` at once) take turns, in a
  different order each round. runagents-mcp gets a fresh data dir (\`--data-dir\`, no config
  file, \`RUNAGENTS_*\` removed from the environment) that one untimed call has created first.
- stdio: two processes, one per era; after ${opts.warmup} warm-up calls each, ${opts.calls} \`tools/call\` per era,
  alternating (legacy then modern, then modern then legacy, ...), one request in flight at a time.
- HTTP: one server process answers both eras. At concurrency C: legacy = one initialized session
  shared by C workers; modern = C workers sending stateless POSTs with the \`_meta\` envelope and
  the headers (an answer with \`Mcp-Session-Id\` fails the run). Node driver (${opts.client}, C keep-alive
  connections): 0.5 s warm-up per era, then ${opts.eraRounds} slices of ${fmt(opts.duration / opts.eraRounds, 2)} s per era in the
  order L M M L ...; rate = calls / time over the era's slices.${opts.wrk ? `
  wrk (\`bench/wrk_mcp.lua\`, one thread, C connections, a unique id per request, JSON-RPC errors
  counted as failures): 1 s warm-up per era, then ${opts.eraRounds} runs of ${opts.wrkSlice} s per era in the same
  order; rate, p50 and p99 are means over the era's runs. wrk is a C client, so its figures are
  far less bounded by the driver than the Node ones.` : ''}
- The driver, wrk and the server share the ${m.nproc} CPUs.${opts.instructions ? `
- Instructions: the server under \`valgrind --tool=callgrind\` (all threads), ${opts.instructions} sequential
  \`tools/call\` of one era after its first request (legacy \`initialize\`, modern
  \`server/discover\`), less the same run with no call, divided by ${opts.instructions}; HTTP with node:http,
  one connection. Deterministic to within a fraction of a percent, so unaffected by other load.` : ''}

### Rerun

\`\`\`sh
${rerun}
\`\`\`
`;
    sections.unshift(['eras', md]);
  }

  if (opts.out) {
    for (const [name, text] of sections) writeSection(opts.out, name, text);
    console.log(`\nwrote ${opts.out}`);
  }
  process.exit(failed ? 1 : 0);
}

function wrkVersion(exe) {
  try {
    return (execFileSync(exe, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).match(/^wrk \S+/m) || ['wrk'])[0];
  } catch (e) {
    return ((e.stdout || '').match(/^wrk \S+/m) || ['wrk'])[0]; // wrk --version exits 1
  }
}

main().catch((e) => {
  console.error(`run.mjs: ${e.stack || e.message}`);
  process.exit(1);
});
