import { KeyRing, KeySealer, SigningKeySecretError } from '@latchkey/app';
import { FixedClock } from '@latchkey/domain/in-memory';
import { expect } from 'chai';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { forEachStorage } from './storage-targets.js';
import { testSigningKeyPairs } from '../support/server.js';

const ISSUER = 'https://id.example.com';
const SECRET = 'a signing key secret of at least 32 characters';
const DAY = 86_400;
/** Pre-publish a day, rotate at 90 days, keep a retired key an hour (the longest token lifetime). */
const SETTINGS = {
  issuer: ISSUER,
  prePublishSeconds: DAY,
  rotationSeconds: 90 * DAY,
  retentionSeconds: 3600,
};

describe('signing keys and their rotation (docs/openid-connect.md#signing-keys)', () => {
  forEachStorage((storage) => {
    let clock: FixedClock;
    const ring = (secret = SECRET): KeyRing =>
      new KeyRing(
        storage().signingKeys,
        () => Promise.resolve(new KeySealer(secret)),
        clock,
        SETTINGS,
        testSigningKeyPairs,
      );
    const kidOf = async (keys: KeyRing): Promise<string | undefined> =>
      decodeProtectedHeader(
        await keys.sign(
          { iss: ISSUER, sub: 'u', exp: Math.floor(clock.now().getTime() / 1000) + 60 },
          {
            typ: 'JWT',
            alg: 'ES256',
          },
        ),
      ).kid;

    beforeEach(() => {
      clock = new FixedClock(new Date());
    });

    it('creates one key per algorithm, even when two instances start at once', async () => {
      await Promise.all([ring().ensure(), ring().ensure()]);
      const keys = await storage().signingKeys.list();
      expect(keys.map((k) => `${k.alg}/${k.generation}`).sort()).to.deep.equal(['ES256/1', 'RS256/1']);
      // The private part is stored sealed, never as a JWK.
      for (const key of keys) {
        expect(key.sealedPrivateKey).to.match(/^v1\./);
        expect(key.sealedPrivateKey).to.not.include('"d"');
        expect(key.publicJwk).to.not.have.property('d');
      }
    });

    it('refuses to start with a secret that does not open the stored keys', async () => {
      await ring().ensure();
      let failure: unknown;
      try {
        await ring('another secret, also at least 32 characters').ensure();
      } catch (error) {
        failure = error;
      }
      expect(failure).to.be.instanceOf(SigningKeySecretError);
    });

    it('publishes a new key before it signs, and the old one until its last token expired', async () => {
      const keys = ring();
      await keys.ensure();
      const oldKid = await kidOf(keys);
      const oldToken = await keys.sign({ iss: ISSUER, sub: 'u' }, { typ: 'at+jwt', alg: 'ES256' });
      const [added] = await keys.rotate(['ES256']);
      expect((await keys.jwks()).keys.map((k) => k.kid)).to.include.members([oldKid, added?.kid]);
      // Pre-published: the old key still signs.
      expect(await kidOf(keys)).to.equal(oldKid);
      clock.advance(DAY);
      expect(await kidOf(keys)).to.equal(added?.kid);
      // The old key's tokens still verify while it is published…
      expect(await keys.verify(oldToken, 'at+jwt')).to.include({ sub: 'u' });
      expect((await keys.list()).find((k) => k.kid === oldKid)?.state).to.equal('retiring');
      clock.advance(3600);
      // …and once its last token has expired it leaves the JWKS and is deleted.
      expect((await keys.jwks()).keys.map((k) => k.kid)).to.not.include(oldKid);
      expect(await keys.purge()).to.equal(1);
      expect((await storage().signingKeys.list()).map((k) => k.kid)).to.not.include(oldKid);
    });

    it('rotates by age from the maintenance timer', async () => {
      const keys = ring();
      await keys.ensure();
      expect((await keys.maintain()).rotated).to.deep.equal([]);
      clock.advance(90 * DAY);
      const { rotated } = await keys.maintain();
      expect(rotated.map((k) => k.alg).sort()).to.deep.equal(['ES256', 'RS256']);
      // A pending rotation is not repeated.
      expect((await keys.maintain()).rotated).to.deep.equal([]);
    });

    it('verifies its own tokens and refuses tampered or foreign ones', async () => {
      const keys = ring();
      await keys.ensure();
      const exp = Math.floor(clock.now().getTime() / 1000) + 300;
      const token = await keys.sign({ iss: ISSUER, sub: 'u', exp }, { typ: 'at+jwt', alg: 'ES256' });
      await jwtVerify(token, createLocalJWKSet(await keys.jwks()), {
        issuer: ISSUER,
        currentDate: clock.now(),
      });
      const [header, payload, signature] = token.split('.');
      const forged = Buffer.from(JSON.stringify({ iss: ISSUER, sub: 'someone-else', exp })).toString(
        'base64url',
      );
      expect(await keys.verify(`${header}.${forged}.${signature}`, 'at+jwt')).to.equal(undefined);
      expect(await keys.verify(`${header}.${payload}.${signature}`, 'at+jwt')).to.include({ sub: 'u' });
      const idToken = await keys.sign({ iss: ISSUER, sub: 'u', exp }, { typ: 'JWT', alg: 'ES256' });
      expect(await keys.verify(idToken, 'at+jwt')).to.equal(undefined);
    });

    it('signs with RS256 for relying parties that need it, verifiable with the published keys', async () => {
      const keys = ring();
      await keys.ensure();
      const exp = Math.floor(clock.now().getTime() / 1000) + 300;
      const token = await keys.sign({ iss: ISSUER, sub: 'u', exp }, { typ: 'JWT', alg: 'RS256' });
      expect(decodeProtectedHeader(token).alg).to.equal('RS256');
      const { payload } = await jwtVerify(token, createLocalJWKSet(await keys.jwks()), {
        issuer: ISSUER,
        algorithms: ['RS256'],
        currentDate: clock.now(),
      });
      expect(payload.sub).to.equal('u');
    });
  });
});
