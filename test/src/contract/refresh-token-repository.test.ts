import type {
  ApiKey,
  ClientId,
  ClientSecretId,
  CredentialDigest,
  Grant,
  GrantId,
  RefreshExchange,
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
const otherSecret = aClientSecret(2, client.id);
const grant = aGrant(1, client.id, user.id);
/** Revoked without its tokens being revoked, as a revocation racing a refresh could leave it. */
const revokedGrant = aGrant(2, client.id, user.id, { revokedAt: at(5) });
const expiringGrant = aGrant(3, client.id, user.id, { expiresAt: at(200) });

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The tokens the `n`th refresh on `of` mints, obtained with `secret`. */
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

const count = (outcomes: readonly RefreshExchange[], outcome: RefreshExchange): number =>
  outcomes.filter((o) => o === outcome).length;

describe('the RefreshTokenRepository contract', () => {
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
      await storage().clientSecrets.insert(otherSecret);
      await storage().grants.insert(grant);
      await storage().grants.insert(revokedGrant);
      await storage().grants.insert(expiringGrant);
    });

    context('when refresh tokens have been inserted', () => {
      const token = aRefreshToken(1, grant, {
        secretId: secret.id,
        scopes: ['user:read', 'mcp', 'odd,{scope}'],
        resource: 'https://api.example.com/mcp',
      });
      const spent = aRefreshToken(2, grant, { rotatedAt: at(10), graceUsed: true, revokedAt: at(20) });
      const revoked = aRefreshToken(8, grant, { revokedAt: at(5) });
      const ofRevokedGrant = aRefreshToken(30, revokedGrant);
      const rotatedOfRevokedGrant = aRefreshToken(31, revokedGrant, { rotatedAt: at(3) });
      const ofExpiringGrant = aRefreshToken(32, expiringGrant);

      beforeEach(async () => {
        for (const t of [token, spent, revoked, ofRevokedGrant, rotatedOfRevokedGrant, ofExpiringGrant])
          await storage().refreshTokens.insert(t);
      });

      const current = async (t: RefreshToken): Promise<RefreshToken | undefined> =>
        storage().refreshTokens.findByDigest(t.digest);

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

      describe('findWithGrant', () => {
        it('finds each token by digest with its grant, every field as inserted', async () => {
          expect(await storage().refreshTokens.findWithGrant(token.digest)).to.deep.equal({ token, grant });
          expect(await storage().refreshTokens.findWithGrant(spent.digest)).to.deep.equal({
            token: spent,
            grant,
          });
          expect(await storage().refreshTokens.findWithGrant(ofRevokedGrant.digest)).to.deep.equal({
            token: ofRevokedGrant,
            grant: revokedGrant,
          });
          expect(await storage().refreshTokens.findWithGrant(ofExpiringGrant.digest)).to.deep.equal({
            token: ofExpiringGrant,
            grant: expiringGrant,
          });
        });

        it('reads the grant as it is now, after its revocation', async () => {
          expect(await storage().grants.revoke(grant.id, at(50))).to.equal(true);
          expect(await storage().refreshTokens.findWithGrant(token.digest)).to.deep.equal({
            token: { ...token, revokedAt: at(50) },
            grant: { ...grant, revokedAt: at(50) },
          });
        });

        it('answers undefined for an unknown digest', async () => {
          const unknown = 'f'.repeat(64) as CredentialDigest;
          expect(await storage().refreshTokens.findWithGrant(unknown)).to.equal(undefined);
        });
      });

      describe('exchange', () => {
        it('rotates an unrotated token at that time and stores the new tokens', async () => {
          const tokens = tokensOf(10);
          expect(await storage().refreshTokens.exchange(token.id, at(100), at(90), tokens)).to.equal(
            'rotated',
          );
          expect(await current(token)).to.deep.equal({ ...token, rotatedAt: at(100) });
          expect(await storage().apiKeys.findByDigest(tokens.accessToken.digest)).to.deep.equal(
            tokens.accessToken,
          );
          expect(await storage().refreshTokens.findByDigest(tokens.refreshToken.digest)).to.deep.equal(
            tokens.refreshToken,
          );
        });

        it('rotates an unrotated token without a grace window, and without a new refresh token', async () => {
          const { accessToken } = tokensOf(10);
          expect(
            await storage().refreshTokens.exchange(token.id, at(100), undefined, { accessToken }),
          ).to.equal('rotated');
          expect(await current(token)).to.deep.equal({ ...token, rotatedAt: at(100) });
          expect(await storage().apiKeys.findByDigest(accessToken.digest)).to.deep.equal(accessToken);
        });

        it('rotates once, spends the single replay once, then refuses, storing only what it accepted', async () => {
          const [first, second, third] = [tokensOf(10), tokensOf(11), tokensOf(12)];
          expect(await storage().refreshTokens.exchange(token.id, at(100), at(90), first)).to.equal(
            'rotated',
          );
          // The window is closed at its start: rotated exactly at `graceSince` still qualifies.
          expect(await storage().refreshTokens.exchange(token.id, at(105), at(100), second)).to.equal(
            'grace',
          );
          expect(await current(token)).to.deep.equal({ ...token, rotatedAt: at(100), graceUsed: true });
          expect(await storage().refreshTokens.exchange(token.id, at(106), at(90), third)).to.equal('reused');
          expect(await current(token)).to.deep.equal({ ...token, rotatedAt: at(100), graceUsed: true });
          expect(await stored(storage(), first)).to.deep.equal(rowsOf(first));
          expect(await stored(storage(), second)).to.deep.equal(rowsOf(second));
          expect(await stored(storage(), third)).to.deep.equal(NOTHING);
        });

        it('refuses a rotated token when there is no grace window, writing nothing', async () => {
          await storage().refreshTokens.exchange(token.id, at(100), undefined, tokensOf(10));
          const refused = tokensOf(11);
          expect(await storage().refreshTokens.exchange(token.id, at(101), undefined, refused)).to.equal(
            'reused',
          );
          expect(await current(token)).to.deep.equal({ ...token, rotatedAt: at(100) });
          expect(await stored(storage(), refused)).to.deep.equal(NOTHING);
          // The replay was not spent.
          const replay = tokensOf(12);
          expect(await storage().refreshTokens.exchange(token.id, at(102), at(100), replay)).to.equal(
            'grace',
          );
          expect(await stored(storage(), replay)).to.deep.equal(rowsOf(replay));
        });

        it('refuses a token rotated before the window started, writing nothing', async () => {
          await storage().refreshTokens.exchange(token.id, at(100), at(90), tokensOf(10));
          const refused = tokensOf(11);
          const afterRotation = new Date(at(100).getTime() + 1);
          expect(await storage().refreshTokens.exchange(token.id, at(200), afterRotation, refused)).to.equal(
            'reused',
          );
          expect(await current(token)).to.deep.equal({ ...token, rotatedAt: at(100) });
          expect(await stored(storage(), refused)).to.deep.equal(NOTHING);
        });

        it('refuses a revoked token, rotated or not, and a spent one, writing nothing', async () => {
          const refused = tokensOf(10);
          expect(await storage().refreshTokens.exchange(revoked.id, at(100), at(0), refused)).to.equal(
            'reused',
          );
          expect(await storage().refreshTokens.exchange(spent.id, at(100), at(0), refused)).to.equal(
            'reused',
          );
          expect(await current(revoked)).to.deep.equal(revoked);
          expect(await current(spent)).to.deep.equal(spent);

          await storage().refreshTokens.exchange(token.id, at(100), at(90), tokensOf(11));
          // Revokes the rotated token and its successor.
          expect(await storage().refreshTokens.revokeObtainedWithSecret(secret.id, at(101))).to.equal(2);
          expect(await storage().refreshTokens.exchange(token.id, at(102), at(90), refused)).to.equal(
            'reused',
          );
          expect(await current(token)).to.deep.equal({ ...token, rotatedAt: at(100), revokedAt: at(101) });
          expect(await stored(storage(), refused)).to.deep.equal(NOTHING);
        });

        it('answers grant_ended for a token of a revoked grant, rotated or not, writing nothing', async () => {
          const refused = tokensOf(10, revokedGrant);
          expect(await storage().refreshTokens.exchange(ofRevokedGrant.id, at(100), at(0), refused)).to.equal(
            'grant_ended',
          );
          expect(
            await storage().refreshTokens.exchange(rotatedOfRevokedGrant.id, at(100), at(0), refused),
          ).to.equal('grant_ended');
          expect(await current(ofRevokedGrant)).to.deep.equal(ofRevokedGrant);
          expect(await current(rotatedOfRevokedGrant)).to.deep.equal(rotatedOfRevokedGrant);
          expect(await stored(storage(), refused)).to.deep.equal(NOTHING);
        });

        it('answers grant_ended once the grant is revoked, though that revoked the token too', async () => {
          await storage().grants.revoke(grant.id, at(50));
          const refused = tokensOf(10);
          expect(await storage().refreshTokens.exchange(token.id, at(100), at(0), refused)).to.equal(
            'grant_ended',
          );
          expect(await current(token)).to.deep.equal({ ...token, revokedAt: at(50) });
          expect(await stored(storage(), refused)).to.deep.equal(NOTHING);
        });

        it('answers grant_ended once the grant has expired, from its expiry on, writing nothing', async () => {
          for (const [i, when] of [at(200), at(300)].entries()) {
            const refused = tokensOf(10 + i, expiringGrant);
            expect(await storage().refreshTokens.exchange(ofExpiringGrant.id, when, at(0), refused)).to.equal(
              'grant_ended',
            );
            expect(await stored(storage(), refused)).to.deep.equal(NOTHING);
          }
          expect(await current(ofExpiringGrant)).to.deep.equal(ofExpiringGrant);

          const justBefore = new Date(at(200).getTime() - 1);
          const rotation = tokensOf(12, expiringGrant);
          expect(
            await storage().refreshTokens.exchange(ofExpiringGrant.id, justBefore, at(0), rotation),
          ).to.equal('rotated');
          const late = tokensOf(13, expiringGrant);
          expect(await storage().refreshTokens.exchange(ofExpiringGrant.id, at(200), at(0), late)).to.equal(
            'grant_ended',
          );
          expect(await current(ofExpiringGrant)).to.deep.equal({ ...ofExpiringGrant, rotatedAt: justBefore });
          expect(await stored(storage(), rotation)).to.deep.equal(rowsOf(rotation));
          expect(await stored(storage(), late)).to.deep.equal(NOTHING);
        });

        it('answers reused for an unknown token or an id that is not a UUID, storing nothing', async () => {
          const refused = tokensOf(10);
          expect(await storage().refreshTokens.exchange(uuid(0x7999), at(100), at(0), refused)).to.equal(
            'reused',
          );
          expect(await storage().refreshTokens.exchange('nope', at(100), at(0), refused)).to.equal('reused');
          expect(await storage().refreshTokens.exchange('nope', at(100), undefined, refused)).to.equal(
            'reused',
          );
          expect(await stored(storage(), refused)).to.deep.equal(NOTHING);
          expect(await current(token)).to.deep.equal(token);
        });

        it('leaves the token unrotated and no token stored when its transaction ends Left', async () => {
          const tokens = tokensOf(10);
          await storage().transactor.run((tx) => async () => {
            expect(await tx.refreshTokens.exchange(token.id, at(100), at(90), tokens)).to.equal('rotated');
            return E.left('refused');
          });
          expect(await current(token)).to.deep.equal(token);
          expect(await stored(storage(), tokens)).to.deep.equal(NOTHING);
          expect(await storage().refreshTokens.exchange(token.id, at(110), at(90), tokens)).to.equal(
            'rotated',
          );
          expect(await stored(storage(), tokens)).to.deep.equal(rowsOf(tokens));
        });

        context('concurrently', () => {
          const attempts = Array.from({ length: 10 }, (_, i) => tokensOf(10 + i));

          /** Checks that only the attempts at `accepted` indexes stored their tokens. */
          const expectStoredOnly = async (accepted: readonly number[]): Promise<void> => {
            for (const [i, tokens] of attempts.entries())
              expect(await stored(storage(), tokens)).to.deep.equal(
                accepted.includes(i) ? rowsOf(tokens) : NOTHING,
              );
          };

          /** Checks one rotation, one replay and eight refusals, and what they wrote. */
          const expectRotationAndReplay = async (outcomes: readonly RefreshExchange[]): Promise<void> => {
            expect(count(outcomes, 'rotated')).to.equal(1);
            expect(count(outcomes, 'grace')).to.equal(1);
            expect(count(outcomes, 'reused')).to.equal(8);
            const rotation = outcomes.indexOf('rotated');
            expect(await current(token)).to.deep.equal({
              ...token,
              rotatedAt: at(100 + rotation),
              graceUsed: true,
            });
            await expectStoredOnly([rotation, outcomes.indexOf('grace')]);
          };

          it('of ten exchanges within the grace window, one rotates, one replays, eight are refused', async () => {
            const outcomes = await Promise.all(
              attempts.map((tokens, i) =>
                storage().refreshTokens.exchange(token.id, at(100 + i), at(90), tokens),
              ),
            );
            await expectRotationAndReplay(outcomes);
          });

          it('of ten exchanges in transactions holding their rows, one rotates and one replays', async () => {
            const outcomes = await Promise.all(
              attempts.map((tokens, i) =>
                inTransaction(async (tx) => {
                  const outcome = await tx.refreshTokens.exchange(token.id, at(100 + i), at(90), tokens);
                  await pause(20);
                  return outcome;
                }),
              ),
            );
            await expectRotationAndReplay(outcomes);
          });

          it('of ten exchanges without a grace window, exactly one rotates and the rest are refused', async () => {
            const outcomes = await Promise.all(
              attempts.map((tokens, i) =>
                storage().refreshTokens.exchange(token.id, at(100 + i), undefined, tokens),
              ),
            );
            expect(count(outcomes, 'rotated')).to.equal(1);
            expect(count(outcomes, 'reused')).to.equal(9);
            const rotation = outcomes.indexOf('rotated');
            expect(await current(token)).to.deep.equal({ ...token, rotatedAt: at(100 + rotation) });
            await expectStoredOnly([rotation]);
          });
        });

        context('when a token cannot be stored', () => {
          const session = anApiKey(99, user.id);

          beforeEach(async () => {
            await storage().apiKeys.insert(session);
          });

          /** Tokens of the `n`th refresh whose access token collides with the session's digest. */
          const clashingAccess = (n: number): Required<TokenRows> => ({
            ...tokensOf(n),
            accessToken: anAccessToken(n, grant, { digest: session.digest }),
          });

          /** Tokens of the `n`th refresh whose refresh token names an unknown secret. */
          const unknownSecret = (n: number): Required<TokenRows> => ({
            ...tokensOf(n),
            refreshToken: aRefreshToken(n, grant, { secretId: uuid(0x4999) as ClientSecretId }),
          });

          /** Checks that neither row of `tokens` is stored by its own digest, and the session is intact. */
          const expectNoneStored = async (tokens: Required<TokenRows>): Promise<void> => {
            expect(await storage().refreshTokens.findByDigest(tokens.refreshToken.digest)).to.equal(
              undefined,
            );
            if (tokens.accessToken.digest !== session.digest)
              expect(await storage().apiKeys.findByDigest(tokens.accessToken.digest)).to.equal(undefined);
            expect(await storage().apiKeys.findByDigest(session.digest)).to.deep.equal(session);
          };

          for (const [problem, broken] of [
            ["the access token's digest is taken", clashingAccess],
            ['the refresh token names an unknown secret', unknownSecret],
          ] as const) {
            it(`rejects a rotation when ${problem}, rotating nothing and storing nothing`, async () => {
              const tokens = broken(10);
              expect(
                await rejectionOf(storage().refreshTokens.exchange(token.id, at(100), at(90), tokens)),
              ).to.be.instanceOf(Error);
              expect(await current(token)).to.deep.equal(token);
              await expectNoneStored(tokens);
              const valid = tokensOf(11);
              expect(await storage().refreshTokens.exchange(token.id, at(101), at(90), valid)).to.equal(
                'rotated',
              );
              expect(await stored(storage(), valid)).to.deep.equal(rowsOf(valid));
            });

            it(`rejects a replay when ${problem}, spending nothing and storing nothing`, async () => {
              await storage().refreshTokens.exchange(token.id, at(100), at(90), tokensOf(11));
              const tokens = broken(12);
              expect(
                await rejectionOf(storage().refreshTokens.exchange(token.id, at(101), at(90), tokens)),
              ).to.be.instanceOf(Error);
              expect(await current(token)).to.deep.equal({ ...token, rotatedAt: at(100) });
              await expectNoneStored(tokens);
              const valid = tokensOf(13);
              expect(await storage().refreshTokens.exchange(token.id, at(102), at(90), valid)).to.equal(
                'grace',
              );
              expect(await stored(storage(), valid)).to.deep.equal(rowsOf(valid));
            });
          }
        });
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
