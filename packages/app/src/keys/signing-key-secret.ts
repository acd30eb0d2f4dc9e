import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.js';

/** Where the embedded database's generated secret is kept, beside its files. */
export const SECRET_FILE = 'signing-key-secret';

/** Shared by every in-memory server of one process (tests start several over one database). */
let memorySecret: string | undefined;

/** Raised at start-up when an external PostgreSQL is used without `LATCHKEY_SIGNING_KEY_SECRET`. */
export class MissingSigningKeySecretError extends Error {
  override readonly name = 'MissingSigningKeySecretError';
}

/**
 * The secret that encrypts the private signing keys (docs/openid-connect.md#signing-keys):
 * `LATCHKEY_SIGNING_KEY_SECRET` when set; required with an external PostgreSQL (instances must
 * share it, and the database alone must not be enough to sign); with the embedded database,
 * generated on first start into the data directory (owner-only) with a warning; with in-memory
 * storage, generated in memory, since nothing persists.
 */
export const signingKeySecret = async (config: Config, logger: Logger): Promise<string> => {
  if (config.oidc.signingKeySecret !== undefined) return config.oidc.signingKeySecret;
  if (config.storage === 'memory') {
    memorySecret ??= randomBytes(32).toString('base64url');
    return memorySecret;
  }
  if (config.databaseUrl !== undefined)
    throw new MissingSigningKeySecretError(
      'LATCHKEY_SIGNING_KEY_SECRET must be set (at least 32 characters) when LATCHKEY_DATABASE_URL is: it encrypts the signing keys every instance shares',
    );
  const path = join(resolve(config.dataDir), SECRET_FILE);
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(resolve(config.dataDir), { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString('base64url');
  await writeFile(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  logger.warn(
    { path },
    'generated LATCHKEY_SIGNING_KEY_SECRET into the data directory: back it up with the data, or set the variable',
  );
  return secret;
};
