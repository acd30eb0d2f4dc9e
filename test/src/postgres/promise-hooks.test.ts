import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';

const PROBE = fileURLToPath(new URL('../support/promise-hooks-probe.js', import.meta.url));

describe('PostgreSQL transactions and Node promise hooks', () => {
  it('commit and roll back without switching promise hooks on for the rest of the process', async () => {
    // A process of its own: in this one, anything else may have switched them on already.
    const { stdout } = await promisify(execFile)(process.execPath, [PROBE], { env: process.env });
    const seen = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    expect(seen).to.include({ committed: true, rolledBack: true, afterTransactions: 0 });
    // The probe does see promise hooks once an AsyncLocalStorage has run.
    expect(seen.afterAsyncLocalStorage).to.be.a('number').and.not.equal(0);
  });
});
