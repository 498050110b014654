// The server's own CPU per stdio call: N sequential calls of each method, and the user and system
// time /proc/PID/stat charges the server for them (clock ticks, so about 1 µs of resolution at
// N = 10,000), beside the p50 round trip. Node spawns the server with socketpairs, as MCP clients
// written in Node do. Not a ratio; "What bounds" in docs/BENCHMARKS.md quotes it.
//
//   node bench/stdio_cpu.mjs [N] -- COMMAND ARGS...     e.g.
//   node bench/stdio_cpu.mjs 10000 -- build/runagents-mcp --data-dir /tmp/d/data --config /tmp/d/none.json
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const sep = process.argv.indexOf('--');
if (sep < 0 || sep + 1 >= process.argv.length) {
  console.error('usage: node bench/stdio_cpu.mjs [N] -- COMMAND ARGS...');
  process.exit(2);
}
const N = Number(process.argv.slice(2, sep)[0] ?? 10000);
const [command, ...args] = process.argv.slice(sep + 1);
const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'ignore'] });
const ticksPerSecond = 100; // CLK_TCK on Linux

let pending = '';
let waiting = null;
child.stdout.on('data', (chunk) => {
  pending += chunk;
  const nl = pending.indexOf('\n');
  if (nl >= 0 && waiting) {
    pending = pending.slice(nl + 1);
    const w = waiting;
    waiting = null;
    w();
  }
});
const call = (message) =>
  new Promise((resolve) => {
    waiting = resolve;
    child.stdin.write(`${JSON.stringify(message)}\n`);
  });
const cpu = () => {
  const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { user: Number(fields[11]), system: Number(fields[12]) };
};

await call({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'stdio-cpu', version: '1' } } });
child.stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
const methods = {
  ping: { method: 'ping' },
  list_tools: { method: 'tools/call', params: { name: 'list_tools', arguments: {} } },
  list_agents: { method: 'tools/call', params: { name: 'list_agents', arguments: {} } },
};
for (const [name, m] of Object.entries(methods)) {
  const message = { jsonrpc: '2.0', id: 1, ...m };
  for (let i = 0; i < 500; i++) await call(message); // warm-up
  const before = cpu();
  const times = [];
  for (let i = 0; i < N; i++) {
    const t = process.hrtime.bigint();
    await call(message);
    times.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  const after = cpu();
  times.sort((a, b) => a - b);
  const perCall = (ticks) => ((ticks / ticksPerSecond) * 1e6) / N;
  console.log(`${name}: p50 ${times[N >> 1].toFixed(1)} µs; server user ${perCall(after.user - before.user).toFixed(1)} µs, system ${perCall(after.system - before.system).toFixed(1)} µs per call`);
}
child.stdin.end();
