import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
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
import {
  checkRegistration,
  type ClientUpdateFields,
  type RegistrationMetadata,
  type RegistrationRequest,
} from '../../model/registration.js';
import { OIDC_SCOPES, parseScope } from '../../model/scope.js';
import type { Ports } from '../../ports/index.js';
import type { Repositories } from '../../ports/transactor.js';
import { appDiff } from '../apps/app-rules.js';
import { auditEntry, type AuditFacts } from '../audit-entry.js';
import { oauthPortFailure, tryPort, tryTransaction } from '../support.js';

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

/**
 * Requested scope values the server does not support, or that lie outside `LATCHKEY_DCR_SCOPES`,
 * are dropped rather than refused: hosted clients send their own names (docs/http-api.md#registration).
 */
export const registrableScope = (requested: string | undefined, settings: RegistrationSettings): string[] =>
  parseScope(requested).filter(
    (s) =>
      (settings.dcrScopes.includes(s) || OIDC_SCOPES.includes(s)) &&
      settings.supportedScopes.includes(s) &&
      s !== 'all',
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

/** `work` in one transaction: committed on `Right`, rolled back on `Left`. */
const transaction = <A>(
  deps: Pick<Ports, 'transactor'>,
  work: (tx: Repositories) => Promise<E.Either<OAuthError, A>>,
): Promise<E.Either<OAuthError, A>> => tryTransaction(deps.transactor, work, oauthPortFailure);

/** The audit entry of a change to a registration, written by `tx` (docs/http-api.md#audit-log). */
const appendAudit = (
  tx: Pick<Repositories, 'audit'>,
  deps: Pick<Ports, 'clock' | 'random'>,
  meta: RequestMeta,
  facts: AuditFacts,
): Promise<E.Either<OAuthError, void>> =>
  tryPort(() => tx.audit.append(auditEntry(deps, meta)(facts)), oauthPortFailure);

/**
 * One transaction at `/oauth2/clients/{id}` (RFC 7592): `change` the client's row, then audit it.
 * A client gone meanwhile (`change` finds none) gets the one `invalid_token` answer.
 */
const changeAudited = (
  deps: Pick<Ports, 'transactor' | 'clock' | 'random'>,
  meta: RequestMeta,
  change: (tx: Repositories) => Promise<boolean>,
  facts: AuditFacts,
): Promise<E.Either<OAuthError, void>> =>
  transaction(deps, async (tx) => {
    const changed = await tryPort(() => change(tx), oauthPortFailure);
    if (E.isLeft(changed)) return changed;
    if (!changed.right) return E.left(invalidRegistrationToken());
    return appendAudit(tx, deps, meta, facts);
  });

/** A new client with the credentials shown once: its registration access token and, if confidential, a secret. */
interface NewClient {
  readonly client: OAuthClient;
  readonly registrationAccessToken: string;
  readonly secret?: { readonly token: string; readonly row: ClientSecret };
}

/**
 * RFC 7591 §3: a client registers itself. One transaction writes the client, its secret (for a
 * confidential client) and the audit entry; the secret and the registration access token are in
 * this answer only.
 */
export const makeRegisterClient = (deps: RegistrationDeps, settings: RegistrationSettings) => {
  const newClient = (registration: RegistrationMetadata): NewClient => {
    const now = deps.clock.now();
    const id = deps.random.uuid() as ClientId;
    const token = issueCredential('registration', deps.random.bytes(CREDENTIAL_BYTES));
    const client = clientFrom(id, registration, settings, now, undefined, token.digest);
    if (client.clientType !== 'confidential') return { client, registrationAccessToken: token.token };
    const secret = issueCredential('clientSecret', deps.random.bytes(CREDENTIAL_BYTES));
    const row: ClientSecret = {
      id: deps.random.uuid() as ClientSecretId,
      clientId: id,
      digest: secret.digest,
      displaySuffix: truncateSecret(secret.token),
      createdAt: now,
    };
    return { client, registrationAccessToken: token.token, secret: { token: secret.token, row } };
  };

  /** One call, all or nothing: the client, its secret and the audit entry (one statement on PostgreSQL). */
  const store = (created: NewClient, meta: RequestMeta): Promise<E.Either<OAuthError, void>> => {
    const { client, secret } = created;
    const audit = auditEntry(
      deps,
      meta,
    )({
      action: 'create',
      resourceType: 'oauth2_provider_app',
      resourceId: client.id,
      status: 201,
      diff: appDiff(undefined, client),
    });
    return tryPort(() => deps.clients.insertRegistered(client, secret?.row, audit), oauthPortFailure);
  };

  const register = async (
    request: RegistrationRequest,
    meta: RequestMeta,
  ): Promise<E.Either<OAuthError, Registration>> => {
    const checked = checkRegistration(request);
    if (E.isLeft(checked)) return checked;
    const created = newClient(checked.right.registration);
    const stored = await store(created, meta);
    if (E.isLeft(stored)) return stored;
    return E.right({
      client: created.client,
      registrationAccessToken: created.registrationAccessToken,
      ...(created.secret === undefined ? {} : { clientSecret: created.secret.token }),
    });
  };

  return (request: RegistrationRequest, meta: RequestMeta): TE.TaskEither<OAuthError, Registration> =>
    () =>
      register(request, meta);
};

/** The one answer for every failure at `/oauth2/clients/{id}`, so that nothing is revealed (docs/http-api.md#registration). */
export const invalidRegistrationToken = (): OAuthError =>
  oauthError('invalid_token', 'The registration access token is invalid.');

/**
 * RFC 7592 §3: the registration access token must be **that** client's. Unknown client, a client
 * an owner created, a wrong or malformed token: all the same `invalid_token`.
 */
export const makeAuthenticateRegistration = (deps: Pick<Ports, 'clients'>) => {
  const authenticate = async (
    clientId: string,
    token: string | undefined,
  ): Promise<E.Either<OAuthError, OAuthClient>> => {
    const digest = token === undefined ? undefined : credentialDigest('registration', token);
    if (digest === undefined || !Uuid.is(clientId)) return E.left(invalidRegistrationToken());
    const found = await tryPort(
      () => deps.clients.findById(clientId.toLowerCase() as ClientId),
      oauthPortFailure,
    );
    if (E.isLeft(found)) return found;
    const client = found.right;
    return client?.dynamicallyRegistered === true &&
      client.registrationTokenDigest !== undefined &&
      digestsEqual(client.registrationTokenDigest, digest)
      ? E.right(client)
      : E.left(invalidRegistrationToken());
  };
  return (clientId: string, token: string | undefined): TE.TaskEither<OAuthError, OAuthClient> =>
    () =>
      authenticate(clientId, token);
};

/** Whether a PUT keeps the client on the same side of the public/confidential line (docs/http-api.md#registration). */
const sameClass = (current: OAuthClient, registration: RegistrationMetadata): boolean =>
  (current.tokenEndpointAuthMethod === 'none') === (registration.tokenEndpointAuthMethod === 'none');

/** An update that passed the checks that need no storage, and the secret it presents, if any. */
export interface CheckedUpdate {
  readonly registration: RegistrationMetadata;
  readonly clientSecret?: string;
}

/**
 * RFC 7592 §2.2, the checks of a PUT that need no storage, after those of a registration: a
 * `client_id` must be this client's; an omitted method keeps the current one; a client cannot
 * move between `none` and the secret-based methods (docs/http-api.md#registration).
 */
export const checkRegistrationUpdate = (
  current: OAuthClient,
  request: RegistrationRequest<ClientUpdateFields>,
): E.Either<OAuthError, CheckedUpdate> => {
  const checked = checkRegistration(request);
  if (E.isLeft(checked)) return checked;
  const { fields } = checked.right;
  const registration: RegistrationMetadata = checked.right.registration.authMethodGiven
    ? checked.right.registration
    : { ...checked.right.registration, tokenEndpointAuthMethod: current.tokenEndpointAuthMethod };
  if (fields.clientId !== undefined && fields.clientId !== current.id) {
    return E.left(oauthError('invalid_client_metadata', 'client_id does not match this client.'));
  }
  if (!sameClass(current, registration)) {
    return E.left(
      oauthError(
        'invalid_client_metadata',
        'A client cannot move between public (none) and secret-based authentication.',
      ),
    );
  }
  return E.right({
    registration,
    ...(fields.clientSecret === undefined ? {} : { clientSecret: fields.clientSecret }),
  });
};

/**
 * RFC 7592 §2.2: a full replacement of the registration, validated like a registration. The
 * method may change between the secret methods but not to or from `none`; a `client_secret` in
 * the body must be the current one; `client_id` must match.
 */
export const makeUpdateClientRegistration = (deps: RegistrationDeps, settings: RegistrationSettings) => {
  /** A presented `client_secret` must be a current secret of this client. */
  const checkPresentedSecret = async (
    client: OAuthClient,
    presented: string | undefined,
  ): Promise<E.Either<OAuthError, void>> => {
    if (presented === undefined) return E.right(undefined);
    const digest = credentialDigest('clientSecret', presented);
    const stored =
      digest === undefined
        ? E.right(undefined)
        : await tryPort(() => deps.clientSecrets.findByDigest(digest), oauthPortFailure);
    if (E.isLeft(stored)) return stored;
    return stored.right?.clientId === client.id
      ? E.right(undefined)
      : E.left(
          oauthError('invalid_client_metadata', 'client_secret is not the current secret of this client.'),
        );
  };

  const store = (
    client: OAuthClient,
    updated: OAuthClient,
    meta: RequestMeta,
  ): Promise<E.Either<OAuthError, void>> =>
    changeAudited(deps, meta, (tx) => tx.clients.update(updated), {
      action: 'write',
      resourceType: 'oauth2_provider_app',
      resourceId: client.id,
      status: 200,
      diff: appDiff(client, updated),
    });

  const update = async (
    client: OAuthClient,
    request: RegistrationRequest<ClientUpdateFields>,
    meta: RequestMeta,
  ): Promise<E.Either<OAuthError, Registration>> => {
    const checked = checkRegistrationUpdate(client, request);
    if (E.isLeft(checked)) return checked;
    const secret = await checkPresentedSecret(client, checked.right.clientSecret);
    if (E.isLeft(secret)) return secret;
    const updated = clientFrom(
      client.id,
      checked.right.registration,
      settings,
      deps.clock.now(),
      client,
      client.registrationTokenDigest,
    );
    const stored = await store(client, updated, meta);
    return E.isLeft(stored) ? stored : E.right({ client: updated });
  };

  return (
      client: OAuthClient,
      request: RegistrationRequest<ClientUpdateFields>,
      meta: RequestMeta,
    ): TE.TaskEither<OAuthError, Registration> =>
    () =>
      update(client, request, meta);
};

/** RFC 7592 §2.3: the client, its secrets and every token it obtained are gone. */
export const makeDeleteClientRegistration = (deps: Pick<Ports, 'transactor' | 'clock' | 'random'>) => {
  const remove = (client: OAuthClient, meta: RequestMeta): Promise<E.Either<OAuthError, void>> =>
    changeAudited(deps, meta, (tx) => tx.clients.delete(client.id), {
      action: 'delete',
      resourceType: 'oauth2_provider_app',
      resourceId: client.id,
      status: 204,
      diff: appDiff(client, undefined),
    });
  return (client: OAuthClient, meta: RequestMeta): TE.TaskEither<OAuthError, void> =>
    () =>
      remove(client, meta);
};
