import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import type { OAuthError } from '../../errors/oauth-error.js';
import type { AuditDiff, RequestMeta } from '../../model/audit.js';
import type { GrantId } from '../../model/grant.js';
import type { UserId } from '../../model/ids.js';
import type { Ports } from '../../ports/index.js';
import { auditEntry } from '../audit-entry.js';
import { fromPortOAuth, inOAuthTransaction } from '../support.js';

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
export const revokeGrantAudited =
  (deps: Pick<Ports, 'transactor' | 'clock' | 'random'>, meta: RequestMeta) =>
  (revocation: GrantRevocation): TE.TaskEither<OAuthError, boolean> =>
    inOAuthTransaction(deps.transactor)((tx) =>
      pipe(
        fromPortOAuth(() => tx.grants.revoke(revocation.grantId, deps.clock.now())),
        TE.tap((revoked) =>
          revoked
            ? fromPortOAuth(() =>
                tx.audit.append(
                  auditEntry(
                    deps,
                    meta,
                  )({
                    action: 'revoke',
                    resourceType: 'oauth2_grant',
                    resourceId: revocation.grantId,
                    actorId: revocation.actorId,
                    status: revocation.status,
                    diff: revocation.diff,
                  }),
                ),
              )
            : TE.right(undefined),
        ),
      ),
    );
