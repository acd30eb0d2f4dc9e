import type { Repositories, UserId } from '@latchkey/domain';
import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import { anApiKey, anAuditEntry, aUser, rejectionOf, uuid } from './fixtures.js';
import { forEachStorage } from './storage-targets.js';

const user = aUser(1);
const key = anApiKey(1, user.id);
const entry = anAuditEntry(1);

/** Writes through every repository of the transaction. */
const writeEverything = async (tx: Repositories): Promise<void> => {
  await tx.users.insert(user, 'h');
  await tx.apiKeys.insert(key);
  await tx.audit.append(entry);
};

describe('the Transactor contract', () => {
  forEachStorage((storage) => {
    const nothingWritten = async (): Promise<void> => {
      expect(await storage().users.findById(user.id)).to.equal(undefined);
      expect(await storage().apiKeys.findByDigest(key.digest)).to.equal(undefined);
      expect(await storage().audit.list({ limit: 10, offset: 0 })).to.deep.equal({ entries: [], count: 0 });
    };

    context('when the work ends Right', () => {
      it('commits every write and returns the Right', async () => {
        const outcome = await storage().transactor.run((tx) => async () => {
          await writeEverything(tx);
          return E.right('done');
        });
        expect(outcome).to.deep.equal(E.right('done'));
        expect(await storage().users.findById(user.id)).to.deep.equal(user);
        expect(await storage().apiKeys.findByDigest(key.digest)).to.deep.equal(key);
        expect((await storage().audit.list({ limit: 10, offset: 0 })).entries).to.deep.equal([entry]);
      });

      it('lets the work read its own writes', async () => {
        const outcome = await storage().transactor.run((tx) => async () => {
          await tx.users.insert(user, 'h');
          return E.right(await tx.users.findByEmail(user.email));
        });
        expect(outcome).to.deep.equal(E.right({ user, passwordHash: 'h' }));
      });
    });

    context('when the work ends Left', () => {
      it('rolls every write back and returns the Left', async () => {
        const outcome = await storage().transactor.run((tx) => async () => {
          await writeEverything(tx);
          return E.left('refused');
        });
        expect(outcome).to.deep.equal(E.left('refused'));
        await nothingWritten();
      });
    });

    context('when the work throws', () => {
      it('rolls every write back and rethrows the same error', async () => {
        const failure = new Error('the work failed');
        const rejection = await rejectionOf(
          storage().transactor.run((tx) => async () => {
            await writeEverything(tx);
            throw failure;
          }),
        );
        expect(rejection).to.equal(failure);
        await nothingWritten();
      });
    });

    context('when one transaction fails and the next succeeds', () => {
      it('keeps only the work of the successful one', async () => {
        await storage().transactor.run((tx) => async () => {
          await tx.users.insert(aUser(2), 'h');
          return E.left('refused');
        });
        await storage().transactor.run((tx) => async () => {
          await tx.users.insert(aUser(3), 'h');
          return E.right(undefined);
        });
        const listed = await storage().users.list({ limit: 10, offset: 0 });
        expect(listed.map((u) => u.id)).to.deep.equal([uuid(3) as UserId]);
      });
    });
  });
});
