import { randomBytes } from 'node:crypto';
import { digestsEqual } from '@latchkey/domain';
import { CSRF_COOKIE } from '../config.js';
import type { Ctx } from '../state.js';
import { serializeCookie } from './cookies.js';

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * CSRF protection for the pre-session forms (`/login`, `/setup`): a double-submit token, kept in
 * a `SameSite=Strict`, `HttpOnly` cookie and echoed in a hidden field. A cross-site page can
 * neither read the cookie nor make the browser send it.
 */
export const issueFormCsrf = (ctx: Ctx, secure: boolean): string => {
  const existing = ctx.cookies.get(CSRF_COOKIE);
  if (existing !== undefined && TOKEN.test(existing)) return existing;
  const token = randomBytes(32).toString('base64url');
  ctx.append('Set-Cookie', serializeCookie(CSRF_COOKIE, token, { sameSite: 'Strict', secure }));
  return token;
};

export const checkFormCsrf = (ctx: Ctx, presented: string | null): boolean => {
  const expected = ctx.cookies.get(CSRF_COOKIE);
  return (
    expected !== undefined && presented !== null && TOKEN.test(expected) && digestsEqual(expected, presented)
  );
};
