import {
  makeUseCases,
  SYSTEM_ACTOR,
  type AppName,
  type CallbackUrl,
  type Email,
  type Password,
  type PasswordHasher,
  type Principal,
  type UserId,
  type Username,
  type UseCases,
} from '@latchkey/domain';
import { createInMemoryStorage, FixedClock } from '@latchkey/domain/in-memory';
import { cryptoRandom } from '@latchkey/app';
import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import { testDomainSettings } from '../support/settings.js';

const plainHasher: PasswordHasher = {
  dummyHash: 'dummy',
  hash: (password) => Promise.resolve(`h(${password})`),
  verify: (hash, password) => Promise.resolve(hash === `h(${password})`),
};

const CLI = { ip: '', userAgent: 'latchkey cli (ops)' };
const newUser = (name: string, role: 'owner' | 'member') => ({
  email: `${name}@example.com` as Email,
  username: name as Username,
  password: 'password-1' as Password,
  role,
});
const APP = { name: 'cli-app' as AppName, callbackUrl: 'https://app.example.com/cb' as CallbackUrl };

const right = <A>(result: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(result)) throw new Error(result.left.message);
  return result.right;
};

describe('the system actor of the admin CLI (docs/cli.md#authorisation-and-audit)', () => {
  let useCases: UseCases;
  let storage: ReturnType<typeof createInMemoryStorage>;

  beforeEach(() => {
    storage = createInMemoryStorage();
    useCases = makeUseCases(
      { ...storage, clock: new FixedClock(), random: cryptoRandom, passwords: plainHasher },
      testDomainSettings(),
    );
  });

  const signedIn = async (name: string): Promise<Principal> => {
    const session = right(
      await useCases.login({ email: `${name}@example.com`, password: 'password-1' }, CLI)(),
    );
    return right(await useCases.authenticate(session.token, ['session'])());
  };

  it('creates users and apps that the audit log records with no actor, and apps with no creator', async () => {
    const user = right(await useCases.createUser(SYSTEM_ACTOR, newUser('ops', 'owner'), CLI)());
    const app = right(await useCases.createApp(SYSTEM_ACTOR, APP, CLI)());
    expect(app.createdBy).to.equal(undefined);
    const { entries } = await storage.audit.list({ limit: 10, offset: 0, action: 'create' });
    expect(entries.map((e) => [e.resourceId, e.actorId, e.userAgent])).to.have.deep.members([
      [user.id, undefined, CLI.userAgent],
      [app.id, undefined, CLI.userAgent],
    ]);
  });

  it('leaves principals as they were: a member may not create apps, an owner is recorded as the actor', async () => {
    right(await useCases.createUser(SYSTEM_ACTOR, newUser('boss', 'owner'), CLI)());
    right(await useCases.createUser(SYSTEM_ACTOR, newUser('staff', 'member'), CLI)());
    const refused = await useCases.createApp(await signedIn('staff'), APP, CLI)();
    expect(E.isLeft(refused) && refused.left.status).to.equal(403);
    const owner = await signedIn('boss');
    const app = right(await useCases.createApp(owner, APP, CLI)());
    expect(app.createdBy).to.equal(owner.user.id);
  });

  it("revokes another user's grants only for a known user and client (404 otherwise)", async () => {
    const user = right(await useCases.createUser(SYSTEM_ACTOR, newUser('ops', 'owner'), CLI)());
    const app = right(await useCases.createApp(SYSTEM_ACTOR, APP, CLI)());
    expect(right(await useCases.revokeGrantsOfUser(SYSTEM_ACTOR, user.id, app.id, CLI)())).to.deep.equal([]);
    const unknownUser = await useCases.revokeGrantsOfUser(
      SYSTEM_ACTOR,
      cryptoRandom.uuid() as UserId,
      app.id,
      CLI,
    )();
    expect(E.isLeft(unknownUser) && unknownUser.left.status).to.equal(404);
    const unknownApp = await useCases.revokeGrantsOfUser(SYSTEM_ACTOR, user.id, cryptoRandom.uuid(), CLI)();
    expect(E.isLeft(unknownApp) && unknownApp.left.status).to.equal(404);
    const member = right(await useCases.createUser(SYSTEM_ACTOR, newUser('staff', 'member'), CLI)());
    const byMember = await useCases.revokeGrantsOfUser(await signedIn('staff'), user.id, app.id, CLI)();
    expect(E.isLeft(byMember) && byMember.left.status).to.equal(403);
    expect(
      right(await useCases.findUser(SYSTEM_ACTOR, { email: 'STAFF@example.com' as Email })()).id,
    ).to.equal(member.id);
  });
});
