import { cardDocument, CsrfField } from './document.js';
import { ErrorBox, ErrorSummary, NO_ERRORS, TextField, type FormErrors } from './form.js';

/** The rules a new account's fields follow, shown before the first submit (docs/http-api.md#accounts). */
export const USERNAME_HINT = 'Lowercase letters, digits and inner hyphens; up to 32 characters.';
export const USERNAME_PATTERN = '[a-z0-9](?:[a-z0-9\\-]{0,30}[a-z0-9])?';
export const PASSWORD_HINT = 'At least 8 characters.';
export const NAME_HINT = 'Up to 128 characters.';

export interface LoginView {
  readonly csrfToken: string;
  readonly redirect: string;
  readonly email?: string;
  readonly error?: string;
}

export const loginPage = (view: LoginView): string =>
  cardDocument(
    'Sign in',
    <>
      <h1>Sign in</h1>
      <p class="lead">Use your Latchkey account.</p>
      <ErrorBox message={view.error} />
      <form method="post" action="/login">
        <CsrfField token={view.csrfToken} />
        <input type="hidden" name="redirect" value={view.redirect} />
        <TextField
          name="email"
          label="Email"
          type="email"
          autocomplete="username"
          required
          value={view.email ?? ''}
          errors={NO_ERRORS}
        />
        <TextField
          name="password"
          label="Password"
          type="password"
          autocomplete="current-password"
          required
          errors={NO_ERRORS}
        />
        <button type="submit" class="wide">
          Sign in
        </button>
      </form>
    </>,
  );

export interface SetupView {
  readonly csrfToken: string;
  readonly setupTokenRequired: boolean;
  readonly values?: { readonly email?: string; readonly username?: string; readonly name?: string };
  readonly error?: string;
  readonly errors?: FormErrors;
}

const SETUP_LABELS = {
  email: 'Email',
  username: 'Username',
  name: 'Name',
  password: 'Password',
  setup_token: 'Setup token',
};

export const setupPage = (view: SetupView): string => {
  const errors: FormErrors = view.errors ?? {
    fields: {},
    ...(view.error === undefined ? {} : { form: view.error }),
  };
  return cardDocument(
    'Set up',
    <>
      <h1>Create the owner account</h1>
      <p class="lead">This account manages users and OAuth2 applications.</p>
      <ErrorSummary errors={errors} labels={SETUP_LABELS} />
      <form method="post" action="/setup">
        <CsrfField token={view.csrfToken} />
        <TextField
          name="email"
          label="Email"
          type="email"
          autocomplete="email"
          required
          value={view.values?.email ?? ''}
          errors={errors}
        />
        <TextField
          name="username"
          label="Username"
          autocomplete="username"
          required
          pattern={USERNAME_PATTERN}
          hint={USERNAME_HINT}
          value={view.values?.username ?? ''}
          errors={errors}
        />
        <TextField
          name="name"
          label="Name"
          optional
          autocomplete="name"
          hint={NAME_HINT}
          value={view.values?.name ?? ''}
          errors={errors}
        />
        <TextField
          name="password"
          label="Password"
          type="password"
          autocomplete="new-password"
          required
          minLength={8}
          hint={PASSWORD_HINT}
          errors={errors}
        />
        {view.setupTokenRequired ? (
          <TextField
            name="setup_token"
            label="Setup token"
            type="password"
            autocomplete="off"
            required
            errors={errors}
          />
        ) : null}
        <button type="submit" class="wide">
          Create owner
        </button>
      </form>
    </>,
  );
};

export interface PageLink {
  readonly href: string;
  readonly text: string;
}

export const messagePage = (title: string, message: string, link?: PageLink): string =>
  cardDocument(
    title,
    <>
      <h1>{title}</h1>
      <p class="lead">{message}</p>
      {link === undefined ? null : (
        <p>
          <a href={link.href}>{link.text}</a>
        </p>
      )}
    </>,
  );

/** What a signed-out visitor sees at `/`. */
export const landingPage = (): string =>
  messagePage('Latchkey', 'An OAuth 2.1 authorization server.', { href: '/login', text: 'Sign in' });
