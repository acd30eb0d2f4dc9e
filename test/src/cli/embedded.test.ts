import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { introspect, obtainTokens } from '../oauth/flow-helpers.js';
import { copyInitialisedDataDir } from '../support/postgres.js';
import { startTestServer } from '../support/server.js';
import { cliClient, errorOf, harnessFor, jsonOf, latchkey } from './run-cli.js';

const OWNER = {
  email: 'embedded-owner@example.com',
  username: 'embedded-owner',
  password: 'owner password 1',
};

describe('the admin CLI on the embedded database (docs/cli.md#the-embedded-database)', function () {
  // Each run opens the embedded database in a process of its own: seconds, not milliseconds.
  this.timeout(300_000);
  let dir: string;
  let dataDir: string;
  let env: Record<string, string>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'latchkey-cli-'));
    dataDir = join(dir, 'data');
    await copyInitialisedDataDir(dataDir);
    env = { LATCHKEY_DATA_DIR: dataDir, LATCHKEY_SCRYPT_LOG_N: '10' };
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('sets up users and apps that a server on the same directory then serves, and refuses to run while it does', async () => {
    const migrated = jsonOf<{ applied: string[] }>(await latchkey(['migrate', '--json'], env));
    expect(migrated.applied).to.have.length.greaterThan(0);
    const owner = jsonOf(
      await latchkey(
        ['user', 'create', '--email', OWNER.email, '--username', OWNER.username, '--owner', '--json'],
        {
          ...env,
          LATCHKEY_USER_PASSWORD: OWNER.password,
        },
      ),
    );
    expect(owner).to.include({ role: 'owner' });
    const app = jsonOf(
      await latchkey(
        ['app', 'create', '--name', 'local', '--callback-url', 'https://local.example.com/cb', '--json'],
        env,
      ),
    );
    const secret = jsonOf<{ id: string; client_secret_full: string }>(
      await latchkey(['secret', 'create', app.id as string, '--json'], env),
    );
    // Every run gave the directory up as it exited.
    expect(existsSync(join(dataDir, 'latchkey.pid'))).to.equal(false);

    const server = await startTestServer({ LATCHKEY_STORAGE: 'postgres', LATCHKEY_DATA_DIR: dataDir });
    try {
      const h = await harnessFor(server, OWNER.email, OWNER.password);
      const client = cliClient(app, secret);
      const tokens = await obtainTokens(h, client);
      expect((await introspect(h.url, client, tokens.access_token)).body).to.include({ active: true });

      const refused = errorOf(await latchkey(['user', 'list', '--json'], env), 4);
      expect(refused.kind).to.equal('data_directory_in_use');
      expect(refused.holder).to.include({ pid: process.pid });
      // The server's claim is untouched.
      const holder = JSON.parse(await readFile(join(dataDir, 'latchkey.pid'), 'utf8')) as { pid: number };
      expect(holder.pid).to.equal(process.pid);
      const human = await latchkey(['user', 'list'], env);
      expect(human.code).to.equal(4);
      expect(human.stderr).to.include(String(process.pid));
    } finally {
      await server.stop();
    }

    const users = jsonOf<{ email: string }[]>(await latchkey(['user', 'list', '--json'], env));
    expect(users.map((u) => u.email)).to.deep.equal([OWNER.email]);
    expect(existsSync(join(dataDir, 'latchkey.pid'))).to.equal(false);
  });
});
