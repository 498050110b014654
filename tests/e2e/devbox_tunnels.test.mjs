// Tunnels (issue 11, "Tunnels"): a dev server started in a devbox with devbox_exec async is opened
// from the host through manage_devbox action tunnel. Each devbox has its own network namespace,
// so two devboxes both serve port 8080, each reached through its own host port; remove_tunnel and
// suspend close a tunnel (the host port then refuses connections), and shutdown ends the rest.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { PRODUCT, bwrapUsable, connectV2, isolatedProduct, killAll, waitUntil } from './lib.mjs';

const NO_SANDBOX = bwrapUsable() ? false : 'bubblewrap cannot create sandboxes here (devboxes need it)';

// The second devbox has a network of its own when slirp4netns can give it one here.
function slirpUsable() {
  try {
    execFileSync('slirp4netns', ['--version'], { stdio: 'ignore' });
    return existsSync('/dev/net/tun');
  } catch {
    return false;
  }
}

let iso;
let conn;

before(async () => {
  if (NO_SANDBOX) return;
  iso = isolatedProduct('ra-tunnels-e2e-');
  conn = await connectV2('stdio', { command: PRODUCT, args: iso.args, env: iso.env, stdioFlag: false });
});

after(async () => {
  await conn?.close();
  await killAll();
  iso?.cleanup();
});

/** GET `url`: {status, body}, or {error: code} when the connection fails. */
async function get(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return { status: res.status, body: await res.text() };
  } catch (e) {
    return { error: e.cause?.code ?? e.name };
  }
}

test('a dev server in a devbox is opened from the host through its tunnel; two devboxes share port 8080', { skip: NO_SANDBOX, timeout: 120000 }, async () => {
  const { client } = conn;
  const call = async (name, args) => {
    const r = await client.callTool({ name, arguments: args }, { timeout: 60000 });
    assert.equal(r.isError ?? false, false, `${name} ${JSON.stringify(args)}: ${JSON.stringify(r.content).slice(0, 600)}`);
    return r.structuredContent;
  };

  const networked = slirpUsable();
  const boxes = [];
  for (const [name, network] of [['tunnel-a', false], ['tunnel-b', networked]]) {
    const box = await call('create_devbox', { name, network });
    await call('manage_devbox', { action: 'write_file', devbox_id: box.id, path: `site/${name}.txt`, contents: `hello from ${name}\n` });
    await call('devbox_exec', {
      devbox_id: box.id,
      command: 'exec python3 -m http.server 8080 --bind 127.0.0.1 --directory /home/user/site',
      async: true,
    });
    const { tunnel } = await call('manage_devbox', { action: 'tunnel', devbox_id: box.id, port: 8080 });
    assert.equal(tunnel.port, 8080);
    assert.match(tunnel.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    // The same port again: the same tunnel.
    const again = await call('manage_devbox', { action: 'tunnel', devbox_id: box.id, port: 8080 });
    assert.equal(again.tunnel.url, tunnel.url);
    boxes.push({ id: box.id, name, url: tunnel.url });
  }
  assert.notEqual(boxes[0].url, boxes[1].url, 'each devbox has its own host port');

  for (const box of boxes) {
    // The server may still be starting: a connection waits up to 3 s for it to listen (then it
    // is reset), so a slow start is retried here.
    let listing;
    await waitUntil(async () => {
      listing = await get(`${box.url}/`);
      return listing.status === 200;
    }, 20000, `${box.name}'s http.server through ${box.url}`);
    assert.match(listing.body, new RegExp(`${box.name}\\.txt`), 'the directory listing of its own site');
    const other = boxes.find((b) => b !== box).name;
    assert.doesNotMatch(listing.body, new RegExp(other), 'not the other devbox\'s');
    const file = await get(`${box.url}/${box.name}.txt`);
    assert.deepEqual(file, { status: 200, body: `hello from ${box.name}\n` });
  }
  // A few requests at once through one tunnel.
  const many = await Promise.all(Array.from({ length: 8 }, () => get(`${boxes[0].url}/tunnel-a.txt`)));
  for (const r of many) assert.equal(r.body, 'hello from tunnel-a\n');

  // The devbox view lists its tunnels.
  const viewed = await call('manage_devbox', { action: 'get', devbox_id: boxes[0].id });
  assert.deepEqual(viewed.devbox.tunnels, [{ devbox_id: boxes[0].id, port: 8080, url: boxes[0].url }]);

  // remove_tunnel closes it: the host port refuses; the other devbox's tunnel is untouched.
  await call('manage_devbox', { action: 'remove_tunnel', devbox_id: boxes[0].id, port: 8080 });
  assert.deepEqual(await get(`${boxes[0].url}/`), { error: 'ECONNREFUSED' });
  assert.equal((await get(`${boxes[1].url}/tunnel-b.txt`)).status, 200);
  const gone = await client.callTool({ name: 'manage_devbox', arguments: { action: 'remove_tunnel', devbox_id: boxes[0].id, port: 8080 } });
  assert.equal(gone.isError, true, 'removing it twice says there is no such tunnel');
  assert.match(JSON.stringify(gone.content), /no tunnel to port 8080/);

  // Suspending ends a devbox's tunnels; a new one works after resume.
  await call('manage_devbox', { action: 'suspend', devbox_id: boxes[1].id });
  assert.deepEqual(await get(`${boxes[1].url}/`), { error: 'ECONNREFUSED' });
  await call('manage_devbox', { action: 'resume', devbox_id: boxes[1].id });
  const reopened = await call('manage_devbox', { action: 'tunnel', devbox_id: boxes[1].id, port: 8080 });
  assert.equal((await get(`${reopened.tunnel.url}/tunnel-b.txt`)).body, 'hello from tunnel-b\n');

  // A bad port is refused with the field named.
  const bad = await client.callTool({ name: 'manage_devbox', arguments: { action: 'tunnel', devbox_id: boxes[0].id } });
  assert.equal(bad.isError, true);
  assert.match(JSON.stringify(bad.content), /port/);

  // Shutdown ends the rest.
  for (const box of boxes) await call('manage_devbox', { action: 'shutdown', devbox_id: box.id });
  assert.deepEqual(await get(`${reopened.tunnel.url}/`), { error: 'ECONNREFUSED' });
});
