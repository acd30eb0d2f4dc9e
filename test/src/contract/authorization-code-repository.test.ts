import type {
  ApiKey,
  AuthorizationCode,
  ClientId,
  ClientSecretId,
  CredentialDigest,
  Grant,
  GrantId,
  Redemption,
  RefreshToken,
  Repositories,
  TokenRows,
  UserId,
} from '@latchkey/domain';
import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import {
  aClient,
  aClientSecret,
  aCode,
  aGrant,
  anAccessToken,
  anApiKey,
  aRefreshToken,
  aUser,
  at,
  rejectionOf,
  uuid,
} from './fixtures.js';
import { forEachStorage, type Storage } from './storage-targets.js';

const user = aUser(1);
const client = aClient(1);
const secret = aClientSecret(1, client.id);
const grant = aGrant(1, client.id, user.id, { scopes: ['user:read', 'mcp', 'odd,{scope}'] });
/** Revoked without its codes being consumed, as a revocation racing an exchange could leave it. */
const revokedGrant = aGrant(2, client.id, user.id, { revokedAt: at(5) });
const expiringGrant = aGrant(3, client.id, user.id, { expiresAt: at(40) });

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The tokens the `n`th exchange of a code of `of` mints, obtained with `secret`. */
const tokensOf = (n: number, of: Grant = grant): Required<TokenRows> => ({
  accessToken: anAccessToken(n, of, { secretId: secret.id, createdAt: at(n), expiresAt: at(n + 3600) }),
  refreshToken: aRefreshToken(n, of, {
    secretId: secret.id,
    resource: 'https://api.example.com/mcp',
    createdAt: at(n),
  }),
});

/** The rows of `tokens`, access token first. */
const rowsOf = (tokens: TokenRows): (ApiKey | RefreshToken)[] => [
  tokens.accessToken,
  ...(tokens.refreshToken === undefined ? [] : [tokens.refreshToken]),
];

/** Each row of `tokens` as stored now, in the order of `rowsOf`; `undefined` for one that is not. */
const stored = async (
  storage: Storage,
  tokens: TokenRows,
): Promise<(ApiKey | RefreshToken | undefined)[]> => [
  await storage.apiKeys.findByDigest(tokens.accessToken.digest),
  ...(tokens.refreshToken === undefined
    ? []
    : [await storage.refreshTokens.findByDigest(tokens.refreshToken.digest)]),
];

const NOTHING = [undefined, undefined];

describe('the AuthorizationCodeRepository contract', () => {
  forEachStorage((storage) => {
    /** Runs `work` in a transaction that ends Right with its result. */
    const inTransaction = async <A>(work: (tx: Repositories) => Promise<A>): Promise<A> => {
      const outcome = await storage().transactor.run((tx) => async () => E.right(await work(tx)));
      if (E.isLeft(outcome)) throw new Error('the transaction ended Left');
      return outcome.right;
    };

    beforeEach(async () => {
      await storage().users.insert(user, 'h');
      await storage().clients.insert(client);
      await storage().clientSecrets.insert(secret);
      await storage().grants.insert(grant);
      await storage().grants.insert(revokedGrant);
      await storage().grants.insert(expiringGrant);
    });

    context('when codes have been inserted', () => {
      const code = aCode(1, grant, {
        redirectUri: 'http://127.0.0.1:8123/cb?x=1,2',
        redirectUriSent: true,
        resource: 'https://api.example.com/mcp',
        resourceRequested: true,
      });
      const consumed = aCode(2, grant, { consumedAt: at(30) });
      const ofRevokedGrant = aCode(3, revokedGrant);
      const ofExpiringGrant = aCode(4, expiringGrant);

      beforeEach(async () => {
        for (const c of [code, consumed, ofRevokedGrant, ofExpiringGrant]) await storage().codes.insert(c);
      });

      it('finds each by digest with every field as inserted, consumedAt absent when unset', async () => {
        expect(await storage().codes.findByDigest(code.digest)).to.deep.equal(code);
        expect(await storage().codes.findByDigest(consumed.digest)).to.deep.equal(consumed);
      });

      it('answers undefined for an unknown digest', async () => {
        expect(await storage().codes.findByDigest('f'.repeat(64) as CredentialDigest)).to.equal(undefined);
      });

      it('rejects a second code with the same digest, keeping the first', async () => {
        const clash = aCode(5, grant, { digest: code.digest });
        expect(await rejectionOf(storage().codes.insert(clash))).to.be.instanceOf(Error);
        expect(await storage().codes.findByDigest(code.digest)).to.deep.equal(code);
      });

      it('rejects a code of an unknown grant, client or user', async () => {
        const orphans = [
          aCode(6, grant, { grantId: uuid(0x5999) as GrantId }),
          aCode(7, grant, { clientId: uuid(0x3999) as ClientId }),
          aCode(8, grant, { userId: uuid(99) as UserId }),
        ];
        for (const orphan of orphans) {
          expect(await rejectionOf(storage().codes.insert(orphan))).to.be.instanceOf(Error);
          expect(await storage().codes.findByDigest(orphan.digest)).to.equal(undefined);
        }
      });

      describe('findWithGrant', () => {
        it('finds each code by digest with its grant, every field as inserted', async () => {
          expect(await storage().codes.findWithGrant(code.digest)).to.deep.equal({ code, grant });
          expect(await storage().codes.findWithGrant(consumed.digest)).to.deep.equal({
            code: consumed,
            grant,
          });
          expect(await storage().codes.findWithGrant(ofRevokedGrant.digest)).to.deep.equal({
            code: ofRevokedGrant,
            grant: revokedGrant,
          });
          expect(await storage().codes.findWithGrant(ofExpiringGrant.digest)).to.deep.equal({
            code: ofExpiringGrant,
            grant: expiringGrant,
          });
        });

        it('reads the grant as it is now, after its revocation', async () => {
          expect(await storage().grants.revoke(grant.id, at(50))).to.equal(true);
          expect(await storage().codes.findWithGrant(code.digest)).to.deep.equal({
            code: { ...code, consumedAt: at(50) },
            grant: { ...grant, revokedAt: at(50) },
          });
        });

        it('answers undefined for an unknown digest', async () => {
          const unknown = 'f'.repeat(64) as CredentialDigest;
          expect(await storage().codes.findWithGrant(unknown)).to.equal(undefined);
        });
      });

      describe('redeem', () => {
        it('consumes the code at that time and stores the access and refresh tokens', async () => {
          const tokens = tokensOf(10);
          expect(await storage().codes.redeem(code.id, at(10), tokens)).to.equal('redeemed');
          expect(await storage().codes.findByDigest(code.digest)).to.deep.equal({
            ...code,
            consumedAt: at(10),
          });
          expect(await storage().apiKeys.findByDigest(tokens.accessToken.digest)).to.deep.equal(
            tokens.accessToken,
          );
          expect(await storage().refreshTokens.findByDigest(tokens.refreshToken.digest)).to.deep.equal(
            tokens.refreshToken,
          );
        });

        it('stores only the access token when there is no refresh token', async () => {
          const { accessToken } = tokensOf(10);
          expect(await storage().codes.redeem(code.id, at(10), { accessToken })).to.equal('redeemed');
          expect(await storage().codes.findByDigest(code.digest)).to.deep.equal({
            ...code,
            consumedAt: at(10),
          });
          expect(await storage().apiKeys.findByDigest(accessToken.digest)).to.deep.equal(accessToken);
        });

        it('redeems a code once: then consumed, storing nothing and keeping the first time', async () => {
          const first = tokensOf(10);
          const second = tokensOf(11);
          expect(await storage().codes.redeem(code.id, at(10), first)).to.equal('redeemed');
          expect(await storage().codes.redeem(code.id, at(20), second)).to.equal('consumed');
          expect(await stored(storage(), second)).to.deep.equal(NOTHING);
          expect(await stored(storage(), first)).to.deep.equal(rowsOf(first));
          expect(await storage().codes.findByDigest(code.digest)).to.deep.equal({
            ...code,
            consumedAt: at(10),
          });
        });

        it('answers consumed for a code consumed before, storing nothing', async () => {
          const tokens = tokensOf(10);
          expect(await storage().codes.redeem(consumed.id, at(40), tokens)).to.equal('consumed');
          expect(await stored(storage(), tokens)).to.deep.equal(NOTHING);
          expect(await storage().codes.findByDigest(consumed.digest)).to.deep.equal(consumed);
        });

        it("answers grant_ended for a code its grant's revocation consumed, storing nothing", async () => {
          await storage().grants.revoke(grant.id, at(5));
          const tokens = tokensOf(10);
          expect(await storage().codes.redeem(code.id, at(10), tokens)).to.equal('grant_ended');
          expect(await stored(storage(), tokens)).to.deep.equal(NOTHING);
          expect(await storage().codes.findByDigest(code.digest)).to.deep.equal({
            ...code,
            consumedAt: at(5),
          });
        });

        it('answers grant_ended for an unconsumed code of a revoked grant, writing nothing', async () => {
          const tokens = tokensOf(10, revokedGrant);
          expect(await storage().codes.redeem(ofRevokedGrant.id, at(10), tokens)).to.equal('grant_ended');
          expect(await storage().codes.findByDigest(ofRevokedGrant.digest)).to.deep.equal(ofRevokedGrant);
          expect(await stored(storage(), tokens)).to.deep.equal(NOTHING);
          expect(await storage().grants.findById(revokedGrant.id)).to.deep.equal(revokedGrant);
        });

        it('answers grant_ended once the grant has expired, from its expiry on, writing nothing', async () => {
          for (const [i, when] of [at(40), at(50)].entries()) {
            const tokens = tokensOf(10 + i, expiringGrant);
            expect(await storage().codes.redeem(ofExpiringGrant.id, when, tokens)).to.equal('grant_ended');
            expect(await stored(storage(), tokens)).to.deep.equal(NOTHING);
          }
          expect(await storage().codes.findByDigest(ofExpiringGrant.digest)).to.deep.equal(ofExpiringGrant);
          const justBefore = new Date(at(40).getTime() - 1);
          const tokens = tokensOf(12, expiringGrant);
          expect(await storage().codes.redeem(ofExpiringGrant.id, justBefore, tokens)).to.equal('redeemed');
          expect(await stored(storage(), tokens)).to.deep.equal(rowsOf(tokens));
        });

        it('answers consumed for an unknown code or an id that is not a UUID, storing nothing', async () => {
          const tokens = tokensOf(10);
          expect(await storage().codes.redeem(uuid(0x6999), at(10), tokens)).to.equal('consumed');
          expect(await storage().codes.redeem('nope', at(10), tokens)).to.equal('consumed');
          expect(await stored(storage(), tokens)).to.deep.equal(NOTHING);
          expect(await storage().codes.findByDigest(code.digest)).to.deep.equal(code);
        });

        context('concurrently', () => {
          const attempts = Array.from({ length: 10 }, (_, i) => tokensOf(10 + i));

          /** Checks that exactly one attempt redeemed, the rest saw the code consumed, and only the winner stored. */
          const expectOneWinner = async (outcomes: readonly Redemption[]): Promise<void> => {
            expect(outcomes.filter((o) => o === 'redeemed')).to.have.length(1);
            expect(outcomes.filter((o) => o === 'consumed')).to.have.length(9);
            const winner = outcomes.indexOf('redeemed');
            expect(await storage().codes.findByDigest(code.digest)).to.deep.equal({
              ...code,
              consumedAt: at(20 + winner),
            });
            for (const [i, tokens] of attempts.entries())
              expect(await stored(storage(), tokens)).to.deep.equal(i === winner ? rowsOf(tokens) : NOTHING);
          };

          it('of ten redemptions, exactly one redeems and only its tokens are stored', async () => {
            const outcomes = await Promise.all(
              attempts.map((tokens, i) => storage().codes.redeem(code.id, at(20 + i), tokens)),
            );
            await expectOneWinner(outcomes);
          });

          it('of ten redemptions in transactions holding their rows, exactly one redeems', async () => {
            const outcomes = await Promise.all(
              attempts.map((tokens, i) =>
                inTransaction(async (tx) => {
                  const outcome = await tx.codes.redeem(code.id, at(20 + i), tokens);
                  await pause(20);
                  return outcome;
                }),
              ),
            );
            await expectOneWinner(outcomes);
          });
        });

        it('leaves the code unconsumed and no token stored when its transaction ends Left', async () => {
          const tokens = tokensOf(10);
          await storage().transactor.run((tx) => async () => {
            expect(await tx.codes.redeem(code.id, at(10), tokens)).to.equal('redeemed');
            return E.left('refused');
          });
          expect(await storage().codes.findByDigest(code.digest)).to.deep.equal(code);
          expect(await stored(storage(), tokens)).to.deep.equal(NOTHING);
          expect(await storage().codes.redeem(code.id, at(20), tokens)).to.equal('redeemed');
          expect(await stored(storage(), tokens)).to.deep.equal(rowsOf(tokens));
        });

        context('when a token cannot be stored', () => {
          const session = anApiKey(99, user.id);

          beforeEach(async () => {
            await storage().apiKeys.insert(session);
          });

          /** Checks that nothing of `tokens` was written, and that the code can then be redeemed. */
          const expectNothingWritten = async (tokens: Required<TokenRows>): Promise<void> => {
            expect(await storage().codes.findByDigest(code.digest)).to.deep.equal(code);
            expect(await storage().refreshTokens.findByDigest(tokens.refreshToken.digest)).to.equal(
              undefined,
            );
            expect(await storage().apiKeys.findByDigest(session.digest)).to.deep.equal(session);
            const valid = tokensOf(20);
            expect(await storage().codes.redeem(code.id, at(20), valid)).to.equal('redeemed');
            expect(await stored(storage(), valid)).to.deep.equal(rowsOf(valid));
          };

          it("rejects when the access token's digest is taken, consuming nothing and storing nothing", async () => {
            const tokens = {
              ...tokensOf(10),
              accessToken: anAccessToken(10, grant, { digest: session.digest }),
            };
            expect(await rejectionOf(storage().codes.redeem(code.id, at(10), tokens))).to.be.instanceOf(
              Error,
            );
            await expectNothingWritten(tokens);
          });

          it('rejects when the refresh token names an unknown secret, consuming nothing and storing nothing', async () => {
            const good = tokensOf(10);
            const tokens = {
              ...good,
              refreshToken: aRefreshToken(10, grant, { secretId: uuid(0x4999) as ClientSecretId }),
            };
            expect(await rejectionOf(storage().codes.redeem(code.id, at(10), tokens))).to.be.instanceOf(
              Error,
            );
            expect(await storage().apiKeys.findByDigest(tokens.accessToken.digest)).to.equal(undefined);
            await expectNothingWritten(tokens);
          });

          it("rejects when the refresh token's digest is taken, consuming nothing and storing nothing", async () => {
            const existing = aRefreshToken(30, grant);
            await storage().refreshTokens.insert(existing);
            const tokens = {
              ...tokensOf(10),
              refreshToken: aRefreshToken(10, grant, { digest: existing.digest }),
            };
            expect(await rejectionOf(storage().codes.redeem(code.id, at(10), tokens))).to.be.instanceOf(
              Error,
            );
            expect(await storage().apiKeys.findByDigest(tokens.accessToken.digest)).to.equal(undefined);
            expect(await storage().refreshTokens.findByDigest(existing.digest)).to.deep.equal(existing);
            expect(await storage().codes.findByDigest(code.digest)).to.deep.equal(code);
          });
        });
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
