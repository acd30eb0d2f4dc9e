import { locationLength } from '@latchkey/domain';

/** One `/` then anything but `/` or `\`: a path on this origin, never a network-path reference. */
const LOCAL_PATH = /^\/(?![/\\])/;
/** `\`, whitespace and control characters, raw or percent-encoded (`%5C`, `%00`–`%1F`, `%7F`, `%20`). */
const UNSAFE_TEXT = /[\\\s\u0000-\u001f\u007f]|%(?:5c|[01][0-9a-f]|7f|20)/i;

/** Longer targets become `/`: the answer's `Location` stays under 8 KiB (docs/http-api.md#bounds). */
const MAX_TARGET_LENGTH = 6144;

const isSafeLocalPath = (path: string): boolean =>
  LOCAL_PATH.test(path) && !UNSAFE_TEXT.test(path) && locationLength(path) <= MAX_TARGET_LENGTH;

/**
 * The post-login redirect target (docs/http-api.md#pages-and-redirect-rule): a local path only. It must start with
 * one `/` followed by neither `/` nor `\`, contain no `\`, whitespace or control character (raw or
 * percent-encoded), and resolve to the issuer's origin; anything else becomes `/`.
 *
 * The rules are applied to what is returned, not only to what was received: resolving
 * `/.//evil.example` removes the dot segment and leaves `//evil.example`, a network-path
 * reference (RFC 3986 §4.2) that a browser follows to another host. So the candidate is resolved
 * first, and the resolved path and query must pass the same checks and resolve to themselves.
 */
export const safeRedirect = (candidate: string | null | undefined, issuer: string): string => {
  if (candidate === null || candidate === undefined || !isSafeLocalPath(candidate)) return '/';
  try {
    const base = `${issuer}/`;
    const origin = new URL(issuer).origin;
    const resolved = new URL(candidate, base);
    const target = resolved.pathname + resolved.search;
    if (resolved.origin !== origin || !isSafeLocalPath(target)) return '/';
    const again = new URL(target, base);
    return again.origin === origin && again.pathname + again.search === target ? target : '/';
  } catch {
    return '/';
  }
};
