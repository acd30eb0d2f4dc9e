import { AppName, Email, Username, Uuid } from '@latchkey/domain';
import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';

/** Decodes `input` with `codec`, failing the test when it is refused. */
const decoded = <A>(codec: { decode: (u: unknown) => E.Either<unknown, A> }, input: string): A => {
  const result = codec.decode(input);
  if (E.isLeft(result)) throw new Error(`${input} was refused`);
  return result.right;
};

describe('branded string codecs (model/codec.ts)', () => {
  it('keep each brand apart from the others at compile time', () => {
    const email: Email = decoded(Email, 'owner@example.com');
    const username: Username = decoded(Username, 'owner');
    // @ts-expect-error -- an Email is not a Username, though both are strings
    const mixedUp: Username = email;
    // @ts-expect-error -- nor is a plain string any brand
    const unchecked: AppName = 'my-app';
    const plain: string = username;
    expect([mixedUp, unchecked, plain]).to.deep.equal(['owner@example.com', 'my-app', 'owner']);
  });

  it('name the brand in the codec and refuse what the predicate refuses', () => {
    expect(Uuid.name).to.equal('Uuid');
    expect(E.isLeft(Email.decode('not an email'))).to.equal(true);
    expect(Email.is('owner@example.com')).to.equal(true);
    expect(Email.is(42)).to.equal(false);
  });
});
