import * as E from 'fp-ts/lib/Either.js';
import { UNSAFE_TEXT_DETAIL, unsafeTextFields } from '../../model/text.js';
import type { AuthorizeParams } from './authorize.js';

export interface UnsafeTextProblem {
  readonly error: 'invalid_request';
  readonly description: string;
  readonly state?: string;
}

/**
 * docs/http-api.md#request-bodies-and-input-text at authorize step 4: a parameter holding U+0000 or an unpaired surrogate is
 * `invalid_request`, sent back to the client like the other request errors (RFC 6749 §4.1.2.1).
 * A bad `client_id` or `redirect_uri` never gets here: it names no client, or matches no
 * registered URI, and is shown on the error page. `state` goes back only when it is a single,
 * clean value.
 */
export const checkAuthorizeText = (params: AuthorizeParams): E.Either<UnsafeTextProblem, void> => {
  const [field] = unsafeTextFields(params, 'a parameter');
  if (field === undefined) return E.right(undefined);
  const states = params.state ?? [];
  const state = field !== 'state' && states.length === 1 ? states[0] : undefined;
  return E.left({
    error: 'invalid_request',
    description: `${field} ${UNSAFE_TEXT_DETAIL}.`,
    ...(state === undefined ? {} : { state }),
  });
};
