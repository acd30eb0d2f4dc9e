/**
 * The post-login redirect target (CONTRACT §3): a local path only. It must start with one `/`
 * followed by neither `/` nor `\`, contain no `\`, whitespace or control character (raw or
 * percent-encoded), and resolve to the issuer's origin; anything else becomes `/`. This closes
 * the open-redirect tricks (`//evil`, `/\evil`, `/%09/evil`).
 */
export const safeRedirect = (candidate: string | null | undefined, issuer: string): string => {
  if (candidate === null || candidate === undefined) return '/';
  if (!/^\/[^/\\]/.test(candidate)) return '/';
  if (/[\\\s\u0000-\u001f\u007f]/.test(candidate)) return '/';
  if (/%(5c|[01][0-9a-f]|7f|20)/i.test(candidate)) return '/';
  try {
    const origin = new URL(issuer).origin;
    const resolved = new URL(candidate, `${issuer}/`);
    return resolved.origin === origin ? resolved.pathname + resolved.search : '/';
  } catch {
    return '/';
  }
};
