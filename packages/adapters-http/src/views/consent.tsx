import { cardDocument } from './document.js';

/** The scopes in words, for the consent page and the console. Extra scopes are shown by name. */
const SCOPE_WORDS: Readonly<Record<string, string>> = {
  all: 'Act as you: everything your account can do',
  'user:read': 'Read your profile (name, username, email)',
  mcp: 'Use the MCP tools on your behalf',
  // docs/openid-connect.md#scopes
  openid: 'Sign you in: learn your account id',
  profile: 'See your name and username',
  email: 'See your email address',
};

export const describeScope = (scope: string): string => SCOPE_WORDS[scope] ?? `Use the “${scope}” permission`;

export interface ConsentView {
  readonly clientName: string;
  readonly iconUrl?: string;
  readonly dynamicallyRegistered: boolean;
  /**
   * A metadata document client (docs/http-api.md#client-id-metadata-documents): the host of its
   * `client_id`, which vouches for the document, and whether the operator trusts its domain.
   */
  readonly metadataDocument?: { readonly host: string; readonly trusted: boolean };
  /** Every redirect URI of the client is on a loopback host: any local program could receive the code. */
  readonly loopbackOnly: boolean;
  readonly redirectHost: string;
  readonly scopes: readonly string[];
  readonly requestId: string;
  readonly csrfToken: string;
  readonly userName: string;
}

export const consentPage = (view: ConsentView): string =>
  cardDocument(
    'Authorize',
    <>
      {view.iconUrl === undefined ? null : <img src={view.iconUrl} alt="" width={48} height={48} />}
      <h1>Allow {view.clientName}?</h1>
      {view.metadataDocument === undefined ? null : (
        <p class="lead" data-client-id-host={view.metadataDocument.host}>
          Described by <strong>{view.metadataDocument.host}</strong>, which vouches for this application.
        </p>
      )}
      {view.metadataDocument !== undefined && !view.metadataDocument.trusted ? (
        <p class="error" data-warning="unverified-domain">
          Unverified application: its domain is not one this server trusts. Only continue if you started this
          sign-in and know {view.metadataDocument.host}.
        </p>
      ) : null}
      {view.metadataDocument !== undefined && view.loopbackOnly ? (
        <p class="error" data-warning="loopback">
          This application receives its answer on this computer (a localhost address): any program running
          here could use it.
        </p>
      ) : null}
      {view.dynamicallyRegistered ? (
        <p class="error">
          Unverified application: it registered itself. Only continue if you started this sign-in.
        </p>
      ) : null}
      <p class="lead">
        {view.clientName} wants to access your account <strong>{view.userName}</strong>. You will be sent back
        to <strong>{view.redirectHost}</strong>.
      </p>
      <p>It asks to:</p>
      <ul class="scopes">
        {view.scopes.map((s) => (
          <li key={s}>{describeScope(s)}</li>
        ))}
      </ul>
      <form method="post" action="/oauth2/authorize">
        <input type="hidden" name="request_id" value={view.requestId} />
        <input type="hidden" name="csrf_token" value={view.csrfToken} />
        <div class="row">
          <button type="submit" name="decision" value="deny" class="secondary">
            Deny
          </button>
          <button type="submit" name="decision" value="allow">
            Allow
          </button>
        </div>
      </form>
    </>,
  );

export interface ReturnView {
  readonly clientName: string;
  readonly host: string;
  readonly href: string;
  readonly description: string;
}

/** An error for a client this user never approved: shown, with a link back, never redirected. */
export const returnToClientPage = (view: ReturnView): string =>
  cardDocument(
    'Request refused',
    <>
      <h1>The request from {view.clientName} was refused</h1>
      <p class="lead">{view.description}</p>
      <p>
        <a href={view.href}>Return to {view.host}</a>
      </p>
    </>,
  );

export const authorizeErrorPage = (title: string, message: string): string =>
  cardDocument(
    title,
    <>
      <h1>{title}</h1>
      <p class="lead">{message}</p>
    </>,
  );
