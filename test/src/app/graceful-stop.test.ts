import { Agent, request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import type { Storage } from '@latchkey/app';
import { createInMemoryStorage } from '@latchkey/domain/in-memory';
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../support/server.js';

interface Answer {
  readonly status: number;
  readonly connection: string | undefined;
  readonly socket: Socket;
}

/** One GET over `agent`, with the response's `Connection` header and the socket it came over. */
const get = (agent: Agent, url: string): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent }, (res) => {
      res.resume();
      res.once('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          connection: res.headers.connection,
          socket: req.socket as Socket,
        });
      });
    });
    req.once('error', reject);
    req.end();
  });

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 5 ms for at most `timeoutMs`. */
const until = async (condition: () => boolean, timeoutMs: number, what: string): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await tick(5);
  }
};

describe('a graceful stop with busy keep-alive connections (docs/deployment.md#the-production-command)', () => {
  /** What the storage saw, in order. */
  let events: string[];
  /** While set, readiness checks wait for it: a request under way at the stop. */
  let gate: Promise<void> | undefined;
  let openGate: () => void;
  let server: TestServer;
  let agent: Agent;

  beforeEach(async () => {
    events = [];
    gate = undefined;
    const memory = createInMemoryStorage();
    const storage: Storage = {
      ...memory,
      health: {
        ping: async () => {
          const held = gate;
          if (held !== undefined) {
            events.push('request held');
            await held;
            events.push('request released');
          }
          return memory.health.ping();
        },
      },
      close: () => {
        events.push('storage closed');
        return Promise.resolve();
      },
    };
    server = await startTestServer({}, { storage });
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
  });
  afterEach(async () => {
    agent.destroy();
    await server.stop();
  });

  it('answers the request under way with Connection: close, closes the connection, then the storage, promptly', async () => {
    const readyz = `${server.url}/readyz`;
    const answers: Answer[] = [];
    // A client sending requests back to back over one keep-alive connection, as long as the
    // server keeps it open (bounded, should it never close it).
    const client = (async () => {
      for (let i = 0; i < 20_000; i++) {
        const answer = await get(agent, readyz);
        answers.push(answer);
        if (answer.connection === 'close') break;
      }
    })();
    await until(() => answers.length >= 20, 5000, 'the first answers');
    expect(new Set(answers.map((a) => a.socket)).size, 'one keep-alive connection').to.equal(1);
    gate = new Promise((resolve) => {
      openGate = resolve;
    });
    await until(() => events.includes('request held'), 5000, 'a request under way');
    const before = answers.length;

    const started = Date.now();
    let stopped = false;
    const stopping = server.stop().then(() => {
      stopped = true;
    });
    await tick(100);
    expect(stopped, 'stopped with a request under way').to.equal(false);
    expect(events).to.not.include('storage closed');

    openGate();
    await client;
    await stopping;
    const elapsed = Date.now() - started - 100;

    const last = answers.at(-1) as Answer;
    expect(answers.length, 'requests answered after the stop began').to.equal(before + 1);
    expect(last.status).to.equal(200);
    expect(last.connection).to.equal('close');
    await until(() => last.socket.destroyed, 1000, 'the client connection to close');
    expect(events).to.deep.equal(['request held', 'request released', 'storage closed']);
    // The stop forces busy connections closed after 10 s; this one was answered at once.
    expect(elapsed).to.be.below(1000);
    const refused = await get(agent, readyz).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).to.include({ code: 'ECONNREFUSED' });
  });

  it('closes idle keep-alive connections at once', async () => {
    const first = await get(agent, `${server.url}/healthz`);
    expect(first.connection).to.equal('keep-alive');
    const closed = new Promise((resolve) => first.socket.once('close', resolve));
    const started = Date.now();
    await server.stop();
    await closed;
    expect(Date.now() - started).to.be.below(1000);
    expect(events).to.deep.equal(['storage closed']);
  });
});
