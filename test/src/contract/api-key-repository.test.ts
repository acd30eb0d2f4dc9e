import type { ApiKey, ClientSecretId, CredentialDigest } from '@latchkey/domain';
import { expect } from 'chai';
import { aClient, aClientSecret, aGrant, anApiKey, aUser, at, rejectionOf, uuid } from './fixtures.js';
import { forEachStorage } from './storage-targets.js';

const owner = aUser(1);
const client = aClient(1);
const secret = aClientSecret(1, client.id);
const otherSecret = aClientSecret(2, client.id);
const grant = aGrant(1, client.id, owner.id);
const digestOf = (key: ApiKey): CredentialDigest => key.digest;

describe('the ApiKeyRepository contract', () => {
  forEachStorage((storage) => {
    beforeEach(async () => {
      await storage().users.insert(owner, 'h');
      await storage().clients.insert(client);
      await storage().clientSecrets.insert(secret);
      await storage().clientSecrets.insert(otherSecret);
      await storage().grants.insert(grant);
    });

    context('when keys have been inserted', () => {
      const session = anApiKey(1, owner.id);
      const access = anApiKey(2, owner.id, {
        kind: 'access',
        scopes: ['user:read', 'mcp', 'odd,{scope}'],
        audience: 'https://api.example.com/mcp',
        clientId: client.id,
        grantId: grant.id,
        secretId: secret.id,
      });

      beforeEach(async () => {
        await storage().apiKeys.insert(session);
        await storage().apiKeys.insert(access);
      });

      it('finds each by digest with every field as inserted, optional fields absent when unset', async () => {
        expect(await storage().apiKeys.findByDigest(digestOf(session))).to.deep.equal(session);
        expect(await storage().apiKeys.findByDigest(digestOf(access))).to.deep.equal(access);
      });

      it('answers undefined for an unknown digest', async () => {
        expect(await storage().apiKeys.findByDigest('f'.repeat(64) as CredentialDigest)).to.equal(undefined);
      });

      it('rejects a second key with the same digest', async () => {
        const clash = anApiKey(3, owner.id, { digest: session.digest });
        expect(await rejectionOf(storage().apiKeys.insert(clash))).to.be.instanceOf(Error);
      });

      it('rejects a key linked to an unknown client, grant or secret', async () => {
        const unknown = uuid(0x9999);
        const links = [
          { clientId: unknown },
          { grantId: unknown },
          { secretId: unknown },
        ] as Partial<ApiKey>[];
        for (const [i, link] of links.entries()) {
          const orphan = anApiKey(10 + i, owner.id, { kind: 'access', clientId: client.id, ...link });
          expect(await rejectionOf(storage().apiKeys.insert(orphan))).to.be.instanceOf(Error);
          expect(await storage().apiKeys.findByDigest(orphan.digest)).to.equal(undefined);
        }
      });

      it('stores a client credentials token, which has no user, and finds it without one', async () => {
        const { userId: _none, ...machine } = anApiKey(20, owner.id, {
          kind: 'access',
          scopes: ['reports:read'],
          audience: 'https://reports.example.com',
          clientId: client.id,
          secretId: secret.id,
        });
        await storage().apiKeys.insert(machine);
        const found = await storage().apiKeys.findByDigest(machine.digest);
        expect(found).to.deep.equal(machine);
        expect(found).to.not.have.property('userId');
        expect(await storage().apiKeys.revokeObtainedWithSecret(secret.id, at(60))).to.equal(2);
      });

      it('rejects a key without a user unless it is a client access token outside any grant', async () => {
        const userless = (n: number, overrides: Partial<ApiKey>): ApiKey => {
          const { userId: _none, ...key } = anApiKey(n, owner.id, overrides);
          return key;
        };
        const refused = [
          userless(30, {}),
          userless(31, { kind: 'access' }),
          userless(32, { kind: 'access', clientId: client.id, grantId: grant.id }),
        ];
        for (const key of refused) {
          expect(await rejectionOf(storage().apiKeys.insert(key))).to.be.instanceOf(Error);
          expect(await storage().apiKeys.findByDigest(key.digest)).to.equal(undefined);
        }
      });

      it('revokes a key once: true, then false', async () => {
        expect(await storage().apiKeys.revoke(session.id, at(60))).to.equal(true);
        expect(await storage().apiKeys.revoke(session.id, at(120))).to.equal(false);
        expect(await storage().apiKeys.findByDigest(session.digest)).to.deep.equal({
          ...session,
          revokedAt: at(60),
        });
      });

      it('answers false when revoking or deleting an unknown key', async () => {
        const unknown = anApiKey(9, owner.id).id;
        expect(await storage().apiKeys.revoke(unknown, at(60))).to.equal(false);
        expect(await storage().apiKeys.delete(unknown)).to.equal(false);
      });

      it('deletes a key once: true, then false, and it is gone', async () => {
        expect(await storage().apiKeys.delete(session.id)).to.equal(true);
        expect(await storage().apiKeys.delete(session.id)).to.equal(false);
        expect(await storage().apiKeys.findByDigest(session.digest)).to.equal(undefined);
        expect(await storage().apiKeys.findByDigest(access.digest)).to.deep.equal(access);
      });
    });

    context('when access tokens were obtained with client secrets', () => {
      const live = anApiKey(1, owner.id, {
        kind: 'access',
        clientId: client.id,
        grantId: grant.id,
        secretId: secret.id,
      });
      const alsoLive = anApiKey(2, owner.id, { kind: 'access', clientId: client.id, secretId: secret.id });
      const alreadyRevoked = anApiKey(3, owner.id, {
        kind: 'access',
        clientId: client.id,
        secretId: secret.id,
        revokedAt: at(10),
      });
      const otherSecrets = anApiKey(4, owner.id, {
        kind: 'access',
        clientId: client.id,
        secretId: otherSecret.id,
      });
      const noSecret = anApiKey(5, owner.id, { kind: 'access', clientId: client.id, grantId: grant.id });
      const session = anApiKey(6, owner.id);

      beforeEach(async () => {
        for (const key of [live, alsoLive, alreadyRevoked, otherSecrets, noSecret, session])
          await storage().apiKeys.insert(key);
      });

      it("revokes only that secret's unrevoked keys and counts them", async () => {
        expect(await storage().apiKeys.revokeObtainedWithSecret(secret.id, at(60))).to.equal(2);
        expect(await storage().apiKeys.findByDigest(live.digest)).to.deep.equal({
          ...live,
          revokedAt: at(60),
        });
        expect(await storage().apiKeys.findByDigest(alsoLive.digest)).to.deep.equal({
          ...alsoLive,
          revokedAt: at(60),
        });
        expect(await storage().apiKeys.findByDigest(alreadyRevoked.digest)).to.deep.equal(alreadyRevoked);
        for (const untouched of [otherSecrets, noSecret, session])
          expect(await storage().apiKeys.findByDigest(untouched.digest)).to.deep.equal(untouched);
      });

      it('counts nothing the second time', async () => {
        await storage().apiKeys.revokeObtainedWithSecret(secret.id, at(60));
        expect(await storage().apiKeys.revokeObtainedWithSecret(secret.id, at(120))).to.equal(0);
        expect(await storage().apiKeys.findByDigest(live.digest)).to.deep.equal({
          ...live,
          revokedAt: at(60),
        });
      });

      it('counts nothing for an unknown secret or an id that is not a UUID', async () => {
        expect(
          await storage().apiKeys.revokeObtainedWithSecret(uuid(0x4999) as ClientSecretId, at(60)),
        ).to.equal(0);
        expect(await storage().apiKeys.revokeObtainedWithSecret('nope' as ClientSecretId, at(60))).to.equal(
          0,
        );
      });
    });

    context('when keys expire at different times', () => {
      const keys = [
        anApiKey(1, owner.id, { expiresAt: at(10) }),
        anApiKey(2, owner.id, { expiresAt: at(20) }),
        anApiKey(3, owner.id, { expiresAt: at(30) }),
      ];

      beforeEach(async () => {
        for (const key of keys) await storage().apiKeys.insert(key);
      });

      it('still finds an expired key by digest', async () => {
        expect(await storage().apiKeys.findByDigest(keys[0]!.digest)).to.deep.equal(keys[0]);
      });

      it('deletes only keys that expired strictly before the cut-off and counts them', async () => {
        expect(await storage().apiKeys.deleteExpired(at(20))).to.equal(1);
        expect(await storage().apiKeys.findByDigest(keys[0]!.digest)).to.equal(undefined);
        expect(await storage().apiKeys.findByDigest(keys[1]!.digest)).to.deep.equal(keys[1]);
        expect(await storage().apiKeys.deleteExpired(at(31))).to.equal(2);
        expect(await storage().apiKeys.deleteExpired(at(31))).to.equal(0);
      });
    });
  });
});
