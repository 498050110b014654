// A RuntimeUse test runtime: the server side of the RuntimeUse WebSocket protocol (getlark/
// runtimeuse v0.15.1, shared/reference/runloop-and-runtimeuse.md part B), with a deterministic
// agent in place of a model, for the RuntimeUse client's tests
// (tests/unit/runtimeuse_client_test.cpp).
//
//   node tests/runtimeuse/test_runtime.mjs [--port N] [--heartbeat-ms N] [--drain-ms N]
//
// Listens on 127.0.0.1:N (0 = an ephemeral port) and prints one line {"port": N} once
// listening. Heartbeats go out every --heartbeat-ms (default 15000, or RUNTIMEUSE_HEARTBEAT_MS)
// while a request is in flight; --drain-ms (default 300) is the wait before confirming
// end_session_message when artifacts were used (the real runtime waits 3000).
//
// What it does, as the real runtime:
//   - invocation_message: pre_agent_invocation_commands (child_process.exec with cwd and env,
//     stdout/stderr chunks as command_output_message; a non-zero exit is the terminal
//     error_message "pre-agent command failed with exit code: N"), the agent step, the post
//     commands, then result_message {metadata, data};
//   - every outgoing frame has each secrets_to_redact value replaced by [REDACTED]; a missing or
//     null secrets_to_redact kills the connection (the real runtime crashes: close 1006);
//   - cancel_message aborts the request in flight (commands are killed); the terminal frame is
//     error_message "Request cancelled" with metadata {}; a cancel while idle is ignored;
//   - a request while another is in flight gets error_message "Received request while another is
//     in flight!"; a frame that is not JSON gets an error_message with error_name and stack;
//   - end_session_message: waits for artifact uploads, sends end_session_confirm_message and
//     closes the socket without a close code (1005); unknown message types are ignored;
//   - heartbeat_message {phase: "request_in_flight", elapsed_ms} while a request is in flight.
//
// The agent step, by prompt prefix (as RuntimeUse's echo_handler):
//   ECHO:x                 text result x
//   STRUCTURED:{json}      structured_output result of that JSON (whatever the schema says)
//   STREAM:n               n assistant_messages ("message 1" .. "message n"), then text "streamed n"
//   SLOW:ms                waits ms (cancel ends it at once with "Request cancelled"), text "slept"
//   ERROR:msg              the handler's error_message msg, then the terminal error_message msg
//   ARTIFACT:name:content  writes name into the first artifacts dir, sends
//                          artifact_upload_request_message, PUTs content to the presigned_url
//                          from the response with its content_type, then text "wrote name"
//   ARTIFACT_LATE:name:content  the same, but the upload request comes after the result
//   HEARTBEAT:n            n heartbeat_messages 20 ms apart, then text "heartbeats n"
//   HANG:                  never answers and ignores cancel
//   LEAK:text              text result `text` sent WITHOUT redaction
//   INVOCATION:            structured_output result: the invocation_message as received
//   CLOSE:                 closes the socket (code 1011) without answering
//   GARBAGE:               sends a non-JSON frame and an unknown message_type, then text "ok"
//   anything else          text result "echo: <prompt>"
import { exec } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WebSocketServer } from 'ws';

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? Number(process.argv[i + 1]) : fallback;
}

const port = arg('--port', 0);
const heartbeatMs = arg('--heartbeat-ms', Number(process.env.RUNTIMEUSE_HEARTBEAT_MS || 15000));
const drainMs = arg('--drain-ms', 300);

function redact(value, secrets) {
  if (typeof value === 'string') {
    let s = value;
    for (const secret of secrets) if (secret) s = s.replaceAll(secret, '[REDACTED]');
    return s;
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, secrets));
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = redact(v, secrets);
    return out;
  }
  return value;
}

function errorMetadata(err) {
  return { error_name: err?.name ?? 'Error', stack: String(err?.stack ?? err).slice(0, 4000) };
}

class Cancelled extends Error {
  constructor() {
    super('Request cancelled');
    this.name = 'AbortError';
  }
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Cancelled());
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new Cancelled());
    });
  });
}

class Session {
  constructor(ws) {
    this.ws = ws;
    this.secrets = [];
    this.inFlight = false;
    this.abort = null;
    this.pendingUploads = new Map(); // filepath -> {resolve}
    this.uploads = []; // promises of PUTs
    this.artifactsUsed = false;
    this.closed = false;
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', () => {
      this.closed = true;
      this.abort?.abort();
    });
    ws.on('error', () => {});
  }

  send(message, { raw = false } = {}) {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(JSON.stringify(raw ? message : redact(message, this.secrets)));
  }

  onMessage(data, isBinary) {
    let msg;
    try {
      msg = JSON.parse(isBinary ? Buffer.from(data).toString('utf8') : data.toString());
    } catch (err) {
      this.send({ message_type: 'error_message', error: err.message, metadata: errorMetadata(err) });
      return;
    }
    switch (msg?.message_type) {
      case 'invocation_message':
        if (this.inFlight) {
          const err = new Error('Received request while another is in flight!');
          this.send({ message_type: 'error_message', error: err.message, metadata: errorMetadata(err) });
          return;
        }
        this.runInvocation(msg);
        return;
      case 'cancel_message':
        if (this.inFlight && !this.hang) this.abort?.abort();
        return;
      case 'artifact_upload_response_message':
        this.onUploadResponse(msg);
        return;
      case 'end_session_message':
        this.endSession();
        return;
      default:
        return; // unknown types are ignored
    }
  }

  async endSession() {
    if (this.inFlight) {
      this.send({ message_type: 'end_session_confirm_message' });
      this.ws.close();
      return;
    }
    if (this.artifactsUsed) {
      await sleep(drainMs);
      const deadline = Date.now() + 10000;
      while (this.pendingUploads.size > 0 && Date.now() < deadline) await sleep(20);
      await Promise.allSettled(this.uploads);
    }
    this.send({ message_type: 'end_session_confirm_message' });
    this.ws.close(); // no code: the client sees 1005
  }

  onUploadResponse(msg) {
    const pending = this.pendingUploads.get(msg.filepath);
    if (!pending) return;
    this.pendingUploads.delete(msg.filepath);
    const put = fetch(msg.presigned_url, {
      method: 'PUT',
      headers: { 'Content-Type': msg.content_type },
      body: fs.readFileSync(msg.filepath),
    })
      .then((res) => process.stderr.write(`upload ${msg.filename}: ${res.status}\n`))
      .catch((err) => process.stderr.write(`upload ${msg.filename} failed: ${err.message} ${err.cause ?? ""}\n`));
    this.uploads.push(put);
    pending.resolve(put);
  }

  // Sends an upload request for `filepath` and resolves once the PUT is done.
  requestUpload(filepath) {
    this.artifactsUsed = true;
    return new Promise((resolve) => {
      this.pendingUploads.set(filepath, { resolve });
      this.send({
        message_type: 'artifact_upload_request_message',
        filename: path.basename(filepath),
        filepath,
      });
    }).then((put) => put);
  }

  runCommands(commands, phase, signal) {
    return (async () => {
      for (const cmd of commands ?? []) {
        const code = await new Promise((resolve, reject) => {
          const child = exec(cmd.command, {
            cwd: cmd.cwd ?? process.cwd(),
            env: { ...process.env, ...(cmd.env ?? {}) },
            signal,
          });
          const forward = (stream) => (chunk) =>
            this.send({ message_type: 'command_output_message', stream, text: String(chunk), command: cmd.command });
          child.stdout.on('data', forward('stdout'));
          child.stderr.on('data', forward('stderr'));
          child.on('error', (err) => (signal.aborted ? reject(new Cancelled()) : reject(err)));
          child.on('close', (c) => (signal.aborted ? reject(new Cancelled()) : resolve(c ?? 1)));
        });
        if (code !== 0) throw new Error(`${phase} command failed with exit code: ${code}`);
      }
    })();
  }

  async runInvocation(msg) {
    if (!Array.isArray(msg.secrets_to_redact)) {
      // The real runtime crashes here once a command prints; the client must always send it.
      process.stderr.write('secrets_to_redact missing: dropping the connection\n');
      this.ws.terminate();
      return;
    }
    this.inFlight = true;
    this.hang = false;
    this.secrets = msg.secrets_to_redact;
    const controller = new AbortController();
    this.abort = controller;
    const started = Date.now();
    const heartbeat = setInterval(
      () => this.send({ message_type: 'heartbeat_message', phase: 'request_in_flight', elapsed_ms: Date.now() - started }),
      heartbeatMs,
    );
    let after = null;
    try {
      if (msg.output_format_json_schema_str != null) JSON.parse(msg.output_format_json_schema_str);
      await this.runCommands(msg.pre_agent_invocation_commands, 'pre-agent', controller.signal);
      const { data, raw, afterResult } = await this.agent(msg, controller.signal);
      after = afterResult;
      await this.runCommands(msg.post_agent_invocation_commands, 'post-agent', controller.signal);
      this.send({ message_type: 'result_message', metadata: { handler: 'test_runtime', duration_ms: Date.now() - started }, data }, { raw });
    } catch (err) {
      if (controller.signal.aborted) this.send({ message_type: 'error_message', error: 'Request cancelled', metadata: {} });
      else this.send({ message_type: 'error_message', error: err.message, metadata: errorMetadata(err) });
    } finally {
      clearInterval(heartbeat);
      this.inFlight = false;
      this.abort = null;
    }
    if (after) await after();
  }

  artifactsDir(msg) {
    const dir = msg.artifacts_dirs?.[0] ?? msg.artifacts_dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'rt-artifacts-'));
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  }

  async agent(msg, signal) {
    const prompt = msg.user_prompt ?? '';
    const [, kind, rest] = prompt.match(/^([A-Z_]+):([\s\S]*)$/) ?? [null, '', prompt];
    const text = (t) => ({ data: { type: 'text', text: t } });
    switch (kind) {
      case 'ECHO':
        return text(rest);
      case 'STRUCTURED':
        return { data: { type: 'structured_output', structured_output: JSON.parse(rest) } };
      case 'INVOCATION':
        return { data: { type: 'structured_output', structured_output: msg } };
      case 'STREAM': {
        const n = Number(rest);
        for (let i = 1; i <= n; i++) {
          this.send({ message_type: 'assistant_message', text_blocks: [`message ${i}`] });
          await sleep(5, signal);
        }
        return text(`streamed ${n}`);
      }
      case 'SLOW':
        await sleep(Number(rest), signal);
        return text('slept');
      case 'ERROR': {
        const err = new Error(rest);
        this.send({ message_type: 'error_message', error: rest, metadata: errorMetadata(err) });
        throw err;
      }
      case 'ARTIFACT':
      case 'ARTIFACT_LATE': {
        const colon = rest.indexOf(':');
        const name = rest.slice(0, colon);
        const content = rest.slice(colon + 1);
        const file = path.join(this.artifactsDir(msg), name);
        fs.writeFileSync(file, content);
        if (kind === 'ARTIFACT') {
          await this.requestUpload(file);
          return text(`wrote ${name}`);
        }
        return { ...text(`wrote ${name}`), afterResult: () => this.requestUpload(file) };
      }
      case 'HEARTBEAT': {
        const n = Number(rest);
        for (let i = 0; i < n; i++) {
          await sleep(20, signal);
          this.send({ message_type: 'heartbeat_message', phase: 'request_in_flight', elapsed_ms: i * 20 });
        }
        return text(`heartbeats ${n}`);
      }
      case 'HANG':
        this.hang = true;
        return new Promise(() => {});
      case 'LEAK':
        return { ...text(rest), raw: true };
      case 'CLOSE':
        this.ws.close(1011, 'test runtime closing');
        return new Promise(() => {});
      case 'GARBAGE':
        this.ws.send('this is not json');
        this.ws.send(JSON.stringify({ message_type: 'mystery_message', x: 1 }));
        this.ws.send(JSON.stringify([1, 2, 3]));
        return text('ok');
      default:
        return text(`echo: ${prompt}`);
    }
  }
}

const wss = new WebSocketServer({ host: '127.0.0.1', port, maxPayload: 64 * 1024 * 1024 });
wss.on('connection', (ws) => new Session(ws));
wss.on('listening', () => {
  process.stdout.write(JSON.stringify({ port: wss.address().port }) + '\n');
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
