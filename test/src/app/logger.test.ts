import { createLogger } from '@latchkey/app';
import { StorageError } from '@latchkey/domain';
import { expect } from 'chai';

/** One error logged as the HTTP adapter logs a failed request; the parsed line. */
const logged = (err: unknown): Record<string, unknown> => {
  const lines: string[] = [];
  const log = createLogger('info', {
    write: (line: string) => {
      lines.push(line);
    },
  });
  log.error({ err }, 'request failed');
  expect(lines).to.have.length(1);
  return (JSON.parse(lines[0] ?? '{}') as { err: Record<string, unknown> }).err;
};

describe('the logger, for errors', () => {
  it('copies only class, message, stack, code and storage facts, not what a library attached', () => {
    const driverError = Object.assign(new Error('insert failed'), {
      code: '23514',
      detail: 'Failing row contains (a@example.com, c2NyeXB0AAoAAAAI).',
      where: 'SQL statement',
      parameters: ['a@example.com', 'c2NyeXB0AAoAAAAI'],
    });
    const err = logged(driverError);
    expect(Object.keys(err).sort()).to.deep.equal(['code', 'message', 'stack', 'type']);
    expect(JSON.stringify(err)).to.not.include('a@example.com');
  });

  it('logs the facts of a storage error', () => {
    const err = logged(new StorageError({ sqlState: '23505', table: 'users' }));
    expect(err.type).to.equal('StorageError');
    expect(err.facts).to.deep.equal({ sqlState: '23505', table: 'users' });
  });

  it('logs a cause the same way', () => {
    const inner = Object.assign(new Error('inner'), { detail: 'secret row' });
    const err = logged(new Error('outer', { cause: inner }));
    expect((err.cause as Record<string, unknown>).message).to.equal('inner');
    expect(JSON.stringify(err)).to.not.include('secret row');
  });
});
