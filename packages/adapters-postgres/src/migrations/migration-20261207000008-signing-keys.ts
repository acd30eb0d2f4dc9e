import { Migration } from '@mikro-orm/migrations';

/**
 * The keys that sign ID tokens and JWT access tokens (docs/openid-connect.md#signing-keys),
 * shared by every instance. `(alg, generation)` is unique: of two instances that add the first
 * key, or rotate, at the same moment, one insert wins and the other finds its number taken. The
 * private key is stored encrypted (AES-256-GCM with `LATCHKEY_SIGNING_KEY_SECRET`).
 */
export class Migration20261207000008SigningKeys extends Migration {
  override up(): void {
    this.addSql(`create table signing_keys (
      kid text primary key,
      alg text not null check (alg in ('ES256', 'RS256')),
      generation integer not null check (generation > 0),
      public_jwk text not null,
      sealed_private_key text not null,
      created_at timestamptz not null,
      activates_at timestamptz not null,
      constraint signing_keys_alg_generation_key unique (alg, generation)
    )`);
  }

  override down(): void {
    this.addSql('drop table if exists signing_keys');
  }
}
