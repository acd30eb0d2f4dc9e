import type { Email, UserId, Username } from '@latchkey/domain';
import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { aUser, uuid } from './fixtures.js';
import { forEachStorage } from './storage-targets.js';

describe('the UserRepository contract', () => {
  forEachStorage((storage) => {
    context('when a user has been inserted', () => {
      const alice = aUser(1, {
        email: 'Alice@Example.com' as Email,
        username: 'alice' as Username,
        role: 'owner',
      });

      beforeEach(async () => {
        expect(await storage().users.insert(alice, 'hash-of-alice')).to.equal('inserted');
      });

      it('finds the user and the password hash by email in any letter case', async () => {
        const found = await storage().users.findByEmail('aLICE@example.COM');
        expect(found).to.deep.equal({ user: alice, passwordHash: 'hash-of-alice' });
      });

      it('finds the user by id', async () => {
        expect(await storage().users.findById(alice.id)).to.deep.equal(alice);
      });

      it('answers duplicate_email for the same email in another letter case', async () => {
        const result = await storage().users.insert(
          aUser(2, { email: 'ALICE@example.com' as Email, username: 'other' as Username }),
          'h',
        );
        expect(result).to.equal('duplicate_email');
      });

      it('answers duplicate_username for a taken username', async () => {
        const result = await storage().users.insert(aUser(2, { username: 'alice' as Username }), 'h');
        expect(result).to.equal('duplicate_username');
      });

      it('answers duplicate_email when both the email and the username are taken', async () => {
        const result = await storage().users.insert(
          aUser(2, { email: alice.email, username: alice.username }),
          'h',
        );
        expect(result).to.equal('duplicate_email');
      });

      it('stores nothing for a rejected duplicate', async () => {
        await storage().users.insert(aUser(2, { username: 'alice' as Username }), 'h');
        expect(await storage().users.findById(uuid(2) as UserId)).to.equal(undefined);
        expect(await storage().users.list({ limit: 10, offset: 0 })).to.deep.equal([alice]);
      });

      it('reports that a user exists', async () => {
        expect(await storage().users.any()).to.equal(true);
      });
    });

    context('when no user matches', () => {
      it('answers undefined by email and by id, and reports that no user exists', async () => {
        expect(await storage().users.findByEmail('nobody@example.com')).to.equal(undefined);
        expect(await storage().users.findById(uuid(99) as UserId)).to.equal(undefined);
        expect(await storage().users.any()).to.equal(false);
      });
    });

    context('when a duplicate is rejected inside a transaction', () => {
      it('leaves the transaction usable, so later writes in it commit', async () => {
        await storage().users.insert(aUser(1), 'h');
        const outcome = await storage().transactor.run((tx) => async () => {
          const duplicate = await tx.users.insert(aUser(2, { username: 'user1' as Username }), 'h');
          const fresh = await tx.users.insert(aUser(3), 'h');
          return E.right([duplicate, fresh]);
        });
        expect(outcome).to.deep.equal(E.right(['duplicate_username', 'inserted']));
        expect(await storage().users.findById(uuid(3) as UserId)).to.deep.equal(aUser(3));
      });
    });

    context('when listing users', () => {
      // Inserted out of order; users 3 and 4 share a creation time, so the id decides.
      const users = [aUser(4, { createdAt: aUser(3).createdAt }), aUser(2), aUser(5), aUser(1), aUser(3)];

      beforeEach(async () => {
        for (const user of users) await storage().users.insert(user, 'h');
      });

      it('orders them by creation time, then by id', async () => {
        const listed = await storage().users.list({ limit: 10, offset: 0 });
        expect(listed.map((u) => u.username)).to.deep.equal(['user1', 'user2', 'user3', 'user4', 'user5']);
      });

      it('pages with limit and offset', async () => {
        const page = await storage().users.list({ limit: 2, offset: 2 });
        expect(page.map((u) => u.username)).to.deep.equal(['user3', 'user4']);
      });

      it('answers an empty page past the end', async () => {
        expect(await storage().users.list({ limit: 10, offset: 5 })).to.deep.equal([]);
      });
    });

    context('when creating the first user', () => {
      it('inserts into an empty store', async () => {
        expect(await storage().users.insertFirst(aUser(1), 'h')).to.equal('inserted');
        expect(await storage().users.findById(uuid(1) as UserId)).to.deep.equal(aUser(1));
      });

      it('answers not_first once any user exists, and inserts nothing', async () => {
        await storage().users.insert(aUser(1), 'h');
        expect(await storage().users.insertFirst(aUser(2), 'h')).to.equal('not_first');
        expect(await storage().users.findById(uuid(2) as UserId)).to.equal(undefined);
      });

      it('lets exactly one of ten concurrent transactions insert', async () => {
        const outcomes = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            storage().transactor.run((tx) =>
              TE.tryCatch(
                () => tx.users.insertFirst(aUser(i + 1), 'h'),
                (error) => error,
              ),
            ),
          ),
        );
        const results = outcomes.map((outcome) => (E.isRight(outcome) ? outcome.right : 'failed'));
        expect(results.filter((r) => r === 'inserted')).to.have.length(1);
        expect(results.filter((r) => r === 'not_first')).to.have.length(9);
        expect(await storage().users.list({ limit: 20, offset: 0 })).to.have.length(1);
      });

      it('lets exactly one of ten concurrent calls outside a transaction insert', async () => {
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => storage().users.insertFirst(aUser(i + 1), 'h')),
        );
        expect(results.filter((r) => r === 'inserted')).to.have.length(1);
        expect(results.filter((r) => r === 'not_first')).to.have.length(9);
        expect(await storage().users.list({ limit: 20, offset: 0 })).to.have.length(1);
      });
    });
  });
});
