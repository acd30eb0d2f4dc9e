import type {
  ApiKey,
  ApiKeyId,
  ApiKeyRepository,
  ClientSecretId,
  CredentialDigest,
  SessionSelection,
  UserId,
} from '@latchkey/domain';
import { ApiKeySchema } from './entities.js';
import type { Sql, Statement } from './gateway.js';
import { toApiKey, toApiKeyRow } from './mappers.js';
import { isUuid } from './uuid.js';

const DELETE = { text: 'delete from api_keys where id = $1' };
const REVOKE = { text: 'update api_keys set revoked_at = $2 where id = $1 and revoked_at is null' };
const REVOKE_OBTAINED_WITH_SECRET = {
  text: 'update api_keys set revoked_at = $2 where secret_id = $1 and revoked_at is null',
};
const DELETE_EXPIRED = { text: 'delete from api_keys where expires_at < $1' };
const RECORD_SESSION_USE: Statement = {
  bookkeeping: true,
  text: `update api_keys set last_used_at = $2 where id = $1 and kind = 'session'`,
};
const LIST_SESSIONS = {
  text: `select * from api_keys where user_id = $1 and kind = 'session' and expires_at > $2
          order by created_at desc, id asc`,
};
const DELETE_SESSION = {
  text: `delete from api_keys where user_id = $1 and kind = 'session' and id = $2`,
};
const DELETE_OTHER_SESSIONS = {
  text: `delete from api_keys where user_id = $1 and kind = 'session' and id <> $2`,
};

/**
 * Session and access tokens in `api_keys`, stored and looked up by SHA-256 digest only, through
 * the unique index `api_keys_digest_key` (docs/http-api.md#credentials-at-rest). This sits on the path of every
 * authenticated request and of the token endpoint, so each method is one statement.
 *
 * @see docs/http-api.md#bearer-tokens, #credentials-at-rest
 */
export class PostgresApiKeyRepository implements ApiKeyRepository {
  constructor(private readonly sql: Sql) {}

  /** A second key with the same digest is rejected by the unique index, as in memory. */
  insert(key: ApiKey): Promise<void> {
    return this.sql.insert(ApiKeySchema, toApiKeyRow(key));
  }

  findByDigest(digest: CredentialDigest): Promise<ApiKey | undefined> {
    return this.sql.remembered(`api_keys.digest:${digest}`, () =>
      this.sql.lookup(ApiKeySchema, 'digest', digest, toApiKey),
    );
  }

  async delete(id: ApiKeyId): Promise<boolean> {
    return (await this.sql.count(DELETE, [id])) > 0;
  }

  /** One conditional update, so that two concurrent revocations cannot both report `true`. */
  async revoke(id: ApiKeyId, at: Date): Promise<boolean> {
    return (await this.sql.count(REVOKE, [id, at])) > 0;
  }

  /** One update over the keys linked to the secret (`api_keys_secret_id_idx`) that are not yet revoked. */
  revokeObtainedWithSecret(secretId: ClientSecretId, at: Date): Promise<number> {
    if (!isUuid(secretId)) return Promise.resolve(0);
    return this.sql.count(REVOKE_OBTAINED_WITH_SECRET, [secretId, at]);
  }

  async recordSessionUse(id: ApiKeyId, at: Date): Promise<void> {
    if (!isUuid(id)) return;
    await this.sql.count(RECORD_SESSION_USE, [id, at]);
  }

  listSessions(userId: UserId, now: Date): Promise<ApiKey[]> {
    if (!isUuid(userId)) return Promise.resolve([]);
    return this.sql.entities(ApiKeySchema, LIST_SESSIONS, [userId, now], toApiKey);
  }

  /** One statement; the cascade removes the sessions' pending consent requests. */
  deleteSessions(userId: UserId, which: SessionSelection): Promise<number> {
    const id = 'only' in which ? which.only : which.except;
    if (!isUuid(userId) || !isUuid(id)) return Promise.resolve(0);
    return this.sql.count('only' in which ? DELETE_SESSION : DELETE_OTHER_SESSIONS, [userId, id]);
  }

  deleteExpired(before: Date): Promise<number> {
    return this.sql.count(DELETE_EXPIRED, [before]);
  }
}
