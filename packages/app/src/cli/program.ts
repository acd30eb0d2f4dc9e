import { randomBytes } from 'node:crypto';
import type * as Http from '@latchkey/adapters-http';
import {
  AppName,
  CallbackUrl,
  DisplayName,
  Email,
  IconUrl,
  Password,
  parseScope,
  SYSTEM_ACTOR,
  toValidations,
  Username,
  Uuid,
  type AppInput,
  type ClientId,
  type ClientSecretId,
  type ClientType,
  type NewUser,
  type OAuthClient,
  type User,
  type UserId,
  type UserRef,
} from '@latchkey/domain';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import type { Env } from '../config.js';
import { redactSecretText } from '../logger.js';
import { deleteExpired } from '../maintenance.js';
import type { KeyState } from '../keys/key-ring.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { fields, makeOutput, table, type Output, type Streams } from './output.js';
import { CliFailure } from './failure.js';
import type { CliSession } from './session.js';

/** What the CLI reads and writes; the entry point passes the process's own. */
export interface CliIo extends Streams {
  readonly env: Env;
  readonly stdin: AsyncIterable<Buffer | string>;
}

/** `user create` reads the password from here when no option names one (docs/cli.md#user-create). */
export const PASSWORD_VARIABLE = 'LATCHKEY_USER_PASSWORD';

const JSON_HELP = 'print the result as one line of JSON (docs/cli.md#output)';

const ABOUT = 'Administers Latchkey on the storage the LATCHKEY_* settings name, without the HTTP server.';

const MORE = `
Every command opens the storage as the server would, applying pending
migrations first. The CLI acts as the system, not as a user: whoever can open
the storage may run every command, and the audit log records its changes with
no actor and the user agent "latchkey cli (<os user>)".

With the embedded database (no LATCHKEY_DATABASE_URL) stop the server first:
one process at a time may open the data directory; the CLI exits with status 4,
naming the process that has it.

Exit status: 0 done, 1 database or unexpected failure, 2 usage error,
3 refused (not found, or a conflict), 4 data directory in use, 78 invalid
configuration. Errors go to stderr, with --json as {"error": {"kind", ...}}.
Every command, option and output: docs/cli.md.
`;

// ---------------------------------------------------------------------------------------------
// Decoding the command line

/**
 * An option or argument decoded by a domain codec; commander reports a refusal as a usage error
 * naming the option. Not for secrets: commander's message quotes the value.
 */
const decodedBy =
  <A>(codec: t.Decoder<unknown, A>) =>
  (value: string): A => {
    const decoded = codec.decode(value);
    if (E.isRight(decoded)) return decoded.right;
    throw new InvalidArgumentError(toValidations(decoded.left)[0]?.detail ?? 'is invalid');
  };

const integer =
  (min: number, max: number) =>
  (value: string): number => {
    const n = /^\d{1,9}$/.test(value) ? Number(value) : NaN;
    if (!(n >= min && n <= max)) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    return n;
  };

const uuid = <Id extends string>(value: string): Id => decodedBy(Uuid)(value).toLowerCase() as Id;

const userRef = (value: string): UserRef => {
  if (Uuid.is(value)) return { id: value.toLowerCase() as UserId };
  if (Email.is(value)) return { email: value };
  throw new InvalidArgumentError('must be a user id (UUID) or an email address');
};

const collect = (value: string, previous: readonly string[]): string[] => [...previous, value];

/** Paging as the admin API pages (docs/http-api.md#apps, #users-and-sessions). */
const withPaging = (command: Command): Command =>
  command
    .option('--limit <n>', 'list at most this many (1-500)', integer(1, 500), 100)
    .option('--offset <n>', 'skip this many first', integer(0, 999_999_999), 0);

/** Whether the output should be JSON: decided before parsing, so that usage errors follow it too. */
const wantsJson = (argv: readonly string[]): boolean => {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
};

/** The first line of standard input, without its line ending. */
const readFirstLine = async (stdin: AsyncIterable<Buffer | string>): Promise<string> => {
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
};

// ---------------------------------------------------------------------------------------------
// Human-readable output

const date = (value: Date | undefined): string => value?.toISOString() ?? '-';

const userTable = (users: readonly User[]): string =>
  users.length === 0
    ? 'No users.\n'
    : table(
        ['ID', 'USERNAME', 'EMAIL', 'ROLE', 'CREATED'],
        users.map((u) => [u.id, u.username, u.email, u.role, date(u.createdAt)]),
      );

const appFields = (app: OAuthClient): string =>
  fields([
    ['id', app.id],
    ['name', app.name],
    ['client type', app.clientType],
    ['callback url', app.callbackUrl],
    ['redirect uris', app.redirectUris.join(' ')],
    ['scope', app.scope?.join(' ') ?? '-'],
    ['introspect any', String(app.introspectAny)],
    [
      'client credentials',
      app.grantTypes.includes('client_credentials')
        ? `enabled, scope: ${app.clientCredentialsScope?.join(' ') ?? '-'}`
        : 'disabled',
    ],
    ['dynamically registered', String(app.dynamicallyRegistered)],
    ['created', date(app.createdAt)],
  ]);

const appTable = (apps: readonly OAuthClient[]): string =>
  apps.length === 0
    ? 'No apps.\n'
    : table(
        ['ID', 'NAME', 'TYPE', 'DYNAMIC', 'CALLBACK URL'],
        apps.map((a) => [a.id, a.name, a.clientType, a.dynamicallyRegistered ? 'yes' : 'no', a.callbackUrl]),
      );

// ---------------------------------------------------------------------------------------------
// The commands

interface Context {
  readonly io: CliIo;
  readonly out: Output;
}

/** The API's JSON shapes, which `--json` prints (docs/cli.md#output). */
type Wire = Pick<typeof Http, 'wireApp' | 'wireSecret' | 'wireUser'>;

/**
 * Opens the session for one command and runs it there. The storage and HTTP adapters are loaded
 * only now, so that help and usage errors answer without loading them.
 */
const onStorage = async (
  context: Context,
  work: (session: CliSession & { readonly wire: Wire }) => Promise<void>,
): Promise<void> => {
  const [{ withSession }, wire] = await Promise.all([
    import('./session.js'),
    import('@latchkey/adapters-http'),
  ]);
  await withSession(context.io.env, context.io, (session) => work({ ...session, wire }));
};

/** `--password`, `--password-stdin`, `--generate-password` or the environment: exactly one source. */
const passwordOf = async (
  context: Context,
  command: Command,
  options: { password?: string; passwordStdin?: boolean; generatePassword?: boolean },
): Promise<{ password: string; generated: boolean }> => {
  const given = [
    options.password !== undefined,
    options.passwordStdin === true,
    options.generatePassword === true,
  ];
  if (given.filter(Boolean).length > 1)
    command.error('error: give at most one of --password, --password-stdin and --generate-password', {
      exitCode: EXIT.usage,
      code: 'latchkey.usage',
    });
  let password: string | undefined = options.password;
  if (options.passwordStdin === true) password = await readFirstLine(context.io.stdin);
  // 18 random bytes: 24 base64url characters, well inside the password rules.
  if (options.generatePassword === true)
    return { password: randomBytes(18).toString('base64url'), generated: true };
  password ??= context.io.env[PASSWORD_VARIABLE];
  if (password === undefined || password === '')
    command.error(
      `error: a password is needed: --password-stdin, ${PASSWORD_VARIABLE}, --generate-password or --password`,
      { exitCode: EXIT.usage, code: 'latchkey.usage' },
    );
  // The value is not repeated in the message: it is a password.
  if (!Password.is(password))
    command.error('error: the password must be 8 to 256 characters', {
      exitCode: EXIT.usage,
      code: 'latchkey.usage',
    });
  return { password, generated: false };
};

const migrateCommand = (context: Context, program: Command): void => {
  program
    .command('migrate')
    .description('apply pending database migrations (every command applies them first; this does only that)')
    .option('--json', JSON_HELP)
    .action(() =>
      onStorage(context, ({ storage }) => {
        const applied = storage.migrationsApplied ?? [];
        context.out.result({ applied }, () =>
          applied.length === 0
            ? 'The database schema is up to date.\n'
            : `Applied ${applied.length} migration(s):\n${applied.map((name) => `  ${name}\n`).join('')}`,
        );
        return Promise.resolve();
      }),
    );
};

const userCommands = (context: Context, program: Command): void => {
  const user = program.command('user').description('create and list users');

  user
    .command('create')
    .description('create a user (a member unless --owner)')
    .requiredOption('--email <address>', 'email address, unique without regard to case', decodedBy(Email))
    .requiredOption(
      '--username <name>',
      '1-32 lowercase letters, digits or inner hyphens',
      decodedBy(Username),
    )
    .option('--name <display-name>', 'display name', decodedBy(DisplayName))
    .option('--owner', 'make the user an owner (the first user must be one)')
    .option('--password-stdin', 'read the password from the first line of standard input')
    .option('--generate-password', 'generate a random password and print it, once')
    .option(
      '--password <password>',
      'the password itself (other local users can read it in the process list)',
    )
    .option('--json', JSON_HELP)
    .addHelpText(
      'after',
      `
With no password option the password is read from ${PASSWORD_VARIABLE}.
Prefer that or --password-stdin to --password: a command line is visible to
every local user (ps), the environment and standard input are not.`,
    )
    .action(
      async (
        options: {
          email: Email;
          username: Username;
          name?: DisplayName;
          owner?: boolean;
          password?: string;
          passwordStdin?: boolean;
          generatePassword?: boolean;
        },
        command: Command,
      ) => {
        const { password, generated } = await passwordOf(context, command, options);
        const role = options.owner === true ? 'owner' : 'member';
        const input = {
          email: options.email,
          username: options.username,
          password: password as Password,
          role,
          ...(options.name === undefined ? {} : { name: options.name }),
        } satisfies NewUser;
        await onStorage(context, async ({ wire, useCases, meta, run }) => {
          // Without an owner nobody could sign in to manage anything, and /setup would be gone.
          if (role !== 'owner' && (await run(useCases.needsSetup())))
            throw new CliFailure(EXIT.refused, {
              kind: 'conflict',
              message: 'There are no users yet: the first user must be an owner (add --owner).',
            });
          const created = await run(useCases.createUser(SYSTEM_ACTOR, input, meta));
          context.out.result({ ...wire.wireUser(created), ...(generated ? { password } : {}) }, () =>
            generated
              ? `${userTable([created])}\nPassword (shown this once): ${password}\n`
              : userTable([created]),
          );
        });
      },
    );

  withPaging(user.command('list').description('list users, oldest first'))
    .option('--json', JSON_HELP)
    .action((options: { limit: number; offset: number }) =>
      onStorage(context, async ({ wire, useCases, run }) => {
        const users = await run(
          useCases.listUsers(SYSTEM_ACTOR, { limit: options.limit, offset: options.offset }),
        );
        context.out.result(users.map(wire.wireUser), () => userTable(users));
      }),
    );
};

const appCommands = (context: Context, program: Command): void => {
  const app = program.command('app').description('manage OAuth2 apps (clients)');

  app
    .command('create')
    .description('create an app (docs/http-api.md#apps)')
    .requiredOption('--name <name>', '1-32 letters or digits in hyphen-separated words', decodedBy(AppName))
    .requiredOption(
      '--callback-url <url>',
      'absolute http(s) URL; the first redirect URI',
      decodedBy(CallbackUrl),
    )
    .option('--redirect-uri <uri>', 'a further redirect URI (repeat for several)', collect, [])
    .addOption(
      new Option('--client-type <type>', 'confidential (uses secrets) or public (PKCE only)')
        .choices(['confidential', 'public'])
        .default('confidential'),
    )
    .option('--scope <scopes>', 'registered scope, space-separated supported values')
    .option('--icon <url>', 'icon URL', decodedBy(IconUrl))
    .option('--introspect-any', "may introspect other clients' tokens (confidential apps)")
    .option(
      '--client-credentials-scope <scopes>',
      'enable the client credentials grant with these scopes (confidential apps; docs/http-api.md#client-credentials-grant)',
    )
    .option('--json', JSON_HELP)
    .action(
      (options: {
        name: AppName;
        callbackUrl: CallbackUrl;
        redirectUri: string[];
        clientType: ClientType;
        scope?: string;
        icon?: IconUrl;
        introspectAny?: boolean;
        clientCredentialsScope?: string;
      }) => {
        const input: AppInput = {
          name: options.name,
          callbackUrl: options.callbackUrl,
          clientType: options.clientType,
          ...(options.redirectUri.length === 0
            ? {}
            : { redirectUris: [options.callbackUrl, ...options.redirectUri] }),
          ...(options.scope === undefined ? {} : { scope: parseScope(options.scope) }),
          ...(options.icon === undefined ? {} : { icon: options.icon }),
          ...(options.introspectAny === true ? { introspectAny: true } : {}),
          ...(options.clientCredentialsScope === undefined
            ? {}
            : {
                clientCredentials: true,
                clientCredentialsScope: parseScope(options.clientCredentialsScope),
              }),
        };
        return onStorage(context, async ({ wire, useCases, meta, run, config }) => {
          const created = await run(useCases.createApp(SYSTEM_ACTOR, input, meta));
          context.out.result(wire.wireApp(created, config.issuer), () => appFields(created));
        });
      },
    );

  withPaging(app.command('list').description('list apps by name, then id'))
    .addOption(
      new Option(
        '--dynamically-registered <yes-or-no>',
        'only apps registered through RFC 7591, or only the others',
      ).choices(['true', 'false']),
    )
    .option('--user <id-or-email>', 'only apps this user has live grants for', userRef)
    .option('--json', JSON_HELP)
    .action(
      (options: {
        limit: number;
        offset: number;
        dynamicallyRegistered?: 'true' | 'false';
        user?: UserRef;
      }) =>
        onStorage(context, async ({ wire, useCases, run, config }) => {
          const user =
            options.user === undefined ? undefined : await run(useCases.findUser(SYSTEM_ACTOR, options.user));
          const apps = await run(
            useCases.listApps(SYSTEM_ACTOR, {
              limit: options.limit,
              offset: options.offset,
              ...(options.dynamicallyRegistered === undefined
                ? {}
                : { dynamicallyRegistered: options.dynamicallyRegistered === 'true' }),
              ...(user === undefined ? {} : { userId: user.id }),
            }),
          );
          context.out.result(
            apps.map((a) => wire.wireApp(a, config.issuer)),
            () => appTable(apps),
          );
        }),
    );

  app
    .command('show')
    .description('show one app')
    .argument('<app-id>', 'the app (its client_id)', uuid<ClientId>)
    .option('--json', JSON_HELP)
    .action((appId: ClientId) =>
      onStorage(context, async ({ wire, useCases, run, config }) => {
        const found = await run(useCases.getApp(SYSTEM_ACTOR, appId));
        context.out.result(wire.wireApp(found, config.issuer), () => appFields(found));
      }),
    );

  app
    .command('client-credentials')
    .description(
      'enable the client credentials grant with these scopes, or disable it (docs/http-api.md#client-credentials-grant)',
    )
    .argument('<app-id>', 'the app (its client_id)', uuid<ClientId>)
    .option('--scope <scopes>', 'the scopes it may get that way, space-separated (enables the grant)')
    .option('--disable', 'disable the grant')
    .option('--json', JSON_HELP)
    .action((appId: ClientId, options: { scope?: string; disable?: boolean }, command: Command) => {
      if ((options.scope === undefined) === (options.disable !== true))
        command.error('error: give either --scope or --disable', {
          exitCode: EXIT.usage,
          code: 'latchkey.usage',
        });
      return onStorage(context, async ({ wire, useCases, meta, run, config }) => {
        const found = await run(useCases.getApp(SYSTEM_ACTOR, appId));
        // The app's other settings stay as they are: an update replaces them all (docs/http-api.md#apps).
        const input: AppInput = {
          name: found.name as AppName,
          callbackUrl: found.callbackUrl as CallbackUrl,
          icon: found.icon as IconUrl,
          redirectUris: found.redirectUris,
          ...(found.scope === undefined ? {} : { scope: found.scope }),
          introspectAny: found.introspectAny,
          ...(options.scope === undefined
            ? { clientCredentials: false }
            : { clientCredentials: true, clientCredentialsScope: parseScope(options.scope) }),
        };
        const updated = await run(useCases.updateApp(SYSTEM_ACTOR, appId, input, meta));
        context.out.result(wire.wireApp(updated, config.issuer), () => appFields(updated));
      });
    });

  app
    .command('delete')
    .description('delete an app with its secrets, grants and tokens (they stop working at once)')
    .argument('<app-id>', 'the app (its client_id)', uuid<ClientId>)
    .option('--json', JSON_HELP)
    .action((appId: ClientId) =>
      onStorage(context, async ({ useCases, meta, run }) => {
        await run(useCases.deleteApp(SYSTEM_ACTOR, appId, meta));
        context.out.result({ id: appId, deleted: true }, () => `Deleted app ${appId}.\n`);
      }),
    );
};

const secretCommands = (context: Context, program: Command): void => {
  const secret = program.command('secret').description("manage a confidential app's client secrets");

  secret
    .command('list')
    .description("list an app's secrets (their last 6 characters only)")
    .argument('<app-id>', 'the app (its client_id)', uuid<ClientId>)
    .option('--json', JSON_HELP)
    .action((appId: ClientId) =>
      onStorage(context, async ({ wire, useCases, run }) => {
        const secrets = await run(useCases.listAppSecrets(SYSTEM_ACTOR, appId));
        context.out.result(secrets.map(wire.wireSecret), () =>
          secrets.length === 0
            ? 'No secrets.\n'
            : table(
                ['ID', 'ENDS WITH', 'CREATED', 'LAST USED'],
                secrets.map((s) => [s.id, s.displaySuffix, date(s.createdAt), date(s.lastUsedAt)]),
              ),
        );
      }),
    );

  secret
    .command('create')
    .description('issue a client secret and print it, once: it is stored only as a digest')
    .argument('<app-id>', 'the app (its client_id)', uuid<ClientId>)
    .option('--json', JSON_HELP)
    .action((appId: ClientId) =>
      onStorage(context, async ({ useCases, meta, run }) => {
        const issued = await run(useCases.createAppSecret(SYSTEM_ACTOR, appId, meta));
        context.out.result(
          { id: issued.secret.id, client_secret_full: issued.token },
          () =>
            `${fields([
              ['secret id', issued.secret.id],
              ['client id', appId],
              ['client secret', issued.token],
            ])}\nStore the secret now: it is not shown again.\n`,
        );
      }),
    );

  secret
    .command('delete')
    .description('delete a client secret: it stops authenticating at once')
    .argument('<app-id>', 'the app (its client_id)', uuid<ClientId>)
    .argument('<secret-id>', 'the secret (its id, from secret list)', uuid<ClientSecretId>)
    .option('--revoke-tokens', 'also revoke the access and refresh tokens obtained with it')
    .option('--json', JSON_HELP)
    .action((appId: ClientId, secretId: ClientSecretId, options: { revokeTokens?: boolean }) =>
      onStorage(context, async ({ useCases, meta, run }) => {
        const revokeTokens = options.revokeTokens === true;
        await run(useCases.deleteAppSecret(SYSTEM_ACTOR, appId, secretId, revokeTokens, meta));
        context.out.result(
          { id: secretId, app_id: appId, deleted: true, tokens_revoked: revokeTokens },
          () =>
            `Deleted secret ${secretId}${revokeTokens ? ' and revoked the tokens obtained with it' : ''}.\n`,
        );
      }),
    );
};

const grantCommands = (context: Context, program: Command): void => {
  const grants = program.command('grants').description("manage users' grants to apps");

  grants
    .command('revoke')
    .description(
      "revoke a user's grants to one app, with their codes and tokens (docs/http-api.md#revoke-all)",
    )
    .requiredOption('--user <id-or-email>', 'the user, by id or email', userRef)
    .requiredOption('--client <client-id>', 'the app (its client_id)', uuid<ClientId>)
    .option('--json', JSON_HELP)
    .action((options: { user: UserRef; client: ClientId }) =>
      onStorage(context, async ({ useCases, meta, run }) => {
        const user = await run(useCases.findUser(SYSTEM_ACTOR, options.user));
        const revoked = await run(useCases.revokeGrantsOfUser(SYSTEM_ACTOR, user.id, options.client, meta));
        context.out.result(
          { user_id: user.id, client_id: options.client, revoked_grants: revoked },
          () => `Revoked ${revoked.length} grant(s) of ${user.username} to ${options.client}.\n`,
        );
      }),
    );
};

const purgeCommand = (context: Context, program: Command): void => {
  program
    .command('purge')
    .description('delete abandoned registrations and expired rows now, as the server does on its timer')
    .option('--json', JSON_HELP)
    .action(() =>
      onStorage(context, async ({ useCases, storage, config, run }) => {
        const abandonedClients = await run(useCases.purgeAbandonedClients());
        const expiredRows = await deleteExpired(storage, new Date(), config.dcrIdleTtlSeconds);
        context.out.result(
          { abandoned_clients: abandonedClients, expired_rows: expiredRows },
          () => `Deleted ${abandonedClients} abandoned registration(s) and ${expiredRows} expired row(s).\n`,
        );
      }),
    );
};

const keyStateRows = (keys: readonly KeyState[]): string =>
  keys.length === 0
    ? 'No signing keys.\n'
    : table(
        ['KID', 'ALG', 'GEN', 'STATE', 'SIGNS FROM', 'PUBLISHED UNTIL'],
        keys.map((k) => [
          k.kid,
          k.alg,
          String(k.generation),
          k.state,
          date(k.activatesAt),
          k.publishedUntil === undefined ? '-' : date(k.publishedUntil),
        ]),
      );

const wireKeyState = (k: KeyState) => ({
  kid: k.kid,
  alg: k.alg,
  generation: k.generation,
  state: k.state,
  created_at: k.createdAt.toISOString(),
  activates_at: k.activatesAt.toISOString(),
  ...(k.publishedUntil === undefined ? {} : { published_until: k.publishedUntil.toISOString() }),
});

/** `latchkey keys` (docs/cli.md#keys): the signing keys of ID tokens and JWT access tokens. */
const keyCommands = (context: Context, program: Command): void => {
  const keys = program
    .command('keys')
    .description('list and rotate the signing keys (docs/openid-connect.md)');
  keys
    .command('list')
    .description('every stored signing key and its state')
    .option('--json', JSON_HELP)
    .action(() =>
      onStorage(context, async ({ keyRing }) => {
        const list = await keyRing.list();
        context.out.result({ keys: list.map(wireKeyState) }, () => keyStateRows(list));
      }),
    );
  keys
    .command('rotate')
    .description('add the next key of each algorithm: published now, signing after the pre-publish period')
    .option('--json', JSON_HELP)
    .action(() =>
      onStorage(context, async ({ keyRing }) => {
        await keyRing.ensure();
        const added = await keyRing.rotate();
        const list = await keyRing.list();
        const addedIds = new Set(added.map((k) => k.kid));
        const rows = list.filter((k) => addedIds.has(k.kid));
        context.out.result({ added: rows.map(wireKeyState) }, () => `Added:\n${keyStateRows(rows)}`);
      }),
    );
};

/** The whole command tree; its settings (output, exit override) are inherited by every subcommand. */
const buildProgram = (context: Context): Command => {
  const { io, out } = context;
  const program = new Command('latchkey')
    .description(ABOUT)
    .addHelpText('after', MORE)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => {
        if (out.json) out.failure({ kind: 'usage', message: text.replace(/^error: /, '').trim() });
        else write(text);
      },
    });
  if (!out.json) program.showHelpAfterError('(add --help for usage)');
  migrateCommand(context, program);
  userCommands(context, program);
  appCommands(context, program);
  secretCommands(context, program);
  grantCommands(context, program);
  purgeCommand(context, program);
  keyCommands(context, program);
  return program;
};

/**
 * Runs one command line (without the program name) and answers its exit status
 * (docs/cli.md#exit-status). Expected failures are printed, never thrown.
 */
export const runCli = async (argv: readonly string[], io: CliIo): Promise<ExitCode> => {
  const out = makeOutput(io, wantsJson(argv));
  try {
    await buildProgram({ io, out }).parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    // Commander has printed its message (or the help that was asked for) already.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof CliFailure) {
      out.failure(error.body);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    out.failure({ kind: 'internal', message: `unexpected failure: ${redactSecretText(message)}` });
    return EXIT.failure;
  }
};
