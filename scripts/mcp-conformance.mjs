// `pnpm conformance`: runs the MCP conformance suite (@modelcontextprotocol/conformance) against
// Latchkey and writes conformance/results.md:
//
// - its server scenarios against the real, authenticated MCP endpoint: build → start the token
//   proxy (scripts/mcp-conformance-proxy.mjs) on a free loopback port → start Latchkey (memory
//   storage, issuer = the proxy's origin) → create the owner and log in → check the set-up (401
//   without the proxy, 200 with the issuer's Host, 403 with another Host) → run each server
//   scenario with Node 22;
// - its authorization-server scenarios against Latchkey as the authorization server, once per kind
//   of client (dynamically registered, admin-registered confidential, and a Client ID Metadata
//   Document client whose document an https server on loopback serves with a test CA that
//   Latchkey trusts through NODE_EXTRA_CA_CERTS), with a scripted owner who
//   answers the consent page (scripts/mcp-conformance-authorization.mjs). Those scenarios are not in
//   the suite version the server scenarios are pinned to, so the script installs a second, newer
//   version of the suite for them (AUTHORIZATION_SUITE_VERSION);
// → results → stop everything.
//
// The suite needs Node 22; when this Node is older, the Node 22 binary published on npm as
// node-<platform>-<arch> is installed next to the suite in conformance/.work (gitignored).
// Not part of `pnpm test`: it downloads from the npm registry.
//
// Usage: node scripts/mcp-conformance.mjs [--all] [--server | --authorization] [scenario ...]
//   no arguments     the server scenarios that apply to Latchkey (APPLICABLE below), then the
//                    authorization scenarios for each kind of client
//   --all            every server scenario the suite lists (the others are reported as not applicable)
//   --server         server scenarios only; --authorization: authorization scenarios only
//   scenario ...     just these server scenarios (add --authorization to run those scenarios too)
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { dirname, join, relative } from 'node:path';
import process from 'node:process';
import { createInterface } from 'node:readline';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath, URL } from 'node:url';
import {
  createConfidentialApp,
  freePort,
  listAuthorizationScenarios,
  registerDcrClient,
  runAuthorizationSuite,
  startDocumentHost,
} from './mcp-conformance-authorization.mjs';
import { MCP_PATH, startAuthProxy } from './mcp-conformance-proxy.mjs';

const CONFORMANCE_VERSION = '0.1.16';
/**
 * The suite version for the authorization-server scenarios (`conformance authorization`), which
 * 0.1.16 does not have; installed beside 0.1.16 under an npm alias.
 */
const AUTHORIZATION_SUITE_VERSION = '0.2.0-alpha.12';
const AUTHORIZATION_ALIAS = 'conformance-authorization';
const NODE22_VERSION = '22.23.3';
const SCENARIO_TIMEOUT_MS = 120_000;

/** Server scenarios that make sense for a stateless, tools-only MCP server. */
const APPLICABLE = [
  'server-initialize',
  'ping',
  'tools-list',
  'logging-set-level',
  'dns-rebinding-protection',
];

/** Why the suite's other server scenarios (as of 0.1.16) do not apply to Latchkey. */
const fixture = (tool, why = '') => `calls \`${tool}\`, a fixture tool of the suite's reference server${why}`;
const STATELESS = 'the endpoint is stateless and answers JSON (docs/http-api.md#mcp)';
const NO_RESOURCES = 'Latchkey declares no `resources` capability';
const NO_PROMPTS = 'Latchkey declares no `prompts` capability';
const NOT_APPLICABLE = {
  'completion-complete': 'needs the `completions` capability (prompt or resource-template arguments)',
  'tools-call-simple-text': fixture('test_simple_text'),
  'tools-call-image': fixture('test_image_content'),
  'tools-call-audio': fixture('test_audio_content'),
  'tools-call-embedded-resource': fixture('test_embedded_resource'),
  'tools-call-mixed-content': fixture('test_multiple_content_types'),
  'tools-call-with-logging': fixture(
    'test_tool_with_logging',
    `; notifications during a call need SSE, and ${STATELESS}`,
  ),
  'tools-call-error': fixture(
    'test_error_handling',
    "; Latchkey's own tools report failures with `isError: true`",
  ),
  'tools-call-with-progress': fixture(
    'test_tool_with_progress',
    `; notifications during a call need SSE, and ${STATELESS}`,
  ),
  'tools-call-sampling': fixture(
    'test_sampling',
    `; sampling is a server-to-client request, and ${STATELESS}`,
  ),
  'tools-call-elicitation': fixture(
    'test_elicitation',
    `; elicitation is a server-to-client request, and ${STATELESS}`,
  ),
  'elicitation-sep1034-defaults': fixture(
    'test_elicitation_sep1034_defaults',
    `; elicitation is a server-to-client request, and ${STATELESS}`,
  ),
  'elicitation-sep1330-enums': fixture(
    'test_elicitation_sep1330_enums',
    `; elicitation is a server-to-client request, and ${STATELESS}`,
  ),
  'json-schema-2020-12': 'looks for the fixture tool `json_schema_2020_12_tool` in tools/list',
  'server-sse-polling': `needs sessions, SSE and the fixture tool \`test_reconnection\`; ${STATELESS}`,
  'server-sse-multiple-streams': `needs sessions and several SSE streams; ${STATELESS}`,
  'resources-list': NO_RESOURCES,
  'resources-read-text': NO_RESOURCES,
  'resources-read-binary': NO_RESOURCES,
  'resources-templates-read': NO_RESOURCES,
  'resources-subscribe': NO_RESOURCES,
  'resources-unsubscribe': NO_RESOURCES,
  'prompts-list': NO_PROMPTS,
  'prompts-get-simple': NO_PROMPTS,
  'prompts-get-with-args': NO_PROMPTS,
  'prompts-get-embedded-resource': NO_PROMPTS,
  'prompts-get-with-image': NO_PROMPTS,
};

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const work = join(root, 'conformance', '.work');
const resultsFile = join(root, 'conformance', 'results.md');

const log = (line) => {
  process.stdout.write(`[conformance] ${line}\n`);
};

/** Runs a command to completion with inherited output; throws when it fails. */
const run = (command, args, cwd = root) => {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}`);
};

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/**
 * Installs the pinned suites (and, on Node < 22, the pinned Node 22) with npm; returns the paths.
 * The authorization suite is the same package at another version, under an npm alias.
 */
const ensureTools = () => {
  const needNode = Number(process.versions.node.split('.')[0]) < 22;
  const nodePackage = `node-${process.platform}-${process.arch}`;
  const dependencies = {
    '@modelcontextprotocol/conformance': CONFORMANCE_VERSION,
    [AUTHORIZATION_ALIAS]: `npm:@modelcontextprotocol/conformance@${AUTHORIZATION_SUITE_VERSION}`,
  };
  if (needNode) dependencies[nodePackage] = NODE22_VERSION;
  const modules = join(work, 'node_modules');
  const suiteJson = join(modules, '@modelcontextprotocol', 'conformance', 'package.json');
  const authorizationJson = join(modules, AUTHORIZATION_ALIAS, 'package.json');
  const nodeJson = join(modules, nodePackage, 'package.json');
  const installed =
    existsSync(suiteJson) &&
    readJson(suiteJson).version === CONFORMANCE_VERSION &&
    existsSync(authorizationJson) &&
    readJson(authorizationJson).version === AUTHORIZATION_SUITE_VERSION &&
    (!needNode || (existsSync(nodeJson) && readJson(nodeJson).version === NODE22_VERSION));
  if (!installed) {
    log(
      `installing ${Object.entries(dependencies)
        .map(([name, version]) => (version.startsWith('npm:') ? version.slice(4) : `${name}@${version}`))
        .join(', ')} into ${relative(root, work)}`,
    );
    mkdirSync(work, { recursive: true });
    writeFileSync(
      join(work, 'package.json'),
      `${JSON.stringify({ private: true, description: 'written by scripts/mcp-conformance.mjs', dependencies }, null, 2)}\n`,
    );
    run(
      'npm',
      ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', '--engine-strict=false'],
      work,
    );
  }
  const node = needNode ? join(modules, nodePackage, 'bin', 'node') : process.execPath;
  const cli = join(modules, '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
  const authorizationCli = join(modules, AUTHORIZATION_ALIAS, 'dist', 'index.js');
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  return { node, nodeVersion: version, cli, authorizationCli };
};

/** One HTTP request with full control over headers (including Host); resolves to status and JSON body. */
const httpJson = (url, { method = 'GET', headers = {}, body } = {}) =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest(
      {
        hostname: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method,
        headers: {
          ...(payload === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => {
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode, headers: res.headers, json, text });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });

/**
 * Starts Latchkey on a free loopback port; resolves once it logs where it listens. `extraEnv`
 * adds to (and wins over) the environment it gets.
 */
const startLatchkey = (issuer, extraEnv = {}) => {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('LATCHKEY_')),
  );
  Object.assign(env, {
    LATCHKEY_STORAGE: 'memory',
    LATCHKEY_PUBLIC_URL: issuer,
    LATCHKEY_HTTP_ADDRESS: '127.0.0.1:0',
    LATCHKEY_LOG_LEVEL: 'info',
    ...extraEnv,
  });
  mkdirSync(work, { recursive: true });
  const logFile = join(work, 'latchkey.log');
  writeFileSync(logFile, '');
  const child = spawn(process.execPath, [join(root, 'packages', 'app', 'dist', 'main.js')], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logLines = [];
  const keep = (line) => {
    logLines.push(line);
    writeFileSync(logFile, `${line}\n`, { flag: 'a' });
  };
  createInterface({ input: child.stderr }).on('line', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('Latchkey did not start within 60 s')), 60_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      keep(line);
      try {
        const entry = JSON.parse(line);
        if (typeof entry.msg === 'string' && entry.msg.startsWith('Latchkey listening on')) {
          clearTimeout(timer);
          resolve(entry.url);
        }
      } catch {
        // not a log line
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`Latchkey exited (${code ?? signal}) before listening:\n${logLines.join('\n')}`));
    });
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(killer);
  };
  return { ready, stop, logFile };
};

/** Creates the owner and logs in: a session token (scope `all`, which satisfies `mcp`). */
const ownerToken = async (latchkey) => {
  const password = randomBytes(18).toString('base64url');
  const owner = { email: 'conformance@example.com', username: 'conformance', password };
  const created = await httpJson(`${latchkey}/api/v2/users/first`, { method: 'POST', body: owner });
  if (created.status !== 201) throw new Error(`creating the owner: ${created.status} ${created.text}`);
  const login = await httpJson(`${latchkey}/api/v2/users/login`, {
    method: 'POST',
    body: { email: owner.email, password },
  });
  if (login.status !== 201 || typeof login.json?.session_token !== 'string') {
    throw new Error(`logging in: ${login.status} ${login.text}`);
  }
  return login.json.session_token;
};

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'latchkey-conformance-setup', version: '1.0.0' },
  },
};

/**
 * Checks that the endpoint really is authenticated and that the Host check the suite will probe
 * is Latchkey's own, seen through the proxy (which passes Host through).
 */
const setupChecks = async (latchkey, proxyOrigin, issuerHost) => {
  const mcp = {
    method: 'POST',
    body: INITIALIZE,
    headers: { Accept: 'application/json, text/event-stream' },
  };
  const checks = [
    {
      what: 'directly to Latchkey, issuer Host, no token',
      expect: 401,
      response: await httpJson(`${latchkey}${MCP_PATH}`, {
        ...mcp,
        headers: { ...mcp.headers, Host: issuerHost },
      }),
    },
    {
      what: "through the proxy, the issuer's Host (`localhost:<proxy port>`)",
      expect: 200,
      response: await httpJson(`${proxyOrigin}${MCP_PATH}`, {
        ...mcp,
        headers: { ...mcp.headers, Host: issuerHost },
      }),
    },
    {
      what: 'through the proxy, Host `evil.example.com`',
      expect: 403,
      response: await httpJson(`${proxyOrigin}${MCP_PATH}`, {
        ...mcp,
        headers: { ...mcp.headers, Host: 'evil.example.com', Origin: 'http://evil.example.com' },
      }),
    },
  ];
  return checks.map(({ what, expect, response }) => ({
    what,
    expect,
    status: response.status,
    ok: response.status === expect,
  }));
};

let current; // the running suite process, killed on interrupt
let stopping = false; // set on SIGINT/SIGTERM: start nothing new

/** Runs one scenario with Node 22; resolves to its checks (from checks.json) and exit code. */
const runScenario = (tools, url, scenario) =>
  new Promise((resolve) => {
    const outDir = join(work, 'results', scenario);
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    const child = spawn(
      tools.node,
      [tools.cli, 'server', '--url', url, '--scenario', scenario, '-o', outDir],
      {
        cwd: work,
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    current = child;
    const timer = setTimeout(() => child.kill('SIGKILL'), SCENARIO_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      current = undefined;
      const runDir = readdirSync(outDir).find((name) => existsSync(join(outDir, name, 'checks.json')));
      const checks = runDir === undefined ? undefined : readJson(join(outDir, runDir, 'checks.json'));
      resolve({ scenario, exitCode: code ?? signal, checks });
    });
  });

const summarize = ({ scenario, exitCode, checks }) => {
  const count = (status) => (checks ?? []).filter((check) => check.status === status).length;
  const passed = count('SUCCESS');
  const failed = count('FAILURE');
  const warnings = count('WARNING');
  const outcome =
    checks === undefined
      ? 'error'
      : failed > 0 || exitCode !== 0
        ? 'FAIL'
        : passed === 0
          ? 'no verdict'
          : 'pass';
  const notes = (checks ?? [])
    .filter((check) => check.status === 'FAILURE' || check.status === 'WARNING')
    .map((check) => `${check.id}: ${check.errorMessage ?? check.details?.message ?? check.description}`);
  if (checks === undefined) notes.push(`the suite wrote no checks.json (exit ${exitCode})`);
  return { scenario, outcome, passed, failed, warnings, notes, applicable: APPLICABLE.includes(scenario) };
};

/** A row's notes: for a scenario that does not apply, why, then what the suite said. */
const notesFor = (row) =>
  [
    row.applicable ? '' : `Not applicable: ${NOT_APPLICABLE[row.scenario] ?? 'not classified yet'}.`,
    row.notes.join('; '),
  ]
    .filter((note) => note !== '')
    .join(' ');

const cell = (text) => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ');

/** The markers around each part of conformance/results.md, so that a run can redo one part alone. */
const markers = (part) => [`<!-- ${part} results: begin -->`, `<!-- ${part} results: end -->`];

/** One part as it was written last time, or `undefined`. */
const previousPart = (part) => {
  if (!existsSync(resultsFile)) return undefined;
  const text = readFileSync(resultsFile, 'utf8');
  const [begin, end] = markers(part);
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  return from >= 0 && to > from ? text.slice(from, to + end.length) : undefined;
};

const serverPart = (meta, setup, rows, listed) => {
  const notRun = listed.filter((name) => !rows.some((row) => row.scenario === name));
  const lines = [
    markers('server')[0],
    '',
    '## Server scenarios',
    '',
    `Written by \`pnpm conformance\` (\`scripts/mcp-conformance.mjs\`) on ${meta.date}:`,
    `\`@modelcontextprotocol/conformance@${CONFORMANCE_VERSION}\` on Node ${meta.nodeVersion}, against`,
    `\`POST ${MCP_PATH}\` of Latchkey (\`LATCHKEY_STORAGE=memory\`, issuer \`http://localhost:<proxy port>\`),`,
    "through a loopback proxy that adds the owner's session token (scope `all`) and passes `Host` through.",
    '',
    '### Set-up checks',
    '',
    '| request | expected | got |',
    '| --- | --- | --- |',
    ...setup.map(
      (check) =>
        `| ${cell(check.what)} | ${check.expect} | ${check.status}${check.ok ? '' : ' (unexpected)'} |`,
    ),
    '',
    '### Scenarios',
    '',
    '| scenario | applies | outcome | checks passed | failed | warnings | notes |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (row) =>
        `| \`${row.scenario}\` | ${row.applicable ? 'yes' : 'no'} | ${row.outcome} | ${row.passed} | ${row.failed} | ${row.warnings} | ${cell(notesFor(row))} |`,
    ),
    '',
  ];
  if (notRun.length > 0) {
    lines.push(
      '### Not run',
      '',
      "The suite's other server scenarios test features a stateless, tools-only server does not have",
      '(run them anyway with `pnpm conformance --all`):',
      '',
      ...notRun.map((name) => `- \`${name}\`: ${NOT_APPLICABLE[name] ?? 'not classified yet'}`),
      '',
    );
  }
  lines.push(markers('server')[1]);
  return lines.join('\n');
};

const authorizationPart = (meta, authorization) => {
  const lines = [
    markers('authorization')[0],
    '',
    '## Authorization-server scenarios',
    '',
    `Written by \`pnpm conformance\` on ${meta.date}: \`@modelcontextprotocol/conformance@${AUTHORIZATION_SUITE_VERSION}\``,
    `(\`conformance authorization\`) on Node ${meta.nodeVersion}, against Latchkey as the authorization server`,
    '(`LATCHKEY_STORAGE=memory`, issuer `http://localhost:<proxy port>`). The owner is signed in; a',
    'scripted user opens the consent page the suite asks for, allows, and follows the redirect to the',
    "suite's callback server (`http://127.0.0.1:<port>/callback`, registered for each client).",
    '',
    'The Client ID Metadata Document client is the URL of its document, passed to the suite as',
    '`--client-id`: `https://127.0.0.1:<port>/conformance-client.json`, served by the script over',
    'https with a certificate from a CA made for the run. Latchkey runs with that CA in',
    '`NODE_EXTRA_CA_CERTS` (it verifies the certificate for the host as always) and with',
    '`LATCHKEY_CIMD_ALLOW_PRIVATE_HOSTS=true`, which this run needs because the document is on a',
    'loopback address; nothing else about the fetch is relaxed.',
    '',
    "The suite's own CIMD scenario, `auth/basic-cimd`, is a client scenario, not an",
    'authorization-server one: the suite plays the authorization server (its metadata carries',
    '`client_id_metadata_document_supported: true`) and checks that the MCP client under test sends',
    '`https://conformance-test.local/client-metadata.json` as its `client_id` (check',
    '`cimd-client-id-used`); it never serves that document and never fetches it. It has nothing to',
    'run against an authorization server, so the CIMD client runs `authorization-code-grant` here.',
    '',
  ];
  if (authorization.scenarios === undefined) {
    lines.push(
      `This version of the suite lists no authorization-server scenarios (\`list --authorization\`), so none ran.`,
      '',
    );
  } else {
    lines.push(
      `The suite's authorization-server scenarios: ${authorization.scenarios.map((name) => `\`${name}\``).join(', ')}.`,
      '',
      '| client | scenario | outcome | checks passed | failed | warnings | notes |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...authorization.rows.map(
        (row) =>
          `| ${cell(row.client)} | ${row.scenario === '' ? '—' : `\`${row.scenario}\``} | ${row.outcome} | ${row.passed} | ${row.failed} | ${row.warnings} | ${cell(row.notes.join('; '))} |`,
      ),
      '',
      '`FAIL (suite)` marks a failure the suite causes, as its note explains; it does not make',
      '`pnpm conformance` fail. Any other failure does.',
      '',
      '### The scripted user',
      '',
      ...authorization.users.map(
        (entry) => `- ${entry.client}: ${entry.did.join('; ') || 'was not asked to consent'}`,
      ),
      '',
    );
  }
  lines.push(markers('authorization')[1]);
  return lines.join('\n');
};

/** Writes conformance/results.md; a part not run this time is kept as it was. */
const writeResults = (parts) => {
  const text = [
    '# MCP conformance results',
    '',
    parts.server ?? previousPart('server') ?? '',
    '',
    parts.authorization ?? previousPart('authorization') ?? '',
    '',
  ].join('\n');
  mkdirSync(dirname(resultsFile), { recursive: true });
  writeFileSync(resultsFile, text);
  spawnSync('pnpm', ['exec', 'prettier', '--write', '--log-level', 'warn', resultsFile], {
    cwd: root,
    stdio: 'inherit',
  });
};

/**
 * What Latchkey has to say about a check of the authorization suite that did not pass: why it is
 * not Latchkey's to fix, or what will fix it. Keyed by the check's id.
 */
const AUTHORIZATION_NOTES = {
  'authorization-server-metadata-cimd':
    'Latchkey advertises `client_id_metadata_document_supported: true` while LATCHKEY_CIMD_ENABLED is on (the default, docs/http-api.md#client-id-metadata-documents); this run did not turn it off, so this warning is a regression.',
};

/**
 * A failure of the suite's own making: `authorization-code-grant` picks the token endpoint
 * authentication method from the AS metadata alone, and takes `none` whenever the metadata lists
 * it, even when it was given a client secret. Latchkey lists `none` for its public clients, so the
 * suite redeems the confidential client's code without authenticating, and Latchkey refuses, as a
 * confidential client must authenticate (RFC 6749 §3.2.1; docs/http-api.md#token). Counted as
 * expected only when Latchkey's log shows exactly that refusal during the run.
 */
const UNAUTHENTICATED_CONFIDENTIAL = {
  logDetail: '"detail":"a confidential client must authenticate"',
  note: "the suite's doing: given a client secret, it still authenticates with `none` because the AS metadata lists `none` (for public clients) — its `selectTokenAuthMethod` returns `none` when `!clientSecret || methods.includes('none')`; Latchkey's log shows the token request refused with invalid_client, 'a confidential client must authenticate' (RFC 6749 §3.2.1). Latchkey must not accept it",
};

/** The kinds of client the authorization scenarios run for. */
const AUTHORIZATION_CLIENTS = [
  {
    kind: 'dcr',
    label: 'dynamically registered, public (`none`)',
    make: ({ latchkey, redirectUri }) => registerDcrClient(latchkey, redirectUri),
  },
  {
    kind: 'confidential',
    label: 'admin-registered, confidential (client secret)',
    make: ({ latchkey, session, redirectUri }) => createConfidentialApp(latchkey, session, redirectUri),
    expectedFailures: { 'authorization-code-grant': UNAUTHENTICATED_CONFIDENTIAL },
  },
  {
    kind: 'cimd',
    label: 'Client ID Metadata Document (public, `none`)',
    make: ({ documents, redirectUri }) => documents.client(redirectUri),
  },
];

/** One row per scenario of one client's run; `logged` is what Latchkey logged meanwhile. */
const authorizationRows = (client, run, logged) => {
  if (run.scenarios.length === 0) {
    return [
      {
        client: client.label,
        scenario: '',
        outcome: 'error',
        passed: 0,
        failed: 0,
        warnings: 0,
        notes: [`the suite wrote no checks.json (exit ${run.exitCode})`],
      },
    ];
  }
  return run.scenarios.map(({ scenario, checks }) => {
    const count = (status) => checks.filter((check) => check.status === status).length;
    const failed = count('FAILURE');
    const skipped = count('SKIPPED');
    const notes = checks
      .filter((check) => check.status !== 'SUCCESS')
      .map((check) => {
        const said = `${check.status.toLowerCase()} ${check.id}: ${check.errorMessage ?? check.description}`;
        const ours = AUTHORIZATION_NOTES[check.id];
        return ours === undefined ? said : `${said}. ${ours}`;
      });
    const expected = client.expectedFailures?.[scenario];
    const explained = failed > 0 && expected !== undefined && logged.includes(expected.logDetail);
    if (explained) notes.push(expected.note);
    return {
      client: client.label,
      scenario,
      outcome:
        failed > 0
          ? explained
            ? 'FAIL (suite)'
            : 'FAIL'
          : skipped > 0
            ? 'skipped'
            : count('SUCCESS') === 0
              ? 'no verdict'
              : 'pass',
      passed: count('SUCCESS'),
      failed,
      warnings: count('WARNING'),
      notes,
    };
  });
};

/** Runs the authorization scenarios for each kind of client; resolves to what the results need. */
const runAuthorization = async ({ tools, issuer, latchkey, session, logFile, documents }) => {
  const scenarios = listAuthorizationScenarios({ ...tools, cli: tools.authorizationCli }, spawnSync);
  if (scenarios === undefined) {
    log(`suite ${AUTHORIZATION_SUITE_VERSION} has no authorization-server scenarios`);
    return { scenarios, rows: [], users: [] };
  }
  log(`authorization suite ${AUTHORIZATION_SUITE_VERSION}: ${scenarios.join(', ')}`);
  const rows = [];
  const users = [];
  for (const client of AUTHORIZATION_CLIENTS) {
    if (stopping) break;
    log(`--- authorization, ${client.kind} client`);
    const port = await freePort();
    const redirectUri = `http://127.0.0.1:${port}/callback`;
    const made = await client.make({ latchkey, session, documents, redirectUri });
    const fetchesBefore = documents.fetches();
    const logStart = readFileSync(logFile, 'utf8').length;
    const run = await runAuthorizationSuite({
      tools: { ...tools, cli: tools.authorizationCli },
      work,
      issuer,
      resource: `${issuer}${MCP_PATH}`,
      session,
      client: { kind: client.kind, ...made },
      port,
      onChild: (child) => {
        current = child;
      },
    });
    current = undefined;
    rows.push(...authorizationRows(client, run, readFileSync(logFile, 'utf8').slice(logStart)));
    const fetched = documents.fetches() - fetchesBefore;
    users.push({
      client: client.label,
      did: [
        ...run.user,
        ...(client.kind === 'cimd'
          ? [`Latchkey fetched the metadata document ${fetched} time(s) over verified TLS`]
          : []),
      ],
    });
  }
  return { scenarios, rows, users };
};

const main = async () => {
  const args = process.argv.slice(2);
  const all = args.includes('--all');
  const named = args.filter((arg) => !arg.startsWith('--'));
  const onlyServer = args.includes('--server');
  const onlyAuthorization = args.includes('--authorization');
  if (onlyServer && onlyAuthorization) throw new Error('--server and --authorization exclude each other');
  const runServer = !onlyAuthorization || named.length > 0;
  const runAuthorizationPart = onlyAuthorization || (!onlyServer && named.length === 0);

  log('building (tsc -b)');
  run('pnpm', ['exec', 'tsc', '-b']);
  const tools = ensureTools();
  log(`suite ${CONFORMANCE_VERSION} on Node ${tools.nodeVersion}`);

  const listOut = spawnSync(tools.node, [tools.cli, 'list', '--server'], { cwd: work, encoding: 'utf8' });
  const listed = [...listOut.stdout.matchAll(/^\s+- (\S+)/gm)].map((match) => match[1]);
  const unknown = named.filter((name) => !listed.includes(name));
  if (unknown.length > 0)
    throw new Error(`unknown scenario(s): ${unknown.join(', ')}; the suite lists: ${listed.join(', ')}`);
  const scenarios = !runServer
    ? []
    : named.length > 0
      ? named
      : all
        ? listed
        : APPLICABLE.filter((name) => listed.includes(name));
  const unclassified = listed.filter(
    (name) => !APPLICABLE.includes(name) && NOT_APPLICABLE[name] === undefined,
  );
  if (runServer && unclassified.length > 0)
    log(`note: scenarios new to this script: ${unclassified.join(', ')}`);

  const target = {};
  const proxy = await startAuthProxy(target);
  const cleanups = [() => proxy.close()];
  let cleaning;
  const cleanup = () =>
    (cleaning ??= (async () => {
      current?.kill('SIGKILL');
      for (const step of cleanups.reverse()) await step();
    })());
  const interrupted = (signal) => {
    stopping = true;
    log(`${signal}: stopping`);
    void cleanup().then(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  try {
    const issuer = `http://localhost:${proxy.port}`;
    // The metadata document client's host: https on loopback with a CA made for this run, which
    // Latchkey trusts through NODE_EXTRA_CA_CERTS (certificates still verified for the host);
    // LATCHKEY_CIMD_ALLOW_PRIVATE_HOSTS lets it reach a loopback address, for this run only.
    const documents = runAuthorizationPart ? await startDocumentHost(root, work) : undefined;
    if (documents !== undefined) cleanups.push(documents.stop);
    const latchkey = startLatchkey(
      issuer,
      documents === undefined
        ? {}
        : { NODE_EXTRA_CA_CERTS: documents.caFile, LATCHKEY_CIMD_ALLOW_PRIVATE_HOSTS: 'true' },
    );
    cleanups.push(latchkey.stop);
    const latchkeyUrl = await latchkey.ready;
    log(
      `Latchkey on ${latchkeyUrl}, issuer ${issuer} (the proxy); log in ${relative(root, latchkey.logFile)}`,
    );
    target.upstream = latchkeyUrl;
    const session = await ownerToken(latchkeyUrl);
    target.token = session;
    const meta = { date: new Date().toISOString().slice(0, 10), nodeVersion: tools.nodeVersion };
    const parts = {};
    let bad = 0;

    if (runServer) {
      const setup = await setupChecks(latchkeyUrl, `http://127.0.0.1:${proxy.port}`, new URL(issuer).host);
      for (const check of setup) log(`set-up: ${check.what}: ${check.status} (expected ${check.expect})`);
      if (!setup.every((check) => check.ok))
        throw new Error('the set-up checks failed; the suite results would mean nothing');

      const url = `${issuer}${MCP_PATH}`;
      const rows = [];
      for (const scenario of scenarios) {
        if (stopping) return;
        log(`--- ${scenario}`);
        rows.push(summarize(await runScenario(tools, url, scenario)));
      }
      if (stopping) return;
      parts.server = serverPart(meta, setup, rows, listed);
      process.stdout.write('\n');
      for (const row of rows) {
        log(
          `${row.outcome.padEnd(10)} ${row.scenario}${row.applicable ? '' : ' (not applicable)'}${row.notes.length > 0 ? ` — ${row.notes.join('; ')}` : ''}`,
        );
      }
      bad += rows.filter((row) => row.applicable && row.outcome !== 'pass').length;
    }

    if (runAuthorizationPart) {
      const authorization = await runAuthorization({
        tools,
        issuer,
        latchkey: latchkeyUrl,
        session,
        logFile: latchkey.logFile,
        documents,
      });
      if (stopping) return;
      parts.authorization = authorizationPart(meta, authorization);
      process.stdout.write('\n');
      for (const row of authorization.rows) {
        log(
          `${row.outcome.padEnd(10)} ${row.client}: ${row.scenario}${row.notes.length > 0 ? ` — ${row.notes.join('; ')}` : ''}`,
        );
      }
      bad += authorization.rows.filter((row) => row.outcome === 'FAIL' || row.outcome === 'error').length;
    }

    writeResults(parts);
    log(`results written to ${relative(root, resultsFile)}`);
    process.exitCode = bad === 0 ? 0 : 1;
  } finally {
    await cleanup();
  }
};

main().catch((error) => {
  process.stderr.write(`[conformance] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
