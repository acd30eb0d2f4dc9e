import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { runCli } from '@latchkey/app';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { adminApi } from '../http/admin-api.js';
import type { OAuthClient, OAuthHarness } from '../oauth/flow-helpers.js';
import { login, postJson, type TestServer } from '../support/server.js';

/** `packages/app/dist/cli.js`, the `latchkey` bin, beside the app package's entry point. */
export const CLI_ENTRY = fileURLToPath(new URL('./cli.js', import.meta.resolve('@latchkey/app')));

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the compiled CLI as an operator would, in a process of its own with only `env` (and PATH)
 * for settings, `stdin` written to its standard input.
 */
export const latchkey = (args: readonly string[], env: Record<string, string>, stdin = ''): Promise<CliRun> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_ENTRY, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`latchkey ${args.join(' ')} did not exit; stderr: ${stderr}`));
    }, 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin);
  });

/**
 * The same command run in this process through the CLI's own entry function, with `env` (and
 * PATH) for settings: what differs from `latchkey` is only that no Node process starts, which
 * costs most of a run against a PostgreSQL server. The exit statuses and the process boundary
 * itself are tested with `latchkey` (usage.test.ts, embedded.test.ts).
 */
export const latchkeyHere = async (
  args: readonly string[],
  env: Record<string, string>,
  stdin = '',
): Promise<CliRun> => {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdin: Readable.from(stdin === '' ? [] : [Buffer.from(stdin)]),
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
};

/** The one JSON line a successful `--json` run prints. */
export const jsonOf = <T = Record<string, unknown>>(run: CliRun): T => {
  expect(run.code, run.stderr).to.equal(0);
  const lines = run.stdout.split('\n').filter((line) => line !== '');
  expect(lines, run.stdout).to.have.length(1);
  return JSON.parse(lines[0] ?? '') as T;
};

/** The error a failed `--json` run prints on stderr, with its exit status checked. */
export const errorOf = (
  run: CliRun,
  code: number,
): { kind: string; message: string } & Record<string, unknown> => {
  expect(run.code, `stdout: ${run.stdout}\nstderr: ${run.stderr}`).to.equal(code);
  expect(run.stdout).to.equal('');
  const lines = run.stderr.split('\n').filter((line) => line !== '');
  expect(lines, run.stderr).to.have.length(1);
  const body = JSON.parse(lines[0] ?? '') as {
    error: { kind: string; message: string } & Record<string, unknown>;
  };
  expect(body.error.message).to.be.a('string');
  return body.error;
};

/** The status of a JSON login (docs/http-api.md#login). */
export const loginStatus = async (url: string, email: string, password: string): Promise<number> =>
  (await postJson(`${url}/api/v2/users/login`, { email, password })).status;

/** A harness for the OAuth helpers: `server` with `email` signed in. */
export const harnessFor = async (
  server: TestServer,
  email: string,
  password: string,
): Promise<OAuthHarness> => {
  const session = await login(server.url, email, password);
  return { server, url: server.url, session, api: adminApi(server.url, session) };
};

/** An app the CLI created, with the secret the CLI printed, as the OAuth helpers take a client. */
export const cliClient = (
  app: Record<string, unknown>,
  secret: { id: string; client_secret_full: string },
): OAuthClient =>
  ({
    id: app.id as string,
    type: 'confidential',
    secret: secret.client_secret_full,
    secretId: secret.id,
    redirectUri: app.callback_url as string,
    app: app as unknown as OAuthClient['app'],
  }) satisfies OAuthClient;
