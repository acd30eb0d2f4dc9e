import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';

/**
 * What a row of a decision table expects: the code of a `Left` (an OAuth error's `code`, an
 * authorize problem's `error`, or a plain string), that code with some fields of the `Left`, or
 * a `Right` that includes these fields.
 */
export type Expected =
  | string
  | { readonly left: string; readonly including: Readonly<Record<string, unknown>> }
  | { readonly right: Readonly<Record<string, unknown>> };

const codeOf = (left: unknown): unknown => {
  if (typeof left === 'string') return left;
  const { code, error } = left as { code?: unknown; error?: unknown };
  return code ?? error;
};

/** Asserts one row's outcome. */
export const expectOutcome = (result: E.Either<unknown, unknown>, expected: Expected): void => {
  if (typeof expected === 'object' && 'right' in expected) {
    expect(E.isRight(result), `expected Right, got ${JSON.stringify(result)}`).to.equal(true);
    if (E.isRight(result)) expect(result.right).to.deep.include(expected.right);
    return;
  }
  const code = typeof expected === 'string' ? expected : expected.left;
  expect(E.isLeft(result), `expected Left ${code}, got ${JSON.stringify(result)}`).to.equal(true);
  if (E.isLeft(result)) {
    expect(codeOf(result.left)).to.equal(code);
    if (typeof expected !== 'string') expect(result.left).to.deep.include(expected.including);
  }
};

/** One `it` per row: titled by its rule, asserting the outcome `decide` gives for it. */
export const eachRow = <R extends { readonly rule: string; readonly expected: Expected }>(
  rows: readonly R[],
  decide: (row: R) => E.Either<unknown, unknown>,
): void => {
  for (const row of rows) {
    it(row.rule, () => {
      expectOutcome(decide(row), row.expected);
    });
  }
};

/**
 * `eachRow` for a decoding whose `Right` holds a second decoding (`inner`): a row's `nested`,
 * when given, is what that second one must give.
 */
export const eachNestedRow = <
  R extends { readonly rule: string; readonly expected: Expected; readonly nested?: Expected },
  A,
>(
  rows: readonly R[],
  decode: (row: R) => E.Either<unknown, A>,
  inner: (decoded: A) => E.Either<unknown, unknown>,
): void => {
  for (const row of rows) {
    it(row.rule, () => {
      const decoded = decode(row);
      expectOutcome(decoded, row.expected);
      if (row.nested === undefined) return;
      expect(E.isRight(decoded), 'the outer decoding must succeed').to.equal(true);
      if (E.isRight(decoded)) expectOutcome(inner(decoded.right), row.nested);
    });
  }
};
