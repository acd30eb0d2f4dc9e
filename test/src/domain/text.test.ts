import { isUnsafeText, unsafeTextFields } from '@latchkey/domain';
import { expect } from 'chai';

describe('unsafe text (docs/http-api.md#request-bodies-and-input-text)', () => {
  context('in one string', () => {
    for (const [what, text] of [
      ['U+0000', 'a\u0000b'],
      ['a lone high surrogate', 'a\ud800b'],
      ['a lone low surrogate', 'a\udc00b'],
      ['a high surrogate at the end', 'ab\udbff'],
      ['two high surrogates in a row', '\ud800\ud800\udc00'],
      ['a pair in the wrong order', '\udc00\ud800'],
    ] as const) {
      it(`is found: ${what}`, () => {
        expect(isUnsafeText(text)).to.equal(true);
      });
    }

    for (const [what, text] of [
      ['an astral character (a surrogate pair)', '\u{1F600}'],
      ['U+FFFD', '\ufffd'],
      ['other control characters', '\u0001\u001f\u007f'],
      ['the empty string', ''],
    ] as const) {
      it(`is not: ${what}`, () => {
        expect(isUnsafeText(text)).to.equal(false);
      });
    }
  });

  context('in a JSON value', () => {
    it('names each field once, by its path without array indexes', () => {
      const body = {
        ok: 'fine',
        email: 'a\u0000@example.com',
        redirect_uris: ['https://a.example/cb', 'https://a.example/\ud800', '\u0000'],
        jwks: { keys: [{ kid: '\udc00' }] },
      };
      expect(unsafeTextFields(body)).to.deep.equal(['email', 'redirect_uris', 'jwks.keys.kid']);
    });

    it('names the parent of a member whose name is unsafe or not plain', () => {
      expect(unsafeTextFields({ 'a\u0000': 'x' })).to.deep.equal(['body']);
      expect(unsafeTextFields({ jwks: { 'k\ud800': 1 } })).to.deep.equal(['jwks']);
      expect(unsafeTextFields({ 'a b': '\u0000' }, 'query')).to.deep.equal(['query']);
    });

    it('finds nothing in clean values, numbers, booleans and null', () => {
      expect(unsafeTextFields({ a: 'x', b: 1, c: true, d: null, e: ['\u{1F600}'] })).to.deep.equal([]);
    });

    it('walks a body nested deeper than the call stack goes', () => {
      let nested: unknown = '\u0000';
      for (let i = 0; i < 100_000; i += 1) nested = [nested];
      expect(unsafeTextFields(nested)).to.deep.equal(['body']);
    });
  });
});
