// The command line for people and scripts: --version, --help, `tools`, `call`, and tool selection
// errors at start-up. These tests do not depend on which product tools exist.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';

import { PRODUCT } from './lib.mjs';

/** Runs runagents-mcp with `args` (stdin closed), resolving {code, signal, stdout, stderr}. */
function run(args, { timeout = 10000 } = {}) {
  return new Promise((resolve) => {
    const child = execFile(PRODUCT, args, { timeout, killSignal: 'SIGKILL', maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code ?? null) : 0, signal: error?.signal ?? null, stdout, stderr });
    });
    child.stdin.end();
  });
}

/** Names listed by `runagents-mcp tools` (the first column after the header). */
async function toolNames(args = []) {
  const r = await run([...args, 'tools']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n').filter((l) => l.trim());
  return lines
    .slice(1)
    .filter((l) => !l.startsWith('('))
    .map((l) => l.split(/\s+/)[0]);
}

describe('runagents-mcp command line', () => {
  test('--version prints a version and exits 0', async () => {
    const r = await run(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trim(), /\d+\.\d+\.\d+/);
  });

  test('--help exits 0 and documents the main options and commands', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const word of ['--http', '--port', '--version', '--toolsets', '--tools', '--exclude-tools', '--read-only', 'tools', 'call']) {
      assert.ok(r.stdout.includes(word), `--help mentions ${word}`);
    }
  });

  test('`tools` prints a table with NAME, TITLE, READ-ONLY, DESTRUCTIVE', async () => {
    const r = await run(['tools']);
    assert.equal(r.code, 0, r.stderr);
    const header = r.stdout.split('\n')[0];
    assert.match(header, /^NAME\s+TITLE\s+READ-ONLY\s+DESTRUCTIVE\s*$/);
    const rows = r.stdout.split('\n').slice(1).filter((l) => l.trim() && !l.startsWith('('));
    for (const row of rows) assert.match(row, /\s(yes|no)\s+(yes|no)\s*$/, `row: ${row}`);
    assert.equal(r.stderr.includes('error'), false, r.stderr);
  });

  test('`tools --read-only` lists only read-only tools', async () => {
    const r = await run(['--read-only', 'tools']);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.split('\n').slice(1).filter((l) => l.trim() && !l.startsWith('('));
    for (const row of rows) assert.match(row, /\syes\s+no\s*$/, `read-only row: ${row}`);
    const all = await toolNames();
    assert.ok(rows.length <= all.length);
  });

  test('an unknown --tools name fails at start-up with exit 2 and lists the valid names', async () => {
    const all = await toolNames();
    for (const args of [['--tools', 'nope'], ['--exclude-tools', 'nope'], ['--tools', 'nope', 'tools']]) {
      const r = await run(args, { timeout: 5000 });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /nope/);
      assert.match(r.stderr, /valid/i);
      for (const name of all) assert.ok(r.stderr.includes(name), `the error lists ${name}`);
      assert.equal(r.stdout, '', 'nothing on stdout');
    }
    const ts = await run(['--toolsets', 'nope'], { timeout: 5000 });
    assert.equal(ts.code, 2, ts.stderr);
    assert.match(ts.stderr, /nope/);
    assert.match(ts.stderr, /valid/i);
  });

  test('`call` with an unknown tool or bad JSON exits 2', async () => {
    let r = await run(['call', 'no_such_tool_e2e']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /no_such_tool_e2e/);
    r = await run(['call', 'no_such_tool_e2e', '{not json']);
    assert.equal(r.code, 2, r.stderr);
    const names = await toolNames();
    if (names.length > 0) {
      r = await run(['call', names[0], '[1,2]']);
      assert.equal(r.code, 2, `arguments must be an object: ${r.stderr}`);
    }
  });

  test('bad options exit non-zero with a message', async () => {
    let r = await run(['--port', '99999', '--http']);
    assert.notEqual(r.code, 0);
    assert.ok(r.stderr.length > 0);
    r = await run(['--log-level', 'loud', 'tools']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /log-level/);
    r = await run(['--no-such-flag']);
    assert.notEqual(r.code, 0);
  });
});
