import type { ComponentChildren, VNode } from 'preact';
import { render } from 'preact-render-to-string';
import { assetUrl } from '../routes/static.js';

/** The signed-in user as the page header shows them. */
export interface ViewUser {
  readonly username: string;
  readonly email: string;
  readonly role: 'owner' | 'member';
}

/** The console's sections, for the navigation and `aria-current`. */
export type Section =
  | 'home'
  | 'authorized-apps'
  | 'sessions'
  | 'password'
  | 'apps'
  | 'registered-clients'
  | 'users'
  | 'audit-log';

interface NavItem {
  readonly section: Section;
  readonly href: string;
  readonly text: string;
  readonly ownerOnly: boolean;
}

const NAV: readonly NavItem[] = [
  { section: 'home', href: '/', text: 'Home', ownerOnly: false },
  { section: 'authorized-apps', href: '/authorized-apps', text: 'Authorized apps', ownerOnly: false },
  { section: 'sessions', href: '/sessions', text: 'Sessions', ownerOnly: false },
  { section: 'password', href: '/password', text: 'Password', ownerOnly: false },
  { section: 'apps', href: '/apps', text: 'Applications', ownerOnly: true },
  { section: 'registered-clients', href: '/registered-clients', text: 'Self-registered', ownerOnly: true },
  { section: 'users', href: '/users', text: 'Users', ownerOnly: true },
  { section: 'audit-log', href: '/audit-log', text: 'Audit log', ownerOnly: true },
];

/** What every console page knows besides its own content. */
export interface Chrome {
  readonly user: ViewUser;
  /** The double-submit CSRF token every form of the page carries (the sign-out form too). */
  readonly csrfToken: string;
  readonly section: Section;
}

const Head = ({ title, script }: { title: string; script: boolean }) => (
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="color-scheme" content="light dark" />
    <title>{`${title} · Latchkey`}</title>
    <link rel="stylesheet" href={assetUrl('console.css')} />
    {script ? <script src={assetUrl('console.js')} defer /> : null}
  </head>
);

const toHtml = (page: VNode): string => `<!doctype html>\n${render(page)}\n`;

/**
 * A page outside the console (sign-in, setup, consent, messages): one centred card.
 */
export const cardDocument = (title: string, body: ComponentChildren): string =>
  toHtml(
    <html lang="en">
      <Head title={title} script={false} />
      <body class="card-page">
        <main class="card">
          <p class="brand">Latchkey</p>
          {body}
        </main>
      </body>
    </html>,
  );

export const CsrfField = ({ token }: { token: string }) => (
  <input type="hidden" name="csrf_token" value={token} />
);

const Navigation = ({ chrome }: { chrome: Chrome }) => (
  <nav aria-label="Main">
    <ul>
      {NAV.filter((item) => !item.ownerOnly || chrome.user.role === 'owner').map((item) => (
        <li key={item.href}>
          <a href={item.href} aria-current={item.section === chrome.section ? 'page' : undefined}>
            {item.text}
          </a>
        </li>
      ))}
    </ul>
  </nav>
);

/** A console page: header with the user and sign-out, navigation, then the page's content. */
export const consoleDocument = (
  title: string,
  chrome: Chrome,
  body: ComponentChildren,
  options: { script?: boolean } = {},
): string =>
  toHtml(
    <html lang="en">
      <Head title={title} script={options.script === true} />
      <body class="console-page">
        <a class="skip" href="#content">
          Skip to content
        </a>
        <header class="topbar">
          <a class="brand" href="/">
            Latchkey
          </a>
          <div class="account">
            <span>
              {chrome.user.username}
              <span class="role">{chrome.user.role}</span>
            </span>
            <form method="post" action="/logout" class="inline">
              <CsrfField token={chrome.csrfToken} />
              <button type="submit" class="secondary small">
                Sign out
              </button>
            </form>
          </div>
        </header>
        <div class="layout">
          <Navigation chrome={chrome} />
          <main id="content" tabindex={-1}>
            {body}
          </main>
        </div>
      </body>
    </html>,
  );
