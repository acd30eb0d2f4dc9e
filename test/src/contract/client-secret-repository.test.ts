import type { ClientId, ClientSecretId, CredentialDigest } from '@latchkey/domain';
import { expect } from 'chai';
import { aClient, aClientSecret, aGrant, anApiKey, aUser, at, rejectionOf, uuid } from './fixtures.js';
import { forEachStorage } from './storage-targets.js';

const user = aUser(1);
const app = aClient(1);
const other = aClient(2);

/** One minute, the coarseness of `last_used_at` (CONTRACT §4). */
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

      it('rejects a second secret with the same digest, even for another client', async () => {
        const clash = aClientSecret(5, other.id, { digest: newest.digest });
        expect(await rejectionOf(storage().clientSecrets.insert(clash))).to.be.instanceOf(Error);
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
