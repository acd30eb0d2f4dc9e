import { isSigningAlgorithm, type SigningKey, type SigningKeyRepository } from '@latchkey/domain';
import { SigningKeySchema, type SigningKeyRow } from './entities.js';
import type { Sql } from './gateway.js';
import { UnexpectedRowError } from './mappers.js';

const toRow = (key: SigningKey): SigningKeyRow => ({
  kid: key.kid,
  alg: key.alg,
  generation: key.generation,
  publicJwk: JSON.stringify(key.publicJwk),
  sealedPrivateKey: key.sealedPrivateKey,
  createdAt: key.createdAt,
  activatesAt: key.activatesAt,
});

const toSigningKey = (row: SigningKeyRow): SigningKey => {
  if (!isSigningAlgorithm(row.alg)) throw new UnexpectedRowError('signing_keys', 'alg', row.alg);
  return {
    kid: row.kid,
    alg: row.alg,
    generation: row.generation,
    publicJwk: JSON.parse(row.publicJwk) as Record<string, unknown>,
    sealedPrivateKey: row.sealedPrivateKey,
    createdAt: row.createdAt,
    activatesAt: row.activatesAt,
  };
};

/**
 * `signing_keys` (docs/openid-connect.md#signing-keys). An insert that finds its algorithm and
 * generation taken does nothing (`on conflict do nothing`), so concurrent first starts and
 * rotations add one key, not two.
 */
export class PostgresSigningKeyRepository implements SigningKeyRepository {
  constructor(private readonly sql: Sql) {}

  list(): Promise<SigningKey[]> {
    return this.sql.entities(SigningKeySchema, { text: 'select * from signing_keys' }, [], toSigningKey);
  }

  async insert(key: SigningKey): Promise<boolean> {
    const row = toRow(key);
    const inserted = await this.sql.count(
      {
        text: `insert into signing_keys (kid, alg, generation, public_jwk, sealed_private_key, created_at, activates_at)
          values ($1, $2, $3, $4, $5, $6, $7) on conflict do nothing`,
      },
      [row.kid, row.alg, row.generation, row.publicJwk, row.sealedPrivateKey, row.createdAt, row.activatesAt],
    );
    return inserted === 1;
  }

  delete(kids: readonly string[]): Promise<number> {
    if (kids.length === 0) return Promise.resolve(0);
    return this.sql.count({ text: 'delete from signing_keys where kid = any($1::text[])' }, [kids]);
  }
}
