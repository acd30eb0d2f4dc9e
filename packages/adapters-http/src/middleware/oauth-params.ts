import { oauthError, type OAuthError, type PresentedClientCredentials } from '@latchkey/domain';
import * as E from 'fp-ts/lib/Either.js';

/**
 * A record with no prototype: parameter names are client-chosen, and `toString`, `constructor` or
 * `__proto__` must name a parameter like any other, not a property every object inherits.
 */
const emptyRecord = <V>(): Record<string, V> => Object.create(null) as Record<string, V>;

/** Every value of each parameter, empty values dropped (they count as omitted, docs/http-api.md#conventions). */
export const multiParams = (search: URLSearchParams): Record<string, string[]> => {
  const params = emptyRecord<string[]>();
  for (const [name, value] of search) {
    if (value === '') continue;
    (params[name] ??= []).push(value);
  }
  return params;
};

/**
 * Single-valued OAuth parameters: a parameter given twice is `invalid_request` (`resource`:
 * `invalid_target`), RFC 6749 §3.1 / §3.2, docs/http-api.md#conventions.
 */
export const singleParams = (search: URLSearchParams): E.Either<OAuthError, Record<string, string>> => {
  const params = emptyRecord<string>();
  for (const [name, value] of search) {
    if (value === '') continue;
    if (name in params) {
      return E.left(
        name === 'resource'
          ? oauthError('invalid_target', 'Only one resource may be requested.')
          : oauthError('invalid_request', `The ${name} parameter was given more than once.`),
      );
    }
    params[name] = value;
  }
  return E.right(params);
};

/** Form-decoding of one Basic credential part (RFC 6749 §2.3.1: `+` is a space, then %-decoding). */
const formDecode = (part: string): string | undefined => {
  // Nothing to decode in the usual case: ids and secrets use only `[A-Za-z0-9_-]` (docs/http-api.md#token).
  if (!part.includes('+') && !part.includes('%')) return part;
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
};

export interface ParsedBasic {
  /** Whether the request tried HTTP Basic at all (then a failure gets a Basic challenge). */
  readonly attempted: boolean;
  readonly credentials: E.Either<OAuthError, PresentedClientCredentials['basic']>;
}

const MALFORMED_BASIC = oauthError('invalid_client', 'Client authentication failed.', {
  logDetail: 'malformed Basic header',
});

/**
 * The bytes of `text` when it is canonical base64: the RFC 4648 §4 alphabet, padding to a whole
 * quantum (§3.2) or none at all, no `=` elsewhere, and zero pad bits in the last character
 * (§3.5). Node's decoder ignores surplus padding and stray bits, so without this check `YQ====`
 * and `YR==` would pass for `YQ==` (`a`): a credential never sent that way.
 */
const canonicalBase64 = (text: string): Buffer | undefined => {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  const padded = text.endsWith('=') ? text : text + '='.repeat((4 - (text.length % 4)) % 4);
  return bytes.toString('base64') === padded ? bytes : undefined;
};

/** Reads `Authorization: Basic` (RFC 7617) with form-decoded parts (RFC 6749 §2.3.1). */
export const parseBasic = (header: string): ParsedBasic => {
  // Another scheme (or none) is not client authentication: the body may carry it.
  if (!/^Basic(?: |$)/i.test(header)) return { attempted: false, credentials: E.right(undefined) };
  const match = /^Basic[ ]+(\S+)[ ]*$/i.exec(header);
  const bytes = match?.[1] === undefined ? undefined : canonicalBase64(match[1]);
  if (bytes === undefined) return { attempted: true, credentials: E.left(MALFORMED_BASIC) };
  const decoded = bytes.toString('utf8');
  const colon = decoded.indexOf(':');
  const clientId = colon < 0 ? undefined : formDecode(decoded.slice(0, colon));
  const clientSecret = colon < 0 ? undefined : formDecode(decoded.slice(colon + 1));
  return clientId === undefined || clientSecret === undefined || clientId === ''
    ? { attempted: true, credentials: E.left(MALFORMED_BASIC) }
    : { attempted: true, credentials: E.right({ clientId, clientSecret }) };
};
