import {
  ApiErrors,
  isUnsafeText,
  UNSAFE_TEXT_DETAIL,
  type ApiError,
  type Validation,
} from '@latchkey/domain';
import * as E from 'fp-ts/lib/Either.js';
import type { ParsedUrlQuery } from 'node:querystring';

/**
 * A single-valued query parameter; empty counts as omitted, twice is an error (docs/http-api.md#conventions), and
 * so is unsafe text (docs/http-api.md#conventions).
 */
export const singleParam = (
  query: ParsedUrlQuery,
  name: string,
): E.Either<Validation, string | undefined> => {
  const value = query[name];
  if (Array.isArray(value)) return E.left({ field: name, detail: 'must be given once' });
  if (value !== undefined && isUnsafeText(value)) return E.left({ field: name, detail: UNSAFE_TEXT_DETAIL });
  return E.right(value === undefined || value === '' ? undefined : value);
};

export interface Paging {
  readonly limit: number;
  readonly offset: number;
}

const integerParam = (
  query: ParsedUrlQuery,
  name: string,
  fallback: number,
  max: number | undefined,
): E.Either<Validation, number> =>
  E.flatMap(singleParam(query, name), (raw) => {
    if (raw === undefined) return E.right(fallback);
    if (!/^\d{1,9}$/.test(raw)) return E.left({ field: name, detail: 'must be a non-negative integer' });
    const value = Number(raw);
    return E.right(max === undefined ? value : Math.min(value, max));
  });

/** `limit` (capped, not refused, above `max`) and `offset`. */
export const pagingParams = (
  query: ParsedUrlQuery,
  defaults: { limit: number; max: number },
): E.Either<ApiError, Paging> => {
  const limit = integerParam(query, 'limit', defaults.limit, defaults.max);
  const offset = integerParam(query, 'offset', 0, undefined);
  const failures = [limit, offset].flatMap((r) => (E.isLeft(r) ? [r.left] : []));
  if (E.isRight(limit) && E.isRight(offset)) return E.right({ limit: limit.right, offset: offset.right });
  return E.left(ApiErrors.badRequest('Invalid query parameters.', failures));
};

/** An optional enumerated query parameter. */
export const enumParam = <T extends string>(
  query: ParsedUrlQuery,
  name: string,
  allowed: readonly T[],
): E.Either<ApiError, T | undefined> =>
  E.flatMap(
    E.mapLeft((v: Validation) => ApiErrors.badRequest('Invalid query parameters.', [v]))(
      singleParam(query, name),
    ),
    (raw) =>
      raw === undefined || (allowed as readonly string[]).includes(raw)
        ? E.right(raw as T | undefined)
        : E.left(
            ApiErrors.badRequest('Invalid query parameters.', [
              { field: name, detail: `must be one of ${allowed.join(', ')}` },
            ]),
          ),
  );
