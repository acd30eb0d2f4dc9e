import type { ClientId, ClientSecretId, CredentialDigest } from '@latchkey/domain';
import { expect } from 'chai';
import { aClient, aClientSecret, aGrant, anApiKey, aUser, at, rejectionOf, uuid } from './fixtures.js';
import { forEachStorage } from './storage-targets.js';

const user = aUser(1);
const app = aClient(1);
const other = aClient(2);

/** One minute, the coarseness of `last_used_at` (docs/http-api.md#apps). */
const MINUTE = 60;

describe('the ClientSecretRepository contract', () => {
  forEachStorage((storage) => {
    beforeEach(async () => {
      await storage().users.insert(user, 'h');
      await storage().clients.insert(app);
      await storage().clients.insert(other);
    });

    context('when secrets have been inserted', () => {
      // Inserted newest first; two share a creation time and are told apart by id.
      const newest = aClientSecret(3, app.id, { createdAt: at(30) });
      const tiedLater = aClientSecret(2, app.id, { createdAt: at(10) });
      const tiedEarlier = aClientSecret(1, app.id, { createdAt: at(10), lastUsedAt: at(20) });
      const othersSecret = aClientSecret(4, other.id, { createdAt: at(5) });

      beforeEach(async () => {
        for (const secret of [newest, tiedLater, tiedEarlier, othersSecret])
          await storage().clientSecrets.insert(secret);
      });

      it("lists only that client's secrets, oldest first, then by id", async () => {
        expect(await storage().clientSecrets.listForClient(app.id)).to.deep.equal([
          tiedEarlier,
          tiedLater,
          newest,
        ]);
        expect(await storage().clientSecrets.listForClient(other.id)).to.deep.equal([othersSecret]);
      });

      it('lists nothing for an unknown client or an id that is not a UUID', async () => {
        expect(await storage().clientSecrets.listForClient(uuid(0x3999) as ClientId)).to.deep.equal([]);
        expect(await storage().clientSecrets.listForClient('nope' as ClientId)).to.deep.equal([]);
      });

      it('finds each by digest with every field as inserted, optional fields absent when unset', async () => {
        expect(await storage().clientSecrets.findByDigest(newest.digest)).to.deep.equal(newest);
        expect(await storage().clientSecrets.findByDigest(tiedEarlier.digest)).to.deep.equal(tiedEarlier);
        expect(await storage().clientSecrets.findByDigest('f'.repeat(64) as CredentialDigest)).to.equal(
          undefined,
        );
      });

      it('finds each by digest with the client it belongs to, every field as inserted', async () => {
        expect(await storage().clientSecrets.findWithClient(newest.digest)).to.deep.equal({
          secret: newest,
          client: app,
        });
        expect(await storage().clientSecrets.findWithClient(tiedEarlier.digest)).to.deep.equal({
          secret: tiedEarlier,
          client: app,
        });
        expect(await storage().clientSecrets.findWithClient(othersSecret.digest)).to.deep.equal({
          secret: othersSecret,
          client: other,
        });
      });

      it('finds none with its client for an unknown digest or a deleted secret', async () => {
        expect(await storage().clientSecrets.findWithClient('f'.repeat(64) as CredentialDigest)).to.equal(
          undefined,
        );
        await storage().clientSecrets.delete(app.id, newest.id);
        expect(await storage().clientSecrets.findWithClient(newest.digest)).to.equal(undefined);
      });

      it('reads the client as it is now, and the secret as last used', async () => {
        const renamed = { ...app, name: 'renamed', updatedAt: at(100) };
        expect(await storage().clients.update(renamed)).to.equal(true);
        await storage().clientSecrets.recordUse(newest.id, at(200));
        expect(await storage().clientSecrets.findWithClient(newest.digest)).to.deep.equal({
          secret: { ...newest, lastUsedAt: at(200) },
          client: renamed,
        });
      });

      it('rejects a second secret with the same digest, even for another client', async () => {
        const clash = aClientSecret(5, other.id, { digest: newest.digest });
        expect(await rejectionOf(storage().clientSecrets.insert(clash))).to.be.instanceOf(Error);
      });

      it('answers id_taken for a second secret with an id already stored, and stores nothing', async () => {
        const sameId = aClientSecret(7, app.id, { id: newest.id, createdAt: at(40) });
        expect(sameId.digest).to.not.equal(newest.digest);
        expect(await storage().clientSecrets.insert(sameId)).to.equal('id_taken');
        expect(await storage().clientSecrets.findByDigest(sameId.digest)).to.equal(undefined);
        const ofOther = aClientSecret(8, other.id, { id: newest.id });
        expect(await storage().clientSecrets.insert(ofOther)).to.equal('id_taken');
        expect(await storage().clientSecrets.listForClient(other.id)).to.deep.equal([othersSecret]);
      });

      it('answers client_missing for a secret of an unknown client and stores nothing', async () => {
        const orphan = aClientSecret(6, uuid(0x3999) as ClientId);
        expect(await storage().clientSecrets.insert(orphan)).to.equal('client_missing');
        expect(await storage().clientSecrets.findByDigest(orphan.digest)).to.equal(undefined);
      });

      it('deletes a secret of that client once: true, then false, and it is gone', async () => {
        expect(await storage().clientSecrets.delete(app.id, newest.id)).to.equal(true);
        expect(await storage().clientSecrets.delete(app.id, newest.id)).to.equal(false);
        expect(await storage().clientSecrets.findByDigest(newest.digest)).to.equal(undefined);
        expect(await storage().clientSecrets.listForClient(app.id)).to.deep.equal([tiedEarlier, tiedLater]);
      });

      it("answers false for another client's secret and leaves it in place", async () => {
        expect(await storage().clientSecrets.delete(app.id, othersSecret.id)).to.equal(false);
        expect(await storage().clientSecrets.findByDigest(othersSecret.digest)).to.deep.equal(othersSecret);
      });

      it('answers false for an unknown secret, or ids that are not UUIDs', async () => {
        expect(await storage().clientSecrets.delete(app.id, uuid(0x4999) as ClientSecretId)).to.equal(false);
        expect(await storage().clientSecrets.delete(app.id, 'nope' as ClientSecretId)).to.equal(false);
        expect(await storage().clientSecrets.delete('nope' as ClientId, newest.id)).to.equal(false);
      });
    });

    context('when a secret belongs to a registered client with every optional field set', () => {
      const registered = aClient(3, {
        name: 'Registered ✓',
        callbackUrl: 'https://registered.example.com/cb',
        redirectUris: ['https://registered.example.com/cb', 'myapp:/cb', 'https://example.com/cb?x=1,2'],
        icon: 'https://example.com/icon.png',
        dynamicallyRegistered: true,
        grantTypes: ['authorization_code'],
        tokenEndpointAuthMethod: 'client_secret_post',
        scope: ['user:read', 'mcp', 'odd,{scope}'],
        introspectAny: true,
        metadata: {
          clientName: 'Registered ✓',
          clientUri: 'https://example.com',
          jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'abc', y: 'def' }] },
          contacts: ['admin@example.com'],
          softwareId: 'registered',
          softwareVersion: '1.2.3',
          applicationType: 'web',
        },
        registrationTokenDigest: 'ab'.repeat(32) as CredentialDigest,
        createdBy: user.id,
        createdAt: at(5),
        updatedAt: at(6),
      });
      const secret = aClientSecret(7, registered.id, { lastUsedAt: at(40) });

      beforeEach(async () => {
        await storage().clients.insert(registered);
        await storage().clientSecrets.insert(secret);
      });

      it('finds the secret with that client, every field as inserted', async () => {
        expect(await storage().clientSecrets.findWithClient(secret.digest)).to.deep.equal({
          secret,
          client: registered,
        });
      });

      it('finds none once the client is deleted', async () => {
        expect(await storage().clients.delete(registered.id)).to.equal(true);
        expect(await storage().clientSecrets.findWithClient(secret.digest)).to.equal(undefined);
      });
    });

    context('when a secret authenticates repeatedly', () => {
      const secret = aClientSecret(1, app.id);
      const lastUsed = async (): Promise<Date | undefined> =>
        (await storage().clientSecrets.findByDigest(secret.digest))?.lastUsedAt;

      beforeEach(async () => {
        await storage().clientSecrets.insert(secret);
      });

      it('records the first use', async () => {
        await storage().clientSecrets.recordUse(secret.id, at(100));
        expect(await lastUsed()).to.deep.equal(at(100));
      });

      it('keeps the first time for uses less than a minute later', async () => {
        await storage().clientSecrets.recordUse(secret.id, at(100));
        await storage().clientSecrets.recordUse(secret.id, at(101));
        await storage().clientSecrets.recordUse(secret.id, new Date(at(100 + MINUTE).getTime() - 1));
        expect(await lastUsed()).to.deep.equal(at(100));
      });

      it('moves it for a use a minute or more later', async () => {
        await storage().clientSecrets.recordUse(secret.id, at(100));
        await storage().clientSecrets.recordUse(secret.id, at(100 + MINUTE));
        expect(await lastUsed()).to.deep.equal(at(100 + MINUTE));
        await storage().clientSecrets.recordUse(secret.id, at(100 + 3 * MINUTE));
        expect(await lastUsed()).to.deep.equal(at(100 + 3 * MINUTE));
      });

      it('ignores an unknown secret or an id that is not a UUID', async () => {
        await storage().clientSecrets.recordUse(uuid(0x4999) as ClientSecretId, at(100));
        await storage().clientSecrets.recordUse('nope' as ClientSecretId, at(100));
        expect(await lastUsed()).to.equal(undefined);
      });
    });

    context('when tokens were obtained with a secret that is then deleted', () => {
      const secret = aClientSecret(1, app.id);
      const grant = aGrant(1, app.id, user.id);
      const token = anApiKey(1, user.id, {
        kind: 'access',
        clientId: app.id,
        grantId: grant.id,
        secretId: secret.id,
      });

      beforeEach(async () => {
        await storage().clientSecrets.insert(secret);
        await storage().grants.insert(grant);
        await storage().apiKeys.insert(token);
      });

      it('keeps the tokens, live and no longer linked to the secret', async () => {
        expect(await storage().clientSecrets.delete(app.id, secret.id)).to.equal(true);
        const { secretId: _unlinked, ...unlinked } = token;
        expect(await storage().apiKeys.findByDigest(token.digest)).to.deep.equal(unlinked);
      });

      it('no longer finds them by that secret', async () => {
        await storage().clientSecrets.delete(app.id, secret.id);
        expect(await storage().apiKeys.revokeObtainedWithSecret(secret.id, at(60))).to.equal(0);
      });
    });
  });
});
