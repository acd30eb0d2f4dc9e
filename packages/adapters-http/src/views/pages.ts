import { html, layout, type Html } from './html.js';

const errorBox = (error: string | undefined): Html | string =>
  error === undefined ? '' : html`<div class="error" role="alert">${error}</div>`;

export interface LoginView {
  readonly csrfToken: string;
  readonly redirect: string;
  readonly email?: string;
  readonly error?: string;
}

export const loginPage = (view: LoginView): string =>
  layout(
    'Sign in',
    html`<h1>Sign in</h1>
      <p class="lead">Use your Latchkey account.</p>
      ${errorBox(view.error)}
      <form method="post" action="/login">
        <input type="hidden" name="csrf_token" value="${view.csrfToken}" />
        <input type="hidden" name="redirect" value="${view.redirect}" />
        <label for="email">Email</label>
        <input
          id="email"
          name="email"
          type="email"
          autocomplete="username"
          required
          value="${view.email ?? ''}"
        />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required />
        <button type="submit">Sign in</button>
      </form>`,
  );

export interface SetupView {
  readonly csrfToken: string;
  readonly setupTokenRequired: boolean;
  readonly values?: { readonly email?: string; readonly username?: string; readonly name?: string };
  readonly error?: string;
}

export const setupPage = (view: SetupView): string =>
  layout(
    'Set up',
    html`<h1>Create the owner account</h1>
      <p class="lead">This account manages users and OAuth2 applications.</p>
      ${errorBox(view.error)}
      <form method="post" action="/setup">
        <input type="hidden" name="csrf_token" value="${view.csrfToken}" />
        <label for="email">Email</label>
        <input
          id="email"
          name="email"
          type="email"
          autocomplete="email"
          required
          value="${view.values?.email ?? ''}"
        />
        <label for="username">Username</label>
        <input
          id="username"
          name="username"
          autocomplete="username"
          required
          pattern="[a-z0-9](?:[a-z0-9\\-]{0,30}[a-z0-9])?"
          value="${view.values?.username ?? ''}"
        />
        <p class="hint">Lowercase letters, digits and inner hyphens; up to 32 characters.</p>
        <label for="name">Name <span class="hint">(optional)</span></label>
        <input id="name" name="name" autocomplete="name" value="${view.values?.name ?? ''}" />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="new-password"
          required
          minlength="8"
        />
        ${
          view.setupTokenRequired
            ? html`<label for="setup_token">Setup token</label>
                <input id="setup_token" name="setup_token" type="password" autocomplete="off" required />`
            : ''
        }
        <button type="submit">Create owner</button>
      </form>`,
  );

export const messagePage = (title: string, message: string, link?: { href: string; text: string }): string =>
  layout(
    title,
    html`<h1>${title}</h1>
      <p class="lead">${message}</p>
      ${link === undefined ? '' : html`<p><a href="${link.href}">${link.text}</a></p>`}`,
  );

export const homePage = (user: { username: string; email: string } | undefined): string =>
  user === undefined
    ? messagePage('Latchkey', 'An OAuth 2.1 authorization server.', { href: '/login', text: 'Sign in' })
    : layout(
        'Signed in',
        html`<h1>Signed in</h1>
          <p class="lead">You are signed in as <strong>${user.username}</strong> (${user.email}).</p>`,
      );
