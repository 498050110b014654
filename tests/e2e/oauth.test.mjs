// OAuth resource-server mode: `runagents-mcp --http --oauth-issuer URL` against an issuer
// written for the test (node:crypto keys, RFC 8414 metadata and JWKS on loopback): challenges,
// the RFC 9728 documents, read and write scopes, an expired token, and the official SDK client.
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { PRODUCT, httpInitialize, killAll, post, startHttpServer, withTimeout } from './lib.mjs';

const b64url = (buf) => Buffer.from(buf).toString('base64url');

/** The test issuer: one EC P-256 key, metadata and JWKS on 127.0.0.1. */
async function startIssuer() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'e2e', use: 'sig', alg: 'ES256' };
  const server = http.createServer((req, res) => {
    const doc =
      req.url === '/.well-known/oauth-authorization-server'
        ? { issuer: issuer.url, jwks_uri: `${issuer.url}/jwks` }
        : req.url === '/jwks'
          ? { keys: [jwk] }
          : null;
    res.writeHead(doc ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(doc ?? { error: 'not found' }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
    token(audience, claims = {}) {
      const now = Math.floor(Date.now() / 1000);
      const header = { alg: 'ES256', kid: 'e2e', typ: 'at+jwt' };
      const body = { iss: issuer.url, aud: audience, sub: 'e2e', iat: now, exp: now + 300, ...claims };
      const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(body))}`;
      const sig = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
      return `${input}.${b64url(sig)}`;
    },
  };
  return issuer;
}

const callTool = (id, name, args = {}) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

describe('OAuth resource-server mode', () => {
  let issuer;
  let server;
  let dir;
  let origin;
  before(async () => {
    issuer = await startIssuer();
    dir = mkdtempSync(path.join(tmpdir(), 'ra-oauth-e2e-'));
    const env = { ...process.env };
    for (const k of ['RUNAGENTS_ENDPOINT', 'RUNAGENTS_API_KEY', 'RUNLOOP_API_KEY', 'RUNAGENTS_MCP_TOKEN']) delete env[k];
    server = await startHttpServer(
      PRODUCT,
      ['--http', '--oauth-issuer', issuer.url, '--data-dir', path.join(dir, 'data'), '--config', path.join(dir, 'none.json')],
      env,
    );
    origin = new URL(server.url).origin;
  });
  after(async () => {
    await killAll();
    await issuer?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const bearer = (claims) => ({ authorization: `Bearer ${issuer.token(server.url, claims)}` });
  const metadataUrl = () => `${origin}/.well-known/oauth-protected-resource/mcp`;

  test('no token: 401 with the resource_metadata challenge', async () => {
    const res = await post(server.url, { jsonrpc: '2.0', id: 1, method: 'ping' });
    assert.equal(res.status, 401, res.text);
    assert.equal(
      res.headers.get('www-authenticate'),
      `Bearer resource_metadata="${metadataUrl()}", scope="runagents:read runagents:write"`,
    );
  });

  test('the RFC 9728 documents', async () => {
    for (const url of [`${origin}/.well-known/oauth-protected-resource`, metadataUrl()]) {
      const res = await fetch(url);
      assert.equal(res.status, 200, url);
      const doc = await res.json();
      assert.equal(doc.resource, server.url);
      assert.deepEqual(doc.authorization_servers, [issuer.url]);
      assert.deepEqual(doc.scopes_supported, ['runagents:read', 'runagents:write']);
      assert.deepEqual(doc.bearer_methods_supported, ['header']);
    }
  });

  test('a read token lists tools and reads, and gets 403 insufficient_scope on a write tool', async () => {
    const headers = bearer({ scope: 'runagents:read' });
    const session = await httpInitialize(server.url, headers);
    const list = await post(server.url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { session, headers });
    assert.equal(list.status, 200, list.text);
    assert.ok(list.messages.at(-1).result.tools.some((t) => t.name === 'create_devbox'));
    const read = await post(server.url, callTool(3, 'list_agents'), { session, headers, timeout: 60000 });
    assert.equal(read.status, 200, read.text);
    assert.ok(read.messages.at(-1).result, read.text.slice(0, 300));
    const write = await post(server.url, callTool(4, 'create_tool', { name: 'x', base_url: 'http://127.0.0.1:9' }), { session, headers });
    assert.equal(write.status, 403, write.text);
    const challenge = write.headers.get('www-authenticate');
    assert.match(challenge, /error="insufficient_scope"/);
    assert.match(challenge, /scope="runagents:write"/);
    assert.ok(challenge.includes(`resource_metadata="${metadataUrl()}"`), challenge);
  });

  test('a write token may call a write tool', async () => {
    const headers = bearer({ scp: ['runagents:write'] });
    const session = await httpInitialize(server.url, headers);
    const write = await post(server.url, callTool(5, 'create_tool', { name: 'oauth-e2e', base_url: 'http://127.0.0.1:9' }), {
      session,
      headers,
      timeout: 60000,
    });
    assert.equal(write.status, 200, write.text);
    assert.ok(write.messages.at(-1).result, write.text.slice(0, 300));
  });

  test('an expired token or one for another audience: 401 invalid_token', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const headers of [
      bearer({ scope: 'runagents:write', exp: now - 600 }),
      { authorization: `Bearer ${issuer.token('http://elsewhere/mcp', { scope: 'runagents:write' })}` },
    ]) {
      const res = await post(server.url, { jsonrpc: '2.0', id: 6, method: 'ping' }, { headers });
      assert.equal(res.status, 401, res.text);
      assert.match(res.headers.get('www-authenticate'), /error="invalid_token"/);
      assert.ok(!res.text.includes(headers.authorization.slice(7)), 'the token is not echoed');
    }
  });

  test('the official SDK client connects with a valid token', async () => {
    const transport = new StreamableHTTPClientTransport(new URL(server.url), {
      requestInit: { headers: bearer({ scope: 'runagents:read' }) },
    });
    const client = new Client({ name: 'oauth-e2e', version: '0.0.0' });
    await withTimeout(client.connect(transport), 15000, 'connect');
    const { tools } = await client.listTools();
    assert.ok(tools.length >= 14);
    const result = await client.callTool({ name: 'list_agents', arguments: {} });
    assert.ok(!result.isError, JSON.stringify(result).slice(0, 300));
    await client.close();
  });
});
