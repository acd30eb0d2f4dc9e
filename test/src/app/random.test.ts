import { cryptoRandom } from '@latchkey/app';
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
