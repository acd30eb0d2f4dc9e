import type { ClientId, CredentialDigest, OAuthClient, UserId } from '@latchkey/domain';
import { expect } from 'chai';
import {
  aClient,
  aClientSecret,
  aCode,
  aGrant,
  anApiKey,
  aPendingAuthorization,
  aRefreshToken,
  anAuditEntry,
  aUser,
  at,
  rejectionOf,
  T0,
  uuid,
} from './fixtures.js';
import { forEachStorage } from './storage-targets.js';

const owner = aUser(1, { role: 'owner' });
const member = aUser(2);

/** A dynamically registered public client with every optional field set. */
const registered = aClient(2, {
  name: 'Claude Desktop (MCP) ✓',
  callbackUrl: 'http://127.0.0.1/callback',
  redirectUris: ['http://127.0.0.1/callback', 'myapp:/cb', 'https://example.com/cb?x=1,2'],
  icon: 'https://example.com/icon.png',
  clientType: 'public',
  dynamicallyRegistered: true,
  grantTypes: ['authorization_code'],
  tokenEndpointAuthMethod: 'none',
  scope: ['user:read', 'mcp', 'odd,{scope}'],
  introspectAny: true,
  metadata: {
    clientName: 'Claude Desktop (MCP) ✓',
    clientUri: 'https://example.com',
    logoUri: 'https://example.com/logo.png',
    tosUri: 'https://example.com/tos',
    policyUri: 'https://example.com/policy',
    jwksUri: 'https://example.com/jwks.json',
    jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'abc', y: 'def' }] },
    contacts: ['admin@example.com', 'ops@example.com'],
    softwareId: 'claude-desktop',
    softwareVersion: '1.2.3',
    applicationType: 'native',
  },
  registrationTokenDigest: 'ab'.repeat(32) as CredentialDigest,
  createdBy: owner.id,
  createdAt: at(5),
  updatedAt: at(6),
});

const ids = (clients: readonly OAuthClient[]): string[] => clients.map((c) => c.id);

describe('the ClientRepository contract', () => {
  forEachStorage((storage) => {
    beforeEach(async () => {
      await storage().users.insert(owner, 'h');
      await storage().users.insert(member, 'h');
    });

    context('a self-registered client, with its secret and audit entry (insertRegistered)', () => {
      const client = aClient(7, { dynamicallyRegistered: true });
      const secret = aClientSecret(7, client.id);
      const audit = anAuditEntry(7, { resourceId: client.id });

      const audited = async () =>
        (await storage().audit.list({ limit: 10, offset: 0 })).entries.map((e) => e.id);

      it('stores all three', async () => {
        await storage().clients.insertRegistered(client, secret, audit);
        expect(await storage().clients.findById(client.id)).to.deep.equal(client);
        expect((await storage().clientSecrets.findWithClient(secret.digest))?.secret).to.deep.equal(secret);
        expect(await audited()).to.deep.equal([audit.id]);
      });

      it('stores a public client without a secret', async () => {
        await storage().clients.insertRegistered(client, undefined, audit);
        expect(await storage().clients.findById(client.id)).to.deep.equal(client);
        expect(await storage().clientSecrets.listForClient(client.id)).to.deep.equal([]);
        expect(await audited()).to.deep.equal([audit.id]);
      });

      it('stores nothing when one part is refused (a secret digest already stored)', async () => {
        const other = aClient(8);
        await storage().clients.insert(other);
        const taken = aClientSecret(8, other.id, { digest: secret.digest });
        expect(await storage().clientSecrets.insert(taken)).to.equal('inserted');
        expect(await rejectionOf(storage().clients.insertRegistered(client, secret, audit))).to.be.instanceOf(
          Error,
        );
        expect(await storage().clients.findById(client.id)).to.equal(undefined);
        expect(await audited()).to.deep.equal([]);
      });
    });

    context('when clients have been inserted', () => {
      const minimal = aClient(1);

      beforeEach(async () => {
        await storage().clients.insert(minimal);
        await storage().clients.insert(registered);
      });

      it('finds each by id with every field as inserted, optional fields absent when unset', async () => {
        expect(await storage().clients.findById(minimal.id)).to.deep.equal(minimal);
        expect(await storage().clients.findById(registered.id)).to.deep.equal(registered);
      });

      it('finds a client by its id in upper case', async () => {
        const upper = minimal.id.toUpperCase() as ClientId;
        expect(await storage().clients.findById(upper)).to.deep.equal(minimal);
      });

      it('answers undefined for an unknown id and for one that is not a UUID', async () => {
        expect(await storage().clients.findById(uuid(0x3999) as ClientId)).to.equal(undefined);
        expect(await storage().clients.findById('not-a-client' as ClientId)).to.equal(undefined);
        expect(await storage().clients.findById(`{${minimal.id}}` as ClientId)).to.equal(undefined);
      });

      it('rejects a second client with the same id', async () => {
        const clash = aClient(3, { id: minimal.id });
        expect(await rejectionOf(storage().clients.insert(clash))).to.be.instanceOf(Error);
      });

      it('rejects a client created by an unknown user', async () => {
        const orphan = aClient(5, { createdBy: uuid(99) as UserId });
        expect(await rejectionOf(storage().clients.insert(orphan))).to.be.instanceOf(Error);
        expect(await storage().clients.findById(orphan.id)).to.equal(undefined);
      });

      it('keeps an empty registered scope apart from none', async () => {
        const empty = aClient(4, { scope: [] });
        await storage().clients.insert(empty);
        expect(await storage().clients.findById(empty.id)).to.deep.equal(empty);
      });

      it('replaces every field on update, clearing the optional ones left out', async () => {
        const replaced = aClient(2, {
          name: 'renamed',
          callbackUrl: 'https://renamed.example.com/cb',
          redirectUris: ['https://renamed.example.com/cb'],
          clientType: 'public',
          tokenEndpointAuthMethod: 'client_secret_post',
          createdAt: at(7),
          updatedAt: at(8),
        });
        expect(await storage().clients.update(replaced)).to.equal(true);
        expect(await storage().clients.findById(registered.id)).to.deep.equal(replaced);
        expect(await storage().clients.findById(minimal.id)).to.deep.equal(minimal);
      });

      it('answers false when updating an unknown client, and stores nothing', async () => {
        const unknown = aClient(9);
        expect(await storage().clients.update(unknown)).to.equal(false);
        expect(await storage().clients.update(aClient(9, { id: 'nope' as ClientId }))).to.equal(false);
        expect(await storage().clients.findById(unknown.id)).to.equal(undefined);
      });

      it('deletes a client once: true, then false, and it is gone', async () => {
        expect(await storage().clients.delete(minimal.id)).to.equal(true);
        expect(await storage().clients.delete(minimal.id)).to.equal(false);
        expect(await storage().clients.findById(minimal.id)).to.equal(undefined);
        expect(await storage().clients.findById(registered.id)).to.deep.equal(registered);
      });

      it('answers false when deleting an unknown client or one that is not a UUID', async () => {
        expect(await storage().clients.delete(uuid(0x3999) as ClientId)).to.equal(false);
        expect(await storage().clients.delete('nope' as ClientId)).to.equal(false);
      });
    });

    context('when listing clients', () => {
      // Byte order, as JavaScript compares: upper case before lower case, ASCII before accents,
      // a prefix before its extensions; equal names by id.
      const clients = [
        aClient(1, { name: 'b' }),
        aClient(2, { name: 'a', dynamicallyRegistered: true }),
        aClient(3, { name: 'B' }),
        aClient(4, { name: 'é', dynamicallyRegistered: true }),
        aClient(5, { name: 'b-2' }),
        aClient(6, { name: 'a', id: uuid(0x3000) as ClientId }),
        aClient(7, { name: 'Z', dynamicallyRegistered: true }),
        aClient(8, { name: 'z' }),
      ];
      const inOrder = [3, 7, 6, 2, 1, 5, 8, 4].map((n) => clients[n - 1]!);

      beforeEach(async () => {
        for (const client of clients) await storage().clients.insert(client);
      });

      it('orders them by name byte-wise, then by id', async () => {
        expect(ids(await storage().clients.list({ limit: 100, offset: 0 }))).to.deep.equal(ids(inOrder));
      });

      it('pages with limit and offset', async () => {
        expect(ids(await storage().clients.list({ limit: 3, offset: 2 }))).to.deep.equal(
          ids(inOrder.slice(2, 5)),
        );
        expect(ids(await storage().clients.list({ limit: 3, offset: 6 }))).to.deep.equal(
          ids(inOrder.slice(6)),
        );
        expect(await storage().clients.list({ limit: 3, offset: 8 })).to.deep.equal([]);
      });

      it('filters on dynamically_registered, in the same order and pages', async () => {
        const dynamic = inOrder.filter((c) => c.dynamicallyRegistered);
        const owned = inOrder.filter((c) => !c.dynamicallyRegistered);
        expect(
          ids(await storage().clients.list({ limit: 100, offset: 0, dynamicallyRegistered: true })),
        ).to.deep.equal(ids(dynamic));
        expect(
          ids(await storage().clients.list({ limit: 100, offset: 0, dynamicallyRegistered: false })),
        ).to.deep.equal(ids(owned));
        expect(
          ids(await storage().clients.list({ limit: 2, offset: 1, dynamicallyRegistered: false })),
        ).to.deep.equal(ids(owned.slice(1, 3)));
      });
    });

    context('when listing the clients a user has granted', () => {
      const now = at(1000);
      const [zeta, alpha, mid, revoked, expired, othersOnly, ungranted] = [
        aClient(1, { name: 'zeta' }),
        aClient(2, { name: 'alpha' }),
        aClient(3, { name: 'mid' }),
        aClient(4, { name: 'revoked' }),
        aClient(5, { name: 'expired' }),
        aClient(6, { name: 'others-only' }),
        aClient(7, { name: 'ungranted' }),
      ] as const;

      beforeEach(async () => {
        for (const client of [zeta, alpha, mid, revoked, expired, othersOnly, ungranted])
          await storage().clients.insert(client);
        const grants = [
          aGrant(1, zeta.id, member.id),
          aGrant(2, alpha.id, member.id),
          // Two live grants for one client: listed once.
          aGrant(3, alpha.id, member.id, { createdAt: at(10) }),
          // A live grant beside a revoked one still counts.
          aGrant(4, mid.id, member.id, { revokedAt: at(5) }),
          aGrant(5, mid.id, member.id),
          aGrant(6, revoked.id, member.id, { revokedAt: at(500) }),
          // Live means expiring strictly after now.
          aGrant(7, expired.id, member.id, { expiresAt: now }),
          aGrant(8, othersOnly.id, owner.id),
        ];
        for (const grant of grants) await storage().grants.insert(grant);
      });

      it('lists each client with a live grant once, by name then id', async () => {
        const listed = await storage().clients.listGrantedTo(member.id, now, { limit: 100, offset: 0 });
        expect(listed).to.deep.equal([alpha, mid, zeta]);
      });

      it('pages with limit and offset', async () => {
        const page = { limit: 1, offset: 1 };
        expect(ids(await storage().clients.listGrantedTo(member.id, now, page))).to.deep.equal([mid.id]);
        const past = { limit: 10, offset: 3 };
        expect(await storage().clients.listGrantedTo(member.id, now, past)).to.deep.equal([]);
      });

      it('judges expiry at the given time, and a revoked grant as dead at any time', async () => {
        const earlier = await storage().clients.listGrantedTo(member.id, at(100), { limit: 100, offset: 0 });
        expect(ids(earlier)).to.deep.equal(ids([alpha, expired, mid, zeta]));
      });

      it('answers an empty list for a user without grants, or an id that is not a UUID', async () => {
        const page = { limit: 100, offset: 0 };
        expect(await storage().clients.listGrantedTo(uuid(99) as UserId, now, page)).to.deep.equal([]);
        expect(await storage().clients.listGrantedTo('nobody' as UserId, now, page)).to.deep.equal([]);
      });
    });

    context('when a client with secrets, grants and tokens is deleted', () => {
      const doomed = aClient(1);
      const kept = aClient(2);
      const doomedSecret = aClientSecret(1, doomed.id);
      const keptSecret = aClientSecret(2, kept.id);
      const doomedGrant = aGrant(1, doomed.id, member.id);
      const keptGrant = aGrant(2, kept.id, member.id);
      const doomedToken = anApiKey(1, member.id, {
        kind: 'access',
        clientId: doomed.id,
        grantId: doomedGrant.id,
        secretId: doomedSecret.id,
      });
      // Linked to the client only, as a token of a public client would be, with no grant.
      const doomedBareToken = anApiKey(2, member.id, { kind: 'access', clientId: doomed.id });
      const keptToken = anApiKey(3, member.id, {
        kind: 'access',
        clientId: kept.id,
        grantId: keptGrant.id,
        secretId: keptSecret.id,
      });
      const session = anApiKey(4, member.id);
      const doomedCode = aCode(1, doomedGrant);
      const keptCode = aCode(2, keptGrant);
      const doomedRefresh = aRefreshToken(1, doomedGrant, { secretId: doomedSecret.id });
      const keptRefresh = aRefreshToken(2, keptGrant, { secretId: keptSecret.id });
      const doomedPending = aPendingAuthorization(1, session.id, member.id, doomed.id);
      const keptPending = aPendingAuthorization(2, session.id, member.id, kept.id);

      beforeEach(async () => {
        await storage().clients.insert(doomed);
        await storage().clients.insert(kept);
        await storage().clientSecrets.insert(doomedSecret);
        await storage().clientSecrets.insert(keptSecret);
        await storage().grants.insert(doomedGrant);
        await storage().grants.insert(keptGrant);
        for (const key of [doomedToken, doomedBareToken, keptToken, session])
          await storage().apiKeys.insert(key);
        await storage().codes.insert(doomedCode);
        await storage().codes.insert(keptCode);
        await storage().refreshTokens.insert(doomedRefresh);
        await storage().refreshTokens.insert(keptRefresh);
        await storage().pendingAuthorizations.insert(doomedPending);
        await storage().pendingAuthorizations.insert(keptPending);
      });

      it('removes its secrets, grants, codes, tokens and consent requests in the same call', async () => {
        expect(await storage().clients.delete(doomed.id)).to.equal(true);
        expect(await storage().clientSecrets.findByDigest(doomedSecret.digest)).to.equal(undefined);
        expect(await storage().clientSecrets.listForClient(doomed.id)).to.deep.equal([]);
        expect(await storage().grants.findById(doomedGrant.id)).to.equal(undefined);
        expect(await storage().apiKeys.findByDigest(doomedToken.digest)).to.equal(undefined);
        expect(await storage().apiKeys.findByDigest(doomedBareToken.digest)).to.equal(undefined);
        expect(await storage().codes.findByDigest(doomedCode.digest)).to.equal(undefined);
        expect(await storage().refreshTokens.findByDigest(doomedRefresh.digest)).to.equal(undefined);
        expect(await storage().pendingAuthorizations.findByDigest(doomedPending.digest)).to.equal(undefined);
        expect(await storage().grants.hasApproved(member.id, doomed.id)).to.equal(false);
      });

      it("leaves other clients' secrets, grants, codes, tokens and requests, and sessions, alone", async () => {
        await storage().clients.delete(doomed.id);
        expect(await storage().clients.findById(kept.id)).to.deep.equal(kept);
        expect(await storage().clientSecrets.findByDigest(keptSecret.digest)).to.deep.equal(keptSecret);
        expect(await storage().grants.findById(keptGrant.id)).to.deep.equal(keptGrant);
        expect(await storage().apiKeys.findByDigest(keptToken.digest)).to.deep.equal(keptToken);
        expect(await storage().apiKeys.findByDigest(session.digest)).to.deep.equal(session);
        expect(await storage().codes.findByDigest(keptCode.digest)).to.deep.equal(keptCode);
        expect(await storage().refreshTokens.findByDigest(keptRefresh.digest)).to.deep.equal(keptRefresh);
        expect(await storage().pendingAuthorizations.findByDigest(keptPending.digest)).to.deep.equal(
          keptPending,
        );
        const page = { limit: 10, offset: 0 };
        expect(await storage().clients.listGrantedTo(member.id, T0, page)).to.deep.equal([kept]);
      });
    });

    context("when recording a client's first token request", () => {
      const client = aClient(3, { dynamicallyRegistered: true });

      beforeEach(() => storage().clients.insert(client));

      it('keeps the first time: later calls change nothing', async () => {
        await storage().clients.recordFirstToken(client.id, at(100));
        await storage().clients.recordFirstToken(client.id, at(200));
        expect(await storage().clients.findById(client.id)).to.deep.equal({
          ...client,
          firstTokenAt: at(100),
        });
      });

      it('changes nothing for an unknown client or an id that is not a UUID', async () => {
        await storage().clients.recordFirstToken(aClient(9).id, at(100));
        await storage().clients.recordFirstToken('nope' as ClientId, at(100));
        expect(await storage().clients.findById(client.id)).to.deep.equal(client);
        expect(await storage().clients.findById(aClient(9).id)).to.equal(undefined);
      });

      it('survives an update made from a read older than it', async () => {
        const read = await storage().clients.findById(client.id);
        expect(read).to.deep.equal(client);
        await storage().clients.recordFirstToken(client.id, at(100));
        expect(await storage().clients.update({ ...client, name: 'renamed' })).to.equal(true);
        expect(await storage().clients.findById(client.id)).to.deep.equal({
          ...client,
          name: 'renamed',
          firstTokenAt: at(100),
        });
      });

      it('is read with the client through one of its secrets', async () => {
        const secret = aClientSecret(3, client.id);
        await storage().clientSecrets.insert(secret);
        await storage().clients.recordFirstToken(client.id, at(100));
        expect(await storage().clientSecrets.findWithClient(secret.digest)).to.deep.equal({
          secret,
          client: { ...client, firstTokenAt: at(100) },
        });
      });
    });

    context('when abandoned registrations are deleted', () => {
      // Registered before 1000 s and never a token request: abandoned. Otherwise idle since 5000 s
      // with no live grant at 10000 s: abandoned.
      const criteria = { registeredBefore: at(1_000), idleSince: at(5_000), now: at(10_000) };
      const dcr = (n: number, overrides: Partial<OAuthClient> = {}) =>
        aClient(10 + n, { dynamicallyRegistered: true, createdAt: at(10), updatedAt: at(10), ...overrides });

      const neverUsed = dcr(1);
      const consentedOnly = dcr(2);
      const young = dcr(3, { createdAt: at(2_000), updatedAt: at(2_000) });
      const live = dcr(4, { firstTokenAt: at(20) });
      const revokedLongAgo = dcr(5, { firstTokenAt: at(20) });
      const endedRecently = dcr(6, { firstTokenAt: at(20) });
      const noGrantLeftOld = dcr(7, { firstTokenAt: at(20) });
      const noGrantLeftRecent = dcr(8, { firstTokenAt: at(6_000) });
      const ownerManaged = aClient(19, { createdAt: at(10), updatedAt: at(10) });
      const grants = [
        aGrant(11, consentedOnly.id, member.id, { expiresAt: at(99_000) }),
        aGrant(12, young.id, member.id, { expiresAt: at(99_000) }),
        aGrant(13, live.id, member.id, { expiresAt: at(99_000) }),
        aGrant(14, live.id, member.id, { expiresAt: at(99_000), revokedAt: at(30) }),
        aGrant(15, revokedLongAgo.id, member.id, { expiresAt: at(99_000), revokedAt: at(4_000) }),
        aGrant(16, endedRecently.id, member.id, { expiresAt: at(6_000) }),
        aGrant(17, endedRecently.id, member.id, { expiresAt: at(99_000), revokedAt: at(3_000) }),
      ];
      const all = [
        neverUsed,
        consentedOnly,
        young,
        live,
        revokedLongAgo,
        endedRecently,
        noGrantLeftOld,
        noGrantLeftRecent,
        ownerManaged,
      ];

      beforeEach(async () => {
        for (const client of all) await storage().clients.insert(client);
        for (const grant of grants) await storage().grants.insert(grant);
      });

      it('deletes those with no token request in their first day, and those idle too long', async () => {
        const deleted = await storage().clients.deleteAbandoned(criteria);
        const expected = [neverUsed, consentedOnly, revokedLongAgo, noGrantLeftOld];
        expect(ids(deleted).sort()).to.deep.equal(ids(expected).sort());
        expect(deleted.find((c) => c.id === revokedLongAgo.id)).to.deep.equal(revokedLongAgo);
        for (const client of expected)
          expect(await storage().clients.findById(client.id)).to.equal(undefined);
        expect(await storage().grants.findById(grants[0]!.id)).to.equal(undefined);
      });

      it('keeps the young, the live, the recently ended and owner-managed ones, untouched', async () => {
        await storage().clients.deleteAbandoned(criteria);
        for (const client of [young, live, endedRecently, noGrantLeftRecent, ownerManaged])
          expect(await storage().clients.findById(client.id)).to.deep.equal(client);
        expect(await storage().clients.deleteAbandoned(criteria)).to.deep.equal([]);
      });
    });
  });
});
