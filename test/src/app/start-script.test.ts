import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { freePort } from '../support/server.js';

/** The repository root, where `pnpm start` is run (this file is test/dist/app/…). */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const answers = async (url: string): Promise<boolean> => {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return true;
  } catch {
    return false;
  }
};

/** Whether any process of the group `pgid` still runs. */
const groupAlive = (pgid: number): boolean => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Polls `condition` every 50 ms until it holds or `timeoutMs` passes; returns whether it held. */
const eventually = async (
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

describe('pnpm start under a supervisor (docs/deployment.md#the-production-command)', () => {
  it('stops the server when the pnpm process gets SIGTERM, leaving no process behind', async () => {
    const port = await freePort();
    const health = `http://127.0.0.1:${port}/healthz`;
    // A process group of its own, as a supervisor or container runtime starts it: whatever is
    // left of it afterwards is an orphan.
    const pnpm = spawn('pnpm', ['start'], {
      cwd: ROOT,
      detached: true,
      stdio: 'ignore',
      env: {
        ...process.env,
        LATCHKEY_STORAGE: 'memory',
        LATCHKEY_HTTP_ADDRESS: `127.0.0.1:${port}`,
        LATCHKEY_PUBLIC_URL: `http://127.0.0.1:${port}`,
        LATCHKEY_LOG_LEVEL: 'silent',
      },
    });
    const pgid = pnpm.pid;
    if (pgid === undefined) throw new Error('pnpm did not start');
    const exited = once(pnpm, 'exit');
    try {
      expect(await eventually(() => answers(health), 25_000), 'the server never answered').to.equal(true);
      pnpm.kill('SIGTERM');
      await exited;
      expect(await eventually(async () => !(await answers(health)), 5000), 'still answering').to.equal(true);
      expect(await eventually(() => !groupAlive(pgid), 5000), 'a process of it still runs').to.equal(true);
    } finally {
      if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
    }
  });
});

describe('scripts/start.sh, what pnpm start runs after the build (docs/deployment.md#memory)', () => {
  /** The node command line the script runs, with a `node` on PATH that prints its arguments. */
  const nodeArgsFor = (env: Record<string, string>): string => {
    const bin = mkdtempSync(join(tmpdir(), 'latchkey-start-'));
    try {
      writeFileSync(join(bin, 'node'), '#!/bin/sh\necho "$@"\n', { mode: 0o755 });
      return execFileSync('sh', ['scripts/start.sh'], {
        cwd: ROOT,
        env: { PATH: `${bin}:${process.env.PATH ?? ''}`, ...env },
        encoding: 'utf8',
      }).trim();
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  };

  it('leaves the larger young generation out with the embedded database', () => {
    expect(nodeArgsFor({})).to.equal('packages/app/dist/main.js');
  });

  it('gives it to a server on PostgreSQL or on the in-memory store', () => {
    const flagged = '--max-semi-space-size=32 packages/app/dist/main.js';
    expect(nodeArgsFor({ LATCHKEY_DATABASE_URL: 'postgres://db.internal/latchkey' })).to.equal(flagged);
    expect(nodeArgsFor({ LATCHKEY_STORAGE: 'memory' })).to.equal(flagged);
  });
});
