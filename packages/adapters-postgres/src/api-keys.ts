import type { ApiKey, ApiKeyId, ApiKeyRepository, ClientSecretId, CredentialDigest } from '@latchkey/domain';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ApiKeySchema } from './entities.js';
import { toApiKey, toApiKeyRow } from './mappers.js';
import { findOne } from './find-one.js';
import { guarded } from './storage-errors.js';
import { isUuid } from './uuid.js';

/**
 * Session and access tokens in `api_keys`, stored and looked up by SHA-256 digest only, through
 * the unique index `api_keys_digest_key` (docs/http-api.md#credentials-at-rest). This sits on the path of every
 * authenticated request and of the token endpoint, so each method is one native statement:
 * no unit of work, no identity map.
 *
 * @see docs/http-api.md#bearer-tokens, #credentials-at-rest
 */
export class PostgresApiKeyRepository implements ApiKeyRepository {
  constructor(private readonly em: EntityManager) {}

  /** A second key with the same digest is rejected by the unique index, as in memory. */
  insert(key: ApiKey): Promise<void> {
    return guarded(async () => {
      await this.em.insert(ApiKeySchema, toApiKeyRow(key));
    });
  }

  findByDigest(digest: CredentialDigest): Promise<ApiKey | undefined> {
    return guarded(async () => {
      const row = await findOne(this.em, ApiKeySchema, 'digest', digest);
      return row ? toApiKey(row) : undefined;
    });
  }

  delete(id: ApiKeyId): Promise<boolean> {
    return guarded(async () => (await this.em.nativeDelete(ApiKeySchema, { id })) > 0);
  }

  /** One conditional update, so that two concurrent revocations cannot both report `true`. */
  revoke(id: ApiKeyId, at: Date): Promise<boolean> {
    return guarded(
      async () => (await this.em.nativeUpdate(ApiKeySchema, { id, revokedAt: null }, { revokedAt: at })) > 0,
    );
  }

  /** One update over the keys linked to the secret (`api_keys_secret_id_idx`) that are not yet revoked. */
  revokeObtainedWithSecret(secretId: ClientSecretId, at: Date): Promise<number> {
    if (!isUuid(secretId)) return Promise.resolve(0);
    return guarded(() =>
      this.em.nativeUpdate(ApiKeySchema, { secretId, revokedAt: null }, { revokedAt: at }),
    );
  }

  deleteExpired(before: Date): Promise<number> {
    return guarded(() => this.em.nativeDelete(ApiKeySchema, { expiresAt: { $lt: before } }));
  }
}
