import type { AuthorizationSummary } from '@latchkey/domain';
import { expect } from 'chai';
import { aClient, aGrant, anAccessToken, anApiKey, anAuditEntry, aUser, at } from './fixtures.js';
import { forEachStorage } from './storage-targets.js';

const user = aUser(1);
const other = aUser(2);
const granted = aClient(1);
const lapsed = aClient(2);
const never = aClient(3);

const byClient = (summaries: readonly AuthorizationSummary[]) =>
  [...summaries].sort((a, b) => (a.clientId < b.clientId ? -1 : 1));

describe('the port queries behind the web console (docs/http-api.md#web-console)', () => {
  forEachStorage((storage) => {
    beforeEach(async () => {
      await storage().users.insert(user, 'hash-1');
      await storage().users.insert(other, 'hash-2');
      for (const client of [granted, lapsed, never]) await storage().clients.insert(client);
    });

    describe('GrantRepository.summariesFor', () => {
      it('sums up each client with a live grant: live scopes, oldest grant, newest access token', async () => {
        const old = aGrant(1, granted.id, user.id, { scopes: ['mcp'], createdAt: at(10), revokedAt: at(20) });
        const live = aGrant(2, granted.id, user.id, { scopes: ['user:read', 'all'], createdAt: at(30) });
        const live2 = aGrant(3, granted.id, user.id, { scopes: ['user:read'], createdAt: at(40) });
        const ended = aGrant(4, lapsed.id, user.id, { createdAt: at(5), revokedAt: at(6) });
        const others = aGrant(5, granted.id, other.id, { createdAt: at(1) });
        for (const grant of [old, live, live2, ended, others]) await storage().grants.insert(grant);
        await storage().apiKeys.insert(anAccessToken(1, live, { createdAt: at(50) }));
        await storage().apiKeys.insert(anAccessToken(2, live2, { createdAt: at(70) }));
        await storage().apiKeys.insert(anAccessToken(3, others, { createdAt: at(90) }));

        expect(byClient(await storage().grants.summariesFor(user.id, at(100)))).to.deep.equal([
          {
            clientId: granted.id,
            scopes: ['all', 'user:read'],
            firstAuthorizedAt: at(10),
            lastUsedAt: at(70),
          },
        ]);
      });

      it('leaves lastUsedAt out when no access token is stored, and answers nothing for no live grant', async () => {
        await storage().grants.insert(
          aGrant(1, granted.id, user.id, { createdAt: at(10), expiresAt: at(200) }),
        );
        expect(await storage().grants.summariesFor(user.id, at(100))).to.deep.equal([
          { clientId: granted.id, scopes: ['user:read'], firstAuthorizedAt: at(10) },
        ]);
        expect(await storage().grants.summariesFor(user.id, at(200))).to.deep.equal([]);
        expect(await storage().grants.summariesFor(other.id, at(100))).to.deep.equal([]);
      });
    });

    describe('ApiKeyRepository sessions', () => {
      const first = anApiKey(1, user.id, { createdAt: at(10), expiresAt: at(1000) });
      const second = anApiKey(2, user.id, { createdAt: at(20), expiresAt: at(1000) });
      const expired = anApiKey(3, user.id, { createdAt: at(5), expiresAt: at(50) });
      const theirs = anApiKey(4, other.id, { createdAt: at(30), expiresAt: at(1000) });

      beforeEach(async () => {
        await storage().grants.insert(aGrant(1, granted.id, user.id));
        for (const key of [first, second, expired, theirs]) await storage().apiKeys.insert(key);
        await storage().apiKeys.insert(
          anAccessToken(5, aGrant(1, granted.id, user.id), { createdAt: at(40) }),
        );
      });

      it('lists the user’s unexpired sessions newest first, and no access token', async () => {
        expect(await storage().apiKeys.listSessions(user.id, at(100))).to.deep.equal([second, first]);
      });

      it('records when a session was last used, with where it signed in from, and never on an access token', async () => {
        const detailed = anApiKey(6, user.id, {
          userAgent: 'Browser/1.0',
          ip: '192.0.2.7',
          createdAt: at(25),
        });
        await storage().apiKeys.insert(detailed);
        await storage().apiKeys.recordSessionUse(detailed.id, at(60));
        await storage().apiKeys.recordSessionUse(anApiKey(5, user.id).id, at(60));
        expect(await storage().apiKeys.findByDigest(detailed.digest)).to.deep.equal({
          ...detailed,
          lastUsedAt: at(60),
        });
        expect((await storage().apiKeys.findByDigest(anApiKey(5, user.id).digest))?.lastUsedAt).to.equal(
          undefined,
        );
      });

      it('deletes one session of the user only, never another user’s', async () => {
        expect(await storage().apiKeys.deleteSessions(user.id, { only: theirs.id })).to.equal(0);
        expect(await storage().apiKeys.deleteSessions(user.id, { only: first.id })).to.equal(1);
        expect(await storage().apiKeys.findByDigest(first.digest)).to.equal(undefined);
        expect(await storage().apiKeys.findByDigest(theirs.digest)).to.deep.equal(theirs);
      });

      it('deletes every other session of the user, keeping access tokens', async () => {
        expect(await storage().apiKeys.deleteSessions(user.id, { except: second.id })).to.equal(2);
        expect(await storage().apiKeys.listSessions(user.id, at(0))).to.deep.equal([second]);
        expect(await storage().apiKeys.listSessions(other.id, at(0))).to.deep.equal([theirs]);
        expect(await storage().apiKeys.findByDigest(anApiKey(5, user.id).digest)).to.not.equal(undefined);
      });
    });

    describe('ClientRepository.lastIssued', () => {
      it('gives the newest stored access token of each client asked about, and leaves out the rest', async () => {
        const grant = aGrant(1, granted.id, user.id);
        const otherGrant = aGrant(2, lapsed.id, user.id);
        await storage().grants.insert(grant);
        await storage().grants.insert(otherGrant);
        await storage().apiKeys.insert(anAccessToken(1, grant, { createdAt: at(10) }));
        await storage().apiKeys.insert(anAccessToken(2, grant, { createdAt: at(20) }));
        await storage().apiKeys.insert(anAccessToken(3, otherGrant, { createdAt: at(30) }));
        expect(await storage().clients.lastIssued([granted.id, never.id])).to.deep.equal([
          { clientId: granted.id, at: at(20) },
        ]);
        expect(await storage().clients.lastIssued([])).to.deep.equal([]);
      });
    });

    describe('UserRepository.setPasswordHash', () => {
      it('replaces the hash of that user only, and reports an unknown user', async () => {
        expect(await storage().users.setPasswordHash(user.id, 'hash-new')).to.equal(true);
        expect((await storage().users.findByEmail(user.email))?.passwordHash).to.equal('hash-new');
        expect((await storage().users.findByEmail(other.email))?.passwordHash).to.equal('hash-2');
        expect(await storage().users.setPasswordHash(aUser(9).id, 'x')).to.equal(false);
      });
    });

    describe('AuditLog.list by actor', () => {
      it('keeps only the entries of that actor, and counts them', async () => {
        await storage().audit.append(anAuditEntry(1, { actorId: user.id }));
        await storage().audit.append(anAuditEntry(2, { actorId: other.id }));
        await storage().audit.append(anAuditEntry(3, { actorId: user.id, action: 'login' }));
        await storage().audit.append(anAuditEntry(4));
        const page = await storage().audit.list({ limit: 10, offset: 0, actorId: user.id });
        expect(page.count).to.equal(2);
        expect(page.entries.map((e) => e.id)).to.deep.equal([anAuditEntry(3).id, anAuditEntry(1).id]);
      });
    });
  });
});
