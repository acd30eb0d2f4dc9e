import { inspect } from 'node:util';
import { isConnectionFailure, toStorageError } from '@latchkey/adapters-postgres';
import { isStorageUnavailable, StorageError, StorageUnavailableError } from '@latchkey/domain';
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
      ['a connection that does not exist (08003)', withFields({ code: '08003' })],
      ['a server with no free connection (53300)', withFields({ code: '53300' })],
      ['an administrator shutdown (57P01)', withFields({ code: '57P01' })],
      ['a crash shutdown (57P02)', withFields({ code: '57P02' })],
      ['a server that cannot connect now (57P03)', withFields({ code: '57P03' })],
      ['a database renamed or dropped under the pool (3D000)', withFields({ code: '3D000' })],
      ['a database that does not allow connections (55000)', withFields({ code: '55000' })],
      ['a role the server no longer lets in (28P01)', withFields({ code: '28P01' })],
      ['a server out of disk (53100)', withFields({ code: '53100' })],
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
      it(`turns ${what} into StorageUnavailableError, without the original`, () => {
        expect(isConnectionFailure(error)).to.equal(true);
        const converted = toStorageError(error);
        expect(converted).to.be.instanceOf(StorageUnavailableError);
        expect(converted.cause).to.equal(undefined);
      });
    }
  });

  context('when the statement itself failed', () => {
    const failures: [string, unknown][] = [
      ['a unique violation', withFields({ code: '23505', constraint: 'api_keys_digest_key' })],
      ['a check violation (23514)', withFields({ code: '23514' })],
      [
        'a protocol violation (08P01, a message the server cannot read)',
        withFields({ code: '08P01' }, 'invalid message format'),
      ],
      ['a character not in the repertoire (22021)', withFields({ code: '22021' })],
      ['an untranslatable character (22P05)', withFields({ code: '22P05' })],
      ['a string too long for its column (22001)', withFields({ code: '22001' })],
      ['an index row too large (54000)', withFields({ code: '54000' })],
      ['a missing table', withFields({ code: '42P01' })],
      ['a query cancelled by a statement timeout', withFields({ code: '57014' })],
      ['a plain error', new Error('boom')],
      ['a non-error value', 'boom'],
    ];

    for (const [what, error] of failures) {
      it(`turns ${what} into a StorageError that is not an outage`, () => {
        expect(isConnectionFailure(error)).to.equal(false);
        const converted = toStorageError(error);
        expect(converted).to.be.instanceOf(StorageError);
        expect(isStorageUnavailable(converted)).to.equal(false);
        expect(converted.cause).to.equal(undefined);
      });
    }
  });

  context('when the driver error quotes the statement, its values and the row', () => {
    // What node-postgres reports for a duplicate key, copied by MikroORM onto its exception,
    // whose message quotes the statement with its values and appends the detail.
    const pgFields = {
      code: '23505',
      severity: 'ERROR',
      detail: 'Key (lower(email))=(secret@example.com) already exists.',
      where: "SQL function returning 'secret-value'",
      hint: 'secret hint',
      schema: 'public',
      table: 'users',
      constraint: 'users_email_lower_key',
      routine: '_bt_check_unique',
    };
    class UniqueConstraintViolationException extends Error {}
    const driverError = Object.assign(
      new UniqueConstraintViolationException(
        `insert into "users" ("email", "password_hash") values ('secret@example.com', 'hash-value') - duplicate key value violates unique constraint "users_email_lower_key"\n - detail: ${pgFields.detail}`,
      ),
      pgFields,
      { sql: 'insert into "users"', params: ['secret@example.com', 'hash-value'] },
    );

    it('keeps the SQLSTATE, the schema objects it names and the class, and nothing else', () => {
      const converted = toStorageError(new Error('wrapped', { cause: driverError }));
      expect(converted.facts).to.deep.equal({
        sqlState: '23505',
        condition: 'unique_violation',
        table: 'users',
        constraint: 'users_email_lower_key',
        errorClass: 'Error',
      });
      expect(toStorageError(driverError).facts.errorClass).to.equal('UniqueConstraintViolationException');
    });

    it('holds no value, statement, detail or message of the original anywhere', () => {
      const everything = inspect(toStorageError(driverError), { depth: 10, showHidden: true });
      for (const leak of ['secret@example.com', 'hash-value', 'insert into', 'secret-value', 'secret hint'])
        expect(everything).to.not.include(leak);
    });

    it('drops the statement of a connection lost under an insert, and still calls it an outage', () => {
      const lost = Object.assign(
        new Error(
          `insert into "users" ("email", "password_hash") values ('secret@example.com', 'hash-value') - Connection terminated unexpectedly`,
        ),
        { sql: 'insert into "users"', params: ['secret@example.com', 'hash-value'] },
      );
      const converted = toStorageError(lost);
      expect(converted).to.be.instanceOf(StorageUnavailableError);
      expect(converted.facts).to.deep.equal({ condition: 'connection_terminated', errorClass: 'Error' });
      const everything = inspect(converted, { depth: 10, showHidden: true });
      for (const leak of ['secret@example.com', 'hash-value', 'insert into'])
        expect(everything).to.not.include(leak);
    });

    it('names the socket error code of an outage', () => {
      expect(toStorageError(withFields({ code: 'ECONNRESET' })).facts).to.deep.include({
        systemCode: 'ECONNRESET',
      });
    });

    it('repeats no field that is not an identifier', () => {
      const converted = toStorageError(withFields({ code: '23514', table: "users' or 'x", column: 'a b' }));
      expect(converted.facts).to.not.have.any.keys('table', 'column');
    });
  });

  it('does not wrap a StorageUnavailableError twice', () => {
    const unavailable = new StorageUnavailableError();
    expect(toStorageError(unavailable)).to.equal(unavailable);
    expect(isStorageUnavailable(toStorageError(unavailable))).to.equal(true);
  });
});
