import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { ESLint, Linter } from 'eslint';
import tseslint from 'typescript-eslint';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ADAPTER_FILE = 'packages/adapters-postgres/src/users.ts';

/** The rules that keep the identity map out, as the repository's lint config applies them to the adapter. */
const adapterRules = async (): Promise<Linter.RulesRecord> => {
  const config = (await new ESLint({ cwd: ROOT }).calculateConfigForFile(ADAPTER_FILE)) as Linter.Config;
  const rules = config.rules ?? {};
  return {
    'no-restricted-imports': rules['no-restricted-imports'] ?? 'off',
    'no-restricted-syntax': rules['no-restricted-syntax'] ?? 'off',
  };
};

/** The messages those rules give `code` written in the PostgreSQL adapter. */
const complaints = async (code: string): Promise<string[]> => {
  const linter = new Linter({ configType: 'flat' });
  const messages = linter.verify(
    code,
    [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser }, rules: await adapterRules() }],
    'adapter.ts',
  );
  return messages.map((m) => m.message);
};

/*
 * The PostgreSQL adapter holds no EntityManager (one shared by every request would carry entities
 * from one request to the next through its identity map); the lint rules of `pnpm test` keep it
 * so. This runs those rules, as configured, over code that would bring the identity map back.
 */
describe('the lint rules against the identity map in the PostgreSQL adapter', () => {
  const offending: [string, string][] = [
    ["the storage's EntityManager", 'export const f = (orm: { em: unknown }) => orm.em;'],
    [
      'an EntityManager destructured',
      'export const f = (orm: { em: unknown }) => { const { em } = orm; return em; };',
    ],
    ['importing EntityManager', "import type { EntityManager } from '@mikro-orm/postgresql';"],
    ['importing the QueryBuilder', "import { QueryBuilder } from '@mikro-orm/knex';"],
    ['a findOne', 'export const f = (m: { findOne(): void }) => m.findOne();'],
    [
      'a persist and flush',
      'export const f = (m: { persist(x: unknown): { flush(): void } }) => m.persist(1).flush();',
    ],
    ['a getReference', 'export const f = (m: { getReference(): void }) => m.getReference();'],
    ['a merge', 'export const f = (m: { merge(): void }) => m.merge();'],
    ['a fork', 'export const f = (m: { fork(): void }) => m.fork();'],
  ];
  for (const [what, code] of offending) {
    it(`refuses ${what}, pointing at the gateway`, async () => {
      const messages = await complaints(code);
      expect(messages).to.not.be.empty;
      for (const message of messages) expect(message).to.include('gateway');
    });
  }

  it("accepts the gateway's own calls", async () => {
    const code = `
      import type { Sql } from './gateway.js';
      export const f = async (sql: Sql) => [
        await sql.count({ text: 'select 1' }),
        await sql.all({ text: 'select 1' }, [], (raw) => raw),
        [1, 2].find((n) => n > 1),
      ];`;
    expect(await complaints(code)).to.deep.equal([]);
  });
});
