// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Imports that would tie the pure domain to a framework, I/O or an outer package. */
const forbiddenInDomain = [
  { group: ['koa', 'koa-*', '@koa/*'], message: 'The domain is framework-free: no Koa.' },
  { group: ['@mikro-orm/*', 'pg', 'knex'], message: 'The domain is storage-free: use a port.' },
  { group: ['inversify', 'reflect-metadata'], message: 'Inversify lives in packages/app only.' },
  { group: ['@latchkey/*'], message: 'The domain imports no other workspace package.' },
  {
    group: ['node:http', 'node:https', 'http', 'https', 'node:net', 'node:fs', 'node:fs/*'],
    message: 'No I/O in the domain.',
  },
  { group: ['pino', 'scrypt-kdf', '@electric-sql/*', 'prom-client'], message: 'Adapters only.' },
];

/**
 * The domain keeps no module state: a throttle or cache belongs to the use case that needs it,
 * created by its factory (one per `makeUseCases`). Caught here: module-level `let`/`var`, and a
 * `Map`, `Set`, `WeakMap` or `WeakSet` created outside any function or instance field. Not
 * caught: a module-level `const` array or object mutated later (keep those `readonly`), or a
 * regular expression with the `g` or `y` flag, whose `lastIndex` is state.
 */
const MODULE_STATE_MESSAGE =
  'No module state in the domain: create it in the use-case factory (makeUseCases) instead.';
const moduleStateInDomain = [
  { selector: "Program > VariableDeclaration[kind!='const']", message: MODULE_STATE_MESSAGE },
  {
    selector: "Program > ExportNamedDeclaration > VariableDeclaration[kind!='const']",
    message: MODULE_STATE_MESSAGE,
  },
  {
    // Instance fields are per object; a static field is module state like any other.
    selector:
      'NewExpression[callee.name=/^(Map|Set|WeakMap|WeakSet)$/]' +
      ':not(:function NewExpression):not(PropertyDefinition[static=false] NewExpression)',
    message: MODULE_STATE_MESSAGE,
  },
];

/**
 * The PostgreSQL adapter sends every statement through its SQL gateway (`Sql`, gateway.ts) and
 * holds no EntityManager: an identity map shared by every request (or forked per request, which
 * the token path would pay for on every call) is where entities leak from one request into the
 * next. These keep MikroORM's unit-of-work and identity-map APIs out of the package.
 */
const NO_IDENTITY_MAP = 'No EntityManager here: send SQL through the gateway (Sql in gateway.ts).';
const identityMapImports = {
  paths: ['@mikro-orm/core', '@mikro-orm/postgresql', '@mikro-orm/knex'].map((name) => ({
    name,
    importNames: [
      'EntityManager',
      'EntityRepository',
      'QueryBuilder',
      'RequestContext',
      'TransactionContext',
      'Reference',
      'Collection',
      'ref',
      'rel',
      'wrap',
      'raw',
    ],
    message: NO_IDENTITY_MAP,
  })),
};
const identityMapSyntax = [
  { selector: "MemberExpression[property.name='em']", message: NO_IDENTITY_MAP },
  { selector: "VariableDeclarator > ObjectPattern > Property[key.name='em']", message: NO_IDENTITY_MAP },
  {
    selector:
      'CallExpression[callee.property.name=/^(persist|persistAndFlush|flush|getReference|merge|findOne|findOneOrFail|findAll|findAndCount|findByCursor|populate|removeAndFlush|getRepository|createQueryBuilder|nativeInsert|nativeUpdate|nativeDelete|upsert|upsertMany|transactional|fork)$/]',
    message: NO_IDENTITY_MAP,
  },
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'bench/.work/**', 'eslint.config.js', '.latchkey/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: false, requireDefaultForNonUnion: false },
      ],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
      '@typescript-eslint/no-invalid-void-type': 'off',
      'no-control-regex': 'off',
    },
  },
  {
    files: ['**/*.cjs', '**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly' },
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['packages/domain/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: forbiddenInDomain }],
      'no-restricted-syntax': ['error', ...moduleStateInDomain],
    },
  },
  {
    files: ['packages/adapters-http/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@latchkey/adapters-*', '@latchkey/app', '@mikro-orm/*'],
              message: 'An adapter does not import another adapter.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/adapters-postgres/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          ...identityMapImports,
          patterns: [
            {
              group: ['@latchkey/adapters-*', '@latchkey/app', 'koa', '@koa/*', 'koa-*'],
              message: 'An adapter does not import another adapter.',
            },
          ],
        },
      ],
      'no-restricted-syntax': ['error', ...identityMapSyntax],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
