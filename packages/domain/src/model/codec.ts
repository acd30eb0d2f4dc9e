import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import type { Validation } from '../errors/api-error.js';

/** The one symbol every brand's key points at; it exists only in types. */
declare const _brand: unique symbol;

/** A nominal brand named `N`: `Branded<string, Brand<'Email'>>` is not a `Username`. */
export type Brand<N extends string> = { readonly [K in N]: typeof _brand };

/**
 * A string codec refined by a predicate and branded with its name, with a human-readable reason
 * used as the `validations[].detail` when decoding fails.
 */
export const refinedString = <N extends string>(
  name: N,
  predicate: (s: string) => boolean,
  reason: string,
): t.Type<t.Branded<string, Brand<N>>, string> =>
  new t.Type<t.Branded<string, Brand<N>>, string>(
    name,
    (u): u is t.Branded<string, Brand<N>> => typeof u === 'string' && predicate(u),
    (u, c) =>
      typeof u === 'string' && predicate(u)
        ? t.success(u as t.Branded<string, Brand<N>>)
        : t.failure(u, c, reason),
    (a) => a,
  );

const describeType = (name: string): string => {
  if (name === 'string') return 'must be a string';
  if (name === 'boolean') return 'must be a boolean';
  if (name === 'number') return 'must be a number';
  return `is invalid (expected ${name})`;
};

/** Turns io-ts errors into `validations`, one per field, naming the field by its path. */
export const toValidations = (errors: t.Errors): Validation[] => {
  const byField = new Map<string, string>();
  for (const error of errors) {
    const path = error.context.map((entry) => entry.key).filter((key) => key !== '' && !/^\d+$/.test(key));
    const field = path.join('.') || 'body';
    if (byField.has(field)) continue;
    const last = error.context[error.context.length - 1];
    const detail =
      error.message ?? (error.value === undefined ? 'is required' : describeType(last?.type.name ?? 'value'));
    byField.set(field, detail);
  }
  return [...byField].map(([field, detail]) => ({ field, detail }));
};

/** Decodes `input` with `codec`, failing with the list of invalid fields. */
export const decodeFields = <A>(codec: t.Decoder<unknown, A>, input: unknown): E.Either<Validation[], A> =>
  E.mapLeft(toValidations)(codec.decode(input));
