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
  { group: ['pino', 'scrypt-kdf', '@electric-sql/*'], message: 'Adapters only.' },
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
    rules: { 'no-restricted-imports': ['error', { patterns: forbiddenInDomain }] },
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
          patterns: [
            {
              group: ['@latchkey/adapters-*', '@latchkey/app', 'koa', '@koa/*', 'koa-*'],
              message: 'An adapter does not import another adapter.',
            },
          ],
        },
      ],
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
