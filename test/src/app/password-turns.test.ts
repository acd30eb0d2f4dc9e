import { ScryptPasswordHasher, Turns } from '@latchkey/app';
import { expect } from 'chai';

/** A task that starts when `run` calls it and ends when the test says so. */
const gate = () => {
  let open: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    open = resolve;
  });
  return {
    done,
    open: () => {
      open();
    },
  };
};

describe('password hashing takes turns (docs/deployment.md#memory)', () => {
  it('runs at most the limit at once, the others in order of arrival', async () => {
    const turns = new Turns(2);
    const started: number[] = [];
    const gates = [0, 1, 2, 3, 4].map(() => gate());
    const runs = gates.map((g, i) =>
      turns.run(async () => {
        started.push(i);
        await g.done;
        return i;
      }),
    );
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    await settle();
    expect(started).to.deep.equal([0, 1]);
    gates[1]?.open();
    await settle();
    expect(started).to.deep.equal([0, 1, 2]);
    gates[0]?.open();
    gates[2]?.open();
    await settle();
    expect(started).to.deep.equal([0, 1, 2, 3, 4]);
    gates[3]?.open();
    gates[4]?.open();
    expect(await Promise.all(runs)).to.deep.equal([0, 1, 2, 3, 4]);
  });

  it('passes a failure on and gives the turn to the next task', async () => {
    const turns = new Turns(1);
    const failed = turns.run(() => Promise.reject(new Error('boom')));
    const next = turns.run(() => Promise.resolve('next'));
    expect(
      await failed.then(
        () => 'resolved',
        (error: unknown) => (error as Error).message,
      ),
    ).to.equal('boom');
    expect(await next).to.equal('next');
  });

  it('still hashes and verifies through its turns, five at once', async () => {
    const hasher = await ScryptPasswordHasher.create(10);
    const hashes = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((p) => hasher.hash(`password ${p}`)));
    const checks = await Promise.all(hashes.map((h, i) => hasher.verify(h, `password ${'abcde'[i]}`)));
    expect(checks).to.deep.equal([true, true, true, true, true]);
    expect(await hasher.verify(hashes[0] ?? '', 'password b')).to.equal(false);
  });
});
