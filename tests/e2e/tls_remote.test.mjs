// The RunAgents face over TLS, through the built binary. runagents-mcp starts OpenSSL on first use
// instead of at load (app/openssl_deferred_init.cpp), so this checks TLS from a cold process: a
// front that terminates TLS before `platform serve` (standing in for RunAgents) is refused while
// its certificate is not trusted, and answers list_agents once SSL_CERT_FILE (read by OpenSSL's
// start-up) trusts it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  connectIsolatedProduct,
  isolatedProduct,
  killAll,
  startPlatformServe,
  toolOk,
  toolRefused,
} from './lib.mjs';

describe('the RunAgents face over TLS', () => {
  const isos = [];
  let front;
  let url;
  let certFile;

  before(async () => {
    const iso = isolatedProduct('ra-tls-serve-');
    isos.push(iso);
    const serve = await startPlatformServe(iso);
    certFile = path.join(iso.dir, 'cert.pem');
    const keyFile = path.join(iso.dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
    const target = new URL(serve.base);
    front = https.createServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, (req, res) => {
      const upstream = http.request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } },
        (answer) => {
          res.writeHead(answer.statusCode, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      req.pipe(upstream);
    });
    await new Promise((resolve) => front.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${front.address().port}`;
  });

  after(async () => {
    front?.close();
    await killAll();
    for (const iso of isos) iso.cleanup();
  });

  const connect = async (env) => {
    const iso = isolatedProduct('ra-tls-client-');
    isos.push(iso);
    iso.env = { ...iso.env, RUNAGENTS_ENDPOINT: url, ...env };
    return connectIsolatedProduct(iso, 'tls-e2e');
  };

  test('a certificate nobody vouches for is refused', async () => {
    const c = await connect({});
    toolRefused(await c.call('list_agents', {}), /SSLServerVerification/);
    await c.client.close();
  });

  test('trusted through SSL_CERT_FILE, list_agents answers through TLS', async () => {
    const c = await connect({ SSL_CERT_FILE: certFile });
    const listed = toolOk(await c.call('list_agents', {}));
    assert.deepEqual(listed.agents, []);
    await c.client.close();
  });
});
