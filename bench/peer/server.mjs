#!/usr/bin/env node
// Benchmark peer: the same one-tool MCP server as our fixture, written the way the official
// TypeScript SDK (@modelcontextprotocol/sdk, pinned in bench/package.json) documents it.
//
//   node bench/peer/server.mjs                      stdio (default)
//   node bench/peer/server.mjs --http --port 8765   Streamable HTTP on 127.0.0.1:8765/mcp,
//                                                   stateful sessions (Mcp-Session-Id)
//
// Install its dependencies first: (cd bench && npm ci).
import { randomUUID } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

const TEXT = 'This is a simple text response for testing.';

function createServer() {
  const server = new McpServer({ name: 'bench-peer-ts-sdk', version: '1.0.0' });
  server.registerTool(
    'test_simple_text',
    { description: 'Returns a fixed text (benchmark tool)', inputSchema: {} },
    async () => ({ content: [{ type: 'text', text: TEXT }] }),
  );
  return server;
}

function argValue(args, name) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : undefined;
}

const args = process.argv.slice(2);

if (!args.includes('--http')) {
  await createServer().connect(new StdioServerTransport());
} else {
  const port = Number(argValue(args, '--port') ?? 8765);
  const host = '127.0.0.1';
  const { StreamableHTTPServerTransport } = await import('@modelcontextprotocol/sdk/server/streamableHttp.js');
  // createMcpExpressApp: express + JSON body parser + Host-header (DNS rebinding) validation.
  const { createMcpExpressApp } = await import('@modelcontextprotocol/sdk/server/express.js');
  const { isInitializeRequest } = await import('@modelcontextprotocol/sdk/types.js');

  const transports = new Map(); // session id -> transport
  const app = createMcpExpressApp({ host });

  app.post('/mcp', async (req, res) => {
    const sid = req.headers['mcp-session-id'];
    try {
      if (sid && transports.has(sid)) {
        await transports.get(sid).handleRequest(req, res, req.body);
        return;
      }
      if (!sid && isInitializeRequest(req.body)) {
        const transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => transports.set(id, transport),
        });
        transport.onclose = () => {
          if (transport.sessionId) transports.delete(transport.sessionId);
        };
        await createServer().connect(transport);
        await transport.handleRequest(req, res, req.body);
        return;
      }
      res.status(sid ? 404 : 400).json({
        jsonrpc: '2.0',
        error: { code: -32000, message: sid ? 'Session not found' : 'Missing Mcp-Session-Id' },
        id: null,
      });
    } catch (err) {
      console.error('request failed:', err);
      if (!res.headersSent) {
        res.status(500).json({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: null });
      }
    }
  });

  const sessionRequest = async (req, res) => {
    const sid = req.headers['mcp-session-id'];
    const transport = sid && transports.get(sid);
    if (!transport) {
      res.status(sid ? 404 : 400).send(sid ? 'Session not found' : 'Missing Mcp-Session-Id');
      return;
    }
    await transport.handleRequest(req, res);
  };
  app.get('/mcp', sessionRequest);
  app.delete('/mcp', sessionRequest);

  const httpServer = app.listen(port, host, () => {
    console.error(`bench peer (TS SDK) listening on http://${host}:${port}/mcp`);
  });
  const stop = () => httpServer.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
