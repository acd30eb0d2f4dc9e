import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { oauthError, type OAuthError } from '../../errors/oauth-error.js';
import type { RequestMeta } from '../../model/audit.js';
import type { ClientId, ClientSecret, ClientSecretId, OAuthClient } from '../../model/client.js';
import {
  CREDENTIAL_BYTES,
  credentialDigest,
  digestsEqual,
  issueCredential,
  truncateSecret,
} from '../../model/credential.js';
import { Uuid } from '../../model/ids.js';
import { decodeRegistration, type RegistrationMetadata } from '../../model/registration.js';
import { parseScope } from '../../model/scope.js';
import type { Ports } from '../../ports/index.js';
import type { Repositories } from '../../ports/transactor.js';
import { appDiff } from '../apps/app-rules.js';
import { auditEntry, type AuditFacts } from '../audit-entry.js';
import { fromPortOAuth, inOAuthTransaction } from '../support.js';

export interface RegistrationSettings {
  readonly supportedScopes: readonly string[];
  /** `LATCHKEY_DCR_SCOPES`: all a dynamically registered client may get (never `all`). */
  readonly dcrScopes: readonly string[];
}

/** A registration as answered: the client, and the secrets shown only in the creation response. */
export interface Registration {
  readonly client: OAuthClient;
  readonly clientSecret?: string;
  readonly registrationAccessToken?: string;
}

type RegistrationDeps = Pick<Ports, 'clients' | 'clientSecrets' | 'transactor' | 'clock' | 'random'>;

const fromProblem = (
  decoded: ReturnType<typeof decodeRegistration>,
): E.Either<OAuthError, RegistrationMetadata> =>
  E.mapLeft((p: { code: 'invalid_redirect_uri' | 'invalid_client_metadata'; description: string }) =>
    oauthError(p.code, p.description),
  )(decoded);

/**
 * Requested scope values the server does not support, or that lie outside `LATCHKEY_DCR_SCOPES`,
 * are dropped rather than refused: hosted clients send their own names (docs/http-api.md#registration).
 */
export const registrableScope = (requested: string | undefined, settings: RegistrationSettings): string[] =>
  parseScope(requested).filter(
    (s) => settings.dcrScopes.includes(s) && settings.supportedScopes.includes(s) && s !== 'all',
  );

const clientFrom = (
  id: ClientId,
  registration: RegistrationMetadata,
  settings: RegistrationSettings,
  now: Date,
  previous: OAuthClient | undefined,
  registrationTokenDigest: OAuthClient['registrationTokenDigest'],
): OAuthClient => {
  const scope = registrableScope(registration.scope, settings);
  return {
    id,
    name: registration.metadata.clientName ?? id,
    callbackUrl: registration.redirectUris[0] ?? '',
    redirectUris: [...new Set(registration.redirectUris)],
    icon: '',
    clientType: registration.tokenEndpointAuthMethod === 'none' ? 'public' : 'confidential',
    dynamicallyRegistered: true,
    grantTypes: registration.grantTypes,
    responseTypes: registration.responseTypes,
    tokenEndpointAuthMethod: registration.tokenEndpointAuthMethod,
    ...(scope.length === 0 ? {} : { scope }),
    introspectAny: false,
    metadata: registration.metadata,
    ...(registrationTokenDigest === undefined ? {} : { registrationTokenDigest }),
    createdAt: previous?.createdAt ?? now,
    updatedAt: now,
  };
};

const audit =
  (tx: Pick<Repositories, 'audit'>, deps: Pick<Ports, 'clock' | 'random'>, meta: RequestMeta) =>
  (facts: AuditFacts): TE.TaskEither<OAuthError, void> =>
    fromPortOAuth(() => tx.audit.append(auditEntry(deps, meta)(facts)));

/**
 * RFC 7591 §3: a client registers itself. One transaction writes the client, its secret (for a
 * confidential client) and the audit entry; the secret and the registration access token are in
 * this answer only.
 */
export const makeRegisterClient =
  (deps: RegistrationDeps, settings: RegistrationSettings) =>
  (body: unknown, meta: RequestMeta): TE.TaskEither<OAuthError, Registration> =>
    pipe(
      TE.fromEither(fromProblem(decodeRegistration(body))),
      TE.flatMap((registration) => {
        const now = deps.clock.now();
        const id = deps.random.uuid() as ClientId;
        const token = issueCredential('registration', deps.random.bytes(CREDENTIAL_BYTES));
        const client = clientFrom(id, registration, settings, now, undefined, token.digest);
        const secret =
          client.clientType === 'confidential'
            ? issueCredential('clientSecret', deps.random.bytes(CREDENTIAL_BYTES))
            : undefined;
        const secretRow: ClientSecret | undefined =
          secret === undefined
            ? undefined
            : {
                id: deps.random.uuid() as ClientSecretId,
                clientId: id,
                digest: secret.digest,
                displaySuffix: truncateSecret(secret.token),
                createdAt: now,
              };
        return pipe(
          inOAuthTransaction(deps.transactor)((tx) =>
            pipe(
              fromPortOAuth(() => tx.clients.insert(client)),
              TE.flatMap(() =>
                secretRow === undefined
                  ? TE.right(undefined)
                  : fromPortOAuth(() => tx.clientSecrets.insert(secretRow)),
              ),
              TE.flatMap(() =>
                audit(
                  tx,
                  deps,
                  meta,
                )({
                  action: 'create',
                  resourceType: 'oauth2_provider_app',
                  resourceId: id,
                  status: 201,
                  diff: appDiff(undefined, client),
                }),
              ),
            ),
          ),
          TE.map(() => ({
            client,
            registrationAccessToken: token.token,
            ...(secret === undefined ? {} : { clientSecret: secret.token }),
          })),
        );
      }),
    );

/** The one answer for every failure at `/oauth2/clients/{id}`, so that nothing is revealed (docs/http-api.md#registration). */
export const invalidRegistrationToken = (): OAuthError =>
  oauthError('invalid_token', 'The registration access token is invalid.');

/**
 * RFC 7592 §3: the registration access token must be **that** client's. Unknown client, a client
 * an owner created, a wrong or malformed token: all the same `invalid_token`.
 */
export const makeAuthenticateRegistration =
  (deps: Pick<Ports, 'clients'>) =>
  (clientId: string, token: string | undefined): TE.TaskEither<OAuthError, OAuthClient> => {
    const digest = token === undefined ? undefined : credentialDigest('registration', token);
    if (digest === undefined || !Uuid.is(clientId)) return TE.left(invalidRegistrationToken());
    return pipe(
      fromPortOAuth(() => deps.clients.findById(clientId.toLowerCase() as ClientId)),
      TE.flatMap((client) =>
        client?.dynamicallyRegistered === true &&
        client.registrationTokenDigest !== undefined &&
        digestsEqual(client.registrationTokenDigest, digest)
          ? TE.right(client)
          : TE.left(invalidRegistrationToken()),
      ),
    );
  };

/** Whether a PUT keeps the client on the same side of the public/confidential line (docs/http-api.md#registration). */
const sameClass = (current: OAuthClient, registration: RegistrationMetadata): boolean =>
  (current.tokenEndpointAuthMethod === 'none') === (registration.tokenEndpointAuthMethod === 'none');

/**
 * RFC 7592 §2.2: a full replacement of the registration, validated like a registration. The
 * method may change between the secret methods but not to or from `none`; a `client_secret` in
 * the body must be the current one; `client_id` must match.
 */
export const makeUpdateClientRegistration =
  (deps: RegistrationDeps, settings: RegistrationSettings) =>
  (client: OAuthClient, body: unknown, meta: RequestMeta): TE.TaskEither<OAuthError, Registration> =>
    pipe(
      TE.fromEither(fromProblem(decodeRegistration(body))),
      TE.map((registration): RegistrationMetadata =>
        registration.authMethodGiven
          ? registration
          : { ...registration, tokenEndpointAuthMethod: client.tokenEndpointAuthMethod },
      ),
      TE.flatMap((registration) => {
        const fields = body as Readonly<Record<string, unknown>>;
        if (fields.client_id !== undefined && fields.client_id !== client.id) {
          return TE.left(oauthError('invalid_client_metadata', 'client_id does not match this client.'));
        }
        if (!sameClass(client, registration)) {
          return TE.left(
            oauthError(
              'invalid_client_metadata',
              'A client cannot move between public (none) and secret-based authentication.',
            ),
          );
        }
        const presentedSecret = fields.client_secret;
        if (presentedSecret === undefined || presentedSecret === null || presentedSecret === '')
          return TE.right(registration);
        const digest =
          typeof presentedSecret === 'string' ? credentialDigest('clientSecret', presentedSecret) : undefined;
        return pipe(
          digest === undefined
            ? TE.right(undefined)
            : fromPortOAuth(() => deps.clientSecrets.findByDigest(digest)),
          TE.flatMap((stored) =>
            stored?.clientId === client.id
              ? TE.right(registration)
              : TE.left(
                  oauthError(
                    'invalid_client_metadata',
                    'client_secret is not the current secret of this client.',
                  ),
                ),
          ),
        );
      }),
      TE.map((registration) =>
        clientFrom(
          client.id,
          registration,
          settings,
          deps.clock.now(),
          client,
          client.registrationTokenDigest,
        ),
      ),
      TE.tap((updated) =>
        inOAuthTransaction(deps.transactor)((tx) =>
          pipe(
            fromPortOAuth(() => tx.clients.update(updated)),
            TE.flatMap((found) => (found ? TE.right(undefined) : TE.left(invalidRegistrationToken()))),
            TE.flatMap(() =>
              audit(
                tx,
                deps,
                meta,
              )({
                action: 'write',
                resourceType: 'oauth2_provider_app',
                resourceId: client.id,
                status: 200,
                diff: appDiff(client, updated),
              }),
            ),
          ),
        ),
      ),
      TE.map((updated) => ({ client: updated })),
    );

/** RFC 7592 §2.3: the client, its secrets and every token it obtained are gone. */
export const makeDeleteClientRegistration =
  (deps: Pick<Ports, 'transactor' | 'clock' | 'random'>) =>
  (client: OAuthClient, meta: RequestMeta): TE.TaskEither<OAuthError, void> =>
    inOAuthTransaction(deps.transactor)((tx) =>
      pipe(
        fromPortOAuth(() => tx.clients.delete(client.id)),
        TE.flatMap((deleted) => (deleted ? TE.right(undefined) : TE.left(invalidRegistrationToken()))),
        TE.flatMap(() =>
          audit(
            tx,
            deps,
            meta,
          )({
            action: 'delete',
            resourceType: 'oauth2_provider_app',
            resourceId: client.id,
            status: 204,
            diff: appDiff(client, undefined),
          }),
        ),
      ),
    );
