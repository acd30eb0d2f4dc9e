// The five scenarios. Each prepares, per round and per system, the state it needs (through the
// real endpoints, before the clock starts), and describes the one request autocannon repeats. The
// Koa ceiling gets the same requests, with made-up codes and tokens of the real lengths; its
// answers to the refresh grant carry a `refresh_token`, so chains carry on as on a real server.
import { basicAuth } from './http.mjs';
import { exchangeAll, refreshRequestBody, tokenRequestBody } from './prepare.mjs';

const FORM = 'application/x-www-form-urlencoded';

const clientHeaders = (target) => ({
  'content-type': FORM,
  authorization: basicAuth(target.client.id, target.client.secret),
});

/** Hands out `items` in turn. */
const roundRobin = (items) => {
  let next = 0;
  return () => {
    const item = items[next % items.length];
    next += 1;
    return item;
  };
};

export const SCENARIOS = [
  {
    id: 'code',
    title: 'authorization-code exchange',
    description:
      'POST token endpoint, grant_type=authorization_code with PKCE verifier, client_secret_basic; ' +
      'every code minted beforehand through the real authorize flow and used once',
    expect: 200,
    pgbench: true,
    /**
     * Runs for exactly as many requests as there are codes; `count` is set from a calibration
     * (except on a target with `byDuration`, which runs for the round's duration).
     */
    byAmount: true,
    prepare: async (target, { count }) => ({ codes: await target.mint(count) }),
    request: (target, { codes }) => {
      let next = 0;
      return {
        method: 'POST',
        path: target.paths.token,
        headers: clientHeaders(target),
        setupRequest: (req) => {
          // A target that runs by duration (the Koa ceiling) cycles through its made-up codes.
          const code = target.byDuration
            ? codes[next % codes.length]
            : (codes[next] ?? { code: 'exhausted', verifier: 'x', redirectUri: 'x' });
          next += 1;
          return { ...req, body: tokenRequestBody(code) };
        },
      };
    },
  },
  {
    id: 'refresh',
    title: 'refresh-token grant with rotation',
    description:
      'POST token endpoint, grant_type=refresh_token, client_secret_basic; one independent chain ' +
      'per connection (each from its own code), every request presenting the newest refresh token',
    expect: 200,
    pgbench: true,
    prepare: async (target, { connections }) => {
      // A spare chain per connection, for a chain that breaks (which also counts as an error).
      const tokens = await exchangeAll(target, await target.mint(connections * 2));
      return { chains: tokens.map((t) => ({ refreshToken: t.refresh_token })), broken: 0 };
    },
    request: (target, state) => {
      const idle = [...state.chains];
      return {
        method: 'POST',
        path: target.paths.token,
        headers: clientHeaders(target),
        setupRequest: (req, context) => {
          context.chain = idle.pop();
          return { ...req, body: refreshRequestBody(context.chain?.refreshToken ?? 'no-chain-left') };
        },
        onResponse: (status, body, context) => {
          const chain = context.chain;
          if (chain === undefined) return;
          const rotated = status === 200 ? /"refresh_token":"([^"]+)"/.exec(body)?.[1] : undefined;
          if (rotated === undefined) {
            state.broken += 1;
          } else {
            chain.refreshToken = rotated;
            idle.push(chain);
          }
        },
      };
    },
    invalid: (state) => state.broken,
  },
  {
    id: 'read',
    title: 'bearer-protected read',
    description:
      'Latchkey GET /api/v2/users/me, oidc-provider GET userinfo (/me), each with an opaque access ' +
      'token in the Authorization header (one token per connection)',
    expect: 200,
    prepare: async (target, { connections }) => {
      const tokens = await exchangeAll(target, await target.mintForRead(connections));
      return { headers: tokens.map((t) => `Bearer ${t.access_token}`) };
    },
    request: (target, { headers }) => {
      const next = roundRobin(headers);
      return {
        method: 'GET',
        path: target.paths.read,
        setupRequest: (req) => ({ ...req, headers: { authorization: next() } }),
      };
    },
  },
  {
    id: 'introspect',
    title: 'introspection',
    description:
      'POST introspection endpoint (RFC 7662) with client_secret_basic, token = an active access ' +
      'token of that client (one per connection)',
    expect: 200,
    prepare: async (target, { connections }) => {
      const tokens = await exchangeAll(target, await target.mint(connections));
      return { bodies: tokens.map((t) => `token=${encodeURIComponent(t.access_token)}`) };
    },
    request: (target, { bodies }) => {
      const next = roundRobin(bodies);
      return {
        method: 'POST',
        path: target.paths.introspect,
        headers: clientHeaders(target),
        setupRequest: (req) => ({ ...req, body: next() }),
      };
    },
  },
  {
    id: 'register',
    title: 'dynamic client registration',
    description:
      'POST registration endpoint (RFC 7591), a confidential web client with one https redirect ' +
      'URI and the code and refresh grants',
    expect: 201,
    prepare: async () => ({}),
    request: (target) => {
      let n = 0;
      return {
        method: 'POST',
        path: target.paths.register,
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => {
          n += 1;
          return {
            ...req,
            body: JSON.stringify({
              client_name: `bench-${n}`,
              redirect_uris: ['https://client.example.com/callback'],
              grant_types: ['authorization_code', 'refresh_token'],
              response_types: ['code'],
              token_endpoint_auth_method: 'client_secret_basic',
            }),
          };
        },
      };
    },
  },
];
