import { cardDocument, CsrfField } from './document.js';
import { ErrorBox, ErrorSummary, NO_ERRORS, TextField, type FormErrors } from './form.js';

/** The rules a new account's fields follow, shown before the first submit (docs/http-api.md#accounts). */
export const USERNAME_HINT = 'Lowercase letters, digits and inner hyphens; up to 32 characters.';
export const USERNAME_PATTERN = '[a-z0-9](?:[a-z0-9\\-]{0,30}[a-z0-9])?';
export const PASSWORD_HINT = 'At least 8 characters.';
export const NAME_HINT = 'Up to 128 characters.';

/** The labels of a new account's fields, for an error summary. */
export const ACCOUNT_LABELS = { email: 'Email', username: 'Username', name: 'Name', password: 'Password' };

/**
 * The fields of a new account (docs/http-api.md#accounts). `forSelf`: the person fills in their
 * own account, so the browser may suggest their details; otherwise an owner fills in someone
 * else's, and it should not.
 */
export const AccountFields = ({
  values,
  errors,
  forSelf,
  passwordHint,
}: {
  values: { readonly email?: string; readonly username?: string; readonly name?: string };
  errors: FormErrors;
  forSelf: boolean;
  passwordHint: string;
}) => (
  <>
    <TextField
      name="email"
      label="Email"
      type="email"
      autocomplete={forSelf ? 'email' : 'off'}
      required
      value={values.email ?? ''}
      errors={errors}
    />
    <TextField
      name="username"
      label="Username"
      autocomplete={forSelf ? 'username' : 'off'}
      required
      pattern={USERNAME_PATTERN}
      hint={USERNAME_HINT}
      value={values.username ?? ''}
      errors={errors}
    />
    <TextField
      name="name"
      label="Name"
      optional
      {...(forSelf ? { autocomplete: 'name' } : {})}
      hint={NAME_HINT}
      value={values.name ?? ''}
      errors={errors}
    />
    <TextField
      name="password"
      label="Password"
      type="password"
      autocomplete="new-password"
      required
      minLength={8}
      hint={passwordHint}
      errors={errors}
    />
  </>
);

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

const SETUP_LABELS = { ...ACCOUNT_LABELS, setup_token: 'Setup token' };

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
        <AccountFields values={view.values ?? {}} errors={errors} forSelf passwordHint={PASSWORD_HINT} />
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
