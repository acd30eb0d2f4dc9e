import { randomBytes } from 'node:crypto';
import {
  auditDiff,
  CREDENTIAL_PREFIXES,
  credentialDigest,
  credentialKindOf,
  digestsEqual,
  issueCredential,
  REDACTED,
  type CredentialKind,
} from '@latchkey/domain';
import { expect } from 'chai';
import fc from 'fast-check';

const KINDS = Object.keys(CREDENTIAL_PREFIXES) as CredentialKind[];

describe('credentials (docs/http-api.md#credentials-at-rest)', () => {
  it('carry their kind prefix and 256 bits of base64url', () => {
    for (const kind of KINDS) {
      const { token } = issueCredential(kind, randomBytes(32));
      expect(token.startsWith(CREDENTIAL_PREFIXES[kind])).to.equal(true);
      expect(token.slice(CREDENTIAL_PREFIXES[kind].length)).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(credentialKindOf(token)).to.equal(kind);
    }
  });

  it('are stored as the SHA-256 hex digest of the secret part, never the token', () => {
    const { token, digest } = issueCredential('session', randomBytes(32));
    expect(digest).to.match(/^[0-9a-f]{64}$/);
    expect(digest).to.not.include(token.slice(8));
  });

  it('verify back to the same digest, and only as their own kind', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.constantFrom(...KINDS),
        (bytes, kind) => {
          const issued = issueCredential(kind, bytes);
          expect(credentialDigest(kind, issued.token)).to.equal(issued.digest);
          for (const other of KINDS.filter((k) => k !== kind)) {
            expect(credentialDigest(other, issued.token)).to.equal(undefined);
          }
        },
      ),
    );
  });

  it('refuse anything that is not exactly a prefix and 43 base64url characters', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        const presented = CREDENTIAL_PREFIXES.access + text;
        const valid = /^[A-Za-z0-9_-]{43}$/.test(text);
        expect(credentialDigest('access', presented) !== undefined).to.equal(valid);
      }),
    );
  });

  it('differ for different random inputs', () => {
    const a = issueCredential('refresh', new Uint8Array(32).fill(1));
    const b = issueCredential('refresh', new Uint8Array(32).fill(2));
    expect(a.token).to.not.equal(b.token);
    expect(digestsEqual(a.digest, b.digest)).to.equal(false);
    expect(digestsEqual(a.digest, a.digest)).to.equal(true);
  });

  it('need 32 random bytes', () => {
    expect(() => issueCredential('code', new Uint8Array(16))).to.throw(RangeError);
  });
});

describe('audit diffs (docs/http-api.md#audit-log)', () => {
  it('list changed fields with old and new values', () => {
    expect(auditDiff({ name: 'a', same: 1 }, { name: 'b', same: 1 })).to.deep.equal({
      name: { old: 'a', new: 'b' },
    });
  });

  it('redact secret material by field name', () => {
    const diff = auditDiff(undefined, {
      client_secret_hash: 'abc',
      password: 'p',
      registration_token: 't',
      name: 'x',
    });
    expect(diff).to.deep.equal({
      client_secret_hash: { new: REDACTED },
      password: { new: REDACTED },
      registration_token: { new: REDACTED },
      name: { new: 'x' },
    });
  });

  it('omit null and absent sides rather than writing null', () => {
    expect(JSON.stringify(auditDiff({ icon: null }, { icon: 'x' }))).to.equal('{"icon":{"new":"x"}}');
  });
});
