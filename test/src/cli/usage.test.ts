import { expect } from 'chai';
import { errorOf, latchkey, latchkeyHere } from './run-cli.js';

/**
 * Usage and configuration errors are found before any database is opened, so these runs name one
 * that does not exist: a command that tried to open it would fail with exit 1 instead. Most runs go
 * through the CLI's entry function in this process (`latchkeyHere`). Two kinds start the real
 * `latchkey` process: one run per kind of exit status (the first case), so that the status the
 * process exits with is tested; and the runs that must not repeat a secret, since only a process
 * of its own shows everything a run writes.
 */
const env = { LATCHKEY_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing-here' };

describe('the admin CLI: usage and configuration errors (docs/cli.md#exit-status)', function () {
  // A run as a process of its own takes a second or more on a busy machine.
  this.timeout(180_000);
  it('exits the process with the status of each kind of outcome', async () => {
    const help = await latchkey(['--help'], env);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.include('Usage: latchkey');
    const usage = await latchkey(['user', 'list', '--colour'], env);
    expect(usage.code, usage.stderr).to.equal(2);
    expect(usage.stdout).to.equal('');
    expect(
      errorOf(await latchkey(['user', 'list', '--json'], { LATCHKEY_STORAGE: 'memory' }), 78).kind,
    ).to.equal('configuration');
    const unreachable = await latchkey(['user', 'list'], env);
    expect(unreachable.code).to.equal(1);
    expect(unreachable.stderr).to.match(/^latchkey: /);
    expect(unreachable.stderr).not.to.match(/^\s+at /m);
  });

  it('prints help with exit 0', async () => {
    for (const args of [['--help'], ['user', 'create', '--help'], ['help', 'app']]) {
      const run = await latchkeyHere(args, env);
      expect(run.code, args.join(' ')).to.equal(0);
      expect(run.stdout, args.join(' ')).to.include('Usage: latchkey');
    }
  });

  it('exits 2 for a missing command, an unknown command or option, and a missing required option', async () => {
    for (const args of [
      [],
      ['user'],
      ['frobnicate'],
      ['user', 'list', '--colour'],
      ['user', 'create', '--username', 'someone', '--password-stdin'],
      ['grants', 'revoke', '--user', 'someone@example.com'],
      ['app', 'show'],
      ['app', 'show', '6d7c3c1e-0a8e-4c36-9a0c-6f5f0e0b1f2a', 'extra'],
    ]) {
      const run = await latchkeyHere(args, env);
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).to.equal(2);
      expect(run.stdout, args.join(' ')).to.equal('');
      expect(run.stderr, args.join(' ')).not.to.match(/^\s+at /m);
    }
  });

  it('exits 2 for values the domain codecs refuse, with a JSON error under --json', async () => {
    for (const args of [
      ['user', 'create', '--email', 'not-an-email', '--username', 'someone', '--password-stdin'],
      ['user', 'create', '--email', 'a@example.com', '--username', 'Not Valid', '--password-stdin'],
      ['app', 'create', '--name', 'no spaces', '--callback-url', 'https://a.example.com/cb'],
      ['app', 'create', '--name', 'ok', '--callback-url', 'not a url'],
      [
        'app',
        'create',
        '--name',
        'ok',
        '--callback-url',
        'https://a.example.com/cb',
        '--client-type',
        'secretive',
      ],
      ['app', 'show', 'not-a-uuid'],
      ['app', 'list', '--limit', '0'],
      ['app', 'list', '--dynamically-registered', 'maybe'],
      ['grants', 'revoke', '--user', 'neither', '--client', '6d7c3c1e-0a8e-4c36-9a0c-6f5f0e0b1f2a'],
    ]) {
      const error = errorOf(await latchkeyHere([...args, '--json'], env, 'a good password\n'), 2);
      expect(error.kind, args.join(' ')).to.equal('usage');
    }
  });

  it('asks for exactly one password source and never repeats a refused password', async () => {
    const user = ['user', 'create', '--email', 'a@example.com', '--username', 'someone', '--json'];
    expect(errorOf(await latchkeyHere(user, env), 2).kind).to.equal('usage');
    expect(
      errorOf(await latchkeyHere([...user, '--password-stdin', '--generate-password'], env), 2).kind,
    ).to.equal('usage');
    // A refused secret must appear nowhere: these run as real processes, whose whole output is seen.
    const short = await latchkey([...user, '--password-stdin'], env, 'Sh0rt!\n');
    expect(errorOf(short, 2).kind).to.equal('usage');
    expect(short.stderr).not.to.include('Sh0rt!');
    const shortEnv = await latchkey(user, { ...env, LATCHKEY_USER_PASSWORD: 'Sh0rt!' });
    expect(errorOf(shortEnv, 2).kind).to.equal('usage');
    expect(shortEnv.stderr).not.to.include('Sh0rt!');
  });

  it('exits 78 for an invalid setting or the in-memory storage, and 1 when the database cannot be reached', async () => {
    const invalid = errorOf(
      await latchkeyHere(['user', 'list', '--json'], { LATCHKEY_DATABASE_URL: 'mysql://x' }),
      78,
    );
    expect(invalid.kind).to.equal('configuration');
    const memory = errorOf(
      await latchkeyHere(['user', 'list', '--json'], { LATCHKEY_STORAGE: 'memory' }),
      78,
    );
    expect(memory.kind).to.equal('configuration');
    const unreachable = await latchkey(['user', 'list', '--json'], {
      LATCHKEY_DATABASE_URL: 'postgres://postgres:hunter2-secret@127.0.0.1:1/nothing-here',
    });
    expect(errorOf(unreachable, 1).kind).to.equal('unavailable');
    expect(unreachable.stderr).not.to.include('hunter2-secret');
    const human = await latchkeyHere(['user', 'list'], env);
    expect(human.code).to.equal(1);
    expect(human.stderr).to.match(/^latchkey: /);
    expect(human.stderr).not.to.match(/^\s+at /m);
  });
});
