// One node-oidc-provider process for the benchmark (bench/run.mjs forks it with an IPC channel).
//
// Configured to do the same work as Latchkey: one confidential client (client_secret_basic),
// PKCE S256 required, opaque access tokens, refresh tokens with rotation on every use, RFC 7662
// introspection, open RFC 7591 registration, and userinfo as the bearer-protected read. Tokens
// do not end with the browser session (Latchkey's do not either), and every consent makes a new
// grant (as Latchkey's does), so prepared codes and refresh chains do not pile up in one grant.
//
// Storage is oidc-provider's default in-memory adapter (its own MemoryAdapter), with one change
// made through the hook that module exports for it (`setStorage`): a Map instead of its LRU of
// 1000 entries, which would evict the codes and tokens prepared before a round.
//
// Version 8.8.1: the last release whose supported runtimes include Node 20 (9.x warns
// "Unsupported runtime. Use Node.js v22.x LTS" at start-up).
//
// Interactions are answered without a form: the first one signs the benchmark user in, each
// later one records consent in a new grant. They are only used while preparing state.
//
// Messages from the parent: {type: 'stop'} → exits 0 (when `--cpu-prof` writes its profile);
// {type: 'mark'} → {type: 'marked', micros} (the monotonic clock the CPU profile also uses).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import process from 'node:process';
import Provider from 'oidc-provider';
import { setStorage } from 'oidc-provider/lib/adapters/memory_adapter.js';

const port = Number(process.env.BENCH_PORT);
const issuer = `http://127.0.0.1:${port}`;
const client = JSON.parse(process.env.BENCH_OIDC_CLIENT);
const ACCOUNT = 'bench-user';
const USER = { email: 'owner@example.com', name: 'Olive Owner', username: 'owner' };

setStorage(new Map());
const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: client.id,
      client_secret: client.secret,
      redirect_uris: [client.redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    },
  ],
  clientDefaults: {
    grant_types: ['authorization_code'],
    id_token_signed_response_alg: 'ES256',
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  },
  jwks: { keys: [{ ...signingKey, kid: 'bench', use: 'sig', alg: 'ES256' }] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  pkce: { required: () => true, methods: ['S256'] },
  features: {
    devInteractions: { enabled: false },
    // As Latchkey: a client introspects the tokens issued to itself.
    introspection: { enabled: true, allowedPolicy: (_ctx, c, token) => token.clientId === c.clientId },
    revocation: { enabled: true },
    registration: { enabled: true },
    userinfo: { enabled: true },
  },
  scopes: ['openid', 'offline_access', 'email', 'profile'],
  claims: { openid: ['sub'], email: ['email'], profile: ['name', 'preferred_username'] },
  findAccount: (_ctx, sub) => ({
    accountId: sub,
    claims: () => ({ sub, email: USER.email, name: USER.name, preferred_username: USER.username }),
  }),
  // Refresh tokens for every client with the grant (no offline_access needed), rotated on every
  // use, as Latchkey does.
  issueRefreshToken: (_ctx, c) => c.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  expiresWithSession: () => false,
  // A new grant per consent: only the grant the interaction just made is loaded.
  loadExistingGrant: async (ctx) => {
    const grantId = ctx.oidc.result?.consent?.grantId;
    return grantId === undefined ? undefined : ctx.oidc.provider.Grant.find(grantId);
  },
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 600,
    Grant: 90 * 86_400,
    Interaction: 600,
    RefreshToken: 30 * 86_400,
    Session: 86_400,
    IdToken: 3600,
  },
});
provider.on('server_error', (_ctx, error) => {
  process.stderr.write(`oidc-provider server_error: ${error.stack}\n`);
});

// The interaction endpoint: sign in, or consent to exactly what is missing.
provider.use(async (ctx, next) => {
  if (ctx.method !== 'GET' || !ctx.path.startsWith('/interaction/')) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  let result;
  if (details.prompt.name === 'login') {
    result = { login: { accountId: ACCOUNT } };
  } else {
    const grant = new provider.Grant({
      accountId: details.session.accountId,
      clientId: details.params.client_id,
    });
    const missing = details.prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    result = { consent: { grantId: await grant.save() } };
  }
  const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
  ctx.status = 303;
  ctx.redirect(to);
});

const server = createServer(provider.callback());
server.keepAliveTimeout = 5_000;
server.listen(port, '127.0.0.1', () => {
  process.send({ type: 'ready', url: issuer, pid: process.pid });
});
process.on('message', (message) => {
  if (message?.type === 'mark') {
    process.send({ type: 'marked', micros: Number(process.hrtime.bigint() / 1000n) });
  } else if (message?.type === 'stop') {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
