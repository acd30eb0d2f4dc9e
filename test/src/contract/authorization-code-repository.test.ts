import type { AuthorizationCode, ClientId, CredentialDigest, GrantId, UserId } from '@latchkey/domain';
import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import { aClient, aCode, aGrant, aUser, at, rejectionOf, uuid } from './fixtures.js';
import { forEachStorage } from './storage-targets.js';

const user = aUser(1);
const client = aClient(1);
const grant = aGrant(1, client.id, user.id, { scopes: ['user:read', 'mcp', 'odd,{scope}'] });

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('the AuthorizationCodeRepository contract', () => {
  forEachStorage((storage) => {
    beforeEach(async () => {
      await storage().users.insert(user, 'h');
      await storage().clients.insert(client);
      await storage().grants.insert(grant);
    });

    context('when codes have been inserted', () => {
      const code = aCode(1, grant, {
        redirectUri: 'http://127.0.0.1:8123/cb?x=1,2',
        redirectUriSent: true,
        resource: 'https://api.example.com/mcp',
        resourceRequested: true,
      });
      const consumed = aCode(2, grant, { consumedAt: at(30) });

      beforeEach(async () => {
        await storage().codes.insert(code);
        await storage().codes.insert(consumed);
      });

      it('finds each by digest with every field as inserted, consumedAt absent when unset', async () => {
        expect(await storage().codes.findByDigest(code.digest)).to.deep.equal(code);
        expect(await storage().codes.findByDigest(consumed.digest)).to.deep.equal(consumed);
      });

      it('answers undefined for an unknown digest', async () => {
        expect(await storage().codes.findByDigest('f'.repeat(64) as CredentialDigest)).to.equal(undefined);
      });

      it('rejects a second code with the same digest, keeping the first', async () => {
        const clash = aCode(3, grant, { digest: code.digest });
        expect(await rejectionOf(storage().codes.insert(clash))).to.be.instanceOf(Error);
        expect(await storage().codes.findByDigest(code.digest)).to.deep.equal(code);
      });

      it('rejects a code of an unknown grant, client or user', async () => {
        const orphans = [
          aCode(4, grant, { grantId: uuid(0x5999) as GrantId }),
          aCode(5, grant, { clientId: uuid(0x3999) as ClientId }),
          aCode(6, grant, { userId: uuid(99) as UserId }),
        ];
        for (const orphan of orphans) {
          expect(await rejectionOf(storage().codes.insert(orphan))).to.be.instanceOf(Error);
          expect(await storage().codes.findByDigest(orphan.digest)).to.equal(undefined);
        }
      });

      it('consumes a code once: true, then false, keeping the first time', async () => {
        expect(await storage().codes.consume(code.id, at(10))).to.equal(true);
        expect(await storage().codes.consume(code.id, at(20))).to.equal(false);
        expect(await storage().codes.findByDigest(code.digest)).to.deep.equal({
          ...code,
          consumedAt: at(10),
        });
      });

      it('answers false for a consumed code, an unknown one, and an id that is not a UUID', async () => {
        expect(await storage().codes.consume(consumed.id, at(10))).to.equal(false);
        expect(await storage().codes.consume(uuid(0x6999), at(10))).to.equal(false);
        expect(await storage().codes.consume('nope', at(10))).to.equal(false);
        expect(await storage().codes.findByDigest(consumed.digest)).to.deep.equal(consumed);
      });

      it('of concurrent consumers in transactions, exactly one gets true', async () => {
        const outcomes = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            storage().transactor.run((tx) => async () => {
              const won = await tx.codes.consume(code.id, at(100 + i));
              // Holds the row while the others queue on it, as an exchange does while issuing.
              await pause(20);
              return E.right(won);
            }),
          ),
        );
        const won = outcomes.map((o) => E.isRight(o) && o.right);
        expect(won.filter(Boolean)).to.have.length(1);
        expect(await storage().codes.findByDigest(code.digest)).to.deep.equal({
          ...code,
          consumedAt: at(100 + won.indexOf(true)),
        });
      });

      it('leaves the code unused when the transaction that consumed it ends Left', async () => {
        await storage().transactor.run((tx) => async () => {
          expect(await tx.codes.consume(code.id, at(10))).to.equal(true);
          return E.left('refused');
        });
        expect(await storage().codes.findByDigest(code.digest)).to.deep.equal(code);
        expect(await storage().codes.consume(code.id, at(20))).to.equal(true);
      });
    });

    context('when codes have expired', () => {
      const codes: AuthorizationCode[] = [
        aCode(1, grant, { expiresAt: at(100) }),
        aCode(2, grant, { expiresAt: at(200), consumedAt: at(50) }),
        aCode(3, grant, { expiresAt: at(300) }),
      ];

      beforeEach(async () => {
        for (const code of codes) await storage().codes.insert(code);
      });

      it('deletes those that expired strictly before the cutoff and counts them', async () => {
        expect(await storage().codes.deleteExpired(at(200))).to.equal(1);
        const left = await Promise.all(codes.map((c) => storage().codes.findByDigest(c.digest)));
        expect(left).to.deep.equal([undefined, codes[1], codes[2]]);
        expect(await storage().codes.deleteExpired(at(200))).to.equal(0);
        expect(await storage().grants.findById(grant.id)).to.deep.equal(grant);
      });
    });
  });
});
