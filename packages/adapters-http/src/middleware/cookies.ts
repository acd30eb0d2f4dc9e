import { SESSION_COOKIE } from '../config.js';
import type { Ctx } from '../state.js';

export interface CookieOptions {
  readonly sameSite: 'Lax' | 'Strict';
  readonly secure: boolean;
  readonly maxAge?: number;
}

/** Cookies are written by hand so that their attributes are exactly those of docs/http-api.md#users-and-sessions. */
export const serializeCookie = (name: string, value: string, options: CookieOptions): string =>
  [
    `${name}=${value}`,
    ...(options.maxAge === undefined ? [] : [`Max-Age=${options.maxAge}`]),
    'Path=/',
    'HttpOnly',
    `SameSite=${options.sameSite}`,
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');

export const setSessionCookie = (ctx: Ctx, token: string, secure: boolean): void => {
  ctx.append(
    'Set-Cookie',
    [`${SESSION_COOKIE}=${token}`, 'HttpOnly', 'SameSite=Lax', 'Path=/', ...(secure ? ['Secure'] : [])].join(
      '; ',
    ),
  );
};

/** `latchkey_session=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax` (docs/http-api.md#users-and-sessions). */
export const clearSessionCookie = (ctx: Ctx, secure: boolean): void => {
  ctx.append(
    'Set-Cookie',
    [
      `${SESSION_COOKIE}=`,
      'Max-Age=0',
      'Path=/',
      'HttpOnly',
      'SameSite=Lax',
      ...(secure ? ['Secure'] : []),
    ].join('; '),
  );
};
