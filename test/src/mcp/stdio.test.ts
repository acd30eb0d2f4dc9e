import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPostgresStorage, migrate } from '@latchkey/adapters-postgres';
import { startEmbeddedDatabase } from '@latchkey/app';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { expect } from 'chai';
import { adminApi } from '../http/admin-api.js';
import { createClient, obtainTokens, type OAuthHarness } from '../oauth/flow-helpers.js';
import { copyInitialisedDataDir } from '../support/postgres.js';
import { OWNER, setUpOwner, startTestServer } from '../support/server.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { ALL_TOOLS, callTool, callToolOk, mcpUrl, rejectionOf, toolNames, USER_TOOLS } from './helpers.js';

/** A resource server besides Latchkey's own (LATCHKEY_ALLOWED_RESOURCES). */
const OTHER_RESOURCE = 'https://files.example.com/';

/** `packages/app/dist/mcp-stdio.js`, beside the app package's entry point. */
const STDIO_ENTRY = fileURLToPath(new URL('./mcp-stdio.js', import.meta.resolve('@latchkey/app')));

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the entry to its end with stdin open and returns its exit code and what it wrote. */
const runToExit = (args: string[], env: Record<string, string>): Promise<Exit> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [STDIO_ENTRY, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the stdio entry kept running with a token it should refuse'));
    }, 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });

interface HangUp {
  /** The answer to `tools/list`, parsed. */
  readonly answer: unknown;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** How long after its input closed the process took to exit. */
  readonly exitMs: number;
}

/**
 * Speaks to the entry over stdio until it answers `tools/list`, then closes its input, as an MCP
 * host shuts a server down (MCP lifecycle, stdio: close stdin, wait, then SIGTERM). Gives the
 * process `graceMs` to exit by itself before terminating it, like the SDK client.
 */
const serveAndHangUp = (token: string, env: Record<string, string>, graceMs: number): Promise<HangUp> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [STDIO_ENTRY, '--token', token], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const send = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`);
    let buffered = '';
    let answer: unknown = undefined;
    let closedAt = 0;
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const message = JSON.parse(line) as { id?: number };
        if (message.id === 1) {
          send({ jsonrpc: '2.0', method: 'notifications/initialized' });
          send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
        } else if (message.id === 2) {
          answer = message;
          closedAt = Date.now();
          child.stdin.end();
          timer = setTimeout(() => child.kill('SIGTERM'), graceMs);
        }
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (answer === undefined) {
        reject(new Error(`the entry exited (${String(code ?? signal)}) before answering tools/list`));
        return;
      }
      resolve({ answer, code, signal, exitMs: Date.now() - closedAt });
    });
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'hang-up', version: '1' },
      },
    });
  });

describe('the stdio MCP entry on the embedded database (docs/http-api.md#mcp, #configuration)', function () {
  // Starting the embedded database (WebAssembly PostgreSQL) takes seconds, many more on a busy machine.
  this.timeout(120_000);
  let dir: string;
  let env: Record<string, string>;
  let sessionToken: string;
  let mcpToken: string;
  let userReadToken: string;
  /** Scope mcp, but issued for another resource server (RFC 8707). */
  let otherAudienceToken: string;
  let mcpResource: string;
  /** A token of scope mcp from a client of its own, so that revoking that client spares the others. */
  let revocable: { token: string; clientId: string };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'latchkey-mcp-stdio-'));
    const dataDir = join(dir, 'data');
    await copyInitialisedDataDir(dataDir);
    const embedded = await startEmbeddedDatabase({ dataDir });
    try {
      const storage = await createPostgresStorage({ clientUrl: embedded.url, poolMax: 1 });
      try {
        await migrate(storage.orm, { exclusive: false });
        const server = await startTestServer(
          { LATCHKEY_ALLOWED_RESOURCES: OTHER_RESOURCE },
          { storage: { ...storage, close: () => Promise.resolve() } },
        );
        try {
          sessionToken = await setUpOwner(server.url);
          const h: OAuthHarness = {
            server,
            url: server.url,
            session: sessionToken,
            api: adminApi(server.url, sessionToken),
          };
          const client = await createClient(h);
          const resource = mcpUrl(server.url);
          mcpToken = (await obtainTokens(h, client, { params: { scope: 'mcp', resource } })).access_token;
          userReadToken = (await obtainTokens(h, client, { params: { scope: 'user:read' } })).access_token;
          otherAudienceToken = (
            await obtainTokens(h, client, { params: { scope: 'mcp', resource: OTHER_RESOURCE } })
          ).access_token;
          mcpResource = resource;
          const own = await createClient(h);
          revocable = {
            token: (await obtainTokens(h, own, { params: { scope: 'mcp', resource } })).access_token,
            clientId: own.id,
          };
          env = {
            LATCHKEY_STORAGE: 'postgres',
            LATCHKEY_DATA_DIR: dataDir,
            LATCHKEY_LOG_LEVEL: 'silent',
            LATCHKEY_PUBLIC_URL: server.url,
          };
        } finally {
          await server.stop();
        }
      } finally {
        await storage.close();
      }
    } finally {
      await embedded.stop();
    }
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** Launches the entry as an MCP host would, lets `body` talk to it, and shuts it down. */
  const withStdioClient = async (token: string, body: (client: Client) => Promise<void>): Promise<void> => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [STDIO_ENTRY, '--token', token],
      env,
      stderr: 'ignore',
    });
    const client = new Client({ name: 'latchkey-stdio-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      await body(client);
    } finally {
      await client.close();
    }
  };

  it('serves all five tools to the owner with a session token and acts as the owner', async () => {
    await withStdioClient(sessionToken, async (client) => {
      expect(await toolNames(client)).to.deep.equal(ALL_TOOLS);
      const user = (await callToolOk(client, 'latchkey_get_authenticated_user')) as Record<string, unknown>;
      expect(user).to.include({ email: OWNER.email, username: OWNER.username, role: 'owner' });
    });
  });

  it('offers an access token of scope mcp the three user tools, and exits with 0 once its input closes', async () => {
    const hangUp = await serveAndHangUp(mcpToken, env, 2000);
    const tools = (hangUp.answer as { result: { tools: { name: string }[] } }).result.tools;
    expect(tools.map((t) => t.name).sort()).to.deep.equal(USER_TOOLS);
    expect(hangUp.signal, `still running ${hangUp.exitMs} ms after stdin closed`).to.equal(null);
    expect(hangUp.code).to.equal(0);
  });

  it('checks its token before every request: once revoked mid-session, listing and calls are refused', async () => {
    await withStdioClient(revocable.token, async (client) => {
      expect(await toolNames(client)).to.deep.equal(USER_TOOLS);
      // The session revokes its own app: the grant and this very token with it.
      const revoked = (await callToolOk(client, 'latchkey_revoke_app_access', {
        client_id: revocable.clientId,
      })) as Record<string, unknown>;
      expect(revoked).to.deep.equal({
        revoked: true,
        client_id: revocable.clientId,
        current_token_revoked: true,
      });
      const listing = await rejectionOf(client.listTools());
      expect(listing).to.be.instanceOf(McpError);
      expect((listing as McpError).code).to.equal(ErrorCode.InvalidRequest);
      const call = await rejectionOf(callTool(client, 'latchkey_get_authenticated_user', {}));
      expect(call).to.be.instanceOf(McpError);
      expect((call as McpError).code).to.equal(ErrorCode.InvalidRequest);
    });
  });

  it('exits non-zero without serving when the token is unknown', async () => {
    const exit = await runToExit(['--token', 'lk_sess_not-a-real-session-token-at-all-000000000'], env);
    expect(exit.code).to.be.a('number').and.not.equal(0);
    expect(exit.stdout).to.equal('');
  });

  it('exits non-zero without serving when the token lacks scope mcp', async () => {
    const exit = await runToExit(['--token', userReadToken], env);
    expect(exit.code).to.be.a('number').and.not.equal(0);
    expect(exit.stdout).to.equal('');
    expect(exit.stderr).to.include('scope mcp');
  });

  it('exits non-zero naming the audience it needs, not the scope, when the token is for another resource', async () => {
    const exit = await runToExit(['--token', otherAudienceToken], env);
    expect(exit.code).to.equal(77);
    expect(exit.stdout).to.equal('');
    expect(exit.stderr).to.include(mcpResource).and.include('audience');
    expect(exit.stderr).to.not.include('scope');
  });

  it('exits non-zero without serving when no token is given', async () => {
    const exit = await runToExit([], env);
    expect(exit.code).to.be.a('number').and.not.equal(0);
    expect(exit.stdout).to.equal('');
  });
});
