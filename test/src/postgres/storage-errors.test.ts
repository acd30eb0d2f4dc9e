import { isConnectionFailure, toStorageError } from '@latchkey/adapters-postgres';
import { isStorageUnavailable, StorageUnavailableError } from '@latchkey/domain';
import { expect } from 'chai';

const withFields = (fields: Record<string, unknown>, message = 'failed'): Error =>
  Object.assign(new Error(message), fields);

describe('the classification of PostgreSQL adapter errors', () => {
  context('when the database cannot be reached', () => {
    const failures: [string, unknown][] = [
      ['a refused connection', withFields({ code: 'ECONNREFUSED' })],
      ['a reset connection', withFields({ code: 'ECONNRESET' })],
      ['a broken pipe', withFields({ code: 'EPIPE' })],
      ['a connect timeout', withFields({ code: 'ETIMEDOUT' })],
      ['SQLSTATE class 08', withFields({ code: '08006' })],
      ['an administrator shutdown (57P01)', withFields({ code: '57P01' })],
      ['a crash shutdown (57P02)', withFields({ code: '57P02' })],
      ['a server that cannot connect now (57P03)', withFields({ code: '57P03' })],
      [
        'a knex pool timeout',
        withFields({ name: 'KnexTimeoutError' }, 'Knex: Timeout acquiring a connection.'),
      ],
      ['a connection that ended under a query', new Error('Connection terminated unexpectedly')],
      [
        'every address of a multi-address connect refusing',
        new AggregateError([withFields({ code: 'ECONNREFUSED' })]),
      ],
      ['a wrapped cause', new Error('query failed', { cause: withFields({ code: 'ECONNRESET' }) })],
    ];

    for (const [what, error] of failures) {
      it(`turns ${what} into StorageUnavailableError, keeping the original as cause`, () => {
        expect(isConnectionFailure(error)).to.equal(true);
        const converted = toStorageError(error);
        expect(converted).to.be.instanceOf(StorageUnavailableError);
        expect((converted as Error).cause).to.equal(error);
      });
    }
  });

  context('when the statement itself failed', () => {
    const failures: [string, unknown][] = [
      ['a unique violation', withFields({ code: '23505', constraint: 'api_keys_digest_key' })],
      ['a missing table', withFields({ code: '42P01' })],
      ['a query cancelled by a statement timeout', withFields({ code: '57014' })],
      ['a plain error', new Error('boom')],
      ['a non-error value', 'boom'],
    ];

    for (const [what, error] of failures) {
      it(`leaves ${what} as it is`, () => {
        expect(isConnectionFailure(error)).to.equal(false);
        expect(toStorageError(error)).to.equal(error);
      });
    }
  });

  it('does not wrap a StorageUnavailableError twice', () => {
    const unavailable = new StorageUnavailableError();
    expect(toStorageError(unavailable)).to.equal(unavailable);
    expect(isStorageUnavailable(toStorageError(unavailable))).to.equal(true);
  });
});
