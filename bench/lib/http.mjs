// A small HTTP client for preparing state (not for the measured load, which autocannon sends):
// keep-alive connections, no redirects followed, cookies handled by the caller.
import { Buffer } from 'node:buffer';
import { createHash, randomBytes } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { URL, URLSearchParams } from 'node:url';

// Idle sockets are closed after 2 s, before the servers' 5 s keep-alive timeout can close one
// under a request that is being sent on it.
const agent = new Agent({ keepAlive: true, maxSockets: 64, timeout: 2_000 });

/** `{status, headers, text, json}`; `json` is the parsed body when it is JSON. */
export const request = (url, { method = 'GET', headers = {}, body } = {}) =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const payload = body === undefined ? undefined : Buffer.from(body);
    const req = httpRequest(
      {
        agent,
        method,
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        headers: payload === undefined ? headers : { ...headers, 'Content-Length': payload.length },
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          if ((res.headers['content-type'] ?? '').includes('json') && text !== '') json = JSON.parse(text);
          resolve({ status: res.statusCode, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });

export const postJson = (url, value, headers = {}) =>
  request(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(value),
  });

export const form = (fields) => new URLSearchParams(fields).toString();

export const postForm = (url, fields, headers = {}) =>
  request(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: form(fields),
  });

export const basicAuth = (id, secret) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** RFC 7636: a 43-character verifier and its S256 challenge. */
export const makePkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

/** A cookie jar that ignores paths and expiry: enough for one scripted browser. */
export class CookieJar {
  #cookies = new Map();

  store(headers) {
    for (const line of headers['set-cookie'] ?? []) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (value === '' || /max-age=0/i.test(line) || /expires=thu, 01 jan 1970/i.test(line)) {
        this.#cookies.delete(name);
      } else {
        this.#cookies.set(name, value);
      }
    }
  }

  header() {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/** `task()`, tried again (up to 3 times in all) when the connection failed rather than the server answered. */
export const retryingOnNetworkErrors = async (task) => {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await task();
    } catch (error) {
      const network = error?.code === 'ECONNRESET' || error?.message === 'socket hang up';
      if (!network || attempt >= 3) throw error;
    }
  }
};

/**
 * Runs `task(i, worker)` for i in [0, count) on `concurrency` workers (numbered from 0); returns
 * the results in order.
 */
export const pool = async (count, concurrency, task) => {
  const results = new Array(count);
  let next = 0;
  const worker = async (_, w) => {
    while (next < count) {
      const i = next;
      next += 1;
      results[i] = await task(i, w);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
};
