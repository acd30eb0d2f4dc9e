/**
 * Whether the grant `alias` is live at the `timestamptz` expression `now`: not revoked, and
 * expiring strictly after `now`. The SQL twin of the domain's `isGrantLive`, for the statements
 * that decide it in the database (a redemption, a rotation, which clients a user has granted,
 * which dynamically registered clients are abandoned); a test holds the two to the same answers.
 */
export const liveGrant = (alias: string, now: string): string =>
  `(${alias}.revoked_at is null and ${alias}.expires_at > ${now})`;
