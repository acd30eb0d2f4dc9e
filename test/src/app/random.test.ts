import { cryptoRandom, timeOrderedUuids } from '@latchkey/app';
import { expect } from 'chai';

describe('the pooled CSPRNG', () => {
  it('hands out bytes of the requested length, never the same bytes twice', () => {
    const seen = new Set<string>();
    // Enough draws to refill the 4 KiB pool several times.
    for (let i = 0; i < 1000; i += 1) {
      const bytes = cryptoRandom.bytes(32);
      expect(bytes).to.have.length(32);
      seen.add(Buffer.from(bytes).toString('hex'));
    }
    expect(seen.size).to.equal(1000);
  });

  it('serves a request larger than its pool', () => {
    const bytes = cryptoRandom.bytes(10_000);
    expect(bytes).to.have.length(10_000);
    expect(new Set(bytes).size).to.be.greaterThan(200);
  });

  it('gives each caller its own copy', () => {
    const first = cryptoRandom.bytes(16);
    const copy = Uint8Array.from(first);
    const second = cryptoRandom.bytes(16);
    second.fill(0);
    expect(Buffer.from(first).equals(Buffer.from(copy))).to.equal(true);
    expect(Buffer.from(cryptoRandom.bytes(16)).equals(Buffer.alloc(16))).to.equal(false);
  });
});

describe('time-ordered UUIDs (UUIDv7)', () => {
  const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  const millisOf = (id: string): number => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

  it('are version 7, variant 10, and carry the time in their first 48 bits', () => {
    const id = timeOrderedUuids(
      (n) => cryptoRandom.bytes(n),
      () => 1_700_000_000_123,
    )();
    expect(id).to.match(UUID_V7);
    expect(millisOf(id)).to.equal(1_700_000_000_123);
  });

  it('sort in the order they were made within one millisecond, past the 12-bit counter', () => {
    const next = timeOrderedUuids(
      (n) => cryptoRandom.bytes(n),
      () => 1_700_000_000_000,
    );
    const ids = Array.from({ length: 5000 }, () => next());
    expect([...ids].sort()).to.deep.equal(ids);
    expect(new Set(ids).size).to.equal(ids.length);
    for (const id of ids) expect(id).to.match(UUID_V7);
    // 4096 ids per millisecond; after that the timestamp is carried forward.
    expect(millisOf(ids[4095] ?? '')).to.equal(1_700_000_000_000);
    expect(millisOf(ids[4096] ?? '')).to.equal(1_700_000_000_001);
  });

  it('keep sorting after the one before when the clock steps back', () => {
    const times = [2_000, 1_000, 1_000, 3_000];
    const next = timeOrderedUuids(
      (n) => cryptoRandom.bytes(n),
      () => times.shift() ?? 0,
    );
    const ids = [next(), next(), next(), next()];
    expect([...ids].sort()).to.deep.equal(ids);
    expect(ids.map(millisOf)).to.deep.equal([2_000, 2_000, 2_000, 3_000]);
  });

  it('sort by time across milliseconds whatever their random bits', () => {
    let ms = 1_000;
    const next = timeOrderedUuids(
      (n) => cryptoRandom.bytes(n),
      () => (ms += 1),
    );
    const ids = Array.from({ length: 200 }, () => next());
    expect([...ids].sort()).to.deep.equal(ids);
  });
});
