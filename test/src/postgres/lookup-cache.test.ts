import { changesCachedRows, UserSchema } from '@latchkey/adapters-postgres';
import type { ApiKey } from '@latchkey/domain';
import { expect } from 'chai';
import { aClient, aClientSecret, aGrant, anAccessToken, anApiKey, at, aUser } from '../contract/fixtures.js';
import { withPostgres, type PostgresHarness } from '../support/postgres.js';

/*
 * The lookup cache of the PostgreSQL storage (docs/scaling.md#the-lookup-cache): a change made
 * through this storage is seen at once; a change made elsewhere (another instance, here a
 * statement sent beside the gateway) only once the entry expires.
 */

describe('which statements make the lookup cache stale', () => {
  const rows: [string, boolean][] = [
    ['update api_keys set revoked_at = $2 where id = $1', true],
    ['delete from api_keys where expires_at < $1', true],
    ['UPDATE "users" SET password_hash = $2 WHERE id = $1', true],
    ['delete from oauth2_clients where id = $1', true],
    ['delete from oauth2_client_secrets where id = $1 and client_id = $2', true],
    ['with g as (update oauth2_grants set revoked_at = $2 where id = $1 returning id) select 1', true],
    ['delete from oauth2_grants where expires_at < $1', true],
    ['truncate table oauth2_pending_authorizations, api_keys', true],
    [
      'insert into oauth2_clients (id) values ($1) on conflict (metadata_document_url) do update set name = $2',
      true,
    ],
    ['insert into api_keys (id, digest) values ($1, $2)', false],
    ['select * from api_keys where digest = $1 limit 1', false],
    ['update oauth2_codes set consumed_at = $2 where id = $1', false],
    ['update oauth2_refresh_tokens r set rotated_at = $2 where r.id = $1', false],
    ['delete from oauth2_pending_authorizations where expires_at < $1', false],
    ['insert into audit_logs (id) values ($1)', false],
    ['update users_archive set x = 1', false],
  ];
  for (const [text, stale] of rows)
    it(`${stale ? 'stale' : 'fresh'} after: ${text}`, () => {
      expect(changesCachedRows(text)).to.equal(stale);
    });
});

describe('the lookup cache of the PostgreSQL storage', () => {
  let harness: PostgresHarness;
  let clock = 0;
  const TTL_MS = 1_000;

  /** A change made beside the gateway, as another instance's would be. */
  const elsewhere = (sql: string, values: unknown[]) =>
    harness.storage.orm.em.getConnection().execute(sql, values);

  before(async () => {
    harness = await withPostgres({ lookupCache: { ttlMs: TTL_MS, now: () => clock } });
  });
  beforeEach(async () => {
    await harness.truncate();
    harness.storage.sql.forgetLookups();
    clock = 0;
  });
  after(() => harness.cleanup());

  const user = aUser(1);
  const client = aClient(1);
  const grant = aGrant(1, client.id, user.id);

  const seed = async (): Promise<ApiKey> => {
    const { storage } = harness;
    await storage.users.insert(user, 'hash');
    await storage.clients.insert(client);
    await storage.grants.insert(grant);
    const token = anAccessToken(1, grant);
    await storage.apiKeys.insert(token);
    return token;
  };

  it('serves a token from memory until it expires, then reads the change made elsewhere', async () => {
    const token = await seed();
    expect((await harness.storage.apiKeys.findByDigest(token.digest))?.revokedAt).to.equal(undefined);
    await elsewhere('update api_keys set revoked_at = ? where id = ?', [at(10), token.id]);
    clock = TTL_MS - 1;
    expect((await harness.storage.apiKeys.findByDigest(token.digest))?.revokedAt).to.equal(undefined);
    clock = TTL_MS;
    expect((await harness.storage.apiKeys.findByDigest(token.digest))?.revokedAt).to.deep.equal(at(10));
  });

  it('sees a revocation made through this storage at once', async () => {
    const token = await seed();
    await harness.storage.apiKeys.findByDigest(token.digest);
    expect(await harness.storage.apiKeys.revoke(token.id, at(10))).to.equal(true);
    expect((await harness.storage.apiKeys.findByDigest(token.digest))?.revokedAt).to.deep.equal(at(10));
  });

  it('sees a grant revocation, which revokes its tokens, at once', async () => {
    const token = await seed();
    await harness.storage.apiKeys.findByDigest(token.digest);
    expect(await harness.storage.grants.revoke(grant.id, at(10))).to.equal(true);
    expect((await harness.storage.apiKeys.findByDigest(token.digest))?.revokedAt).to.deep.equal(at(10));
  });

  it('sees a change committed by a transaction at once', async () => {
    const token = await seed();
    await harness.storage.users.findById(user.id);
    await harness.storage.sql.transaction(async (tx) => {
      await tx.count({ text: 'delete from users where id = $1' }, [user.id]);
      expect(await tx.lookup(UserSchema, 'id', user.id, (row) => row.id)).to.equal(undefined);
    });
    expect(await harness.storage.users.findById(user.id)).to.equal(undefined);
    // The cascade removed the token as well.
    expect(await harness.storage.apiKeys.findByDigest(token.digest)).to.equal(undefined);
  });

  it('forgets a client secret deleted through this storage at once', async () => {
    await seed();
    const secret = aClientSecret(1, client.id);
    expect(await harness.storage.clientSecrets.insert(secret)).to.equal('inserted');
    expect((await harness.storage.clientSecrets.findWithClient(secret.digest))?.secret.id).to.equal(
      secret.id,
    );
    expect(await harness.storage.clientSecrets.delete(client.id, secret.id)).to.equal(true);
    expect(await harness.storage.clientSecrets.findWithClient(secret.digest)).to.equal(undefined);
  });

  it('sees a client changed through this storage at once', async () => {
    await seed();
    await harness.storage.clients.findById(client.id);
    expect(await harness.storage.clients.update({ ...client, name: 'renamed', updatedAt: at(20) })).to.equal(
      true,
    );
    expect((await harness.storage.clients.findById(client.id))?.name).to.equal('renamed');
  });

  it('keeps serving its entries through bookkeeping writes (the last use of a session or a secret)', async () => {
    const token = await seed();
    const session = anApiKey(8, user.id);
    await harness.storage.apiKeys.insert(session);
    await harness.storage.apiKeys.findByDigest(token.digest);
    await elsewhere('update api_keys set revoked_at = ? where id = ?', [at(10), token.id]);
    await harness.storage.apiKeys.recordSessionUse(session.id, at(20));
    await harness.storage.clients.recordFirstToken(client.id, at(20));
    // Still the entry read before the change made elsewhere: the bookkeeping did not flush it.
    expect((await harness.storage.apiKeys.findByDigest(token.digest))?.revokedAt).to.equal(undefined);
    clock = TTL_MS;
    expect((await harness.storage.apiKeys.findByDigest(token.digest))?.revokedAt).to.deep.equal(at(10));
  });

  it('does not cache a miss: a token inserted after a failed lookup is found', async () => {
    await seed();
    const later = anApiKey(7, user.id);
    expect(await harness.storage.apiKeys.findByDigest(later.digest)).to.equal(undefined);
    await harness.storage.apiKeys.insert(later);
    expect((await harness.storage.apiKeys.findByDigest(later.digest))?.id).to.equal(later.id);
  });
});
