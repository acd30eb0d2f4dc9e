import type {
  ApiKey,
  AuthorizationCode,
  ClientId,
  Grant,
  GrantId,
  RefreshToken,
  UserId,
} from '@latchkey/domain';
import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import { aClient, aCode, aGrant, anApiKey, aRefreshToken, aUser, at, rejectionOf, uuid } from './fixtures.js';
import { forEachStorage, type Storage } from './storage-targets.js';

const owner = aUser(1, { role: 'owner' });
const member = aUser(2);
const client = aClient(1);
const other = aClient(2);

/** A grant with one of each descendant, all live. */
interface Family {
  readonly grant: Grant;
  readonly code: AuthorizationCode;
  readonly refresh: RefreshToken;
  readonly access: ApiKey;
}

const aFamily = (n: number, grant: Grant): Family => ({
  grant,
  code: aCode(n, grant),
  refresh: aRefreshToken(n, grant),
  access: anApiKey(n, grant.userId, { kind: 'access', clientId: grant.clientId, grantId: grant.id }),
});

const insertFamily = async (storage: Storage, family: Family): Promise<void> => {
  await storage.grants.insert(family.grant);
  await storage.codes.insert(family.code);
  await storage.refreshTokens.insert(family.refresh);
  await storage.apiKeys.insert(family.access);
};

/** Every member of the family as stored now. */
const stored = async (storage: Storage, family: Family) => ({
  grant: await storage.grants.findById(family.grant.id),
  code: await storage.codes.findByDigest(family.code.digest),
  refresh: await storage.refreshTokens.findByDigest(family.refresh.digest),
  access: await storage.apiKeys.findByDigest(family.access.digest),
});

/** The family as `revoke` at `when` leaves it. */
const revokedAt = (family: Family, when: Date) => ({
  grant: { ...family.grant, revokedAt: when },
  code: { ...family.code, consumedAt: when },
  refresh: { ...family.refresh, revokedAt: when },
  access: { ...family.access, revokedAt: when },
});

const sorted = (ids: readonly string[]): string[] => [...ids].sort();

describe('the GrantRepository contract', () => {
  forEachStorage((storage) => {
    beforeEach(async () => {
      await storage().users.insert(owner, 'h');
      await storage().users.insert(member, 'h');
      await storage().clients.insert(client);
      await storage().clients.insert(other);
    });

    context('when grants have been inserted', () => {
      const live = aGrant(1, client.id, member.id, { scopes: ['user:read', 'mcp', 'odd,{scope}'] });
      const revoked = aGrant(2, client.id, member.id, { revokedAt: at(30) });

      beforeEach(async () => {
        await storage().grants.insert(live);
        await storage().grants.insert(revoked);
      });

      it('finds each by id with every field as inserted, revokedAt absent when unset', async () => {
        expect(await storage().grants.findById(live.id)).to.deep.equal(live);
        expect(await storage().grants.findById(revoked.id)).to.deep.equal(revoked);
      });

      it('answers undefined for an unknown id and for one that is not a UUID', async () => {
        expect(await storage().grants.findById(uuid(0x5999) as GrantId)).to.equal(undefined);
        expect(await storage().grants.findById('not-a-grant' as GrantId)).to.equal(undefined);
      });

      it('rejects a second grant with the same id, keeping the first', async () => {
        const clash = aGrant(3, other.id, owner.id, { id: live.id });
        expect(await rejectionOf(storage().grants.insert(clash))).to.be.instanceOf(Error);
        expect(await storage().grants.findById(live.id)).to.deep.equal(live);
      });

      it('rejects a grant for an unknown client or user', async () => {
        const orphans = [
          aGrant(4, uuid(0x3999) as ClientId, member.id),
          aGrant(5, client.id, uuid(99) as UserId),
        ];
        for (const orphan of orphans) {
          expect(await rejectionOf(storage().grants.insert(orphan))).to.be.instanceOf(Error);
          expect(await storage().grants.findById(orphan.id)).to.equal(undefined);
        }
      });
    });

    context('when a grant with codes and tokens is revoked', () => {
      const family = aFamily(1, aGrant(1, client.id, member.id));
      const consumedCode = aCode(2, family.grant, { consumedAt: at(5) });
      const revokedRefresh = aRefreshToken(2, family.grant, { revokedAt: at(7) });
      const revokedAccess = anApiKey(2, member.id, {
        kind: 'access',
        clientId: client.id,
        grantId: family.grant.id,
        revokedAt: at(8),
      });
      // Another grant of the same user and client, and the user's session: left alone.
      const sibling = aFamily(3, aGrant(3, client.id, member.id));
      const session = anApiKey(4, member.id);

      beforeEach(async () => {
        await insertFamily(storage(), family);
        await insertFamily(storage(), sibling);
        await storage().codes.insert(consumedCode);
        await storage().refreshTokens.insert(revokedRefresh);
        await storage().apiKeys.insert(revokedAccess);
        await storage().apiKeys.insert(session);
      });

      it('revokes it, consumes its codes and revokes its refresh and access tokens', async () => {
        expect(await storage().grants.revoke(family.grant.id, at(100))).to.equal(true);
        expect(await stored(storage(), family)).to.deep.equal(revokedAt(family, at(100)));
      });

      it('leaves what was already consumed or revoked as it was', async () => {
        await storage().grants.revoke(family.grant.id, at(100));
        expect(await storage().codes.findByDigest(consumedCode.digest)).to.deep.equal(consumedCode);
        expect(await storage().refreshTokens.findByDigest(revokedRefresh.digest)).to.deep.equal(
          revokedRefresh,
        );
        expect(await storage().apiKeys.findByDigest(revokedAccess.digest)).to.deep.equal(revokedAccess);
      });

      it("leaves other grants' codes and tokens, and sessions, alone", async () => {
        await storage().grants.revoke(family.grant.id, at(100));
        expect(await stored(storage(), sibling)).to.deep.equal(sibling);
        expect(await storage().apiKeys.findByDigest(session.digest)).to.deep.equal(session);
      });

      it('answers false the second time and touches nothing, not even a code issued since', async () => {
        await storage().grants.revoke(family.grant.id, at(100));
        const late = aCode(5, family.grant);
        await storage().codes.insert(late);
        expect(await storage().grants.revoke(family.grant.id, at(200))).to.equal(false);
        expect(await stored(storage(), family)).to.deep.equal(revokedAt(family, at(100)));
        expect(await storage().codes.findByDigest(late.digest)).to.deep.equal(late);
      });

      it('answers false for an unknown grant or an id that is not a UUID', async () => {
        expect(await storage().grants.revoke(uuid(0x5999) as GrantId, at(100))).to.equal(false);
        expect(await storage().grants.revoke('nope' as GrantId, at(100))).to.equal(false);
        expect(await stored(storage(), family)).to.deep.equal(family);
      });

      it('of concurrent revocations, exactly one answers true', async () => {
        const outcomes = await Promise.all(
          Array.from({ length: 10 }, (_, i) => storage().grants.revoke(family.grant.id, at(100 + i))),
        );
        expect(outcomes.filter(Boolean)).to.have.length(1);
        const winner = at(100 + outcomes.indexOf(true));
        expect(await stored(storage(), family)).to.deep.equal(revokedAt(family, winner));
      });

      it("is undone whole with the caller's transaction", async () => {
        const outcome = await storage().transactor.run((tx) => async () => {
          expect(await tx.grants.revoke(family.grant.id, at(100))).to.equal(true);
          return E.left('refused');
        });
        expect(outcome).to.deep.equal(E.left('refused'));
        expect(await stored(storage(), family)).to.deep.equal(family);
      });
    });

    context("when revoking a user's grants to a client", () => {
      const first = aFamily(1, aGrant(1, client.id, member.id));
      const second = aFamily(2, aGrant(2, client.id, member.id, { createdAt: at(10) }));
      const alreadyRevoked = aGrant(3, client.id, member.id, { revokedAt: at(5) });
      const otherClient = aFamily(4, aGrant(4, other.id, member.id));
      const otherUser = aFamily(5, aGrant(5, client.id, owner.id));

      beforeEach(async () => {
        for (const family of [first, second, otherClient, otherUser]) await insertFamily(storage(), family);
        await storage().grants.insert(alreadyRevoked);
      });

      it('revokes every unrevoked grant of the pair with its codes and tokens, and names them', async () => {
        const revoked = await storage().grants.revokeForUserAndClient(member.id, client.id, at(100));
        expect(sorted(revoked)).to.deep.equal(sorted([first.grant.id, second.grant.id]));
        expect(await stored(storage(), first)).to.deep.equal(revokedAt(first, at(100)));
        expect(await stored(storage(), second)).to.deep.equal(revokedAt(second, at(100)));
        expect(await storage().grants.findById(alreadyRevoked.id)).to.deep.equal(alreadyRevoked);
      });

      it("leaves the user's grants to other clients, and other users' grants, alone", async () => {
        await storage().grants.revokeForUserAndClient(member.id, client.id, at(100));
        expect(await stored(storage(), otherClient)).to.deep.equal(otherClient);
        expect(await stored(storage(), otherUser)).to.deep.equal(otherUser);
      });

      it('names nothing the second time', async () => {
        await storage().grants.revokeForUserAndClient(member.id, client.id, at(100));
        expect(await storage().grants.revokeForUserAndClient(member.id, client.id, at(200))).to.deep.equal(
          [],
        );
        expect(await stored(storage(), first)).to.deep.equal(revokedAt(first, at(100)));
      });

      it('names nothing for a pair without grants or ids that are not UUIDs', async () => {
        expect(await storage().grants.revokeForUserAndClient(owner.id, other.id, at(100))).to.deep.equal([]);
        expect(
          await storage().grants.revokeForUserAndClient('nobody' as UserId, client.id, at(100)),
        ).to.deep.equal([]);
        expect(
          await storage().grants.revokeForUserAndClient(member.id, 'nothing' as ClientId, at(100)),
        ).to.deep.equal([]);
        expect(await stored(storage(), first)).to.deep.equal(first);
      });

      it("is undone whole with the caller's transaction", async () => {
        await storage().transactor.run((tx) => async () => {
          await tx.grants.revokeForUserAndClient(member.id, client.id, at(100));
          return E.left('refused');
        });
        expect(await stored(storage(), first)).to.deep.equal(first);
        expect(await stored(storage(), second)).to.deep.equal(second);
      });
    });

    context('when asked whether a user approved a client', () => {
      beforeEach(async () => {
        await storage().grants.insert(aGrant(1, client.id, member.id, { revokedAt: at(5) }));
        await storage().grants.insert(aGrant(2, other.id, owner.id, { expiresAt: at(1) }));
      });

      it('answers true for any grant of the pair, even a revoked or expired one', async () => {
        expect(await storage().grants.hasApproved(member.id, client.id)).to.equal(true);
        expect(await storage().grants.hasApproved(owner.id, other.id)).to.equal(true);
      });

      it('answers false for a pair without a grant, or ids that are not UUIDs', async () => {
        expect(await storage().grants.hasApproved(member.id, other.id)).to.equal(false);
        expect(await storage().grants.hasApproved(owner.id, client.id)).to.equal(false);
        expect(await storage().grants.hasApproved('nobody' as UserId, client.id)).to.equal(false);
        expect(await storage().grants.hasApproved(member.id, 'nothing' as ClientId)).to.equal(false);
      });
    });

    context('when grants have ended', () => {
      const ended = aFamily(1, aGrant(1, client.id, member.id, { expiresAt: at(100) }));
      const endsAtCutoff = aFamily(2, aGrant(2, client.id, member.id, { expiresAt: at(200) }));
      const live = aFamily(3, aGrant(3, other.id, owner.id, { expiresAt: at(300) }));

      beforeEach(async () => {
        for (const family of [ended, endsAtCutoff, live]) await insertFamily(storage(), family);
      });

      it('deletes those that ended strictly before the cutoff, with their codes and tokens', async () => {
        expect(await storage().grants.deleteExpired(at(200))).to.equal(1);
        expect(await stored(storage(), ended)).to.deep.equal({
          grant: undefined,
          code: undefined,
          refresh: undefined,
          access: undefined,
        });
        expect(await stored(storage(), endsAtCutoff)).to.deep.equal(endsAtCutoff);
        expect(await stored(storage(), live)).to.deep.equal(live);
        expect(await storage().grants.deleteExpired(at(200))).to.equal(0);
      });
    });
  });
});
