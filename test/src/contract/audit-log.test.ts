import { cryptoRandom } from '@latchkey/app';
import type { AuditEntry, UserId } from '@latchkey/domain';
import { expect } from 'chai';
import { anAuditEntry, uuid } from './fixtures.js';
import { forEachStorage } from './storage-targets.js';

describe('the AuditLog contract', () => {
  forEachStorage((storage) => {
    context('when entries have been appended', () => {
      // Entries 3 and 4 share a time, so the id decides between them.
      const entries = [
        anAuditEntry(1, { action: 'login', status: 401, resourceId: '', diff: {} }),
        anAuditEntry(2, {
          actorId: uuid(7) as UserId,
          diff: { email: { new: 'a@example.com' }, role: { old: 'member', new: 'owner' } },
        }),
        anAuditEntry(3, { action: 'login', time: anAuditEntry(4).time }),
        anAuditEntry(4, { action: 'logout', resourceType: 'api_key' }),
        anAuditEntry(5, { action: 'delete', resourceType: 'oauth2_provider_app', status: 204 }),
      ];
      const ids = (list: { entries: { id: string }[] }): string[] => list.entries.map((e) => e.id);
      const idOf = (n: number): string => anAuditEntry(n).id;

      beforeEach(async () => {
        for (const entry of [entries[2]!, entries[0]!, entries[4]!, entries[1]!, entries[3]!]) {
          await storage().audit.append(entry);
        }
      });

      it('lists them newest first, ties broken by the greater id, with the total count', async () => {
        const listed = await storage().audit.list({ limit: 50, offset: 0 });
        expect(ids(listed)).to.deep.equal([idOf(5), idOf(4), idOf(3), idOf(2), idOf(1)]);
        expect(listed.count).to.equal(5);
      });

      it('lists entries made within one millisecond newest first, by their time-ordered ids', async () => {
        const time = anAuditEntry(9).time;
        const made = Array.from({ length: 20 }, (_, i) =>
          anAuditEntry(10 + i, { id: cryptoRandom.timeOrderedUuid() as AuditEntry['id'], time }),
        );
        for (const entry of made) await storage().audit.append(entry);
        const listed = await storage().audit.list({ limit: 50, offset: 0 });
        const sameTime = listed.entries.filter((e) => made.some((m) => m.id === e.id));
        expect(ids({ entries: sameTime })).to.deep.equal(made.map((m) => m.id).reverse());
      });

      it('returns every field as appended, without an actor when there was none', async () => {
        const listed = await storage().audit.list({ limit: 50, offset: 0 });
        expect(listed.entries.find((e) => e.id === idOf(2))).to.deep.equal(entries[1]);
        const anonymous = listed.entries.find((e) => e.id === idOf(1));
        expect(anonymous).to.deep.equal(entries[0]);
        expect(anonymous).to.not.have.property('actorId');
      });

      it('filters by action and counts only the matches', async () => {
        const listed = await storage().audit.list({ limit: 50, offset: 0, action: 'login' });
        expect(ids(listed)).to.deep.equal([idOf(3), idOf(1)]);
        expect(listed.count).to.equal(2);
      });

      it('filters by resource type', async () => {
        const listed = await storage().audit.list({ limit: 50, offset: 0, resourceType: 'api_key' });
        expect(ids(listed)).to.deep.equal([idOf(4)]);
        expect(listed.count).to.equal(1);
      });

      it('combines the filters', async () => {
        const listed = await storage().audit.list({
          limit: 50,
          offset: 0,
          resourceType: 'user',
          action: 'login',
        });
        expect(ids(listed)).to.deep.equal([idOf(3), idOf(1)]);
        const none = await storage().audit.list({
          limit: 50,
          offset: 0,
          resourceType: 'api_key',
          action: 'login',
        });
        expect(none).to.deep.equal({ entries: [], count: 0 });
      });

      it('pages with limit and offset while counting every match', async () => {
        const listed = await storage().audit.list({ limit: 2, offset: 1 });
        expect(ids(listed)).to.deep.equal([idOf(4), idOf(3)]);
        expect(listed.count).to.equal(5);
      });

      it('answers an empty page past the end, still with the count', async () => {
        expect(await storage().audit.list({ limit: 10, offset: 5 })).to.deep.equal({ entries: [], count: 5 });
      });
    });

    context('when nothing has been appended', () => {
      it('lists nothing and counts zero', async () => {
        expect(await storage().audit.list({ limit: 50, offset: 0 })).to.deep.equal({ entries: [], count: 0 });
      });
    });
  });
});
