import * as t from 'io-ts';
import { refinedString } from './codec.js';
import type { UserId } from './ids.js';

/** Owners manage apps and users; members use the API for themselves. */
export const Role = t.keyof({ owner: null, member: null }, 'Role');
export type Role = t.TypeOf<typeof Role>;

/** A deliberately plain check (one `@`, a dot in the domain, no spaces); RFC 5322 is not the point. */
export const Email = refinedString(
  'Email',
  (s) => s.length <= 254 && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s),
  'must be an email address',
);
export type Email = t.TypeOf<typeof Email>;

/** @see docs/http-api.md#users-and-sessions */
export const Username = refinedString(
  'Username',
  (s) => /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/.test(s),
  'must be 1-32 lowercase letters, digits or inner hyphens',
);
export type Username = t.TypeOf<typeof Username>;

/** At least 8 characters; capped so that hashing cost stays bounded. */
export const Password = refinedString(
  'Password',
  (s) => s.length >= 8 && s.length <= 256,
  'must be 8 to 256 characters',
);
export type Password = t.TypeOf<typeof Password>;

export const DisplayName = refinedString(
  'DisplayName',
  (s) => s.length <= 128 && !/[\u0000-\u001f\u007f]/.test(s),
  'must be at most 128 characters without control characters',
);
export type DisplayName = t.TypeOf<typeof DisplayName>;

export interface User {
  readonly id: UserId;
  readonly email: Email;
  readonly username: Username;
  readonly name: string;
  readonly role: Role;
  readonly createdAt: Date;
}

/** Emails are unique case-insensitively (docs/http-api.md#users-and-sessions). */
export const normaliseEmail = (email: string): string => email.toLowerCase();

/** Body of `POST /api/v2/users/first`. */
export const NewFirstUser = t.intersection([
  t.type({ email: Email, username: Username, password: Password }),
  t.partial({ name: DisplayName }),
]);
export type NewFirstUser = t.TypeOf<typeof NewFirstUser>;

/** Body of `POST /api/v2/users`. */
export const NewUser = t.intersection([NewFirstUser, t.partial({ role: Role })]);
export type NewUser = t.TypeOf<typeof NewUser>;

/** Body of `POST /api/v2/users/login`; the password is not length-checked here (no hints). */
export const LoginRequest = t.type({ email: t.string, password: t.string });
export type LoginRequest = t.TypeOf<typeof LoginRequest>;
