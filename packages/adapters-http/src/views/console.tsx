import type {
  AuditAction,
  AuditEntry,
  AuditResourceType,
  Authorization,
  ClientSecret,
  OAuthClient,
  RegisteredClient,
  SessionView,
  User,
} from '@latchkey/domain';
import { machineScopes } from '@latchkey/domain';
import type { ComponentChildren } from 'preact';
import { describeScope } from './consent.js';
import { consoleDocument, CsrfField, type Chrome } from './document.js';
import { ErrorSummary, Field, Notice, TextField, type FormErrors, type FormValues } from './form.js';
import { ACCOUNT_LABELS, AccountFields, PASSWORD_HINT } from './pages.js';

/** `2026-12-07 04:18 UTC`, in a `<time>` element that carries the exact instant. */
const When = ({ at }: { at: Date | undefined }) => {
  if (at === undefined) return <span class="muted">never</span>;
  const iso = at.toISOString();
  return <time datetime={iso}>{`${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`}</time>;
};

const PageTitle = ({ title, children }: { title: string; children?: ComponentChildren }) => (
  <div class="page-title">
    <h1>{title}</h1>
    {children}
  </div>
);

/** A form of one button that POSTs with the page's CSRF token. */
const PostButton = ({
  action,
  csrfToken,
  text,
  label,
  danger,
}: {
  action: string;
  csrfToken: string;
  text: string;
  /** The accessible name when `text` alone is ambiguous in a list. */
  label?: string;
  danger?: boolean;
}) => (
  <form method="post" action={action} class="inline">
    <CsrfField token={csrfToken} />
    <button type="submit" class={danger === true ? 'danger small' : 'secondary small'} aria-label={label}>
      {text}
    </button>
  </form>
);

/** A table that scrolls sideways on a narrow screen; focusable so that a keyboard can scroll it. */
const TableWrap = ({ label, children }: { label: string; children: ComponentChildren }) => (
  <div class="table-wrap" role="region" aria-label={label} tabindex={0}>
    {children}
  </div>
);

const Empty = ({ children }: { children: ComponentChildren }) => <p class="empty">{children}</p>;

/** The heading of a column of buttons or links: for screen readers only. */
const ACTION_COLUMN = <span class="visually-hidden">Action</span>;

/** A table of `items`, one `row` each, captioned (for screen readers) with its `label`. */
const DataTable = <Item,>({
  label,
  columns,
  items,
  row,
}: {
  label: string;
  columns: readonly ComponentChildren[];
  items: readonly Item[];
  row: (item: Item) => ComponentChildren;
}) => (
  <TableWrap label={label}>
    <table>
      <caption class="visually-hidden">{label}</caption>
      <thead>
        <tr>
          {columns.map((column, index) => (
            <th key={index} scope="col">
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{items.map((item) => row(item))}</tbody>
    </table>
  </TableWrap>
);

export interface ListPageView<Item> {
  readonly title: string;
  /** Beside the title: a link to add an item, or an action on all of them. */
  readonly actions?: ComponentChildren;
  readonly lead?: string;
  readonly notice?: string | undefined;
  readonly items: readonly Item[];
  /** Shown instead of the list when there is no item; without it, the list shows even when empty. */
  readonly empty?: string;
  readonly list: (items: readonly Item[]) => ComponentChildren;
}

/** A page that lists things: its title, a lead, the notice of the last action, and the list. */
const listPage = <Item,>(chrome: Chrome, view: ListPageView<Item>): string =>
  consoleDocument(
    view.title,
    chrome,
    <>
      <PageTitle title={view.title}>{view.actions}</PageTitle>
      {view.lead === undefined ? null : <p class="lead">{view.lead}</p>}
      <Notice message={view.notice} />
      {view.items.length === 0 && view.empty !== undefined ? (
        <Empty>{view.empty}</Empty>
      ) : (
        view.list(view.items)
      )}
    </>,
  );

// Home ------------------------------------------------------------------------------------------

interface Task {
  readonly href: string;
  readonly title: string;
  readonly text: string;
}

const MEMBER_TASKS: readonly Task[] = [
  {
    href: '/authorized-apps',
    title: 'Authorized applications',
    text: 'See which applications can act for you, and revoke their access.',
  },
  { href: '/sessions', title: 'Sessions', text: 'See where you are signed in, and sign out other sessions.' },
  { href: '/password', title: 'Password', text: 'Change your password; your other sessions end.' },
];

const OWNER_TASKS: readonly Task[] = [
  { href: '/apps', title: 'Applications', text: 'Register OAuth2 applications and manage their secrets.' },
  {
    href: '/registered-clients',
    title: 'Self-registered clients',
    text: 'Clients that registered themselves; delete the ones you do not want.',
  },
  { href: '/users', title: 'Users', text: 'Add members and owners.' },
  { href: '/audit-log', title: 'Audit log', text: 'Who did what, and when.' },
];

const TaskList = ({ tasks }: { tasks: readonly Task[] }) => (
  <ul class="tasks">
    {tasks.map((task) => (
      <li key={task.href}>
        <a href={task.href}>{task.title}</a>
        <p>{task.text}</p>
      </li>
    ))}
  </ul>
);

export const homePage = (chrome: Chrome, user: User): string =>
  consoleDocument(
    'Home',
    chrome,
    <>
      <PageTitle title={`Welcome, ${user.name === '' ? user.username : user.name}`} />
      <p class="lead">
        Signed in as <strong>{user.username}</strong> ({user.email}),{' '}
        {user.role === 'owner' ? 'an owner' : 'a member'}.
      </p>
      <h2>Your account</h2>
      <TaskList tasks={MEMBER_TASKS} />
      {user.role === 'owner' ? (
        <>
          <h2>Administration</h2>
          <TaskList tasks={OWNER_TASKS} />
        </>
      ) : null}
    </>,
  );

// Confirmations -----------------------------------------------------------------------------------

export interface ConfirmView {
  readonly title: string;
  readonly message: ComponentChildren;
  readonly action: string;
  readonly button: string;
  readonly cancelHref: string;
  /** Extra controls inside the form (an option such as "also revoke tokens"). */
  readonly extra?: ComponentChildren;
}

/** A confirmation step before a destructive action: the POST happens only from here. */
export const confirmPage = (chrome: Chrome, view: ConfirmView): string =>
  consoleDocument(
    view.title,
    chrome,
    <>
      <PageTitle title={view.title} />
      <div class="lead">{view.message}</div>
      <form method="post" action={view.action}>
        <CsrfField token={chrome.csrfToken} />
        {view.extra}
        <div class="actions">
          <button type="submit" class="danger">
            {view.button}
          </button>
          <a href={view.cancelHref} class="button-link">
            Cancel
          </a>
        </div>
      </form>
    </>,
  );

// Authorized applications ----------------------------------------------------------------------

/** How the user can tell who a client is (docs/http-api.md#web-console). */
export const knownAs = (client: OAuthClient): string =>
  client.dynamicallyRegistered ? 'Self-registered, unverified' : 'Registered by an owner';

export const authorizedAppsPage = (chrome: Chrome, list: readonly Authorization[], notice?: string): string =>
  listPage(chrome, {
    title: 'Authorized applications',
    actions:
      list.length === 0 ? null : (
        <a href="/authorized-apps/revoke-all" class="button-link danger-link">
          Revoke all…
        </a>
      ),
    lead: 'Applications you allowed to act for you. Revoking one ends its access at once.',
    notice,
    items: list,
    empty: 'You have not authorized any application.',
    list: (list) => (
      <ul class="items">
        {list.map(({ client, scopes, firstAuthorizedAt, lastUsedAt }) => (
          <li key={client.id} class="item">
            <div class="item-head">
              <h2>{client.name}</h2>
              <span class={client.dynamicallyRegistered ? 'badge warn' : 'badge'}>{knownAs(client)}</span>
            </div>
            <p class="muted">Can:</p>
            <ul class="scopes">
              {scopes.map((s) => (
                <li key={s}>{describeScope(s)}</li>
              ))}
            </ul>
            <dl class="facts">
              <dt>First authorized</dt>
              <dd>
                <When at={firstAuthorizedAt} />
              </dd>
              <dt>Last used</dt>
              <dd>
                <When at={lastUsedAt} />
              </dd>
            </dl>
            <a href={`/authorized-apps/${client.id}/revoke`} class="button-link danger-link">
              Revoke<span class="visually-hidden"> {client.name}</span>…
            </a>
          </li>
        ))}
      </ul>
    ),
  });

// Sessions --------------------------------------------------------------------------------------

export const sessionsPage = (chrome: Chrome, sessions: readonly SessionView[], notice?: string): string =>
  listPage(chrome, {
    title: 'Sessions',
    lead: 'Where you are signed in. Each session lasts until it expires or is ended.',
    notice,
    items: sessions,
    list: (sessions) => (
      <DataTable
        label="Your sessions"
        columns={['Signed in', 'Last used', 'From', 'Expires', ACTION_COLUMN]}
        items={sessions}
        row={({ session, current }) => (
          <tr key={session.id}>
            <td>
              <When at={session.createdAt} />
            </td>
            <td>
              <When at={session.lastUsedAt} />
            </td>
            <td>
              {session.ip ?? 'unknown'}
              <br />
              <span class="muted small ua">{session.userAgent ?? ''}</span>
            </td>
            <td>
              <When at={session.expiresAt} />
            </td>
            <td>
              {current ? (
                <span class="badge">This session</span>
              ) : (
                <PostButton
                  action={`/sessions/${session.id}/end`}
                  csrfToken={chrome.csrfToken}
                  text="End"
                  label={`End the session signed in at ${session.createdAt.toISOString()}`}
                />
              )}
            </td>
          </tr>
        )}
      />
    ),
  });

// Password ----------------------------------------------------------------------------------------

const PASSWORD_LABELS = { current_password: 'Current password', new_password: 'New password' };

export const passwordPage = (chrome: Chrome, errors: FormErrors, notice?: string): string =>
  consoleDocument(
    'Change password',
    chrome,
    <>
      <PageTitle title="Change password" />
      <p class="lead">Your other sessions end when the password changes; this one stays signed in.</p>
      <Notice message={notice} />
      <ErrorSummary errors={errors} labels={PASSWORD_LABELS} />
      <form method="post" action="/password" class="form">
        <CsrfField token={chrome.csrfToken} />
        <TextField
          name="current_password"
          label="Current password"
          type="password"
          autocomplete="current-password"
          required
          errors={errors}
        />
        <TextField
          name="new_password"
          label="New password"
          type="password"
          autocomplete="new-password"
          required
          minLength={8}
          maxLength={256}
          hint={`${PASSWORD_HINT} At most 256.`}
          errors={errors}
        />
        <button type="submit">Change password</button>
      </form>
    </>,
  );

// Applications ------------------------------------------------------------------------------------

export const appsPage = (chrome: Chrome, apps: readonly OAuthClient[], notice?: string): string =>
  listPage(chrome, {
    title: 'Applications',
    actions: (
      <a href="/apps/new" class="button-link primary-link">
        New application
      </a>
    ),
    lead: 'OAuth2 applications registered by owners.',
    notice,
    items: apps,
    empty: 'No application yet.',
    list: (apps) => (
      <DataTable
        label="Applications"
        columns={['Name', 'Type', 'Client ID']}
        items={apps}
        row={(app) => (
          <tr key={app.id}>
            <td>
              <a href={`/apps/${app.id}`}>{app.name}</a>
            </td>
            <td>{app.clientType}</td>
            <td>
              <code>{app.id}</code>
            </td>
          </tr>
        )}
      />
    ),
  });

export const APP_NAME_HINT =
  'Letters and digits in words joined by single hyphens; up to 32 characters; not “new” or “create”.';

const APP_LABELS = {
  name: 'Name',
  callback_url: 'Callback URL',
  redirect_uris: 'Other redirect URIs',
  client_type: 'Client type',
  scope: 'Scopes',
  icon: 'Icon URL',
  introspect_any: 'Introspection',
  client_credentials: 'Client credentials grant',
  client_credentials_scope: 'Client credentials scopes',
};

export interface AppFormView {
  /** `undefined` when creating. */
  readonly app?: OAuthClient;
  readonly values: FormValues;
  readonly errors: FormErrors;
  readonly supportedScopes: readonly string[];
}

/** The form values of a stored app, to fill the edit form. */
export const appFormValues = (app: OAuthClient): FormValues => ({
  name: app.name,
  callback_url: app.callbackUrl,
  redirect_uris: app.redirectUris.filter((uri) => uri !== app.callbackUrl).join('\n'),
  client_type: app.clientType,
  scope: (app.scope ?? []).join(' '),
  icon: app.icon,
  introspect_any: app.introspectAny ? 'true' : '',
  client_credentials: app.grantTypes.includes('client_credentials') ? 'true' : '',
  client_credentials_scope: (app.clientCredentialsScope ?? []).join(' '),
});

export const appFormPage = (chrome: Chrome, view: AppFormView): string => {
  const { app, values, errors } = view;
  const title = app === undefined ? 'New application' : `Edit ${app.name}`;
  const action = app === undefined ? '/apps' : `/apps/${app.id}/edit`;
  return consoleDocument(
    title,
    chrome,
    <>
      <PageTitle title={title} />
      <ErrorSummary errors={errors} labels={APP_LABELS} />
      <form method="post" action={action} class="form">
        <CsrfField token={chrome.csrfToken} />
        <TextField
          name="name"
          label="Name"
          required
          maxLength={32}
          pattern="[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*"
          hint={APP_NAME_HINT}
          value={values.name ?? ''}
          errors={errors}
        />
        <TextField
          name="callback_url"
          label="Callback URL"
          type="url"
          required
          hint="Where users are sent back after they decide: an absolute http or https URL."
          value={values.callback_url ?? ''}
          errors={errors}
        />
        <Field
          name="redirect_uris"
          label="Other redirect URIs"
          optional
          hint="One per line. https, or http on a loopback host; a public client may use its own scheme."
          errors={errors}
        >
          {(describedBy, invalid) => (
            <textarea
              id="redirect_uris"
              name="redirect_uris"
              rows={3}
              aria-describedby={describedBy}
              aria-invalid={invalid ? 'true' : undefined}
            >
              {values.redirect_uris ?? ''}
            </textarea>
          )}
        </Field>
        {app === undefined ? (
          <fieldset class="field">
            <legend>Client type</legend>
            <p class="hint" id="client_type-hint">
              A confidential client keeps a secret on a server; a public one (a browser or mobile app) cannot.
              It cannot be changed later.
            </p>
            {(['confidential', 'public'] as const).map((type) => (
              <label class="choice" key={type}>
                <input
                  type="radio"
                  name="client_type"
                  value={type}
                  checked={(values.client_type ?? 'confidential') === type}
                  aria-describedby="client_type-hint"
                />{' '}
                {type === 'confidential' ? 'Confidential (has a secret)' : 'Public (no secret, PKCE only)'}
              </label>
            ))}
          </fieldset>
        ) : (
          <p>
            Client type: <strong>{app.clientType}</strong> (cannot be changed)
          </p>
        )}
        <TextField
          name="scope"
          label="Scopes"
          optional
          hint={`Separated by spaces, among: ${view.supportedScopes.join(', ')}. Empty: requests get the default.`}
          value={values.scope ?? ''}
          errors={errors}
        />
        <TextField
          name="icon"
          label="Icon URL"
          optional
          hint="Empty, a path on this server, or an absolute http or https URL."
          value={values.icon ?? ''}
          errors={errors}
        />
        <div class="field">
          <label class="choice">
            <input
              type="checkbox"
              name="introspect_any"
              value="true"
              checked={values.introspect_any === 'true'}
            />{' '}
            May introspect the tokens of other clients
          </label>
        </div>
        {app?.clientType === 'public' ? null : (
          <fieldset class="field">
            <legend>Client credentials grant</legend>
            <p class="hint" id="client_credentials-hint">
              Lets the application get tokens for itself, with no user, using its secret. Confidential
              applications only.
            </p>
            <label class="choice">
              <input
                type="checkbox"
                id="client_credentials"
                name="client_credentials"
                value="true"
                checked={values.client_credentials === 'true'}
                aria-describedby="client_credentials-hint"
              />{' '}
              Enable the client credentials grant
            </label>
            <TextField
              name="client_credentials_scope"
              label="Client credentials scopes"
              optional
              hint={
                machineScopes(view.supportedScopes).length === 0
                  ? 'Separated by spaces. No scope here can be given without a user: add some with LATCHKEY_EXTRA_SCOPES.'
                  : `Separated by spaces, among: ${machineScopes(view.supportedScopes).join(', ')}.`
              }
              value={values.client_credentials_scope ?? ''}
              errors={errors}
            />
          </fieldset>
        )}
        <div class="actions">
          <button type="submit">{app === undefined ? 'Create application' : 'Save changes'}</button>
          <a href={app === undefined ? '/apps' : `/apps/${app.id}`} class="button-link">
            Cancel
          </a>
        </div>
      </form>
    </>,
  );
};

export interface AppView {
  readonly app: OAuthClient;
  readonly secrets: readonly ClientSecret[];
  readonly issuer: string;
  /** A secret just created: shown this once. */
  readonly newSecret?: string;
  /** The id the "Create secret" form asks for, fresh on every render: the form creates one secret at most. */
  readonly secretFormId: string;
  readonly notice?: string;
}

export const appPage = (chrome: Chrome, view: AppView): string => {
  const { app, secrets } = view;
  return consoleDocument(
    app.name,
    chrome,
    <>
      <PageTitle title={app.name}>
        <div class="actions">
          <a href={`/apps/${app.id}/edit`} class="button-link">
            Edit
          </a>
          <a href={`/apps/${app.id}/delete`} class="button-link danger-link">
            Delete…
          </a>
        </div>
      </PageTitle>
      <Notice message={view.notice} />
      {view.newSecret === undefined ? null : (
        <section class="secret-box" aria-labelledby="new-secret-title">
          <h2 id="new-secret-title">New client secret</h2>
          <p>
            <strong>Copy it now: you will not see it again.</strong> Latchkey keeps only a digest of it.
          </p>
          <div class="copy-row">
            <label for="new-secret" class="visually-hidden">
              Client secret
            </label>
            <input id="new-secret" class="secret" readonly value={view.newSecret} autocomplete="off" />
            <button type="button" class="secondary" data-copy="new-secret" hidden>
              Copy
            </button>
          </div>
          <p class="hint" role="status" data-copy-status="new-secret"></p>
        </section>
      )}
      <dl class="facts wide">
        <dt>Client ID</dt>
        <dd>
          <code>{app.id}</code>
        </dd>
        <dt>Type</dt>
        <dd>{app.clientType}</dd>
        <dt>Redirect URIs</dt>
        <dd>
          <ul class="plain">
            {app.redirectUris.map((uri) => (
              <li key={uri}>
                <code>{uri}</code>
              </li>
            ))}
          </ul>
        </dd>
        <dt>Scopes</dt>
        <dd>{app.scope === undefined || app.scope.length === 0 ? 'default' : app.scope.join(' ')}</dd>
        {app.grantTypes.includes('client_credentials') ? (
          <>
            <dt>Client credentials scopes</dt>
            <dd>{(app.clientCredentialsScope ?? []).join(' ') || 'none'}</dd>
          </>
        ) : null}
        <dt>Authorization endpoint</dt>
        <dd>
          <code>{`${view.issuer}/oauth2/authorize`}</code>
        </dd>
        <dt>Token endpoint</dt>
        <dd>
          <code>{`${view.issuer}/oauth2/tokens`}</code>
        </dd>
        <dt>Created</dt>
        <dd>
          <When at={app.createdAt} />
        </dd>
      </dl>
      {app.clientType === 'public' ? (
        <p class="muted">A public client has no secrets.</p>
      ) : (
        <section aria-labelledby="secrets-title">
          <div class="page-title">
            <h2 id="secrets-title">Client secrets</h2>
            <form method="post" action={`/apps/${app.id}/secrets`} class="inline">
              <CsrfField token={chrome.csrfToken} />
              <input type="hidden" name="secret_id" value={view.secretFormId} />
              <button type="submit">Create secret</button>
            </form>
          </div>
          {secrets.length === 0 ? (
            <Empty>No secret yet.</Empty>
          ) : (
            <DataTable
              label="Client secrets"
              columns={['Ends with', 'Created', 'Last used', ACTION_COLUMN]}
              items={secrets}
              row={(secret) => (
                <tr key={secret.id}>
                  <td>
                    <code>…{secret.displaySuffix}</code>
                  </td>
                  <td>
                    <When at={secret.createdAt} />
                  </td>
                  <td>
                    <When at={secret.lastUsedAt} />
                  </td>
                  <td>
                    <a href={`/apps/${app.id}/secrets/${secret.id}/delete`} class="danger-link">
                      Delete
                      <span class="visually-hidden"> the secret ending in {secret.displaySuffix}</span>…
                    </a>
                  </td>
                </tr>
              )}
            />
          )}
        </section>
      )}
    </>,
    { script: view.newSecret !== undefined },
  );
};

export const revokeTokensOption = (
  <div class="field">
    <label class="choice">
      <input type="checkbox" name="revoke_tokens" value="true" /> Also revoke the tokens obtained with this
      secret
    </label>
  </div>
);

// Self-registered clients ---------------------------------------------------------------------

export const registeredClientsPage = (
  chrome: Chrome,
  clients: readonly RegisteredClient[],
  notice?: string,
): string =>
  listPage(chrome, {
    title: 'Self-registered clients',
    lead:
      'Clients that registered themselves (dynamic client registration). Unused ones are purged; you can ' +
      'delete any of them with all its tokens.',
    notice,
    items: clients,
    empty: 'No client has registered itself.',
    list: (clients) => (
      <DataTable
        label="Self-registered clients"
        columns={['Name', 'Registered', 'Last used', 'Client ID', ACTION_COLUMN]}
        items={clients}
        row={({ client, lastUsedAt }) => (
          <tr key={client.id}>
            <td>{client.name}</td>
            <td>
              <When at={client.createdAt} />
            </td>
            <td>
              <When at={lastUsedAt} />
            </td>
            <td>
              <code>{client.id}</code>
            </td>
            <td>
              <a href={`/registered-clients/${client.id}/delete`} class="danger-link">
                Delete<span class="visually-hidden"> {client.name}</span>…
              </a>
            </td>
          </tr>
        )}
      />
    ),
  });

// Users -----------------------------------------------------------------------------------------

export const usersPage = (chrome: Chrome, users: readonly User[], notice?: string): string =>
  listPage(chrome, {
    title: 'Users',
    actions: (
      <a href="/users/new" class="button-link primary-link">
        New user
      </a>
    ),
    notice,
    items: users,
    list: (users) => (
      <DataTable
        label="Users"
        columns={['Username', 'Name', 'Email', 'Role', 'Created']}
        items={users}
        row={(user) => (
          <tr key={user.id}>
            <td>{user.username}</td>
            <td>{user.name}</td>
            <td>{user.email}</td>
            <td>{user.role}</td>
            <td>
              <When at={user.createdAt} />
            </td>
          </tr>
        )}
      />
    ),
  });

const USER_LABELS = { ...ACCOUNT_LABELS, role: 'Role' };

export const userFormPage = (chrome: Chrome, values: FormValues, errors: FormErrors): string =>
  consoleDocument(
    'New user',
    chrome,
    <>
      <PageTitle title="New user" />
      <ErrorSummary errors={errors} labels={USER_LABELS} />
      <form method="post" action="/users" class="form">
        <CsrfField token={chrome.csrfToken} />
        <AccountFields
          values={values}
          errors={errors}
          forSelf={false}
          passwordHint={`${PASSWORD_HINT} Give it to the user through a safe channel.`}
        />
        <fieldset class="field">
          <legend>Role</legend>
          {(['member', 'owner'] as const).map((role) => (
            <label class="choice" key={role}>
              <input type="radio" name="role" value={role} checked={(values.role ?? 'member') === role} />{' '}
              {role === 'member' ? 'Member: uses applications' : 'Owner: also manages applications and users'}
            </label>
          ))}
        </fieldset>
        <div class="actions">
          <button type="submit">Create user</button>
          <a href="/users" class="button-link">
            Cancel
          </a>
        </div>
      </form>
    </>,
  );

// Audit log -------------------------------------------------------------------------------------

export interface AuditFilters {
  readonly action?: AuditAction;
  readonly resourceType?: AuditResourceType;
  readonly userId?: string;
}

/** One page of the entries, newest first, and where it stands among all `count` of them. */
export interface AuditEntriesPage {
  readonly entries: readonly AuditEntry[];
  readonly count: number;
  readonly page: number;
  readonly pageSize: number;
}

/** The filter form: the filters applied, and what its selects offer. */
export interface AuditFilterForm {
  readonly filters: AuditFilters;
  readonly actions: readonly AuditAction[];
  readonly resourceTypes: readonly AuditResourceType[];
  readonly users: readonly User[];
}

export interface AuditView extends AuditEntriesPage, AuditFilterForm {
  /** Shown instead of the entries when a filter was not valid. */
  readonly error?: string;
}

const auditHref = (filters: AuditFilters, page: number): string => {
  const query = new URLSearchParams();
  if (filters.action !== undefined) query.set('action', filters.action);
  if (filters.resourceType !== undefined) query.set('resource_type', filters.resourceType);
  if (filters.userId !== undefined) query.set('user', filters.userId);
  if (page > 1) query.set('page', String(page));
  const text = query.toString();
  return text === '' ? '/audit-log' : `/audit-log?${text}`;
};

const Select = ({
  name,
  label,
  options,
  selected,
}: {
  name: string;
  label: string;
  options: readonly { value: string; text: string }[];
  selected: string | undefined;
}) => (
  <div class="field">
    <label for={name}>{label}</label>
    <select id={name} name={name}>
      <option value="" selected={selected === undefined}>
        Any
      </option>
      {options.map((o) => (
        <option key={o.value} value={o.value} selected={selected === o.value}>
          {o.text}
        </option>
      ))}
    </select>
  </div>
);

export const auditPage = (chrome: Chrome, view: AuditView): string => {
  const names = new Map(view.users.map((u) => [u.id, u.username]));
  const pages = Math.max(1, Math.ceil(view.count / view.pageSize));
  const first = view.count === 0 ? 0 : (view.page - 1) * view.pageSize + 1;
  const last = Math.min(view.count, view.page * view.pageSize);
  return consoleDocument(
    'Audit log',
    chrome,
    <>
      <PageTitle title="Audit log" />
      <form method="get" action="/audit-log" class="filters" aria-label="Filter the audit log">
        <Select
          name="action"
          label="Action"
          options={view.actions.map((a) => ({ value: a, text: a }))}
          selected={view.filters.action}
        />
        <Select
          name="resource_type"
          label="Resource type"
          options={view.resourceTypes.map((r) => ({ value: r, text: r }))}
          selected={view.filters.resourceType}
        />
        <Select
          name="user"
          label="User"
          options={view.users.map((u) => ({ value: u.id, text: u.username }))}
          selected={view.filters.userId}
        />
        <button type="submit" class="secondary">
          Filter
        </button>
      </form>
      {view.error === undefined ? null : (
        <div class="error" role="alert">
          {view.error}
        </div>
      )}
      <p class="muted" role="status">
        {view.count === 0 ? 'No entries.' : `Entries ${first}–${last} of ${view.count}, newest first.`}
      </p>
      {view.entries.length === 0 ? null : (
        <DataTable
          label="Audit entries"
          columns={['Time', 'User', 'Action', 'Resource', 'Status', 'IP']}
          items={view.entries}
          row={(entry) => (
            <tr key={entry.id}>
              <td>
                <When at={entry.time} />
              </td>
              <td>{entry.actorId === undefined ? '—' : (names.get(entry.actorId) ?? entry.actorId)}</td>
              <td>{entry.action}</td>
              <td>
                {entry.resourceType}
                {entry.resourceId === '' ? null : (
                  <>
                    <br />
                    <code class="small">{entry.resourceId}</code>
                  </>
                )}
              </td>
              <td>{entry.status}</td>
              <td>{entry.ip}</td>
            </tr>
          )}
        />
      )}
      {pages <= 1 ? null : (
        <nav aria-label="Pages" class="pager">
          {view.page > 1 ? <a href={auditHref(view.filters, view.page - 1)}>Newer</a> : <span />}
          <span>
            Page {view.page} of {pages}
          </span>
          {view.page < pages ? <a href={auditHref(view.filters, view.page + 1)}>Older</a> : <span />}
        </nav>
      )}
    </>,
  );
};
