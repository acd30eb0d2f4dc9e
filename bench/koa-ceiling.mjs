// The framework's own ceiling (bench/run.mjs forks it with an IPC channel): a bare Koa app, the
// same Koa version as Latchkey's HTTP adapter, with no middleware but one handler that reads the
// request body as raw bytes (no parsing) and answers the status and a JSON body of the byte length
// Latchkey answers the scenario being measured with. What Latchkey does for a scenario beyond
// this is its own cost: routing, decoding, the domain, storage, serialising.
//
// Messages from the parent: {type: 'answer', status, bytes, refreshTokenLength?} → {type:
// 'answered', bytes} (from now on every request is answered so; with `refreshTokenLength` the body
// holds a `refresh_token` of that length, so that the refresh scenario's chains carry on with a
// token of the real length); {type: 'stop'} → exits 0; {type: 'mark'} → {type: 'marked', micros}.
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';
import process from 'node:process';
import Koa from 'koa';

const port = Number(process.env.BENCH_PORT);

/**
 * A JSON object of exactly `bytes` bytes: `{"refresh_token":"xx…","pad":"xx…"}` (the token only
 * when asked for), or `{}` and spaces when `bytes` is too small for that.
 */
const jsonOfLength = (bytes, refreshTokenLength) => {
  const head =
    refreshTokenLength === undefined ? '{' : `{"refresh_token":"${'x'.repeat(refreshTokenLength)}",`;
  const frame = `${head}"pad":""}`;
  if (bytes >= frame.length) {
    return Buffer.from(`${head}"pad":"${'x'.repeat(bytes - frame.length)}"}`);
  }
  return Buffer.from(`{}${' '.repeat(Math.max(0, bytes - 2))}`);
};

let answer = { status: 200, body: jsonOfLength(2) };

const app = new Koa();
app.use(async (ctx) => {
  // Consume the body as bytes, as a body parser would before its parsing.
  const chunks = [];
  for await (const chunk of ctx.req) chunks.push(chunk);
  ctx.request.rawBody = Buffer.concat(chunks);
  ctx.status = answer.status;
  ctx.set('Content-Type', 'application/json');
  ctx.body = answer.body;
});

const server = createServer(app.callback());
server.keepAliveTimeout = 5_000;
server.listen(port, '127.0.0.1', () => {
  process.send({ type: 'ready', url: `http://127.0.0.1:${port}`, pid: process.pid });
});
process.on('message', (message) => {
  if (message?.type === 'answer') {
    answer = { status: message.status, body: jsonOfLength(message.bytes, message.refreshTokenLength) };
    process.send({ type: 'answered', bytes: answer.body.length });
  } else if (message?.type === 'mark') {
    process.send({ type: 'marked', micros: Number(process.hrtime.bigint() / 1000n) });
  } else if (message?.type === 'stop') {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
