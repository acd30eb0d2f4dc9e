import type { Repositories, UserId } from '@latchkey/domain';
import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import {
  aClient,
  aClientSecret,
  aCode,
  aGrant,
  anApiKey,
  anAuditEntry,
  aPendingAuthorization,
  aRefreshToken,
  aUser,
  at,
  rejectionOf,
  uuid,
} from './fixtures.js';
import { forEachStorage } from './storage-targets.js';

const user = aUser(1);
const key = anApiKey(1, user.id);
const entry = anAuditEntry(1);
const client = aClient(1, { createdBy: user.id });
const secret = aClientSecret(1, client.id);
const grant = aGrant(1, client.id, user.id);
const code = aCode(1, grant);
const refresh = aRefreshToken(1, grant, { secretId: secret.id });
const pending = aPendingAuthorization(1, key.id, user.id, client.id);

/** Writes through every repository of the transaction. */
const writeEverything = async (tx: Repositories): Promise<void> => {
  await tx.users.insert(user, 'h');
  await tx.apiKeys.insert(key);
  await tx.audit.append(entry);
  await tx.clients.insert(client);
  await tx.clientSecrets.insert(secret);
  await tx.grants.insert(grant);
  await tx.codes.insert(code);
  await tx.refreshTokens.insert(refresh);
  await tx.pendingAuthorizations.insert(pending);
};

describe('the Transactor contract', () => {
  forEachStorage((storage) => {
    const nothingWritten = async (): Promise<void> => {
      expect(await storage().users.findById(user.id)).to.equal(undefined);
      expect(await storage().apiKeys.findByDigest(key.digest)).to.equal(undefined);
      expect(await storage().audit.list({ limit: 10, offset: 0 })).to.deep.equal({ entries: [], count: 0 });
      expect(await storage().clients.findById(client.id)).to.equal(undefined);
      expect(await storage().clientSecrets.findByDigest(secret.digest)).to.equal(undefined);
      expect(await storage().grants.findById(grant.id)).to.equal(undefined);
      expect(await storage().codes.findByDigest(code.digest)).to.equal(undefined);
      expect(await storage().refreshTokens.findByDigest(refresh.digest)).to.equal(undefined);
      expect(await storage().pendingAuthorizations.findByDigest(pending.digest)).to.equal(undefined);
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
        expect(await storage().clients.findById(client.id)).to.deep.equal(client);
        expect(await storage().clientSecrets.findByDigest(secret.digest)).to.deep.equal(secret);
        expect(await storage().grants.findById(grant.id)).to.deep.equal(grant);
        expect(await storage().codes.findByDigest(code.digest)).to.deep.equal(code);
        expect(await storage().refreshTokens.findByDigest(refresh.digest)).to.deep.equal(refresh);
        expect(await storage().pendingAuthorizations.findByDigest(pending.digest)).to.deep.equal(pending);
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

    context('when the work changes existing clients and ends Left', () => {
      const token = anApiKey(2, user.id, { kind: 'access', clientId: client.id, secretId: secret.id });
      const other = aClient(2);

      beforeEach(async () => {
        await writeEverything(storage());
        await storage().apiKeys.insert(token);
        await storage().clients.insert(other);
      });

      it('restores the updated client, the deleted one and everything its deletion removed', async () => {
        const outcome = await storage().transactor.run((tx) => async () => {
          await tx.clients.update({ ...other, name: 'renamed', scope: ['mcp'] });
          await tx.clientSecrets.recordUse(secret.id, at(100));
          await tx.apiKeys.revokeObtainedWithSecret(secret.id, at(100));
          await tx.clients.delete(client.id);
          return E.left('refused');
        });
        expect(outcome).to.deep.equal(E.left('refused'));
        expect(await storage().clients.findById(other.id)).to.deep.equal(other);
        expect(await storage().clients.findById(client.id)).to.deep.equal(client);
        expect(await storage().clientSecrets.listForClient(client.id)).to.deep.equal([secret]);
        expect(await storage().apiKeys.findByDigest(token.digest)).to.deep.equal(token);
        expect(await storage().grants.findById(grant.id)).to.deep.equal(grant);
        expect(await storage().codes.findByDigest(code.digest)).to.deep.equal(code);
        expect(await storage().refreshTokens.findByDigest(refresh.digest)).to.deep.equal(refresh);
        expect(await storage().pendingAuthorizations.findByDigest(pending.digest)).to.deep.equal(pending);
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
