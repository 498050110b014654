// By-hand check for issue 9 (not part of the suite): a ten-minute devbox_exec task polled every
// 10 s over fresh HTTP requests survives to completion; a second one is cancelled at 5 min and
// its command is gone.
import { PRODUCT, isolatedProduct, modernRequest, postModern, sleepMarker, sleepers, startHttpServerEnv, withTasks, killAll } from '../e2e/lib.mjs';
const log = (...a) => console.log(new Date().toISOString(), ...a);
const iso = isolatedProduct('ra-tenmin-');
const server = await startHttpServerEnv(PRODUCT, ['--http', ...iso.args], iso.env);
async function rpc(method, params, caps = {}) {
  const body = modernRequest(method, params, { capabilities: caps });
  const r = await postModern(server.url, body, { timeout: 120000 });
  const m = r.messages.find((x) => x.id === body.id);
  if (!m?.result) throw new Error(`${method}: ${r.text.slice(0, 300)}`);
  return m.result;
}
const dev = (await rpc('tools/call', { name: 'create_devbox', arguments: { name: 'tenmin' } })).structuredContent.id;
const m = sleepMarker(900);
const long = await rpc('tools/call', { name: 'devbox_exec', arguments: { devbox_id: dev, timeout_seconds: 900,
  command: 'for i in $(seq 1 20); do echo tick $i; sleep 30; done; echo finished-ten-minutes' } }, withTasks());
const cancelMe = await rpc('tools/call', { name: 'devbox_exec', arguments: { devbox_id: dev, timeout_seconds: 900, command: `echo go; sleep ${m}` } }, withTasks());
log('created', long.taskId.slice(0, 12), long.status, cancelMe.taskId.slice(0, 12), cancelMe.status);
const t0 = Date.now();
let polls = 0, cancelled = false, cancelAt = 0;
for (;;) {
  await new Promise((r) => setTimeout(r, 10000));
  const a = await rpc('tasks/get', { taskId: long.taskId }, withTasks());
  const b = await rpc('tasks/get', { taskId: cancelMe.taskId }, withTasks());
  polls += 2;
  log(`t+${Math.round((Date.now() - t0) / 1000)}s A=${a.status} "${a.statusMessage ?? ''}" B=${b.status} sleepers=${sleepers(m).length}`);
  if (!cancelled && Date.now() - t0 > 300000) {
    cancelAt = Date.now();
    await rpc('tasks/cancel', { taskId: cancelMe.taskId }, withTasks());
    cancelled = true;
    log('cancel sent for B');
  }
  if (cancelled && b.status === 'cancelled' && !b.goneLogged) log(`B cancelled; its sleep processes now: ${sleepers(m).length}; ${Date.now() - cancelAt} ms after cancel`);
  if (a.status !== 'working') {
    log('A ended', a.status, 'exit', a.result?.structuredContent?.exit_code, 'stdout tail', JSON.stringify(a.result?.structuredContent?.stdout?.slice(-60)));
    break;
  }
}
log(`polls ${polls}, elapsed ${Math.round((Date.now() - t0) / 1000)} s; B sleepers at end ${sleepers(m).length}`);
await killAll(); iso.cleanup();
