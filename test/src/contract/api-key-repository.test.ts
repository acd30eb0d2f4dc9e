import type { ApiKey, CredentialDigest } from '@latchkey/domain';
import { expect } from 'chai';
import { anApiKey, aUser, at, rejectionOf } from './fixtures.js';
import { forEachStorage } from './storage-targets.js';

const owner = aUser(1);
const digestOf = (key: ApiKey): CredentialDigest => key.digest;

describe('the ApiKeyRepository contract', () => {
  forEachStorage((storage) => {
    beforeEach(async () => {
      await storage().users.insert(owner, 'h');
    });

    context('when keys have been inserted', () => {
      const session = anApiKey(1, owner.id);
      const access = anApiKey(2, owner.id, {
        kind: 'access',
        scopes: ['user:read', 'mcp', 'odd,{scope}'],
        audience: 'https://api.example.com/mcp',
        clientId: 'client-1',
        grantId: 'grant-1',
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
