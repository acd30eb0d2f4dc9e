import { spawn } from 'node:child_process';
import { once } from 'node:events';
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
