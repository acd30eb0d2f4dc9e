const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether `value` is a UUID in its hyphenated form. Ids that reach a port from the wire (a
 * `client_id` at the authorize endpoint, a secret id in a path) may be anything; PostgreSQL
 * would reject a malformed one with an error (22P02) where the in-memory adapter simply finds
 * nothing, and would accept forms (braces, no hyphens) that the in-memory adapter does not know.
 * Checking first gives both the same answer: not found.
 */
export const isUuid = (value: string): boolean => CANONICAL_UUID.test(value);
