// The authorization-server half of `pnpm conformance` (scripts/mcp-conformance.mjs): runs the
// suite's `authorization` command against Latchkey as the authorization server, once per kind of
// client, with a scripted user who answers the consent page the way a browser would.
//
// The suite's `authorization-code-grant` scenario prints an authorization URL, starts a callback
// server on http://127.0.0.1:<port>/callback and waits for a person to sign in and consent. Here
// the owner is already signed in (a session token, sent as the `latchkey_session` cookie): the
// script reads the URL from the suite's output, opens the consent page, allows (with the page's
// request id and CSRF token, from the issuer's origin), and follows the redirect to the callback,
// exactly as docs/http-api.md#authorize describes the browser's part.
import { spawn } from 'node:child_process';
import { Buffer } from 'node:buffer';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import process from 'node:process';
import { createInterface } from 'node:readline';
import { clearTimeout, setTimeout } from 'node:timers';
import { pathToFileURL, URL, URLSearchParams } from 'node:url';

/** How long one run of the authorization suite (all its scenarios) may take. */
const RUN_TIMEOUT_MS = 180_000;

/** A free TCP port on 127.0.0.1, for the suite's callback server. */
export const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/** One plain HTTP request (no redirects followed); resolves to status, headers and text. */
const send = (url, { method = 'GET', headers = {}, body } = {}) =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = httpRequest(
      {
        hostname: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method,
        headers: body === undefined ? headers : { ...headers, 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });

/** `send` for a JSON body; resolves with the parsed answer as `json`. */
const sendJson = async (url, { method = 'POST', headers = {}, body } = {}) => {
  const answer = await send(url, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let json;
  try {
    json = JSON.parse(answer.text);
  } catch {
    json = undefined;
  }
  return { ...answer, json };
};

const decodeEntities = (text) =>
  text
    .replace(/&#(\d+);/g, (_m, code) => String.fromCharCode(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_m, code) => String.fromCharCode(parseInt(code, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** `name` → `value` of every `<input>` of an HTML page. */
const inputsOf = (html) => {
  const inputs = new Map();
  for (const tag of html.match(/<input\b[^>]*>/gi) ?? []) {
    const name = /\bname\s*=\s*"([^"]*)"/i.exec(tag)?.[1];
    const value = /\bvalue\s*=\s*"([^"]*)"/i.exec(tag)?.[1];
    if (name !== undefined && value !== undefined) inputs.set(name, decodeEntities(value));
  }
  return inputs;
};

/**
 * The signed-in owner opens `authorizationUrl`, allows, and the browser follows the redirect to
 * the client's callback. Resolves to the redirect's URL (without the code, for the log).
 */
export const consentAsOwner = async (issuer, session, authorizationUrl) => {
  const sessionCookie = `latchkey_session=${session}`;
  const page = await send(authorizationUrl, { headers: { Cookie: sessionCookie, Accept: 'text/html' } });
  if (page.status !== 200)
    throw new Error(`the consent page answered ${page.status}: ${page.text.slice(0, 300)}`);
  const inputs = inputsOf(page.text);
  const requestId = inputs.get('request_id');
  const csrf = inputs.get('csrf_token');
  if (requestId === undefined || csrf === undefined)
    throw new Error('the consent page has no request_id or csrf_token');
  const cookies = [
    sessionCookie,
    ...(page.headers['set-cookie'] ?? [])
      .map((cookie) => cookie.split(';')[0] ?? '')
      .filter((cookie) => cookie !== '' && !cookie.startsWith('latchkey_session=')),
  ];
  const decision = await send(`${issuer}/oauth2/authorize`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Cookie: cookies.join('; '),
      Origin: issuer,
    },
    body: new URLSearchParams({ request_id: requestId, csrf_token: csrf, decision: 'allow' }).toString(),
  });
  const location = decision.headers.location;
  if (decision.status !== 302 || location === undefined)
    throw new Error(`the consent answered ${decision.status}: ${decision.text.slice(0, 300)}`);
  const callback = new URL(location, issuer);
  await send(callback.href);
  return `${callback.origin}${callback.pathname} (${[...callback.searchParams.keys()].join(', ')})`;
};

/** Registers a public client through RFC 7591 dynamic registration (docs/http-api.md#registration). */
export const registerDcrClient = async (latchkey, redirectUri) => {
  const response = await sendJson(`${latchkey}/oauth2/register`, {
    body: {
      client_name: 'MCP conformance (dynamic registration)',
      redirect_uris: [redirectUri],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
  });
  if (response.status !== 201) throw new Error(`registering: ${response.status} ${response.text}`);
  return { clientId: response.json.client_id };
};

/** Creates a confidential app and a secret for it through the admin API (docs/http-api.md#apps). */
export const createConfidentialApp = async (latchkey, session, redirectUri) => {
  const headers = { Authorization: `Bearer ${session}` };
  const apps = `${latchkey}/api/v2/oauth2-provider/apps`;
  const app = await sendJson(apps, {
    headers,
    body: { name: 'mcp-conformance', callback_url: redirectUri, client_type: 'confidential' },
  });
  if (app.status !== 201) throw new Error(`creating the app: ${app.status} ${app.text}`);
  const secret = await sendJson(`${apps}/${app.json.id}/secrets`, { headers });
  if (secret.status !== 201) throw new Error(`creating its secret: ${secret.status}`);
  return { clientId: app.json.id, clientSecret: secret.json.client_secret_full };
};

/** Where the document host serves the conformance client's metadata document. */
export const DOCUMENT_PATH = '/conformance-client.json';

/**
 * The host of a Client ID Metadata Document client (docs/http-api.md#client-id-metadata-documents):
 * an https server on 127.0.0.1 with a certificate from a test CA made for this run (the test
 * suite's own helpers, test/dist/support/cimd.js). Latchkey trusts that CA through
 * NODE_EXTRA_CA_CERTS (the file `caFile`) and still verifies the certificate for the host; it may
 * fetch from a loopback address only because the run sets LATCHKEY_CIMD_ALLOW_PRIVATE_HOSTS.
 */
export const startDocumentHost = async (root, work) => {
  const support = await import(pathToFileURL(join(root, 'test', 'dist', 'support', 'cimd.js')).href);
  const certificates = await support.makeTestCertificates();
  mkdirSync(work, { recursive: true });
  const caFile = join(work, 'cimd-test-ca.pem');
  writeFileSync(caFile, certificates.ca);
  const server = await support.DocumentServer.start(certificates);
  const url = server.url(DOCUMENT_PATH);
  return {
    caFile,
    url,
    /** Serves the document: a public client whose only redirect URI is the suite's callback. */
    client: (redirectUri) => {
      server.serve(
        DOCUMENT_PATH,
        support.json(
          support.aDocument(url, {
            client_name: 'MCP conformance (Client ID Metadata Document)',
            redirect_uris: [redirectUri],
          }),
        ),
      );
      return { clientId: url };
    },
    fetches: () => server.hitsOf(DOCUMENT_PATH),
    stop: () => server.stop(),
  };
};

/** Lists the suite's authorization-server scenarios; `undefined` when this version has none. */
export const listAuthorizationScenarios = (tools, spawnSync) => {
  const listed = spawnSync(tools.node, [tools.cli, 'list', '--authorization'], { encoding: 'utf8' });
  if (listed.status !== 0) return undefined;
  // Without authorization scenarios, an older suite ignores the unknown flag and lists the others.
  const section = listed.stdout.split(/^(?=\S)/m).find((part) => /authorization server/i.test(part));
  if (section === undefined) return undefined;
  return [...section.matchAll(/^\s+- (\S+)/gm)].map((match) => match[1]);
};

/**
 * Runs every authorization-server scenario for one client, answering the consent page when the
 * suite asks for it. Resolves to the suite's exit code, each scenario's checks (from the
 * checks.json files it writes) and what the scripted user did.
 */
export const runAuthorizationSuite = ({ tools, work, issuer, resource, session, client, port, onChild }) =>
  new Promise((resolve) => {
    const outDir = join(work, 'results', `authorization-${client.kind}`);
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    const args = [
      tools.cli,
      'authorization',
      '--url',
      issuer,
      '--client-id',
      client.clientId,
      '--port',
      String(port),
      '-o',
      outDir,
    ];
    if (client.clientSecret !== undefined) args.push('--client-secret', client.clientSecret);
    // As an MCP client does (MCP authorization, RFC 8707): the token is for the MCP endpoint.
    if (resource !== undefined) args.push('--resource', resource);
    const child = spawn(tools.node, args, { cwd: work, stdio: ['ignore', 'pipe', 'inherit'] });
    onChild(child);
    const user = [];
    const authorizePrefix = `${issuer}/oauth2/authorize?`;
    const callbackReady = `Callback server started: http://127.0.0.1:${port}`;
    // The user acts once the suite has printed the authorization URL and its callback server listens.
    let authorizationUrl;
    let listening = false;
    const consentWhenReady = () => {
      if (authorizationUrl === undefined || !listening) return;
      const url = authorizationUrl;
      authorizationUrl = undefined;
      consentAsOwner(issuer, session, url).then(
        (delivered) => user.push(`allowed on the consent page; redirected to ${delivered}`),
        (error) => user.push(`could not consent: ${error instanceof Error ? error.message : String(error)}`),
      );
    };
    createInterface({ input: child.stdout }).on('line', (line) => {
      process.stdout.write(
        `${client.clientSecret === undefined ? line : line.split(client.clientSecret).join('<secret>')}\n`,
      );
      if (line.startsWith(authorizePrefix)) authorizationUrl = line.trim();
      else if (line.startsWith(callbackReady)) listening = true;
      else return;
      consentWhenReady();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const stamp = (name) => /\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(name)?.[0] ?? '';
      const scenarios = readdirSync(outDir)
        .filter((name) => existsSync(join(outDir, name, 'checks.json')))
        .sort((a, b) => stamp(a).localeCompare(stamp(b))) // the order the suite ran them in
        .map((name) => ({
          scenario: name.replace(/^authorization-server-/, '').replace(/-\d{4}-\d{2}-\d{2}T.*$/, ''),
          checks: readJson(join(outDir, name, 'checks.json')),
        }));
      resolve({ exitCode: code ?? signal, scenarios, user });
    });
  });
