import {
  ApiErrors,
  fieldLabel,
  isUnsafeText,
  oauthError,
  UNSAFE_TEXT_DETAIL,
  unsafeTextFields,
  type ApiError,
  type OAuthError,
  type OAuthErrorCode,
} from '@latchkey/domain';

/*
 * The edge check of docs/http-api.md#request-bodies-and-input-text: text holding U+0000 or an unpaired surrogate is refused with a
 * 400 in the endpoint's own format before any use case sees it. One check, the domain's
 * `isUnsafeText` (walked over JSON bodies by `unsafeTextFields`), for bodies, forms and queries;
 * the functions here find the field and phrase the answer.
 *
 * Queries and forms are percent-decoded as UTF-8, which turns an encoded lone surrogate into
 * U+FFFD, so through them only U+0000 arrives; JSON's `\ud800` escape carries a lone surrogate.
 */

/** The fields of a parsed JSON body that hold unsafe text (`body` for the body itself). */
export const unsafeBodyFields = (body: unknown): string[] => unsafeTextFields(body, 'body');

/** The first parameter of a form or query holding unsafe text (`root` when a name does). */
export const unsafeParam = (search: URLSearchParams, root: string): string | undefined => {
  for (const [name, value] of search) {
    if (isUnsafeText(name)) return root;
    if (isUnsafeText(value)) return fieldLabel(name, root);
  }
  return undefined;
};

/** The API error (docs/http-api.md#conventions): 400 naming every such field. */
export const unsafeTextApiError = (fields: readonly string[]): ApiError =>
  ApiErrors.badRequest(
    'The request body is invalid.',
    fields.map((field) => ({ field, detail: UNSAFE_TEXT_DETAIL })),
  );

/** The OAuth error (RFC 6749 §5.2, RFC 7591 §3.2.2) naming the field. */
export const unsafeTextOAuthError = (
  field: string,
  code: Extract<OAuthErrorCode, 'invalid_request' | 'invalid_client_metadata'> = 'invalid_request',
): OAuthError => oauthError(code, `${field} ${UNSAFE_TEXT_DETAIL}.`);

/** The message an HTML form shows above itself. */
export const unsafeTextFormMessage = (field: string): string =>
  `Please correct: ${field} ${UNSAFE_TEXT_DETAIL}.`;
