import type { ApiKeyId, ClientId, CredentialDigest, PendingAuthorization, UserId } from '@latchkey/domain';
import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import { aClient, anApiKey, aPendingAuthorization, aUser, at, rejectionOf, uuid } from './fixtures.js';
import { forEachStorage } from './storage-targets.js';

const user = aUser(1);
const client = aClient(1);
const session = anApiKey(1, user.id, { expiresAt: at(100) });
const otherSession = anApiKey(2, user.id, { expiresAt: at(200) });

/** Every optional field set, and values that need quoting. */
const full = aPendingAuthorization(1, session.id, user.id, client.id, {
  redirectUri: 'http://127.0.0.1:8123/cb?x=1,2',
  redirectUriSent: false,
  scopes: ['user:read', 'mcp', 'odd,{scope}'],
  resource: 'https://api.example.com/mcp',
  resourceRequested: true,
  state: 'it\'s {"state"}',
});
const minimal = aPendingAuthorization(2, otherSession.id, user.id, client.id);

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('the PendingAuthorizationRepository contract', () => {
  forEachStorage((storage) => {
    beforeEach(async () => {
      await storage().users.insert(user, 'h');
      await storage().clients.insert(client);
      await storage().apiKeys.insert(session);
      await storage().apiKeys.insert(otherSession);
    });

    context('when consent requests have been stored', () => {
      beforeEach(async () => {
        await storage().pendingAuthorizations.insert(full);
        await storage().pendingAuthorizations.insert(minimal);
      });

      it('finds each by digest with every field as inserted, state absent when unset', async () => {
        expect(await storage().pendingAuthorizations.findByDigest(full.digest)).to.deep.equal(full);
        expect(await storage().pendingAuthorizations.findByDigest(minimal.digest)).to.deep.equal(minimal);
      });

      it('answers undefined for an unknown digest', async () => {
        const unknown = 'f'.repeat(64) as CredentialDigest;
        expect(await storage().pendingAuthorizations.findByDigest(unknown)).to.equal(undefined);
        expect(await storage().pendingAuthorizations.take(unknown)).to.equal(undefined);
      });

      it('rejects a second request with the same digest, keeping the first', async () => {
        const clash = aPendingAuthorization(3, session.id, user.id, client.id, { digest: full.digest });
        expect(await rejectionOf(storage().pendingAuthorizations.insert(clash))).to.be.instanceOf(Error);
        expect(await storage().pendingAuthorizations.findByDigest(full.digest)).to.deep.equal(full);
      });

      it('rejects a request of an unknown session, user or client', async () => {
        const orphans = [
          aPendingAuthorization(4, uuid(0x1999) as ApiKeyId, user.id, client.id),
          aPendingAuthorization(5, session.id, uuid(99) as UserId, client.id),
          aPendingAuthorization(6, session.id, user.id, uuid(0x3999) as ClientId),
        ];
        for (const orphan of orphans) {
          expect(await rejectionOf(storage().pendingAuthorizations.insert(orphan))).to.be.instanceOf(Error);
          expect(await storage().pendingAuthorizations.findByDigest(orphan.digest)).to.equal(undefined);
        }
      });

      it('takes a request once: the request, then undefined, and it is gone', async () => {
        expect(await storage().pendingAuthorizations.take(full.digest)).to.deep.equal(full);
        expect(await storage().pendingAuthorizations.take(full.digest)).to.equal(undefined);
        expect(await storage().pendingAuthorizations.findByDigest(full.digest)).to.equal(undefined);
        expect(await storage().pendingAuthorizations.findByDigest(minimal.digest)).to.deep.equal(minimal);
      });

      it('of concurrent takers in transactions, exactly one gets the request', async () => {
        const outcomes = await Promise.all(
          Array.from({ length: 10 }, () =>
            storage().transactor.run((tx) => async () => {
              const taken = await tx.pendingAuthorizations.take(full.digest);
              await pause(20);
              return E.right(taken);
            }),
          ),
        );
        const taken = outcomes.flatMap((o) => (E.isRight(o) && o.right !== undefined ? [o.right] : []));
        expect(taken).to.deep.equal([full]);
      });

      it('puts a request back when the transaction that took it ends Left', async () => {
        await storage().transactor.run((tx) => async () => {
          expect(await tx.pendingAuthorizations.take(full.digest)).to.deep.equal(full);
          return E.left('refused');
        });
        expect(await storage().pendingAuthorizations.findByDigest(full.digest)).to.deep.equal(full);
      });

      it('discards the requests of a session when the session is deleted', async () => {
        expect(await storage().apiKeys.delete(session.id)).to.equal(true);
        expect(await storage().pendingAuthorizations.findByDigest(full.digest)).to.equal(undefined);
        expect(await storage().pendingAuthorizations.findByDigest(minimal.digest)).to.deep.equal(minimal);
      });

      it('discards the requests of sessions that the key cleanup deletes', async () => {
        expect(await storage().apiKeys.deleteExpired(at(150))).to.equal(1);
        expect(await storage().pendingAuthorizations.findByDigest(full.digest)).to.equal(undefined);
        expect(await storage().pendingAuthorizations.findByDigest(minimal.digest)).to.deep.equal(minimal);
      });

      it('keeps the requests of a session that is only revoked', async () => {
        await storage().apiKeys.revoke(session.id, at(50));
        expect(await storage().pendingAuthorizations.findByDigest(full.digest)).to.deep.equal(full);
      });
    });

    context('when a session holds more requests than it may keep', () => {
      const mine = [3, 1, 4, 2, 5].map((n) =>
        aPendingAuthorization(10 + n, session.id, user.id, client.id, { createdAt: at(n) }),
      );
      const sameTime = [1, 2].map((n) =>
        aPendingAuthorization(20 + n, session.id, user.id, client.id, { createdAt: at(9) }),
      );
      const theirs = aPendingAuthorization(30, otherSession.id, user.id, client.id, { createdAt: at(0) });

      beforeEach(async () => {
        for (const request of [...mine, theirs]) await storage().pendingAuthorizations.insert(request);
      });

      const present = async (requests: readonly PendingAuthorization[]): Promise<boolean[]> =>
        Promise.all(
          requests.map(
            async (r) => (await storage().pendingAuthorizations.findByDigest(r.digest)) !== undefined,
          ),
        );

      it('deletes the oldest beyond the newest `keep`, counts them, and leaves other sessions alone', async () => {
        expect(await storage().pendingAuthorizations.deleteOldest(session.id, 3)).to.equal(2);
        // created at 3, 1, 4, 2, 5: the three newest are 3, 4 and 5.
        expect(await present(mine)).to.deep.equal([true, false, true, false, true]);
        expect(await present([theirs])).to.deep.equal([true]);
        expect(await storage().pendingAuthorizations.deleteOldest(session.id, 3)).to.equal(0);
      });

      it('keeps nothing of the session with keep 0', async () => {
        expect(await storage().pendingAuthorizations.deleteOldest(session.id, 0)).to.equal(5);
        expect(await present(mine)).to.deep.equal([false, false, false, false, false]);
        expect(await present([theirs])).to.deep.equal([true]);
      });

      it('breaks a tie on creation time by digest, the same way in every store', async () => {
        for (const request of sameTime) await storage().pendingAuthorizations.insert(request);
        expect(await storage().pendingAuthorizations.deleteOldest(session.id, 1)).to.equal(6);
        const kept = sameTime
          .map((r) => r.digest)
          .sort()
          .reverse()[0];
        expect(await present(sameTime)).to.deep.equal(sameTime.map((r) => r.digest === kept));
      });
    });

    context('when consent requests have expired', () => {
      const requests: PendingAuthorization[] = [
        aPendingAuthorization(1, session.id, user.id, client.id, { expiresAt: at(100) }),
        aPendingAuthorization(2, session.id, user.id, client.id, { expiresAt: at(200) }),
        aPendingAuthorization(3, otherSession.id, user.id, client.id, { expiresAt: at(300) }),
      ];

      beforeEach(async () => {
        for (const request of requests) await storage().pendingAuthorizations.insert(request);
      });

      it('deletes those that expired strictly before the cutoff and counts them', async () => {
        expect(await storage().pendingAuthorizations.deleteExpired(at(200))).to.equal(1);
        const left = await Promise.all(
          requests.map((r) => storage().pendingAuthorizations.findByDigest(r.digest)),
        );
        expect(left).to.deep.equal([undefined, requests[1], requests[2]]);
        expect(await storage().pendingAuthorizations.deleteExpired(at(200))).to.equal(0);
      });
    });
  });
});
