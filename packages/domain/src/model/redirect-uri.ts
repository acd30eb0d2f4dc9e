import * as E from 'fp-ts/lib/Either.js';

/**
 * Redirect URIs: one set of rules for owner-registered apps (docs/http-api.md#apps) and for dynamically
 * registered clients (docs/http-api.md#registration, RFC 7591 §2, RFC 8252 §7, RFC 9700 §2.1).
 */
export type RedirectUriPolicy =
  /** An owner registers it: any absolute http(s) URL; a custom scheme only for a public app. */
  | { readonly kind: 'owner'; readonly allowCustomScheme: boolean }
  /** A client registers itself: https anywhere, http only on loopback, private-use schemes. */
  | { readonly kind: 'dynamic' };

/** Schemes that can never receive an authorization response (docs/http-api.md#registration). */
const FORBIDDEN_SCHEMES: readonly string[] = [
  'javascript:',
  'data:',
  'file:',
  'ftp:',
  'vbscript:',
  'about:',
  'blob:',
  'urn:',
];
const LOOPBACK_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

export const isLoopbackHost = (hostname: string): boolean => LOOPBACK_HOSTS.includes(hostname.toLowerCase());

/**
 * RFC 3986 §2: the characters a URI may contain: unreserved, reserved (gen-delims and
 * sub-delims) and `%`. Anything else (`"`, `<`, `>`, `\`, `^`, `` ` ``, `{`, `|`, `}`, spaces,
 * controls, non-ASCII) must be percent-encoded.
 */
const URI_CHARACTERS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]*$/;
/** A `%` that does not start a percent-encoding (RFC 3986 §2.1). */
const STRAY_PERCENT = /%(?![0-9A-Fa-f]{2})/;

/**
 * The RFC 3986 character rules a URI is checked against, beyond what a WHATWG URL parser accepts
 * (it percent-encodes or drops what RFC 3986 forbids, and reads `\` as `/` in http(s) URLs):
 * only the characters of §2, `%` only in a percent-encoding, and `[` `]` only around an IP
 * literal in the authority (§3.2.2). `undefined` when it keeps them.
 */
const uriCharacterProblem = (raw: string): string | undefined => {
  if (!URI_CHARACTERS.test(raw))
    return 'must contain only the characters RFC 3986 allows (percent-encode any other)';
  if (STRAY_PERCENT.test(raw)) return 'must use % only in a percent-encoding (%XX)';
  const [prefix = '', authority = ''] = /^[A-Za-z][A-Za-z0-9+.-]*:(?:\/\/([^/?#]*))?/.exec(raw) ?? [];
  if (/[[\]]/.test(raw.slice(prefix.length)) || !IP_LITERAL_ONLY.test(authority))
    return 'must use [ and ] only around an IP address in the host';
  return undefined;
};

/** An authority whose only brackets enclose the host, an IP literal (RFC 3986 §3.2.2). */
const IP_LITERAL_ONLY = /^(?:[^@[\]]*@)?(?:\[[0-9A-Za-z:.]+\](?::[0-9]*)?|[^@[\]]*)$/;

/** Longest redirect URI we store; generous for real clients (a 2 KB URI is fine). */
export const MAX_REDIRECT_URI_LENGTH = 4096;

/**
 * Checks one redirect URI against a policy: `Right` with the URI unchanged (it is matched by exact
 * string later), or `Left` with the reason.
 */
export const checkRedirectUri = (raw: string, policy: RedirectUriPolicy): E.Either<string, string> => {
  if (raw.length === 0) return E.left('must not be empty');
  if (raw.length > MAX_REDIRECT_URI_LENGTH)
    return E.left(`must be at most ${MAX_REDIRECT_URI_LENGTH} characters`);
  if (/[\s\u0000-\u001f\u007f]/.test(raw)) return E.left('must not contain whitespace or control characters');
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(raw)) return E.left('must be an absolute URI');
  const characters = uriCharacterProblem(raw);
  if (characters !== undefined) return E.left(characters);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return E.left('must be an absolute URI');
  }
  // RFC 6749 §3.1.2: the endpoint URI MUST NOT include a fragment component.
  if (raw.includes('#')) return E.left('must not contain a fragment');
  const scheme = url.protocol.toLowerCase();
  if (FORBIDDEN_SCHEMES.includes(scheme)) return E.left(`must not use the ${scheme.slice(0, -1)} scheme`);
  if (scheme === 'http:' || scheme === 'https:') {
    if (url.hostname === '' || !/^https?:\/\/[^/?#]/i.test(raw)) return E.left('must have a host');
    if (url.username !== '' || url.password !== '') return E.left('must not contain credentials');
    if (policy.kind === 'dynamic' && scheme === 'http:' && !isLoopbackHost(url.hostname)) {
      return E.left('must use https unless the host is localhost, 127.0.0.1 or [::1]');
    }
    return E.right(raw);
  }
  // A private-use scheme (RFC 8252 §7.1), e.g. com.example.app:/cb or cursor://callback.
  if (policy.kind === 'owner' && !policy.allowCustomScheme) {
    return E.left('must use http or https (custom schemes are for public apps)');
  }
  return E.right(raw);
};

/** An app's callback URL (docs/http-api.md#apps): an absolute http(s) URL with a host. */
export const checkCallbackUrl = (raw: string): E.Either<string, string> => {
  if (!/^https?:\/\/[^/?#\s]/i.test(raw)) return E.left('must be an absolute http or https URL with a host');
  return checkRedirectUri(raw, { kind: 'owner', allowCustomScheme: false });
};

/** The path of a URI as written (an empty path is `/`, RFC 3986 §6.2.3), before any normalising. */
const rawPath = (uri: string): string => {
  const afterAuthority = uri.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '');
  const path = afterAuthority.split(/[?#]/, 1)[0] ?? '';
  return path === '' ? '/' : path;
};

const rawQuery = (uri: string): string => {
  const at = uri.indexOf('?');
  return at < 0 ? '' : uri.slice(at);
};

/** Scheme and host as written (the URL parser lower-cases them, and the rule is an exact match). */
const rawSchemeHost = (uri: string): string =>
  /^([a-z][a-z0-9+.-]*:\/\/)([^/?#:]*|\[[^\]]*\])/i.exec(uri)?.[0] ?? '';

const parseUrl = (uri: string): URL | undefined => {
  try {
    return new URL(uri);
  } catch {
    return undefined;
  }
};

/**
 * Whether a presented redirect URI matches one registered URI (docs/http-api.md#authorize step 2): exact string
 * match, except that for a registered loopback `http` URI the port may differ (RFC 8252 §7.3) and
 * an empty path equals `/` (RFC 3986 §6.2.3).
 *
 * The loopback case compares the URI both as written and as a browser parses it (WHATWG URL), and
 * both must agree: `http://127.0.0.1:5555\@evil.example/cb` has the raw path `/cb`, but a
 * browser reads `\` as `/` and goes to `/@evil.example/cb`. So a presented URI with a backslash,
 * whitespace, a control character, a fragment or userinfo never matches loosely.
 */
export const redirectUriMatches = (registered: string, presented: string): boolean => {
  if (registered === presented) return true;
  if (/[\\\s\u0000-\u001f\u007f#]/.test(presented)) return false;
  const r = parseUrl(registered);
  const p = parseUrl(presented);
  if (r === undefined || p === undefined) return false;
  if (r.protocol !== 'http:' || !isLoopbackHost(r.hostname)) return false;
  if (p.protocol !== 'http:' || p.username !== '' || p.password !== '') return false;
  return (
    p.hostname === r.hostname &&
    p.pathname === r.pathname &&
    p.search === r.search &&
    rawSchemeHost(registered) === rawSchemeHost(presented) &&
    rawPath(registered) === rawPath(presented) &&
    rawQuery(registered) === rawQuery(presented)
  );
};

/** The registered URI a presented one matches, if any. */
export const findRegisteredRedirectUri = (
  registered: readonly string[],
  presented: string,
): string | undefined => registered.find((uri) => redirectUriMatches(uri, presented));

/** Characters a URL carries as they are (RFC 3986's unreserved, reserved and `%`-free sub-delims). */
const URL_SAFE = /[\x21\x23-\x24\x26-\x3B\x3D\x3F-\x5F\x61-\x7A\x7C\x7E]/;
const ESCAPE = /^%[0-9A-Fa-f]{2}/;

const utf8Bytes = (codePoint: number): number => {
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  return codePoint < 0x10000 ? 3 : 4;
};

/**
 * How long `url` is once percent-encoded for a `Location` header: every character outside the
 * URL-safe set becomes `%XX` per UTF-8 byte (an unpaired surrogate as U+FFFD), a `%` that starts
 * no escape becomes `%25`, and escapes already there stay. This is what HTTP servers do to a
 * redirect target (Koa's `ctx.redirect` among them), so a bound on it bounds the header.
 */
export const locationLength = (url: string): number => {
  let length = 0;
  for (let i = 0; i < url.length;) {
    const codePoint = url.codePointAt(i) ?? 0;
    const width = codePoint > 0xffff ? 2 : 1;
    const char = url.slice(i, i + width);
    if (char === '%') length += ESCAPE.test(url.slice(i, i + 3)) ? 1 : 3;
    else if (URL_SAFE.test(char)) length += 1;
    else if (codePoint >= 0xd800 && codePoint <= 0xdfff) length += 9;
    else length += 3 * utf8Bytes(codePoint);
    i += width;
  }
  return length;
};
