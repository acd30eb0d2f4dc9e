import {
  makeUseCases,
  type Email,
  type Password,
  type PasswordHasher,
  type Username,
  type UseCases,
} from '@latchkey/domain';
import { createInMemoryStorage, FixedClock } from '@latchkey/domain/in-memory';
import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import { cryptoRandom } from '@latchkey/app';
import { testDomainSettings } from '../support/settings.js';

/** A transparent hasher for pure use-case tests; it records which hashes were verified. */
class RecordingHasher implements PasswordHasher {
  readonly dummyHash = 'dummy';
  readonly verified: string[] = [];
  hash(password: string): Promise<string> {
    return Promise.resolve(`h(${password})`);
  }
  verify(hash: string, password: string): Promise<boolean> {
    this.verified.push(hash);
    return Promise.resolve(hash === `h(${password})`);
  }
}

const META = { ip: '192.0.2.1', userAgent: 'unit' };
const OWNER = {
  email: 'o@example.com' as Email,
  username: 'owner' as Username,
  password: 'password-1' as Password,
};

describe('session use cases', () => {
  let clock: FixedClock;
  let hasher: RecordingHasher;
  let useCases: UseCases;
  let storage: ReturnType<typeof createInMemoryStorage>;

  beforeEach(async () => {
    clock = new FixedClock();
    hasher = new RecordingHasher();
    storage = createInMemoryStorage();
    useCases = makeUseCases(
      { ...storage, clock, random: cryptoRandom, passwords: hasher },
      testDomainSettings({ sessionTtlSeconds: 3600 }),
    );
    const created = await useCases.createFirstUser(OWNER, undefined, META)();
    expect(E.isRight(created)).to.equal(true);
  });

  const loginToken = async (): Promise<string> => {
    const session = await useCases.login({ email: OWNER.email, password: OWNER.password }, META)();
    if (E.isLeft(session)) throw new Error(session.left.message);
    return session.right.token;
  };

  it('checks an unknown email against the dummy hash, so both failures cost one verification', async () => {
    const result = await useCases.login({ email: 'nobody@example.com', password: 'x' }, META)();
    expect(E.isLeft(result) && result.left.status).to.equal(401);
    expect(hasher.verified).to.deep.equal(['dummy']);
  });

  it('stores only the digest of the session token', async () => {
    const token = await loginToken();
    const stored = [...storage.db.apiKeys.values()];
    expect(stored).to.have.length(1);
    expect(JSON.stringify(stored)).to.not.include(token.slice('lk_sess_'.length));
  });

  it('expires a session exactly at its absolute lifetime', async () => {
    const token = await loginToken();
    clock.advance(3599);
    expect(E.isRight(await useCases.authenticate(token)())).to.equal(true);
    clock.advance(1);
    const expired = await useCases.authenticate(token)();
    expect(E.isLeft(expired) && expired.left.credential).to.equal('expired');
  });

  it('calls a logged-out session unknown', async () => {
    const token = await loginToken();
    const principal = await useCases.authenticate(token)();
    if (E.isLeft(principal)) throw new Error('not authenticated');
    expect(E.isRight(await useCases.logout(principal.right, META)())).to.equal(true);
    const after = await useCases.authenticate(token)();
    expect(E.isLeft(after) && after.left.credential).to.equal('unknown');
  });

  it('does not accept a session token where only access tokens would do', async () => {
    const token = await loginToken();
    const result = await useCases.authenticate(token, ['access'])();
    expect(E.isLeft(result) && result.left.status).to.equal(401);
  });

  it('rolls back a transaction that ends in Left', async () => {
    const before = storage.db.auditEntries.length;
    const duplicate = await useCases.createFirstUser(
      { ...OWNER, email: 'other@example.com' as Email, username: 'other' as Username },
      undefined,
      META,
    )();
    expect(E.isLeft(duplicate) && duplicate.left.status).to.equal(409);
    expect(storage.db.auditEntries.length).to.equal(before);
    expect(storage.db.users.size).to.equal(1);
  });
});
