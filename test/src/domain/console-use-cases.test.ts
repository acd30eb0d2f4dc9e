import {
  makeUseCases,
  REDACTED,
  type Email,
  type Password,
  type PasswordHasher,
  type Principal,
  type Username,
  type UseCases,
} from '@latchkey/domain';
import { createInMemoryStorage, FixedClock } from '@latchkey/domain/in-memory';
import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import { cryptoRandom } from '@latchkey/app';
import { testDomainSettings } from '../support/settings.js';

const hasher: PasswordHasher = {
  dummyHash: 'dummy',
  hash: (password) => Promise.resolve(`h(${password})`),
  verify: (hash, password) => Promise.resolve(hash === `h(${password})`),
};

const META = { ip: '192.0.2.1', userAgent: 'Browser/1.0' };
const OWNER = {
  email: 'o@example.com' as Email,
  username: 'owner' as Username,
  password: 'password-1' as Password,
};
const NEW_PASSWORD = 'password-2' as Password;

describe('the web console’s use cases (docs/http-api.md#web-console)', () => {
  let clock: FixedClock;
  let useCases: UseCases;
  let storage: ReturnType<typeof createInMemoryStorage>;

  beforeEach(async () => {
    clock = new FixedClock();
    storage = createInMemoryStorage();
    useCases = makeUseCases(
      { ...storage, clock, random: cryptoRandom, passwords: hasher },
      testDomainSettings({ sessionTtlSeconds: 3600 }),
    );
    expect(E.isRight(await useCases.createFirstUser(OWNER, undefined, META)())).to.equal(true);
  });

  const signIn = async (password: string = OWNER.password): Promise<string> => {
    const session = await useCases.login({ email: OWNER.email, password }, META)();
    if (E.isLeft(session)) throw new Error(session.left.message);
    return session.right.token;
  };

  const principalOf = async (token: string): Promise<Principal> => {
    const principal = await useCases.authenticate(token)();
    if (E.isLeft(principal)) throw new Error(principal.left.message);
    return principal.right;
  };

  const isValid = async (token: string): Promise<boolean> => E.isRight(await useCases.authenticate(token)());

  const sessionsOf = async (principal: Principal) => {
    const listed = await useCases.listSessions(principal)();
    if (E.isLeft(listed)) throw new Error(listed.left.message);
    return listed.right;
  };

  describe('sessions', () => {
    it('keep where they signed in from, and record their use at most once a minute', async () => {
      const token = await signIn();
      const signedInAt = clock.now();
      const principal = await principalOf(token);
      const [first] = await sessionsOf(principal);
      expect(first?.current).to.equal(true);
      expect(first?.session).to.include({ userAgent: META.userAgent, ip: META.ip });
      expect(first?.session.lastUsedAt).to.deep.equal(signedInAt);

      clock.advance(59);
      await principalOf(token);
      expect((await sessionsOf(principal))[0]?.session.lastUsedAt).to.deep.equal(signedInAt);
      clock.advance(1);
      await principalOf(token);
      expect((await sessionsOf(principal))[0]?.session.lastUsedAt).to.deep.equal(clock.now());
    });

    it('end another session of the caller, but not the current one', async () => {
      const current = await signIn();
      const other = await signIn();
      const principal = await principalOf(current);
      const otherId = (await principalOf(other)).apiKeyId;
      const self = await useCases.endSession(principal, principal.apiKeyId, META)();
      expect(E.isLeft(self) && self.left.status).to.equal(404);
      expect(E.isRight(await useCases.endSession(principal, otherId, META)())).to.equal(true);
      expect(await isValid(other)).to.equal(false);
      expect(await isValid(current)).to.equal(true);
    });
  });

  describe('changing the password', () => {
    it('refuses a wrong current password, naming that field, and changes nothing', async () => {
      const principal = await principalOf(await signIn());
      const refused = await useCases.changePassword(
        principal,
        { currentPassword: 'not it', newPassword: NEW_PASSWORD },
        META,
      )();
      expect(E.isLeft(refused) && refused.left.validations?.map((v) => v.field)).to.deep.equal([
        'current_password',
      ]);
      await signIn(OWNER.password);
    });

    it('replaces the password, ends every other session, keeps this one, and audits it redacted', async () => {
      const current = await signIn();
      const other = await signIn();
      const principal = await principalOf(current);
      const changed = await useCases.changePassword(
        principal,
        { currentPassword: OWNER.password, newPassword: NEW_PASSWORD },
        META,
      )();
      expect(E.isRight(changed) && changed.right).to.equal(1);
      expect(await isValid(other)).to.equal(false);
      expect(await isValid(current)).to.equal(true);
      await signIn(NEW_PASSWORD);
      expect(
        E.isLeft(await useCases.login({ email: OWNER.email, password: OWNER.password }, META)()),
      ).to.equal(true);
      const entry = storage.db.auditEntries.find((e) => e.action === 'write' && e.resourceType === 'user');
      expect(entry?.diff).to.deep.equal({ password: { old: REDACTED, new: REDACTED } });
      expect(JSON.stringify(storage.db.auditEntries)).to.not.include(NEW_PASSWORD);
    });
  });
});
