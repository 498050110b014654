// A small round-robin HTTP reverse proxy for the scale-out tests: each incoming request goes to
// the next upstream in turn (no stickiness, no routing on headers), its body is forwarded as is,
// and the upstream's answer is streamed back as it arrives (event streams included). Closing the
// client side aborts the upstream request, so a client that gives up cancels the call upstream
// just as it would without the proxy.
//
// `proxy.log` records every request: {n, upstream, method (the HTTP verb), mcpMethod, mcpName,
// rpcMethod, hasInputResponses, status}; `proxy.counts[i]` is how many requests upstream i got;
// `proxy.next` is the index the next request will go to.
import http from 'node:http';

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host',
]);

function forwardHeaders(raw) {
  const out = {};
  for (const [k, v] of Object.entries(raw)) if (!HOP_BY_HOP.has(k.toLowerCase())) out[k] = v;
  return out;
}

/** Starts the proxy on 127.0.0.1 (an OS-chosen port) in front of `upstreams` (URLs ending in /mcp). */
export async function startRoundRobinProxy(upstreams) {
  const targets = upstreams.map((u) => new URL(u));
  const state = { next: 0, counts: targets.map(() => 0), log: [] };
  let served = 0;

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const index = state.next;
      state.next = (state.next + 1) % targets.length;
      state.counts[index] += 1;
      const entry = {
        n: ++served,
        upstream: index,
        method: req.method,
        mcpMethod: req.headers['mcp-method'],
        mcpName: req.headers['mcp-name'],
        rpcMethod: undefined,
        hasInputResponses: false,
        status: undefined,
      };
      try {
        const msg = JSON.parse(body.toString('utf8'));
        entry.rpcMethod = msg.method;
        entry.rpcId = msg.id;
        entry.hasInputResponses = !!msg.params?.inputResponses;
        entry.taskId = msg.params?.taskId;
      } catch {}
      state.log.push(entry);

      const target = targets[index];
      const headers = forwardHeaders(req.headers);
      headers.host = target.host;
      if (body.length) headers['content-length'] = String(body.length);
      const upstream = http.request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers, agent: false },
        (up) => {
          entry.status = up.statusCode;
          res.writeHead(up.statusCode, forwardHeaders(up.headers));
          res.flushHeaders();
          up.on('data', (c) => res.write(c)); // each chunk as it arrives: event streams stay live
          up.on('end', () => res.end());
          up.on('error', () => res.destroy());
        },
      );
      upstream.on('error', (e) => {
        if (!res.headersSent) {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`proxy: upstream ${index} failed: ${e.message}`);
        } else {
          res.destroy();
        }
      });
      // The client went away before the answer was complete: drop the upstream request too.
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
      });
      upstream.end(body);
    });
  });

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    get next() {
      return state.next;
    },
    counts: state.counts,
    log: state.log,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
