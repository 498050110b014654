// Shared helpers for the end-to-end tests: locating the built binaries, spawning them with
// bounded waits, a raw line-oriented stdio peer, a raw HTTP peer (fetch), and connecting the
// official MCP TypeScript SDK client over stdio or Streamable HTTP.
//
// Every process spawned here is tracked; call `killAll()` from an `after`/`afterEach` hook (and
// the process-exit hook below kills any survivor), so a failing test never leaks a server.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client as ClientV2, StreamableHTTPClientTransport as StreamableHTTPClientTransportV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioClientTransportV2 } from '@modelcontextprotocol/client/stdio';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BUILD_DIR = path.resolve(REPO_ROOT, process.env.RUNAGENTS_BUILD_DIR || 'build');
export const FIXTURE = path.join(BUILD_DIR, 'conformance-server');
export const PRODUCT = path.join(BUILD_DIR, 'runagents-mcp');
export const PROTOCOL_VERSION = '2025-11-25';

for (const bin of [FIXTURE, PRODUCT]) {
  if (!existsSync(bin)) {
    throw new Error(
      `${bin} is missing; build it first: cmake -B build && cmake --build build -j2 ` +
        '--target runagents-mcp conformance-server (or set RUNAGENTS_BUILD_DIR)',
    );
  }
}

// Why the tests that run agents (bubblewrap + python3) are skipped here, or false when they can
// run: the `skip` option of node:test.
export function agentSandboxSkip() {
  try {
    execFileSync('bwrap', ['--ro-bind', '/', '/', '--unshare-all', 'true'], { stdio: 'ignore' });
    execFileSync('/usr/bin/python3', ['--version'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'bubblewrap or python3 cannot run sandboxes here';
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Rejects after `ms` with a message naming what was awaited; the timer never keeps Node alive. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    timer.unref?.();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------
// Process tracking.

const live = new Set();

function track(child) {
  live.add(child);
  child.exitInfo = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal, at: Date.now() });
    });
  });
  return child;
}

/** Spawns a binary with stdin/stdout/stderr piped and tracks it for cleanup. */
export function spawnTracked(command, args = [], options = {}) {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
  child.stderrText = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk) => {
    child.stderrText += chunk;
    if (child.stderrText.length > 1 << 20) child.stderrText = child.stderrText.slice(-(1 << 19));
  });
  // A server that exits early must not crash the test process with EPIPE.
  child.stdin?.on('error', () => {});
  return track(child);
}

/** Registers an externally spawned pid (e.g. by the SDK's stdio transport) for cleanup. */
const livePids = new Set();
export function trackPid(pid) {
  if (pid) livePids.add(pid);
}

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills every tracked process that is still running (SIGKILL) and waits for the exits. */
export async function killAll() {
  const waits = [];
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    waits.push(child.exitInfo);
  }
  for (const pid of livePids) {
    if (isAlive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  }
  livePids.clear();
  await withTimeout(Promise.all(waits), 5000, 'spawned processes to exit');
}

process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
  for (const pid of livePids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
});

/** Waits for a tracked child to exit; resolves {code, signal, at} or rejects after `ms`. */
export function waitExit(child, ms, what = 'the process to exit') {
  return withTimeout(child.exitInfo, ms, what);
}

// ---------------------------------------------------------------------------------------------
// JSON-RPC shape checks.

/** Asserts `m` is a well-formed JSON-RPC 2.0 message (request, notification or response). */
export function assertJsonRpc(m, raw = JSON.stringify(m)) {
  assert.ok(m && typeof m === 'object' && !Array.isArray(m), `not a JSON object: ${raw.slice(0, 200)}`);
  assert.equal(m.jsonrpc, '2.0', `missing jsonrpc 2.0: ${raw.slice(0, 200)}`);
  if ('method' in m) {
    assert.equal(typeof m.method, 'string');
  } else {
    assert.ok('id' in m, `a response needs an id: ${raw.slice(0, 200)}`);
    assert.ok(('result' in m) !== ('error' in m), `exactly one of result/error: ${raw.slice(0, 200)}`);
    if ('error' in m) {
      assert.ok(Number.isInteger(m.error.code), `error.code must be an integer: ${raw.slice(0, 200)}`);
      assert.equal(typeof m.error.message, 'string');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// A raw stdio peer: writes bytes/lines to the server's stdin and parses its stdout line by line.

export class RawStdio {
  constructor(command, args = [], options = {}) {
    this.child = spawnTracked(command, args, options);
    this.lines = []; // every stdout line, raw
    this.messages = []; // parsed lines (null where a line did not parse)
    this.waiters = new Set();
    let pending = Buffer.alloc(0);
    this.child.stdout.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      let nl;
      while ((nl = pending.indexOf(0x0a)) >= 0) {
        const line = pending.subarray(0, nl).toString('utf8');
        pending = pending.subarray(nl + 1);
        this.lines.push(line);
        let parsed = null;
        try {
          parsed = JSON.parse(line);
        } catch {}
        this.messages.push(parsed);
      }
      for (const w of this.waiters) w();
    });
    this.child.once('exit', () => {
      for (const w of this.waiters) w();
    });
  }

  get pid() {
    return this.child.pid;
  }

  /** Writes a string (a newline is added), an object (serialized) or raw bytes (as they are). */
  write(data) {
    let buf;
    if (Buffer.isBuffer(data)) buf = data;
    else if (typeof data === 'string') buf = Buffer.from(data.endsWith('\n') ? data : `${data}\n`);
    else buf = Buffer.from(`${JSON.stringify(data)}\n`);
    return new Promise((resolve, reject) => {
      this.child.stdin.write(buf, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Resolves the first parsed message at index >= `from` matching `pred`. */
  waitFor(pred, { from = 0, timeout = 5000, what = 'a matching message' } = {}) {
    const find = () => {
      for (let i = from; i < this.messages.length; i++) {
        if (this.messages[i] && pred(this.messages[i])) return this.messages[i];
      }
      return undefined;
    };
    return new Promise((resolve, reject) => {
      const done = (fn, value) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        fn(value);
      };
      const check = () => {
        const found = find();
        if (found) return done(resolve, found);
        if (this.child.exitCode !== null || this.child.signalCode !== null) {
          done(reject, new Error(`server exited while waiting for ${what}; ${this.describe()}`));
        }
      };
      const timer = setTimeout(
        () => done(reject, new Error(`timed out after ${timeout} ms waiting for ${what}; ${this.describe()}`)),
        timeout,
      );
      this.waiters.add(check);
      check();
    });
  }

  /** Waits for the response with this id. */
  response(id, timeout = 5000) {
    return this.waitFor((m) => m.id === id && !('method' in m), { timeout, what: `the response to id ${JSON.stringify(id)}` });
  }

  /** Sends a request and waits for its response. */
  async request(id, method, params, timeout = 5000) {
    const msg = { jsonrpc: '2.0', id, method };
    if (params !== undefined) msg.params = params;
    await this.write(msg);
    return this.response(id, timeout);
  }

  async initialize(id = 'init', capabilities = {}) {
    const reply = await this.request(id, 'initialize', {
      protocolVersion: PROTOCOL_VERSION,
      capabilities,
      clientInfo: { name: 'runagents-e2e-raw', version: '0.0.0' },
    });
    await this.write({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return reply;
  }

  describe() {
    const tail = this.lines.slice(-3).map((l) => l.slice(0, 300));
    return `last stdout lines: ${JSON.stringify(tail)}; stderr tail: ${JSON.stringify(this.child.stderrText.slice(-600))}`;
  }

  /** Asserts that every stdout line so far is a JSON-RPC message (nothing else on stdout). */
  assertStdoutClean() {
    this.lines.forEach((line, i) => {
      assert.notEqual(this.messages[i], null, `stdout line ${i} is not JSON: ${line.slice(0, 200)}`);
      assertJsonRpc(this.messages[i], line);
    });
  }

  /** Closes stdin and waits for the exit (SIGKILL after `ms`). */
  async close(ms = 3000) {
    this.child.stdin.end();
    try {
      return await waitExit(this.child, ms);
    } catch (e) {
      this.child.kill('SIGKILL');
      throw e;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP servers and a raw HTTP peer.

/**
 * Starts a binary serving HTTP on an OS-chosen loopback port (`--port 0`) and resolves
 * {child, port, url} once it printed its URL on stderr.
 */
export async function startHttpServer(command, args = [], env) {
  return startHttpServerEnv(command, args, env ? { ...process.env, ...env } : process.env);
}

export const ACCEPT_BOTH = 'application/json, text/event-stream';

/** Parses an SSE body into the JSON messages of its data fields (skipping empty priming data). */
export function parseSse(text) {
  const out = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    const data = block
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).replace(/^ /, ''))
      .join('\n');
    if (data.trim()) out.push(JSON.parse(data));
  }
  return out;
}

/**
 * POSTs `body` (object → JSON, string/Buffer as is) to `url` and resolves
 * {status, headers, text, json, messages}; `messages` holds the JSON-RPC messages whether the
 * answer was application/json or an SSE stream.
 */
export async function post(url, body, { session, headers = {}, timeout = 10000 } = {}) {
  const h = { 'content-type': 'application/json', accept: ACCEPT_BOTH, ...headers };
  if (session) {
    h['mcp-session-id'] = session;
    h['mcp-protocol-version'] ??= PROTOCOL_VERSION;
  }
  const payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const res = await fetch(url, { method: 'POST', headers: h, body: payload, signal: AbortSignal.timeout(timeout) });
  return readResponse(res);
}

export async function readResponse(res) {
  const text = await res.text();
  const type = res.headers.get('content-type') || '';
  let json;
  let messages = [];
  if (type.includes('text/event-stream')) {
    messages = parseSse(text);
  } else if (text) {
    try {
      json = JSON.parse(text);
      messages = [json];
    } catch {}
  }
  return { status: res.status, headers: res.headers, text, json, messages };
}

/**
 * A request through node:http, which (unlike fetch) sends any Host header as given. Resolves the
 * same shape as `post`.
 */
export function rawRequest(url, { method = 'POST', headers = {}, body, timeout = 10000 } = {}) {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname, method, headers, timeout, agent: false },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {}
          resolve({ status: res.statusCode, headers: new Headers(res.headers), text, json, messages: json ? [json] : [] });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out after ${timeout} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Raw initialize over HTTP; resolves the session id after sending notifications/initialized. */
export async function httpInitialize(url, headers = {}) {
  const init = await post(
    url,
    {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'runagents-e2e-raw', version: '0.0.0' } },
    },
    { headers },
  );
  assert.equal(init.status, 200, `initialize: ${init.text}`);
  const session = init.headers.get('mcp-session-id');
  assert.ok(session, 'initialize must issue Mcp-Session-Id');
  const note = await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { session, headers });
  assert.equal(note.status, 202);
  return session;
}

/** Asserts an HTTP answer is a 4xx (or exactly `status`) carrying a JSON-RPC error. */
export function assertHttpError(res, { status, code } = {}) {
  if (status !== undefined) assert.equal(res.status, status, `HTTP status (body ${res.text.slice(0, 300)})`);
  else assert.ok(res.status >= 400 && res.status < 500, `expected 4xx, got ${res.status}: ${res.text.slice(0, 300)}`);
  assert.ok(res.json, `expected a JSON-RPC error body, got: ${res.text.slice(0, 300)}`);
  assertJsonRpc(res.json, res.text);
  assert.ok(res.json.error, `expected an error: ${res.text.slice(0, 300)}`);
  if (code !== undefined) assert.equal(res.json.error.code, code, res.json.error.message);
  return res.json.error;
}

// ---------------------------------------------------------------------------------------------
// The official SDK client over either transport.

export const TRANSPORTS = ['stdio', 'http'];

/**
 * Starts the fixture (conformance-server --e2e-tools) and connects an SDK client to it.
 * Resolves {client, transport, kind, pid, received, close}; `received` collects every raw
 * message the client transport delivered (responses and notifications), in order.
 */
export async function connectFixture(kind, { capabilities = {}, args = ['--e2e-tools'], command = FIXTURE } = {}) {
  const client = new Client({ name: 'runagents-e2e', version: '0.0.0' }, { capabilities });
  let transport;
  let server;
  if (kind === 'stdio') {
    transport = new StdioClientTransport({ command, args: ['--stdio', ...args], stderr: 'pipe' });
    transport.stderr?.on('data', () => {}); // drain
  } else {
    server = await startHttpServer(command, args);
    transport = new StreamableHTTPClientTransport(new URL(server.url));
  }
  const received = [];
  transport.onmessage = (m) => received.push(m); // the SDK chains its own handler after this one
  try {
    await withTimeout(client.connect(transport), 5000, `SDK client connect over ${kind}`);
  } finally {
    if (kind === 'stdio') trackPid(transport.pid); // killed by killAll() even if connect failed
  }
  const pid = kind === 'stdio' ? transport.pid : server.child.pid;
  const close = async () => {
    if (kind === 'http') {
      try {
        await withTimeout(transport.terminateSession(), 2000, 'DELETE session');
      } catch {}
    }
    try {
      await withTimeout(client.close(), 3000, 'client.close');
    } catch {}
  };
  return { client, transport, kind, pid, server, received, close };
}

// ---------------------------------------------------------------------------------------------
// The 2026-07-28 ("modern") era: the official SDK v2 client (@modelcontextprotocol/client),
// isolated product data dirs, and raw modern requests.

export const MODERN_VERSION = '2026-07-28';
export const LEGACY_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];

/** The _meta envelope of a modern request. */
export function modernMeta({ capabilities = {}, logLevel, progressToken, version = MODERN_VERSION } = {}) {
  const meta = {
    'io.modelcontextprotocol/protocolVersion': version,
    'io.modelcontextprotocol/clientCapabilities': capabilities,
    'io.modelcontextprotocol/clientInfo': { name: 'runagents-e2e-raw', version: '0.0.0' },
  };
  if (logLevel) meta['io.modelcontextprotocol/logLevel'] = logLevel;
  if (progressToken !== undefined) meta.progressToken = progressToken;
  return meta;
}

/**
 * The HTTP headers a modern request repeats from its body (SEP-2243): MCP-Protocol-Version,
 * Mcp-Method and, for tools/call, prompts/get, resources/read and tasks/get|update|cancel,
 * Mcp-Name.
 */
export function modernHeaders(body) {
  const h = {
    'mcp-protocol-version': body.params?._meta?.['io.modelcontextprotocol/protocolVersion'] ?? MODERN_VERSION,
    'mcp-method': body.method,
  };
  // tasks/get, tasks/update and tasks/cancel name their task (the 2026 tasks extension).
  const name = /^tasks\/(get|update|cancel)$/.test(body.method) ? body.params?.taskId : body.params?.name ?? body.params?.uri;
  if (typeof name === 'string') h['mcp-name'] = name;
  return h;
}

/** POSTs a modern request (headers derived from the body unless given) and reads the answer. */
export function postModern(url, body, { headers, timeout } = {}) {
  return post(url, body, { headers: headers ?? modernHeaders(body), timeout });
}

/**
 * A fresh data dir and a config file that does not exist, so the product never touches the
 * user's ~/.runagents; `env` has the RUNAGENTS_* variables that would point elsewhere removed.
 */
export function isolatedProduct(prefix = 'ra-e2e-') {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const env = { ...process.env };
  for (const k of ['RUNAGENTS_ENDPOINT', 'RUNAGENTS_API_KEY', 'RUNAGENTS_NAMESPACE', 'RUNAGENTS_DATA_DIR']) delete env[k];
  return {
    dir,
    env,
    args: ['--data-dir', path.join(dir, 'data'), '--config', path.join(dir, 'none.json')],
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Like startHttpServer, but the child gets exactly `env` (startHttpServer merges into
 * process.env, which cannot remove a variable).
 */
export async function startHttpServerEnv(command, args = [], env = process.env) {
  const child = spawnTracked(command, [...args, '--port', '0'], { env });
  child.stdin.end();
  const re = /http:\/\/127\.0\.0\.1:(\d+)\/mcp/;
  const port = await withTimeout(
    new Promise((resolve, reject) => {
      const check = () => {
        const m = re.exec(child.stderrText);
        if (m) {
          child.stderr.off('data', check);
          resolve(Number(m[1]));
        }
      };
      child.stderr.on('data', check);
      child.once('exit', (code) => reject(new Error(`${command} exited (${code}) before listening: ${child.stderrText}`)));
      check();
    }),
    10000,
    `${path.basename(command)} to print its HTTP URL`,
  );
  return { child, port, url: `http://127.0.0.1:${port}/mcp` };
}

/**
 * Connects the SDK v2 client (@modelcontextprotocol/client) over stdio (spawning `command
 * --stdio args`, or `command args` when `stdioFlag` is false) or to an HTTP `url`.
 * `mode` is the versionNegotiation mode ('auto', 'legacy' or {pin}). Resolves
 * {client, transport, received, stderr(), pid}; `received` holds every message the transport
 * delivered (progress and log notifications included), in wire order.
 */
export async function connectV2(kind, {
  command = FIXTURE,
  args = ['--e2e-tools'],
  env,
  url,
  stdioFlag = true,
  mode = { pin: MODERN_VERSION },
  capabilities = {},
  handlers = {},
} = {}) {
  const client = new ClientV2({ name: 'runagents-e2e-v2', version: '0.0.0' }, {
    capabilities,
    versionNegotiation: { mode },
  });
  for (const [method, handler] of Object.entries(handlers)) client.setRequestHandler(method, handler);
  let transport;
  let stderrText = '';
  if (kind === 'stdio') {
    transport = new StdioClientTransportV2({
      command,
      args: stdioFlag ? ['--stdio', ...args] : args,
      ...(env ? { env } : {}),
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk) => {
      stderrText += chunk;
      if (stderrText.length > 1 << 20) stderrText = stderrText.slice(-(1 << 19));
    });
  } else {
    transport = new StreamableHTTPClientTransportV2(new URL(url));
  }
  const received = [];
  transport.onmessage = (m) => received.push(m); // the SDK chains its own handler after this one
  try {
    await withTimeout(client.connect(transport), 15000, `SDK v2 client connect over ${kind}`);
  } finally {
    if (kind === 'stdio') trackPid(transport.pid);
  }
  return {
    client,
    transport,
    received,
    pid: kind === 'stdio' ? transport.pid : undefined,
    stderr: () => stderrText,
    close: async () => {
      try {
        await withTimeout(client.close(), 3000, 'client.close');
      } catch {}
    },
  };
}

/** Polls `pred` every 50 ms until it is true (resolves) or `ms` pass (rejects naming `what`). */
export async function waitUntil(pred, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await pred()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

// ---------------------------------------------------------------------------------------------
// Tasks, processes seen from outside, and the local platform's agents and approvals.

export const TASKS_EXT = 'io.modelcontextprotocol/tasks';
/** clientCapabilities that declare the 2026-07-28 tasks extension (plus any others given). */
export const withTasks = (capabilities = {}) => ({
  ...capabilities,
  extensions: { ...(capabilities.extensions ?? {}), [TASKS_EXT]: {} },
});
export const TERMINAL_TASK_STATES = ['completed', 'failed', 'cancelled'];

/** A result schema (Standard Schema v1) that accepts anything: for SDK requests of custom methods. */
export const ANY_RESULT = { '~standard': { version: 1, vendor: 'runagents-e2e', validate: (value) => ({ value }) } };

/** True when bubblewrap can create sandboxes here (devboxes and agent runs need it). */
export function bwrapUsable() {
  try {
    execFileSync('bwrap', ['--ro-bind', '/', '/', '--unshare-all', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** True when agents can run locally: bubblewrap and /usr/bin/python3. */
export function agentRuntimeUsable() {
  if (!bwrapUsable()) return false;
  try {
    execFileSync('/usr/bin/python3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A unique `sleep` argument for this test process (e.g. "300.0417123"): sleep takes fractions,
 * so the command still sleeps about `seconds`, and pgrep can find exactly this one.
 */
let sleepSerial = 0;
export function sleepMarker(seconds = 300) {
  sleepSerial += 1;
  return `${seconds}.${String(sleepSerial).padStart(3, '0')}${process.pid}`;
}

/** Pids of processes whose command line is `sleep <marker>` (from outside: pgrep -f). */
export function sleepers(marker) {
  try {
    return execFileSync('pgrep', ['-f', `^sleep ${marker.replace(/\./g, '\\.')}$`])
      .toString()
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Kills leftover `sleep <marker>` processes (test cleanup). */
export function killSleepers(marker) {
  for (const pid of sleepers(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}

/**
 * Every live descendant of `pid`, walking /proc: [{pid, ppid, cmdline}]. Zombies are left out
 * (they run nothing).
 */
export function descendants(pid) {
  const children = new Map();
  const info = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const state = rest[0];
      const ppid = Number(rest[1]);
      if (state === 'Z') continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      info.set(Number(entry), { pid: Number(entry), ppid, cmdline });
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {} // the process ended while we looked
  }
  const out = [];
  const stack = [...(children.get(pid) ?? [])];
  while (stack.length) {
    const p = stack.pop();
    if (info.has(p)) out.push(info.get(p));
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

/** A modern (2026-07-28) JSON-RPC request with the _meta envelope. */
let modernSerial = 0;
export function modernRequest(method, params = {}, { capabilities = {}, id } = {}) {
  modernSerial += 1;
  return {
    jsonrpc: '2.0',
    id: id ?? `m-${process.pid}-${modernSerial}`,
    method,
    params: { ...params, _meta: { ...modernMeta({ capabilities }), ...(params._meta ?? {}) } },
  };
}

/**
 * Polls `get()` (which resolves a task: modern DetailedTask or legacy Task) until `pred(task)`
 * holds; resolves the task. Generous bounds: the machine is shared.
 */
export async function pollTask(get, pred, ms, what) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await get();
    if (pred(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}; last: ${JSON.stringify(last).slice(0, 500)}`);
    await sleep(200);
  }
}

/** An agent that calls echo-tool once: deployed with an approval_required policy, each run is held. */
export const HELD_AGENT_SOURCE = `import runagents


def handler(request, ctx):
    answer = ctx.call_tool("echo-tool", path="/echo", payload={"text": request["message"]})
    return {"response": "echoed: " + answer["received"]["text"]}
`;

export const HELD_AGENT_ARGS = (name) => ({
  agent_name: name,
  source_files: { 'agent.py': HELD_AGENT_SOURCE },
  required_tools: ['echo-tool'],
  policies: [{ permission: 'approval_required', tool: 'echo-tool', operations: ['POST'] }],
});

/**
 * Starts `runagents-mcp platform serve` on the isolated data dir (tracked for killAll), with
 * `extraArgs` after `serve`, and resolves its base URL.
 */
export async function startPlatformServe(iso, extraArgs = []) {
  const child = spawnTracked(PRODUCT, [...iso.args, 'platform', 'serve', '--port', '0', ...extraArgs], {
    env: iso.env,
  });
  child.stdin.end();
  const base = await withTimeout(
    new Promise((resolve, reject) => {
      const check = () => {
        const m = child.stderrText.match(/at (http:\/\/127\.0\.0\.1:\d+)/);
        if (m) {
          child.stderr.off('data', check);
          resolve(m[1]);
        }
      };
      child.stderr.on('data', check);
      child.once('exit', (code) => reject(new Error(`platform serve exited (${code}): ${child.stderrText}`)));
      check();
    }),
    10000,
    'platform serve to print its URL',
  );
  return { child, base };
}

/**
 * Invokes `agent` through platform serve; with an approval_required policy the run pauses.
 * Resolves the invoke answer ({run_id, run_status, ...}).
 */
export async function invokeAgent(base, agent, message) {
  const res = await fetch(`${base}/api/agents/default/${agent}/invoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message }),
    signal: AbortSignal.timeout(60000),
  });
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`invoke ${agent}: HTTP ${res.status} ${text.slice(0, 300)}`);
  }
}

/**
 * Starts the RuntimeUse test runtime (tests/runtimeuse/test_runtime.mjs) on a free port. Resolves
 * {child, url} with its ws:// URL.
 */
export function startTestRuntime() {
  const script = path.join(REPO_ROOT, 'tests/runtimeuse/test_runtime.mjs');
  const child = spawnTracked(process.execPath, [script, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`test runtime did not start: ${text}`)), 10000);
    child.stdout.on('data', (c) => {
      text += c;
      const m = text.match(/"port":\s*(\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: `ws://127.0.0.1:${m[1]}` });
      }
    });
    child.once('exit', (code) => reject(new Error(`test runtime exited ${code}: ${text}`)));
  });
}

/** A tool result that must have succeeded: its structuredContent. */
export function toolOk(r) {
  assert.equal(r.isError ?? false, false, JSON.stringify(r.content));
  return r.structuredContent;
}

/** A tool result that must be an isError refusal whose text matches `pattern`. */
export function toolRefused(r, pattern) {
  assert.equal(r.isError, true, JSON.stringify(r.structuredContent ?? r.content));
  assert.match(r.content[0].text, pattern);
}

/**
 * The official SDK client on runagents-mcp over stdio, on the isolated data dir `iso` (its dir is
 * the server's working directory, so relative host paths are inside the allowed ones).
 * `call(name, args)` calls a tool with a 120 s timeout.
 */
export async function connectIsolatedProduct(iso, name) {
  const transport = new StdioClientTransport({ command: PRODUCT, args: iso.args, env: iso.env, cwd: iso.dir, stderr: 'ignore' });
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(transport);
  trackPid(transport.pid);
  const call = (tool, args) => client.callTool({ name: tool, arguments: args }, undefined, { timeout: 120000 });
  return { client, call, pid: transport.pid };
}
