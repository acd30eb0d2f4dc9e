import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createLogger,
  decodeConfig,
  MissingSigningKeySecretError,
  signingKeySecret,
  type Config,
} from '@latchkey/app';
import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';

const configOf = (env: Record<string, string>): Config => {
  const decoded = decodeConfig(env);
  if (E.isLeft(decoded)) throw new Error(decoded.left.join('; '));
  return decoded.right;
};

const problems = (env: Record<string, string>): string[] => {
  const decoded = decodeConfig(env);
  return E.isLeft(decoded) ? decoded.left : [];
};

describe('OpenID Connect settings (docs/openid-connect.md#configuration)', () => {
  it('has the documented defaults', () => {
    expect(configOf({}).oidc).to.deep.equal({
      signingKeySecret: undefined,
      signingKeyPrePublishSeconds: 86_400,
      signingKeyRotationSeconds: 90 * 86_400,
      signingAlg: 'ES256',
      idTokenTtlSeconds: 3600,
      jwtAccessTokenTtlSeconds: 300,
      jwtResources: [],
    });
  });

  it('refuses a short secret, an unknown algorithm and a JWT resource that is not allowed', () => {
    expect(problems({ LATCHKEY_SIGNING_KEY_SECRET: 'short' })[0]).to.match(/^LATCHKEY_SIGNING_KEY_SECRET /);
    expect(problems({ LATCHKEY_ID_TOKEN_SIGNING_ALG: 'HS256' })[0]).to.match(
      /^LATCHKEY_ID_TOKEN_SIGNING_ALG /,
    );
    expect(problems({ LATCHKEY_JWT_RESOURCES: 'https://api.example.com' })[0]).to.match(
      /^LATCHKEY_JWT_RESOURCES /,
    );
    expect(
      problems({
        LATCHKEY_ALLOWED_RESOURCES: 'https://api.example.com',
        LATCHKEY_JWT_RESOURCES: 'https://API.example.com/',
      }),
    ).to.deep.equal([]);
  });

  describe('the secret that encrypts the signing keys', () => {
    let dataDir: string;
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => lines.push(line) });
    beforeEach(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'latchkey-secret-'));
      lines.length = 0;
    });
    afterEach(() => rm(dataDir, { recursive: true, force: true }));

    it('is required with an external PostgreSQL', async () => {
      let failure: unknown;
      await signingKeySecret(
        configOf({ LATCHKEY_DATABASE_URL: 'postgres://db.example.com/latchkey' }),
        logger,
      ).catch((error: unknown) => (failure = error));
      expect(failure).to.be.instanceOf(MissingSigningKeySecretError);
    });

    it('is generated into the embedded database’s directory, owner-only, with a warning, then reused', async () => {
      const config = configOf({ LATCHKEY_DATA_DIR: dataDir });
      const first = await signingKeySecret(config, logger);
      expect(first.length).to.be.at.least(32);
      const file = join(dataDir, 'signing-key-secret');
      expect((await stat(file)).mode & 0o777).to.equal(0o600);
      expect((await readFile(file, 'utf8')).trim()).to.equal(first);
      expect(lines.map((l) => (JSON.parse(l) as { level: number }).level)).to.include(40);
      expect(await signingKeySecret(config, logger)).to.equal(first);
    });

    it('is the configured one when set', async () => {
      const secret = 'x'.repeat(40);
      expect(
        await signingKeySecret(
          configOf({
            LATCHKEY_DATABASE_URL: 'postgres://db.example.com/l',
            LATCHKEY_SIGNING_KEY_SECRET: secret,
          }),
          logger,
        ),
      ).to.equal(secret);
    });
  });
});
