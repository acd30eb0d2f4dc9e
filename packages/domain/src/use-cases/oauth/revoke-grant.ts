import * as E from 'fp-ts/lib/Either.js';
import type { OAuthError } from '../../errors/oauth-error.js';
import type { AuditDiff, RequestMeta } from '../../model/audit.js';
import type { GrantId } from '../../model/grant.js';
import type { UserId } from '../../model/ids.js';
import type { Ports } from '../../ports/index.js';
import type { Repositories } from '../../ports/transactor.js';
import { auditEntry } from '../audit-entry.js';
import { asTask, oauthPortFailure, tryPort, tryTransaction, type Outcome } from '../support.js';

export interface GrantRevocation {
  readonly grantId: GrantId;
  /** The HTTP status of the request that caused it (docs/http-api.md#audit-log). */
  readonly status: number;
  readonly actorId?: UserId;
  readonly diff: AuditDiff;
}

/**
 * Revokes a grant with everything descended from it, and audits it in the same transaction
 * (docs/http-api.md#audit-log). A grant that was already revoked is left alone and not audited again.
 */
export const revokeGrantAudited = (
  deps: Pick<Ports, 'transactor' | 'clock' | 'random'>,
  meta: RequestMeta,
) => {
  const revoke = async (tx: Repositories, revocation: GrantRevocation): Outcome<OAuthError, boolean> => {
    const revoked = await tryPort(
      () => tx.grants.revoke(revocation.grantId, deps.clock.now()),
      oauthPortFailure,
    );
    if (E.isLeft(revoked) || !revoked.right) return revoked;
    const entry = auditEntry(
      deps,
      meta,
    )({
      action: 'revoke',
      resourceType: 'oauth2_grant',
      resourceId: revocation.grantId,
      actorId: revocation.actorId,
      status: revocation.status,
      diff: revocation.diff,
    });
    const logged = await tryPort(() => tx.audit.append(entry), oauthPortFailure);
    return E.isLeft(logged) ? logged : revoked;
  };
  const revokeAudited = (revocation: GrantRevocation): Outcome<OAuthError, boolean> =>
    tryTransaction(deps.transactor, (tx) => revoke(tx, revocation), oauthPortFailure);
  return asTask(revokeAudited);
};
