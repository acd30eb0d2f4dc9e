import type {
  ClientId,
  ClientSecretId,
  CredentialDigest,
  GrantId,
  RefreshToken,
  Repositories,
  UserId,
} from '@latchkey/domain';
import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import { aClient, aClientSecret, aGrant, aRefreshToken, aUser, at, rejectionOf, uuid } from './fixtures.js';
import { forEachStorage } from './storage-targets.js';

const user = aUser(1);
const client = aClient(1);
const secret = aClientSecret(1, client.id);
const otherSecret = aClientSecret(2, client.id);
const grant = aGrant(1, client.id, user.id);

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work` in 10 concurrent transactions, each holding its rows a moment; the `true`s. */
const winnersOf = async (
  run: <A>(work: (tx: Repositories) => Promise<A>) => Promise<A>,
  work: (tx: Repositories, i: number) => Promise<boolean>,
): Promise<number[]> => {
  const outcomes = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      run(async (tx) => {
        const won = await work(tx, i);
        await pause(20);
        return won;
      }),
    ),
  );
  return outcomes.flatMap((won, i) => (won ? [i] : []));
};

describe('the RefreshTokenRepository contract', () => {
  forEachStorage((storage) => {
    const inTransaction = async <A>(work: (tx: Repositories) => Promise<A>): Promise<A> => {
      const outcome = await storage().transactor.run((tx) => async () => E.right(await work(tx)));
      if (E.isLeft(outcome)) throw new Error('the transaction ended Left');
      return outcome.right;
    };

    beforeEach(async () => {
      await storage().users.insert(user, 'h');
      await storage().clients.insert(client);
      await storage().clientSecrets.insert(secret);
      await storage().clientSecrets.insert(otherSecret);
      await storage().grants.insert(grant);
    });

    context('when refresh tokens have been inserted', () => {
      const token = aRefreshToken(1, grant, {
        secretId: secret.id,
        scopes: ['user:read', 'mcp', 'odd,{scope}'],
        resource: 'https://api.example.com/mcp',
      });
      const spent = aRefreshToken(2, grant, { rotatedAt: at(10), graceUsed: true, revokedAt: at(20) });

      beforeEach(async () => {
        await storage().refreshTokens.insert(token);
        await storage().refreshTokens.insert(spent);
      });

      it('finds each by digest with every field as inserted, optional fields absent when unset', async () => {
        expect(await storage().refreshTokens.findByDigest(token.digest)).to.deep.equal(token);
        expect(await storage().refreshTokens.findByDigest(spent.digest)).to.deep.equal(spent);
      });

      it('answers undefined for an unknown digest', async () => {
        const unknown = 'f'.repeat(64) as CredentialDigest;
        expect(await storage().refreshTokens.findByDigest(unknown)).to.equal(undefined);
      });

      it('rejects a second token with the same digest, keeping the first', async () => {
        const clash = aRefreshToken(3, grant, { digest: token.digest });
        expect(await rejectionOf(storage().refreshTokens.insert(clash))).to.be.instanceOf(Error);
        expect(await storage().refreshTokens.findByDigest(token.digest)).to.deep.equal(token);
      });

      it('rejects a token of an unknown grant, client, user or secret', async () => {
        const orphans = [
          aRefreshToken(4, grant, { grantId: uuid(0x5999) as GrantId }),
          aRefreshToken(5, grant, { clientId: uuid(0x3999) as ClientId }),
          aRefreshToken(6, grant, { userId: uuid(99) as UserId }),
          aRefreshToken(7, grant, { secretId: uuid(0x4999) as ClientSecretId }),
        ];
        for (const orphan of orphans) {
          expect(await rejectionOf(storage().refreshTokens.insert(orphan))).to.be.instanceOf(Error);
          expect(await storage().refreshTokens.findByDigest(orphan.digest)).to.equal(undefined);
        }
      });

      it('rotates a token once: true, then false, keeping the first time', async () => {
        expect(await storage().refreshTokens.rotate(token.id, at(100))).to.equal(true);
        expect(await storage().refreshTokens.rotate(token.id, at(200))).to.equal(false);
        expect(await storage().refreshTokens.findByDigest(token.digest)).to.deep.equal({
          ...token,
          rotatedAt: at(100),
        });
      });

      it('does not rotate a revoked token, an unknown one, or an id that is not a UUID', async () => {
        const revoked = aRefreshToken(8, grant, { revokedAt: at(5) });
        await storage().refreshTokens.insert(revoked);
        expect(await storage().refreshTokens.rotate(revoked.id, at(100))).to.equal(false);
        expect(await storage().refreshTokens.rotate(uuid(0x7999), at(100))).to.equal(false);
        expect(await storage().refreshTokens.rotate('nope', at(100))).to.equal(false);
        expect(await storage().refreshTokens.findByDigest(revoked.digest)).to.deep.equal(revoked);
      });

      it('of concurrent rotations in transactions, exactly one gets true', async () => {
        const winners = await winnersOf(inTransaction, (tx, i) =>
          tx.refreshTokens.rotate(token.id, at(100 + i)),
        );
        expect(winners).to.have.length(1);
        expect(await storage().refreshTokens.findByDigest(token.digest)).to.deep.equal({
          ...token,
          rotatedAt: at(100 + (winners[0] ?? -1)),
        });
      });

      it('leaves the token unrotated when the transaction that rotated it ends Left', async () => {
        await storage().transactor.run((tx) => async () => {
          expect(await tx.refreshTokens.rotate(token.id, at(100))).to.equal(true);
          return E.left('refused');
        });
        expect(await storage().refreshTokens.findByDigest(token.digest)).to.deep.equal(token);
      });

      context('and one has been rotated', () => {
        beforeEach(async () => {
          await storage().refreshTokens.rotate(token.id, at(100));
        });

        it('spends the grace replay once when rotated at or after the window start', async () => {
          expect(await storage().refreshTokens.useGrace(token.id, at(100))).to.equal(true);
          expect(await storage().refreshTokens.useGrace(token.id, at(100))).to.equal(false);
          expect(await storage().refreshTokens.findByDigest(token.digest)).to.deep.equal({
            ...token,
            rotatedAt: at(100),
            graceUsed: true,
          });
        });

        it('refuses the grace replay when the rotation came before the window', async () => {
          expect(await storage().refreshTokens.useGrace(token.id, at(101))).to.equal(false);
          expect(await storage().refreshTokens.findByDigest(token.digest)).to.deep.equal({
            ...token,
            rotatedAt: at(100),
          });
        });

        it('refuses the grace replay of a revoked token', async () => {
          await storage().refreshTokens.revokeObtainedWithSecret(secret.id, at(110));
          expect(await storage().refreshTokens.useGrace(token.id, at(90))).to.equal(false);
        });

        it('of concurrent grace replays in transactions, exactly one gets true', async () => {
          const winners = await winnersOf(inTransaction, (tx) => tx.refreshTokens.useGrace(token.id, at(90)));
          expect(winners).to.have.length(1);
        });
      });

      it('refuses the grace replay of a token never rotated, an unknown one, or a non-UUID', async () => {
        expect(await storage().refreshTokens.useGrace(token.id, at(0))).to.equal(false);
        expect(await storage().refreshTokens.useGrace(uuid(0x7999), at(0))).to.equal(false);
        expect(await storage().refreshTokens.useGrace('nope', at(0))).to.equal(false);
        expect(await storage().refreshTokens.findByDigest(token.digest)).to.deep.equal(token);
      });

      it('of concurrent refreshes (rotate, else the grace replay), exactly two are accepted', async () => {
        const winners = await winnersOf(
          inTransaction,
          async (tx, i) =>
            (await tx.refreshTokens.rotate(token.id, at(100 + i))) ||
            (await tx.refreshTokens.useGrace(token.id, at(90))),
        );
        expect(winners).to.have.length(2);
      });
    });

    context('when refresh tokens were obtained with client secrets', () => {
      const live = aRefreshToken(1, grant, { secretId: secret.id });
      const rotated = aRefreshToken(2, grant, { secretId: secret.id, rotatedAt: at(5) });
      const alreadyRevoked = aRefreshToken(3, grant, { secretId: secret.id, revokedAt: at(10) });
      const otherSecrets = aRefreshToken(4, grant, { secretId: otherSecret.id });
      const noSecret = aRefreshToken(5, grant);

      beforeEach(async () => {
        for (const token of [live, rotated, alreadyRevoked, otherSecrets, noSecret])
          await storage().refreshTokens.insert(token);
      });

      it("revokes only that secret's unrevoked tokens and counts them", async () => {
        expect(await storage().refreshTokens.revokeObtainedWithSecret(secret.id, at(60))).to.equal(2);
        expect(await storage().refreshTokens.findByDigest(live.digest)).to.deep.equal({
          ...live,
          revokedAt: at(60),
        });
        expect(await storage().refreshTokens.findByDigest(rotated.digest)).to.deep.equal({
          ...rotated,
          revokedAt: at(60),
        });
        for (const untouched of [alreadyRevoked, otherSecrets, noSecret])
          expect(await storage().refreshTokens.findByDigest(untouched.digest)).to.deep.equal(untouched);
      });

      it('counts nothing the second time, for an unknown secret, or for an id that is not a UUID', async () => {
        await storage().refreshTokens.revokeObtainedWithSecret(secret.id, at(60));
        expect(await storage().refreshTokens.revokeObtainedWithSecret(secret.id, at(120))).to.equal(0);
        const unknown = uuid(0x4999) as ClientSecretId;
        expect(await storage().refreshTokens.revokeObtainedWithSecret(unknown, at(60))).to.equal(0);
        const malformed = 'nope' as ClientSecretId;
        expect(await storage().refreshTokens.revokeObtainedWithSecret(malformed, at(60))).to.equal(0);
      });

      it('keeps the tokens alive, unlinked, when the secret is deleted', async () => {
        expect(await storage().clientSecrets.delete(client.id, secret.id)).to.equal(true);
        const { secretId: _live, ...liveUnlinked } = live;
        const { secretId: _revoked, ...revokedUnlinked } = alreadyRevoked;
        expect(await storage().refreshTokens.findByDigest(live.digest)).to.deep.equal(liveUnlinked);
        expect(await storage().refreshTokens.findByDigest(alreadyRevoked.digest)).to.deep.equal(
          revokedUnlinked,
        );
        expect(await storage().refreshTokens.findByDigest(otherSecrets.digest)).to.deep.equal(otherSecrets);
        expect(await storage().refreshTokens.revokeObtainedWithSecret(secret.id, at(60))).to.equal(0);
      });
    });

    context('when refresh tokens have expired', () => {
      const tokens: RefreshToken[] = [
        aRefreshToken(1, grant, { expiresAt: at(100) }),
        aRefreshToken(2, grant, { expiresAt: at(200), rotatedAt: at(50) }),
        aRefreshToken(3, grant, { expiresAt: at(300) }),
      ];

      beforeEach(async () => {
        for (const token of tokens) await storage().refreshTokens.insert(token);
      });

      it('deletes those that expired strictly before the cutoff and counts them', async () => {
        expect(await storage().refreshTokens.deleteExpired(at(200))).to.equal(1);
        const left = await Promise.all(tokens.map((t) => storage().refreshTokens.findByDigest(t.digest)));
        expect(left).to.deep.equal([undefined, tokens[1], tokens[2]]);
        expect(await storage().refreshTokens.deleteExpired(at(200))).to.equal(0);
        expect(await storage().grants.findById(grant.id)).to.deep.equal(grant);
      });
    });
  });
});
