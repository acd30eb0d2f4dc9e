import * as t from 'io-ts';
import { refinedString } from './codec.js';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID as text, case-insensitive on input. */
export const Uuid = refinedString('Uuid', (s) => UUID_PATTERN.test(s), 'must be a UUID');
export type Uuid = t.TypeOf<typeof Uuid>;

export type UserId = Uuid;
export type ApiKeyId = Uuid;
export type AuditEntryId = Uuid;
