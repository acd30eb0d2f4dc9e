import { oauthError, type OAuthError, type OAuthErrorCode } from '@latchkey/domain';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';

/**
 * Decodes `input` with `codec`; a failure is the OAuth error `code` described by the first
 * failing field. Codecs declare their fields in the order docs/http-api.md checks them, and io-ts
 * reports failures in that order, so the first one is the one the docs name.
 */
export const decodeOrFail = <A>(
  codec: t.Decoder<unknown, A>,
  input: unknown,
  code: OAuthErrorCode,
): E.Either<OAuthError, A> =>
  E.mapLeft((errors: t.Errors) => oauthError(code, errors[0]?.message ?? 'The request is malformed.'))(
    codec.decode(input),
  );
