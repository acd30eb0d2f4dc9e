// A loopback reverse proxy that lets a client without credentials (the MCP conformance suite)
// reach Latchkey's authenticated MCP endpoint: requests to the MCP path get
// `Authorization: Bearer <token>`; everything else, including the `Host` header, is forwarded
// unchanged, so Latchkey's own DNS-rebinding check (docs/http-api.md#mcp) is what the suite exercises.
//
// Used by scripts/mcp-conformance.mjs; also runnable on its own:
//   MCP_PROXY_UPSTREAM=http://127.0.0.1:8080 MCP_PROXY_TOKEN=lk_sess_… MCP_PROXY_PORT=8081 \
//     node scripts/mcp-conformance-proxy.mjs
// Start Latchkey with LATCHKEY_PUBLIC_URL=http://localhost:<MCP_PROXY_PORT> so that requests
// that name the proxy carry the issuer's host.
import { request as httpRequest, createServer } from 'node:http';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

export const MCP_PATH = '/api/experimental/mcp/http';

/** Headers that describe one hop, not the request (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

const endToEnd = (headers) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase())));

const listen = (server, port, host) =>
  new Promise((resolve, reject) => {
    const onError = (error) => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(server.address().port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });

/**
 * Starts the proxy on 127.0.0.1 (and on ::1 with the same port when the machine has IPv6, so
 * `localhost` works whichever address it resolves to). `target.upstream` (an http origin) and
 * `target.token` are read on every request, so a caller can fill them in after learning the
 * proxy's port. Resolves to `{ port, close }`.
 */
export const startAuthProxy = async (target, port = 0) => {
  const handle = (req, res) => {
    const { upstream, token } = target;
    if (upstream === undefined) {
      res.writeHead(503, { 'Content-Type': 'text/plain' }).end('proxy: no upstream yet\n');
      return;
    }
    const headers = endToEnd(req.headers); // keeps `host` exactly as the client sent it
    const path = new URL(req.url ?? '/', 'http://proxy.invalid').pathname;
    if (path === MCP_PATH && token !== undefined) headers.authorization = `Bearer ${token}`;
    const base = new URL(upstream);
    const outgoing = httpRequest(
      { hostname: base.hostname, port: base.port, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
        answer.pipe(res);
      },
    );
    outgoing.on('error', (error) => {
      if (res.headersSent) res.destroy(error);
      else res.writeHead(502, { 'Content-Type': 'text/plain' }).end(`proxy: ${error.message}\n`);
    });
    req.pipe(outgoing);
  };

  const v4 = createServer(handle);
  const bound = await listen(v4, port, '127.0.0.1');
  const servers = [v4];
  const v6 = createServer(handle);
  try {
    await listen(v6, bound, '::1');
    servers.push(v6);
  } catch {
    // no IPv6 loopback here: 127.0.0.1 is enough
  }
  const close = () =>
    Promise.all(
      servers.map(
        (server) =>
          new Promise((resolve) => {
            server.close(() => {
              resolve();
            });
            server.closeAllConnections();
          }),
      ),
    );
  return { port: bound, close };
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const upstream = process.env.MCP_PROXY_UPSTREAM;
  const token = process.env.MCP_PROXY_TOKEN;
  if (upstream === undefined || token === undefined) {
    process.stderr.write(
      'Set MCP_PROXY_UPSTREAM (Latchkey origin) and MCP_PROXY_TOKEN (a token with scope mcp).\n',
    );
    process.exit(2);
  }
  const proxy = await startAuthProxy({ upstream, token }, Number(process.env.MCP_PROXY_PORT ?? '0'));
  process.stdout.write(`MCP proxy on http://localhost:${proxy.port}${MCP_PATH} -> ${upstream}\n`);
  const stop = () => {
    void proxy.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
