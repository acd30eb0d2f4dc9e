import { auditDiff, type AuditDiff } from '../model/audit.js';
import type { User } from '../model/user.js';

/** The audited view of a user (no password, no hash). */
export const userAuditDiff = (user: User): AuditDiff =>
  auditDiff(undefined, {
    id: user.id,
    email: user.email,
    username: user.username,
    name: user.name,
    role: user.role,
  });
